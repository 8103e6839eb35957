"""stdlib/newton_cg.opt (truncated Newton with hvp(f) in its CG loop and value_and_grad(f) in its
line search) on breast_cancer (standardized, labels +-1), float64, numpy and llvm: against SciPy's
Newton-CG (`minimize(method='Newton-CG', jac, hessp)`) and scikit-learn's LogisticRegression
(newton-cg solver, tol 1e-14), whose optima agree with it to ~1e-9."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

import optc

BACKENDS = ["numpy", "llvm"]


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), np.where(y == 1, 1.0, -1.0)


def _objective(x, A, y, lam):
    return float(np.sum(np.logaddexp(0.0, -y * (A @ x))) + 0.5 * lam * x @ x)


def _gradient(x, A, y, lam):
    s = 1.0 / (1.0 + np.exp(y * (A @ x)))
    return -A.T @ (y * s) + lam * x


def _hessp(x, v, A, y, lam):
    s = 1.0 / (1.0 + np.exp(y * (A @ x)))
    return A.T @ (s * (1 - s) * (A @ v)) + lam * v


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lam", [1.0, 0.01])
def test_matches_scipy_and_scikit_learn(data, lam, backend):
    A, y = data
    res = optc.solve("newton_cg_logistic", backend=backend, A=A, y=y, lam=lam)
    assert res.converged and res.iterations < 30  # Newton: a few tens of steps, not thousands
    scipy_ref = scipy.optimize.minimize(_objective, np.zeros(A.shape[1]), args=(A, y, lam), method="Newton-CG",
                                        jac=_gradient, hessp=_hessp, options={"xtol": 1e-14, "maxiter": 1000})
    assert scipy_ref.success
    sk = LogisticRegression(C=1 / lam, fit_intercept=False, solver="newton-cg", tol=1e-14,
                            max_iter=10000).fit(A, y).coef_[0]
    f = _objective(res.x, A, y, lam)
    assert np.linalg.norm(_gradient(res.x, A, y, lam)) <= 1e-10 * np.linalg.norm(_gradient(0 * res.x, A, y, lam))
    assert np.max(np.abs(res.x - scipy_ref.x)) <= 1e-7 * np.max(np.abs(scipy_ref.x))
    # ||x - x*|| <= ||g(x)|| / lam: the stopping rule (||g|| <= 1e-10 ||g(0)||, ~3e-8) allows 3e-6
    # at lam = 0.01; Newton's quadratic convergence ends well inside it (measured: <= 2e-8).
    assert np.max(np.abs(res.x - sk)) <= 1e-7 * np.max(np.abs(sk))
    assert abs(f - scipy_ref.fun) <= 1e-12 * f and abs(f - _objective(sk, A, y, lam)) <= 1e-12 * f


@pytest.mark.parametrize("backend", BACKENDS)
def test_traces(data, backend):
    """The objective decreases at every step, and it and the gradient norm are those of the
    iterates; the last gradient norm meets the stopping rule."""
    A, y = data
    lam = 0.1
    res = optc.solve("newton_cg_logistic", backend=backend, A=A, y=y, lam=lam)
    objective, grad_norm = res.trace["objective"], res.trace["grad_norm"]
    assert len(objective) == len(grad_norm) == res.iterations
    assert np.all(np.diff(objective) <= 1e-12 * objective[0])
    g0 = np.linalg.norm(_gradient(np.zeros(A.shape[1]), A, y, lam))
    assert grad_norm[-1] <= 1e-10 * g0 < grad_norm[-2]
    assert abs(objective[-1] - _objective(res.x, A, y, lam)) <= 1e-13 * objective[-1]
    assert abs(grad_norm[-1] - np.linalg.norm(_gradient(res.x, A, y, lam))) <= 1e-3 * grad_norm[-1]

