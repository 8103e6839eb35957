"""Every opcode of the op table has exactly one home in each backend: a NumPy rule, or the
interpreter itself (`loop`, `call`); and nothing is registered for an opcode that does not exist."""

from optc.backends.numpy.rules import INTERPRETER_OPS, RULES
from optc.ir.ops import OPS


def test_every_opcode_has_a_numpy_rule_or_is_interpreted():
    missing = sorted(set(OPS) - set(RULES) - INTERPRETER_OPS)
    assert not missing, f"opcodes without a NumPy rule: {missing}"


def test_nothing_else_is_registered():
    assert not sorted(set(RULES) - set(OPS)), "rules for opcodes that are not in the op table"
    assert not sorted(INTERPRETER_OPS - set(OPS)), "interpreter ops that are not in the op table"


def test_no_opcode_is_both_a_rule_and_interpreted():
    assert not set(RULES) & INTERPRETER_OPS


def test_rules_are_callable_and_only_regions_and_calls_are_interpreted():
    assert all(callable(fn) for fn in RULES.values())
    assert INTERPRETER_OPS == {"loop", "call"}
