"""gd (fixed-step gradient descent on least squares) against numpy.linalg.lstsq on the
standardized diabetes data (442×10), with step 1/||A||₂², and against a NumPy transcription of
the same iteration over its first 50 steps."""

from __future__ import annotations

import numpy as np
import pytest

import optc
from tests.reference.checks import assert_converged_run, assert_non_increasing
from tests.reference.problems import diabetes_standardized
from tests.reference.tolerances import DTYPES, GD_OBJECTIVE, GD_X, SOLVER_TOL, TRACE_VALUE, rel_err


def objective(A, b, x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * float(np.sum((A @ x - b) ** 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gd_reaches_the_least_squares_solution(dtype, record_property):
    A, b = diabetes_standardized()
    step = 1 / np.linalg.norm(A, 2) ** 2
    res = optc.solve("gd", A=A, b=b, step=step, tol=SOLVER_TOL[dtype], dtype=dtype)
    x_star = np.linalg.lstsq(A, b, rcond=None)[0]

    assert res.x.dtype == np.dtype(dtype) and res.x.shape == (10,)
    assert_converged_run(res, max_iter=100000)
    x_err = rel_err(res.x, x_star)
    gap = (objective(A, b, res.x) - objective(A, b, x_star)) / objective(A, b, x_star)
    assert x_err <= GD_X[dtype]
    assert -1e-15 <= gap <= GD_OBJECTIVE[dtype]
    trace = res.trace["objective"]
    assert trace.dtype == np.dtype(dtype)
    assert_non_increasing(trace, dtype, "the objective")
    # the trace records each iteration's new iterate: its last entry is the result's objective
    assert rel_err(trace[-1], objective(A, b, res.x)) <= TRACE_VALUE[dtype]
    record_property("x_rel_err", x_err)
    record_property("objective_gap", gap)


def test_gd_stopped_early_follows_the_iteration_and_reports_no_convergence():
    A, b = diabetes_standardized()
    step = 1 / np.linalg.norm(A, 2) ** 2
    res = optc.solve("gd", A=A, b=b, step=step, max_iter=50)
    assert res.converged is False
    assert res.iterations == 50
    x, objectives = np.zeros(10), []
    for _ in range(50):
        x = x - step * (A.T @ (A @ x - b))
        objectives.append(objective(A, b, x))
    assert rel_err(res.x, x) <= 1e-13
    assert rel_err(res.trace["objective"], objectives) <= 1e-13
