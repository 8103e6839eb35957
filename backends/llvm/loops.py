"""Small helpers that emit counted loops and heap buffers with llvmlite's IRBuilder.

`counted_loop` emits `for i in [lo, hi)` with a phi induction variable and calls a body
callback; `nested_loops` does the same over several dimensions. Buffers come from `malloc`
and go back with `free`; both are declared on first use. Stack slots (`entry_alloca`) live in
the entry block.
"""

from __future__ import annotations

from typing import Callable

from llvmlite import ir

from optc.backends.llvm.scalar import I64

PTR = ir.PointerType(ir.IntType(8))


def counted_loop(b: ir.IRBuilder, lo, hi, body: Callable[[ir.IRBuilder, ir.Value], None], name: str = "i") -> None:
    """Emit `for i in range(lo, hi): body(b, i)`; the builder ends after the loop."""
    fn = b.function
    pre = b.block
    head = fn.append_basic_block(f"{name}.head")
    loop = fn.append_basic_block(f"{name}.body")
    done = fn.append_basic_block(f"{name}.done")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64, name)
    i.add_incoming(lo, pre)
    b.cbranch(b.icmp_signed("<", i, hi), loop, done)
    b.position_at_end(loop)
    body(b, i)
    nxt = b.add(i, ir.Constant(I64, 1))
    i.add_incoming(nxt, b.block)
    b.branch(head)
    b.position_at_end(done)


def nested_loops(b: ir.IRBuilder, dims: list, body: Callable[[ir.IRBuilder, list], None]) -> None:
    """Emit loops over every index of a shape (row-major order); `body(b, [i0, i1, …])`."""

    def level(b, k, idx):
        if k == len(dims):
            body(b, idx)
            return
        counted_loop(b, ir.Constant(I64, 0), dims[k], lambda b, i: level(b, k + 1, idx + [i]), f"d{k}")

    level(b, 0, [])


def entry_alloca(b: ir.IRBuilder, ty) -> ir.Value:
    """A stack slot in the function's entry block: LLVM promotes it to registers, and a slot
    used inside a loop does not grow the stack each iteration."""
    with b.goto_entry_block():
        return b.alloca(ty)


def declare(module: ir.Module, name: str, ret, args) -> ir.Function:
    """A declared external function (created once per module)."""
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ret, args), name)
    return fn


def malloc(b: ir.IRBuilder, nbytes) -> ir.Value:
    """Heap memory of at least `nbytes` (never a zero-size request)."""
    fn = declare(b.module, "malloc", PTR, [I64])
    size = b.select(b.icmp_signed("<", nbytes, ir.Constant(I64, 8)), ir.Constant(I64, 8), nbytes)
    return b.call(fn, [size])


def realloc(b: ir.IRBuilder, ptr, nbytes) -> ir.Value:
    fn = declare(b.module, "realloc", PTR, [PTR, I64])
    return b.call(fn, [ptr, nbytes])


def free(b: ir.IRBuilder, ptr) -> None:
    fn = declare(b.module, "free", ir.VoidType(), [PTR])
    b.call(fn, [b.bitcast(ptr, PTR)])


def memcpy(b: ir.IRBuilder, dst, src, nbytes) -> None:
    fn = declare(b.module, "llvm.memcpy.p0.p0.i64", ir.VoidType(), [PTR, PTR, I64, ir.IntType(1)])
    b.call(fn, [b.bitcast(dst, PTR), b.bitcast(src, PTR), nbytes, ir.Constant(ir.IntType(1), 0)])
