"""The IR's data types: values, ops, blocks, functions and modules.

The IR is jaxpr-shaped. A `Value` is a typed SSA value, identity-hashed. An `Op` reads operand
values and defines result values; loops are ops with a region (a `Block`). A block lists its ops
in dependency order and ends with the values it yields. Ops in a region may read values of the
enclosing blocks (lexical scoping, as in MLIR regions). A `Function` is a block with a name and
metadata; a `Module` holds the functions compiled from one declaration (an optimizer has an
`init` and a `step` function, a solver one function).

Everything is immutable: passes build new blocks and functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from optc.errors import Span
from optc.ir.types import TensorType


@dataclass(frozen=True, eq=False)
class Value:
    """A typed SSA value; `hint` is the source name it came from, used only when printing."""

    type: TensorType
    hint: str = ""

    def __repr__(self) -> str:
        return f"Value({self.hint or id(self):}: {self.type})"


@dataclass(frozen=True, eq=False)
class Block:
    """A region: arguments, ops in dependency order, and the values it yields."""

    args: tuple[Value, ...]
    ops: tuple["Op", ...]
    results: tuple[Value, ...]

    def walk(self) -> Iterator["Op"]:
        """Every op of this block and of nested regions, outer ops before their regions' ops."""
        for op in self.ops:
            yield op
            for region in op.regions:
                yield from region.walk()


@dataclass(frozen=True, eq=False)
class Op:
    """One operation: `results = opcode(operands) {attrs}` with optional regions and a span."""

    opcode: str
    operands: tuple[Value, ...]
    results: tuple[Value, ...]
    attrs: dict[str, Any] = field(default_factory=dict)
    regions: tuple[Block, ...] = ()
    loc: Span | None = None

    @property
    def result(self) -> Value:
        """The single result of a one-result op."""
        assert len(self.results) == 1, f"{self.opcode} has {len(self.results)} results"
        return self.results[0]

    def attr_key(self) -> tuple:
        """A hashable form of the attributes (used by CSE and the cache key)."""
        return tuple(sorted((k, _hashable(v)) for k, v in self.attrs.items()))

    def where(self) -> str:
        """`file:line:col` of the source this op came from, or '<unknown>'."""
        return str(self.loc) if self.loc is not None else "<unknown>"

    def with_(self, **changes) -> "Op":
        return replace(self, **changes)


def _hashable(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    if isinstance(v, float):
        # Tagged by repr: `==` would merge 0.0 with -0.0 (and 1.0 with 1), which CSE must not.
        return ("float", repr(v))
    return v


@dataclass(frozen=True, eq=False)
class Function:
    """A named block: `params` are its block arguments, `body.results` its outputs.

    `attrs` carries what the API needs: `kind` (`solver`, `optimizer.init`, `optimizer.step`,
    `fn`), `param_names`, `result_names`, `defaults` (runtime arguments with a default),
    `roles` (per parameter: `arg`, `hyper`, `param`, `grad`, `state`, `step`), `dims`
    (symbol -> (parameter index, axis) that binds it) and `traces`.
    """

    name: str
    body: Block
    attrs: dict[str, Any] = field(default_factory=dict)
    loc: Span | None = None

    @property
    def params(self) -> tuple[Value, ...]:
        return self.body.args

    @property
    def results(self) -> tuple[Value, ...]:
        return self.body.results

    def with_body(self, body: Block) -> "Function":
        return replace(self, body=body)


@dataclass(frozen=True, eq=False)
class Module:
    """The functions compiled from one source declaration, with the `fn`s it calls."""

    functions: dict[str, Function]
    attrs: dict[str, Any] = field(default_factory=dict)

    def map(self, fn) -> "Module":
        """A module whose functions are `fn(function, module)`."""
        return replace(self, functions={k: fn(f, self) for k, f in self.functions.items()})
