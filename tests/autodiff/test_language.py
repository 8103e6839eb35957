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


# ---------------------------------------------------------------- value_and_grad and hvp


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_value_and_grad_defines_primed_states_in_a_loop(tmp_path, backend):
    """`fx', g' = value_and_grad(f)(x', …)` updates two states; equations are ordered by what
    they read (the update of x is written after the equation that reads x')."""
    src = ("fn f(x: real[n], A: real[m, n], b: real[m]) -> real = 0.5 * norm(A @ x - b)^2 + sum(x^4)\n"
           "solver gd(A: real[m, n], b: real[m], step: real, iters: int) {\n"
           "  state x = zeros(n)\n  state fx = f(zeros(n), A, b)\n  state g = grad(f)(zeros(n), A, b)\n"
           "  trace objective = fx\n"
           "  for k in 0..iters {\n    fx', g' = value_and_grad(f)(x', A, b)\n    x' = x - step * g\n  }\n"
           "  return x, fx, g\n}\n")
    rng = np.random.default_rng(1)
    A, b = rng.standard_normal((8, 3)), rng.standard_normal(8)
    step, iters = 0.02, 25
    res = _solve(tmp_path, src, backend, A=A, b=b, step=step, iters=iters)
    f = lambda x: 0.5 * np.sum((A @ x - b) ** 2) + np.sum(x**4)
    df = lambda x: A.T @ (A @ x - b) + 4 * x**3
    x, objective = np.zeros(3), []
    for _ in range(iters):
        x = x - step * df(x)
        objective.append(f(x))
    np.testing.assert_allclose(res.x, x, rtol=1e-13, atol=1e-14)
    assert abs(res.fx - f(x)) < 1e-12 and np.allclose(res.g, df(x), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(res.trace["objective"], objective, rtol=1e-13)


def test_value_and_grad_in_fn_bodies_and_at_the_top(tmp_path):
    """In a fn's block body and at a solver's top level, the targets are locals read by other
    equations in any order."""
    src = ("fn f(x: real[n], a: real) -> real = a * sum(exp(x))\n"
           "fn step(x: real[n]) -> real[n] {\n  y = x - 0.1 * g / fx\n  fx, g = value_and_grad(f)(x, 2.0)\n"
           "  return y\n}\n"
           "solver s(x: real[n]) {\n  z = u * v\n  u, v = value_and_grad(f)(x, 3.0)\n"
           "  return y = step(x), z\n}\n")
    x = np.array([0.1, -0.4, 0.3])
    res = _solve(tmp_path, src, x=x)
    np.testing.assert_allclose(res.y, x - 0.1 * np.exp(x) / np.sum(np.exp(x)), rtol=1e-15)
    np.testing.assert_allclose(res.z, 9 * np.sum(np.exp(x)) * np.exp(x), rtol=1e-15)


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_hvp_of_scalars_any_shapes_and_calls(tmp_path, backend):
    """hvp(f) of a scalar argument is f'' times v; `real[...]` parameters, a matrix argument, an
    int direction (converted) and fns calling fns from the stdlib work too."""
    src = ("use prox\n"
           "fn sq(t: real) -> real = t * t\n"
           "fn f(s: real, w: real) -> real = sq(sin(s)) * w + s^3\n"
           "fn g(X: real[...], w: real) -> real = w * sum(exp(X)) + 0.5 * norm(soft_threshold(X, 0.5))^2\n"
           "solver h(s: real, A: real[m, n], V: real[m, n]) {\n"
           "  return hs = hvp(f)(s, 2, 3.0), hA = hvp(g)(A, V, 0.7)\n}\n")
    rng = np.random.default_rng(2)
    s, A, V = 0.4, rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    res = _solve(tmp_path, src, backend, s=s, A=A, V=V)
    assert abs(res.hs - 2 * (3.0 * 2 * np.cos(2 * s) + 6 * s)) < 1e-13
    np.testing.assert_allclose(res.hA, 0.7 * np.exp(A) * V + (np.abs(A) > 0.5) * V, rtol=1e-14, atol=1e-15)
