"""The `licm` pass: loop-invariant code motion.

An op inside a loop region that reads only values defined outside the region computes the same
value on every iteration, so it moves to just before the loop and runs once. Inner loops are
treated first, so an op invariant in both an inner and an outer loop moves out of both.
"""

from __future__ import annotations

from optc.ir.core import Block, Module, Op, Value
from optc.ir.ops import OPS
from optc.ir.rewrite import map_bodies


def licm(module: Module) -> Module:
    """Hoist loop-invariant ops out of every loop.

    Before:

        func @f(%A: f64[m,n], %x: f64[n], %hi: i64[]) -> (f64[n]) {
          %0: i64[] = const {dtype="i64", value=0}
          %y: f64[n], %1: i64[], %2: bool[] = loop %0, %hi, %x (%k: i64[], %y_1: f64[n]) {
            %At: f64[n,m] = transpose %A
            %r: f64[m] = matvec %A, %y_1
            %y_2: f64[n] = matvec %At, %r
            yield %y_2
          }
          return %y
        }

    After:

        func @f(%A: f64[m,n], %x: f64[n], %hi: i64[]) -> (f64[n]) {
          %0: i64[] = const {dtype="i64", value=0}
          %At: f64[n,m] = transpose %A
          %y: f64[n], %1: i64[], %2: bool[] = loop %0, %hi, %x (%k: i64[], %y_1: f64[n]) {
            %r: f64[m] = matvec %A, %y_1
            %y_2: f64[n] = matvec %At, %r
            yield %y_2
          }
          return %y
        }

    Ops with regions and ops with effects (`check`: it runs each iteration, and not at all when
    the loop runs zero times) never move; the other ops are pure, so running a moved op when
    the loop runs zero times changes no result.
    """
    return map_bodies(module, _licm_block)


def _licm_block(block: Block) -> Block:
    ops: list[Op] = []
    for op in block.ops:
        if op.opcode == "loop":
            hoisted, op = _hoist(op)
            ops.extend(hoisted)
        ops.append(op)
    return Block(block.args, tuple(ops), block.results)


def _hoist(loop: Op) -> tuple[list[Op], Op]:
    """The invariant ops of `loop`'s region, in order, and the loop without them."""
    region = _licm_block(loop.regions[0])
    inside: set[Value] = set(region.args)
    hoisted: list[Op] = []
    kept: list[Op] = []
    for op in region.ops:
        if not op.regions and not OPS[op.opcode].effects and not any(v in inside for v in op.operands):
            hoisted.append(op)
        else:
            kept.append(op)
            inside.update(op.results)
    new_region = Block(region.args, tuple(kept), region.results)
    return hoisted, loop.with_(regions=(new_region,))
