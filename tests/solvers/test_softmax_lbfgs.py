"""stdlib/softmax.opt against scikit-learn's multinomial LogisticRegression, and
stdlib/lbfgs.opt (the two-loop recursion with ring-buffer history) against SciPy's L-BFGS-B."""

from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
from scipy.special import logsumexp
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.linear_model import LogisticRegression

import optc

ROOT = Path(__file__).resolve().parents[2]
SOFTMAX = str(ROOT / "stdlib" / "softmax.opt")
LBFGS = str(ROOT / "stdlib" / "lbfgs.opt")
BACKENDS = ["numpy", "llvm"]


def digits_standardized():
    X, y = load_digits(return_X_y=True)
    X, y = X[:500], y[:500]
    s = X.std(0)
    s[s == 0] = 1
    return (X - X.mean(0)) / s, y


@pytest.mark.parametrize("backend", BACKENDS)
def test_softmax_matches_scikit_learn(backend):
    X, y = digits_standardized()
    Y = np.eye(10)[y]
    lam = 10.0
    res = optc.solve(SOFTMAX, backend=backend, X=X, Y=Y, lam=lam, tol=1e-6)
    ref = LogisticRegression(C=1 / lam, fit_intercept=False, tol=1e-12, max_iter=100000).fit(X, y)
    W = ref.coef_.T
    Z = X @ W
    f_ref = logsumexp(Z, axis=1).sum() - (Y * Z).sum() + 0.5 * lam * (W * W).sum()
    assert res.converged
    np.testing.assert_allclose(res.W, W, rtol=0, atol=1e-6 * np.abs(W).max())
    assert res.objective == pytest.approx(f_ref, rel=1e-10)
    assert res.accuracy == pytest.approx(ref.score(X, y))
    assert res.trace["grad_norm"][-1] <= 1e-6


@pytest.mark.parametrize("backend", BACKENDS)
def test_softmax_float32_converges(backend):
    # float32: the backtracking slack scales with the dtype's epsilon, so rounding does not fail
    # the sufficient-decrease test and blow up L (with a fixed 1e-12 it stalled at ||G|| ~ 0.1).
    X, y = digits_standardized()
    Y = np.eye(10)[y]
    lam = 10.0
    res = optc.solve(SOFTMAX, backend=backend, dtype="float32", X=X.astype(np.float32),
                     Y=Y.astype(np.float32), lam=lam, tol=1e-4, max_iter=2000)
    ref = LogisticRegression(C=1 / lam, fit_intercept=False, tol=1e-12, max_iter=100000).fit(X, y)
    W = ref.coef_.T
    Z = X @ W
    f_ref = logsumexp(Z, axis=1).sum() - (Y * Z).sum() + 0.5 * lam * (W * W).sum()
    assert res.converged and res.W.dtype == np.float32
    assert res.trace["grad_norm"][-1] <= 1e-4
    np.testing.assert_allclose(res.W, W, rtol=0, atol=1e-4 * np.abs(W).max())
    # the float32 solution, its objective evaluated in float64, and as the solver computed it
    Z32 = X @ res.W.astype(np.float64)
    f32 = logsumexp(Z32, axis=1).sum() - (Y * Z32).sum() + 0.5 * lam * (res.W.astype(np.float64) ** 2).sum()
    assert f32 == pytest.approx(f_ref, rel=1e-9)
    assert float(res.objective) == pytest.approx(f_ref, rel=1e-5)


def logistic_problem():
    X, y = load_breast_cancer(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y.astype(float)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lbfgs_logistic_matches_scipy(backend):
    A, b = logistic_problem()
    lam = 1e-2

    def f(w):
        z = A @ w
        return np.mean(np.logaddexp(0, z) - b * z) + 0.5 * lam * w @ w

    def g(w):
        return A.T @ (1 / (1 + np.exp(-A @ w)) - b) / len(b) + lam * w

    ref = scipy.optimize.minimize(f, np.zeros(A.shape[1]), jac=g, method="L-BFGS-B",
                                  options=dict(gtol=1e-12, ftol=1e-16, maxiter=10000))
    res = optc.solve(LBFGS, name="lbfgs_logistic", backend=backend, A=A, b=b, lam=lam)
    assert res.converged and res.iterations < 100
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-6 * np.abs(ref.x).max())
    assert res.objective <= ref.fun + 1e-12
    assert res.objective == pytest.approx(ref.fun, rel=1e-12)
    assert np.abs(g(res.x)).max() <= 1e-10


@pytest.mark.parametrize("backend", BACKENDS)
def test_lbfgs_least_squares_matches_scipy(backend):
    A, b = load_diabetes(return_X_y=True)
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    sp = scipy.optimize.minimize(lambda x: 0.5 * np.sum((A @ x - b) ** 2), np.zeros(A.shape[1]),
                                 jac=lambda x: A.T @ (A @ x - b), method="L-BFGS-B",
                                 options=dict(gtol=1e-10, ftol=1e-16, maxiter=10000))
    res = optc.solve(LBFGS, name="lbfgs_least_squares", backend=backend, A=A, b=b, tol=1e-6)
    assert res.converged and res.iterations < 200
    np.testing.assert_allclose(res.x, x_ref, rtol=0, atol=1e-8 * np.abs(x_ref).max())
    # SciPy's L-BFGS-B optimum is itself ~1e-7 (relative) from the exact one here
    np.testing.assert_allclose(res.x, sp.x, rtol=0, atol=1e-6 * np.abs(x_ref).max())
    assert res.objective == pytest.approx(0.5 * np.sum((A @ x_ref - b) ** 2), rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lbfgs_ring_buffer_sizes(backend):
    """The history length changes the path but not the optimum; mem=1 wraps every iteration."""
    A, b = logistic_problem()
    xs = [optc.solve(LBFGS, name="lbfgs_logistic", backend=backend, A=A, b=b, lam=0.1, mem=mem,
                     tol=1e-9).x for mem in (1, 3, 20)]
    for x in xs[1:]:
        np.testing.assert_allclose(x, xs[0], rtol=0, atol=1e-7)
