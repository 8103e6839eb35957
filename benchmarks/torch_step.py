"""Optimizer step time on a model with many small parameter tensors: optc vs torch.optim.

    python benchmarks/torch_step.py [--quick] [--budget S] [--rounds R]

The model is a 50-layer MLP of width 64 (100 parameter tensors: 50 weights 64x64, 50 biases),
float32, gradients filled once with random values (the step does not depend on them for
timing). For Adam and AdamW (lr=1e-3) and SGD with momentum (lr=1e-2, momentum=0.9) it times
one `optimizer.step()` of:
  - torch.optim with `foreach=True` and with `fused=True` (where torch offers it),
  - `optc.torch.Optimizer(params, name, backend=...)` — a drop-in torch.optim.Optimizer —
    on the llvm backend (one native multi-tensor call per step) and on the numpy backend.
Ratios are against torch `fused=True` (or `foreach=True` where torch has no fused version).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

OPTIMIZERS = [
    ("adam", "Adam", {"lr": 1e-3}, True),
    ("adamw", "AdamW", {"lr": 1e-3, "weight_decay": 1e-2}, True),
    ("sgd", "SGD", {"lr": 1e-2, "momentum": 0.9}, True),
]


def model_params(torch, seed: int = 0):
    """The parameters of a 50-layer width-64 MLP with gradients set."""
    gen = torch.Generator().manual_seed(seed)
    params = []
    for _ in range(50):
        for shape in ((64, 64), (64,)):
            p = torch.randn(*shape, generator=gen).requires_grad_()
            p.grad = torch.randn(*shape, generator=gen)
            params.append(p)
    return params


def main() -> None:
    args = C.settle(C.parser(__doc__.splitlines()[0], budget=3.0, quick_budget=1.0).parse_args())
    import torch

    import optc.torch

    torch.set_num_threads(2)
    C.header("optimizer step, 50-layer width-64 MLP (100 float32 tensors)", ("torch",))
    rows = []
    for name, torch_name, hyper, has_fused in OPTIMIZERS:
        peers = {}
        for variant in (["fused"] if has_fused else []) + ["foreach"]:
            params = model_params(torch)
            opt = getattr(torch.optim, torch_name)(params, **hyper, **{variant: True})
            peers[f"torch {variant}"] = opt.step
        for backend in ("llvm", "numpy"):
            params = model_params(torch)
            opt = optc.torch.Optimizer(params, name, backend=backend, **hyper)
            peers[f"optc.torch ({backend})"] = opt.step
        timings = C.compare(peers, args.budget, args.rounds)
        base = timings["torch fused" if has_fused else "torch foreach"].median
        for peer, t in timings.items():
            rows.append([name, peer, C.fmt_time(t.median), C.fmt_ratio(t.median / base), t.shape])
    C.table(["optimizer", "peer", "median step", "vs torch fused", "samples"], rows)
    C.footer()


if __name__ == "__main__":
    main()
