"""Smoke test of benchmarks/classic_problems.py: one tiny case with --quick runs and prints a
table in which optc's L1-regression answer has scikit-learn's objective (the benchmark's timings
themselves are not tested)."""

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_script(monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "classic_problems", ROOT / "benchmarks" / "classic_problems.py"
    )
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "classic_problems", module)  # for its dataclasses
    spec.loader.exec_module(module)
    return module


def test_quick_l1_case_runs_and_agrees_with_scikit_learn(capsys, monkeypatch):
    cache_before = os.environ.get("OPTC_CACHE_DIR")
    load_script(monkeypatch).main(
        ["--quick", "--problem", "l1_regression", "--budget", "0.02", "--rounds", "1"]
    )
    out = capsys.readouterr().out
    assert os.environ.get("OPTC_CACHE_DIR") == cache_before  # the temporary cache is undone
    assert "examples/l1_regression.opt" in out  # the cold compile table
    summary = out.split("## Summary")[1]
    row = next(line for line in summary.splitlines() if line.startswith("l1_regression"))
    fields = row.split()
    assert fields[-1] != "-" and abs(float(fields[-1])) <= 1e-9 * 5.77e6  # obj optc - sklearn
    assert fields[-2].endswith("x")  # the ratio optc / sklearn
