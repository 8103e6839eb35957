"""`optc.data`: reading --input files, parsing --set values, writing --output files."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optc import data
from optc.errors import OptcError


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "spec, value",
    [
        ("n=10", 10),
        ("k=-3", -3),
        ("lam=0.1", 0.1),
        ("tol=1e-8", 1e-8),
        ("x=+2.5", 2.5),
        ("hi=inf", math.inf),
        ("lo=-inf", -math.inf),
        ("flag=true", True),
        ("flag=false", False),
        ("v = 3", 3),
    ],
)
def test_parse_set(spec, value):
    name, parsed = data.parse_set(spec)
    assert name == spec.split("=")[0].strip()
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("lam", "--set lam: write --set NAME=VALUE"),
        ("=1", "--set =1: write --set NAME=VALUE"),
        ("2x=1", "--set 2x=1: `2x` is not a valid name"),
        (
            "lam=",
            "--set lam=: `` is not a value; write an int, a float (0.1, 1e-3, inf), true or false",
        ),
        (
            "flag=True",
            "--set flag=True: `True` is not a value; write an int, a float (0.1, 1e-3, inf), true or false",
        ),
    ],
)
def test_parse_set_errors(spec, message):
    with pytest.raises(OptcError) as err:
        data.parse_set(spec)
    assert err.value.message == message


def test_set_twice():
    with pytest.raises(OptcError, match=r"`lam` is set twice \(--set lam=2\)"):
        data.parse_sets(["lam=1", "lam=2"])


def _csv(text: str) -> np.ndarray:
    with open("in.csv", "w", encoding="utf-8") as f:
        f.write(text)
    return data.read_csv("in.csv")


def test_csv_shapes(here):
    np.testing.assert_array_equal(_csv("1,2\n3,4\n5,6\n"), [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(_csv("1, 2, 3\n"), [1, 2, 3])  # one row: a vector
    np.testing.assert_array_equal(_csv("1\n2\n3\n"), [1, 2, 3])  # one column: a vector
    assert _csv("7\n").shape == (1,)


def test_csv_header_comments_blank_lines_and_bom(here):
    got = _csv("\ufeffx, y\n# measured\n\n1.5, -2\n 3e2 ,inf\n\n")
    np.testing.assert_array_equal(got, [[1.5, -2.0], [300.0, math.inf]])
    assert got.dtype == np.float64


@pytest.mark.parametrize(
    "text, message",
    [
        ("1,2\n3\n", "cannot load in.csv: line 2 has 1 value but line 1 has 2"),
        ("a,b\nc,d\n", "cannot load in.csv: line 2, column 1: `c` is not a number"),
        ("1,,2\n", "cannot load in.csv: line 1, column 2 is empty"),
        ("1,2,\n", "cannot load in.csv: line 1, column 3 is empty"),
        ("x,y\n", "cannot load in.csv: the file holds no numbers"),
        ("", "cannot load in.csv: the file holds no numbers"),
        ("x,1\n", "cannot load in.csv: line 1, column 1: `x` is not a number"),
    ],
)
def test_csv_errors(here, text, message):
    with pytest.raises(OptcError) as err:
        _csv(text)
    assert err.value.message == message


def test_csv_that_is_not_text(here):
    (here / "in.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(OptcError, match="cannot load in.csv: it is not a text file"):
        data.read_csv("in.csv")


def test_inputs_by_file_stem_and_npz(here):
    np.save("A.npy", np.eye(2))
    np.savez("pair.npz", u=np.ones(2), v=np.zeros(3))
    np.savez("one.npz", w=np.arange(4.0))
    got = data.load_inputs(["A.npy", "pair.npz", "x=one.npz", "y=pair.npz:v"])
    assert sorted(got) == ["A", "u", "v", "x", "y"]
    np.testing.assert_array_equal(got["x"], np.arange(4.0))
    assert got["y"].shape == (3,)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("z=pair.npz", "pair.npz holds 2 arrays (u, v); pick one with NAME=pair.npz:KEY"),
        ("2a=A.npy", "--input 2a=A.npy: `2a` is not a valid input name; write --input NAME=FILE"),
        ("a=", "--input a=: no file given; write --input NAME=FILE"),
        ("my-data.npy", "--input my-data.npy: which input is this? write --input NAME=FILE"),
        ("a=A.npy:k", "cannot load A.npy:k: only .npz files hold arrays by key"),
        ("a=folder.npy", "cannot load folder.npy: it is a directory"),
        (
            "a=data",
            "cannot load data: optc reads .npy, .npz and .csv files, not files without an extension",
        ),
        (
            "numbered.npz",
            (
                "numbered.npz holds an array named `0`, which is not an input name; "
                "load it with --input NAME=numbered.npz:0"
            ),
        ),
        (
            "a=complex.npy",
            "cannot use complex.npy: it holds complex numbers; optc needs real numbers",
        ),
        ("a=broken.npz", "cannot load broken.npz: it is not a valid .npz file"),
    ],
)
def test_input_errors(here, spec, message):
    np.save("A.npy", np.eye(2))
    np.save("complex.npy", np.ones(2, dtype=complex))
    np.savez("pair.npz", u=np.ones(2), v=np.zeros(3))
    np.savez("numbered.npz", **{"0": np.ones(1)})
    (here / "folder.npy").mkdir()
    (here / "broken.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(OptcError) as err:
        data.load_inputs([spec])
    assert err.value.message.startswith(message)


def test_write_npy_and_npz(here):
    data.write_output("x.npy", {"x": np.arange(3.0)}, {"iterations": 4})
    np.testing.assert_array_equal(np.load("x.npy"), [0.0, 1.0, 2.0])
    data.write_output(
        "all.npz", {"x": np.arange(3.0), "f": 2.5}, {"iterations": np.int64(4), "converged": True}
    )
    with np.load("all.npz") as out:
        assert sorted(out.files) == ["converged", "f", "iterations", "x"]
        assert float(out["f"]) == 2.5 and bool(out["converged"])


def test_write_name_clash(here):
    with pytest.raises(OptcError, match="a result is called `iterations`"):
        data.write_output("all.npz", {"iterations": np.ones(2)}, {"iterations": 3})
