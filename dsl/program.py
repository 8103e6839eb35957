"""Loading programs: files, the stdlib, `use` declarations and the declarations they make visible.

A `Unit` is one parsed file with every `fn` it can call (its own and those of the modules it
`use`s, transitively) and its optimizers and solvers. `use NAME` finds `NAME.opt` next to the
file first, then in the stdlib. `resolve_source` turns what a user passes to `optc.optimizer`
or the CLI (a stdlib name or a path) into a unit and a declaration.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from optc.dsl import ast
from optc.errors import OptcError, did_you_mean

STDLIB_DIR = Path(__file__).resolve().parent.parent / "stdlib"
if not STDLIB_DIR.is_dir():  # installed layout: optc/stdlib next to optc/dsl
    import optc.stdlib

    STDLIB_DIR = Path(optc.stdlib.__file__).resolve().parent


@dataclass
class Unit:
    """A parsed file with the declarations it can see."""

    program: ast.Program
    path: Path | None
    fns: dict[str, ast.FnDecl] = field(default_factory=dict)
    decls: dict[str, ast.OptimizerDecl | ast.SolverDecl] = field(default_factory=dict)
    # Each fn -> the fns visible in the file that declares it: a call inside a fn resolves
    # there (lexical scoping), so a caller's fn of the same name cannot replace a helper.
    fn_scopes: dict[ast.FnDecl, dict[str, ast.FnDecl]] = field(default_factory=dict)
    # On the unit `load_unit` returns, what a cached compilation of it depends on (`Inputs`).
    inputs: Inputs = field(default_factory=dict)


# Every path read or looked for while loading a unit and its uses -> None when it did not exist,
# else (the file it resolved to, the digest of the text parsed, or None for a `use` candidate,
# whose text is recorded under the file it resolved to).
Inputs = dict[Path, "tuple[str, str | None] | None"]


def source_digest(text: str) -> str:
    """The digest of a source text, as `Unit.inputs` records it."""
    return hashlib.sha256(text.encode()).hexdigest()


def inputs_unchanged(inputs: Inputs) -> bool:
    """Whether every path of `inputs` still resolves to the same file with the same text, and
    every path that was absent still is."""
    for path, seen in inputs.items():
        if seen is None:
            if path.is_file():
                return False
            continue
        target, digest = seen
        try:
            if str(path.resolve()) != target or (digest is not None and source_digest(path.read_text()) != digest):
                return False
        except (OSError, UnicodeDecodeError):
            return False
    return True


def load_unit(path: str | Path) -> Unit:
    """Parse a file and resolve its `use` declarations."""
    path = Path(path)
    inputs: Inputs = {}
    unit = _load(path.resolve(), {}, inputs, shown=path)
    unit.inputs = inputs
    return unit


def _load(path: Path, loading: dict[Path, Unit], inputs: Inputs, shown: Path | None = None) -> Unit:
    """The unit of `path`; `loading` holds the units loaded so far in this `load_unit` (a cycle
    of uses gets the unit being loaded, with its own fns already in place) and `inputs` what was
    read and looked for. Diagnostics name the file as `shown` (the path the user gave) when given."""
    from optc.dsl.parser import parse_file  # lark is imported only when something is parsed

    program = parse_file(shown or path)
    inputs[path] = (str(path), source_digest(program.file.text))
    unit = Unit(program, path)
    loading[path] = unit
    seen: dict[str, ast.Decl] = {}
    for decl in program.decls:
        if isinstance(decl, ast.Use):
            continue
        prev = seen.get(decl.name)
        if prev is not None:
            raise OptcError(f"`{decl.name}` is declared twice", decl.span, (f"first declared at {prev.span}",))
        seen[decl.name] = decl
        if isinstance(decl, ast.FnDecl):
            unit.fns[decl.name] = decl
            unit.fn_scopes[decl] = unit.fns
        else:
            unit.decls[decl.name] = decl
    for decl in program.decls:
        if isinstance(decl, ast.Use):
            _merge_use(unit, decl, path, loading, inputs)
    return unit


def _merge_use(unit: Unit, use: ast.Use, path: Path, loading: dict[Path, Unit], inputs: Inputs) -> None:
    name = use.module if use.module.endswith(".opt") else use.module + ".opt"
    candidates = [path.parent / name, STDLIB_DIR / name]
    found = None
    for c in candidates:
        if c.is_file():
            found = c.resolve()
            inputs.setdefault(c, (str(found), None))
            break
        inputs[c] = None
    if found is None:
        available = [p.stem for p in STDLIB_DIR.glob("*.opt")] + [p.stem for p in path.parent.glob("*.opt")]
        raise OptcError(
            f"cannot find module `{use.module}`{did_you_mean(use.module.removesuffix('.opt'), available)}",
            use.span,
            (f"looked for {candidates[0]} and the stdlib's {name}",),
        )
    if found == path:
        return  # a file using itself
    used = loading.get(found) or _load(found, loading, inputs)
    unit.fn_scopes.update(used.fn_scopes)
    for fname, fn in used.fns.items():
        mine = unit.fns.get(fname)
        if mine is not None and mine is not fn and mine.span.file is unit.program.file:
            continue  # a local definition shadows the imported one
        unit.fns.setdefault(fname, fn)


@lru_cache(maxsize=1)
def stdlib_index() -> dict[str, Path]:
    """Declaration name -> stdlib file, for every optimizer and solver in the stdlib.

    Found by scanning the text for `optimizer NAME` / `solver NAME` at the start of a line
    (parsing every file would cost tens of milliseconds at each start)."""
    index: dict[str, Path] = {}
    for path in sorted(STDLIB_DIR.glob("*.opt")):
        for match in _DECLARATION.finditer(path.read_text()):
            index[match.group(2)] = path
    return index


_DECLARATION = re.compile(r"^[ \t]*(optimizer|solver)[ \t]+([A-Za-z_][A-Za-z_0-9]*)", re.MULTILINE)


def resolve_source(source: str | Path, name: str | None = None, kind: str | None = None):
    """(unit, declaration) for a stdlib name or a path, picking `name` in a multi-declaration file.

    `kind` ('optimizer' or 'solver') restricts which declarations qualify.
    """
    want = {"optimizer": ast.OptimizerDecl, "solver": ast.SolverDecl}.get(kind or "", (ast.OptimizerDecl, ast.SolverDecl))
    text = str(source)
    path = Path(text)
    if text.endswith(".opt") or path.is_file():
        if not path.is_file():
            raise OptcError(f"no such file: {text}")
        unit = load_unit(path)
    else:
        index = stdlib_index()
        if text not in index:
            raise OptcError(f"`{text}` is neither a .opt file nor a stdlib algorithm{did_you_mean(text, index)}",
                            notes=("`optc list` shows the stdlib",))
        unit = load_unit(index[text])
        name = name or text
    candidates = {n: d for n, d in unit.decls.items() if isinstance(d, want)}
    what = kind or "optimizer or solver"
    if name is not None:
        decl = candidates.get(name)
        if decl is None:
            raise OptcError(f"{unit.path} has no {what} named `{name}`{did_you_mean(name, candidates)}",
                            notes=(f"it declares: {', '.join(sorted(candidates)) or 'none'}",))
        return unit, decl
    if len(candidates) == 1:
        return unit, next(iter(candidates.values()))
    if not candidates:
        raise OptcError(f"{unit.path} declares no {what}")
    raise OptcError(f"{unit.path} declares several: {', '.join(sorted(candidates))}; pick one by name")
