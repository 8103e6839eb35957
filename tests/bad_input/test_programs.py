"""The corpus of malformed programs: `optc check` on each prints the diagnostic in its golden file.

Each `programs/NN_name.opt` opens with a comment saying what is wrong with it; its `.expected`
file holds the exit code and everything `optc check` printed (message, source line, caret,
notes). Regenerate with `pytest --update` after a deliberate change, and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optc.cli import main
from tests.golden import check_golden

PROGRAMS = Path(__file__).parent / "programs"
CASES = sorted(p.stem for p in PROGRAMS.glob("*.opt"))

# Programs that optc accepts today although they are wrong; the golden file records the
# current output. When the bug is fixed, this test fails: update the golden file and drop the
# entry.
KNOWN_ACCEPTED: dict[str, str] = {}


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_bad_program(case, request, capsys, monkeypatch):
    monkeypatch.chdir(PROGRAMS)
    code = main(["check", f"{case}.opt"])
    captured = capsys.readouterr()
    # Diagnostics name files by their resolved path; keep the golden files free of this checkout's.
    printed = (captured.err + captured.out).replace(f"{PROGRAMS.resolve()}/", "")
    assert "Traceback" not in printed
    check_golden(request, PROGRAMS / f"{case}.expected", f"exit {code}\n{printed}")
    if case in KNOWN_ACCEPTED:
        assert code == 0, (
            f"{case} is rejected now; update its golden file and drop it from KNOWN_ACCEPTED"
        )
    else:
        assert code == 1
        assert captured.out == ""
        assert f"{case}.opt:" in printed and "error:" in printed and "^" in printed
