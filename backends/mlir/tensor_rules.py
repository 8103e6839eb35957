"""MLIR lowering rules for the ops that are not elementwise: constants and shapes,
constructors, indexing, reductions and linear algebra.

Each rule takes the emitter and the emitted operands and returns the emitted result. Tensors
are memrefs: `A.T`, `A[:, j]` and `x[a:b]` are views (`memref.transpose`, `memref.subview`)
that cost nothing; everything else writes a fresh buffer with `scf.for` loop nests. Run-time
checks (indices, slices, inner dimensions, empty reductions) record a status code and continue
with an empty view or a clamped index, so no check can lead to an access out of bounds.
"""

from __future__ import annotations

from optc.backends.mlir.emit import DETAILS, Scalar, Tensor, UnsupportedOp, known_equal
from optc.backends.mlir.rules import is_float, one, rule, zero
from optc.backends.mlir.text import literal, scalar_type
from optc.backends.scipy_symbols import symbol
from optc.ir.core import Op
from optc.ir.ops import SOLVE_MISMATCH, SOLVE_NOT_SQUARE, SOLVE_SINGULAR, slice_dim

# ---------------------------------------------------------------- constants and shapes


@rule("const")
def _const(fe, op: Op):
    dtype = op.attrs["dtype"]
    return Scalar(fe.t.op(f"arith.constant {literal(op.attrs['value'], dtype)}"), dtype)


@rule("dimsize")
def _dimsize(fe, op: Op, x):
    if op.operands[0].type.shape is None:
        raise UnsupportedOp(
            "the mlir backend passes any-shape tensors flat and cannot take one's dimensions",
            op.loc,
        )
    return Scalar(fe.to_i64(x.dims[op.attrs["axis"] % x.rank]), "i64")


@rule("numel")
def _numel(fe, op: Op, x):
    if isinstance(x, Scalar):
        return Scalar(one(fe, "i64"), "i64")
    return Scalar(fe.to_i64(fe.numel(x.dims)), "i64")


# ---------------------------------------------------------------- constructors


def _checked_dims(fe, op: Op, dims: tuple[Scalar, ...], message: str) -> list[str]:
    """Dimension operands as indices; a negative one is an error (and 0 from then on). The
    message may show the dims, as NumPy's does: `negative dimension in (3, -1)`."""
    t = fe.t
    out, bad = [], None
    for d in dims:
        n = fe.to_index(d)
        negative = t.op(f"arith.cmpi slt, {n}, {t.index(0)} : index")
        bad = negative if bad is None else t.op(f"arith.ori {bad}, {negative} : i1")
        out.append(t.op(f"arith.maxsi {n}, {t.index(0)} : index"))
    if bad is not None:
        if "{0}" in message and len(dims) > DETAILS:
            message = "negative dimension"  # too many to show
        fe.fail_if(bad, op, message, tuple(d.name for d in dims) if "{0}" in message else ())
    return out


@rule("full")
def _full(fe, op: Op, value: Scalar, *dims: Scalar):
    shape = ", ".join(f"{{{k}}}" for k in range(len(dims))) + ("," if len(dims) == 1 else "")
    sizes = _checked_dims(fe, op, dims, f"negative dimension in ({shape})")
    out = fe.alloc(sizes, op.results[0].type.dtype, op.results[0].hint)
    fe.fill(out, value.name)
    return out


@rule("full_like")
def _full_like(fe, op: Op, like, value: Scalar):
    if isinstance(like, Scalar):
        return value
    out = fe.alloc(like.dims, op.results[0].type.dtype, op.results[0].hint)
    fe.fill(out, value.name)
    return out


@rule("eye")
def _eye(fe, op: Op, n: Scalar):
    dtype, t = op.attrs["dtype"], fe.t
    size = _checked_dims(fe, op, (n,), "negative dimensions are not allowed")[0]
    out = fe.alloc([size, size], dtype, op.results[0].hint)

    def body(ivs):
        diagonal = t.op(f"arith.cmpi eq, {ivs[0]}, {ivs[1]} : index")
        fe.store(
            t.op(
                f"arith.select {diagonal}, {one(fe, dtype)}, {zero(fe, dtype)} : {scalar_type(dtype)}"
            ),
            out,
            ivs,
        )

    t.nest(out.dims, body)
    return out


# ---------------------------------------------------------------- indexing


@rule("transpose")
def _transpose(fe, op: Op, x: Tensor):
    vt = fe.module.view(x.dtype, 2)
    name = fe.t.op(f"memref.transpose {fe.as_view(x)} (d0, d1) -> (d1, d0) : {vt} to {vt}")
    return Tensor(name, vt, x.dtype, x.dims[::-1], x.root)


def _select_parts(fe, op: Op, x: Tensor, indices: tuple[Scalar, ...]):
    """Offsets and sizes of `x[spec]` (sizes None for integer indices), all bounds-checked, and
    the i1 that says whether a check failed."""
    t = fe.t
    c0 = t.index(0)
    offsets, sizes, checks = [], [], []
    k = 0
    for axis, c in enumerate(op.attrs["spec"]):
        n = x.dims[axis]
        if c == ":":
            offsets.append(c0)
            sizes.append(n)
            continue
        if c == "i":
            given = indices[k]
            i = fe.to_index(given)
            k += 1
            negative = t.op(f"arith.cmpi slt, {i}, {c0} : index")
            i = t.op(
                f"arith.select {negative}, {t.op(f'arith.addi {i}, {n} : index')}, {i} : index"
            )
            below = t.op(f"arith.cmpi slt, {i}, {c0} : index")
            above = t.op(f"arith.cmpi sge, {i}, {n} : index")
            bad = t.op(f"arith.ori {below}, {above} : i1")
            fe.fail_if(
                bad,
                op,
                f"index {{0}} is out of range for axis {axis} of length {{1}}",
                (given.name, fe.to_i64(n)),
            )
            offsets.append(i)
            sizes.append(None)
        else:
            given = (indices[k].name, indices[k + 1].name)
            lo, hi = fe.to_index(indices[k]), fe.to_index(indices[k + 1])
            k += 2
            # NumPy would clip, but the slice's type says it has hi - lo elements (see numpy/rules.py).
            below = t.op(f"arith.cmpi slt, {lo}, {c0} : index")
            crossed = t.op(f"arith.cmpi slt, {hi}, {lo} : index")
            above = t.op(f"arith.cmpi sgt, {hi}, {n} : index")
            bad = t.op(f"arith.ori {t.op(f'arith.ori {below}, {crossed} : i1')}, {above} : i1")
            fe.fail_if(
                bad,
                op,
                f"slice {{0}}:{{1}} is out of range for axis {axis} of length {{2}}",
                (*given, fe.to_i64(n)),
            )
            offsets.append(lo)
            sizes.append(t.op(f"arith.subi {hi}, {lo} : index"))
        checks.append(bad)
    bad = checks[0] if checks else None
    for b in checks[1:]:
        bad = t.op(f"arith.ori {bad}, {b} : i1")
    if bad is not None:
        offsets = [
            o if o == c0 else t.op(f"arith.select {bad}, {c0}, {o} : index") for o in offsets
        ]
        sizes = [s if s is None else t.op(f"arith.select {bad}, {c0}, {s} : index") for s in sizes]
    return offsets, sizes, bad


def _part(fe, x: Tensor, offsets: list[str], sizes: list) -> Tensor:
    """The view `x[offsets : offsets + sizes]`, dropping the axes whose size is None."""
    kept = [s for s in sizes if s is not None]
    vt = fe.module.view(x.dtype, len(kept))
    name = fe.t.op(
        f"memref.subview {fe.as_view(x)}[{', '.join(offsets)}] [{', '.join('1' if s is None else s for s in sizes)}] "
        f"[{', '.join('1' for _ in sizes)}] : {fe.module.view(x.dtype, x.rank)} to {vt}"
    )
    return Tensor(name, vt, x.dtype, kept, x.root)


@rule("index")
def _index(fe, op: Op, x: Tensor, *indices: Scalar):
    offsets, sizes, bad = _select_parts(fe, op, x, indices)
    if any(s is not None for s in sizes):
        return _part(fe, x, offsets, sizes)
    t, ty = fe.t, scalar_type(x.dtype)
    ok = t.op(f"arith.xori {bad}, {one(fe, 'bool')} : i1")
    value = t.if_(ok, lambda: [fe.load(x, offsets)], lambda: [zero(fe, x.dtype)], [ty])[0]
    return Scalar(value, x.dtype)


@rule("setindex")
def _setindex(fe, op: Op, x: Tensor, v, *indices: Scalar):
    t = fe.t
    out = fe.copy(x, op.results[0].hint)
    offsets, sizes, bad = _select_parts(fe, op, out, indices)
    if all(s is None for s in sizes):
        ok = t.op(f"arith.xori {bad}, {one(fe, 'bool')} : i1")
        t.if_(ok, lambda: fe.store(v.name, out, offsets))
        return out
    target = _part(fe, out, offsets, sizes)
    if isinstance(v, Scalar):
        fe.fill(target, v.name)
        return out
    # The value broadcasts into the selected part; check the axes its type does not fix.
    target_syms = _indexed_syms(op)
    shift = target.rank - v.rank
    dims = list(target.dims)
    v_shape = op.operands[1].type.shape
    for k in range(v.rank):
        if v_shape[k] != 1:
            dims[shift + k] = fe.same_dim(
                op,
                dims[shift + k],
                v.dims[k],
                target_syms[shift + k],
                v_shape[k],
                "the value does not fit the indexed part",
            )

    def body(ivs):
        src = [t.index(0) if v_shape[k] == 1 else ivs[shift + k] for k in range(v.rank)]
        fe.store(fe.load(v, src), target, ivs)

    t.nest(dims, body)
    return out


def _indexed_syms(op: Op) -> list:
    """The symbolic dims of the part of operand 0 that `op`'s spec selects."""
    shape, bounds = op.operands[0].type.shape, op.attrs.get("bounds", ())
    out, k = [], 0
    for axis, c in enumerate(op.attrs["spec"]):
        if c == ":":
            out.append(shape[axis])
        elif c == "s":
            lo, hi = bounds[k] if k < len(bounds) else (None, None)
            k += 1
            out.append(slice_dim(shape[axis], lo, hi))
    return out


# ---------------------------------------------------------------- reductions


def _reduce(
    fe, op: Op, x: Tensor, inits: list[str], types: list[str], combine, finish, indexed=False
):
    """Fold `combine(accs, value, position) -> accs` over all of `x` or along `axis`, then
    `finish(accs) -> result`. With `indexed`, `position` is the flat (row-major) index of the
    value, or its index along the axis; otherwise it is None."""
    t = fe.t
    dtype = op.results[0].type.dtype
    if op.results[0].type.is_scalar:
        strides = _row_major(fe, x.dims) if indexed else None

        def body(ivs, accs):
            return combine(
                accs, fe.load(x, ivs), _flat_index(fe, ivs, strides) if indexed else None
            )

        return Scalar(finish(t.fold(x.dims, inits, types, body)), dtype)
    axis = op.attrs["axis"] % x.rank
    out_dims = x.dims[:axis] + x.dims[axis + 1 :]
    out = fe.alloc(out_dims, dtype, op.results[0].hint)

    def outer(ivs):
        def inner(j, accs):
            return combine(accs, fe.load(x, ivs[:axis] + [j] + ivs[axis:]), j)

        fe.store(finish(t.for_(t.index(0), x.dims[axis], inner, inits, types)), out, ivs)

    t.nest(out_dims, outer)
    return out


def _row_major(fe, dims: list[str]) -> list[str]:
    strides = [fe.t.index(1)] * len(dims)
    for k in range(len(dims) - 2, -1, -1):
        strides[k] = fe.t.op(f"arith.muli {strides[k + 1]}, {dims[k + 1]} : index")
    return strides


def _flat_index(fe, ivs: list[str], strides: list[str]) -> str | None:
    if len(ivs) == 1:
        return ivs[0]
    flat = None
    for i, s in zip(ivs, strides):
        term = fe.t.op(f"arith.muli {i}, {s} : index")
        flat = term if flat is None else fe.t.op(f"arith.addi {flat}, {term} : index")
    return flat


def _check_not_empty(fe, op: Op, x: Tensor, message: str) -> None:
    """NumPy cannot take the max (argmax, ...) over an empty axis of a non-empty result."""
    t = fe.t
    axis = op.attrs.get("axis")
    if op.results[0].type.is_scalar:
        empty = t.op(f"arith.cmpi eq, {fe.numel(x.dims)}, {t.index(0)} : index")
    else:
        axis %= x.rank
        reduced = t.op(f"arith.cmpi eq, {x.dims[axis]}, {t.index(0)} : index")
        rest = fe.numel(x.dims[:axis] + x.dims[axis + 1 :])
        empty = t.op(
            f"arith.andi {reduced}, {t.op(f'arith.cmpi sgt, {rest}, {t.index(0)} : index')} : i1"
        )
    fe.fail_if(empty, op, message)


@rule("reduce_sum")
def _reduce_sum(fe, op: Op, x):
    if isinstance(x, Scalar):
        return x
    ty = scalar_type(x.dtype)
    add = "arith.addf" if is_float(x.dtype) else "arith.addi"
    return _reduce(
        fe,
        op,
        x,
        [zero(fe, x.dtype)],
        [ty],
        lambda accs, v, _: [fe.t.op(f"{add} {accs[0]}, {v} : {ty}")],
        lambda accs: accs[0],
    )


def _extreme(dtype: str, kind: str) -> str:
    """The identity of max (kind 'max') or min over a dtype."""
    if is_float(dtype):
        return literal(float("-inf") if kind == "max" else float("inf"), dtype)
    return literal(-(2**63) if kind == "max" else 2**63 - 1, dtype)


def _minmax(fe, op: Op, x, kind: str):
    if isinstance(x, Scalar):
        return x
    operation = {"max": "maximum", "min": "minimum"}[kind]
    _check_not_empty(
        fe, op, x, f"zero-size array to reduction operation {operation} which has no identity"
    )
    ty = scalar_type(x.dtype)
    name = {
        ("max", True): "arith.maximumf",
        ("min", True): "arith.minimumf",
        ("max", False): "arith.maxsi",
        ("min", False): "arith.minsi",
    }[(kind, is_float(x.dtype))]
    return _reduce(
        fe,
        op,
        x,
        [fe.t.const(_extreme(x.dtype, kind))],
        [ty],
        lambda accs, v, _: [fe.t.op(f"{name} {accs[0]}, {v} : {ty}")],
        lambda accs: accs[0],
    )


@rule("reduce_max")
def _reduce_max(fe, op: Op, x):
    return _minmax(fe, op, x, "max")


@rule("reduce_min")
def _reduce_min(fe, op: Op, x):
    return _minmax(fe, op, x, "min")


def _arg(fe, op: Op, x, kind: str):
    t = fe.t
    if isinstance(x, Scalar):
        return Scalar(zero(fe, "i64"), "i64")
    _check_not_empty(fe, op, x, f"attempt to get {op.opcode} of an empty sequence")
    ty = scalar_type(x.dtype)
    cmp = (
        ("ogt" if kind == "max" else "olt")
        if is_float(x.dtype)
        else ("sgt" if kind == "max" else "slt")
    )

    def combine(accs, v, at):
        best, best_at = accs
        if is_float(x.dtype):
            # The first NaN wins, as in NumPy: take v if best is not NaN and (v is NaN or v beats best).
            v_nan = t.op(f"arith.cmpf uno, {v}, {v} : {ty}")
            best_ok = t.op(f"arith.cmpf ord, {best}, {best} : {ty}")
            beats = t.op(f"arith.cmpf {cmp}, {v}, {best} : {ty}")
            take = t.op(f"arith.andi {best_ok}, {t.op(f'arith.ori {v_nan}, {beats} : i1')} : i1")
        else:
            take = t.op(f"arith.cmpi {cmp}, {v}, {best} : {ty}")
        return [
            t.op(f"arith.select {take}, {v}, {best} : {ty}"),
            t.op(f"arith.select {take}, {at}, {best_at} : index"),
        ]

    def finish(accs):
        return fe.to_i64(accs[1])

    return _reduce(
        fe,
        op,
        x,
        [t.const(_extreme(x.dtype, kind)), t.index(0)],
        [ty, "index"],
        combine,
        finish,
        indexed=True,
    )


@rule("argmax")
def _argmax(fe, op: Op, x):
    return _arg(fe, op, x, "max")


@rule("argmin")
def _argmin(fe, op: Op, x):
    return _arg(fe, op, x, "min")


@rule("logsumexp")
def _logsumexp(fe, op: Op, x):
    """log(sum(exp(x - m))) + m with m the max, or 0 where the max is not finite (NumPy rule)."""
    if isinstance(x, Scalar):
        return x
    t = fe.t
    dtype = x.dtype
    _check_not_empty(
        fe, op, x, "zero-size array to reduction operation maximum which has no identity"
    )

    def shift_of(m: str) -> str:
        finite = t.op(
            f"arith.cmpf olt, {t.op(f'math.absf {m} : {dtype}')}, {t.const(literal(float('inf'), dtype))} : {dtype}"
        )
        return t.op(f"arith.select {finite}, {m}, {zero(fe, dtype)} : {dtype}")

    def total(ivs_of, dims, shift) -> str:
        def add(ivs, accs):
            d = t.op(f"arith.subf {fe.load(x, ivs_of(ivs))}, {shift} : {dtype}")
            return [t.op(f"arith.addf {accs[0]}, {t.op(f'math.exp {d} : {dtype}')} : {dtype}")]

        s = t.fold(dims, [zero(fe, dtype)], [dtype], add)[0]
        return t.op(f"arith.addf {t.op(f'math.log {s} : {dtype}')}, {shift} : {dtype}")

    maximum = lambda ivs, accs: [t.op(f"arith.maximumf {accs[0]}, {fe.load(x, ivs)} : {dtype}")]
    lowest = t.const(_extreme(dtype, "max"))
    if op.results[0].type.is_scalar:
        shift = shift_of(t.fold(x.dims, [lowest], [dtype], maximum)[0])
        return Scalar(total(lambda ivs: ivs, x.dims, shift), dtype)
    axis = op.attrs["axis"] % x.rank
    out_dims = x.dims[:axis] + x.dims[axis + 1 :]
    out = fe.alloc(out_dims, dtype, op.results[0].hint)

    def outer(ivs):
        def along(j_ivs):
            return ivs[:axis] + j_ivs + ivs[axis:]

        m = t.fold([x.dims[axis]], [lowest], [dtype], lambda j, accs: maximum(along(j), accs))[0]
        fe.store(total(along, [x.dims[axis]], shift_of(m)), out, ivs)

    t.nest(out_dims, outer)
    return out


# ---------------------------------------------------------------- linear algebra


def _inner(fe, op: Op, a: str, b: str, sym_a, sym_b) -> str:
    return fe.same_dim(op, a, b, sym_a, sym_b, "inner dimensions differ")


def _sum_of_products(fe, n: str, dtype: str, left, right) -> str:
    """sum over k < n of left(k) * right(k)."""
    t = fe.t

    def step(k, accs):
        return [
            t.op(
                f"arith.addf {accs[0]}, {t.op(f'arith.mulf {left(k)}, {right(k)} : {dtype}')} : {dtype}"
            )
        ]

    return t.for_(t.index(0), n, step, [zero(fe, dtype)], [dtype])[0]


@rule("dot")
def _dot(fe, op: Op, x: Tensor, y: Tensor):
    n = _inner(
        fe, op, x.dims[0], y.dims[0], op.operands[0].type.shape[0], op.operands[1].type.shape[0]
    )
    return Scalar(
        _sum_of_products(fe, n, x.dtype, lambda k: fe.load(x, [k]), lambda k: fe.load(y, [k])),
        x.dtype,
    )


@rule("matvec")
def _matvec(fe, op: Op, a: Tensor, x: Tensor):
    m, n = a.dims
    n = _inner(fe, op, n, x.dims[0], op.operands[0].type.shape[1], op.operands[1].type.shape[0])
    out = fe.alloc([m], a.dtype, op.results[0].hint)
    fe.t.nest(
        [m],
        lambda ivs: fe.store(
            _sum_of_products(
                fe, n, a.dtype, lambda k: fe.load(a, [ivs[0], k]), lambda k: fe.load(x, [k])
            ),
            out,
            ivs,
        ),
    )
    return out


@rule("vecmat")
def _vecmat(fe, op: Op, x: Tensor, a: Tensor):
    m, n = a.dims
    m = _inner(fe, op, x.dims[0], m, op.operands[0].type.shape[0], op.operands[1].type.shape[0])
    out = fe.alloc([n], a.dtype, op.results[0].hint)
    fe.t.nest(
        [n],
        lambda ivs: fe.store(
            _sum_of_products(
                fe, m, a.dtype, lambda k: fe.load(x, [k]), lambda k: fe.load(a, [k, ivs[0]])
            ),
            out,
            ivs,
        ),
    )
    return out


@rule("matmul")
def _matmul(fe, op: Op, a: Tensor, b: Tensor):
    m, k = a.dims
    k = _inner(fe, op, k, b.dims[0], op.operands[0].type.shape[1], op.operands[1].type.shape[0])
    out = fe.alloc([m, b.dims[1]], a.dtype, op.results[0].hint)
    fe.t.nest(
        out.dims,
        lambda ivs: fe.store(
            _sum_of_products(
                fe, k, a.dtype, lambda p: fe.load(a, [ivs[0], p]), lambda p: fe.load(b, [p, ivs[1]])
            ),
            out,
            ivs,
        ),
    )
    return out


@rule("outer")
def _outer(fe, op: Op, x: Tensor, y: Tensor):
    t = fe.t
    out = fe.alloc([x.dims[0], y.dims[0]], x.dtype, op.results[0].hint)
    fe.t.nest(
        out.dims,
        lambda ivs: fe.store(
            t.op(f"arith.mulf {fe.load(x, [ivs[0]])}, {fe.load(y, [ivs[1]])} : {x.dtype}"), out, ivs
        ),
    )
    return out


@rule("solve")
def _solve(fe, op: Op, a: Tensor, rhs: Tensor):
    """x = A⁻¹ b by LAPACK getrf + getrs on column-major copies (so strided views work and the
    operands stay intact), as on the llvm backend: SciPy's routines, the ones the NumPy backend
    calls, bound to `optc.dgetrf`... when the module is loaded (`runtime.py`), so every backend
    meets the same pivots. An exact zero pivot (getrf's info > 0) is the singular-matrix error
    at its row."""
    t, dtype = fe.t, a.dtype
    shape_a, shape_b = op.operands[0].type.shape, op.operands[1].type.shape
    n = _checked_equal(fe, op, a.dims[0], a.dims[1], shape_a[0], shape_a[1], SOLVE_NOT_SQUARE)
    n = _checked_equal(fe, op, rhs.dims[0], n, shape_b[0], shape_a[0], SOLVE_MISMATCH)
    lu = fe.alloc([n, n], dtype)
    _transpose_into(fe, lu, a, [n, n])
    if rhs.rank == 1:
        x, nrhs = fe.copy(rhs, op.results[0].hint), t.index(1)
    else:
        nrhs = rhs.dims[1]
        x = fe.alloc([nrhs, n], dtype)
        _transpose_into(fe, x, rhs, [n, nrhs])
    info = _getrf_getrs(fe, dtype, n, nrhs, lu, x)
    singular = t.op(f"arith.cmpi sgt, {info}, {t.const('0', 'i32')} : i32")
    info64 = t.op(f"arith.extsi {info} : i32 to i64")
    row = t.op(f"arith.subi {info64}, {t.const('1', 'i64')} : i64")
    fe.fail_if(singular, op, SOLVE_SINGULAR, (row,))
    if rhs.rank == 1:
        return x
    out = fe.alloc([n, nrhs], dtype, op.results[0].hint)
    _transpose_into(fe, out, x, [nrhs, n])
    return out


def _transpose_into(fe, dst: Tensor, src: Tensor, dims: list[str]) -> None:
    """dst[j, i] = src[i, j] over `dims` (src's): a row-major copy of a matrix is its
    column-major form, the layout LAPACK takes."""
    fe.t.nest(dims, lambda ivs: fe.store(fe.load(src, ivs), dst, ivs[::-1]))


def _getrf_getrs(fe, dtype: str, n: str, nrhs: str, lu: Tensor, rhs: Tensor) -> str:
    """Factor the column-major n×n buffer `lu` in place (getrf), then overwrite the column-major
    n×nrhs buffer `rhs` with the solution (getrs); returns getrf's info (an i32). LAPACK takes
    every argument by reference: the ints, the pivots and `trans` are stack slots of a
    `memref.alloca_scope`, so a solve in a loop does not grow the stack."""
    t = fe.t
    getrf, getrs = symbol("getrf", dtype), symbol("getrs", dtype)
    fe.module.declare(getrf, ["!llvm.ptr"] * 6, [])
    fe.module.declare(getrs, ["!llvm.ptr"] * 9, [])

    def call(name: str, args: list[str]) -> None:
        types = ", ".join(["!llvm.ptr"] * len(args))
        t.line(f"func.call @{name}({', '.join(args)}) : ({types}) -> ()")

    def slot(value: str, type_: str) -> str:
        buf = t.op(f"memref.alloca() : memref<{type_}>")
        t.line(f"memref.store {value}, {buf}[] : memref<{type_}>")
        return _address(fe, buf, f"memref<{type_}>")

    def body() -> list[str]:
        ld = t.op(f"arith.maxui {n}, {t.index(1)} : index")  # LAPACK wants lda >= 1
        n32, ld32, nrhs32 = (t.op(f"arith.index_cast {v} : index to i32") for v in (n, ld, nrhs))
        pn, pld, pnrhs = slot(n32, "i32"), slot(ld32, "i32"), slot(nrhs32, "i32")
        pivots = t.op(f"memref.alloca({ld}) : memref<?xi32>")
        ppiv = _address(fe, pivots, "memref<?xi32>")
        info = t.op("memref.alloca() : memref<i32>")
        pinfo = _address(fe, info, "memref<i32>")
        pa = _address(fe, lu.name, lu.type)
        call(getrf, [pn, pn, pa, pld, ppiv, pinfo])
        code = t.op(f"memref.load {info}[] : memref<i32>")
        trans = slot(t.const(str(ord("N")), "i8"), "i8")
        call(getrs, [trans, pn, pnrhs, pa, pld, ppiv, _address(fe, rhs.name, rhs.type), pld, pinfo])
        return [code]

    return t.alloca_scope(body, ["i32"])[0]


def _address(fe, buf: str, type_: str) -> str:
    """The address of the first element of an identity-layout buffer, as a C pointer."""
    t = fe.t
    index = t.op(f"memref.extract_aligned_pointer_as_index {buf} : {type_} -> index")
    address = t.op(f"arith.index_cast {index} : index to i64")
    return t.op(f"llvm.inttoptr {address} : i64 to !llvm.ptr")


def _checked_equal(fe, op: Op, a: str, b: str, sym_a, sym_b, message: str) -> str:
    """`a`, checked equal to `b` (unless their types say so) with both in the message's `{0}`
    and `{1}`; the smaller one on a mismatch, so the loops stay in bounds."""
    if known_equal(sym_a, sym_b):
        return a
    t = fe.t
    fe.fail_if(t.op(f"arith.cmpi ne, {a}, {b} : index"), op, message, (fe.to_i64(a), fe.to_i64(b)))
    return t.op(f"arith.minui {a}, {b} : index")
