"""The examples in examples/ and the README's example command run and give the right answers."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet, Lasso

import optc
from optc.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data"


def test_bundled_csv_is_scikit_learns_diabetes_data():
    X, y = load_diabetes(return_X_y=True)
    np.testing.assert_array_equal(np.loadtxt(DATA / "diabetes_X.csv", delimiter=",", skiprows=1), X)
    np.testing.assert_array_equal(np.loadtxt(DATA / "diabetes_y.csv", delimiter=",", skiprows=1), y)


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
@pytest.mark.parametrize("lam, alpha", [(1.0, 0.5), (50.0, 0.9)])
def test_elastic_net_matches_scikit_learn(backend, lam, alpha):
    X, y = load_diabetes(return_X_y=True)
    m = len(y)
    res = optc.solve(str(ROOT / "examples" / "elastic_net.opt"), backend=backend, A=X, b=y, lam=lam, alpha=alpha)
    ref = ElasticNet(alpha=lam / m, l1_ratio=alpha, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(X, y)
    assert res.converged
    np.testing.assert_allclose(res.x, ref.coef_, rtol=0, atol=1e-7 * np.abs(ref.coef_).max())


def test_readme_example_command(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(["run", "lasso_cd", "--input", "A=examples/data/diabetes_X.csv",
                 "--input", "b=examples/data/diabetes_y.csv", "--set", "lam=10"])
    out = capsys.readouterr().out
    assert code == 0
    assert "converged = true" in out
    X, y = load_diabetes(return_X_y=True)
    ref = Lasso(alpha=10 / len(y), fit_intercept=False, tol=1e-14, max_iter=10**6).fit(X, y)
    printed = out.split("x = [")[1].split("]")[0].replace("\n", " ")
    values = np.array([float(v) for v in printed.split(",")])
    np.testing.assert_allclose(values, ref.coef_, rtol=1e-6, atol=1e-6)
