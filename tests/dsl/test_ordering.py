"""Bodies are sets of simultaneous equations: line order does not matter, each name is defined
once per body, and a cycle is reported by naming its equations with their lines."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from optc.dsl import ordering
from optc.dsl.lower import _defines, _reads
from optc.dsl.parser import parse

import optc
from optc.compiler import compile_source
from optc.errors import OptcError

BODY = [
    "g = A.T @ (A @ y - b)",
    "x' = y - g / L",
    "s' = (1 + sqrt(1 + 4 * s^2)) / 2",
    "y' = x' + ((s - 1) / s') * (x' - x)",
]


def fista(lines) -> str:
    body = "\n".join(f"    {line}" for line in lines)
    return (
        "solver f(A: real[m, n], b: real[m], L: real) -> real[n] {\n"
        "  state x = zeros(n)\n  state y = zeros(n)\n  state s = 1.0\n"
        f"  for k in 0..50 {{\n{body}\n  }}\n  return x\n}}\n"
    )


def test_line_order_does_not_change_the_result(write):
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((6, 4)), rng.standard_normal(6)
    L = np.linalg.norm(A, 2) ** 2
    results = []
    for perm in itertools.permutations(BODY):
        results.append(optc.solve(write(fista(perm)), backend="numpy", A=A, b=b, L=L).x)
    for x in results[1:]:
        np.testing.assert_array_equal(x, results[0])
    # and it is FISTA: the objective went down from x = 0
    x = results[0]
    assert 0.5 * np.linalg.norm(A @ x - b) ** 2 < 0.5 * np.linalg.norm(b) ** 2


def test_order_puts_definitions_before_uses_and_keeps_source_order_otherwise():
    stmts = (
        parse("fn f() -> real {\n  c = b + a\n  b = a * 2\n  d = 1\n  a = 3\n  return c\n}")
        .decls[0]
        .body[:-1]
    )
    ordered = ordering.order(stmts, _defines, _reads)
    assert [s.target.name for s in ordered] == ["d", "a", "b", "c"]


def test_top_level_statements_are_ordered_too(write):
    path = write(
        "solver s(x: real[n]) {\n  y = 2 * z\n  state w = y + 1\n  z = sum(x)\n  return w\n}\n"
    )
    assert optc.solve(path, backend="numpy", x=np.array([1.0, 2.0])).w == 7.0


def test_two_equation_cycle_names_both_with_lines(write):
    src = (
        "solver s(x: real) {\n  state a = x\n  state b = x\n  for k in 0..3 {\n"
        "    a' = b' + 1\n    c = 0\n    b' = a' * 2\n  }\n  return a\n}\n"
    )
    with pytest.raises(OptcError) as info:
        compile_source(write(src))
    err = info.value
    assert "cycle" in err.message
    assert err.span.line == 5
    assert err.notes == ("line 5: a' = b' + 1", "line 7: b' = a' * 2")
    assert ":5:5: error:" in str(err)


def test_cycle_through_locals_names_every_member(write):
    src = "fn f(x: real) -> real {\n  p = r + x\n  q = p * 2\n  r = q - 1\n  return p\n}\nsolver s(x: real) { return y = f(x) }\n"
    with pytest.raises(OptcError, match="cycle") as info:
        compile_source(write(src))
    assert info.value.notes == ("line 2: p = r + x", "line 3: q = p * 2", "line 4: r = q - 1")


def test_an_equation_reading_itself(write):
    with pytest.raises(OptcError, match="reads the value it defines") as info:
        compile_source(write("solver s(x: real) {\n  y = y + x\n  return y\n}\n"))
    assert info.value.notes == ("line 2: y = y + x",)


def test_reading_the_current_value_is_not_a_cycle(write):
    # x' = f(x) reads the current x, not x'
    path = write(
        "solver s(x0: real) {\n  state x = x0\n  for k in 0..3 { x' = x * 2 }\n  return x\n}\n"
    )
    assert optc.solve(path, backend="numpy", x0=1.0).x == 8.0


@pytest.mark.parametrize(
    "body, line",
    [
        ("x' = x + 1\n    x' = x * 2", 6),
        ("x'[0] = 1\n    x' = x * 2", 6),
        ("x' = x + 1\n    for j in 0..2 { x' = x * 2 }", 6),
        ("for j in 0..2 { x' = x * 2 }\n    x' = x + 1", 6),
        ("for j in 0..2 { x' = x * 2 }\n    for j in 0..2 { x'[j] = 0 }", 6),
        ("y = 1\n    y = 2", 6),
    ],
)
def test_a_name_is_defined_once_per_body(write, body, line):
    src = f"solver s(x0: real[n]) {{\n  state x = x0\n  for k in 0..3 {{\n\n    {body}\n  }}\n  return x\n}}\n"
    with pytest.raises(OptcError, match="is defined twice") as info:
        compile_source(write(src))
    assert info.value.span.line == line
    assert info.value.notes[0].startswith("first defined at ") and info.value.notes[0].endswith(
        ":5:5"
    )


def test_duplicate_trace_names_are_an_error(write):
    src = "solver s(x0: real) {\n  state x = x0\n  trace v = x\n  for k in 0..3 {\n    x' = x + 1\n    trace v = x\n  }\n  return x\n}\n"
    with pytest.raises(OptcError, match="trace `v` is defined twice"):
        compile_source(write(src))


def test_dependency_graph_view_has_an_edge_per_name_read():
    stmts = (
        parse("fn f() -> real {\n  c = b + a\n  b = a * 2\n  a = 3\n  return c\n}")
        .decls[0]
        .body[:-1]
    )
    graph = ordering.build_graph(stmts, _defines, _reads)
    edges = {(stmts[u].target.name, stmts[v].target.name) for u, v in graph.edges}
    assert edges == {("a", "c"), ("b", "c"), ("a", "b")}
    dot = ordering.to_dot(graph, "f")
    assert dot.startswith('digraph "f" {') and dot.count("->") == 3
