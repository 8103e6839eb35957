"""Log-domain Sinkhorn (stdlib/transport.opt) against the plain `sinkhorn` and a NumPy
transcription of the same log-domain iterations (scipy.special.logsumexp).

- `digits`: the mean images of the digits 0 and 1 (+1e-3 per pixel) as histograms over the
  8x8 grid (scaled to [0, 1]^2), squared-distance cost; eps = 0.05 and 0.01, where the plain
  algorithm is fine and both must agree.
- `disjoint`: two 1-D Gaussian densities on disjoint grids of [0, 0.4] (40 points) and
  [0.6, 1] (50 points), cost (x - y)^2 >= 0.04; for eps = 1e-3 and 1e-4, exp(-C / eps)
  underflows or the scalings overflow and the plain algorithm returns non-finite plans.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.datasets import load_digits

import optc

BACKENDS = ["numpy", pytest.param("llvm", marks=pytest.mark.llvm)]
TOL = 1e-9


@cache
def solver(name: str, backend: str):
    return optc.solver(name, backend=backend)


@cache
def problem(name: str):
    if name == "digits":
        X, labels = load_digits(return_X_y=True)
        a, b = X[labels == 0].mean(axis=0) + 1e-3, X[labels == 1].mean(axis=0) + 1e-3
        rows, cols = np.divmod(np.arange(64), 8)
        grid = np.stack([rows, cols], axis=1) / 7
        C = np.sum((grid[:, None, :] - grid[None, :, :]) ** 2, axis=-1)
    else:
        x, y = np.linspace(0, 0.4, 40), np.linspace(0.6, 1.0, 50)
        a = np.exp(-((x - 0.2) ** 2) / (2 * 0.1**2))
        b = np.exp(-((y - 0.8) ** 2) / (2 * 0.05**2))
        C = (x[:, None] - y[None, :]) ** 2
    return a / a.sum(), b / b.sum(), C


def numpy_sinkhorn_log(a, b, C, eps, tol, max_iter=100000):
    f, g = np.zeros_like(a), np.zeros_like(b)
    for k in range(1, max_iter + 1):
        f = eps * np.log(a) - eps * logsumexp((g[None, :] - C) / eps, axis=1)
        g = eps * np.log(b) - eps * logsumexp((f[:, None] - C) / eps, axis=0)
        if np.sum(np.abs(np.exp(f / eps + logsumexp((g[None, :] - C) / eps, axis=1)) - a)) <= tol:
            break
    return np.exp((f[:, None] + g[None, :] - C) / eps), f, g, k


CASES = [("digits", 0.05), ("digits", 0.01), ("disjoint", 1e-3), ("disjoint", 1e-4)]


@pytest.mark.parametrize("name,eps", CASES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_log_sinkhorn_marginals_and_numpy_reference(backend, name, eps):
    a, b, C = problem(name)
    res = solver("sinkhorn_log", backend)(a=a, b=b, C=C, eps=eps, tol=TOL)
    plan, f, g, iterations = numpy_sinkhorn_log(a, b, C, eps, TOL)
    assert res.converged and np.all(np.isfinite(res.plan))
    assert np.sum(np.abs(res.plan.sum(axis=1) - a)) <= TOL
    assert np.sum(np.abs(res.plan.sum(axis=0) - b)) <= 1e-12      # exact after each iteration
    assert res.iterations == iterations                           # 83 / 426 / 197 / 1960
    assert np.max(np.abs(res.plan - plan)) <= 1e-11 * plan.max()  # measured <= 6e-13
    np.testing.assert_allclose(res.f, f, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.g, g, rtol=0, atol=1e-12)
    assert res.trace["marginal_error"][-1] <= TOL


@pytest.mark.parametrize("eps", [0.05, 0.01])
@pytest.mark.parametrize("backend", BACKENDS)
def test_log_sinkhorn_agrees_with_plain_sinkhorn(backend, eps):
    a, b, C = problem("digits")
    log = solver("sinkhorn_log", backend)(a=a, b=b, C=C, eps=eps, tol=TOL)
    plain = solver("sinkhorn", backend)(a=a, b=b, C=C, eps=eps, tol=TOL)
    assert log.iterations == plain.iterations
    assert np.max(np.abs(log.plan - plain.plan)) <= 1e-12 * plain.plan.max()  # measured 1e-15
    np.testing.assert_allclose(np.exp(log.f / eps), plain.u * np.exp(log.f / eps).sum()
                               / plain.u.sum(), rtol=1e-9)  # u = exp(f / eps) up to a scale


@pytest.mark.parametrize("eps", [1e-3, 1e-4])
@pytest.mark.parametrize("backend", BACKENDS)
def test_plain_sinkhorn_breaks_down_at_small_eps(backend, eps):
    """What the log domain is for: the plain iterations give a non-finite plan here."""
    a, b, C = problem("disjoint")
    plain = solver("sinkhorn", backend)(a=a, b=b, C=C, eps=eps, tol=TOL, max_iter=300)
    assert not np.all(np.isfinite(plain.plan))
