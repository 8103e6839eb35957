"""Real-data problems for the differential suite, small enough that the NumPy interpreter
runs each in a fraction of a second.

Solvers: one problem per stdlib and example solver, from scikit-learn's diabetes, digits and
breast_cancer data (loaded through tests/reference/problems.py where it has a loader).
Optimizers: softmax regression on digits with a 2-D weight, a 1-D bias and a 0-d temperature,
plus a 3-D tensor pulled towards a target, so one step updates tensors of ranks 0 to 3
(`TensorsOfRank` keeps the tensors of one rank, for optimizers that declare their param's rank).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer

from tests.reference.problems import diabetes_standardized, digits

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class SolverProblem:
    """Inputs (float64; the solver converts them) and an iteration cap for one solver."""

    inputs: dict
    max_iter: int


@cache
def breast_cancer_standardized() -> tuple[np.ndarray, np.ndarray]:
    """breast_cancer's 569x30 features standardized, and the 0/1 target centred."""
    X, y = load_breast_cancer(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y - y.mean()


def _lipschitz(A: np.ndarray) -> float:
    return float(np.linalg.norm(A, 2) ** 2)


def _gd() -> SolverProblem:
    A, b = diabetes_standardized()
    A = np.ascontiguousarray(A[:, :6])  # the first six features: ~400 iterations to 1e-8
    return SolverProblem({"A": A, "b": b, "step": 1 / _lipschitz(A)}, 1000)


def _ista() -> SolverProblem:
    A, b = diabetes_standardized()
    return SolverProblem({"A": A, "b": b, "lam": 2000.0, "L": _lipschitz(A)}, 1000)


def _fista() -> SolverProblem:
    A, b = diabetes_standardized()
    return SolverProblem({"A": A, "b": b, "lam": 200.0, "L": _lipschitz(A)}, 1000)


def _lasso_cd() -> SolverProblem:
    X, labels = digits()
    A = np.ascontiguousarray(X[:120] / 16.0)  # pixel 0 is always 0: a zero column
    b = labels[:120] - labels[:120].mean()
    return SolverProblem({"A": A, "b": b, "lam": 20.0}, 200)


def _elastic_net() -> SolverProblem:
    A, b = diabetes_standardized()
    return SolverProblem({"A": A, "b": b, "lam": 10.0}, 1000)


def _cg() -> SolverProblem:
    X, y = breast_cancer_standardized()
    A = X.T @ X / len(X) + 2.0 * np.eye(X.shape[1])  # ridge normal equations, condition ~8
    return SolverProblem({"A": A, "b": X.T @ y / len(X)}, 100)


def _power_iteration() -> SolverProblem:
    X, _ = breast_cancer_standardized()
    return SolverProblem({"A": X.T @ X / len(X)}, 500)


def _sinkhorn() -> SolverProblem:
    X, _ = digits()
    grid = np.array([(i, j) for i in range(8) for j in range(8)], dtype=np.float64)
    C = ((grid[:, None, :] - grid[None, :, :]) ** 2).sum(-1)
    a, b = X[0] + 0.1, X[1] + 0.1  # two images as histograms over the 8x8 pixel grid
    return SolverProblem({"a": a / a.sum(), "b": b / b.sum(), "C": C / C.max(), "eps": 0.05}, 1000)


SOLVER_PROBLEMS = {
    "gd": _gd,
    "ista": _ista,
    "fista": _fista,
    "lasso_cd": _lasso_cd,
    "elastic_net": _elastic_net,
    "cg": _cg,
    "power_iteration": _power_iteration,
    "sinkhorn": _sinkhorn,
}


@cache
def solver_problem(name: str) -> SolverProblem:
    """The problem of solver `name`; a solver without one fails loudly (add it above)."""
    if name not in SOLVER_PROBLEMS:
        raise LookupError(f"no real-data problem for solver `{name}`: add one to {__file__}")
    return SOLVER_PROBLEMS[name]()


class SoftmaxRegression:
    """Gradients for an optimizer's trajectory: softmax regression on 300 digits images.

    params = [W (64x10), b (10,), s (), F (2x3x4)]: logits = (1 + tanh(s) / 2) * (X @ W + b),
    mean cross-entropy (the bounded temperature keeps even gradient *ascent* finite); F adds
    0.5 * ||F - target||^2. `grads` is exact (analytic) and returns arrays of the params' dtype.
    """

    def __init__(self):
        X, labels = digits()
        self.X = X[:300] / 16.0
        self.Y = np.eye(10)[labels[:300]]
        self.target = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)

    def initial_params(self, dtype) -> list[np.ndarray]:
        rng = np.random.default_rng(0)
        params = [rng.standard_normal((64, 10)) * 0.1, rng.standard_normal(10) * 0.1, np.array(0.5),
                  rng.standard_normal((2, 3, 4))]
        return [np.asarray(p, dtype=dtype) for p in params]

    def grads(self, params) -> list[np.ndarray]:
        W, b, s, F = (np.asarray(p, dtype=np.float64) for p in params)
        z = self.X @ W + b
        temperature = 1 + np.tanh(s) / 2
        logits = temperature * z
        P = np.exp(logits - logits.max(1, keepdims=True))
        P /= P.sum(1, keepdims=True)
        d_logits = (P - self.Y) / len(self.X)
        d_z = temperature * d_logits
        d_s = np.sum(d_logits * z) * (1 - np.tanh(s) ** 2) / 2
        grads = [self.X.T @ d_z, d_z.sum(0), np.array(d_s), F - self.target]
        return [np.asarray(g, dtype=p.dtype) for g, p in zip(grads, params)]


class TensorsOfRank:
    """The part of a problem an optimizer of fixed param rank can take: its tensors of that
    rank (for rank 2, also the two 3x4 slices of the 3-D tensor); the others stay at their
    initial values."""

    def __init__(self, problem: SoftmaxRegression, rank: int):
        self.problem = problem
        self.rank = rank

    def _split(self, full: list) -> list:
        parts = [t for t in full if np.ndim(t) == self.rank]
        return parts + (list(full[3]) if self.rank == 2 else [])

    def initial_params(self, dtype) -> list[np.ndarray]:
        return [np.ascontiguousarray(t) for t in self._split(self.problem.initial_params(dtype))]

    def grads(self, params) -> list[np.ndarray]:
        full = self.problem.initial_params(params[0].dtype)
        picked = [i for i, t in enumerate(full) if np.ndim(t) == self.rank]
        for i, value in zip(picked, params):
            full[i] = value
        if self.rank == 2:
            full[3] = np.stack(params[len(picked):])
        return [np.ascontiguousarray(g) for g in self._split(self.problem.grads(full))]
