"""Random numbers in GPU kernels, run thread by thread on the CPU (`emulate.py`), against the
NumPy backend: `random_like` in an optimizer's elementwise kernels (element index = the
grid-stride index), `random` / `random_like` in solver kernels (element index = the flat
row-major index), scalar draws on the host.

The Philox words and the uniform and Rademacher transforms are integer and exactly rounded
float arithmetic: equal on any device. The normal transform calls log and cos; the emulation
lowers them to the C library's (as NumPy's reference does), the GPU to libdevice's. So the
emulation proves the kernels draw element i of the right stream, bit for bit; on a GPU the
normals may differ from NumPy's in the last bits (libdevice's log and cos are within 1-2 ulp
of the correctly rounded result), which these tests cannot show."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from optc.backends import get_backend
from optc.backends.mlir.kernels import emit_gpu_module

from optc.compiler import compile_source
from optc.validate import bind_inputs
from tests.mlir.emulation import emulate_vs_numpy
from tests.mlir.helpers import needs_mlir

pytestmark = needs_mlir

HERE = Path(__file__).parent
GRIDS = [(7, 3), (64, 64)]  # threads loop over ~48 elements each; more threads than elements


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("grid", GRIDS, ids=lambda g: f"block{g[0]}x{g[1]}")
def test_optimizer_draws_are_numpys_bit_for_bit(grid, dtype):
    """Normal, uniform and Rademacher tensors and a scalar draw, five steps (counter = t)."""
    ours, theirs, device = emulate_vs_numpy(
        str(HERE / "gpu_draws.opt"), emit_gpu_module, (40, 25), {}, 5, *grid, dtype=dtype
    )
    assert [k for k, _, _ in device.launches] == ["optc_draws_step"] * 5
    normals = np.asarray(ours[1])
    assert abs(normals.mean()) < 0.1 and abs(normals.std() - 1) < 0.1  # not a constant stream
    for k, (a, e) in enumerate(zip(ours, theirs)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e), err_msg=f"result {k}")


@pytest.mark.parametrize("dtype, rtol", [("f32", 1e-5), ("f64", 1e-13)])
def test_mezo_step_matches_numpy(dtype, rtol):
    """p' = p - lr <g, z> z, z = randn_like(p, seed, t): z is drawn again in the second kernel
    (after the reduction), so both kernels must draw the same stream. The reduction sums in
    another order than NumPy's (rounding: measured 4.8e-7 f32, 8.9e-16 f64 after 8 steps)."""
    ours, theirs, device = emulate_vs_numpy(
        str(HERE / "gpu_mezo.opt"), emit_gpu_module, (40, 25), {}, 8, 7, 3, dtype=dtype
    )
    assert [k for k, _, _ in device.launches[:2]] == ["optc_mezo_step_0", "optc_mezo_step_1"]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", ["f64", "f32"])
def test_solver_draws_are_numpys_bit_for_bit(dtype):
    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.solver_kernels import run_solver

    compiled = compile_source(str(HERE / "gpu_edge_cases.opt"), "draws", "solver", dtype)
    fn = compiled.function()
    rng = np.random.default_rng(1)
    inputs = {"x": rng.standard_normal(9), "M": rng.standard_normal((5, 9)), "seed": 11}
    args = bind_inputs(fn, inputs, "draws")
    schedule = emit_gpu_module(compiled.module)
    actual = run_solver(schedule, EmulatedDevice(schedule, block=2, max_blocks=3), args)
    expected = get_backend("numpy").compile(compiled.module).run(fn.name, args)
    for k, (a, e) in enumerate(zip(actual, expected)):
        if k == 4:  # a sum: reduced in another order
            np.testing.assert_allclose(a, e, rtol=1e-5 if dtype == "f32" else 1e-13)
        else:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(e), err_msg=f"result {k}")


@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_cpu_inplace_kernel_draws_are_numpys_bit_for_bit(dtype):
    """The same kernel body on the CPU (`inplace_kernel`, the MLIR backend's optimizer step):
    log and cos are the C library's there too."""
    from optc.backends.mlir import MLIRExecutable

    module = compile_source(str(HERE / "gpu_draws.opt"), None, None, dtype).module
    step = module.functions[module.attrs["step"]]
    inplace = MLIRExecutable(module).multi_tensor
    assert inplace is not None
    real = np.float32 if dtype == "f32" else np.float64
    rng = np.random.default_rng(2)
    p, g = rng.standard_normal(300).astype(real), rng.standard_normal(300).astype(real)
    row = [p, g, *(np.zeros(300, real) for _ in range(3)), np.zeros((), real)]
    seed = np.int64(5)
    inplace.set_hypers([seed])
    work = inplace.plan([row])
    reference = get_backend("numpy").compile(module)
    expected = [p.copy(), *[a.copy() for a in row[2:]]]
    for t in range(1, 4):
        inplace.run(work, t)
        expected = reference.run(step.name, [expected[0], g, *expected[1:], seed, np.int64(t)])
    for k, (a, e) in enumerate(zip([row[0], *row[2:]], expected)):
        np.testing.assert_array_equal(a, np.asarray(e), err_msg=f"result {k}")
