"""Golden-text comparison: `check_golden(path, text)` compares with a stored file or rewrites it
when pytest runs with `--update`."""

from __future__ import annotations

from pathlib import Path

import pytest


def check_golden(request: pytest.FixtureRequest, path: Path, actual: str) -> None:
    """Assert that `actual` equals the golden file `path` (rewritten under `--update`)."""
    if request.config.getoption("--update") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        if not request.config.getoption("--update"):
            pytest.fail(f"golden file {path} did not exist; written now, check it in and re-run")
        return
    expected = path.read_text()
    assert actual == expected, f"output differs from golden file {path} (run pytest --update after a deliberate change)"
