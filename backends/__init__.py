"""Backends: each turns an optimized IR module into something that runs.

`get_backend(name)` returns a backend object with `compile(module) -> executable`; an
executable has `run(function_name, args, progress=None) -> results`. The NumPy backend is the
reference; `llvm` compiles to native code for the host CPU; the MLIR backends are
separate work and are reported as unavailable.
"""

from __future__ import annotations

from optc.errors import OptcError, did_you_mean

AVAILABLE = ("numpy", "llvm")
PLANNED = ("mlir", "mlir-gpu")
DEFAULT = "numpy"


def get_backend(name: str | None):
    """The backend called `name` (None: the default), or an error saying which exist."""
    name = name or DEFAULT
    if name == "numpy":
        from optc.backends.numpy import NumpyBackend

        return NumpyBackend()
    if name == "llvm":
        from optc.backends.llvm import LLVMBackend

        return LLVMBackend()
    if name in PLANNED:
        raise OptcError(f"backend `{name}` is not available in this version of optc; available: {', '.join(AVAILABLE)}")
    raise OptcError(f"unknown backend `{name}`{did_you_mean(name, AVAILABLE + PLANNED)}",
                    notes=(f"available: {', '.join(AVAILABLE)}",))
