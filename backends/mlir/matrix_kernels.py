"""Optimizer steps that are not elementwise (Muon, Adafactor) as a host schedule of GPU kernels.

A step over fixed-rank tensors (real[m, n], real[m, 1]...) becomes one kernel per op that an
elementwise loop cannot fuse, launched in program order by `launch.run_schedule`:

    matmul A[p, r] @ B[r, q]        one thread per output element, a loop over r
    reduce_sum/max/min, axis=0|1    one thread per output element, a loop over the reduced axis
    full reduction (norm, mean)     each thread accumulates its elements, one atomic per thread
                                    into a `%partials` slot, read by the kernels after it
    a loop (Newton-Schulz)          run by the host; its body's kernels launched per iteration,
                                    the carried tensor ping-ponging between two scratch buffers
    the step's results              one kernel per result shape, writing the parameter and the
                                    states in place, last

Elementwise ops, `transpose`, `outer` and constant `full`s are fused: a kernel computes element j
of such a value inline from the elements of its operands (at j, or at the transposed or outer
index), down to buffers: the step's parameters and the scratch buffers (allocated once per
shape) that hold what earlier kernels materialized, namely matmul and axis-reduction results,
matmul operands that are not plain buffers, and loop results. Scalars are computed by every
thread before its loop, from the scalar parameters, the dimensions, the loop counter and the
`%partials` of earlier reductions. Earlier kernels write only scratch buffers and the final ones
read the tensors they update only at the element they write, so updating in place is safe (the
emitter checks this rather than assume it).

The kernels' text is `kernel_text.py`'s. They use no shared memory and no barriers, so
`emulate.py` runs them faithfully on the CPU. Matmuls use one thread per output element (no
tiling): correct everywhere, not fast.
"""

from __future__ import annotations

from optc.backends.mlir.branches import Pruning
from optc.backends.mlir.emit import ModuleEmitter, UnsupportedOp, symbol
from optc.backends.mlir.kernel_text import INLINE, KernelEmitter, check_broadcast, read_operands
from optc.backends.mlir.kernels import REDUCTIONS, Kernel, gpu_module_text, step_targets
from optc.backends.mlir.launch import GPUStep, Launch, Loop
from optc.backends.mlir.plans import ScratchPlan
from optc.ir.core import Function, Module, Op, Value
from optc.ir.ops import OPS


def emit_matrix_module(module: Module, step: Function, path=None) -> GPUStep:
    """The `gpu.module` and host schedule of a step over fixed-rank tensors, or UnsupportedOp."""
    plan = _Plan(module, step, path)
    schedule = tuple(plan.walk(step.body.ops))
    schedule += tuple(plan.finals())
    signature = tuple(plan.signature())
    bodies = [KernelEmitter(plan, signature, *spec).generate() for spec in plan.specs]
    text = gpu_module_text(bodies)
    kernels = tuple(
        Kernel(spec[0], (spec[2][1],) if spec[1] == "reduce" else ()) for spec in plan.specs
    )
    return GPUStep(
        text + "\n",
        step,
        kernels,
        tuple(plan.identities),
        signature,
        schedule,
        tuple(plan.scratch),
        plan.dims,
        Pruning(step, plan.defs, {spec[0]: _written(spec) for spec in plan.specs}),
    )


def _written(spec: tuple) -> Value | None:
    """The value a kernel computes, or None for the final updates (always launched)."""
    _, kind, details, *_ = spec
    if kind == "map":
        return details[0][0]
    return None if kind == "update" else details[0].results[0]


class _Plan(ScratchPlan):
    """Walks a step: which values live in buffers (`slots`), the kernels (`specs`: name, kind,
    details, shape) and the schedule."""

    def __init__(self, module: Module, step: Function, path):
        self.module = ModuleEmitter(module, "gpu", path)
        self.step = step
        self.base = symbol(step.name)
        self.slots: dict[Value, tuple] = {}
        self.partial: dict[Value, int] = {}
        self.identities: list[float] = []
        self.scratch: list[tuple[str, tuple]] = []
        self.loops = 0
        self.carries: list[str] = []  # the dtype of each carried tensor
        self.specs: list[tuple] = []
        self.defs: dict[Value, Op] = {}
        self.dims: dict[str, tuple[int, int]] = {}
        if any(v.type.dtype == "bool" for v in step.params if not v.type.is_scalar):
            raise UnsupportedOp(f"`{step.name}` has boolean tensors, which kernels do not store")
        for i, v in enumerate(step.params):
            if v.type.is_scalar:
                continue
            self.slots[v] = ("param", i)
            for axis, d in enumerate(v.type.shape):
                if isinstance(d, str):
                    self.dims.setdefault(d, (i, axis))

    def signature(self) -> list[tuple]:
        """The slots every kernel of the step takes, in order (see `launch.py`)."""
        return [
            *(("param", i) for i in range(len(self.step.params))),
            *(("dim", d) for d in self.dims),
            *(("loop", j) for j in range(self.loops)),
            *(("scratch", j) for j in range(len(self.scratch))),
            *(("carry", j) for j in range(len(self.carries))),
        ]

    # ---------------------------------------------------------------- the walk

    def walk(self, ops) -> list:
        """The schedule of `ops` (the step's body or a loop's)."""
        items: list = []
        for op in ops:
            for r in op.results:
                self.defs[r] = op
                self._check_shape(r, op)
            if op.opcode == "loop":
                items += self._loop(op)
                continue
            r = op.results[0]
            category = OPS[op.opcode].category if op.opcode in OPS else ""
            if r.type.is_scalar and op.opcode not in REDUCTIONS:
                if not (category == "elementwise" or op.opcode in ("const", "dimsize", "numel")):
                    raise UnsupportedOp(f"`{op.opcode}` has no GPU kernel", op.loc)
                continue
            if op.opcode in REDUCTIONS and op.attrs.get("axis") is None:
                self.partial[r] = len(self.identities)
                self.identities.append(REDUCTIONS[op.opcode][1])
                shape = op.operands[0].type.shape
                items.append(
                    self._kernel("reduce", (op, self.partial[r]), shape, (self.partial[r],))
                )
            elif op.opcode in REDUCTIONS:
                if len(op.operands[0].type.shape) != 2 or op.attrs.get("keepdims"):
                    raise UnsupportedOp("kernels reduce matrices along one axis only", op.loc)
                items.append(self._kernel("axis", (op, self._new_scratch(r)), r.type.shape))
            elif op.opcode == "matmul":
                if any(len(v.type.shape) != 2 for v in op.operands) or r.type.dtype not in (
                    "f32",
                    "f64",
                ):
                    raise UnsupportedOp("kernels multiply real matrices only (no vectors)", op.loc)
                for v in op.operands:
                    base = self._untransposed(v)
                    if base not in self.slots:
                        items.append(self.materialize(base))
                items.append(self._kernel("matmul", (op, self._new_scratch(r)), r.type.shape))
            elif category == "elementwise":
                check_broadcast(op)
            elif op.opcode == "full" and op.operands[0].type.dtype != r.type.dtype:
                raise UnsupportedOp(
                    "`full` fills with a value of its own dtype in a kernel", op.loc
                )
            elif op.opcode in ("transpose", "outer") and len(r.type.shape) != 2:
                raise UnsupportedOp(f"`{op.opcode}` makes matrices only in a kernel", op.loc)
            elif op.opcode not in INLINE:
                raise UnsupportedOp(f"`{op.opcode}` has no GPU kernel", op.loc)
        return items

    def _check_shape(self, v: Value, op: Op) -> None:
        if not v.type.is_scalar and v.type.shape is None:
            raise UnsupportedOp("kernels of matrix steps need tensors of fixed rank", op.loc)
        for d in () if v.type.is_scalar else v.type.shape:
            if isinstance(d, str) and d not in self.dims:
                raise UnsupportedOp(f"the dimension `{d}` is not a parameter's", op.loc)

    def _kernel(self, kind: str, details, shape: tuple, resets: tuple = (), slots=None) -> Launch:
        """A kernel reading the buffers materialized so far (`slots`)."""
        name = f"{self.base}_{len(self.specs)}_{kind}"
        slots = dict(self.slots) if slots is None else slots
        self.specs.append((name, kind, details, shape, slots, dict(self.defs)))
        return Launch(name, shape, resets)

    _launch = _kernel

    def _loop(self, op: Op) -> list:
        """A loop run by the host (after kernels materializing its initial values): counted,
        each carried tensor read from its carry slot and written to a scratch buffer that
        ping-pongs with a second one (`alt`)."""
        if op.attrs.get("until"):
            raise UnsupportedOp("a loop with a convergence test has no GPU schedule", op.loc)
        start, stop, *inits = op.operands
        body = op.regions[0]
        counter, *args = body.args
        if any(v in self._uses() for v in op.results[len(args) :]) or any(
            v.type.is_scalar for v in inits
        ):
            raise UnsupportedOp("a GPU loop carries tensors only (no counters or flags)", op.loc)
        bounds = (self._host(start, op), self._host(stop, op))
        items = [self.materialize(v) for v in inits if v not in self.slots]
        index, self.loops = self.loops, self.loops + 1
        self.slots[counter] = ("loop", index)
        for arg in args:
            self.slots[arg] = ("carry", len(self.carries))
            self.carries.append(arg.type.dtype)
        body_items = self.walk(body.ops)
        carried = []
        for arg, init, out in zip(args, inits, body.results):
            if out not in self.slots:
                body_items.append(self.materialize(out))
            if self.slots[out][0] != "scratch":
                raise UnsupportedOp("a GPU loop must compute its carried tensors", op.loc)
            self.scratch.append((out.type.dtype, out.type.shape))
            carried.append(
                (self.slots[arg], self.slots[init], self.slots[out], len(self.scratch) - 1)
            )
        for arg, result in zip(args, op.results):
            self.slots[result] = self.slots[arg]
        return [*items, Loop(index, *bounds, tuple(carried), tuple(body_items))]

    def _host(self, v: Value, loop: Op) -> tuple:
        """A loop bound the host knows: a constant, a scalar parameter or a dimension."""
        if v in self.step.params:
            return ("param", self.step.params.index(v))
        op = self.defs.get(v)
        if op is not None and op.opcode == "const":
            return ("const", op.attrs["value"])
        if op is not None and op.opcode == "dimsize":
            d = op.operands[0].type.shape[op.attrs["axis"]]
            return ("dim", d) if isinstance(d, str) else ("const", d)
        raise UnsupportedOp(
            "a GPU loop's bounds must be constants, parameters or dimensions", loop.loc
        )

    def _uses(self) -> set[Value]:
        used = set(self.step.results)
        stack = [self.step.body]
        while stack:
            block = stack.pop()
            used.update(block.results)
            for op in block.ops:
                used.update(op.operands)
                stack.extend(op.regions)
        return used

    # ---------------------------------------------------------------- the final kernels

    def finals(self) -> list[Launch]:
        """One kernel per result shape writing the parameter and states in place; UnsupportedOp
        where a kernel would read a tensor that it or an earlier final kernel overwrites."""
        groups: dict[tuple, list] = {}
        for value, target in zip(self.step.results, step_targets(self.step)):
            if value is target:
                continue
            if value.type.is_scalar:
                raise UnsupportedOp(
                    f"`{self.step.name}` updates a scalar state, which matrix kernels do not"
                )
            groups.setdefault(value.type.shape, []).append((value, self.slots[target]))
        written: set = set()
        items = []
        for shape, pairs in groups.items():
            mine = {slot for _, slot in pairs}
            reads: set = set()
            for value, _ in pairs:
                self._reads(value, True, reads)
            if any(s in written or (s in mine and not same) for s, same in reads):
                raise UnsupportedOp(
                    f"`{self.step.name}` reads a tensor it updates at another element; "
                    "kernels update in place"
                )
            written |= mine
            items.append(self._kernel("update", tuple(pairs), shape))
        return items

    def _reads(self, v: Value, same: bool, out: set) -> None:
        """The buffers that element j of `v` reads, each with whether only at element j."""
        if v.type.is_scalar:
            return
        if v in self.slots:
            out.add((self.slots[v], same))
            return
        op = self.defs[v]
        for operand in read_operands(op):
            moved = op.opcode in ("transpose", "outer") or operand.type.shape != v.type.shape
            self._reads(operand, same and not moved, out)
