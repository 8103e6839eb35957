"""Every tolerance of the reference tests, per dtype, in one place.

Errors are measured by `rel_err`: the largest absolute difference divided by the largest
magnitude of the reference (a scale-aware, max-norm relative error; optimizer parameters use the
larger of their current and initial magnitudes, since a one-element bias can cross zero). Each
entry says what it bounds and the largest error measured on the development machine (float64 /
float32); the bounds sit about 10× above it, so a real change of semantics (a different rule, a
wrong bias correction, an ignored flag) fails by orders of magnitude while BLAS and summation
order do not.
"""

from __future__ import annotations

import numpy as np

DTYPES = ("float64", "float32")

# Optimizers vs torch.optim / optax / a NumPy transcription of the paper's rule, 150 steps on the
# breast-cancer MLP: the parameters after every step (measured 6.8e-16 / 5.4e-7) and the state
# after the last (2.6e-15 / 1.3e-5). optc does hyperparameter arithmetic in the working dtype, so
# in float32 Adam's 1 - beta2 carries float32(0.999)'s rounding, a relative error of 1.29e-5 in
# exp_avg_sq, where torch forms 1 - beta2 in double.
OPTIMIZER_PARAMS = {"float64": 1e-13, "float32": 1e-5}
OPTIMIZER_STATE = {"float64": 1e-13, "float32": 1e-4}

# Stopping tolerances passed to the solvers (float32 cannot resolve changes near float64's);
# the bounds below hold at these.
SOLVER_TOL = {"float64": 1e-12, "float32": 1e-7}
# lasso_cd stops on the largest coordinate change relative to the largest coefficient: at
# float32's epsilon (1e-7) a coordinate can move by one ulp forever when sums are rounded in
# another order (the llvm backend), so float32 stops at about 8 ulps.
LASSO_TOL = {"float64": 1e-12, "float32": 1e-6}
CG_RTOL = {"float64": 1e-10, "float32": 1e-5}
SINKHORN_TOL = {"float64": 1e-10, "float32": 1e-6}

# gd on standardized diabetes (cond(AᵀA) = 470) vs numpy.linalg.lstsq: the minimizer (measured
# 5.8e-10 / 6.9e-5) and the objective at it (1.8e-16 / 4.0e-11).
GD_X = {"float64": 1e-8, "float32": 1e-3}
GD_OBJECTIVE = {"float64": 1e-13, "float32": 1e-9}

# ista / fista on standardized diabetes vs scikit-learn's Lasso(tol=1e-12): the objective at the
# result relative to the optimal one (2.0e-16 / 2.1e-9) and the coefficients (1.2e-7 / 5.1e-4;
# FISTA's stopping rule, a small step, is met while it still oscillates).
PROX_OBJECTIVE = {"float64": 1e-12, "float32": 2e-8}
PROX_X = {"float64": 1e-6, "float32": 5e-3}

# lasso_cd vs scikit-learn's Lasso coefficients: the same cyclic sweeps and the same stopping
# rule (1.3e-14 / 1.1e-5).
LASSO_CD_X = {"float64": 1e-12, "float32": 1e-4}

# cg vs numpy.linalg.solve (1.7e-9 / 2.6e-4) and vs scipy.sparse.linalg.cg run in the same
# dtype (0 / 0: the same iterates).
CG_X = {"float64": 1e-8, "float32": 2e-3}
CG_VS_SCIPY = {"float64": 1e-8, "float32": 1e-4}  # the numpy backend: 0 / 0 (the same iterates); llvm sums
# dot products in another order, and both stop anywhere within rtol: 1e-9 / 1.7e-5 measured

# power_iteration vs numpy.linalg.eigh: the largest eigenvalue (4.5e-14 / 7.8e-7) and its
# eigenvector up to sign (2.2e-7 / 8.8e-4). The stopping rule watches the eigenvalue, whose
# error is about the square of the vector's.
POWER_TOL = {"float64": 1e-14, "float32": 1e-7}
POWER_EIGENVALUE = {"float64": 1e-12, "float32": 1e-5}
POWER_EIGENVECTOR = {"float64": 2e-6, "float32": 1e-2}

# sinkhorn: the plan vs a float64 NumPy transcription of the same iterations (2.1e-16 / 1.1e-6),
# and the L1 error of the column marginal, exact after each iteration (3.7e-16 / 6.3e-8).
SINKHORN_PLAN = {"float64": 1e-13, "float32": 1e-5}
SINKHORN_COLUMNS = {"float64": 1e-14, "float32": 1e-6}

# Traces that must not increase (least-squares and lasso objectives, Rayleigh quotients) may
# still move by rounding: slack relative to the value.
MONOTONE_SLACK = {"float64": 1e-14, "float32": 1e-6}

# A trace's last value against the same quantity recomputed from the result in float64.
TRACE_VALUE = {"float64": 1e-12, "float32": 1e-5}


def rel_err(actual, expected, scale: float = 0.0) -> float:
    """max |actual - expected| / max(max |expected|, scale).

    `scale` is a floor for the denominator, for references that can pass through zero (a
    one-element bias tensor): the tensor's initial magnitude, say."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    scale = max(float(np.max(np.abs(expected), initial=0.0)), scale)
    assert scale > 0, "rel_err needs a non-zero reference or scale"
    return float(np.max(np.abs(actual - expected)) / scale)


def CG_ITERATION_SLACK(reference_iterations: int) -> int:  # noqa: N802 - a tolerance, named like the others
    """How many iterations cg may differ from SciPy's: sums in another order (pairwise in
    NumPy, vectorized partial sums in the llvm backend) change the last bits of each dot
    product, which moves the iteration where ||r|| crosses the tolerance by a few."""
    return max(3, reference_iterations // 20)
