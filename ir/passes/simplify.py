"""The `simplify` pass: local algebraic rewrites from a rule table, driven to a fixpoint.

Each rule looks at one op (and at the ops defining its operands) and proposes either an
existing value that replaces the op's result, or a cheaper op computing it. A proposal is only
taken when its type is exactly the original result's type (same dtype and shape), so a rewrite
never changes broadcasting. `x - x -> 0` is deliberately absent: it is wrong for inf and NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from optc.ir.core import Block, Module, Op, Value
from optc.ir.ops import infer
from optc.ir.rewrite import map_bodies
from optc.ir.types import ShapeError, TensorType


@dataclass(frozen=True)
class NewOp:
    """A proposed replacement op (its result takes over the original result value)."""

    opcode: str
    operands: tuple[Value, ...]
    attrs: dict[str, Any] = field(default_factory=dict)


Rewrite = Value | NewOp


class Facts:
    """What rules may know about values: the op defining each one in scope."""

    def __init__(self) -> None:
        self.producer: dict[Value, Op] = {}

    def const(self, value: Value) -> Any:
        """The Python value of a `const`, or None."""
        op = self.producer.get(value)
        return op.attrs["value"] if op is not None and op.opcode == "const" else None

    def is_number(self, value: Value, number: float) -> bool:
        """Whether `value` is a numeric (not bool) const equal to `number`."""
        c = self.const(value)
        return c is not None and not isinstance(c, bool) and c == number

    def defined_by(self, value: Value, opcode: str) -> Op | None:
        """The op defining `value` if its opcode is `opcode`."""
        op = self.producer.get(value)
        return op if op is not None and op.opcode == opcode else None


Rule = Callable[[Op, Facts], Rewrite | None]


def _right_identity(number: float) -> Rule:
    def rule(op: Op, facts: Facts) -> Rewrite | None:
        return op.operands[0] if facts.is_number(op.operands[1], number) else None

    return rule


def _left_identity(number: float) -> Rule:
    def rule(op: Op, facts: Facts) -> Rewrite | None:
        return op.operands[1] if facts.is_number(op.operands[0], number) else None

    return rule


def _power_to(exponent: float, make: Callable[[Value], NewOp]) -> Rule:
    def rule(op: Op, facts: Facts) -> Rewrite | None:
        return make(op.operands[0]) if facts.is_number(op.operands[1], exponent) else None

    return rule


def _reciprocal_sqrt(op: Op, facts: Facts) -> Rewrite | None:
    root = facts.defined_by(op.operands[1], "sqrt")
    if root is not None and facts.is_number(op.operands[0], 1):
        return NewOp("rsqrt", root.operands)
    return None


def _involution(op: Op, facts: Facts) -> Rewrite | None:
    inner = facts.defined_by(op.operands[0], op.opcode)
    return inner.operands[0] if inner is not None else None


def _same_dtype_cast(op: Op, facts: Facts) -> Rewrite | None:
    return op.operands[0] if op.operands[0].type.dtype == op.attrs["dtype"] else None


def _constant_select(op: Op, facts: Facts) -> Rewrite | None:
    cond = facts.const(op.operands[0])
    if cond is True:
        return op.operands[1]
    if cond is False:
        return op.operands[2]
    return None


RULES: dict[str, tuple[Rule, ...]] = {
    "mul": (
        _right_identity(1),  # x*1 -> x
        _left_identity(1),  # 1*x -> x
    ),
    # x+0 -> x and 0+x -> x give -0.0 for x = -0.0 where IEEE gives +0.0 (as fast-math does).
    "add": (
        _right_identity(0),  # x+0 -> x
        _left_identity(0),  # 0+x -> x
    ),
    "sub": (
        _right_identity(0),  # x-0 -> x
    ),
    "div": (
        _right_identity(1),  # x/1 -> x
        _reciprocal_sqrt,  # 1/sqrt(x) -> rsqrt(x)
    ),
    "pow": (
        _right_identity(1),  # x^1 -> x
        _power_to(2, lambda x: NewOp("mul", (x, x))),  # x^2 -> x*x
        _power_to(0.5, lambda x: NewOp("sqrt", (x,))),  # x^0.5 -> sqrt(x)
        # x^-0.5 -> rsqrt(x); differs from pow in the last bit, at -0.0 (-inf, not inf)
        # and at -inf (nan, not 0).
        _power_to(-0.5, lambda x: NewOp("rsqrt", (x,))),
    ),
    "neg": (
        _involution,  # neg(neg(x)) -> x
    ),
    "not": (
        _involution,  # not(not(x)) -> x
    ),
    "cast": (
        _same_dtype_cast,  # cast(x) to x's own dtype -> x
    ),
    "select": (
        _constant_select,  # select(true, a, b) -> a;  select(false, a, b) -> b
    ),
}


def simplify(module: Module) -> Module:
    """Apply the algebraic rules of `RULES` until none fires.

    Before:

        func @f(%x: f64[n]) -> (f64[n]) {
          %one: f64[] = const {dtype="f64", value=1.0}
          %two: f64[] = const {dtype="f64", value=2.0}
          %a: f64[n] = mul %x, %one
          %b: f64[n] = pow %a, %two
          %s: f64[n] = sqrt %b
          %r: f64[n] = div %one, %s
          return %r
        }

    After:

        func @f(%x: f64[n]) -> (f64[n]) {
          %one: f64[] = const {dtype="f64", value=1.0}
          %two: f64[] = const {dtype="f64", value=2.0}
          %b: f64[n] = mul %x, %x
          %s: f64[n] = sqrt %b
          %r: f64[n] = rsqrt %b
          return %r
        }

    Ops left unused (here `%s`) are removed by `dce`.
    """
    return map_bodies(module, _simplify_to_fixpoint)


def _simplify_to_fixpoint(block: Block) -> Block:
    while True:
        simplifier = _Simplifier()
        block = simplifier.block(block)
        if simplifier.rewrites == 0:
            return block


class _Simplifier:
    """One forward sweep over a function body."""

    def __init__(self) -> None:
        self.facts = Facts()
        self.replaced: dict[Value, Value] = {}  # results of dropped ops -> their replacements
        self.rewrites = 0

    def block(self, block: Block) -> Block:
        ops: list[Op] = []
        for op in block.ops:
            op = op.with_(
                operands=tuple(self.replaced.get(v, v) for v in op.operands),
                regions=tuple(self.block(r) for r in op.regions),
            )
            while True:
                rewrite = _first_rewrite(op, self.facts)
                if rewrite is None:
                    self.facts.producer.update((r, op) for r in op.results)
                    ops.append(op)
                    break
                self.rewrites += 1
                if isinstance(rewrite, Value):
                    self.replaced[op.result] = rewrite
                    break
                op = Op(rewrite.opcode, rewrite.operands, op.results, rewrite.attrs, loc=op.loc)
        results = tuple(self.replaced.get(v, v) for v in block.results)
        return Block(block.args, tuple(ops), results)


def _first_rewrite(op: Op, facts: Facts) -> Rewrite | None:
    for rule in RULES.get(op.opcode, ()):
        rewrite = rule(op, facts)
        if rewrite is not None and _type_of(rewrite) == op.results[0].type:
            return rewrite
    return None


def _type_of(rewrite: Rewrite) -> TensorType | None:
    if isinstance(rewrite, Value):
        return rewrite.type
    try:
        (result,) = infer(rewrite.opcode, [v.type for v in rewrite.operands], rewrite.attrs)
    except ShapeError:
        return None
    return result
