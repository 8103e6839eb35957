"""The NumPy backend's interpreter: an `eval_jaxpr`-style loop over a function's ops.

Values live in one environment keyed by IR value (SSA identities are unique, so region values
can share it). A `loop` runs its region per iteration, reads `until` after each one, collects
traces, and calls a progress hook after each iteration of the outermost loop. An op that fails
at run time (an index out of range, a singular matrix, a `require` whose condition is false)
becomes an `OptcError` at its source.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from optc.backends.numpy.rules import RULES, np_dtype, run_time_error
from optc.errors import InternalError
from optc.ir.core import Block, Module, Op

Progress = Callable[[int, int, dict[str, float]], None]


def run_function(module: Module, name: str, args: list, progress: Progress | None = None) -> list:
    """Evaluate function `name` of `module` on `args`; returns its results in order."""
    fn = module.functions[name]
    if len(args) != len(fn.params):
        raise InternalError(f"{name} takes {len(fn.params)} arguments, got {len(args)}")
    env = dict(zip(fn.params, args))
    with np.errstate(all="ignore"):
        return _eval_block(module, fn.body, env, progress)


def _eval_block(module: Module, block: Block, env: dict, progress: Progress | None) -> list:
    for op in block.ops:
        operands = [env[v] for v in op.operands]
        if op.opcode == "loop":
            results = _run_loop(module, op, operands, env, progress)
        elif op.opcode == "call":
            results = run_function(module, op.attrs["callee"], operands)
        else:
            results = (_apply(op, operands),)
        for v, r in zip(op.results, results):
            env[v] = r
    return [env[v] for v in block.results]


def _apply(op: Op, operands: list):
    impl = RULES.get(op.opcode)
    if impl is None:
        raise InternalError(f"the numpy backend has no rule for `{op.opcode}` (at {op.where()})")
    try:
        return impl(op, *operands)
    except (IndexError, ValueError, np.linalg.LinAlgError, OverflowError) as err:
        raise run_time_error(op, str(err)) from None


def _run_loop(module: Module, op: Op, operands: list, env: dict, progress: Progress | None) -> list:
    lo, hi, *carried = operands
    region = op.regions[0]
    n_carried = len(carried)
    until = op.attrs.get("until", False)
    names = op.attrs.get("trace_names", ())
    traces: list[list] = [[] for _ in op.attrs.get("trace_dtypes", ())]
    iterations, converged = 0, False
    total = max(0, int(hi) - int(lo))
    for k in range(int(lo), int(hi)):
        env[region.args[0]] = np.int64(k)
        for arg, value in zip(region.args[1:], carried):
            env[arg] = value
        outs = _eval_block(module, region, env, None)
        carried = outs[:n_carried]
        rest = outs[n_carried:]
        iterations += 1
        stop = False
        if until:
            stop, rest = bool(rest[0]), rest[1:]
        for trace, value in zip(traces, rest):
            trace.append(value)
        if progress is not None:
            progress(iterations, total, {n: float(t[-1]) for n, t in zip(names, traces)})
        if stop:
            converged = True
            break
    else:
        converged = not until  # a loop without a stopping rule "converges" by finishing
    trace_arrays = [
        np.asarray(t, dtype=np_dtype(dt)) for t, dt in zip(traces, op.attrs.get("trace_dtypes", ()))
    ]
    return [*carried, np.int64(iterations), np.bool_(converged), *trace_arrays]
