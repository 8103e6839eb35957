"""The textual IR parser: the text `ir/printer.py` writes, back to a `Module` or `Function`.

Pass tests start from IR text, so they never depend on the surface language. The parser is a
small tokenizer and a recursive descent over this grammar (`#` starts a comment):

    module   := ["module" attrs] function*
    function := "func" @name "(" [param ("," param)*] ")" "->" "(" [type ("," type)*] ")"
                [attrs] "{" op* "return" [%v ("," %v)*] "}"
    op       := [%r ":" type ("," %r ":" type)* "="] opcode [%v ("," %v)*] [attrs] region*
    region   := "(" [param ("," param)*] ")" "{" op* "yield" [%v ("," %v)*] "}"
    param    := %name ":" type
    type     := dtype "[" dims "]"

Malformed text raises `OptcError` at `<ir>:line:col` with a caret; a parsed value's `hint` is
its printed name without `%`, and a parsed op's `loc` is its span in the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from optc.errors import OptcError, SourceFile, Span, did_you_mean
from optc.ir.core import Block, Function, Module, Op, Value
from optc.ir.ops import OPS
from optc.ir.types import DTYPES, Dim, TensorType


def parse_module(text: str) -> Module:
    """Parse a module: an optional `module {attrs}` line and any number of functions."""
    parser = _Parser(text)
    module = parser.module()
    parser.expect_end()
    return module


def parse_function(text: str) -> Function:
    """Parse exactly one function."""
    parser = _Parser(text)
    fn = parser.function()
    parser.expect_end()
    return fn


_TOKEN = re.compile(
    r"""
    (?P<skip>[ \t\r\n]+|\#[^\n]*)
    |(?P<value>%[A-Za-z0-9_.]+)
    |(?P<func>@[A-Za-z0-9_.]+)
    |(?P<number>-?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|inf\b|nan\b))
    |(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
    |(?P<string>"(?:[^"\\\n]|\\.)*")
    |(?P<punct>->|[(){}\[\],:=])
    """,
    re.VERBOSE,
)
_INT_DIM = re.compile(r"\d+")
_SYMBOLIC_DIM = re.compile(r"[A-Za-z0-9_?+\-*/(). ]+")


@dataclass(frozen=True)
class _Token:
    """A token; `kind` is value, func, number, ident, string, punct, dims (the raw text inside
    a type's brackets) or eof."""

    kind: str
    text: str
    start: int
    end: int


def _tokenize(source: SourceFile) -> list[_Token]:
    text = source.text
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        previous = tokens[-1] if tokens else None
        if _opens_dims(text, pos, previous):
            # The dims of a type are read raw: symbolic dims such as `n-1` are not tokens.
            close = text.find("]", pos)
            if close < 0 or any(ch in text[pos + 1 : close] for ch in "\n["):
                raise OptcError("unterminated type: missing `]`", Span(source, pos, pos + 1))
            tokens.append(_Token("dims", text[pos + 1 : close], pos + 1, close))
            pos = close + 1
            continue
        match = _TOKEN.match(text, pos)
        if match is None:
            raise OptcError(f"unexpected character {text[pos]!r}", Span(source, pos, pos + 1))
        if match.lastgroup != "skip":
            tokens.append(_Token(match.lastgroup, match.group(), pos, match.end()))
        pos = match.end()
    tokens.append(_Token("eof", "", len(text), len(text)))
    return tokens


def _opens_dims(text: str, pos: int, previous: _Token | None) -> bool:
    """Whether the `[` at `pos` opens the dims of a type: it follows a dtype with no space."""
    return (
        text[pos] == "["
        and previous is not None
        and previous.kind == "ident"
        and previous.text in DTYPES
        and previous.end == pos
    )


def _describe(token: _Token) -> str:
    return "end of input" if token.kind == "eof" else f"`{token.text}`"


class _Parser:
    def __init__(self, text: str):
        self.source = SourceFile("<ir>", text)
        self.tokens = _tokenize(self.source)
        self.i = 0
        self.scopes: list[dict[str, Value]] = []
        self.defined: dict[str, _Token] = {}

    # ------------------------------------------------------------ token helpers

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def peek(self, ahead: int) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tok
        if token.kind != "eof":
            self.i += 1
        return token

    def span(self, first: _Token, last: _Token | None = None) -> Span:
        return Span(self.source, first.start, (last or first).end)

    def error(self, message: str, token: _Token | None = None) -> OptcError:
        return OptcError(message, self.span(token or self.tok))

    def at(self, text: str) -> bool:
        return self.tok.kind in ("punct", "ident") and self.tok.text == text

    def expect(self, text: str) -> _Token:
        if not self.at(text):
            raise self.error(f"expected `{text}`, found {_describe(self.tok)}")
        return self.advance()

    def expect_kind(self, kind: str, what: str) -> _Token:
        if self.tok.kind != kind:
            raise self.error(f"expected {what}, found {_describe(self.tok)}")
        return self.advance()

    def expect_end(self) -> None:
        if self.tok.kind != "eof":
            raise self.error(f"expected end of input, found {_describe(self.tok)}")

    # ------------------------------------------------------------ values and scopes

    def define(self, token: _Token, type_: TensorType) -> Value:
        first = self.defined.get(token.text)
        if first is not None:
            line, col = self.source.line_col(first.start)
            raise self.error(f"value {token.text} is defined twice (first at {line}:{col})", token)
        self.defined[token.text] = token
        value = Value(type_, token.text[1:])
        self.scopes[-1][token.text] = value
        return value

    def use(self) -> Value:
        token = self.expect_kind("value", "a value such as `%x`")
        for scope in reversed(self.scopes):
            if token.text in scope:
                return scope[token.text]
        if token.text in self.defined:
            raise self.error(
                f"value {token.text} is defined inside a region and not visible here", token
            )
        raise self.error(f"undefined value {token.text}", token)

    def uses(self) -> tuple[Value, ...]:
        """`%a, %b, ...` starting on the current line (a zero-operand op ends its line)."""
        previous = self.tokens[self.i - 1]
        if self.tok.kind != "value" or "\n" in self.source.text[previous.end : self.tok.start]:
            return ()
        values = [self.use()]
        while self.at(","):
            self.advance()
            values.append(self.use())
        return tuple(values)

    def params(self) -> tuple[Value, ...]:
        """`(%a: T, ...)`, defining each name in the current scope."""
        self.expect("(")
        values = []
        while not self.at(")"):
            if values:
                self.expect(",")
            name = self.expect_kind("value", "a parameter such as `%x: f64[n]`")
            self.expect(":")
            values.append(self.define(name, self.type()))
        self.advance()
        return tuple(values)

    # ------------------------------------------------------------ types and attributes

    def type(self) -> TensorType:
        token = self.tok
        if token.kind != "ident" or token.text not in DTYPES:
            raise self.error(f"expected a type such as `f64[n]`, found {_describe(token)}")
        self.advance()
        dims = self.tok
        if dims.kind != "dims":
            raise self.error(f"expected `[` right after the dtype `{token.text}`")
        self.advance()
        return TensorType(token.text, self.shape(dims))

    def shape(self, token: _Token) -> tuple[Dim, ...] | None:
        text = token.text.strip()
        if text == "...":
            return None
        if not text:
            return ()
        dims: list[Dim] = []
        for part in _split_dims(text):
            dim = part.strip()
            if _INT_DIM.fullmatch(dim):
                dims.append(int(dim))
            elif _SYMBOLIC_DIM.fullmatch(dim) and dim != "...":
                dims.append(dim)
            else:
                raise self.error(f"bad dimension {dim!r} in type", token)
        return tuple(dims)

    def types(self) -> tuple[TensorType, ...]:
        self.expect("(")
        types = []
        while not self.at(")"):
            if types:
                self.expect(",")
            types.append(self.type())
        self.advance()
        return tuple(types)

    def attrs(self) -> dict[str, Any]:
        """`{key=value, ...}`; keys are identifiers or quoted strings."""
        self.expect("{")
        attrs: dict[str, Any] = {}
        while not self.at("}"):
            if attrs:
                self.expect(",")
            key_token = self.tok
            if key_token.kind == "ident":
                key = self.advance().text
            elif key_token.kind == "string":
                key = json.loads(self.advance().text)
            else:
                raise self.error(f"expected an attribute name, found {_describe(key_token)}")
            if key in attrs:
                raise self.error(f"attribute {key!r} is given twice", key_token)
            self.expect("=")
            attrs[key] = self.attr_value()
        self.advance()
        return attrs

    def attr_value(self) -> Any:
        token = self.tok
        if token.kind == "number":
            self.advance()
            if _INT_DIM.fullmatch(token.text.lstrip("-")):
                return int(token.text)
            return float(token.text)
        if token.kind == "string":
            self.advance()
            return json.loads(token.text)
        if token.kind == "ident" and token.text in _WORDS:
            self.advance()
            return _WORDS[token.text]
        if self.at("type"):
            self.advance()
            self.expect("(")
            type_ = self.type()
            self.expect(")")
            return type_
        if self.at("["):
            self.advance()
            items = []
            while not self.at("]"):
                if items:
                    self.expect(",")
                items.append(self.attr_value())
            self.advance()
            return tuple(items)
        if self.at("{"):
            self.advance()
            entries: dict[Any, Any] = {}
            while not self.at("}"):
                if entries:
                    self.expect(",")
                key_token = self.tok
                key = self.attr_value()
                if isinstance(key, dict):
                    raise self.error("a dict cannot be a dict key", key_token)
                self.expect("=")
                entries[key] = self.attr_value()
            self.advance()
            return entries
        raise self.error(f"expected an attribute value, found {_describe(token)}")

    # ------------------------------------------------------------ functions, ops, regions

    def module(self) -> Module:
        attrs = {}
        if self.at("module"):
            self.advance()
            attrs = self.attrs()
        functions: dict[str, Function] = {}
        while self.tok.kind != "eof":
            start = self.peek(1)
            fn = self.function()
            if fn.name in functions:
                raise self.error(f"function @{fn.name} is defined twice", start)
            functions[fn.name] = fn
        return Module(functions, attrs)

    def function(self) -> Function:
        first = self.expect("func")
        name = self.expect_kind("func", "a function name such as `@step`")
        self.scopes = [{}]
        self.defined = {}
        params = self.params()
        self.expect("->")
        result_types = self.types()
        attrs = self.attrs() if self.at_function_attrs() else {}
        self.expect("{")
        ops = self.ops("return")
        ret = self.expect("return")
        results = self.uses()
        found = tuple(v.type for v in results)
        if found != result_types:
            shown = ", ".join(map(str, found))
            declared = ", ".join(map(str, result_types))
            raise self.error(f"return of ({shown}) does not match the declared ({declared})", ret)
        self.expect("}")
        body = Block(params, ops, results)
        return Function(name.text[1:], body, attrs, self.span(first, name))

    def at_function_attrs(self) -> bool:
        """Whether the `{` after the result types opens attributes rather than the body."""
        if not self.at("{"):
            return False
        key, after = self.peek(1), self.peek(2)
        if key.kind == "punct" and key.text == "}":
            return True
        return key.kind in ("ident", "string") and after.kind == "punct" and after.text == "="

    def ops(self, terminator: str) -> tuple[Op, ...]:
        ops = []
        while not self.at(terminator):
            if self.tok.kind == "eof" or self.at("}"):
                raise self.error(f"expected an op or `{terminator}`, found {_describe(self.tok)}")
            ops.append(self.op())
        return tuple(ops)

    def op(self) -> Op:
        first = self.tok
        declared: list[tuple[_Token, TensorType]] = []
        if first.kind == "value":
            while True:
                name = self.advance()
                self.expect(":")
                declared.append((name, self.type()))
                if not self.at(","):
                    break
                self.advance()
                if self.tok.kind != "value":
                    raise self.error(
                        f"expected a result such as `%x: f64[n]`, found {_describe(self.tok)}"
                    )
            self.expect("=")
        opcode = self.expect_kind("ident", "an opcode")
        if opcode.text not in OPS:
            raise self.error(
                f"unknown opcode `{opcode.text}`{did_you_mean(opcode.text, OPS)}", opcode
            )
        operands = self.uses()
        attrs = self.attrs() if self.at("{") else {}
        loc = self.span(first, self.tokens[self.i - 1])
        regions = []
        while self.at("("):
            regions.append(self.region())
        results = tuple(self.define(name, type_) for name, type_ in declared)
        return Op(opcode.text, operands, results, attrs, tuple(regions), loc)

    def region(self) -> Block:
        self.scopes.append({})
        args = self.params()
        self.expect("{")
        ops = self.ops("yield")
        self.advance()
        results = self.uses()
        self.expect("}")
        self.scopes.pop()
        return Block(args, ops, results)


_WORDS: dict[str, Any] = {"true": True, "false": False, "none": None}


def _split_dims(text: str) -> list[str]:
    """Split `m,n-1,max(a,b)` at the commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts
