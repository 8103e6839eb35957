"""grad of sigmoid in its tails against torch.autograd and the exact value (mpmath).

The derivative sigmoid(x) (1 - sigmoid(x)) rounds to 0 for x > 37 in float64 (x > 17 in float32),
since 1 - sigmoid(x) does; written as sigmoid(x) sigmoid(-x) it keeps its tiny true value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import optc
from optc.backends.mlir import available as mlir_available

torch = pytest.importorskip("torch")
mpmath = pytest.importorskip("mpmath")  # a dependency of torch (through sympy)

LOSSES = str(Path(__file__).with_name("losses.opt"))

X = np.array([-100.0, -40.0, -17.5, -3.0, 0.0, 2.5, 17.5, 20.0, 37.0, 40.0, 80.0, 100.0])
BACKENDS = ["numpy", "llvm", *(["mlir"] if mlir_available() else [])]


def _exact(x: float) -> float:
    """sigmoid'(x) = e^-x / (1 + e^-x)^2 in 50-digit arithmetic."""
    with mpmath.workdps(50):
        t = mpmath.exp(-mpmath.mpf(x))
        return float(t / (1 + t) ** 2)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_grad_tails(backend, dtype):
    x = X.astype(dtype)
    got = optc.solve(LOSSES, "g_sigmoid", backend=backend, x=x).d
    assert got.dtype == dtype
    # torch's backward is y (1 - y) too: exact for x <= 0 only (it gives 0 at x = 40 and loses
    # digits to the cancellation 1 - y from x ~ 10), so it is evaluated at -|x|, sigmoid' being even.
    xt = torch.tensor(-np.abs(x), requires_grad=True)
    torch.sigmoid(xt).sum().backward()
    want_torch = xt.grad.numpy()
    exact = np.array([_exact(float(v)) for v in x])
    # The smallest values are subnormal in float32 (3.7e-44 at |x| = 100, spacing 1.4e-45; torch
    # gives 0 there): compare them absolutely, everything else to a few ulps relative.
    rtol = 1e-14 if dtype == np.float64 else 1e-6
    atol = 0.0 if dtype == np.float64 else 1e-43
    np.testing.assert_allclose(got, exact, rtol=rtol, atol=atol)
    np.testing.assert_allclose(got, want_torch, rtol=rtol, atol=atol)
    assert np.all(got > 0), got  # no tail value rounds to 0, on either side
