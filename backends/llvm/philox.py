"""Philox-4x32-10 random numbers in LLVM IR, the same bit for bit as `backends/numpy/rules.py`.

`random_element(b, dist, dtype, seed, counter, i)` emits, at the builder's position, element i
of the stream (seed, counter): the Philox rounds on i32 words (`mulhilo` through i64
multiplies) and the conversion of the output words to a float of `dtype`, exactly as the NumPy
rule defines them (see the comment above `random_numbers` there). `log` and `cos` are the C
library's, as NumPy's reference calls them through `math`. `bounded_draw` emits one step's
draw of `random_subset` (Lemire's rejection loop).
"""

from __future__ import annotations

from llvmlite import ir
from optc.backends.llvm.scalar import F32, F64, I64, intrinsic
from optc.backends.numpy.rules import PHILOX_M, PHILOX_ROUNDS, PHILOX_W, SUBSET_TAG, TWO_PI

I32 = ir.IntType(32)


def _c32(v: int) -> ir.Constant:
    return ir.Constant(I32, v & 0xFFFFFFFF)


def _c64(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


def _lo_hi(b: ir.IRBuilder, v) -> tuple:
    """The low and high 32-bit words of an i64."""
    return b.trunc(v, I32), b.trunc(b.lshr(v, _c64(32)), I32)


def _mulhilo(b: ir.IRBuilder, m: int, x) -> tuple:
    p = b.mul(b.zext(x, I64), _c64(m))
    return _lo_hi(b, p)


def philox4x32(b: ir.IRBuilder, counter: list, key: list, rounds: int = PHILOX_ROUNDS) -> list:
    """The four i32 output words of Philox-4x32 (counter: four i32, key: two i32)."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for r in range(rounds):
        lo0, hi0 = _mulhilo(b, PHILOX_M[0], c0)
        lo1, hi1 = _mulhilo(b, PHILOX_M[1], c2)
        c0, c1, c2, c3 = b.xor(b.xor(hi1, c1), k0), lo1, b.xor(b.xor(hi0, c3), k1), lo0
        if r + 1 < rounds:
            k0, k1 = b.add(k0, _c32(PHILOX_W[0])), b.add(k1, _c32(PHILOX_W[1]))
    return [c0, c1, c2, c3]


def _join(b: ir.IRBuilder, lo, hi):
    """(hi << 32 | lo) >> 11: 53 random bits, as an i64."""
    v = b.or_(b.shl(b.zext(hi, I64), _c64(32)), b.zext(lo, I64))
    return b.lshr(v, _c64(11))


def random_element(b: ir.IRBuilder, dist: str, dtype: str, seed, counter, i):
    """Element i (i64) of the stream (seed, counter) (both i64) of `dist`, as a `dtype` value."""
    s0, s1 = _lo_hi(b, seed)
    n0, n1 = _lo_hi(b, counter)
    i0, i1 = _lo_hi(b, i)
    w0, w1, w2, w3 = philox4x32(b, [i0, n0, n1, i1], [s0, s1])
    ty = F64 if dtype == "f64" else F32
    if dist == "rademacher":
        sign = b.lshr(w0, _c32(31))  # 0 or 1
        return b.sitofp(b.sub(_c32(1), b.shl(sign, _c32(1))), ty)
    if dist == "uniform":
        if dtype == "f32":
            return b.fmul(b.uitofp(b.lshr(w0, _c32(8)), F32), ir.Constant(F32, 2.0**-24))
        return b.fmul(b.uitofp(_join(b, w0, w1), F64), ir.Constant(F64, 2.0**-53))
    a = b.fmul(b.uitofp(b.add(_join(b, w0, w1), _c64(1)), F64), ir.Constant(F64, 2.0**-53))
    t = b.fmul(b.fmul(b.uitofp(_join(b, w2, w3), F64), ir.Constant(F64, 2.0**-53)), ir.Constant(F64, TWO_PI))
    r = intrinsic(b, "sqrt", "f64", b.fmul(ir.Constant(F64, -2.0), intrinsic(b, "log", "f64", a)))
    z = b.fmul(r, intrinsic(b, "cos", "f64", t))
    return z if dtype == "f64" else b.fptrunc(z, F32)


def bounded_draw(b: ir.IRBuilder, seed, counter, i, s):
    """u uniform in [0, s) for Fisher-Yates step i of `random_subset` (all i64; 1 <= s <= 2^32,
    i < 2^32): Lemire's method, one Philox block per attempt (the NumPy rule is the spec)."""
    s0, s1 = _lo_hi(b, seed)
    n0, n1 = _lo_hi(b, counter)
    i0 = b.trunc(i, I32)
    threshold = b.urem(b.sub(_c64(2**32), s), s)
    pre = b.block
    head = b.function.append_basic_block("draw")
    done = b.function.append_basic_block("drawn")
    b.branch(head)
    b.position_at_end(head)
    attempt = b.phi(I32, "attempt")
    attempt.add_incoming(_c32(0), pre)
    w0 = philox4x32(b, [i0, n0, n1, b.add(attempt, _c32(SUBSET_TAG))], [s0, s1])[0]
    p = b.mul(b.zext(w0, I64), s)
    reject = b.icmp_unsigned("<", b.and_(p, _c64(0xFFFFFFFF)), threshold)
    attempt.add_incoming(b.add(attempt, _c32(1)), b.block)
    b.cbranch(reject, head, done)
    b.position_at_end(done)
    return b.lshr(p, _c64(32))
