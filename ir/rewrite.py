"""Block rebuilding shared by the passes in `ir/passes/`.

Passes never edit IR in place; they rebuild blocks. These helpers do the rebuilds most passes
need: replacing the uses of values (`substitute`), copying ops with fresh values (`clone_op`,
for inlining), and applying a block transform to every function body (`map_bodies`).
"""

from __future__ import annotations

from collections.abc import Callable

from optc.ir.core import Block, Module, Op, Value


def substitute(block: Block, mapping: dict[Value, Value]) -> Block:
    """`block` with every use of a key of `mapping` replaced by its value: operands at any
    depth and yielded/returned values. Definitions are unchanged."""
    ops = tuple(substitute_op(op, mapping) for op in block.ops)
    return Block(block.args, ops, tuple(mapping.get(v, v) for v in block.results))


def substitute_op(op: Op, mapping: dict[Value, Value]) -> Op:
    """`op` with the uses of keys of `mapping` replaced, in its operands and inside its regions."""
    if not mapping:
        return op
    return op.with_(
        operands=tuple(mapping.get(v, v) for v in op.operands),
        regions=tuple(substitute(r, mapping) for r in op.regions),
    )


def clone_op(op: Op, mapping: dict[Value, Value]) -> Op:
    """A copy of `op` with fresh result values (and fresh values inside its regions), its uses
    renamed through `mapping`; `mapping` is extended with old value -> copy."""
    operands = tuple(mapping.get(v, v) for v in op.operands)
    regions = tuple(clone_block(r, mapping) for r in op.regions)
    results = tuple(_fresh(v, mapping) for v in op.results)
    return op.with_(operands=operands, results=results, regions=regions)


def clone_block(block: Block, mapping: dict[Value, Value]) -> Block:
    """A copy of `block` with fresh values for its arguments and everything defined in it."""
    args = tuple(_fresh(v, mapping) for v in block.args)
    ops = tuple(clone_op(op, mapping) for op in block.ops)
    return Block(args, ops, tuple(mapping.get(v, v) for v in block.results))


def _fresh(value: Value, mapping: dict[Value, Value]) -> Value:
    copy = Value(value.type, value.hint)
    mapping[value] = copy
    return copy


def map_bodies(module: Module, transform: Callable[[Block], Block]) -> Module:
    """A module whose every function body is `transform(body)`; the parameters must be kept."""
    return module.map(lambda fn, _module: fn.with_body(transform(fn.body)))
