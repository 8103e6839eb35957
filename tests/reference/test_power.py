"""power_iteration against numpy.linalg.eigh on the covariance matrix of the digits (64×64;
the two largest eigenvalues are 179.0 and 163.7, a slow ratio of 0.91)."""

from __future__ import annotations

import numpy as np
import pytest

import optc
from tests.reference.checks import assert_converged_run, assert_non_increasing
from tests.reference.problems import digits
from tests.reference.tolerances import (
    DTYPES,
    POWER_EIGENVALUE,
    POWER_EIGENVECTOR,
    POWER_TOL,
    rel_err,
)


@pytest.mark.parametrize("dtype", DTYPES)
def test_power_iteration_finds_the_top_eigenpair(dtype, record_property):
    X, _ = digits()
    C = np.cov(X, rowvar=False)
    values, vectors = np.linalg.eigh(C)
    top, top_vector = values[-1], vectors[:, -1]
    res = optc.solve("power_iteration", A=C.astype(dtype), tol=POWER_TOL[dtype])

    assert isinstance(res.eigenvalue, float)
    assert res.v.dtype == np.dtype(dtype) and res.v.shape == (64,)
    assert_converged_run(res, max_iter=100000)
    value_err = abs(res.eigenvalue - top) / top
    v = res.v.astype(np.float64)
    vector_err = min(np.max(np.abs(v - top_vector)), np.max(np.abs(v + top_vector)))
    assert value_err <= POWER_EIGENVALUE[dtype]
    assert vector_err <= POWER_EIGENVECTOR[dtype]
    assert abs(np.linalg.norm(v) - 1) <= 10 * np.finfo(dtype).eps
    estimate = res.trace["estimate"]
    assert estimate[-1] == np.asarray(res.eigenvalue, dtype=dtype)
    # for a positive semidefinite matrix the Rayleigh quotients of A^k v0 never decrease
    assert_non_increasing(-estimate, dtype, "the Rayleigh quotient's decrease")
    record_property("eigenvalue_rel_err", value_err)
    record_property("eigenvector_err", vector_err)


def test_power_iteration_on_a_known_spectrum():
    """diag(5, 2, 1) from the uniform start: the estimate after k steps is known exactly."""
    A = np.diag([5.0, 2.0, 1.0])
    res = optc.solve("power_iteration", A=A, max_iter=3)
    assert res.converged is False and res.iterations == 3
    w = np.array([5.0, 2.0, 1.0]) ** 3 / np.sqrt(3)
    v = w / np.linalg.norm(w)
    assert rel_err(res.v, v) <= 1e-15
    assert abs(res.eigenvalue - v @ A @ v) <= 1e-14
