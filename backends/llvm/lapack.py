"""LAPACK for generated code: SciPy's `cython_lapack` function pointers under stable symbol names.

`solve(A, b)` calls `optc.dgetrf`/`optc.sgetrf` (LU with partial pivoting) and
`optc.dgetrs`/`optc.sgetrs` (the two triangular solves); before a module that refers to them is
loaded, `register()` binds those names to SciPy's LAPACK (`backends/scipy_symbols.py`), the
library the NumPy backend's `scipy.linalg.lapack` calls, so both backends factor the same matrix
with the same code and object code in the disk cache stays valid across processes. SciPy is a
required dependency.
"""

from __future__ import annotations

from llvmlite import ir

from optc.backends.llvm.blas import CHAR, I32, int_arg
from optc.backends.llvm.loops import entry_alloca
from optc.backends.llvm.scalar import LL_TYPES
from optc.backends.scipy_symbols import LAPACK_ROUTINES, lapack_addresses, symbol, uses


def used_by(obj: bytes) -> bool:
    """Whether an object file refers to the LAPACK symbols (so they must be bound first)."""
    return uses(obj, LAPACK_ROUTINES)


def register() -> None:
    """Bind the LAPACK symbol names for the JIT's linker (idempotent)."""
    import llvmlite.binding as llvm

    for name, address in lapack_addresses().items():
        llvm.add_symbol(name, address)


def _declare(b: ir.IRBuilder, name: str, args: list) -> ir.Function:
    existing = b.module.globals.get(name)
    return existing or ir.Function(b.module, ir.FunctionType(ir.VoidType(), args), name)


def getrf(b: ir.IRBuilder, dtype: str, n, a, lda, pivots, info) -> None:
    """Factor the column-major n×n matrix at `a` in place as P L U; `pivots` (n int32) gets the
    row interchanges, `*info` (an i32 slot) 0, or i > 0 when U[i-1, i-1] is exactly zero."""
    p, ip = LL_TYPES[dtype].as_pointer(), I32.as_pointer()
    fn = _declare(b, symbol("getrf", dtype), [ip, ip, p, ip, ip, ip])
    b.call(fn, [int_arg(b, n), int_arg(b, n), a, int_arg(b, lda), pivots, info])


def getrs(b: ir.IRBuilder, dtype: str, n, nrhs, a, lda, pivots, rhs, ldb, info) -> None:
    """Overwrite the column-major n×nrhs matrix at `rhs` with A⁻¹ rhs from `getrf`'s factors."""
    p, ip = LL_TYPES[dtype].as_pointer(), I32.as_pointer()
    fn = _declare(b, symbol("getrs", dtype), [CHAR.as_pointer(), ip, ip, p, ip, ip, p, ip, ip])
    trans = entry_alloca(b, CHAR)
    b.store(ir.Constant(CHAR, ord("N")), trans)
    args = [trans, int_arg(b, n), int_arg(b, nrhs), a, int_arg(b, lda), pivots, rhs, int_arg(b, ldb), info]
    b.call(fn, args)
