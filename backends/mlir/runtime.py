"""Running emitted MLIR on the CPU: the ExecutionEngine, argument packing, results, errors.

`compile_cpu(text)` lowers emitted MLIR to the LLVM dialect and JIT-compiles it with MLIR's
ExecutionEngine (LLVM -O3). Each function has `llvm.emit_c_interface`, so the engine exports a
packed wrapper `_mlir__mlir_ciface_<symbol>(void **args)`: `args[0]` points at a pointer to the
results struct, then one slot per argument: a pointer to a pointer to a memref descriptor
`{allocated, aligned, offset, sizes[rank], strides[rank]}`, or a pointer to a scalar. Results
come back in a C struct in declaration order, the status last (see `emit.py` for the ABI).
Tensor results are malloc'd buffers: they are copied into NumPy arrays and freed here.
External functions the code calls are bound by name when the engine is created: progress
callbacks, and SciPy's LAPACK for `solve` (`backends/scipy_symbols.py`).
"""

from __future__ import annotations

import ctypes
import threading
from functools import cache, lru_cache

import numpy as np
from optc.backends.mlir.emit import DETAILS, Emitted, FunctionABI
from optc.backends.mlir.lower import CPU_PIPELINE, bindings, parse_and_lower
from optc.backends.numpy.rules import run_time_error
from optc.backends.scipy_symbols import LAPACK_ROUTINES, lapack_addresses, uses
from optc.ir.core import Function
from optc.ir.types import NUMPY_NAMES

from optc.errors import InternalError

CTYPES = {
    "f64": ctypes.c_double,
    "f32": ctypes.c_float,
    "i64": ctypes.c_int64,
    "bool": ctypes.c_bool,
}
PACKED = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_libc = ctypes.CDLL(None)
_libc.free.argtypes = [ctypes.c_void_p]
_libc.free.restype = None


@cache
def descriptor(rank: int) -> type[ctypes.Structure]:
    """The C layout of a ranked memref descriptor."""
    fields = [
        ("allocated", ctypes.c_void_p),
        ("aligned", ctypes.c_void_p),
        ("offset", ctypes.c_int64),
        ("sizes", ctypes.c_int64 * rank),
        ("strides", ctypes.c_int64 * rank),
    ]
    return type(f"MemRef{rank}D", (ctypes.Structure,), {"_fields_": fields})


class Compiled:
    """A JIT-compiled module: the engine, and the hook its progress callbacks report to."""

    def __init__(self, text: str, progress_arities: tuple[int, ...]):
        _, _, execution_engine = bindings()
        self.context, module = parse_and_lower(text, CPU_PIPELINE)
        with self.context:
            self.engine = execution_engine.ExecutionEngine(module, opt_level=3)
        self.module = module
        if uses(text.encode(), LAPACK_ROUTINES):  # solve: SciPy's LAPACK, bound by name
            for name, address in lapack_addresses().items():
                self.engine.raw_register_runtime(name, ctypes.c_void_p(address))
        self.hook = threading.local()
        self.callbacks = []
        for n in progress_arities:
            callback = ctypes.CFUNCTYPE(
                ctypes.c_int32, ctypes.c_int64, ctypes.c_int64, *[ctypes.c_double] * n
            )(self._progress)
            self.callbacks.append(callback)  # must outlive the engine
            self.engine.raw_register_runtime(
                f"optc_progress_{n}", ctypes.cast(callback, ctypes.c_void_p)
            )

    def _progress(self, iteration, total, *values) -> int:
        """Report one iteration; 1 (stop) once the progress function has raised, whose
        exception the call re-raises when the native code returns."""
        progress, names = self.hook.current
        if self.hook.error is not None:
            return 1
        try:
            progress(int(iteration), int(total), dict(zip(names, values)))
        except BaseException as err:  # noqa: BLE001 -- Ctrl-C too: re-raised after the call
            self.hook.error = err
            return 1
        return 0

    def lookup(self, sym: str) -> PACKED:
        """The packed wrapper of a function with `llvm.emit_c_interface`."""
        address = self.engine.raw_lookup("_mlir_ciface_" + sym)
        if not address:
            raise InternalError(f"the compiled module has no function {sym}")
        return PACKED(address)


def compile_cpu(emitted: Emitted) -> Compiled:
    """The JIT-compiled form of an emitted module (cached: a module compiles once per process)."""
    return _compile(emitted.text, emitted.progress_arities)


@lru_cache(maxsize=32)
def _compile(text: str, progress_arities: tuple[int, ...]) -> Compiled:
    return Compiled(text, progress_arities)


class NativeFunction:
    """One compiled IR function, callable with a list of already-validated arguments."""

    def __init__(self, fn: Function, abi: FunctionABI, compiled: Compiled, sites):
        self.fn = fn
        self.abi = abi
        self.compiled = compiled
        self.sites = sites
        self.call = compiled.lookup(abi.symbol)
        fields = []
        for i, slot in enumerate(abi.results):
            fields.append(
                (f"r{i}", CTYPES[slot.dtype] if slot.rank is None else descriptor(slot.rank))
            )
        fields += [("status", ctypes.c_int32), ("details", ctypes.c_int64 * DETAILS)]
        self.results_type = type("Results", (ctypes.Structure,), {"_fields_": fields})
        self.trace_names = list(fn.attrs.get("traces", ()))

    def __call__(self, args: list, progress=None) -> list:
        abi = self.abi
        n = len(abi.params) + abi.report
        slots = (ctypes.c_void_p * (1 + n))()
        keep: list = []

        def point_at(obj) -> int:
            keep.append(obj)
            return ctypes.addressof(obj)

        results = self.results_type()
        slots[0] = point_at(ctypes.c_void_p(ctypes.addressof(results)))
        any_shape = None
        for i, (slot, value) in enumerate(zip(abi.params, args)):
            if slot.rank is None:
                slots[1 + i] = point_at(
                    CTYPES[slot.dtype](value.item() if hasattr(value, "item") else value)
                )
                continue
            arr = np.asarray(value, dtype=NUMPY_NAMES[slot.dtype])
            if slot.any_shape:
                any_shape = any_shape or arr.shape
                arr = arr.reshape(-1)
            if any(s % arr.itemsize for s in arr.strides):
                arr = np.ascontiguousarray(arr)
            keep.append(arr)
            desc = descriptor(slot.rank)(
                arr.ctypes.data,
                arr.ctypes.data,
                0,
                arr.shape,
                tuple(s // arr.itemsize for s in arr.strides),
            )
            slots[1 + i] = point_at(ctypes.c_void_p(point_at(desc)))
        if abi.report:
            slots[n] = point_at(ctypes.c_bool(progress is not None))
            self.compiled.hook.current = (progress, self.trace_names)
            self.compiled.hook.error = None
        self.call(slots)
        # After a failed check the tensor results are empty placeholders: freed, not reshaped.
        values = self._results(results, None if results.status else any_shape)
        if abi.report and self.compiled.hook.error is not None:
            error, self.compiled.hook.error = self.compiled.hook.error, None
            raise error
        if results.status:
            op, message = self.sites[results.status - 1]
            message = message.format(*results.details)
            raise run_time_error(op, message)
        return values

    def _results(self, results, any_shape) -> list:
        """The results as NumPy values; every returned buffer is copied and freed."""
        out = []
        for i, slot in enumerate(self.abi.results):
            value = getattr(results, f"r{i}")
            dtype = np.dtype(NUMPY_NAMES[slot.dtype])
            if slot.rank is None:
                out.append(dtype.type(value))
                continue
            shape = tuple(value.sizes)
            arr = np.empty(shape, dtype=dtype)
            if arr.nbytes:
                ctypes.memmove(arr.ctypes.data, value.aligned, arr.nbytes)
            _libc.free(value.allocated)
            out.append(arr.reshape(any_shape) if slot.any_shape and any_shape is not None else arr)
        return out


class InPlaceStep:
    """An elementwise optimizer's in-place step kernel behind the multi-tensor interface the
    API uses (`set_hypers`, `plan`, `run`): one native call per tensor, with argument slots
    prepared once per plan, so a step costs a ctypes call per tensor. Hyperparameters and `t`
    live in slots shared by every tensor's arguments. A row with a non-contiguous array runs the
    step function instead and copies its results back."""

    def __init__(self, step: Function, sym: str, compiled: Compiled, fallback: NativeFunction):
        self.step = step
        self.call = compiled.lookup(sym)
        self.fallback = fallback
        self.n_rows = len(step.params) - 1 - len(step.attrs["hyper_names"])
        self.hypers = [CTYPES[v.type.dtype]() for v in step.params[self.n_rows : -1]]
        self.t = ctypes.c_int64()
        has_grad = 1 if step.attrs.get("grad") else 0
        self.targets = [0, *range(1 + has_grad, 1 + has_grad + len(step.attrs["states"]))]

    def set_hypers(self, values: list) -> None:
        """Write hyperparameter values (NumPy scalars of the right dtypes) into their slots."""
        for slot, value in zip(self.hypers, values):
            slot.value = value.item() if hasattr(value, "item") else value

    def plan(self, rows: list[list[np.ndarray]]) -> list:
        """Per tensor row [param, grad?, states...]: its prepared arguments, or the row itself."""
        return [self._slots(row) if all(a.flags.c_contiguous for a in row) else row for row in rows]

    def _slots(self, row: list[np.ndarray]) -> tuple:
        keep: list = [row]

        def point_at(obj) -> int:
            keep.append(obj)
            return ctypes.addressof(obj)

        slots = (ctypes.c_void_p * (2 + len(self.step.params)))()
        slots[0] = point_at(ctypes.c_int64(row[0].size))
        for j, (v, arr) in enumerate(zip(self.step.params, row)):
            rank = 0 if v.type.is_scalar else 1
            desc = descriptor(rank)(
                arr.ctypes.data, arr.ctypes.data, 0, (arr.size,) * rank, (1,) * rank
            )
            slots[1 + j] = point_at(ctypes.c_void_p(point_at(desc)))
        for k, slot in enumerate(self.hypers):
            slots[1 + self.n_rows + k] = ctypes.addressof(slot)
        slots[len(self.step.params)] = ctypes.addressof(self.t)
        return slots, keep

    def run(self, work: list, t: int) -> None:
        """One step over every tensor of the plan."""
        self.t.value = t
        for item in work:
            if isinstance(item, tuple):
                self.call(item[0])
                continue
            args = [*item, *(np.asarray(h.value) for h in self.hypers), np.int64(t)]
            for i, value in zip(self.targets, self.fallback(args)):
                item[i][...] = value
