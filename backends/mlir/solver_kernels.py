"""A solver on the GPU: its loops and scalar arithmetic on the host, its vector work as kernels.

    solver cg(A: real[n, n], b: real[n], ...)          host                 device
      b_norm = norm(b)                                                    reduce kernel -> partial
      for k in 0..max_iter until sqrt(rs') <= ... {    loop, until, traces
        Ap = A @ p                                                        matvec kernel -> scratch
        alpha = where(rs > 0, rs / dot(p, Ap), 0)      alpha (NumPy rules)  dot kernel -> partial
        x' = x + alpha * p                                                map kernel (ping-pong)
        ...

The kernels are `kernel_text.py`'s (elementwise ops, transpose, outer, eye, fills, rows,
columns and indexed updates fused inline; matmul, matvec, vecmat and axis reductions one thread
per output element; full reductions and dots through atomics). What differs from an optimizer
step is the scalars: a solver's scalars are computed on the host with the NumPy backend's rules
(the spec), after reading each reduction back (one small device-to-host copy per reduction),
and each kernel takes the scalars it uses as arguments. Loops run on the host with the NumPy
interpreter's semantics (counted, `until` tested after each iteration, traces, iterations,
converged); a carried tensor that the body computes ping-pongs between two scratch buffers, and
an inner loop's result is copied out of the inner loop's buffers.

A logsumexp along an axis is one kernel; over all elements it is two reductions with the shift
computed on the host in between; a full argmax/argmin is a max (min) reduction, then an atomic
min of the indices holding it; integer sums accumulate in a one-element i64 buffer. `x[i]` is
read to the host; an index's bounds are checked on the host with NumPy's rule and message.
Indexed updates copy the tensor (inline, in the kernel that materializes the carried value):
coordinate descent is O(n) per coordinate here, not O(1). Random tensors (`random`,
`random_like`) are computed inline: element j of the stream is drawn by the thread that needs
element j (`philox.py`); a random scalar is drawn on the host with the NumPy rule.

`solve` and `random_subset` are host steps (`HostTensor`): their operands are copied to the host,
the NumPy rule computes the result (the same LAPACK getrf/getrs, the same sequential shuffle)
and it is copied to a device buffer. That costs a device-to-host copy of the operands (n^2
elements for a solve) and a host-to-device copy of the result per call, and synchronizes; for
Newton's method, whose Hessian is built by an O(m n^2) matmul kernel, the copy is O(n^2).

A dimension that no input has (`g[lo:min(lo + bs, n)]`, `eye(hi - lo)`) is evaluated on the host
(`HostDim`) where the op defining it runs, before the kernels that use it, and passed to them
like an input's; the scratch buffers of such a value are allocated once, sized by the length of
the axis it slices (0 <= lo <= hi <= n is checked first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from optc.backends.mlir.emit import ModuleEmitter, UnsupportedOp, symbol
from optc.backends.mlir.kernel_text import (
    INLINE,
    RANDOM,
    ROOTS,
    KernelEmitter,
    check_broadcast,
    read_operands,
    scalar_roots,
)
from optc.backends.mlir.kernels import REDUCTIONS, Kernel, gpu_module_text
from optc.backends.mlir.launch import numel
from optc.backends.mlir.plans import ScratchPlan
from optc.ir.core import Function, Module, Op, Value
from optc.ir.ops import OPS, slice_dim
from optc.ir.types import NUMPY_NAMES, TensorType

from optc.errors import OptcError

HOST_OPS = ("const", "dimsize", "numel", *RANDOM)  # a random scalar: the NumPy rule
INT_REDUCTIONS = {
    "reduce_sum": ("addi", 0),
    "reduce_max": ("maxs", -(2**63)),
    "reduce_min": ("mins", 2**63 - 1),
}
ARG_REDUCTIONS = {"argmax": "reduce_max", "argmin": "reduce_min"}
DEVICE_SCALARS = (
    *REDUCTIONS,
    *ARG_REDUCTIONS,
    "dot",
    "logsumexp",
    "index",
)  # read back from kernels  # with the elementwise ops, on scalars: run on the host
PRODUCTS = ("matmul", "matvec", "vecmat")
HOST_TENSOR_OPS = ("solve", "random_subset")  # sequential: run on the host (`HostTensor`)
SIZED = {"eye": 0, "full": 1, "random": 2, "random_subset": 3}  # op -> its first size operand


@dataclass(frozen=True)
class KernelCall:
    """A launch over numel(shape) elements with the kernel's own arguments (`signature`); the
    partial slots `resets` are set first and `reads` (slot, value) read back after. An integer
    reduction accumulates in a one-element scratch buffer `counter` instead: (scratch index,
    identity, value)."""

    kernel: str
    shape: tuple
    signature: tuple
    resets: tuple[int, ...] = ()
    reads: tuple[tuple[int, Value], ...] = ()
    counter: tuple | None = None


@dataclass(frozen=True)
class HostOp:
    """A scalar op evaluated on the host."""

    op: Op


@dataclass(frozen=True)
class HostCompute:
    """`output = fn(*inputs)` on the host, for values with no IR op (logsumexp's shift)."""

    fn: object
    inputs: tuple[Value, ...]
    output: Value


@dataclass(frozen=True)
class HostTensor:
    """A tensor op run on the host with the NumPy rule, as the NumPy backend runs it (`solve`:
    LAPACK's getrf and getrs; `random_subset`: the sequential shuffle): its tensor operands
    (`slots`, None for a scalar) copied to the host, the result copied to the device buffer
    `out`. Each run costs a device-to-host copy of the operands (an n x n matrix for `solve`)
    and a host-to-device copy of the result, and synchronizes."""

    op: Op
    slots: tuple
    out: tuple


@dataclass(frozen=True)
class HostDim:
    """A dimension that no input has, evaluated on the host before the kernels that use it:
    `hi - lo` of a slice (`g[lo:hi]`), or `hi` alone of a size operand (`eye(hi - lo)`'s `hi`,
    with `lo` None). A negative size fails as the NumPy rule of `op` does."""

    name: str
    lo: Value | None
    hi: Value
    op: Op


@dataclass(frozen=True)
class HostIndex:
    """An element of a device tensor read to the host (`x[i]`, `A[i, j]`), or, with `slot`
    None, only the bounds of an index that a kernel applies checked on the host."""

    op: Op
    slot: tuple | None


@dataclass(frozen=True)
class HostLoop:
    """A loop run on the host; each carried tensor is (carry slot, initial slot, out slot, alt
    scratch, or None when the body does not compute it: then no ping-pong)."""

    op: Op
    body: tuple
    carried: tuple


@dataclass(frozen=True)
class SolverSchedule:
    """The kernels of a solver (`text`, a gpu.module) and the host program that runs them."""

    text: str
    fn: Function
    kernels: tuple[Kernel, ...]
    items: tuple
    scratch: tuple[tuple[str, tuple], ...]  # dynamic dimensions replaced by their bounds
    dims: dict  # name -> (parameter, axis), (parameter, None) for a size, None for a HostDim
    partial_identities: tuple[float, ...]
    results: dict  # result value -> slot, for the tensors the solver returns


def emit_solver_module(module: Module, path=None) -> SolverSchedule:
    """The GPU schedule of a solver, or UnsupportedOp naming what has no kernel."""
    fn = module.functions[module.attrs["entry"]]
    plan = _SolverPlan(module, fn, path)
    items = plan.walk(fn.body.ops)
    for v in fn.body.results:
        if not v.type.is_scalar and v not in plan.slots and v not in plan.traces:
            items.append(plan.materialize(v))
    calls = [i for i in _flatten(items) if isinstance(i, KernelCall)]
    specs = {spec[0]: spec for spec in plan.specs}
    bodies = [KernelEmitter(plan, call.signature, *specs[call.kernel]).generate() for call in calls]
    text = gpu_module_text(bodies)
    kernels = tuple(Kernel(call.kernel, call.resets) for call in calls)
    results = {v: plan.slots[v] for v in fn.body.results if v in plan.slots}
    return SolverSchedule(
        text + "\n",
        fn,
        kernels,
        tuple(items),
        tuple((dtype, tuple(plan.bound(d) for d in shape)) for dtype, shape in plan.scratch),
        plan.dims,
        tuple(plan.identities),
        results,
    )


def _flatten(items):
    for item in items:
        if isinstance(item, HostLoop):
            yield from _flatten(item.body)
        else:
            yield item


class _SolverPlan(ScratchPlan):
    """Walks a solver: buffers (`slots`), kernels (`specs`, in the order of their calls)."""

    def __init__(self, module: Module, fn: Function, path):
        self.module = ModuleEmitter(module, "gpu", path)
        self.step = fn  # the name KernelEmitter reads the parameters under
        self.base = symbol(fn.name)
        self.slots: dict[Value, tuple] = {}
        self.partial: dict[Value, int] = {}
        self.identities: list[float] = []
        self.scratch: list[tuple[str, tuple]] = []
        self.carries: list[str] = []
        self.traces: set[Value] = set()  # the loops' trace arrays, collected on the host
        self.specs: list[tuple] = []
        self.defs: dict[Value, Op] = {}
        self.dims: dict[str, tuple | None] = {}
        self.bounds: dict[str, object] = {}  # dynamic dimension -> the axis length it slices
        for i, v in enumerate(fn.params):
            if v.type.is_scalar:
                continue
            self.slots[v] = ("param", i)
            for axis, d in enumerate(v.type.shape):
                if isinstance(d, str):
                    self.dims.setdefault(d, (i, axis))
        self.sizes = {  # sizes given as inputs (L-BFGS's `mem`)
            v.hint: i for i, v in enumerate(fn.params) if v.type.is_scalar and v.type.dtype == "i64"
        }

    def walk(self, ops) -> list:
        """The host program of `ops`: host ops, kernel calls and loops, in program order."""
        items: list = []
        for op in ops:
            dynamic = self._host_dims(op)
            for k, r in enumerate(op.results):
                self.defs[r] = op
                if op.opcode == "loop" and k >= len(op.attrs["carried"]):
                    self.traces.add(r)  # iterations, converged and traces stay on the host
                    continue
                for d in () if r.type.is_scalar else r.type.shape:
                    if isinstance(d, str) and d not in self.dims:
                        if d not in self.sizes:
                            raise UnsupportedOp(f"the dimension `{d}` is not an input's", op.loc)
                        self.dims[d] = (self.sizes[d], None)
            category = OPS[op.opcode].category if op.opcode in OPS else ""
            if not op.results:  # a `require`: its condition is a host scalar
                items.append(HostOp(op))
                continue
            items += self._op(op, category)
            items += dynamic  # after an index's bounds check
        return items

    def _op(self, op: Op, category: str) -> list:
        """The host program of one op (not a `require`)."""
        items: list = []
        r = op.results[0]
        if op.opcode == "loop":
            items += self._loop(op)
        elif r.type.is_scalar and op.opcode not in DEVICE_SCALARS:
            if op.opcode not in HOST_OPS and not (
                category == "elementwise" and all(v.type.is_scalar for v in op.operands)
            ):
                raise UnsupportedOp(f"`{op.opcode}` has no GPU schedule", op.loc)
            items.append(HostOp(op))
        elif op.opcode in ("index", "setindex"):
            items += self._index(op)
        elif op.opcode in ("argmax", "argmin"):
            items += self._arg(op)
        elif op.opcode in REDUCTIONS and r.type.dtype == "i64" and op.attrs.get("axis") is None:
            counter = self._counter(r, INT_REDUCTIONS[op.opcode][1])
            shape = op.operands[0].type.shape
            items.append(self._call("ireduce", (op, counter[0]), shape, counter=counter))
        elif op.opcode in ("dot", "logsumexp", *REDUCTIONS) and r.type.dtype not in (
            "f32",
            "f64",
        ):
            raise UnsupportedOp(f"`{op.opcode}` of {r.type.dtype} has no GPU kernel", op.loc)
        elif op.opcode == "dot" or (op.opcode in REDUCTIONS and op.attrs.get("axis") is None):
            slot = len(self.identities)
            self.partial[r] = slot
            self.identities.append(0.0 if op.opcode == "dot" else REDUCTIONS[op.opcode][1])
            kind = "dot" if op.opcode == "dot" else "reduce"
            shape = op.operands[0].type.shape
            items.append(self._call(kind, (op, slot), shape, (slot,), ((slot, r),)))
        elif op.opcode == "logsumexp" and op.attrs.get("axis") is None:
            items += self._logsumexp(op)
        elif op.opcode in (*REDUCTIONS, "logsumexp"):
            if len(op.operands[0].type.shape) != 2 or op.attrs.get("keepdims"):
                raise UnsupportedOp("kernels reduce matrices along one axis only", op.loc)
            kind = "lse_axis" if op.opcode == "logsumexp" else "axis"
            items.append(self._call(kind, (op, self._new_scratch(r)), r.type.shape))
        elif op.opcode in HOST_TENSOR_OPS:
            items += self._host_tensor(op)
        elif op.opcode in PRODUCTS:
            if r.type.dtype not in ("f32", "f64"):
                raise UnsupportedOp("kernels multiply real matrices only", op.loc)
            for v in op.operands:
                base = self._untransposed(v)
                if base not in self.slots:
                    items.append(self.materialize(base))
            items.append(self._call(op.opcode, (op, self._new_scratch(r)), r.type.shape))
        elif category == "elementwise":
            check_broadcast(op)
        elif op.opcode not in (*INLINE, *RANDOM, "full_like", "eye"):
            raise UnsupportedOp(f"`{op.opcode}` has no GPU kernel", op.loc)
        elif op.opcode in ("transpose", "outer", "eye") and len(r.type.shape) != 2:
            raise UnsupportedOp(f"`{op.opcode}` makes matrices only in a kernel", op.loc)
        elif op.opcode in ("full", "full_like"):
            fill = op.operands[0 if op.opcode == "full" else 1]
            if fill.type.dtype != r.type.dtype:
                raise UnsupportedOp("a fill value of another dtype has no GPU kernel", op.loc)
        return items

    def _host_dims(self, op: Op) -> list:
        """HostDim items for the dimensions that an op defines from host scalars and no input
        has: the lengths of its slices, the sizes of `eye`, `full`, `random`, `random_subset`."""
        found = []  # (name, lo, hi, the length of the sliced axis)
        if op.opcode in ("index", "setindex"):
            x = op.operands[0]
            scalars = iter(op.operands[2 if op.opcode == "setindex" else 1 :])
            bounds = iter(op.attrs.get("bounds", ()))
            for axis, c in enumerate(op.attrs["spec"]):
                if c == "i":
                    next(scalars)
                elif c == "s":
                    lo, hi = next(scalars), next(scalars)
                    name = slice_dim(x.type.shape[axis], *next(bounds, (None, None)))
                    found.append((name, lo, hi, x.type.shape[axis]))
        elif op.opcode in SIZED:
            sizes = op.operands[SIZED[op.opcode] :]
            found = [(d, None, v, None) for d, v in zip(op.results[0].type.shape, sizes)]
        items = []
        for name, lo, hi, bound in found:
            if not isinstance(name, str) or name in self.sizes:
                continue
            if self.dims.get(name, None) is not None:  # an input's
                continue
            if name == "?":
                raise UnsupportedOp("a slice of unnamed length has no GPU schedule", op.loc)
            self.dims[name] = None
            if bound is not None:
                self.bounds.setdefault(name, bound)
            items.append(HostDim(name, lo, hi, op))
        return items

    def bound(self, d):
        """An upper bound of dimension d that the host knows before the run (to allocate
        scratch): d itself when it is an input's, else the length of the axis it slices."""
        seen = set()
        while isinstance(d, str) and self.dims.get(d) is None and d not in seen:
            seen.add(d)
            if d not in self.bounds:
                raise UnsupportedOp(
                    f"the dimension `{d}` is not an input's nor a slice's", self.step.loc
                )
            d = self.bounds[d]
        return d

    def _index(self, op: Op) -> list:
        """`x[i]` (`A[i, j]`) read to the host; a row or column (`A[i, :]`), slices
        (`g[lo:hi]`, `G[lo:hi, lo:hi]`, `A[:, lo:hi]`) and indexed updates computed inline by
        the kernels that use them, their bounds checked first."""
        spec, x, r = op.attrs["spec"], op.operands[0], op.results[0]
        rank = len(x.type.shape)
        inline = {
            "index": ("i:", ":i", "s", "ss", "s:", ":s"),
            "setindex": ("i", "ii", "i:", ":i", "s"),
        }[op.opcode]
        if r.type.is_scalar and op.opcode == "index" and spec == "i" * rank and rank <= 2:
            items = [] if x in self.slots else [self.materialize(x)]
            return [*items, HostIndex(op, self.slots[x])]
        if spec not in inline or len(spec) != rank:
            raise UnsupportedOp(f"`{op.opcode}` with spec `{spec}` has no GPU kernel", op.loc)
        return [HostIndex(op, None)]

    def _counter(self, value: Value, identity: int) -> tuple:
        """A one-element i64 scratch buffer accumulating `value` (reset to `identity` first)."""
        self.scratch.append(("i64", (1,)))
        return (len(self.scratch) - 1, identity, value)

    def _arg(self, op: Op) -> list:
        """argmax/argmin: along an axis one thread per output element; over all elements a
        max (min) reduction, then the least index holding it (NaN first, as NumPy) by an atomic
        min into a counter."""
        r, x = op.results[0], op.operands[0]
        if x.type.dtype not in ("f32", "f64"):
            raise UnsupportedOp(f"`{op.opcode}` of integers has no GPU kernel", op.loc)
        if op.attrs.get("axis") is not None:
            if len(x.type.shape) != 2:
                raise UnsupportedOp("kernels reduce matrices along one axis only", op.loc)
            return [self._call("arg_axis", (op, self._new_scratch(r)), r.type.shape)]
        best = Value(TensorType(x.type.dtype, ()), "best")
        slot = len(self.identities)
        self.identities.append(REDUCTIONS[ARG_REDUCTIONS[op.opcode]][1])
        counter = self._counter(r, np.iinfo(np.int64).max)
        return [
            self._call("reduce", (op, slot), x.type.shape, (slot,), ((slot, best),)),
            self._call("arg_pick", (op, counter[0], best), x.type.shape, counter=counter),
        ]

    def _logsumexp(self, op: Op) -> list:
        """A full logsumexp in two passes: a max reduction, the shift on the host (the max, or 0
        where it is not finite), a sum of exp(x - shift), then log(sum) + shift on the host."""
        r = op.results[0]
        scalar = r.type
        m, shift, total = Value(scalar, "max"), Value(scalar, "shift"), Value(scalar, "total")
        first, second = len(self.identities), len(self.identities) + 1
        self.identities += [float("-inf"), 0.0]
        shape = op.operands[0].type.shape
        return [
            self._call("reduce", (op, first), shape, (first,), ((first, m),)),
            HostCompute(lambda x: x if np.isfinite(x) else x.dtype.type(0), (m,), shift),
            self._call("lse_sum", (op, second, shift), shape, (second,), ((second, total),)),
            HostCompute(lambda s, c: s.dtype.type(np.log(s) + c), (total, shift), r),
        ]

    def _host_tensor(self, op: Op) -> list:
        """Kernels materializing the op's tensor operands, then the op on the host."""
        tensors = [v for v in op.operands if not v.type.is_scalar]
        items = [self.materialize(v) for v in dict.fromkeys(tensors) if v not in self.slots]
        slots = tuple(None if v.type.is_scalar else self.slots[v] for v in op.operands)
        return [*items, HostTensor(op, slots, self._new_scratch(op.results[0]))]

    def _call(
        self, kind, details, shape, resets=(), reads=(), slots=None, counter=None
    ) -> KernelCall:
        """A kernel reading the buffers made so far; its arguments: the dimensions, the buffers
        it reads or writes, then the host scalars it uses."""
        name = f"{self.base}_{len(self.specs)}_{kind}"
        slots = dict(self.slots) if slots is None else slots
        defs = dict(self.defs)
        self.specs.append((name, kind, details, shape, slots, defs))
        buffers: dict[tuple, None] = {}
        stack = list(ROOTS[kind](details))
        seen: set[Value] = set()
        while stack:
            v = stack.pop()
            if v in seen or v.type.is_scalar:
                continue
            seen.add(v)
            if v in slots:
                buffers[slots[v]] = None
            else:
                stack.extend(read_operands(defs[v]))
        if kind == "map":
            written = [slot for _, slot in details]
        elif counter is not None:
            written = [("scratch", counter[0])]
        else:
            written = [details[1]] if kind in ("axis", "lse_axis", "arg_axis", *PRODUCTS) else []
        buffers.update(dict.fromkeys(written))
        hosts = [("host", v) for v in scalar_roots(kind, details, slots, defs)]
        signature = (*(("dim", d) for d in self.dims), *sorted(buffers, key=str), *hosts)
        return KernelCall(name, shape, signature, resets, reads, counter)

    _launch = _call

    def _loop(self, op: Op) -> list:
        """A loop run by the host (after kernels materializing its initial tensors); its
        bounds, counter and carried scalars are host values."""
        inits = op.operands[2:]
        body = op.regions[0]
        args = body.args[1:]
        items = [self.materialize(v) for v in inits if not v.type.is_scalar and v not in self.slots]
        for arg in args:
            if not arg.type.is_scalar:
                self.slots[arg] = ("carry", len(self.carries))
                self.carries.append(arg.type.dtype)
        made = len(self.scratch)
        body_items = self.walk(body.ops)
        carried = []
        for arg, init, out in zip(args, inits, body.results):
            if arg.type.is_scalar:
                continue
            if out not in self.slots or (self.slots[out][0] == "carry" and out is not arg):
                # an inner loop's result is copied: its buffers ping-pong inside the inner loop,
                # where they must not hold this loop's carried value
                body_items.append(self.materialize(out))
            slot = self.slots[out]
            inside = slot[0] == "scratch" and slot[1] >= made  # computed by the body: ping-pong
            alt = None
            if inside:
                self.scratch.append(self.scratch[slot[1]])
                alt = len(self.scratch) - 1
            carried.append((self.slots[arg], self.slots[init], slot, alt))
        for arg, result in zip(args, op.results):
            if not arg.type.is_scalar:
                self.slots[result] = self.slots[arg]
        return [*items, HostLoop(op, tuple(body_items), tuple(carried))]


def run_solver(schedule: SolverSchedule, device, args: list, progress=None) -> list:
    """Run a solver on `device` (`cuda.CupyDevice`, or `emulate.EmulatedDevice` on the CPU):
    `args` as the solver function's parameters, tensors as contiguous device arrays. Returns
    its results as the NumPy interpreter does, tensors as device arrays."""
    from optc.backends.numpy.rules import RULES, run_time_error
    from optc.backends.numpy.rules import check_bounds

    fn = schedule.fn
    dims = {}
    for name, spec in schedule.dims.items():  # a HostDim's dimension: 0 until evaluated
        if spec is None:
            dims[name] = 0
        else:
            p, axis = spec
            dims[name] = int(args[p] if axis is None else args[p].shape[axis])
    env: dict[Value, object] = {}
    allocated = device.scratch(schedule.scratch, dims)
    binding: dict = {("scratch", j): a for j, a in enumerate(allocated)}
    for i, (v, a) in enumerate(zip(fn.params, args)):
        if v.type.is_scalar:
            env[v] = np.dtype(NUMPY_NAMES[v.type.dtype]).type(a)
        else:
            binding[("param", i)] = device.flat(a)
    dtype = np.dtype(NUMPY_NAMES[next(v.type.dtype for v in fn.params if not v.type.is_scalar)])
    partials = (
        device.array(np.array(schedule.partial_identities, dtype))
        if schedule.partial_identities
        else None
    )

    def call(item: KernelCall) -> None:
        for r in item.resets:
            device.set(partials, r, schedule.partial_identities[r])
        if item.counter is not None:
            device.set(allocated[item.counter[0]], 0, item.counter[1])
        values = []
        for kind, what in item.signature:
            if kind == "dim":
                values.append(np.int64(dims[what]))
            elif kind == "host":
                values.append(np.dtype(NUMPY_NAMES[what.type.dtype]).type(env[what]))
            else:
                values.append(binding[(kind, what)])
        if partials is not None:
            values.append(partials)
        device.launch(item.kernel, numel(item.shape, dims), values)
        for r, v in item.reads:
            env[v] = np.dtype(NUMPY_NAMES[v.type.dtype]).type(device.read(partials, r))
        if item.counter is not None:
            env[item.counter[2]] = np.int64(device.read(allocated[item.counter[0]], 0))

    def host(op: Op) -> None:
        if op.opcode == "dimsize":
            d = op.operands[0].type.shape[op.attrs["axis"]]
            env[op.results[0]] = np.int64(dims[d] if isinstance(d, str) else d)
        elif op.opcode == "numel":
            env[op.results[0]] = np.int64(numel(op.operands[0].type.shape, dims))
        else:  # the NumPy rule, failing as the NumPy backend does (a `require`, an int power, ...)
            try:
                value = RULES[op.opcode](op, *[env[v] for v in op.operands])
            except (IndexError, ValueError, np.linalg.LinAlgError, OverflowError) as err:
                raise run_time_error(op, str(err)) from None
            if op.results:
                env[op.results[0]] = value

    def loop(item: HostLoop, outermost: bool) -> None:
        """The NumPy interpreter's loop semantics, with the carried tensors in buffers."""
        op = item.op
        lo, hi, *inits = op.operands
        body = op.regions[0]
        counter, *carried = body.args
        n = len(carried)
        until = op.attrs.get("until", False)
        names = op.attrs.get("trace_names", ())
        traces: list[list] = [[] for _ in op.attrs.get("trace_dtypes", ())]
        scalars = {a: env[v] for a, v in zip(carried, inits) if a.type.is_scalar}
        spare = {}
        for carry, init, out, alt in item.carried:
            binding[carry] = binding[init]
            if alt is not None:  # the body writes the buffer of the pair that init is not in
                pair = (allocated[out[1]], allocated[alt])
                first = 1 if binding[init] is pair[0] else 0
                binding[out], spare[out] = pair[first], pair[1 - first]
        iterations, converged = 0, False
        for k in range(int(env[lo]), int(env[hi])):
            env[counter] = np.int64(k)
            env.update(scalars)
            execute(item.body, False)
            scalars = {a: env[v] for a, v in zip(carried, body.results) if a.type.is_scalar}
            for carry, _, out, alt in item.carried:
                written = binding[out]
                if alt is not None:
                    binding[out], spare[out] = spare[out], written
                binding[carry] = written
            iterations += 1
            rest = [env[v] for v in body.results[n:]]
            stop = False
            if until:
                stop, rest = bool(rest[0]), rest[1:]
            for trace, value in zip(traces, rest):
                trace.append(value)
            if progress is not None and outermost:
                total = max(0, int(env[hi]) - int(env[lo]))
                progress(iterations, total, {name: float(t[-1]) for name, t in zip(names, traces)})
            if stop:
                converged = True
                break
        else:
            converged = not until  # a loop without a stopping rule "converges" by finishing
        for a, r in zip(carried, op.results):
            if a.type.is_scalar:
                env[r] = scalars[a]
        env[op.results[n]] = np.int64(iterations)
        env[op.results[n + 1]] = np.bool_(converged)
        for r, t, dt in zip(op.results[n + 2 :], traces, op.attrs.get("trace_dtypes", ())):
            env[r] = np.asarray(t, dtype=NUMPY_NAMES[dt])

    def index(item: HostIndex) -> None:
        """Check an index against the bounds as the NumPy rule does; read the element."""
        op = item.op
        x, indices = (
            op.operands[0],
            [int(env[v]) for v in op.operands[(2 if op.opcode == "setindex" else 1) :]],
        )
        shape = tuple(dims[d] if isinstance(d, str) else d for d in x.type.shape)
        try:
            check_bounds(np.broadcast_to(np.int8(0), shape), op.attrs["spec"], indices)
        except IndexError as err:
            what = "indexing" if op.opcode == "index" else "an indexed update"
            raise OptcError(f"{what} failed at run time: {err}", op.loc) from None
        if item.slot is not None:
            flat = int(np.ravel_multi_index(tuple(i % n for i, n in zip(indices, shape)), shape))
            value = device.read(binding[item.slot], flat)
            env[op.results[0]] = np.dtype(NUMPY_NAMES[op.results[0].type.dtype]).type(value)

    def shape_of(v: Value) -> tuple:
        return tuple(dims[d] if isinstance(d, str) else d for d in v.type.shape)

    def host_dim(item: HostDim) -> None:
        value = int(env[item.hi]) - (0 if item.lo is None else int(env[item.lo]))
        if value < 0:  # an index's bounds are checked before: a size operand, the rule's error
            op = item.op
            try:
                RULES[op.opcode](op, *[env[v] for v in op.operands])
            except (IndexError, ValueError, np.linalg.LinAlgError, OverflowError) as err:
                raise run_time_error(op, str(err)) from None
        dims[item.name] = value

    def host_tensor(item: HostTensor) -> None:
        """The operands copied to the host, the NumPy rule, the result copied to the device."""
        op, r = item.op, item.op.results[0]
        values = [
            env[v]
            if slot is None
            else device.to_host(binding[slot], numel(v.type.shape, dims)).reshape(shape_of(v))
            for v, slot in zip(op.operands, item.slots)
        ]
        try:
            value = RULES[op.opcode](op, *values)
        except (IndexError, ValueError, np.linalg.LinAlgError, OverflowError) as err:
            raise run_time_error(op, str(err)) from None
        device.write(binding[item.out], np.asarray(value, NUMPY_NAMES[r.type.dtype]).reshape(-1))

    def execute(items, outermost: bool) -> None:
        for item in items:
            if isinstance(item, HostOp):
                host(item.op)
            elif isinstance(item, HostTensor):
                host_tensor(item)
            elif isinstance(item, HostDim):
                host_dim(item)
            elif isinstance(item, HostIndex):
                index(item)
            elif isinstance(item, HostCompute):
                env[item.output] = item.fn(*[env[v] for v in item.inputs])
            elif isinstance(item, KernelCall):
                call(item)
            else:
                loop(item, outermost)

    with np.errstate(all="ignore"):  # as the NumPy interpreter: IEEE results, no warnings
        execute(schedule.items, True)
    out = []
    for v in fn.body.results:
        if v.type.is_scalar or v in env:
            out.append(env[v])
        else:
            size = numel(v.type.shape, dims)  # a buffer of a dynamic dimension is longer
            out.append(binding[schedule.results[v]][:size].reshape(shape_of(v)))
    return out
