"""The IR verifier: checks the invariants every pass must keep. Tests run it after every pass
(`optimize(module, verify=True)`); a failure is a bug in optc, so it raises `InternalError`
naming the op, its source location and an excerpt of the printed IR.

Checked: every operand is defined before use and visible (values of enclosing blocks are visible
inside regions, values of inner regions are not visible outside); no value is defined twice;
result types equal what the op table's shape rule gives (for `call`, the callee exists and its
signature matches); loops have the region layout of `ir/loop.py`; yielded and returned values
are defined.
"""

from __future__ import annotations

from optc.errors import InternalError
from optc.ir.core import Block, Function, Module, Op, Value
from optc.ir.loop import loop_layout
from optc.ir.ops import infer
from optc.ir.printer import print_function_lines
from optc.ir.types import ShapeError, scalar

_EXCERPT_CONTEXT = 3


def verify_module(module: Module) -> None:
    """Verify every function of `module` (calls are checked against the module's functions)."""
    for name, fn in module.functions.items():
        if fn.name != name:
            raise InternalError(
                f"verifier: function @{fn.name} is registered under the name {name!r}"
            )
        verify_function(fn, module)


def verify_function(fn: Function, module: Module | None = None) -> None:
    """Verify one function; `call` ops are checked against `module` when one is given."""
    _Verifier(fn, module).block(fn.body, [])


class _Verifier:
    def __init__(self, fn: Function, module: Module | None):
        self.fn = fn
        self.module = module
        self.defined: set[Value] = set()

    def fail(self, message: str, op: Op | None = None) -> InternalError:
        where = f" in `{op.opcode}` at {op.where()}" if op is not None else ""
        return InternalError(
            f"verifier: {message}{where} (function @{self.fn.name})", self.excerpt(op)
        )

    def excerpt(self, op: Op | None) -> str:
        lines = print_function_lines(self.fn)
        at = next(
            (i for i, (line_op, _) in enumerate(lines) if line_op is op and op is not None), None
        )
        if at is None:
            return "\n".join(text for _, text in lines)
        lo, hi = max(0, at - _EXCERPT_CONTEXT), min(len(lines), at + _EXCERPT_CONTEXT + 1)
        return "\n".join(("> " if i == at else "  ") + lines[i][1] for i in range(lo, hi))

    def define(self, values: tuple[Value, ...], visible: set[Value], op: Op | None) -> None:
        for value in values:
            if value in self.defined:
                raise self.fail(f"value {_describe(value)} is defined twice", op)
            self.defined.add(value)
            visible.add(value)

    def block(self, block: Block, enclosing: list[set[Value]], owner: Op | None = None) -> None:
        visible: set[Value] = set()
        scopes = [*enclosing, visible]
        self.define(block.args, visible, owner)
        for op in block.ops:
            for i, value in enumerate(op.operands):
                if not any(value in scope for scope in scopes):
                    raise self.fail(
                        f"operand #{i} {_describe(value)} is not defined before use", op
                    )
            for region in op.regions:
                self.block(region, scopes, op)
            self.check_types(op)
            self.define(op.results, visible, op)
        for value in block.results:
            if not any(value in scope for scope in scopes):
                what = "returned" if owner is None else "yielded"
                raise self.fail(f"{what} value {_describe(value)} is not defined", owner)

    def check_types(self, op: Op) -> None:
        try:
            expected = infer(op.opcode, [v.type for v in op.operands], op.attrs)
        except (ShapeError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise self.fail(f"the shape rule rejects this op: {exc}", op) from None
        found = tuple(v.type for v in op.results)
        if found != tuple(expected):
            shown = ", ".join(map(str, found))
            raise self.fail(
                f"result types ({shown}) differ from the rule's ({', '.join(map(str, expected))})",
                op,
            )
        if op.opcode == "loop":
            self.check_loop(op)
        elif op.regions:
            raise self.fail("only `loop` ops may have regions", op)
        if op.opcode == "call" and self.module is not None:
            self.check_call(op)

    def check_loop(self, op: Op) -> None:
        layout = loop_layout(op)
        if len(op.regions) != 1:
            raise self.fail(f"a loop has one region, this one has {len(op.regions)}", op)
        region = op.regions[0]
        carried = tuple(v.type for v in op.operands[2:])
        if len(region.args) != layout.region_args:
            raise self.fail(
                f"the region takes {len(region.args)} arguments, expected {layout.region_args}", op
            )
        if tuple(v.type for v in region.args) != (scalar("i64"), *carried):
            raise self.fail("the region's argument types differ from (i64[], carried types...)", op)
        if len(region.results) != layout.yields:
            raise self.fail(
                f"the region yields {len(region.results)} values, expected {layout.yields}", op
            )
        yields = [v.type for v in region.results]
        expected = [*carried]
        if layout.until:
            expected.append(scalar("bool"))
        expected.extend(scalar(dt) for dt in op.attrs.get("trace_dtypes", ()))
        if yields != expected:
            shown = ", ".join(map(str, yields))
            raise self.fail(
                f"the region yields ({shown}), expected ({', '.join(map(str, expected))})", op
            )

    def check_call(self, op: Op) -> None:
        callee = self.module.functions.get(op.attrs.get("callee"))
        if callee is None:
            raise self.fail(f"call of unknown function @{op.attrs.get('callee')}", op)
        if tuple(v.type for v in callee.params) != tuple(v.type for v in op.operands):
            raise self.fail(f"operand types differ from the parameters of @{callee.name}", op)
        if tuple(v.type for v in callee.results) != tuple(v.type for v in op.results):
            raise self.fail(f"result types differ from the results of @{callee.name}", op)


def _describe(value: Value) -> str:
    return f"`%{value.hint}: {value.type}`" if value.hint else f"a {value.type} value"
