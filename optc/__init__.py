"""optc: a compiler for optimization algorithms.

Write an optimizer or a whole solver in a small declarative language (`.opt` files), then run
it from Python or from the `optc` command line:

    import optc
    opt = optc.optimizer("adam", lr=1e-3)
    res = optc.solve("fista", A=A, b=b, lam=0.1, L=L)
"""

from optc.api import Optimizer, OptimizerState, SolveResult, Solver, optimizer, solve, solver
from optc.errors import InternalError, OptcError

__version__ = "0.1.0"

__all__ = [
    "InternalError",
    "OptcError",
    "Optimizer",
    "OptimizerState",
    "SolveResult",
    "Solver",
    "optimizer",
    "solve",
    "solver",
]
