"""Fixtures of the differential suite: a fresh disk cache for compiled code, and program files.

The LLVM backend caches object code on disk under a key that includes a hand-bumped code
generator version; the suite must test the code the current generator emits, so its modules
run with `OPTC_CACHE_DIR` pointing at a folder of this session (which also keeps the
hundreds of random programs out of the user's cache).
"""

from __future__ import annotations

import pytest

from tests.differential.harness import ProgramFiles


@pytest.fixture(scope="session")
def _cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("optc-cache")


@pytest.fixture(scope="module", autouse=True)
def fresh_disk_cache(_cache_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPTC_CACHE_DIR", str(_cache_dir))
        yield


@pytest.fixture(scope="session")
def programs(tmp_path_factory) -> ProgramFiles:
    """programs.path(text) -> a `.opt` file holding `text` (one file per distinct text)."""
    return ProgramFiles(tmp_path_factory.mktemp("programs"))
