"""Real-data problems shared by the reference tests.

`MLP` is a small tanh network on scikit-learn's breast-cancer data (569 samples, 30
standardized features) with a binary cross-entropy loss; its four parameter tensors have
different shapes (64×30, 64, 1×64, 1), and `MLP.grads(params)` differentiates the loss with
torch autograd at the given parameters. The solver problems are built from the diabetes and
digits data sets shipped with scikit-learn.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits

SHAPES = [(64, 30), (64,), (1, 64), (1,)]


class MLP:
    """Gradients of a 30-64-1 tanh network's logistic loss on breast_cancer, in one dtype."""

    def __init__(self, dtype: str):
        X, y = load_breast_cancer(return_X_y=True)
        X = (X - X.mean(0)) / X.std(0)
        self.dtype = np.dtype(dtype)
        self.torch_dtype = {np.float32: torch.float32, np.float64: torch.float64}[self.dtype.type]
        self.X = torch.tensor(X, dtype=self.torch_dtype)
        self.y = torch.tensor(y, dtype=self.torch_dtype)

    def initial_params(self) -> list[np.ndarray]:
        """Deterministic starting weights (scaled like torch's default init)."""
        rng = np.random.default_rng(0)
        return [(rng.standard_normal(s) / np.sqrt(s[-1])).astype(self.dtype) for s in SHAPES]

    def loss(self, params: list[torch.Tensor]) -> torch.Tensor:
        W1, b1, W2, b2 = params
        hidden = torch.tanh(self.X @ W1.T + b1)
        logits = (hidden @ W2.T + b2).squeeze(1)
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, self.y)

    def grads(self, params) -> list[np.ndarray]:
        """The loss's gradient at `params` (arrays or tensors), as fresh NumPy arrays."""
        leaves = [torch.tensor(np.asarray(p.detach() if isinstance(p, torch.Tensor) else p),
                               dtype=self.torch_dtype, requires_grad=True) for p in params]
        self.loss(leaves).backward()
        return [leaf.grad.numpy().copy() for leaf in leaves]


@cache
def diabetes_standardized() -> tuple[np.ndarray, np.ndarray]:
    """Diabetes features standardized to unit variance, target centred (442×10)."""
    X, y = load_diabetes(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y - y.mean()


@cache
def diabetes_raw() -> tuple[np.ndarray, np.ndarray]:
    """Diabetes as shipped (features already centred and scaled to unit norm), raw target."""
    return load_diabetes(return_X_y=True)


@cache
def digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8×8 digits images as 1797×64 pixel intensities (0..16) and their labels."""
    return load_digits(return_X_y=True)
