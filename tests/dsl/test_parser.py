"""Parser unit tests: every construct of contract v1 (DESIGN §3) becomes the expected AST, with
operator precedence and associativity, and every node's span covers exactly its source text."""

from __future__ import annotations

import pytest
from optc.dsl import ast
from optc.dsl.parser import parse

from optc.errors import OptcError


def sexpr(node) -> str:
    """A compact s-expression of an expression AST: `(add (neg (pow x 2)) 1)`."""
    if isinstance(node, ast.Num):
        return repr(node.value)
    if isinstance(node, ast.Bool):
        return "true" if node.value else "false"
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Primed):
        return f"{node.id}'"
    if isinstance(node, ast.Unary):
        return f"({node.op} {sexpr(node.operand)})"
    if isinstance(node, ast.Binary):
        return f"({node.op} {sexpr(node.left)} {sexpr(node.right)})"
    if isinstance(node, ast.Call):
        parts = [sexpr(a) for a in node.args] + [f"{k.name}={sexpr(k.value)}" for k in node.kwargs]
        return f"(call {sexpr(node.func)} {' '.join(parts)})".replace(" )", ")")
    if isinstance(node, ast.Index):
        return f"(index {sexpr(node.base)} {' '.join(sexpr(i) for i in node.items)})"
    if isinstance(node, ast.Slice):
        lo = "" if node.lo is None else sexpr(node.lo)
        hi = "" if node.hi is None else sexpr(node.hi)
        return f"{lo}:{hi}"
    if isinstance(node, ast.Attribute):
        return f"(T {sexpr(node.base)})"
    raise AssertionError(f"unexpected node {node!r}")


def expr(text: str):
    """The AST of one expression, parsed as the body of a one-line fn."""
    return parse(f"fn f() -> real = {text}").decls[0].body


def text_of(node) -> str:
    """The exact source text a node's span covers."""
    return node.span.file.text[node.span.start : node.span.end]


# ---------------------------------------------------------------- precedence and associativity


@pytest.mark.parametrize(
    "source, tree",
    [
        ("-x^2", "(neg (pow x 2))"),
        ("2^3^2", "(pow 2 (pow 3 2))"),
        ("2^-1", "(pow 2 (neg 1))"),
        ("-2^-x^2", "(neg (pow 2 (neg (pow x 2))))"),
        ("a - b - c", "(sub (sub a b) c)"),
        ("a / b * c", "(mul (div a b) c)"),
        ("a + b * c", "(add a (mul b c))"),
        ("(a + b) * c", "(mul (add a b) c)"),
        ("a * b ^ c", "(mul a (pow b c))"),
        ("-a * b", "(mul (neg a) b)"),
        ("- -a", "(neg (neg a))"),
        ("A @ x + b", "(add (matmul A x) b)"),
        ("A @ B @ x", "(matmul (matmul A B) x)"),
        ("a % b * c", "(mul (mod a b) c)"),
        ("a + b < c * d", "(lt (add a b) (mul c d))"),
        ("a <= b", "(le a b)"),
        ("a > b", "(gt a b)"),
        ("a >= b", "(ge a b)"),
        ("a == b", "(eq a b)"),
        ("a != b", "(ne a b)"),
        ("a < b and c > d or e == f", "(or (and (lt a b) (gt c d)) (eq e f))"),
        ("a or b and c", "(or a (and b c))"),
        ("not a < b and c", "(and (not (lt a b)) c)"),
        ("not not a", "(not (not a))"),
        ("a and b and c", "(and (and a b) c)"),
        ("x'^2 - x^2", "(sub (pow x' 2) (pow x 2))"),
        ("A.T @ x", "(matmul (T A) x)"),
        ("-A.T", "(neg (T A))"),
        ("x[j]^2", "(pow (index x j) 2)"),
        ("f(x)[0]", "(index (call f x) 0)"),
    ],
)
def test_precedence_and_associativity(source, tree):
    assert sexpr(expr(source)) == tree


def test_comparisons_do_not_chain():
    with pytest.raises(OptcError):
        parse("fn f() -> bool = a < b < c")


# ---------------------------------------------------------------- literals, calls, indexing


@pytest.mark.parametrize(
    "source, value",
    [("1", 1), ("0.9", 0.9), ("1e-8", 1e-8), ("2E3", 2000.0), (".5", 0.5), ("1.5e+2", 150.0)],
)
def test_number_literals(source, value):
    node = expr(source)
    assert isinstance(node, ast.Num)
    assert node.value == value and type(node.value) is type(value)


def test_inf_true_false():
    assert sexpr(expr("inf")) == "inf"
    assert sexpr(expr("-inf")) == "(neg inf)"
    assert isinstance(expr("true"), ast.Bool) and expr("true").value is True
    assert isinstance(expr("false"), ast.Bool) and expr("false").value is False


def test_calls_with_keywords():
    node = expr("sum(A * B, axis=0)")
    assert sexpr(node) == "(call sum (mul A B) axis=0)"
    assert [k.name for k in node.kwargs] == ["axis"]
    assert sexpr(expr("clip(x, -1, 1)")) == "(call clip x (neg 1) 1)"
    assert sexpr(expr("f()")) == "(call f)"
    assert sexpr(expr("f(a, b,)")) == "(call f a b)"


def test_positional_after_keyword_is_an_error():
    with pytest.raises(OptcError, match="positional argument cannot follow a keyword"):
        parse("fn f() -> real = g(a, k=1, b)")


def test_slices_and_indices():
    assert sexpr(expr("x[a:b]")) == "(index x a:b)"
    assert sexpr(expr("x[1:]")) == "(index x 1:)"
    assert sexpr(expr("x[:n-1]")) == "(index x :(sub n 1))"
    assert sexpr(expr("A[:, j]")) == "(index A : j)"
    assert sexpr(expr("A[i, :]")) == "(index A i :)"
    assert sexpr(expr("A[i, j]")) == "(index A i j)"
    node = expr("A[:, j]").items[0]
    assert isinstance(node, ast.Slice) and node.lo is None and node.hi is None


def test_transpose_is_the_only_attribute():
    assert sexpr(expr("A.T")) == "(T A)"
    with pytest.raises(OptcError, match=r"unknown attribute `\.shape`"):
        parse("fn f() -> real = A.shape")


# ---------------------------------------------------------------- declarations and statements


FULL = """\
use prox   # a comment after a declaration
use "helpers.opt"

# a whole-line comment
fn soft(x: real[n], t: real) -> real[n] = sign(x) * max(abs(x) - t, 0)
fn two(x: real[n]) -> real {
  y = 2 * x
  return sum(y)
}

optimizer adam(lr = 1e-3, beta1 = 0.9, steps: int = 3, flag = true, lo = -1, hi = -inf) {
  param p
  grad g
  state m = zeros_like(p)
  m' = beta1 * m + (1 - beta1) * g
  p' = p - lr * m'
}

optimizer plain {
  param p: real[n]
  grad g: real[n]
  p' = p - g
}

solver cd(A: real[m, n], b: real[m], tol = 1e-8, max_iter = 100) -> (real[n], real[m]) {
  state x: real[n] = zeros(n)
  state r = b
  trace obj = 0.5 * norm(r)^2
  for it in 0..max_iter until norm(x' - x) < tol {
    for j in 0..n {
      x'[j] = dot(A[:, j], r)
      r' = r - A[:, j] * (x'[j] - x[j])
    }
  }
  return x, res = r
}
"""


def test_every_declaration_kind():
    prog = parse(FULL, "full.opt")
    kinds = [type(d).__name__ for d in prog.decls]
    assert kinds == [
        "Use",
        "Use",
        "FnDecl",
        "FnDecl",
        "OptimizerDecl",
        "OptimizerDecl",
        "SolverDecl",
    ]
    assert [d.module for d in prog.decls[:2]] == ["prox", "helpers.opt"]
    assert prog.file.name == "full.opt"


def test_fn_with_expression_and_block_bodies():
    prog = parse(FULL)
    soft, two = prog.decls[2], prog.decls[3]
    assert soft.name == "soft"
    assert [(p.name, p.type.base, p.type.dims) for p in soft.params] == [
        ("x", "real", ("n",)),
        ("t", "real", None),
    ]
    assert (soft.ret.base, soft.ret.dims) == ("real", ("n",))
    assert sexpr(soft.body) == "(mul (call sign x) (call max (sub (call abs x) t) 0))"
    assert isinstance(two.body, tuple)
    eq, ret = two.body
    assert isinstance(eq, ast.Equation) and eq.target.name == "y" and not eq.target.primed
    assert isinstance(ret, ast.Return) and sexpr(ret.values[0]) == "(call sum y)"


def test_optimizer_parameters_and_body():
    prog = parse(FULL)
    adam, plain = prog.decls[4], prog.decls[5]
    defaults = {p.name: (p.type.base if p.type else None, sexpr(p.default)) for p in adam.params}
    assert defaults == {
        "lr": (None, "0.001"),
        "beta1": (None, "0.9"),
        "steps": ("int", "3"),
        "flag": (None, "true"),
        "lo": (None, "-1"),
        "hi": (None, "(neg inf)"),
    }
    kinds = [type(s).__name__ for s in adam.body]
    assert kinds == ["ParamDecl", "ParamDecl", "StateDecl", "Equation", "Equation"]
    assert [(s.kind, s.name, s.type) for s in adam.body[:2]] == [
        ("param", "p", None),
        ("grad", "g", None),
    ]
    assert adam.body[2].name == "m" and sexpr(adam.body[2].init) == "(call zeros_like p)"
    assert adam.body[3].target.primed and adam.body[3].target.index is None
    assert sexpr(adam.body[4].expr) == "(sub p (mul lr m'))"
    assert plain.params == ()
    assert plain.body[0].type.dims == ("n",) and plain.body[1].type.dims == ("n",)


def test_solver_with_several_results_loops_and_indexed_updates():
    solver = parse(FULL).decls[6]
    assert [(t.base, t.dims) for t in solver.returns] == [("real", ("n",)), ("real", ("m",))]
    state_x, state_r, trace, loop, ret = solver.body
    assert state_x.type.dims == ("n",) and sexpr(state_x.init) == "(call zeros n)"
    assert state_r.type is None and sexpr(state_r.init) == "b"
    assert isinstance(trace, ast.TraceDecl) and trace.name == "obj"
    assert sexpr(trace.expr) == "(mul 0.5 (pow (call norm r) 2))"
    assert isinstance(loop, ast.For) and loop.var == "it"
    assert (sexpr(loop.lo), sexpr(loop.hi)) == ("0", "max_iter")
    assert sexpr(loop.until) == "(lt (call norm (sub x' x)) tol)"
    (inner,) = loop.body
    assert isinstance(inner, ast.For) and inner.until is None and sexpr(inner.hi) == "n"
    upd, res = inner.body
    assert (
        upd.target.name == "x"
        and upd.target.primed
        and [sexpr(i) for i in upd.target.index] == ["j"]
    )
    assert res.target.index is None
    assert sexpr(ret.values[0]) == "x"
    assert isinstance(ret.values[1], ast.Keyword) and ret.values[1].name == "res"


def test_solver_with_one_result_and_none():
    one, none = parse(
        "solver a(x: real[n]) -> real[n] { return x }\nsolver b(x: real) { return y = 2 * x }"
    ).decls
    assert [(t.base, t.dims) for t in one.returns] == [("real", ("n",))]
    assert none.returns == ()
    assert parse("solver c(x: real) -> (real) { return x }").decls[0].returns[0].dims is None


def test_row_update_target():
    eq = (
        parse("solver s(A: real[m, n]) { for k in 0..1 { A'[i, :] = v }\n return A }")
        .decls[0]
        .body[0]
        .body[0]
    )
    assert eq.target.name == "A" and eq.target.primed
    items = eq.target.index
    assert (
        sexpr(items[0]) == "i"
        and isinstance(items[1], ast.Slice)
        and items[1].lo is items[1].hi is None
    )


def test_semicolons_separate_statements_and_declarations():
    prog = parse("fn a(x: real) -> real = x; fn b(x: real) -> real { y = x; z = y; return z };")
    assert [d.name for d in prog.decls] == ["a", "b"]
    assert len(prog.decls[1].body) == 3


def test_newlines_inside_brackets_do_not_end_statements():
    prog = parse(
        "solver s(A: real[m,\n n],\n b: real[m]) {\n"
        "  y = f(a,\n        b,\n        k=1)\n"
        "  z = A[1,\n 2] + (y\n  * 2)\n"
        "  return z\n}"
    )
    (solver,) = prog.decls
    assert [p.name for p in solver.params] == ["A", "b"]
    y, z, ret = solver.body
    assert sexpr(y.expr) == "(call f a b k=1)"
    assert sexpr(z.expr) == "(add (index A 1 2) (mul y 2))"
    assert isinstance(ret, ast.Return)


def test_newline_outside_brackets_ends_a_statement():
    with pytest.raises(OptcError):
        parse("fn f(a: real) -> real = a +\n 1")


def test_backslash_continues_a_line():
    assert sexpr(parse("fn f(a: real) -> real = a + \\\n 1").decls[0].body) == "(add a 1)"


def test_comments_are_ignored_everywhere():
    prog = parse(
        "# head\nfn f(a: real) -> real { # open\n  b = a # trailing\n  # alone\n  return b # end\n} # after\n"
    )
    assert len(prog.decls) == 1 and len(prog.decls[0].body) == 2


# ---------------------------------------------------------------- spans


def test_spans_cover_exactly_their_source_text():
    src = (
        "solver s(x: real[n], tol = 1e-8) -> real[n] {\n  state x0 = zeros(n)\n"
        "  for k in 0..10 until norm(x0' - x0) < tol {\n    x0'[k] = f(x, k=1)[0:2].T + (a + b) * c\n  }\n"
        "  return x0\n}\n"
    )
    solver = parse(src).decls[0]
    assert text_of(solver).startswith("solver s(") and text_of(solver).endswith("}")
    assert [text_of(p) for p in solver.params] == ["x: real[n]", "tol = 1e-8"]
    assert text_of(solver.params[0].type) == "real[n]"
    assert text_of(solver.returns[0]) == "real[n]"
    state, loop, ret = solver.body
    assert text_of(state) == "state x0 = zeros(n)"
    assert text_of(state.init) == "zeros(n)"
    assert text_of(loop).startswith("for k in 0..10 until") and text_of(loop).endswith("}")
    assert text_of(loop.until) == "norm(x0' - x0) < tol"
    assert text_of(loop.until.left.args[0].left) == "x0'"
    (eq,) = loop.body
    assert text_of(eq) == "x0'[k] = f(x, k=1)[0:2].T + (a + b) * c"
    assert text_of(eq.target) == "x0'[k]"
    add = eq.expr
    assert text_of(add.left) == "f(x, k=1)[0:2].T"
    assert text_of(add.left.base) == "f(x, k=1)[0:2]"
    assert text_of(add.left.base.items[0]) == "0:2"
    call = add.left.base.base
    assert text_of(call) == "f(x, k=1)" and text_of(call.kwargs[0]) == "k=1"
    assert text_of(add.right) == "(a + b) * c"
    assert text_of(add.right.left) == "a + b"
    assert text_of(ret) == "return x0"


def test_span_lines_and_columns():
    src = "fn f(a: real) -> real {\n  b = a\n  return   b * 2\n}\n"
    ret = parse(src, "file.opt").decls[0].body[1]
    assert (ret.span.line, ret.span.col) == (3, 3)
    value = ret.values[0]
    assert (value.span.line, value.span.col) == (3, 12)
    assert str(value.span) == "file.opt:3:12"


def test_syntax_error_points_at_the_offending_token():
    with pytest.raises(OptcError) as info:
        parse("fn f(a: real) -> real {\n  b = a +* 2\n  return b\n}\n", "bad.opt")
    err = info.value
    assert (err.span.line, err.span.col) == (2, 10)
    assert str(err).startswith("bad.opt:2:10: error:")
