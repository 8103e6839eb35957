"""The `cse` pass: common-subexpression elimination over scoped tables.

Ops are pure (but for `check`s, which are never merged), so two ops with the same opcode,
operands, attributes and result types compute the same values; the second is dropped and its
results replaced by the first's. Each region gets
a child table, so an op inside a loop can reuse an equal op from an enclosing block, but nothing
defined inside a region leaks out of it.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Hashable

from optc.ir.core import Block, Module, Op, Value
from optc.ir.ops import OPS
from optc.ir.rewrite import map_bodies


def cse(module: Module) -> Module:
    """Merge equal ops, in every block, reusing ops of enclosing blocks inside regions.

    Before:

        func @f(%x: f64[n], %y: f64[n]) -> (f64[n]) {
          %a: f64[n] = mul %x, %y
          %b: f64[n] = mul %x, %y
          %c: f64[n] = add %a, %b
          return %c
        }

    After:

        func @f(%x: f64[n], %y: f64[n]) -> (f64[n]) {
          %a: f64[n] = mul %x, %y
          %c: f64[n] = add %a, %a
          return %c
        }

    Ops with regions (loops) and ops with effects (`check`) are never merged.
    """
    return map_bodies(module, lambda body: _cse_block(body, ChainMap(), {}))


def _cse_block(
    block: Block, table: ChainMap[Hashable, tuple[Value, ...]], replaced: dict[Value, Value]
) -> Block:
    """`block` with duplicates removed; `table` holds the ops seen in this and enclosing blocks,
    `replaced` maps the results of dropped ops to the results that replace them."""
    ops: list[Op] = []
    for op in block.ops:
        op = op.with_(
            operands=tuple(replaced.get(v, v) for v in op.operands),
            regions=tuple(_cse_block(r, table.new_child(), replaced) for r in op.regions),
        )
        if op.regions or OPS[op.opcode].effects:
            ops.append(op)
            continue
        key = (op.opcode, op.operands, op.attr_key(), tuple(v.type for v in op.results))
        earlier = table.get(key)
        if earlier is None:
            table[key] = op.results
            ops.append(op)
        else:
            replaced.update(zip(op.results, earlier))
    return Block(block.args, tuple(ops), tuple(replaced.get(v, v) for v in block.results))
