"""lasso_cd_shuffled (coordinate descent, a fresh random order each sweep) against scikit-learn's
Lasso(selection='random') optimum on diabetes, and its first sweeps against a NumPy
transcription that visits the coordinates in the order random_subset(seed, sweep, n, n).

scikit-learn's Lasso(alpha) minimizes (1/2m)·||Ax − b||² + alpha·||x||₁: alpha = lam / m. Its
random selection draws one coordinate per step, so the iterates differ; the optimum (unique
here: diabetes has full column rank) does not.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from optc.backends.numpy.rules import random_subset
from sklearn.linear_model import Lasso

import optc
from tests.reference.checks import assert_converged_run, assert_non_increasing
from tests.reference.problems import diabetes_raw
from tests.reference.tolerances import DTYPES, LASSO_TOL, TRACE_VALUE, rel_err

FRACTIONS = (1e-4, 1e-2, 0.1, 0.5)
# Other iterates than scikit-learn's stop at other points near the optimum: measured worst
# relative coefficient errors 1.5e-10 (float64; scikit-learn's cyclic and random runs differ by
# 1.9e-10 themselves at lam = 1e-4 lam_max) and 1.005e-4 (float32); objectives agree to 4e-15
# and 3.9e-7.
X_TOL = {"float64": 1e-9, "float32": 3e-4}
OBJECTIVE_TOL = {"float64": 1e-13, "float32": 2e-6}


@cache
def reference(fraction: float):
    """(A, b, lam, fitted scikit-learn Lasso with random selection)."""
    A, b = diabetes_raw()
    lam = fraction * np.max(np.abs(A.T @ b))
    est = Lasso(alpha=lam / len(b), fit_intercept=False, tol=1e-12, max_iter=10**6,
                selection="random", random_state=0).fit(A, b)
    return A, b, lam, est


def _objective(A, b, lam, x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * np.sum((A @ x - b) ** 2) + lam * np.sum(np.abs(x))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fraction", FRACTIONS)
def test_matches_sklearn_random_selection(fraction, dtype, record_property):
    A, b, lam, est = reference(fraction)
    res = optc.solve("lasso_cd_shuffled", A=A.astype(dtype), b=b.astype(dtype), lam=lam,
                     seed=11, tol=LASSO_TOL[dtype])
    assert res.x.dtype == np.dtype(dtype)
    assert_converged_run(res, max_iter=100000)
    err = rel_err(res.x, est.coef_)
    assert err <= X_TOL[dtype]
    np.testing.assert_array_equal(res.x == 0, est.coef_ == 0)
    trace = res.trace["objective"]
    assert_non_increasing(trace, dtype, "the objective")  # each coordinate step is exact
    assert rel_err(trace[-1], _objective(A, b, lam, res.x)) <= TRACE_VALUE[dtype]
    reference_objective = _objective(A, b, lam, est.coef_)
    assert abs(trace[-1] - reference_objective) <= OBJECTIVE_TOL[dtype] * reference_objective
    record_property("x_rel_err", err)


def _numpy_sweeps(A, b, lam, seed: int, sweeps: int) -> np.ndarray:
    """Exact coordinate minimisation over randperm(seed, sweep, n), written out in NumPy."""
    col_sq = np.sum(A * A, axis=0)
    x, r = np.zeros(A.shape[1]), b.copy()
    for sweep in range(sweeps):
        for j in random_subset(seed, sweep, A.shape[1], A.shape[1]):
            rho = A[:, j] @ r + col_sq[j] * x[j]
            new = np.sign(rho) * max(abs(rho) - lam, 0) / col_sq[j]
            r -= A[:, j] * (new - x[j])
            x[j] = new
    return x


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_sweeps_follow_the_documented_order(backend):
    A, b, lam, _ = reference(1e-2)
    res = optc.solve("lasso_cd_shuffled", backend=backend, A=A, b=b, lam=lam, seed=4, tol=-1.0,
                     max_iter=3)
    expected = _numpy_sweeps(A, b, lam, seed=4, sweeps=3)
    assert rel_err(res.x, expected) <= 1e-12
    # Another seed visits the coordinates in other orders: other iterates, the same optimum.
    other = optc.solve("lasso_cd_shuffled", backend=backend, A=A, b=b, lam=lam, seed=5,
                       tol=-1.0, max_iter=3)
    assert rel_err(other.x, expected) > 1e-6
