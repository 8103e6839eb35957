"""Backends: each turns an optimized IR module into something that runs.

`get_backend(name)` returns a backend object with `compile(module) -> executable`; an
executable has `run(function_name, args, progress=None) -> results`. The NumPy backend is the
reference; `llvm` compiles to native code for the host CPU; `mlir` runs through MLIR's
ExecutionEngine and `mlir-gpu` on NVIDIA GPUs (both need the `mlir` extra).
"""

from __future__ import annotations

import os

from optc.errors import OptcError, did_you_mean

AVAILABLE = ("numpy", "llvm", "mlir", "mlir-gpu")
PLANNED = ()
DEFAULT = "llvm"


def default_backend() -> str:
    """The backend used when none is named: `$OPTC_BACKEND` if set, else llvm."""
    return os.environ.get("OPTC_BACKEND") or DEFAULT


def get_backend(name: str | None, fastmath: bool = False):
    """The backend called `name` (None: the default), or an error saying which exist.

    `fastmath=True` lets the llvm backend reorder and contract float arithmetic (results change
    in the last bits, and NaN/inf handling is no longer guaranteed); other backends refuse it."""
    name = name or default_backend()
    if fastmath and name != "llvm":
        raise OptcError(f"fastmath=True is an option of the llvm backend, not of `{name}`")
    if name == "numpy":
        from optc.backends.numpy import NumpyBackend

        return NumpyBackend()
    if name == "llvm":
        from optc.backends.llvm import LLVMBackend

        return LLVMBackend(fastmath=fastmath)
    if name in ("mlir", "mlir-gpu"):
        from optc.backends.mlir import MLIRBackend, MLIRGPUBackend

        return MLIRBackend() if name == "mlir" else MLIRGPUBackend()
    if name in PLANNED:
        raise OptcError(f"backend `{name}` is not available in this version of optc; available: {', '.join(AVAILABLE)}")
    raise OptcError(f"unknown backend `{name}`{did_you_mean(name, AVAILABLE + PLANNED)}",
                    notes=(f"available: {', '.join(AVAILABLE)}",))
