"""`optc run`: solvers and optimizer steps on data from files, printed and written out."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest

from optc import cli

PROGRAMS = str(Path(__file__).parent / "programs.opt")


def test_solver_from_npy_and_csv(optc, lstsq):
    inputs = ["--input", "A=A.npy", "--input", "b=b.csv"]
    res = optc(
        "run", "fista", *inputs, "--set", "lam=0", "--set", f"L={lstsq['L']}", "--set", "tol=1e-12"
    )
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0].startswith("x = [")
    printed = np.array([float(v) for v in lines[0][len("x = [") : -1].split(",")])
    np.testing.assert_allclose(printed, lstsq["x"], atol=1e-6)
    assert lines[1].startswith("iterations = ")
    assert lines[2] == "converged = true"
    assert lines[3].startswith("trace objective = ") and lines[3].endswith(" values)")


def test_solver_inputs_from_npz(optc, lstsq):
    res = optc("run", "gd", "-i", "data.npz", "-s", "step=0.01", "-s", "max_iter=5")
    assert res.code == 0, res.err
    assert "iterations = 5\nconverged = false\n" in res.out


def test_npz_key_and_dtype_float32(optc, lstsq):
    np.savez("gram.npz", G=lstsq["A"].T @ lstsq["A"], c=lstsq["A"].T @ lstsq["b"])
    res = optc(
        "run", "cg", "-i", "A=gram.npz:G", "-i", "b=gram.npz:c", "--dtype", "f32", "-o", "x.npz"
    )
    assert res.code == 0, res.err
    out = np.load("x.npz")
    assert out["x"].dtype == np.float32
    np.testing.assert_allclose(out["x"], lstsq["x"], atol=1e-3)


def test_output_npz_holds_everything(optc, lstsq):
    res = optc(
        "run", "fista", "-i", "data.npz", "-s", "lam=0.1", "-s", f"L={lstsq['L']}", "-o", "out.npz"
    )
    assert res.code == 0, res.err
    with np.load("out.npz") as out:
        assert sorted(out.files) == ["converged", "iterations", "trace_objective", "x"]
        assert out["trace_objective"].shape == (int(out["iterations"]),)
        assert bool(out["converged"])


def test_output_npy_holds_the_one_result(optc, lstsq):
    res = optc(
        "run", "fista", "-i", "data.npz", "-s", "lam=0.1", "-s", f"L={lstsq['L']}", "-o", "x.npy"
    )
    assert res.code == 0, res.err
    assert np.load("x.npy").shape == (4,)


def test_output_with_a_bad_suffix_fails_before_running(optc, lstsq):
    res = optc(
        "run", "fista", "-i", "data.npz", "-s", "lam=0.1", "-s", f"L={lstsq['L']}", "-o", "x.mat"
    )
    assert res.code == 1 and res.out == ""
    assert (
        res.err
        == "error: --output x.mat: results are written to .npy (one array) or .npz (everything) files\n"
    )


def test_large_results_are_summarised(optc, lstsq):
    res = optc(
        "run",
        "fista",
        "-i",
        "data.npz",
        "-s",
        "lam=0.1",
        "-s",
        f"L={lstsq['L']}",
        "--max-print",
        "3",
    )
    assert res.code == 0
    first = res.out.splitlines()[0]
    assert first.startswith("x: float64[4] min=") and " max=" in first and " norm=" in first


def test_matrix_results_print_in_full(optc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("a.npy", np.array([0.5, 0.5]))
    np.save("b.npy", np.array([0.25, 0.75]))
    np.save("C.npy", np.array([[0.0, 1.0], [1.0, 0.0]]))
    res = optc(
        "run", "sinkhorn", "-i", "a=a.npy", "-i", "b=b.npy", "-i", "C=C.npy", "-s", "eps=0.5"
    )
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0].startswith("plan = [[") and lines[1].startswith(
        " " * 8 + "[0."
    )  # aligned under the first row
    assert lines[2].startswith("u = [") and lines[3].startswith("v = [")


def test_optimizer_step(optc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("p.npy", np.array([1.0, 2.0, 3.0]))
    np.savetxt("g.csv", np.array([[0.5, -1.0, 0.0]]), delimiter=",")
    res = optc(
        "run",
        PROGRAMS,
        "momentum",
        "-i",
        "p=p.npy",
        "-i",
        "g=g.csv",
        "-s",
        "lr=0.1",
        "-o",
        "step.npz",
    )
    assert res.code == 0, res.err
    assert res.out == "p = [0.95, 2.1, 3]\nbuf = [0.5, -1, 0]\n"
    with np.load("step.npz") as out:
        assert sorted(out.files) == ["buf", "p", "t"]
        assert int(out["t"]) == 1
        np.testing.assert_allclose(out["p"], [0.95, 2.1, 3.0])


def test_optimizer_npy_output_is_the_param_in_its_dtype(optc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("p.npy", np.ones(3, dtype=np.float32))
    np.save("g.npy", np.ones(3, dtype=np.float32))
    res = optc("run", "adam", "-i", "p=p.npy", "-i", "g=g.npy", "-s", "lr=0.5", "-o", "new_p.npy")
    assert res.code == 0, res.err
    new_p = np.load("new_p.npy")
    assert new_p.dtype == np.float32
    np.testing.assert_allclose(new_p, 0.5, rtol=1e-5)


def test_optimizer_input_names(optc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("p.npy", np.ones(3))
    res = optc("run", PROGRAMS, "momentum", "-i", "params=p.npy", "-i", "g=p.npy")
    assert res.code == 1
    assert res.err == (
        "error: optimizer `momentum` has no input `params`\n"
        "note: it takes `--input p=FILE` and `--input g=FILE`; its hyperparameters (--set) are: lr = 0.1, beta = 0.5\n"
    )
    res = optc("run", PROGRAMS, "momentum", "-i", "p=p.npy", "-s", "beta=0.9")
    assert res.err.startswith(
        "error: optimizer `momentum` needs its grad `g`: pass it with `--input g=FILE`\n"
    )


def test_backend_errors(optc, lstsq):
    res = optc("run", "gd", "-i", "data.npz", "-s", "step=0.01", "--backend", "numpi")
    assert res.code == 1
    assert "unknown backend `numpi` (did you mean `numpy`?)" in res.err


def test_progress_on_a_pipe_prints_plain_lines(optc, lstsq):
    res = optc("run", "gd", "-i", "data.npz", "-s", "step=0.01", "-s", "max_iter=50", "--progress")
    assert res.code == 0
    lines = res.err.splitlines()
    assert lines[0].startswith("iteration 1/50  objective=")
    assert lines[-1].startswith("iteration 50/50  objective=")
    assert "\r" not in res.err


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_line_on_a_terminal_is_redrawn_and_throttled(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(cli.time, "monotonic", clock)
    stream = io.StringIO()
    progress = cli._Progress(stream, tty=True)
    for k in range(1, 101):
        clock.now = k * 0.01  # 100 iterations a second
        progress(k, 1000, {"objective": 1.0 / k})
    progress.close()
    text = stream.getvalue()
    assert text.endswith("\n")
    assert text.split("\r")[-1].rstrip() == "iteration 100/1000  objective=0.01"
    draws = text.count("\r")
    assert 9 <= draws <= 12  # about 10 redraws a second, plus the last state
    assert "\n" not in text[:-1]


def test_progress_finishes_its_line_when_interrupted(optc, lstsq, monkeypatch):
    draw = cli._Progress.__call__

    def interrupt_at_3(self, iteration, total, traces):
        if iteration == 3:
            raise KeyboardInterrupt
        draw(self, iteration, total, traces)

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(cli._Progress, "__call__", interrupt_at_3)
    res = optc("run", "gd", "-i", "data.npz", "-s", "step=0.01", "--progress")
    assert res.code == 130
    assert res.err.startswith("\riteration 1/100000") and res.err.endswith("\n")
    assert res.out == ""


def test_plot_without_matplotlib(optc, lstsq, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    res = optc("run", "gd", "-i", "data.npz", "-s", "step=0.01", "--plot", "trace.png")
    assert res.code == 1 and res.out == ""  # refused before running
    assert (
        res.err
        == "error: --plot needs matplotlib, which is not installed: install it with `pip install matplotlib`\n"
    )


def test_plot_checks(optc, lstsq):
    res = optc("run", "gd", "-i", "data.npz", "-s", "step=0.01", "--plot", "trace.jpeg")
    assert res.err == "error: --plot trace.jpeg: plots are written as .png, .pdf, .svg files\n"
    res = optc("run", PROGRAMS, "momentum", "-i", "p=A.npy", "-i", "g=A.npy", "--plot", "trace.png")
    assert res.err == "error: --plot draws a solver's traces; `momentum` is an optimizer\n"


def test_plot_needs_a_trace(optc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open("s.opt", "w") as f:
        f.write(
            "solver halve(x0: real) -> real {\n  state x = x0\n  for k in 0..3 {\n    x' = x / 2\n  }\n  return x\n}\n"
        )
    res = optc("run", "s.opt", "--set", "x0=1", "--plot", "t.png")
    assert res.code == 1 and res.out == ""
    assert (
        res.err
        == "error: --plot: solver `halve` records no trace (declare one with `trace NAME = …`)\n"
    )
    res = optc("run", "s.opt", "--set", "x0=1")
    assert res.out == "x = 0.125\niterations = 3\nconverged = true\n"


def test_summary_counts_values_that_are_not_finite():
    assert (
        cli._format("v", np.array([1.0, np.nan, -3.0, np.inf]), 2)
        == "v: float64[4] min=-3 max=1 norm=3.16227766 (2 not finite)"
    )
    assert cli._format("k", np.arange(5), 2) == "k: int64[5] min=0 max=4 norm=5.477225575"


def test_plot_with_matplotlib(optc, lstsq):
    pytest.importorskip("matplotlib")
    res = optc(
        "run", "gd", "-i", "data.npz", "-s", "step=0.01", "-s", "max_iter=30", "--plot", "trace.png"
    )
    assert res.code == 0, res.err
    with open("trace.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
