"""Choosing the MLIR backends: clear errors without the bindings or without a GPU, and the
lowered LLVM-dialect text (`--emit mlir-llvm`)."""

from __future__ import annotations

import sys

import pytest
from optc.backends import get_backend
from optc.backends.mlir import mlir_llvm

import optc
from optc.compiler import compile_source
from optc.errors import OptcError
from tests.mlir.helpers import skip_without_mlir


def test_without_the_bindings_the_mlir_backends_say_how_to_install_them(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlir", None)  # `import mlir` now fails
    for backend in ("mlir", "mlir-gpu"):
        with pytest.raises(OptcError, match=r"install optc\[mlir\]"):
            get_backend(backend)
    with pytest.raises(OptcError, match=r"install optc\[mlir\]"):
        optc.solver("cg", backend="mlir")
    assert optc.solve("power_iteration", backend="numpy", A=[[2.0, 0.0], [0.0, 1.0]]).converged


def _cuda_missing() -> str | None:
    from optc.backends.mlir.cuda import require_cuda

    try:
        require_cuda()
    except OptcError as err:
        return str(err)
    return None


@skip_without_mlir
def test_without_a_gpu_mlir_gpu_says_what_is_missing():
    reason = _cuda_missing()
    if reason is None:
        pytest.skip("a GPU is available here")
    with pytest.raises(OptcError, match="mlir-gpu"):
        optc.optimizer("adam", backend="mlir-gpu")


@pytest.mark.mlir
@skip_without_mlir
def test_lowering_to_the_llvm_dialect():
    text = mlir_llvm(compile_source("cg", None, None, "f64").module)
    assert "llvm.func @optc_cg(" in text and "llvm.func @_mlir_ciface_optc_cg(" in text
    assert "scf." not in text and "memref." not in text
