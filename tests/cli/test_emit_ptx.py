"""`optc compile … --emit ptx`: the PTX of an optimizer's step or of a solver's kernels."""

from __future__ import annotations

from pathlib import Path

import pytest

MEZO = str(Path(__file__).parents[1] / "mlir" / "gpu_mezo.opt")

pytestmark = pytest.mark.mlir


@pytest.fixture(autouse=True)
def _bindings():
    pytest.importorskip("mlir.ir", reason="the MLIR Python bindings (optc[mlir]) are not installed")


@pytest.mark.parametrize("name", ["cg", "newton_logistic", "bcd_least_squares"])
def test_a_solver_prints_the_ptx_of_its_kernels(optc, name):
    from optc.backends.mlir.kernels import emit_gpu_module
    from optc.compiler import compile_source

    res = optc("compile", name, "--emit", "ptx", "--chip", "sm_80")
    assert res.code == 0, res.err
    kernels = emit_gpu_module(compile_source(name, None, None, "f64").module).kernels
    assert ".target sm_80" in res.out
    assert res.out.count(".visible .entry") == len(kernels) > 1
    assert all(f".entry {k.name}(" in res.out for k in kernels)


def test_a_user_optimizer_drawing_random_numbers(optc, tmp_path):
    out = tmp_path / "mezo.ptx"
    res = optc("compile", MEZO, "--emit", "ptx", "--dtype", "f32", "-o", str(out))
    assert (res.code, res.out) == (0, "")
    text = out.read_text()
    assert text.count(".visible .entry") == 2 and ".target sm_90" in text


def test_a_declaration_without_a_gpu_schedule_is_an_error(optc, tmp_path):
    path = tmp_path / "s.opt"
    path.write_text(
        "solver s(x: real[n]) -> real[n] {\n"
        "  state y = x\n"
        "  for k in 0..2 {\n"
        "    y'[argmax(where(y > 0, 1, 0))] = 0.0\n"
        "  }\n"
        "  return y\n"
        "}\n"
    )
    res = optc("compile", str(path), "--emit", "ptx")
    assert res.code == 1
    assert res.err.startswith(f"{path}:4:8: error: `argmax` of integers has no GPU kernel\n")
    assert "^^^" in res.err
