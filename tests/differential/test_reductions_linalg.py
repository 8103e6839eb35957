"""Reductions with and without `axis=` (on matrices, views and empty tensors; NaN, infinities,
`logsumexp` with -inf, ties in `argmax`/`argmin`) and linear algebra (`dot`, `@` as matvec,
vecmat and matmul, `outer`, `.T`, products of views) on both backends."""

from __future__ import annotations

import numpy as np
import pytest

from tests.differential import harness
from tests.differential.problems import diabetes_standardized
from tests.differential.tolerances import DTYPES, OP_RTOL

pytestmark = pytest.mark.llvm

SPECIAL = ("fn special(x: real[m, n], code: int[m, n]) -> real[m, n] = "
           "where(code == 1, nan, where(code == 2, inf, where(code == 3, -inf, x)))\n")

PROGRAMS = {
    "reductions": SPECIAL + """
solver reductions(x: real[m, n], code: int[m, n]) {
  A = special(x, code)
  return sum = sum(A), sum0 = sum(A, axis=0), sum1 = sum(A, axis=1), sum_last = sum(A, axis=-1), \\
         max = max(A), max0 = max(A, axis=0), min1 = min(A, axis=1), min = min(A), \\
         mean = mean(A), mean0 = mean(A, axis=0), norm = norm(A), norm1 = norm(A, axis=1), \\
         l1 = norm1(A, axis=0), linf = norminf(A, axis=1), linf_all = norminf(A), \\
         lse = logsumexp(A), lse0 = logsumexp(A, axis=0), lse1 = logsumexp(A, axis=1), \\
         argmax0 = argmax(A, axis=0), argmax1 = argmax(A, axis=1), argmin0 = argmin(A, axis=0), \\
         argmin1 = argmin(A, axis=-1), row_argmax = argmax(A[0, :]), \\
         col_argmin = argmin(A[:, 1]), \\
         t_sum0 = sum(A.T, axis=0), t_argmax1 = argmax(A.T, axis=1), t_max = max(A.T, axis=1), \\
         block_sum1 = sum(A[1:m, :], axis=1), block_argmin0 = argmin(A[0:2, 1:n], axis=0)
}
""",
    "vector_axis": """
solver vector_axis(x: real[n]) {
  return norm = norm(x, axis=0), sum = sum(x * 2, axis=0), max = max(x, axis=0), \\
         lse = logsumexp(x, axis=0), argmax = argmax(x, axis=0), argmin = argmin(x, axis=-1), \\
         min = min(exp(x), axis=-1), mean = mean(x, axis=0), l1 = norm1(x, axis=0)
}
""",
    "int_reductions": """
solver int_reductions(I: int[m, n]) {
  return sum = sum(I), sum0 = sum(I, axis=0), max1 = max(I, axis=1), min = min(I), \\
         argmax0 = argmax(I, axis=0), argmin1 = argmin(I, axis=1), mean = mean(I), l1 = norm1(I), \\
         row_argmin = argmin(I[1, :]), shifted = sum(I + 1)
}
""",
    "axis_of_expression": """
solver axis_of_expression(A: real[m, n], I: int[m, n]) {
  return scaled = sum(A * 2, axis=0), norms = norm(A, axis=1), shifted = max(A + 1, axis=-1), \\
         l1 = norm1(I, axis=1)
}
""",
    "flat_arg": """
solver flat_arg(A: real[m, n]) {
  return argmax = argmax(A), argmin = argmin(A), t_argmax = argmax(A.T)
}
""",
    "empty": """
solver empty(k: int) {
  z = zeros(k)
  return sum = sum(z), mean = mean(z), norm = norm(z), rows = sum(zeros(k, 3), axis=0)
}
""",
    "linalg": """
solver linalg(A: real[m, n], B: real[n, k], x: real[n], y: real[m]) {
  return mv = A @ x, vm = y @ A, mm = A @ B, dot = dot(x, x), vv = x @ x, outer = outer(y, x), \\
         t = A.T, t_mv = A.T @ y, t_vm = x @ A.T, t_mm = B.T @ A.T, gram = A.T @ A, \\
         outer_t = outer(x, y).T, col_sums = ones(m) @ A, rows_mv = A[1:4, :] @ x, \\
         cols_mv = A[:, 1:3] @ x[1:3], col_dot = dot(A[:, 0], y), row_dot = dot(A[2, :], x), \\
         block_mm = A[0:3, 1:n] @ B[1:n, :], scaled = (2 * A) @ x + A @ (x * 0.5), \\
         chain = A @ (A.T @ y)
}
""",
}

# Ties everywhere: each row and each column has its extreme value twice.
TIES = np.array([[1.0, 3.0, 3.0, -2.0], [3.0, 0.0, -1.0, 3.0], [-2.0, 3.0, 3.0, 1.0]])
NO_CODES = np.zeros(TIES.shape, dtype=np.int64)


def check(programs, name: str, dtype: str, **inputs) -> None:
    harness.check(programs.path(PROGRAMS[name]), name, dtype, inputs, OP_RTOL[dtype],
                  measure="normwise")


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_with_ties_pick_the_first_index(programs, dtype):
    check(programs, "reductions", dtype, x=TIES, code=NO_CODES)


@pytest.mark.parametrize("dtype", DTYPES)
def test_axis_reductions_of_a_vector_are_scalars(programs, dtype):
    """axis=0 (or -1) of a rank-1 tensor reduces all of it (llvm once returned a 0-d buffer
    where a scalar was expected, and crashed in code generation)."""
    check(programs, "vector_axis", dtype, x=diabetes_standardized()[1][:40])


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_on_real_data(programs, dtype):
    A = diabetes_standardized()[0][:12, :5]
    check(programs, "reductions", dtype, x=A, code=np.zeros(A.shape, dtype=np.int64))


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_with_nan_and_infinities(programs, dtype):
    # rows: all -inf; -inf with finite values; +inf and -inf; a NaN after a larger value
    x = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, -3.0], [0.0, 1.0, 0.0, 2.0],
                  [5.0, 0.0, 1.0, 2.0]])
    code = np.array([[3, 3, 3, 3], [3, 0, 3, 0], [2, 0, 3, 0], [0, 1, 0, 0]])
    check(programs, "reductions", dtype, x=x, code=code)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_with_minus_infinity(programs, dtype):
    x = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [-1000.0, 2.0, 0.0]])
    code = np.array([[3, 3, 3], [0, 3, 0], [0, 0, 3]])
    check(programs, "reductions", dtype, x=x, code=code)


@pytest.mark.parametrize("dtype", DTYPES)
def test_int_reductions(programs, dtype):
    I = np.array([[4, -2, 4, 0], [-7, 3, 3, -7], [1, 1, 0, 9]])
    check(programs, "int_reductions", dtype, I=I)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reduction_along_an_axis_of_an_expression(programs, dtype):
    # numpy: scaled = [6, 10, 14], norms = [2.236, 7.071], shifted = [3, 6], l1 = [3, 12]
    A, I = np.arange(6.0).reshape(2, 3), np.arange(6).reshape(2, 3)
    check(programs, "axis_of_expression", dtype, A=A, I=I)


@pytest.mark.parametrize("dtype", DTYPES)
def test_flat_argmax_and_argmin_of_a_matrix(programs, dtype):
    # numpy: argmax = 6 (the 7 at [1, 2]), argmin = 0, argmax(A.T) = 7
    A = np.arange(12.0).reshape(3, 4) - 5
    A[1, 2] = 7
    check(programs, "flat_arg", dtype, A=A)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_of_empty_tensors(programs, dtype):
    check(programs, "empty", dtype, k=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_algebra_on_real_data(programs, dtype):
    X, y = diabetes_standardized()
    check(programs, "linalg", dtype, A=X[:8, :5], B=X[8:13, 5:9], x=X[20, :5], y=y[:8] / 100)
