"""The `inline` pass: replace every `call` by a copy of the callee's body, then drop the `fn`s.

It runs first in the pipeline, so every later pass and every backend sees one function per
entry point with no calls. Calls inside inlined bodies are inlined in turn (the front end has
already rejected recursion).
"""

from __future__ import annotations

from optc.errors import InternalError
from optc.ir.core import Block, Module, Op, Value
from optc.ir.rewrite import clone_op


def inline(module: Module) -> Module:
    """Inline every call and remove the functions of kind `fn`.

    Before:

        func @half(%x: f64[n]) -> (f64[n]) {kind="fn"} {
          %0: f64[] = const {dtype="f64", value=0.5}
          %y: f64[n] = mul %x, %0
          return %y
        }

        func @step(%p: f64[n]) -> (f64[n]) {kind="solver"} {
          %h: f64[n] = call %p {callee="half", result_types=[type(f64[n])]}
          %r: f64[n] = exp %h
          return %r
        }

    After:

        func @step(%p: f64[n]) -> (f64[n]) {kind="solver"} {
          %0: f64[] = const {dtype="f64", value=0.5}
          %y: f64[n] = mul %p, %0
          %r: f64[n] = exp %y
          return %r
        }

    Inlined ops keep the callee's source locations.
    """
    inlined = module.map(lambda fn, _module: fn.with_body(_inline_block(fn.body, module, {})))
    functions = {k: f for k, f in inlined.functions.items() if f.attrs.get("kind") != "fn"}
    return Module(functions, inlined.attrs)


def _inline_block(block: Block, module: Module, renamed: dict[Value, Value]) -> Block:
    """`block` with its calls inlined; `renamed` maps call results to the inlined values."""
    ops: list[Op] = []
    for op in block.ops:
        op = op.with_(
            operands=tuple(renamed.get(v, v) for v in op.operands),
            regions=tuple(_inline_block(r, module, renamed) for r in op.regions),
        )
        if op.opcode != "call":
            ops.append(op)
            continue
        callee = module.functions.get(op.attrs["callee"])
        if callee is None:
            raise InternalError(
                f"inline: call of unknown function @{op.attrs['callee']} at {op.where()}"
            )
        mapping = dict(zip(callee.params, op.operands))
        copies = tuple(clone_op(inner, mapping) for inner in callee.body.ops)
        body = Block((), copies, tuple(mapping.get(v, v) for v in callee.results))
        body = _inline_block(body, module, {})
        ops.extend(body.ops)
        renamed.update(zip(op.results, body.results))
    return Block(block.args, tuple(ops), tuple(renamed.get(v, v) for v in block.results))
