"""The optimization passes, one per file, each `name(module) -> module` returning a new module.

`PASSES` maps pass names to passes for `ir/pipeline.py`, `optc compile --emit` and the tests.
"""

from __future__ import annotations

from collections.abc import Callable

from optc.ir.core import Module
from optc.ir.passes.constfold import constfold
from optc.ir.passes.cse import cse
from optc.ir.passes.dce import dce
from optc.ir.passes.inline import inline
from optc.ir.passes.licm import licm
from optc.ir.passes.simplify import simplify

PASSES: dict[str, Callable[[Module], Module]] = {
    "inline": inline,
    "simplify": simplify,
    "constfold": constfold,
    "cse": cse,
    "licm": licm,
    "dce": dce,
}
