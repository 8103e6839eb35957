"""`optc compile`: the AST, the lowered IR and the optimized IR of a declaration."""

from __future__ import annotations

from pathlib import Path

import re

import pytest

from optc.compiler import compile_source
from optc.ir.parser import parse_module
from optc.ir.printer import print_module


def test_emit_ast_of_a_stdlib_declaration(optc):
    res = optc("compile", "gd", "--emit", "ast")
    assert res.code == 0, res.err
    assert res.out.startswith("SolverDecl @") and res.out.splitlines()[0].endswith(" name='gd'")
    assert "Primed" in res.out


def test_emit_ast_of_a_whole_file(optc, tmp_path):
    path = tmp_path / "two.opt"
    path.write_text("fn sq(x: real) -> real = x * x\n\nfn cube(x: real) -> real = x * sq(x)\n")
    res = optc("compile", str(path), "--emit", "ast")
    assert res.code == 0
    assert res.out.startswith("Program @1:1\n") and res.out.count("FnDecl") == 2
    res = optc("compile", str(path), "cube", "--emit", "ast")
    assert res.out.startswith("FnDecl @3:1 name='cube'")
    res = optc("compile", str(path), "cub", "--emit", "ast")
    assert res.code == 1 and "has no declaration named `cub` (did you mean `cube`?)" in res.err


@pytest.mark.parametrize("stage", ["ir", "ir-opt"])
def test_emit_ir_matches_the_compiler(optc, stage):
    res = optc("compile", "fista", "--emit", stage)
    assert res.code == 0, res.err
    compiled = compile_source("fista")
    module = compiled.ir if stage == "ir" else compiled.module
    assert res.out == print_module(module) + ("" if print_module(module).endswith("\n") else "\n")
    assert print_module(parse_module(res.out)) == print_module(
        module
    )  # the output is valid IR text


def test_default_stage_is_ir_opt_and_dtype_applies(optc):
    res = optc("compile", "lion", "--dtype", "float32")
    assert res.code == 0
    assert res.out == optc("compile", "lion", "--emit", "ir-opt", "--dtype", "f32").out
    assert "f32[" in res.out and "f64[" not in res.out


def test_locs_and_output_file(optc, tmp_path):
    out = tmp_path / "gd.ir"
    res = optc("compile", "gd", "--emit", "ir", "--locs", "-o", str(out))
    assert (res.code, res.out) == (0, "")
    assert "gd.opt:" in out.read_text()
    assert "gd.opt:" not in optc("compile", "gd", "--emit", "ir").out


def test_print_after_all(optc):
    res = optc("compile", "sgd", "--print-after-all")
    assert res.code == 0
    assert res.err.startswith("// ----- IR after inline")
    headers = [line for line in res.err.splitlines() if line.startswith("// ----- IR after")]
    assert {h.split()[4].rstrip(":") for h in headers} >= {
        "inline",
        "simplify",
        "constfold",
        "cse",
        "licm",
        "dce",
    }
    assert res.out == optc("compile", "sgd").out


def test_print_after_all_needs_ir_opt(optc):
    res = optc("compile", "sgd", "--emit", "ir", "--print-after-all")
    assert res.code == 1
    assert res.err == (
        "error: --print-after-all shows the IR after each optimization pass; "
        "use it with --emit ir-opt\n"
    )


@pytest.mark.mlir
def test_emit_mlir_stages(optc):
    pytest.importorskip("mlir.ir", reason="the MLIR Python bindings (optc[mlir]) are not installed")
    assert "func.func" in optc("compile", "cg", "--emit", "mlir").out
    assert "llvm.func" in optc("compile", "cg", "--emit", "mlir-llvm").out
    ptx = optc("compile", "adam", "--emit", "ptx", "--chip", "sm_80", "--dtype", "f32")
    assert ptx.code == 0 and ".target sm_80" in ptx.out


def test_emit_llvm_shows_the_vectorized_multi_tensor_kernel(optc):
    res = optc("compile", "adam", "--emit", "llvm", "--dtype", "f32")
    assert res.code == 0
    assert "define void @optc_step_many" in res.out
    assert re.search(r"<\d+ x float>", res.out), "the element loop is vectorized"


def test_emit_asm_is_assembly(optc):
    res = optc("compile", "cg", "--emit", "asm")
    assert res.code == 0
    assert "optc_cg:" in res.out


def test_emit_obj_needs_an_output_file(optc, tmp_path):
    res = optc("compile", "cg", "--emit", "obj")
    assert res.code == 1
    assert res.err == "error: --emit obj writes machine code: give a file with -o\n"
    out = tmp_path / "cg.o"
    assert optc("compile", "cg", "--emit", "obj", "-o", str(out)).code == 0
    assert out.read_bytes()[:4] == b"\x7fELF"


def test_errors_in_the_program_are_diagnostics(optc, tmp_path):
    path = tmp_path / "bad.opt"
    path.write_text("optimizer o(lr = 0.1) {\n  param p\n  p' = p - lr * q\n}\n")
    res = optc("compile", str(path))
    assert res.code == 1
    assert "bad.opt:3:17: error: unknown name `q`" in res.err


def test_unwritable_output(optc, tmp_path):
    res = optc("compile", "gd", "-o", str(tmp_path / "missing" / "gd.ir"))
    assert res.code == 1 and res.err.startswith("error: cannot write ")
    assert Path(tmp_path / "missing").exists() is False
