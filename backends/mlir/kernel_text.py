"""The text of one GPU kernel of a schedule (`matrix_kernels.py` for optimizer steps,
`solver_kernels.py` for solvers): a grid-stride loop over the elements a launch covers, each
element computed inline from buffers.

Every kernel runs `for j = block_id * block_dim + thread_id; j < n; j += grid_dim * block_dim`
over flat row-major element indices. Its kind says what a thread does with element j:

    map, update   store elements of values (all computed before any is stored)
    reduce, dot   accumulate, then one atomic per thread into a `%partials` slot
    ireduce       the same for integers, into a one-element i64 buffer
    axis          reduce a matrix row or column (one thread per output element)
    lse_axis      logsumexp of a row or column; lse_sum the second pass of a full logsumexp
    arg_axis      argmax/argmin of a row or column; arg_pick the least index of a full one
    matmul, matvec, vecmat    a dot product per output element

Elements of elementwise ops (broadcast NumPy's way), `transpose`, `outer`, `eye`, fills, random
numbers, rows and columns (`index`) and indexed updates (`setindex`) are computed inline at any
index, down to the buffers that hold materialized values. No kernel uses shared memory or barriers.
"""

from __future__ import annotations

from optc.backends.mlir.emit import UnsupportedOp, operand_dtype
from optc.backends.mlir.kernels import REDUCTIONS
from optc.backends.mlir.text import FunctionText, buffer_type, literal, scalar_type
from optc.ir.core import Op, Value

INLINE = ("transpose", "outer", "full")  # computed inline at any index, like elementwise ops
RANDOM = ("random", "random_like")  # element j: element j of the stream (`philox.py`)


class KernelEmitter:
    """Emits one kernel of a plan (`matrix_kernels.py`'s or `solver_kernels.py`'s) taking the
    arguments of `signature`. Scalars are arguments when the signature has them as ("host", value) slots
    (solvers), else computed before the loops from the scalar parameters, dimensions and
    partials (optimizer steps). The elementwise rules call `t`, `target`, `module`, `fail_if`."""

    target = "gpu"

    def __init__(self, plan, signature, name: str, kind: str, details, shape: tuple, slots, defs):
        self.plan, self.module, self.signature = plan, plan.module, signature
        self.name, self.kind, self.details, self.shape = name, kind, details, shape
        self.slots, self.defs = slots, defs
        self.t = FunctionText(indent=6)
        self.args: dict[tuple, str] = {}  # slot -> SSA argument
        self.env: dict[Value, str] = {}  # scalar value -> SSA, computed before the loops
        self.cache: dict[tuple[Value, str], str] = {}  # (tensor, index) -> SSA element
        self.index: dict[str, str] = {}  # dimension name -> SSA index
        self.dtype = next(v.type.dtype for v in plan.step.params if not v.type.is_scalar)

    def fail_if(self, cond: str, op: Op, message: str, values: tuple[str, ...] = ()) -> None:
        raise UnsupportedOp(
            f"`{op.opcode}` needs a run-time check ({message}) that a kernel cannot report", op.loc
        )

    def generate(self) -> str:
        plan, t = self.plan, self.t
        t.loc = self.module.loc(plan.step)
        self.n = t.fresh("n")
        params = [f"{self.n}: index"]
        for slot in self.signature:
            name, type_ = self._slot(slot)
            self.args[slot] = name
            params.append(f"{name}: {type_}")
        if plan.identities:
            self.partials = t.fresh("partials")
            params.append(f"{self.partials}: {buffer_type(self.dtype, 1)}")
        for d in plan.dims:
            if ("dim", d) in self.args:
                self.index[d] = t.op(f"arith.index_cast {self.args[('dim', d)]} : i64 to index")
        for v in scalar_roots(self.kind, self.details, self.slots, self.defs):
            self.scalar(v)
        t.loc = self.module.loc(plan.step)
        getattr(self, "_" + self.kind)()
        t.loc = self.module.loc(plan.step)
        t.line("gpu.return")
        header = f"    gpu.func @{self.name}({', '.join(params)}) kernel {{"
        return "\n".join([header, *t.lines(), f"    }} {t.loc}".rstrip()])

    def _slot(self, slot: tuple) -> tuple[str, str]:
        """The SSA name and type of a signature slot's argument."""
        kind, what = slot
        if kind == "param":
            v = self.plan.step.params[what]
            type_ = scalar_type(v.type.dtype) if v.type.is_scalar else buffer_type(v.type.dtype, 1)
            return self.t.fresh(v.hint or "arg"), type_
        if kind in ("dim", "loop"):
            return self.t.fresh(f"{kind}_{what}"), "i64"
        if kind == "host":
            return self.t.fresh(what.hint or "s"), scalar_type(what.type.dtype)
        dtype = self.plan.scratch[what][0] if kind == "scratch" else self.plan.carries[what]
        return self.t.fresh(f"{kind}{what}"), buffer_type(dtype, 1)

    # ---------------------------------------------------------------- the kernels

    def _grid(self, body, inits=(), types=()) -> list[str]:
        """`for j = block_id * block_dim + thread_id; j < n; j += grid_dim * block_dim`."""
        t = self.t
        block, size = t.op("gpu.block_id x"), t.op("gpu.block_dim x")
        thread, grid = t.op("gpu.thread_id x"), t.op("gpu.grid_dim x")
        start = t.op(f"arith.addi {t.op(f'arith.muli {block}, {size} : index')}, {thread} : index")
        stride = t.op(f"arith.muli {grid}, {size} : index")
        return t.for_(start, self.n, body, inits, types, step=stride)

    def _map(self) -> None:
        """Elements of values written to buffers (all computed before any is stored)."""

        def body(j, _):
            values = [self.elem(v, j) for v, _ in self.details]
            for (v, slot), value in zip(self.details, values):
                self._store(slot, v.type.dtype, value, j)

        self._grid(body)

    _update = _map

    def _reduce(self) -> None:
        op, r = self.details
        opcode = {"logsumexp": "reduce_max", "argmax": "reduce_max", "argmin": "reduce_min"}
        kind, identity = REDUCTIONS[opcode.get(op.opcode, op.opcode)]
        dtype = op.operands[0].type.dtype  # (an arg-extremum's first pass reduces its values)
        ty = scalar_type(dtype)
        init = self.t.const(literal(identity, dtype))

        def body(j, accs):
            x = self.elem(op.operands[0], j)
            self.t.loc = self.module.loc(op)
            return [self.t.op(f"arith.{kind} {accs[0]}, {x} : {ty}")]

        (acc,) = self._grid(body, [init], [ty])
        self.t.loc = self.module.loc(op)
        self.t.op(
            f"memref.atomic_rmw {kind} {acc}, {self.partials}[{self.t.index(r)}] : "
            f"({ty}, {buffer_type(self.dtype, 1)}) -> {ty}"
        )

    def _axis(self) -> None:
        """One thread per output element, a loop along the reduced axis."""
        op, slot = self.details
        t = self.t
        kind, identity = REDUCTIONS[op.opcode]
        dtype = op.results[0].type.dtype
        ty = scalar_type(dtype)
        rows, cols = (self.dim(d) for d in op.operands[0].type.shape)
        axis = op.attrs["axis"] % 2

        def body(o, _):
            def inner(k, accs):
                row, col = (k, o) if axis == 0 else (o, k)
                x = self.elem(op.operands[0], self._flat(row, col, cols))
                t.loc = self.module.loc(op)
                return [t.op(f"arith.{kind} {accs[0]}, {x} : {ty}")]

            init = t.const(literal(identity, dtype))
            (acc,) = t.for_(t.index(0), rows if axis == 0 else cols, inner, [init], [ty])
            self._store(slot, dtype, acc, o)

        self._grid(body)

    def _matmul(self) -> None:
        """One thread per output element: a dot product along the inner dimension."""
        op, slot = self.details
        t = self.t
        a, b = op.operands
        dtype = op.results[0].type.dtype
        ty = scalar_type(dtype)
        inner_dim, cols = self.dim(a.type.shape[1]), self.dim(b.type.shape[1])

        def body(j, _):
            row = t.op(f"arith.divui {j}, {cols} : index")
            col = t.op(f"arith.remui {j}, {cols} : index")

            def inner(k, accs):
                x = self.elem(a, self._flat(row, k, inner_dim))
                y = self.elem(b, self._flat(k, col, cols))
                t.loc = self.module.loc(op)
                product = t.op(f"arith.mulf {x}, {y} : {ty}")
                return [t.op(f"arith.addf {accs[0]}, {product} : {ty}")]

            zero = t.const(literal(0.0, dtype))
            (acc,) = t.for_(t.index(0), inner_dim, inner, [zero], [ty])
            self._store(slot, dtype, acc, j)

        self._grid(body)

    def _lse_axis(self) -> None:
        """logsumexp along one axis of a matrix, one thread per output element: the max, then
        log(sum(exp(x - shift))) + shift, with shift the max or 0 where it is not finite."""
        op, slot = self.details
        t = self.t
        dtype = op.results[0].type.dtype
        ty = scalar_type(dtype)
        rows, cols = (self.dim(d) for d in op.operands[0].type.shape)
        axis = op.attrs["axis"] % 2

        def body(o, _):
            def along(step):
                def inner(k, accs):
                    row, col = (k, o) if axis == 0 else (o, k)
                    x = self.elem(op.operands[0], self._flat(row, col, cols))
                    t.loc = self.module.loc(op)
                    return [step(accs[0], x)]

                return inner

            lowest = t.const(literal(float("-inf"), dtype))
            extent = rows if axis == 0 else cols
            (m,) = t.for_(
                t.index(0),
                extent,
                along(lambda a, x: t.op(f"arith.maximumf {a}, {x} : {ty}")),
                [lowest],
                [ty],
            )
            shift = self._finite_or_zero(m, dtype)

            def add(a, x):
                e = t.op(f"math.exp {t.op(f'arith.subf {x}, {shift} : {ty}')} : {ty}")
                return t.op(f"arith.addf {a}, {e} : {ty}")

            (total,) = t.for_(t.index(0), extent, along(add), [t.const(literal(0.0, dtype))], [ty])
            self._store(
                slot,
                dtype,
                t.op(f"arith.addf {t.op(f'math.log {total} : {ty}')}, {shift} : {ty}"),
                o,
            )

        self._grid(body)

    def _finite_or_zero(self, m: str, dtype: str) -> str:
        t, ty = self.t, scalar_type(dtype)
        size = t.op(f"math.absf {m} : {ty}")
        finite = t.op(f"arith.cmpf olt, {size}, {t.const(literal(float('inf'), dtype))} : {ty}")
        return t.op(f"arith.select {finite}, {m}, {t.const(literal(0.0, dtype))} : {ty}")

    def _lse_sum(self) -> None:
        """The second pass of a full logsumexp: sum(exp(x - shift)) into a partial, the shift a
        host scalar (the first pass is a max reduction)."""
        op, r, shift = self.details
        ty = scalar_type(op.results[0].type.dtype)
        init = self.t.const(literal(0.0, op.results[0].type.dtype))

        def body(j, accs):
            x = self.elem(op.operands[0], j)
            self.t.loc = self.module.loc(op)
            d = self.t.op(f"arith.subf {x}, {self.env[shift]} : {ty}")
            e = self.t.op(f"math.exp {d} : {ty}")
            return [self.t.op(f"arith.addf {accs[0]}, {e} : {ty}")]

        (acc,) = self._grid(body, [init], [ty])
        self.t.loc = self.module.loc(op)
        self.t.op(
            f"memref.atomic_rmw addf {acc}, {self.partials}[{self.t.index(r)}] : "
            f"({ty}, {buffer_type(self.dtype, 1)}) -> {ty}"
        )

    def _ireduce(self) -> None:
        """A full reduction of integers into a one-element i64 buffer (atomics on integers)."""
        op, counter = self.details
        kind = {"reduce_sum": "addi", "reduce_max": "maxsi", "reduce_min": "minsi"}[op.opcode]
        atomic = {"addi": "addi", "maxsi": "maxs", "minsi": "mins"}[kind]
        identity = {"addi": 0, "maxsi": -(2**63), "minsi": 2**63 - 1}[kind]

        def body(j, accs):
            x = self.elem(op.operands[0], j)
            self.t.loc = self.module.loc(op)
            return [self.t.op(f"arith.{kind} {accs[0]}, {x} : i64")]

        (acc,) = self._grid(body, [self.t.const(str(identity), "i64")], ["i64"])
        self._atomic(atomic, acc, counter)

    def _atomic(self, kind: str, value: str, counter: int) -> None:
        self.t.loc = self.module.loc(self.details[0])
        buffer = self.args[("scratch", counter)]
        self.t.op(
            f"memref.atomic_rmw {kind} {value}, {buffer}[{self.t.index(0)}] : (i64, memref<?xi64>) -> i64"
        )

    def _arg_pick(self) -> None:
        """The least index holding the max (min) `best` of a full argmax (argmin); NaN, which
        NumPy takes as the extreme, matches NaN."""
        op, counter, best = self.details
        t = self.t
        ty = scalar_type(op.operands[0].type.dtype)
        target = self.env[best]
        nan_target = t.op(f"arith.cmpf uno, {target}, {target} : {ty}")

        def body(j, accs):
            x = self.elem(op.operands[0], j)
            t.loc = self.module.loc(op)
            equal = t.op(f"arith.cmpf oeq, {x}, {target} : {ty}")
            both_nan = t.op(
                f"arith.andi {nan_target}, {t.op(f'arith.cmpf uno, {x}, {x} : {ty}')} : i1"
            )
            hit = t.op(f"arith.ori {equal}, {both_nan} : i1")
            index = t.op(f"arith.index_cast {j} : index to i64")
            candidate = t.op(f"arith.select {hit}, {index}, {accs[0]} : i64")
            return [t.op(f"arith.minsi {accs[0]}, {candidate} : i64")]

        (acc,) = self._grid(body, [t.const(str(2**63 - 1), "i64")], ["i64"])
        self._atomic("mins", acc, counter)

    def _arg_axis(self) -> None:
        """argmax (argmin) along one axis of a matrix, one thread per output element: the first
        extreme, or the first NaN (as NumPy)."""
        op, slot = self.details
        t = self.t
        dtype = op.operands[0].type.dtype
        ty = scalar_type(dtype)
        rows, cols = (self.dim(d) for d in op.operands[0].type.shape)
        axis = op.attrs["axis"] % 2
        better = "ogt" if op.opcode == "argmax" else "olt"
        start = float("-inf") if op.opcode == "argmax" else float("inf")

        def body(o, _):
            def inner(k, accs):
                best, index = accs
                row, col = (k, o) if axis == 0 else (o, k)
                x = self.elem(op.operands[0], self._flat(row, col, cols))
                t.loc = self.module.loc(op)
                ordered = t.op(f"arith.cmpf ord, {best}, {best} : {ty}")  # no NaN met yet
                wins = t.op(
                    f"arith.ori {t.op(f'arith.cmpf {better}, {x}, {best} : {ty}')}, {t.op(f'arith.cmpf uno, {x}, {x} : {ty}')} : i1"
                )
                take = t.op(f"arith.andi {ordered}, {wins} : i1")
                k64 = t.op(f"arith.index_cast {k} : index to i64")
                return [
                    t.op(f"arith.select {take}, {x}, {best} : {ty}"),
                    t.op(f"arith.select {take}, {k64}, {index} : i64"),
                ]

            init = [t.const(literal(start, dtype)), t.const("0", "i64")]
            _, index = t.for_(t.index(0), rows if axis == 0 else cols, inner, init, [ty, "i64"])
            self._store(slot, "i64", index, o)

        self._grid(body)

    def _matvec(self) -> None:
        """A[m, n] @ x[n] (matvec) or x[m] @ A[m, n] (vecmat): one thread per output element."""
        op, slot = self.details
        t = self.t
        dtype = op.results[0].type.dtype
        ty = scalar_type(dtype)
        matrix, vector = op.operands if self.kind == "matvec" else reversed(op.operands)
        rows, cols = (self.dim(d) for d in matrix.type.shape)

        def body(j, _):
            def inner(k, accs):
                at = self._flat(j, k, cols) if self.kind == "matvec" else self._flat(k, j, cols)
                x, y = self.elem(matrix, at), self.elem(vector, k)
                t.loc = self.module.loc(op)
                product = t.op(f"arith.mulf {x}, {y} : {ty}")
                return [t.op(f"arith.addf {accs[0]}, {product} : {ty}")]

            zero = t.const(literal(0.0, dtype))
            (acc,) = t.for_(
                t.index(0), cols if self.kind == "matvec" else rows, inner, [zero], [ty]
            )
            self._store(slot, dtype, acc, j)

        self._grid(body)

    _vecmat = _matvec

    def _dot(self) -> None:
        """x . y as a full reduction of the products (a partial sum per thread, then an atomic)."""
        op, r = self.details
        ty = scalar_type(op.results[0].type.dtype)
        init = self.t.const(literal(0.0, op.results[0].type.dtype))

        def body(j, accs):
            x, y = (self.elem(v, j) for v in op.operands)
            self.t.loc = self.module.loc(op)
            product = self.t.op(f"arith.mulf {x}, {y} : {ty}")
            return [self.t.op(f"arith.addf {accs[0]}, {product} : {ty}")]

        (acc,) = self._grid(body, [init], [ty])
        self.t.loc = self.module.loc(op)
        self.t.op(
            f"memref.atomic_rmw addf {acc}, {self.partials}[{self.t.index(r)}] : "
            f"({ty}, {buffer_type(self.dtype, 1)}) -> {ty}"
        )

    # ---------------------------------------------------------------- elements and scalars

    def dim(self, d) -> str:
        """A dimension as an index."""
        return self.t.index(d) if isinstance(d, int) else self.index[d]

    def _flat(self, row: str, col: str, cols: str) -> str:
        t = self.t
        return t.op(f"arith.addi {t.op(f'arith.muli {row}, {cols} : index')}, {col} : index")

    def _store(self, slot: tuple, dtype: str, value: str, j: str) -> None:
        if dtype == "bool":  # booleans are bytes in memory
            value = self.t.op(f"arith.extui {value} : i1 to i8")
        self.t.line(f"memref.store {value}, {self.args[slot]}[{j}] : {buffer_type(dtype, 1)}")

    def elem(self, v: Value, j: str) -> str:
        """Element j (flat, row-major) of tensor `v`: loaded from its buffer or computed inline."""
        key = (v, j)
        if key in self.cache:
            return self.cache[key]
        t = self.t
        if v in self.slots:
            value = t.op(
                f"memref.load {self.args[self.slots[v]]}[{j}] : {buffer_type(v.type.dtype, 1)}"
            )
            if v.type.dtype == "bool":
                value = t.op(f"arith.trunci {value} : i8 to i1")
        else:
            op = self.defs[v]
            if op.opcode in ("full", "full_like"):
                value = self.env[op.operands[0 if op.opcode == "full" else 1]]
            elif op.opcode == "eye":
                cols = self.dim(v.type.shape[1])
                row = t.op(f"arith.divui {j}, {cols} : index")
                diagonal = t.op(
                    f"arith.cmpi eq, {row}, {t.op(f'arith.remui {j}, {cols} : index')} : index"
                )
                ones, zeros = (t.const(literal(x, v.type.dtype)) for x in (1, 0))
                value = t.op(
                    f"arith.select {diagonal}, {ones}, {zeros} : {scalar_type(v.type.dtype)}"
                )
            elif op.opcode == "transpose":
                rows, cols = (self.dim(d) for d in v.type.shape)
                row = t.op(f"arith.divui {j}, {cols} : index")
                col = t.op(f"arith.remui {j}, {cols} : index")
                value = self.elem(op.operands[0], self._flat(col, row, rows))
            elif op.opcode in ("index", "setindex"):
                value = self._indexed(op, v, j)
            elif op.opcode in RANDOM:
                value = self._random(op, j)
            elif op.opcode == "outer":
                cols = self.dim(v.type.shape[1])
                x = self.elem(op.operands[0], t.op(f"arith.divui {j}, {cols} : index"))
                y = self.elem(op.operands[1], t.op(f"arith.remui {j}, {cols} : index"))
                t.loc = self.module.loc(op)
                mul = "arith.mulf" if v.type.dtype in ("f32", "f64") else "arith.muli"
                value = t.op(f"{mul} {x}, {y} : {scalar_type(v.type.dtype)}")
            else:
                from optc.backends.mlir.rules import RULES

                args = [
                    self.env[o] if o.type.is_scalar else self.elem(o, self._broadcast(o, v, j))
                    for o in op.operands
                ]
                t.loc = self.module.loc(op)
                value = RULES[op.opcode](self, op, operand_dtype(op), *args)
        self.cache[key] = value
        return value

    def _random(self, op: Op, j: str) -> str:
        """Element j (the flat row-major index, as `philox.py`'s `_fill` numbers them) of the
        stream (seed, counter) of a `random` or `random_like`."""
        from optc.backends.mlir.philox import random_element

        seed, counter = random_stream(op)
        t = self.t
        t.loc = self.module.loc(op)
        i = t.op(f"arith.index_cast {j} : index to i64")
        dist, dtype = op.attrs["dist"], op.attrs["dtype"]
        return random_element(self, dist, dtype, self.env[seed], self.env[counter], i)

    def scalar(self, v: Value) -> str:
        """A scalar, computed (once, before the loops) from arguments, partials and constants."""
        if v in self.env:
            return self.env[v]
        t = self.t
        step = self.plan.step
        if ("host", v) in self.args:
            value = self.args[("host", v)]
        elif v in self.slots:
            value = self.args[self.slots[v]]
        elif v in step.params:
            value = self.args[("param", step.params.index(v))]
        elif v in self.plan.partial:
            r = self.plan.partial[v]
            value = t.op(
                f"memref.load {self.partials}[{t.index(r)}] : {buffer_type(self.dtype, 1)}"
            )
        else:
            from optc.backends.mlir.rules import RULES

            op = self.defs[v]
            args = [self.scalar(o) for o in op.operands if o.type.is_scalar]
            t.loc = self.module.loc(op)
            if op.opcode == "const":
                value = RULES["const"](self, op).name
            elif op.opcode == "dimsize":
                value = self._dim64(op.operands[0].type.shape[op.attrs["axis"]])
            elif op.opcode == "numel":
                value = t.const("1", "i64")
                for d in op.operands[0].type.shape:
                    value = t.op(f"arith.muli {value}, {self._dim64(d)} : i64")
            else:
                value = RULES[op.opcode](self, op, operand_dtype(op), *args)
        self.env[v] = value
        return value

    def _indexed(self, op: Op, v: Value, j: str) -> str:
        """Element j of a row or column of a matrix (`index`, spec `i:` or `:i`), or of a copy
        of a tensor with an element, row or column replaced (`setindex`, spec `i`, `ii`, `i:`,
        `:i`). The indices are host scalars, already checked against the bounds on the host;
        negative ones count from the end, as in NumPy."""
        if "s" in op.attrs["spec"]:
            return self._sliced(op, v, j)
        t = self.t
        spec = op.attrs["spec"]
        x = op.operands[0]
        shape = [self.dim(d) for d in x.type.shape]
        if op.opcode == "index":
            i = self._wrapped(op.operands[1], shape[0 if spec == "i:" else 1])
            at = self._flat(i, j, shape[1]) if spec == "i:" else self._flat(j, i, shape[1])
            return self.elem(x, at)
        new, *indices = op.operands[1:]
        old = self.elem(x, j)
        if spec in ("i", "ii"):
            target = self._wrapped(indices[0], shape[0])
            if spec == "ii":
                target = self._flat(target, self._wrapped(indices[1], shape[1]), shape[1])
            hit = t.op(f"arith.cmpi eq, {j}, {target} : index")
            value = self.env[new]
        else:
            row = t.op(f"arith.divui {j}, {shape[1]} : index")
            col = t.op(f"arith.remui {j}, {shape[1]} : index")
            mine, other = (row, col) if spec == "i:" else (col, row)
            hit = t.op(
                f"arith.cmpi eq, {mine}, {self._wrapped(indices[0], shape[0 if spec == 'i:' else 1])} : index"
            )
            value = self.elem(new, other)
        t.loc = self.module.loc(op)
        return t.op(f"arith.select {hit}, {value}, {old} : {scalar_type(v.type.dtype)}")

    def _sliced(self, op: Op, v: Value, j: str) -> str:
        """Element j of a slice (`index`, spec `s`, `ss`, `s:`, `:s`), or of a copy of a vector
        with a slice replaced (`setindex`, spec `s`). The bounds are host scalars, checked on
        the host (0 <= lo <= hi <= n); the slice's length is a dimension argument."""
        t = self.t
        x = op.operands[0]
        if op.opcode == "setindex":
            new, lo, hi = (
                op.operands[1],
                *(t.op(f"arith.index_cast {self.env[b]} : i64 to index") for b in op.operands[2:]),
            )
            after = t.op(f"arith.cmpi uge, {j}, {lo} : index")
            inside = t.op(f"arith.andi {after}, {t.op(f'arith.cmpi ult, {j}, {hi} : index')} : i1")
            old = self.elem(x, j)
            if new.type.is_scalar:
                value = self.env[new]
            else:  # read at 0 outside the slice: never beyond the new value's buffer
                offset = t.op(f"arith.subi {j}, {lo} : index")
                at = t.op(f"arith.select {inside}, {offset}, {t.index(0)} : index")
                value = self.elem(new, at)
            t.loc = self.module.loc(op)
            return t.op(f"arith.select {inside}, {value}, {old} : {scalar_type(v.type.dtype)}")
        scalars = iter(op.operands[1:])
        lows = []
        for c in op.attrs["spec"]:
            if c == "s":
                lows.append(t.op(f"arith.index_cast {self.env[next(scalars)]} : i64 to index"))
                next(scalars)
            else:
                lows.append(None)
        if len(lows) == 1:
            return self.elem(x, t.op(f"arith.addi {j}, {lows[0]} : index"))
        cols = self.dim(v.type.shape[1])
        at = [t.op(f"arith.divui {j}, {cols} : index"), t.op(f"arith.remui {j}, {cols} : index")]
        at = [a if lo is None else t.op(f"arith.addi {a}, {lo} : index") for a, lo in zip(at, lows)]
        return self.elem(x, self._flat(at[0], at[1], self.dim(x.type.shape[1])))

    def _wrapped(self, index: Value, size: str) -> str:
        """A host index as an `index`, counted from the end when negative."""
        t = self.t
        i = self.env[index]
        n = t.op(f"arith.index_cast {size} : index to i64")
        negative = t.op(f"arith.cmpi slt, {i}, {t.const('0', 'i64')} : i64")
        wrapped = t.op(f"arith.select {negative}, {t.op(f'arith.addi {i}, {n} : i64')}, {i} : i64")
        return t.op(f"arith.index_cast {wrapped} : i64 to index")

    def _broadcast(self, operand: Value, result: Value, j: str) -> str:
        """The flat index in `operand` of element j of `result`, NumPy-broadcast (the shapes
        aligned on the right, size-1 and missing axes read at 0)."""
        shape, out = operand.type.shape, result.type.shape
        if shape == out:
            return j
        t = self.t
        padded = (1,) * (len(out) - len(shape)) + tuple(shape)
        index = t.op(f"arith.muli {j}, {t.index(0)} : index")  # 0, as an SSA value of this region
        if len(out) == 1:
            return j if padded[0] != 1 else index
        cols = self.dim(out[1])
        row = t.op(f"arith.divui {j}, {cols} : index") if padded[0] != 1 else index
        col = t.op(f"arith.remui {j}, {cols} : index") if padded[1] != 1 else index
        return self._flat(row, col, self.dim(padded[1]))

    def _dim64(self, d) -> str:
        return self.t.const(str(d), "i64") if isinstance(d, int) else self.args[("dim", d)]


def check_broadcast(op: Op) -> None:
    """UnsupportedOp unless the tensor operands of an elementwise op broadcast to a result of
    rank at most 2 (what `KernelEmitter._broadcast` indexes)."""
    r = op.results[0]
    if any(not v.type.is_scalar and v.type.shape != r.type.shape for v in op.operands) and (
        len(r.type.shape) > 2
    ):
        raise UnsupportedOp("kernels broadcast matrices and vectors only", op.loc)


ROOTS = {  # the tensors whose elements a kernel of each kind computes inline
    "map": lambda details: [v for v, _ in details],
    "update": lambda details: [v for v, _ in details],
    "reduce": lambda details: [details[0].operands[0]],
    "axis": lambda details: [details[0].operands[0]],
    "matmul": lambda details: list(details[0].operands),
    "matvec": lambda details: list(details[0].operands),
    "vecmat": lambda details: list(details[0].operands),
    "dot": lambda details: list(details[0].operands),
    "lse_axis": lambda details: [details[0].operands[0]],
    "lse_sum": lambda details: [details[0].operands[0], details[2]],
    "ireduce": lambda details: [details[0].operands[0]],
    "arg_axis": lambda details: [details[0].operands[0]],
    "arg_pick": lambda details: [details[0].operands[0], details[2]],
}


def scalar_roots(kind: str, details, slots: dict, defs: dict) -> list[Value]:
    """The scalars that a kernel's inline elements use directly, in the order first met."""
    found: dict[Value, None] = {}
    seen: set[Value] = set()
    stack = list(reversed(ROOTS[kind](details)))
    while stack:
        v = stack.pop()
        if v in seen or v in slots:
            continue
        seen.add(v)
        if v.type.is_scalar:
            found[v] = None
            continue
        stack.extend(reversed(read_operands(defs[v])))
    return list(found)


def random_stream(op: Op) -> tuple[Value, Value]:
    """The seed and counter of a `random` or `random_like`."""
    return tuple(op.operands[:2] if op.opcode == "random" else op.operands[1:3])


def read_operands(op: Op) -> list[Value]:
    """The operands whose values an inline op reads (not the sizes of `full`, `eye` and
    `random`, nor the tensor that `full_like` or `random_like` takes only the shape of)."""
    if op.opcode in RANDOM:
        return list(random_stream(op))
    if op.opcode == "full":
        return [op.operands[0]]
    if op.opcode == "full_like":
        return [op.operands[1]]
    if op.opcode == "eye":
        return []
    return list(op.operands)
