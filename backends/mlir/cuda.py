"""Running the GPU kernels of `kernels.py` on an NVIDIA GPU through CuPy (`backend="mlir-gpu"`).

The PTX is produced on the host by MLIR for the device's compute capability and loaded with
`cupy.RawModule`. `GPUExecutable.step` updates CuPy arrays in place, with no copies to the host;
`run` gives the API the executable interface of the other backends (NumPy arrays in and out,
copied to the device and back). Scalar states (SGD's `has_buf`) are updated on the host by the
CPU MLIR step function run on empty tensors: their updates never read tensor elements
(`kernels.py` rejects steps where they would). Kernel arguments follow `kernels.py`: the element count,
then the step's parameters, each tensor as the five fields of a memref descriptor
(allocated, aligned, offset, size, stride), then the reduction slots.

This launcher has not run on a GPU in optc's CI (no GPU there); `tests/mlir/test_gpu.py`
checks it against NumPy wherever CuPy finds one.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
from optc.backends.mlir.kernels import emit_gpu_module
from optc.backends.mlir.lower import to_ptx
from optc.ir.core import Module
from optc.ir.types import NUMPY_NAMES

from optc.errors import OptcError

BLOCK = 256  # threads per block
BLOCKS_PER_SM = 8  # enough resident blocks to hide memory latency in a grid-stride loop


def require_cuda():
    """The `cupy` module with a usable GPU, or an OptcError saying what is missing."""
    try:
        import cupy
    except ImportError:
        raise OptcError(
            "backend `mlir-gpu` needs CuPy and an NVIDIA GPU (pip install cupy-cuda12x)"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError as err:  # no driver, no device
        raise OptcError(f"backend `mlir-gpu` found no usable NVIDIA GPU: {err}") from None
    if count == 0:
        raise OptcError("backend `mlir-gpu` found no NVIDIA GPU")
    return cupy


class GPUExecutable:
    """An optimizer's step compiled to PTX for the current GPU, with its init on the CPU."""

    def __init__(self, module: Module):
        from optc.backends.mlir import MLIRExecutable

        self.cupy = cupy = require_cuda()
        device = cupy.cuda.Device()
        self.chip = f"sm_{device.compute_capability}"
        self.max_blocks = BLOCKS_PER_SM * device.attributes["MultiProcessorCount"]
        self.gpu = emit_gpu_module(module)
        ptx = to_ptx(self.gpu.text, self.chip)
        path = (
            Path(tempfile.gettempdir())
            / f"optc-{hashlib.sha256(ptx.encode()).hexdigest()[:16]}.ptx"
        )
        path.write_text(ptx)
        raw = cupy.RawModule(path=str(path))
        self.kernels = [(raw.get_function(k.name), k) for k in self.gpu.kernels]
        self.step_name = self.gpu.step.name
        self.cpu = MLIRExecutable(module)  # init, and the scalar-state updates

    def step(self, args: list) -> list:
        """One step on the device: `args` as the step function's parameters, tensors as flat
        contiguous CuPy arrays of one length (updated in place), scalars as host values.
        Returns the new scalar states."""
        cupy, step = self.cupy, self.gpu.step
        tensors = [a for v, a in zip(step.params, args) if not v.type.is_scalar]
        n = tensors[0].size
        kernel_args = [np.int64(n)]
        for v, a in zip(step.params, args):
            if v.type.is_scalar:
                kernel_args.append(np.dtype(NUMPY_NAMES[v.type.dtype]).type(a))
            else:
                kernel_args += [a, a, np.int64(0), np.int64(n), np.int64(1)]
        if self.gpu.partial_identities:
            partials = cupy.asarray(np.array(self.gpu.partial_identities, dtype=tensors[0].dtype))
            kernel_args += [partials, partials, np.int64(0), np.int64(partials.size), np.int64(1)]
        grid = max(1, min(-(-n // BLOCK), self.max_blocks))
        for kernel, _ in self.kernels:
            kernel((grid,), (BLOCK,), tuple(kernel_args))
        scalar_results = [v for v in step.results if v.type.is_scalar]
        if not scalar_results:
            return []
        empty = [
            np.zeros(0, NUMPY_NAMES[v.type.dtype]) if not v.type.is_scalar else a
            for v, a in zip(step.params, args)
        ]
        values = self.cpu.run(self.step_name, empty)
        return [x for v, x in zip(step.results, values) if v.type.is_scalar]

    def run(self, name: str, args: list, progress=None) -> list:
        """The interface of the other backends: NumPy arrays in and out (copied through the device)."""
        if name != self.step_name:
            return self.cpu.run(name, args, progress)
        step = self.gpu.step
        shape = next(np.shape(a) for v, a in zip(step.params, args) if not v.type.is_scalar)
        device = [
            self.cupy.asarray(np.ascontiguousarray(a).reshape(-1)) if not v.type.is_scalar else a
            for v, a in zip(step.params, args)
        ]
        scalars = iter(self.step(device))
        has_grad = 1 if step.attrs.get("grad") else 0
        targets = [0, *range(1 + has_grad, 1 + has_grad + len(step.attrs["states"]))]
        return [
            self.cupy.asnumpy(device[i]).reshape(shape) if not v.type.is_scalar else next(scalars)
            for v, i in zip(step.results, targets)
        ]
