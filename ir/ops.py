"""The op table: every opcode declared once, with its category and shape rule.

A shape rule takes the operand types and the attributes and returns the result types, or raises
`ShapeError`. Lowering uses the rules to type what it builds (and turns a `ShapeError` into a
diagnostic at the user's span); the verifier re-runs them after every pass. Each backend
registers one implementation per opcode; `tests/test_op_coverage.py` checks that none is missing.

Elementwise binary ops take operands of one dtype (lowering inserts `cast`s) and broadcast like
NumPy. Reductions take `axis` (None = all axes). Indexing ops take a `spec` string with one
character per axis: `i` (an index operand), `:` (the whole axis) or `s` (a slice: two operands).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from optc.ir.types import (
    FLOAT_DTYPES,
    ShapeError,
    TensorType,
    broadcast_shapes,
    scalar,
    unify_dim,
)

Rule = Callable[[list[TensorType], dict], tuple[TensorType, ...]]


@dataclass(frozen=True)
class OpDef:
    """One opcode: its name, category (`elementwise`, `reduction`, `linalg`, `index`,
    `construct`, `control`, `misc`), operand count (None = variadic) and shape rule.
    `effects`: the op must run even though nothing reads its results (it has none): passes
    never remove, merge or hoist it (`has_effects`)."""

    name: str
    category: str
    arity: int | None
    rule: Rule
    doc: str
    effects: bool = False


OPS: dict[str, OpDef] = {}


def _define(name: str, category: str, arity: int | None, rule: Rule, doc: str, effects: bool = False) -> None:
    OPS[name] = OpDef(name, category, arity, rule, doc, effects)


def has_effects(op) -> bool:
    """Whether an op (an `ir.core.Op`) must run for its effect: its opcode has effects, or an op
    inside its regions does (a loop holding a `check`)."""
    return OPS[op.opcode].effects or any(has_effects(inner) for region in op.regions for inner in region.ops)


def infer(opcode: str, operand_types: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    """The result types of `opcode` applied to operands of these types, or ShapeError."""
    opdef = OPS.get(opcode)
    if opdef is None:
        raise ShapeError(f"unknown opcode {opcode!r}")
    if opdef.arity is not None and len(operand_types) != opdef.arity:
        raise ShapeError(f"{opcode} takes {opdef.arity} operands, got {len(operand_types)}")
    return opdef.rule(operand_types, attrs)


# ---------------------------------------------------------------- elementwise


def _same_dtype(ts: list[TensorType], opcode: str) -> str:
    dtypes = {t.dtype for t in ts}
    if len(dtypes) != 1:
        raise ShapeError(f"{opcode} needs operands of one dtype, got {', '.join(sorted(dtypes))}")
    return dtypes.pop()


def _binary(opcode: str, result_dtype: str | None, allowed: tuple[str, ...]):
    def rule(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
        dtype = _same_dtype(ts, opcode)
        if dtype not in allowed:
            raise ShapeError(f"{opcode} does not take operands of dtype {dtype}")
        shape = broadcast_shapes(ts[0].shape, ts[1].shape)
        return (TensorType(result_dtype or dtype, shape),)

    return rule


def _unary(allowed: tuple[str, ...], result_dtype: str | None = None):
    def rule(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
        if ts[0].dtype not in allowed:
            raise ShapeError(f"operand of dtype {ts[0].dtype} is not allowed here")
        return (TensorType(result_dtype or ts[0].dtype, ts[0].shape),)

    return rule


NUMERIC = ("f32", "f64", "i64")
ANY = ("f32", "f64", "i64", "bool")

for _name, _doc in [
    ("add", "x + y"),
    ("sub", "x - y"),
    ("mul", "x * y"),
    ("div", "x / y (floats only; ints are promoted by lowering)"),
    ("pow", "x ^ y"),
    ("mod", "x % y, with the sign of y (NumPy's mod)"),
    ("minimum", "elementwise min(x, y)"),
    ("maximum", "elementwise max(x, y)"),
]:
    _define(_name, "elementwise", 2, _binary(_name, None, NUMERIC if _name != "div" else FLOAT_DTYPES), _doc)

for _name, _doc in [("lt", "x < y"), ("le", "x <= y"), ("gt", "x > y"), ("ge", "x >= y")]:
    _define(_name, "elementwise", 2, _binary(_name, "bool", NUMERIC), _doc)
for _name, _doc in [("eq", "x == y"), ("ne", "x != y")]:
    _define(_name, "elementwise", 2, _binary(_name, "bool", ANY), _doc)
for _name, _doc in [("and", "x and y"), ("or", "x or y")]:
    _define(_name, "elementwise", 2, _binary(_name, "bool", ("bool",)), _doc)

_define("not", "elementwise", 1, _unary(("bool",)), "logical not")
_define("neg", "elementwise", 1, _unary(NUMERIC), "-x")
_define("abs", "elementwise", 1, _unary(NUMERIC), "|x|")
_define("sign", "elementwise", 1, _unary(NUMERIC), "sign(x) in {-1, 0, 1}")
for _name, _doc in [
    ("sqrt", "square root"),
    ("rsqrt", "1 / sqrt(x)"),
    ("exp", "e^x"),
    ("log", "natural logarithm"),
    ("log1p", "log(1 + x), accurate near 0"),
    ("expm1", "e^x - 1, accurate near 0"),
    ("sigmoid", "1 / (1 + e^-x)"),
    ("tanh", "hyperbolic tangent"),
    ("sin", "sine"),
    ("cos", "cosine"),
    ("floor", "round down"),
    ("round", "round half to even (NumPy's rule)"),
]:
    _define(_name, "elementwise", 1, _unary(FLOAT_DTYPES), _doc)


def _cast(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    return (TensorType(attrs["dtype"], ts[0].shape),)


_define("cast", "elementwise", 1, _cast, "convert to attrs.dtype")


def _select(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    cond, a, b = ts
    if cond.dtype != "bool":
        raise ShapeError(f"the condition of where(...) must be bool, not {cond.dtype}")
    dtype = _same_dtype([a, b], "where")
    shape = broadcast_shapes(broadcast_shapes(cond.shape, a.shape), b.shape)
    return (TensorType(dtype, shape),)


_define("select", "elementwise", 3, _select, "where(c, a, b)")

# ---------------------------------------------------------------- reductions


def normalize_axis(axis: int, rank: int) -> int:
    """A non-negative axis, or ShapeError if out of range."""
    if not -rank <= axis < rank:
        raise ShapeError(f"axis {axis} is out of range for a tensor of rank {rank}")
    return axis % rank


def _reduced_shape(t: TensorType, attrs: dict):
    axis = attrs.get("axis")
    if axis is None:
        return ()
    if t.shape is None:
        raise ShapeError("axis= needs a tensor of known rank")
    axis = normalize_axis(axis, len(t.shape))
    return t.shape[:axis] + t.shape[axis + 1 :]


def _reduction(allowed: tuple[str, ...], result_dtype: str | None = None):
    def rule(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
        if ts[0].dtype not in allowed:
            raise ShapeError(f"cannot reduce a tensor of dtype {ts[0].dtype}")
        return (TensorType(result_dtype or ts[0].dtype, _reduced_shape(ts[0], attrs)),)

    return rule


_define("reduce_sum", "reduction", 1, _reduction(NUMERIC), "sum over attrs.axis (None: all)")
_define("reduce_max", "reduction", 1, _reduction(NUMERIC), "max over attrs.axis (None: all)")
_define("reduce_min", "reduction", 1, _reduction(NUMERIC), "min over attrs.axis (None: all)")
_define("logsumexp", "reduction", 1, _reduction(FLOAT_DTYPES), "log(sum(exp(x))) over attrs.axis, stable")
_define("argmax", "reduction", 1, _reduction(NUMERIC, "i64"), "index of the first max (flat if axis None)")
_define("argmin", "reduction", 1, _reduction(NUMERIC, "i64"), "index of the first min (flat if axis None)")

# ---------------------------------------------------------------- linear algebra


def _need_rank(t: TensorType, rank: int, what: str) -> None:
    if t.rank != rank:
        shown = "any shape" if t.shape is None else f"rank {t.rank}"
        raise ShapeError(f"{what} needs a tensor of rank {rank}, got {shown}")


def _linalg(ts: list[TensorType], attrs: dict, opcode: str, ranks, out):
    a, b = ts
    if a.dtype not in FLOAT_DTYPES:
        raise ShapeError(f"{opcode} needs float operands, got {a.dtype}")
    _same_dtype(ts, opcode)
    _need_rank(a, ranks[0], f"{opcode}'s first operand")
    _need_rank(b, ranks[1], f"{opcode}'s second operand")
    return (TensorType(a.dtype, out(a.shape, b.shape)),)


def _inner(x, y, what):
    try:
        return unify_dim(x, y)
    except ShapeError:
        raise ShapeError(f"{what}: inner dimensions {x} and {y} differ") from None


def _matvec_shape(a, b):
    _inner(a[1], b[0], "A @ x")
    return (a[0],)


def _vecmat_shape(a, b):
    _inner(a[0], b[0], "x @ A")
    return (b[1],)


def _matmul_shape(a, b):
    _inner(a[1], b[0], "A @ B")
    return (a[0], b[1])


def _dot_shape(a, b):
    _inner(a[0], b[0], "dot(x, y)")
    return ()


for _name, _ranks, _shape, _doc in [
    ("matvec", (2, 1), _matvec_shape, "A[m,n] @ x[n] -> [m]"),
    ("vecmat", (1, 2), _vecmat_shape, "x[m] @ A[m,n] -> [n]"),
    ("matmul", (2, 2), _matmul_shape, "A[m,k] @ B[k,n] -> [m,n]"),
    ("dot", (1, 1), _dot_shape, "x[n] . y[n] -> scalar"),
    ("outer", (1, 1), lambda a, b: (a[0], b[0]), "outer(u[m], v[n]) -> [m,n]"),
]:
    _define(
        _name, "linalg", 2,
        lambda ts, at, _n=_name, _r=_ranks, _s=_shape: _linalg(ts, at, _n, _r, _s),
        _doc,
    )


def _transpose(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    _need_rank(ts[0], 2, "transpose")
    m, n = ts[0].shape
    return (TensorType(ts[0].dtype, (n, m)),)


_define("transpose", "linalg", 1, _transpose, "A[m,n].T -> [n,m]")


def _solve(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    a, b = ts
    if a.dtype not in FLOAT_DTYPES:
        raise ShapeError(f"solve needs real operands, got {a.dtype}")
    _same_dtype(ts, "solve")
    _need_rank(a, 2, "solve's matrix")
    if b.rank not in (1, 2):
        shown = "any shape" if b.shape is None else f"rank {b.rank}"
        raise ShapeError(f"solve's right-hand side needs a tensor of rank 1 or 2, got {shown}")
    try:
        n = unify_dim(a.shape[0], a.shape[1])
    except ShapeError:
        raise ShapeError(f"solve needs a square matrix, got [{a.shape[0]},{a.shape[1]}]") from None
    try:
        n = unify_dim(n, b.shape[0])
    except ShapeError:
        raise ShapeError(f"solve(A, b): A is {n}×{n} but b has {b.shape[0]} rows") from None
    return (TensorType(a.dtype, (n, *b.shape[1:])),)


_define(
    "solve", "linalg", 2, _solve,
    "solve(A[n,n], b[n] or B[n,k]) -> x with A x = b, by LU with partial pivoting (LAPACK "
    "getrf/getrs); an exact zero pivot (getrf's info > 0) is a run-time error",
)

# Run-time errors of `solve`, worded the same on every backend ({0}, {1}: the offending sizes).
SOLVE_NOT_SQUARE = "the matrix is {0}×{1}, not square"
SOLVE_MISMATCH = "the right-hand side has {0} rows for a matrix of size {1}"
SOLVE_SINGULAR = "the matrix is singular (zero pivot at row {0})"

# ---------------------------------------------------------------- indexing


def slice_dim(dim, lo, hi):
    """The symbolic length of `x[lo:hi]` on an axis of length `dim` (lo/hi: int, str or None)."""
    lo = 0 if lo is None else lo
    hi = dim if hi is None else hi
    if isinstance(lo, int) and isinstance(hi, int):
        return max(0, hi - lo)
    if lo == 0:
        return hi
    return f"{hi}-{lo}" if isinstance(hi, str) and isinstance(lo, (int, str)) else "?"


def _indexed_shape(t: TensorType, attrs: dict, n_index_operands: int):
    spec = attrs["spec"]
    if t.shape is None:
        raise ShapeError("indexing needs a tensor of known rank")
    if len(spec) != len(t.shape):
        raise ShapeError(f"{len(spec)} indices for a tensor of rank {len(t.shape)}")
    expected = spec.count("i") + 2 * spec.count("s")
    if expected != n_index_operands:
        raise ShapeError(f"index spec {spec!r} needs {expected} index operands, got {n_index_operands}")
    bounds = attrs.get("bounds", ())
    out = []
    k = 0
    for axis, c in enumerate(spec):
        if c == ":":
            out.append(t.shape[axis])
        elif c == "s":
            lo, hi = bounds[k] if k < len(bounds) else (None, None)
            k += 1
            out.append(slice_dim(t.shape[axis], lo, hi))
    return tuple(out)


def _check_indices(ts: list[TensorType]) -> None:
    for t in ts:
        if t.dtype != "i64" or not t.is_scalar:
            raise ShapeError(f"an index must be an int scalar, got {t}")


def _index(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    _check_indices(ts[1:])
    return (TensorType(ts[0].dtype, _indexed_shape(ts[0], attrs, len(ts) - 1)),)


def _setindex(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    x, v = ts[0], ts[1]
    _check_indices(ts[2:])
    target = _indexed_shape(x, attrs, len(ts) - 2)
    if v.dtype != x.dtype:
        raise ShapeError(f"cannot store a {v.dtype} value into a {x.dtype} tensor")
    if broadcast_shapes(v.shape, target) != target:
        raise ShapeError(f"a value of shape [{','.join(map(str, v.shape))}] does not fit the indexed part")
    return (x,)


_define("index", "index", None, _index, "x[spec] -> the selected part (attrs.spec, attrs.bounds)")
_define("setindex", "index", None, _setindex, "x with x[spec] = v (operands: x, v, indices)")

# ---------------------------------------------------------------- constructors and shapes


def _check_dim_operands(ts: list[TensorType]) -> None:
    for t in ts:
        if t.dtype != "i64" or not t.is_scalar:
            raise ShapeError(f"a dimension must be an int scalar, got {t}")


def _full(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    value, dims = ts[0], ts[1:]
    if not value.is_scalar:
        raise ShapeError("the fill value must be a scalar")
    _check_dim_operands(dims)
    shape = tuple(attrs["shape"])
    if len(shape) != len(dims):
        raise ShapeError(f"full: attrs.shape has {len(shape)} dims for {len(dims)} operands")
    return (TensorType(value.dtype, shape),)


def _full_like(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    like, value = ts
    if not value.is_scalar:
        raise ShapeError("the fill value must be a scalar")
    return (TensorType(value.dtype, like.shape),)


def _eye(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    _check_dim_operands(ts)
    n = attrs["shape"][0]
    return (TensorType(attrs["dtype"], (n, n)),)


def _const(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    return (scalar(attrs["dtype"]),)


def _dimsize(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    if ts[0].shape is not None:
        normalize_axis(attrs["axis"], len(ts[0].shape))
    return (scalar("i64"),)


RANDOM_DISTS = ("uniform", "normal", "rademacher")


def _check_random(ts: list[TensorType], attrs: dict) -> None:
    for t, what in zip(ts, ("seed", "counter")):
        if t.dtype != "i64" or not t.is_scalar:
            raise ShapeError(f"a random {what} must be an int scalar, got {t}")
    if attrs.get("dist") not in RANDOM_DISTS:
        raise ShapeError(f"unknown distribution {attrs.get('dist')!r}")
    if attrs.get("dtype") not in FLOAT_DTYPES:
        raise ShapeError(f"random numbers are real, not {attrs.get('dtype')}")


def _random(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    if len(ts) < 2:
        raise ShapeError("random takes a seed, a counter and the dimensions")
    _check_random(ts[:2], attrs)
    _check_dim_operands(ts[2:])
    shape = tuple(attrs["shape"])
    if len(shape) != len(ts) - 2:
        raise ShapeError(f"random: attrs.shape has {len(shape)} dims for {len(ts) - 2} operands")
    return (TensorType(attrs["dtype"], shape),)


def _random_like(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    _check_random(ts[1:], attrs)
    return (TensorType(attrs["dtype"], ts[0].shape),)


def _random_subset(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    for t, what in zip(ts, ("seed", "counter")):
        if t.dtype != "i64" or not t.is_scalar:
            raise ShapeError(f"a random {what} must be an int scalar, got {t}")
    _check_dim_operands(ts[2:])
    return (TensorType("i64", (attrs["shape"][0],)),)


_define("const", "construct", 0, _const, "a scalar constant attrs.value of attrs.dtype")
_define("full", "construct", None, _full, "full(value, *dims) of symbolic attrs.shape")
_define("full_like", "construct", 2, _full_like, "a tensor shaped like x filled with value")
_define("eye", "construct", 1, _eye, "the identity matrix of size n (attrs.dtype, attrs.shape)")
_define(
    "random", "construct", None, _random,
    "random(seed, counter, *dims): Philox-4x32-10 numbers of attrs.dist (uniform, normal, "
    "rademacher), attrs.dtype and symbolic attrs.shape; element i of the flattened result is a "
    "function of (seed, counter, i) only",
)
_define(
    "random_like", "construct", 3, _random_like,
    "random_like(x, seed, counter): like `random`, shaped like x (attrs.dist, attrs.dtype)",
)
_define(
    "random_subset", "construct", 4, _random_subset,
    "random_subset(seed, counter, n, k): k distinct ints of 0..n-1, uniform over ordered "
    "k-subsets (k = n: a random permutation; attrs.shape = (k,)). The first k steps of a forward "
    "Fisher-Yates shuffle of 0..n-1: step i swaps positions i and i + u, u uniform in [0, n - i) "
    "by Lemire's method on 32-bit Philox words: with s = n - i and w0 the first output word of "
    "element 2^63 + (a << 32) + i of the stream (seed, counter), attempt a = 0, 1, ... computes "
    "p = w0 * s (64-bit) and is accepted when (p mod 2^32) >= (2^32 - s) mod s; then u = p >> 32. "
    "Needs 0 <= k <= n <= 2^32",
)
_define("dimsize", "misc", 1, _dimsize, "the length of x along attrs.axis, as an int")
_define("numel", "misc", 1, lambda ts, at: (scalar("i64"),), "the number of elements of x")

# ---------------------------------------------------------------- control


def _loop(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    lo, hi, *carried = ts
    _check_dim_operands([lo, hi])
    traces = tuple(TensorType(dt, ("?",)) for dt in attrs.get("trace_dtypes", ()))
    return (*carried, scalar("i64"), scalar("bool"), *traces)


_define(
    "loop", "control", None, _loop,
    "for k in lo..hi [until cond]: operands (lo, hi, carried...); the region's arguments are "
    "(k, carried...) and it yields (next carried..., [cond if attrs.until], traces...). Results: "
    "(final carried..., iterations, converged, one array per trace)",
)


def _call(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    return tuple(attrs["result_types"])


_define("call", "control", None, _call, "call of the fn attrs.callee (removed by the inline pass)")


def _check(ts: list[TensorType], attrs: dict) -> tuple[TensorType, ...]:
    if ts[0].dtype != "bool" or not ts[0].is_scalar:
        raise ShapeError(f"a check needs a bool scalar, got {ts[0]}")
    if not isinstance(attrs.get("message"), str):
        raise ShapeError("a check needs a message (attrs.message)")
    return ()


_define(
    "check", "control", 1, _check,
    "check(cond): a `require`; when cond is false the program stops with the run-time error "
    "attrs.message at the op's location. No results; it has effects, so no pass removes, merges "
    "or hoists it",
    effects=True,
)
