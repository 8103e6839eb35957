"""Block coordinate descent (stdlib/coordinate.opt) on real data, numpy and llvm backends:

- bcd_least_squares (exact block solves) against numpy.linalg.lstsq on diabetes (442x10);
- bcd_logistic (block Newton steps) against scikit-learn's LogisticRegression(C=1/lam,
  fit_intercept=False, solver="newton-cholesky", tol=1e-14) on breast_cancer (569x30,
  standardized), and against cd_logistic (bs = 1, gradient steps) and newton_logistic (one
  block);
- bcd_lasso (block proximal gradient steps) against scikit-learn's Lasso(alpha=lam/m,
  fit_intercept=False) on diabetes, and against cd_lasso (bs = 1) and ista (one block).

Nutini, Laradji & Schmidt, "Let's Make Block Coordinate Descent Converge Faster" (JMLR 2022):
greedy block selection. One iteration is one block update; an epoch is ceil(n / bs) of them.
The comparisons of rules assert only what was measured (counts in the tables).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import Lasso, LogisticRegression

import optc

BACKENDS = ["numpy", pytest.param("llvm", marks=pytest.mark.llvm)]
CYCLIC, RANDOM, GS, GSL, GSQ = 0, 1, 2, 3, 4
GS_R = 4  # bcd_lasso's rule 4


@cache
def solver(name: str, backend: str):
    return optc.solver(name, backend=backend)


@cache
def diabetes():
    A, b = load_diabetes(return_X_y=True)
    return A, b, np.linalg.lstsq(A, b, rcond=None)[0]


def rel_err(x, ref) -> float:
    return float(np.max(np.abs(x - ref)) / np.max(np.abs(ref)))


# Measured (both backends, tol = 1e-6): block updates until ||A^T (A x - b)||_inf <= 1e-6, and
# the error against lstsq (1e-7 at most: the stopping rule, not rounding, sets it).
MEASURED = {  # (bs, rule): iterations
    (2, CYCLIC): 1205, (2, GS): 758,
    (3, CYCLIC): 830, (3, GS): 444,
    (4, CYCLIC): 489, (4, GS): 348,
    (5, CYCLIC): 1953, (5, GS): 1896,
}


@pytest.mark.parametrize("bs,rule", list(MEASURED))
@pytest.mark.parametrize("backend", BACKENDS)
def test_matches_lstsq(backend, bs, rule):
    A, b, x_star = diabetes()
    res = solver("bcd_least_squares", backend)(A=A, b=b, bs=bs, rule=rule, tol=1e-6)
    assert res.converged and res.iterations == MEASURED[bs, rule]
    assert rel_err(res.x, x_star) <= 5e-7
    assert np.max(np.abs(A.T @ (A @ res.x - b))) <= 1e-6
    objective = res.trace["objective"]
    f_star = 0.5 * np.sum((A @ x_star - b) ** 2)
    # Exact block minimisation never increases the objective (down to its rounding).
    assert np.all(np.diff(objective) <= 1e-12 * f_star)
    np.testing.assert_allclose(objective[-1], f_star, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_greedy_needs_fewer_epochs_than_cyclic(backend):
    """Measured epochs to tol = 1e-6 (cyclic vs Gauss-Southwell): bs 2: 241 vs 151.6, bs 3:
    207.5 vs 111, bs 4: 163 vs 116, bs 5: 976.5 vs 948 (two blocks: GS still picks the one
    that helps more). Greedy is never slower on this data."""
    A, b, _ = diabetes()
    run = solver("bcd_least_squares", backend)
    for bs in (2, 3, 4, 5):
        epochs = {}
        for rule in (CYCLIC, GS):
            res = run(A=A, b=b, bs=bs, rule=rule, tol=1e-6)
            assert res.converged
            epochs[rule] = res.iterations / -(-A.shape[1] // bs)
        assert epochs[GS] <= epochs[CYCLIC], (bs, epochs)
    # Where the rules differ most (bs = 3), greedy takes under 60% of cyclic's epochs.
    assert MEASURED[3, GS] <= 0.6 * MEASURED[3, CYCLIC]


@pytest.mark.parametrize("backend", BACKENDS)
def test_single_coordinate_blocks_are_greedy_coordinate_descent(backend):
    """With bs = 1 the block solve is the coordinate step -g_j / ||a_j||^2: the same iterates,
    and the same 3718 updates, as cd_least_squares with the Gauss-Southwell rule."""
    A, b, _ = diabetes()
    block = solver("bcd_least_squares", backend)(A=A, b=b, bs=1, rule=GS, tol=1e-6)
    single = solver("cd_least_squares", backend)(A=A, b=b, rule=GS, tol=1e-6)
    assert block.iterations == single.iterations == 3718
    np.testing.assert_allclose(block.x, single.x, rtol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_block_is_the_normal_equations(backend):
    """bs >= n: one block, solved exactly in one iteration."""
    A, b, x_star = diabetes()
    res = solver("bcd_least_squares", backend)(A=A, b=b, bs=10, rule=CYCLIC, tol=1e-6)
    assert res.iterations == 1 and res.converged
    assert rel_err(res.x, x_star) <= 1e-12


@pytest.mark.parametrize("backend", BACKENDS)
def test_singular_block_is_a_run_time_error(backend):
    """A block whose columns are linearly dependent has a singular Gram matrix: solve's error,
    at the solve in coordinate.opt."""
    A, b, _ = diabetes()
    A = np.column_stack([A[:, 0], A[:, 0], A[:, 1:]])  # columns 0 and 1 equal: block 0 singular
    with pytest.raises(optc.OptcError, match=r"coordinate\.opt.*the matrix is singular \(zero pivot at row 1\)"):
        solver("bcd_least_squares", backend)(A=A, b=b, bs=2, rule=CYCLIC, tol=1e-6)


# ---------------------------------------------------------------- logistic regression

LAM = 10.0


@cache
def logistic():
    """breast_cancer standardized, labels in {-1, +1}, and scikit-learn's optimum (its gradient
    is 4e-15 in max norm: newton-cholesky to tol 1e-14) with its objective."""
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    est = LogisticRegression(C=1 / LAM, fit_intercept=False, solver="newton-cholesky",
                             tol=1e-14, max_iter=1000).fit(X, y)
    labels = 2.0 * y - 1
    return X, labels, est.coef_[0], logistic_objective(X, labels, LAM, est.coef_[0])


def logistic_objective(X, labels, lam, w) -> float:
    return float(np.sum(np.logaddexp(0, -labels * (X @ w))) + 0.5 * lam * w @ w)


@cache
def run_logistic(backend: str, bs: int, rule: int):
    X, labels, _, _ = logistic()
    return solver("bcd_logistic", backend)(A=X, y=labels, lam=LAM, bs=bs, rule=rule, tol=1e-8)


# Block Newton updates until ||g||_inf <= 1e-8, the same on both backends. bs = 4 leaves a
# ragged last block (30 = 7 * 4 + 2). The numpy interpreter runs bs = 4 only (a few seconds
# per rule).
LOGISTIC_UPDATES = {  # bs: (cyclic, random, GS, GSL, GSQ)
    2: (799, 981, 359, 323, 367),
    3: (473, 769, 270, 258, 262),
    4: (359, 607, 250, 257, 267),
}
LOGISTIC_CASES = [("numpy", 4)] + [
    pytest.param("llvm", bs, marks=pytest.mark.llvm) for bs in LOGISTIC_UPDATES
]


@pytest.mark.parametrize("rule", [CYCLIC, RANDOM, GS, GSL, GSQ])
@pytest.mark.parametrize("backend,bs", LOGISTIC_CASES)
def test_logistic_matches_sklearn(backend, bs, rule):
    _, _, w, f_star = logistic()
    res = run_logistic(backend, bs, rule)
    assert res.converged and res.iterations == LOGISTIC_UPDATES[bs][rule]
    assert rel_err(res.x, w) <= 1e-8                           # measured 7.3e-10 .. 1.4e-9
    objective = res.trace["objective"]
    assert abs(objective[-1] - f_star) <= 1e-14 * f_star       # measured <= 8e-16
    assert np.all(np.diff(objective) <= 1e-14 * f_star)        # measured <= 3e-15 (rounding)
    # The Newton step passed its Armijo test in every iteration of the deterministic rules. The
    # random rule also picks blocks whose gradient is at rounding level, where the change of f
    # is noise and the gradient step (as small) is taken instead: measured 9 .. 14 times.
    fallbacks = int(np.sum(res.trace["newton_step"] == 0))
    assert fallbacks <= 20 if rule == RANDOM else fallbacks == 0


@pytest.mark.parametrize("backend,bs", LOGISTIC_CASES)
def test_logistic_greedy_blocks_beat_cyclic_and_random(backend, bs):
    """Every greedy rule (GS, GSL, GSQ) needs fewer block updates than cyclic, and cyclic fewer
    than random (counts in LOGISTIC_UPDATES). GSL against GS depends on bs: fewer at bs 2 and 3
    (323 < 359, 258 < 270), more at bs 4 (257 > 250)."""
    count = {rule: run_logistic(backend, bs, rule).iterations for rule in range(5)}
    assert max(count[GS], count[GSL], count[GSQ]) < count[CYCLIC] < count[RANDOM]


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_newton_blocks_beat_gradient_blocks(backend):
    """f - f* after 100 GS block updates of 3 coordinates, measured (both backends): Newton
    steps 4.6e-7, gradient steps -g_B / L_B 2.2."""
    X, labels, _, f_star = logistic()
    run = solver("bcd_logistic", backend)
    gap = {}
    for newton in (True, False):
        res = run(A=X, y=labels, lam=LAM, bs=3, rule=GS, newton=newton, tol=0.0, max_iter=100)
        gap[newton] = res.trace["objective"][-1] - f_star
    assert 0 < gap[True] < 1e-5 * gap[False]


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_gradient_blocks_of_one_are_cd_logistic(backend):
    """With bs = 1 and newton = false the update is cd_logistic's x_j -= g_j / L_j, L_j =
    ||a_j||^2 / 4 + lam (power iteration on a 1x1 block is exact), and the rules choose the same
    coordinates: the same iterates. llvm runs them to tol = 1e-5 (5791, 5735, 3064 and 3064
    updates, as cd_logistic's tests measured), numpy 150 updates (the interpreter's pace)."""
    X, labels, _, _ = logistic()
    controls = {"tol": 1e-5} if backend == "llvm" else {"tol": 0.0, "max_iter": 150}
    for rule in (CYCLIC, RANDOM, GS, GSL):
        block = solver("bcd_logistic", backend)(A=X, y=labels, lam=LAM, bs=1, rule=rule,
                                                 newton=False, **controls)
        single = solver("cd_logistic", backend)(A=X, y=labels, lam=LAM, rule=rule, **controls)
        assert block.iterations == single.iterations, rule
        assert not np.any(block.trace["newton_step"])
        np.testing.assert_allclose(block.x, single.x, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_one_block_is_newton_logistic(backend):
    """bs >= n: every update is the full Newton step, which newton_logistic's line search
    accepts at t = 1 on this problem: the same 7 iterates and objective trace."""
    X, labels, _, _ = logistic()
    block = solver("bcd_logistic", backend)(A=X, y=labels, lam=LAM, bs=30, rule=GS, tol=1e-5)
    full = solver("newton_logistic", backend)(A=X, y=labels, lam=LAM, tol=1e-5)
    assert block.iterations == full.iterations == 7
    np.testing.assert_allclose(block.x, full.x, rtol=1e-12)
    np.testing.assert_allclose(block.trace["objective"], full.trace["objective"], rtol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_safeguard_keeps_descent(backend):
    """Block Newton steps are not always descent steps: on this small problem (6 samples, 3
    columns of scales up to e^3, drawn from seed 759, the first of 30,000 seeds where it shows)
    the unguarded steps (c = -inf accepts every Newton step) raise f by 0.048 at one update.
    With the Armijo test (c = 1e-4) f never increases (3 updates fall back to the gradient
    step) and both reach scikit-learn's optimum (measured 7e-9)."""
    rng = np.random.default_rng(759)
    A = rng.standard_normal((6, 3)) * np.exp(rng.uniform(0, 3, 3))
    labels = np.sign(rng.standard_normal(6))
    w = LogisticRegression(C=1.0, fit_intercept=False, solver="newton-cholesky", tol=1e-14,
                           max_iter=1000).fit(A, labels).coef_[0]
    run = solver("bcd_logistic", backend)
    guarded = run(A=A, y=labels, lam=1.0, bs=1, rule=GS, tol=1e-8)
    unguarded = run(A=A, y=labels, lam=1.0, bs=1, rule=GS, c=-np.inf, tol=1e-8)
    assert np.max(np.diff(unguarded.trace["objective"])) > 0.04
    assert np.max(np.diff(guarded.trace["objective"])) <= 1e-15 * guarded.trace["objective"][0]
    assert np.sum(guarded.trace["newton_step"] == 0) == 3
    for res in (guarded, unguarded):
        assert res.converged and np.max(np.abs(res.x - w)) <= 1e-7


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_singular_block_without_regularisation(backend):
    """lam = 0 and two equal columns in a block: the block Hessian is singular, solve's error at
    the Newton solve in coordinate.opt."""
    X, labels, _, _ = logistic()
    X = np.column_stack([X[:, 0], X[:, 0], X[:, 1:]])
    with pytest.raises(optc.OptcError, match=r"coordinate\.opt:\d+:\d+: error: `solve` failed at run "
                       r"time: the matrix is singular \(zero pivot at row 1\)"):
        solver("bcd_logistic", backend)(A=X, y=labels, lam=0.0, bs=2, tol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_float32(backend):
    """float32, tol = 1e-4 on the gradient: 137 GSL updates of 4 coordinates, coefficients within
    9.1e-6 of scikit-learn's (measured, both backends)."""
    X, labels, w, _ = logistic()
    run = optc.solver("bcd_logistic", backend=backend, dtype="float32")
    res = run(A=X, y=labels, lam=LAM, bs=4, rule=GSL, tol=1e-4)
    assert res.converged and res.x.dtype == np.float32
    assert res.iterations == 137 and rel_err(res.x, w) <= 5e-5


# ---------------------------------------------------------------- lasso

@cache
def lasso(fraction: float):
    """diabetes, lam = fraction * lam_max, and scikit-learn's Lasso solution (lam = m * alpha)."""
    A, b = load_diabetes(return_X_y=True)
    lam = fraction * np.max(np.abs(A.T @ b))
    est = Lasso(alpha=lam / len(b), fit_intercept=False, tol=1e-14, max_iter=10**6).fit(A, b)
    return A, b, lam, est.coef_


# Block proximal gradient updates until the minimum-norm subgradient is <= 1e-6 in max norm,
# the same on both backends. bs = 3 leaves a ragged last block (10 = 3 + 3 + 3 + 1); the numpy
# interpreter runs it only.
LASSO_UPDATES = {  # (fraction of lam_max, bs): (cyclic, random, GS-s, GSL-s, GS-r)
    (0.01, 2): (2124, 2369, 743, 698, 742),
    (0.01, 3): (2115, 2381, 890, 878, 958),
    (0.01, 5): (1308, 1439, 1042, 1137, 1137),
    (0.1, 2): (214, 320, 130, 130, 132),
    (0.1, 3): (271, 298, 153, 152, 171),
    (0.1, 5): (188, 193, 173, 172, 174),
}
LASSO_CASES = [("numpy", 0.01, 3), ("numpy", 0.1, 3)] + [
    pytest.param("llvm", fraction, bs, marks=pytest.mark.llvm) for fraction, bs in LASSO_UPDATES
]


@pytest.mark.parametrize("backend,fraction,bs", LASSO_CASES)
def test_lasso_rules_match_sklearn(backend, fraction, bs):
    """Every rule reaches scikit-learn's solution and support; greedy rules (GS-s, GSL-s, GS-r)
    need fewer updates than cyclic and random in every case of LASSO_UPDATES. Larger blocks are
    not faster here: L_B bounds the block's curvature, so a block step is shorter than bs exact
    coordinate steps (cd_lasso: 465 GS-s updates at 0.01, 87 at 0.1)."""
    A, b, lam, coef = lasso(fraction)
    run = solver("bcd_lasso", backend)
    f_star = 0.5 * np.sum((A @ coef - b) ** 2) + lam * np.sum(np.abs(coef))
    count = {}
    for rule in (CYCLIC, RANDOM, GS, GSL, GS_R):
        res = run(A=A, b=b, lam=lam, bs=bs, rule=rule, tol=1e-6)
        assert res.converged
        assert rel_err(res.x, coef) <= 1e-6                       # measured <= 3.7e-8
        np.testing.assert_array_equal(res.x == 0, coef == 0)
        objective = res.trace["objective"]
        # Prox-gradient steps with L_B >= lambda_max(A_B^T A_B) descend (measured increases
        # <= 6e-9 = 5e-15 f*, the rounding of f); f* is scikit-learn's, 1e-14 f* apart.
        assert np.all(np.diff(objective) <= 1e-14 * f_star)
        assert abs(objective[-1] - f_star) <= 1e-14 * f_star
        count[rule] = res.iterations
    assert tuple(count.values()) == LASSO_UPDATES[fraction, bs]
    assert max(count[GS], count[GSL], count[GS_R]) < min(count[CYCLIC], count[RANDOM])


@pytest.mark.parametrize("backend", BACKENDS)
def test_lasso_blocks_of_one_are_cd_lasso(backend):
    """bs = 1: L_B = ||a_j||^2 and the rules score as cd_lasso's (||s_B||^2 / L_B orders as
    |s_j| / sqrt(L_j)): the same iterates and counts (213, 349, 87, 87, 87 at 0.1 lam_max)."""
    A, b, lam, _ = lasso(0.1)
    for rule in (CYCLIC, RANDOM, GS, GSL, GS_R):
        block = solver("bcd_lasso", backend)(A=A, b=b, lam=lam, bs=1, rule=rule, tol=1e-6)
        single = solver("cd_lasso", backend)(A=A, b=b, lam=lam, rule=rule, tol=1e-6)
        assert block.iterations == single.iterations, rule
        np.testing.assert_allclose(block.x, single.x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lasso_one_block_is_ista(backend):
    """bs >= n: one block, the whole proximal gradient step with L = lambda_max(A^T A) (power
    iteration against numpy.linalg.norm(A, 2)^2): ista's iterates, 200 of them (measured 1.4e-15
    apart)."""
    A, b, lam, _ = lasso(0.1)
    L = np.linalg.norm(A, 2) ** 2
    block = solver("bcd_lasso", backend)(A=A, b=b, lam=lam, bs=10, tol=0.0, max_iter=200)
    full = solver("ista", backend)(A=A, b=b, lam=lam, L=L, tol=0.0, max_iter=200)
    assert block.iterations == full.iterations == 200
    assert rel_err(block.x, full.x) <= 1e-12


@pytest.mark.parametrize("backend", BACKENDS)
def test_lasso_float32(backend):
    """float32, tol = 1e-2 on the minimum-norm subgradient (|A^T b| is up to 949 here): 62
    GSL-s updates, within 4.7e-5 of scikit-learn's solution, same support (measured)."""
    A, b, lam, coef = lasso(0.1)
    res = optc.solver("bcd_lasso", backend=backend, dtype="float32")(
        A=A, b=b, lam=lam, bs=3, rule=GSL, tol=1e-2)
    assert res.converged and res.x.dtype == np.float32 and res.iterations == 62
    assert rel_err(res.x, coef) <= 2e-4
    np.testing.assert_array_equal(res.x == 0, coef == 0)
