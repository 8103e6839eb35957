"""`optc graph`: the dependency graph of a declaration's main body as Graphviz text or SVG."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from optc import cli

PROGRAMS = str(Path(__file__).parent / "programs.opt")


def test_optimizer_body_to_stdout(optc):
    res = optc("graph", PROGRAMS, "momentum")
    assert res.code == 0, res.err
    assert res.out == (
        'digraph "momentum: one step" {\n'
        "  rankdir=TB;\n"
        "  node [shape=box, fontname=monospace];\n"
        '  n0 [label="8: buf\' = beta * buf + g"];\n'
        "  n1 [label=\"9: p' = p - lr * buf'\"];\n"
        '  n0 -> n1 [label="buf\'"];\n'
        "}\n"
    )


def test_solver_loop_body(optc):
    res = optc("graph", PROGRAMS, "ridge")
    assert res.out.startswith('digraph "ridge: one iteration of the loop over k" {')
    assert "x' = x - step * (A.T @ (A @ x - b) + lam * x)" in res.out
    assert "trace" not in res.out and "state" not in res.out and "return" not in res.out


def test_stdlib_solver(optc):
    res = optc("graph", "fista")
    assert res.code == 0
    assert res.out.startswith('digraph "fista: one iteration of the loop over k" {')


def test_coordinate_sweep_shows_the_inner_loop(optc):
    res = optc("graph", PROGRAMS, "sweep")
    assert res.out.startswith('digraph "sweep: one iteration of the loop over j inside s" {')
    assert 'n0 -> n1 [label="step"]' in res.out and 'n0 -> n2 [label="step"]' in res.out


def test_solver_without_a_loop_and_a_cycle(optc, tmp_path):
    path = tmp_path / "s.opt"
    path.write_text("solver s(x: real[n]) -> real[n] {\n  a = b + 1\n  b = 2 * a\n  return a\n}\n")
    res = optc("graph", str(path))  # a cyclic body still draws, which helps to see the cycle
    assert res.code == 0
    assert res.out.startswith('digraph "s: the solver\'s body" {')
    assert 'n0 -> n1 [label="a"]' in res.out and 'n1 -> n0 [label="b"]' in res.out


def test_dot_file(optc, tmp_path):
    out = tmp_path / "g.dot"
    res = optc("graph", "cg", "-o", str(out))
    assert (res.code, res.out) == (0, "")
    assert out.read_text().startswith('digraph "cg: one iteration')


def test_svg_without_graphviz(optc, tmp_path, monkeypatch):
    monkeypatch.setattr(cli.shutil, "which", lambda name: None)
    res = optc("graph", "cg", "-o", str(tmp_path / "g.svg"))
    assert res.code == 1
    assert (
        res.err
        == "error: Graphviz's `dot` is not installed; write a .dot file or install graphviz\n"
    )


def test_svg_runs_dot(optc, tmp_path, monkeypatch):
    # A stand-in for Graphviz's `dot` that records its arguments and writes its input out.
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\ncat > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "g.svg"
    res = optc("graph", "cg", "-o", str(out))
    assert res.code == 0, res.err
    assert (tmp_path / "args").read_text().split() == ["-Tsvg", "-o", str(out)]
    assert out.read_text().startswith('digraph "cg:')


def test_failing_dot_is_reported(optc, tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\necho "syntax error in line 1" >&2\nexit 1\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    res = optc("graph", "cg", "-o", str(tmp_path / "g.svg"))
    assert res.code == 1
    assert res.err == "error: Graphviz's `dot` failed (exit 1): syntax error in line 1\n"


def test_other_suffix(optc, tmp_path):
    res = optc("graph", "cg", "-o", str(tmp_path / "g.png"))
    assert res.code == 1
    assert "the graph is written as a .dot (Graphviz text) or .svg file" in res.err
