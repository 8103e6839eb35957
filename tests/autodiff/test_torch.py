"""grad(f) against torch.autograd (float64) on the classic losses, on the numpy and llvm backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import optc

torch = pytest.importorskip("torch")

LOSSES = str(Path(__file__).with_name("losses.opt"))
BACKENDS = ["numpy", "llvm"]
TOL = 1e-10


def _t(a):
    return torch.tensor(a, dtype=torch.float64)


def _torch_grad(loss, first, *rest):
    x = _t(first).requires_grad_(True)
    loss(x, *[_t(r) if isinstance(r, np.ndarray) else r for r in rest]).backward()
    return x.grad.numpy()


def _data(seed, m=7, n=4):
    rng = np.random.default_rng(seed)
    return rng, rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n)


def _close(got, want):
    scale = max(1.0, float(np.max(np.abs(want))))
    err = float(np.max(np.abs(got - want))) / scale
    assert err < TOL, err


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_least_squares(backend, seed):
    _, A, b, x = _data(seed)
    got = optc.solve(LOSSES, "g_lsq", backend=backend, x=x, A=A, b=b).d
    want = _torch_grad(lambda x, A, b: 0.5 * torch.linalg.norm(A @ x - b) ** 2, x, A, b)
    _close(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic(backend, seed):
    rng, A, _, x = _data(seed)
    y = np.where(rng.standard_normal(A.shape[0]) > 0, 1.0, -1.0)
    lam = 0.3
    got = optc.solve(LOSSES, "g_logistic", backend=backend, x=x, A=A, y=y, lam=lam).d
    want = _torch_grad(lambda x, A, y: torch.sum(torch.log1p(torch.exp(-y * (A @ x))))
                       + 0.5 * lam * torch.linalg.norm(x) ** 2, x, A, y)
    _close(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_cross_entropy(backend, seed):
    rng = np.random.default_rng(seed)
    m, n, k = 9, 4, 3
    A = rng.standard_normal((m, n))
    W = rng.standard_normal((n, k))
    Y = np.eye(k)[rng.integers(0, k, m)]
    lam = 0.1
    got = optc.solve(LOSSES, "g_softmax", backend=backend, W=W, A=A, Y=Y, lam=lam).d
    assert got.shape == W.shape

    def loss(W, A, Y):
        Z = A @ W
        return torch.sum(torch.logsumexp(Z, dim=1)) - torch.sum(Y * Z) + 0.5 * lam * torch.linalg.norm(W) ** 2

    _close(got, _torch_grad(loss, W, A, Y))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_huber(backend, seed):
    _, A, b, x = _data(seed)
    delta = 0.8  # residuals on both sides of delta
    got = optc.solve(LOSSES, "g_huber", backend=backend, x=x, A=A, b=b, delta=delta).d

    def loss(x, A, b):
        r = A @ x - b
        return torch.sum(torch.where(torch.abs(r) <= delta, 0.5 * r**2, delta * (torch.abs(r) - 0.5 * delta)))

    _close(got, _torch_grad(loss, x, A, b))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_l1(backend, seed):
    _, A, b, x = _data(seed)
    lam = 0.5
    got = optc.solve(LOSSES, "g_l1", backend=backend, x=x, A=A, b=b, lam=lam).d
    want = _torch_grad(lambda x, A, b: torch.sum(torch.abs(A @ x - b)) + lam * torch.sum(torch.abs(x)), x, A, b)
    _close(got, want)


def test_l1_subgradient_at_zero():
    """abs gets the subgradient sign(x): 0 where x is 0 (torch's choice too)."""
    _, A, b, _ = _data(0)
    x = np.array([0.0, 1.0, -2.0, 0.0])
    got = optc.solve(LOSSES, "g_l1", backend="numpy", x=x, A=A, b=b, lam=1.0).d
    want = A.T @ np.sign(A @ x - b) + np.sign(x)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
