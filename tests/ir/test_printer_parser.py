"""The textual IR round trip: hand-written IR covering every opcode and every kind of attribute
prints back unchanged, and the printer names values as documented."""

from pathlib import Path

import numpy as np
import pytest

from optc.errors import Span
from optc.ir.core import Block, Function, Module, Op, Value
from optc.ir.equality import structurally_equal
from optc.ir.ops import OPS
from optc.ir.parser import parse_function, parse_module
from optc.ir.printer import format_attr_value, print_function, print_module
from optc.ir.types import TensorType
from optc.ir.verifier import verify_module

ROUNDTRIP = sorted((Path(__file__).parent / "roundtrip").glob("*.ir"))
F64N = TensorType("f64", ("n",))


@pytest.mark.parametrize("path", ROUNDTRIP, ids=lambda p: p.stem)
def test_text_round_trips_exactly(path):
    text = path.read_text()
    module = parse_module(text)
    verify_module(module)
    assert print_module(module) + "\n" == text
    assert structurally_equal(parse_module(print_module(module)), module)


def test_round_trip_texts_cover_every_opcode():
    seen = set()
    for path in ROUNDTRIP:
        for fn in parse_module(path.read_text()).functions.values():
            seen.update(op.opcode for op in fn.body.walk())
    assert seen == set(OPS)


def test_parsed_attrs_have_python_values():
    fn = parse_module((Path(__file__).parent / "roundtrip" / "attrs.ir").read_text()).functions[
        "step"
    ]
    attrs = fn.attrs
    assert attrs["defaults"] == {"lr": 0.001, "eps": 1e-08}
    assert attrs["dims"] == {"n": (0, 0), 3: None}
    assert attrs["ints"] == (0, -1, 2**63 - 1)
    floats = attrs["floats"]
    assert [repr(f) for f in floats] == [
        "0.0",
        "-0.0",
        "1.5",
        "-2.25",
        "1e+300",
        "5e-324",
        "inf",
        "-inf",
        "nan",
    ]
    assert attrs["text"] == "tab\there\nnewline \\ backslash"
    assert attrs["types"] == (
        TensorType("f64"),
        TensorType("i64", None),
        TensorType("bool", ("n-1", 2)),
    )
    assert attrs["nested"]["a"]["b"][0]["c"] == TensorType("f32", ("n", "?"))
    assert attrs["bools"] == (True, False) and attrs["nothing"] is None and attrs["empty"] == {}
    assert fn.params[0].type == TensorType("f64", None)


def test_parsed_values_take_their_printed_names_as_hints():
    fn = parse_function("func @f(%x: f64[n]) -> (f64[n]) {\n  %7: f64[n] = exp %x\n  return %7\n}")
    assert [fn.params[0].hint, fn.body.ops[0].result.hint] == ["x", "7"]
    assert str(fn.body.ops[0].loc) == "<ir>:2:3"


def _chain(hints: list[str]) -> Function:
    """A function whose ops are `neg`s applied in turn, with the given result hints."""
    x = Value(F64N, "x")
    ops, last = [], x
    for hint in hints:
        result = Value(F64N, hint)
        ops.append(Op("neg", (last,), (result,)))
        last = result
    return Function("f", Block((x,), tuple(ops), (last,)))


def test_printer_names_unique_hints_bare_repeats_with_suffix_and_the_rest_by_number():
    text = print_function(_chain(["y", "", "x", "x", "x_1", "", "a'b"]))
    assert (
        text
        == "func @f(%x: f64[n]) -> (f64[n]) {\n  %y: f64[n] = neg %x\n  %0: f64[n] = neg %y\n  %x_2: f64[n] = neg %0\n  %x_3: f64[n] = neg %x_2\n  %x_1: f64[n] = neg %x_3\n  %1: f64[n] = neg %x_1\n  %a_b: f64[n] = neg %1\n  return %a_b\n}"
    )
    assert print_function(parse_function(text)) == text


def test_numbers_skip_names_taken_by_hints():
    text = print_function(_chain(["0", ""]))
    assert "%0: f64[n] = neg %x" in text and "%1: f64[n] = neg %0" in text


def test_locs_print_as_trailing_comments_that_the_parser_ignores():
    fn = parse_function("func @f(%x: f64[n]) -> (f64[n]) {\n  %y: f64[n] = exp %x\n  return %y\n}")
    text = print_function(fn, locs=True)
    assert "  %y: f64[n] = exp %x  # <ir>:2:3" in text.splitlines()
    assert print_function(parse_function(text)) == print_function(fn)


def test_module_attrs_print_on_a_first_line_and_functions_are_separated_by_blank_lines():
    fn = _chain(["y"])
    module = Module({"f": fn, "g": Function("g", fn.body, {"kind": "fn"})}, {"source": "a.opt"})
    text = print_module(module)
    assert text.startswith('module {source="a.opt"}\nfunc @f(')
    assert '}\n\nfunc @g(%x: f64[n]) -> (f64[n]) {kind="fn"} {' in text
    assert structurally_equal(parse_module(text), module)


def test_numpy_scalars_and_tuples_print_like_python_values():
    assert (
        format_attr_value((np.int64(3), np.float64(0.1), np.bool_(True), [np.float32(0.5)]))
        == "[3,0.1,true,[0.5]]"
    )
    with pytest.raises(TypeError, match="cannot print attribute value"):
        format_attr_value(object())


def test_a_function_with_no_results_and_an_op_span_from_a_real_file():
    from optc.errors import SourceFile

    source = SourceFile("lasso.opt", "x = 1\ny = exp(x)\n")
    x = Value(F64N, "x")
    op = Op("exp", (x,), (Value(F64N, "y"),), loc=Span(source, 10, 16))
    fn = Function("f", Block((x,), (op,), ()))
    assert print_function(fn, locs=True).splitlines()[1:] == [
        "  %y: f64[n] = exp %x  # lasso.opt:2:5",
        "  return",
        "}",
    ]
    assert structurally_equal(parse_function(print_function(fn)), fn)
