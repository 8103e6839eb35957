"""sgd, adam and adamw against torch.optim 2.13 over 150 steps of training a real network.

Each step differentiates the breast-cancer MLP's loss (torch autograd) at torch's current
parameters and feeds the same gradients to both optimizers; the parameters of all four tensors
(64×30, 64, 1×64, 1) are compared after every step and the optimizer state at the end. The
gradients depend on the trajectory, the loss is real, and the shapes differ.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import optc
from tests.reference.problems import MLP
from tests.reference.tolerances import DTYPES, OPTIMIZER_PARAMS, OPTIMIZER_STATE, rel_err

STEPS = 150

TORCH = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}

# optc state name -> torch state name
STATE_NAMES = {
    "sgd": {"buf": "momentum_buffer"},
    "adam": {"m": "exp_avg", "v": "exp_avg_sq", "v_max": "max_exp_avg_sq"},
    "adamw": {"m": "exp_avg", "v": "exp_avg_sq", "v_max": "max_exp_avg_sq"},
}

VARIANTS = {
    ("sgd", "plain"): {"lr": 0.1},
    ("sgd", "momentum"): {"lr": 0.05, "momentum": 0.9},
    ("sgd", "dampening"): {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
    ("sgd", "nesterov"): {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    ("sgd", "weight_decay"): {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.05},
    ("sgd", "maximize"): {"lr": 0.02, "momentum": 0.8, "maximize": True},
    ("adam", "default"): {},
    ("adam", "betas_eps"): {"lr": 1e-2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
    ("adam", "weight_decay"): {"lr": 1e-2, "weight_decay": 0.05},
    ("adam", "amsgrad"): {"lr": 1e-2, "amsgrad": True},
    ("adam", "maximize"): {"lr": 1e-2, "maximize": True},
    ("adamw", "default"): {},
    ("adamw", "amsgrad"): {"lr": 1e-2, "amsgrad": True},
    ("adamw", "weight_decay"): {"lr": 1e-2, "weight_decay": 0.3},
}


def torch_hyper(hyper: dict) -> dict:
    """optc's hyperparameters in torch's spelling (beta1, beta2 -> betas)."""
    kw = dict(hyper)
    if "beta1" in kw or "beta2" in kw:
        kw["betas"] = (kw.pop("beta1", 0.9), kw.pop("beta2", 0.999))
    return kw


def run_against_torch(name: str, hyper: dict, dtype: str, schedule=None) -> tuple[float, float]:
    """Train with both for STEPS steps; returns the largest relative errors of the parameters
    (over all steps) and of the final state.

    `schedule(step, torch_optimizer)` may change torch's param group and returns the
    hyperparameters to pass to optc's `step` for that step.
    """
    problem = MLP(dtype)
    start = problem.initial_params()
    ours = [p.copy() for p in start]
    theirs = [torch.tensor(p.copy()) for p in start]
    reference = TORCH[name](theirs, foreach=False, **torch_hyper(hyper))
    opt = optc.optimizer(name, **hyper)
    state = opt.init(ours)
    worst_param = worst_state = 0.0
    for step in range(STEPS):
        grads = problem.grads(theirs)
        for tensor, g in zip(theirs, grads):
            tensor.grad = torch.from_numpy(g.copy())
        override = schedule(step, reference) if schedule else {}
        reference.step()
        opt.step(ours, grads, state, **override)
        for i, (mine, ref) in enumerate(zip(ours, theirs)):
            assert mine.dtype == np.dtype(dtype)
            err = rel_err(mine, ref.numpy(), scale=np.max(np.abs(start[i])))
            where = f"step {step + 1}, param {i} {mine.shape}"
            assert err <= OPTIMIZER_PARAMS[dtype], f"{where}: rel err {err:.3g}"
            worst_param = max(worst_param, err)
    assert state.t == STEPS
    for ours_name, torch_name in STATE_NAMES[name].items():
        torch_state = [reference.state[ref].get(torch_name) for ref in theirs]
        if torch_state[0] is None:
            continue  # e.g. no momentum buffer without momentum, no max_exp_avg_sq without amsgrad
        # all tensors together: one tensor's state (a bias's momentum) can be near zero
        mine = np.concatenate([tensors[ours_name].ravel() for tensors in state.tensors])
        err = rel_err(mine, np.concatenate([s.numpy().ravel() for s in torch_state]))
        assert err <= OPTIMIZER_STATE[dtype], f"state {ours_name}: rel err {err:.3g}"
        worst_state = max(worst_state, err)
    return worst_param, worst_state


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, variant", list(VARIANTS), ids=[f"{n}-{v}" for n, v in VARIANTS])
def test_matches_torch(name, variant, dtype, record_property):
    param_err, state_err = run_against_torch(name, VARIANTS[name, variant], dtype)
    record_property("params_rel_err", param_err)
    record_property("state_rel_err", state_err)


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw"])
def test_variants_change_the_trajectory(name):
    """Every flag and hyperparameter in VARIANTS matters on this problem, so each comparison
    above would catch an implementation that ignored it."""
    problem = MLP("float64")
    finals = {}
    for (n, variant), hyper in VARIANTS.items():
        if n != name:
            continue
        params = problem.initial_params()
        opt = optc.optimizer(name, **hyper)
        state = opt.init(params)
        for _ in range(STEPS):
            opt.step(params, problem.grads(params), state)
        finals[variant] = np.concatenate([p.ravel() for p in params])
    for (a, x), (b, y) in itertools.combinations(finals.items(), 2):
        assert rel_err(x, y) > 1e4 * OPTIMIZER_PARAMS["float64"], (a, b)


def cosine_lr_and_momentum(step, reference):
    """torch's CosineAnnealingLR drives lr; momentum drops from 0.9 to 0.5 halfway."""
    if step == 0:
        reference.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(reference, T_max=STEPS)
    else:
        reference.scheduler.step()
    momentum = 0.9 if step < STEPS // 2 else 0.5
    reference.param_groups[0]["momentum"] = momentum
    return {"lr": reference.param_groups[0]["lr"], "momentum": momentum}


def warmup_then_decay(step, reference):
    """Linear warmup over 10 steps then 1/sqrt decay; beta1 raised to 0.95 after 50 steps."""
    lr = 2e-2 * min((step + 1) / 10, math.sqrt(10 / (step + 1)))
    beta1 = 0.9 if step < 50 else 0.95
    group = reference.param_groups[0]
    group["lr"] = lr
    group["betas"] = (beta1, group["betas"][1])
    return {"lr": lr, "beta1": beta1}


def decaying_weight_decay(step, reference):
    """lr and weight_decay both follow a step schedule (halved every 40 steps)."""
    factor = 0.5 ** (step // 40)
    group = reference.param_groups[0]
    group["lr"], group["weight_decay"] = 1e-2 * factor, 0.2 * factor
    return {"lr": 1e-2 * factor, "weight_decay": 0.2 * factor}


def momentum_switched_on_and_off(step, reference):
    """Momentum 0 for 20 steps, then 0.9, 0 again for steps 100-119, then 0.9: torch creates the
    buffer (undampened) at the first step with momentum and leaves it alone while it is 0."""
    momentum = 0.0 if step < 20 or 100 <= step < 120 else 0.9
    reference.param_groups[0]["momentum"] = momentum
    return {"momentum": momentum}


SCHEDULES = {
    "sgd-cosine": ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, cosine_lr_and_momentum),
    "sgd-momentum_on_off": ("sgd", {"lr": 0.05, "dampening": 0.3}, momentum_switched_on_and_off),
    "adam-warmup": ("adam", {"lr": 2e-2, "amsgrad": True}, warmup_then_decay),
    "adamw-step_decay": ("adamw", {"lr": 1e-2}, decaying_weight_decay),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(SCHEDULES))
def test_hyperparameters_changed_between_steps(case, dtype, record_property):
    name, hyper, schedule = SCHEDULES[case]
    param_err, state_err = run_against_torch(name, hyper, dtype, schedule)
    record_property("params_rel_err", param_err)
    record_property("state_rel_err", state_err)
