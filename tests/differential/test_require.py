"""`require COND, "message"` on every backend: a false condition stops the program with the same
error (the user's message, the condition's text, the statement's span and caret) on numpy, llvm
and mlir, at the top of a solver, in the iteration of a loop where it becomes false, in a `fn`
(also under `grad`), and in an optimizer's step (which then leaves the parameter and its states
as they were). A requirement that holds changes nothing: the results are bit for bit those of
the same program without it, on real data."""

from __future__ import annotations

import numpy as np
import pytest
from optc.backends.mlir import available as mlir_available
from sklearn.datasets import load_diabetes

import optc
from optc.errors import OptcError
from tests.differential import harness
from tests.differential.tolerances import DTYPES

pytestmark = pytest.mark.llvm

BACKENDS = ("numpy", "llvm", *(("mlir",) if mlir_available() else ()))

PROGRAMS = {
    # The requirement guards a slice whose bounds bs would make invalid: it must fail first.
    "blocks": """
solver blocks(x: real[n], bs = 2, rule = 0) {
  require bs >= 1, "the block size bs must be at least 1"
  require rule == 0 or rule == 2, "rule must be 0 (cyclic) or 2 (greedy)"
  state y = x
  for k in 0..n until k + bs >= n {
    y'[k:k + bs] = where(rule == 0, 2.0, 3.0) * y[k:k + bs]
  }
  return y
}
""",
    # Fails in the iteration where the doubled state first exceeds the bound.
    "growth": """
solver growth(x: real[n], bound: real, steps = 10) {
  state y = x
  trace size = norm(y)
  for k in 0..steps {
    require norm(y') <= bound, "y grew past the bound"
    y' = 2 * y
  }
  return y
}
""",
    # A fn with a block body: its requirement travels with every call (and with grad(f)).
    "fn_grad": """
fn penalty(x: real[n], lam: real) -> real {
  require lam >= 0, "lam must be nonnegative: {lam} is a penalty weight"
  return 0.5 * norm(x)^2 + lam * sum(x * x * x)
}

solver fn_grad(x: real[n], lam: real) {
  return value = penalty(x, lam), slope = grad(penalty)(x, lam)
}
""",
    # A loop-invariant index the loop's own requirement guards: the optimizer must not move the
    # index (or a solve) out of the loop, where it would fail before the require, or when the
    # loop runs zero times.
    "guarded": """
solver guarded(x: real[n], p: int, k: int) {
  state s = 0.0
  state z = x
  for i in 0..k {
    require p < n, "p must index x"
    s' = s + x[p] + i
    z' = solve(eye(n) * x[p], x)
  }
  return s, z
}
""",
}

OPTIMIZER = """
optimizer capped(lr = 0.1, cap = 10.0) {
  param p
  grad g
  state m = zeros_like(p)
  require lr > 0, "the learning rate must be positive"
  require norminf(p') <= cap, "the parameters left the box [-cap, cap]"
  m' = 0.5 * m + g
  p' = p - lr * m'
}
"""

# (program, inputs, the expected line of the failing `require`).
FAILURES = {
    "bs = 0": ("blocks", {"x": np.arange(1.0, 6.0), "bs": 0}, 3),
    "bs = -1 (a slice would fail)": ("blocks", {"x": np.arange(1.0, 6.0), "bs": -1}, 3),
    "rule = 7": ("blocks", {"x": np.arange(1.0, 6.0), "rule": 7}, 4),
    "fourth iteration": ("growth", {"x": np.full(3, 1.0), "bound": 20.0}, 6),
    "first iteration": ("growth", {"x": np.full(3, 1.0), "bound": 1.0}, 6),
    "in a fn and its gradient": ("fn_grad", {"x": np.arange(3.0), "lam": -0.5}, 3),
    "a guarded loop-invariant index": ("guarded", {"x": np.arange(1.0, 4.0), "p": 5, "k": 2}, 6),
}


def run_everywhere(programs, case: str, dtype: str) -> list[harness.Run]:
    name, inputs, _ = FAILURES[case]
    return [harness.run(programs.path(PROGRAMS[name]), name, b, dtype, inputs) for b in BACKENDS]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [5, 0])
def test_a_loop_that_runs_zero_times_checks_nothing(programs, dtype, p):
    """With k = 0 neither the bad index (p = 5) nor the singular solve (p = 0: x[0] = 0) runs."""
    x = np.arange(0.0, 3.0)
    for run in [harness.run(programs.path(PROGRAMS["guarded"]), "guarded", b, dtype, {"x": x, "p": p, "k": 0})
                for b in BACKENDS]:
        assert run.error is None, f"{run.backend}: {run.error}"
        np.testing.assert_array_equal(run.result.z, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(FAILURES))
def test_a_false_requirement_is_the_same_error_everywhere(programs, case, dtype):
    runs = run_everywhere(programs, case, dtype)
    ref = runs[0].error
    assert ref is not None and ref.span is not None, "numpy should fail at the require"
    _, _, line = FAILURES[case]
    assert ref.span.line == line and ref.span.file.line_text(line).strip().startswith("require")
    assert " (requirement `" in ref.message and ref.message.endswith("` failed)")
    assert "failed at run time" not in ref.message  # the user's message, not an op's failure
    for run in runs[1:]:
        assert run.error is not None, f"{run.backend} returns {run.result!r}"
        assert str(run.error) == str(ref), f"{run.backend}:\n{run.error}\nnumpy:\n{ref}"


def test_the_message_is_the_users_with_the_condition_and_a_caret(programs):
    err = run_everywhere(programs, "bs = 0", "float64")[0].error
    text = str(err)
    assert "error: the block size bs must be at least 1 (requirement `bs >= 1` failed)" in text
    assert "  require bs >= 1," in text and "^^^" in text
    err = run_everywhere(programs, "in a fn and its gradient", "float64")[0].error
    assert err.message.startswith("lam must be nonnegative: {lam} is a penalty weight")  # braces kept


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [
    ("blocks", {"x": np.arange(1.0, 6.0), "bs": 2, "rule": 2}),
    ("growth", {"x": np.full(3, 1.0), "bound": 1e6}),
    ("fn_grad", {"x": np.arange(3.0), "lam": 0.25}),
], ids=["blocks", "growth", "fn_grad"])
def test_requirements_that_hold_let_the_program_run(programs, case, dtype):
    name, inputs = case
    runs = [harness.run(programs.path(PROGRAMS[name]), name, b, dtype, inputs) for b in BACKENDS]
    assert runs[0].error is None, runs[0].error
    for run in runs[1:]:
        harness.assert_same_run(runs[0], run, 1e-13 if dtype == "float64" else 2e-6)


def _without_requires(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("require"))


ISTA = """
solver ista(A: real[m, n], b: real[m], lam: real, L: real, tol = 1e-10, max_iter = 300) -> real[n] {
  require lam >= 0, "lam must be nonnegative"
  require L > 0, "the step 1/L needs L > 0"
  state x = zeros(n)
  trace objective = 0.5 * norm(A @ x - b)^2 + lam * norm1(x)
  for k in 0..max_iter until norm(x' - x) <= tol * max(1, norm(x)) {
    require norm(x) >= 0, "a norm is never negative"
    u = x - A.T @ (A @ x - b) / L
    x' = sign(u) * max(abs(u) - lam / L, 0)
  }
  return x
}
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_requirement_that_holds_changes_no_result(tmp_path, backend):
    """ISTA on the diabetes data with and without its requirements: the same bits out."""
    A, b = load_diabetes(return_X_y=True)
    b = b - b.mean()
    inputs = {"A": A, "b": b, "lam": 1.0, "L": float(np.linalg.norm(A, 2) ** 2)}
    with_path, without_path = tmp_path / "with.opt", tmp_path / "without.opt"
    with_path.write_text(ISTA)
    without_path.write_text(_without_requires(ISTA))
    assert "require" not in without_path.read_text()
    a = optc.solve(with_path, backend=backend, **inputs)
    c = optc.solve(without_path, backend=backend, **inputs)
    assert a.iterations == c.iterations and a.iterations > 10
    np.testing.assert_array_equal(a.x, c.x)
    np.testing.assert_array_equal(a.trace["objective"], c.trace["objective"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_optimizer_checks_each_step_and_a_failed_step_changes_nothing(tmp_path, backend):
    path = tmp_path / "capped.opt"
    path.write_text(OPTIMIZER)
    opt = optc.optimizer(path, backend=backend)
    p = np.array([1.0, -2.0, 0.5])
    state = opt.init(p)
    steps = 0
    with pytest.raises(OptcError) as failure:
        for _ in range(100):
            opt.step(p, np.array([-1.0, 1.0, 0.0]), state)  # m grows: p drifts by 0.1, 0.15, 0.175, …
            steps += 1
    assert "the parameters left the box [-cap, cap] (requirement `norminf(p') <= cap` failed)" in str(failure.value)
    assert failure.value.span.line == 7
    # Numpy is the reference: the same number of steps went through, then nothing changed.
    ref = optc.optimizer(path, backend="numpy")
    q = np.array([1.0, -2.0, 0.5])
    ref_state = ref.init(q)
    for _ in range(steps):
        ref.step(q, np.array([-1.0, 1.0, 0.0]), ref_state)
    assert 10 < steps < 100
    np.testing.assert_allclose(p, q, rtol=1e-14)
    with pytest.raises(OptcError, match="the learning rate must be positive"):
        opt.step(p, np.zeros(3), state, lr=0.0)
    np.testing.assert_allclose(p, q, rtol=1e-14)


def test_gpu_kernels_refuse_a_step_with_a_requirement_at_its_line(tmp_path):
    """The GPU backend compiles an optimizer step into elementwise kernels, which cannot stop
    the program: it refuses the step with a diagnostic at the `require` (emitting needs no GPU)."""
    from optc.backends.mlir.emit import UnsupportedOp
    from optc.backends.mlir.kernels import emit_gpu_module

    from optc.compiler import compile_source

    path = tmp_path / "capped.opt"
    path.write_text(OPTIMIZER)
    module = compile_source(path, "capped", None, "f32").module
    with pytest.raises(UnsupportedOp) as refusal:
        emit_gpu_module(module)
    assert "`check` cannot run inside an elementwise kernel" in refusal.value.message
    assert refusal.value.span.file.line_text(refusal.value.span.line).strip().startswith("require")
