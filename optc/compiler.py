"""The compile pipeline as named stages: source → ast → ir → ir-opt.

`compile_source` runs the front end and the IR passes for one declaration and one working
dtype; the result is cached in-process, keyed by the file's path, its modification time, the
declaration and the dtype, and on disk (`compile_cache.py`), keyed by the request; both are
checked against the contents of every file the compilation was made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from optc.dsl import ast
from optc.dsl.program import Unit, resolve_source
from optc.ir.core import Module

STAGES = ("ast", "ir", "ir-opt")


@dataclass(frozen=True)
class Compiled:
    """One declaration compiled for one dtype: its unit, declaration, and IR before/after passes."""

    unit: Unit
    decl: ast.OptimizerDecl | ast.SolverDecl
    ir: Module
    module: Module  # optimized

    @property
    def kind(self) -> str:
        return self.module.attrs["kind"]

    @property
    def name(self) -> str:
        return self.decl.name

    def function(self, role: str = "entry"):
        """The optimized function playing `role`: 'entry' (a solver), 'init' or 'step' (an optimizer)."""
        return self.module.functions[self.module.attrs[role]]


def compile_source(source, name: str | None = None, kind: str | None = None, dtype: str = "f64") -> Compiled:
    """Parse, check, lower and optimize a declaration (a stdlib name or a path)."""
    from optc.dsl.program import inputs_unchanged

    path = Path(str(source))
    stamp = path.stat().st_mtime_ns if path.is_file() else 0
    key_source = str(path.resolve()) if path.is_file() else str(source)
    compiled = _compile_cached(key_source, stamp, name, kind, dtype)
    if not inputs_unchanged(compiled.unit.inputs):  # a file it uses was edited since
        _compile_cached.cache_clear()
        compiled = _compile_cached(key_source, stamp, name, kind, dtype)
    return compiled


@lru_cache(maxsize=128)
def _compile_cached(source: str, stamp: int, name: str | None, kind: str | None, dtype: str) -> Compiled:
    from optc import compile_cache
    from optc.dsl.program import stdlib_index

    key = compile_cache.request_key(source, name, kind, dtype, stdlib_index())
    compiled = compile_cache.lookup(key)
    if compiled is None:
        from optc.dsl.lower import lower  # the front end (lark, networkx) loads only on a miss
        from optc.ir.pipeline import optimize

        unit, decl = resolve_source(source, name, kind)
        module = lower(unit, decl, dtype)
        compiled = Compiled(unit, decl, module, optimize(module))
        compile_cache.store(key, compiled)
    return compiled
