"""The `require` example of docs/language.md (§6, Requirements): the error it shows is what every
backend prints for `lam = -1`, and when its requirements hold it computes the stdlib's ISTA."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from optc.backends.mlir import available as mlir_available
from sklearn.datasets import load_diabetes

import optc
from optc.errors import OptcError

DOC = Path(__file__).resolve().parents[2] / "docs" / "language.md"
BACKENDS = ["numpy", "llvm", *(["mlir"] if mlir_available() else [])]


def _example(tmp_path) -> Path:
    text = DOC.read_text()
    (block,) = [b for b in re.findall(r"```opt\n(.*?)```", text, re.S) if b.startswith("solver ista_checked(")]
    path = tmp_path / "ista_checked.opt"
    path.write_text(block)
    return path


def _shown_error() -> str:
    text = DOC.read_text()
    (shown,) = re.findall(r"With `lam = -1`, on every backend:\n\n```\n(.*?)```", text, re.S)
    return shown


@pytest.fixture(scope="module")
def diabetes():
    A, b = load_diabetes(return_X_y=True)
    return A, b - b.mean(), float(np.linalg.norm(A, 2) ** 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_error_shown_is_the_error_printed(tmp_path, diabetes, backend):
    A, b, L = diabetes
    with pytest.raises(OptcError) as failure:
        optc.solve(_example(tmp_path), backend=backend, A=A, b=b, lam=-1.0, L=L)
    printed = str(failure.value).replace(str(tmp_path), "/tmp/demo")
    assert printed + "\n" == _shown_error()


@pytest.mark.parametrize("backend", BACKENDS)
def test_with_its_requirements_met_it_is_istas_answer(tmp_path, diabetes, backend):
    A, b, L = diabetes
    mine = optc.solve(_example(tmp_path), backend=backend, A=A, b=b, lam=1.0, L=L)
    ref = optc.solve("ista", backend="numpy", A=A, b=b, lam=1.0, L=L, max_iter=1000)
    assert mine.iterations == ref.iterations
    np.testing.assert_allclose(mine.x, ref.x, rtol=1e-12, atol=1e-12 * np.abs(ref.x).max())


def test_a_step_too_long_trips_the_divergence_requirement(tmp_path, diabetes):
    A, b, L = diabetes
    with pytest.raises(OptcError, match=r"the iterates diverge: is L at least \|\|A\|\|_2\^2\?"):
        optc.solve(_example(tmp_path), backend="llvm", A=A, b=b, lam=1.0, L=L / 10)
