"""The GPU backend's error paths, which need no GPU: CuPy missing, no device, host arrays or CPU
tensors given to `mlir-gpu`, GPU arrays given to a CPU backend. Each is an OptcError saying
what to do, raised before any kernel could touch the wrong memory."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import optc
from optc.api import check_placement
from optc.errors import OptcError
from tests.mlir.helpers import skip_without_mlir


class FakeDeviceArray:
    """A stand-in for a CuPy array: what optc looks at to tell device memory from host memory."""

    def __init__(self, shape, dtype=np.float32):
        self.shape, self.dtype = shape, np.dtype(dtype)
        self.size = int(np.prod(shape))
        self.nbytes = self.size * self.dtype.itemsize
        self.ndim = len(shape)
        self.__cuda_array_interface__ = {
            "shape": shape,
            "typestr": self.dtype.str,
            "data": (4096, False),
            "version": 3,
        }


def _fake_cupy(count=None, error=None):
    """A module named cupy whose runtime reports `count` devices or raises `error`."""

    class CUDARuntimeError(RuntimeError):
        pass

    def device_count():
        if error is not None:
            raise CUDARuntimeError(error)
        return count

    runtime = types.SimpleNamespace(getDeviceCount=device_count, CUDARuntimeError=CUDARuntimeError)
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(runtime=runtime, Device=lambda: types.SimpleNamespace(id=0))
    cupy.ndarray = FakeDeviceArray
    return cupy


@skip_without_mlir
def test_without_cupy_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    with pytest.raises(OptcError, match=r"needs CuPy and an NVIDIA GPU: pip install cupy-cuda12x"):
        optc.optimizer("adam", backend="mlir-gpu")


@skip_without_mlir
@pytest.mark.parametrize(
    "fake, message",
    [
        (_fake_cupy(count=0), "found no NVIDIA GPU"),
        (
            _fake_cupy(error="cudaErrorNoDevice: no CUDA-capable device is detected"),
            "found no usable NVIDIA GPU: cudaErrorNoDevice",
        ),
    ],
)
def test_without_a_gpu_the_error_says_so(monkeypatch, fake, message):
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(OptcError, match=message):
        optc.optimizer("adam", backend="mlir-gpu")


def test_host_arrays_are_refused_by_the_gpu_backend():
    with pytest.raises(
        OptcError,
        match=r"params\[0\] is a numpy.ndarray in host memory; backend "
        r"`mlir-gpu` updates GPU arrays \(cupy.ndarray\) in place: move it with cupy.asarray",
    ):
        check_placement("params[0]", np.zeros(3, np.float32), "mlir-gpu")
    check_placement("params[0]", FakeDeviceArray((3,)), "mlir-gpu")  # a GPU array is fine


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_gpu_arrays_are_refused_by_cpu_backends(backend):
    opt = optc.optimizer("adam", backend=backend)
    with pytest.raises(
        OptcError,
        match=rf"params\[0\] is a GPU array \(tests.FakeDeviceArray\); "
        rf"backend `{backend}` runs on the CPU: use backend `mlir-gpu`",
    ):
        opt.init(FakeDeviceArray((3,)))
    params = [np.zeros(3, np.float32)]
    state = opt.init(params)
    with pytest.raises(OptcError, match=r"grads\[0\] is a GPU array"):
        opt.step(params, [FakeDeviceArray((3,))], state)
    assert state.t == 0 and not state.tensors  # nothing ran


def test_the_launcher_refuses_host_arrays():
    """`GPUExecutable.step` checks every tensor before a kernel could read host memory."""
    from optc.backends.mlir.cuda import check_device_arrays

    cupy = _fake_cupy(count=1)
    check_device_arrays(cupy, ["p"], [_contiguous(FakeDeviceArray((3,)))])
    with pytest.raises(OptcError, match=r"`g` is a numpy.ndarray in host memory"):
        check_device_arrays(cupy, ["p", "g"], [_contiguous(FakeDeviceArray((3,))), np.zeros(3)])


def _contiguous(a):
    a.device = types.SimpleNamespace(id=0)
    a.flags = types.SimpleNamespace(c_contiguous=True)
    return a


def test_cpu_tensors_are_refused_by_the_gpu_backend_before_it_looks_for_cupy():
    torch = pytest.importorskip("torch")
    import optc.torch

    w = torch.nn.Parameter(torch.zeros(3))
    with pytest.raises(
        OptcError, match=r"parameter 0 is on cpu; backend `mlir-gpu` updates CUDA tensors"
    ):
        optc.torch.Optimizer([w], "adam", backend="mlir-gpu")
    with pytest.raises(OptcError, match=r"parameter 0 is on cpu; backend `mlir-gpu`"):
        optc.torch.Optimizer([{"params": [w], "lr": 0.1}], "adam", backend="mlir-gpu")


def test_non_cpu_tensors_are_refused_by_cpu_backends():
    torch = pytest.importorskip("torch")
    import optc.torch

    w = torch.empty(3, device="meta")
    with pytest.raises(
        OptcError, match=r"is on meta; optc.torch.Optimizer updates CPU tensors with backend `llvm`"
    ):
        optc.torch.Optimizer([w], "adam", backend="llvm")
