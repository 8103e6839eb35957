"""The executable semantics of every IR op, in a few lines of NumPy each.

This file is the spec: every other backend is tested against it. Values are NumPy arrays or
NumPy scalars of the op's result dtype. Nothing here mutates an operand (`setindex` copies).
`loop` and `call` have regions or callees and live in the interpreter.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from optc.errors import OptcError
from optc.ir.core import Op
from optc.ir.ops import SOLVE_MISMATCH, SOLVE_NOT_SQUARE, SOLVE_SINGULAR
from optc.ir.types import NUMPY_NAMES

RULES: dict[str, Callable] = {}
INTERPRETER_OPS = {"loop", "call"}  # evaluated by interpreter.py, not by a rule here


def rule(opcode: str):
    """Register the NumPy implementation of `opcode`: fn(op, *operand_values) -> value."""

    def register(fn):
        RULES[opcode] = fn
        return fn

    return register


def np_dtype(dtype: str) -> np.dtype:
    """The NumPy dtype of an IR dtype."""
    return np.dtype(NUMPY_NAMES[dtype])


def _result(op: Op, value):
    """`value` as the op's result dtype (NumPy scalars stay scalars)."""
    dt = np_dtype(op.results[0].type.dtype)
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return value if value.dtype == dt else value.astype(dt)
    return dt.type(value)


def _elementwise(opcode: str, fn: Callable) -> None:
    RULES[opcode] = lambda op, *xs: _result(op, fn(*xs))


for _opcode, _fn in {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
    "mod": np.mod, "minimum": np.minimum, "maximum": np.maximum,
    "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "eq": np.equal, "ne": np.not_equal, "and": np.logical_and, "or": np.logical_or,
    "not": np.logical_not, "neg": np.negative, "abs": np.abs, "sign": np.sign,
    "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1,
    "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "floor": np.floor, "round": np.rint,
}.items():
    _elementwise(_opcode, _fn)

# 1/sqrt(x), computed as a division so it is correctly rounded like the other backends' reference.
_elementwise("rsqrt", lambda x: 1 / np.sqrt(x))
def _sigmoid(x):
    """1 / (1 + exp(-x)) with one exponential that never overflows: e = exp(-|x|), then
    1 / (1 + e) for x >= 0 and e / (1 + e) below (subnormal, not 0, down to about -745)."""
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    return np.where(x >= 0, r, e * r)


_elementwise("sigmoid", _sigmoid)


# ---------------------------------------------------------------- run-time errors


def run_time_error(op: Op, detail: str) -> OptcError:
    """The error of `op` failing at run time, worded the same on every backend and pointing at
    the op's source: a `check` (a `require`) says its own message; other ops say which op failed
    (`indexing failed at run time: index 4 is out of range …`)."""
    if op.opcode == "check":
        return OptcError(detail, op.loc)
    what = {"index": "indexing", "setindex": "an indexed update"}.get(op.opcode, f"`{op.opcode}`")
    return OptcError(f"{what} failed at run time: {detail}", op.loc)


def format_template(text: str) -> str:
    """`text` as a `str.format` template that formats back to itself: the compiled backends
    fill `{0}`, `{1}` … of their error messages with run-time values, and a `require`'s message
    may hold braces of its own."""
    return text.replace("{", "{{").replace("}", "}}")


@rule("check")
def _check(op, ok):
    """`require`: stop with the user's message when the condition is false."""
    if not ok:
        raise ValueError(op.attrs["message"])


@rule("cast")
def _cast(op, x):
    return _result(op, np.asarray(x).astype(np_dtype(op.attrs["dtype"])))


@rule("select")
def _select(op, c, a, b):
    return _result(op, np.where(c, a, b))


@rule("const")
def _const(op):
    return np_dtype(op.attrs["dtype"]).type(op.attrs["value"])


# ---------------------------------------------------------------- reductions


def _reduction(opcode: str, fn: Callable) -> None:
    RULES[opcode] = lambda op, x: _result(op, fn(np.asarray(x), axis=op.attrs.get("axis")))


_reduction("reduce_sum", np.sum)
_reduction("reduce_max", np.max)
_reduction("reduce_min", np.min)
_reduction("argmax", np.argmax)
_reduction("argmin", np.argmin)


@rule("logsumexp")
def _logsumexp(op, x):
    x = np.asarray(x)
    axis = op.attrs.get("axis")
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # all -inf (or +inf) along the axis: no shift
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return _result(op, np.squeeze(out, axis=axis) if axis is not None else out.reshape(()))


# ---------------------------------------------------------------- linear algebra

RULES["matvec"] = lambda op, a, x: _result(op, a @ x)
RULES["vecmat"] = lambda op, x, a: _result(op, x @ a)
RULES["matmul"] = lambda op, a, b: _result(op, a @ b)
RULES["dot"] = lambda op, x, y: _result(op, np.dot(x, y))
RULES["outer"] = lambda op, x, y: _result(op, np.outer(x, y))
RULES["transpose"] = lambda op, a: np.asarray(a).T


@rule("solve")
def _solve(op, a, b):
    """LU with partial pivoting (LAPACK getrf, then getrs), the routines the llvm and mlir
    backends call. Singular means getrf met an exact zero pivot (info > 0); conditioning is not
    judged."""
    from scipy.linalg import lapack

    a, b = np.asarray(a), np.asarray(b)
    n = a.shape[0]
    if a.shape[1] != n:
        raise ValueError(SOLVE_NOT_SQUARE.format(*a.shape))
    if b.shape[0] != n:
        raise ValueError(SOLVE_MISMATCH.format(b.shape[0], n))
    if n == 0:
        return _result(op, np.zeros(b.shape))
    getrf, getrs = lapack.get_lapack_funcs(("getrf", "getrs"), (a,))
    lu, piv, info = getrf(a)
    if info > 0:
        raise ValueError(SOLVE_SINGULAR.format(info - 1))
    x, info = getrs(lu, piv, b)
    return _result(op, x)


# ---------------------------------------------------------------- indexing


def index_tuple(spec: str, indices) -> tuple:
    """The NumPy index for an index spec (`i`, `:`, `s` per axis) and its index operands."""
    out, k = [], 0
    for c in spec:
        if c == ":":
            out.append(slice(None))
        elif c == "i":
            out.append(int(indices[k]))
            k += 1
        else:
            out.append(slice(int(indices[k]), int(indices[k + 1])))
            k += 2
    return tuple(out)


def check_bounds(x, spec: str, indices) -> None:
    """An index must lie in [-n, n); a slice `lo:hi` must satisfy 0 <= lo <= hi <= n.

    NumPy would clip a slice silently, but the slice's IR type says it has `hi - lo` elements,
    so a slice beyond the axis is an error like an index beyond it."""
    k = 0
    for axis, c in enumerate(spec):
        n = np.shape(x)[axis]
        if c == "i":
            i = int(indices[k])
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of range for axis {axis} of length {n}")
            k += 1
        elif c == "s":
            lo, hi = int(indices[k]), int(indices[k + 1])
            if not 0 <= lo <= hi <= n:
                raise IndexError(f"slice {lo}:{hi} is out of range for axis {axis} of length {n}")
            k += 2


@rule("index")
def _index(op, x, *indices):
    check_bounds(x, op.attrs["spec"], indices)
    return _result(op, np.asarray(x)[index_tuple(op.attrs["spec"], indices)])


@rule("setindex")
def _setindex(op, x, v, *indices):
    check_bounds(x, op.attrs["spec"], indices)
    y = np.array(x, copy=True)
    y[index_tuple(op.attrs["spec"], indices)] = v
    return y


# ---------------------------------------------------------------- constructors and shapes


@rule("full")
def _full(op, value, *dims):
    shape = tuple(int(d) for d in dims)
    if any(d < 0 for d in shape):
        raise ValueError(f"negative dimension in {shape}")
    return np.full(shape, value, dtype=np_dtype(op.results[0].type.dtype))


@rule("full_like")
def _full_like(op, like, value):
    return _result(op, np.full(np.shape(like), value, dtype=np_dtype(op.results[0].type.dtype)))


@rule("eye")
def _eye(op, n):
    return np.eye(int(n), dtype=np_dtype(op.attrs["dtype"]))


RULES["dimsize"] = lambda op, x: np.int64(np.shape(x)[op.attrs["axis"]])
RULES["numel"] = lambda op, x: np.int64(np.size(x))

# ---------------------------------------------------------------- random numbers
#
# Counter-based: element i of the flattened result is Philox-4x32-10 (Salmon et al., SC'11;
# Random123) of the counter words (i mod 2^32, counter mod 2^32, counter >> 32 mod 2^32, i >> 32)
# under the key (seed mod 2^32, seed >> 32 mod 2^32) (ints as 64-bit two's complement). From its
# output words w0..w3:
#   uniform f32: (w0 >> 8) * 2^-24                     in [0, 1)
#   uniform f64: (((w1 << 32) | w0) >> 11) * 2^-53     in [0, 1)
#   normal:      a = ((((w1 << 32) | w0) >> 11) + 1) * 2^-53 in (0, 1],
#                b = (((w3 << 32) | w2) >> 11) * 2^-53 in [0, 1),
#                sqrt(-2 log a) * cos(2 pi b), in f64 (then rounded to f32 for f32);
#   rademacher:  1 - 2 (w0 >> 31)                      in {-1, +1}.
# `log` and `cos` are the C library's (`math`), as the LLVM backend calls them, so the numbers
# are the same bit for bit.

PHILOX_M = (0xD2511F53, 0xCD9E8D57)
PHILOX_W = (0x9E3779B9, 0xBB67AE85)
PHILOX_ROUNDS = 10
_MASK32 = np.uint64(0xFFFFFFFF)
TWO_PI = 6.283185307179586


def philox4x32(counter: tuple, key: tuple, rounds: int = PHILOX_ROUNDS) -> tuple:
    """Philox-4x32 of counter words (arrays or ints < 2^32) under a key (two ints < 2^32):
    four uint64 arrays holding the 32-bit output words."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) & _MASK32 for c in counter)
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    m0, m1 = np.uint64(PHILOX_M[0]), np.uint64(PHILOX_M[1])
    for r in range(rounds):
        p0, p1 = m0 * c0, m1 * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & _MASK32,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & _MASK32)
        k0, k1 = (k0 + PHILOX_W[0]) & 0xFFFFFFFF, (k1 + PHILOX_W[1]) & 0xFFFFFFFF
    return c0, c1, c2, c3


def random_numbers(dist: str, dtype: str, seed: int, counter: int, n: int) -> np.ndarray:
    """The n first numbers of the stream (seed, counter) of a distribution, as a flat array."""
    seed, counter = int(seed) & 0xFFFFFFFFFFFFFFFF, int(counter) & 0xFFFFFFFFFFFFFFFF
    i = np.arange(n, dtype=np.uint64)
    w0, w1, w2, w3 = philox4x32(
        (i & _MASK32, counter & 0xFFFFFFFF, counter >> 32, i >> np.uint64(32)),
        (seed & 0xFFFFFFFF, seed >> 32),
    )
    dt = np_dtype(dtype)
    if dist == "rademacher":
        return (1 - 2 * (w0 >> np.uint64(31)).astype(np.int64)).astype(dt)
    hi = ((w1 << np.uint64(32)) | w0) >> np.uint64(11)
    if dist == "uniform":
        if dtype == "f32":
            return (w0 >> np.uint64(8)).astype(np.float32) * np.float32(2.0**-24)
        return hi.astype(np.float64) * 2.0**-53
    a = (hi + np.uint64(1)).astype(np.float64) * 2.0**-53
    b = (((w3 << np.uint64(32)) | w2) >> np.uint64(11)).astype(np.float64) * 2.0**-53 * TWO_PI
    log_a = np.fromiter(map(math.log, a.tolist()), np.float64, n)
    cos_b = np.fromiter(map(math.cos, b.tolist()), np.float64, n)
    return (np.sqrt(-2.0 * log_a) * cos_b).astype(dt)


@rule("random")
def _random(op, seed, counter, *dims):
    shape = tuple(int(d) for d in dims)
    if any(d < 0 for d in shape):
        raise ValueError(f"negative dimension in {shape}")
    n = math.prod(shape)
    return random_numbers(op.attrs["dist"], op.attrs["dtype"], seed, counter, n).reshape(shape)


@rule("random_like")
def _random_like(op, like, seed, counter):
    shape = np.shape(like)
    values = random_numbers(op.attrs["dist"], op.attrs["dtype"], seed, counter, math.prod(shape))
    return values.reshape(shape) if shape else values[0]


# ---------------------------------------------------------------- random permutations and subsets
#
# random_subset(seed, counter, n, k) is the first k steps of a forward Fisher-Yates shuffle of
# 0..n-1: step i swaps positions i and i + u, u uniform in [0, s), s = n - i, by Lemire's
# nearly-divisionless method on 32-bit words. Attempt a = 0, 1, ... of step i takes w0, the first
# output word of element 2^63 + a 2^32 + i of the stream (seed, counter) (Philox counter words
# (i, counter mod 2^32, counter >> 32 mod 2^32, 2^31 + a): far from every `random` element),
# forms p = w0 s (64-bit) and accepts when p mod 2^32 >= (2^32 - s) mod s; then u = p >> 32.
# Every u in [0, s) has exactly floor(2^32 / s) accepted words, so the result is uniform over
# the n! / (n - k)! ordered k-subsets; k = n is a uniform permutation (randperm), and a subset is
# a prefix of the permutation of the same stream.

SUBSET_TAG = 0x80000000  # the fourth Philox counter word of attempt 0
MAX_SUBSET_N = 2**32


def subset_words(seed: int, counter: int, steps, attempt: int):
    """w0 of attempt `attempt` of the Fisher-Yates steps `steps` (ints < 2^32), as uint64."""
    seed, counter = int(seed) & 0xFFFFFFFFFFFFFFFF, int(counter) & 0xFFFFFFFFFFFFFFFF
    w0, _, _, _ = philox4x32(
        (steps, counter & 0xFFFFFFFF, counter >> 32, SUBSET_TAG + attempt),
        (seed & 0xFFFFFFFF, seed >> 32),
    )
    return w0


def random_subset(seed: int, counter: int, n: int, k: int) -> np.ndarray:
    """k distinct ints of 0..n-1 (int64), uniform over ordered k-subsets; see the comment above."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"cannot choose k = {k} distinct indices of 0..n-1 for n = {n}")
    if n > MAX_SUBSET_N:
        raise ValueError(f"random_subset needs n <= 2^32, got n = {n}")
    perm = np.arange(n, dtype=np.int64)
    first = subset_words(seed, counter, np.arange(k, dtype=np.uint64), 0).tolist()
    for i in range(k):
        s, w, a = n - i, first[i], 0
        threshold = (2**32 - s) % s
        while (w * s) & 0xFFFFFFFF < threshold:
            a += 1
            w = int(subset_words(seed, counter, i, a))
        j = i + ((w * s) >> 32)
        perm[i], perm[j] = perm[j], perm[i]
    return perm[:k].copy()


@rule("random_subset")
def _random_subset(op, seed, counter, n, k):
    return random_subset(int(seed), int(counter), int(n), int(k))
