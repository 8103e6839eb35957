"""The optimization pipeline: the named passes that turn lowered IR into optimized IR.

    lowered IR --inline--> --(simplify, constfold, cse, licm, dce)*--> optimized IR

`inline` runs once; the other passes enable each other (folding exposes simplifications, CSE
exposes invariant code, ...), so they repeat until the printed IR stops changing, for at most
`MAX_ROUNDS` rounds.
"""

from __future__ import annotations

from collections.abc import Callable

from optc.ir.core import Module
from optc.ir.passes import PASSES
from optc.ir.printer import print_module
from optc.ir.verifier import verify_module

OPT_PIPELINE = ("inline", "simplify", "constfold", "cse", "licm", "dce")
MAX_ROUNDS = 4


def optimize(
    module: Module,
    verify: bool = False,
    print_after_all: Callable[[str, Module], None] | None = None,
) -> Module:
    """Run `OPT_PIPELINE` on `module`: `inline` once, the rest to a fixpoint of the printed IR.

    With `verify`, the verifier runs after every pass; `print_after_all(pass_name, module)` is
    called after every pass (`optc compile --print-after-all`).
    """

    def run(name: str, module: Module) -> Module:
        module = PASSES[name](module)
        if verify:
            verify_module(module)
        if print_after_all is not None:
            print_after_all(name, module)
        return module

    module = run(OPT_PIPELINE[0], module)
    for _ in range(MAX_ROUNDS):
        before = print_module(module)
        for name in OPT_PIPELINE[1:]:
            module = run(name, module)
        if print_module(module) == before:
            break
    return module
