"""What a solver means, as the NumPy backend runs it: stopping rules, loops, nested sweeps,
indexed updates, traces, results, and run-time errors at the user's line."""

from __future__ import annotations

import numpy as np
import pytest

from optc.errors import OptcError

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


# ---------------------------------------------------------------- stopping rules


def test_until_is_read_after_each_iteration_with_primed_and_unprimed_values(solve):
    # x: 8 -> 4 -> 2 -> 1 -> 0.5 -> 0.25 -> 0.125 -> 0.0625; |x' - x| first < 0.1 when x' = 0.0625
    res = solve(HALVE.replace("UNTIL", "abs(x' - x) < tol"), x0=8.0)
    assert res.iterations == 7
    assert res.converged is True
    assert res.x == 0.0625
    np.testing.assert_array_equal(res.trace["v"], [4, 2, 1, 0.5, 0.25, 0.125, 0.0625])


def test_until_on_the_unprimed_value_sees_the_value_before_the_iteration(solve):
    # x at the start of iterations 1..5 is 8, 4, 2, 1, 0.5: the fifth is the first below 1
    res = solve(HALVE.replace("UNTIL", "x < 1"), x0=8.0)
    assert (res.iterations, res.x) == (5, 0.25)


def test_until_on_the_primed_value_sees_the_value_after_the_iteration(solve):
    # x' after iterations 1..4 is 4, 2, 1, 0.5: the fourth is the first below 1
    res = solve(HALVE.replace("UNTIL", "x' < 1"), x0=8.0)
    assert (res.iterations, res.x) == (4, 0.5)


def test_until_may_read_locals_of_the_loop_body(solve):
    src = """
solver s(x0: real) {
  state x = x0
  for k in 0..100 until delta < 0.1 {
    delta = abs(x' - x)
    x' = x / 2
    trace d = delta
  }
  return x
}
"""
    res = solve(src, x0=8.0)
    assert (res.iterations, res.x) == (7, 0.0625)
    np.testing.assert_array_equal(res.trace["d"], [4, 2, 1, 0.5, 0.25, 0.125, 0.0625])


def test_until_that_holds_at_once_stops_after_one_iteration(solve):
    res = solve(HALVE.replace("UNTIL", "true"), x0=8.0)
    assert (res.iterations, res.converged, res.x) == (1, True, 4.0)


def test_running_out_of_iterations_is_not_convergence(solve):
    res = solve(HALVE.replace("UNTIL", "abs(x' - x) < tol"), x0=8.0, max_iter=5)
    assert (res.iterations, res.converged, res.x) == (5, False, 0.25)
    assert len(res.trace["v"]) == 5


def test_hyperparameters_change_the_stopping_point(solve):
    res = solve(HALVE.replace("UNTIL", "abs(x' - x) < tol"), x0=8.0, tol=1.5)
    assert (res.iterations, res.x) == (3, 1.0)  # |x' - x| = 4, 2, 1: below 1.5 at the third


def test_loop_without_until_runs_every_iteration_and_converges(solve):
    src = "solver s(a: int, b: int) {\n  state total = 0\n  for k in a..b { total' = total + k }\n  return total\n}\n"
    res = solve(src, a=2, b=5)
    assert (res.total, res.iterations, res.converged) == (2 + 3 + 4, 3, True)
    empty = solve(src, a=5, b=2)
    assert (empty.total, empty.iterations, empty.converged) == (0, 0, True)


def test_zero_iterations_with_until_is_not_convergence(solve):
    res = solve(HALVE.replace("UNTIL", "true"), x0=8.0, max_iter=0)
    assert (res.iterations, res.converged, res.x) == (0, False, 8.0)
    assert res.trace["v"].shape == (0,)


def test_loop_bounds_are_int_expressions_of_dims(solve):
    src = (
        "solver s(x: real[n]) {\n  state c = 0\n  for k in 1..n - 1 { c' = c + 1 }\n  return c\n}\n"
    )
    assert solve(src, x=np.zeros(5)).c == 3


def test_a_solver_without_a_loop(solve):
    res = solve(
        "solver s(x: real[n]) {\n  state y = 2 * x\n  return y, total = sum(y)\n}\n",
        x=np.array([1.0, 2.0]),
    )
    np.testing.assert_array_equal(res.y, [2.0, 4.0])
    assert (res.total, res.iterations, res.converged, res.trace) == (6.0, 0, True, {})


# ---------------------------------------------------------------- nested loops


def test_inner_sweep_is_gauss_seidel(solve):
    # each x'[j] reads x as updated by the sweep so far: [1,1,1] -> [3,1,1] -> [3,5,1] -> [3,5,9]
    src = "solver s(x0: real[n]) {\n  state x = x0\n  for it in 0..1 {\n    for j in 0..n { x'[j] = sum(x) }\n  }\n  return x\n}\n"
    np.testing.assert_array_equal(solve(src, x0=np.ones(3)).x, [3.0, 5.0, 9.0])


SWEEP = """
solver s(x0: real[n], tol = 1.5, max_iter = 20) {
  state x = x0
  state swept = 0
  trace change = norm(x - x_start)
  x_start = x0
  for it in 0..max_iter until norm(x' - x) < tol {
    for j in 0..n { x'[j] = x[j] + 1 }
    swept' = swept + 1
  }
  return x, swept
}
"""


def test_until_around_a_sweep_measures_the_change_over_the_whole_sweep(solve):
    # one sweep adds 1 to every coordinate: norm(x' - x) = sqrt(n), whatever one step changes
    two = solve(SWEEP, x0=np.zeros(2))
    assert (two.iterations, two.converged, two.swept) == (1, True, 1)  # sqrt(2) < 1.5
    three = solve(SWEEP, x0=np.zeros(3))
    assert (three.iterations, three.converged, three.swept) == (20, False, 20)  # sqrt(3) >= 1.5
    np.testing.assert_array_equal(three.x, [20.0, 20.0, 20.0])
    np.testing.assert_allclose(three.trace["change"], np.sqrt(3) * np.arange(1, 21))


def test_inner_loop_final_values_are_the_outer_primed_values(solve):
    src = """
solver s(x0: real) {
  state x = x0
  state seen = 0.0
  state before = 0.0
  for it in 0..2 {
    seen' = x'
    before' = x
    for j in 0..3 { x' = x * 2 }
  }
  return x, seen, before
}
"""
    res = solve(src, x0=1.0)
    assert (res.x, res.seen, res.before) == (64.0, 64.0, 8.0)


def test_inner_loop_with_until_starts_from_the_outer_current_values(solve):
    src = """
solver s(x0: real) {
  state x = x0
  state steps = 0
  for k in 0..3 {
    for j in 0..100 until x' >= 10 * (k + 1) {
      x' = x + 1
      steps' = steps + 1
    }
  }
  return x, steps
}
"""
    res = solve(src, x0=0.0)
    assert (res.x, res.steps, res.iterations) == (30.0, 30, 3)


def test_inner_loop_reads_outer_locals(solve):
    src = """
solver s(x0: real[n], c: real) {
  state x = x0
  for it in 0..2 {
    shift = c * (it + 1)
    for j in 0..n { x'[j] = x[j] + shift }
  }
  return x
}
"""
    np.testing.assert_array_equal(solve(src, x0=np.zeros(2), c=1.5).x, [4.5, 4.5])


# ---------------------------------------------------------------- indexed updates


def test_indexed_update_changes_one_element(solve):
    src = """
solver s(x0: real[n], j: int, v: real) {
  state x = x0
  for it in 0..1 { x'[j] = v + x[j] }
  return x, orig = x0
}
"""
    x0 = np.array([1.0, 2.0, 3.0])
    res = solve(src, x0=x0, j=1, v=10.0)
    np.testing.assert_array_equal(res.x, [1.0, 12.0, 3.0])
    np.testing.assert_array_equal(res.orig, x0)


def test_row_and_column_updates(solve):
    src = """
solver s(A0: real[m, n], row: real[n], col: real[m]) {
  state A = A0
  state B = A0
  for it in 0..1 {
    A'[1, :] = row
    B'[:, 0] = col * 2
  }
  return A, B
}
"""
    A0 = np.arange(6.0).reshape(2, 3)
    res = solve(src, A0=A0, row=np.array([7.0, 8.0, 9.0]), col=np.array([1.0, 2.0]))
    np.testing.assert_array_equal(res.A, [[0, 1, 2], [7, 8, 9]])
    np.testing.assert_array_equal(res.B, [[2, 1, 2], [4, 4, 5]])


def test_slice_update_and_primed_read_of_the_updated_element(solve):
    src = """
solver s(x0: real[n]) {
  state x = x0
  state r = 0.0
  for it in 0..1 {
    x'[1:3] = x[0:2] * 10
    r' = x'[2] - x[2]
  }
  return x, r
}
"""
    res = solve(src, x0=np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(res.x, [1.0, 10.0, 20.0, 4.0])
    assert res.r == 17.0


def test_lasso_coordinate_descent_matches_a_direct_solution(solve):
    # with lam = 0 the lasso is least squares: the sweep must reach the normal-equations solution
    src = """
solver cd(A: real[m, n], b: real[m], tol = 1e-13, max_iter = 10000) -> real[n] {
  col_sq = sum(A * A, axis=0)
  state x = zeros(n)
  state r = b
  for sweep in 0..max_iter until norminf(x' - x) <= tol {
    for j in 0..n {
      rho = dot(A[:, j], r) + col_sq[j] * x[j]
      x'[j] = rho / col_sq[j]
      r' = r - A[:, j] * (x'[j] - x[j])
    }
  }
  return x
}
"""
    rng = np.random.default_rng(1)
    A, b = rng.standard_normal((8, 3)), rng.standard_normal(8)
    res = solve(src, A=A, b=b)
    assert res.converged
    np.testing.assert_allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-9)


# ---------------------------------------------------------------- traces, results, states


def test_traces_have_one_value_per_iteration(solve):
    src = """
solver s(x0: real, max_iter = 4) {
  state x = x0
  trace after = x
  trace count = 1
  for k in 0..max_iter {
    x' = x + 1
    trace before = x
    trace step = k
  }
  return x
}
"""
    res = solve(src, x0=0.0)
    assert set(res.trace) == {"after", "count", "before", "step"}
    np.testing.assert_array_equal(res.trace["after"], [1, 2, 3, 4])  # top level: the new values
    np.testing.assert_array_equal(
        res.trace["before"], [0, 1, 2, 3]
    )  # in the body: this iteration's
    np.testing.assert_array_equal(res.trace["step"], [0, 1, 2, 3])
    np.testing.assert_array_equal(res.trace["count"], [1, 1, 1, 1])
    assert all(t.dtype == np.float64 for t in res.trace.values())


def test_several_results_and_named_return_expressions(solve):
    src = """
solver s(x: real[n]) -> (real[n], real, int) {
  state y = x
  for k in 0..3 { y' = 2 * y }
  return y, total = sum(y), count = n
}
"""
    res = solve(src, x=np.array([1.0, 2.0]))
    np.testing.assert_array_equal(res.y, [8.0, 16.0])
    assert (res.total, res.count) == (24.0, 2)
    assert set(res.outputs) == {"y", "total", "count"}


def test_states_without_an_equation_keep_their_value(solve):
    src = """
solver s(x0: real) {
  state x = x0
  state c = 5.0
  state d = x0 * 3
  for k in 0..3 { x' = x + c }
  return x, c, d
}
"""
    res = solve(src, x0=1.0)
    assert (res.x, res.c, res.d) == (16.0, 5.0, 3.0)


def test_statements_before_the_loop_run_once_on_initial_values(solve):
    src = """
solver s(x0: real) {
  state x = x0
  start = x * 10
  for k in 0..3 { x' = x + start }
  return x, start
}
"""
    res = solve(src, x0=1.0)
    assert (res.x, res.start) == (31.0, 10.0)


def test_progress_is_called_after_each_outer_iteration(solve):
    calls = []
    res = solve(
        HALVE.replace("UNTIL", "abs(x' - x) < tol"), x0=8.0, progress=lambda *a: calls.append(a)
    )
    assert [c[0] for c in calls] == list(range(1, res.iterations + 1))
    assert all(c[1] == 100 for c in calls)
    assert [c[2]["v"] for c in calls] == list(res.trace["v"])


def test_float32_runs_stay_float32(solve):
    src = """
solver s(A: real[m, n], x0: real[n]) -> (real[n], real) {
  state x = x0
  trace obj = norm(A @ x)
  for k in 0..3 { x' = x - 0.1 * A.T @ (A @ x) }
  return x, total = sum(x)
}
"""
    A = np.arange(6, dtype=np.float32).reshape(2, 3) / 10
    res = solve(src, A=A, x0=np.ones(3, np.float32))
    assert res.x.dtype == np.float32 and res.trace["obj"].dtype == np.float32
    assert isinstance(res.total, float)
    x = np.ones(3, np.float32)
    for _ in range(3):
        x = x - np.float32(0.1) * A.T @ (A @ x)
    np.testing.assert_allclose(res.x, x, rtol=1e-6)
    res64 = solve(src, dtype="float64", A=A, x0=np.ones(3, np.float32))
    assert res64.x.dtype == np.float64


# ---------------------------------------------------------------- run-time errors


@pytest.mark.parametrize(
    "body, caret",
    [
        ("x'[j] = 1", "x'[j]"),  # the indexed target, as for a read
        ("r' = x[j]", "x[j]"),
        ("r' = sum(x[0:j])", "x[0:j]"),
    ],
)
def test_out_of_range_index_is_an_error_at_its_source(solve, body, caret):
    src = f"""solver s(x0: real[n], j: int) {{
  state x = x0
  state r = 0.0
  for it in 0..1 {{
    {body}
  }}
  return x, r
}}
"""
    solve(src, x0=np.zeros(3), j=2)  # in range: fine
    with pytest.raises(OptcError, match="out of range") as info:
        solve(src, x0=np.zeros(3), j=4)
    err = info.value
    assert (err.span.line, err.span.col) == (5, 5 + body.index(caret))
    assert src[err.span.start : err.span.end] == caret
    assert f":5:{5 + body.index(caret)}: error:" in str(err)


def test_negative_index_counts_from_the_end(solve):
    src = "solver s(x: real[n]) { return a = x[-1], b = x[-n] }"
    res = solve(src, x=np.array([1.0, 2.0, 3.0]))
    assert (res.a, res.b) == (3.0, 1.0)
    with pytest.raises(OptcError, match="index -4 is out of range"):
        solve("solver s(x: real[n]) { return a = x[-n - 1] }", x=np.array([1.0, 2.0, 3.0]))
