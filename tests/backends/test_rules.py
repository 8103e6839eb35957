"""Each NumPy rule (`backends/numpy/rules.py`) against plain NumPy: values, result dtypes (float32
stays float32), and the numerically delicate cases (logsumexp with -inf, sigmoid for large |x|)."""

from __future__ import annotations

import numpy as np
import pytest
from optc.backends.numpy.rules import RULES
from optc.ir.builder import Builder
from optc.ir.core import Value
from optc.ir.types import TensorType

DTYPE_NAMES = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.int64): "i64",
    np.dtype(bool): "bool",
}


def ir_type(value) -> TensorType:
    arr = np.asarray(value)
    return TensorType(DTYPE_NAMES[arr.dtype], tuple(arr.shape))


def apply(opcode: str, *values, **attrs):
    """Type an op on operands like `values` with the op table, run its NumPy rule on them."""
    op = Builder().emit_op(opcode, [Value(ir_type(v)) for v in values], attrs)
    result = RULES[opcode](op, *values)
    expected_dtype = np.dtype(
        {"f32": np.float32, "f64": np.float64, "i64": np.int64, "bool": bool}[
            op.results[0].type.dtype
        ]
    )
    assert np.asarray(result).dtype == expected_dtype, (
        f"{opcode} gave {np.asarray(result).dtype}, op says {expected_dtype}"
    )
    assert np.shape(result) == tuple(op.results[0].type.shape), (
        f"{opcode}: shape differs from the op table's"
    )
    return result


FLOATS = [np.float32, np.float64]
RNG = np.random.default_rng(0)
X = RNG.uniform(0.1, 3.0, size=(3, 4))
Y = RNG.uniform(-2.0, 2.0, size=(3, 4))
V = RNG.uniform(-2.0, 2.0, size=4)


def close(actual, expected, dtype):
    rtol = 2e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol)


# ---------------------------------------------------------------- elementwise


UNARY = {
    "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "sin": np.sin,
    "cos": np.cos,
    "floor": np.floor,
    "round": np.round,
    "neg": np.negative,
    "abs": np.abs,
    "sign": np.sign,
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("opcode", sorted(UNARY))
def test_unary_rules(opcode, dtype):
    for x in (X.astype(dtype), Y[0].astype(dtype), dtype(0.7)):
        # Y holds negative numbers: out of the domain of sqrt and log, NaN on both sides
        with np.errstate(invalid="ignore", divide="ignore"):
            close(apply(opcode, x), UNARY[opcode](np.asarray(x, np.float64)), dtype)


@pytest.mark.parametrize("opcode", ["neg", "abs", "sign"])
def test_integer_unary_rules(opcode):
    x = np.array([-3, 0, 5], dtype=np.int64)
    np.testing.assert_array_equal(apply(opcode, x), UNARY[opcode](x))


def test_round_is_half_to_even_and_floor_rounds_down():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.7])
    np.testing.assert_array_equal(apply("round", x), [0.0, 2.0, 2.0, -0.0, -2.0, -3.0])
    np.testing.assert_array_equal(apply("floor", x), [0.0, 1.0, 2.0, -1.0, -2.0, -3.0])


BINARY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "pow": np.power,
    "mod": np.mod,
    "minimum": np.minimum,
    "maximum": np.maximum,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
    "eq": np.equal,
    "ne": np.not_equal,
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("opcode", sorted(BINARY))
def test_binary_rules_broadcast_like_numpy(opcode, dtype):
    a, b = X.astype(dtype), Y.astype(dtype)
    pairs = [
        (a, b),
        (a, b[0]),
        (b[:, :1], a[0]),
        (a, dtype(1.5)),
        (dtype(2.0), b),
        (dtype(2.0), dtype(3.0)),
    ]
    for x, y in pairs:
        with np.errstate(invalid="ignore"):  # a negative number to a fractional power is NaN
            expected = BINARY[opcode](np.asarray(x, np.float64), np.asarray(y, np.float64))
            close(apply(opcode, x, y), expected, dtype)


@pytest.mark.parametrize(
    "opcode", ["add", "sub", "mul", "pow", "mod", "minimum", "maximum", "lt", "eq"]
)
def test_integer_binary_rules(opcode):
    x = np.array([-7, 0, 3, 9], dtype=np.int64)
    y = (
        np.array([2, 3, -2, 2], dtype=np.int64)
        if opcode != "pow"
        else np.array([2, 3, 0, 1], dtype=np.int64)
    )
    np.testing.assert_array_equal(apply(opcode, x, y), BINARY[opcode](x, y))


def test_mod_takes_the_sign_of_the_divisor():
    np.testing.assert_array_equal(
        apply("mod", np.array([-7.0, 7.0, -7.0]), np.array([2.0, -2.0, -2.0])), [1.0, -1.0, -1.0]
    )


def test_logic_rules():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    np.testing.assert_array_equal(apply("and", a, b), [True, False, False, False])
    np.testing.assert_array_equal(apply("or", a, b), [True, True, True, False])
    np.testing.assert_array_equal(apply("not", a), [False, False, True, True])
    np.testing.assert_array_equal(apply("eq", a, b), [True, False, False, True])


@pytest.mark.parametrize("dtype", FLOATS)
def test_select_and_cast(dtype):
    a, b = X[0].astype(dtype), Y[0].astype(dtype)
    c = a > b
    np.testing.assert_array_equal(apply("select", c, a, b), np.where(c, a, b))
    np.testing.assert_array_equal(apply("select", np.bool_(True), a, dtype(0.0)), a)
    np.testing.assert_array_equal(
        apply("select", c, dtype(1.0), dtype(-1.0)), np.where(c, 1.0, -1.0)
    )
    other = "f64" if dtype == np.float32 else "f32"
    cast = apply("cast", a, dtype=other)
    np.testing.assert_array_equal(cast, a.astype(np.float64 if other == "f64" else np.float32))
    np.testing.assert_array_equal(
        apply("cast", np.array([1, -2], dtype=np.int64), dtype="f32"), [1.0, -2.0]
    )
    assert apply("cast", np.int64(3), dtype="f64") == 3.0


def test_const_rule():
    for dtype, value in [("f32", 0.1), ("f64", 0.1), ("i64", -4), ("bool", True)]:
        op = Builder().emit_op("const", [], {"dtype": dtype, "value": value})
        result = RULES["const"](op)
        assert np.asarray(result).dtype == np.dtype(
            {"f32": np.float32, "f64": np.float64, "i64": np.int64, "bool": bool}[dtype]
        )
        assert result == np.asarray(value).astype(result.dtype)


# ---------------------------------------------------------------- numerically delicate


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_for_large_arguments_neither_overflows_nor_loses_range(dtype):
    x = np.array([-1e4, -1000.0, -80.0, -30.0, 0.0, 30.0, 80.0, 1000.0, 1e4], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="ignore"):
        s = apply("sigmoid", x)
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    assert s[4] == 0.5 and s[-1] == 1.0 and s[0] == 0.0
    assert s[3] > 0  # exp(-30) is representable in both dtypes and must not flush to 0
    np.testing.assert_allclose(s[3], np.exp(-30.0), rtol=1e-5)
    np.testing.assert_array_equal(s + s[::-1], np.ones_like(s))  # sigmoid(-x) = 1 - sigmoid(x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_logsumexp_is_stable_and_handles_minus_infinity(dtype):
    inf = dtype(np.inf)
    cases = [
        (np.array([-inf, -inf], dtype=dtype), -np.inf),
        (np.array([-inf, 0.0], dtype=dtype), 0.0),
        (np.array([-inf, 1.0, 2.0], dtype=dtype), np.log(np.exp(1.0) + np.exp(2.0))),
        (np.array([1000.0, 1000.0], dtype=dtype), 1000.0 + np.log(2.0)),
        (np.array([-1000.0, -1000.0], dtype=dtype), -1000.0 + np.log(2.0)),
        (np.array([inf, 0.0], dtype=dtype), np.inf),
    ]
    with np.errstate(over="raise", invalid="raise", divide="ignore"):
        for x, expected in cases:
            close(apply("logsumexp", x), expected, dtype)
    m = np.array(
        [[-np.inf, -np.inf, -np.inf], [0.0, 1.0, -np.inf], [500.0, 500.0, 500.0]], dtype=dtype
    )
    with np.errstate(over="raise", invalid="raise", divide="ignore"):
        rows = apply("logsumexp", m, axis=1)
        cols = apply("logsumexp", m, axis=0)
    close(rows, [-np.inf, np.log(1 + np.e), 500.0 + np.log(3.0)], dtype)
    assert cols.shape == (3,) and cols[2] == 500.0


# ---------------------------------------------------------------- reductions


REDUCTIONS = {
    "reduce_sum": np.sum,
    "reduce_max": np.max,
    "reduce_min": np.min,
    "argmax": np.argmax,
    "argmin": np.argmin,
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("opcode", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_reductions(opcode, dtype, axis):
    x = Y.astype(dtype)
    expected = REDUCTIONS[opcode](x.astype(np.float64), axis=axis)
    close(apply(opcode, x, axis=axis), expected, dtype)


def test_argmax_takes_the_first_of_equal_maxima():
    assert apply("argmax", np.array([1.0, 3.0, 3.0, 0.0]), axis=None) == 1
    assert apply("argmin", np.array([1.0, 0.0, 3.0, 0.0]), axis=None) == 1
    np.testing.assert_array_equal(
        apply("argmax", np.array([[1.0, 5.0], [7.0, 2.0]]), axis=None), 2
    )  # flat


# ---------------------------------------------------------------- linear algebra


@pytest.mark.parametrize("dtype", FLOATS)
def test_linear_algebra(dtype):
    A, B = X.astype(dtype), Y.T.astype(dtype)
    u, v = Y[:, 0].astype(dtype), V.astype(dtype)
    A64, B64, u64, v64 = (np.asarray(t, np.float64) for t in (A, B, u, v))
    close(apply("matvec", A, v), A64 @ v64, dtype)
    close(apply("vecmat", u, A), u64 @ A64, dtype)
    close(apply("matmul", A, B), A64 @ B64, dtype)
    close(apply("dot", v, v), v64 @ v64, dtype)
    close(apply("outer", u, v), np.outer(u64, v64), dtype)
    np.testing.assert_array_equal(apply("transpose", A), A.T)


# ---------------------------------------------------------------- indexing


def index_op(x, spec, *indices, bounds=()):
    return apply("index", x, *[np.int64(i) for i in indices], spec=spec, bounds=bounds)


def test_index_rule():
    A = np.arange(12.0).reshape(3, 4)
    assert index_op(A, "ii", 1, 2) == 6.0
    np.testing.assert_array_equal(index_op(A, ":i", 2), A[:, 2])
    np.testing.assert_array_equal(index_op(A, "i:", -1), A[-1])
    np.testing.assert_array_equal(index_op(A, "s:", 1, 3, bounds=((1, 3),)), A[1:3])
    np.testing.assert_array_equal(index_op(A, "is", 0, 1, 4, bounds=((1, 4),)), A[0, 1:4])
    assert index_op(A.astype(np.float32), "ii", 0, 0).dtype == np.float32


@pytest.mark.parametrize(
    "spec, indices, message",
    [
        ("ii", (3, 0), "index 3 is out of range for axis 0 of length 3"),
        ("ii", (0, -5), "index -5 is out of range for axis 1 of length 4"),
        ("s:", (2, 4), "slice 2:4 is out of range for axis 0 of length 3"),
        ("s:", (-1, 2), "slice -1:2 is out of range"),
        ("s:", (2, 1), "slice 2:1 is out of range"),
    ],
)
def test_index_out_of_range_raises(spec, indices, message):
    A = np.arange(12.0).reshape(3, 4)
    with pytest.raises(IndexError, match=message):
        RULES["index"](
            Builder().emit_op(
                "index",
                [Value(ir_type(A))] + [Value(ir_type(np.int64(0)))] * len(indices),
                {"spec": spec, "bounds": ((None, None),)},
            ),
            A,
            *map(np.int64, indices),
        )


@pytest.mark.parametrize("dtype", FLOATS)
def test_setindex_copies_and_keeps_the_dtype(dtype):
    x = np.arange(6, dtype=dtype).reshape(2, 3)
    before = x.copy()
    y = apply("setindex", x, dtype(9.0), np.int64(1), np.int64(2), spec="ii")
    np.testing.assert_array_equal(x, before)
    assert y.dtype == dtype and y[1, 2] == 9.0 and y.sum() == before.sum() - 5 + 9
    row = apply("setindex", x, np.ones(3, dtype), np.int64(0), spec="i:")
    np.testing.assert_array_equal(row, [[1, 1, 1], [3, 4, 5]])
    with pytest.raises(IndexError):
        apply("setindex", x, dtype(1.0), np.int64(2), spec="i:")


# ---------------------------------------------------------------- constructors and sizes


@pytest.mark.parametrize("dtype", FLOATS)
def test_constructors(dtype):
    full = apply("full", dtype(2.5), np.int64(2), np.int64(3), shape=(2, 3))
    np.testing.assert_array_equal(full, np.full((2, 3), 2.5, dtype))
    like = apply("full_like", np.zeros((2, 2), dtype), dtype(4.0))
    np.testing.assert_array_equal(like, np.full((2, 2), 4.0, dtype))
    name = "f32" if dtype == np.float32 else "f64"
    eye = apply("eye", np.int64(3), dtype=name, shape=(3, 3))
    np.testing.assert_array_equal(eye, np.eye(3, dtype=dtype))
    A = np.zeros((2, 5), dtype)
    assert apply("dimsize", A, axis=1) == 5 and apply("dimsize", A, axis=0) == 2
    assert apply("numel", A) == 10


def test_full_with_a_negative_dimension_raises():
    with pytest.raises(ValueError, match="negative dimension"):
        apply("full", 0.0, np.int64(-1), shape=("n",))
