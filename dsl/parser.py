"""Parser: `.opt` text to AST. The only module of optc that imports lark.

The grammar lives in `grammar.lark` and is loaded once (LALR, positions propagated). A small
post-lexer drops newlines inside ( ) and [ ]. One transformer builds the frozen AST of
`ast.py`; every node gets the span of the text it came from. Lark's errors become `OptcError`s,
with named messages for the common mistakes (unclosed bracket, missing `}`, `==` for `=`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from optc.dsl import ast
from optc.errors import OptcError, SourceFile, Span

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}


class _DropNewlinesInBrackets:
    """Post-lexer: a newline inside ( ) or [ ] does not end a statement."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        for tok in stream:
            if tok.type in ("LPAR", "LSQB"):
                depth += 1
            elif tok.type in ("RPAR", "RSQB"):
                depth = max(0, depth - 1)
            elif tok.type == "_NL" and depth > 0:
                continue
            yield tok


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        postlex=_DropNewlinesInBrackets(),
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse(text: str, filename: str = "<input>") -> ast.Program:
    """Parse source text into an `ast.Program`, or raise `OptcError` at the offending span."""
    file = SourceFile(filename, text)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(file, err) from None
    try:
        decls = _ToAst(file).transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, OptcError):
            raise err.orig_exc from None
        raise
    return ast.Program(Span(file, 0, len(text)), file, tuple(decls))


def parse_file(path: str | Path) -> ast.Program:
    """Parse a `.opt` file; an unreadable file is an `OptcError`."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise OptcError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    return parse(text, str(path))


# ---------------------------------------------------------------- tree -> AST


def _span(file: SourceFile, meta_or_tok) -> Span:
    if isinstance(meta_or_tok, Token):
        return Span(file, meta_or_tok.start_pos, meta_or_tok.end_pos)
    if getattr(meta_or_tok, "empty", False):
        return Span(file, 0, 0)
    return Span(file, meta_or_tok.start_pos, meta_or_tok.end_pos)


@v_args(meta=True)
class _ToAst(Transformer):
    def __init__(self, file: SourceFile):
        super().__init__()
        self.file = file

    def sp(self, meta) -> Span:
        return _span(self.file, meta)

    # declarations
    def start(self, meta, decls):
        return [d for d in decls if d is not None]

    def use_decl(self, meta, items):
        (tok,) = items
        name = str(tok)
        return ast.Use(self.sp(meta), name[1:-1] if name.startswith('"') else name)

    def fn_decl(self, meta, items):
        name, params, ret, body = items
        return ast.FnDecl(self.sp(meta), str(name), tuple(params or ()), ret, body)

    def fn_expr_body(self, meta, items):
        return items[0]

    def fn_block_body(self, meta, items):
        return items[0]

    def optimizer_decl(self, meta, items):
        name, params, body = items
        return ast.OptimizerDecl(self.sp(meta), str(name), tuple(params or ()), body)

    def solver_decl(self, meta, items):
        name, params, returns, body = items
        return ast.SolverDecl(self.sp(meta), str(name), tuple(params or ()), tuple(returns or ()), body)

    def params(self, meta, items):
        return [p for p in items if p is not None]

    def typed_param(self, meta, items):
        name, type_ = items
        return ast.Param(self.sp(meta), str(name), type_, None)

    def default_param(self, meta, items):
        name, default = items
        return ast.Param(self.sp(meta), str(name), None, default)

    def typed_default_param(self, meta, items):
        name, type_, default = items
        return ast.Param(self.sp(meta), str(name), type_, default)

    def neg_int_lit(self, meta, items):
        return ast.Num(self.sp(meta), -int(items[0]))

    def neg_float_lit(self, meta, items):
        return ast.Num(self.sp(meta), -float(items[0]))

    def neg_name(self, meta, items):
        inner = ast.Name(_span(self.file, items[0]), str(items[0]))
        return ast.Unary(self.sp(meta), "neg", inner)

    def type(self, meta, items):
        base, dims = items
        return ast.TypeExpr(self.sp(meta), str(base), None if dims is None else tuple(dims))

    def dims(self, meta, items):
        return [d for d in items if d is not None]

    def dim(self, meta, items):
        (tok,) = items
        if tok.type == "INT":
            return int(tok)
        return "..." if tok.type == "ELLIPSIS" else str(tok)

    def return_types(self, meta, items):
        return [t for t in items if t is not None]

    # statements
    def block(self, meta, items):
        return tuple(s for s in items if s is not None)

    def param_stmt(self, meta, items):
        return ast.ParamDecl(self.sp(meta), "param", str(items[0]), items[1])

    def grad_stmt(self, meta, items):
        return ast.ParamDecl(self.sp(meta), "grad", str(items[0]), items[1])

    def state_stmt(self, meta, items):
        name, type_, init = items
        return ast.StateDecl(self.sp(meta), str(name), type_, init)

    def trace_stmt(self, meta, items):
        return ast.TraceDecl(self.sp(meta), str(items[0]), items[1])

    def return_stmt(self, meta, items):
        return ast.Return(self.sp(meta), tuple(items))

    def for_stmt(self, meta, items):
        var, lo, _dots, hi, until, body = items
        return ast.For(self.sp(meta), str(var), lo, hi, until, body)

    def equation(self, meta, items):
        target, expr = items
        return ast.Equation(self.sp(meta), target, expr)

    def local_target(self, meta, items):
        return ast.Target(self.sp(meta), str(items[0]), False, None)

    def primed_target(self, meta, items):
        return ast.Target(self.sp(meta), str(items[0]), True, None)

    def indexed_target(self, meta, items):
        return ast.Target(self.sp(meta), str(items[0]), True, tuple(items[2]))

    # expressions
    def _binary(op):  # noqa: N805 - a factory used in the class body
        def method(self, meta, items):
            return ast.Binary(self.sp(meta), op, items[0], items[1])

        return method

    or_op = _binary("or")
    and_op = _binary("and")
    lt, le, gt, ge = _binary("lt"), _binary("le"), _binary("gt"), _binary("ge")
    eq, ne = _binary("eq"), _binary("ne")
    add, sub, mul, div = _binary("add"), _binary("sub"), _binary("mul"), _binary("div")
    matmul, mod = _binary("matmul"), _binary("mod")
    pow_op = _binary("pow")

    def not_op(self, meta, items):
        return ast.Unary(self.sp(meta), "not", items[0])

    def neg(self, meta, items):
        return ast.Unary(self.sp(meta), "neg", items[0])

    def call(self, meta, items):
        func, args = items
        args = args or []
        pos = tuple(a for a in args if not isinstance(a, ast.Keyword))
        kws = tuple(a for a in args if isinstance(a, ast.Keyword))
        first_kw = next((i for i, a in enumerate(args) if isinstance(a, ast.Keyword)), len(args))
        if any(not isinstance(a, ast.Keyword) for a in args[first_kw:]):
            bad = next(a for a in args[first_kw:] if not isinstance(a, ast.Keyword))
            raise OptcError("a positional argument cannot follow a keyword argument", bad.span)
        return ast.Call(self.sp(meta), func, pos, kws)

    def args(self, meta, items):
        return [a for a in items if a is not None]

    def kwarg(self, meta, items):
        return ast.Keyword(self.sp(meta), str(items[0]), items[1])

    def index(self, meta, items):
        return ast.Index(self.sp(meta), items[0], tuple(items[1]))

    def index_items(self, meta, items):
        return list(items)

    def slice(self, meta, items):
        lo, hi = items
        return ast.Slice(self.sp(meta), lo, hi)

    def attribute(self, meta, items):
        base, name = items
        if str(name) != "T":
            raise OptcError(f"unknown attribute `.{name}` (the only attribute is `.T`, the transpose)", _span(self.file, name))
        return ast.Attribute(self.sp(meta), base, "T")

    def int_lit(self, meta, items):
        return ast.Num(self.sp(meta), int(items[0]))

    def float_lit(self, meta, items):
        return ast.Num(self.sp(meta), float(items[0]))

    def true_lit(self, meta, items):
        return ast.Bool(self.sp(meta), True)

    def false_lit(self, meta, items):
        return ast.Bool(self.sp(meta), False)

    def name(self, meta, items):
        return ast.Name(self.sp(meta), str(items[0]))

    def primed(self, meta, items):
        return ast.Primed(self.sp(meta), str(items[0]))

    def grad_name(self, meta, items):
        return ast.Name(self.sp(meta), "grad")


# ---------------------------------------------------------------- syntax errors

_TOKEN_NAMES = {
    "NAME": "a name",
    "INT": "a number",
    "FLOAT": "a number",
    "_NL": "end of line",
    "$END": "end of file",
    "TYPE_NAME": "a type (real, int, bool, f32, f64)",
    "PRIME": "`'`",
    "DOTDOT": "`..`",
    "STRING": "a string",
}


def _describe_expected(expected) -> str:
    names = set()
    for term in expected:
        if term in _TOKEN_NAMES:
            names.add(_TOKEN_NAMES[term])
        else:
            try:
                pattern = _lark().get_terminal(term).pattern
            except KeyError:
                continue
            if pattern.type == "str":
                names.add(f"`{pattern.value}`")
    shown = sorted(names)
    if not shown:
        return ""
    if len(shown) > 6:
        shown = shown[:6] + ["..."]
    return "; expected " + ", ".join(shown)


def _open_brackets(text: str, upto: int) -> list[tuple[str, int]]:
    """The brackets still open at offset `upto` (skipping comments and strings)."""
    stack: list[tuple[str, int]] = []
    i = 0
    while i < upto:
        ch = text[i]
        if ch == "#":
            nl = text.find("\n", i)
            i = upto if nl < 0 else nl
            continue
        if ch == '"':
            end = text.find('"', i + 1)
            i = upto if end < 0 else end + 1
            continue
        if ch in _OPENERS:
            stack.append((ch, i))
        elif ch in _CLOSERS and stack and stack[-1][0] == _CLOSERS[ch]:
            stack.pop()
        i += 1
    return stack


def _syntax_error(file: SourceFile, err: UnexpectedInput) -> OptcError:
    text = file.text
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        ch = text[pos]
        if ch in "'":
            return OptcError("a prime `'` must follow a state's name, as in `x'`", Span(file, pos, pos + 1))
        return OptcError(f"unexpected character `{ch}`", Span(file, pos, pos + 1))
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        stack = _open_brackets(text, len(text))
        if stack:
            br, at = stack[-1]
            if br == "{":
                return OptcError("missing `}` to close this block", Span(file, at, at + 1),
                                 ("the file ends before the block is closed",))
            return OptcError(f"unclosed `{br}`", Span(file, at, at + 1), (f"expected `{_OPENERS[br]}` before the end of the file",))
        end = max(0, len(text.rstrip()) - 1)
        expected = _describe_expected(getattr(err, "expected", ()))
        return OptcError(f"unexpected end of file{expected}", Span(file, end, end + 1))
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    pos = tok.start_pos if tok.start_pos is not None else len(text)
    span = Span(file, pos, max(pos + 1, tok.end_pos or pos + 1))
    stack = _open_brackets(text, pos)
    value = str(tok)
    if value in _CLOSERS:
        if not stack:
            return OptcError(f"unmatched `{value}`", span)
        br, at = stack[-1]
        if _OPENERS[br] != value:
            return OptcError(f"`{value}` does not close `{br}`", span,
                             (f"`{br}` opened at {Span(file, at, at + 1)} expects `{_OPENERS[br]}`",))
    if stack and stack[-1][0] in "([":
        br, at = stack[-1]
        return OptcError(f"unclosed `{br}`", Span(file, at, at + 1),
                         (f"expected `{_OPENERS[br]}` before `{value.strip() or tok.type}` at {span}",))
    if value == "==" or (value == "=" and pos > 0 and text[pos - 1] == "="):
        return OptcError("unexpected `==`: an equation is written with `=`", span)
    if tok.type == "PRIME":
        return OptcError("a prime `'` must follow a state's name, as in `x'`", span)
    if tok.type == "_NL":
        return OptcError(f"unexpected end of line{_describe_expected(err.expected)}", span)
    return OptcError(f"unexpected `{value}`{_describe_expected(err.expected)}", span)
