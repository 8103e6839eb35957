"""A builder that appends typed ops to a block under construction.

Every op is typed by the op table's shape rule; a `ShapeError` becomes an `OptcError` at the
span being lowered, so shape mistakes point at the user's code. Used by lowering and by passes
that create ops.
"""

from __future__ import annotations

from typing import Any

from optc.errors import OptcError, Span
from optc.ir import ops as op_table
from optc.ir.core import Block, Op, Value
from optc.ir.types import ShapeError, TensorType, scalar


class Builder:
    """Collects ops for one block; `finish(args, results)` returns the `Block`."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.const_value: dict[Value, Any] = {}

    def emit_op(
        self,
        opcode: str,
        operands: tuple[Value, ...] | list[Value],
        attrs: dict | None = None,
        loc: Span | None = None,
        hints: tuple[str, ...] = (),
        regions: tuple[Block, ...] = (),
    ) -> Op:
        """Type, create and append an op; returns it (use `.results`)."""
        attrs = dict(attrs or {})
        operands = tuple(operands)
        try:
            types = op_table.infer(opcode, [v.type for v in operands], attrs)
        except ShapeError as err:
            raise OptcError(str(err), loc) from None
        results = tuple(Value(t, hints[i] if i < len(hints) else "") for i, t in enumerate(types))
        op = Op(opcode, operands, results, attrs, regions, loc)
        self.ops.append(op)
        return op

    def emit(self, opcode: str, operands, attrs: dict | None = None, loc: Span | None = None, hint: str = "") -> Value:
        """Emit a one-result op and return its result."""
        return self.emit_op(opcode, operands, attrs, loc, (hint,)).result

    def const(self, value: Any, dtype: str, loc: Span | None = None) -> Value:
        """A scalar constant of `dtype`."""
        if dtype == "bool":
            value = bool(value)
        elif dtype == "i64":
            value = int(value)
        else:
            value = float(value)
        v = self.emit("const", (), {"dtype": dtype, "value": value}, loc)
        self.const_value[v] = value
        return v

    def cast(self, v: Value, dtype: str, loc: Span | None = None) -> Value:
        """`v` converted to `dtype` (constants are re-emitted rather than cast)."""
        if v.type.dtype == dtype:
            return v
        if v in self.const_value and v.type.is_scalar:
            return self.const(self.const_value[v], dtype, loc)
        return self.emit("cast", (v,), {"dtype": dtype}, loc, v.hint)

    def finish(self, args: tuple[Value, ...], results: tuple[Value, ...]) -> Block:
        """The block of the ops emitted so far."""
        return Block(tuple(args), tuple(self.ops), tuple(results))


def new_value(type_: TensorType, hint: str = "") -> Value:
    """A fresh value (a block argument)."""
    return Value(type_, hint)


__all__ = ["Builder", "new_value", "scalar"]
