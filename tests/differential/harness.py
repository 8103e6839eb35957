"""Running one program on both backends and comparing what they return.

Compiled solvers are cached per (source, declaration, backend, dtype) for the whole session, so
each program is JIT-compiled once per dtype however many tests use it. (Optimizers are built
per test, with their hyperparameters; the LLVM backend's disk cache, fresh for the session,
then loads the code compiled for the first one instead of compiling it again.)
Programs written by the tests go through `ProgramFiles`, which writes each distinct text once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import optc
from optc.errors import OptcError

BACKENDS = ("numpy", "llvm")
_solvers: dict[tuple, optc.Solver] = {}


class ProgramFiles:
    """`path(text)`: a `.opt` file holding `text`, written once per distinct text."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths: dict[str, Path] = {}
        self.counter = itertools.count()

    def path(self, text: str) -> Path:
        if text not in self.paths:
            path = self.folder / f"prog{next(self.counter)}.opt"
            path.write_text(text)
            self.paths[text] = path
        return self.paths[text]


def solver(source, name: str | None, backend: str, dtype: str) -> optc.Solver:
    """The compiled solver, from the session cache."""
    key = (str(source), name, backend, dtype)
    if key not in _solvers:
        _solvers[key] = optc.solver(source, name, backend=backend, dtype=dtype)
    return _solvers[key]


@dataclass
class Run:
    """What one backend did with one call: a result, or the OptcError it raised."""

    backend: str
    result: optc.SolveResult | None = None
    error: OptcError | None = None
    progress: list | None = None


def run(source, name: str | None, backend: str, dtype: str, inputs: dict,
        progress: bool = False) -> Run:
    """Call the solver on `inputs` (copied: a backend must not see the other's arrays)."""
    calls: list = []
    record = (lambda k, total, traces: calls.append((k, total, dict(traces)))) if progress else None
    args = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
            for k, v in inputs.items()}
    try:
        result = solver(source, name, backend, dtype)(progress=record, **args)
    except OptcError as err:
        return Run(backend, error=err)
    return Run(backend, result=result, progress=calls if progress else None)


def run_both(source, name: str | None, dtype: str, inputs: dict,
             progress: bool = False) -> tuple[Run, Run]:
    """(numpy's run, llvm's run) of one solver call."""
    return tuple(run(source, name, b, dtype, inputs, progress) for b in BACKENDS)


def check(source, name: str | None, dtype: str, inputs: dict, rtol: float,
          measure: str = "elementwise", signed_zeros: bool = False, progress: bool = False) -> None:
    """numpy runs the solver without error, and llvm returns the same (see `assert_same_run`)."""
    ref, got = run_both(source, name, dtype, inputs, progress)
    assert ref.error is None, f"numpy fails:\n{ref.error}"
    assert_same_run(ref, got, rtol, measure, signed_zeros=signed_zeros)


# ---------------------------------------------------------------- comparing values


def assert_close(actual, expected, rtol: float, what: str, measure: str = "elementwise",
                 signed_zeros: bool = False, scale: float = 0.0) -> None:
    """llvm's `actual` equals numpy's `expected`: same shape and dtype, ints and bools exactly,
    NaN and infinities at the same places, finite values within `rtol` by `measure` (and, with
    `signed_zeros`, zeros of the same sign). `scale` is a floor for the normwise reference."""
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, numpy gives {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype}, numpy gives {e.dtype}"

    def fail(problem: str):
        raise AssertionError(f"{what}: {problem}\nllvm:  {a!r}\nnumpy: {e!r}")

    if e.dtype.kind in "biu":
        if not np.array_equal(a, e):
            fail("differs")
        return
    if not np.array_equal(np.isnan(a), np.isnan(e)):
        fail("NaN at other places")
    inf = np.isinf(e)
    if not np.array_equal(np.isinf(a), inf) or not np.array_equal(a[inf], e[inf]):
        fail("infinities at other places")
    finite = np.isfinite(e)
    af, ef = a[finite].astype(np.float64), e[finite].astype(np.float64)
    if signed_zeros and not np.array_equal(np.signbit(af[ef == 0]), np.signbit(ef[ef == 0])):
        fail("zeros of other signs")
    if not ef.size:
        return
    diff = np.abs(af - ef)
    if measure == "elementwise":
        if np.any(diff > rtol * np.abs(ef)):
            fail(f"relative difference {np.max(diff / np.abs(ef)):.3g} > rtol {rtol:g}")
        return
    reference = max(float(np.max(np.abs(ef))), scale)
    err = float(np.max(diff))
    if err > rtol * reference:
        fail(f"max |llvm - numpy| = {err:.3g} > {rtol:g} * {reference:.3g}")


def assert_same_error(numpy_run: Run, llvm_run: Run) -> None:
    """Both backends fail at the same source location, with the same kind of failure."""
    ref, got = numpy_run.error, llvm_run.error
    assert ref is not None, "the test expects numpy to fail"
    assert got is not None, f"numpy fails with\n{ref}\nbut llvm returns {llvm_run.result!r}"
    assert _where(got) == _where(ref), f"llvm reports\n{got}\nnumpy reports\n{ref}"
    assert _head(got.message) == _head(ref.message), f"llvm: {got.message}\nnumpy: {ref.message}"


def _where(err: OptcError):
    """(file, start, end) of an error's span, None without one."""
    return None if err.span is None else (err.span.file.name, err.span.start, err.span.end)


def _head(message: str) -> str:
    """`indexing failed at run time` of `indexing failed at run time: index 5 is out of …`."""
    return message.split(":")[0]


def assert_same_run(numpy_run: Run, llvm_run: Run, rtol: float, measure: str = "elementwise",
                    iteration_slack: int = 0, signed_zeros: bool = False) -> None:
    """Same outputs (names, order, values), `iterations` (within `iteration_slack`), `converged`,
    traces (on the iterations both ran) and progress calls; or the same run-time error."""
    if numpy_run.error is not None:
        assert_same_error(numpy_run, llvm_run)
        return
    assert llvm_run.error is None, (
        f"numpy returns {numpy_run.result!r} but llvm fails with\n{llvm_run.error}")
    ref, got = numpy_run.result, llvm_run.result
    assert list(got.outputs) == list(ref.outputs)
    assert abs(got.iterations - ref.iterations) <= iteration_slack, (
        f"llvm ran {got.iterations} iterations, numpy {ref.iterations} (slack {iteration_slack})")
    assert got.converged == ref.converged, f"converged: llvm {got.converged}, numpy {ref.converged}"
    for name, value in ref.outputs.items():
        _check_scalar_type(got.outputs[name], value, name)
        assert_close(got.outputs[name], value, rtol, f"output `{name}`", measure, signed_zeros)
    assert list(got.trace) == list(ref.trace)
    common = min(got.iterations, ref.iterations)
    for name, values in ref.trace.items():
        lengths = (len(values), len(got.trace[name]))
        assert lengths == (ref.iterations, got.iterations), f"trace `{name}`: lengths {lengths}"
        assert_close(got.trace[name][:common], values[:common], rtol, f"trace `{name}`", measure)
    if numpy_run.progress is not None:
        calls = (len(numpy_run.progress), len(llvm_run.progress))
        assert calls == (ref.iterations, got.iterations), f"progress calls: {calls}"
        _same_progress(numpy_run.progress, llvm_run.progress, rtol, measure, common)


def _check_scalar_type(actual: Any, expected: Any, name: str) -> None:
    """A scalar output is a Python bool / int / float on both backends."""
    if not isinstance(expected, np.ndarray):
        kinds = type(actual).__name__, type(expected).__name__
        assert kinds[0] == kinds[1], f"output `{name}`: llvm gives a {kinds[0]}, numpy a {kinds[1]}"


def _same_progress(ref: list, got: list, rtol: float, measure: str, common: int) -> None:
    """One progress call per iteration, with the same (iteration, total) and trace values."""
    pairs = [c[:2] for c in got[:common]], [c[:2] for c in ref[:common]]
    assert pairs[0] == pairs[1], f"progress: (iteration, total) llvm {pairs[0]}, numpy {pairs[1]}"
    for name in ref[0][2] if ref else ():
        values = np.array([c[2][name] for c in got[:common]], dtype=np.float64)
        expected = np.array([c[2][name] for c in ref[:common]], dtype=np.float64)
        assert_close(values, expected, rtol, f"progress `{name}`", measure)
