"""`backend="mlir-gpu"` on a real GPU: CuPy arrays and CUDA tensors through the API, against the
NumPy backend and torch. Skipped, with the reason, where CuPy or a GPU is missing (the PTX is
tested everywhere in test_ptx.py; the kernels and host schedule run thread by thread on the CPU
in test_emulation*.py; the error paths in test_gpu_errors.py)."""

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
    "muon": {"lr": 0.02},
    "adafactor": {"lr": 0.05},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_api_steps_on_cupy_arrays_match_numpy(name):
    import cupy

    rng = np.random.default_rng(0)
    shapes = [(1000, 37), (5,)] if name not in ("muon", "adafactor") else [(300, 37), (16, 64)]
    start = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    host = [p.copy() for p in start]
    device = [cupy.asarray(p) for p in start]
    pointers = [d.data.ptr for d in device]
    opts = {b: optc.optimizer(name, backend=b, **CASES[name]) for b in ("numpy", "mlir-gpu")}
    states = {"numpy": opts["numpy"].init(host), "mlir-gpu": opts["mlir-gpu"].init(device)}
    for _ in range(5):
        grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        opts["numpy"].step(host, grads, states["numpy"])
        opts["mlir-gpu"].step(device, [cupy.asarray(g) for g in grads], states["mlir-gpu"])
    assert [d.data.ptr for d in device] == pointers  # updated in place
    for a, e in zip(device, host):
        np.testing.assert_allclose(cupy.asnumpy(a), e, rtol=2e-5, atol=2e-6)


def test_numpy_arrays_are_refused_on_the_gpu():
    opt = optc.optimizer("adam", backend="mlir-gpu")
    with pytest.raises(OptcError, match="in host memory; backend `mlir-gpu` updates GPU arrays"):
        opt.init([np.zeros(3, np.float32)])


def test_torch_cuda_tensors_match_torch():
    torch = pytest.importorskip("torch")
    import optc.torch

    torch.manual_seed(0)
    model = torch.nn.Linear(64, 32).cuda()
    reference = torch.nn.Linear(64, 32).cuda()
    reference.load_state_dict(model.state_dict())
    ours = optc.torch.Optimizer(model.parameters(), "adamw", backend="mlir-gpu", lr=1e-2)
    theirs = torch.optim.AdamW(reference.parameters(), lr=1e-2)
    pointers = [p.data_ptr() for p in model.parameters()]
    for _ in range(5):
        x = torch.randn(16, 64, device="cuda")
        for net, opt in ((model, ours), (reference, theirs)):
            opt.zero_grad()
            net(x).square().mean().backward()
            opt.step()
    assert [p.data_ptr() for p in model.parameters()] == pointers
    assert ours.state[model.weight]["exp_avg"].device.type == "cuda"
    for a, e in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(a, e, rtol=1e-5, atol=1e-6)


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


@pytest.mark.parametrize(
    "name",
    [
        "cg",
        "fista",
        "sinkhorn_log",
        "softmax_regression",
        "admm_lasso",
        "cd_lasso",  # random numbers in kernels (rule 1)
        "hutchinson",
        "newton_logistic",  # solve on the host
        "lasso_cd_shuffled",  # randperm on the host
        "bcd_least_squares",  # slices of run-time length
        "bcd_logistic",
    ],
)
def test_solvers_on_the_gpu_match_numpy(name):
    from tests.mlir.test_differential import problem

    inputs, _ = problem(name, np.random.default_rng(7))
    expected = optc.solve(name, backend="numpy", **inputs)
    actual = optc.solve(name, backend="mlir-gpu", **inputs)
    assert (actual.iterations, actual.converged) == (expected.iterations, expected.converged)
    for key in expected.outputs:
        np.testing.assert_allclose(
            actual.outputs[key], expected.outputs[key], rtol=1e-9, atol=1e-12
        )


def test_a_random_drawing_optimizer_on_cupy_matches_numpy():
    """MeZO (randn_like(p, seed, t) drawn in both kernels of the step): libdevice's log and cos
    may change the normals' last bits, hence a tolerance rather than equality."""
    from pathlib import Path

    import cupy

    path = str(Path(__file__).parent / "gpu_mezo.opt")
    rng = np.random.default_rng(0)
    host = [rng.standard_normal((300, 7)).astype(np.float32)]
    device = [cupy.asarray(host[0])]
    opts = {b: optc.optimizer(path, backend=b) for b in ("numpy", "mlir-gpu")}
    states = {"numpy": opts["numpy"].init(host), "mlir-gpu": opts["mlir-gpu"].init(device)}
    for _ in range(5):
        grads = [rng.standard_normal((300, 7)).astype(np.float32)]
        opts["numpy"].step(host, grads, states["numpy"])
        opts["mlir-gpu"].step(device, [cupy.asarray(grads[0])], states["mlir-gpu"])
    np.testing.assert_allclose(cupy.asnumpy(device[0]), host[0], rtol=1e-5, atol=1e-6)
