"""The `dce` pass: dead-code elimination, the last stage of the optimization pipeline.

An op whose results are never used can go, unless it has effects (a `check`, or a loop holding
one: `ir.ops.has_effects`), which stays with everything it reads. Loops also lose the carried
values that nothing needs: a carried value whose final result is unused and whose region
argument only feeds its own next value or stopping rule, nor a check.
"""

from __future__ import annotations

from optc.ir.core import Block, Module, Op, Value
from optc.ir.graph import read_values
from optc.ir.loop import loop_layout
from optc.ir.ops import has_effects
from optc.ir.rewrite import map_bodies


def dce(module: Module) -> Module:
    """Remove unused ops and dead loop-carried values, in every block, to a fixpoint.

    Before:

        func @f(%x: f64[n], %c0: f64[], %hi: i64[]) -> (f64[n]) {
          %unused: f64[n] = exp %x
          %0: i64[] = const {dtype="i64", value=0}
          %y: f64[n], %c: f64[], %1: i64[], %2: bool[] = loop %0, %hi, %x, %c0 (%k: i64[], %y_1: f64[n], %c_1: f64[]) {
            %y_2: f64[n] = sin %y_1
            %c_2: f64[] = reduce_sum %y_1 {axis=none}
            yield %y_2, %c_2
          }
          return %y
        }

    After (`%c` is carried but nothing reads it):

        func @f(%x: f64[n], %c0: f64[], %hi: i64[]) -> (f64[n]) {
          %0: i64[] = const {dtype="i64", value=0}
          %y: f64[n], %1: i64[], %2: bool[] = loop %0, %hi, %x (%k: i64[], %y_1: f64[n]) {
            %y_2: f64[n] = sin %y_1
            yield %y_2
          }
          return %y
        }

    The iteration count, the converged flag and the traces are never removed from a loop's
    results, so its result layout keeps matching its attributes.
    """
    return map_bodies(module, _dce_to_fixpoint)


def _dce_to_fixpoint(block: Block) -> Block:
    while True:
        smaller = _dce_block(block)
        if _size(smaller) == _size(block):
            return smaller
        block = smaller


def _size(block: Block) -> int:
    return sum(1 + len(op.operands) for op in block.walk())


def _dce_block(block: Block) -> Block:
    """One backward sweep over `block`: keep the ops some kept op or the block's results read."""
    live: set[Value] = set(block.results)
    kept: list[Op] = []
    for op in reversed(block.ops):
        if not has_effects(op) and not any(r in live for r in op.results):
            continue
        if op.opcode == "loop":
            op = _drop_dead_carried(op, live)
        op = op.with_(regions=tuple(_dce_block(r) for r in op.regions))
        live.update(read_values(op))
        kept.append(op)
    return Block(block.args, tuple(reversed(kept)), block.results)


def _drop_dead_carried(loop: Op, live: set[Value]) -> Op:
    """`loop` without the carried values that neither the code after it (`live`) nor the rest of
    its region needs."""
    layout = loop_layout(loop)
    keep = _live_carried(loop, live)
    if len(keep) == layout.carried:
        return loop
    n = layout.carried
    region = loop.regions[0]
    attrs = dict(loop.attrs)
    if "carried_names" in attrs:
        attrs["carried_names"] = tuple(attrs["carried_names"][i] for i in keep)
    new_region = Block(
        (region.args[0], *(region.args[1 + i] for i in keep)),
        region.ops,
        (*(region.results[i] for i in keep), *region.results[n:]),
    )
    return loop.with_(
        operands=(*loop.operands[:2], *(loop.operands[2 + i] for i in keep)),
        results=(*(loop.results[i] for i in keep), *loop.results[n:]),
        attrs=attrs,
        regions=(new_region,),
    )


def _live_carried(loop: Op, live: set[Value]) -> list[int]:
    """The indices of the carried values of `loop` that must stay, given the values `live`
    after it: those whose result is live, and those the region needs for another live yield."""
    layout = loop_layout(loop)
    region = loop.regions[0]
    dead = {i for i in range(layout.carried) if loop.results[i] not in live}
    while dead:
        roots = [v for j, v in enumerate(region.results) if j not in dead]
        needed = _needed(region, roots)
        revived = {i for i in dead if region.args[1 + i] in needed}
        if not revived:
            break
        dead -= revived
    return [i for i in range(layout.carried) if i not in dead]


def _needed(block: Block, roots: list[Value]) -> set[Value]:
    """The values of `block` (and of outer blocks) that computing `roots` and running the ops
    with effects read."""
    needed = set(roots)
    for op in reversed(block.ops):
        if has_effects(op) or any(r in needed for r in op.results):
            needed.update(_reads_for(op, needed))
    return needed


def _reads_for(op: Op, needed: set[Value]) -> set[Value]:
    """The values `op` reads to compute its `needed` results; for a loop, only what its live
    carried values, stopping rule and traces need."""
    if op.opcode != "loop":
        return set(read_values(op))
    n = loop_layout(op).carried
    keep = _live_carried(op, needed)
    region = op.regions[0]
    roots = [*(region.results[i] for i in keep), *region.results[n:]]
    return {*op.operands[:2], *(op.operands[2 + i] for i in keep), *_needed(region, roots)}
