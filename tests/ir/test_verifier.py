"""The verifier accepts well-formed IR and names the op, its location and an IR excerpt for each
kind of broken IR."""

import pytest

from optc.errors import InternalError
from optc.ir.core import Block, Function, Module, Op, Value
from optc.ir.parser import parse_function, parse_module
from optc.ir.types import TensorType
from optc.ir.verifier import verify_function, verify_module

LOOP = """func @f(%x: f64[n], %hi: i64[]) -> (f64[n]) {
  %0: i64[] = const {dtype="i64", value=0}
  %y: f64[n], %1: i64[], %2: bool[], %t: f64[?] = loop %0, %hi, %x {trace_dtypes=["f64"], until=true} (%k: i64[], %xk: f64[n]) {
    %z: f64[n] = exp %xk
    %s: f64[] = reduce_sum %z {axis=none}
    %c: bool[] = const {dtype="bool", value=true}
    yield %z, %c, %s
  }
  return %y
}"""

CALL = """func @g(%a: f64[n]) -> (f64[n]) {kind="fn"} {
  %b: f64[n] = exp %a
  return %b
}

func @f(%x: f64[n]) -> (f64[n]) {
  %y: f64[n] = call %x {callee="g", result_types=[type(f64[n])]}
  return %y
}"""


def _fails(fn_or_module, message: str) -> str:
    with pytest.raises(InternalError) as info:
        if isinstance(fn_or_module, Module):
            verify_module(fn_or_module)
        else:
            verify_function(fn_or_module)
    text = str(info.value)
    assert message in text
    return text


def test_well_formed_ir_passes():
    verify_function(parse_function(LOOP))
    verify_module(parse_module(CALL))


def test_use_before_definition():
    fn = parse_function(LOOP)
    loop = fn.body.ops[1]
    swapped = fn.with_body(Block(fn.params, (loop, fn.body.ops[0]), fn.results))
    text = _fails(swapped, "operand #0 `%0: i64[]` is not defined before use in `loop` at <ir>:3:3")
    assert "> " + "  %y: f64[n]" in text  # the excerpt marks the op's line
    assert "please report" in text


def test_value_defined_twice():
    fn = parse_function(LOOP)
    const = fn.body.ops[0]
    again = const.with_(results=(fn.params[1],))
    broken = fn.with_body(Block(fn.params, (again, *fn.body.ops[1:]), fn.results))
    _fails(broken, "value `%hi: i64[]` is defined twice in `const` at <ir>:2:3")


def test_region_values_are_not_visible_after_the_loop():
    fn = parse_function(LOOP)
    inner = fn.body.ops[1].regions[0].ops[0].result
    use = Op("neg", (inner,), (Value(inner.type, "w"),))
    broken = fn.with_body(Block(fn.params, (*fn.body.ops, use), fn.results))
    _fails(broken, "operand #0 `%z: f64[n]` is not defined before use in `neg`")


def test_returned_value_must_be_defined():
    fn = parse_function(LOOP)
    stray = Value(TensorType("f64", ("n",)), "stray")
    _fails(
        fn.with_body(Block(fn.params, fn.body.ops, (stray,))),
        "returned value `%stray: f64[n]` is not defined",
    )


def test_yielded_value_must_be_defined():
    fn = parse_function(LOOP)
    loop = fn.body.ops[1]
    region = loop.regions[0]
    stray = Value(TensorType("f64", ("n",)), "stray")
    bad = loop.with_(regions=(Block(region.args, region.ops, (stray, *region.results[1:])),))
    broken = fn.with_body(Block(fn.params, (fn.body.ops[0], bad), fn.results))
    _fails(broken, "yielded value `%stray: f64[n]` is not defined in `loop` at <ir>:3:3")


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "%z: f64[n] = exp",
            "%z: f32[n] = exp",
            "result types (f32[n]) differ from the rule's (f64[n])",
        ),
        (
            "exp %xk",
            "exp %k",
            "the shape rule rejects this op: operand of dtype i64 is not allowed here",
        ),
        ("{axis=none}", "{axis=3}", "axis 3 is out of range for a tensor of rank 1"),
        ("%k: i64[], %xk: f64[n]", "%xk: f64[n]", "the region takes 1 arguments, expected 2"),
        (
            "%k: i64[], %xk",
            "%k: f64[], %xk",
            "argument types differ from (i64[], carried types...)",
        ),
        ("yield %z, %c, %s", "yield %z, %s", "the region yields 2 values, expected 3"),
        (
            "yield %z, %c, %s",
            "yield %z, %s, %c",
            "the region yields (f64[n], f64[], bool[]), expected (f64[n], bool[], f64[])",
        ),
        ('{dtype="bool", value=true}', "{value=true}", "the shape rule rejects this op: 'dtype'"),
    ],
)
def test_type_and_loop_layout_errors(old, new, message):
    assert old in LOOP
    _fails(parse_function(LOOP.replace(old, new)), message)


def test_call_of_a_missing_function():
    module = parse_module(CALL)
    _fails(
        Module({"f": module.functions["f"]}), "call of unknown function @g in `call` at <ir>:7:3"
    )


def test_call_with_a_mismatched_signature():
    text = CALL.replace("func @g(%a: f64[n])", "func @g(%a: f64[m])").replace(
        "%b: f64[n] = exp", "%b: f64[m] = exp"
    )
    text = text.replace("-> (f64[n]) {kind", "-> (f64[m]) {kind")
    _fails(parse_module(text), "operand types differ from the parameters of @g")
    text = CALL.replace("result_types=[type(f64[n])]", "result_types=[type(f64[m])]").replace(
        "%y: f64[n]", "%y: f64[m]"
    )
    _fails(
        parse_module(text.replace("-> (f64[n]) {\n  %y", "-> (f64[m]) {\n  %y")),
        "result types differ from the results of @g",
    )


def test_only_loops_have_regions():
    fn = parse_function(LOOP)
    loop = fn.body.ops[1]
    exp = loop.regions[0].ops[0]
    bad = exp.with_(operands=(fn.params[0],), regions=(Block((), (), ()),))
    broken = fn.with_body(Block(fn.params, (fn.body.ops[0], bad), (bad.result,)))
    _fails(broken, "only `loop` ops may have regions in `exp`")


def test_module_keys_match_function_names():
    fn = parse_function(LOOP)
    _fails(Module({"g": fn}), "function @f is registered under the name 'g'")


def test_unknown_opcode():
    x = Value(TensorType("f64"), "x")
    fn = Function("f", Block((x,), (Op("frobnicate", (x,), (Value(x.type),)),), ()))
    _fails(fn, "unknown opcode 'frobnicate' in `frobnicate` at <unknown>")
