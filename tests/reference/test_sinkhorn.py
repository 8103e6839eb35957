"""sinkhorn against a NumPy transcription of the same iterations, on two transport problems:

- `digits`: the mean images of the digits 0 and 1 as distributions over the 8×8 pixel grid,
  with the squared distance between pixel centres (grid scaled to [0, 1]²) as cost;
- `gaussians`: two 1-D densities on a 200-point grid of [0, 1], a Gaussian and a two-component
  mixture, with cost (x − y)².
Cuturi, "Sinkhorn Distances" (2013): K = exp(−C/eps); u ← a / (K v); v ← b / (Kᵀ u).
"""

from __future__ import annotations

import numpy as np
import pytest

import optc
from tests.reference.checks import assert_converged_run
from tests.reference.problems import digits
from tests.reference.tolerances import (
    DTYPES,
    SINKHORN_COLUMNS,
    SINKHORN_PLAN,
    SINKHORN_TOL,
    rel_err,
)


def transport_problem(name: str):
    """(a, b, C, eps)."""
    if name == "digits":
        X, labels = digits()
        a, b = X[labels == 0].mean(axis=0), X[labels == 1].mean(axis=0)
        rows, cols = np.divmod(np.arange(64), 8)
        grid = np.stack([rows, cols], axis=1) / 7
        C = np.sum((grid[:, None, :] - grid[None, :, :]) ** 2, axis=-1)
        return a / a.sum(), b / b.sum(), C, 0.05
    x = np.linspace(0, 1, 200)
    a = np.exp(-((x - 0.3) ** 2) / (2 * 0.08**2))
    b = 0.6 * np.exp(-((x - 0.6) ** 2) / (2 * 0.05**2)) \
        + 0.4 * np.exp(-((x - 0.85) ** 2) / (2 * 0.03**2))
    return a / a.sum(), b / b.sum(), (x[:, None] - x[None, :]) ** 2, 0.01


def numpy_sinkhorn(a, b, C, eps, tol, max_iter=100000):
    """The plan, u, v and the iteration count, with the stdlib program's stopping rule."""
    K = np.exp(-C / eps)
    u, v = np.ones_like(a), np.ones_like(b)
    for k in range(1, max_iter + 1):
        u = a / (K @ v)
        v = b / (K.T @ u)
        if np.sum(np.abs(u * (K @ v) - a)) <= tol:
            break
    return u[:, None] * K * v[None, :], u, v, k


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["digits", "gaussians"])
def test_sinkhorn_plan_and_marginals(name, dtype, record_property):
    a, b, C, eps = transport_problem(name)
    tol = SINKHORN_TOL[dtype]
    res = optc.solve("sinkhorn", a=a, b=b, C=C, eps=eps, tol=tol, dtype=dtype)
    plan, u, v, iterations = numpy_sinkhorn(a, b, C, eps, tol)

    assert res.plan.dtype == res.u.dtype == res.v.dtype == np.dtype(dtype)
    assert res.plan.shape == C.shape and res.u.shape == a.shape and res.v.shape == b.shape
    assert_converged_run(res, max_iter=100000)
    P = res.plan.astype(np.float64)
    row_err = np.sum(np.abs(P.sum(axis=1) - a))
    col_err = np.sum(np.abs(P.sum(axis=0) - b))
    assert row_err <= 2 * tol  # the stopping rule, up to rounding in the sum
    assert col_err <= SINKHORN_COLUMNS[dtype]
    plan_err = rel_err(P, plan)
    assert plan_err <= SINKHORN_PLAN[dtype]
    if dtype == "float64":
        assert res.iterations == iterations
        assert rel_err(res.u, u) <= SINKHORN_PLAN[dtype]
        assert rel_err(res.v, v) <= SINKHORN_PLAN[dtype]
    K = np.exp(-C / eps)
    assert rel_err(P, res.u[:, None] * K * res.v[None, :]) <= SINKHORN_PLAN[dtype]
    assert res.trace["marginal_error"][-1] <= tol
    record_property("plan_rel_err", plan_err)
    record_property("row_marginal_l1", row_err)
    record_property("col_marginal_l1", col_err)
