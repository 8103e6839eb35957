"""Misuses of grad(f) are compile errors at the user's span; ops with no rule say so."""

from __future__ import annotations

import numpy as np
import pytest
from optc.ir.autodiff import gradient, hessian_vector_product
from optc.ir.builder import Builder
from optc.ir.core import Function, Value
from optc.ir.types import TensorType, scalar

import optc
from optc.errors import OptcError


def _error(tmp_path, source: str) -> str:
    path = tmp_path / "p.opt"
    path.write_text(source)
    with pytest.raises(OptcError) as info:
        optc.solver(str(path), backend="numpy")
    return str(info.value)


def test_not_a_fn(tmp_path):
    msg = _error(tmp_path, "solver s(x: real[n]) {\n  return d = grad(norm)(x)\n}\n")
    assert "grad(f) needs a user fn; `norm` is a builtin" in msg and ":2:19:" in msg
    msg = _error(tmp_path, "solver s(x: real[n]) {\n  return d = grad(x)(x)\n}\n")
    assert "`x` is a value" in msg
    msg = _error(tmp_path, "solver s(x: real[n]) {\n  return d = grad(nope)(x)\n}\n")
    assert "`nope` is not a known fn" in msg


def test_non_scalar_result(tmp_path):
    msg = _error(tmp_path, "fn f(x: real[n]) -> real[n] = x * x\n"
                           "solver s(x: real[n]) {\n  return d = grad(f)(x)\n}\n")
    assert "grad(f) needs a fn returning a real scalar; `f` returns real[n]" in msg and ":3:14:" in msg


def test_int_result(tmp_path):
    msg = _error(tmp_path, "fn f(x: real[n]) -> int = argmax(x)\n"
                           "solver s(x: real[n]) {\n  return d = grad(f)(x)\n}\n")
    assert "returns int" in msg


def test_first_argument_not_real(tmp_path):
    msg = _error(tmp_path, "fn f(k: int, x: real[n]) -> real = k * sum(x)\n"
                           "solver s(x: real[n]) {\n  return d = grad(f)(3, x)\n}\n")
    assert "grad(f) differentiates with respect to the first argument, which must be real; `f`'s is int" in msg
    assert ":3:22:" in msg


def test_bare_grad(tmp_path):
    msg = _error(tmp_path, "fn f(x: real[n]) -> real = sum(x)\n"
                           "solver s(x: real[n]) {\n  return d = grad(f, x)\n}\n")
    assert "grad is used as `grad(f)(x, …)`" in msg


def _fn_with_a_loop() -> Function:
    """f(x) = sum of x squared three times over, by a loop (built in IR: fns cannot hold loops)."""
    b = Builder()
    x = Value(TensorType("f64", ("n",)), "x")
    lo, hi = b.const(0, "i64"), b.const(3, "i64")
    k, xc = Value(scalar("i64"), "k"), Value(x.type, "xc")
    inner = Builder()
    body = inner.finish((k, xc), (inner.emit("mul", (xc, xc)),))
    loop = b.emit_op("loop", (lo, hi, x), {"carried": ["x"]}, regions=(body,)).results[0]
    return Function("f", b.finish((x,), (b.emit("reduce_sum", (loop,), {"axis": None}),)), {"kind": "fn"})


def test_loop_in_fn_is_rejected():
    fn = _fn_with_a_loop()
    with pytest.raises(OptcError, match="grad of a fn containing a loop is not supported"):
        gradient(fn)


def test_unsupported_broadcast(tmp_path):
    msg = _error(tmp_path, "fn f(x: real[1], a: real[n]) -> real = sum(x * a)\n"
                           "solver s(x: real[1], a: real[n]) {\n  return d = grad(f)(x, a)\n}\n")
    assert "grad of `mul` is not supported (broadcasting along an axis of length 1)" in msg
    assert ":1:44:" in msg


def test_no_dependence_gives_zeros(tmp_path):
    path = tmp_path / "p.opt"
    path.write_text("fn f(x: real[n], a: real[n]) -> real = sum(a * a) + size(x)\n"
                    "solver s(x: real[n], a: real[n]) {\n  return d = grad(f)(x, a)\n}\n")
    assert np.array_equal(optc.solve(str(path), backend="numpy", x=np.ones(3), a=np.ones(3)).d, np.zeros(3))


def test_grad_of_stdlib_style_calls_and_scalars(tmp_path):
    """Calls inside f are inlined before differentiating; a scalar first argument works."""
    path = tmp_path / "p.opt"
    path.write_text("fn sq(t: real) -> real = t * t\n"
                    "fn f(s: real, x: real[n]) -> real = sq(s) * sum(x) + sq(sin(s))\n"
                    "solver g(s: real, x: real[n]) {\n  return d = grad(f)(s, x), e = grad(f)(2 * s, x)\n}\n")
    s, x = 0.3, np.arange(3.0)
    res = optc.solve(str(path), backend="llvm", s=s, x=x)
    want = lambda s: 2 * s * x.sum() + 2 * np.sin(s) * np.cos(s)
    assert abs(res.d - want(s)) < 1e-14 and abs(res.e - want(2 * s)) < 1e-14


def test_unsupported_axis_reduction(tmp_path):
    msg = _error(tmp_path, "fn f(X: real[a, b, c]) -> real = sum(exp(sum(X, axis=1)))\n"
                           "solver s(X: real[a, b, c]) {\n  return d = grad(f)(X)\n}\n")
    assert "1:42: error: grad of `reduce_sum` is not supported (axis=1 on a tensor of rank 3)" in msg
    assert "differentiating `f` for the grad at" in msg and ":3:14" in msg


# ---------------------------------------------------------------- value_and_grad and hvp


def test_hvp_and_value_and_grad_check_f_like_grad(tmp_path):
    msg = _error(tmp_path, "fn f(x: real[n]) -> real[n] = x * x\n"
                           "solver s(x: real[n]) {\n  return d = hvp(f)(x, x)\n}\n")
    assert "hvp(f) needs a fn returning a real scalar; `f` returns real[n]" in msg and ":3:14:" in msg
    msg = _error(tmp_path, "fn f(k: int, x: real[n]) -> real = k * sum(x)\n"
                           "solver s(x: real[n]) {\n  a, b = value_and_grad(f)(3, x)\n  return a\n}\n")
    assert "value_and_grad(f) differentiates with respect to the first argument, which must be real" in msg
    msg = _error(tmp_path, "solver s(x: real[n]) {\n  return d = hvp(norm)(x, x)\n}\n")
    assert "hvp(f) needs a user fn; `norm` is a builtin" in msg
    msg = _error(tmp_path, "fn f(x: real[n]) -> real = sum(x)\nsolver s(x: real[n]) {\n  return d = hvp(f, x)\n}\n")
    assert "hvp is used as `hvp(f)(x, v, …)`: hvp(f) is the Hessian-vector product of the fn f" in msg
    msg = _error(tmp_path, "fn f(x: real[n]) -> real = sum(x)\nsolver s(x: real[n]) {\n  return d = hvp\n}\n")
    assert "`hvp` transforms a fn: use it as `hvp(f)(x, v, …)`" in msg


def test_hvp_direction_of_another_shape(tmp_path):
    msg = _error(tmp_path, "fn f(X: real[m, n]) -> real = sum(exp(X))\n"
                           "solver s(X: real[m, n], v: real[n]) {\n  return d = hvp(f)(X, v)\n}\n")
    assert "the direction v has type real[n] but x has type real[m, n]; v must have x's type" in msg
    assert ":3:24:" in msg
    msg = _error(tmp_path, "fn f(x: real[n]) -> real = sum(exp(x))\n"
                           "solver s(x: real[n]) {\n  return d = hvp(f)(x, x > 0)\n}\n")
    assert "the direction v has type bool[n]" in msg


def test_hvp_of_a_loop_is_rejected():
    fn = _fn_with_a_loop()
    with pytest.raises(OptcError, match="hvp of a fn containing a loop is not supported"):
        hessian_vector_product(fn)
