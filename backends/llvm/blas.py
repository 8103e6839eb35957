"""BLAS for generated code: SciPy's `cython_blas` function pointers under stable symbol names.

Generated code calls `optc_dgemv`, `optc_sgemv`, `optc_dgemm`, `optc_sgemm`; before a module
is loaded, `register()` binds those names to SciPy's BLAS (the library NumPy and SciPy use),
so object code in the disk cache stays valid across processes. Without SciPy, matrix
products fall back to generated loops (`available()` is False and the cache key says so).
"""

from __future__ import annotations

import ctypes
from functools import lru_cache

from llvmlite import ir

from optc.backends.llvm.scalar import F32, F64

ROUTINES = ("dgemv", "sgemv", "dgemm", "sgemm")
I32 = ir.IntType(32)
CHAR = ir.IntType(8)


def capsule_addresses(module, routines: tuple[str, ...]) -> dict[str, int]:
    """`optc_<name>` -> the address of each routine a Cython module exports in `__pyx_capi__`."""
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    out = {}
    for name in routines:
        capsule = module.__pyx_capi__[name]
        out[f"optc_{name}"] = get_pointer(capsule, get_name(capsule))
    return out


@lru_cache(maxsize=1)
def _addresses() -> dict[str, int]:
    try:
        from scipy.linalg import cython_blas
    except ImportError:
        return {}
    return capsule_addresses(cython_blas, ROUTINES)


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether BLAS can be called from generated code (SciPy is installed). Cheap: SciPy's
    BLAS module is imported only when code that calls it is loaded."""
    import importlib.util

    return importlib.util.find_spec("scipy") is not None


def used_by(obj: bytes) -> bool:
    """Whether an object file refers to the BLAS symbols (so they must be bound first)."""
    return any(f"optc_{name}".encode() in obj for name in ROUTINES)


def register() -> None:
    """Bind the BLAS symbol names for the JIT's linker (idempotent)."""
    import llvmlite.binding as llvm

    for name, address in _addresses().items():
        llvm.add_symbol(name, address)


def gemv_select(b: ir.IRBuilder, dtype: str, transposed, m, n, alpha, a, lda, x, incx, beta, y, incy) -> None:
    """y = alpha * op(A) x + beta * y for a column-major A (Fortran BLAS, 32-bit ints);
    op(A) is A^T where the run-time flag `transposed` holds."""
    ty = F64 if dtype == "f64" else F32
    name = "optc_dgemv" if dtype == "f64" else "optc_sgemv"
    p = ty.as_pointer()
    fn = b.module.globals.get(name) or ir.Function(
        b.module,
        ir.FunctionType(ir.VoidType(), [CHAR.as_pointer(), I32.as_pointer(), I32.as_pointer(), p, p,
                                        I32.as_pointer(), p, I32.as_pointer(), p, p, I32.as_pointer()]),
        name,
    )
    b.call(fn, [_trans(b, transposed, "T", "N"), int_arg(b, m), int_arg(b, n), _scalar(b, ty, alpha), a, int_arg(b, lda), x,
                int_arg(b, incx), _scalar(b, ty, beta), y, int_arg(b, incy)])


def gemm_select(b: ir.IRBuilder, dtype: str, a_plain, b_plain, m, n, k, alpha, a, lda, bb, ldb, beta, c, ldc) -> None:
    """C = alpha * op(A) op(B) + beta * C for column-major matrices (Fortran BLAS); op is the
    identity where the run-time flag `*_plain` holds, else the transpose."""
    ty = F64 if dtype == "f64" else F32
    name = "optc_dgemm" if dtype == "f64" else "optc_sgemm"
    p = ty.as_pointer()
    ip = I32.as_pointer()
    fn = b.module.globals.get(name) or ir.Function(
        b.module,
        ir.FunctionType(ir.VoidType(), [CHAR.as_pointer(), CHAR.as_pointer(), ip, ip, ip, p, p, ip, p, ip, p, p, ip]),
        name,
    )
    b.call(fn, [_trans(b, a_plain, "N", "T"), _trans(b, b_plain, "N", "T"), int_arg(b, m), int_arg(b, n), int_arg(b, k),
                _scalar(b, ty, alpha), a, int_arg(b, lda), bb, int_arg(b, ldb), _scalar(b, ty, beta), c, int_arg(b, ldc)])


def entry_alloca(b: ir.IRBuilder, ty):
    """A stack slot in the function's entry block (so loops do not grow the stack)."""
    with b.goto_entry_block():
        return b.alloca(ty)


def _trans(b: ir.IRBuilder, flag, if_true: str, if_false: str):
    slot = entry_alloca(b, CHAR)
    b.store(b.select(flag, ir.Constant(CHAR, ord(if_true)), ir.Constant(CHAR, ord(if_false))), slot)
    return slot


def int_arg(b: ir.IRBuilder, v):
    """A pointer to `v` as a Fortran 32-bit int (BLAS and LAPACK take arguments by reference)."""
    slot = entry_alloca(b, I32)
    b.store(b.trunc(v, I32) if v.type != I32 else v, slot)
    return slot


def _scalar(b: ir.IRBuilder, ty, value: float):
    slot = entry_alloca(b, ty)
    b.store(ir.Constant(ty, value), slot)
    return slot
