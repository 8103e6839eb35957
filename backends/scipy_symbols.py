"""SciPy's BLAS and LAPACK as raw function addresses, for the code the native backends generate.

Generated code calls routines under stable names, `optc.<routine>` (`optc.dgemv`,
`optc.sgetrf`, ...), never at addresses, so compiled code stays valid in another process (the
dot keeps them apart from the symbols of the user's functions, `optc_<name>`). Before
code that refers to them runs, a backend binds each name to the address SciPy's `cython_blas` and
`cython_lapack` export: llvmlite's `add_symbol` (`backends/llvm/jit.py`), the MLIR
ExecutionEngine's `raw_register_runtime` (`backends/mlir/runtime.py`). They are the routines the
NumPy backend reaches through `scipy.linalg.lapack`, so `solve` factors a matrix with the same
code on every backend.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache

BLAS_ROUTINES = ("dgemv", "sgemv", "dgemm", "sgemm")
LAPACK_ROUTINES = ("dgetrf", "sgetrf", "dgetrs", "sgetrs")
PREFIX = {"f64": "d", "f32": "s"}  # BLAS/LAPACK's letter for an IR float dtype


def symbol(routine: str, dtype: str) -> str:
    """The stable name of a typed routine: `symbol("getrf", "f64") == "optc.dgetrf"`."""
    return f"optc.{PREFIX[dtype]}{routine}"


def uses(code: bytes, routines: tuple[str, ...]) -> bool:
    """Whether object code or module text refers to any of `routines` (so they must be bound)."""
    return any(f"optc.{name}".encode() in code for name in routines)


def capsule_addresses(module, routines: tuple[str, ...]) -> dict[str, int]:
    """`optc.<name>` -> the address of each routine a Cython module exports in `__pyx_capi__`."""
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    out = {}
    for name in routines:
        capsule = module.__pyx_capi__[name]
        out[f"optc.{name}"] = get_pointer(capsule, get_name(capsule))
    return out


@lru_cache(maxsize=1)
def blas_addresses() -> dict[str, int]:
    """The BLAS routines' addresses (SciPy is a required dependency)."""
    from scipy.linalg import cython_blas

    return capsule_addresses(cython_blas, BLAS_ROUTINES)


@lru_cache(maxsize=1)
def lapack_addresses() -> dict[str, int]:
    """The LAPACK routines' addresses (SciPy is a required dependency)."""
    from scipy.linalg import cython_lapack

    return capsule_addresses(cython_lapack, LAPACK_ROUTINES)
