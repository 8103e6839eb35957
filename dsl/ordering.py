"""The dependency graph of a body's simultaneous equations (a networkx view).

A body is a set of equations whose line order does not matter. Each statement defines some
names (`('local', r)` for `r = …`, `('primed', x)` for `x' = …`, `x'[j] = …` or an inner loop
that updates x) and reads others. `order` sorts the statements so each comes after what it
reads (source order among independent ones) and reports a cycle by naming its equations and
their lines. `to_dot` draws the graph for `optc graph`.
"""

from __future__ import annotations

from typing import Callable, Hashable, Sequence

import networkx as nx

from optc.dsl import ast
from optc.errors import OptcError

Key = tuple[str, str]


def build_graph(stmts: Sequence, defines: Callable[[object], set[Key]], reads: Callable[[object], set[Key]]) -> nx.DiGraph:
    """A DiGraph over statement indices with an edge definer -> reader, labelled by the name."""
    graph = nx.DiGraph()
    owner: dict[Hashable, int] = {}
    for i, stmt in enumerate(stmts):
        graph.add_node(i, stmt=stmt)
        for key in defines(stmt):
            owner[key] = i
    for i, stmt in enumerate(stmts):
        for key in reads(stmt):
            j = owner.get(key)
            if j is not None:
                graph.add_edge(j, i, name=key)
    return graph


def order(stmts: Sequence, defines, reads) -> list:
    """The statements sorted so that each comes after the ones it reads; a cycle is an error."""
    graph = build_graph(stmts, defines, reads)
    if graph.number_of_edges() == 0:
        return list(stmts)
    try:
        ordered = list(nx.lexicographical_topological_sort(graph, key=lambda i: i))
    except nx.NetworkXUnfeasible:
        raise _cycle_error(graph, stmts) from None
    return [stmts[i] for i in ordered]


def _cycle_error(graph: nx.DiGraph, stmts: Sequence) -> OptcError:
    cycle = nx.find_cycle(graph)
    members = sorted({u for u, _ in cycle})
    first = stmts[members[0]]
    lines = [f"line {stmts[i].span.line}: {ast.source_text(stmts[i].span)}" for i in members]
    if len(members) == 1:
        message = "this equation reads the value it defines"
    else:
        message = "these equations depend on each other in a cycle"
    return OptcError(message, first.span, tuple(lines))


def to_dot(graph: nx.DiGraph, title: str) -> str:
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
