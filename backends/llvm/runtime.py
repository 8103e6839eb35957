"""Calling generated functions from Python: argument packing, results, run-time errors.

A `NativeFunction` wraps one generated entry point (see `codegen.py` for the ABI). Arguments
arrive validated and converted by the API layer; this module lays them out for the native
code, copies the malloc'd results into NumPy arrays and frees them, and turns a non-zero
return code into an `OptcError` at the failing op's source line.
"""

from __future__ import annotations

import ctypes
from typing import Callable

import numpy as np

from optc.backends.numpy.rules import run_time_error
from optc.ir.core import Function
from optc.ir.types import NUMPY_NAMES

ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int64, ctypes.c_int64, ctypes.POINTER(ctypes.c_double))
_libc = ctypes.CDLL(None)
_libc.free.argtypes = [ctypes.c_void_p]
_libc.free.restype = None


def _np(dtype: str) -> np.dtype:
    return np.dtype(NUMPY_NAMES[dtype])


class NativeFunction:
    """One compiled IR function, callable with a list of already-validated arguments."""

    def __init__(self, fn: Function, address: int, error_sites: list, keepalive):
        self.fn = fn
        self.call = ENTRY(address)
        self.error_sites = error_sites
        self.keepalive = keepalive  # the JIT engine that owns the code
        self.out_ranks = [1 if v.type.shape is None else len(v.type.shape) for v in fn.results]
        self.trace_names = list(fn.attrs.get("traces", ()))

    def __call__(self, args: list, progress: Callable | None = None) -> list:
        fn = self.fn
        n = len(fn.params)
        ptrs = (ctypes.c_void_p * max(n, 1))()
        keep = []
        shapes: list[int] = []
        any_shape = None  # the shape of `real[...]` tensors in this call (flat inside native code)
        for i, (param, value) in enumerate(zip(fn.params, args)):
            arr = np.require(value, dtype=_np(param.type.dtype), requirements="C")  # keeps 0-d arrays 0-d
            keep.append(arr)
            ptrs[i] = arr.ctypes.data
            if param.type.shape is None:
                any_shape = arr.shape if any_shape is None else any_shape
                shapes.append(arr.size)
            elif not param.type.is_scalar:
                shapes.extend(arr.shape)
        shape_arr = np.array(shapes or [0], dtype=np.int64)
        outs = (ctypes.c_void_p * max(len(fn.results), 1))()
        out_shapes = np.zeros(max(sum(self.out_ranks), 3), dtype=np.int64)  # also run-time error details
        callback = ctypes.c_void_p(None)
        raised: list[BaseException] = []
        if progress is not None:
            names = self.trace_names

            def on_iteration(k, total, values):
                # An exception cannot cross native frames: keep it, ask the loop to stop, re-raise.
                try:
                    progress(int(k), int(total), {name: values[i] for i, name in enumerate(names)})
                except BaseException as err:  # noqa: BLE001 - re-raised below, KeyboardInterrupt included
                    raised.append(err)
                    return 1
                return 0

            callback = PROGRESS(on_iteration)
        rc = self.call(ptrs, shape_arr.ctypes.data, outs, out_shapes.ctypes.data, ctypes.cast(callback, ctypes.c_void_p))
        if raised:
            raise raised[0]
        if rc != 0:
            op, message = self.error_sites[rc - 1]
            message = message.format(*(int(v) for v in out_shapes[:3]))
            raise run_time_error(op, message)
        return self._results(outs, out_shapes, any_shape)

    def _results(self, outs, out_shapes, any_shape) -> list:
        results, offset = [], 0
        for v, rank, ptr in zip(self.fn.results, self.out_ranks, outs):
            dtype = _np(v.type.dtype)
            if v.type.is_scalar:
                value = np.frombuffer((ctypes.c_char * dtype.itemsize).from_address(ptr), dtype=dtype)[0].copy()
                results.append(value)
            else:
                shape = tuple(int(d) for d in out_shapes[offset : offset + rank])
                offset += rank
                arr = np.empty(shape, dtype=dtype)
                if arr.nbytes:
                    ctypes.memmove(arr.ctypes.data, ptr, arr.nbytes)
                results.append(arr.reshape(any_shape) if v.type.shape is None and any_shape is not None else arr)
            _libc.free(ptr)
        return results


KERNEL = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64)
_SPLIT = 1 << 16  # tensors at least this long are split across threads
_PARALLEL = 1 << 19  # below this many elements in total, one thread does everything


class MultiTensorStep:
    """The native multi-tensor step of an elementwise optimizer (see `multi_tensor.py`)."""

    def __init__(self, fn: Function, address: int, keepalive, threads: int | None = None):
        import os

        self.fn = fn
        self.call = KERNEL(address)
        self.keepalive = keepalive
        n_hyper = len(fn.attrs["hyper_names"])
        self.hyper_params = fn.params[len(fn.params) - 1 - n_hyper : len(fn.params) - 1]
        self.hyper_buf = np.zeros(max(8 * n_hyper, 8), dtype=np.uint8)
        self.hyper_ptr = self.hyper_buf.ctypes.data  # the buffer is never reallocated
        self.hyper_key: tuple | None = None
        self.threads = max(1, threads or os.cpu_count() or 1)
        self._pool = None

    def set_hypers(self, values: list) -> None:
        """Write hyperparameter values (NumPy scalars of the right dtypes) into their slots."""
        key = tuple(values)
        if key == self.hyper_key:
            return
        for i, (param, value) in enumerate(zip(self.hyper_params, values)):
            dtype = _np(param.type.dtype)
            self.hyper_buf[8 * i : 8 * i + dtype.itemsize] = np.frombuffer(np.array(value, dtype=dtype).tobytes(), np.uint8)
        self.hyper_key = key

    def plan(self, rows: list[list[np.ndarray]]):
        """Pointer tables for tensors given as rows [param, grad?, states...], split across threads."""
        sizes = [row[0].size for row in rows]
        total = sum(sizes)
        n_chunks = self.threads if total >= _PARALLEL else 1
        tables: list[list] = [[] for _ in range(n_chunks)]
        loads = [0] * n_chunks
        for row, n in zip(rows, sizes):
            if n_chunks > 1 and n >= _SPLIT:
                bounds = [n * j // n_chunks for j in range(n_chunks + 1)]
                for j in range(n_chunks):
                    tables[j].append((row, bounds[j], bounds[j + 1]))
                    loads[j] += bounds[j + 1] - bounds[j]
            else:
                j = loads.index(min(loads))
                tables[j].append((row, 0, n))
                loads[j] += n
        return [self._table(entries) for entries in tables if entries]

    def _table(self, entries):
        width = len(entries[0][0])
        ptrs = np.empty(len(entries) * width, dtype=np.uint64)
        lengths = np.empty(len(entries), dtype=np.int64)
        for k, (row, lo, hi) in enumerate(entries):
            for j, arr in enumerate(row):
                offset = lo * arr.itemsize if arr.ndim else 0
                ptrs[k * width + j] = arr.ctypes.data + offset
            lengths[k] = hi - lo
        return ptrs, lengths, ptrs.ctypes.data, lengths.ctypes.data, len(entries)

    def run(self, tables, t: int) -> None:
        """One step over every tensor of the plan (threads run the other chunks)."""
        hyper = self.hyper_ptr
        if len(tables) == 1:
            _, _, ptrs, lengths, count = tables[0]
            self.call(ptrs, lengths, count, hyper, t)
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.threads - 1)
        futures = [self._pool.submit(self.call, tb[2], tb[3], tb[4], hyper, t) for tb in tables[1:]]
        _, _, ptrs, lengths, count = tables[0]
        self.call(ptrs, lengths, count, hyper, t)
        for f in futures:
            f.result()
