"""The training problem shared by the optimizer-library tests: a small MLP on scikit-learn's digits.

A 61-32-10 tanh network with a cross-entropy loss on the 1797 8×8 digit images (the 61 pixels
that are not blank in every image, standardized); step k trains on a fixed mini-batch of 64 images, so every run sees the same batches.
Its four parameter tensors have different shapes (32×61, 32, 10×32, 10). `grads` differentiates
the loss with torch autograd; `model` builds the same network as a `torch.nn.Module`.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch
from sklearn.datasets import load_digits

FEATURES = 61  # the 64 pixels less the 3 that are blank in every image
SHAPES = [(32, FEATURES), (32,), (10, 32), (10,)]
BATCH = 64
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@cache
def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    X = X[:, X.std(0) > 0]  # 3 pixels are blank in every image: their weights would get no gradient
    order = np.random.default_rng(1).permutation(len(X))
    return (X - X.mean(0)) / X.std(0), y, order


class Digits:
    """Mini-batch gradients of the digits MLP in one dtype."""

    def __init__(self, dtype: str):
        X, y, self.order = _data()
        self.dtype = np.dtype(dtype)
        self.torch_dtype = TORCH_DTYPES[dtype]
        self.X = torch.tensor(X, dtype=self.torch_dtype)
        self.y = torch.tensor(y)

    def initial_params(self) -> list[np.ndarray]:
        """Deterministic starting weights, scaled like torch's default init."""
        rng = np.random.default_rng(0)
        return [(rng.standard_normal(s) / np.sqrt(s[-1] if len(s) > 1 else 32)).astype(self.dtype) for s in SHAPES]

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The images and labels of mini-batch `step` (the data set is cycled in a fixed order)."""
        idx = torch.from_numpy(self.order[(np.arange(BATCH) + step * BATCH) % len(self.order)])
        return self.X[idx], self.y[idx]

    def loss(self, params: list[torch.Tensor], step: int) -> torch.Tensor:
        W1, b1, W2, b2 = params
        X, y = self.batch(step)
        return torch.nn.functional.cross_entropy(torch.tanh(X @ W1.T + b1) @ W2.T + b2, y)

    def grads(self, params, step: int) -> list[np.ndarray]:
        """The loss's gradient on batch `step` at `params` (arrays or tensors), as new arrays."""
        leaves = [torch.tensor(np.asarray(p.detach() if isinstance(p, torch.Tensor) else p),
                               dtype=self.torch_dtype, requires_grad=True) for p in params]
        self.loss(leaves, step).backward()
        return [leaf.grad.numpy().copy() for leaf in leaves]

    def model(self) -> torch.nn.Sequential:
        """The network as a module, starting from `initial_params`."""
        net = torch.nn.Sequential(torch.nn.Linear(FEATURES, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
        net = net.to(self.torch_dtype)
        with torch.no_grad():
            for p, value in zip(net.parameters(), self.initial_params()):
                p.copy_(torch.from_numpy(value))
        return net

    def train_step(self, net: torch.nn.Module, optimizer: torch.optim.Optimizer, step: int) -> float:
        """zero_grad, forward on batch `step`, backward, optimizer.step(); returns the loss."""
        optimizer.zero_grad()
        X, y = self.batch(step)
        loss = torch.nn.functional.cross_entropy(net(X), y)
        loss.backward()
        optimizer.step()
        return loss.item()
