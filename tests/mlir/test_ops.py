"""Every opcode on `backend="mlir"` against the NumPy backend (the spec), on small IR functions,
with the delicate values: NaN, infinities, signed zeros, negative integers, broadcasting, views."""

from __future__ import annotations

import numpy as np
import pytest
from optc.backends.numpy.interpreter import run_function

from optc.errors import OptcError
from tests.mlir.helpers import compiled, needs_mlir, run_both

pytestmark = needs_mlir

NAN, INF = float("nan"), float("inf")
FX = np.array([-2.5, -1.0, -0.0, 0.0, 0.5, 1.5, 2.5, 3.0, INF, -INF, NAN, 7.25])
FY = np.array([1.5, -1.0, 2.0, -3.0, 0.0, 2.0, -0.75, 3.0, 2.0, INF, 1.0, -2.0])
IX = np.array([-7, -3, -1, 0, 0, 1, 2, 5, 9, 2**40, -(2**40), 3], dtype=np.int64)
IY = np.array([2, -2, 3, 0, -1, 1, 3, -4, 2, 3, 7, -1], dtype=np.int64)
BX = np.array([True, False, True, False] * 3)
BY = np.array([True, True, False, False] * 3)
DTYPES = {"f64": np.float64, "f32": np.float32}


def assert_same(expected, actual, rtol=0.0):
    assert len(expected) == len(actual)
    for e, a in zip(expected, actual):
        e, a = np.asarray(e), np.asarray(a)
        assert e.dtype == a.dtype, f"dtype {a.dtype}, expected {e.dtype}"
        assert e.shape == a.shape, f"shape {a.shape}, expected {e.shape}"
        if e.dtype.kind == "f":
            np.testing.assert_allclose(a, e, rtol=rtol, atol=0, equal_nan=True)
        else:
            np.testing.assert_array_equal(a, e)


def many(
    name: str,
    opcodes: list[str],
    dtype: str,
    arity: int,
    result: str | None = None,
    attrs: str = "",
) -> str:
    """An IR function applying each opcode to the same operands, one result per opcode (the ops
    fuse into one loop: few functions keep the module quick to compile)."""
    params = ", ".join(f"%{v}: {dtype}[n]" for v in "xy"[:arity])
    operands = ", ".join(f"%{v}" for v in "xy"[:arity])
    ops = "\n".join(
        f"  %r{i}: {result or dtype}[n] = {op} {operands} {attrs}" for i, op in enumerate(opcodes)
    )
    results = ", ".join(f"%r{i}" for i in range(len(opcodes)))
    types = ", ".join([f"{result or dtype}[n]"] * len(opcodes))
    return f"func @{name}({params}) -> ({types}) {{\n{ops}\n  return {results}\n}}"


def casts(src: str) -> str:
    """An IR function casting its operand to every dtype."""
    ops = "\n".join(f'  %r{i}: {d}[n] = cast %x {{dtype="{d}"}}' for i, d in enumerate(CAST_DTYPES))
    types = ", ".join(f"{d}[n]" for d in CAST_DTYPES)
    return f"func @cast_{src}(%x: {src}[n]) -> ({types}) {{\n{ops}\n  return %r0, %r1, %r2, %r3\n}}"


FLOAT_BINARY = ["add", "sub", "mul", "div", "pow", "mod", "minimum", "maximum"]
COMPARISONS = ["lt", "le", "gt", "ge", "eq", "ne"]
INT_BINARY = ["add", "sub", "mul", "mod", "minimum", "maximum"]
FLOAT_UNARY = [
    "neg",
    "abs",
    "sign",
    "sqrt",
    "rsqrt",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sigmoid",
    "tanh",
    "sin",
    "cos",
    "floor",
    "round",
]
CAST_DTYPES = ["f64", "f32", "i64", "bool"]
# All elementwise cases in one module, compiled once for the whole file.
ELEMENTWISE = "\n".join(
    [many(f"binary_{dt}", FLOAT_BINARY, dt, 2) for dt in DTYPES]
    + [many(f"unary_{dt}", FLOAT_UNARY, dt, 1) for dt in DTYPES]
    + [
        many("compare_f64", COMPARISONS, "f64", 2, "bool"),
        many("binary_i64", INT_BINARY, "i64", 2),
        many("pow_i64", ["pow"], "i64", 2),
        many("compare_i64", COMPARISONS, "i64", 2, "bool"),
        many("binary_bool", ["and", "or", "eq", "ne"], "bool", 2),
        many("unary_bool", ["not"], "bool", 1),
        many("unary_i64", ["neg", "abs", "sign"], "i64", 1),
    ]
    + [casts(s) for s in CAST_DTYPES]
)


def one_result(name: str, opcodes: list[str], opcode: str, *args):
    """(expected, actual) of `opcode`'s result of function `name`."""
    expected, actual = run_both(ELEMENTWISE, *args, name=name)
    k = opcodes.index(opcode)
    return [expected[k]], [actual[k]]


# Ops the C library and NumPy may round differently (NumPy has its own SIMD exp/log/sin/...).
TRANSCENDENTAL = {"exp", "log", "log1p", "expm1", "sigmoid", "tanh", "sin", "cos", "pow"}


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("opcode", FLOAT_BINARY)
def test_float_binary(opcode, dtype):
    x, y = FX.astype(DTYPES[dtype]), FY.astype(DTYPES[dtype])
    rtol = 4e-7 if dtype == "f32" else 1e-15
    result = one_result(f"binary_{dtype}", FLOAT_BINARY, opcode, x, y)
    assert_same(*result, rtol=rtol if opcode in TRANSCENDENTAL else 0)


@pytest.mark.parametrize("opcode", COMPARISONS)
def test_float_comparisons_treat_nan_like_numpy(opcode):
    assert_same(*one_result("compare_f64", COMPARISONS, opcode, FX, FY))


@pytest.mark.parametrize("opcode", INT_BINARY)
def test_int_binary(opcode):
    assert_same(*one_result("binary_i64", INT_BINARY, opcode, IX, IY))


def test_int_pow():
    assert_same(*run_both(ELEMENTWISE, IX % 5, np.abs(IY), name="pow_i64"))


@pytest.mark.parametrize("opcode", COMPARISONS)
def test_int_comparisons(opcode):
    assert_same(*one_result("compare_i64", COMPARISONS, opcode, IX, IY))


@pytest.mark.parametrize("opcode", ["and", "or", "eq", "ne"])
def test_bool_binary(opcode):
    assert_same(*one_result("binary_bool", ["and", "or", "eq", "ne"], opcode, BX, BY))


def test_not():
    assert_same(*run_both(ELEMENTWISE, BX, name="unary_bool"))


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("opcode", FLOAT_UNARY)
def test_float_unary(opcode, dtype):
    x = np.concatenate([FX, [1e-10, -1e-12, 40.0, -40.0, 700.0]]).astype(DTYPES[dtype])
    rtol = 4e-7 if dtype == "f32" else 1e-15
    result = one_result(f"unary_{dtype}", FLOAT_UNARY, opcode, x)
    assert_same(*result, rtol=rtol if opcode in TRANSCENDENTAL else 0)


@pytest.mark.parametrize("opcode", ["neg", "abs", "sign"])
def test_int_unary(opcode):
    assert_same(*one_result("unary_i64", ["neg", "abs", "sign"], opcode, IX))


@pytest.mark.parametrize("src", CAST_DTYPES)
@pytest.mark.parametrize("dst", CAST_DTYPES)
def test_cast(src, dst):
    values = {"f64": FX[:8], "f32": FX[:8].astype(np.float32), "i64": IX[:8], "bool": BX[:8]}[src]
    if dst == "i64" and src in ("f64", "f32"):
        values = np.array([-2.5, -1.0, -0.0, 0.0, 0.5, 1.5, 2.5, 1e15], dtype=values.dtype)
    assert_same(*one_result(f"cast_{src}", CAST_DTYPES, dst, values))


def test_select_broadcasts_a_scalar_condition_and_scalar_values():
    text = """
func @f(%c: bool[], %x: f64[n], %a: f64[], %m: bool[n]) -> (f64[n], f64[n]) {
  %y: f64[n] = select %c, %x, %a
  %z: f64[n] = select %m, %a, %x
  return %y, %z
}"""
    for c in (True, False):
        assert_same(*run_both(text, np.bool_(c), FX, np.float64(4.0), BX))


def test_broadcasting_over_rows_columns_and_unit_axes():
    text = """
func @f(%A: f64[m,n], %r: f64[n], %c: f64[m,1], %s: f64[]) -> (f64[m,n], f64[m,n]) {
  %0: f64[m,n] = add %A, %r
  %1: f64[m,n] = mul %0, %s
  %2: f64[m,n] = sub %1, %c
  %3: f64[m,n] = mul %r, %c
  return %2, %3
}"""
    rng = np.random.default_rng(0)
    A, r, c = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((3, 1))
    assert_same(*run_both(text, A, r, c, np.float64(0.5)))


# ---------------------------------------------------------------- reductions

M = np.array([[1.0, -2.0, 3.5, 0.25], [4.0, 4.0, -1.0, 2.0], [0.5, NAN, 6.0, -3.0]])


REDUCTIONS = ["reduce_sum", "reduce_max", "reduce_min", "argmax", "argmin", "logsumexp"]


def _reductions(axis: str) -> str:
    shape = {"none": "", "0": "n", "1": "m"}[axis]
    types = [f"{'i64' if op.startswith('arg') else 'f64'}[{shape}]" for op in REDUCTIONS]
    ops = "\n".join(
        f"  %r{i}: {t} = {op} %x {{axis={axis}}}"
        for i, (op, t) in enumerate(zip(REDUCTIONS, types))
    )
    results = ", ".join(f"%r{i}" for i in range(len(REDUCTIONS)))
    return f"func @reduce_{axis}(%x: f64[m,n]) -> ({', '.join(types)}) {{\n{ops}\n  return {results}\n}}"


REDUCTION_MODULE = "\n".join(_reductions(axis) for axis in ("none", "0", "1"))


@pytest.mark.parametrize("opcode", REDUCTIONS)
@pytest.mark.parametrize("axis", ["none", "0", "1"])
@pytest.mark.parametrize("with_nan", [False, True])
def test_reductions(opcode, axis, with_nan):
    x = M if with_nan else np.nan_to_num(M, nan=-5.0)
    expected, actual = run_both(REDUCTION_MODULE, x, name=f"reduce_{axis}")
    k = REDUCTIONS.index(opcode)
    assert_same([expected[k]], [actual[k]], rtol=1e-15)


def test_logsumexp_of_infinities():
    x = np.array([[-INF, -INF], [INF, 1.0], [1000.0, 1000.0]])
    expected, actual = run_both(REDUCTION_MODULE, x, name="reduce_1")
    assert_same(expected[-1:], actual[-1:], rtol=1e-15)


@pytest.mark.parametrize("opcode", ["reduce_sum", "reduce_max", "argmin"])
def test_int_reductions(opcode):
    text = f"""
func @f(%x: i64[m,n]) -> (i64[], i64[n]) {{
  %r: i64[] = {opcode} %x {{axis=none}}
  %s: i64[n] = {opcode} %x {{axis=0}}
  return %r, %s
}}"""
    assert_same(*run_both(text, IX.reshape(3, 4)))


# ---------------------------------------------------------------- linear algebra


def test_products_and_transpose():
    text = """
func @f(%A: f64[m,n], %B: f64[n,k], %x: f64[n], %y: f64[m]) -> (f64[m], f64[n], f64[m,k], f64[], f64[m,n], f64[n,m], f64[n]) {
  %0: f64[m] = matvec %A, %x
  %1: f64[n] = vecmat %y, %A
  %2: f64[m,k] = matmul %A, %B
  %3: f64[] = dot %x, %x
  %4: f64[m,n] = outer %y, %x
  %5: f64[n,m] = transpose %A
  %6: f64[n] = matvec %5, %y
  return %0, %1, %2, %3, %4, %5, %6
}"""
    rng = np.random.default_rng(1)
    args = (
        rng.standard_normal((3, 4)),
        rng.standard_normal((4, 2)),
        rng.standard_normal(4),
        rng.standard_normal(3),
    )
    assert_same(*run_both(text, *args), rtol=1e-13)


# ---------------------------------------------------------------- indexing, constructors, shapes


def test_index_views():
    text = """
func @f(%A: f64[m,n], %x: f64[n], %i: i64[], %j: i64[], %lo: i64[], %hi: i64[]) -> (f64[m], f64[n], f64[], f64[], f64[?], f64[m,?]) {
  %0: f64[m] = index %A, %j {bounds=[], spec=":i"}
  %1: f64[n] = index %A, %i {bounds=[], spec="i:"}
  %2: f64[] = index %A, %i, %j {bounds=[], spec="ii"}
  %3: f64[] = index %x, %j {bounds=[], spec="i"}
  %4: f64[?] = index %x, %lo, %hi {bounds=[], spec="s"}
  %5: f64[m,?] = index %A, %lo, %hi {bounds=[], spec=":s"}
  return %0, %1, %2, %3, %4, %5
}"""
    A = np.arange(12.0).reshape(3, 4)
    for i, j in [(0, 0), (2, 3), (-1, -4), (1, 2)]:
        assert_same(*run_both(text, A, A[1], np.int64(i), np.int64(j), np.int64(1), np.int64(3)))


def test_setindex():
    text = """
func @f(%A: f64[m,n], %x: f64[n], %v: f64[], %r: f64[n], %i: i64[], %lo: i64[], %hi: i64[]) -> (f64[n], f64[m,n], f64[m,n], f64[n]) {
  %0: f64[n] = setindex %x, %v, %i {bounds=[], spec="i"}
  %1: f64[m,n] = setindex %A, %r, %i {bounds=[], spec="i:"}
  %2: f64[m,n] = setindex %A, %v, %i {bounds=[], spec=":i"}
  %3: f64[n] = setindex %x, %v, %lo, %hi {bounds=[], spec="s"}
  return %0, %1, %2, %3
}"""
    A = np.arange(12.0).reshape(3, 4)
    assert_same(
        *run_both(
            text, A, A[0], np.float64(-9.0), A[2] * 10, np.int64(-2), np.int64(1), np.int64(3)
        )
    )


def test_constructors_and_shapes():
    text = """
func @f(%x: f64[m,n], %k: i64[]) -> (f64[k], f64[k,k], f64[m,n], i64[], i64[], i64[], f64[]) {
  %0: f64[] = const {dtype="f64", value=2.5}
  %1: f64[k] = full %0, %k {shape=["k"]}
  %2: f64[k,k] = eye %k {dtype="f64", shape=["k"]}
  %3: f64[m,n] = full_like %x, %0
  %4: i64[] = dimsize %x {axis=1}
  %5: i64[] = dimsize %x {axis=-2}
  %6: i64[] = numel %x
  %7: f64[] = full_like %0, %0
  return %1, %2, %3, %4, %5, %6, %7
}"""
    assert_same(*run_both(text, np.ones((2, 3)), np.int64(3)))


def test_constants_print_exactly():
    values = [0.1, 1e-08, 1e300, -0.0, INF, -INF, 3.0, 2.0**-1074]
    ops = "\n".join(
        f'  %c{i}: f64[] = const {{dtype="f64", value={v!r}}}' for i, v in enumerate(values)
    )
    f32 = "\n".join(
        f'  %d{i}: f32[] = const {{dtype="f32", value={v!r}}}' for i, v in enumerate(values[:5])
    )
    names = ", ".join([f"%c{i}" for i in range(len(values))] + [f"%d{i}" for i in range(5)])
    types = ", ".join(["f64[]"] * len(values) + ["f32[]"] * 5)
    text = f"func @f() -> ({types}) {{\n{ops}\n{f32}\n  return {names}\n}}"
    expected, actual = run_both(text)
    for e, a in zip(expected, actual):
        assert e.tobytes() == a.tobytes()


def test_views_of_one_buffer_inside_and_after_a_loop():
    """A view made inside a loop body is not reused after it (it would not dominate there)."""
    text = """
func @f(%x: f64[n]) -> (f64[n], f64[n,n], i64[], bool[]) {
  %M: f64[n,n] = outer %x, %x
  %lo: i64[] = const {dtype="i64", value=0}
  %hi: i64[] = const {dtype="i64", value=2}
  %y: f64[n], %it: i64[], %conv: bool[] = loop %lo, %hi, %x {trace_dtypes=[], until=false} (%k: i64[], %y0: f64[n]) {
    %T: f64[n,n] = transpose %M
    %z: f64[n] = matvec %T, %y0
    yield %z
  }
  %T2: f64[n,n] = transpose %M
  return %y, %T2, %it, %conv
}"""
    assert_same(*run_both(text, np.array([1.0, -2.0, 0.5])), rtol=1e-15)


def test_integer_division_edges_do_not_trap():
    """x % 0 and INT64_MIN % -1 trap in hardware; NumPy gives 0 for both."""
    x = np.array([np.iinfo(np.int64).min, 5, -5, 7], dtype=np.int64)
    y = np.array([-1, 0, 0, -1], dtype=np.int64)
    assert_same(*one_result("binary_i64", INT_BINARY, "mod", x, y))


def test_an_integer_to_a_negative_power_is_numpys_error():
    module, executable = compiled(ELEMENTWISE)
    args = [np.array([2, 3], dtype=np.int64), np.array([3, -1], dtype=np.int64)]
    errors = []
    for run in (
        lambda: run_function(module, "pow_i64", args),
        lambda: executable.run("pow_i64", args),
    ):
        with pytest.raises(OptcError) as info:
            run()
        errors.append(str(info.value))
    assert errors[1] == errors[0]
