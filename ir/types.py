"""IR types: a dtype and a symbolic shape, printed like `f64[n,3]`.

A dimension is an int, a symbol (`n`), a symbolic expression kept as text (`n-1`), or `?`
(unknown until run time). A shape of `None` means "any shape": the parameter tensors of an
optimizer, printed `f64[...]`. Shapes are checked here symbolically; what cannot be decided
symbolically is checked by the backends at call time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

Dim = Union[int, str]
DTYPES = ("f32", "f64", "i64", "bool")
FLOAT_DTYPES = ("f32", "f64")
NUMPY_NAMES = {"f32": "float32", "f64": "float64", "i64": "int64", "bool": "bool"}


class ShapeError(Exception):
    """A shape or dtype rule failed; callers attach the span or turn it into an internal error."""


@dataclass(frozen=True)
class TensorType:
    """The type of an IR value: element dtype and shape (None = any shape)."""

    dtype: str
    shape: tuple[Dim, ...] | None = ()

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r}")

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOAT_DTYPES

    def with_dtype(self, dtype: str) -> TensorType:
        return TensorType(dtype, self.shape)

    def with_shape(self, shape: tuple[Dim, ...] | None) -> TensorType:
        return TensorType(self.dtype, shape)

    def __str__(self) -> str:
        if self.shape is None:
            return f"{self.dtype}[...]"
        return f"{self.dtype}[{','.join(str(d) for d in self.shape)}]"


def scalar(dtype: str) -> TensorType:
    """The rank-0 type of a dtype."""
    return TensorType(dtype, ())


def unify_dim(a: Dim, b: Dim) -> Dim:
    """The common value of two dimensions that must be equal, or ShapeError."""
    if a == b:
        return a
    if a == "?":
        return b
    if b == "?":
        return a
    raise ShapeError(f"dimension {a} does not match dimension {b}")


def broadcast_shapes(a: tuple[Dim, ...] | None, b: tuple[Dim, ...] | None) -> tuple[Dim, ...] | None:
    """NumPy broadcasting of two symbolic shapes (None = any shape, which absorbs scalars)."""
    if a is None or b is None:
        other = b if a is None else a
        if other is None or other == ():
            return None
        raise ShapeError("a tensor of any shape cannot be combined with a tensor of fixed rank")
    out: list[Dim] = []
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da == 1:
            out.append(db)
        elif db == 1:
            out.append(da)
        else:
            try:
                out.append(unify_dim(da, db))
            except ShapeError:
                raise ShapeError(f"shapes [{_fmt(a)}] and [{_fmt(b)}] do not broadcast") from None
    return tuple(reversed(out))


def _fmt(shape: tuple[Dim, ...]) -> str:
    return ",".join(str(d) for d in shape)


def promote_dtypes(a: str, b: str) -> str:
    """The dtype two operands are converted to before arithmetic (bool < i64 < f32 < f64)."""
    order = {"bool": 0, "i64": 1, "f32": 2, "f64": 3}
    return a if order[a] >= order[b] else b
