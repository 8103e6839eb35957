"""The builtin functions of the language and how each lowers to IR ops.

Each builtin is declared once with its arity, accepted keywords and a lowering function
`(lowerer, call, args, kwargs) -> Value`. Elementwise math promotes ints to the working real
type; reductions take `axis=`; `min`/`max` reduce with one argument and compare elementwise
with two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from optc.dsl import ast
from optc.errors import OptcError
from optc.ir.core import Value
from optc.ir.types import FLOAT_DTYPES


@dataclass(frozen=True)
class Builtin:
    """A builtin function: positional arity range, keywords, lowering rule and a one-line doc."""

    name: str
    min_args: int
    max_args: int | None
    keywords: tuple[str, ...]
    lower: Callable
    doc: str


BUILTINS: dict[str, Builtin] = {}
CONSTANTS = {"inf": float("inf"), "nan": float("nan"), "pi": 3.141592653589793,
             "epsilon": None}  # the working real type's machine epsilon: see constant_value
_EPSILON = {"f32": 2.0**-23, "f64": 2.0**-52}


def constant_value(name: str, real: str) -> float:
    """The value of a named constant when the working real type is `real` ('f32' or 'f64')."""
    return _EPSILON[real] if name == "epsilon" else CONSTANTS[name]


def _builtin(name: str, min_args: int, max_args: int | None, doc: str, keywords: tuple[str, ...] = ()):
    def register(fn):
        BUILTINS[name] = Builtin(name, min_args, max_args, keywords, fn, doc)
        return fn

    return register


def _axis(lw, call: ast.Call, kwargs: dict) -> int | None:
    node = kwargs.get("axis")
    if node is None:
        return None
    value = lw.static_int(node)
    if value is None:
        raise OptcError("axis= must be an integer literal", node.span)
    return value


def _float(lw, v: Value, span) -> Value:
    return v if v.type.dtype in FLOAT_DTYPES else lw.b.cast(v, lw.real, span)


# ---------------------------------------------------------------- elementwise math

_UNARY_FLOAT = {
    "sqrt": "square root",
    "rsqrt": "1 / sqrt(x)",
    "exp": "exponential",
    "log": "natural logarithm",
    "log1p": "log(1 + x)",
    "expm1": "exp(x) - 1",
    "sigmoid": "logistic function 1 / (1 + exp(-x))",
    "tanh": "hyperbolic tangent",
    "sin": "sine",
    "cos": "cosine",
    "floor": "round down",
    "round": "round half to even",
}


def _make_unary_float(opcode: str):
    def lower(lw, call, args, kwargs):
        x = _float(lw, lw.numeric(args[0], call.args[0].span), call.span)
        return lw.b.emit(opcode, (x,), loc=call.span)

    return lower


for _name, _doc in _UNARY_FLOAT.items():
    _builtin(_name, 1, 1, _doc)(_make_unary_float(_name))


@_builtin("abs", 1, 1, "absolute value")
def _abs(lw, call, args, kwargs):
    return lw.b.emit("abs", (lw.numeric(args[0], call.args[0].span),), loc=call.span)


@_builtin("sign", 1, 1, "sign: -1, 0 or 1")
def _sign(lw, call, args, kwargs):
    return lw.b.emit("sign", (lw.numeric(args[0], call.args[0].span),), loc=call.span)


@_builtin("clip", 3, 3, "clip(x, lo, hi) = min(max(x, lo), hi)")
def _clip(lw, call, args, kwargs):
    lo = lw.binary("maximum", args[0], args[1], call.span)
    return lw.binary("minimum", lo, args[2], call.span)


@_builtin("where", 3, 3, "where(cond, a, b): a where cond holds, else b")
def _where(lw, call, args, kwargs):
    cond, a, b = args
    if cond.type.dtype != "bool":
        raise OptcError(f"the condition of where(...) must be a comparison (bool), not {cond.type}", call.args[0].span)
    a, b = lw.promote(a, b, call.span)
    return lw.b.emit("select", (cond, a, b), loc=call.span)


def _min_max(kind: str):
    def lower(lw, call, args, kwargs):
        if len(args) == 2:
            if "axis" in kwargs:
                raise OptcError(f"{kind}(a, b) compares elementwise and takes no axis=", kwargs["axis"].span)
            return lw.binary("minimum" if kind == "min" else "maximum", args[0], args[1], call.span)
        x = lw.numeric(args[0], call.args[0].span)
        return lw.b.emit(f"reduce_{kind}", (x,), {"axis": _axis(lw, call, kwargs)}, call.span)

    return lower


_builtin("min", 1, 2, "min(x[, axis=]) reduces; min(a, b) is elementwise", ("axis",))(_min_max("min"))
_builtin("max", 1, 2, "max(x[, axis=]) reduces; max(a, b) is elementwise", ("axis",))(_min_max("max"))

# ---------------------------------------------------------------- reductions


@_builtin("sum", 1, 1, "sum of the elements (along axis=)", ("axis",))
def _sum(lw, call, args, kwargs):
    x = lw.numeric(args[0], call.args[0].span)
    return lw.b.emit("reduce_sum", (x,), {"axis": _axis(lw, call, kwargs)}, call.span)


def _count(lw, x: Value, axis: int | None, span) -> Value:
    if axis is None:
        n = lw.b.emit("numel", (x,), loc=span)
    else:
        n = lw.b.emit("dimsize", (x,), {"axis": axis}, span)
    return n


@_builtin("mean", 1, 1, "arithmetic mean (along axis=)", ("axis",))
def _mean(lw, call, args, kwargs):
    x = _float(lw, lw.numeric(args[0], call.args[0].span), call.span)
    axis = _axis(lw, call, kwargs)
    total = lw.b.emit("reduce_sum", (x,), {"axis": axis}, call.span)
    return lw.binary("div", total, _count(lw, x, axis, call.span), call.span)


@_builtin("norm", 1, 1, "Euclidean norm (Frobenius for matrices; along axis=)", ("axis",))
def _norm(lw, call, args, kwargs):
    x = _float(lw, lw.numeric(args[0], call.args[0].span), call.span)
    sq = lw.b.emit("mul", (x, x), loc=call.span)
    total = lw.b.emit("reduce_sum", (sq,), {"axis": _axis(lw, call, kwargs)}, call.span)
    return lw.b.emit("sqrt", (total,), loc=call.span)


@_builtin("norm1", 1, 1, "sum of absolute values (along axis=)", ("axis",))
def _norm1(lw, call, args, kwargs):
    x = lw.numeric(args[0], call.args[0].span)
    a = lw.b.emit("abs", (x,), loc=call.span)
    return lw.b.emit("reduce_sum", (a,), {"axis": _axis(lw, call, kwargs)}, call.span)


@_builtin("norminf", 1, 1, "largest absolute value (along axis=)", ("axis",))
def _norminf(lw, call, args, kwargs):
    x = lw.numeric(args[0], call.args[0].span)
    a = lw.b.emit("abs", (x,), loc=call.span)
    return lw.b.emit("reduce_max", (a,), {"axis": _axis(lw, call, kwargs)}, call.span)


@_builtin("dot", 2, 2, "inner product of two vectors")
def _dot(lw, call, args, kwargs):
    x, y = lw.promote(lw.numeric(args[0], call.span), lw.numeric(args[1], call.span), call.span)
    x, y = _float(lw, x, call.span), _float(lw, y, call.span)
    if x.type.rank != 1 or y.type.rank != 1:
        raise OptcError(f"dot(x, y) takes two vectors, got {x.type} and {y.type}", call.span)
    return lw.b.emit("dot", (x, y), loc=call.span)


@_builtin("logsumexp", 1, 1, "log(sum(exp(x))) computed stably (along axis=)", ("axis",))
def _logsumexp(lw, call, args, kwargs):
    x = _float(lw, lw.numeric(args[0], call.args[0].span), call.span)
    return lw.b.emit("logsumexp", (x,), {"axis": _axis(lw, call, kwargs)}, call.span)


def _arg_reduction(opcode: str):
    def lower(lw, call, args, kwargs):
        x = lw.numeric(args[0], call.args[0].span)
        return lw.b.emit(opcode, (x,), {"axis": _axis(lw, call, kwargs)}, call.span)

    return lower


_builtin("argmax", 1, 1, "index of the largest element (flat, or along axis=)", ("axis",))(_arg_reduction("argmax"))
_builtin("argmin", 1, 1, "index of the smallest element (flat, or along axis=)", ("axis",))(_arg_reduction("argmin"))

# ---------------------------------------------------------------- linear algebra


@_builtin("outer", 2, 2, "outer product of two vectors")
def _outer(lw, call, args, kwargs):
    x, y = lw.promote(lw.numeric(args[0], call.span), lw.numeric(args[1], call.span), call.span)
    x, y = _float(lw, x, call.span), _float(lw, y, call.span)
    return lw.b.emit("outer", (x, y), loc=call.span)


@_builtin("solve", 2, 2, "solve(A, b): x with A x = b, for a square A and a vector or matrix b")
def _solve(lw, call, args, kwargs):
    from optc.dsl.lower_expr import user_type  # lower_expr imports this module

    a = lw.numeric(args[0], call.args[0].span)
    b = lw.numeric(args[1], call.args[1].span)
    a, b = lw.promote(a, b, call.span)
    a, b = _float(lw, a, call.span), _float(lw, b, call.span)
    if a.type.rank != 2:
        raise OptcError(f"solve(A, b) needs a matrix A, got {user_type(a.type)}", call.args[0].span)
    if b.type.rank not in (1, 2):
        raise OptcError(f"solve(A, b) needs a vector or matrix b, got {user_type(b.type)}",
                        call.args[1].span)
    return lw.b.emit("solve", (a, b), loc=call.span)


@_builtin("size", 1, 1, "the number of elements of a tensor, as an int")
def _size(lw, call, args, kwargs):
    return lw.b.emit("numel", (args[0],), loc=call.span)


# ---------------------------------------------------------------- constructors


def _full_of(lw, call, dim_nodes, dim_values, value: Value) -> Value:
    shape = tuple(lw.dim_symbol(node) for node in dim_nodes)
    dims = tuple(lw.as_int(v, node.span) for v, node in zip(dim_values, dim_nodes))
    return lw.b.emit("full", (value, *dims), {"shape": shape}, call.span)


def _filled(fill: float):
    def lower(lw, call, args, kwargs):
        return _full_of(lw, call, call.args, args, lw.b.const(fill, lw.real, call.span))

    return lower


_builtin("zeros", 1, None, "zeros(d1, d2, …): a real tensor of zeros")(_filled(0.0))
_builtin("ones", 1, None, "ones(d1, d2, …): a real tensor of ones")(_filled(1.0))


@_builtin("full", 2, None, "full(d1, …, value): a tensor filled with value")
def _full(lw, call, args, kwargs):
    value = args[-1]
    if not value.type.is_scalar:
        raise OptcError("the fill value of full(…) must be a scalar", call.args[-1].span)
    if value.type.dtype == "i64":
        value = lw.b.cast(value, lw.real, call.span)
    return _full_of(lw, call, call.args[:-1], args[:-1], value)


@_builtin("eye", 1, 1, "eye(n): the n×n identity matrix")
def _eye(lw, call, args, kwargs):
    n = lw.as_int(args[0], call.args[0].span)
    sym = lw.dim_symbol(call.args[0])
    return lw.b.emit("eye", (n,), {"dtype": lw.real, "shape": (sym, sym)}, call.span)


def _like(fill: float | None):
    def lower(lw, call, args, kwargs):
        x = args[0]
        if fill is None:
            value = args[1]
            if not value.type.is_scalar:
                raise OptcError("the fill value of full_like(…) must be a scalar", call.args[1].span)
        else:
            value = lw.b.const(fill, x.type.dtype if x.type.dtype in FLOAT_DTYPES else lw.real, call.span)
        if x.type.dtype in FLOAT_DTYPES and value.type.dtype != x.type.dtype:
            value = lw.b.cast(value, x.type.dtype, call.span)
        return lw.b.emit("full_like", (x, value), loc=call.span)

    return lower


_builtin("zeros_like", 1, 1, "zeros shaped like x")(_like(0.0))
_builtin("ones_like", 1, 1, "ones shaped like x")(_like(1.0))
_builtin("full_like", 2, 2, "full_like(x, value): value everywhere, shaped like x")(_like(None))

# ---------------------------------------------------------------- random numbers
# Counter-based (Philox-4x32-10): the numbers are a function of (seed, counter, element index)
# only, the same on every backend, so a perturbation is regenerated rather than stored.


def _stream(lw, call, args, first: int) -> tuple[Value, Value]:
    """The (seed, counter) operands: args[first] and args[first + 1], which must be ints."""
    seed = lw.as_int(args[first], call.args[first].span, "a random seed")
    counter = lw.as_int(args[first + 1], call.args[first + 1].span, "a random counter")
    return seed, counter


def _random(dist: str):
    def lower(lw, call, args, kwargs):
        seed, counter = _stream(lw, call, args, 0)
        nodes = call.args[2:]
        shape = tuple(lw.dim_symbol(node) for node in nodes)
        dims = tuple(lw.as_int(v, node.span) for v, node in zip(args[2:], nodes))
        attrs = {"dist": dist, "dtype": lw.real, "shape": shape}
        return lw.b.emit("random", (seed, counter, *dims), attrs, call.span)

    return lower


def _random_like(dist: str):
    def lower(lw, call, args, kwargs):
        x = args[0]
        seed, counter = _stream(lw, call, args, 1)
        dtype = x.type.dtype if x.type.dtype in FLOAT_DTYPES else lw.real
        return lw.b.emit("random_like", (x, seed, counter), {"dist": dist, "dtype": dtype}, call.span)

    return lower


_builtin("rand", 3, None, "rand(seed, counter, d1, …): uniform numbers in [0, 1)")(_random("uniform"))
_builtin("randn", 3, None, "randn(seed, counter, d1, …): standard normal numbers")(_random("normal"))
_builtin("rademacher", 3, None, "rademacher(seed, counter, d1, …): ±1 with equal probability")(_random("rademacher"))
_builtin("rand_like", 3, 3, "rand_like(x, seed, counter): uniform in [0, 1), shaped like x")(_random_like("uniform"))
_builtin("randn_like", 3, 3, "randn_like(x, seed, counter): standard normal, shaped like x")(_random_like("normal"))
_builtin("rademacher_like", 3, 3, "rademacher_like(x, seed, counter): ±1, shaped like x")(_random_like("rademacher"))



def _random_subset(lw, call, args, n_at: int, k_at: int) -> Value:
    """The random_subset op of args[n_at] and args[k_at]: a negative literal size or literal
    k > n is a compile-time error; other values are checked at run time."""
    seed, counter = _stream(lw, call, args, 0)
    n = lw.as_int(args[n_at], call.args[n_at].span)
    k = lw.as_int(args[k_at], call.args[k_at].span)
    n_lit, k_lit = lw.static_int(call.args[n_at]), lw.static_int(call.args[k_at])
    for lit, at in ((n_lit, n_at), (k_lit, k_at)):
        if lit is not None and lit < 0:
            raise OptcError(f"a size must not be negative, got {lit}", call.args[at].span)
    if n_lit is not None and k_lit is not None and k_lit > n_lit:
        raise OptcError(f"cannot choose {k_lit} distinct indices of {n_lit}", call.args[k_at].span)
    attrs = {"shape": (lw.dim_symbol(call.args[k_at]),)}
    return lw.b.emit("random_subset", (seed, counter, n, k), attrs, call.span)


@_builtin("randperm", 3, 3, "randperm(seed, counter, n): a uniformly random permutation of 0..n-1")
def _randperm(lw, call, args, kwargs):
    return _random_subset(lw, call, args, 2, 2)


@_builtin("random_subset", 4, 4,
          "random_subset(seed, counter, n, k): k distinct ints of 0..n-1, in random order")
def _random_subset_builtin(lw, call, args, kwargs):
    return _random_subset(lw, call, args, 2, 3)
