"""lion against optax.lion and against a NumPy transcription of the paper's update rule.

Chen et al., "Symbolic Discovery of Optimization Algorithms" (2023), Program 1:
    update = sign(beta1 * m + (1 - beta1) * g);  p -= lr * (update + wd * p)
    m = beta2 * m + (1 - beta2) * g
Gradients come from the breast-cancer MLP at the reference's current parameters (150 steps).
"""

from __future__ import annotations

import numpy as np
import pytest

import optc
from tests.reference.problems import MLP
from tests.reference.tolerances import DTYPES, OPTIMIZER_PARAMS, OPTIMIZER_STATE, rel_err

STEPS = 150
HYPER = [{"lr": 1e-3}, {"lr": 3e-3, "beta1": 0.95, "beta2": 0.98, "weight_decay": 0.5}]


@pytest.fixture
def jax_dtype(dtype):
    """jax with 64-bit types enabled exactly when the test runs in float64; restored after."""
    import jax

    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", dtype == "float64")
    yield
    jax.config.update("jax_enable_x64", previous)


def check_step(step, ours, theirs, start, dtype) -> float:
    worst = 0.0
    for i, (mine, ref) in enumerate(zip(ours, theirs)):
        assert mine.dtype == np.dtype(dtype)
        err = rel_err(mine, np.asarray(ref), scale=np.max(np.abs(start[i])))
        where = f"step {step + 1}, param {i} {mine.shape}"
        assert err <= OPTIMIZER_PARAMS[dtype], f"{where}: rel err {err:.3g}"
        worst = max(worst, err)
    return worst


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hyper", HYPER, ids=["default", "betas_weight_decay"])
def test_matches_optax(hyper, dtype, jax_dtype, record_property):
    import jax
    import jax.numpy as jnp
    import optax

    problem = MLP(dtype)
    start = problem.initial_params()
    theirs = [jnp.asarray(p) for p in start]
    assert theirs[0].dtype == np.dtype(dtype)
    # optax.lion's weight_decay defaults to 1e-3, optc's (like the paper's) to 0: pass it always
    reference = optax.lion(hyper["lr"], b1=hyper.get("beta1", 0.9), b2=hyper.get("beta2", 0.99),
                           weight_decay=hyper.get("weight_decay", 0.0))
    ref_state = reference.init(theirs)
    update = jax.jit(reference.update)
    ours = [p.copy() for p in start]
    opt = optc.optimizer("lion", **hyper)
    state = opt.init(ours)
    worst = 0.0
    for step in range(STEPS):
        grads = problem.grads([np.asarray(p) for p in theirs])
        updates, ref_state = update([jnp.asarray(g) for g in grads], ref_state, theirs)
        theirs = optax.apply_updates(theirs, updates)
        opt.step(ours, grads, state)
        worst = max(worst, check_step(step, ours, theirs, start, dtype))
    mu = ref_state[0].mu  # optax.lion = chain(scale_by_lion, add_decayed_weights, scale_by_lr)
    err = rel_err(np.concatenate([t["m"].ravel() for t in state.tensors]),
                  np.concatenate([np.asarray(m).ravel() for m in mu]))
    assert err <= OPTIMIZER_STATE[dtype], f"momentum: rel err {err:.3g}"
    record_property("params_rel_err", worst)
    record_property("state_rel_err", err)


def paper_lion(p, g, m, lr, beta1=0.9, beta2=0.99, weight_decay=0.0):
    """One step of Program 1 in the paper, in NumPy, in the arrays' own dtype."""
    dt = p.dtype.type
    update = np.sign(dt(beta1) * m + (dt(1) - dt(beta1)) * g)
    p_new = p - dt(lr) * (update + dt(weight_decay) * p)
    m_new = dt(beta2) * m + (dt(1) - dt(beta2)) * g
    return p_new, m_new


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hyper", HYPER, ids=["default", "betas_weight_decay"])
def test_matches_the_paper(hyper, dtype, record_property):
    problem = MLP(dtype)
    start = problem.initial_params()
    theirs = [p.copy() for p in start]
    momenta = [np.zeros_like(p) for p in start]
    ours = [p.copy() for p in start]
    opt = optc.optimizer("lion", **hyper)
    state = opt.init(ours)
    worst = 0.0
    for step in range(STEPS):
        grads = problem.grads(theirs)
        for i, g in enumerate(grads):
            theirs[i], momenta[i] = paper_lion(theirs[i], g, momenta[i], **hyper)
        opt.step(ours, grads, state)
        worst = max(worst, check_step(step, ours, theirs, start, dtype))
    err = max(rel_err(t["m"], m) for t, m in zip(state.tensors, momenta))
    assert err <= OPTIMIZER_STATE[dtype], f"momentum: rel err {err:.3g}"
    record_property("params_rel_err", worst)
    record_property("state_rel_err", err)


def test_weight_decay_and_betas_matter():
    """The two hyperparameter sets give different trajectories (so both comparisons can fail)."""
    problem = MLP("float64")
    finals = []
    for hyper in HYPER:
        params = problem.initial_params()
        opt = optc.optimizer("lion", **hyper)
        state = opt.init(params)
        for _ in range(STEPS):
            opt.step(params, problem.grads(params), state)
        finals.append(np.concatenate([p.ravel() for p in params]))
    assert rel_err(finals[0], finals[1]) > 1e-3
