"""Elementwise ops on both backends: float math with NaN and infinities (made with `where`,
since inputs must be finite), `min`/`max` with NaN, `round` half to even, `mod` with negative
operands, `sign`, int arithmetic (and int `^`), comparisons and logic, and `cast`s."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.differential import harness
from tests.differential.tolerances import DTYPES, OP_RTOL

pytestmark = pytest.mark.llvm

# special(x, code): x where code is 0, else NaN (1), inf (2), -inf (3); see `encode`.
SPECIAL = """
fn special(x: real[n], code: int[n]) -> real[n] = \\
  where(code == 1, nan, where(code == 2, inf, where(code == 3, -inf, x)))
"""

PROGRAMS = {
    "unary": SPECIAL + """
solver unary(x: real[n], code: int[n]) {
  y = special(x, code)
  return r_sqrt = sqrt(y), r_rsqrt = rsqrt(y), r_exp = exp(y), r_log = log(y), \\
         r_log1p = log1p(y), r_expm1 = expm1(y), r_sigmoid = sigmoid(y), r_tanh = tanh(y), \\
         r_sin = sin(y), r_cos = cos(y), r_floor = floor(y), r_round = round(y), \\
         r_abs = abs(y), r_sign = sign(y), r_neg = -y, r_square = y^2, r_cube = y^3, \\
         r_root = y^0.5, r_inv = y^-1
}
""",
    "binary": SPECIAL + """
solver binary(x: real[n], y: real[n], cx: int[n], cy: int[n]) {
  a = special(x, cx)
  b = special(y, cy)
  return add = a + b, sub = a - b, mul = a * b, div = a / b, pow = a ^ b, mod = a % b, \\
         min = min(a, b), max = max(a, b), clip = clip(a, -1, b), scalar_min = min(a, 0.5), \\
         lt = a < b, le = a <= b, gt = a > b, ge = a >= b, eq = a == b, ne = a != b, \\
         both = (a < b) and (b > 0), either = (a < b) or (b > 0), \\
         neither = not ((a < b) or (b > 0)), pick = where(a < b, a, b)
}
""",
    "integers": """
solver integers(i: int[n], j: int[n], k: int) {
  return add = i + j, sub = i - j, mul = i * j, square = i ^ 2, div = i / j, neg = -i, \\
         abs = abs(i), sign = sign(i), min = min(i, j), max = max(i, j), lt = i < j, \\
         ge = i >= j, eq = i == j, ne = i != k, total = sum(i), scaled = i * k + k, \\
         halves = (i + k) / 2
}
""",
    "int_mod": """
solver int_mod(i: int[n], j: int[n]) {
  return mod = i % j, mod3 = i % 3, mod_neg = i % (-3)
}
""",
    "int_power": """
solver int_power(i: int[n], j: int[n]) {
  return cube = i ^ 3, power = i ^ j
}
""",
    "casts": """
fn narrow(v: f32[n]) -> f32[n] = v
fn widen(v: f64[n]) -> f64[n] = v

solver casts(x: f32[n], y: f64[n], i: int[n], k: int, flag: bool) {
  return a = x + y, b = x * 2, c = i + x, d = i * y, e = narrow(y), f = widen(x), \\
         g = sum(i) / 2, h = where(flag, k, 0.5), r = narrow(y) + x, s = narrow(y + 0.25) * k
}

solver int_to_real(i: int[n], k: int) -> (real[n], real) {
  return a = i, b = k
}
""",
}


def encode(values) -> tuple[np.ndarray, np.ndarray]:
    """(x, code) for `special`: finite values as they are, NaN and infinities as codes."""
    values = np.asarray(values, dtype=np.float64)
    code = np.select([np.isnan(values), values == np.inf, values == -np.inf], [1, 2, 3], 0)
    return np.where(np.isfinite(values), values, 0.0), code


def check(programs, program: str, dtype: str, signed_zeros: bool = False, name: str | None = None,
          **inputs) -> None:
    """Solver `name` (by default the one named like the program) of PROGRAMS[program]."""
    harness.check(programs.path(PROGRAMS[program]), name or program, dtype, inputs, OP_RTOL[dtype],
                  signed_zeros=signed_zeros)


def unary(programs, dtype: str, values, signed_zeros: bool = True) -> None:
    x, code = encode(values)
    check(programs, "unary", dtype, signed_zeros=signed_zeros, x=x, code=code)


def binary(programs, dtype: str, a, b, signed_zeros: bool = False) -> None:
    (x, cx), (y, cy) = encode(a), encode(b)
    check(programs, "binary", dtype, signed_zeros=signed_zeros, x=x, y=y, cx=cx, cy=cy)


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_math_on_special_values(programs, dtype):
    values = [0.0, -0.0, 1e-10, -1e-10, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.7, -3.7, 20.0, -20.0,
              80.0, -80.0, 800.0, -800.0, np.nan, np.inf, -np.inf]
    unary(programs, dtype, values)


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_is_half_to_even(programs, dtype):
    big = 1e15 + 0.5 if dtype == "float64" else 4e6 + 0.5  # exactly representable halves
    unary(programs, dtype, [-3.5, -2.5, -1.5, -0.5, -0.4, 0.4, 0.5, 1.5, 2.5, 3.5, 4.5, big, -big])


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_ops_on_every_pair_of_special_values(programs, dtype):
    values = [0.0, -0.0, 0.5, 1.0, -1.0, 1.5, 2.5, -2.5, 3.0, -7.0, np.nan, np.inf, -np.inf]
    pairs = list(itertools.product(values, values))
    binary(programs, dtype, [a for a, _ in pairs], [b for _, b in pairs])


@pytest.mark.parametrize("dtype", DTYPES)
def test_mod_takes_the_sign_of_the_divisor(programs, dtype):
    binary(programs, dtype, [7.0, -7.0, 7.0, -7.0, 5.5, -5.5, 0.25, -0.25, 1e-3, 6.0],
           [3.0, 3.0, -3.0, -3.0, 2.0, -2.0, -1.0, 1.0, -2.0, 3.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_zero_remainder_has_the_sign_of_the_divisor(programs, dtype):
    # numpy: 0 % -2 = -0.0, -0 % 2 = 0.0, 4 % -2 = -0.0, -4 % 2 = 0.0
    binary(programs, dtype, [0.0, -0.0, 4.0, -4.0], [-2.0, 2.0, -2.0, 2.0], signed_zeros=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_of_a_large_negative_number_is_subnormal_not_zero(programs, dtype):
    # numpy: sigmoid(-720) = 2.03e-313 (float64), sigmoid(-95) = 5.5e-42 (float32)
    unary(programs, dtype, [-720.0 if dtype == "float64" else -95.0])


INTS = [-7, -3, -1, 0, 1, 2, 3, 7]


def int_pairs(nonzero_divisor: bool = False) -> dict:
    pairs = [(a, b) for a, b in itertools.product(INTS, INTS) if b != 0 or not nonzero_divisor]
    return {"i": np.array([a for a, _ in pairs]), "j": np.array([b for _, b in pairs])}


@pytest.mark.parametrize("dtype", DTYPES)
def test_int_arithmetic(programs, dtype):
    check(programs, "integers", dtype, k=3, **int_pairs())


@pytest.mark.parametrize("dtype", DTYPES)
def test_int_mod_with_negative_operands(programs, dtype):
    check(programs, "int_mod", dtype, **int_pairs(nonzero_divisor=True))


@pytest.mark.parametrize("dtype", DTYPES)
def test_int_power(programs, dtype):
    pairs = int_pairs()
    check(programs, "int_power", dtype, i=pairs["i"], j=np.abs(pairs["j"]))


def test_int_to_a_negative_power_is_an_error(programs):
    path = programs.path(PROGRAMS["int_power"])
    inputs = {"i": np.array([2, 3]), "j": np.array([3, -1])}
    ref, got = harness.run_both(path, "int_power", "float64", inputs)
    assert ref.error is not None
    harness.assert_same_error(ref, got)


INT64_MIN = np.iinfo(np.int64).min
MOD_EDGES = [
    pytest.param([5, -5, 0], [0, 0, 0], id="by-zero"),
    pytest.param([INT64_MIN], [-1], id="int64-min-by-minus-one"),
]


@pytest.mark.parametrize("i,j", MOD_EDGES)
def test_int_mod_edge_cases(programs, i, j):
    """numpy gives 0 for these; llvm runs in a subprocess, where a crash cannot take pytest down."""
    path = programs.path(PROGRAMS["int_mod"])
    ref = harness.run(path, "int_mod", "numpy", "float64", {"i": np.array(i), "j": np.array(j)})
    assert ref.error is None
    script = textwrap.dedent(f"""
        import numpy as np, optc
        res = optc.solver({str(path)!r}, "int_mod", backend="llvm", dtype="float64")(
            i=np.array({i}), j=np.array({j}))
        print(res.mod.tolist())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"llvm's process ended with {done.returncode}:\n{done.stderr}"
    assert done.stdout.strip() == str(ref.result.mod.tolist())


@pytest.mark.parametrize("dtype", DTYPES)
def test_casts_between_int_f32_f64_and_real(programs, dtype):
    inputs = {"x": np.array([0.1, -2.5, 1e-3, 3.0e5]), "y": np.array([1 / 3, 2.5, -1e-8, 7.0]),
              "i": np.array([3, -4, 0, 2**40]), "k": 7, "flag": True}
    check(programs, "casts", dtype, **inputs)
    check(programs, "casts", dtype, **{**inputs, "flag": False})
    check(programs, "casts", dtype, name="int_to_real", i=inputs["i"], k=-3)
