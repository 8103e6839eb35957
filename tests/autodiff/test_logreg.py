"""Gradient descent with grad(f) in its loop, on breast_cancer, against scikit-learn's optimum;
the gradient used in the update and in the `until` rule is computed once (CSE)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import optc

LOGREG = str(Path(__file__).with_name("logreg.opt"))


@pytest.fixture(scope="module")
def data():
    datasets = pytest.importorskip("sklearn.datasets")
    A, y = datasets.load_breast_cancer(return_X_y=True)
    A = (A - A.mean(axis=0)) / A.std(axis=0)
    return A, np.where(y == 1, 1.0, -1.0)


@pytest.mark.parametrize("backend", ["llvm", "numpy"])
def test_reaches_sklearn_optimum(data, backend):
    from sklearn.linear_model import LogisticRegression

    A, y = data
    lam = 1.0
    ref = LogisticRegression(C=1 / lam, fit_intercept=False, tol=1e-12, max_iter=100000).fit(A, y).coef_[0]
    L = 0.25 * np.linalg.norm(A, 2) ** 2 + lam
    tol = 1e-9 if backend == "llvm" else 1e-7  # the interpreter is slower per iteration
    res = optc.solve(LOGREG, "gd", backend=backend, A=A, y=y, lam=lam, step=1 / L, tol=tol)
    assert res.converged
    assert np.max(np.abs(res.x - ref)) / np.max(np.abs(ref)) < 1e-6
    assert np.all(np.diff(res.trace["loss"]) <= 1e-12)


def test_gradient_computed_once():
    out = subprocess.run([sys.executable, "-m", "optc", "compile", LOGREG, "gd", "--emit", "ir-opt"],
                         capture_output=True, text=True, check=True).stdout
    loop = out[out.index("loop"):]
    # One backward product r @ A per iteration: the gradient in the update and the one in the
    # `until` rule are the same values after CSE. The products A @ x: one for the gradient, one
    # for the trace (the loss at the new x).
    assert len(re.findall(r"= vecmat ", loop)) == 1, out
    assert len(re.findall(r"= matvec ", loop)) == 2, out
    # One norm(x) (the trace's; the gradient differentiates norm(x)^2 as x · x) and one norm(grad).
    assert len(re.findall(r"= sqrt ", loop)) == 2, out
    assert "call" not in out
