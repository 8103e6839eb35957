"""Scopes used while lowering: what a name means at a point of a declaration.

A scope binds plain names (arguments, hyperparameters, locals, loop variables, `t`) and the
current values of states; a *body* scope (an optimizer body or a loop body) also holds the
primed values its equations define. Scopes chain outwards, so a loop body sees the values of
the solver around it (lexical scoping, as the IR's regions do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optc.ir.core import Value


@dataclass
class Scope:
    """One level of name bindings; `is_body` marks a scope whose states can be primed."""

    parent: "Scope | None" = None
    values: dict[str, Value] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # name -> what it is, for messages
    cur: dict[str, Value] = field(default_factory=dict)  # state name -> current value
    nxt: dict[str, Value] = field(default_factory=dict)  # state name -> primed value
    is_body: bool = False

    def bind(self, name: str, value: Value, kind: str) -> None:
        """Bind a plain name in this scope."""
        self.values[name] = value
        self.kinds[name] = kind

    def lookup(self, name: str) -> Value | None:
        """The value of a name: the innermost binding, a state's current value, or None."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            if name in scope.cur:
                return scope.cur[name]
            scope = scope.parent
        return None

    def kind_of(self, name: str) -> str | None:
        """What a name is ('argument', 'local', 'state', …) or None if unbound."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.kinds:
                return scope.kinds[name]
            if name in scope.cur:
                return "state"
            scope = scope.parent
        return None

    def body(self) -> "Scope | None":
        """The innermost body scope (where primes are read and defined), if any."""
        scope: Scope | None = self
        while scope is not None:
            if scope.is_body:
                return scope
            scope = scope.parent
        return None

    def visible_names(self) -> set[str]:
        """Every name bound here or outwards (for 'did you mean')."""
        names: set[str] = set()
        scope: Scope | None = self
        while scope is not None:
            names |= set(scope.values) | set(scope.cur)
            scope = scope.parent
        return names
