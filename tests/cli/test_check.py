"""`optc check`: parse and type-check files, one line per good file, diagnostics otherwise."""

from __future__ import annotations

from pathlib import Path

STDLIB = Path(__file__).resolve().parents[2] / "stdlib"
PROGRAMS = str(Path(__file__).parent / "programs.opt")


def test_every_stdlib_file_checks(optc):
    files = sorted(str(p) for p in STDLIB.glob("*.opt"))
    res = optc("check", *files)
    assert res.code == 0, res.err
    assert res.err == ""
    assert len(res.out.splitlines()) == len(files)
    assert all(line.split(": ok (")[0] in files for line in res.out.splitlines())


def test_declarations_are_listed(optc):
    res = optc("check", PROGRAMS)
    assert res.out == (
        f"{PROGRAMS}: ok (4 declarations: optimizer momentum, solver ridge, solver ridge_pair, solver sweep)\n"
    )


def test_stdlib_name(optc):
    res = optc("check", "lion")
    assert res.code == 0
    assert res.out.startswith("lion: ok (") and "optimizer lion" in res.out


def test_a_bad_file_among_good_ones(optc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("good.opt").write_text("fn sq(x: real) -> real = x * x\n")
    Path("bad.opt").write_text(
        "solver s(x: real[n]) -> real[n] {\n  y = x + undefined_thing\n  return y\n}\n"
        "solver t(x: real[n]) -> real {\n  return r = sum(x, axis=2)\n}\n"
    )
    res = optc("check", "good.opt", "bad.opt")
    assert res.code == 1
    assert res.out == "good.opt: ok (1 declaration: fn sq)\n"
    # Every declaration of a file is checked, so both mistakes are reported.
    assert res.err.count("error:") == 2
    assert "unknown name `undefined_thing`" in res.err


def test_empty_file(optc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("empty.opt").write_text("# nothing here yet\n")
    res = optc("check", "empty.opt")
    assert (res.code, res.out) == (0, "empty.opt: ok (0 declarations)\n")


def test_unreadable_file(optc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("binary.opt").write_bytes(b"\xff\xfe\x00solver")
    res = optc("check", "binary.opt")
    assert res.code == 1
    assert res.err.startswith("error: cannot read ")
