"""Structural equality: hints and locations do not matter; ops, attributes, types and wiring do."""

from optc.ir.equality import structurally_equal
from optc.ir.parser import parse_function, parse_module

TEXT = """func @f(%x: f64[n], %y: f64[n]) -> (f64[n]) {kind="fn"} {
  %c: f64[] = const {dtype="f64", value=0.0}
  %a: f64[n] = sub %x, %y
  %b: f64[n] = mul %a, %c
  return %b
}"""


def test_renamed_values_are_equal():
    renamed = TEXT.replace("%a", "%tmp").replace("%b", "%7")
    assert structurally_equal(parse_function(TEXT), parse_function(renamed))


def test_differences_are_detected():
    base = parse_function(TEXT)
    for old, new in [
        ("sub %x, %y", "sub %y, %x"),  # operand wiring
        ("value=0.0", "value=-0.0"),  # attribute value, sign of zero
        ("value=0.0", "value=0"),  # attribute kind
        ("sub", "add"),  # opcode
        ("%y: f64[n]) ->", "%y: f64[m]) ->"),  # parameter type
        ('{kind="fn"}', '{kind="solver"}'),  # function attrs
        ("@f", "@g"),  # name
    ]:
        assert old in TEXT
        assert not structurally_equal(base, parse_function(TEXT.replace(old, new))), new


def test_modules_compare_their_functions_and_attrs():
    one = parse_module(TEXT)
    assert structurally_equal(one, parse_module(TEXT))
    assert not structurally_equal(one, parse_module("module {a=1}\n" + TEXT))
    assert not structurally_equal(one, parse_module(TEXT + "\n\n" + TEXT.replace("@f", "@g")))
    assert not structurally_equal(one, one.functions["f"])


def test_nan_attrs_equal_and_lists_equal_tuples():
    text = TEXT.replace('{kind="fn"}', "{v=[nan,1]}")
    fn = parse_function(text)
    assert structurally_equal(fn, parse_function(text))
    assert structurally_equal(fn, fn.__class__(fn.name, fn.body, {"v": [float("nan"), 1]}))
