"""GPU kernels: the `gpu.module` text (no bindings needed) and the PTX that MLIR makes of it for
sm_80 and sm_90, golden-tested for every stdlib optimizer on this CPU-only machine; the shape of
the kernel schedules of the matrix optimizers (Muon, Adafactor) and of the solvers, and the
list of stdlib solvers that have no GPU schedule yet."""

from __future__ import annotations

from pathlib import Path

import pytest
from optc.backends.mlir import UnsupportedOp, ptx
from optc.backends.mlir.kernels import emit_gpu_module
from optc.backends.mlir.launch import Loop
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


def _is_matrix(name: str) -> bool:
    step = compile_source(name, None, None, "f32").function("step")
    return any(v.type.shape is not None for v in step.params if not v.type.is_scalar)


OPTIMIZERS = sorted(
    n for n in stdlib_index() if compile_source(n, None, None, "f32").kind == "optimizer"
)
MATRIX = [n for n in OPTIMIZERS if _is_matrix(n)]  # the schedules of matrix_kernels.py
ELEMENTWISE = [n for n in OPTIMIZERS if n not in MATRIX]  # one fused kernel (two with norms)
# Stdlib optimizers without GPU kernels, and why: none today. A new optimizer that cannot run on
# the GPU must be listed here with its reason.
NO_KERNELS: dict[str, str] = {}


def basename(path: str) -> str:
    return Path(path).name


@pytest.mark.parametrize("name", ["adam", "lamb", "muon", "adafactor", "cg"])
def test_gpu_module_golden(request, name):
    module = compile_source(name, None, None, "f32").module
    check_golden(request, GOLDEN / f"{name}.gpu.mlir", emit_gpu_module(module, path=basename).text)


def test_reductions_split_the_step_into_kernels():
    gpu = emit_gpu_module(compile_source("lamb", None, None, "f32").module)
    assert [k.reductions for k in gpu.kernels] == [(0, 1), ()]
    assert gpu.partial_identities == (0.0, 0.0)
    adam = emit_gpu_module(compile_source("adam", None, None, "f32").module)
    assert [k.reductions for k in adam.kernels] == [()] and adam.partial_identities == ()


def test_every_stdlib_optimizer_has_kernels():
    """The issue's done-criterion: PTX for every optimizer (the PTX itself in test_ptx_golden)."""
    statuses = {n: _kernel_status(n) for n in OPTIMIZERS}
    assert {n: why for n, why in statuses.items() if why is not None} == NO_KERNELS
    assert {"muon", "adafactor"} <= set(MATRIX) and {"adam", "lamb", "sgd"} <= set(ELEMENTWISE)


def test_muon_is_a_host_loop_of_matmul_kernels():
    gpu = emit_gpu_module(compile_source("muon", None, None, "f32").module)
    reduce, loop, update = gpu.schedule
    assert reduce.kernel.endswith("_reduce") and reduce.resets == (0,)  # norm(U)
    assert isinstance(loop, Loop) and loop.stop == ("param", 12)  # ns_steps, a host value
    kinds = [item.kernel.rsplit("_", 1)[1] for item in loop.body]
    assert kinds.count("matmul") == 6 and kinds[-1] == "map"  # X' into its ping-pong buffer
    ((carry, init, out, alt),) = loop.carried
    assert carry == ("carry", 0)
    assert init == ("param", 3) and out[0] == "scratch" and alt != out[1]
    assert update.kernel.endswith("_update") and update.shape == ("m", "n")


def test_adafactor_reduces_rows_and_columns():
    gpu = emit_gpu_module(compile_source("adafactor", None, None, "f32").module)
    shapes = {item.kernel.split("_", 3)[3]: item.shape for item in gpu.schedule}
    assert shapes["1_axis"] == ("m",) and shapes["2_axis"] == ("n",)
    assert shapes["5_matmul"] == ("m", "n")  # row_var' @ col_var', an outer product
    assert {s for k, s in shapes.items() if "update" in k} == {("m", "n"), ("m", 1), (1, "n")}
    assert gpu.partial_identities == (0.0, 0.0, 0.0)  # norm(W), mean(row_var'), norm(update)


SOLVERS = sorted(n for n in stdlib_index() if compile_source(n, None, None, "f64").kind == "solver")
# Stdlib solvers without a GPU schedule, and why: none today. A new solver that cannot run on the
# GPU must be listed here with its reason.
NO_SOLVER_SCHEDULE: dict[str, str] = {}
GPU_SOLVERS = [n for n in SOLVERS if n not in NO_SOLVER_SCHEDULE]


def test_solvers_without_a_gpu_schedule_are_pinned():
    reasons = {}
    for name in SOLVERS:
        try:
            emit_gpu_module(compile_source(name, None, None, "f64").module)
        except UnsupportedOp as err:
            reasons[name] = err.message
    assert sorted(reasons) == sorted(NO_SOLVER_SCHEDULE)
    for name, why in reasons.items():
        assert why.startswith(NO_SOLVER_SCHEDULE[name]), (name, why)


def test_cg_is_a_host_loop_of_matvec_and_dot_kernels():
    from optc.backends.mlir.solver_kernels import HostLoop

    gpu = emit_gpu_module(compile_source("cg", None, None, "f64").module)
    (loop,) = [item for item in gpu.items if isinstance(item, HostLoop)]
    kinds = sorted(k.kernel.rsplit("_", 1)[1] for k in loop.body if hasattr(k, "kernel"))
    assert kinds == ["dot", "dot", "map", "map", "map", "matvec"]  # Ap, p.Ap, r'.r', x' r' p'
    assert all(alt is not None for *_, alt in loop.carried)  # x, r, p ping-pong


@pytest.mark.mlir
@skip_without_mlir
@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", GPU_SOLVERS)
def test_solver_ptx(name, chip):
    module = compile_source(name, None, None, "f64").module
    text = ptx(module, chip)
    assert f".target {chip}" in text and ".extern" not in text
    kernels = emit_gpu_module(module).kernels
    assert text.count(".visible .entry") == len(kernels) > 0


@pytest.mark.mlir
@skip_without_mlir
@pytest.mark.parametrize("source, kernels", [("gpu_mezo.opt", 2), ("gpu_draws.opt", 1)])
def test_random_numbers_in_optimizer_kernels_make_ptx(source, kernels):
    """A MeZO-style user optimizer (randn_like(p, seed, t)): Philox in 32-bit integer ops (the
    widening multiplies as 64-bit products) and libdevice's log and cos linked in."""
    module = compile_source(str(Path(__file__).parent / source), None, None, "f32").module
    text = ptx(module, "sm_90")
    assert text.count(".visible .entry") == kernels and ".extern" not in text
    assert "mul.wide.u32" in text or "mul.lo.s64" in text


@pytest.mark.mlir
@skip_without_mlir
@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
def test_cg_ptx_golden(request, chip):
    text = ptx(compile_source("cg", None, None, "f32").module, chip)
    check_golden(request, GOLDEN / "ptx" / f"cg.{chip}.ptx", text)


@pytest.mark.mlir
@skip_without_mlir
@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_ptx_golden(request, name, chip):
    text = ptx(compile_source(name, None, None, "f32").module, chip)
    assert f".target {chip}" in text and ".extern" not in text  # libdevice calls are linked in
    check_golden(request, GOLDEN / "ptx" / f"{name}.{chip}.ptx", text)


@pytest.mark.mlir
@skip_without_mlir
def test_float64_kernels_compile_too():
    text = ptx(compile_source("adam", None, None, "f64").module, "sm_90")
    assert "sqrt.rn.f64" in text
