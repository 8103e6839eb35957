"""BLAS for generated code: SciPy's `cython_blas` function pointers under stable symbol names.

Generated code calls `optc.dgemv`, `optc.sgemv`, `optc.dgemm`, `optc.sgemm`; before a module
is loaded, `register()` binds those names to SciPy's BLAS (the library NumPy and SciPy use;
the addresses come from `backends/scipy_symbols.py`),
so object code in the disk cache stays valid across processes. Layouts BLAS cannot take
(strides in both dimensions, empty or huge operands) use generated loops instead.
"""

from __future__ import annotations

from llvmlite import ir

from optc.backends.llvm.loops import entry_alloca
from optc.backends.llvm.scalar import LL_TYPES
from optc.backends.scipy_symbols import BLAS_ROUTINES, blas_addresses, symbol, uses

I32 = ir.IntType(32)
CHAR = ir.IntType(8)


def used_by(obj: bytes) -> bool:
    """Whether an object file refers to the BLAS symbols (so they must be bound first)."""
    return uses(obj, BLAS_ROUTINES)


def register() -> None:
    """Bind the BLAS symbol names for the JIT's linker (idempotent)."""
    import llvmlite.binding as llvm

    for name, address in blas_addresses().items():
        llvm.add_symbol(name, address)


def gemv_select(b: ir.IRBuilder, dtype: str, transposed, m, n, alpha, a, lda, x, incx, beta, y, incy) -> None:
    """y = alpha * op(A) x + beta * y for a column-major A (Fortran BLAS, 32-bit ints);
    op(A) is A^T where the run-time flag `transposed` holds."""
    ty = LL_TYPES[dtype]
    name = symbol("gemv", dtype)
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
    ty = LL_TYPES[dtype]
    name = symbol("gemm", dtype)
    p = ty.as_pointer()
    ip = I32.as_pointer()
    fn = b.module.globals.get(name) or ir.Function(
        b.module,
        ir.FunctionType(ir.VoidType(), [CHAR.as_pointer(), CHAR.as_pointer(), ip, ip, ip, p, p, ip, p, ip, p, p, ip]),
        name,
    )
    b.call(fn, [_trans(b, a_plain, "N", "T"), _trans(b, b_plain, "N", "T"), int_arg(b, m), int_arg(b, n), int_arg(b, k),
                _scalar(b, ty, alpha), a, int_arg(b, lda), bb, int_arg(b, ldb), _scalar(b, ty, beta), c, int_arg(b, ldc)])


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
