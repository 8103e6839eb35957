"""The `constfold` pass: evaluate at compile time what only depends on constants.

An elementwise op (casts included) whose operands are all scalar `const`s is computed at the op's
dtypes by the NumPy backend's rule for it (the executable spec, so a folded value is exactly
what the program would compute at run time), and becomes a `const`. A `dimsize` of an axis whose length is a literal in the type becomes a const.
NumPy's result is mirrored exactly, with its floating-point errors suppressed: `1.0 / 0.0` folds
to `inf` and `0.0 / 0.0` to `nan`. What NumPy refuses (an int to a negative int power) stays.
A `check` of the constant `true` (a `require` that holds whatever the inputs) goes; a check of
`false` stays, to fail at run time if it is reached.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from optc.backends.numpy.rules import RULES, np_dtype
from optc.ir.core import Block, Module, Op, Value
from optc.ir.ops import OPS, normalize_axis
from optc.ir.rewrite import map_bodies


def constfold(module: Module) -> Module:
    """Replace elementwise ops on constants, and dimsizes of literal dims, by constants.

    Before:

        func @f(%x: f64[3,n]) -> (f64[], i64[]) {
          %0: f64[] = const {dtype="f64", value=2.0}
          %1: f64[] = sqrt %0
          %2: f64[] = mul %1, %1
          %3: i64[] = dimsize %x {axis=0}
          return %2, %3
        }

    After (the square of the rounded root, exactly as NumPy computes it):

        func @f(%x: f64[3,n]) -> (f64[], i64[]) {
          %0: f64[] = const {dtype="f64", value=2.0}
          %1: f64[] = const {dtype="f64", value=1.4142135623730951}
          %2: f64[] = const {dtype="f64", value=2.0000000000000004}
          %3: i64[] = const {dtype="i64", value=3}
          return %2, %3
        }

    The consts left unused are removed by `dce`.
    """
    return map_bodies(module, lambda body: _fold_block(body, {}))


def _fold_block(block: Block, consts: dict[Value, Any]) -> Block:
    """`block` with foldable ops replaced; `consts` maps const values (of this block and the
    enclosing ones) to their Python values."""
    ops: list[Op] = []
    for op in block.ops:
        if op.regions:
            op = op.with_(regions=tuple(_fold_block(r, consts) for r in op.regions))
        folded = _fold(op, consts)
        if folded is not None:
            op = Op(
                "const",
                (),
                op.results,
                {"dtype": op.result.type.dtype, "value": folded},
                loc=op.loc,
            )
        if op.opcode == "const":
            consts[op.result] = op.attrs["value"]
        if op.opcode == "check" and consts.get(op.operands[0]) is True:
            continue
        ops.append(op)
    return Block(block.args, tuple(ops), block.results)


def _fold(op: Op, consts: dict[Value, Any]) -> Any:
    """The Python value `op` computes, or None when it cannot be folded."""
    if op.opcode == "dimsize":
        shape = op.operands[0].type.shape
        if shape is None:
            return None
        dim = shape[normalize_axis(op.attrs["axis"], len(shape))]
        return dim if isinstance(dim, int) else None
    if OPS[op.opcode].category != "elementwise" or not all(v in consts for v in op.operands):
        return None
    args = [np_dtype(v.type.dtype).type(consts[v]) for v in op.operands]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = RULES[op.opcode](op, *args)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
    return np.asarray(result, dtype=np_dtype(op.result.type.dtype)).item()
