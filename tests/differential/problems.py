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


def _lasso_cd_shuffled() -> SolverProblem:
    return SolverProblem({**_lasso_cd().inputs, "seed": 7}, 1000)  # with its zero column


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


# ---------------------------------------------------------------- later solvers
# The stdlib's first-order, constrained, coordinate, linear, L-BFGS, softmax, spectral and
# transport solvers and the coordinate-descent examples. Shared small data: diabetes with its
# columns and target scaled to unit norm (gradients of order one, so absolute stopping rules,
# as in coordinate descent, L-BFGS and Frank-Wolfe, mean the same in float32 and float64),
# the first 120 breast_cancer samples and 8 features with +-1 or 0/1 labels, and a graph over
# 40 digits images.


@cache
def diabetes_unit() -> tuple[np.ndarray, np.ndarray]:
    """Diabetes (442x10), columns scaled to unit norm, target to unit norm."""
    A, b = diabetes_standardized()
    return A / np.linalg.norm(A, axis=0), b / np.linalg.norm(b)


@cache
def breast_cancer_small() -> tuple[np.ndarray, np.ndarray]:
    """The first 120 breast_cancer samples, 8 standardized features, labels in {0, 1}."""
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:120, :8]
    return (X - X.mean(0)) / X.std(0), y[:120].astype(np.float64)


def _digits_graph(n: int = 40, labelled: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian affinity over n digits images (zero diagonal) and one-hot seed labels of the
    first `labelled` images over the 10 classes (zero rows for the others)."""
    X, labels = digits()
    X = X[:n] / 16.0
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    W = np.exp(-d2 / np.median(d2))
    np.fill_diagonal(W, 0.0)
    Y = np.zeros((n, 10))
    Y[np.arange(labelled), labels[:labelled]] = 1.0
    return W, Y


# gd_armijo_* switch to an approximate Wolfe test once f(x - t g) is within approx_eps of f(x),
# where the Armijo test would compare numbers below the rounding of f (before that switch the
# backends' float64 iterates parted by 4e-9 on these problems). With lam = 0.1 the float32
# logistic run is still decided by rounding (238 vs 243 iterations): lam = 1 stops before.
def _gd_armijo_logistic() -> SolverProblem:
    X, y = breast_cancer_small()
    return SolverProblem({"A": X, "y": 2 * y - 1, "lam": 1.0}, 500)


def _gd_armijo_ls() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": np.ascontiguousarray(A[:, :6]), "b": b}, 1000)


def _nesterov_logistic() -> SolverProblem:
    X, y = breast_cancer_small()
    return SolverProblem({"A": X, "y": 2 * y - 1, "lam": 5.0, "L": _lipschitz(X) / 4 + 5.0}, 1000)


def _nesterov_ls() -> SolverProblem:
    A, b = diabetes_unit()
    A = np.ascontiguousarray(A[:, :6])
    return SolverProblem({"A": A, "b": b, "L": _lipschitz(A)}, 1000)


def _admm_lasso() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": A, "b": b, "lam": 0.05, "rho": 1.0, "cg_iter": 10}, 1000)


def _cd_least_squares() -> SolverProblem:
    A, b = diabetes_unit()
    A = np.ascontiguousarray(A[:, :6])
    return SolverProblem({"A": A, "b": b, "rule": 2}, 2000)


def _cd_logistic() -> SolverProblem:
    X, y = breast_cancer_small()
    return SolverProblem({"A": X, "y": 2 * y - 1, "lam": 5.0, "rule": 3}, 2000)


def _cd_lasso() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": A, "b": b, "lam": 0.05, "rule": 2}, 2000)


def _bcd_least_squares() -> SolverProblem:
    A, b = diabetes_unit()
    # bs = 3 leaves a ragged last block (10 = 3 + 3 + 3 + 1).
    return SolverProblem({"A": A, "b": b, "bs": 3, "rule": 2}, 2000)


def _bcd_logistic() -> SolverProblem:
    X, y = breast_cancer_small()
    # bs = 3 leaves a ragged last block (8 = 3 + 3 + 2); GSL uses the power-iteration L_B.
    return SolverProblem({"A": X, "y": 2 * y - 1, "lam": 5.0, "bs": 3, "rule": 3}, 2000)


def _bcd_lasso() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": A, "b": b, "lam": 0.05, "bs": 3, "rule": 3}, 2000)


def _newton_logistic() -> SolverProblem:
    X, y = breast_cancer_small()
    return SolverProblem({"A": X, "y": 2 * y - 1, "lam": 1.0}, 100)


def _box_problem() -> dict:
    A, b = diabetes_unit()
    return {"A": A, "b": b, "lo": -0.1, "hi": 0.3, "L": _lipschitz(A)}  # bounds that bind


def _pgd_box() -> SolverProblem:
    return SolverProblem(_box_problem(), 2000)


def _fista_box() -> SolverProblem:
    return SolverProblem(_box_problem(), 1000)


def _fista_l2_ball() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": A, "b": b, "r": 0.4, "L": _lipschitz(A)}, 1000)


def _fista_simplex() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": A, "b": b, "L": _lipschitz(A), "z": 1.0, "bisect_iter": 60}, 1000)


def _frank_wolfe_simplex() -> SolverProblem:
    A, b = diabetes_unit()  # the duality gap falls as O(1/k): runs to max_iter
    return SolverProblem({"A": A, "b": b, "z": 1.0}, 300)


def _frank_wolfe_l1_ball() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": A, "b": b, "r": 0.5}, 300)


def _mirror_descent_simplex() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": A, "b": b, "step": 1 / _lipschitz(A), "z": 1.0}, 2000)


def _extragradient_game() -> SolverProblem:
    X, _ = breast_cancer_standardized()
    M = np.ascontiguousarray(X[:6, :5])  # a 6x5 payoff matrix; the gap falls as O(1/k)
    return SolverProblem({"M": M, "step": 1 / np.max(np.abs(M))}, 300)


def _project_simplex() -> SolverProblem:
    X, _ = digits()
    return SolverProblem({"v": X[3] / 16.0, "z": 1.0}, 200)  # an image's pixels onto the simplex


def _hutchinson() -> SolverProblem:
    X, _ = breast_cancer_standardized()  # tol = 1e-8 on the standard error: all 50 probes
    return SolverProblem({"A": X.T @ X / len(X), "min_iter": 10, "seed": 3}, 50)


def _label_spreading() -> SolverProblem:
    W, Y = _digits_graph()
    return SolverProblem({"W": W, "Y": Y, "alpha": 0.9}, 1000)


def _label_spreading_cg() -> SolverProblem:
    W, Y = _digits_graph()
    return SolverProblem({"W": W, "Y": Y, "alpha": 0.9}, 200)


def _label_propagation() -> SolverProblem:
    """examples/label_propagation.opt: the digits graph, +1 for digits 0-4 and -1 for 5-9 on
    the first ten images, 0 (unlabelled) on the others."""
    W, Y = _digits_graph()
    _, labels = digits()
    y = np.where(labels[: len(W)] < 5, 1.0, -1.0) * Y.any(axis=1)
    return SolverProblem({"W": W, "y": y}, 500)


def _lbfgs_logistic() -> SolverProblem:
    X, y = breast_cancer_small()
    return SolverProblem({"A": X, "b": y, "lam": 0.01, "mem": 5}, 200)


def _newton_cg_logistic() -> SolverProblem:
    X, y = breast_cancer_small()
    return SolverProblem({"A": X, "y": 2 * y - 1, "lam": 0.1}, 50)


def _lbfgs_least_squares() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": A, "b": b, "lam": 0.01, "mem": 5}, 200)


def _ridge_spd() -> tuple[np.ndarray, np.ndarray]:
    """D (X^T X / m + I) D x = D X^T y / m for the 8 breast_cancer features of
    `breast_cancer_small`, D = diag(exp(0..1.5)): the diagonal varies, so Jacobi preconditioning
    does something (condition 49). Not the 30 features of `_cg`: their Gram matrix has a cluster
    of tiny eigenvalues, and on it CG-type iterations amplify an ulp to 1e-10 in float64 (an
    iterate perturbed by 1e-16 per step moved 8e-11 in a NumPy re-implementation)."""
    X, y = breast_cancer_small()
    D = np.exp(np.linspace(0.0, 1.5, X.shape[1]))
    A = D[:, None] * (X.T @ X / len(X) + np.eye(X.shape[1])) * D
    return A, D * (X.T @ (y - y.mean()) / len(X))


def _pcg_jacobi() -> SolverProblem:
    A, b = _ridge_spd()
    return SolverProblem({"A": A, "b": b}, 100)


def _sor() -> SolverProblem:
    A, b = _ridge_spd()
    return SolverProblem({"A": A, "b": b, "omega": 1.2}, 500)


def _sinkhorn_log() -> SolverProblem:
    X, _ = digits()
    a, b = X[0][::2] + 0.1, X[1][::2] + 0.1  # even pixels of two images, over their positions
    grid = np.array([(i, j) for i in range(8) for j in range(8)], dtype=np.float64)[::2]
    C = ((grid[:, None, :] - grid[None, :, :]) ** 2).sum(-1)
    return SolverProblem({"a": a / a.sum(), "b": b / b.sum(), "C": C / C.max(), "eps": 0.02}, 1000)


def _least_squares_cd() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": np.ascontiguousarray(A[:, :6]), "b": b}, 500)


def _l1_regression_cd() -> SolverProblem:
    A, b = diabetes_unit()
    return SolverProblem({"A": A, "b": b, "lam": 0.05}, 500)


def _logistic_cd() -> SolverProblem:
    X, y = breast_cancer_small()
    return SolverProblem({"A": X, "b": y, "lam": 2.0}, 500)


def _multiclass_logistic_bcd() -> SolverProblem:
    """examples/multiclass_logistic.opt on 30 digits images: float64 stops after 45 sweeps;
    float32 stalls from sweep ~10 at ||G||_inf ~ 0.01 (its backtracking slack, 1e-12 (1 + |f|),
    is below float32's rounding of f ~ 50, so L doubles until the steps vanish) and runs to
    max_iter on both backends."""
    X, labels = digits()
    X = np.ascontiguousarray(X[:30] / 16.0)
    return SolverProblem({"X": X, "Y": np.eye(10)[labels[:30]], "lam": 10.0}, 100)


def _softmax_regression() -> SolverProblem:
    """12 iterations (||G||_inf falls from 3.6 to 5.8e-3), not to tol: in float32 the
    backtracking test f(V - G / L) <= f(V) - ||G||^2 / (2L) + 1e-12 (1 + |f|) falls below the
    rounding of f ~ 90 once ||G||_inf ~ 2e-3, L doubles until the steps vanish, and the stalled
    run is decided by rounding (W 2.1e-4 apart after 100 iterations; float64 stops at 44)."""
    X, labels = digits()
    X = np.ascontiguousarray(X[:50] / 16.0)
    return SolverProblem({"X": X, "Y": np.eye(10)[labels[:50]], "lam": 10.0}, 12)


SOLVER_PROBLEMS = {
    "gd": _gd,
    "ista": _ista,
    "fista": _fista,
    "lasso_cd": _lasso_cd,
    "lasso_cd_shuffled": _lasso_cd_shuffled,
    "elastic_net": _elastic_net,
    "cg": _cg,
    "power_iteration": _power_iteration,
    "sinkhorn": _sinkhorn,
    "admm_lasso": _admm_lasso,
    "bcd_lasso": _bcd_lasso,
    "bcd_least_squares": _bcd_least_squares,
    "bcd_logistic": _bcd_logistic,
    "cd_lasso": _cd_lasso,
    "cd_least_squares": _cd_least_squares,
    "cd_logistic": _cd_logistic,
    "extragradient_game": _extragradient_game,
    "fista_box": _fista_box,
    "fista_l2_ball": _fista_l2_ball,
    "fista_simplex": _fista_simplex,
    "frank_wolfe_l1_ball": _frank_wolfe_l1_ball,
    "frank_wolfe_simplex": _frank_wolfe_simplex,
    "gd_armijo_logistic": _gd_armijo_logistic,
    "gd_armijo_ls": _gd_armijo_ls,
    "hutchinson": _hutchinson,
    "label_spreading": _label_spreading,
    "label_spreading_cg": _label_spreading_cg,
    "lbfgs_least_squares": _lbfgs_least_squares,
    "lbfgs_logistic": _lbfgs_logistic,
    "mirror_descent_simplex": _mirror_descent_simplex,
    "nesterov_logistic": _nesterov_logistic,
    "newton_cg_logistic": _newton_cg_logistic,
    "nesterov_ls": _nesterov_ls,
    "newton_logistic": _newton_logistic,
    "pcg_jacobi": _pcg_jacobi,
    "pgd_box": _pgd_box,
    "project_simplex": _project_simplex,
    "sinkhorn_log": _sinkhorn_log,
    "softmax_regression": _softmax_regression,
    "sor": _sor,
    "least_squares_cd": _least_squares_cd,  # examples/least_squares.opt
    "l1_regression_cd": _l1_regression_cd,  # examples/l1_regression.opt
    "logistic_cd": _logistic_cd,  # examples/logistic.opt
    "label_propagation": _label_propagation,  # examples/label_propagation.opt
    "multiclass_logistic_bcd": _multiclass_logistic_bcd,  # examples/multiclass_logistic.opt
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
