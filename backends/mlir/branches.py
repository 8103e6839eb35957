"""Kernels a step does not need, given the branches its host-decidable `where`s take.

Muon computes both forms of its Newton-Schulz iteration, X (b A + c A^2) with A = X^T X for a
tall matrix and (b A + c A^2) X with A = X X^T for a wide one, and keeps one with
`where(m > n, tall, wide)`. As written, every step would run both chains of matmuls, the unused
one on an m x m (or n x n) Gram matrix that can dwarf the used one. The condition depends only
on the parameter's dimensions, so the host knows it before launching anything:
`Pruning.skipped(args, dims)` evaluates each such condition (with the NumPy backend's rules)
and returns the kernels whose results only the branch not taken reads. The `where` kernel still
reads the skipped branch's buffer and discards it (`arith.select`), so skipping is safe.

A condition is host-decidable when it is computed from constants, scalar parameters and
dimensions only (not from reductions, nor from a loop counter, which would make the answer
change between iterations).
"""

from __future__ import annotations

import numpy as np
from optc.ir.core import Function, Op, Value
from optc.ir.types import NUMPY_NAMES


class Pruning:
    """The host-decidable selects of a step, and the value each kernel computes (None for a
    kernel that must always run: reductions into partials, the final updates)."""

    def __init__(self, step: Function, defs: dict[Value, Op], writes: dict[str, Value | None]):
        self.step = step
        self.defs = defs
        self.writes = writes
        self.selects = [
            op
            for op in defs.values()
            if op.opcode == "select"
            and op.operands[0].type.is_scalar
            and not op.results[0].type.is_scalar
            and self._host(op.operands[0])
        ]
        self._cache: dict[tuple, frozenset] = {}

    def _host(self, v: Value) -> bool:
        """Whether the host knows `v` before any kernel runs (and for the whole step)."""
        if v in self.step.params:
            return v.type.is_scalar
        op = self.defs.get(v)
        if op is None or op.opcode in ("loop", "reduce_sum", "reduce_max", "reduce_min"):
            return False  # a loop's block argument (counter, carried value) or a loop result
        if op.opcode in ("dimsize", "numel"):
            return True
        return v.type.is_scalar and all(self._host(o) for o in op.operands)

    def skipped(self, args: list, dims: dict) -> frozenset[str]:
        """The kernels this step need not launch."""
        if not self.selects:
            return frozenset()
        branches = tuple(bool(self._value(op.operands[0], args, dims)) for op in self.selects)
        if branches not in self._cache:
            taken = dict(zip(self.selects, branches))
            live = self._live(taken)
            self._cache[branches] = frozenset(
                name for name, v in self.writes.items() if v is not None and v not in live
            )
        return self._cache[branches]

    def _value(self, v: Value, args: list, dims: dict):
        """A host-decidable scalar, computed with the NumPy backend's rules."""
        from optc.backends.numpy.rules import RULES

        if v in self.step.params:
            return args[self.step.params.index(v)]
        op = self.defs[v]
        if op.opcode == "dimsize":
            d = op.operands[0].type.shape[op.attrs["axis"]]
            return np.int64(dims[d] if isinstance(d, str) else d)
        if op.opcode == "numel":
            shape = op.operands[0].type.shape
            return np.int64(np.prod([dims[d] if isinstance(d, str) else d for d in shape]))
        operands = [
            np.dtype(NUMPY_NAMES[o.type.dtype]).type(self._value(o, args, dims))
            for o in op.operands
        ]
        with np.errstate(all="ignore"):
            return RULES[op.opcode](op, *operands)

    def _live(self, taken: dict[Op, bool]) -> set[Value]:
        """The values the step's results read, through the taken branch of each select."""
        live: set[Value] = set()
        stack = list(self.step.results)
        while stack:
            v = stack.pop()
            if v in live:
                continue
            live.add(v)
            op = self.defs.get(v)
            if op is None:
                continue
            if op in taken:
                stack += [op.operands[0], op.operands[1 if taken[op] else 2]]
            elif op.opcode == "loop":
                body = op.regions[0]
                stack += [*op.operands, *body.results]
            else:
                stack += op.operands
        return live
