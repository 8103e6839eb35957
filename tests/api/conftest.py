"""Fixtures for the API contract tests: small real problems and a .opt file with two solvers."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

TWO_SOLVERS = textwrap.dedent("""\
    # Two solvers in one file, for optc.solver(path, name=...).

    # Repeated halving: x / 2^max_iter (a loop without a stopping rule).
    solver halve(x0: real[n], max_iter = 5) -> real[n] {
      state x = x0
      for k in 0..max_iter {
        x' = x / 2
      }
      return x
    }

    # Heron's method for elementwise square roots; returns the roots and the last change.
    solver heron(c: real[n], tol = 1e-14, max_iter = 100) -> (real[n], real) {
      state x = c + 1
      state change = inf
      trace largest_change = change
      for k in 0..max_iter until change' <= tol * max(1, norminf(x')) {
        x' = (x + c / x) / 2
        change' = norminf(x' - x)
      }
      return root = x, change
    }
""")


@pytest.fixture
def two_solvers(tmp_path):
    """Path of a .opt file declaring the solvers `halve` and `heron`."""
    path = tmp_path / "two.opt"
    path.write_text(TWO_SOLVERS)
    return path


@pytest.fixture(scope="session")
def diabetes():
    """Standardized diabetes features (442×10), centred target, and the gd step 1/||A||²."""
    X, y = load_diabetes(return_X_y=True)
    A = (X - X.mean(0)) / X.std(0)
    return A, y - y.mean(), 1 / np.linalg.norm(A, 2) ** 2
