"""Solver semantics on `backend="mlir"`: loops (`until`, counted, nested, zero iterations),
indexed updates, traces, several results, progress, float32, and run-time errors reported at the
user's line. Each program runs on NumPy too; the results must agree."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import optc
from optc.errors import OptcError
from tests.mlir.helpers import needs_mlir

pytestmark = needs_mlir
_counter = itertools.count()


@pytest.fixture
def both(tmp_path):
    """both(src, **inputs) -> the mlir SolveResult, checked equal to the numpy one."""

    def run(src: str, dtype=None, rtol=1e-14, **inputs):
        path = tmp_path / f"prog{next(_counter)}.opt"
        path.write_text(src)
        expected = optc.solve(path, backend="numpy", dtype=dtype, **inputs)
        actual = optc.solve(path, backend="mlir", dtype=dtype, **inputs)
        assert (actual.iterations, actual.converged) == (expected.iterations, expected.converged)
        assert set(actual.outputs) == set(expected.outputs) and set(actual.trace) == set(
            expected.trace
        )
        for name in expected.outputs:
            e, a = np.asarray(expected.outputs[name]), np.asarray(actual.outputs[name])
            assert a.dtype == e.dtype and a.shape == e.shape, name
            np.testing.assert_allclose(a, e, rtol=rtol, err_msg=name)
        for name in expected.trace:
            assert actual.trace[name].dtype == expected.trace[name].dtype
            np.testing.assert_allclose(
                actual.trace[name], expected.trace[name], rtol=rtol, err_msg=name
            )
        return actual

    return run


HALVE = """
solver halve(x0: real, tol = 0.1, max_iter = 100) -> real {
  state x = x0
  trace v = x
  for k in 0..max_iter until UNTIL {
    x' = x / 2
  }
  return x
}
"""


@pytest.mark.parametrize(
    "until, inputs, expected",
    [
        ("abs(x' - x) < tol", {}, (7, True)),
        ("x < 1", {}, (5, True)),
        ("true", {}, (1, True)),
        ("abs(x' - x) < tol", {"max_iter": 5}, (5, False)),
        ("true", {"max_iter": 0}, (0, False)),
    ],
)
def test_until(both, until, inputs, expected):
    res = both(HALVE.replace("UNTIL", until), x0=8.0, **inputs)
    assert (res.iterations, res.converged) == expected
    assert len(res.trace["v"]) == res.iterations


def test_counted_loops_nested_loops_and_inner_until(both):
    src = """
solver s(x0: real[n], a: int, b: int) {
  state total = 0
  state x = x0
  state steps = 0
  for k in a..b {
    total' = total + k
    for j in 0..n { x'[j] = sum(x) }
    for i in 0..100 until steps' >= 3 * (k + 1) { steps' = steps + 1 }
  }
  return total, x, steps
}
"""
    res = both(src, x0=np.ones(3), a=0, b=3)
    assert (res.total, res.iterations, res.steps) == (3, 3, 9)
    empty = both(src, x0=np.ones(3), a=5, b=2)
    assert (empty.iterations, empty.converged) == (0, True)


def test_indexed_updates_and_views(both):
    src = """
solver s(A0: real[m, n], row: real[n], col: real[m], x0: real[n]) {
  state A = A0
  state B = A0
  state x = x0
  state r = 0.0
  for it in 0..2 {
    A'[1, :] = row * it
    B'[:, 0] = col * 2 + B[:, 1]
    x'[1:3] = x[0:2] * 10
    r' = x'[2] - x[-1] + sum(A.T @ col)
  }
  return A, B, x, r
}
"""
    rng = np.random.default_rng(0)
    both(
        src,
        A0=rng.standard_normal((2, 3)),
        row=rng.standard_normal(3),
        col=rng.standard_normal(2),
        x0=np.array([1.0, 2.0, 3.0]),
    )


def test_traces_several_results_and_states_without_equations(both):
    src = """
solver s(x0: real[n], c: real, max_iter = 4) -> (real[n], real, int, real) {
  state x = x0
  state d = c * 3
  trace after = norm(x)
  trace count = 1
  for k in 0..max_iter {
    x' = x + c
    trace before = sum(x)
    trace step = k
  }
  return x, total = sum(x), count = n, d
}
"""
    res = both(src, x0=np.array([1.0, 2.0]), c=0.5)
    assert set(res.trace) == {"after", "count", "before", "step"}


def test_swapping_states_reads_the_old_values(both):
    src = """
solver s(u0: real[n], v0: real[n]) {
  state u = u0
  state v = v0
  for k in 0..3 {
    u' = v
    v' = u + 1
  }
  return u, v
}
"""
    res = both(src, u0=np.zeros(2), v0=np.ones(2))
    np.testing.assert_array_equal(res.u, [2.0, 2.0])


def test_progress_matches_numpy(tmp_path):
    path = tmp_path / "halve.opt"
    path.write_text(HALVE.replace("UNTIL", "abs(x' - x) < tol"))
    calls = {}
    for backend in ("numpy", "mlir"):
        calls[backend] = []
        optc.solve(path, backend=backend, x0=8.0, progress=lambda *a, b=backend: calls[b].append(a))
    assert calls["mlir"] == calls["numpy"]
    assert len(calls["mlir"]) == 7


def test_float32_stays_float32(both):
    src = """
solver s(A: real[m, n], x0: real[n]) -> (real[n], real) {
  state x = x0
  trace obj = norm(A @ x)
  for k in 0..3 { x' = x - 0.1 * A.T @ (A @ x) }
  return x, total = sum(x)
}
"""
    A = np.arange(6, dtype=np.float32).reshape(2, 3) / 10
    res = both(src, dtype="float32", rtol=1e-6, A=A, x0=np.ones(3, np.float32))
    assert res.x.dtype == np.float32 and res.trace["obj"].dtype == np.float32


@pytest.mark.parametrize(
    "body, caret",
    [
        ("x'[j] = 1", "x'[j]"),  # the indexed target, as for a read
        ("r' = x[j]", "x[j]"),
        ("r' = sum(x[0:j])", "x[0:j]"),
        ("r' = sum(zeros(2 - j))", "zeros(2 - j)"),
        ("r' = max(x[j - 1:3])", "max(x[j - 1:3])"),
        ("r' = argmin(x[j - 1:3])", "argmin(x[j - 1:3])"),
    ],
)
def test_run_time_errors_are_numpys_at_the_same_source(tmp_path, body, caret):
    src = f"""solver s(x0: real[n], j: int) {{
  state x = x0
  state r = 0.0
  for it in 0..3 {{
    {body}
  }}
  return x, r
}}
"""
    path = tmp_path / "bad.opt"
    path.write_text(src)
    optc.solve(path, backend="mlir", x0=np.zeros(3), j=2)  # in range: fine
    errors = []
    for backend in ("numpy", "mlir"):
        with pytest.raises(OptcError) as info:
            optc.solve(path, backend=backend, x0=np.zeros(3), j=4)
        errors.append(info.value)
    expected, actual = errors
    assert "failed at run time" in actual.message
    assert src[actual.span.start : actual.span.end] == caret
    assert str(actual) == str(expected)


def test_an_exception_in_the_progress_callback_stops_the_solver(tmp_path):
    path = tmp_path / "halve.opt"
    path.write_text(HALVE.replace("UNTIL", "false"))
    calls = []

    def progress(k, total, traces):
        calls.append(k)
        if k == 3:
            raise KeyboardInterrupt

    solver = optc.solver(path, backend="mlir")
    with pytest.raises(KeyboardInterrupt):
        solver(x0=8.0, max_iter=100_000, progress=progress)
    assert calls == [1, 2, 3]
    assert solver(x0=8.0, max_iter=5).iterations == 5  # the next call runs normally
