"""References for the optimizer library: torch.optim classes, NumPy transcriptions of the papers.

`TORCH` maps each stdlib optimizer that torch.optim has to its class; `torch_kwargs` spells optc
hyperparameters the torch way. `PAPER` maps the others to a one-step NumPy transcription of the
paper's update rule (for Muon, of torch's algorithm), computed in the arrays' own dtype; `ReferenceOptimizer` runs one of them as
a `torch.optim.Optimizer`, so a torch training loop can use it like any other optimizer.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch

TORCH = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adamax": torch.optim.Adamax,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta,
    "rprop": torch.optim.Rprop,
    "asgd": torch.optim.ASGD,
}

# torch's tuple arguments: (name, its parts in optc, torch's defaults)
TUPLES = [
    ("betas", ("beta1", "beta2"), (0.9, 0.999)),
    ("etas", ("etaminus", "etaplus"), (0.5, 1.2)),
    ("step_sizes", ("step_size_min", "step_size_max"), (1e-6, 50.0)),
]


def torch_kwargs(hyper: dict) -> dict:
    """optc's hyperparameters in torch's spelling (beta1, beta2 -> betas, and so on)."""
    kw = dict(hyper)
    for name, parts, defaults in TUPLES:
        if any(p in kw for p in parts):
            kw[name] = tuple(kw.pop(p, d) for p, d in zip(parts, defaults))
    return kw


@contextmanager
def torch_default_dtype(dtype: str):
    """torch's default dtype set to `dtype` for the duration.

    torch.optim keeps some per-tensor scalars (NAdam's mu_product, ASGD's eta and mu, the step
    counts) in the default dtype, float32 unless changed: in float64 comparisons that rounding
    would dominate the difference, so float64 runs make float64 the default."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if dtype == "float64" else torch.float32)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


# ---- NumPy transcriptions of the papers: one step, in place on `state`, in p's dtype ----

def _cast(p, hyper):
    dt = p.dtype.type
    return {k: dt(v) for k, v in hyper.items()}


def signsgd_step(p, g, state, t, lr=1e-3, weight_decay=0.0):
    """Bernstein et al. (2018), Algorithm 1, with weight decay added to the gradient."""
    h = _cast(p, {"lr": lr, "weight_decay": weight_decay})
    return p - h["lr"] * np.sign(g + h["weight_decay"] * p)


def signum_step(p, g, state, t, lr=1e-3, momentum=0.9, weight_decay=0.0):
    """Bernstein et al. (2018), Algorithm 3: the sign of an exponential moving average."""
    h = _cast(p, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})
    m = state.get("momentum_buffer", np.zeros_like(p))
    m = h["momentum"] * m + (1 - h["momentum"]) * (g + h["weight_decay"] * p)
    state["momentum_buffer"] = m
    return p - h["lr"] * np.sign(m)


def adabelief_step(p, g, state, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-16, weight_decay=0.0):
    """Zhuang et al. (2020), Algorithm 2, with decoupled weight decay (adabelief-pytorch)."""
    h = _cast(p, {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay})
    m = h["beta1"] * state.get("exp_avg", np.zeros_like(p)) + (1 - h["beta1"]) * g
    s = h["beta2"] * state.get("exp_avg_var", np.zeros_like(p)) + (1 - h["beta2"]) * (g - m) ** 2 + h["eps"]
    state["exp_avg"], state["exp_avg_var"] = m, s
    m_hat = m / (1 - h["beta1"] ** t)
    s_hat = s / (1 - h["beta2"] ** t)
    return p * (1 - h["lr"] * h["weight_decay"]) - h["lr"] * m_hat / (np.sqrt(s_hat) + h["eps"])


def diffgrad_step(p, g, state, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """Dubey et al. (2020), Algorithm 1: Adam scaled by the friction 1 / (1 + exp(-|g_prev - g|))."""
    h = _cast(p, {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay})
    d = g + h["weight_decay"] * p
    m = h["beta1"] * state.get("exp_avg", np.zeros_like(p)) + (1 - h["beta1"]) * d
    v = h["beta2"] * state.get("exp_avg_sq", np.zeros_like(p)) + (1 - h["beta2"]) * d * d
    xi = 1 / (1 + np.exp(-np.abs(state.get("previous_grad", np.zeros_like(p)) - d)))
    state["exp_avg"], state["exp_avg_sq"], state["previous_grad"] = m, v, d
    m_hat = m / (1 - h["beta1"] ** t)
    v_hat = v / (1 - h["beta2"] ** t)
    return p - h["lr"] * xi * m_hat / (np.sqrt(v_hat) + h["eps"])


def lamb_step(p, g, state, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
    """You et al. (2020), Algorithm 2 with phi = identity: Adam's step plus decoupled weight
    decay, scaled per tensor by ||p|| / ||u|| (1 if either norm is zero)."""
    h = _cast(p, {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay})
    m = h["beta1"] * state.get("exp_avg", np.zeros_like(p)) + (1 - h["beta1"]) * g
    v = h["beta2"] * state.get("exp_avg_sq", np.zeros_like(p)) + (1 - h["beta2"]) * g * g
    state["exp_avg"], state["exp_avg_sq"] = m, v
    u = (m / (1 - h["beta1"] ** t)) / (np.sqrt(v / (1 - h["beta2"] ** t)) + h["eps"]) + h["weight_decay"] * p
    p_norm, u_norm = np.linalg.norm(p), np.linalg.norm(u)
    ratio = p_norm / u_norm if p_norm > 0 and u_norm > 0 else p.dtype.type(1)
    return p - h["lr"] * ratio * u


def muon_step(p, g, state, t, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, a=3.4445,
              b=-4.775, c=2.0315, eps=1e-7, ns_steps=5, match_rms_adamw=False):
    """torch.optim.Muon's algorithm (`_single_tensor_muon`) in p's dtype instead of bfloat16:
    torch's lerp formulas, the Newton-Schulz iteration on the transpose of a tall matrix."""
    h = _cast(p, {"lr": lr, "weight_decay": weight_decay, "momentum": momentum, "a": a, "b": b, "c": c, "eps": eps})
    buf = state.get("momentum_buffer", np.zeros_like(p))
    buf = buf + (1 - h["momentum"]) * (g - buf)
    state["momentum_buffer"] = buf
    update = buf - (buf - g) * (1 - h["momentum"]) if nesterov else buf
    m, n = p.shape
    X = update.T if m > n else update
    X = X / max(np.linalg.norm(X), h["eps"])
    for _ in range(ns_steps):
        A = X @ X.T
        X = h["a"] * X + (h["b"] * A + h["c"] * (A @ A)) @ X
    X = X.T if m > n else X
    scale = 0.2 * np.sqrt(max(m, n)) if match_rms_adamw else np.sqrt(max(1, m / n))
    return p * (1 - h["lr"] * h["weight_decay"]) - (h["lr"] * p.dtype.type(scale)) * X


PAPER = {
    "signsgd": signsgd_step,
    "signum": signum_step,
    "adabelief": adabelief_step,
    "diffgrad": diffgrad_step,
    "lamb": lamb_step,
    "muon": muon_step,
}


class ReferenceOptimizer(torch.optim.Optimizer):
    """A NumPy reference step (from `PAPER`) as a torch optimizer, for closed-loop comparisons."""

    def __init__(self, params, name: str, **hyper):
        self.rule = PAPER[name]
        super().__init__(params, dict(hyper))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            hyper = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                state["t"] = state.get("t", 0) + 1
                new = self.rule(p.numpy(), p.grad.numpy(), state, state["t"], **hyper)
                p.copy_(torch.from_numpy(np.asarray(new, dtype=p.numpy().dtype)))
