"""Structural equality of IR: the round-trip property (`parse(print(f))` equals `f`) and the pass
tests compare IR with it.

Two functions are structurally equal when they have the same name, attributes and parameter
types, and their ops match one for one: same opcodes, attributes, result types, regions, and
operands wired to corresponding values. Value hints and source locations are ignored. Attribute
values compare by kind and exact value: a tuple equals a list with the same items, `0.0` differs
from `-0.0`, `1` from `1.0` and `True`, and NaN equals NaN.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from optc.ir.core import Block, Function, Module, Value


def structurally_equal(a: Function | Module, b: Function | Module) -> bool:
    """Whether two functions (or two modules) are the same IR up to value identity, hints and
    locations."""
    if isinstance(a, Module) and isinstance(b, Module):
        return (
            _canonical(a.attrs) == _canonical(b.attrs)
            and a.functions.keys() == b.functions.keys()
            and all(_functions_equal(a.functions[k], b.functions[k]) for k in a.functions)
        )
    if isinstance(a, Function) and isinstance(b, Function):
        return _functions_equal(a, b)
    return False


def _functions_equal(a: Function, b: Function) -> bool:
    return (
        a.name == b.name
        and _canonical(a.attrs) == _canonical(b.attrs)
        and _blocks_equal(a.body, b.body, {})
    )


def _blocks_equal(a: Block, b: Block, mapping: dict[Value, Value]) -> bool:
    """Compare blocks, extending `mapping` (a value of `a` -> its counterpart in `b`)."""
    if not _bind(a.args, b.args, mapping) or len(a.ops) != len(b.ops):
        return False
    for x, y in zip(a.ops, b.ops):
        if (
            x.opcode != y.opcode
            or not _same_uses(x.operands, y.operands, mapping)
            or _canonical(x.attrs) != _canonical(y.attrs)
            or len(x.regions) != len(y.regions)
        ):
            return False
        if not all(_blocks_equal(r, s, mapping) for r, s in zip(x.regions, y.regions)):
            return False
        if not _bind(x.results, y.results, mapping):
            return False
    return _same_uses(a.results, b.results, mapping)


def _bind(xs: tuple[Value, ...], ys: tuple[Value, ...], mapping: dict[Value, Value]) -> bool:
    if len(xs) != len(ys) or any(x.type != y.type for x, y in zip(xs, ys)):
        return False
    mapping.update(zip(xs, ys))
    return True


def _same_uses(xs: tuple[Value, ...], ys: tuple[Value, ...], mapping: dict[Value, Value]) -> bool:
    # A value used without a definition (broken IR) only matches itself.
    return len(xs) == len(ys) and all(mapping.get(x, x) is y for x, y in zip(xs, ys))


def _canonical(value: Any) -> Any:
    """A comparable form of an attribute value that keeps its kind (see the module docstring)."""
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((_canonical(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if isinstance(value, numbers.Integral):
        return ("int", int(value))
    if isinstance(value, numbers.Real):
        return ("float", repr(float(value)))
    return (type(value).__name__, value)
