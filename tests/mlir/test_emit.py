"""The emitted MLIR text: golden files for a few stdlib programs, one rule per opcode, and the
error for an op without one. These tests need no MLIR bindings."""

from __future__ import annotations

from pathlib import Path

import pytest
from optc.backends.mlir import UnsupportedOp, emit_mlir
from optc.backends.mlir.rules import RULES, UNSUPPORTED
from optc.ir.ops import OPS
from optc.ir.parser import parse_module

from optc.compiler import compile_source
from tests.golden import check_golden

GOLDEN = Path(__file__).parent / "golden"


def basename(path: str) -> str:
    """Locations name the file only, so golden files do not depend on where the repo lives."""
    return Path(path).name


@pytest.mark.parametrize(
    "name, dtype",
    [
        ("adam", "f32"),
        ("lion", "f64"),
        ("lasso_cd", "f64"),
        ("sinkhorn", "f64"),
        ("power_iteration", "f32"),
    ],
)
def test_golden(request, name, dtype):
    module = compile_source(name, None, None, dtype).module
    check_golden(request, GOLDEN / f"{name}.{dtype}.mlir", emit_mlir(module, path=basename))


def test_every_opcode_has_one_rule_or_is_listed_unsupported():
    assert sorted(set(OPS) - set(RULES) - set(UNSUPPORTED)) == []
    assert sorted(set(RULES) - set(OPS)) == []
    assert not set(RULES) & set(UNSUPPORTED)


def test_an_op_without_a_rule_is_an_error_at_its_line():
    module = parse_module(
        """
func @f(%x: f64[]) -> (f64[]) {
  %y: f64[] = neg %x
  %z: f64[] = call %y {callee="g", result_types=[type(f64[])]}
  return %z
}"""
    )
    with pytest.raises(UnsupportedOp) as info:
        emit_mlir(module)
    assert "cannot lower `call`" in str(info.value)
    assert str(info.value).startswith("<ir>:4:3: error:")


def test_every_line_of_an_op_carries_its_source_location():
    """All but the hoisted constants at a function's entry and the lines that open regions (whose
    location follows the closing brace)."""
    text = emit_mlir(compile_source("lasso_cd", None, None, "f64").module, path=basename)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("func.func @optc_"))
    body = lines[start + 1 : -1]
    while "arith.constant" in body[0]:
        body.pop(0)
    missing = [
        line
        for line in body
        if not line.rstrip().endswith("{")
        and not line.lstrip().startswith("^")
        and 'loc("lasso.opt":' not in line
    ]
    assert not missing, missing[:3]
