"""Exit codes and error reporting of `optc`, in-process and through `python -m optc`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from optc import cli
from optc.errors import InternalError

ROOT = Path(__file__).resolve().parents[2]


def test_help_names_the_default_backend(optc):
    res = optc("--help")
    assert res.code == 0
    text = " ".join(res.out.split())
    from optc.backends import default_backend

    assert f"{default_backend()} (the default; $OPTC_BACKEND changes it)" in text
    for command in ("check", "run", "compile", "graph", "list"):
        assert command in res.out


def test_version(optc):
    res = optc("--version")
    assert res.code == 0 and res.out.startswith("optc ")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["frobnicate"],
        ["run"],
        ["compile", "x.opt", "--emit", "bytecode"],
        ["run", "gd", "--dtype", "f16"],
    ],
)
def test_bad_usage_exits_2(optc, args):
    res = optc(*args)
    assert res.code == 2
    assert "usage: optc" in res.err


def test_user_error_exits_1(optc):
    res = optc("check", "no_such_file.opt")
    assert res.code == 1
    assert res.err == "error: no such file: no_such_file.opt\n"


def test_unknown_stdlib_name_suggests(optc):
    res = optc("run", "fistaa")
    assert res.code == 1
    assert (
        "`fistaa` is neither a .opt file nor a stdlib algorithm (did you mean `fista`?)" in res.err
    )
    assert "note: `optc list` shows the stdlib" in res.err


def test_internal_error_exits_3_without_traceback(optc, monkeypatch):
    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "cmd_list", broken)
    monkeypatch.delenv("OPTC_DEBUG", raising=False)
    res = optc("list")
    assert res.code == 3
    assert res.err.startswith("internal error: ZeroDivisionError: division by zero\n")
    assert "this is a bug in optc; please report it" in res.err
    assert "OPTC_DEBUG=1" in res.err


def test_internal_error_class_keeps_its_message(optc, monkeypatch):
    def broken(args):
        raise InternalError("the verifier rejected `matvec`", "  %3: f64[n] = matvec %A, %x")

    monkeypatch.setattr(cli, "cmd_list", broken)
    monkeypatch.delenv("OPTC_DEBUG", raising=False)
    res = optc("list")
    assert res.code == 3
    assert res.err.startswith(
        "internal error: the verifier rejected `matvec`\n  %3: f64[n] = matvec %A, %x\n"
    )


def test_optc_debug_reraises(monkeypatch):
    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "cmd_list", broken)
    monkeypatch.setenv("OPTC_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["list"])


def test_keyboard_interrupt_exits_130_quietly(optc, monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_list", interrupted)
    res = optc("list")
    assert (res.code, res.out, res.err) == (130, "", "")


def _python_m_optc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OPTC_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "optc", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_python_m_optc_bad_program(tmp_path):
    bad = tmp_path / "bad.opt"
    bad.write_text("optimizer sgd(lr = 0.01) {\n  param p\n  grad g\n  p' = p - lr * (g\n}\n")
    done = _python_m_optc("check", str(bad))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "bad.opt:4:17: error: unclosed `(`" in done.stderr
    assert done.stderr.splitlines()[1:3] == ["    p' = p - lr * (g", "                  ^"]


def test_python_m_optc_usage_and_data_errors(tmp_path):
    usage = _python_m_optc("compile")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    data = _python_m_optc("run", "gd", "--input", "A=missing.npy", cwd=tmp_path)
    assert data.returncode == 1
    assert data.stderr == "error: cannot load missing.npy: no such file\n"
    ok = _python_m_optc("check", "stdlib/prox.opt")
    assert ok.returncode == 0
    assert (
        ok.stdout
        == "stdlib/prox.opt: ok (3 declarations: fn soft_threshold, solver ista, solver fista)\n"
    )
