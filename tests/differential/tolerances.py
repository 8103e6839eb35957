"""Every tolerance of the differential suite (llvm against numpy), per dtype, in one place.

Two error measures are used (`harness.assert_close`):

- elementwise: |llvm - numpy| <= rtol * |numpy| for every finite element (atol = 0: a tiny
  result must be tiny on both backends), NaN where numpy has NaN, the same infinities;
- normwise: max |llvm - numpy| <= rtol * max |numpy| over a tensor (a lasso solution with exact
  zeros, a trace that falls by ten orders of magnitude, a product with cancellation).

Ints and bools (argmax, comparisons, `iterations`, `converged`) must be equal. The backends
compute the same IR with the same formulas; they may differ only in the rounding of library
math (LLVM's libm against NumPy's SIMD loops: an ulp or two), in summation order (sequential or
blocked loops against NumPy's pairwise sums, BLAS with or without FMA), and in what an
iterative algorithm makes of those differences. The numbers were measured on this machine over
the whole suite; each bound sits well above what was measured, so that a real change in
semantics (another rule, a missed flag, a wrong index) fails by orders of magnitude.
"""

from __future__ import annotations

DTYPES = ("float64", "float32")

# Targeted programs (one op or a few, on hand-picked and real data), elementwise or normwise as
# each test module says. Measured at most 2.4e-16 (float64) and 1.6e-7 (float32: exp, matmul,
# logsumexp, a 30-sweep loop).
OP_RTOL = {"float64": 1e-13, "float32": 2e-6}

# Random programs from tests/property, elementwise, NaN equal to NaN. Measured over 1,100
# programs at most 1.5e-16 (float64) and 9e-8 (float32); the margin is wider than OP_RTOL's
# because random compositions (exp of exp, a - b of near-equal values) can amplify an ulp.
PROPERTY_RTOL = {"float64": 1e-12, "float32": 1e-5}

# The stopping tolerance `tol` passed to every solver. In float32 an iterate carries a relative
# rounding error of ~1e-7 that CG (and the like) amplify as the residual shrinks: stopping at
# 1e-4 keeps the comparison out of the regime where the last iterates are mostly rounding noise
# (with 1e-5, cg's residual trace differed by 2.5e-4 of its first value).
SOLVER_TOL = {"float64": 1e-8, "float32": 1e-4}

# Solver outputs and traces on real data (normwise per output; traces on the iterations both
# backends ran). Measured at most 4.3e-13 (float64, cg) and 1.3e-5 (float32, cg's x).
SOLVER_RTOL = {"float64": 5e-12, "float32": 2e-4}

# How many iterations a solver's runs may differ by. In float32 the stopping quantity (say
# norm(x' - x) against tol * norm(x)) is a difference of nearly equal vectors with a relative
# rounding error of ~1e-3, so the first iteration where it falls below tol can move by one or
# two between backends (seen: 278 vs 280 on elastic_net, 9 vs 8 on cg with tol = 1e-5). In
# float64 that error is ~1e-8 of the quantity and the counts must be equal.
ITERATION_SLACK = {"float64": 0, "float32": 3}

# Optimizer trajectories: params after each of the 50 steps and states after the last
# (normwise per tensor, scaled by the larger of the reference's current and initial
# magnitudes). Both backends get the same gradients, so differences come only from the update
# arithmetic. Measured at most 3.7e-15 (float64) and 1.1e-6 (float32, radam) over every stdlib
# optimizer and setting, except OPTIMIZER_RTOL_EXCEPTIONS.
OPTIMIZER_RTOL = {"float64": 5e-14, "float32": 1e-5}
OPTIMIZER_STEPS = 50

# (optimizer, setting) pairs whose trajectory amplifies rounding. NAdam with coupled weight
# decay: on the digits weights that see no data (always-zero pixels), d = 0.1 * p oscillates,
# exp_avg is a cancellation 100x smaller than d, and it is divided by a small denominator;
# numpy's own float32 trajectory drifts 1.4e-4 from its float64 twin by step 42 (llvm's 2e-4),
# and llvm and numpy differ by 6.2e-5 (float32) and 1.2e-13 (float64).
OPTIMIZER_RTOL_EXCEPTIONS = {("nadam", "weight_decay"): {"float64": 1e-12, "float32": 1e-3}}
