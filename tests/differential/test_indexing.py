"""Indexing (`x[j]`, `A[:, j]`, `A[i, :]`, `A[i]`, `x[a:b]`, negative indices, views of views),
indexed updates (`x'[j] = …`, `A'[i, :] = …`, slices, broadcast scalars) and constructors
(`zeros`, `ones`, `full`, `eye`, `zeros_like`, `ones_like`, `full_like`, `size`, dimension names
as ints) on both backends."""

from __future__ import annotations

import pytest

from tests.differential import harness
from tests.differential.problems import diabetes_standardized
from tests.differential.tolerances import DTYPES, OP_RTOL

pytestmark = pytest.mark.llvm

PROGRAMS = {
    "indexing": """
solver indexing(A: real[m, n], x: real[n], i: int, j: int, a: int, b: int) {
  return xj = x[j], last = x[-1], first = x[-n], Aij = A[i, j], col = A[:, j], row = A[i, :], \\
         row_short = A[i], slice = x[a:b], tail = x[a:], head = x[:b], rows = A[a:b, :], \\
         col_part = A[a:b, j], row_part = A[i, a:b], block = A[a:b, a:b], t_row = A.T[j, :], \\
         t_col = A.T[:, i], corner = A[-1, -2], at_max = x[argmax(x)], of_view = A[i, :][a:b], \\
         of_expr = (2 * x)[j], col_sum = sum(A[:, j] * x[j])
}
""",
    "updates": """
solver updates(A: real[m, n], x: real[n], i: int, j: int, a: int, b: int, sweeps: int) {
  state y = x
  state z = x
  state B = A
  state C = A
  state D = A
  state E = A
  state F = A
  for k in 0..sweeps {
    y'[j] = y[j] * 2 + B[i, j] + k
    z'[a:b] = z[a:b] * 2 + 1
    B'[i, :] = B[i, :] + y'
    C'[:, j] = C[:, j] * 3 + k
    D'[a:b, j] = -1.5
    E'[i, a:b] = x[a:b] + E[i, a:b]
    F'[i, :] = k
  }
  return y, z, B, C, D, E, F
}
""",
    "sweep": """
solver sweep(A: real[m, n], x: real[n]) {
  state y = x
  state R = A
  for k in 0..2 {
    for j in 0..n {
      y'[j] = dot(A[:, j], A @ y) / m + y[-1]
    }
    for i in 0..m {
      R'[i, :] = R[i, :] * 0.5 + y
    }
  }
  return y, R
}
""",
    "constructors": """
solver constructors(x: real[n], A: real[m, n], k: int, v: real) {
  return zeros = zeros(n), ones = ones(m, n), full = full(2, n, v), full_int = full(k, 3), \\
         eye = eye(n), eye_k = eye(k), zeros_like = zeros_like(A), ones_like = ones_like(x), \\
         full_like = full_like(A, v), full_like_int = full_like(x, k), size = size(A), \\
         size_x = size(x), zeros_k = zeros(k, n + 1), \\
         ratio = n / m, dims = n * m + k, mean_by_hand = sum(x) / n, eye_times = eye(n) @ x
}
""",
}

X, Y = diabetes_standardized()
A, x = X[:5, :4].copy(), X[7, :4].copy()


def check(programs, name: str, dtype: str, **inputs) -> None:
    harness.check(programs.path(PROGRAMS[name]), name, dtype, inputs, OP_RTOL[dtype],
                  signed_zeros=True)


# (i, j, a, b): plain, negative i and j, an empty slice, a slice to the end
INDICES = [(0, 0, 0, 1), (2, 1, 1, 3), (-1, -2, 0, 4), (4, 3, 2, 2), (-5, -4, 3, 4)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("i,j,a,b", INDICES)
def test_indexing(programs, dtype, i, j, a, b):
    check(programs, "indexing", dtype, A=A, x=x, i=i, j=j, a=a, b=b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("i,j,a,b", INDICES)
def test_indexed_updates(programs, dtype, i, j, a, b):
    check(programs, "updates", dtype, A=A, x=x, i=i, j=j, a=a, b=b, sweeps=3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_indexed_updates_in_nested_sweeps(programs, dtype):
    check(programs, "sweep", dtype, A=A, x=x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [3, 0])
def test_constructors(programs, dtype, k):
    check(programs, "constructors", dtype, x=x, A=A, k=k, v=-2.5)
