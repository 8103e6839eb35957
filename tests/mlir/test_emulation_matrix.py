"""Muon and Adafactor as kernel schedules (`matrix_kernels.py`: matmuls, axis reductions, a host
loop over Newton-Schulz iterations with ping-pong buffers), run thread by thread on the CPU and
compared with the NumPy backend over several steps: tall, wide and square matrices, the options'
non-default paths, and grids smaller than the matrices so each thread covers several elements."""

from __future__ import annotations

import numpy as np
import pytest
from optc.backends.mlir.kernels import emit_gpu_module

from tests.mlir.emulation import emulate_vs_numpy
from tests.mlir.helpers import needs_mlir

pytestmark = needs_mlir

GRIDS = [(8, 3), (64, 64)]  # (threads per block, most blocks)
MUON = [
    {"lr": 0.02},
    {"lr": 0.02, "nesterov": False, "weight_decay": 0.0, "match_rms_adamw": True},
    {"lr": 0.02, "ns_steps": 1},
    {"lr": 0.02, "ns_steps": 0},  # X' is the old X: the loop runs no kernel
]
ADAFACTOR = [
    {"lr": 0.1},
    {"lr": 0.05, "maximize": True, "weight_decay": 0.01, "eps1": 1e-30, "d": 0.5},
]


@pytest.mark.parametrize("grid", GRIDS, ids=lambda g: f"block{g[0]}x{g[1]}")
@pytest.mark.parametrize("shape", [(13, 7), (6, 11), (8, 8)])
@pytest.mark.parametrize("hypers", MUON, ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items()))
def test_muon_matches_numpy(hypers, shape, grid):
    ours, theirs, _ = emulate_vs_numpy("muon", emit_gpu_module, shape, hypers, 5, *grid)
    for what, a, e in zip(("W", "momentum_buffer", "X"), ours, theirs):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=2e-6, err_msg=what)


@pytest.mark.parametrize("grid", GRIDS, ids=lambda g: f"block{g[0]}x{g[1]}")
@pytest.mark.parametrize("shape", [(13, 7), (1, 9), (9, 1), (40, 33)])
@pytest.mark.parametrize(
    "hypers", ADAFACTOR, ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items())
)
def test_adafactor_matches_numpy(hypers, shape, grid):
    ours, theirs, _ = emulate_vs_numpy("adafactor", emit_gpu_module, shape, hypers, 6, *grid)
    for what, a, e in zip(("W", "row_var", "col_var"), ours, theirs):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-7, err_msg=what)


def test_scratch_buffers_are_allocated_once_per_shape():
    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.launch import run_schedule

    from optc.compiler import compile_source

    module = compile_source("adafactor", None, None, "f32").module
    device = EmulatedDevice(emit_gpu_module(module))
    step = module.functions[module.attrs["step"]]
    hyper = [np.float32(v) for v in (1e-2, -0.8, -1.0, 1e-3, 1.0, 0.0)] + [np.bool_(False)]

    def run(shape):
        m, n = shape
        args = [np.ones(shape, np.float32), np.ones(shape, np.float32)]
        args += [np.zeros((m, 1), np.float32), np.zeros((1, n), np.float32), *hyper, np.int64(1)]
        run_schedule(device.gpu, device, args)
        assert len(args) == len(step.params)

    run((4, 3))
    run((4, 3))
    run((5, 2))
    assert sorted(len(b) for b in device._scratch.values()) == [5, 5]
    assert {k: [b.size for b in v] for k, v in device._scratch.items()} == {
        (("m", 4), ("n", 3)): [4, 3, 4, 3, 12],
        (("m", 5), ("n", 2)): [5, 2, 5, 2, 10],
    }


@pytest.mark.parametrize("name, hypers", [("muon", {"lr": 0.02}), ("adafactor", {"lr": 0.1})])
def test_float64_schedules_match_numpy(name, hypers):
    ours, theirs, _ = emulate_vs_numpy(name, emit_gpu_module, (12, 9), hypers, 4, 8, 3, dtype="f64")
    for a, e in zip(ours, theirs):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape, gram", [((13, 7), ("n", "n")), ((6, 11), ("m", "m"))])
def test_muon_launches_only_the_branch_its_shape_takes(shape, gram):
    """`where(m > n, tall, wide)` is decided on the host: each Newton-Schulz iteration runs the
    three matmuls of one form (Gram matrix n x n for a tall matrix, m x m for a wide one)."""
    _, _, device = emulate_vs_numpy("muon", emit_gpu_module, shape, {"lr": 0.02}, 1, 8, 3)
    schedule = {k.name: k for k in emit_gpu_module(_muon()).kernels}
    matmuls = [name for name, _, _ in device.launches if name.endswith("_matmul")]
    assert len(matmuls) == 3 * 5 and set(matmuls) <= set(schedule)
    m, n = shape
    assert {count for name, count, _ in device.launches if name.endswith("_matmul")} == {
        {"m": m, "n": n}[gram[0]] * {"m": m, "n": n}[gram[1]],
        m * n,
    }


def _muon():
    from optc.compiler import compile_source

    return compile_source("muon", None, None, "f32").module
