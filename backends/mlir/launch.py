"""The host side of a GPU step: the schedule of kernel launches and the arguments of each.

`kernels.py` (elementwise steps) and `matrix_kernels.py` (Muon, Adafactor: matmuls, axis
reductions, a Newton-Schulz loop) describe a step as a `GPUStep`: the `gpu.module` text, the
kernels' common signature and a schedule of `Launch` and `Loop` items. `run_schedule` executes
it on a `device`, which is CuPy on a GPU (`cuda.py`) or the CPU emulation (`emulate.py`), so the
host logic that the GPU runs is the logic the emulation tests.

Every kernel of a step takes the same arguments: the element count of its launch (index), then
one argument per `signature` slot, then `%partials` (one slot per full reduction) when the step
has reductions. A slot is

    ("param", i)    parameter i of the step function (tensors flat, scalars by value)
    ("dim", name)   a symbolic dimension of the parameters (i64), as `m` in real[m, n]
    ("loop", j)     the counter of loop j (i64)
    ("scratch", j)  a device buffer allocated once per tensor shape (a materialized value)
    ("carry", j)    a loop-carried tensor: the buffer bound to it changes between iterations
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from optc.ir.core import Function
from optc.ir.types import NUMPY_NAMES

Slot = tuple


@dataclass(frozen=True)
class Launch:
    """One kernel launch over `numel(shape)` elements (shape entries are dimension names or
    ints; None: the element count of the step's tensors), after the partial slots `resets` are
    set to their reductions' identities."""

    kernel: str
    shape: tuple | None = None
    resets: tuple[int, ...] = ()


@dataclass(frozen=True)
class Loop:
    """A loop run by the host: `for k in start..stop` with k in slot ("loop", index), `body`
    launched each iteration. Each carried tensor is (carry slot, initial slot, out slot, alt):
    the body reads the carry slot and writes the out slot (a scratch buffer), then the two are
    swapped, with scratch `alt` as the out slot's second buffer; after the loop the carry slot
    holds the result. `start` and `stop` are host values: ("const", v), a scalar parameter
    ("param", i) or ("dim", name)."""

    index: int
    start: tuple
    stop: tuple
    carried: tuple[tuple[Slot, Slot, Slot, int], ...]
    body: tuple


@dataclass(frozen=True)
class GPUStep:
    """The kernels of an optimizer step and how the host launches them.

    `kernels` lists the kernels with the partial slots each accumulates; `partial_identities`
    holds the identity of each reduction slot (empty without reductions); `scratch` the dtype and
    shape of each scratch buffer; `dims` where each dimension name is read, (parameter, axis);
    `pruning` (`branches.Pruning`) the kernels a step skips for the branches its host-decidable
    `where`s take."""

    text: str
    step: Function
    kernels: tuple
    partial_identities: tuple[float, ...]
    signature: tuple[Slot, ...]
    schedule: tuple
    scratch: tuple[tuple[str, tuple], ...] = ()
    dims: dict = field(default_factory=dict)
    pruning: object = None


def numel(shape: tuple, dims: dict) -> int:
    """The element count of a symbolic shape."""
    return int(np.prod([dims[d] if isinstance(d, str) else d for d in shape], dtype=np.int64))


def run_schedule(gpu: GPUStep, device, args: list) -> None:
    """One step on `device`: `args` as the step function's parameters, tensors as contiguous
    device arrays in the parameters' shapes (updated in place), scalars as host values."""
    step = gpu.step
    tensors = [a for v, a in zip(step.params, args) if not v.type.is_scalar]
    dims = {name: int(args[p].shape[axis]) for name, (p, axis) in gpu.dims.items()}
    flat = tensors[0].size
    allocated = device.scratch(gpu.scratch, dims)
    binding: dict = {("scratch", j): a for j, a in enumerate(allocated)}
    for i, (v, a) in enumerate(zip(step.params, args)):
        binding[("param", i)] = a if v.type.is_scalar else device.flat(a)
    binding.update({("dim", name): np.int64(size) for name, size in dims.items()})
    # a loop's counter outside the loop: 0 (kernels there do not read it, but the argument
    # must still be an i64: CuPy packs arguments by position)
    binding.update({slot: np.int64(0) for slot in gpu.signature if slot[0] == "loop"})
    placeholder = binding[
        ("param", next(i for i, v in enumerate(step.params) if not v.type.is_scalar))
    ]
    dtype = np.dtype(NUMPY_NAMES[next(v.type.dtype for v in step.params if not v.type.is_scalar)])
    partials = None
    if gpu.partial_identities:
        partials = device.array(np.array(gpu.partial_identities, dtype=dtype))

    def host_value(ref: tuple) -> int:
        kind, what = ref
        if kind == "const":
            return int(what)
        return int(binding[("param", what)] if kind == "param" else binding[("dim", what)])

    skipped = gpu.pruning.skipped(args, dims) if gpu.pruning is not None else frozenset()

    def launch(item: Launch) -> None:
        if item.kernel in skipped:
            return
        for r in item.resets:
            device.set(partials, r, gpu.partial_identities[r])
        n = flat if item.shape is None else numel(item.shape, dims)
        values = []
        for slot in gpu.signature:
            if slot[0] == "param":
                v = step.params[slot[1]]
                if v.type.is_scalar:
                    values.append(np.dtype(NUMPY_NAMES[v.type.dtype]).type(binding[slot]))
                    continue
            values.append(binding.get(slot, placeholder))
        if partials is not None:
            values.append(partials)
        device.launch(item.kernel, n, values)

    def execute(items) -> None:
        for item in items:
            if isinstance(item, Launch):
                launch(item)
                continue
            spare = {}
            for carry, init, out, alt in item.carried:
                binding[carry] = binding[init]
                pair = (allocated[out[1]], allocated[alt])  # the body writes the one init is not
                first = 1 if binding[init] is pair[0] else 0
                binding[out], spare[out] = pair[first], pair[1 - first]
            for k in range(host_value(item.start), host_value(item.stop)):
                binding[("loop", item.index)] = np.int64(k)
                execute(item.body)
                for carry, _, out, _ in item.carried:
                    written = binding[out]
                    binding[out], spare[out] = spare[out], written
                    binding[carry] = written

    execute(gpu.schedule)


def scalar_updates(gpu: GPUStep, cpu, args: list) -> list:
    """The step's new scalar states (SGD's `has_buf`), computed on the host by the CPU step
    function `cpu` (an MLIRExecutable) run on empty tensors: `kernels.py` rejects steps whose
    scalar results read tensor elements."""
    step = gpu.step
    results = [v for v in step.results if v.type.is_scalar]
    if not results:
        return []
    empty = [
        a if v.type.is_scalar else np.zeros(0, NUMPY_NAMES[v.type.dtype])
        for v, a in zip(step.params, args)
    ]
    values = cpu.run(step.name, empty)
    return [x for v, x in zip(step.results, values) if v.type.is_scalar]
