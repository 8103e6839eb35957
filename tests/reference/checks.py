"""Assertions shared by the solver reference tests."""

from __future__ import annotations

import numpy as np

from tests.reference.tolerances import MONOTONE_SLACK


def assert_non_increasing(trace: np.ndarray, dtype: str, what: str) -> None:
    """Each value is at most the previous one, up to rounding relative to its size."""
    trace = np.asarray(trace, dtype=np.float64)
    rises = np.diff(trace) - MONOTONE_SLACK[dtype] * np.abs(trace[1:])
    assert np.all(rises <= 0), f"{what} rises at iteration {int(np.argmax(rises)) + 2}"


def assert_converged_run(res, max_iter: int) -> None:
    """The stopping rule held before max_iter, and every iteration left one trace entry."""
    assert res.converged is True
    assert 0 < res.iterations < max_iter
    for name, trace in res.trace.items():
        assert trace.shape == (res.iterations,), name
