"""Malformed data through the CLI: each case exits 1 with a plain message naming the problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optc.cli import main


@pytest.fixture
def files(tmp_path, monkeypatch):
    """Good and bad data files in the working folder (messages then name them relatively)."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 3))
    np.save("A.npy", A)
    np.save("b.npy", A @ np.ones(3))
    np.save("b5.npy", np.ones(5))
    np.save("b_nan.npy", np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0]))
    np.save("p.npy", np.ones(4))
    np.save("g3.npy", np.ones(3))
    np.save("g_inf.npy", np.array([0.0, np.inf, 1.0, 2.0]))
    np.save("objects.npy", np.array([{"a": 1}, 2], dtype=object), allow_pickle=True)
    np.savez("data.npz", A=A, b=A @ np.ones(3))
    with open("A.npy", "rb") as good, open("truncated.npy", "wb") as f:
        f.write(good.read()[:100])
    with open("text.npy", "w") as f:
        f.write("1, 2, 3\n")
    with open("ragged.csv", "w") as f:
        f.write("1, 2, 3\n4, 5, 6\n7, 8\n")
    with open("word.csv", "w") as f:
        f.write("a, b\n1, 2\n3, oops\n")
    with open("semicolons.csv", "w") as f:
        f.write("1;2;3\n")
    with open("empty.csv", "w") as f:
        f.write("\n")
    with open("b.txt", "w") as f:
        f.write("1 2 3\n")
    return tmp_path


PROGRAMS = str(Path(__file__).resolve().parents[1] / "cli" / "programs.opt")
LSQ = ["run", PROGRAMS, "ridge", "--set", "lam=0.1"]

CASES = [
    # (id, arguments, expected stderr)
    (
        "missing file",
        [*LSQ, "-i", "A=A.npy", "-i", "b=nowhere.npy"],
        "error: cannot load nowhere.npy: no such file",
    ),
    (
        "truncated npy",
        [*LSQ, "-i", "A=truncated.npy", "-i", "b=b.npy"],
        "error: cannot load truncated.npy: the file is corrupt or truncated",
    ),
    (
        "not an npy file",
        [*LSQ, "-i", "A=text.npy", "-i", "b=b.npy"],
        "error: cannot load text.npy: it is not a NumPy .npy file (its header is missing)",
    ),
    (
        "pickled objects",
        [*LSQ, "-i", "A=objects.npy", "-i", "b=b.npy"],
        (
            "error: cannot load objects.npy: it holds Python objects (a pickled object array); "
            "optc loads numeric arrays only and never unpickles files"
        ),
    ),
    (
        "wrong extension",
        [*LSQ, "-i", "A=A.npy", "-i", "b=b.txt"],
        "error: cannot load b.txt: optc reads .npy, .npz and .csv files, not `.txt` files",
    ),
    (
        "ragged csv",
        [*LSQ, "-i", "A=ragged.csv", "-i", "b=b.npy"],
        "error: cannot load ragged.csv: line 3 has 2 values but line 1 has 3",
    ),
    (
        "non-numeric csv cell",
        [*LSQ, "-i", "A=word.csv", "-i", "b=b.npy"],
        "error: cannot load word.csv: line 3, column 2: `oops` is not a number",
    ),
    (
        "other csv separator",
        [*LSQ, "-i", "A=semicolons.csv", "-i", "b=b.npy"],
        (
            "error: cannot load semicolons.csv: line 1, column 1: `1;2;3` is not a number "
            "(optc reads comma-separated values; this line seems to use another separator)"
        ),
    ),
    (
        "empty csv",
        [*LSQ, "-i", "A=A.npy", "-i", "b=empty.csv"],
        "error: cannot load empty.csv: the file holds no numbers",
    ),
    (
        "missing npz key",
        [*LSQ, "-i", "A=data.npz:AA", "-i", "b=b.npy"],
        "error: data.npz has no array `AA` (did you mean `A`?)\nnote: it holds: A, b",
    ),
    (
        "wrong rank",
        [*LSQ, "-i", "A=A.npy", "-i", "b=A.npy"],
        "error: input `b` must be a vector (real[m]), got shape (6, 3)",
    ),
    (
        "inconsistent dimension",
        [*LSQ, "-i", "A=A.npy", "-i", "b=b5.npy"],
        "error: input `b` has shape (5,), but dimension `m` is 6 (from `A`)\nnote: `b` is declared real[m]",
    ),
    (
        "NaN in an input",
        [*LSQ, "-i", "A=A.npy", "-i", "b=b_nan.npy"],
        "error: input `b` contains NaN (first at index (2,))",
    ),
    (
        "unknown input name",
        [*LSQ, "-i", "A=A.npy", "-i", "bb=b.npy"],
        (
            "error: solver `ridge` has no input `bb` (did you mean `b`?)\n"
            "note: its inputs are: A: real[m, n], b: real[m], lam: real, step = 0.01, max_iter = 100"
        ),
    ),
    (
        "missing input",
        [*LSQ, "-i", "A=A.npy"],
        (
            "error: solver `ridge` needs input `b` (real[m]): pass it with `--input b=FILE`\n"
            "note: its inputs are: A: real[m, n], b: real[m], lam: real, step = 0.01, max_iter = 100"
        ),
    ),
    (
        "missing scalar",
        ["run", PROGRAMS, "ridge", "-i", "data.npz"],
        (
            "error: solver `ridge` needs input `lam` (real): pass it with `--set lam=VALUE`\n"
            "note: its inputs are: A: real[m, n], b: real[m], lam: real, step = 0.01, max_iter = 100"
        ),
    ),
    (
        "bad --set value",
        ["run", PROGRAMS, "ridge", "-i", "data.npz", "--set", "lam=0.1x"],
        "error: --set lam=0.1x: `0.1x` is not a value; write an int, a float (0.1, 1e-3, inf), true or false",
    ),
    (
        "--set without a value",
        ["run", PROGRAMS, "ridge", "-i", "data.npz", "--set", "lam"],
        "error: --set lam: write --set NAME=VALUE",
    ),
    (
        "int input given a fraction",
        [*LSQ, "-i", "data.npz", "--set", "max_iter=2.5"],
        "error: input `max_iter` must hold integers (int)",
    ),
    (
        "input given twice",
        [*LSQ, "-i", "data.npz", "-i", "b=b.npy"],
        "error: input `b` is given twice (by `--input data.npz` and `--input b=b.npy`)",
    ),
    (
        "several results to .npy",
        ["run", PROGRAMS, "ridge_pair", "-s", "lam=0.1", "-i", "data.npz", "-o", "out.npy"],
        (
            "error: --output out.npy: a .npy file holds one array, but there are 2 results (x, residual); "
            "write them all to a .npz file"
        ),
    ),
    (
        "output into a missing folder",
        [*LSQ, "-i", "data.npz", "-o", "no/such/out.npz"],
        "error: cannot write no/such/out.npz: the directory no/such does not exist",
    ),
    (
        "grad of the wrong shape",
        ["run", PROGRAMS, "momentum", "-i", "p=p.npy", "-i", "g=g3.npy"],
        "error: input `g` (the grad) has shape (3,) but the param `p` has shape (4,)",
    ),
    (
        "infinite grad",
        ["run", PROGRAMS, "momentum", "-i", "p=p.npy", "-i", "g=g_inf.npy"],
        "error: input `g` contains an infinite value (first at index (1,))",
    ),
    (
        "unknown hyperparameter",
        ["run", PROGRAMS, "momentum", "-i", "p=p.npy", "-i", "g=p.npy", "--set", "bta=0.9"],
        (
            "error: optimizer `momentum` has no hyperparameter `bta` (did you mean `beta`?)\n"
            "note: its hyperparameters are: lr, beta"
        ),
    ),
]


@pytest.mark.parametrize("args, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_data(files, capsys, args, expected):
    code = main(args)
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.out + captured.err
    assert captured.out == ""
    message = captured.err.rstrip("\n")
    if expected.endswith("corrupt or truncated"):
        assert message.startswith(expected + " (")  # NumPy's own words follow, in parentheses
    else:
        assert message == expected
