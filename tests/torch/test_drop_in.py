"""`optc.torch.Optimizer` as a drop-in for torch.optim, in an ordinary training loop.

Two copies of the digits MLP (`digits.py`) start from the same weights and train on the same
batches for 100 steps, each computing its own gradients with autograd: one with torch.optim
(or, for the optimizers torch lacks, the NumPy transcription of the paper wrapped as a torch
optimizer), the other with `optc.torch.Optimizer` given the same arguments in torch's spelling.
Their parameters are compared after every step, on both backends (two optc copies in lockstep
with the one reference).
"""

from __future__ import annotations

import pytest
import torch

import optc.torch
from tests.reference.tolerances import rel_err
from tests.torch.digits import Digits
from tests.torch.references import TORCH, ReferenceOptimizer, torch_default_dtype

STEPS = 100
BACKENDS = ("numpy", "llvm")

# Closed loop: a difference in the parameters changes the next gradients, so these bound more
# than one step's rounding. Largest measured: float64 1.3e-14 (radam on the numpy backend, whose
# `^` is NumPy's pow), float32 2.0e-5 (nadam).
TOL = {"float64": 2e-13, "float32": 2e-4}

# torch's argument names, as a user would write them for torch.optim
VARIANTS = {
    "sgd": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
    "adam": {"lr": 1e-2, "betas": (0.8, 0.99), "amsgrad": True},
    "adamw": {"lr": 1e-2, "weight_decay": 0.1},
    "adamax": {"lr": 1e-2, "betas": (0.8, 0.99), "weight_decay": 0.01},
    "nadam": {"lr": 1e-2, "momentum_decay": 1e-2, "decoupled_weight_decay": True, "weight_decay": 0.05},
    "radam": {"lr": 1e-2, "weight_decay": 0.01},
    "adagrad": {"lr": 0.05, "lr_decay": 1e-3, "initial_accumulator_value": 0.1},
    "rmsprop": {"lr": 1e-3, "alpha": 0.9, "momentum": 0.5, "centered": True},
    "adadelta": {"rho": 0.95, "weight_decay": 1e-3},
    "rprop": {"lr": 1e-3, "etas": (0.4, 1.3), "step_sizes": (1e-5, 0.05)},
    "asgd": {"lr": 0.05, "lambd": 1e-3, "t0": 30},
    "signsgd": {"lr": 1e-3},
    "signum": {"lr": 1e-3, "momentum": 0.8},
    "adabelief": {"lr": 1e-2, "weight_decay": 0.05},
    "diffgrad": {"lr": 1e-2},
    "lamb": {"lr": 1e-2, "weight_decay": 0.05},
}


def reference_optimizer(name: str, params, hyper: dict) -> torch.optim.Optimizer:
    if name in TORCH:
        return TORCH[name](params, foreach=False, **hyper)
    optc_hyper = dict(hyper)
    if "betas" in optc_hyper:
        optc_hyper["beta1"], optc_hyper["beta2"] = optc_hyper.pop("betas")
    return ReferenceOptimizer(params, name, **optc_hyper)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(VARIANTS))
def test_trains_like_the_reference(name, dtype, record_property):
    problem = Digits(dtype)
    theirs = problem.model()
    ours = {b: problem.model() for b in BACKENDS}
    hyper = VARIANTS[name]
    scale = [p.detach().abs().max().item() for p in theirs.parameters()]
    with torch_default_dtype(dtype):
        reference = reference_optimizer(name, theirs.parameters(), hyper)
        optimizers = {b: optc.torch.Optimizer(ours[b].parameters(), name, backend=b, **hyper) for b in BACKENDS}
        worst = dict.fromkeys(BACKENDS, 0.0)
        for step in range(STEPS):
            loss_ref = problem.train_step(theirs, reference, step)
            for b in BACKENDS:
                loss = problem.train_step(ours[b], optimizers[b], step)
                for i, (mine, ref) in enumerate(zip(ours[b].parameters(), theirs.parameters())):
                    err = rel_err(mine.detach().numpy(), ref.detach().numpy(), scale=scale[i])
                    assert err <= TOL[dtype], f"{b}, step {step + 1}, param {i}: rel err {err:.3g} (losses {loss:.6g}, {loss_ref:.6g})"
                    worst[b] = max(worst[b], err)
    assert loss_ref < 2.0  # it trained (the loss starts near 2.4)
    for b in BACKENDS:
        record_property(f"{b}_params_rel_err", worst[b])


def split(net: torch.nn.Module) -> tuple[list, list]:
    """The 2-D weights and the other parameters (the biases)."""
    params = list(net.parameters())
    return [p for p in params if p.ndim == 2], [p for p in params if p.ndim != 2]


class Both:
    """Two optimizers stepped together (as users combine Muon with AdamW)."""

    def __init__(self, *optimizers):
        self.optimizers = optimizers

    def zero_grad(self):
        for o in self.optimizers:
            o.zero_grad()

    def step(self):
        for o in self.optimizers:
            o.step()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_muon_for_matrices_and_adamw_for_the_rest(dtype, monkeypatch):
    """Against torch.optim.Muon with its bfloat16 cast taken out (see the reference tests) and
    torch's AdamW: one optc optimizer per rule, as with torch."""
    monkeypatch.setattr(torch.Tensor, "bfloat16", lambda self, *args, **kwargs: self.clone())
    problem = Digits(dtype)
    theirs, ours = problem.model(), problem.model()
    (tm, tv), (om, ov) = split(theirs), split(ours)
    scale = [p.detach().abs().max().item() for p in theirs.parameters()]
    with torch_default_dtype(dtype):
        reference = Both(torch.optim.Muon(tm, lr=2e-2), torch.optim.AdamW(tv, lr=1e-2, foreach=False))
        optimizer = Both(optc.torch.Optimizer(om, "muon", backend="llvm", lr=2e-2),
                         optc.torch.Optimizer(ov, "adamw", backend="llvm", lr=1e-2))
        for step in range(STEPS):
            problem.train_step(theirs, reference, step)
            problem.train_step(ours, optimizer, step)
            for i, (mine, ref) in enumerate(zip(ours.parameters(), theirs.parameters())):
                err = rel_err(mine.detach().numpy(), ref.detach().numpy(), scale=scale[i])
                assert err <= TOL[dtype], f"step {step + 1}, param {i}: rel err {err:.3g}"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_adafactor(dtype):
    """torch.optim.Adafactor factors the matrices' second moments, not the vectors': in optc
    these are two optimizers, `adafactor` and `adafactor_unfactored`."""
    problem = Digits(dtype)
    theirs, ours = problem.model(), problem.model()
    matrices, vectors = split(ours)
    scale = [p.detach().abs().max().item() for p in theirs.parameters()]
    hyper = {"lr": 3e-2, "eps": (None, 1e-2), "weight_decay": 0.05}
    with torch_default_dtype(dtype):
        reference = torch.optim.Adafactor(theirs.parameters(), foreach=False, **hyper)
        optimizer = Both(optc.torch.Optimizer(matrices, "adafactor", backend="llvm", **hyper),
                         optc.torch.Optimizer(vectors, "adafactor_unfactored", backend="numpy", **hyper))
        for step in range(STEPS):
            problem.train_step(theirs, reference, step)
            problem.train_step(ours, optimizer, step)
            for i, (mine, ref) in enumerate(zip(ours.parameters(), theirs.parameters())):
                err = rel_err(mine.detach().numpy(), ref.detach().numpy(), scale=scale[i])
                assert err <= TOL[dtype], f"step {step + 1}, param {i}: rel err {err:.3g}"
    state = optimizer.optimizers[0].state[matrices[0]]
    assert state["row_var"].shape == (32, 1) and state["col_var"].shape == (1, 61)
