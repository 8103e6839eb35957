"""Shared helpers of the MLIR backend tests: the skip marker for machines without the MLIR
Python bindings, and `run_both`, which runs an IR module on NumPy and on `backend="mlir"`."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from optc.backends.mlir import available
from optc.ir.parser import parse_module

skip_without_mlir = pytest.mark.skipif(
    not available(), reason="the MLIR Python bindings are not installed (pip install 'optc[mlir]')"
)
needs_mlir = [pytest.mark.mlir, skip_without_mlir]  # for a module's `pytestmark`


@cache
def compiled(text: str):
    """(module, mlir executable) of IR text, compiled once per test session: one module can
    hold the functions of many tests, and compiling it once keeps the suite fast."""
    from optc.backends.mlir import MLIRExecutable

    module = parse_module(text)
    return module, MLIRExecutable(module)


def run_both(text: str, *args, name: str = "f"):
    """(numpy results, mlir results) of function `name` of the IR module `text` on `args`."""
    from optc.backends.numpy.interpreter import run_function

    module, executable = compiled(text)
    with np.errstate(all="ignore"):
        expected = run_function(module, name, list(args))
    return expected, executable.run(name, list(args))
