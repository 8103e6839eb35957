"""The five classic problems of Nutini, Laradji & Schmidt, "Let's Make Block Coordinate Descent
Converge Faster" (least squares, binary logistic, multiclass logistic, label propagation, L1
regression), as the examples/*.opt files run from the command line on the bundled CSV data,
checked against scikit-learn / NumPy references."""

from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.neighbors import kneighbors_graph

from optc.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data"
BACKENDS = ["numpy", "llvm"]


def csv(name):
    return np.loadtxt(DATA / name, delimiter=",", skiprows=1)


def run(capsys, monkeypatch, tmp_path, backend, args):
    """Runs `optc run ARGS --backend B --output out.npz`; returns (stdout, the npz results)."""
    monkeypatch.chdir(ROOT)
    out_file = tmp_path / "out.npz"
    code = main(["run", *args, "--backend", backend, "--output", str(out_file)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "converged = true" in out
    return out, dict(np.load(out_file))


def printed(out, name):
    line = next(l for l in out.splitlines() if l.startswith(f"{name} = "))
    return float(line.split("=", 1)[1])


def test_bundled_data_comes_from_scikit_learn():
    X, y = load_breast_cancer(return_X_y=True)
    np.testing.assert_allclose(csv("breast_cancer_X.csv"), (X - X.mean(0)) / X.std(0), rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(csv("breast_cancer_y.csv"), y)
    Xd, yd = load_digits(return_X_y=True)
    np.testing.assert_array_equal(csv("digits_X.csv"), Xd[:500] / 16)
    np.testing.assert_array_equal(csv("digits_Y.csv"), np.eye(10)[yd[:500]])
    np.testing.assert_array_equal(csv("digits_labels.csv"), yd[:500])
    W = kneighbors_graph(Xd[:200] / 16, n_neighbors=10, mode="connectivity").toarray()
    np.testing.assert_array_equal(csv("labprop_W.csv"), np.maximum(W, W.T))
    truth = np.where(yd[:200] < 5, 1.0, -1.0)
    np.testing.assert_array_equal(csv("labprop_truth.csv"), truth)
    y_l = csv("labprop_y.csv")
    np.testing.assert_array_equal(y_l[:20], truth[:20])
    assert not y_l[20:].any()


@pytest.mark.parametrize("backend", BACKENDS)
def test_least_squares(capsys, monkeypatch, tmp_path, backend):
    out, res = run(capsys, monkeypatch, tmp_path, backend, [
        "examples/least_squares.opt", "--input", "A=examples/data/diabetes_X.csv",
        "--input", "b=examples/data/diabetes_y.csv"])
    A, b = load_diabetes(return_X_y=True)
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    f_ref = 0.5 * np.linalg.norm(A @ x_ref - b) ** 2
    np.testing.assert_allclose(res["x"], x_ref, rtol=0, atol=1e-7 * np.abs(x_ref).max())
    assert printed(out, "objective") == pytest.approx(f_ref, rel=1e-9)
    values = [float(v) for v in out.split("x = [")[1].split("]")[0].replace("\n", " ").split(",")]
    np.testing.assert_allclose(values, x_ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_binary_logistic(capsys, monkeypatch, tmp_path, backend):
    out, res = run(capsys, monkeypatch, tmp_path, backend, [
        "examples/logistic.opt", "--input", "A=examples/data/breast_cancer_X.csv",
        "--input", "b=examples/data/breast_cancer_y.csv", "--set", "lam=1"])
    A, b = csv("breast_cancer_X.csv"), csv("breast_cancer_y.csv")
    ref = LogisticRegression(C=1.0, fit_intercept=False, tol=1e-12, max_iter=100000).fit(A, b)
    w = ref.coef_[0]
    z = A @ w
    f_ref = np.sum(np.logaddexp(0, z) - b * z) + 0.5 * w @ w
    np.testing.assert_allclose(res["x"], w, rtol=0, atol=1e-5 * np.abs(w).max())
    assert printed(out, "objective") == pytest.approx(f_ref, rel=1e-9)
    assert printed(out, "accuracy") == pytest.approx(ref.score(A, b))


@pytest.mark.parametrize("backend", BACKENDS)
def test_multiclass_logistic(capsys, monkeypatch, tmp_path, backend):
    lam = 10.0
    out, res = run(capsys, monkeypatch, tmp_path, backend, [
        "examples/multiclass_logistic.opt", "--input", "X=examples/data/digits_X.csv",
        "--input", "Y=examples/data/digits_Y.csv", "--set", f"lam={lam}"])
    X, Y = csv("digits_X.csv"), csv("digits_Y.csv")
    ref = LogisticRegression(C=1 / lam, fit_intercept=False, tol=1e-12, max_iter=100000).fit(X, Y.argmax(1))
    W = ref.coef_.T
    Z = X @ W
    f_ref = logsumexp(Z, axis=1).sum() - (Y * Z).sum() + 0.5 * lam * (W * W).sum()
    np.testing.assert_allclose(res["W"], W, rtol=0, atol=1e-5 * np.abs(W).max())
    assert printed(out, "objective") == pytest.approx(f_ref, rel=1e-9)
    assert printed(out, "accuracy") == pytest.approx(ref.score(X, Y.argmax(1)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_multiclass_logistic_float32_converges(capsys, monkeypatch, tmp_path, backend):
    # The backtracking slack is relative to float32's epsilon: with a fixed 1e-12 (below
    # float32 rounding) rounding failed the test, L doubled and the sweeps stalled at
    # ||G||_inf ~ 0.6 without converging.
    lam = 10.0
    out, res = run(capsys, monkeypatch, tmp_path, backend, [
        "examples/multiclass_logistic.opt", "--input", "X=examples/data/digits_X.csv",
        "--input", "Y=examples/data/digits_Y.csv", "--set", f"lam={lam}", "--set", "tol=1e-4",
        "--set", "max_iter=2000", "--dtype", "float32"])
    X, Y = csv("digits_X.csv"), csv("digits_Y.csv")
    ref = LogisticRegression(C=1 / lam, fit_intercept=False, tol=1e-12, max_iter=100000).fit(X, Y.argmax(1))
    W = ref.coef_.T
    Z = X @ W
    f_ref = logsumexp(Z, axis=1).sum() - (Y * Z).sum() + 0.5 * lam * (W * W).sum()
    assert res["W"].dtype == np.float32
    assert res["trace_grad_norm"][-1] <= 1e-4
    np.testing.assert_allclose(res["W"], W, rtol=0, atol=1e-4 * np.abs(W).max())
    W32 = res["W"].astype(np.float64)
    Z32 = X @ W32
    f32 = logsumexp(Z32, axis=1).sum() - (Y * Z32).sum() + 0.5 * lam * (W32 * W32).sum()
    assert f32 == pytest.approx(f_ref, rel=1e-9)  # the float32 solution, evaluated in float64
    assert printed(out, "objective") == pytest.approx(f_ref, rel=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_label_propagation(capsys, monkeypatch, tmp_path, backend):
    out, res = run(capsys, monkeypatch, tmp_path, backend, [
        "examples/label_propagation.opt", "--input", "W=examples/data/labprop_W.csv",
        "--input", "y=examples/data/labprop_y.csv"])
    W, y = csv("labprop_W.csv"), csv("labprop_y.csv")
    lab = y != 0
    L = np.diag(W.sum(1)) - W
    x_ref = y.copy()
    x_ref[~lab] = np.linalg.solve(L[np.ix_(~lab, ~lab)], W[np.ix_(~lab, lab)] @ y[lab])
    np.testing.assert_allclose(res["x"], x_ref, rtol=0, atol=1e-8)
    assert printed(out, "objective") == pytest.approx(x_ref @ L @ x_ref, rel=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_l1_regression(capsys, monkeypatch, tmp_path, backend):
    lam = 10.0
    out, res = run(capsys, monkeypatch, tmp_path, backend, [
        "examples/l1_regression.opt", "--input", "A=examples/data/diabetes_X.csv",
        "--input", "b=examples/data/diabetes_y.csv", "--set", f"lam={lam}"])
    A, b = load_diabetes(return_X_y=True)
    ref = Lasso(alpha=lam / len(b), fit_intercept=False, tol=1e-14, max_iter=10**6).fit(A, b)
    x = ref.coef_
    np.testing.assert_allclose(res["x"], x, rtol=0, atol=1e-7 * np.abs(x).max())
    f_ref = 0.5 * np.linalg.norm(A @ x - b) ** 2 + lam * np.abs(x).sum()
    assert printed(out, "objective") == pytest.approx(f_ref, rel=1e-9)
    assert int(printed(out, "nonzeros")) == np.count_nonzero(x)


def test_progress_shows_a_live_line(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(["run", "examples/l1_regression.opt", "--input", "A=examples/data/diabetes_X.csv",
                 "--input", "b=examples/data/diabetes_y.csv", "--set", "lam=10", "--progress",
                 "--backend", "numpy"])
    err = capsys.readouterr().err
    assert code == 0
    assert "objective=" in err and "nonzeros=" in err
