"""The dependency graph of a body's simultaneous equations.

A body is a set of equations whose line order does not matter. Each statement defines some
names (`('local', r)` for `r = …`, `('primed', x)` for `x' = …`, `x'[j] = …` or an inner loop
that updates x) and reads others. `order` sorts the statements so each comes after what it
reads (source order among independent ones) and reports a cycle by naming its equations and
their lines. `to_dot` draws the graph for `optc graph`.

The sort itself is a small Kahn's algorithm over edge lists; the networkx view (`build_graph`)
is built on demand, for a cycle report and for drawing, because importing networkx alone costs
about 190 ms, more than a whole cold compile is allowed.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Callable, Hashable, Sequence

from optc.dsl import ast
from optc.errors import OptcError

if TYPE_CHECKING:
    import networkx as nx

Key = tuple[str, str]


def _edges(stmts: Sequence, defines: Callable[[object], set[Key]], reads: Callable[[object], set[Key]]):
    """(definer, reader, name) for every name a statement reads from another one (or itself)."""
    owner: dict[Hashable, int] = {}
    for i, stmt in enumerate(stmts):
        for key in defines(stmt):
            owner[key] = i
    for i, stmt in enumerate(stmts):
        for key in reads(stmt):
            j = owner.get(key)
            if j is not None:
                yield j, i, key


def build_graph(stmts: Sequence, defines, reads) -> "nx.DiGraph":
    """A networkx DiGraph over statement indices with an edge definer -> reader, labelled by the name."""
    import networkx as nx

    graph = nx.DiGraph()
    for i, stmt in enumerate(stmts):
        graph.add_node(i, stmt=stmt)
    for j, i, key in _edges(stmts, defines, reads):
        graph.add_edge(j, i, name=key)
    return graph


def order(stmts: Sequence, defines, reads) -> list:
    """The statements sorted so that each comes after the ones it reads, the earliest ready one
    first (so independent statements keep their source order); a cycle is an error."""
    succ: list[set[int]] = [set() for _ in stmts]
    for j, i, _ in _edges(stmts, defines, reads):
        succ[j].add(i)
    indegree = [0] * len(stmts)
    for targets in succ:
        for i in targets:
            indegree[i] += 1
    ready = [i for i, d in enumerate(indegree) if d == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        j = heapq.heappop(ready)
        ordered.append(j)
        for i in succ[j]:
            indegree[i] -= 1
            if indegree[i] == 0:
                heapq.heappush(ready, i)
    if len(ordered) < len(stmts):
        raise _cycle_error(build_graph(stmts, defines, reads), stmts)
    return [stmts[i] for i in ordered]


def _cycle_error(graph: "nx.DiGraph", stmts: Sequence) -> OptcError:
    import networkx as nx

    cycle = nx.find_cycle(graph)
    members = sorted({u for u, _ in cycle})
    first = stmts[members[0]]
    lines = [f"line {stmts[i].span.line}: {ast.source_text(stmts[i].span)}" for i in members]
    if len(members) == 1:
        message = "this equation reads the value it defines"
    else:
        message = "these equations depend on each other in a cycle"
    return OptcError(message, first.span, tuple(lines))


def to_dot(graph: "nx.DiGraph", title: str) -> str:
    """Graphviz text for a body's dependency graph (nodes are equations, edges the names read)."""

    def quote(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {quote(title)} {{", "  rankdir=TB;", "  node [shape=box, fontname=monospace];"]
    for i, data in graph.nodes(data=True):
        stmt = data["stmt"]
        label = ast.source_text(stmt.span)
        if isinstance(stmt, ast.For):
            label = f"for {stmt.var} in …"
        lines.append(f"  n{i} [label={quote(f'{stmt.span.line}: {label}')}];")
    for u, v, data in graph.edges(data=True):
        kind, name = data["name"]
        lines.append(f"  n{u} -> n{v} [label={quote(name + chr(39) if kind == 'primed' else name)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
