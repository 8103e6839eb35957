"""Each pass on IR text: the output is verified, round-trips, and matches its golden file.

Inputs live in `inputs/<pass>/<case>.ir`, expected outputs in `golden/<pass>/<case>.ir`
(`pytest --update` rewrites them after a deliberate change). The `pipeline` cases run
`optimize` with the verifier on after every pass.
"""

import inspect
import textwrap
from pathlib import Path

import pytest

from optc.ir.equality import structurally_equal
from optc.ir.parser import parse_module
from optc.ir.passes import PASSES
from optc.ir.pipeline import OPT_PIPELINE, optimize
from optc.ir.printer import print_module
from optc.ir.verifier import verify_module
from tests.golden import check_golden

HERE = Path(__file__).parent
CASES = sorted((HERE / "inputs").glob("*/*.ir"))


def _run(stage: str, text: str):
    module = parse_module(text)
    verify_module(module)
    if stage == "pipeline":
        return optimize(module, verify=True)
    out = PASSES[stage](module)
    verify_module(out)
    return out


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_pass_output_matches_golden(request, path):
    stage = path.parent.name
    out = _run(stage, path.read_text())
    text = print_module(out)
    assert structurally_equal(parse_module(text), out)
    check_golden(request, HERE / "golden" / stage / path.name, text + "\n")


def test_every_pass_has_golden_cases():
    assert {p.parent.name for p in CASES} == {*PASSES, "pipeline"}
    assert set(OPT_PIPELINE) == set(PASSES)


def _docstring_example(pass_fn) -> tuple[str, str]:
    """The IR before and after, as written in the pass's docstring."""
    doc = inspect.getdoc(pass_fn)
    blocks = []
    for part in doc.split("Before:")[1].split("After")[:2]:
        lines = part.split("\n")[1:]  # drop the rest of the `Before:` / `After (...):` line
        ir = []
        for line in lines:
            if line and not line.startswith("    "):
                break
            ir.append(line)
        blocks.append(textwrap.dedent("\n".join(ir)).strip("\n"))
    return blocks[0], blocks[1]


@pytest.mark.parametrize("name", sorted(PASSES))
def test_docstring_example_is_what_the_pass_does(name):
    before, after = _docstring_example(PASSES[name])
    assert print_module(PASSES[name](parse_module(before))) == after


def test_passes_return_new_modules_and_leave_their_input_alone():
    for path in CASES:
        stage = path.parent.name
        if stage == "pipeline":
            continue
        module = parse_module(path.read_text())
        before = print_module(module)
        assert PASSES[stage](module) is not module
        assert print_module(module) == before


def test_print_after_all_sees_every_pass_in_order():
    seen = []
    optimize(
        parse_module((HERE / "inputs" / "pipeline" / "fista_like.ir").read_text()),
        print_after_all=lambda name, module: seen.append(name),
    )
    assert seen[: len(OPT_PIPELINE)] == list(OPT_PIPELINE)
    assert seen.count("inline") == 1 and len(seen) > len(OPT_PIPELINE)
    assert (len(seen) - 1) % (len(OPT_PIPELINE) - 1) == 0
