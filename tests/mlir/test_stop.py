"""A failed run-time check stops an mlir program at once, as NumPy's exception does: a `require`
that fails before a long loop runs none of its iterations, and an error inside a loop ends that
loop (and the loops around it) in the iteration where it happens. Two observers compare with
NumPy: the progress callback (the same calls, none after the failure), and the number of LAPACK
factorizations the native code performs, counted by binding `optc.dgetrf` to a counting
wrapper around SciPy's routine (each loop iteration below factors one matrix)."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from optc.backends.mlir import runtime
from optc.backends.scipy_symbols import lapack_addresses

import optc
from optc.errors import OptcError
from tests.mlir.helpers import needs_mlir

pytestmark = needs_mlir

# dgetrf(m, n, a, lda, ipiv, info), all by pointer (SciPy's cython_lapack signature).
GETRF = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 6)


@pytest.fixture
def factorizations(monkeypatch):
    """A list that gets one entry per dgetrf call made by mlir code compiled from now on."""
    calls: list[int] = []
    real = GETRF(lapack_addresses()["optc.dgetrf"])

    def counted(*args):
        calls.append(1)
        real(*args)

    wrapper = GETRF(counted)
    addresses = {**lapack_addresses(), "optc.dgetrf": ctypes.cast(wrapper, ctypes.c_void_p).value}
    monkeypatch.setattr(runtime, "lapack_addresses", lambda: addresses)
    monkeypatch.setattr(runtime, "_compile", runtime._compile.__wrapped__)  # no cached engines
    yield calls
    del wrapper  # kept alive until here: compiled code calls it


def run(path, backend: str, **inputs):
    """(the error, progress calls) of a run that must fail."""
    calls = []
    with pytest.raises(OptcError) as info:
        optc.solve(path, backend=backend, progress=lambda *a: calls.append(a[0]), **inputs)
    return info.value, calls


SPD = np.array([[4.0, 1.0], [1.0, 3.0]])

REQUIRE_THEN_LOOP = """
solver s(A: real[n, n], b: real[n], lam: real, max_iter = 200000) -> real[n] {
  require lam >= 0, "lam must be nonnegative"
  state x = b
  trace size = norm(x)
  for k in 0..max_iter {
    x' = solve(A, x) + lam
  }
  return x
}
"""


def test_a_failed_require_runs_no_iteration_of_the_loop_after_it(tmp_path, factorizations):
    path = tmp_path / "require.opt"
    path.write_text(REQUIRE_THEN_LOOP)
    ok = optc.solve(path, backend="mlir", A=SPD, b=np.ones(2), lam=1.0, max_iter=7)
    assert ok.iterations == 7 and len(factorizations) == 7  # the counter counts
    factorizations.clear()
    errors = {}
    for backend in ("numpy", "mlir"):
        errors[backend], calls = run(path, backend, A=SPD, b=np.ones(2), lam=-1.0)
        assert calls == [], backend
    assert factorizations == []
    assert str(errors["mlir"]) == str(errors["numpy"])
    assert "lam must be nonnegative" in errors["mlir"].message


# x[k] is out of range from k = n on: the loop must stop in that iteration. The factorization
# comes after the read, so the failing iteration factors nothing either.
INDEX_IN_LOOP = """
solver s(A: real[n, n], b: real[n], max_iter = 1000) -> real[n] {
  state x = b
  trace size = norm(x)
  for k in 0..max_iter {
    c = x[k]
    x' = solve(A, c * x)
  }
  return x
}
"""

# The same error in an inner loop ends the outer one too: x[k + j - 1] reaches 2 at k = 2.
INDEX_IN_INNER_LOOP = """
solver s(A: real[n, n], b: real[n], max_iter = 1000) -> real[n] {
  state x = b
  state y = b
  trace size = norm(x)
  for k in 0..max_iter {
    for j in 0..2 {
      y'[j] = x[k + j - 1]
    }
    x' = solve(A, y')
  }
  return x
}
"""


@pytest.mark.parametrize(
    "src, completed", [(INDEX_IN_LOOP, 2), (INDEX_IN_INNER_LOOP, 2)], ids=["loop", "inner_loop"]
)
def test_an_index_error_in_a_loop_stops_in_its_iteration(tmp_path, factorizations, src, completed):
    path = tmp_path / "index.opt"
    path.write_text(src)
    errors, progress = {}, {}
    b = np.array([1.0, 2.0])
    for backend in ("numpy", "mlir"):
        errors[backend], progress[backend] = run(path, backend, A=SPD, b=b)
    assert progress["mlir"] == progress["numpy"] == list(range(1, completed + 1))
    assert len(factorizations) == completed  # not max_iter: the loop did not go on
    assert str(errors["mlir"]) == str(errors["numpy"])
    assert "index 2 is out of range for axis 0 of length 2" in errors["mlir"].message


def test_a_failed_require_skips_the_work_after_it(tmp_path, factorizations):
    path = tmp_path / "straight.opt"
    path.write_text(
        """
solver s(A: real[n, n], b: real[n], lam: real) -> real[n] {
  require lam >= 0, "lam must be nonnegative"
  return x = solve(A, b) * lam
}
"""
    )
    for backend in ("numpy", "mlir"):
        with pytest.raises(OptcError, match="lam must be nonnegative"):
            optc.solve(path, backend=backend, A=SPD, b=np.ones(2), lam=-1.0)
    assert factorizations == []
    res = optc.solve(path, backend="mlir", A=SPD, b=np.ones(2), lam=2.0)
    np.testing.assert_allclose(res.x, np.linalg.solve(SPD, np.ones(2)) * 2.0, rtol=1e-15)
    assert len(factorizations) == 1


def test_a_failed_require_in_an_optimizer_step_leaves_its_tensor_unchanged(tmp_path):
    """After a failed check the step's results are placeholders: never reshaped, never stored."""
    path = tmp_path / "capped.opt"
    path.write_text(
        """
optimizer capped(lr = 0.1) {
  param p
  grad g
  require lr > 0, "the learning rate must be positive"
  p' = p - lr * g
}
"""
    )
    for backend in ("numpy", "mlir"):
        opt = optc.optimizer(path, backend=backend)
        p = np.arange(6.0).reshape(2, 3)
        state = opt.init(p)
        with pytest.raises(OptcError, match="the learning rate must be positive"):
            opt.step(p, np.ones((2, 3)), state, lr=-1.0)
        np.testing.assert_array_equal(p, np.arange(6.0).reshape(2, 3))
        opt.step(p, np.ones((2, 3)), state, lr=0.5)
        np.testing.assert_array_equal(p, np.arange(6.0).reshape(2, 3) - 0.5)
