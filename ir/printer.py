"""The textual IR printer: modules and functions to text, one op per line with types inline.

It sits after lowering and after every pass: `optc compile --emit ir|ir-opt`, the golden pass
tests and the verifier's error excerpts all show IR through here, and `ir/parser.py` reads the
same text back (`parse(print(f))` is structurally equal to `f`). An example:

    func @scale(%x: f64[n], %a: f64[]) -> (f64[n]) {kind="fn"} {
      %y: f64[n] = mul %x, %a  # lasso.opt:3:5
      return %y
    }

Values print as `%hint` when their source name is unique in the function, `%hint_N` when it is
not, and `%N` when they have none. Attributes print sorted by key; tuples print as lists.
"""

from __future__ import annotations

import json
import numbers
import re
from collections import Counter
from typing import Any

import numpy as np

from optc.ir.core import Block, Function, Module, Op, Value
from optc.ir.types import TensorType

_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.]")
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDENT = "  "


def print_module(module: Module, locs: bool = False) -> str:
    """The text of a module: an optional `module {attrs}` line, then its functions separated by
    blank lines. With `locs`, each op line ends with `# file:line:col`."""
    parts = [print_function(fn, locs) for fn in module.functions.values()]
    text = "\n\n".join(parts)
    if module.attrs:
        text = f"module {format_attrs(module.attrs)}\n{text}"
    return text


def print_function(fn: Function, locs: bool = False) -> str:
    """The text of one function (no trailing newline). With `locs`, op lines end with their span."""
    return "\n".join(line for _, line in print_function_lines(fn, locs))


def print_function_lines(fn: Function, locs: bool = False) -> list[tuple[Op | None, str]]:
    """The printed lines of `fn`, each paired with the op whose header it shows (None for the
    function header, yields, returns and closing braces); the verifier uses it for excerpts."""
    return _FunctionPrinter(fn, locs).lines()


def format_attrs(attrs: dict[str, Any]) -> str:
    """`{key=value, ...}` sorted by key; keys that are not identifiers print quoted."""
    items = []
    for key in sorted(attrs):
        shown = key if _BARE_KEY.fullmatch(key) else json.dumps(key)
        items.append(f"{shown}={format_attr_value(attrs[key])}")
    return "{" + ", ".join(items) + "}"


def format_attr_value(value: Any) -> str:
    """One attribute value: ints, floats (repr, so they round-trip), strings, true/false, none,
    lists, dicts `{"k"=v}` and types `type(f64[n])`."""
    if value is None:
        return "none"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        # repr gives the shortest text that reads back to the same float (`inf`, `nan` bare).
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, TensorType):
        return f"type({value})"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_attr_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{format_attr_value(k)}={format_attr_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"cannot print attribute value {value!r} of type {type(value).__name__}")


class _Namer:
    """Printed names for the values of one function, assigned on first sight."""

    def __init__(self, fn: Function):
        hints = Counter(_sanitize(v.hint) for v in _definitions(fn))
        hints.pop("", None)
        self._unique = {h for h, n in hints.items() if n == 1}
        self._taken: set[str] = set(self._unique)
        self._suffix: Counter[str] = Counter()
        self._next_number = 0
        self._names: dict[Value, str] = {}

    def __call__(self, value: Value) -> str:
        name = self._names.get(value)
        if name is None:
            name = self._fresh(_sanitize(value.hint))
            self._names[value] = name
        return "%" + name

    def _fresh(self, hint: str) -> str:
        if hint in self._unique:
            self._unique.discard(hint)
            return hint
        if hint and hint not in self._taken:
            self._taken.add(hint)
            return hint
        while True:
            if hint:
                self._suffix[hint] += 1
                name = f"{hint}_{self._suffix[hint]}"
            else:
                name = str(self._next_number)
                self._next_number += 1
            if name not in self._taken:
                self._taken.add(name)
                return name


def _sanitize(hint: str) -> str:
    return _NAME_CHARS.sub("_", hint)


def _definitions(fn: Function) -> list[Value]:
    values = list(fn.params)
    for op in fn.body.walk():
        values.extend(op.results)
        for region in op.regions:
            values.extend(region.args)
    return values


class _FunctionPrinter:
    def __init__(self, fn: Function, locs: bool):
        self.fn = fn
        self.locs = locs
        self.name = _Namer(fn)
        self.out: list[tuple[Op | None, str]] = []

    def lines(self) -> list[tuple[Op | None, str]]:
        fn = self.fn
        params = ", ".join(self._typed(v) for v in fn.params)
        result_types = ", ".join(str(v.type) for v in fn.results)
        header = f"func @{fn.name}({params}) -> ({result_types})"
        if fn.attrs:
            header += " " + format_attrs(fn.attrs)
        self.out.append((None, header + " {"))
        self._block_body(fn.body, "return", _INDENT)
        self.out.append((None, "}"))
        return self.out

    def _typed(self, value: Value) -> str:
        return f"{self.name(value)}: {value.type}"

    def _block_body(self, block: Block, terminator: str, indent: str) -> None:
        for op in block.ops:
            self._op(op, indent)
        results = ", ".join(self.name(v) for v in block.results)
        self.out.append((None, f"{indent}{terminator} {results}".rstrip()))

    def _op(self, op: Op, indent: str) -> None:
        text = indent
        if op.results:
            text += ", ".join(self._typed(v) for v in op.results) + " = "
        text += op.opcode
        if op.operands:
            text += " " + ", ".join(self.name(v) for v in op.operands)
        if op.attrs:
            text += " " + format_attrs(op.attrs)
        comment = f"  # {op.loc}" if self.locs and op.loc is not None else ""
        if not op.regions:
            self.out.append((op, text + comment))
            return
        for i, region in enumerate(op.regions):
            args = ", ".join(self._typed(v) for v in region.args)
            opener = f" ({args}) {{"
            if i == 0:
                self.out.append((op, text + opener + comment))
            else:
                self.out.append((None, f"{indent}}}{opener}"))
            self._block_body(region, "yield", indent + _INDENT)
        self.out.append((None, f"{indent}}}"))
