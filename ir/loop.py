"""The layout of a `loop` op, written down once for the verifier and the passes that edit loops.

    %x_1: f64[n], %iters: i64[], %conv: bool[], %obj: f64[?] = loop %lo, %hi, %x
        {trace_dtypes=["f64"], until=true} (%k: i64[], %x_2: f64[n]) {
      ...
      yield %x_next, %cond, %obj_k
    }

Operands are (lo, hi, carried...); the region's arguments are (k, carried...); it yields
(next carried..., cond if `until`, one scalar per trace); the results are (final carried...,
iterations, converged, one `?`-long array per trace).
"""

from __future__ import annotations

from dataclasses import dataclass

from optc.ir.core import Op


@dataclass(frozen=True)
class LoopLayout:
    """How many carried values and traces a loop has, and whether it has a stopping rule."""

    carried: int
    until: bool
    traces: int

    @property
    def region_args(self) -> int:
        """The number of region arguments: the counter and the carried values."""
        return 1 + self.carried

    @property
    def yields(self) -> int:
        """The number of values the region yields."""
        return self.carried + int(self.until) + self.traces

    @property
    def results(self) -> int:
        """The number of results of the loop op."""
        return self.carried + 2 + self.traces


def loop_layout(op: Op) -> LoopLayout:
    """The layout of a `loop` op, read from its operand count and attributes."""
    return LoopLayout(
        carried=len(op.operands) - 2,
        until=bool(op.attrs.get("until")),
        traces=len(op.attrs.get("trace_dtypes", ())),
    )
