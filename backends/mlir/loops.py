"""The MLIR lowering rule of `loop`: an `scf.while` that also stops once a run-time check failed.

    %x_1, %iters, %conv, %obj = loop %lo, %hi, %x {until=true, trace_dtypes=["f64"]} (%k, %x_2) {
      ...
      yield %x_next, %cond, %obj_k
    }

becomes (tensors carried in buffers, scalars and trace buffers as loop-carried values)

    %x = memref.alloc(%n) : memref<?xf64>          // the carried buffer, a copy of the initial x
    %obj = memref.alloc(%c64) : memref<?xf64>      // the trace, doubled when full
    %r:3 = scf.while (%k = %lo, %t = %obj, %stop = %false) : (i64, memref<?xf64>, i1) -> ... {
      // continue while k < hi, not stopped, and no run-time check failed
      scf.condition(%go) %k, %t, %stop : ...
    } do {
    ^bb0(%k: i64, %t: memref<?xf64>, %stop: i1):
      ... the body, reading %x ...
      // copy the next x into %x, append the trace value, report progress, free the iteration's buffers
      scf.yield %k_plus_1, %t_grown, %cond : ...
    }

A counted loop (no `until`) has no %stop. The body after an op with a check runs under `scf.if`
on the status (`FunctionEmitter.block`): when a check fails the iteration yields its arguments
unchanged and the condition ends the loop, so no later iteration or progress call runs (an
enclosing loop's body skips the rest, and that loop ends too). The number of iterations is the
final k minus lo; `converged` is the last `until` condition (or true for a loop without one). A next value that views one of the carried buffers (`x' = y`) is
copied aside first, so the copies into the carried buffers never overwrite what they read.
"""

from __future__ import annotations

from optc.backends.mlir.emit import Scalar, Tensor, known_equal
from optc.backends.mlir.rules import convert, one, rule, zero
from optc.backends.mlir.text import buffer_type, scalar_type
from optc.ir.core import Op, Value
from optc.ir.loop import loop_layout

TRACE_CAPACITY = 64  # initial length of a trace buffer


@rule("loop")
def _loop(fe, op: Op, lo: Scalar, hi: Scalar, *init):
    t = fe.t
    region = op.regions[0]
    layout = loop_layout(op)
    names = list(op.attrs.get("carried", ()))
    trace_dtypes = list(op.attrs.get("trace_dtypes", ()))
    outermost = fe.depth == 0
    loc = t.loc

    slots = [
        _slot(fe, v, x, names[i] if i < len(names) else "")
        for i, (v, x) in enumerate(zip(op.operands[2:], init))
    ]
    scalar_slots = [s for s in slots if isinstance(s, Scalar)]
    scalar_types = [scalar_type(s.dtype) for s in scalar_slots]
    trace_types = [buffer_type(d, 1) for d in trace_dtypes]
    traces = [
        t.op(f"memref.alloc({t.index(TRACE_CAPACITY)}) : {bt}", "trace") for bt in trace_types
    ]
    total = t.op(
        f"arith.maxsi {t.op(f'arith.subi {hi.name}, {lo.name} : i64')}, {zero(fe, 'i64')} : i64"
    )

    n_s, n_t = len(scalar_slots), len(traces)
    types = [*scalar_types, *trace_types] + (["i1"] if layout.until else [])

    def body(k: str, scalars: list[str], buffers: list[str]) -> list[str]:
        """One iteration: the next scalars, trace buffers and (with `until`) stop condition."""
        fe.depth += 1
        fe.scopes.append([])
        level, fe.level = fe.level, len(fe.scopes) - 1
        fe.env[region.args[0]] = Scalar(k, "i64")
        it = iter(scalars)
        for arg, slot in zip(region.args[1:], slots):
            fe.env[arg] = slot if isinstance(slot, Tensor) else Scalar(next(it), slot.dtype)

        def finish() -> list[str]:
            t.loc = loc
            yields = [fe.env[v] for v in region.results]
            nexts, rest = yields[: layout.carried], yields[layout.carried :]
            stop = [rest.pop(0).name] if layout.until else []
            _store_nexts(fe, op, slots, nexts)
            count = t.op(
                f"arith.addi {t.op(f'arith.subi {k}, {lo.name} : i64')}, {one(fe, 'i64')} : i64"
            )
            grown = [
                _append(fe, buf, dtype, count, value.name)
                for buf, dtype, value in zip(buffers, trace_dtypes, rest)
            ]
            if outermost and fe.report is not None:
                _report(fe, op, count, total, [convert(fe, v.name, v.dtype, "f64") for v in rest])
            return [*(n.name for n in nexts if isinstance(n, Scalar)), *grown, *stop]

        def skipped() -> list[str]:  # a check failed: the loop stops before the next iteration
            return [*scalars, *buffers] + ([one(fe, "bool")] if layout.until else [])

        out = fe.block(region.ops, finish, types, skipped)
        t.loc = loc
        fe.end_scope()
        fe.depth, fe.level = fe.depth - 1, level
        return out

    # Counted loops are `scf.while` too: every loop stops once a run-time check has failed.
    def before(args):
        go = t.op(f"arith.cmpi slt, {args[0]}, {hi.name} : i64")
        if layout.until:
            running = t.op(f"arith.xori {args[-1]}, {one(fe, 'bool')} : i1")
            go = t.op(f"arith.andi {go}, {running} : i1")
        status = t.op(f"memref.load {fe.status}[] : memref<i32>")
        ok = t.op(f"arith.cmpi eq, {status}, {t.const('0', 'i32')} : i32")
        return t.op(f"arith.andi {go}, {ok} : i1")

    def after(args):
        k = args[0]
        nexts = body(k, args[1 : 1 + n_s], args[1 + n_s : 1 + n_s + n_t])
        return [t.op(f"arith.addi {k}, {one(fe, 'i64')} : i64"), *nexts]

    inits = [lo.name, *(s.name for s in scalar_slots), *traces]
    inits += [zero(fe, "bool")] if layout.until else []
    out = t.while_(inits, ["i64", *types], before, after)
    iterations = t.op(f"arith.subi {out[0]}, {lo.name} : i64")
    converged = out[-1] if layout.until else one(fe, "bool")
    out = out[1 : 1 + n_s + n_t]
    finals = iter(out[:n_s])
    results = [s if isinstance(s, Tensor) else Scalar(next(finals), s.dtype) for s in slots]
    results += [Scalar(iterations, "i64"), Scalar(converged, "bool")]
    count = fe.to_index(Scalar(iterations, "i64"))
    for name, dtype in zip(out[n_s:], trace_dtypes):
        bt = buffer_type(dtype, 1)
        buf = Tensor(
            name, bt, dtype, [t.op(f"memref.dim {name}, {t.index(0)} : {bt}")], name, fresh=True
        )
        fe.scopes[-1].append(buf)  # the final trace buffer belongs to the enclosing scope
        vt = fe.module.view(dtype, 1)
        view = t.op(f"memref.subview {fe.as_view(buf)}[0] [{count}] [1] : {vt} to {vt}")
        results.append(Tensor(view, vt, dtype, [count], name))
    return results


def _slot(fe, value: Value, x, hint: str):
    """The buffer that carries a tensor through the loop: its initial value itself when that is
    a fresh buffer of this loop level that nothing else reads, else a copy of it."""
    if not isinstance(x, Tensor):
        return x
    if x.fresh and fe.uses.get(value) == 1 and any(x is y for y in fe.level_scopes()):
        return x
    return fe.copy(x, hint)


def _store_nexts(fe, op: Op, slots: list, nexts: list) -> None:
    """Copy each next tensor into its carried buffer, via a copy when it views a carried buffer."""
    region = op.regions[0]
    roots = {s.root for s in slots if isinstance(s, Tensor)}
    staged = []
    for slot, value in zip(slots, nexts):
        if not isinstance(slot, Tensor) or value is slot:
            staged.append(None)  # a scalar, or a state this iteration left unchanged
        else:
            staged.append(fe.copy(value) if value.root in roots else value)
    for i, (slot, value) in enumerate(zip(slots, staged)):
        if value is None:
            continue
        before, after = region.args[1 + i].type.shape, region.results[i].type.shape
        dims = [
            slot.dims[k]
            if known_equal(_dim(before, k), _dim(after, k))
            else fe.same_dim(
                op, slot.dims[k], value.dims[k], None, "?", "a state changed shape inside the loop"
            )
            for k in range(slot.rank)
        ]
        fe.copy_into(slot, value, dims)


def _dim(shape, k: int):
    return None if shape is None else shape[k]


def _append(fe, buf: str, dtype: str, count: str, value: str) -> str:
    """Store `value` at position count - 1 of a trace buffer, doubling it first if it is full."""
    t = fe.t
    bt = buffer_type(dtype, 1)
    n = t.op(f"arith.index_cast {count} : i64 to index")
    capacity = t.op(f"memref.dim {buf}, {t.index(0)} : {bt}")
    full = t.op(f"arith.cmpi sgt, {n}, {capacity} : index")

    def grow():
        bigger = t.op(
            f"memref.alloc({t.op(f'arith.muli {capacity}, {t.index(2)} : index')}) : {bt}"
        )
        t.nest(
            [capacity],
            lambda ivs: t.line(
                f"memref.store {t.op(f'memref.load {buf}[{ivs[0]}] : {bt}')}, {bigger}[{ivs[0]}] : {bt}"
            ),
        )
        t.line(f"memref.dealloc {buf} : {bt}")
        return [bigger]

    grown = t.if_(full, grow, lambda: [buf], [bt])[0]
    at = t.op(f"arith.subi {n}, {t.index(1)} : index")
    fe.store(value, Tensor(grown, bt, dtype, [], grown), [at])
    return grown


def _report(fe, op: Op, count: str, total: str, values: list[str]) -> None:
    """Call the progress callback when the caller asked for progress. It returns nonzero when
    it raised (Ctrl-C included): that fails a check, so the loop stops and the caller re-raises."""
    t = fe.t
    name = f"optc_progress_{len(values)}"
    types = ["i64", "i64"] + ["f64"] * len(values)
    fe.module.declare(name, types, ["i32"])
    fe.module.progress_arities.add(len(values))

    def call():
        args = ", ".join([count, total, *values])
        answer = t.op(f"func.call @{name}({args}) : ({', '.join(types)}) -> i32")
        stopped = t.op(f"arith.cmpi ne, {answer}, {t.const('0', 'i32')} : i32")
        fe.fail_if(stopped, op, "the progress callback raised an exception")

    status = t.op(f"memref.load {fe.status}[] : memref<i32>")
    ok = t.op(f"arith.cmpi eq, {status}, {t.const('0', 'i32')} : i32")
    t.if_(t.op(f"arith.andi {fe.report}, {ok} : i1"), call)  # not after a failed check
