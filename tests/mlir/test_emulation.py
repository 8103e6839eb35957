"""The elementwise GPU kernels of every stdlib optimizer, run thread by thread on the CPU (the
text that becomes PTX, with only the kernel boundary rewritten; see `emulate.py`), against the
NumPy backend over several steps, with grids smaller than the tensor so each thread's
grid-stride loop runs several times, and grids larger than it so some threads do nothing."""

from __future__ import annotations

import numpy as np
import pytest
from optc.backends.mlir.kernels import emit_gpu_module

from tests.mlir.emulation import emulate_vs_numpy
from tests.mlir.helpers import needs_mlir
from tests.mlir.test_ptx import ELEMENTWISE

pytestmark = needs_mlir

# Options that take the non-default paths (the defaults run in every case too).
OPTIONS = {
    "adam": {"weight_decay": 0.01, "amsgrad": True},
    "adamw": {"amsgrad": True},
    "sgd": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "rmsprop": {"momentum": 0.5, "centered": True},
    "lamb": {"weight_decay": 0.01},
}
GRIDS = [(32, 3), (7, 2), (64, 64)]  # (threads per block, most blocks); 1000 elements


@pytest.mark.parametrize("grid", GRIDS, ids=lambda g: f"block{g[0]}x{g[1]}")
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_emulated_kernels_match_numpy(name, grid):
    block, max_blocks = grid
    for hypers in ({}, OPTIONS.get(name)) if name in OPTIONS else ({},):
        ours, theirs, device = emulate_vs_numpy(
            name, emit_gpu_module, (40, 25), hypers, steps=6, block=block, max_blocks=max_blocks
        )
        assert all(n == 1000 for _, n, _ in device.launches)
        for a, e in zip(ours, theirs):
            np.testing.assert_allclose(a, e, rtol=2e-5, atol=1e-6, err_msg=f"{name} {hypers}")


def test_a_small_grid_makes_threads_loop():
    """With 7 x 2 threads for 1000 elements each thread handles ~72 of them: a kernel that
    ignored its grid-stride loop would leave most elements unchanged."""
    _, _, device = emulate_vs_numpy("adam", emit_gpu_module, (1000,), {}, 1, 7, 2)
    assert device.launches == [("optc_adam_step", 1000, 2)]


@pytest.mark.parametrize("name", ["adam", "lamb", "sgd"])
def test_float64_kernels_match_numpy(name):
    ours, theirs, _ = emulate_vs_numpy(
        name, emit_gpu_module, (300,), OPTIONS[name], 5, 16, 4, dtype="f64"
    )
    for a, e in zip(ours, theirs):
        np.testing.assert_allclose(a, e, rtol=1e-13, atol=1e-15)
