"""A small MeZO/SPSA example (tests/rng/mezo.opt): gradient estimates of a quadratic from
regenerated perturbations average to the true gradient, and MeZO descent converges; both
backends agree (llvm and mlir against numpy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import optc
from tests.rng.test_bit_identity import COMPILED

MEZO = Path(__file__).with_name("mezo.opt")


def _problem(n=6):
    rng = np.random.default_rng(1)
    M = rng.standard_normal((n, n))
    A = M @ M.T / n + np.eye(n)
    b = rng.standard_normal(n)
    x = rng.standard_normal(n)
    return A, b, x


@pytest.mark.parametrize("backend", ["numpy", pytest.param("llvm", marks=pytest.mark.llvm)])
def test_spsa_mean_over_seeds_approaches_the_gradient(backend):
    A, b, x = _problem()
    true = A @ x - b
    solver = optc.solver(MEZO, "spsa_grad", backend=backend)
    estimates = np.array([solver(A=A, b=b, x=x, eps=1e-3, seed=s, K=100).outputs["estimate"] for s in range(100)])
    errors = [np.linalg.norm(estimates[:m].mean(axis=0) - true) / np.linalg.norm(true) for m in (1, 100)]
    assert errors[1] < 0.05  # 10^4 samples: about sqrt((n + 1) / 10^4) ~ 0.03 relative
    assert errors[1] < errors[0] / 3
    assert np.linalg.norm(estimates[0] - estimates[1]) > 0  # seeds give different estimates


def _only(outputs):
    (value,) = outputs.values()
    return value


@pytest.mark.llvm
@pytest.mark.parametrize("backend", COMPILED)
def test_spsa_agrees_across_backends(backend):
    A, b, x = _problem()
    a, c = (_only(optc.solver(MEZO, "spsa_grad", backend=be)(A=A, b=b, x=x, eps=1e-3, seed=9, K=50).outputs)
            for be in ("numpy", backend))
    # the objective's dot products may be summed in another order: last bits of the slope differ
    np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "backend", ["numpy", *(pytest.param(b, marks=pytest.mark.llvm) for b in COMPILED)]
)
def test_mezo_descent_converges(backend):
    A, b, x0 = _problem()
    xstar = np.linalg.solve(A, b)
    result = optc.solver(MEZO, "mezo", backend=backend)(A=A, b=b, x0=x0, lr=0.02, eps=1e-4, seed=4, K=3000)
    x = _only(result.outputs)
    assert np.linalg.norm(x - xstar) < 1e-3 * max(1, np.linalg.norm(xstar))
    objective = np.asarray(result.trace["objective"])
    assert objective[-1] < objective[0]
