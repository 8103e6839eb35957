"""What the two GPU schedule planners share (`matrix_kernels._Plan` for Muon/Adafactor steps,
`solver_kernels._SolverPlan` for solvers): scratch buffers for intermediate tensors, and reading a
transposed operand from its source's buffer instead of materializing the transpose."""

from __future__ import annotations

from optc.ir.core import Value


class ScratchPlan:
    """A mixin: the planner has `slots` (value -> buffer), `scratch` (the buffers' dtypes and
    shapes), `defs` (value -> op) and `_launch(kind, details, shape, slots=…)`, its kernel maker."""

    def _untransposed(self, v: Value) -> Value:
        """What an operand is a transpose of (itself if it is none): kernels read it from a
        buffer, at transposed indices, rather than recompute it per use."""
        while v not in self.slots and self.defs[v].opcode == "transpose":
            v = self.defs[v].operands[0]
        return v

    def _new_scratch(self, v: Value) -> tuple:
        self.scratch.append((v.type.dtype, v.type.shape))
        self.slots[v] = ("scratch", len(self.scratch) - 1)
        return self.slots[v]

    def materialize(self, v: Value):
        """A kernel writing `v` into a new scratch buffer."""
        before = dict(self.slots)  # the kernel computes v: it must not read v's own buffer
        return self._launch("map", ((v, self._new_scratch(v)),), v.type.shape, slots=before)
