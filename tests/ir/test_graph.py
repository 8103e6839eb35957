"""The dependency-graph view and the use/definition queries."""

import networkx as nx

from optc.ir.graph import defined_values, dependency_graph, uses
from optc.ir.parser import parse_function

TEXT = """func @f(%x: f64[n], %hi: i64[]) -> (f64[n], f64[n]) {
  %a: f64[n] = exp %x
  %b: f64[n] = mul %a, %a
  %lo: i64[] = const {dtype="i64", value=0}
  %c: f64[n], %i: i64[], %ok: bool[] = loop %lo, %hi, %x (%k: i64[], %y: f64[n]) {
    %d: f64[n] = add %y, %b
    yield %d
  }
  %e: f64[n] = sin %x
  return %c, %b
}"""


def _ops():
    fn = parse_function(TEXT)
    return fn, {op.results[0].hint: op for op in fn.body.ops}


def test_edges_follow_reads_including_reads_inside_regions():
    fn, op = _ops()
    graph = dependency_graph(fn.body)
    assert set(graph.nodes) == set(fn.body.ops)
    assert set(graph.edges) == {(op["a"], op["b"]), (op["b"], op["c"]), (op["lo"], op["c"])}
    assert graph.edges[op["a"], op["b"]]["values"] == [op["a"].result]
    assert list(nx.topological_sort(graph))[-1] in (op["c"], op["e"])


def test_uses_count_nested_reads_yields_and_results():
    fn, op = _ops()
    found = uses(fn.body)
    inner_add = op["c"].regions[0].ops[0]
    assert found[op["a"].result] == [op["b"], op["b"]]
    assert found[op["b"].result] == [inner_add, None]
    assert found[inner_add.result] == [op["c"]]
    assert found[op["c"].results[0]] == [None]
    assert op["e"].result not in found and op["c"].results[1] not in found


def test_defined_values_include_nested_regions():
    fn, op = _ops()
    region = op["c"].regions[0]
    assert defined_values(region) == {*region.args, region.ops[0].result}
    assert defined_values(fn.body) == {
        *fn.params,
        *(r for o in fn.body.ops for r in o.results),
        *region.args,
        region.ops[0].result,
    }
