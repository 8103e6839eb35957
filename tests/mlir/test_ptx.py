"""GPU kernels: the `gpu.module` text (no bindings needed) and the PTX that MLIR makes of it for
sm_80 and sm_90, golden-tested for every stdlib optimizer on this CPU-only machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from optc.backends.mlir import UnsupportedOp, ptx
from optc.backends.mlir.kernels import emit_gpu_module
from optc.dsl.program import stdlib_index

from optc.compiler import compile_source
from tests.golden import check_golden
from tests.mlir.helpers import skip_without_mlir

GOLDEN = Path(__file__).parent / "golden"


def _kernel_status(name: str) -> str | None:
    """None when the optimizer's step becomes GPU kernels, else why it does not."""
    try:
        emit_gpu_module(compile_source(name, None, None, "f32").module)
    except UnsupportedOp as err:
        return err.message
    return None


OPTIMIZERS = sorted(
    n for n in stdlib_index() if compile_source(n, None, None, "f32").kind == "optimizer"
)
ELEMENTWISE = [n for n in OPTIMIZERS if _kernel_status(n) is None]


def basename(path: str) -> str:
    return Path(path).name


@pytest.mark.parametrize("name", ["adam", "lamb"])
def test_gpu_module_golden(request, name):
    module = compile_source(name, None, None, "f32").module
    check_golden(request, GOLDEN / f"{name}.gpu.mlir", emit_gpu_module(module, path=basename).text)


def test_reductions_split_the_step_into_kernels():
    gpu = emit_gpu_module(compile_source("lamb", None, None, "f32").module)
    assert [k.reductions for k in gpu.kernels] == [(0, 1), ()]
    assert gpu.partial_identities == (0.0, 0.0)
    adam = emit_gpu_module(compile_source("adam", None, None, "f32").module)
    assert [k.reductions for k in adam.kernels] == [()] and adam.partial_identities == ()


def test_every_stdlib_optimizer_has_kernels_or_a_reason():
    """Matrix optimizers (Muon's Newton-Schulz products, Adafactor's factored statistics) are not
    elementwise; every other one must become kernels."""
    others = {n: _kernel_status(n) for n in OPTIMIZERS if n not in ELEMENTWISE}
    assert all("fixed shapes" in reason for reason in others.values()), others
    assert {"adam", "lamb", "sgd", "nadam"} <= set(ELEMENTWISE)


def test_solvers_have_no_gpu_kernels():
    with pytest.raises(UnsupportedOp, match="solver"):
        emit_gpu_module(compile_source("cg", None, None, "f64").module)


@pytest.mark.mlir
@skip_without_mlir
@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_ptx_golden(request, name, chip):
    text = ptx(compile_source(name, None, None, "f32").module, chip)
    assert f".target {chip}" in text and ".extern" not in text  # libdevice calls are linked in
    check_golden(request, GOLDEN / "ptx" / f"{name}.{chip}.ptx", text)


@pytest.mark.mlir
@skip_without_mlir
def test_float64_kernels_compile_too():
    text = ptx(compile_source("adam", None, None, "f64").module, "sm_90")
    assert "sqrt.rn.f64" in text
