"""LLVM code generation for `loop` ops: counted loops with `until`, traces and progress.

Carried tensors live in buffers owned by the enclosing scope; each iteration computes the next
values into fresh buffers, copies them into the carried buffers, and frees what it allocated.
Traces are appended to buffers that double when full. The outermost loop calls the progress
callback, when one is given, after every iteration.
"""

from __future__ import annotations

from llvmlite import ir

from optc.backends.llvm import loops as L
from optc.backends.llvm.codegen import ELEMENT_SIZE, INTERRUPTED, PROGRESS_TYPE, Tensor, _i64, numel
from optc.backends.llvm.scalar import I1, MEM_TYPES, convert
from optc.ir.core import Op


def emit_loop(cg, op: Op, lo, hi, init: list) -> None:
    """Emit `op` (a `loop`) at the code generator's current position and bind its results."""
    b = cg.b
    region = op.regions[0]
    n = len(init)
    until = bool(op.attrs.get("until"))
    trace_dtypes = list(op.attrs.get("trace_dtypes", ()))
    outermost = cg.depth == 0
    cg.depth += 1

    slots = []
    for x in init:
        if isinstance(x, Tensor):
            slots.append(cg.materialize(x))
        else:
            slot = L.entry_alloca(b, x.type)
            b.store(x, slot)
            slots.append(slot)
    iters = L.entry_alloca(b, ir.IntType(64))
    b.store(_i64(0), iters)
    converged = L.entry_alloca(b, I1)
    b.store(ir.Constant(I1, 0 if until else 1), converged)
    traces = []
    for dtype in trace_dtypes:
        ptr_slot = L.entry_alloca(b, MEM_TYPES[dtype].as_pointer())
        cap_slot = L.entry_alloca(b, ir.IntType(64))
        b.store(_i64(64), cap_slot)
        b.store(b.bitcast(L.malloc(b, _i64(64 * ELEMENT_SIZE[dtype])), MEM_TYPES[dtype].as_pointer()), ptr_slot)
        traces.append((ptr_slot, cap_slot, dtype))
    progress_values = None
    if outermost and trace_dtypes:
        progress_values = L.entry_alloca(b, ir.ArrayType(ir.DoubleType(), len(trace_dtypes)))

    fn = cg.func
    pre = b.block
    head = fn.append_basic_block("loop.head")
    body = fn.append_basic_block("loop.body")
    stop_block = fn.append_basic_block("loop.stop")
    exit_block = fn.append_basic_block("loop.exit")
    b.branch(head)
    b.position_at_end(head)
    k = b.phi(ir.IntType(64), "k")
    k.add_incoming(lo, pre)
    b.cbranch(b.icmp_signed("<", k, hi), body, exit_block)

    b.position_at_end(body)
    cg.owned.append([])
    cg.env[region.args[0]] = k
    for arg, slot in zip(region.args[1:], slots):
        cg.env[arg] = Tensor(slot.ptr, slot.dims, slot.strides, slot.dtype, True) if isinstance(slot, Tensor) else b.load(slot)
    cg.loops.append(region)
    cg.block(region.ops)
    cg.loops.pop()
    b = cg.b
    yields = [cg.env[v] for v in region.results]
    nexts, rest = yields[:n], yields[n:]
    stop = None
    if until:
        stop, rest = rest[0], rest[1:]
    _store_nexts(cg, op, slots, nexts)
    count = b.add(b.load(iters), _i64(1))
    b.store(count, iters)
    for (ptr_slot, cap_slot, dtype), value in zip(traces, rest):
        _append(cg, ptr_slot, cap_slot, dtype, count, value)
    if progress_values is not None:
        for i, (value, dtype) in enumerate(zip(rest, trace_dtypes)):
            b.store(convert(b, value, dtype, "f64"), b.gep(progress_values, [_i64(0), _i64(i)]))
    if outermost:
        _call_progress(cg, count, b.sub(hi, lo), progress_values)
    for ptr in cg.owned.pop():
        L.free(b, ptr)
    latch = fn.append_basic_block("loop.latch")
    if stop is not None:
        b.cbranch(stop, stop_block, latch)
    else:
        b.branch(latch)
    b.position_at_end(latch)
    k.add_incoming(b.add(k, _i64(1)), latch)
    b.branch(head)

    b.position_at_end(stop_block)
    b.store(ir.Constant(I1, 1), converged)
    b.branch(exit_block)

    b.position_at_end(exit_block)
    cg.depth -= 1
    results = []
    for slot in slots:
        results.append(slot if isinstance(slot, Tensor) else b.load(slot))
    results += [b.load(iters), b.load(converged)]
    for ptr_slot, _, dtype in traces:
        ptr = b.load(ptr_slot)
        cg.owned[-1].append(ptr)
        results.append(Tensor(ptr, [b.load(iters)], [_i64(1)], dtype, True))
    for v, r in zip(op.results, results):
        cg.env[v] = r


def _store_nexts(cg, op: Op, slots: list, nexts: list) -> None:
    """Copy each next value into its carried slot, via a temporary when it aliases a slot."""
    b = cg.b
    staged = []
    own = cg.owned[-1]
    for slot, value in zip(slots, nexts):
        if not isinstance(slot, Tensor):
            staged.append(value)
            continue
        if value.ptr is slot.ptr:
            staged.append(None)  # unchanged
            continue
        fresh = value.contiguous and any(p is value.ptr for p in own)
        staged.append(value if fresh else cg.materialize(value))
    for slot, value in zip(slots, staged):
        if value is None:
            continue
        if not isinstance(slot, Tensor):
            b.store(value, slot)
            continue
        for d_slot, d_val in zip(slot.dims, value.dims):
            cg.fail_if(b.icmp_signed("!=", d_slot, d_val), op, "a state changed shape inside the loop")
        size = b.mul(numel(b, slot.dims), _i64(ELEMENT_SIZE[slot.dtype]))
        L.memcpy(b, slot.ptr, value.ptr, size)


def _append(cg, ptr_slot, cap_slot, dtype: str, count, value) -> None:
    b = cg.b
    cap = b.load(cap_slot)
    full = b.icmp_signed(">", count, cap)
    grow = cg.func.append_basic_block("trace.grow")
    store = cg.func.append_basic_block("trace.store")
    b.cbranch(full, grow, store)
    b.position_at_end(grow)
    new_cap = b.mul(cap, _i64(2))
    raw = L.realloc(b, b.bitcast(b.load(ptr_slot), L.PTR), b.mul(new_cap, _i64(ELEMENT_SIZE[dtype])))
    b.store(b.bitcast(raw, MEM_TYPES[dtype].as_pointer()), ptr_slot)
    b.store(new_cap, cap_slot)
    b.branch(store)
    b.position_at_end(store)
    ptr = b.gep(b.load(ptr_slot), [b.sub(count, _i64(1))])
    b.store(value, ptr)


def _call_progress(cg, count, total, values) -> None:
    b = cg.b
    fn_ptr = cg.progress
    null = ir.Constant(L.PTR, None)
    call = cg.func.append_basic_block("progress.call")
    after = cg.func.append_basic_block("progress.done")
    b.cbranch(b.icmp_unsigned("!=", fn_ptr, null), call, after)
    b.position_at_end(call)
    callee = b.bitcast(fn_ptr, PROGRESS_TYPE.as_pointer())
    arg = b.gep(values, [_i64(0), _i64(0)]) if values is not None else ir.Constant(ir.DoubleType().as_pointer(), None)
    stop = b.call(callee, [count, total, arg])
    interrupted = cg.func.append_basic_block("progress.stop")
    b.cbranch(b.icmp_signed("!=", stop, ir.Constant(ir.IntType(32), 0)), interrupted, after)
    b.position_at_end(interrupted)
    b.ret(ir.Constant(ir.IntType(32), INTERRUPTED))
    b.position_at_end(after)
