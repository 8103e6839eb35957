"""Writing MLIR text: types, literals, locations, SSA names and structured regions.

This is the bottom layer of the MLIR backend's emitter (`emit.py`): the lowering rules never
format MLIR syntax themselves beyond one op per call, they go through a `FunctionText`, which
hands out unique SSA names, hoists helper constants to the function's entry, appends the
current source location to every line (`loc("adam.opt":15:8)`), and writes `scf.for`, `scf.if`,
`scf.while` and `memref.alloca_scope` with their yields. Tensors are memrefs: function arguments
and views use the fully dynamic strided type, aliased at the top of the module as

    !f64_r2 = memref<?x?xf64, strided<[?, ?], offset: ?>>

while fresh buffers keep the identity layout (`memref<?x?xf64>`), which is what functions
return and what `memref.dealloc` frees.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Sequence

from optc.errors import Span

SCALAR_TYPES = {"f64": "f64", "f32": "f32", "i64": "i64", "bool": "i1"}
MEMORY_TYPES = {"f64": "f64", "f32": "f32", "i64": "i64", "bool": "i8"}  # bools are bytes in memory
_HINT_CHARS = re.compile(r"[^A-Za-z0-9_]")


def scalar_type(dtype: str) -> str:
    """The MLIR type of an IR scalar dtype (`bool` is `i1`)."""
    return SCALAR_TYPES[dtype]


def view_type(dtype: str, rank: int) -> str:
    """The alias of the fully dynamic strided memref type of a rank (`!f64_r2`)."""
    return f"!{dtype}_r{rank}"


def memory_type(dtype: str) -> str:
    """The element type of an IR dtype in memory (`bool` is a byte, `i8`, as in NumPy)."""
    return MEMORY_TYPES[dtype]


def view_alias(dtype: str, rank: int) -> str:
    """The definition line of `view_type(dtype, rank)`."""
    dims = "?x" * rank
    strides = ", ".join("?" * rank)
    return f"{view_type(dtype, rank)} = memref<{dims}{memory_type(dtype)}, strided<[{strides}], offset: ?>>"


def buffer_type(dtype: str, rank: int) -> str:
    """The identity-layout memref type of a fresh buffer (`memref<?x?xf64>`)."""
    return f"memref<{'?x' * rank}{memory_type(dtype)}>"


def literal(value, dtype: str) -> str:
    """An `arith.constant` literal of an IR dtype: `1.0e-08 : f64`, `3 : i64`, `true`.

    Floats print with a decimal point (MLIR's float syntax needs one), in the shortest form that
    reads back to the same double; an f32 value is first rounded to f32, so MLIR reads it exactly;
    infinities and NaN print as their bit patterns."""
    if dtype == "bool":
        return "true" if value else "false"
    if dtype == "i64":
        return f"{int(value)} : i64"
    value = float(value)
    if dtype == "f32":
        value = struct.unpack("f", struct.pack("f", value))[0] if math.isfinite(value) else value
    if not math.isfinite(value):
        bits = (
            struct.unpack("<Q", struct.pack("<d", value))[0]
            if dtype == "f64"
            else struct.unpack("<I", struct.pack("<f", value))[0]
        )
        width = 16 if dtype == "f64" else 8
        return f"0x{bits:0{width}X} : {dtype}"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}{'e' + exponent if exponent else ''} : {dtype}"


def location(span: Span | None, path: Callable[[str], str] | None = None) -> str:
    """`loc("file":line:col)` for a span ('' without one); `path` may shorten the file name."""
    if span is None:
        return ""
    name = span.file.name if path is None else path(span.file.name)
    return f"loc({_quote(name)}:{span.line}:{span.col})"


def _quote(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\' or not (32 <= ord(ch) < 127):
            out.extend(f"\\{b:02X}" for b in ch.encode())
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class FunctionText:
    """The lines of one function under construction.

    `op(text)` appends `%name = text` and returns the name; `line(text)` appends a line with no
    result. Both end the line with `self.loc`, the location of the IR op being lowered.
    `const(literal, type)` returns a constant defined once at the function's entry."""

    def __init__(self, indent: int = 2):
        self.body: list[str] = []
        self.entry: list[str] = []  # hoisted constants, placed first in the body
        self.depth = indent
        self.base = indent
        self.loc = ""
        self._used: set[str] = set()
        self._counter = 0
        self._constants: dict[tuple[str, str], str] = {}

    # ---------------------------------------------------------------- names and lines

    def fresh(self, hint: str = "") -> str:
        """A new SSA name: `%hint` (or `%hint_N`) for a source name, else `%N`."""
        hint = _HINT_CHARS.sub("_", hint)
        if hint and not hint[0].isdigit():
            name, k = hint, 0
            while name in self._used:
                k += 1
                name = f"{hint}_{k}"
        else:
            while str(self._counter) in self._used:
                self._counter += 1
            name = str(self._counter)
            self._counter += 1
        self._used.add(name)
        return "%" + name

    def line(self, text: str, loc: bool = True) -> None:
        """Append one line at the current indentation, with the current location."""
        suffix = f" {self.loc}" if loc and self.loc else ""
        self.body.append(" " * self.depth + text + suffix)

    def op(self, text: str, hint: str = "") -> str:
        """Append `%name = text` and return `%name`."""
        name = self.fresh(hint)
        self.line(f"{name} = {text}")
        return name

    def const(self, lit: str, type_: str | None = None) -> str:
        """A constant hoisted to the function's entry: `const("0", "index")`, `const("1.0 : f64")`."""
        if type_ is None and " : " in lit:
            lit, type_ = lit.rsplit(" : ", 1)
        key = (lit, type_ or "i1")
        name = self._constants.get(key)
        if name is None:
            if lit in ("true", "false"):
                name, text = self.fresh(lit), f"arith.constant {lit}"
            else:
                stem = "c" + lit.replace("-", "m") if type_ in ("index", "i64", "i32") else "cst"
                name = self.fresh(stem if type_ == "index" else f"{stem}_{type_}")
                text = f"arith.constant {lit} : {type_}"
            self._constants[key] = name
            self.entry.append(f"{name} = {text}")
        return name

    def index(self, value: int) -> str:
        """An `index` constant."""
        return self.const(str(value), "index")

    def lines(self) -> list[str]:
        """The body lines: hoisted constants first (indented like the body's top level)."""
        return [" " * self.base + e for e in self.entry] + self.body

    # ---------------------------------------------------------------- structured regions

    def _results(self, n: int, hint: str = "") -> tuple[str, list[str]]:
        if n == 0:
            return "", []
        name = self.fresh(hint)
        if n == 1:
            return f"{name} = ", [name]
        return f"{name}:{n} = ", [f"{name}#{i}" for i in range(n)]

    def _yield(self, values: Sequence[str], types: Sequence[str], op: str = "scf.yield") -> None:
        if values:
            self.line(f"{op} {', '.join(values)} : {', '.join(types)}")
        elif op == "scf.yield":
            pass  # an empty scf.yield is implicit
        else:
            self.line(op)

    def _close(self, suffix: str = "") -> None:
        self.depth -= 2
        self.line("}" + suffix)

    def for_(
        self,
        lo: str,
        hi: str,
        body: Callable[[str, list[str]], Sequence[str] | None],
        inits: Sequence[str] = (),
        types: Sequence[str] = (),
        step: str | None = None,
        hint: str = "",
    ) -> list[str]:
        """`scf.for %i = lo to hi step 1` with `iter_args`; `body(i, args)` returns the yields."""
        prefix, results = self._results(len(inits), hint)
        iv = self.fresh("i")
        args = [self.fresh() for _ in inits]
        header = f"{prefix}scf.for {iv} = {lo} to {hi} step {step or self.index(1)}"
        if inits:
            pairs = ", ".join(f"{a} = {v}" for a, v in zip(args, inits))
            header += f" iter_args({pairs}) -> ({', '.join(types)})"
        self.line(header + " {", loc=False)
        self.depth += 2
        yields = body(iv, args) or []
        self._yield(list(yields), types)
        self._close()
        return results

    def nest(self, dims: Sequence[str], body: Callable[[list[str]], None]) -> None:
        """Nested `scf.for` loops over `dims` (outermost first); `body(indices)`."""

        def level(k: int, ivs: list[str]) -> None:
            if k == len(dims):
                body(ivs)
                return
            self.for_(self.index(0), dims[k], lambda iv, _: level(k + 1, ivs + [iv]))

        level(0, [])

    def fold(
        self,
        dims: Sequence[str],
        inits: Sequence[str],
        types: Sequence[str],
        body: Callable[[list[str], list[str]], Sequence[str]],
    ) -> list[str]:
        """Accumulators threaded through nested loops over `dims`: `body(indices, accs) -> accs`."""

        def level(k: int, ivs: list[str], accs: list[str]) -> list[str]:
            if k == len(dims):
                return list(body(ivs, accs))
            return self.for_(
                self.index(0), dims[k], lambda iv, args: level(k + 1, ivs + [iv], args), accs, types
            )

        return level(0, [], list(inits))

    def if_(
        self,
        cond: str,
        then: Callable[[], Sequence[str] | None],
        else_: Callable[[], Sequence[str] | None] | None = None,
        types: Sequence[str] = (),
    ) -> list[str]:
        """`scf.if` with optional results; each branch returns its yields."""
        prefix, results = self._results(len(types))
        suffix = f" -> ({', '.join(types)})" if types else ""
        self.line(f"{prefix}scf.if {cond}{suffix} {{", loc=False)
        self.depth += 2
        self._yield(list(then() or []), types)
        if else_ is not None:
            self.depth -= 2
            self.line("} else {", loc=False)
            self.depth += 2
            self._yield(list(else_() or []), types)
        self._close()
        return results

    def alloca_scope(self, body: Callable[[], Sequence[str]], types: Sequence[str]) -> list[str]:
        """`memref.alloca_scope`: the stack slots `body` allocates are released when it ends
        (so a loop that runs it does not grow the stack); `body` returns the yields."""
        prefix, results = self._results(len(types))
        self.line(f"{prefix}memref.alloca_scope -> ({', '.join(types)}) {{", loc=False)
        self.depth += 2
        self._yield(list(body()), types, "memref.alloca_scope.return")
        self._close()
        return results

    def while_(
        self,
        inits: Sequence[str],
        types: Sequence[str],
        before: Callable[[list[str]], str],
        after: Callable[[list[str]], Sequence[str]],
        hint: str = "",
    ) -> list[str]:
        """`scf.while` carrying `inits`: `before(args)` returns the condition (the arguments are
        forwarded unchanged), `after(args)` returns the next values."""
        prefix, results = self._results(len(inits), hint)
        args = [self.fresh() for _ in inits]
        pairs = ", ".join(f"{a} = {v}" for a, v in zip(args, inits))
        sig = ", ".join(types)
        self.line(f"{prefix}scf.while ({pairs}) : ({sig}) -> ({sig}) {{", loc=False)
        self.depth += 2
        cond = before(args)
        self.line(f"scf.condition({cond}) {', '.join(args)} : {sig}")
        self.depth -= 2
        body_args = [self.fresh() for _ in inits]
        self.line("} do {", loc=False)
        self.line(f"^bb0({', '.join(f'{a}: {t}' for a, t in zip(body_args, types))}):", loc=False)
        self.depth += 2
        self._yield(list(after(body_args)), types)
        self._close()
        return results
