"""Every stdlib solver and every example solver, on real data, in float32 and float64: llvm
returns the same outputs, `iterations`, `converged`, traces and progress calls as numpy."""

from __future__ import annotations

import pytest
from optc.dsl import ast
from optc.dsl.program import load_unit, stdlib_index

from tests.differential import harness
from tests.differential.problems import EXAMPLES, solver_problem
from tests.differential.tolerances import DTYPES, ITERATION_SLACK, SOLVER_RTOL, SOLVER_TOL

pytestmark = pytest.mark.llvm


def _solvers() -> list[tuple[str, str]]:
    """(source, name) of every solver in the stdlib and in examples/*.opt."""
    found = [(name, name) for name, path in stdlib_index().items()
             if isinstance(load_unit(path).decls[name], ast.SolverDecl)]
    for path in sorted(EXAMPLES.glob("*.opt")):
        found += [(str(path), name) for name, decl in load_unit(path).decls.items()
                  if isinstance(decl, ast.SolverDecl)]
    return found


SOLVERS = _solvers()


def test_every_solver_is_found():
    names = {name for _, name in SOLVERS}
    assert {"cg", "gd", "lasso_cd", "ista", "fista", "power_iteration", "sinkhorn"} <= names
    assert "elastic_net" in names  # examples/elastic_net.opt


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("source,name", SOLVERS, ids=[name for _, name in SOLVERS])
def test_solver_on_real_data(source, name, dtype):
    problem = solver_problem(name)
    inputs = {**problem.inputs, "tol": SOLVER_TOL[dtype], "max_iter": problem.max_iter}
    ref, got = harness.run_both(source, name, dtype, inputs, progress=True)
    assert ref.error is None, f"numpy fails on the problem of `{name}`:\n{ref.error}"
    assert ref.result.iterations > 1, "the problem should take several iterations"
    harness.assert_same_run(ref, got, SOLVER_RTOL[dtype], measure="normwise",
                            iteration_slack=ITERATION_SLACK[dtype])
