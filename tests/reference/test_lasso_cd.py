"""lasso_cd (cyclic coordinate descent) against scikit-learn's Lasso coefficients.

Two problems: diabetes as shipped (442×10, unstandardized features and raw target) and a
200×50 `make_regression` problem with 10 informative features. lam runs over fractions of
lam_max = ||Aᵀb||∞, the last one past it, where every coefficient must be exactly zero.
scikit-learn's Lasso(alpha) minimizes (1/2m)·||Ax − b||² + alpha·||x||₁: alpha = lam / m.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.linear_model import Lasso

import optc
from tests.reference.checks import assert_converged_run, assert_non_increasing
from tests.reference.problems import diabetes_raw
from tests.reference.tolerances import DTYPES, LASSO_CD_X, LASSO_TOL, TRACE_VALUE, rel_err

FRACTIONS = (1e-4, 1e-2, 0.1, 0.5, 1.01)


@cache
def data(name: str):
    if name == "diabetes":
        return diabetes_raw()
    return make_regression(n_samples=200, n_features=50, n_informative=10, noise=5.0,
                           random_state=0)


@cache
def reference(name: str, fraction: float):
    """(A, b, lam, fitted scikit-learn Lasso)."""
    A, b = data(name)
    lam = fraction * np.max(np.abs(A.T @ b))
    est = Lasso(alpha=lam / len(b), fit_intercept=False, tol=1e-12, max_iter=10**6).fit(A, b)
    return A, b, lam, est


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fraction", FRACTIONS)
@pytest.mark.parametrize("name", ["diabetes", "make_regression"])
def test_matches_sklearn_lasso(name, fraction, dtype, record_property):
    A, b, lam, est = reference(name, fraction)
    res = optc.solve("lasso_cd", A=A.astype(dtype), b=b.astype(dtype), lam=lam,
                     tol=LASSO_TOL[dtype])

    assert res.x.dtype == np.dtype(dtype)
    assert_converged_run(res, max_iter=100000)
    if fraction > 1:  # past lam_max: zero after the first sweep, which moves nothing
        assert np.all(res.x == 0) and np.all(est.coef_ == 0)
        assert res.iterations == 1
        return
    err = rel_err(res.x, est.coef_)
    assert err <= LASSO_CD_X[dtype]
    np.testing.assert_array_equal(res.x == 0, est.coef_ == 0)
    trace = res.trace["objective"]
    assert_non_increasing(trace, dtype, "the objective")  # each coordinate step is exact
    x = res.x.astype(np.float64)
    objective = 0.5 * np.sum((A @ x - b) ** 2) + lam * np.sum(np.abs(x))
    assert rel_err(trace[-1], objective) <= TRACE_VALUE[dtype]
    record_property("x_rel_err", err)


@pytest.mark.parametrize("fraction", FRACTIONS[:-1])
@pytest.mark.parametrize("name", ["diabetes", "make_regression"])
def test_sweeps_match_sklearn(name, fraction):
    """Same cyclic order, same exact coordinate steps and the same scale-free stopping rule
    (largest change ≤ tol · largest coefficient): the same number of sweeps as scikit-learn
    (whose duality-gap check passes at that sweep on these problems)."""
    A, b, lam, est = reference(name, fraction)
    res = optc.solve("lasso_cd", A=A, b=b, lam=lam, tol=1e-12)
    assert res.iterations == est.n_iter_
