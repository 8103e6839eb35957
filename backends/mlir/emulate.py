"""The GPU kernels of a step run on the CPU, thread by thread: how their logic is tested without a GPU.

`emulation_text` rewrites the `gpu.module` that `kernels.py` / `matrix_kernels.py` emit (the
text that becomes PTX) into CPU functions, changing nothing but the kernel boundary:

    gpu.func @k(%n: index, ...) kernel {            func.func private @k(%emu__block_id: index,
      %8 = gpu.block_id x                               %emu__block_dim: index, %emu__grid_dim: index,
      ...                                               %emu__thread_id: index, %n: index, ...) {
      gpu.return                                      %8 = arith.addi %emu__block_id, %emu__zero
    }                                                 ...
                                                      return
                                                    }
    func.func @k_emulate(%grid, %block, %n, ...): for block, for thread: call @k

`EmulatedDevice` is the `device` of `launch.run_schedule` on NumPy arrays, so a step runs the
same host schedule (launch order, partial resets, loop buffers) as on the GPU.

What the emulation is faithful to: the kernels use no shared memory and no barriers; each thread
reads inputs and writes only the elements it owns, and threads communicate only through atomics
on `%partials` and through kernel boundaries, so running the threads one after another computes
what any interleaving computes, up to the order in which atomics add partial sums (rounding).
What it does not cover: the NVVM lowering and PTX assembly, libdevice's math functions (the CPU
uses the C library's), the order of atomic updates, and CuPy's argument passing (`cuda.py`).
"""

from __future__ import annotations

import ctypes
import re
from functools import lru_cache

import numpy as np
from optc.backends.mlir.launch import GPUStep, numel, run_schedule
from optc.backends.mlir.lower import CPU_PIPELINE, bindings, parse_and_lower
from optc.backends.mlir.runtime import CTYPES, PACKED, descriptor
from optc.ir.types import NUMPY_NAMES

from optc.errors import InternalError

EMULATION_PIPELINE = ("convert-math-to-libm", *CPU_PIPELINE)  # log1p, erf... from the C library
_HEADER = re.compile(r"^\s*gpu\.func @(\w+)\((.*)\) kernel \{$")
_INTRINSIC = re.compile(r"^(\s*%\w+) = gpu\.(block_id|block_dim|thread_id|grid_dim) x(.*)$")
_PARAM = re.compile(r"(%\w+): ([^,]+)")
_BUILTINS = ("block_id", "block_dim", "grid_dim", "thread_id")


def emulation_text(gpu_text: str) -> str:
    """A CPU module running each kernel of `gpu_text` serially: `@k_emulate(grid, block, ...)`."""
    lines = gpu_text.rstrip("\n").split("\n")
    if not (
        lines[0].startswith("module attributes {gpu.container_module}") and "gpu.module" in lines[1]
    ):
        raise InternalError("not a gpu.module emitted by optc")
    out, drivers = ["module {"], []
    for line in lines[2:-2]:
        header = _HEADER.match(line)
        intrinsic = _INTRINSIC.match(line)
        if header:
            name, params = header.groups()
            builtins = ", ".join(f"%emu__{b}: index" for b in _BUILTINS)
            out.append(f"  func.func private @{name}({builtins}, {params}) {{")
            out.append("    %emu__zero = arith.constant 0 : index")
            drivers.append(_driver(name, _PARAM.findall(params)))
        elif intrinsic:
            result, builtin, rest = intrinsic.groups()
            out.append(f"{result} = arith.addi %emu__{builtin}, %emu__zero : index{rest}")
        elif line.strip().startswith("gpu.return"):
            out.append(line.replace("gpu.return", "return"))
        else:
            out.append(line)
    return "\n".join([*out, *drivers, "}"]) + "\n"


def _driver(name: str, params: list[tuple[str, str]]) -> str:
    """`@name_emulate`: every (block, thread) of a grid, one after another."""
    decls = ", ".join(f"{p}: {t}" for p, t in params)
    names = ", ".join(p for p, _ in params)
    types = ", ".join(t for _, t in params)
    return "\n".join(
        [
            (
                f"  func.func @{name}_emulate(%emu__grid: index, %emu__block: index, {decls}) "
                "attributes {llvm.emit_c_interface} {"
            ),
            "    %emu__0 = arith.constant 0 : index",
            "    %emu__1 = arith.constant 1 : index",
            "    scf.for %emu__b = %emu__0 to %emu__grid step %emu__1 {",
            "      scf.for %emu__t = %emu__0 to %emu__block step %emu__1 {",
            (
                f"        func.call @{name}(%emu__b, %emu__block, %emu__grid, %emu__t, {names}) : "
                f"(index, index, index, index, {types}) -> ()"
            ),
            "      }",
            "    }",
            "    return",
            "  }",
        ]
    )


def _poisoned(size: int, dtype: str) -> np.ndarray:
    """A new buffer filled with NaN (or the least integer): a kernel that read scratch before
    writing it would show."""
    if dtype == "bool":
        return np.ones(size, np.bool_)
    fill = np.nan if dtype in ("f32", "f64") else np.iinfo(NUMPY_NAMES[dtype]).min
    return np.full(size, fill, NUMPY_NAMES[dtype])


@lru_cache(maxsize=16)
def _compile(gpu_text: str):
    """The ExecutionEngine of a gpu.module's emulation (compiled once per text)."""
    _, _, execution_engine = bindings()
    context, module = parse_and_lower(emulation_text(gpu_text), EMULATION_PIPELINE)
    with context:
        engine = execution_engine.ExecutionEngine(module, opt_level=2)
    engine.context = context  # the engine must not outlive its context
    return engine


class EmulatedDevice:
    """The kernels of a `GPUStep` compiled for the CPU, launched on NumPy arrays with `block`
    threads per block and at most `max_blocks` blocks (fewer than the elements need makes each
    thread loop, as on a GPU)."""

    def __init__(self, gpu: GPUStep, block: int = 256, max_blocks: int = 64):
        self.gpu = gpu
        self.block, self.max_blocks = block, max_blocks
        self.engine = _compile(gpu.text)
        self.calls = {}
        self._scratch: dict = {}
        self.launches: list[tuple[str, int, int]] = []  # (kernel, elements, blocks), for tests

    def _call(self, kernel: str) -> PACKED:
        if kernel not in self.calls:
            address = self.engine.raw_lookup(f"_mlir_ciface_{kernel}_emulate")
            if not address:
                raise InternalError(f"the emulation has no kernel {kernel}")
            self.calls[kernel] = PACKED(address)
        return self.calls[kernel]

    def step(self, args: list) -> None:
        """One step on NumPy arrays (tensors C-contiguous, updated in place)."""
        run_schedule(self.gpu, self, args)

    # ---------------------------------------------------------------- the device interface

    def scratch(self, specs: tuple, dims: dict) -> list[np.ndarray]:
        """The scratch buffers for these dimensions, allocated once per shape."""
        key = tuple(sorted(dims.items()))
        if key not in self._scratch:
            self._scratch[key] = [_poisoned(numel(shape, dims), dtype) for dtype, shape in specs]
        return self._scratch[key]

    def flat(self, a: np.ndarray) -> np.ndarray:
        if not a.flags.c_contiguous:
            raise InternalError("the emulated device takes C-contiguous arrays")
        return a.reshape(-1)

    def array(self, values: np.ndarray) -> np.ndarray:
        return values.copy()

    def set(self, array: np.ndarray, index: int, value: float) -> None:
        array[index] = value

    def read(self, array: np.ndarray, index: int):
        return array[index]

    def to_host(self, array: np.ndarray, n: int) -> np.ndarray:
        """A copy of the first n elements of a buffer (a host step's operand)."""
        return array[:n].copy()

    def write(self, array: np.ndarray, values: np.ndarray) -> None:
        """The first elements of a buffer overwritten with host values (a host step's result)."""
        array[: values.size] = values

    def launch(self, kernel: str, n: int, values: list) -> None:
        """Run `kernel` over n elements with the grid a GPU launch would get (capped)."""
        grid = max(1, min(-(-n // self.block), self.max_blocks))
        self.launches.append((kernel, n, grid))
        keep: list = []

        def point_at(obj) -> int:
            keep.append(obj)
            return ctypes.addressof(obj)

        args = [ctypes.c_int64(grid), ctypes.c_int64(self.block), ctypes.c_int64(n)]
        for value in values:
            if isinstance(value, np.ndarray) and value.ndim == 1:
                desc = descriptor(1)(value.ctypes.data, value.ctypes.data, 0, (value.size,), (1,))
                keep.append(value)
                args.append(ctypes.c_void_p(point_at(desc)))
            else:
                dtype = {
                    "f": "f32" if value.dtype.itemsize == 4 else "f64",
                    "i": "i64",
                    "b": "bool",
                }
                args.append(CTYPES[dtype[value.dtype.kind]](value.item()))
        slots = (ctypes.c_void_p * len(args))()  # a function without results: no result slot
        for i, arg in enumerate(args):
            slots[i] = point_at(arg)
        self._call(kernel)(slots)
