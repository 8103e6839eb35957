"""Solvers on the GPU route (`solver_kernels.py`: loops and scalars on the host, vector work as
kernels), run with the kernels emulated thread by thread on the CPU, against the NumPy backend
on the differential problems (tests/mlir/test_differential.py): float64 to the stopping rule
with the same iteration counts, float32 for a fixed number of iterations; grids of a few
threads so every kernel's grid-stride loop runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from optc.backends import get_backend
from optc.backends.mlir.emit import UnsupportedOp
from optc.backends.mlir.kernels import emit_gpu_module

from optc.compiler import compile_source
from optc.validate import bind_inputs
from tests.mlir.helpers import needs_mlir
from tests.mlir.test_differential import DECLARATIONS, SOLVERS, problem

pytestmark = needs_mlir


def _compiled(name: str, dtype: str):
    source = DECLARATIONS[name][0]
    return compile_source(source, name if source != name else None, "solver", dtype)


def _has_schedule(name: str) -> bool:
    try:
        emit_gpu_module(_compiled(name, "f64").module)
    except UnsupportedOp:
        return False
    return True


GPU_SOLVERS = [n for n in SOLVERS if _has_schedule(n)]


def _close(actual, expected, rtol, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape, what
    scale = max(float(np.max(np.abs(expected))), 1.0) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


@pytest.mark.parametrize("dtype", ["f64", "f32"])
@pytest.mark.parametrize("name", GPU_SOLVERS)
def test_emulated_solver_matches_numpy(name, dtype):
    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.solver_kernels import run_solver

    compiled = _compiled(name, dtype)
    inputs, fixed = problem(name, np.random.default_rng(7))
    if dtype == "f32":
        inputs = {**inputs, **fixed}
    fn = compiled.function()
    args = bind_inputs(fn, inputs, name)
    schedule = emit_gpu_module(compiled.module)
    device = EmulatedDevice(schedule, block=2, max_blocks=2)
    actual = run_solver(schedule, device, args)
    expected = get_backend("numpy").compile(compiled.module).run(fn.name, args)
    n = len(fn.attrs["result_names"])
    assert (int(actual[n]), bool(actual[n + 1])) == (int(expected[n]), bool(expected[n + 1]))
    rtol = 1e-9 if dtype == "f64" else 2e-4
    for k, (a, e) in enumerate(zip(actual, expected)):
        _close(a, e, rtol, f"{name} result {k}")
    assert any(n_elements > 2 * 2 for _, n_elements, _ in device.launches)  # threads looped


def test_most_solvers_have_a_gpu_schedule():
    assert {
        "cg",
        "gd",
        "fista",
        "admm_lasso",
        "sinkhorn",
        "power_iteration",
        "label_spreading",
    } <= set(GPU_SOLVERS)


EDGE_CASES = Path(__file__).parent / "gpu_edge_cases.opt"
# x and M with 7 -> NaN, 8 -> -inf, 9 -> inf (the solver makes them: inputs must be finite)
M_NAN = [[1.0, 7, 5.0], [8, 8, 8], [2.0, 2.0, 1.0], [9, 0.0, 9]]
M_INF = [[1.0, 3, 5.0], [8, 8, 8], [2.0, 2.0, 1.0], [9, 0.0, 9]]


@pytest.mark.parametrize("dtype", ["f64", "f32"])
@pytest.mark.parametrize(
    "x, M",
    [
        ([1.0, 3.0, 7, 3.0, 7, 8], M_NAN),  # NaN wins argmax and argmin, first one
        ([1.0, 3.0, 9, 3.0, 9, 8, 2, 9, 0.5, 3], M_INF),  # ties: the first; logsumexp of inf
        ([8.0, 8.0, 8.0], M_INF),  # all -inf: index 0, logsumexp -inf
        ([9.0, 1.0], M_NAN),
    ],
)
def test_arg_extrema_integer_sums_and_logsumexp_at_nan_and_inf(x, M, dtype):
    """Full argmax/argmin (a max reduction, then an atomic min of the matching indices), along
    an axis, integer sums (an i64 counter) and logsumexp, against NumPy's rules."""
    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.solver_kernels import run_solver

    compiled = compile_source(str(EDGE_CASES), "picks", "solver", dtype)
    fn = compiled.function()
    args = bind_inputs(fn, {"x": np.array(x), "M": np.array(M)}, "picks")
    schedule = emit_gpu_module(compiled.module)
    kinds = {k.name.rsplit("_", 1)[1] for k in schedule.kernels}
    assert {"pick", "ireduce", "axis", "sum"} <= kinds  # arg_pick, arg_axis, lse_axis/lse_sum
    actual = run_solver(schedule, EmulatedDevice(schedule, block=2, max_blocks=2), args)
    with np.errstate(all="ignore"):
        expected = get_backend("numpy").compile(compiled.module).run(fn.name, args)
    for k, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e), err_msg=f"result {k}")


@pytest.mark.parametrize("i, j", [(1, 2), (-1, -3), (0, 0), (3, -1)])
def test_indexing_and_indexed_updates_match_numpy(i, j):
    """x[i] and A[i, j] read to the host; rows, columns and indexed updates inline in kernels;
    negative indices from the end."""
    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.solver_kernels import run_solver

    compiled = compile_source(str(EDGE_CASES), "at", "solver", "f64")
    fn = compiled.function()
    x, M = np.arange(4.0) - 1.5, np.arange(12.0).reshape(3, 4) ** 1.5
    args = bind_inputs(fn, {"x": x, "M": M, "i": i, "j": j}, "at")
    schedule = emit_gpu_module(compiled.module)
    actual = run_solver(schedule, EmulatedDevice(schedule, block=2, max_blocks=2), args)
    expected = get_backend("numpy").compile(compiled.module).run(fn.name, args)
    for k, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e), err_msg=f"result {k}")


@pytest.mark.parametrize("i, j", [(4, 0), (0, -4), (-5, 1)])
def test_an_index_out_of_range_is_the_numpy_error(i, j):
    compiled = compile_source(str(EDGE_CASES), "at", "solver", "f64")
    fn = compiled.function()
    args = bind_inputs(fn, {"x": np.zeros(4), "M": np.zeros((3, 4)), "i": i, "j": j}, "at")
    error = _same_error_as_numpy(compiled, args)
    assert "out of range" in str(error)


def _same_error_as_numpy(compiled, args):
    """The OptcError the emulated GPU schedule raises, checked identical to the NumPy backend's."""
    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.solver_kernels import run_solver

    from optc.errors import OptcError

    fn = compiled.function()
    with pytest.raises(OptcError) as numpy_error:
        get_backend("numpy").compile(compiled.module).run(fn.name, args)
    schedule = emit_gpu_module(compiled.module)
    with pytest.raises(OptcError) as gpu_error:
        run_solver(schedule, EmulatedDevice(schedule), args)
    assert str(gpu_error.value) == str(numpy_error.value)
    return gpu_error.value


def _host_steps(A, seed=3, k=4):
    compiled = compile_source(str(EDGE_CASES), "host_steps", "solver", "f64")
    fn = compiled.function()
    rng = np.random.default_rng(4)
    n = A.shape[0]
    inputs = {"A": A, "B": rng.standard_normal((n, 2)), "b": rng.standard_normal(n)}
    return compiled, fn, bind_inputs(fn, {**inputs, "seed": seed, "k": k}, "host_steps")


def test_solve_and_random_subset_run_on_the_host_as_numpy():
    """`solve` and `random_subset` are host steps (operands copied back, the NumPy rule, the
    result copied to a device buffer): the same LAPACK and the same shuffle, so equal bit for
    bit; in a loop, the result buffer ping-pongs like a kernel's."""
    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.solver_kernels import HostTensor, run_solver

    A = np.random.default_rng(5).standard_normal((7, 7)) + 3 * np.eye(7)
    compiled, fn, args = _host_steps(A)
    schedule = emit_gpu_module(compiled.module)
    host = [item.op.opcode for item in _walk(schedule.items) if isinstance(item, HostTensor)]
    assert sorted(host) == ["random_subset", "random_subset", "solve", "solve", "solve"]
    actual = run_solver(schedule, EmulatedDevice(schedule, block=2, max_blocks=2), args)
    expected = get_backend("numpy").compile(compiled.module).run(fn.name, args)
    for k, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e), err_msg=f"result {k}")
    picked = actual[3].tolist()
    assert len(set(picked)) == 4 and set(picked) <= set(range(7))


def _walk(items):
    from optc.backends.mlir.solver_kernels import HostLoop

    for item in items:
        yield from _walk(item.body) if isinstance(item, HostLoop) else (item,)


@pytest.mark.parametrize(
    "A, seed, k, what",
    [
        (np.zeros((4, 4)), 3, 2, "singular"),  # solve: a zero pivot
        (np.eye(4), 3, 5, "cannot choose k = 5"),  # random_subset: k > n
    ],
)
def test_host_step_errors_are_the_numpy_errors(A, seed, k, what):
    compiled, _, args = _host_steps(A, seed, k)
    error = _same_error_as_numpy(compiled, args)
    assert what in str(error)


@pytest.mark.parametrize("bs", [1, 2, 3, 7, 9])
def test_slices_of_run_time_lengths_match_numpy(bs):
    """Block slices (`g[lo:hi]`, `A[:, lo:hi]`, `G[lo:hi, lo:hi]`, `M[r:m, lo:hi]`) whose
    lengths are evaluated on the host before each launch, with scratch buffers sized by the
    sliced axis; blocks of bs over n = 7 (a shorter last block, one block of all, bs > n)."""
    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.solver_kernels import HostDim, run_solver

    compiled = compile_source(str(EDGE_CASES), "slices", "solver", "f64")
    fn = compiled.function()
    rng = np.random.default_rng(bs)
    inputs = {"x": rng.standard_normal(7), "M": rng.standard_normal((9, 7)), "bs": bs}
    args = bind_inputs(fn, inputs, "slices")
    schedule = emit_gpu_module(compiled.module)
    assert {i.name for i in _walk(schedule.items) if isinstance(i, HostDim)} >= {"hi-lo", "m-r"}
    actual = run_solver(schedule, EmulatedDevice(schedule, block=2, max_blocks=2), args)
    expected = get_backend("numpy").compile(compiled.module).run(fn.name, args)
    for k, (a, e) in enumerate(zip(actual, expected)):
        _close(a, e, 1e-12, f"result {k}")


def test_a_slice_out_of_range_is_the_numpy_error():
    compiled = compile_source(str(EDGE_CASES), "slices", "solver", "f64")
    fn = compiled.function()
    args = bind_inputs(fn, {"x": np.ones(7), "M": np.ones((2, 7)), "bs": 3}, "slices")
    error = _same_error_as_numpy(compiled, args)  # M[lo:hi, lo:hi] with 2 rows
    assert "out of range" in str(error)


@pytest.mark.parametrize("inputs", [{"bs": 0}, {"rule": 7}], ids=["bs", "rule"])
def test_a_failed_require_is_the_numpy_error(inputs):
    """A stdlib precondition evaluated on the host of the GPU schedule fails with the
    user's message at the `require` line, as on the NumPy backend."""
    compiled = compile_source("bcd_least_squares", None, "solver", "f64")
    fn = compiled.function()
    rng = np.random.default_rng(0)
    args = bind_inputs(fn, {"A": rng.standard_normal((8, 4)), "b": rng.standard_normal(8), **inputs}, "bcd")
    error = _same_error_as_numpy(compiled, args)
    assert "requirement `" in str(error) and error.span is not None
