"""ista and fista on the lasso, 0.5·||Ax − b||² + lam·||x||₁, against scikit-learn's Lasso.

scikit-learn minimizes (1/2m)·||Ax − b||² + alpha·||x||₁, so alpha = lam / m. The data are
the standardized diabetes features (442×10, target centred); lam runs from almost least
squares to a sparse solution, as fractions of lam_max = ||Aᵀb||∞ (where the solution becomes
zero).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from sklearn.linear_model import Lasso

import optc
from tests.reference.checks import assert_converged_run, assert_non_increasing
from tests.reference.problems import diabetes_standardized
from tests.reference.tolerances import (
    DTYPES,
    PROX_OBJECTIVE,
    PROX_X,
    SOLVER_TOL,
    TRACE_VALUE,
    rel_err,
)

FRACTIONS = (1e-4, 0.05, 0.5)


def lasso_objective(A, b, lam, x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * float(np.sum((A @ x - b) ** 2)) + lam * float(np.sum(np.abs(x)))


@cache
def problem(fraction: float):
    """(A, b, lam, L, scikit-learn's coefficients, the optimal objective)."""
    A, b = diabetes_standardized()
    lam = fraction * np.max(np.abs(A.T @ b))
    L = np.linalg.norm(A, 2) ** 2
    coef = Lasso(alpha=lam / len(b), fit_intercept=False, tol=1e-12, max_iter=10**6).fit(A, b).coef_
    return A, b, lam, L, coef, lasso_objective(A, b, lam, coef)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fraction", FRACTIONS)
@pytest.mark.parametrize("name", ["ista", "fista"])
def test_matches_sklearn_lasso(name, fraction, dtype, record_property):
    A, b, lam, L, coef, best = problem(fraction)
    res = optc.solve(name, A=A.astype(dtype), b=b.astype(dtype), lam=lam, L=L,
                     tol=SOLVER_TOL[dtype])

    assert res.x.dtype == np.dtype(dtype)
    assert_converged_run(res, max_iter=100000)
    gap = (lasso_objective(A, b, lam, res.x) - best) / best
    x_err = rel_err(res.x, coef)
    assert -1e-15 <= gap <= PROX_OBJECTIVE[dtype]
    assert x_err <= PROX_X[dtype]
    if dtype == "float64":  # soft thresholding gives exact zeros: the same ones
        np.testing.assert_array_equal(res.x == 0, coef == 0)
    trace = res.trace["objective"]
    assert rel_err(trace[-1], lasso_objective(A, b, lam, res.x)) <= TRACE_VALUE[dtype]
    if name == "ista":  # a proximal gradient step with 1/L never increases the objective
        assert_non_increasing(trace, dtype, "ista's objective")
    record_property("objective_gap", gap)
    record_property("x_rel_err", x_err)


def iterations_to_reach(trace: np.ndarray, target: float) -> int:
    reached = np.flatnonzero(trace <= target)
    assert reached.size, "never reached the target"
    return int(reached[0]) + 1


@pytest.mark.parametrize("fraction", FRACTIONS)
def test_fista_needs_fewer_iterations_than_ista(fraction):
    """Iterations to come within 1e-8 of the optimal objective: FISTA's O(1/k²) rate against
    ISTA's O(1/k). Near least squares (the ill-conditioned case, no zeros) by a factor over 10;
    with a sparse solution ISTA's linear rate on the small active set narrows the gap."""
    A, b, lam, L, _, best = problem(fraction)
    counts = {}
    for name in ("ista", "fista"):
        res = optc.solve(name, A=A, b=b, lam=lam, L=L, tol=SOLVER_TOL["float64"])
        counts[name] = iterations_to_reach(res.trace["objective"], best * (1 + 1e-8))
    assert counts["fista"] < counts["ista"], counts
    if fraction == min(FRACTIONS):
        assert 10 * counts["fista"] < counts["ista"], counts
