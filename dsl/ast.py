"""The AST of the optc language: frozen dataclasses whose first field is the span.

Nodes compare by identity (`eq=False`), so they can key side tables. `dump(node)` prints the
tree for `optc compile --emit ast`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Union

from optc.errors import SourceFile, Span

node = dataclass(frozen=True, eq=False)


# ---------------------------------------------------------------- expressions


@node
class Num:
    span: Span
    value: Union[int, float]


@node
class Bool:
    span: Span
    value: bool


@node
class Name:
    span: Span
    id: str


@node
class Primed:
    """`x'`: the value of state x after this step or iteration."""

    span: Span
    id: str


@node
class Unary:
    span: Span
    op: str  # "neg" | "not"
    operand: "Expr"


@node
class Binary:
    span: Span
    op: str  # add sub mul div matmul mod pow lt le gt ge eq ne and or
    left: "Expr"
    right: "Expr"


@node
class Keyword:
    span: Span
    name: str
    value: "Expr"


@node
class Call:
    span: Span
    func: "Expr"
    args: tuple["Expr", ...]
    kwargs: tuple[Keyword, ...]


@node
class Slice:
    """`lo:hi` inside brackets; either bound may be None (`:` alone takes the whole axis)."""

    span: Span
    lo: "Expr | None"
    hi: "Expr | None"


@node
class Index:
    span: Span
    base: "Expr"
    items: tuple["Expr | Slice", ...]


@node
class Attribute:
    """`A.T` (the only attribute of v1)."""

    span: Span
    base: "Expr"
    name: str


Expr = Union[Num, Bool, Name, Primed, Unary, Binary, Call, Index, Attribute]

# ---------------------------------------------------------------- types and parameters


@node
class TypeExpr:
    """`real`, `int`, `real[n]`, `real[m, n]`, `real[...]` (dims: names, ints or '...')."""

    span: Span
    base: str
    dims: tuple[Union[str, int], ...] | None  # None: no brackets (a scalar)


@node
class Param:
    """A declaration parameter: `A: real[m, n]`, `tol = 1e-8` or `k: int = 3`."""

    span: Span
    name: str
    type: TypeExpr | None
    default: Expr | None


# ---------------------------------------------------------------- statements


@node
class ParamDecl:
    """`param p` / `grad g` inside an optimizer (kind is 'param' or 'grad')."""

    span: Span
    kind: str
    name: str
    type: TypeExpr | None


@node
class StateDecl:
    span: Span
    name: str
    type: TypeExpr | None
    init: Expr


@node
class TraceDecl:
    span: Span
    name: str
    expr: Expr


@node
class Target:
    """The left side of an equation: `x`, `x'`, or `x'[j]` / `A'[i, :]`."""

    span: Span
    name: str
    primed: bool
    index: tuple["Expr | Slice", ...] | None


@node
class Equation:
    """`target = expr`, or a destructuring equation `fx, g = value_and_grad(f)(x, …)` whose
    targets after the first are in `rest` (the only right-hand side with two values)."""

    span: Span
    target: Target
    expr: Expr
    rest: tuple[Target, ...] = ()

    @property
    def targets(self) -> tuple[Target, ...]:
        """Every name the equation defines, left to right."""
        return (self.target, *self.rest)


@node
class For:
    span: Span
    var: str
    lo: Expr
    hi: Expr
    until: Expr | None
    body: tuple["Stmt", ...]


@node
class Return:
    span: Span
    values: tuple[Expr, ...]


@node
class Require:
    """`require cond, "message"`: a precondition checked at run time each time its body runs;
    `message` is the text between the quotes."""

    span: Span
    cond: Expr
    message: str


Stmt = Union[ParamDecl, StateDecl, TraceDecl, Equation, For, Return, Require]

# ---------------------------------------------------------------- declarations


@node
class Use:
    span: Span
    module: str


@node
class FnDecl:
    span: Span
    name: str
    params: tuple[Param, ...]
    ret: TypeExpr
    body: Union[Expr, tuple[Stmt, ...]]


@node
class OptimizerDecl:
    span: Span
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]


@node
class SolverDecl:
    span: Span
    name: str
    params: tuple[Param, ...]
    returns: tuple[TypeExpr, ...]
    body: tuple[Stmt, ...]


Decl = Union[Use, FnDecl, OptimizerDecl, SolverDecl]


@node
class Program:
    span: Span
    file: SourceFile
    decls: tuple[Decl, ...]


def dump(n, indent: int = 0) -> str:
    """An indented, readable rendering of an AST (for `--emit ast`)."""
    pad = "  " * indent
    if isinstance(n, tuple):
        if not n:
            return f"{pad}[]"
        return "\n".join(dump(x, indent) for x in n)
    if not hasattr(n, "__dataclass_fields__"):
        return f"{pad}{n!r}"
    head = f"{pad}{type(n).__name__}"
    if hasattr(n, "span") and isinstance(n.span, Span):
        head += f" @{n.span.line}:{n.span.col}"
    simple, nested = [], []
    for f in fields(n):
        if f.name in ("span", "file"):
            continue
        v = getattr(n, f.name)
        if hasattr(v, "__dataclass_fields__") or (isinstance(v, tuple) and v and hasattr(v[0], "__dataclass_fields__")):
            nested.append((f.name, v))
        else:
            simple.append(f"{f.name}={v!r}")
    lines = [head + (" " + " ".join(simple) if simple else "")]
    for name, v in nested:
        lines.append(f"{pad}  {name}:")
        lines.append(dump(v, indent + 2))
    return "\n".join(lines)


def source_text(span: Span) -> str:
    """The source text a span covers, on one line."""
    return " ".join(span.file.text[span.start : span.end].split())
