"""Fixtures for the NumPy-backend tests: small programs written into a temporary folder."""

from __future__ import annotations

import itertools

import pytest

import optc

_counter = itertools.count()


@pytest.fixture
def write(tmp_path):
    """write(text) -> the path of a new `.opt` file in tmp_path holding `text`."""

    def write(text: str):
        path = tmp_path / f"prog{next(_counter)}.opt"
        path.write_text(text)
        return path

    return write


@pytest.fixture
def solve(write):
    """solve(text, name=None, dtype=None, **inputs) -> the SolveResult of the program on numpy."""

    def solve(text: str, name: str | None = None, dtype=None, **inputs):
        return optc.solve(write(text), name, backend="numpy", dtype=dtype, **inputs)

    return solve
