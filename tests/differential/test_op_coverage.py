"""The targeted programs of this suite exercise every opcode of the op table on both backends:
each op appears in the optimized IR (what the backends run) of at least one of them."""

from __future__ import annotations

import pytest
from optc.dsl.program import load_unit
from optc.ir.ops import OPS

from optc.compiler import compile_source
from tests.differential import (
    test_control,
    test_elementwise,
    test_errors,
    test_indexing,
    test_optimizers,
    test_reductions_linalg,
    test_require,
)
from tests.rng import test_bit_identity as test_random

pytestmark = pytest.mark.llvm

MODULES = [test_elementwise, test_reductions_linalg, test_indexing, test_control, test_errors, test_random,
           test_require]
SOURCES = [text for module in MODULES for text in module.PROGRAMS.values()]
SOURCES += list(test_optimizers.USER_OPTIMIZERS.values())
REMOVED_BEFORE_BACKENDS = {"call"}  # the inline pass replaces every call by the callee's body


def test_every_opcode_is_exercised(programs):
    seen = set()
    for text in SOURCES:
        path = programs.path(text)
        for name in load_unit(path).decls:
            module = compile_source(path, name, None, "f64").module
            seen |= {op.opcode for fn in module.functions.values() for op in fn.body.walk()}
    missing = sorted(set(OPS) - REMOVED_BEFORE_BACKENDS - seen)
    assert not missing, f"no targeted program exercises {missing}"
