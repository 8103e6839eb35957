"""The dependency graph of a block, and the use/definition queries the passes need.

The op list is the source of truth; the networkx graph is a view built on demand for the
analyses that want a graph (toposort, cycles, liveness, fusion groups, `optc graph`). Nothing
edits the graph and writes it back.

In a block

    %a: f64[n] = exp %x
    %b: f64[n] = mul %a, %a
    %c: f64[n], %i: i64[], %ok: bool[] = loop %lo, %hi, %x {} (%k: i64[], %y: f64[n]) {
      %d: f64[n] = add %y, %b
      yield %d
    }

the graph has the edges exp -> mul (mul reads %a) and mul -> loop (the loop's region reads %b).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from optc.ir.core import Block, Op, Value

if TYPE_CHECKING:
    import networkx as nx


def dependency_graph(block: Block) -> "nx.DiGraph":
    """A graph whose nodes are the ops of `block` and with an edge a -> b when b, or an op inside
    b's regions, reads a result of a. Edges carry `values`: the results of a that b reads."""
    import networkx as nx  # imported on first use: the backends import this module for its queries

    graph = nx.DiGraph()
    producer: dict[Value, Op] = {}
    for op in block.ops:
        graph.add_node(op)
        for value in read_values(op):
            source = producer.get(value)
            if source is None:
                continue
            if graph.has_edge(source, op):
                if value not in graph.edges[source, op]["values"]:
                    graph.edges[source, op]["values"].append(value)
            else:
                graph.add_edge(source, op, values=[value])
        for result in op.results:
            producer[result] = op
    return graph


def read_values(op: Op) -> Iterator[Value]:
    """The values `op` reads: its operands, then every value read inside its regions (operands
    and yields, including values the regions define themselves)."""
    yield from op.operands
    for region in op.regions:
        for inner in region.ops:
            yield from read_values(inner)
        yield from region.results


def uses(block: Block) -> dict[Value, list[Op | None]]:
    """Every value read in `block` -> the ops that read it, at any depth. A value yielded by a
    region counts as used by the op owning the region; a value in `block.results` counts as a
    use by `None` (the block's own yield or return)."""
    found: dict[Value, list[Op | None]] = defaultdict(list)
    _collect_uses(block, None, found)
    return dict(found)


def _collect_uses(block: Block, owner: Op | None, found: dict[Value, list[Op | None]]) -> None:
    for op in block.ops:
        for value in op.operands:
            found[value].append(op)
        for region in op.regions:
            _collect_uses(region, op, found)
    for value in block.results:
        found[value].append(owner)


def defined_values(block: Block) -> set[Value]:
    """Every value defined in `block`: its arguments, its ops' results and, recursively, the
    arguments and results inside nested regions."""
    values = set(block.args)
    for op in block.walk():
        values.update(op.results)
        for region in op.regions:
            values.update(region.args)
    return values


def use_counts(block: Block) -> dict[Value, int]:
    """How many times each value is read in a block and its regions (results count as uses)."""
    counts: dict[Value, int] = {}

    def visit(blk: Block) -> None:
        for op in blk.ops:
            for v in op.operands:
                counts[v] = counts.get(v, 0) + 1
            for region in op.regions:
                visit(region)
        for v in blk.results:
            counts[v] = counts.get(v, 0) + 1

    visit(block)
    return counts


def free_values(region: Block) -> set[Value]:
    """Values a region reads that it does not define (those of enclosing blocks)."""
    defined = set(region.args)
    for op in region.walk():
        defined.update(op.results)
        for r in op.regions:
            defined.update(r.args)
    read = {v for op in region.walk() for v in op.operands if v not in defined}
    read.update(v for v in region.results if v not in defined)
    return read


def internal_uses(v: Value, group: list[Op]) -> int:
    """How many times the ops of `group` read `v` (a fusion group's own reads)."""
    return sum(1 for op in group for x in op.operands if x is v)


def shape_key(t) -> tuple:
    """A hashable key of a value type's shape, for grouping ops of one shape."""
    return ("any",) if t.shape is None else tuple(str(d) for d in t.shape)


def static_one(t, k: int) -> bool:
    """Whether axis k of a value's type is the literal 1 (a broadcast axis)."""
    return t.shape is not None and t.shape[k] == 1
