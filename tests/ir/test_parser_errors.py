"""Malformed IR text: each mistake gets a clear message at `<ir>:line:col` with a caret."""

import pytest

from optc.errors import OptcError
from optc.ir.parser import parse_function, parse_module

GOOD = """func @f(%x: f64[n]) -> (f64[n]) {
  %y: f64[n] = exp %x
  return %y
}"""

CASES = [
    # (name, text, expected message, line:col)
    ("undefined value", GOOD.replace("exp %x", "exp %z"), "undefined value %z", "2:20"),
    (
        "defined twice",
        GOOD.replace("  return", "  %y: f64[n] = sin %x\n  return"),
        "value %y is defined twice (first at 2:3)",
        "3:3",
    ),
    (
        "unknown opcode",
        GOOD.replace("exp", "expp"),
        "unknown opcode `expp` (did you mean `exp`?)",
        "2:16",
    ),
    (
        "unknown dtype",
        GOOD.replace("%x: f64[n]", "%x: f16[n]"),
        "expected a type such as `f64[n]`, found `f16`",
        "1:13",
    ),
    (
        "missing bracket",
        GOOD.replace("(%x: f64[n])", "(%x: f64[n)"),
        "unterminated type: missing `]`",
        "1:16",
    ),
    (
        "space before dims",
        GOOD.replace("%x: f64[n]", "%x: f64 [n]"),
        "expected `[` right after the dtype `f64`",
        "1:17",
    ),
    (
        "bad dimension",
        GOOD.replace("%x: f64[n]", "%x: f64[n;m]"),
        "bad dimension 'n;m' in type",
        "1:17",
    ),
    ("unexpected character", GOOD.replace("exp %x", "exp $x"), "unexpected character '$'", "2:20"),
    (
        "return type mismatch",
        GOOD.replace("-> (f64[n])", "-> (f32[n])"),
        "return of (f64[n]) does not match the declared (f32[n])",
        "3:3",
    ),
    (
        "missing return",
        GOOD.replace("  return %y\n", ""),
        "expected an op or `return`, found `}`",
        "3:1",
    ),
    (
        "end of input",
        GOOD.split("  return")[0],
        "expected an op or `return`, found end of input",
        "3:1",
    ),
    ("missing brace", GOOD[:-2], "expected `}`, found end of input", "3:12"),
    (
        "missing equals",
        GOOD.replace("%y: f64[n] = exp", "%y: f64[n] exp"),
        "expected `=`, found `exp`",
        "2:14",
    ),
    (
        "bad attr value",
        GOOD.replace("exp %x", "exp %x {axis=@a}"),
        "expected an attribute value, found `@a`",
        "2:29",
    ),
    (
        "duplicate attr",
        GOOD.replace("exp %x", "exp %x {a=1, a=2}"),
        "attribute 'a' is given twice",
        "2:29",
    ),
    (
        "bad attr name",
        GOOD.replace("exp %x", "exp %x {1=2}"),
        "expected an attribute name, found `1`",
        "2:24",
    ),
    (
        "dict as dict key",
        GOOD.replace("exp %x", "exp %x {a={{}=1}}"),
        "a dict cannot be a dict key",
        "2:27",
    ),
    (
        "missing function name",
        GOOD.replace("@f", "f"),
        "expected a function name such as `@step`, found `f`",
        "1:6",
    ),
    (
        "region value used outside",
        """func @f(%x: f64[n], %hi: i64[]) -> (f64[n]) {
  %0: i64[] = const {dtype="i64", value=0}
  %y: f64[n], %1: i64[], %2: bool[] = loop %0, %hi, %x (%k: i64[], %xk: f64[n]) {
    %z: f64[n] = exp %xk
    yield %z
  }
  return %z
}""",
        "value %z is defined inside a region and not visible here",
        "7:10",
    ),
]


@pytest.mark.parametrize(
    "text, message, line_col", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_ir_is_reported_at_its_position(text, message, line_col):
    with pytest.raises(OptcError) as info:
        parse_function(text)
    error = info.value
    assert error.message == message
    assert str(error).startswith(f"<ir>:{line_col}: error: {message}\n")
    assert "^" in str(error).splitlines()[-1]


def test_the_caret_points_under_the_offending_token():
    with pytest.raises(OptcError) as info:
        parse_function(GOOD.replace("exp %x", "exp %zz"))
    assert str(info.value).splitlines()[1:] == [
        "    %y: f64[n] = exp %zz",
        "                     ^^^",
    ]


def test_parse_function_rejects_trailing_text():
    with pytest.raises(OptcError, match=r"<ir>:5:1: error: expected end of input, found `func`"):
        parse_function(GOOD + "\n" + GOOD)


def test_parse_module_rejects_duplicate_function_names():
    with pytest.raises(OptcError, match=r"<ir>:6:6: error: function @f is defined twice"):
        parse_module(GOOD + "\n\n" + GOOD)


def test_comments_are_ignored():
    text = "# a comment\n" + GOOD.replace("exp %x", "exp %x # trailing, with %odd $chars")
    assert parse_function(text).body.ops[0].opcode == "exp"


def test_operands_start_on_the_line_of_their_op():
    text = GOOD.replace("  %y: f64[n] = exp %x", "  %c: f64[] = const\n  %y: f64[n] = exp %x")
    fn = parse_function(text)
    assert [len(op.operands) for op in fn.body.ops] == [0, 1]
