"""Fixtures of the random-number suite: a fresh LLVM disk cache and program files."""

from __future__ import annotations

import pytest

from tests.differential.harness import ProgramFiles


@pytest.fixture(scope="module", autouse=True)
def fresh_disk_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPTC_CACHE_DIR", str(tmp_path_factory.mktemp("optc-cache")))
        yield


@pytest.fixture(scope="session")
def programs(tmp_path_factory) -> ProgramFiles:
    return ProgramFiles(tmp_path_factory.mktemp("rng-programs"))
