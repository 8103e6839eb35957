"""grad(f) on fns imported with `use`, fns calling other fns, and `real[...]` parameters."""

from __future__ import annotations

import numpy as np
import pytest

import optc


def _solve(tmp_path, source, backend="numpy", **inputs):
    path = tmp_path / "p.opt"
    path.write_text(source)
    return optc.solve(str(path), backend=backend, **inputs)


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_stdlib_fn_via_use(tmp_path, backend):
    src = ("use schedules\nuse prox\n"
           "fn shrunk(x: real[n], t: real) -> real = 0.5 * norm(soft_threshold(x, t))^2\n"
           "solver g(t: real, T: real, x: real[n]) {\n"
           "  return dc = grad(cosine)(t, T), ds = grad(shrunk)(x, 0.5)\n}\n")
    t, T = 3.0, 10.0
    x = np.array([2.0, -0.2, 0.1, -1.5])
    res = _solve(tmp_path, src, backend, t=t, T=T, x=x)
    h = 1e-6
    cos = lambda t: optc.solve(str(tmp_path / "q.opt"), backend="numpy", t=t, T=T).v
    (tmp_path / "q.opt").write_text("use schedules\nsolver v(t: real, T: real) {\n  return v = cosine(t, T)\n}\n")
    assert abs(res.dc - (cos(t + h) - cos(t - h)) / (2 * h)) < 1e-8
    np.testing.assert_allclose(res.ds, np.sign(x) * np.maximum(np.abs(x) - 0.5, 0), rtol=0, atol=1e-15)


def test_any_shape_parameter(tmp_path):
    src = ("fn f(x: real[...], w: real) -> real = w * sum(exp(x))\n"
           "solver g(A: real[m, n], w: real) {\n  return d = grad(f)(A, w), e = grad(f)(w, 2.0)\n}\n")
    A = np.arange(6.0).reshape(2, 3) / 10
    res = _solve(tmp_path, src, A=A, w=0.7)
    np.testing.assert_allclose(res.d, 0.7 * np.exp(A), rtol=1e-15)
    assert abs(res.e - 2.0 * np.exp(0.7)) < 1e-14


def test_index_and_indexed_update(tmp_path):
    src = ("fn f(x: real[n], A: real[m, n]) -> real {\n"
           "  r = A[1, :] * x[0] + A[:, 2] @ A\n"
           "  return sum(r * x) + x[2]^3 + sum(A[0:2, 1:3] @ x[1:3])\n}\n"
           "solver g(x: real[n], A: real[m, n]) {\n  return d = grad(f)(x, A)\n}\n")
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, A = rng.standard_normal(4), rng.standard_normal((3, 4))
    res = _solve(tmp_path, src, x=x, A=A)
    xt, At = torch.tensor(x, requires_grad=True), torch.tensor(A)
    r = At[1, :] * xt[0] + At[:, 2] @ At
    (torch.sum(r * xt) + xt[2] ** 3 + torch.sum(At[0:2, 1:3] @ xt[1:3])).backward()
    np.testing.assert_allclose(res.d, xt.grad.numpy(), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_grad_of_a_fn_using_grad_is_a_hessian_vector_product(tmp_path, backend):
    torch = pytest.importorskip("torch")
    src = ("fn f(x: real[n], A: real[m, n]) -> real = sum(log1p(exp(A @ x))) + sum(x^3)\n"
           "fn gv(x: real[n], v: real[n], A: real[m, n]) -> real = dot(grad(f)(x, A), v)\n"
           "solver h(x: real[n], v: real[n], A: real[m, n]) {\n  return hv = grad(gv)(x, v, A)\n}\n")
    rng = np.random.default_rng(0)
    A, x, v = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(3)
    got = _solve(tmp_path, src, backend, x=x, v=v, A=A).hv
    At = torch.tensor(A)
    f = lambda x: torch.sum(torch.log1p(torch.exp(At @ x))) + torch.sum(x**3)
    want = torch.autograd.functional.hvp(f, torch.tensor(x), torch.tensor(v))[1].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
