"""Coordinate solvers on data with an all-zero column, against scikit-learn and NumPy.

A zero column a_j has L_j = ||a_j||^2 = 0 (with lam = 0 for the logistic loss) and g_j = 0: the
coordinate must stay at 0, the value numpy.linalg.lstsq (minimum norm), Lasso and
LogisticRegression give it, not 0 / 0 = NaN; the selection rules and the block solves must not
break on it. Data: diabetes (442x10) with a zero column inserted at index 4 (so that it shares a
block of 2 with column 5, and is a block of its own with bs = 1); logistic labels are diabetes'
target above its median.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso, LogisticRegression

import optc

BACKENDS = ["numpy", pytest.param("llvm", marks=pytest.mark.llvm)]
ZERO = 4


@cache
def solver(name: str, backend: str):
    return optc.solver(name, backend=backend)


@cache
def data():
    A, b = load_diabetes(return_X_y=True)
    return np.insert(A, ZERO, 0.0, axis=1), b


def check(x, ref, tol):
    """x has no NaN, its zero column's coordinate is exactly 0 (the reference's is 0 up to the
    rounding of lstsq's SVD, 4e-13), and it is within tol of ref."""
    assert np.all(np.isfinite(x)), x
    assert x[ZERO] == 0.0 and abs(ref[ZERO]) <= 1e-12 * np.max(np.abs(ref))
    err = float(np.max(np.abs(x - ref)) / np.max(np.abs(ref)))
    assert err <= tol, err


@pytest.mark.parametrize("backend", BACKENDS)
def test_least_squares(backend):
    A, b = data()
    ref = np.linalg.lstsq(A, b, rcond=None)[0]
    for rule in range(4):  # cyclic and random picked the zero column: NaN; GSL scored it NaN
        res = solver("cd_least_squares", backend)(A=A, b=b, rule=rule, tol=1e-6)
        assert res.converged, rule
        check(res.x, ref, 1e-6)                                # measured <= 1.5e-7
    for bs in (1, 2, 3):  # the blocks holding the zero column were singular
        for rule in (0, 2):
            res = solver("bcd_least_squares", backend)(A=A, b=b, bs=bs, rule=rule, tol=1e-6)
            assert res.converged, (bs, rule)
            check(res.x, ref, 1e-6)


@cache
def lasso_reference():
    A, b = data()
    lam = 0.1 * np.max(np.abs(A.T @ b))
    est = Lasso(alpha=lam / len(b), fit_intercept=False, tol=1e-14, max_iter=10**6).fit(A, b)
    return lam, est.coef_


@pytest.mark.parametrize("backend", BACKENDS)
def test_lasso(backend):
    A, b = data()
    lam, coef = lasso_reference()
    for rule in range(5):  # the zero column's prox step was NaN, and GS-r picked it
        res = solver("cd_lasso", backend)(A=A, b=b, lam=lam, rule=rule, tol=1e-6)
        assert res.converged, rule
        check(res.x, coef, 1e-6)                               # measured <= 4.6e-9
        np.testing.assert_array_equal(res.x == 0, coef == 0)
        for bs in (1, 2):  # bs = 1: the zero column is a block with L_B = 0
            res = solver("bcd_lasso", backend)(A=A, b=b, lam=lam, bs=bs, rule=rule, tol=1e-6)
            assert res.converged, (bs, rule)
            check(res.x, coef, 1e-6)
    for name in ("lasso_cd", "lasso_cd_shuffled"):  # these guarded col_sq = 0 already
        res = solver(name, backend)(A=A, b=b, lam=lam)
        check(res.x, coef, 1e-6)


@cache
def logistic_reference():
    """Unregularized logistic regression (lam = 0; scikit-learn's C = inf) with labels in
    {-1, +1}: scikit-learn's lbfgs leaves the zero column's coefficient at 0."""
    A, b = data()
    labels = np.where(b > np.median(b), 1.0, -1.0)
    est = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10**5).fit(A, labels)
    return labels, est.coef_[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_without_regularization(backend):
    A, _ = data()
    labels, w = logistic_reference()
    # The GS and GSL rules; cyclic needs 21071 updates, too slow for the numpy interpreter.
    rules = (0, 1, 2, 3) if backend == "llvm" else (2, 3)
    for rule in rules:  # cyclic and random picked the zero column: NaN
        res = solver("cd_logistic", backend)(A=A, y=labels, lam=0.0, rule=rule, tol=1e-8)
        assert res.converged, rule
        check(res.x, w, 1e-5)                                  # measured <= 9.2e-7 (all cases)
    # bcd_logistic solved M_B (GSQ's matrix) for every rule, and H_BB even with newton = false:
    # both singular here. bs = 1 makes the zero column a block with L_B = 0.
    cases = [(1, 0, False), (1, 4, True), (2, 4, True), (2, 2, False), (3, 3, True)]
    for bs, rule, newton in cases if backend == "llvm" else cases[1:3]:
        res = solver("bcd_logistic", backend)(A=A, y=labels, lam=0.0, bs=bs, rule=rule,
                                              newton=newton, tol=1e-8)
        assert res.converged, (bs, rule, newton)
        check(res.x, w, 1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_gradient_blocks_with_dependent_columns(backend):
    """lam = 0 and column 0 twice in block 0: M_B and H_BB are singular, but gradient steps
    (newton = false) with a rule other than GSQ never solve with them (they did: the GSQ score
    was computed for every rule). Both copies move alike from 0, so each carries half of
    scikit-learn's coefficient on the data without the copy, and the objective is its minimum."""
    A, b = load_diabetes(return_X_y=True)
    labels = np.where(b > np.median(b), 1.0, -1.0)
    w = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10**5).fit(A, labels).coef_[0]
    doubled = np.column_stack([A[:, :1], A])
    run = solver("bcd_logistic", backend)
    res = run(A=doubled, y=labels, lam=0.0, bs=2, rule=2, newton=False, tol=1e-8)
    assert res.converged
    merged = np.concatenate([[res.x[0] + res.x[1]], res.x[2:]])
    assert abs(res.x[0] - res.x[1]) <= 1e-12 * abs(res.x[0])
    err = float(np.max(np.abs(merged - w)) / np.max(np.abs(w)))
    assert err <= 1e-5, err
    with pytest.raises(optc.OptcError, match=r"the matrix is singular"):  # GSQ needs M_B
        run(A=doubled, y=labels, lam=0.0, bs=2, rule=4, newton=False, tol=1e-8)
