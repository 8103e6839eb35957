"""MLIR lowering of the random ops (`random`, `random_like`, `random_subset`): Philox-4x32-10
in `arith` ops on i32 words, the same bit for bit as the NumPy rules (`backends/numpy/rules.py`,
the comments above `random_numbers` and `random_subset` there are the spec).

`random_element(fe, dist, dtype, seed, counter, i)` emits element i of a stream as a scalar;
it only needs `fe.t`, `fe.target` and `fe.module`, so an elementwise kernel emitter can call it
with its element index. On the CPU the normal transform calls the C library's `log` and `cos`,
which NumPy's reference calls through `math`. (`math.log`/`math.cos` lower to LLVM intrinsics
that become the same calls with today's pipeline, measured bit-identical on 2e5 normals; the
explicit call keeps that true if a pass such as `math-polynomial-approximation` is added.) On
the GPU they stay `math` ops, which become libdevice calls.
"""

from __future__ import annotations

from optc.backends.mlir.emit import Scalar, Tensor
from optc.backends.mlir.rules import rule
from optc.backends.mlir.tensor_rules import _checked_dims, _flat_index, _row_major
from optc.backends.mlir.text import literal
from optc.backends.numpy.rules import (
    MAX_SUBSET_N,
    PHILOX_M,
    PHILOX_ROUNDS,
    PHILOX_W,
    SUBSET_TAG,
    TWO_PI,
)
from optc.ir.core import Op


def _c32(fe, v: int) -> str:
    """An i32 constant of the 32-bit pattern v (written signed, as MLIR parses it)."""
    v &= 0xFFFFFFFF
    return fe.t.const(str(v - 2**32 if v >= 2**31 else v), "i32")


def _c64(fe, v: int) -> str:
    return fe.t.const(str(v), "i64")


def _lo_hi(fe, v: str) -> tuple[str, str]:
    """The low and high 32-bit words of an i64."""
    t = fe.t
    hi = t.op(f"arith.shrui {v}, {_c64(fe, 32)} : i64")
    return t.op(f"arith.trunci {v} : i64 to i32"), t.op(f"arith.trunci {hi} : i64 to i32")


def _widening_mul(fe, x: str, m: int) -> str:
    """The 64-bit product of an i32 word and a 32-bit constant."""
    wide = fe.t.op(f"arith.extui {x} : i32 to i64")
    return fe.t.op(f"arith.muli {wide}, {_c64(fe, m)} : i64")


def philox4x32(fe, counter: list[str], key: list[str]) -> list[str]:
    """The four i32 output words of Philox-4x32-10 (counter: four i32, key: two i32)."""
    t = fe.t
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for r in range(PHILOX_ROUNDS):
        lo0, hi0 = _lo_hi(fe, _widening_mul(fe, c0, PHILOX_M[0]))
        lo1, hi1 = _lo_hi(fe, _widening_mul(fe, c2, PHILOX_M[1]))
        x0 = t.op(f"arith.xori {t.op(f'arith.xori {hi1}, {c1} : i32')}, {k0} : i32")
        x2 = t.op(f"arith.xori {t.op(f'arith.xori {hi0}, {c3} : i32')}, {k1} : i32")
        c0, c1, c2, c3 = x0, lo1, x2, lo0
        if r + 1 < PHILOX_ROUNDS:
            k0 = t.op(f"arith.addi {k0}, {_c32(fe, PHILOX_W[0])} : i32")
            k1 = t.op(f"arith.addi {k1}, {_c32(fe, PHILOX_W[1])} : i32")
    return [c0, c1, c2, c3]


def _join(fe, lo: str, hi: str) -> str:
    """(hi << 32 | lo) >> 11: 53 random bits, as an i64."""
    t = fe.t
    high = t.op(f"arith.shli {t.op(f'arith.extui {hi} : i32 to i64')}, {_c64(fe, 32)} : i64")
    v = t.op(f"arith.ori {high}, {t.op(f'arith.extui {lo} : i32 to i64')} : i64")
    return t.op(f"arith.shrui {v}, {_c64(fe, 11)} : i64")


def _unit(fe, bits: str) -> str:
    """bits (an i64 below 2^53) * 2^-53, exactly, as an f64."""
    t = fe.t
    x = t.op(f"arith.uitofp {bits} : i64 to f64")
    return t.op(f"arith.mulf {x}, {t.const(literal(2.0**-53, 'f64'))} : f64")


def _libm(fe, name: str, x: str) -> str:
    """The f64 `log` or `cos` of x: the C library's on the CPU, a `math` op on the GPU."""
    if fe.target != "cpu":
        return fe.t.op(f"math.{name} {x} : f64")
    fe.module.declare(name, ["f64"], ["f64"])
    return fe.t.op(f"func.call @{name}({x}) : (f64) -> f64")


def random_element(fe, dist: str, dtype: str, seed: str, counter: str, i: str) -> str:
    """Element i (i64) of the stream (seed, counter) (i64) of `dist`, as a `dtype` scalar."""
    t = fe.t
    s0, s1 = _lo_hi(fe, seed)
    n0, n1 = _lo_hi(fe, counter)
    i0, i1 = _lo_hi(fe, i)
    w0, w1, w2, w3 = philox4x32(fe, [i0, n0, n1, i1], [s0, s1])
    if dist == "rademacher":
        top = t.op(f"arith.shrui {w0}, {_c32(fe, 31)} : i32")
        twice = t.op(f"arith.shli {top}, {_c32(fe, 1)} : i32")
        sign = t.op(f"arith.subi {_c32(fe, 1)}, {twice} : i32")
        return t.op(f"arith.sitofp {sign} : i32 to {dtype}")
    if dist == "uniform":
        if dtype == "f32":
            x = t.op(f"arith.uitofp {t.op(f'arith.shrui {w0}, {_c32(fe, 8)} : i32')} : i32 to f32")
            return t.op(f"arith.mulf {x}, {t.const(literal(2.0**-24, 'f32'))} : f32")
        return _unit(fe, _join(fe, w0, w1))
    a = _unit(fe, t.op(f"arith.addi {_join(fe, w0, w1)}, {_c64(fe, 1)} : i64"))
    b = t.op(f"arith.mulf {_unit(fe, _join(fe, w2, w3))}, {t.const(literal(TWO_PI, 'f64'))} : f64")
    minus_two_log = t.op(f"arith.mulf {t.const(literal(-2.0, 'f64'))}, {_libm(fe, 'log', a)} : f64")
    z = t.op(f"arith.mulf {t.op(f'math.sqrt {minus_two_log} : f64')}, {_libm(fe, 'cos', b)} : f64")
    return z if dtype == "f64" else t.op(f"arith.truncf {z} : f64 to f32")


def _fill(fe, op: Op, out: Tensor, seed: Scalar, counter: Scalar) -> Tensor:
    """out[...] = element (row-major flat index) of the op's stream."""
    dist, dtype = op.attrs["dist"], op.attrs["dtype"]
    strides = _row_major(fe, out.dims)

    def body(ivs):
        flat = _flat_index(fe, ivs, strides) if ivs else fe.t.index(0)
        value = random_element(fe, dist, dtype, seed.name, counter.name, fe.to_i64(flat))
        fe.store(value, out, ivs)

    fe.t.nest(out.dims, body)
    return out


@rule("random")
def _random(fe, op: Op, seed: Scalar, counter: Scalar, *dims: Scalar):
    shape = ", ".join(f"{{{k}}}" for k in range(len(dims))) + ("," if len(dims) == 1 else "")
    sizes = _checked_dims(fe, op, dims, f"negative dimension in ({shape})")
    out = fe.alloc(sizes, op.attrs["dtype"], op.results[0].hint)
    return _fill(fe, op, out, seed, counter)


@rule("random_like")
def _random_like(fe, op: Op, like, seed: Scalar, counter: Scalar):
    dist, dtype = op.attrs["dist"], op.attrs["dtype"]
    if isinstance(like, Scalar):
        return Scalar(random_element(fe, dist, dtype, seed.name, counter.name, _c64(fe, 0)), dtype)
    return _fill(fe, op, fe.alloc(like.dims, dtype, op.results[0].hint), seed, counter)


def bounded_draw(fe, seed: str, counter: str, i: str, s: str) -> str:
    """u uniform in [0, s) for Fisher-Yates step i of `random_subset` (all i64; 1 <= s <= 2^32):
    Lemire's method, one Philox block per attempt, as an i64."""
    t = fe.t
    s0, s1 = _lo_hi(fe, seed)
    n0, n1 = _lo_hi(fe, counter)
    i0 = t.op(f"arith.trunci {i} : i64 to i32")
    threshold = t.op(f"arith.remui {t.op(f'arith.subi {_c64(fe, 2**32)}, {s} : i64')}, {s} : i64")

    def product(attempt: str) -> str:
        tag = t.op(f"arith.addi {attempt}, {_c32(fe, SUBSET_TAG)} : i32")
        w0 = philox4x32(fe, [i0, n0, n1, tag], [s0, s1])[0]
        return t.op(f"arith.muli {t.op(f'arith.extui {w0} : i32 to i64')}, {s} : i64")

    def reject(args):
        low = t.op(f"arith.andi {args[1]}, {_c64(fe, 0xFFFFFFFF)} : i64")
        return t.op(f"arith.cmpi ult, {low}, {threshold} : i64")

    def retry(args):
        attempt = t.op(f"arith.addi {args[0]}, {_c32(fe, 1)} : i32")
        return [attempt, product(attempt)]

    first = product(_c32(fe, 0))
    p = t.while_([_c32(fe, 0), first], ["i32", "i64"], reject, retry, "draw")[1]
    return t.op(f"arith.shrui {p}, {_c64(fe, 32)} : i64")


@rule("random_subset")
def _random_subset(fe, op: Op, seed: Scalar, counter: Scalar, n: Scalar, k: Scalar):
    t = fe.t
    zero = _c64(fe, 0)
    bad = t.op(f"arith.cmpi slt, {k.name}, {zero} : i64")
    bad = t.op(f"arith.ori {bad}, {t.op(f'arith.cmpi sgt, {k.name}, {n.name} : i64')} : i1")
    bad = t.op(f"arith.ori {bad}, {t.op(f'arith.cmpi slt, {n.name}, {zero} : i64')} : i1")
    message = "cannot choose k = {1} distinct indices of 0..n-1 for n = {0}"
    fe.fail_if(bad, op, message, (n.name, k.name))
    big = t.op(f"arith.cmpi sgt, {n.name}, {_c64(fe, MAX_SUBSET_N)} : i64")
    fe.fail_if(big, op, "random_subset needs n <= 2^32, got n = {0}", (n.name,))
    # After a failed check, go on with n = k = 0: nothing to allocate, nothing out of bounds.
    failed = t.op(f"arith.ori {bad}, {big} : i1")
    n64 = t.op(f"arith.select {failed}, {zero}, {n.name} : i64")
    k64 = t.op(f"arith.select {failed}, {zero}, {k.name} : i64")
    size = t.op(f"arith.index_cast {n64} : i64 to index")
    count = t.op(f"arith.index_cast {k64} : i64 to index")
    perm = fe.alloc([size], "i64")
    t.nest([size], lambda ivs: fe.store(fe.to_i64(ivs[0]), perm, ivs))

    def step(i, _):
        i64 = fe.to_i64(i)
        s = t.op(f"arith.subi {n64}, {i64} : i64")
        u = bounded_draw(fe, seed.name, counter.name, i64, s)
        j = t.op(f"arith.index_cast {t.op(f'arith.addi {i64}, {u} : i64')} : i64 to index")
        vi, vj = fe.load(perm, [i]), fe.load(perm, [j])
        fe.store(vj, perm, [i])
        fe.store(vi, perm, [j])

    t.for_(t.index(0), count, step)
    out = fe.alloc([count], "i64", op.results[0].hint)
    fe.copy_into(out, perm, [count])
    return out
