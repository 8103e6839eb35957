"""grad(f) against central finite differences on random fn bodies (Hypothesis, float64).

Each example is a random expression tree over `x: real[n]` (the differentiated argument), a
vector `a` and a matrix `M`, built from the differentiable ops (elementwise math, broadcasting,
min/max/where, reductions with and without axes, logsumexp, linear algebra, indexing and
slicing), wrapped in a fn returning a scalar. The arguments of the unary functions are squashed
(`tanh`, `1 + t*t`) so that the values stay in their domains and of moderate size.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optc

N = 4
H = 1e-5
RTOL = 1e-6

LEAVES = ["x", "a", "(0.5 * x + a)", "x * x", "sin(x)"]
UNARY = [
    "tanh({})", "sin({})", "cos({})", "sigmoid({})", "exp(tanh({}))", "log(1 + {0} * {0})",
    "sqrt(1 + {0} * {0})", "rsqrt(1 + {0} * {0})", "log1p({0} * {0})", "expm1(tanh({}))",
    "abs({})", "({})^2", "(1 + {0} * {0})^0.7", "-({})", "floor({}) * x", "round({}) + x",
    "sign({}) * x", "({0} % 1.7)",
]
BINARY = [
    "({0} + {1})", "({0} - {1})", "({0} * {1})", "({0} / (1 + {1} * {1}))", "min({0}, {1})", "max({0}, {1})",
    "where({0} > {1}, {0}, {1} * {1})", "(1 + {0} * {0})^sigmoid({1})", "({0} * sum({1}))",
    "({0} + 0.1 * dot({1}, a))", "({0} * ({1})[1])", "({0} + sum(({1})[1:3]))", "({0} % (2 + {1} * {1}))",
]
MATRIX = [  # vector -> vector through a matrix op
    "(M @ {})", "({} @ M)", "sum(outer({0}, a), axis=0)", "sum(outer({0}, a), axis=1)",
    "logsumexp(outer({0}, a), axis=1)", "logsumexp(outer(a, {0}), axis=0)", "max(outer({0}, a), axis=1)",
    "min(outer(a, {0}), axis=0)", "sum(M @ outer({0}, a), axis=1)", "sum(outer({0}, a).T, axis=0)",
    "mean(outer({0}, a) @ M, axis=0)",
]
FINAL = ["sum({})", "logsumexp({})", "max({})", "min({})", "norm({})", "mean({})", "dot({}, a)",
         "({})[2]", "sum(({})[0:2])", "norm1({})"]


def _expr(depth):
    leaf = st.sampled_from(LEAVES)
    if depth == 0:
        return leaf
    sub = _expr(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(UNARY), sub).map(lambda t: t[0].format(t[1])),
        st.tuples(st.sampled_from(BINARY), sub, sub).map(lambda t: t[0].format(t[1], t[2])),
        st.tuples(st.sampled_from(MATRIX), sub).map(lambda t: t[0].format(t[1])),
    )


PROGRAMS = st.tuples(st.sampled_from(FINAL), _expr(3)).map(lambda t: t[0].format(t[1]))


def _source(body: str) -> str:
    return f"""
fn f(x: real[n], a: real[n], M: real[n, n]) -> real = {body}

solver check(x: real[n], a: real[n], M: real[n, n]) {{
  return v = f(x, a, M), d = grad(f)(x, a, M)
}}
"""


def _compile(body: str, backend: str = "numpy"):
    path = Path(tempfile.mkdtemp(prefix="optc-ad-")) / "f.opt"
    path.write_text(_source(body))
    return optc.solver(str(path), "check", backend=backend)


def _check(body: str, seed: int, backend: str = "numpy"):
    solver = _compile(body, backend)
    rng = np.random.default_rng(seed)
    x, a, M = rng.standard_normal(N), rng.standard_normal(N), rng.standard_normal((N, N)) / 2
    res = solver(x=x, a=a, M=M)
    for h in (H, H / 3):  # a second step size in case a kink or jump lies within h of x
        fd = np.empty(N)
        for i in range(N):
            e = np.zeros(N)
            e[i] = h
            fd[i] = (solver(x=x + e, a=a, M=M).v - solver(x=x - e, a=a, M=M).v) / (2 * h)
        if not np.all(np.isfinite(fd)) or np.max(np.abs(fd)) > 1e4:
            return  # overflow or a jump within h of x: finite differences say nothing
        scale = max(1.0, float(np.max(np.abs(fd))), abs(res.v))
        err = float(np.max(np.abs(res.d - fd))) / scale
        if err < RTOL:
            return
    raise AssertionError((body, res.d, fd, err))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS, st.integers(0, 2**16))
def test_random_programs(body, seed):
    _check(body, seed)


@pytest.mark.parametrize("body", [FINAL[i % len(FINAL)].format(m.format("x")) for i, m in enumerate(MATRIX)]
                         + [f"sum({u.format('x')})" for u in UNARY]
                         + [f"sum({b.format('x', 'sin(x)')})" for b in BINARY]
                         + [f"sum({b.format('sin(x)', 'x')})" for b in BINARY])
def test_each_op(body):
    _check(body, 7)


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_llvm_agrees(backend):
    _check("logsumexp(max(outer(tanh(M @ x), a), axis=1) + (1 + x * x)^sigmoid(x @ M))", 3, backend)


# ---------------------------------------------------------------- hvp(f)
#
# hvp(f)(x, v, …) against central differences of the gradient along v:
# (grad f(x + h v) - grad f(x - h v)) / 2h. The gradient is piecewise smooth for these programs
# (kinks of abs, min/max, where, floor, …): where a kink lies within h of x the difference is
# large or disagrees at a second step size, and the example says nothing (as above).


def _hvp_source(body: str) -> str:
    return f"""
fn f(x: real[n], a: real[n], M: real[n, n]) -> real = {body}

solver check(x: real[n], v: real[n], a: real[n], M: real[n, n]) {{
  return g = grad(f)(x, a, M), hv = hvp(f)(x, v, a, M)
}}
"""


def _hvp_solver(body: str, backend: str):
    path = Path(tempfile.mkdtemp(prefix="optc-hvp-")) / "f.opt"
    path.write_text(_hvp_source(body))
    return optc.solver(str(path), "check", backend=backend)


def _hvp_inputs(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    x, v, a, M = rng.standard_normal(N), rng.standard_normal(N), rng.standard_normal(N), rng.standard_normal((N, N)) / 2
    return {"x": x, "v": v, "a": a, "M": M}


def _check_hvp(body: str, seed: int, backend: str = "numpy"):
    solver = _hvp_solver(body, backend)
    inputs = _hvp_inputs(seed)
    x, v, a, M = inputs["x"], inputs["v"], inputs["a"], inputs["M"]
    res = solver(**inputs)
    for h in (H, H / 3):
        fd = (solver(x=x + h * v, v=v, a=a, M=M).g - solver(x=x - h * v, v=v, a=a, M=M).g) / (2 * h)
        if not np.all(np.isfinite(fd)) or np.max(np.abs(fd)) > 1e4:
            return
        scale = max(1.0, float(np.max(np.abs(fd))), float(np.max(np.abs(res.g))))
        err = float(np.max(np.abs(res.hv - fd))) / scale
        if err < RTOL:
            return
    raise AssertionError((body, res.hv, fd, err))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS, st.integers(0, 2**16))
def test_hvp_random_programs(body, seed):
    _check_hvp(body, seed)


@pytest.mark.parametrize("body", [FINAL[i % len(FINAL)].format(m.format("x")) for i, m in enumerate(MATRIX)]
                         + [f"sum({u.format('x')})" for u in UNARY]
                         + [f"sum({b.format('x', 'sin(x)')})" for b in BINARY]
                         + [f"sum({b.format('sin(x)', 'x')})" for b in BINARY])
def test_hvp_each_op(body):
    _check_hvp(body, 7)


HVP_MIXED = "logsumexp(max(outer(tanh(M @ x), a), axis=1) + (1 + x * x)^sigmoid(x @ M))"


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_hvp_llvm_agrees(backend):
    _check_hvp(HVP_MIXED, 3, backend)


@pytest.mark.parametrize("body", [HVP_MIXED, "0.5 * norm(M @ x - a)^2 + sum(x^3) + dot(sin(x), a)"])
def test_hvp_llvm_matches_numpy(body):
    """The llvm backend's gradient and H v against the numpy backend's, at several points."""
    numpy_solver, llvm_solver = _hvp_solver(body, "numpy"), _hvp_solver(body, "llvm")
    for seed in range(5):
        inputs = _hvp_inputs(seed)
        want, got = numpy_solver(**inputs), llvm_solver(**inputs)
        for name in ("g", "hv"):
            scale = max(1.0, float(np.max(np.abs(want[name]))))
            assert float(np.max(np.abs(got[name] - want[name]))) / scale < 1e-12, (name, seed)
