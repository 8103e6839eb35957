"""The multi-tensor optimizer kernel: every tensor of a dtype group updated in one native call.

When an optimizer's step is purely elementwise (Adam, SGD, Lion, …), its step function becomes

    void step_many(i8** table, i64* lengths, i64 count, i8* hypers, i64 t)

`table` holds, per tensor, the pointers of its param, grad and states; `hypers` holds one
8-byte slot per hyperparameter. Values that depend only on hyperparameters and `t` (bias
corrections) are computed once per call; values that depend on a tensor's scalar states once
per tensor; the rest in one fused loop per tensor that reads each input element once and writes
the param and states in place. In place is safe because every output element depends only on
the same element of the inputs. The element loop lives in an internal function whose pointer
arguments are `noalias`, so LLVM vectorizes it without run-time alias checks.

Bool hyperparameters read by the element loop (Adam's `amsgrad`, `maximize`) are unswitched: one
element loop per combination of their values (up to `MAX_FLAGS` flags), chosen once per tensor,
so a flag that is off costs nothing in the loop: with `amsgrad = false`, Adam's loop neither
loads nor stores `v_max` (its update `where(amsgrad, max(v_max, v'), v_max)` folds to a store of
the value just loaded, which LLVM deletes).
"""

from __future__ import annotations

from llvmlite import ir

from optc.backends.llvm import loops as L
from optc.backends.llvm.scalar import I1, I8, I64, LL_TYPES, MEM_TYPES, SCALAR_RULES, const
from optc.ir.core import Function, Value
from optc.ir.ops import OPS

MAX_FLAGS = 3  # at most 2**MAX_FLAGS specialised element loops per kernel
KERNEL_TYPE = ir.FunctionType(ir.VoidType(), [L.PTR.as_pointer(), I64.as_pointer(), I64, L.PTR, I64])


def is_elementwise_step(fn: Function) -> bool:
    """Whether a step function qualifies: elementwise ops and constants only, any-shape tensors."""
    for op in fn.body.ops:
        if op.regions or OPS[op.opcode].category != "elementwise" and op.opcode != "const":
            return False
    tensors = [v for v in fn.params if not v.type.is_scalar]
    return all(v.type.shape is None for v in tensors) and bool(tensors)


def _operand_dtype(op) -> str:
    if op.opcode == "select":
        return op.operands[1].type.dtype
    return op.operands[0].type.dtype if op.operands else op.results[0].type.dtype


def generate_kernel(module: ir.Module, fn: Function, symbol: str) -> None:
    """Emit `symbol` (the multi-tensor entry) and its element loop into `module`."""
    hypers = fn.params[len(fn.params) - 1 - len(fn.attrs["hyper_names"]) : len(fn.params) - 1]
    t_param = fn.params[-1]
    per_tensor = [v for v in fn.params if v not in hypers and v is not t_param]  # p, g, states
    has_grad = 1 if fn.attrs.get("grad") else 0
    targets = [fn.params[0], *fn.params[1 + has_grad : 1 + has_grad + len(fn.attrs["states"])]]  # what results update
    level = _levels(fn, set(hypers) | {t_param}, per_tensor)

    # The element loop: an internal function with noalias pointers.
    elem_inputs = [v for v in per_tensor if not v.type.is_scalar]
    outer_values = [v for v in _values_by_level(fn, level, ("uniform", "tensor")) if _used_by_element(fn, v, level)]
    elem_results = [(i, r) for i, r in enumerate(fn.results) if not fn.results[i].type.is_scalar]
    arg_types = [MEM_TYPES[v.type.dtype].as_pointer() for v in elem_inputs] + [I64] + [LL_TYPES[v.type.dtype] for v in outer_values]
    flags = [v for v in outer_values if v.type.dtype == "bool"][:MAX_FLAGS]
    variants = []
    for combo in range(2 ** len(flags)):
        fixed = {v: bool(combo >> k & 1) for k, v in enumerate(flags)}
        variant = ir.Function(module, ir.FunctionType(ir.VoidType(), arg_types), f"{symbol}.elements.{combo}")
        variant.linkage = "internal"
        for a in variant.args[: len(elem_inputs)]:
            a.add_attribute("noalias")
        _emit_elements(variant, fn, elem_inputs, outer_values, elem_results, level, targets, fixed)
        variants.append(variant)
    inner = _dispatch(module, symbol + ".elements", arg_types, variants, [1 + len(elem_inputs) + outer_values.index(v) for v in flags])

    outer = ir.Function(module, KERNEL_TYPE, symbol)
    table, lengths, count, hyper_buf, t = outer.args
    b = ir.IRBuilder(outer.append_basic_block("entry"))
    env: dict[Value, object] = {t_param: t}
    for i, h in enumerate(hypers):
        slot = b.bitcast(b.gep(hyper_buf, [ir.Constant(I64, 8 * i)]), MEM_TYPES[h.type.dtype].as_pointer())
        value = b.load(slot)
        env[h] = b.trunc(value, I1) if h.type.dtype == "bool" else value
    _emit_ops(b, fn, env, level, "uniform")
    width = len(per_tensor)

    def per_tensor_body(b: ir.IRBuilder, k) -> None:
        row = b.mul(k, ir.Constant(I64, width))
        ptrs = {}
        for j, v in enumerate(per_tensor):
            raw = b.load(b.gep(table, [b.add(row, ir.Constant(I64, j))]))
            ptrs[v] = b.bitcast(raw, MEM_TYPES[v.type.dtype].as_pointer())
            if v.type.is_scalar:
                value = b.load(ptrs[v])
                env[v] = b.trunc(value, I1) if v.type.dtype == "bool" else value
        _emit_ops(b, fn, env, level, "tensor")
        n = b.load(b.gep(lengths, [k]))
        b.call(inner, [ptrs[v] for v in elem_inputs] + [n] + [env[v] for v in outer_values])
        for r, target in zip(fn.results, targets):
            if target.type.is_scalar and r is not target:
                value = env[r]
                b.store(b.zext(value, I8) if r.type.dtype == "bool" else value, ptrs[target])

    L.counted_loop(b, ir.Constant(I64, 0), count, per_tensor_body, "tensor")
    b.ret_void()


def _levels(fn: Function, uniform_inputs: set, per_tensor: list) -> dict[Value, str]:
    """'uniform' (hyperparameters and t only), 'tensor' (a tensor's scalars) or 'element'."""
    level: dict[Value, str] = {v: "uniform" for v in uniform_inputs}
    for v in per_tensor:
        level[v] = "tensor" if v.type.is_scalar else "element"
    order = {"uniform": 0, "tensor": 1, "element": 2}
    for op in fn.body.ops:
        lv = max((order[level[v]] for v in op.operands), default=0)
        if not op.results[0].type.is_scalar:
            lv = 2
        level[op.results[0]] = ("uniform", "tensor", "element")[lv]
    return level


def _values_by_level(fn: Function, level: dict, levels: tuple) -> list[Value]:
    return [op.results[0] for op in fn.body.ops if level[op.results[0]] in levels] + \
        [v for v in fn.params if level[v] in levels]


def _used_by_element(fn: Function, v: Value, level: dict) -> bool:
    return any(v in op.operands for op in fn.body.ops if level[op.results[0]] == "element") or \
        any(r is v for r in fn.results if not r.type.is_scalar)


def _emit_ops(b: ir.IRBuilder, fn: Function, env: dict, level: dict, which: str) -> None:
    for op in fn.body.ops:
        if level[op.results[0]] != which:
            continue
        if op.opcode == "const":
            env[op.results[0]] = const(op.attrs["dtype"], op.attrs["value"])
        else:
            env[op.results[0]] = SCALAR_RULES[op.opcode](b, op, _operand_dtype(op), *[env[v] for v in op.operands])


def _dispatch(module: ir.Module, name: str, arg_types, variants: list, flag_args: list[int]) -> ir.Function:
    """An internal function with the element loop's signature that calls the variant chosen by
    the bool arguments at positions `flag_args` (variant k has flag j set when bit j of k is)."""
    if len(variants) == 1:
        return variants[0]
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), arg_types), name)
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    index = ir.Constant(I64, 0)
    for k, pos in enumerate(flag_args):
        index = b.or_(index, b.shl(b.zext(fn.args[pos], I64), ir.Constant(I64, k)))
    default = fn.append_basic_block("none")
    switch = b.switch(index, default)
    for k, variant in enumerate(variants):
        block = fn.append_basic_block(f"variant.{k}")
        switch.add_case(ir.Constant(I64, k), block)
        b.position_at_end(block)
        b.call(variant, list(fn.args))
        b.ret_void()
    b.position_at_end(default)
    b.unreachable()
    return fn


def _emit_elements(inner: ir.Function, fn: Function, elem_inputs, outer_values, elem_results, level, targets,
                   fixed: dict[Value, bool]) -> None:
    b = ir.IRBuilder(inner.append_basic_block("entry"))
    args = list(inner.args)
    ptrs = dict(zip(elem_inputs, args[: len(elem_inputs)]))
    n = args[len(elem_inputs)]
    scalars = dict(zip(outer_values, args[len(elem_inputs) + 1 :]))
    scalars.update({v: ir.Constant(I1, int(on)) for v, on in fixed.items()})

    def body(b: ir.IRBuilder, i) -> None:
        env: dict[Value, object] = dict(scalars)
        for v, ptr in ptrs.items():
            value = b.load(b.gep(ptr, [i]))
            env[v] = b.trunc(value, I1) if v.type.dtype == "bool" else value
        for op in fn.body.ops:
            if level[op.results[0]] != "element":
                continue
            env[op.results[0]] = SCALAR_RULES[op.opcode](b, op, _operand_dtype(op), *[env[v] for v in op.operands])
        for idx, r in elem_results:
            target = targets[idx]
            if r is target:
                continue
            value = env[r]
            b.store(b.zext(value, I8) if r.type.dtype == "bool" else value, b.gep(ptrs[target], [i]))

    L.counted_loop(b, ir.Constant(I64, 0), n, body, "e")
    b.ret_void()
