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

from optc.errors import OptcError
from optc.ir.core import Function
from optc.ir.types import NUMPY_NAMES

ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.POINTER(ctypes.c_double))
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
            arr = np.ascontiguousarray(value, dtype=_np(param.type.dtype))
            keep.append(arr)
            ptrs[i] = arr.ctypes.data
            if param.type.shape is None:
                any_shape = any_shape or arr.shape
                shapes.append(arr.size)
            elif not param.type.is_scalar:
                shapes.extend(arr.shape)
        shape_arr = np.array(shapes or [0], dtype=np.int64)
        outs = (ctypes.c_void_p * max(len(fn.results), 1))()
        out_shapes = np.zeros(max(sum(self.out_ranks), 1), dtype=np.int64)
        callback = ctypes.c_void_p(None)
        if progress is not None:
            names = self.trace_names

            def on_iteration(k, total, values):
                progress(int(k), int(total), {name: values[i] for i, name in enumerate(names)})

            callback = PROGRESS(on_iteration)
        rc = self.call(ptrs, shape_arr.ctypes.data, outs, out_shapes.ctypes.data, ctypes.cast(callback, ctypes.c_void_p))
        if rc != 0:
            op, message = self.error_sites[rc - 1]
            raise OptcError(f"{_describe(op.opcode)} failed at run time: {message}", op.loc)
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


def _describe(opcode: str) -> str:
    return {"index": "indexing", "setindex": "an indexed update"}.get(opcode, f"`{opcode}`")
