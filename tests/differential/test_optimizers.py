"""Every stdlib optimizer, and a few user-written ones, in float32 and float64: 50 steps of llvm
follow numpy's trajectory on tensors of ranks 0 to 3, with each flag on and off and `lr`
overridden per call.

Both backends get the same gradient at every step: the gradient of the softmax regression of
`problems.SoftmaxRegression` at numpy's current params. Any difference is then the update rule's
arithmetic, not the dynamics of the training problem.
"""

from __future__ import annotations

import numpy as np
import pytest
from optc.dsl import ast
from optc.dsl.program import load_unit, stdlib_index

import optc
from tests.differential import harness
from tests.differential.problems import SoftmaxRegression, TensorsOfRank
from tests.differential.tolerances import (
    DTYPES,
    OPTIMIZER_RTOL,
    OPTIMIZER_RTOL_EXCEPTIONS,
    OPTIMIZER_STEPS,
)

pytestmark = pytest.mark.llvm

OPTIMIZERS = [name for name, path in stdlib_index().items()
              if isinstance(load_unit(path).decls[name], ast.OptimizerDecl)]
DEFAULTS = {name: optc.optimizer(name, backend="numpy").defaults for name in OPTIMIZERS}
PROBLEM = SoftmaxRegression()


def problem_for(source) -> SoftmaxRegression | TensorsOfRank:
    """The problem's tensors that the optimizer takes: all, or those of its param's rank."""
    step = optc.optimizer(source, backend="numpy").compiled("f64").function("step")
    shape = step.params[0].type.shape
    return PROBLEM if shape is None else TensorsOfRank(PROBLEM, len(shape))


def settings_of(defaults: dict) -> dict[str, dict]:
    """Named hyperparameter settings: the defaults, each flag on by itself, weight decay and
    momentum by themselves, and everything on at once."""
    flags = [k for k, v in defaults.items() if isinstance(v, bool)]
    settings: dict[str, dict] = {"defaults": {}}
    settings.update({flag: {flag: True} for flag in flags})
    numeric = {"weight_decay": 0.1, "momentum": 0.9}
    settings.update({k: {k: v} for k, v in numeric.items() if k in defaults})
    everything = {flag: True for flag in flags}
    everything.update({k: v for k, v in numeric.items() if k in defaults})
    if "dampening" in defaults:
        everything["dampening"] = 0.1
    if everything not in settings.values():
        settings["all"] = everything
    return settings


CASES = [(name, label, setting) for name in OPTIMIZERS
         for label, setting in settings_of(DEFAULTS[name]).items()]


def lr_override(name: str, k: int) -> dict:
    """Every odd step (0-based) overrides lr, with a different value each time; even steps
    use the optimizer's own."""
    return {"lr": DEFAULTS[name]["lr"] * (5 + k % 7)} if k % 2 else {}


class Trajectory:
    """One backend's optimizer, params and state."""

    def __init__(self, opt: optc.Optimizer, params: list[np.ndarray]):
        self.opt = opt
        self.params = [p.copy() for p in params]
        self.state = opt.init(self.params)

    def step(self, grads, **hyper) -> None:
        self.opt.step(self.params, [g.copy() for g in grads], self.state, **hyper)


def assert_same_params(got: Trajectory, ref: Trajectory, initial: list[np.ndarray], rtol: float,
                       when: str) -> None:
    for i, (a, e, p0) in enumerate(zip(got.params, ref.params, initial)):
        harness.assert_close(a, e, rtol, f"{when}: params[{i}]", "normwise",
                             scale=float(np.max(np.abs(p0))))


def assert_same_states(got: Trajectory, ref: Trajectory, rtol: float) -> None:
    assert got.state.t == ref.state.t
    assert len(got.state.tensors) == len(ref.state.tensors)
    for i, (a, e) in enumerate(zip(got.state.tensors, ref.state.tensors)):
        assert list(a) == list(e), f"states of params[{i}]"
        for k in e:
            # The shape of a 0-d param's states is checked by test_states_of_a_0d_param_are_0d
            # (a known disagreement); the values are compared here.
            value = np.reshape(a[k], np.shape(e[k])) if np.size(a[k]) == np.size(e[k]) else a[k]
            harness.assert_close(value, e[k], rtol, f"state `{k}` of params[{i}]", "normwise")


def run_trajectories(name, dtype, setting, *, source=None, steps=OPTIMIZER_STEPS,
                     per_step=lambda k: {}, rtol=None):
    """Step numpy and llvm side by side from the same params, with the same gradients (at
    numpy's params) and per-call hyperparameters, comparing the params after every step."""
    source = source or name
    problem = problem_for(source)
    params, grads = problem.initial_params(dtype), problem.grads
    ref = Trajectory(optc.optimizer(source, backend="numpy", dtype=dtype, **setting), params)
    got = Trajectory(optc.optimizer(source, backend="llvm", dtype=dtype, **setting), params)
    rtol = rtol or OPTIMIZER_RTOL[dtype]
    for k in range(steps):
        g = grads(ref.params)
        hyper = per_step(k)
        ref.step(g, **hyper)
        got.step(g, **hyper)
        assert_same_params(got, ref, params, rtol, f"step {k + 1} ({hyper or 'no override'})")
    assert_same_states(got, ref, rtol)
    return ref, got


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,label,setting", CASES, ids=[f"{n}-{label}" for n, label, _ in CASES])
def test_stdlib_optimizer_trajectory(name, label, setting, dtype):
    rtol = OPTIMIZER_RTOL_EXCEPTIONS.get((name, label), OPTIMIZER_RTOL)[dtype]
    ref, _ = run_trajectories(name, dtype, setting, per_step=lambda k: lr_override(name, k),
                              rtol=rtol)
    initial = problem_for(name).initial_params(dtype)
    assert all(np.any(p != p0) for p, p0 in zip(ref.params, initial)), "every tensor should move"


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_hyperparameters_changed_per_call(name):
    """Flags, weight decay and momentum switched on and off from one step to the next: at step
    k the i-th of them is on when bit i of k is set."""
    knobs = list(settings_of(DEFAULTS[name]).values())[-1]  # everything on at once

    def per_step(k):
        on = {key: value for i, (key, value) in enumerate(knobs.items()) if (k >> i) & 1}
        return on | lr_override(name, k)

    run_trajectories(name, "float64", {}, per_step=per_step, steps=20)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_grads_written_in_place_each_step(name):
    """A training loop that writes each step's gradients into the same arrays (llvm prepares
    its native call once for a list of arrays and reuses it while the arrays stay the same)."""
    problem = problem_for(name)
    params = problem.initial_params("float32")
    ref = Trajectory(optc.optimizer(name, backend="numpy"), params)
    got = Trajectory(optc.optimizer(name, backend="llvm"), params)
    buffers = [np.zeros_like(p) for p in params]
    for k in range(10):
        for buf, g in zip(buffers, problem.grads(ref.params)):
            buf[...] = g
        ref.opt.step(ref.params, buffers, ref.state, **lr_override(name, k))
        got.opt.step(got.params, buffers, got.state, **lr_override(name, k))
        assert_same_params(got, ref, params, OPTIMIZER_RTOL["float32"], f"step {k + 1}")


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_and_float64_tensors_in_one_call(name):
    """Without `dtype=`, each dtype group of the params is compiled for its own working type."""
    problem = problem_for(name)
    mixed = [p.astype(np.float32) if i % 2 == 0 else p
             for i, p in enumerate(problem.initial_params("float64"))]

    def grads(params):
        wide = [p.astype(np.float64) for p in params]
        return [g.astype(p.dtype) for g, p in zip(problem.grads(wide), params)]

    ref = Trajectory(optc.optimizer(name, backend="numpy"), mixed)
    got = Trajectory(optc.optimizer(name, backend="llvm"), mixed)
    for k in range(10):
        g = grads(ref.params)
        ref.step(g, **lr_override(name, k))
        got.step(g, **lr_override(name, k))
        for i, (a, e, p0) in enumerate(zip(got.params, ref.params, mixed)):
            harness.assert_close(a, e, OPTIMIZER_RTOL[e.dtype.name], f"step {k + 1}: params[{i}]",
                                 "normwise", scale=float(np.max(np.abs(p0))))


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_states_of_a_0d_param_are_0d(name):
    # sgd's buf (and adam's m, v, v_max) of a 0-d param have shape () on every backend
    shapes = {}
    for backend in harness.BACKENDS:
        opt = optc.optimizer(name, backend=backend, **({"momentum": 0.9} if name == "sgd" else {}))
        params = [np.array(1.0), np.ones(3)]
        state = opt.init(params)
        opt.step(params, [np.array(0.5), np.ones(3)], state)
        shapes[backend] = [{k: np.shape(v) for k, v in tensor.items()} for tensor in state.tensors]
    assert shapes["llvm"] == shapes["numpy"]


VIEWS = {
    "every other column": lambda base: base[:, ::2],
    "transposed": lambda base: base.T,
    "rows 1 to 3": lambda base: base[1:3],
    "reversed rows": lambda base: base[::-1],
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_views_as_params_and_grads(name, view):
    """A param that is a view of a larger array is updated in place through the view (and the
    rest of the array is left alone); a grad may be a view too."""
    bases = {b: np.linspace(-1.0, 1.0, 24).reshape(4, 6) for b in harness.BACKENDS}
    grad_base = np.arange(48.0).reshape(8, 6) / 10
    for backend, base in bases.items():
        opt = optc.optimizer(name, backend=backend, lr=0.1)
        params = [VIEWS[view](base)]
        state = opt.init(params)
        for k in range(3):
            opt.step(params, [VIEWS[view](grad_base[k : k + 4])], state)
    harness.assert_close(bases["llvm"], bases["numpy"], OPTIMIZER_RTOL["float64"],
                         "the viewed array", "normwise")


@pytest.mark.parametrize("threads", [None, 3])
@pytest.mark.parametrize("name", ["adam", "sgd", "lion"])
def test_large_tensors_split_across_threads(name, threads):
    """Enough elements (600k + 70k + small ones) for llvm to split the step across threads, a
    long tensor in pieces; the gradient is that of 0.5 * ||p - target||^2."""
    rng = np.random.default_rng(1)
    params = [rng.standard_normal(600_000), rng.standard_normal((350, 200)), rng.standard_normal(5),
              np.array(0.25)]
    targets = [np.full(p.shape, 0.5) for p in params]
    ref = Trajectory(optc.optimizer(name, backend="numpy", lr=0.01), params)
    got = Trajectory(optc.optimizer(name, backend="llvm", lr=0.01, threads=threads), params)
    for k in range(4):
        grads = [np.asarray(p - target) for p, target in zip(ref.params, targets)]
        ref.step(grads, **lr_override(name, k))
        got.step(grads, **lr_override(name, k))
        assert_same_params(got, ref, params, OPTIMIZER_RTOL["float64"], f"step {k + 1}")


# ---------------------------------------------------------------- user-written optimizers

USER_OPTIMIZERS = {
    # scalar states (a real and an int) next to tensor states: elementwise, one kernel call
    "scalar_states": """
optimizer scalar_states(lr = 0.01, decay = 0.9) {
  param p
  grad g
  state scale = 1.0
  state count = 0
  state m = zeros_like(p)
  scale' = scale * decay + 0.1
  count' = count + t
  m' = decay * m + g / scale'
  p' = p - lr * m' / (1 + count')
}
""",
    # reductions over the tensor: a normalized step with a trust ratio (LARS-like)
    "normalized": """
optimizer normalized(lr = 0.01, eps = 1e-6, clip = 1.0) {
  param p
  grad g
  state m = zeros_like(p)
  m' = 0.9 * m + g
  trust = where(norm(p) > 0, norm(p) / (norm(m') + eps), 1.0)
  p' = p - lr * min(trust, clip) * m' - lr * mean(g) + lr * max(abs(g)) * 0.01
}
""",
    # a loop in the step: a few inner iterations on a state
    "inner_loop": """
optimizer inner_loop(lr = 0.01, inner = 3) {
  param p
  grad g
  state h = zeros_like(p)
  for i in 0..inner {
    h' = 0.5 * h + g / (1 + i)
  }
  p' = p - lr * h'
}
""",
    # a fixed-rank param, matrix products and a loop: momentum scaled by its top singular value
    "spectral": """
optimizer spectral(lr = 0.02, momentum = 0.9, steps = 3) {
  param W: real[m, n]
  grad G
  state B = zeros(m, n)
  state v = ones(n) / sqrt(n)
  Bn = momentum * B + G
  B' = Bn
  for i in 0..steps {
    v' = Bn.T @ (Bn @ v) / (norm(Bn.T @ (Bn @ v)) + 1e-12)
  }
  W' = W - lr * Bn / (norm(Bn @ v') + 1e-7)
}
""",
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(USER_OPTIMIZERS))
def test_user_optimizer_trajectory(programs, name, dtype):
    run_trajectories(name, dtype, {}, source=programs.path(USER_OPTIMIZERS[name]),
                     per_step=lambda k: {"lr": 0.05} if k % 3 == 1 else {})


FIVE_FLAGS = """
optimizer flagged(lr = 0.1, a = false, b = false, c = false, d = false, e = false) {
  param p
  grad g
  state m = zeros_like(p)
  state first = true
  first' = false
  m' = where(a, 0.9 * m + g, m) + where(b, g, 0.0)
  u = where(c, m', g) * where(d, 2.0, 1.0) + where(e, p, 0.0) + where(first, 1.0, 0.0)
  p' = p - lr * u
}
"""


@pytest.mark.parametrize("dtype", DTYPES)
def test_bool_flags_beyond_the_specialised_ones(tmp_path, dtype):
    """The multi-tensor kernel specialises its element loop on at most MAX_FLAGS bool
    hyperparameters; five flags (every combination, changed per call) and a per-tensor bool
    state must still follow numpy."""
    from optc.backends.llvm.multi_tensor import MAX_FLAGS

    assert MAX_FLAGS < 5
    source = tmp_path / "flagged.opt"
    source.write_text(FIVE_FLAGS)
    problem = problem_for(str(source))
    params = problem.initial_params(dtype)
    ref = Trajectory(optc.optimizer(str(source), backend="numpy", dtype=dtype), params)
    got = Trajectory(optc.optimizer(str(source), backend="llvm", dtype=dtype), params)
    assert got.opt.executable(to_short(dtype)).multi_tensor is not None, "should take the multi-tensor kernel"
    for k in range(32):
        flags = {name: bool(k >> i & 1) for i, name in enumerate("abcde")}
        g = problem.grads(ref.params)
        ref.step(g, **flags)
        got.step(g, **flags)
        assert_same_params(got, ref, params, OPTIMIZER_RTOL[dtype], f"step {k + 1} ({flags})")
    assert_same_states(got, ref, OPTIMIZER_RTOL[dtype])


def to_short(dtype: str) -> str:
    return {"float32": "f32", "float64": "f64"}[dtype]
