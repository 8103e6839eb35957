"""Running the GPU kernels of an optimizer's step or a solver on an NVIDIA GPU through CuPy
(`backend="mlir-gpu"`).

The PTX is produced on the host by MLIR for the device's compute capability and loaded with
`cupy.RawModule`; `launch.run_schedule` launches the kernels of a step on a `CupyDevice`, and
`solver_kernels.run_solver` a solver's (its loops and scalars on the host).
`GPUExecutable.step` updates CuPy arrays in place, with no copies to the host; `run` gives the
API the executable interface of the other backends (NumPy arrays in and out, copied to the device
and back). Scalar states (SGD's `has_buf`) are updated on the host (`launch.scalar_updates`).
Kernel arguments follow `launch.py`: the element count, then the signature's slots, each tensor
as the five fields of a memref descriptor (allocated, aligned, offset, size, stride), then the
reduction slots.

This launcher has not run on a GPU in optc's CI (no GPU there); the same kernels and host
schedule run thread by thread on the CPU in `tests/mlir/test_emulation.py`, and
`tests/mlir/test_gpu.py` checks this file against NumPy wherever CuPy finds a GPU.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
from optc.backends.mlir.kernels import emit_gpu_module
from optc.backends.mlir.launch import numel, run_schedule, scalar_updates
from optc.backends.mlir.lower import to_ptx
from optc.backends.mlir.solver_kernels import SolverSchedule, run_solver
from optc.ir.core import Module
from optc.ir.types import NUMPY_NAMES

from optc.errors import OptcError

BLOCK = 256  # threads per block
BLOCKS_PER_SM = 8  # enough resident blocks to hide memory latency in a grid-stride loop
INSTALL = "pip install cupy-cuda12x (or cupy-cuda11x for CUDA 11)"


def require_cuda():
    """The `cupy` module with a usable GPU, or an OptcError saying what is missing."""
    try:
        import cupy
    except ImportError:
        raise OptcError(f"backend `mlir-gpu` needs CuPy and an NVIDIA GPU: {INSTALL}") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError as err:  # no driver, no device
        raise OptcError(f"backend `mlir-gpu` found no usable NVIDIA GPU: {err}") from None
    if count == 0:
        raise OptcError("backend `mlir-gpu` found no NVIDIA GPU")
    return cupy


def check_device_arrays(cupy, names: list[str], arrays: list) -> None:
    """An OptcError unless every array is a C-contiguous CuPy array on the current device: a
    NumPy array or a CPU tensor never reaches a kernel (it would read host memory as device
    memory), and nothing is copied behind the caller's back."""
    device = cupy.cuda.Device().id
    for name, a in zip(names, arrays):
        if not isinstance(a, cupy.ndarray):
            raise OptcError(
                f"backend `mlir-gpu` updates GPU arrays in place; `{name}` is a "
                f"{type(a).__module__}.{type(a).__name__} in host memory (move it to the GPU, "
                "or use backend `mlir` or `llvm` for CPU arrays)"
            )
        if a.device.id != device:
            raise OptcError(f"`{name}` is on GPU {a.device.id}, the step runs on GPU {device}")
        if not a.flags.c_contiguous:
            raise OptcError(
                f"`{name}` is not contiguous; backend `mlir-gpu` needs contiguous arrays"
            )


class CupyDevice:
    """The `device` of `launch.run_schedule` on a GPU: kernels of a `cupy.RawModule`."""

    def __init__(self, cupy, raw, max_blocks: int):
        self.cupy, self.raw, self.max_blocks = cupy, raw, max_blocks
        self.functions: dict = {}
        self._scratch: dict = {}

    def scratch(self, specs: tuple, dims: dict) -> list:
        """The scratch buffers for these dimensions, allocated once per shape."""
        key = tuple(sorted(dims.items()))
        if key not in self._scratch:
            self._scratch[key] = [
                self.cupy.empty(numel(shape, dims), NUMPY_NAMES[dtype]) for dtype, shape in specs
            ]
        return self._scratch[key]

    def flat(self, a):
        return a.reshape(-1)  # a view: the arrays are contiguous (check_device_arrays)

    def array(self, values: np.ndarray):
        return self.cupy.asarray(values)

    def set(self, array, index: int, value: float) -> None:
        array[index] = value

    def read(self, array, index: int):
        """One element, copied to the host (a synchronization)."""
        return array[index].get()[()]

    def to_host(self, array, n: int) -> np.ndarray:
        """The first n elements of a buffer, copied to the host (a synchronization)."""
        return self.cupy.asnumpy(array[:n])

    def write(self, array, values: np.ndarray) -> None:
        """The first elements of a buffer overwritten with host values (a host-to-device copy)."""
        array[: values.size].set(np.ascontiguousarray(values))

    def launch(self, kernel: str, n: int, values: list) -> None:
        if kernel not in self.functions:
            self.functions[kernel] = self.raw.get_function(kernel)
        grid = max(1, min(-(-n // BLOCK), self.max_blocks))
        self.functions[kernel]((grid,), (BLOCK,), kernel_args(self.cupy.ndarray, n, values))


def kernel_args(array_type, n: int, values: list) -> tuple:
    """The arguments of a kernel launch as the PTX declares them: the element count, then each
    array as the five fields of a memref descriptor (allocated, aligned, offset, size, stride),
    scalars as they are (NumPy scalars of the parameter's type)."""
    args = [np.int64(n)]
    for value in values:
        if isinstance(value, array_type):
            args += [value, value, np.int64(0), np.int64(value.size), np.int64(1)]
        else:
            args.append(value)
    return tuple(args)


class GPUExecutable:
    """An optimizer's step, or a solver, compiled to PTX for the current GPU (an optimizer's
    init on the CPU)."""

    def __init__(self, module: Module):
        from optc.backends.mlir import MLIRExecutable

        self.cupy = cupy = require_cuda()
        device = cupy.cuda.Device()
        self.chip = f"sm_{device.compute_capability}"
        self.gpu = emit_gpu_module(module)
        ptx = to_ptx(self.gpu.text, self.chip)
        path = (
            Path(tempfile.gettempdir())
            / f"optc-{hashlib.sha256(ptx.encode()).hexdigest()[:16]}.ptx"
        )
        path.write_text(ptx)
        raw = cupy.RawModule(path=str(path))
        self.device = CupyDevice(
            cupy, raw, BLOCKS_PER_SM * device.attributes["MultiProcessorCount"]
        )
        self.solver = isinstance(self.gpu, SolverSchedule)
        self.step_name = None if self.solver else self.gpu.step.name
        self.cpu = None if self.solver else MLIRExecutable(module)  # init, scalar-state updates

    def step(self, args: list) -> list:
        """One step on the device: `args` as the step function's parameters, tensors as
        contiguous CuPy arrays (updated in place), scalars as host values. Returns the new
        scalar states."""
        step = self.gpu.step
        tensors = [(v.hint, a) for v, a in zip(step.params, args) if not v.type.is_scalar]
        check_device_arrays(self.cupy, *map(list, zip(*tensors)))
        run_schedule(self.gpu, self.device, args)
        return scalar_updates(self.gpu, self.cpu, args)

    def run(self, name: str, args: list, progress=None) -> list:
        """The interface of the other backends: NumPy arrays in and out (copied through the device)."""
        if self.solver:
            return self._solve(args, progress)
        if name != self.step_name:
            return self.cpu.run(name, args, progress)
        step = self.gpu.step
        device = [
            self.cupy.asarray(np.ascontiguousarray(a)) if not v.type.is_scalar else a
            for v, a in zip(step.params, args)
        ]
        scalars = iter(self.step(device))
        has_grad = 1 if step.attrs.get("grad") else 0
        targets = [0, *range(1 + has_grad, 1 + has_grad + len(step.attrs["states"]))]
        return [
            self.cupy.asnumpy(device[i]) if not v.type.is_scalar else next(scalars)
            for v, i in zip(step.results, targets)
        ]

    def _solve(self, args: list, progress) -> list:
        """A solver on the device: its inputs copied there, its outputs back."""
        fn = self.gpu.fn
        device = [
            self.cupy.asarray(np.ascontiguousarray(a)) if not v.type.is_scalar else a
            for v, a in zip(fn.params, args)
        ]
        results = run_solver(self.gpu, self.device, device, progress)
        return [self.cupy.asnumpy(r) if isinstance(r, self.cupy.ndarray) else r for r in results]
