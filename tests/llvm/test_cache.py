"""The LLVM backend's disk cache: hits, corrupt and foreign entries, and its location."""

from pathlib import Path

import numpy as np
import pytest

import optc
from optc.backends.llvm import disk_cache

pytestmark = pytest.mark.llvm


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache directory for one test."""
    monkeypatch.setenv("OPTC_CACHE_DIR", str(tmp_path))
    return tmp_path


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "llvm").glob("*.bin"))


def solve_cg(**options):
    solver = optc.solver("cg", backend="llvm", **options)
    A = np.array([[4.0, 1.0], [1.0, 3.0]])
    res = solver(A=A, b=np.array([1.0, 2.0]))
    np.testing.assert_allclose(A @ res.x, [1.0, 2.0], rtol=1e-9)
    return solver.executable("f64")


def test_second_compile_loads_from_the_cache(cache):
    assert not solve_cg().from_cache
    assert len(entries(cache)) == 1
    assert solve_cg().from_cache


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_corrupt_entry_is_rebuilt(cache, damage):
    solve_cg()
    (entry,) = entries(cache)
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        middle = len(data) // 2
        entry.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    else:
        entry.write_bytes(b"not an optc cache entry")
    assert not solve_cg().from_cache  # detected, rebuilt, and the answer is right
    assert solve_cg().from_cache  # and written back


def test_an_entry_stored_under_another_key_is_not_used(cache):
    solve_cg()
    (entry,) = entries(cache)
    header, obj = disk_cache.load(entry.stem)
    disk_cache.store("0" * 64, header, obj)  # a valid entry, but for another key
    (cache / "llvm" / ("0" * 64 + ".bin")).replace(entry)
    assert not solve_cg().from_cache


def test_options_and_dtypes_are_separate_entries(cache):
    solve_cg()
    solve_cg(fastmath=True)
    optc.solver("cg", backend="llvm", dtype="float32")
    assert len(entries(cache)) == 3


def test_run_time_errors_keep_their_source_location_from_the_cache(cache, tmp_path):
    source = tmp_path / "pick.opt"
    source.write_text("solver pick(x: real[n], i: int) -> real {\n  return y = x[i]\n}\n")
    for _ in range(2):
        with pytest.raises(optc.OptcError, match=r"pick.opt:2:14: error: indexing failed at run time: "
                                                 r"index 5 is out of range for axis 0 of length 3"):
            optc.solve(str(source), backend="llvm", x=np.ones(3), i=5)
    assert optc.solver(str(source), backend="llvm").executable("f64").from_cache
