"""What an optimizer means, as the NumPy backend runs it: state initialised by `init`, `t` counting
from 1, hyperparameters as per-call runtime arguments, many tensors (and dtypes) per step."""

from __future__ import annotations

import numpy as np
import pytest

import optc

COUNTING = """
optimizer counting(lr = 0.5, k = 2) {
  param p
  grad g
  state m = p * 2
  state g_sum = zeros_like(p)
  state g_first = g
  state last_t = zeros_like(p)
  state kept = ones_like(p) * 7
  m' = m + g
  g_sum' = g_sum + g
  last_t' = zeros_like(p) + t
  p' = p - lr * k * g
}
"""

ADAM = """
optimizer adam(lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8) {
  param p
  grad g
  state m = zeros_like(p)
  state v = zeros_like(p)
  m' = beta1 * m + (1 - beta1) * g
  v' = beta2 * v + (1 - beta2) * g^2
  p' = p - lr * (m' / (1 - beta1^t)) / (sqrt(v' / (1 - beta2^t)) + eps)
}
"""


def adam_reference(p, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p = p.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p = p - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return p


@pytest.fixture
def counting(write):
    return optc.optimizer(write(COUNTING), backend="numpy")


def test_states_are_initialised_on_the_first_step_per_tensor(counting):
    params = [np.array([1.0, 2.0]), np.full((2, 2), 3.0)]
    state = counting.init(params)
    assert state.t == 0
    params[0][0] = 10.0  # the initialisers read the params as they are at the first step
    grads = [np.array([0.5, 0.25]), np.ones((2, 2))]
    counting.step(params, grads, state)
    assert [list(t) for t in state.tensors] == [["m", "g_sum", "g_first", "last_t", "kept"]] * 2
    np.testing.assert_array_equal(state.tensors[0]["m"], [20.5, 4.25])  # 2 * p + g
    np.testing.assert_array_equal(state.tensors[0]["g_first"], [0.5, 0.25])  # the first gradient
    np.testing.assert_array_equal(state.tensors[1]["m"], np.full((2, 2), 7.0))
    assert state.tensors[1]["kept"].shape == (2, 2)
    counting.step(params, [g * 2 for g in grads], state)
    np.testing.assert_array_equal(state.tensors[0]["g_first"], [0.5, 0.25])  # initialised once
    np.testing.assert_array_equal(state.tensors[0]["g_sum"], [1.5, 0.75])


def test_t_counts_steps_from_one(counting):
    p = np.zeros(3)
    state = counting.init(p)
    for expected in (1, 2, 3):
        counting.step(p, np.ones(3), state)
        assert state.t == expected
        np.testing.assert_array_equal(state.tensors[0]["last_t"], [expected] * 3)


def test_states_update_and_states_without_equation_keep_their_value(counting):
    p = np.array([1.0, 1.0])
    state = counting.init(p)
    counting.step(p, np.array([0.5, 1.0]), state)
    counting.step(p, np.array([0.5, 1.0]), state)
    tensors = state.tensors[0]
    np.testing.assert_array_equal(tensors["m"], [3.0, 4.0])
    np.testing.assert_array_equal(tensors["g_sum"], [1.0, 2.0])
    np.testing.assert_array_equal(tensors["kept"], [7.0, 7.0])
    np.testing.assert_array_equal(p, [1.0 - 2 * 0.5, 1.0 - 2 * 1.0])  # lr * k * g, twice


def test_params_are_updated_in_place(counting):
    p = np.array([1.0, 2.0])
    alias = p
    state = counting.init([p])
    counting.step([p], [np.ones(2)], state)
    assert alias is p
    np.testing.assert_array_equal(alias, [0.0, 1.0])


def test_hyperparameters_override_per_call_and_per_optimizer(write):
    path = write(COUNTING)
    opt = optc.optimizer(path, backend="numpy")
    assert opt.defaults == {"lr": 0.5, "k": 2}
    p = np.zeros(2)
    state = opt.init(p)
    compiled = opt.compiled("f64")
    opt.step(p, np.ones(2), state)  # defaults: -1
    opt.step(p, np.ones(2), state, lr=0.25)  # -0.5
    opt.step(p, np.ones(2), state, lr=0.25, k=4)  # -1
    opt.step(p, np.ones(2), state)  # back to the defaults: -1
    np.testing.assert_array_equal(p, [-3.5, -3.5])
    assert opt.compiled("f64") is compiled  # changing a hyperparameter never recompiles
    fixed = optc.optimizer(path, backend="numpy", lr=0.1)
    q = np.zeros(2)
    fixed.step(q, np.ones(2), fixed.init(q))
    np.testing.assert_array_equal(q, [-0.2, -0.2])


def test_unknown_hyperparameter_is_an_error(counting):
    p = np.zeros(2)
    state = counting.init(p)
    with pytest.raises(optc.OptcError, match=r"no hyperparameter `lrr` \(did you mean `lr`\?\)"):
        counting.step(p, np.ones(2), state, lrr=0.1)


def test_adam_trajectory_matches_numpy(write):
    opt = optc.optimizer(write(ADAM), backend="numpy", lr=0.01)
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(20)]
    p = p0.copy()
    state = opt.init(p)
    for g in grads:
        opt.step(p, g, state)
    np.testing.assert_allclose(p, adam_reference(p0, grads, lr=0.01), rtol=1e-13, atol=1e-15)


def test_many_tensors_of_many_shapes_and_dtypes_in_one_step(write):
    opt = optc.optimizer(write(ADAM), backend="numpy", lr=0.05)
    rng = np.random.default_rng(1)
    shapes = [(3,), (2, 4), (1,), (2, 2, 2), ()]
    p0 = [rng.standard_normal(s) for s in shapes] + [rng.standard_normal(4).astype(np.float32)]
    grads = [[rng.standard_normal(np.shape(p)).astype(p.dtype) for p in p0] for _ in range(5)]
    params = [np.array(p) for p in p0]
    state = opt.init(params)
    for gs in grads:
        opt.step(params, gs, state)
    assert state.t == 5
    for i, p in enumerate(params):
        assert p.shape == np.shape(p0[i]) and p.dtype == p0[i].dtype
        expected = adam_reference(p0[i], [gs[i] for gs in grads], lr=0.05)
        rtol = 1e-5 if p.dtype == np.float32 else 1e-13
        np.testing.assert_allclose(
            p, expected, rtol=rtol, atol=1e-6 if p.dtype == np.float32 else 0
        )
    assert state.tensors[-1]["m"].dtype == np.float32


def test_float32_optimizer_keeps_float32(write):
    opt = optc.optimizer(write(ADAM), backend="numpy", dtype="float32", lr=0.1)
    p = np.ones(4, np.float32)
    state = opt.init(p)
    opt.step(p, np.full(4, 0.5, np.float32), state)
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in state.tensors[0].values())
    np.testing.assert_allclose(p, adam_reference(np.ones(4), [np.full(4, 0.5)], lr=0.1), rtol=1e-6)
    with pytest.raises(optc.OptcError, match="compiled for f32"):
        opt.init(np.ones(4))


def test_optimizer_without_grad_and_with_a_shaped_param(write):
    src = "optimizer decay(rate = 0.5) {\n  param p: real[n]\n  p' = p * rate + sum(p) / n\n}\n"
    opt = optc.optimizer(write(src), backend="numpy")
    p = np.array([2.0, 4.0])
    opt.step(p, np.zeros(2), opt.init(p))
    np.testing.assert_array_equal(p, [4.0, 5.0])
    with pytest.raises(optc.OptcError, match="shape"):
        opt.init(np.ones((2, 2)))
