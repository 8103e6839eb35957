"""`optc list`: the stdlib, grouped by kind, with files, inputs and one line of description."""

from __future__ import annotations

from optc.dsl import ast
from optc.dsl.parser import parse_file
from optc.dsl.program import stdlib_index


def test_list(optc):
    res = optc("list")
    assert res.code == 0
    optimizers, solvers = res.out.split("\n\n")
    assert optimizers.startswith("optimizers:\n") and solvers.startswith("solvers:\n")
    for name, path in stdlib_index().items():
        program = parse_file(path)
        decl = next(
            d
            for d in program.decls
            if isinstance(d, (ast.OptimizerDecl, ast.SolverDecl)) and d.name == name
        )
        optimizer = isinstance(decl, ast.OptimizerDecl)
        group, label = (optimizers, "hyperparameters") if optimizer else (solvers, "inputs")
        first, second = group[group.index(f"\n  {name} ") + 1 :].splitlines()[:2]
        assert first.split()[:2] == [name, path.name]
        assert first.endswith(
            program.file.text.splitlines()[0].lstrip("# ")
        )  # the header's first line
        params = ", ".join(ast.source_text(p.span) for p in decl.params)
        assert second.strip() == f"{label}: {params}"
