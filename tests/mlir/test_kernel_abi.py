"""The one part of the GPU route that the emulation does not run: how `cuda.py` passes
arguments to the PTX kernels. Each launch of an emulated step or solve is also turned into the
argument tuple CuPy would get (`cuda.kernel_args`, with NumPy arrays standing for CuPy's), and
checked against the `.param` list of the kernel's PTX: one argument per parameter, pointers
where the PTX has pointers, and scalars of the declared width."""

from __future__ import annotations

import re

import numpy as np
import pytest
from optc.backends.mlir import ptx
from optc.backends.mlir.cuda import kernel_args
from optc.backends.mlir.kernels import emit_gpu_module

from optc.compiler import compile_source
from optc.validate import bind_inputs
from tests.mlir.emulation import emulate_vs_numpy
from tests.mlir.helpers import needs_mlir
from tests.mlir.test_differential import problem
from tests.mlir.test_ptx import GPU_SOLVERS, MATRIX, OPTIMIZERS

pytestmark = needs_mlir
WIDTH = {"f32": 4, "f64": 8, "u64": 8, "b64": 8, "u32": 4, "b32": 4, "u8": 1, "b8": 1}


def _params(text: str) -> dict[str, list[str]]:
    """Kernel name -> the PTX types of its parameters (`ptr` for pointers)."""
    kernels = {}
    for name, params in re.findall(r"\.entry (\w+)\(\n(.*?)\n\)", text, re.DOTALL):
        kernels[name] = [
            "ptr" if ".ptr" in line else line.split()[1].lstrip(".")
            for line in params.strip().split("\n")
        ]
    return kernels


def _check(device, text: str) -> set[str]:
    """Check every launch of `device` against the PTX; the kernels launched."""
    declared = _params(text)
    seen = set()
    for kernel, n, values in device.arguments:
        args = kernel_args(np.ndarray, n, values)
        types = declared[kernel]
        assert len(args) == len(types), kernel
        for k, (arg, ty) in enumerate(zip(args, types)):
            if ty == "ptr":
                assert isinstance(arg, np.ndarray), (kernel, k)
            else:
                assert isinstance(arg, np.generic), (kernel, k, arg)
                assert arg.dtype.itemsize == WIDTH[ty], (kernel, k, arg.dtype, ty)
                assert (arg.dtype.kind == "f") == (ty.startswith("f")), (kernel, k, arg.dtype, ty)
        seen.add(kernel)
    return seen


def _recording(device):
    """Keep each launch's arguments on the emulated device."""
    device.arguments = []
    launch = device.launch

    def record(kernel, n, values):
        device.arguments.append((kernel, n, list(values)))
        launch(kernel, n, values)

    device.launch = record
    return device


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_launches_match_the_ptx_parameters(name, monkeypatch):
    from optc.backends.mlir import emulate

    monkeypatch.setattr(emulate.EmulatedDevice, "__init__", _wrap(emulate.EmulatedDevice.__init__))
    hypers = {"momentum": 0.9} if name == "sgd" else {}
    shapes = [(12, 5), (5, 12)] if name in MATRIX else [(60,)]  # tall and wide
    text = ptx(compile_source(name, None, None, "f32").module, "sm_90")
    seen = set()
    for shape in shapes:
        _, _, device = emulate_vs_numpy(name, emit_gpu_module, shape, hypers, 2, 8, 2)
        seen |= _check(device, text)
    assert seen == set(_params(text))  # every kernel was launched and checked


@pytest.mark.parametrize("name", GPU_SOLVERS)
def test_solver_launches_match_the_ptx_parameters(name):
    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.solver_kernels import run_solver

    from optc.errors import OptcError

    compiled = compile_source(name, None, None, "f64")
    inputs, fixed = problem(name, np.random.default_rng(7))
    schedule = emit_gpu_module(compiled.module)
    text = ptx(compiled.module, "sm_80")
    seen = set()
    # Some kernels run only under one selection rule (rule 1 draws random numbers, rule 4 solves
    # GSQ's systems): run every rule the solver accepts, so that every kernel is launched.
    names = compiled.function().attrs["param_names"]
    runs = [{}] + ([{"rule": r} for r in range(5)] if "rule" in names else [])
    runs += [{"newton": False}] if "newton" in names else []
    for extra in runs:
        args = bind_inputs(compiled.function(), {**inputs, **fixed, **extra}, name)
        device = _recording(EmulatedDevice(schedule, block=4, max_blocks=2))
        try:
            run_solver(schedule, device, args)
        except OptcError as err:
            assert extra and "requirement `rule" in str(err), err  # rule 1 is not one of its rules
            continue
        seen |= _check(device, text)
    assert seen == set(_params(text))


def _wrap(init):
    def wrapped(self, *args, **kwargs):
        init(self, *args, **kwargs)
        _recording(self)

    return wrapped


@pytest.mark.parametrize("source", ["gpu_mezo.opt", "gpu_draws.opt"])
def test_random_optimizer_launches_match_the_ptx_parameters(source, monkeypatch):
    """User optimizers drawing random numbers (the seed a host i64 scalar, `t` the counter)."""
    from pathlib import Path

    from optc.backends.mlir import emulate

    monkeypatch.setattr(emulate.EmulatedDevice, "__init__", _wrap(emulate.EmulatedDevice.__init__))
    path = str(Path(__file__).parent / source)
    text = ptx(compile_source(path, None, None, "f32").module, "sm_90")
    _, _, device = emulate_vs_numpy(path, emit_gpu_module, (60,), {}, 2, 8, 2)
    assert _check(device, text) == set(_params(text))


def test_slice_solver_launches_match_the_ptx_parameters():
    """Dimensions evaluated on the host (`hi-lo`) are i64 arguments like the inputs'."""
    from pathlib import Path

    from optc.backends.mlir.emulate import EmulatedDevice
    from optc.backends.mlir.solver_kernels import run_solver

    compiled = compile_source(str(Path(__file__).parent / "gpu_edge_cases.opt"), "slices", "solver")
    rng = np.random.default_rng(0)
    inputs = {"x": rng.standard_normal(7), "M": rng.standard_normal((9, 7)), "bs": 3}
    args = bind_inputs(compiled.function(), inputs, "slices")
    schedule = emit_gpu_module(compiled.module)
    device = _recording(EmulatedDevice(schedule, block=4, max_blocks=2))
    run_solver(schedule, device, args)
    text = ptx(compiled.module, "sm_80")
    assert _check(device, text) == set(_params(text))
