"""The derived `f.grad` functions are well-typed IR: they verify, survive every pass under the
verifier, and print and parse back."""

from __future__ import annotations

from pathlib import Path

import pytest
from optc.dsl.lower import lower
from optc.dsl.program import resolve_source
from optc.ir.equality import structurally_equal
from optc.ir.parser import parse_module
from optc.ir.pipeline import optimize
from optc.ir.printer import print_module
from optc.ir.verifier import verify_module

HERE = Path(__file__).parent
CASES = [("losses.opt", n) for n in ("g_lsq", "g_logistic", "g_softmax", "g_huber", "g_l1")] + [("logreg.opt", "gd")]


@pytest.mark.parametrize("dtype", ["f64", "f32"])
@pytest.mark.parametrize("file,name", CASES)
def test_grad_functions_verify(file, name, dtype):
    unit, decl = resolve_source(str(HERE / file), name)
    module = lower(unit, decl, dtype)
    grads = [f for f in module.functions if f.endswith(".grad")]
    assert grads and all(module.functions[g].attrs["kind"] == "fn" for g in grads)
    verify_module(module)
    assert structurally_equal(parse_module(print_module(module)), module)
    optimized = optimize(module, verify=True)
    assert not any(f.endswith(".grad") for f in optimized.functions)


SECOND_ORDER = ["so_lsq", "so_logistic", "so_softmax", "so_huber", "so_l1"]


@pytest.mark.parametrize("dtype", ["f64", "f32"])
@pytest.mark.parametrize("name", SECOND_ORDER)
def test_value_and_grad_and_hvp_functions_verify(name, dtype):
    unit, decl = resolve_source(str(HERE / "losses.opt"), name)
    module = lower(unit, decl, dtype)
    derived = [f for f in module.functions if f.endswith((".grad", ".hvp"))]
    assert len(derived) == 2 and all(module.functions[f].attrs["kind"] == "fn" for f in derived)
    verify_module(module)
    assert structurally_equal(parse_module(print_module(module)), module)
    optimized = optimize(module, verify=True)
    assert list(optimized.functions) == [name]


def _opcodes(source: str, tmp_path) -> list[str]:
    """The opcodes of the optimized solver `s` of `source`, nested regions included."""
    path = tmp_path / "p.opt"
    path.write_text(source)
    unit, decl = resolve_source(str(path), "s")
    fn = optimize(lower(unit, decl, "f64")).functions["s"]
    return [inner.opcode for op in fn.body.ops for inner in (op, *(x for r in op.regions for x in r.walk()))]


LOGISTIC = "fn f(x: real[n], A: real[m, n], y: real[m]) -> real = sum(log1p(exp(-y * (A @ x)))) + norm(x)^2\n"


@pytest.mark.parametrize("body,backward", [
    ("fx, d = value_and_grad(f)(x, A, y)\n  return fx, d", 1),
    ("return fx = f(x, A, y), d = grad(f)(x, A, y)", 1),
    ("return fx = f(x, A, y)", 0),
])
def test_value_and_grad_computes_the_primal_once(body, backward, tmp_path):
    """value_and_grad(f) is the call of f and of its gradient; after inlining and CSE the primal
    (one `A @ x`, one `exp`) is computed once, as for f alone."""
    ops = _opcodes(LOGISTIC + f"solver s(x: real[n], A: real[m, n], y: real[m]) {{\n  {body}\n}}\n", tmp_path)
    assert ops.count("exp") == 1 and ops.count("matvec") == 1 and "call" not in ops
    assert ops.count("vecmat") == backward


def test_value_and_grad_in_a_loop_shares_with_the_next_iteration(tmp_path):
    """`fx', g' = value_and_grad(f)(x', …)` in a loop body: one forward and one backward pass per
    iteration, even with a trace of f(x) (the same value as fx')."""
    src = LOGISTIC + ("solver s(x0: real[n], A: real[m, n], y: real[m]) {\n  state x = x0\n  state fx = f(x0, A, y)\n"
                      "  state g = grad(f)(x0, A, y)\n  trace obj = f(x, A, y)\n"
                      "  for k in 0..10 {\n    x' = x - 0.01 * g\n    fx', g' = value_and_grad(f)(x', A, y)\n  }\n"
                      "  return x, fx\n}\n")
    path = tmp_path / "p.opt"
    path.write_text(src)
    unit, decl = resolve_source(str(path), "s")
    fn = optimize(lower(unit, decl, "f64")).functions["s"]
    loop = next(op for op in fn.body.ops if op.opcode == "loop")
    inside = [op.opcode for op in loop.regions[0].walk()]
    assert inside.count("exp") == 1 and inside.count("matvec") == 1 and inside.count("vecmat") == 1
