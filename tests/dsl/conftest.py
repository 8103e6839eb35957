"""Fixtures for the front-end tests: write `.opt` sources into a temporary folder and compile them."""

from __future__ import annotations

import itertools

import pytest

from optc.compiler import compile_source

_counter = itertools.count()


@pytest.fixture
def write(tmp_path):
    """write(text, name=None) -> the path of a new `.opt` file in tmp_path holding `text`."""

    def write(text: str, name: str | None = None):
        path = tmp_path / (name or f"prog{next(_counter)}.opt")
        path.write_text(text)
        return path

    return write


@pytest.fixture
def lowered(write):
    """lowered(text, name=None, dtype="f64") -> the unoptimized IR module of a declaration."""

    def lowered(text: str, name: str | None = None, dtype: str = "f64"):
        return compile_source(write(text), name, dtype=dtype).ir

    return lowered


@pytest.fixture
def result_types(lowered):
    """result_types(text, dtype="f64") -> {returned name: printed IR type} of a one-solver file."""

    def result_types(text: str, dtype: str = "f64") -> dict[str, str]:
        module = lowered(text, dtype=dtype)
        fn = module.functions[module.attrs["name"]]
        return {n: str(v.type) for n, v in zip(fn.attrs["result_names"], fn.results)}

    return result_types
