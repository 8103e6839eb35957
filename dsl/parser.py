"""Parser: `.opt` text to AST. The only module of optc that imports lark.

The grammar lives in `grammar.lark` and is loaded once (LALR, positions propagated). A small
post-lexer drops newlines inside ( ) and [ ]. One transformer builds the frozen AST of
`ast.py`; every node gets the span of the text it came from. Lark's errors become `OptcError`s,
with named messages for the common mistakes (unclosed bracket, missing `}`, `==` for `=`, a
`require` without its message).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from optc.dsl import ast
from optc.dsl.lower_expr import transform_of
from optc.cache import cache_dir
from optc.errors import OptcError, SourceFile, Span, did_you_mean

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
    options = dict(
        parser="lalr",
        lexer="contextual",
        postlex=_DropNewlinesInBrackets(),
        propagate_positions=True,
        maybe_placeholders=True,
    )
    try:  # Lark keys its cache by the grammar and options: a stale file is never used
        return Lark(grammar, cache=str(cache_dir() / "grammar.lark.cache"), **options)
    except OSError:
        return Lark(grammar, **options)


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

    def require_stmt(self, meta, items):
        cond, message = items
        usage = 'write `require COND, "message"`, the message saying what the caller got wrong'
        if message is None:
            raise OptcError("a `require` needs a message after its condition", self.sp(meta), (usage,))
        if not isinstance(message, Token):
            raise OptcError("the message of a `require` must be a string in double quotes", message.span, (usage,))
        if not str(message)[1:-1].strip():
            raise OptcError("the message of a `require` is empty", _span(self.file, message), (usage,))
        return ast.Require(self.sp(meta), cond, str(message)[1:-1])

    def equation(self, meta, items):
        *targets, expr = items
        if len(targets) > 1 and transform_of(expr) != "value_and_grad":
            raise OptcError(f"{len(targets)} names on the left of `=`, but only value_and_grad(f)(…) returns two "
                            "values; this right-hand side is one value", self.sp(meta),
                            ("write `fx, g = value_and_grad(f)(x, …)`, or one equation per name",))
        if len(targets) != 2 and transform_of(expr) == "value_and_grad":
            raise OptcError(f"value_and_grad(f)(…) returns two values (f's value and its gradient), but "
                            f"{len(targets)} name{'s are' if len(targets) > 1 else ' is'} on the left of `=`",
                            self.sp(meta), ("write `fx, g = value_and_grad(f)(x, …)`",))
        return ast.Equation(self.sp(meta), targets[0], expr, tuple(targets[1:]))

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
#
# Lark reports the first token the grammar cannot take. That token is often not where the
# mistake is (a `)` forgotten on one line surfaces as an odd token on the next, because the
# post-lexer joins lines inside brackets), so the messages below look at the brackets still
# open, the token before, and the terminals the parser would accept (`accepts()`, exact, unlike
# the LALR lookahead set) to name the mistake and point at it.

_TOKEN_NAMES = {
    "NAME": "a name",
    "INT": "a number",
    "FLOAT": "a number",
    "_NL": "end of line",
    "$END": "end of file",
    "TYPE_NAME": "a type (real, int, bool, f32, f64)",
    "STRING": "a string",
}
_EXPR_START = {"NAME", "INT", "FLOAT", "LPAR", "MINUS", "TRUE", "FALSE", "GRAD", "NOT"}
_OPERATORS = {"+", "-", "*", "/", "@", "%", "^", "<", "<=", ">", ">=", "==", "!=", "and", "or"}
_DECL_KEYWORDS = ("use", "fn", "optimizer", "solver")
_STMT_KEYWORDS = ("param", "grad", "state", "trace", "return", "for", "require")

# Characters people paste from papers or other languages, and what optc spells them as.
_CHAR_HINTS = {
    "×": "`*`", "·": "`*`", "÷": "`/`", "−": "`-`", "–": "`-`", "≤": "`<=`", "≥": "`>=`", "≠": "`!=`",
    "’": "`'`", "′": "`'`", "²": "`^2`", "³": "`^3`", "&": "`and`", "|": "`or`", "!": "`not`",
}
# Words from other languages that optc spells differently.
_WORD_HINTS = {
    "if": "to choose between values, write `where(cond, a, b)`",
    "else": "to choose between values, write `where(cond, a, b)`",
    "elif": "to choose between values, write `where(cond, a, b)`",
    "while": "loops are written `for k in 0..max_iter until COND { … }`",
    "def": "functions are declared with `fn name(x: real) -> real = …`",
    "function": "functions are declared with `fn name(x: real) -> real = …`",
    "let": "a local is written `name = …`, without `let`",
    "var": "a local is written `name = …`, without `var`",
    "const": "a local is written `name = …`, without `const`",
}


def _terminal_text(term: str) -> str | None:
    """How a grammar terminal reads in a message: `+`, `optimizer`, 'a name', …"""
    if term in _TOKEN_NAMES:
        return _TOKEN_NAMES[term]
    try:
        pattern = _lark().get_terminal(term).pattern
    except KeyError:
        return None
    return f"`{pattern.value}`" if pattern.type == "str" else None


def _accepted(err: UnexpectedInput) -> set[str]:
    """The terminals the parser would accept where it stopped (exact when Lark can tell)."""
    parser = getattr(err, "interactive_parser", None)
    if parser is None:
        return set(getattr(err, "expected", ()) or ())
    return set(parser.accepts())


def _describe_expected(terms: set[str]) -> str:
    """'; expected …' listing what could come next, grouped ('an expression', 'an operator')."""
    terms = set(terms)
    items: list[str] = []
    if {"NAME", "INT", "LPAR"} <= terms:
        items.append("an expression")
        terms -= _EXPR_START
    texts = {t: _terminal_text(t) for t in terms}
    operators = {t for t, s in texts.items() if s and s.strip("`") in _OPERATORS}
    if len(operators) >= 5:
        items.append("an operator")
        terms -= operators
    if "_NL" in terms:
        terms.discard("SEMICOLON")  # `;` is the other way to end a statement; the line end says it
    named = sorted({texts[t] for t in terms if texts.get(t)}, key=lambda s: (not s.startswith("`"), s))
    named = [s for s in named if s != "end of line" and s != "end of file"] + [
        s for s in ("end of line", "end of file") if s in named
    ]
    items += named
    if not items:
        return ""
    if len(items) > 7:
        items = items[:6] + ["…"]
    listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
    return "; expected " + listed


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


def _starts_line(text: str, pos: int) -> bool:
    """Whether only blanks stand between the start of the line and `pos`."""
    start = text.rfind("\n", 0, pos) + 1
    return not text[start:pos].strip()


def _syntax_error(file: SourceFile, err: UnexpectedInput) -> OptcError:
    """An `OptcError` naming the mistake behind one of Lark's parse errors."""
    if isinstance(err, UnexpectedCharacters):
        return _bad_character(file, err.pos_in_stream)
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        return _unexpected_end(file, err)
    assert isinstance(err, UnexpectedToken)
    return _unexpected_token(file, err)


def _bad_character(file: SourceFile, pos: int) -> OptcError:
    text = file.text
    ch = text[pos]
    span = Span(file, pos, pos + 1)
    if ch == "'":
        return OptcError("a prime `'` must follow a state's name, as in `x'`", span)
    if ch == '"':
        return OptcError('unterminated string: this `"` has no closing `"` on its line', span)
    pair = text[pos : pos + 2]
    if pair in ("&&", "||"):
        return OptcError(f"unexpected `{pair}`: write `{'and' if pair == '&&' else 'or'}`", Span(file, pos, pos + 2))
    if ch in _CHAR_HINTS:
        return OptcError(f"unexpected character `{ch}`: write {_CHAR_HINTS[ch]}", span)
    if ch.isalpha():
        return OptcError(f"unexpected character `{ch}`: names use ASCII letters, digits and `_`", span)
    if not ch.isprintable():
        return OptcError(f"unexpected invisible character U+{ord(ch):04X}", span)
    return OptcError(f"unexpected character `{ch}`", span)


def _unexpected_end(file: SourceFile, err: UnexpectedInput) -> OptcError:
    text = file.text
    stack = _open_brackets(text, len(text))
    if stack:
        br, at = stack[-1]
        if br == "{":
            return OptcError("missing `}` to close this block", Span(file, at, at + 1),
                             ("the file ends before the block is closed",))
        return OptcError(f"unclosed `{br}`", Span(file, at, at + 1), (f"expected `{_OPENERS[br]}` before the end of the file",))
    end = max(0, len(text.rstrip()) - 1)
    return OptcError(f"unexpected end of file{_describe_expected(_accepted(err))}", Span(file, end, end + 1))


def _unexpected_token(file: SourceFile, err: UnexpectedToken) -> OptcError:
    tok = err.token
    pos = tok.start_pos if tok.start_pos is not None else len(file.text)
    span = Span(file, pos, max(pos + 1, tok.end_pos or pos + 1))
    history = getattr(err, "token_history", None) or []
    prev = history[-1] if history else None
    accepted = _accepted(err)
    return (
        _escaped_quote(file, prev)
        or _bracket_error(file, tok, span)
        or _misspelling(file, tok, prev, span, accepted)
        or _unexpected(file, tok, prev, span, accepted)
    )


def _escaped_quote(file: SourceFile, prev: Token | None) -> OptcError | None:
    """A string whose last character before its closing quote is a backslash, just before the
    unexpected token: an escaped quote was meant, but strings have no escapes, so that quote
    closed the string and the rest of the message became code."""
    if prev is None or prev.type != "STRING" or not str(prev).endswith('\\"') or prev.end_pos is None:
        return None
    return OptcError('strings have no escapes: this `"` ends the string', Span(file, prev.end_pos - 1, prev.end_pos),
                     ("a string cannot hold a `\"`; quote words inside it with `'` instead",))


def _bracket_error(file: SourceFile, tok: Token, span: Span) -> OptcError | None:
    """A closer that matches nothing or the wrong opener, or a `(`/`[` left open at a line end."""
    value = str(tok)
    stack = _open_brackets(file.text, span.start)
    if value in _CLOSERS:
        if not stack or (stack[-1][0] == "{" and value in ")]"):
            return OptcError(f"unmatched `{value}`", span)
        br, at = stack[-1]
        if _OPENERS[br] != value:
            opener = Span(file, at, at + 1)
            if value == "}":
                return OptcError(f"unclosed `{br}`", opener, (f"the `}}` at {span} comes before its `{_OPENERS[br]}`",))
            return OptcError(f"`{value}` does not close `{br}`", span, (f"`{br}` opened at {opener} expects `{_OPENERS[br]}`",))
    if stack and stack[-1][0] in "([":
        # The post-lexer joined the next line to this one, so its first token is the unexpected one.
        br, at = stack[-1]
        if _starts_line(file.text, span.start) and span.line > file.line_col(at)[0]:
            shown = f"`{value}`" if tok.type != "_NL" else "end of line"
            return OptcError(f"unclosed `{br}`", Span(file, at, at + 1),
                             (f"the line ends before its `{_OPENERS[br]}` (the next line starts with {shown} at {span})",))
    return None


def _misspelling(file: SourceFile, tok: Token, prev: Token | None, span: Span, accepted: set[str]) -> OptcError | None:
    """Mistakes with a known spelling: `==` for `=`, `**`, `if`, `optimiser`, `stat x = …`, …"""
    text, value, pos = file.text, str(tok), span.start
    if value == "==" or (value == "=" and pos > 0 and text[pos - 1] == "="):
        return OptcError("unexpected `==`: an equation is written with `=`", span)
    if value == "=" and "`==`" in {_terminal_text(t) for t in accepted}:
        return OptcError("unexpected `=`: compare with `==`", span)
    if tok.type == "PRIME":
        return OptcError("a prime `'` must follow a state's name, as in `x'`", span)
    if value == "*" and prev is not None and str(prev) == "*" and prev.end_pos == pos:
        return OptcError("unexpected `**`: a power is written `^`, as in `x^2`", Span(file, pos - 1, pos + 1))
    if value in _WORD_HINTS:
        return OptcError(f"`{value}` is not part of the language", span, (_WORD_HINTS[value],))
    if prev is not None and prev.type == "NAME" and str(prev) == "require" and prev.start_pos is not None:
        return OptcError("`require` is a statement of its own, not part of an expression",
                         Span(file, prev.start_pos, prev.end_pos),
                         ('write `require COND, "message"` on a line of its own in a body '
                          "(a fn needs a block body `{ … }` to hold one)",))
    if {"OPTIMIZER", "SOLVER", "FN"} <= accepted and tok.type == "NAME":
        hint = did_you_mean(value, _DECL_KEYWORDS)
        return OptcError(f"unexpected `{value}`{hint}: a file holds `use`, `fn`, `optimizer` and `solver` declarations", span)
    if prev is None or prev.start_pos is None:
        return None
    prev_span = Span(file, prev.start_pos, prev.end_pos)
    if str(prev) in _WORD_HINTS:
        return OptcError(f"`{prev}` is not part of the language", prev_span, (_WORD_HINTS[str(prev)],))
    if prev.type == "NAME" and tok.type == "NAME" and _starts_line(text, prev.start_pos):
        hint = did_you_mean(str(prev), _STMT_KEYWORDS)  # `stat m = …`
        if hint:
            return OptcError(f"unexpected `{prev}`{hint}", prev_span,
                             (f"a statement starts with a name or one of: {', '.join(_STMT_KEYWORDS)}",))
    if tok.type == "NAME" and "TYPE_NAME" in accepted and "NAME" not in accepted:
        return OptcError(f"unknown type `{value}`; the types are real, int, bool, f32 and f64", span)
    return None


def _unexpected(file: SourceFile, tok: Token, prev: Token | None, span: Span, accepted: set[str]) -> OptcError:
    """'unexpected X; expected …', with a note when the likely fix is clear."""
    value = str(tok)
    if tok.type in ("_NL", "RBRACE") and "EQUAL" in accepted:
        declared = re.match(r"\s*(state|trace)\s+([A-Za-z_]\w*)[^=]*$", file.line_text(span.line))
        if declared:
            kind, name = declared.groups()
            what = "an initial value" if kind == "state" else "a value"
            return OptcError(f"a {kind} needs {what}, as in `{kind} {name} = …`", span)
    notes = []
    if prev is not None and prev.type in ("INT", "FLOAT") and tok.type == "NAME" and prev.end_pos == span.start:
        notes.append(f"a product is written with `*`, as in `{prev} * {value}`")
    if tok.type == "_NL" and "LBRACE" in accepted:
        notes.append("a block's `{` goes on the same line as its header")
    if tok.type == "NAME" and "COMMA" in accepted and prev is not None and prev.type in ("NAME", "RSQB", "TYPE_NAME", "INT", "FLOAT"):
        notes.append(f"is a `,` missing before `{value}`?")
    shown = "end of line" if tok.type == "_NL" else f"`{value}`"
    return OptcError(f"unexpected {shown}{_describe_expected(accepted)}", span, tuple(notes))
