"""SOR / Gauss-Seidel, Jacobi-preconditioned CG and label propagation (stdlib/linear.opt).

- SPD systems: the 2-D Poisson 5-point Laplacian on an N x N grid (Dirichlet boundary, built
  with numpy.kron) and X^T X + I for the 1797x64 digits images; references numpy.linalg.solve
  and scipy.sparse.linalg.cg with the Jacobi preconditioner M = diag(A)^-1.
- Label spreading (Zhou et al., NIPS 2003) on a symmetrised 10-NN connectivity graph of the
  first 400 digits with 3 labels per class, against the closed form
  (1 - alpha) (I - alpha S)^-1 Y by numpy.linalg.solve.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from sklearn.datasets import load_digits
from sklearn.neighbors import kneighbors_graph

import optc

BACKENDS = ["numpy", pytest.param("llvm", marks=pytest.mark.llvm)]


@cache
def solver(name: str, backend: str):
    return optc.solver(name, backend=backend)


def rel_err(x, ref) -> float:
    return float(np.max(np.abs(x - ref)) / np.max(np.abs(ref)))


@cache
def poisson(N: int):
    T = 2 * np.eye(N) - np.eye(N, k=1) - np.eye(N, k=-1)
    A = np.kron(T, np.eye(N)) + np.kron(np.eye(N), T)
    b = np.random.default_rng(0).standard_normal(N * N)
    return A, b, np.linalg.solve(A, b)


@cache
def digits_gram():
    X, y = load_digits(return_X_y=True)
    A = X.T @ X + np.eye(64)
    b = X.T @ (y - y.mean())
    return A, b, np.linalg.solve(A, b)


# ---------------------------------------------------------------- SOR

N_SOR = 8
OMEGA_OPT = 2 / (1 + np.sin(np.pi / (N_SOR + 1)))  # Young's optimum for the model problem


@pytest.mark.parametrize("omega", [1.0, 1.3, OMEGA_OPT])
@pytest.mark.parametrize("backend", BACKENDS)
def test_sor_poisson_matches_solve(backend, omega):
    A, b, x_star = poisson(N_SOR)
    res = solver("sor", backend)(A=A, b=b, omega=omega, tol=1e-10)
    assert res.converged
    assert np.linalg.norm(b - A @ res.x) <= 1e-10 * np.linalg.norm(b)
    assert rel_err(res.x, x_star) <= 1e-8
    assert res.trace["residual"][-1] <= 1e-10 * np.linalg.norm(b)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sor_optimal_omega_beats_gauss_seidel(backend):
    """Young: the spectral radius falls from cos^2(pi h) (Gauss-Seidel) to omega_opt - 1."""
    A, b, _ = poisson(N_SOR)
    run = solver("sor", backend)
    sweeps = {w: run(A=A, b=b, omega=w, tol=1e-10).iterations for w in (1.0, 1.3, OMEGA_OPT)}
    assert sweeps[OMEGA_OPT] < sweeps[1.3] < sweeps[1.0]
    assert sweeps[OMEGA_OPT] * 3 < sweeps[1.0]  # measured 37, 83, 162 sweeps


@pytest.mark.parametrize("backend", BACKENDS)
def test_sor_is_one_gauss_seidel_sweep_per_iteration(backend):
    """max_iter=1 against a NumPy transcription of one forward sweep."""
    A, b, _ = poisson(N_SOR)
    omega = 1.5
    x = np.zeros_like(b)
    for i in range(len(b)):
        x[i] += omega * (b[i] - A[i] @ x) / A[i, i]
    res = solver("sor", backend)(A=A, b=b, omega=omega, max_iter=1)
    np.testing.assert_allclose(res.x, x, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------- Jacobi-preconditioned CG

def scipy_pcg(A, b, tol):
    count = [0]

    def callback(_):
        count[0] += 1

    x, info = spla.cg(A, b, rtol=tol, M=np.diag(1 / np.diag(A)), maxiter=10000,
                      callback=callback)
    assert info == 0
    return x, count[0]


@pytest.mark.parametrize("problem", ["poisson", "digits"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_pcg_jacobi_matches_solve_and_scipy(backend, problem):
    A, b, x_star = poisson(12) if problem == "poisson" else digits_gram()
    res = solver("pcg_jacobi", backend)(A=A, b=b, tol=1e-10)
    x_ref, iterations = scipy_pcg(A, b, 1e-10)
    assert res.converged
    assert np.linalg.norm(b - A @ res.x) <= 2e-10 * np.linalg.norm(b)
    assert rel_err(res.x, x_star) <= 1e-8          # measured 2e-11 (poisson), 1e-9 (digits)
    assert rel_err(res.x, x_ref) <= 1e-8
    assert abs(res.iterations - iterations) <= 1   # measured 44/44 and 86-87/87


@pytest.mark.parametrize("backend", BACKENDS)
def test_jacobi_preconditioning_helps_on_digits(backend):
    """Pixel columns of very different scales: measured 87 PCG iterations against 210 for the
    stdlib's plain cg. (On the Poisson matrix, diag(A) = 4 I and the two coincide.)"""
    A, b, _ = digits_gram()
    pcg = solver("pcg_jacobi", backend)(A=A, b=b, tol=1e-10)
    cg = solver("cg", backend)(A=A, b=b, tol=1e-10)
    assert pcg.iterations * 2 < cg.iterations
    A, b, _ = poisson(12)
    assert solver("pcg_jacobi", backend)(A=A, b=b, tol=1e-10).iterations == pytest.approx(
        solver("cg", backend)(A=A, b=b, tol=1e-10).iterations, abs=1)


# ---------------------------------------------------------------- label propagation

@cache
def label_problem(alpha: float):
    X, y = load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    W = kneighbors_graph(X, 10, mode="connectivity", include_self=False).toarray()
    W = np.maximum(W, W.T)
    labelled = np.concatenate([np.flatnonzero(y == c)[:3] for c in range(10)])
    Y = np.zeros((len(y), 10))
    Y[labelled, y[labelled]] = 1
    d = 1 / np.sqrt(W.sum(axis=1))
    S = d[:, None] * W * d[None, :]
    F = (1 - alpha) * np.linalg.solve(np.eye(len(y)) - alpha * S, Y)
    return W, Y, y, F


@pytest.mark.parametrize("name", ["label_spreading", "label_spreading_cg"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_label_spreading_matches_closed_form(backend, name):
    alpha = 0.9
    W, Y, y, F_star = label_problem(alpha)
    res = solver(name, backend)(W=W, Y=Y, alpha=alpha, tol=1e-10)
    assert res.converged
    assert rel_err(res.F, F_star) <= 1e-7          # measured 4.4e-9 (139 its), 5.7e-11 (cg, 39 its)
    np.testing.assert_array_equal(res.F.argmax(axis=1), F_star.argmax(axis=1))
    assert np.mean(F_star.argmax(axis=1) == y) > 0.85


@pytest.mark.parametrize("backend", BACKENDS)
def test_label_spreading_cg_needs_fewer_iterations(backend):
    alpha = 0.9
    W, Y, _, _ = label_problem(alpha)
    fixed = solver("label_spreading", backend)(W=W, Y=Y, alpha=alpha, tol=1e-10)
    cg = solver("label_spreading_cg", backend)(W=W, Y=Y, alpha=alpha, tol=1e-10)
    assert cg.iterations * 2 < fixed.iterations
