"""Checking a call's data before any backend touches it.

Inputs are matched to the declaration's parameters by name, converted to the compiled dtype
(a copy only when the dtype or layout differs: backends never write into inputs), checked for rank, for consistent symbolic
dimensions and for NaN; ints and bools are checked to be what they claim. Every problem is an
`OptcError` with a plain message naming the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optc.errors import OptcError, did_you_mean
from optc.ir.core import Function
from optc.ir.types import NUMPY_NAMES, TensorType


def describe(t: TensorType) -> str:
    """A type as the user wrote it: `real[m, n]`, `int`, `bool`."""
    base = {"f32": "real", "f64": "real", "i64": "int", "bool": "bool"}[t.dtype]
    if t.shape is None:
        return f"{base}[...]"
    return base if not t.shape else f"{base}[{', '.join(map(str, t.shape))}]"


def to_dtype_name(dtype: Any) -> str | None:
    """'f32' or 'f64' for 'float32'/'float64'/np.float32/'f32'/…, None for None; else an error."""
    if dtype is None:
        return None
    aliases = {"f32": "f32", "f64": "f64", "float32": "f32", "float64": "f64", "single": "f32", "double": "f64"}
    if isinstance(dtype, str) and dtype in aliases:
        return aliases[dtype]
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt == np.float32:
        return "f32"
    if dt == np.float64:
        return "f64"
    raise OptcError(f"dtype must be 'float32' or 'float64', not {dtype!r}")


def convert_scalar(name: str, value: Any, t: TensorType) -> Any:
    """A scalar input converted to its declared type, or an error naming it."""
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise OptcError(f"input `{name}` must be a scalar ({describe(t)}), got an array of shape {arr.shape}")
    _check_kind(name, arr, t)
    if t.dtype == "bool":
        if arr.dtype != bool and arr.item() not in (0, 1):
            raise OptcError(f"input `{name}` must be a bool, got {arr.item()!r}")
        return np.bool_(bool(arr.item()))
    if t.dtype == "i64":
        item = arr.item()
        if isinstance(item, float) and not float(item).is_integer():
            raise OptcError(f"input `{name}` must be an int, got {item!r}")
        return np.int64(int(item))
    item = np_type(t).type(arr.item())
    if np.isnan(item):
        raise OptcError(f"input `{name}` is NaN")
    return item


def np_type(t: TensorType) -> np.dtype:
    return np.dtype(NUMPY_NAMES[t.dtype])


def _check_kind(name: str, arr: np.ndarray, t: TensorType) -> None:
    kind = arr.dtype.kind
    if kind not in "biuf":
        what = {"c": "complex numbers", "O": "Python objects", "U": "text", "S": "bytes"}.get(kind, f"dtype {arr.dtype}")
        raise OptcError(f"input `{name}` holds {what}; optc needs real numbers")
    if t.dtype == "i64" and kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise OptcError(f"input `{name}` must hold integers ({describe(t)})")


def convert_array(name: str, value: Any, t: TensorType, dims: dict[str, tuple[int, str]],
                  check_finite: bool = True) -> np.ndarray:
    """An array input checked against its declared type and converted (C-contiguous, the
    compiled dtype; the array itself when it already is).

    `dims` maps each dimension symbol bound so far to (length, input that bound it). With
    `check_finite`, a NaN or infinity in a float array is an error naming its first index (a
    full pass over the array).
    """
    arr = np.asarray(value)
    _check_kind(name, arr, t)
    if t.shape is not None:
        if arr.ndim != len(t.shape):
            what = {1: "a vector", 2: "a matrix"}.get(len(t.shape), f"a rank-{len(t.shape)} array")
            raise OptcError(f"input `{name}` must be {what} ({describe(t)}), got shape {arr.shape}")
        for axis, (sym, n) in enumerate(zip(t.shape, arr.shape)):
            if isinstance(sym, int):
                if n != sym:
                    raise OptcError(f"input `{name}` must have length {sym} along axis {axis}, got shape {arr.shape}")
            elif sym in dims and dims[sym][0] != n:
                bound, by = dims[sym]
                raise OptcError(f"input `{name}` has shape {arr.shape}, but dimension `{sym}` is {bound} (from `{by}`)",
                                notes=(f"`{name}` is declared {describe(t)}",))
            elif isinstance(sym, str) and sym.isidentifier():
                dims[sym] = (n, name)
    if check_finite and arr.dtype.kind == "f" and arr.size and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        what = "NaN" if np.isnan(arr[tuple(bad)]) else "an infinite value"
        raise OptcError(f"input `{name}` contains {what} (first at index {tuple(int(i) for i in bad)})")
    return np.ascontiguousarray(arr, dtype=np_type(t))


def bind_inputs(fn: Function, inputs: dict[str, Any], what: str, check_finite: bool = True) -> list:
    """The argument list of a solver function from named inputs (defaults filled in)."""
    names = fn.attrs["param_names"]
    defaults = fn.attrs.get("defaults", {})
    unknown = [k for k in inputs if k not in names]
    if unknown:
        k = unknown[0]
        raise OptcError(f"{what} has no input `{k}`{did_you_mean(k, names)}",
                        notes=(f"its inputs are: {', '.join(names)}",))
    args, dims = [], {}
    for name, param in zip(names, fn.params):
        if name in inputs:
            value = inputs[name]
        elif name in defaults:
            value = defaults[name]
        else:
            raise OptcError(f"missing input `{name}` ({describe(param.type)}) for {what}")
        if param.type.is_scalar:
            args.append(convert_scalar(name, value, param.type))
        else:
            args.append(convert_array(name, value, param.type, dims, check_finite))
    return args


def infer_dtype(inputs: dict[str, Any]) -> str:
    """The working float type for a call: float32 if every float array input is float32."""
    float_dtypes = {np.asarray(v).dtype for v in inputs.values() if np.asarray(v).dtype.kind == "f" and np.ndim(v) > 0}
    return "f32" if float_dtypes == {np.dtype(np.float32)} else "f64"
