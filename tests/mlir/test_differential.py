"""Differential test: every stdlib and example solver and optimizer, float32 and float64, on
`backend="mlir"` against the NumPy backend (the spec).

float64 runs the algorithms to their stopping rules and must agree to ~1e-10 with the same
iteration counts. float32 cannot reach float64 tolerances, and where the two backends round
differently a stopping rule could fire one iteration apart; so float32 runs a fixed number of
iterations (tol = -1 never stops early) and compares with float32 tolerances. A new stdlib
solver without a problem below fails `test_every_solver_has_a_problem`.

The first eight solvers have synthetic problems (random least squares, a random cost for
sinkhorn); the later ones reuse the
real-data problems of the llvm differential suite (tests/differential/problems.py), with a
stopping tolerance each reaches in float64 and a float32 iteration count that stays out of
the regime where rounding decides the run (a backtracking test below the rounding of f).
Solvers that draw random numbers run like the others: the Philox streams are the same bit for
bit on both backends, so the random coordinate-descent rules pick the same coordinates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from optc.dsl import ast
from optc.dsl.program import load_unit, stdlib_index

import optc
from optc.compiler import compile_source
from tests.differential.problems import solver_problem
from tests.mlir.helpers import needs_mlir

pytestmark = needs_mlir
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _declarations() -> dict[str, tuple[str, str]]:
    """name -> (source, kind) for every optimizer and solver of the stdlib and the examples."""
    found = {}
    for name in stdlib_index():
        found[name] = (name, compile_source(name, None, None, "f64").kind)
    for path in sorted(EXAMPLES.glob("*.opt")):
        for name, decl in load_unit(path).decls.items():
            found[name] = (str(path), "solver" if isinstance(decl, ast.SolverDecl) else "optimizer")
    return found


DECLARATIONS = _declarations()
SOLVERS = sorted(
    n for n, (_, kind) in DECLARATIONS.items() if kind == "solver"
)
OPTIMIZERS = sorted(n for n, (_, kind) in DECLARATIONS.items() if kind == "optimizer")


def _least_squares(rng, m=30, n=10):
    A = rng.standard_normal((m, n))
    return A, A @ rng.standard_normal(n) + 0.1 * rng.standard_normal(m)


def problem(name: str, rng) -> tuple[dict, dict]:
    """(inputs, float32 overrides: a fixed number of iterations) for a solver."""
    A, b = _least_squares(rng)
    L = np.linalg.norm(A, 2) ** 2
    spd = A.T @ A + np.eye(A.shape[1])
    fixed = {"tol": -1.0, "max_iter": 30}
    problems = {
        "cg": ({"A": spd, "b": A.T @ b}, {"tol": -1.0, "max_iter": 8}),
        "gd": ({"A": A, "b": b, "step": 1 / L, "tol": 1e-8}, fixed),
        "ista": ({"A": A, "b": b, "lam": 2.0, "L": L, "tol": 1e-8}, fixed),
        "fista": ({"A": A, "b": b, "lam": 2.0, "L": L, "tol": 1e-8}, fixed),
        "lasso_cd": ({"A": A, "b": b, "lam": 2.0, "tol": 1e-10}, {"tol": -1.0, "max_iter": 10}),
        "elastic_net": (
            {"A": A, "b": b, "lam": 2.0, "alpha": 0.7, "tol": 1e-10},
            {"tol": -1.0, "max_iter": 10},
        ),
        "power_iteration": ({"A": spd, "tol": 1e-10}, fixed),
        "sinkhorn": (
            {
                "a": np.full(6, 1 / 6),
                "b": np.full(4, 1 / 4),
                "C": rng.random((6, 4)),
                "eps": 0.2,
                "tol": 1e-9,
            },
            fixed,
        ),
    }
    if name in problems:
        return problems[name]
    controls, fixed = REAL_DATA[name]
    return {**solver_problem(name).inputs, **controls}, fixed


# Solvers on the real-data problems of tests/differential/problems.py: (float64 stopping
# controls, float32 overrides). The float32 counts stop before the run turns to rounding noise:
# the backtracking solvers (gd_armijo_*, lbfgs_*, softmax_regression, multiclass_logistic_bcd)
# before their sufficient-decrease tests fall below the rounding of f, the rest after at most
# a hundred iterations.
RANDOM_RULE = {"rule": 1, "tol": 1e-6, "max_iter": 20000}
REAL_DATA = {
    "admm_lasso": ({"tol": 1e-8, "max_iter": 1000}, {"tol": -1.0, "max_iter": 15}),
    "bcd_least_squares": ({"tol": 1e-8, "max_iter": 2000}, {"tol": -1.0, "max_iter": 30}),
    "extragradient_game": ({"tol": 1e-2, "max_iter": 2000}, {"tol": -1.0, "max_iter": 100}),
    "fista_box": ({"tol": 1e-8, "max_iter": 1000}, {"tol": -1.0, "max_iter": 30}),
    "fista_l2_ball": ({"tol": 1e-8, "max_iter": 1000}, {"tol": -1.0, "max_iter": 20}),
    "fista_simplex": ({"tol": 1e-8, "max_iter": 1000}, {"tol": -1.0, "max_iter": 30}),
    "frank_wolfe_l1_ball": ({"tol": 1e-3, "max_iter": 1000}, {"tol": -1.0, "max_iter": 10}),
    "frank_wolfe_simplex": ({"tol": 1e-3, "max_iter": 1000}, {"tol": -1.0, "max_iter": 100}),
    "gd_armijo_logistic": ({"tol": 1e-8, "max_iter": 500}, {"tol": -1.0, "max_iter": 20}),
    "gd_armijo_ls": ({"tol": 1e-8, "max_iter": 1000}, {"tol": -1.0, "max_iter": 30}),
    "label_spreading": ({"tol": 1e-10, "max_iter": 1000}, {"tol": -1.0, "max_iter": 10}),
    "label_spreading_cg": ({"tol": 1e-10, "max_iter": 200}, {"tol": -1.0, "max_iter": 5}),
    "lbfgs_least_squares": ({"tol": 1e-8, "max_iter": 200}, {"tol": -1.0, "max_iter": 10}),
    "lbfgs_logistic": ({"tol": 1e-8, "max_iter": 200}, {"tol": -1.0, "max_iter": 10}),
    "mirror_descent_simplex": ({"tol": 1e-6, "max_iter": 5000}, {"tol": -1.0, "max_iter": 100}),
    "nesterov_logistic": ({"tol": 1e-8, "max_iter": 1000}, {"tol": -1.0, "max_iter": 30}),
    "nesterov_ls": ({"tol": 1e-8, "max_iter": 1000}, {"tol": -1.0, "max_iter": 20}),
    "newton_cg_logistic": ({"tol": 1e-10, "max_iter": 50}, {"tol": -1.0, "max_iter": 4}),
    "newton_logistic": ({"tol": 1e-10, "max_iter": 100}, {"tol": -1.0, "max_iter": 5}),
    "pcg_jacobi": ({"tol": 1e-8, "max_iter": 100}, {"tol": -1.0, "max_iter": 4}),
    "pgd_box": ({"tol": 1e-8, "max_iter": 2000}, {"tol": -1.0, "max_iter": 30}),
    "project_simplex": ({"tol": 1e-12, "max_iter": 200}, {"tol": -1.0, "max_iter": 20}),
    "sinkhorn_log": ({"tol": 1e-8, "max_iter": 1000}, {"tol": -1.0, "max_iter": 30}),
    "softmax_regression": ({"tol": 1e-3, "max_iter": 100}, {"tol": -1.0, "max_iter": 10}),
    "sor": ({"tol": 1e-8, "max_iter": 500}, {"tol": -1.0, "max_iter": 10}),
    "least_squares_cd": ({"tol": 1e-8, "max_iter": 500}, {"tol": -1.0, "max_iter": 10}),
    "l1_regression_cd": ({"tol": 1e-8, "max_iter": 500}, {"tol": -1.0, "max_iter": 10}),
    "logistic_cd": ({"tol": 1e-8, "max_iter": 500}, {"tol": -1.0, "max_iter": 10}),
    "label_propagation": ({"tol": 1e-10, "max_iter": 500}, {"tol": -1.0, "max_iter": 10}),
    "multiclass_logistic_bcd": ({"tol": 1e-8, "max_iter": 100}, {"tol": -1.0, "max_iter": 8}),
    # Random numbers: rule 1 draws the coordinate (argmax of uniforms), hutchinson its probes.
    "cd_least_squares": (RANDOM_RULE, {"tol": -1.0, "max_iter": 50}),
    "cd_logistic": (RANDOM_RULE, {"tol": -1.0, "max_iter": 50}),
    "cd_lasso": (RANDOM_RULE, {"tol": -1.0, "max_iter": 50}),
    "hutchinson": ({"tol": 0.05, "max_iter": 1000}, {"tol": -1.0, "max_iter": 30}),
    # The block solvers draw the power iteration's start vector (and rule 1 the block).
    "bcd_logistic": ({"tol": 1e-8, "max_iter": 5000}, {"tol": -1.0, "max_iter": 20}),
    "bcd_lasso": ({"tol": 1e-8, "max_iter": 20000}, {"tol": -1.0, "max_iter": 20}),
    "lasso_cd_shuffled": ({"tol": 1e-10, "max_iter": 1000}, {"tol": -1.0, "max_iter": 10}),
}
SYNTHETIC = ("cg", "gd", "ista", "fista", "lasso_cd", "elastic_net", "power_iteration", "sinkhorn")


def test_every_solver_has_a_problem():
    missing = [n for n in SOLVERS if n not in SYNTHETIC and n not in REAL_DATA]
    assert not missing, f"add a differential problem for: {missing}"


def _close(actual, expected, rtol, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape, what
    scale = max(float(np.max(np.abs(expected))), 1.0) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", SOLVERS)
def test_solver(name, dtype):
    source = DECLARATIONS[name][0]
    inputs, fixed = problem(name, np.random.default_rng(7))
    if dtype == "float32":
        inputs = {**inputs, **fixed}
    rtol = 1e-9 if dtype == "float64" else 2e-4
    expected = optc.solve(source, name, backend="numpy", dtype=dtype, **inputs)
    actual = optc.solve(source, name, backend="mlir", dtype=dtype, **inputs)
    assert (actual.iterations, actual.converged) == (expected.iterations, expected.converged)
    if dtype == "float64":
        assert actual.converged, f"{name} did not converge: choose a better-conditioned problem"
    for key in expected.outputs:
        _close(actual.outputs[key], expected.outputs[key], rtol, f"{name}.{key}")
    for key in expected.trace:
        _close(actual.trace[key], expected.trace[key], rtol, f"{name}.trace[{key}]")


# Hyperparameters that switch on every branch of the stdlib optimizers.
HYPER = {
    "adam": {"weight_decay": 0.01, "amsgrad": True},
    "adamw": {"maximize": True},
    "sgd": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01, "lr": 0.05},
    "lion": {"weight_decay": 0.1},
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer(name, dtype):
    source = DECLARATIONS[name][0]
    rng = np.random.default_rng(3)
    declared = compile_source(source, name, "optimizer", "f64").function("step").params[0].type
    if declared.shape is None:
        shapes = [(4, 5), (7,), (2, 3, 2), ()]
    else:  # a matrix optimizer (Muon, Adafactor): tall and wide matrices of the declared rank
        shapes = [
            (6, 4)[: declared.rank] + (1,) * (declared.rank - 2),
            (3, 5)[: declared.rank] + (1,) * (declared.rank - 2),
        ]
    start = [rng.standard_normal(s).astype(dtype) for s in shapes]
    params = {b: [p.copy() for p in start] for b in ("numpy", "mlir")}
    opts = {b: optc.optimizer(source, name, backend=b, **HYPER.get(name, {})) for b in params}
    states = {b: opts[b].init(params[b]) for b in params}
    for step in range(6):
        grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
        lr = {"lr": 0.01 * (step + 1)} if step % 2 else {}  # per-call hyperparameters too
        for b, ps in params.items():
            opts[b].step(ps, grads, states[b], **lr)
    rtol = 1e-13 if dtype == "float64" else 1e-5
    for i, (a, e) in enumerate(zip(params["mlir"], params["numpy"])):
        _close(a, e, rtol, f"{name} param {i}")
    for i, (a, e) in enumerate(zip(states["mlir"].tensors, states["numpy"].tensors)):
        for key in e:
            _close(a[key], e[key], rtol, f"{name} state {key} of param {i}")
    # The API runs elementwise steps through the in-place kernel; check the step function too.
    ir_dtype = "f64" if dtype == "float64" else "f32"
    step = opts["mlir"].compiled(ir_dtype).function("step")
    grad = [grads[0]] if step.attrs.get("grad") else []
    args = [params["numpy"][0], *grad, *states["numpy"].tensors[0].values()]
    args += opts["numpy"]._hyper_args(ir_dtype, {}) + [np.int64(7)]
    expected = opts["numpy"].executable(ir_dtype).run(step.name, args)
    actual = opts["mlir"].executable(ir_dtype).run(step.name, args)
    for k, (a, e) in enumerate(zip(actual, expected)):
        _close(a, e, rtol, f"{name} step function result {k}")
