"""Run-time errors: indices and slices out of range, indexed updates out of range, reductions
of empty tensors, a negative dimension. Both backends raise an `OptcError` at the same source
span with the same kind of failure (`indexing failed at run time`, …); for indexing, the whole
message is the same."""

from __future__ import annotations

import numpy as np
import pytest

import optc
from optc.errors import OptcError
from tests.differential import harness
from tests.differential.tolerances import DTYPES

pytestmark = pytest.mark.llvm

PROGRAMS = {
    "read": """
solver read(A: real[m, n], x: real[n], i: int, j: int) {
  a = x[j]
  b = A[i, :]
  c = A[:, j]
  d = A[i, j]
  return total = a + sum(b) + sum(c) + d
}
""",
    "slice": """
solver slice(A: real[m, n], x: real[n], a: int, b: int) {
  return part = x[a:b], rows = A[a:b, 0]
}
""",
    "write": """
solver write(A: real[m, n], x: real[n], i: int, j: int) {
  state y = x
  state B = A
  for k in 0..2 {
    y'[j] = 1.0
    B'[i, :] = y
  }
  return y, B
}
""",
    "in_loop": """
solver in_loop(x: real[n], steps: int) {
  state y = x
  trace first = y[0]
  for k in 0..steps {
    y' = y * 0.5 + x[k]
  }
  return y
}
""",
    "empty": """
solver empty(k: int) {
  z = zeros(k)
  return top = max(z), at = argmax(z)
}
""",
    "empty_logsumexp": """
solver empty_logsumexp(k: int) {
  return lse = logsumexp(zeros(k))
}
""",
    "negative": """
solver negative(k: int) {
  return f = full(k, 3, 1.5)
}
""",
    "singular": """
solver singular(A: real[m, n], x: real[n]) {
  return y = solve(A.T @ A, x)
}
""",
}

A = np.arange(12.0).reshape(3, 4)
x = np.array([1.0, -2.0, 3.0, 0.5])

# Failures of indexing, whose messages (index, axis, length) must be the same on both backends.
INDEX_CASES = {
    "index past the end": ("read", {"A": A, "x": x, "i": 0, "j": 4}),
    "negative index past the start": ("read", {"A": A, "x": x, "i": 0, "j": -5}),
    "row out of range": ("read", {"A": A, "x": x, "i": 3, "j": 0}),
    "negative row out of range": ("read", {"A": A, "x": x, "i": -4, "j": 0}),
    "slice with a negative start": ("slice", {"A": A, "x": x, "a": -2, "b": 3}),
    "slice with negative bounds": ("slice", {"A": A, "x": x, "a": -3, "b": -1}),
    "slice ending before it starts": ("slice", {"A": A, "x": x, "a": 2, "b": 1}),
    "slice past the end": ("slice", {"A": A, "x": x, "a": 0, "b": 5}),
    "row slice past the end": ("slice", {"A": A, "x": x, "a": 1, "b": 4}),
    "update past the end": ("write", {"A": A, "x": x, "i": 0, "j": 4}),
    "row update out of range": ("write", {"A": A, "x": x, "i": 3, "j": 1}),
    "index in the fifth iteration": ("in_loop", {"x": x, "steps": 6}),
}
# Other failures: the detail after `failed at run time:` is NumPy's own wording on numpy.
OTHER_CASES = {
    "max of an empty tensor": ("empty", {"k": 0}),
    "logsumexp of an empty tensor": ("empty_logsumexp", {"k": 0}),
    "negative dimension": ("negative", {"k": -1}),
    # A's rows are in arithmetic progression: A.T @ A has rank 2, LU meets an exact zero.
    "singular matrix": ("singular", {"A": A, "x": x}),
}


def run_case(programs, case: str, dtype: str):
    name, inputs = {**INDEX_CASES, **OTHER_CASES}[case]
    ref, got = harness.run_both(programs.path(PROGRAMS[name]), name, dtype, inputs)
    assert ref.error is not None and ref.error.span is not None, "numpy should fail at a span"
    harness.assert_same_error(ref, got)
    return ref, got


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [*INDEX_CASES, *OTHER_CASES])
def test_run_time_error_at_the_same_place(programs, case, dtype):
    run_case(programs, case, dtype)


@pytest.mark.parametrize("case", list(INDEX_CASES))
def test_indexing_error_messages_are_the_same(programs, case):
    ref, got = run_case(programs, case, "float64")
    assert str(got.error) == str(ref.error)


def test_errors_of_a_kernel_loaded_from_the_disk_cache(programs):
    """A second solver for the same program loads the first one's object code from the disk
    cache, with its table of error sites: its errors point at the same places."""
    path = programs.path(PROGRAMS["write"])
    name, inputs = INDEX_CASES["row update out of range"]
    ref = harness.run(path, name, "numpy", "float64", inputs)
    for _ in range(2):
        solver = optc.solver(path, name, backend="llvm", dtype="float64")
        with pytest.raises(OptcError) as failure:
            solver(**inputs)
        assert str(failure.value) == str(ref.error)
