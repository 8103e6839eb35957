"""cg against numpy.linalg.solve and scipy.sparse.linalg.cg on SPD systems from the digits.

`ill`: XᵀX + 1e-3·I for the 1797×64 digit images as shipped (condition number about 5e9:
several pixels are always blank); `well`: XᵀX/1797 + I (condition number about 2.7e3). The
right-hand side is the mean image of the digit 3.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg

import optc
from tests.reference.checks import assert_converged_run
from tests.reference.problems import digits
from tests.reference.tolerances import CG_ITERATION_SLACK, CG_RTOL, CG_VS_SCIPY, CG_X, rel_err


def system(kind: str):
    X, labels = digits()
    A = X.T @ X + 1e-3 * np.eye(64) if kind == "ill" else X.T @ X / len(X) + np.eye(64)
    return A, X[labels == 3].mean(axis=0)


def scipy_cg(A, b, rtol, maxiter=10000):
    """SciPy's answer, its info flag, and how many iterations it ran."""
    count = [0]
    x, info = scipy.sparse.linalg.cg(A, b, rtol=rtol, maxiter=maxiter,
                                     callback=lambda xk: count.__setitem__(0, count[0] + 1))
    return x, info, count[0]


CASES = [("ill", "float64"), ("well", "float64"), ("well", "float32")]


@pytest.mark.parametrize("kind, dtype", CASES)
def test_cg_matches_solve_and_scipy(kind, dtype, record_property):
    A, b = system(kind)
    rtol = CG_RTOL[dtype]
    res = optc.solve("cg", A=A, b=b, tol=rtol, dtype=dtype)
    x_ref, info, scipy_iterations = scipy_cg(A.astype(dtype), b.astype(dtype), rtol)

    assert res.x.dtype == np.dtype(dtype)
    assert_converged_run(res, max_iter=10000)
    # the same iterations up to rounding: dot products summed in another order can move the
    # stopping iteration of a run at the rounding level by a few steps
    assert info == 0 and abs(res.iterations - scipy_iterations) <= CG_ITERATION_SLACK(scipy_iterations)
    solve_err = rel_err(res.x, np.linalg.solve(A, b))
    scipy_err = rel_err(res.x, x_ref)
    assert solve_err <= CG_X[dtype]
    assert scipy_err <= CG_VS_SCIPY[dtype]

    residual = res.trace["residual"].astype(np.float64)
    b_norm = np.linalg.norm(b)
    assert residual[-1] <= rtol * b_norm  # the stopping rule
    true_residual = np.linalg.norm(b - A @ res.x.astype(np.float64))
    assert true_residual <= 2 * rtol * b_norm
    # CG's residual is not monotone, but it falls overall: below the first value throughout,
    # and its log-average falls from each quarter of the run to the next
    assert np.all(residual <= residual[0])
    quarters = np.array_split(np.log(residual), 4)
    assert np.all(np.diff([q.mean() for q in quarters]) < 0)
    record_property("solve_rel_err", solve_err)
    record_property("scipy_rel_err", scipy_err)


def test_cg_stopped_by_max_iter_reports_no_convergence():
    A, b = system("well")
    res = optc.solve("cg", A=A, b=b, max_iter=2)
    x_ref, info, scipy_iterations = scipy_cg(A, b, rtol=1e-10, maxiter=2)
    assert res.converged is False
    assert res.iterations == 2 and res.trace["residual"].shape == (2,)
    assert info == 2 and scipy_iterations == 2
    assert rel_err(res.x, x_ref) <= CG_VS_SCIPY["float64"]
    assert np.isclose(res.trace["residual"][-1], np.linalg.norm(b - A @ res.x), rtol=1e-10)
