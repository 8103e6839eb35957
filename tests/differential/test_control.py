"""Loops with and without `until`, zero-iteration loops, nested loops, traces (top level and in
the loop body), int and real scalar states, several returns and `return name = expr`, and the
progress callback, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

from tests.differential import harness
from tests.differential.problems import diabetes_standardized
from tests.differential.tolerances import DTYPES, OP_RTOL

pytestmark = pytest.mark.llvm

PROGRAMS = {
    "counted": """
solver counted(x: real[n], lo: int, hi: int) {
  state y = x
  state count = 0
  state acc = 0.0
  trace total = sum(y)
  trace steps = count
  for k in lo..hi {
    y' = 0.5 * y + k
    count' = count + k
    acc' = acc + norm(y')
    trace gap = norm(y' - y) + k
  }
  return y, count, acc, total = sum(y) + count, last = y[n - 1]
}
""",
    "until": """
solver until(x: real[n], tol: real, lo: int, hi: int) {
  state y = x
  state s = 1.0
  trace size = norm(y)
  for k in lo..hi until norm(y' - y) < tol and s' < 1 {
    y' = y / 2 + s
    s' = s * 0.5
  }
  return y, s
}
""",
    "until_unprimed": """
solver until_unprimed(x0: real, limit: real, max_iter: int) -> real {
  state x = x0
  trace value = x
  for k in 0..max_iter until x < limit {
    x' = x / 2
  }
  return x
}
""",
    "nested": """
solver nested(A: real[m, n], x: real[n], sweeps: int) {
  state B = A
  state y = x
  state count = 0
  trace total = sum(B)
  for sweep in 0..sweeps until max(abs(y' - y)) < 1e-6 {
    t = sum(B)
    trace inner = sum(y') + t
    for i in 0..m {
      B'[i, :] = B[i, :] * 0.5 + y
      count' = count + i
    }
    for j in 0..n {
      for r in 0..2 {
        y'[j] = y[j] * 0.5 + r
      }
    }
  }
  return B, y, count
}
""",
    "no_loop": """
solver no_loop(A: real[m, n], x: real[n]) -> (real[m], real, int) {
  r = A @ x
  return r, norm = norm(r), count = m * n
}
""",
    "swap": """
solver swap(x: real[n], y: real[n], iters: int) {
  state u = x
  state v = y
  for k in 0..iters {
    u' = v
    v' = u + k
  }
  return u, v, w = u - v
}
""",
}

X, Y = diabetes_standardized()
A, x = X[:6, :3].copy(), X[9, :3].copy()


def check(programs, name: str, dtype: str, **inputs) -> None:
    harness.check(programs.path(PROGRAMS[name]), name, dtype, inputs, OP_RTOL[dtype],
                  measure="normwise", progress=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lo,hi", [(0, 5), (2, 7), (3, 3), (5, 1)])
def test_counted_loop_with_traces_and_several_returns(programs, dtype, lo, hi):
    check(programs, "counted", dtype, x=x, lo=lo, hi=hi)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tol,lo,hi", [(1e-3, 2, 100), (1e-3, 0, 5), (10.0, 0, 100), (1e-3, 5, 3)])
def test_until_loop(programs, dtype, tol, lo, hi):
    check(programs, "until", dtype, x=x, tol=tol, lo=lo, hi=hi)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("limit,max_iter", [(1.0, 100), (1.0, 3), (100.0, 10)])
def test_until_on_the_unprimed_value(programs, dtype, limit, max_iter):
    check(programs, "until_unprimed", dtype, x0=8.0, limit=limit, max_iter=max_iter)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sweeps", [30, 2])
def test_nested_loops(programs, dtype, sweeps):
    check(programs, "nested", dtype, A=A, x=x, sweeps=sweeps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_solver_without_loop(programs, dtype):
    check(programs, "no_loop", dtype, A=A, x=x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_simultaneous_equations_swap(programs, dtype):
    check(programs, "swap", dtype, x=x, y=np.array([5.0, -1.0, 0.25]), iters=5)
