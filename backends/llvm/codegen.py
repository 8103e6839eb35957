"""LLVM code generation for whole IR functions (solvers, and optimizers with reductions).

Each IR function becomes one native function with a fixed ABI:

    i32 name(i8** inputs, i64* input_shapes, i8** outputs, i64* output_shapes, i8* progress)

`inputs[i]` points at argument i (a scalar's value, or a tensor's contiguous data);
`input_shapes` lists every tensor argument's dims in order. The function `malloc`s each result
(the caller copies and frees it) and writes result dims to `output_shapes`. It returns 0, or
1 + the index of the op that failed (an index out of range, a shape mismatch at run time), so
the caller can report the user's line. `progress`, if not null, is called after each iteration
of the outermost loop with the iteration, the maximum and the latest trace values; if it
returns non-zero (the Python side caught an exception, e.g. Ctrl-C), the function returns -1.

Tensors are (pointer, dims, strides) views, so `A[:, j]`, `x[a:b]` and `A.T` cost nothing.
Elementwise ops are fused: consecutive elementwise ops of one shape form a group computed in a
single loop, and only values used outside the group are stored. Loops carry states in buffers
of their own; reductions, products and indexing are loops of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from optc.backends.llvm import blas, lapack
from optc.backends.llvm import loops as L
from optc.backends.llvm.philox import bounded_draw, random_element
from optc.backends.llvm.scalar import I1, I8, I64, LL_TYPES, MEM_TYPES, SCALAR_RULES, const, intrinsic
from optc.backends.numpy.rules import format_template
from optc.errors import InternalError
from optc.ir.core import Block, Function, Op, Value
from optc.ir.graph import free_values, internal_uses, shape_key, static_one, use_counts
from optc.ir.ops import OPS, SOLVE_MISMATCH, SOLVE_NOT_SQUARE, SOLVE_SINGULAR

I32 = ir.IntType(32)
PTR = L.PTR
ENTRY_TYPE = ir.FunctionType(I32, [PTR.as_pointer(), I64.as_pointer(), PTR.as_pointer(), I64.as_pointer(), PTR])
PROGRESS_TYPE = ir.FunctionType(ir.IntType(32), [I64, I64, ir.DoubleType().as_pointer()])  # non-zero: stop
INTERRUPTED = -1  # the return code when the progress callback asked to stop
NEGATIVE_POWER = "Integers to negative integer powers are not allowed."
UNSUPPORTED: set[str] = {"call"}
ELEMENT_SIZE = {"f64": 8, "f32": 4, "i64": 8, "bool": 1}
# Sums may be reassociated (vectorized with partial sums, as NumPy's pairwise summation also
# reorders them): results differ from a sequential sum in the last bits only. Nothing else is.
REASSOC = ("reassoc",)  # removed by the inline pass before code generation


@dataclass
class Tensor:
    """A tensor during code generation: element pointer, dims and strides (in elements)."""

    ptr: ir.Value
    dims: list
    strides: list
    dtype: str
    contiguous: bool

    @property
    def rank(self) -> int:
        return len(self.dims)


def _i64(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


def contiguous_strides(b: ir.IRBuilder, dims: list) -> list:
    """Row-major strides of a shape."""
    strides = [_i64(1)] * len(dims)
    for k in range(len(dims) - 2, -1, -1):
        strides[k] = b.mul(strides[k + 1], dims[k + 1])
    return strides


def numel(b: ir.IRBuilder, dims: list):
    n = _i64(1)
    for d in dims:
        n = b.mul(n, d)
    return n


class ErrorSites:
    """Ops that can fail at run time; a failing op returns 1 + its index here."""

    def __init__(self) -> None:
        self.sites: list[tuple[Op, str]] = []

    def add(self, op: Op, message: str) -> int:
        self.sites.append((op, message))
        return len(self.sites)


class FunctionCodegen:
    """Generates one IR function into an llvmlite module."""

    def __init__(self, module: ir.Module, fn: Function, symbol: str, errors: ErrorSites):
        self.module = module
        self.fn = fn
        self.errors = errors
        self.func = ir.Function(module, ENTRY_TYPE, symbol)
        self.env: dict[Value, object] = {}
        self.owned: list[list] = [[]]  # buffers to free, per scope
        self.uses = use_counts(fn.body)
        self.progress = None
        self.depth = 0
        self.emitted: set[Op] = set()  # ops whose code is already emitted (for in-place checks)
        self.loops: list[Block] = []  # regions of the loops being emitted, innermost last

    # ---------------------------------------------------------------- entry and exit

    def generate(self) -> None:
        ins, in_shapes, outs, out_shapes, progress = self.func.args
        entry = self.func.append_basic_block("entry")
        self.b = ir.IRBuilder(entry)
        self.progress = progress
        offset = 0
        for i, p in enumerate(self.fn.params):
            raw = self.b.load(self.b.gep(ins, [_i64(i)]))
            if p.type.is_scalar:
                ptr = self.b.bitcast(raw, MEM_TYPES[p.type.dtype].as_pointer())
                self.env[p] = self.load_scalar(ptr, p.type.dtype)
                continue
            rank = 1 if p.type.shape is None else len(p.type.shape)
            dims = [self.b.load(self.b.gep(in_shapes, [_i64(offset + k)])) for k in range(rank)]
            offset += rank
            ptr = self.b.bitcast(raw, MEM_TYPES[p.type.dtype].as_pointer())
            self.env[p] = Tensor(ptr, dims, contiguous_strides(self.b, dims), p.type.dtype, True)
        for p in _column_accessed(self.fn):
            self.env[p] = self.column_major(self.env[p])
        self.block(self.fn.body.ops)
        offset = 0
        keep = set()
        for i, v in enumerate(self.fn.body.results):
            value = self.env[v]
            slot = self.b.gep(outs, [_i64(i)])
            if isinstance(value, Tensor):
                # Each output gets a buffer of its own: copy views, inputs and repeated results.
                reuse = self._is_owned(value) and id(value.ptr) not in keep
                out = value if reuse else self.materialize(value, owned=False)
                keep.add(id(out.ptr))
                for k, d in enumerate(out.dims):
                    self.b.store(d, self.b.gep(out_shapes, [_i64(offset + k)]))
                offset += out.rank
                self.b.store(self.b.bitcast(out.ptr, PTR), slot)
            else:
                dtype = v.type.dtype
                buf = self.b.bitcast(L.malloc(self.b, _i64(8)), MEM_TYPES[dtype].as_pointer())
                self.store_scalar(value, buf, dtype)
                self.b.store(self.b.bitcast(buf, PTR), slot)
        for ptr in self.owned[0]:
            if id(ptr) not in keep:
                L.free(self.b, ptr)
        self.b.ret(ir.Constant(I32, 0))

    def _is_owned(self, t: Tensor) -> bool:
        return t.contiguous and any(p is t.ptr for p in self.owned[-1])

    # ---------------------------------------------------------------- memory

    def load_scalar(self, ptr, dtype: str):
        v = self.b.load(ptr)
        return self.b.trunc(v, I1) if dtype == "bool" else v

    def store_scalar(self, value, ptr, dtype: str) -> None:
        self.b.store(self.b.zext(value, I8) if dtype == "bool" else value, ptr)

    def alloc(self, dims: list, dtype: str, owned: bool = True) -> Tensor:
        """A fresh contiguous buffer (freed at the end of the current scope if `owned`)."""
        n = numel(self.b, dims)
        size = ELEMENT_SIZE[dtype]
        raw = L.malloc(self.b, self.b.mul(n, _i64(size)))
        ptr = self.b.bitcast(raw, MEM_TYPES[dtype].as_pointer())
        if owned:
            self.owned[-1].append(ptr)
        return Tensor(ptr, list(dims), contiguous_strides(self.b, dims), dtype, True)

    def element_ptr(self, t: Tensor, idx: list):
        offset = _i64(0)
        for i, s in zip(idx, t.strides):
            offset = self.b.add(offset, self.b.mul(i, s))
        return self.b.gep(t.ptr, [offset])

    def materialize(self, t: Tensor, owned: bool = True) -> Tensor:
        """A contiguous copy of a tensor (view)."""
        out = self.alloc(t.dims, t.dtype, owned)
        if t.contiguous:
            size = ELEMENT_SIZE[t.dtype]
            L.memcpy(self.b, out.ptr, t.ptr, self.b.mul(numel(self.b, t.dims), _i64(size)))
            return out

        def body(b, idx):
            b.store(b.load(self.element_ptr(t, idx)), self.element_ptr(out, idx))

        L.nested_loops(self.b, t.dims, body)
        return out

    def column_major(self, t: Tensor) -> Tensor:
        """A column-major copy of a matrix, so that its columns are contiguous."""
        m, n = t.dims
        out = self.alloc([n, m], t.dtype)
        view = Tensor(out.ptr, [m, n], [_i64(1), m], t.dtype, False)
        L.nested_loops(self.b, [m, n], lambda b, idx: b.store(b.load(self.element_ptr(t, idx)), self.element_ptr(view, idx)))
        return view

    def in_place_slot(self, value: Value, readers: set[Op], shape) -> Tensor | None:
        """The carried buffer `value` may be written into directly, or None.

        `value` must be the next value of a state of the innermost loop, and every other read
        of that state's current value must already be emitted and must not be a view (a view
        would see the new values); `readers` (the ops computing `value`) read it elementwise."""
        if not self.loops:
            return None
        region = self.loops[-1]
        n_carried = len(region.args) - 1
        positions = [i for i, r in enumerate(region.results[:n_carried]) if r is value]
        if len(positions) != 1:
            return None
        arg = region.args[1 + positions[0]]
        if arg.type.shape != shape or any(r is arg for r in region.results):
            return None
        for op in region.ops:
            if op in readers or not _reads(op, arg):
                continue
            if op not in self.emitted or _is_view(op):
                return None
        slot = self.env[arg]
        return slot if isinstance(slot, Tensor) and slot.contiguous else None

    def fail_if(self, cond, op: Op, message: str, details: tuple = ()) -> None:
        """Return the error code of `op` when `cond` holds; up to 3 int `details` are written to
        `output_shapes` for the message's `{0}`, `{1}`, `{2}` (the offending index, the length)."""
        code = self.errors.add(op, message)
        bad = self.func.append_basic_block("fail")
        ok = self.func.append_basic_block("ok")
        self.b.cbranch(cond, bad, ok)
        self.b.position_at_end(bad)
        out_shapes = self.func.args[3]
        for k, value in enumerate(details[:3]):
            self.b.store(value, self.b.gep(out_shapes, [_i64(k)]))
        self.b.ret(ir.Constant(I32, code))
        self.b.position_at_end(ok)

    # ---------------------------------------------------------------- blocks

    def block(self, ops: tuple[Op, ...]) -> None:
        """Emit a block's ops, fusing runs of elementwise ops of one shape into loops."""
        groups: dict[tuple, list[Op]] = {}
        member: dict[Value, tuple] = {}

        def flush(key):
            ops_ = groups.pop(key)
            for op in ops_:
                for r in op.results:
                    member.pop(r, None)
            self.fused(ops_)

        for op in ops:
            category = OPS[op.opcode].category
            tensor_result = category == "elementwise" and not op.results[0].type.is_scalar
            key = shape_key(op.results[0].type) if tensor_result else None
            for v in op.operands:
                k = member.get(v)
                fusable = op.opcode in FUSABLE_REDUCTIONS and self.uses.get(v) == 1
                if k is not None and k != key and not fusable:
                    flush(k)
            if tensor_result:
                groups.setdefault(key, []).append(op)
                for r in op.results:
                    member[r] = key
                continue
            if op.opcode in FUSABLE_REDUCTIONS and op.operands[0] in member and self.uses.get(op.operands[0]) == 1:
                self.fused_reduction(op, groups, member, flush)
                continue
            for region in op.regions:  # a loop reading an open group's value needs it stored
                for v in free_values(region):
                    k = member.get(v)
                    if k is not None:
                        flush(k)
            self.op(op)
        for key in list(groups):
            flush(key)

    def fused_reduction(self, op: Op, groups: dict, member: dict, flush) -> None:
        """A reduction computing its operand's elementwise expression on the fly (no temporary).

        The ops only this reduction needs leave their group; ops also used elsewhere stay in it
        (and are recomputed here, which is cheaper than storing and reloading them)."""
        v = op.operands[0]
        key = member[v]
        group = groups[key]
        closure = _closure(v, group)
        for c in closure:  # values from other open groups must be stored first
            for x in c.operands:
                other = member.get(x)
                if other is not None and other != key:
                    flush(other)
        removed: list[Op] = []
        for c in reversed(closure):  # an op goes when all its readers went (or are this reduction)
            r = c.results[0]
            covered = sum(sum(1 for x in o.operands if x is r) for o in removed) + (1 if r is v else 0)
            if self.uses.get(r, 0) == covered:
                removed.append(c)
                group.remove(c)
                member.pop(r, None)
                self.emitted.add(c)
        if not group:
            del groups[key]
        src = self.fused_source(closure)
        self.env[op.results[0]] = getattr(self, f"op_{op.opcode}")(op, None, src)
        self.emitted.add(op)

    def op(self, op: Op) -> None:
        method = getattr(self, f"op_{op.opcode}", None)
        if op.opcode in SCALAR_RULES and OPS[op.opcode].category == "elementwise":
            args = [self.env[v] for v in op.operands]
            dtype = op.operands[0].type.dtype if op.operands else op.results[0].type.dtype
            if op.opcode == "select":
                dtype = op.operands[1].type.dtype
            if op.opcode == "pow" and dtype == "i64":
                self.fail_if(self.b.icmp_signed("<", args[1], _i64(0)), op, NEGATIVE_POWER)
            self.env[op.results[0]] = SCALAR_RULES[op.opcode](self.b, op, dtype, *args)
            self.emitted.add(op)
            return
        if method is None:
            raise InternalError(f"the llvm backend has no rule for `{op.opcode}` (at {op.where()})")
        result = method(op, *[self.env[v] for v in op.operands])
        if op.opcode != "loop" and op.results:
            self.env[op.results[0]] = result
        self.emitted.add(op)

    # ---------------------------------------------------------------- fused elementwise groups

    def fused(self, group: list[Op]) -> None:
        """One loop computing a group of elementwise ops of the same shape."""
        outputs = [op.results[0] for op in group if self.uses.get(op.results[0], 0) > internal_uses(op.results[0], group)]
        out_type = group[-1].results[0].type
        inputs = self._group_inputs(group)
        dims = self.group_dims(out_type, inputs, group)
        members = set(group)
        out_tensors = {}
        for v in outputs:
            slot = self.in_place_slot(v, members, out_type.shape)
            out_tensors[v] = slot if slot is not None and slot not in out_tensors.values() else self.alloc(dims, v.type.dtype)
        in_tensors = {v: self.env[v] for v in inputs}
        flat = all(t.contiguous and v.type.shape == out_type.shape for v, t in in_tensors.items())
        read = self._reader(in_tensors, flat, len(dims))

        def element(b: ir.IRBuilder, idx: list) -> None:
            local: dict[Value, object] = {}
            _evaluate(b, group, read, idx, local)
            for v, t in out_tensors.items():
                ptr = b.gep(t.ptr, idx) if flat else b.gep(t.ptr, [_flat_index(b, idx, t.strides)])
                value = local[v]
                b.store(b.zext(value, I8) if t.dtype == "bool" else value, ptr)

        int_pows = [op for op in group if op.opcode == "pow" and op.operands[0].type.dtype == "i64"]
        flags = [L.entry_alloca(self.b, I1) for _ in int_pows]  # NumPy refuses an int to a negative int power
        for flag in flags:
            self.b.store(ir.Constant(I1, 0), flag)

        def checked_element(b: ir.IRBuilder, idx: list) -> None:
            element(b, idx)
            for op, flag in zip(int_pows, flags):
                exponent = read(b, op.operands[1], idx, {})
                b.store(b.or_(b.load(flag), b.icmp_signed("<", exponent, _i64(0))), flag)

        if flat:
            L.counted_loop(self.b, _i64(0), numel(self.b, dims), lambda b, i: checked_element(b, [i]))
        else:
            L.nested_loops(self.b, dims, checked_element)
        for op, flag in zip(int_pows, flags):
            self.fail_if(self.b.load(flag), op, NEGATIVE_POWER)
        for v, t in out_tensors.items():
            self.env[v] = t
        self.emitted.update(group)

    def _group_inputs(self, group: list[Op]) -> list[Value]:
        """Tensors a group reads from outside it, in order of first use."""
        produced = {r for op in group for r in op.results}
        inputs = []
        for op in group:
            for v in op.operands:
                if v not in produced and v not in inputs and isinstance(self.env[v], Tensor):
                    inputs.append(v)
        return inputs

    def _reader(self, in_tensors: dict, flat: bool, rank: int):
        """`read(b, value, idx, local)`: a value at an index of the group's shape (scalars as is)."""

        def read(b: ir.IRBuilder, v: Value, idx: list, local: dict):
            if v in local:
                return local[v]
            t = in_tensors.get(v)
            if t is None:
                return self.env[v]  # a scalar from outside the loop
            if flat:
                ptr = b.gep(t.ptr, idx)
            else:
                offset = _i64(0)
                shift = rank - t.rank
                for k in range(t.rank):
                    if static_one(v.type, k):
                        continue
                    offset = b.add(offset, b.mul(idx[shift + k], t.strides[k]))
                ptr = b.gep(t.ptr, [offset])
            value = b.load(ptr)
            return b.trunc(value, I1) if t.dtype == "bool" else value

        return read

    def fused_source(self, closure: list[Op]) -> "Source":
        """The elements of the last value of an elementwise closure, computed on the fly."""
        out_type = closure[-1].results[0].type
        inputs = self._group_inputs(closure)
        dims = self.group_dims(out_type, inputs, closure)
        in_tensors = {v: self.env[v] for v in inputs}
        flat = all(t.contiguous and v.type.shape == out_type.shape for v, t in in_tensors.items())
        target = closure[-1].results[0]

        def getter(read):
            def get(b: ir.IRBuilder, idx: list):
                local: dict[Value, object] = {}
                _evaluate(b, closure, read, idx, local)
                return local[target]

            return get

        nested = getter(self._reader(in_tensors, False, len(dims)))
        return Source(dims, flat, nested, out_type.dtype, getter(self._reader(in_tensors, True, len(dims))))

    def tensor_source(self, t: Tensor) -> "Source":
        """The elements of a tensor."""

        def get(b: ir.IRBuilder, idx: list):
            v = b.load(self.element_ptr(t, idx))
            return b.trunc(v, I1) if t.dtype == "bool" else v

        def get_flat(b: ir.IRBuilder, idx: list):
            v = b.load(b.gep(t.ptr, idx))
            return b.trunc(v, I1) if t.dtype == "bool" else v

        return Source(t.dims, t.contiguous, get, t.dtype, get_flat)

    def group_dims(self, out_type, inputs: list[Value], group: list[Op]) -> list:
        """Runtime dims of a group's shape, checking operands whose dims are not known equal."""
        shape = out_type.shape if out_type.shape is not None else (None,)
        rank = len(shape)
        dims: list = [None] * rank
        for k in range(rank):
            if isinstance(shape[k], int):
                dims[k] = _i64(shape[k])
        for v in inputs:
            t = self.env[v]
            vshape = v.type.shape if v.type.shape is not None else (None,)
            shift = rank - len(vshape)
            for k in range(len(vshape)):
                if static_one(v.type, k):
                    continue
                if dims[shift + k] is None:
                    dims[shift + k] = t.dims[k]
                elif not (isinstance(vshape[k], str) and vshape[k] == shape[shift + k] and vshape[k] != "?"):
                    if not isinstance(vshape[k], int):
                        self.fail_if(self.b.icmp_signed("!=", t.dims[k], dims[shift + k]), group[0],
                                     "operands have different lengths")
        if any(d is None for d in dims):
            raise InternalError(f"cannot determine the shape {out_type} of a fused group at {group[0].where()}")
        return dims

    # ---------------------------------------------------------------- constants and shapes

    def op_const(self, op: Op):
        return const(op.attrs["dtype"], op.attrs["value"])

    def op_check(self, op: Op, ok) -> None:
        """`require`: return the check's error code (its message) when the condition is false."""
        self.fail_if(self.b.not_(ok), op, format_template(op.attrs["message"]))

    def op_dimsize(self, op: Op, x):
        return x.dims[op.attrs["axis"] % x.rank]

    def op_numel(self, op: Op, x):
        return numel(self.b, x.dims) if isinstance(x, Tensor) else _i64(1)

    def op_full(self, op: Op, value, *dims):
        for d in dims:
            self.fail_if(self.b.icmp_signed("<", d, _i64(0)), op, "a dimension is negative")
        out = self.alloc(list(dims), op.results[0].type.dtype)
        self._fill(out, value)
        return out

    def op_full_like(self, op: Op, like, value):
        if not isinstance(like, Tensor):
            return value
        out = self.alloc(like.dims, op.results[0].type.dtype)
        self._fill(out, value)
        return out

    def _fill(self, out: Tensor, value) -> None:
        stored = self.b.zext(value, I8) if out.dtype == "bool" else value
        L.counted_loop(self.b, _i64(0), numel(self.b, out.dims), lambda b, i: b.store(stored, b.gep(out.ptr, [i])))

    def op_eye(self, op: Op, n):
        dtype = op.attrs["dtype"]
        out = self.alloc([n, n], dtype)
        self._fill(out, const(dtype, 0))
        one = const(dtype, 1)
        L.counted_loop(self.b, _i64(0), n, lambda b, i: b.store(one, b.gep(out.ptr, [b.mul(i, b.add(n, _i64(1)))])))
        return out

    # ---------------------------------------------------------------- random numbers (philox.py)

    def op_random(self, op: Op, seed, counter, *dims):
        for d in dims:
            self.fail_if(self.b.icmp_signed("<", d, _i64(0)), op, "a dimension is negative")
        return self._random_fill(op, self.alloc(list(dims), op.attrs["dtype"]), seed, counter)

    def op_random_like(self, op: Op, like, seed, counter):
        if not isinstance(like, Tensor):
            return random_element(self.b, op.attrs["dist"], op.attrs["dtype"], seed, counter, _i64(0))
        return self._random_fill(op, self.alloc(like.dims, op.attrs["dtype"]), seed, counter)

    def _random_fill(self, op: Op, out: Tensor, seed, counter) -> Tensor:
        dist, dtype = op.attrs["dist"], op.attrs["dtype"]
        L.counted_loop(self.b, _i64(0), numel(self.b, out.dims), lambda b, i: b.store(
            random_element(b, dist, dtype, seed, counter, i), b.gep(out.ptr, [i])), "rng")
        return out

    def op_random_subset(self, op: Op, seed, counter, n, k):
        """A Fisher-Yates shuffle of 0..n-1 stopped after k steps (the NumPy rule's definition)."""
        b = self.b
        bad = b.or_(b.icmp_signed("<", k, _i64(0)), b.icmp_signed(">", k, n))
        self.fail_if(b.or_(bad, b.icmp_signed("<", n, _i64(0))), op,
                     "cannot choose k = {1} distinct indices of 0..n-1 for n = {0}", (n, k))
        too_large = b.icmp_signed(">", n, _i64(2**32))
        self.fail_if(too_large, op, "random_subset needs n <= 2^32, got n = {0}", (n,))
        perm = self.alloc([n], "i64")
        L.counted_loop(b, _i64(0), n, lambda b, i: b.store(i, b.gep(perm.ptr, [i])), "iota")

        def step(b, i):
            j = b.add(i, bounded_draw(b, seed, counter, i, b.sub(n, i)))
            pi, pj = b.gep(perm.ptr, [i]), b.gep(perm.ptr, [j])
            vi, vj = b.load(pi), b.load(pj)
            b.store(vj, pi)
            b.store(vi, pj)

        L.counted_loop(b, _i64(0), k, step, "shuffle")
        out = self.alloc([k], "i64")
        L.memcpy(b, out.ptr, perm.ptr, b.mul(k, _i64(ELEMENT_SIZE["i64"])))
        return out

    # ---------------------------------------------------------------- indexing

    def _index_view(self, op: Op, x: Tensor, indices):
        """(offset pointer, dims, strides) of `x[spec]`, bounds-checked."""
        spec = op.attrs["spec"]
        offset, dims, strides, k = _i64(0), [], [], 0
        for axis, c in enumerate(spec):
            n, s = x.dims[axis], x.strides[axis]
            if c == ":":
                dims.append(n)
                strides.append(s)
                continue
            if c == "i":
                given = indices[k]
                k += 1
                i = self.b.select(self.b.icmp_signed("<", given, _i64(0)), self.b.add(given, n), given)
                bad = self.b.or_(self.b.icmp_signed("<", i, _i64(0)), self.b.icmp_signed(">=", i, n))
                self.fail_if(bad, op, f"index {{0}} is out of range for axis {axis} of length {{1}}", (given, n))
                offset = self.b.add(offset, self.b.mul(i, s))
                continue
            lo, hi = indices[k], indices[k + 1]
            k += 2
            bad = self.b.or_(self.b.icmp_signed("<", lo, _i64(0)),
                             self.b.or_(self.b.icmp_signed(">", lo, hi), self.b.icmp_signed(">", hi, n)))
            self.fail_if(bad, op, f"slice {{0}}:{{1}} is out of range for axis {axis} of length {{2}}", (lo, hi, n))
            length = self.b.sub(hi, lo)
            offset = self.b.add(offset, self.b.mul(lo, s))
            dims.append(length)
            strides.append(s)
        return self.b.gep(x.ptr, [offset]), dims, strides

    def op_index(self, op: Op, x: Tensor, *indices):
        ptr, dims, strides = self._index_view(op, x, indices)
        if not dims:
            return self.load_scalar(ptr, x.dtype)
        # Leading integer indices then whole axes keep a contiguous tensor contiguous; so does
        # any 1-D view whose stride is the constant 1 (a column of a column-major copy).
        contiguous = x.contiguous and set(op.attrs["spec"].lstrip("i")) <= {":"}
        contiguous = contiguous or (len(dims) == 1 and _is_one(strides[0]))
        return Tensor(ptr, dims, strides, x.dtype, contiguous)

    def op_setindex(self, op: Op, x: Tensor, v, *indices):
        slot = self.in_place_slot(op.results[0], {op}, op.operands[0].type.shape)
        out = slot if slot is not None and slot.ptr is x.ptr else self.materialize(x)
        ptr, dims, strides = self._index_view(op, out, indices)
        if not dims:
            self.store_scalar(v, ptr, x.dtype)
            return out
        target = Tensor(ptr, dims, strides, x.dtype, False)
        if not isinstance(v, Tensor):
            L.nested_loops(self.b, dims, lambda b, idx: self.store_scalar(v, self.element_ptr(target, idx), x.dtype))
            return out
        shift = len(dims) - v.rank
        for k in range(v.rank):
            if not static_one(op.operands[1].type, k):
                self.fail_if(self.b.icmp_signed("!=", v.dims[k], dims[shift + k]), op, "the value does not fit the indexed part")

        def body(b, idx):
            src_idx = [_i64(0) if static_one(op.operands[1].type, k) else idx[shift + k] for k in range(v.rank)]
            b.store(b.load(self.element_ptr(v, src_idx)), self.element_ptr(target, idx))

        L.nested_loops(self.b, dims, body)
        return out

    def op_transpose(self, op: Op, x: Tensor):
        return Tensor(x.ptr, x.dims[::-1], x.strides[::-1], x.dtype, False)

    # ---------------------------------------------------------------- reductions

    def _reduce(self, op: Op, src: "Source", init, combine):
        """Reduce over `axis` (None: all elements) with `combine(b, acc, value) -> acc`.

        Elements are visited in row-major order (one flat loop when the source allows), and an
        axis reduction accumulates into its output row by row, so both read memory in order."""
        dtype = op.results[0].type.dtype
        axis = op.attrs.get("axis") if len(src.dims) > 1 else None  # a vector's axis 0 is all of it
        if axis is None:
            acc_ptr = L.entry_alloca(self.b, LL_TYPES[dtype] if dtype != "bool" else I1)
            self.b.store(init, acc_ptr)

            def body(b, idx):
                b.store(combine(b, b.load(acc_ptr), src.get(b, idx)), acc_ptr)

            if src.flat:
                L.counted_loop(self.b, _i64(0), numel(self.b, src.dims),
                               lambda b, i: b.store(combine(b, b.load(acc_ptr), src.get_flat(b, [i])), acc_ptr))
            else:
                L.nested_loops(self.b, src.dims, body)
            return self.b.load(acc_ptr)
        axis %= len(src.dims)
        out_dims = src.dims[:axis] + src.dims[axis + 1 :]
        out = self.alloc(out_dims, dtype)
        self._fill(out, init)

        def body(b, idx):
            ptr = self.element_ptr(out, idx[:axis] + idx[axis + 1 :])
            b.store(combine(b, b.load(ptr), src.get(b, idx)), ptr)

        L.nested_loops(self.b, src.dims, body)
        return out

    def _load(self, t: Tensor, idx):
        v = self.b.load(self.element_ptr(t, idx))
        return self.b.trunc(v, I1) if t.dtype == "bool" else v

    def op_reduce_sum(self, op: Op, x, src: "Source | None" = None):
        src = src or self.tensor_source(x)
        dtype = src.dtype
        add = (lambda b, a, v: b.fadd(a, v, flags=REASSOC)) if dtype in ("f32", "f64") else (lambda b, a, v: b.add(a, v))
        return self._reduce(op, src, const(dtype, 0), add)

    def _minmax(self, op: Op, src: "Source", kind: str):
        dtype = src.dtype
        self.fail_if(self.b.icmp_signed("==", numel(self.b, src.dims), _i64(0)), op, f"{kind} of an empty tensor")
        if dtype in ("f32", "f64"):
            init = const(dtype, float("-inf") if kind == "maximum" else float("inf"))
            return self._reduce(op, src, init, lambda b, a, v: intrinsic(b, kind, dtype, a, v))
        init = const(dtype, -(2**63) if kind == "maximum" else 2**63 - 1)
        cmp = ">" if kind == "maximum" else "<"
        return self._reduce(op, src, init, lambda b, a, v: b.select(b.icmp_signed(cmp, v, a), v, a))

    def op_reduce_max(self, op: Op, x, src: "Source | None" = None):
        return self._minmax(op, src or self.tensor_source(x), "maximum")

    def op_reduce_min(self, op: Op, x, src: "Source | None" = None):
        return self._minmax(op, src or self.tensor_source(x), "minimum")

    def op_logsumexp(self, op: Op, x: Tensor):
        dtype = x.dtype
        self.fail_if(self.b.icmp_signed("==", numel(self.b, x.dims), _i64(0)), op, "logsumexp of an empty tensor")
        mx = self._reduce(op, self.tensor_source(x), const(dtype, float("-inf")),
                          lambda b, a, v: intrinsic(b, "maximum", dtype, a, v))
        axis = op.attrs.get("axis") if x.rank > 1 else None
        zero = const(dtype, 0)

        def shift_of(b, m):
            finite = b.fcmp_ordered("<", intrinsic(b, "fabs", dtype, m), const(dtype, float("inf")))
            return b.select(finite, m, zero)

        if axis is None:
            shift = shift_of(self.b, mx)
            total = self._reduce(op, self.tensor_source(x), zero,
                                 lambda b, a, v: b.fadd(a, intrinsic(b, "exp", dtype, b.fsub(v, shift))))
            return self.b.fadd(intrinsic(self.b, "log", dtype, total), shift)
        axis %= x.rank
        out = self.alloc(mx.dims, dtype)
        acc_ptr = L.entry_alloca(self.b, LL_TYPES[dtype])

        def outer(b, idx):
            shift = shift_of(b, b.load(self.element_ptr(mx, idx)))
            b.store(zero, acc_ptr)

            def inner(b, j):
                v = self._load(x, idx[:axis] + [j] + idx[axis:])
                b.store(b.fadd(b.load(acc_ptr), intrinsic(b, "exp", dtype, b.fsub(v, shift))), acc_ptr)

            L.counted_loop(b, _i64(0), x.dims[axis], inner, "r")
            b.store(b.fadd(intrinsic(b, "log", dtype, b.load(acc_ptr)), shift), self.element_ptr(out, idx))

        L.nested_loops(self.b, mx.dims, outer)
        return out

    def _arg(self, op: Op, x: Tensor, kind: str):
        self.fail_if(self.b.icmp_signed("==", numel(self.b, x.dims), _i64(0)), op, f"{op.opcode} of an empty tensor")
        dtype = x.dtype
        axis = op.attrs.get("axis") if x.rank > 1 else None
        best_ptr = L.entry_alloca(self.b, LL_TYPES[dtype])
        at_ptr = L.entry_alloca(self.b, I64)
        cmp = ">" if kind == "max" else "<"

        def better(b, v, best):
            if dtype in ("f32", "f64"):
                v_nan = b.fcmp_unordered("uno", v, v)
                best_nan = b.fcmp_unordered("uno", best, best)
                return b.and_(b.not_(best_nan), b.or_(v_nan, b.fcmp_ordered(cmp, v, best)))
            return b.icmp_signed(cmp, v, best)

        def scan(b, get, n):
            b.store(get(b, _i64(0)), best_ptr)
            b.store(_i64(0), at_ptr)

            def step(b, j):
                v = get(b, j)
                take = better(b, v, b.load(best_ptr))
                b.store(b.select(take, v, b.load(best_ptr)), best_ptr)
                b.store(b.select(take, j, b.load(at_ptr)), at_ptr)

            L.counted_loop(b, _i64(1), n, step, "a")
            return b.load(at_ptr)

        if axis is None:
            flat = self.materialize(x) if not x.contiguous else x

            def element(b, j):
                v = b.load(b.gep(flat.ptr, [j]))
                return b.trunc(v, I1) if flat.dtype == "bool" else v

            return scan(self.b, element, numel(self.b, x.dims))
        axis %= x.rank
        out_dims = x.dims[:axis] + x.dims[axis + 1 :]
        out = self.alloc(out_dims, "i64")

        def outer(b, idx):
            at = scan(b, lambda b, j: self._load(x, idx[:axis] + [j] + idx[axis:]), x.dims[axis])
            b.store(at, self.element_ptr(out, idx))

        L.nested_loops(self.b, out_dims, outer)
        return out

    def op_argmax(self, op: Op, x: Tensor):
        return self._arg(op, x, "max")

    def op_argmin(self, op: Op, x: Tensor):
        return self._arg(op, x, "min")

    # ---------------------------------------------------------------- linear algebra

    def _sum_loop(self, dtype, n, term):
        acc = L.entry_alloca(self.b, LL_TYPES[dtype])
        self.b.store(const(dtype, 0), acc)
        L.counted_loop(self.b, _i64(0), n, lambda b, k: b.store(b.fadd(b.load(acc), term(b, k), flags=REASSOC), acc), "k")
        return self.b.load(acc)

    def op_dot(self, op: Op, x: Tensor, y: Tensor):
        self._check_inner(op, x.dims[0], y.dims[0])
        return self._sum_loop(x.dtype, x.dims[0], lambda b, k: b.fmul(self._load(x, [k]), self._load(y, [k])))

    def _check_inner(self, op: Op, a, b) -> None:
        self.fail_if(self.b.icmp_signed("!=", a, b), op, "inner dimensions differ")

    def _blas_layout(self, t: Tensor):
        """(usable, row-major, leading dimension) of a matrix view for Fortran BLAS."""
        b = self.b
        rows, cols = t.dims
        s0, s1 = t.strides
        limit = _i64(2**31 - 1)
        row_major = b.and_(b.icmp_signed("==", s1, _i64(1)), b.icmp_signed(">=", s0, _max(b, cols, _i64(1))))
        col_major = b.and_(b.icmp_signed("==", s0, _i64(1)), b.icmp_signed(">=", s1, _max(b, rows, _i64(1))))
        small = b.and_(b.icmp_signed("<", rows, limit), b.icmp_signed("<", cols, limit))
        nonempty = b.and_(b.icmp_signed(">", rows, _i64(0)), b.icmp_signed(">", cols, _i64(0)))
        usable = b.and_(b.and_(b.or_(row_major, col_major), small), nonempty)
        ld = b.select(row_major, s0, s1)
        return usable, row_major, ld

    def _with_blas(self, usable, call_blas, loops) -> None:
        """Emit `call_blas()` when the layout allows it, else `loops()`."""
        with self.b.if_else(usable) as (then, otherwise):
            with then:
                call_blas()
            with otherwise:
                loops()

    def op_matvec(self, op: Op, a: Tensor, x: Tensor):
        m, n = a.dims
        self._check_inner(op, n, x.dims[0])
        out = self.alloc([m], a.dtype)
        self._gemv(a, x, out)
        return out

    def _gemv(self, a: Tensor, x: Tensor, out: Tensor) -> None:
        """out = a @ x through BLAS gemv when the view allows, else a loop of dot products."""
        m, n = a.dims
        usable, row_major, ld = self._blas_layout(a)
        usable = self.b.and_(usable, self.b.icmp_signed(">", x.strides[0], _i64(0)))

        def call_blas():
            b = self.b
            # Row-major A is Fortran's (n x m) A^T, so y = (A^T)^T x; column-major A is Fortran's A.
            rows = b.select(row_major, n, m)
            cols = b.select(row_major, m, n)
            blas.gemv_select(b, a.dtype, row_major, rows, cols, 1.0, a.ptr, ld, x.ptr, x.strides[0], 0.0, out.ptr, _i64(1))

        def loops():
            acc = L.entry_alloca(self.b, LL_TYPES[a.dtype])

            def row(b, i):
                b.store(const(a.dtype, 0), acc)
                L.counted_loop(b, _i64(0), n, lambda b, j: b.store(
                    b.fadd(b.load(acc), b.fmul(self._load(a, [i, j]), self._load(x, [j])), flags=REASSOC), acc), "j")
                b.store(b.load(acc), b.gep(out.ptr, [i]))

            L.counted_loop(self.b, _i64(0), m, row, "i")

        self._with_blas(usable, call_blas, loops)

    def op_vecmat(self, op: Op, x: Tensor, a: Tensor):
        m, n = a.dims
        self._check_inner(op, x.dims[0], m)
        out = self.alloc([n], a.dtype)
        self._gemv(Tensor(a.ptr, [n, m], a.strides[::-1], a.dtype, False), x, out)
        return out

    def op_matmul(self, op: Op, a: Tensor, c: Tensor):
        m, k = a.dims
        self._check_inner(op, k, c.dims[0])
        n = c.dims[1]
        out = self.alloc([m, n], a.dtype)
        usable_a, row_a, lda = self._blas_layout(a)
        usable_c, row_c, ldc = self._blas_layout(c)

        def call_blas():
            # Row-major out is Fortran's out^T (n x m) = op(C') op(A'), where a row-major operand
            # is seen transposed by Fortran (so needs no transpose) and a column-major one does.
            blas.gemm_select(self.b, a.dtype, row_c, row_a, n, m, k, 1.0, c.ptr, ldc, a.ptr, lda, 0.0, out.ptr, n)

        def loops():
            self._fill(out, const(a.dtype, 0))

            def row(b, i):
                def inner(b, kk):
                    aik = self._load(a, [i, kk])
                    L.counted_loop(b, _i64(0), n, lambda b, j: b.store(
                        b.fadd(b.load(self.element_ptr(out, [i, j])), b.fmul(aik, self._load(c, [kk, j]))),
                        self.element_ptr(out, [i, j])), "j")

                L.counted_loop(b, _i64(0), k, inner, "k")

            L.counted_loop(self.b, _i64(0), m, row, "i")

        self._with_blas(self.b.and_(usable_a, usable_c), call_blas, loops)
        return out

    def op_outer(self, op: Op, x: Tensor, y: Tensor):
        out = self.alloc([x.dims[0], y.dims[0]], x.dtype)
        L.nested_loops(self.b, out.dims, lambda b, idx: b.store(
            b.fmul(self._load(x, [idx[0]]), self._load(y, [idx[1]])), self.element_ptr(out, idx)))
        return out

    def op_solve(self, op: Op, a: Tensor, rhs: Tensor):
        """x = A⁻¹ b by LAPACK getrf + getrs on column-major copies (so strided views work and
        the operands stay intact); an exact zero pivot is the singular-matrix error."""
        b = self.b
        n = a.dims[0]
        self.fail_if(b.icmp_signed("!=", a.dims[1], n), op, SOLVE_NOT_SQUARE, (n, a.dims[1]))
        self.fail_if(b.icmp_signed("!=", rhs.dims[0], n), op, SOLVE_MISMATCH, (rhs.dims[0], n))
        lu = self.column_major(a)
        ld = _max(b, n, _i64(1))
        pivots = b.bitcast(L.malloc(b, b.mul(ld, _i64(4))), I32.as_pointer())
        self.owned[-1].append(pivots)
        info = L.entry_alloca(self.b, I32)
        lapack.getrf(b, a.dtype, n, lu.ptr, ld, pivots, info)
        code = b.load(info)
        self.fail_if(b.icmp_signed(">", code, ir.Constant(I32, 0)), op, SOLVE_SINGULAR,
                     (b.sub(b.sext(code, I64), _i64(1)),))
        if rhs.rank == 1:
            out = self.materialize(rhs)
            lapack.getrs(b, a.dtype, n, _i64(1), lu.ptr, ld, pivots, out.ptr, ld, info)
            return out
        cols = self.column_major(rhs)
        lapack.getrs(b, a.dtype, n, rhs.dims[1], lu.ptr, ld, pivots, cols.ptr, ld, info)
        return self.materialize(cols)

    # ---------------------------------------------------------------- loops

    def op_loop(self, op: Op, lo, hi, *init):
        from optc.backends.llvm.loop_codegen import emit_loop

        emit_loop(self, op, lo, hi, list(init))

    def op_call(self, op: Op, *args):
        raise InternalError(f"`call` reached the llvm backend (the inline pass should remove it) at {op.where()}")


# ---------------------------------------------------------------- analysis helpers


FUSABLE_REDUCTIONS = {"reduce_sum", "reduce_max", "reduce_min"}


@dataclass
class Source:
    """Elements to reduce: a tensor or an elementwise expression. `get(b, idx)` takes a full
    index; `get_flat(b, [i])` a position in row-major order, valid when `flat`."""

    dims: list
    flat: bool
    get: object
    dtype: str
    get_flat: object


def _evaluate(b: ir.IRBuilder, ops: list[Op], read, idx: list, local: dict) -> None:
    """Per-element values of elementwise ops into `local`."""
    for op in ops:
        args = [read(b, v, idx, local) for v in op.operands]
        dtype = op.operands[1].type.dtype if op.opcode == "select" else op.operands[0].type.dtype
        local[op.results[0]] = SCALAR_RULES[op.opcode](b, op, dtype, *args)


def _closure(v: Value, group: list[Op]) -> list[Op]:
    """The ops of a group that `v` depends on, in group order, ending with v's op."""
    by_result = {op.results[0]: op for op in group}
    needed: set[Op] = set()
    stack = [v]
    while stack:
        op = by_result.get(stack.pop())
        if op is not None and op not in needed:
            needed.add(op)
            stack.extend(op.operands)
    return [op for op in group if op in needed]


def _reads(op: Op, v: Value) -> bool:
    """Whether an op (or any op in its regions) reads `v`."""
    if any(x is v for x in op.operands):
        return True
    return any(any(x is v for x in inner.operands) or any(r is v for r in region.results)
               for region in op.regions for inner in region.walk()) or \
        any(any(r is v for r in region.results) for region in op.regions)


def _is_view(op: Op) -> bool:
    """Ops whose tensor result aliases their operand."""
    return op.opcode == "transpose" or (op.opcode == "index" and not op.results[0].type.is_scalar)


def _column_accessed(fn: Function) -> list[Value]:
    """Matrix parameters read column by column (`A[:, j]`) inside loops and never by rows:
    they are worth a column-major copy."""
    columns, rows = set(), set()

    def visit(block: Block, in_loop: bool):
        for op in block.ops:
            if op.opcode == "index" and op.operands[0] in fn.params and op.operands[0].type.rank == 2:
                spec = op.attrs["spec"]
                (columns if spec == ":i" and in_loop else rows).add(op.operands[0])
            for region in op.regions:
                visit(region, True)

    visit(fn.body, False)
    return [p for p in fn.params if p in columns and p not in rows]


def _is_one(v) -> bool:
    return isinstance(v, ir.Constant) and v.constant == 1


def _max(b: ir.IRBuilder, x, y):
    return b.select(b.icmp_signed(">", x, y), x, y)


def _flat_index(b: ir.IRBuilder, idx: list, strides: list):
    offset = _i64(0)
    for i, s in zip(idx, strides):
        offset = b.add(offset, b.mul(i, s))
    return offset
