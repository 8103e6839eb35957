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
