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

    Ops with regions, ops with effects (`check`: it runs each iteration, and not at all when
    the loop runs zero times) and ops that may fail at run time (`may_fail`) never move: a moved
    op runs even when the loop runs zero times, and before the loop's own `require`s, so an op
    that can raise (an index, `solve`, the maximum of a possibly empty tensor, …) would report an
    error the program never reaches. The ops that move are pure and cannot fail.
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
        if not op.regions and not OPS[op.opcode].effects and not may_fail(op) and not any(v in inside for v in op.operands):
            hoisted.append(op)
        else:
            kept.append(op)
            inside.update(op.results)
    new_region = Block(region.args, tuple(kept), region.results)
    return hoisted, loop.with_(regions=(new_region,))


# Ops that check something at run time whatever their operand types: indices and slices, a
# linear solve (singular), a random subset (k > n), reductions with no identity (empty tensors),
# and constructors whose dimensions are run-time values (negative).
_CHECKED = {"index", "setindex", "solve", "random_subset", "reduce_max", "reduce_min", "argmax", "argmin",
            "logsumexp", "full", "eye", "random", "random_like"}


def may_fail(op: Op) -> bool:
    """Whether `op` may raise a run-time error: a checked opcode, an integer power (negative
    exponent), or an operand or result with a dimension unknown until run time (a mismatch is
    checked when the op runs)."""
    if op.opcode in _CHECKED:
        return True
    if op.opcode == "pow" and op.results[0].type.dtype == "i64":
        return True
    return any(t.shape is not None and "?" in t.shape for t in (*(v.type for v in op.operands), *(r.type for r in op.results)))
