"""value_and_grad(f) and hvp(f) against torch.autograd (float64) on every loss of losses.opt,
on the numpy and llvm backends: the value and gradient against `backward()`, the Hessian-vector
product against `torch.autograd.functional.hvp` (double backward)."""

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


def _lsq(x, A, b):
    return 0.5 * torch.linalg.norm(A @ x - b) ** 2


def _logistic(x, A, y, lam):
    return torch.sum(torch.log1p(torch.exp(-y * (A @ x)))) + 0.5 * lam * torch.linalg.norm(x) ** 2


def _softmax_ce(W, A, Y, lam):
    Z = A @ W
    return torch.sum(torch.logsumexp(Z, dim=1)) - torch.sum(Y * Z) + 0.5 * lam * torch.linalg.norm(W) ** 2


def _huber(x, A, b, delta):
    r = A @ x - b
    return torch.sum(torch.where(torch.abs(r) <= delta, 0.5 * r**2, delta * (torch.abs(r) - 0.5 * delta)))


def _l1(x, A, b, lam):
    return torch.sum(torch.abs(A @ x - b)) + lam * torch.sum(torch.abs(x))


def _problem(name, seed):
    """(solver, torch loss, x, v, other inputs by name) for one loss on random data."""
    rng = np.random.default_rng(seed)
    m, n = 9, 4
    A = rng.standard_normal((m, n))
    x, v = rng.standard_normal(n), rng.standard_normal(n)
    if name == "lsq":
        return "so_lsq", _lsq, x, v, {"A": A, "b": rng.standard_normal(m)}
    if name == "logistic":
        y = np.where(rng.standard_normal(m) > 0, 1.0, -1.0)
        return "so_logistic", _logistic, x, v, {"A": A, "y": y, "lam": 0.3}
    if name == "softmax_ce":
        k = 3
        W, V = rng.standard_normal((n, k)), rng.standard_normal((n, k))
        return "so_softmax", _softmax_ce, W, V, {"A": A, "Y": np.eye(k)[rng.integers(0, k, m)], "lam": 0.1}
    if name == "huber":  # delta = 0.8: residuals on both sides of it
        return "so_huber", _huber, x, v, {"A": A, "b": rng.standard_normal(m), "delta": 0.8}
    return "so_l1", _l1, x, v, {"A": A, "b": rng.standard_normal(m), "lam": 0.5}


def _rel_err(got, want) -> float:
    return float(np.max(np.abs(np.asarray(got) - want))) / max(1.0, float(np.max(np.abs(want))))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("loss", ["lsq", "logistic", "softmax_ce", "huber", "l1"])
def test_against_torch(loss, seed, backend):
    solver, f, x, v, rest = _problem(loss, seed)
    first = "W" if loss == "softmax_ce" else "x"
    direction = "V" if loss == "softmax_ce" else "v"
    res = optc.solve(LOSSES, solver, backend=backend, **{first: x, direction: v}, **rest)
    args = [_t(a) if isinstance(a, np.ndarray) else a for a in rest.values()]
    xt = _t(x).requires_grad_(True)
    value = f(xt, *args)
    value.backward()
    _, hv = torch.autograd.functional.hvp(lambda z: f(z, *args), _t(x), _t(v))
    assert abs(res.fx - value.item()) <= TOL * max(1.0, abs(value.item()))
    assert res.d.shape == x.shape and _rel_err(res.d, xt.grad.numpy()) < TOL
    assert res.hv.shape == x.shape and _rel_err(res.hv, hv.numpy()) < TOL
    if loss != "l1":  # l1 has a zero Hessian wherever it is twice differentiable
        assert np.max(np.abs(hv.numpy())) > 1e-3


def test_hvp_is_symmetric_bilinear():
    """u . H v = v . H u, and H (a u + b v) = a H u + b H v, on the logistic loss."""
    solver, _, x, v, rest = _problem("logistic", 5)
    u = np.random.default_rng(6).standard_normal(x.shape)
    hv = optc.solve(LOSSES, solver, backend="numpy", x=x, v=v, **rest).hv
    hu = optc.solve(LOSSES, solver, backend="numpy", x=x, v=u, **rest).hv
    both = optc.solve(LOSSES, solver, backend="numpy", x=x, v=2 * u - 3 * v, **rest).hv
    assert abs(u @ hv - v @ hu) < 1e-12 * max(1.0, abs(u @ hv))
    np.testing.assert_allclose(both, 2 * hu - 3 * hv, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- at a zero of norm's argument
#
# The adjoint of sqrt is 0 at 0, so without folding `sqrt(q)^2` to `q` the Hessian of
# `norm(x)^2` at x = 0 came out 0 instead of 2I. torch has the same defect (its Hessian of
# `torch.linalg.norm(x)**2` at 0 is 0), so the references here write the squared norm as
# `dot(z, z)`, whose derivatives torch gets exactly.


def _sq(z):
    return torch.sum(z * z)


EXACT = {
    "lsq": lambda x, A, b: 0.5 * _sq(A @ x - b),
    "logistic": lambda x, A, y, lam: (torch.sum(torch.log1p(torch.exp(-y * (A @ x))))
                                      + 0.5 * lam * _sq(x)),
    "softmax_ce": lambda W, A, Y, lam: (torch.sum(torch.logsumexp(A @ W, dim=1))
                                        - torch.sum(Y * (A @ W)) + 0.5 * lam * _sq(W)),
}


def _against_torch(res, f, x, v, args):
    """res.fx, res.d and res.hv against torch's value, gradient and Hessian-vector product of f."""
    xt = _t(x).requires_grad_(True)
    value = f(xt, *args)
    value.backward()
    _, hv = torch.autograd.functional.hvp(lambda z: f(z, *args), _t(x), _t(v))
    assert abs(res.fx - value.item()) <= TOL * max(1.0, abs(value.item()))
    assert _rel_err(res.d, xt.grad.numpy()) < TOL
    assert _rel_err(res.hv, hv.numpy()) < TOL
    assert np.max(np.abs(hv.numpy())) > 1e-2  # the term that was lost is there


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("loss", ["lsq", "logistic", "softmax_ce"])
def test_at_zero_against_torch(loss, backend):
    """The losses with a `norm(…)^2` at x = 0 (and b = 0 for least squares, so that A x - b = 0):
    the value, gradient and H v against torch on the `dot(z, z)` form."""
    solver, _, x, v, rest = _problem(loss, 4)
    x = np.zeros_like(x)
    if loss == "lsq":
        rest["b"] = np.zeros_like(rest["b"])
    first, direction = ("W", "V") if loss == "softmax_ce" else ("x", "v")
    res = optc.solve(LOSSES, solver, backend=backend, **{first: x, direction: v}, **rest)
    args = [_t(a) if isinstance(a, np.ndarray) else a for a in rest.values()]
    _against_torch(res, EXACT[loss], x, v, args)
    if loss == "lsq":  # H = AᵀA
        assert _rel_err(res.hv, rest["A"].T @ rest["A"] @ v) < TOL


# Squares of norms written in other ways: (optc body, torch with torch.linalg.norm, torch exact).
SQUARES = {
    "norm(x) * norm(x)": (lambda z: torch.linalg.norm(z) * torch.linalg.norm(z), _sq),
    "(norm(x)^2)^1": (lambda z: (torch.linalg.norm(z) ** 2) ** 1, _sq),
    "norm(x)^4 + norm(x)^2": (lambda z: torch.linalg.norm(z) ** 4 + torch.linalg.norm(z) ** 2,
                              lambda z: _sq(z) ** 2 + _sq(z)),
    "sum(x^1) + 3 * norm(x)^2": (lambda z: torch.sum(z) + 3 * torch.linalg.norm(z) ** 2,
                                         lambda z: torch.sum(z) + 3 * _sq(z)),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("at_zero", [True, False])
@pytest.mark.parametrize("body", list(SQUARES))
def test_squared_norms_against_torch(body, at_zero, backend, tmp_path):
    """At x = 0 against torch on the exact form; at a random x against torch's own norm (there
    the folding changes nothing but rounding)."""
    path = tmp_path / "sq.opt"
    path.write_text(f"fn f(x: real[n]) -> real = {body}\n"
                    "solver s(x: real[n], v: real[n]) {\n  fx, d = value_and_grad(f)(x)\n"
                    "  return fx, d, hv = hvp(f)(x, v)\n}\n")
    rng = np.random.default_rng(8)
    x = np.zeros(5) if at_zero else rng.standard_normal(5)
    v = rng.standard_normal(5)
    res = optc.solve(str(path), "s", backend=backend, x=x, v=v)
    with_norm, exact = SQUARES[body]
    _against_torch(res, exact if at_zero else with_norm, x, v, [])
