"""The derivative examples of docs/language.md (§8: grad, value_and_grad, hvp) compile and compute
what the text says, checked with NumPy."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

import optc

DOC = Path(__file__).resolve().parents[2] / "docs" / "language.md"


def _example(name: str, tmp_path, using: str) -> str:
    """The path of the doc's ```opt block that declares `solver name` and uses `using`, written
    to a file."""
    blocks = re.findall(r"```opt\n(.*?)```", DOC.read_text(), re.S)
    found = [b for b in blocks if re.search(rf"^solver {name}\(", b, re.M) and using in b]
    assert len(found) == 1, f"docs/language.md should have one example declaring `solver {name}`"
    path = tmp_path / f"{name}.opt"
    path.write_text(found[0])
    return str(path)


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:200, :10]
    return (X - X.mean(0)) / X.std(0), np.where(y[:200] == 1, 1.0, -1.0)


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_newton_step_example(data, tmp_path, backend):
    """`newton_step` returns f(0) and the Newton direction -H^-1 g at 0 (CG on hvp products)."""
    A, y = data
    lam = 0.5
    res = optc.solve(_example("newton_step", tmp_path, "hvp(loss)"), backend=backend, A=A, y=y, lam=lam)
    g = -A.T @ (y * 0.5)  # sigmoid(0) = 1/2
    H = A.T @ A * 0.25 + lam * np.eye(A.shape[1])
    assert res.converged
    assert abs(res.fx - len(y) * np.log(2)) < 1e-12 * res.fx
    np.testing.assert_allclose(res.x, np.linalg.solve(H, -g), rtol=1e-8, atol=1e-10)


def test_gd_example(tmp_path):
    """The `grad` example: gradient descent on least squares reaches the least-squares solution."""
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((50, 5)), rng.standard_normal(50)
    step = 1 / np.linalg.norm(A, 2) ** 2
    res = optc.solve(_example("gd", tmp_path, "grad(loss)"), backend="llvm", A=A, b=b, step=step, tol=1e-10)
    assert res.converged
    np.testing.assert_allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-9, atol=1e-10)
