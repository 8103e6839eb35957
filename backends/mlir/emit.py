"""Optimized IR to MLIR text (func, arith, math, scf, memref): the front half of the MLIR backend.

`emit_mlir(module)` is an interpreter loop over each function's ops (JAX's `eval_jaxpr` shape)
with an environment from IR values to emitted values: a `Scalar` is an SSA scalar, a `Tensor`
an SSA memref with its dims. Each op is lowered by its rule in `rules.py` (one per opcode); an
opcode without a rule raises `UnsupportedOp` at the op's source line. Every emitted line carries
the location of the IR op it came from, `loc("lasso.opt":17:7)`. Runs of elementwise ops of one
shape are fused into one loop nest (as in the LLVM backend); a fusion group ends at reductions,
products, indexing and loops.

Each IR function (not the inlined `fn`s) becomes one public function with this ABI:

    func.func @optc_<name>(args...[, %report: i1]) -> (results..., i32, i64 x 4)
        attributes {llvm.emit_c_interface}

A tensor argument is a `memref<?x…xT, strided<[?,…], offset: ?>>` (any-shape tensors are
flat), a scalar argument is passed by value. Tensor results are fresh buffers that the caller
frees. Then comes a status: 0, or 1 + the index of the failed run-time check in
`Emitted.sites`, so the caller can report the user's line; and the check's details (the index
and the length of `index 4 is out of range for axis 0 of length 4`, NumPy's wording). A failed
check stops the work at once, as NumPy's exception does: the rest of the block after an op with
a check runs under `scf.if` on the status (see `FunctionEmitter.block`), and every loop tests
the status before each iteration, so the function returns without running later iterations or
progress calls. The op that failed still yields safe values (empty views, clamped indices), so
nothing reads out of bounds. `%report` exists when the function has a loop: when true, each
iteration of an outermost loop calls `optc_progress_<N>(iteration, max_iterations, trace
values as f64...)`.

An optimizer whose step is elementwise also gets `@optc_<step>_inplace`, which updates the
parameter and states in place (see `kernels.py`).

Memory: every buffer belongs to the scope that allocated it (the function, or one iteration of a
loop body) and is freed when the scope ends, unless the function returns it. Loop-carried
tensors live in buffers allocated before the loop; each iteration copies its next values into
them (see `loops.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from optc.backends.mlir.text import (
    FunctionText,
    buffer_type,
    literal,
    location,
    scalar_type,
    view_alias,
    view_type,
)
from optc.ir.core import Function, Module, Op, Value
from optc.ir.graph import free_values, internal_uses, shape_key, static_one, use_counts
from optc.ir.ops import OPS

from optc.errors import OptcError

DETAILS = 4  # run-time values a failed check reports (an index and a length, ...)


class UnsupportedOp(OptcError):
    """An op the MLIR backend cannot lower, reported at the op's source line."""


@dataclass(eq=False)
class Scalar:
    """An emitted scalar: its SSA name and IR dtype."""

    name: str
    dtype: str


@dataclass(eq=False)
class Tensor:
    """An emitted tensor: an SSA memref of MLIR type `type`, its dims (SSA `index` values) and
    the buffer or argument it views (`root`). `fresh`: a whole buffer allocated here, with the
    identity layout, owned by the scope that allocated it."""

    name: str
    type: str
    dtype: str
    dims: list[str]
    root: str
    fresh: bool = False

    @property
    def rank(self) -> int:
        return len(self.dims)


@dataclass(frozen=True)
class Slot:
    """One argument or result of a generated function: dtype, rank (None: a scalar), and
    whether it is an any-shape tensor (passed flat)."""

    dtype: str
    rank: int | None
    any_shape: bool = False


@dataclass(frozen=True)
class FunctionABI:
    """How to call one generated function (see the module docstring)."""

    name: str
    symbol: str
    params: tuple[Slot, ...]
    results: tuple[Slot, ...]
    report: bool


@dataclass(frozen=True)
class Emitted:
    """A module as MLIR text, with the ABI of its functions and its run-time check sites."""

    text: str
    functions: dict[str, FunctionABI]
    sites: tuple[tuple[Op, str], ...]
    progress_arities: tuple[int, ...] = ()
    inplace: str | None = None  # the symbol of an optimizer's in-place step kernel (kernels.py)


def symbol(name: str) -> str:
    """The MLIR symbol of an IR function (prefixed so it cannot clash with C library names)."""
    return "optc_" + "".join(c if c.isalnum() else "_" for c in name)


def emit_mlir(module: Module, path: Callable[[str], str] | None = None) -> str:
    """The MLIR text of an optimized IR module (`optc compile --emit mlir`).

    `path` maps source file names in locations (tests use it to drop machine-specific folders)."""
    return emit_module(module, path=path).text


def emit_module(
    module: Module, target: str = "cpu", path: Callable[[str], str] | None = None
) -> Emitted:
    """The MLIR text of a module for `target` ('cpu'), with what the runtime needs to call it."""
    return ModuleEmitter(module, target, path).emit()


class ModuleEmitter:
    """Collects the functions of one module, the type aliases and external declarations they
    use, and the run-time check sites."""

    def __init__(
        self, module: Module, target: str = "cpu", path: Callable[[str], str] | None = None
    ):
        self.module = module
        self.target = target
        self.path = path
        self.aliases: set[tuple[str, int]] = set()
        self.declarations: dict[str, str] = {}
        self.sites: list[tuple[Op, str]] = []
        self.progress_arities: set[int] = set()

    def view(self, dtype: str, rank: int) -> str:
        """The strided view type of a rank (its alias is defined at the top of the module)."""
        self.aliases.add((dtype, rank))
        return view_type(dtype, rank)

    def declare(self, name: str, args: list[str], results: list[str]) -> None:
        """Declare an external function (C library, progress callback) once."""
        sig = f"({', '.join(args)})" + (f" -> {', '.join(results)}" if results else "")
        self.declarations[name] = f"  func.func private @{name}{sig}"

    def site(self, op: Op, message: str) -> int:
        """Register a run-time check of `op`; returns its status code."""
        self.sites.append((op, message))
        return len(self.sites)

    def loc(self, op_or_fn) -> str:
        return location(op_or_fn.loc, self.path)

    def emit(self) -> Emitted:
        bodies, functions = [], {}
        for name, fn in self.module.functions.items():
            if fn.attrs.get("kind") == "fn":
                continue
            fe = FunctionEmitter(self, fn, symbol(name))
            bodies.append("\n".join(fe.generate()))
            functions[name] = fe.abi
        inplace = None
        if self.target == "cpu" and self.module.attrs.get("kind") == "optimizer":
            from optc.backends.mlir.kernels import inplace_kernel, inplace_symbol

            step = self.module.functions[self.module.attrs["step"]]
            kernel = inplace_kernel(self, step)
            if kernel is not None:
                bodies.append(kernel)
                inplace = inplace_symbol(step)
        aliases = [view_alias(d, r) for d, r in sorted(self.aliases)]
        decls = [self.declarations[k] for k in sorted(self.declarations)]
        parts = ["module {", *decls, "\n\n".join(bodies), "}"]
        text = "\n".join(aliases + parts) + "\n"
        return Emitted(
            text, functions, tuple(self.sites), tuple(sorted(self.progress_arities)), inplace
        )


class FunctionEmitter:
    """Emits one IR function; the lowering rules call its helpers."""

    def __init__(self, module: ModuleEmitter, fn: Function, sym: str):
        self.module = module
        self.fn = fn
        self.symbol = sym
        self.target = module.target
        self.t = FunctionText(indent=4)
        self.env: dict[Value, Scalar | Tensor] = {}
        self.scopes: list[list[Tensor]] = [[]]
        self.depth = 0  # loop nesting
        self.level = 0  # the index in `scopes` of the function's or the loop iteration's scope
        self.uses = use_counts(fn.body)
        self.status: str | None = None
        self.details: str | None = None
        self.report: str | None = None

    # ---------------------------------------------------------------- the function

    def generate(self) -> list[str]:
        """The lines of the function."""
        fn, t = self.fn, self.t
        t.loc = self.module.loc(fn)
        params, slots = [], []
        for p in fn.params:
            name = t.fresh(p.hint or "arg")
            dtype = p.type.dtype
            if p.type.is_scalar:
                params.append(f"{name}: {scalar_type(dtype)}")
                self.env[p] = Scalar(name, dtype)
                slots.append(Slot(dtype, None))
                continue
            rank = 1 if p.type.shape is None else len(p.type.shape)
            vt = self.module.view(dtype, rank)
            params.append(f"{name}: {vt}")
            dims = [t.op(f"memref.dim {name}, {t.index(k)} : {vt}") for k in range(rank)]
            self.env[p] = Tensor(name, vt, dtype, dims, name)
            slots.append(Slot(dtype, rank, p.type.shape is None))
        if any(op.opcode == "loop" for op in fn.body.ops):
            self.report = t.fresh("report")
            params.append(f"{self.report}: i1")
        self.status = t.op("memref.alloca() : memref<i32>", "status")
        t.line(f"memref.store {t.const('0', 'i32')}, {self.status}[] : memref<i32>")
        self.details = t.op(f"memref.alloca() : memref<{DETAILS}xi64>", "details")
        result_slots = [result_slot(v) for v in fn.body.results]
        types = [slot_type(s) for s in result_slots]

        def finish() -> list[str]:
            t.loc = self.module.loc(fn)
            return self.results(fn.body.results)

        def skipped() -> list[str]:  # a check failed: the caller reads only the status
            t.loc = self.module.loc(fn)
            return [
                t.const(literal(0, s.dtype))
                if s.rank is None
                else self.alloc([t.index(0)] * s.rank, s.dtype, scope=False).name
                for s in result_slots
            ]

        values = self.block(fn.body.ops, finish, types, skipped)
        t.loc = self.module.loc(fn)
        code = t.op(f"memref.load {self.status}[] : memref<i32>")
        details = [
            t.op(f"memref.load {self.details}[{t.index(k)}] : memref<{DETAILS}xi64>")
            for k in range(DETAILS)
        ]
        self.end_scope()
        types = types + ["i32"] + ["i64"] * DETAILS
        t.line(f"return {', '.join(values + [code] + details)} : {', '.join(types)}")
        self.abi = FunctionABI(
            fn.name, self.symbol, tuple(slots), tuple(result_slots), self.report is not None
        )
        header = (
            f"  func.func @{self.symbol}({', '.join(params)}) -> ({', '.join(types)}) "
            "attributes {llvm.emit_c_interface} {"
        )
        return [header, *t.lines(), f"  }} {t.loc}".rstrip()]

    def results(self, values: tuple[Value, ...]) -> list[str]:
        """The returned values; each tensor gets a buffer of its own, which the caller frees."""
        names = []
        returned: set[int] = set()
        for v in values:
            x = self.env[v]
            if isinstance(x, Scalar):
                names.append(x.name)
                continue
            owned = self.owner(x) is not None
            out = x if x.fresh and owned and id(x) not in returned else self.copy(x)
            returned.add(id(out))
            scope = self.owner(out)
            scope.remove(out)
            names.append(out.name)
        return names

    # ---------------------------------------------------------------- blocks and ops

    def block(
        self,
        ops: tuple[Op, ...],
        finish: Callable[[], list[str]],
        types: list[str],
        skipped: Callable[[], list[str]],
    ) -> list[str]:
        """Emit a block's ops, fusing runs of elementwise tensor ops of one shape into loops,
        then `finish()`, which returns the block's yields (of `types`).

        After an op whose lowering has a run-time check (a loop whose body has one included),
        the rest of the block and `finish` are emitted under `scf.if` on the status, with
        `skipped()`'s yields when a check failed: a failed check skips the rest of the block,
        as NumPy's exception does, and the loops around it stop before their next iteration.
        Constant-time scalar ops and views right after a check are emitted before the `scf.if`
        (they read safe values), so that a run of checks (`require`s, `x[j]`s) shares one."""
        groups: dict[tuple, list[Op]] = {}
        member: dict[Value, tuple] = {}

        def flush(key):
            group = groups.pop(key)
            for op in group:
                member.pop(op.results[0], None)
            self.fused(group)

        def place(op: Op) -> None:
            elementwise = OPS[op.opcode].category == "elementwise" if op.opcode in OPS else False
            tensor_result = elementwise and not op.results[0].type.is_scalar
            key = shape_key(op.results[0].type) if tensor_result else None
            for v in op.operands:
                k = member.get(v)
                if k is not None and k != key:
                    flush(k)
            if tensor_result:
                groups.setdefault(key, []).append(op)
                member[op.results[0]] = key
                return
            for region in op.regions:  # a loop reading an open group's value needs it stored
                for v in free_values(region):
                    k = member.get(v)
                    if k is not None and k in groups:
                        flush(k)
            self.op(op)

        def rest(start: int) -> list[str]:
            checked = False  # an op emitted since the last guard has a check
            for i in range(start, len(ops)):
                if checked and not constant_time(ops[i]):
                    return self.unless_failed(partial(rest, i), types, skipped)
                checks = len(self.module.sites)
                place(ops[i])
                checked = checked or len(self.module.sites) > checks
            if checked:
                return self.unless_failed(partial(rest, len(ops)), types, skipped)
            for key in list(groups):
                flush(key)
            return finish()

        return rest(0)

    def unless_failed(
        self, then: Callable[[], list[str]], types: list[str], skipped: Callable[[], list[str]]
    ) -> list[str]:
        """`scf.if` (status is 0) running `then` in a scope of its own, else `skipped`. A
        buffer of an enclosing scope that `then` hands on (a returned result) is freed in the
        else branch, which does not hand it on."""
        t = self.t
        code = t.op(f"memref.load {self.status}[] : memref<i32>")
        ok = t.op(f"arith.cmpi eq, {code}, {t.const('0', 'i32')} : i32")
        outer = [x for scope in self.scopes for x in scope]
        self.scopes.append([])

        def taken() -> list[str]:
            out = then()
            self.end_scope()
            return out

        def failed() -> list[str]:
            for x in outer:
                if self.owner(x) is None:
                    t.line(f"memref.dealloc {x.name} : {x.type}")
            return skipped()

        return t.if_(ok, taken, failed, types)

    def rule(self, op: Op) -> Callable:
        from optc.backends.mlir.rules import RULES, UNSUPPORTED

        impl = RULES.get(op.opcode)
        if impl is None:
            reason = UNSUPPORTED.get(op.opcode, "no lowering rule")
            raise UnsupportedOp(f"the mlir backend cannot lower `{op.opcode}` ({reason})", op.loc)
        return impl

    def op(self, op: Op) -> None:
        """Lower one op (not part of a fusion group) with its rule."""
        impl = self.rule(op)
        self.t.loc = self.module.loc(op)
        if OPS[op.opcode].category == "elementwise":
            args = [self.env[v].name for v in op.operands]
            name = impl(self, op, operand_dtype(op), *args)
            self.env[op.results[0]] = Scalar(name, op.results[0].type.dtype)
            return
        result = impl(self, op, *[self.env[v] for v in op.operands])
        if isinstance(result, list):
            for v, r in zip(op.results, result):
                self.env[v] = r
        else:
            self.env[op.results[0]] = result

    def fused(self, group: list[Op]) -> None:
        """One loop nest computing a group of elementwise ops of the same shape."""
        rules = [self.rule(op) for op in group]
        produced = {op.results[0] for op in group}
        outputs = [
            op.results[0]
            for op in group
            if self.uses.get(op.results[0], 0) > internal_uses(op.results[0], group)
        ]
        inputs: list[Value] = []
        for op in group:
            for v in op.operands:
                if v not in produced and v not in inputs and isinstance(self.env[v], Tensor):
                    inputs.append(v)
        self.t.loc = self.module.loc(group[0])
        out_type = group[-1].results[0].type
        dims = self.group_dims(out_type, inputs, group[0])
        rank = len(dims)
        out = {v: self.alloc(dims, v.type.dtype, v.hint) for v in outputs}

        def body(ivs: list[str]) -> None:
            local: dict[Value, str] = {}

            def read(v: Value) -> str:
                if v in local:
                    return local[v]
                x = self.env[v]
                if isinstance(x, Scalar):
                    return x.name
                shift = rank - x.rank
                idx = [
                    self.t.index(0) if static_one(v.type, k) else ivs[shift + k]
                    for k in range(x.rank)
                ]
                local[v] = self.load(x, idx)
                return local[v]

            for op, impl in zip(group, rules):
                self.t.loc = self.module.loc(op)
                args = [read(v) for v in op.operands]
                local[op.results[0]] = impl(self, op, operand_dtype(op), *args)
            for v, buf in out.items():
                self.store(local[v], buf, ivs)

        self.t.nest(dims, body)
        self.env.update(out)

    def group_dims(self, out_type, inputs: list[Value], op: Op) -> list[str]:
        """Run-time dims of a fusion group's shape, checking operands whose dims are not known
        equal from their types (on a mismatch the loop runs over the common part)."""
        shape = out_type.shape if out_type.shape is not None else (None,)
        rank = len(shape)
        dims: list[str | None] = [self.t.index(d) if isinstance(d, int) else None for d in shape]
        syms: list = list(shape)
        for v in inputs:
            x = self.env[v]
            vshape = v.type.shape if v.type.shape is not None else (None,)
            shift = rank - len(vshape)
            for k in range(len(vshape)):
                if static_one(v.type, k):
                    continue
                j = shift + k
                if dims[j] is None:
                    dims[j], syms[j] = x.dims[k], vshape[k]
                else:
                    dims[j] = self.same_dim(
                        op,
                        dims[j],
                        x.dims[k],
                        syms[j],
                        vshape[k],
                        "operands have different lengths",
                    )
        if any(d is None for d in dims):
            raise UnsupportedOp(
                f"cannot determine the shape {out_type} of an elementwise operation", op.loc
            )
        return dims  # type: ignore[return-value]

    # ---------------------------------------------------------------- helpers for the rules

    def alloc(self, dims: list[str], dtype: str, hint: str = "", scope: bool = True) -> Tensor:
        """A fresh buffer owned by the current scope (by no scope: `scope=False`)."""
        bt = buffer_type(dtype, len(dims))
        name = self.t.op(f"memref.alloc({', '.join(dims)}) : {bt}", hint)
        tensor = Tensor(name, bt, dtype, list(dims), name, fresh=True)
        if scope:
            self.scopes[-1].append(tensor)
        return tensor

    def level_scopes(self):
        """The buffers of the current loop level (the function's or the iteration's scope and
        the `unless_failed` scopes inside it): they live until the level ends."""
        return [x for scope in self.scopes[self.level :] for x in scope]

    def owner(self, x: Tensor) -> list[Tensor] | None:
        """The scope that frees `x`, if any."""
        return next((s for s in self.scopes if any(x is y for y in s)), None)

    def end_scope(self) -> None:
        """Free the buffers of the innermost scope."""
        for x in self.scopes.pop():
            self.t.line(f"memref.dealloc {x.name} : {x.type}")

    def as_view(self, x: Tensor) -> str:
        """`x` as the strided view type (ops that make views need one source type). The cast is
        not reused: the next use may sit outside the region this one is emitted in."""
        vt = self.module.view(x.dtype, x.rank)
        if x.type == vt:
            return x.name
        return self.t.op(f"memref.cast {x.name} : {x.type} to {vt}")

    def load(self, x: Tensor, idx: list[str]) -> str:
        """The element of `x` at `idx` (a bool byte becomes an i1)."""
        value = self.t.op(f"memref.load {x.name}[{', '.join(idx)}] : {x.type}")
        return self.t.op(f"arith.trunci {value} : i8 to i1") if x.dtype == "bool" else value

    def store(self, value: str, x: Tensor, idx: list[str]) -> None:
        """Store a scalar into `x` at `idx` (an i1 is stored as a byte)."""
        if x.dtype == "bool":
            value = self.t.op(f"arith.extui {value} : i1 to i8")
        self.t.line(f"memref.store {value}, {x.name}[{', '.join(idx)}] : {x.type}")

    def copy(self, x: Tensor, hint: str = "") -> Tensor:
        """A fresh contiguous copy of a tensor or view."""
        out = self.alloc(x.dims, x.dtype, hint)
        self.copy_into(out, x, x.dims)
        return out

    def copy_into(self, dst: Tensor, src: Tensor, dims: list[str]) -> None:
        """dst[i] = src[i] for i within `dims` (elements are copied as they are in memory)."""

        def body(ivs):
            value = self.t.op(f"memref.load {src.name}[{', '.join(ivs)}] : {src.type}")
            self.t.line(f"memref.store {value}, {dst.name}[{', '.join(ivs)}] : {dst.type}")

        self.t.nest(dims, body)

    def fill(self, x: Tensor, value: str) -> None:
        self.t.nest(x.dims, lambda ivs: self.store(value, x, ivs))

    def fail_if(self, cond: str, op: Op, message: str, values: tuple[str, ...] = ()) -> None:
        """Record the first failed check: the status becomes this check's code, and `values`
        (i64 SSA names, at most DETAILS) the details that fill `{0}`, `{1}`... in `message`."""
        t = self.t
        code = self.module.site(op, message)
        old = t.op(f"memref.load {self.status}[] : memref<i32>")
        first = t.op(f"arith.cmpi eq, {old}, {t.const('0', 'i32')} : i32")
        failed = t.op(f"arith.andi {cond}, {first} : i1")
        new = t.op(f"arith.select {failed}, {t.const(str(code), 'i32')}, {old} : i32")
        t.line(f"memref.store {new}, {self.status}[] : memref<i32>")
        for k, value in enumerate(values):
            slot = f"{self.details}[{t.index(k)}] : memref<{DETAILS}xi64>"
            kept = t.op(f"memref.load {slot}")
            t.line(f"memref.store {t.op(f'arith.select {failed}, {value}, {kept} : i64')}, {slot}")

    def same_dim(self, op: Op, a: str, b: str, sym_a, sym_b, message: str) -> str:
        """`a`, checked equal to `b` unless their types say so; the smaller one on a mismatch."""
        if known_equal(sym_a, sym_b):
            return a
        self.fail_if(self.t.op(f"arith.cmpi ne, {a}, {b} : index"), op, message)
        return self.t.op(f"arith.minui {a}, {b} : index")

    def to_index(self, x: Scalar) -> str:
        return self.t.op(f"arith.index_cast {x.name} : i64 to index")

    def to_i64(self, index: str) -> str:
        return self.t.op(f"arith.index_cast {index} : index to i64")

    def numel(self, dims: list[str]) -> str:
        """The product of dims (an `index`)."""
        if not dims:
            return self.t.index(1)
        n = dims[0]
        for d in dims[1:]:
            n = self.t.op(f"arith.muli {n}, {d} : index")
        return n


# ---------------------------------------------------------------- analysis helpers


def result_slot(v: Value) -> Slot:
    """The slot of a returned value (an any-shape tensor comes back flat)."""
    if v.type.is_scalar:
        return Slot(v.type.dtype, None)
    shape = v.type.shape
    return Slot(v.type.dtype, 1 if shape is None else len(shape), shape is None)


def slot_type(s: Slot) -> str:
    """The MLIR type of a returned value: a scalar, or a fresh buffer."""
    return scalar_type(s.dtype) if s.rank is None else buffer_type(s.dtype, s.rank)


def operand_dtype(op: Op) -> str:
    """The dtype an elementwise rule works in (the operands'; `select`'s values')."""
    if op.opcode == "select":
        return op.operands[1].type.dtype
    return op.operands[0].type.dtype if op.operands else op.results[0].type.dtype


def constant_time(op: Op) -> bool:
    """Whether an op's lowering takes constant time: a scalar op, a check, an element read or
    a view. Such an op may run after a failed check (its rule keeps the values safe)."""
    if op.regions or op.opcode not in OPS:
        return False
    category = OPS[op.opcode].category
    if op.opcode in ("index", "dimsize", "numel", "check", "const"):
        return True
    return category == "elementwise" and op.results[0].type.is_scalar


def known_equal(a, b) -> bool:
    """Whether two symbolic dims are equal by their types. Any-shape tensors (None) all have
    their optimizer parameter's shape, which the API checks before calling."""
    if a is None and b is None:
        return True
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return isinstance(a, str) and a == b and a != "?"
