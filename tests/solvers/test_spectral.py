"""Hutchinson's trace estimator with Rademacher probes (stdlib/spectral.opt) against
numpy.trace, on the 64x64 pixel covariance of the digits images and on diagonal matrices
(where every Rademacher probe gives the trace exactly). The per-probe variance of the
estimator is 2 (||A||_F^2 - sum_i A_ii^2), so with N probes the estimate must fall within a
few standard deviations sqrt(that / N) of the trace. The probes come from the counter-based
generator, so numpy and llvm return the same estimate.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from sklearn.datasets import load_digits

import optc

BACKENDS = ["numpy", pytest.param("llvm", marks=pytest.mark.llvm)]


@cache
def solver(backend: str):
    return optc.solver("hutchinson", backend=backend)


@cache
def covariance():
    X, _ = load_digits(return_X_y=True)
    return np.cov(X.T)


def std_error(A, probes):
    return np.sqrt(2 * (np.sum(A**2) - np.sum(np.diag(A) ** 2)) / probes)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("backend", BACKENDS)
def test_hutchinson_within_statistical_tolerance(backend, seed):
    A = covariance()
    probes = 1000
    res = solver(backend)(A=A, max_iter=probes, seed=seed)
    assert res.iterations == probes
    assert abs(res.estimate - np.trace(A)) <= 4 * std_error(A, probes)
    assert res.trace["estimate"][-1] == pytest.approx(res.estimate, rel=1e-12)
    # the sample standard error estimates the true one
    assert res.standard_error == pytest.approx(std_error(A, probes), rel=0.2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hutchinson_stops_at_relative_standard_error(backend):
    """tol = 2%: stops once the sample standard error is <= 2% of the estimate (measured 258
    probes for seed 0, 217-296 for seeds 0-3); the estimate is then within 4 of the true standard errors."""
    A = covariance()
    res = solver(backend)(A=A, tol=0.02, max_iter=100000, seed=0)
    assert res.converged and 10 <= res.iterations < 1000  # measured 258
    assert res.standard_error <= 0.02 * abs(res.estimate)
    assert res.trace["standard_error"][-1] == pytest.approx(res.standard_error, rel=1e-12)
    assert abs(res.estimate - np.trace(A)) <= 4 * std_error(A, res.iterations)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hutchinson_error_shrinks_with_more_probes(backend):
    """The mean absolute error over seeds falls roughly like 1 / sqrt(probes)."""
    A = covariance()
    errors = {p: np.mean([abs(solver(backend)(A=A, max_iter=p, seed=s).estimate - np.trace(A))
                          for s in range(6)]) for p in (20, 1000)}
    assert errors[1000] < errors[20] / 3
    assert errors[1000] <= 2 * std_error(A, 1000)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hutchinson_is_exact_on_diagonal_matrices(backend):
    D = np.diag(np.arange(1.0, 65.0))
    assert solver(backend)(A=D, max_iter=3).estimate == pytest.approx(np.trace(D), rel=1e-14)


@pytest.mark.llvm
def test_backends_draw_the_same_probes():
    A = covariance()
    ref = solver("numpy")(A=A, max_iter=200, seed=7)
    got = solver("llvm")(A=A, max_iter=200, seed=7)
    assert got.estimate == pytest.approx(ref.estimate, rel=1e-12)
