"""grad(f) through solve(A, b) against torch.autograd on torch.linalg.solve (float64, to 1e-10):
with respect to the right-hand side, the matrix, a matrix right-hand side, and a ridge fit on
scikit-learn's diabetes data where both A and b depend on the variable; on numpy, llvm and mlir."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import optc
from optc.backends.mlir import available as mlir_available

torch = pytest.importorskip("torch")

SOURCE = str(Path(__file__).with_name("solve.opt"))
BACKENDS = ["numpy", "llvm"] + (["mlir"] if mlir_available() else [])
TOL = 1e-10


def _t(a):
    return torch.tensor(a, dtype=torch.float64)


def _torch_grad(loss, first, *rest):
    x = _t(first).requires_grad_(True)
    loss(x, *[_t(r) if isinstance(r, np.ndarray) else r for r in rest]).backward()
    return x.grad.numpy()


def _close(got, want):
    scale = max(1.0, float(np.max(np.abs(want))))
    err = float(np.max(np.abs(got - want))) / scale
    assert err < TOL, err


def _system(seed, n=6, k=3):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) + 3 * np.eye(n)  # non-symmetric, well conditioned
    return rng, A, rng.standard_normal(n), rng.standard_normal((n, k))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_with_respect_to_the_right_hand_side(backend, seed):
    rng, A, b, _ = _system(seed)
    w = rng.standard_normal(b.shape)
    got = optc.solve(SOURCE, "g_b", backend=backend, b=b, A=A, w=w).d
    def loss(b, A, w):
        return w @ torch.linalg.solve(A, b) + 0.5 * torch.linalg.norm(torch.linalg.solve(A, b)) ** 2

    want = _torch_grad(loss, b, A, w)
    _close(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_with_respect_to_the_matrix(backend, seed):
    rng, A, b, _ = _system(seed)
    w = rng.standard_normal(b.shape)
    got = optc.solve(SOURCE, "g_A", backend=backend, A=A, b=b, w=w).d
    assert got.shape == A.shape
    def loss(A, b, w):
        return w @ torch.linalg.solve(A, b) + 0.5 * torch.linalg.norm(torch.linalg.solve(A.T, b)) ** 2

    want = _torch_grad(loss, A, b, w)
    _close(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_matrix_right_hand_side(backend, seed):
    rng, A, _, B = _system(seed)
    W = rng.standard_normal(B.shape)
    got = optc.solve(SOURCE, "g_matrix", backend=backend, A=A, B=B, W=W).d
    def loss(A, B, W):
        X = torch.linalg.solve(A, B)
        return torch.sum(W * X) + torch.sum(X**2)

    _close(got, _torch_grad(loss, A, B, W))
    got = optc.solve(SOURCE, "g_matrix_b", backend=backend, B=B, A=A, W=W).d
    _close(got, _torch_grad(lambda B, A, W: torch.sum(W * torch.linalg.solve(A, B) ** 3), B, A, W))


@pytest.mark.parametrize("backend", BACKENDS)
def test_ridge_on_diabetes_through_matrix_and_right_hand_side(backend):
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    w = np.random.default_rng(3).standard_normal(X.shape[1]) * 0.1
    lam = 0.2
    got = optc.solve(SOURCE, "g_ridge", backend=backend, w=w, X=X, y=y, lam=lam).d

    def loss(w, X, y):
        H = X.T @ X + lam * (1 + w @ w) * torch.eye(X.shape[1], dtype=torch.float64)
        return 0.5 * torch.linalg.norm(X @ torch.linalg.solve(H, X.T @ y + w) - y) ** 2

    _close(got, _torch_grad(loss, w, X, y))
