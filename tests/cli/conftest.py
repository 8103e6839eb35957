"""Fixtures for the CLI tests: run `optc` in-process and small data files in a temporary folder."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from optc.cli import main


@dataclass
class Outcome:
    """What one `optc` invocation did: its exit code and what it printed."""

    code: int
    out: str
    err: str


@pytest.fixture
def optc(capsys):
    """Run `optc ARGS…` in-process; returns an `Outcome` and checks that no traceback leaked."""

    def run(*args: str) -> Outcome:
        code = main(list(args))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return Outcome(code, captured.out, captured.err)

    return run


@pytest.fixture
def lstsq(tmp_path, monkeypatch):
    """A small least-squares problem saved as A.npy, b.csv and data.npz in the working folder."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((12, 4))
    x = np.array([1.0, -2.0, 0.0, 0.5])
    b = A @ x
    np.save("A.npy", A)
    np.savetxt("b.csv", b, delimiter=",", header="b", comments="")
    np.savez("data.npz", A=A, b=b)
    L = float(np.linalg.norm(A, 2) ** 2)
    return {"A": A, "b": b, "x": x, "L": L}
