"""`backend="mlir-gpu"` on a real GPU: the kernels against the NumPy backend. Skipped, with the
reason, where CuPy or a GPU is missing (the PTX itself is tested everywhere, in test_ptx.py)."""

from __future__ import annotations

import numpy as np
import pytest
from optc.backends.mlir import available

import optc
from optc.errors import OptcError


def _missing() -> str | None:
    if not available():
        return "the MLIR Python bindings are not installed (pip install 'optc[mlir]')"
    from optc.backends.mlir.cuda import require_cuda

    try:
        require_cuda()
    except OptcError as err:
        return str(err)
    return None


REASON = _missing()
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.mlir,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]

CASES = {
    "adam": {"weight_decay": 0.01, "amsgrad": True},
    "lamb": {"weight_decay": 0.01},
    "sgd": {"momentum": 0.9, "nesterov": True},
    "nadam": {},
    "lion": {},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_api_steps_match_numpy(name):
    rng = np.random.default_rng(0)
    shapes = [(1000, 37), (5,)]
    start = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    params = {b: [p.copy() for p in start] for b in ("numpy", "mlir-gpu")}
    opts = {b: optc.optimizer(name, backend=b, **CASES[name]) for b in params}
    states = {b: opts[b].init(params[b]) for b in params}
    for _ in range(5):
        grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        for b, ps in params.items():
            opts[b].step(ps, grads, states[b])
    for a, e in zip(params["mlir-gpu"], params["numpy"]):
        np.testing.assert_allclose(a, e, rtol=2e-5, atol=2e-6)


def test_device_step_updates_cupy_arrays_in_place():
    import cupy
    from optc.backends.mlir.cuda import GPUExecutable

    from optc.compiler import compile_source

    module = compile_source("adam", None, None, "f32").module
    gpu = GPUExecutable(module)
    rng = np.random.default_rng(1)
    p, g = (
        rng.standard_normal(10_000).astype(np.float32),
        rng.standard_normal(10_000).astype(np.float32),
    )
    zeros = np.zeros_like(p)
    hyper = [np.float32(v) for v in (1e-3, 0.9, 0.999, 1e-8, 0.0)] + [
        np.bool_(False),
        np.bool_(False),
    ]
    expected = (
        optc.backends.get_backend("numpy")
        .compile(module)
        .run("adam.step", [p, g, zeros, zeros, zeros, *hyper, np.int64(1)])
    )
    device = [cupy.asarray(x) for x in (p, g, zeros, zeros, zeros)]
    pointer = device[0].data.ptr
    gpu.step([*device, *hyper, np.int64(1)])
    assert device[0].data.ptr == pointer
    np.testing.assert_allclose(cupy.asnumpy(device[0]), expected[0], rtol=1e-6)
    np.testing.assert_allclose(cupy.asnumpy(device[2]), expected[1], rtol=1e-6)  # m, in place
