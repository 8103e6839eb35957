"""Reverse-mode automatic differentiation as an IR transformation: `gradient(fn) -> fn.grad`.

`gradient` takes a function of kind `fn` whose single result is a real scalar and returns a new
function of kind `fn`, with the same parameters, whose result is the gradient of that scalar with
respect to the first parameter (a value of the first parameter's type). The new body holds a copy
of the primal ops followed by the adjoint ops, built with the ordinary op table, so every backend
runs it after inlining and the normal passes (CSE, DCE, ...) merge it with the caller's code: a
`grad(f)(x)` used twice, or next to `f(x)`, is computed once.

Before (`f(x, a) = sum(a * exp(x))`):

    func @f(%x: f64[n], %a: f64[n]) -> (f64[]) {kind="fn"} {
      %0: f64[n] = exp %x
      %1: f64[n] = mul %a, %0
      %2: f64[] = reduce_sum %1 {axis=None}
      return %2
    }

After (`gradient(f)`):

    func @f.grad(%x: f64[n], %a: f64[n]) -> (f64[n]) {kind="fn"} {
      %0: f64[n] = exp %x
      %1: f64[n] = mul %a, %0
      %2: f64[] = reduce_sum %1 {axis=None}
      %3: f64[] = const {dtype="f64", value=1.0}
      %4: f64[n] = full_like %1, %3          # adjoint of reduce_sum: broadcast back
      %5: f64[n] = mul %4, %a                # adjoint of mul w.r.t. its second operand
      %6: f64[n] = mul %5, %0                # adjoint of exp: times exp(x)
      return %6
    }

Only values that depend on the first parameter and have a float dtype are differentiated
("active"); integer and bool values, and values computed from the other parameters only, get no
adjoint. Subgradients at kinks:

- `sqrt(x)` at 0: 0 (not the one-sided +inf), so that `norm(x)` (`sqrt(sum(x * x))`) gets the
  subgradient 0 at x = 0 (torch's `norm` rule). A zero there would also cut the second
  derivative of `norm(x)^2` (torch's Hessian of `norm(x)**2` at 0 is 0, not 2I), so before
  differentiating, the copy of the body that is differentiated (never `f` itself) has squares
  of roots of values >= 0 by construction folded: `sqrt(q)^2` and `sqrt(q) * sqrt(q)` -> `q`,
  `sqrt(q)^(2k)` -> `q^k` (after CSE, so `norm(x) * norm(x)` counts). `norm(x)^2`,
  `0.5 * norm(A @ x - b)^2` and `norm(x) * norm(x)` then have their exact gradient and Hessian
  at x = 0, Newton-CG's usual starting point. A constant exponent `x^p` is differentiated as
  `p x^(p-1)` with the constant p - 1 (`x^1` as 1), so its derivatives are exact at 0 too.
- `abs(x)`: `sign(x)`, i.e. 0 at 0; `sign`, `floor`, `round`, comparisons, `argmax`/`argmin`:
  zero gradient.
- `minimum(a, b)` / `maximum(a, b)`: the whole adjoint goes to the selected operand; on a tie
  it goes to the first operand `a`.
- `reduce_max` / `reduce_min`: the adjoint is split evenly between the positions that attain the
  extreme value (a convex combination of the one-hot subgradients; torch's `amax` rule).

`hessian_vector_product(fn)` is reverse over reverse: `gradient` of
`(x, v, …) -> sum(gradient(fn)(x, …) * v)`. Every adjoint op the first pass emits is an ordinary
op with a rule here (`full_like`, broadcasting `add`, `select`, `setindex`, `transpose`, …), so
no second-order rules are needed; at kinks the Hessian is that of the piece the subgradients
above select (0 for `abs` and `sign`; the selected operand's for `minimum`/`maximum`/`select`).

Calls are inlined first (`callees` supplies the called `fn`s). Loops are not differentiated: a
`fn` holding a loop raises an `OptcError`, as does an op with no rule here (`grad of <op> is not
supported`) and a broadcast or axis reduction that cannot be undone with the existing ops.
"""

from __future__ import annotations

from collections import ChainMap

from optc.errors import OptcError
from optc.ir.builder import Builder
from optc.ir.core import Block, Function, Module, Op, Value
from optc.ir.passes.cse import _cse_block
from optc.ir.passes.inline import _inline_block
from optc.ir.rewrite import clone_op, substitute_op
from optc.ir.types import TensorType

# Ops whose results carry no gradient (piecewise constant, integer or boolean results).
_ZERO_GRAD = {
    "sign", "floor", "round", "lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not",
    "argmax", "argmin", "dimsize", "numel", "const", "eye", "random", "random_like",
    "random_subset",
}


def gradient(fn: Function, callees: dict[str, Function] | None = None, name: str | None = None) -> Function:
    """The function `name` (default `<fn.name>.grad`) returning d fn / d (first parameter).

    `fn` must have one real scalar result and a real first parameter; `callees` maps the names
    of the `fn`s it calls to their functions (they are inlined before differentiating).
    """
    if len(fn.results) != 1 or not fn.results[0].type.is_scalar or not fn.results[0].type.is_float:
        raise OptcError(f"grad needs a fn returning a real scalar; `{fn.name}` returns {fn.results[0].type}", fn.loc)
    if not fn.params or not fn.params[0].type.is_float:
        raise OptcError(f"grad differentiates with respect to the first argument, which must be real; "
                        f"`{fn.name}`'s is not", fn.loc)
    body = _squares_of_roots(_inline_block(fn.body, Module(dict(callees or {})), {}))
    params = tuple(Value(p.type, p.hint) for p in fn.params)
    mapping: dict[Value, Value] = dict(zip(fn.params, params))
    primal = [clone_op(op, mapping) for op in body.ops]
    result = mapping.get(body.results[0], body.results[0])
    for op in primal:
        for inner in _walk(op):
            if inner.opcode == "loop":
                raise OptcError(f"grad of a fn containing a loop is not supported (`{fn.name}`)", inner.loc or fn.loc)
            if inner.opcode == "call":
                raise OptcError(f"grad: unresolved call of @{inner.attrs.get('callee')}", inner.loc or fn.loc)

    x = params[0]
    active: set[Value] = {x}
    for op in primal:
        if op.opcode in _ZERO_GRAD:
            continue
        if any(v in active for v in op.operands):
            active.update(r for r in op.results if r.type.is_float)

    b = Builder()
    b.ops.extend(primal)
    b.const_value.update((op.result, op.attrs["value"]) for op in primal if op.opcode == "const")
    adj: dict[Value, Value] = {}
    if result in active:
        adj[result] = b.const(1.0, result.type.dtype)
    for op in reversed(primal):
        if len(op.results) != 1 or op.result not in adj:
            continue
        g = adj[op.result]
        for operand, contribution in _adjoints(b, op, g, active):
            if contribution is None:
                continue
            if contribution.type.dtype != operand.type.dtype:
                contribution = b.cast(contribution, operand.type.dtype, op.loc)
            adj[operand] = contribution if operand not in adj else b.emit("add", (adj[operand], contribution), loc=op.loc)
    grad = adj.get(x)
    if grad is None:
        grad = b.emit("full_like", (x, b.const(0.0, x.type.dtype)))
    return Function(name or f"{fn.name}.grad", b.finish(params, (grad,)), {**fn.attrs, "kind": "fn"}, fn.loc)


def hessian_vector_product(fn: Function, callees: dict[str, Function] | None = None,
                           name: str | None = None) -> Function:
    """The function `name` (default `<fn.name>.hvp`) of `(x, v, *rest)` returning H v, where H is
    the Hessian of `fn` in its first parameter x at `(x, *rest)` and v has x's type.

    Reverse over reverse: `h(x, v, *rest) = sum(gradient(fn)(x, *rest) * v)` is built here and
    differentiated again with `gradient`, so the adjoint ops of the first pass need rules of
    their own (they are all ordinary ops). Errors say `hvp of …` rather than `grad of …`.
    """
    try:
        g = gradient(fn, callees, f"{fn.name}.grad")
        x, *rest = (Value(p.type, p.hint) for p in g.params)
        v = Value(x.type, "v")
        mapping: dict[Value, Value] = {g.params[0]: x, **dict(zip(g.params[1:], rest))}
        b = Builder()
        b.ops.extend(clone_op(op, mapping) for op in g.body.ops)
        grad = mapping.get(g.body.results[0], g.body.results[0])
        directional = b.emit("reduce_sum", (b.emit("mul", (grad, v), loc=fn.loc),), {"axis": None}, fn.loc)
        h = Function(f"{fn.name}.hv", b.finish((x, v, *rest), (directional,)), g.attrs, fn.loc)
        return gradient(h, None, name or f"{fn.name}.hvp")
    except OptcError as err:
        if not err.message.startswith("grad "):
            raise
        raise OptcError("hvp " + err.message[len("grad "):], err.span, err.notes) from None


def _squares_of_roots(body: Block) -> Block:
    """`body` (inlined, then CSE'd so that `norm(x) * norm(x)` reads one root) with each square
    of a square root of a value known to be >= 0 replaced by that value: `sqrt(q)^2` and
    `sqrt(q) * sqrt(q)` -> `q`, `sqrt(q)^(2k)` -> `q^k`. The adjoint of `sqrt` is cut to 0 at
    0 (see the module docstring), so without this `norm(x)^2` would have the Hessian 0 at x = 0
    instead of 2I. Only the copy that `gradient` differentiates changes, never `f` itself."""
    body = _cse_block(body, ChainMap(), {})
    producer: dict[Value, Op] = {}
    replaced: dict[Value, Value] = {}
    b = Builder()
    for op in body.ops:
        op = substitute_op(op, replaced)
        emitted = len(b.ops)
        square = _root_squared(b, op, producer)
        if square is None:
            b.ops.append(op)
        else:
            replaced[op.result] = square
        producer.update((r, new) for new in b.ops[emitted:] for r in new.results)
    return Block(body.args, tuple(b.ops), tuple(replaced.get(v, v) for v in body.results))


def _root_squared(b: Builder, op: Op, producer: dict[Value, Op]) -> Value | None:
    """`q` (or `q^k`, emitted into `b`) if `op` is `sqrt(q) * sqrt(q)` or `sqrt(q)^(2k)` with
    `q` >= 0, else None."""
    if op.opcode == "mul" and op.operands[0] is op.operands[1]:
        half = 1
    elif op.opcode == "pow" and getattr(producer.get(op.operands[1]), "opcode", None) == "const":
        exponent = producer[op.operands[1]].attrs["value"]
        if isinstance(exponent, bool) or exponent <= 0 or exponent % 2:
            return None
        half = int(exponent) // 2
    else:
        return None
    root = producer.get(op.operands[0])
    if root is None or root.opcode != "sqrt" or not _nonnegative(root.operands[0], producer):
        return None
    q = root.operands[0]
    return q if half == 1 else b.emit("pow", (q, b.const(half, q.type.dtype, op.loc)), loc=op.loc)


def _nonnegative(v: Value, producer: dict[Value, Op]) -> bool:
    """Whether `v` is >= 0 (or NaN) by construction: a square, `abs`, `exp`, `sqrt`, or a sum,
    product or extreme of such values."""
    op = producer.get(v)
    if op is None:
        return False
    if op.opcode in ("sqrt", "abs", "exp"):
        return True
    if op.opcode in ("mul", "dot") and op.operands[0] is op.operands[1]:
        return True
    return op.opcode in ("add", "mul", "reduce_sum", "reduce_max", "reduce_min") and \
        all(_nonnegative(a, producer) for a in op.operands)


def _walk(op: Op):
    yield op
    for region in op.regions:
        yield from region.walk()


def _unsupported(op: Op, why: str = "") -> OptcError:
    return OptcError(f"grad of `{op.opcode}` is not supported{why}", op.loc)


def _unbroadcast(b: Builder, g: Value, target: TensorType, op: Op) -> Value:
    """`g` summed over the axes along which an operand of type `target` was broadcast."""
    gs, ts = g.type.shape, target.shape
    if ts == gs or ts is None:
        return g
    if ts == ():
        return b.emit("reduce_sum", (g,), {"axis": None}, op.loc)
    if gs is None:
        raise _unsupported(op, " (an operand of fixed rank broadcast to any shape)")
    while len(g.type.shape) > len(ts):
        g = b.emit("reduce_sum", (g,), {"axis": 0}, op.loc)
    for dt, dg in zip(ts, g.type.shape):
        if dt == 1 and dg != 1:
            raise _unsupported(op, " (broadcasting along an axis of length 1)")
    return g


def _expand(b: Builder, v: Value, like: Value, axis, op: Op) -> Value:
    """`v`, the result of reducing `like` over `axis`, broadcast back to `like`'s shape."""
    zero = b.const(0.0, v.type.dtype)
    rank = like.type.rank
    if axis is None or rank == 1:
        if not v.type.is_scalar:
            raise _unsupported(op)
        return b.emit("full_like", (like, v), loc=op.loc)
    if rank is None:
        raise _unsupported(op, " (axis= on a tensor of unknown rank)")
    axis = axis % rank
    if axis == 0:
        return b.emit("add", (b.emit("full_like", (like, zero), loc=op.loc), v), loc=op.loc)
    if rank == 2 and axis == 1:
        t = b.emit("transpose", (like,), loc=op.loc)
        wide = b.emit("add", (b.emit("full_like", (t, zero), loc=op.loc), v), loc=op.loc)
        return b.emit("transpose", (wide,), loc=op.loc)
    raise _unsupported(op, f" (axis={axis} on a tensor of rank {rank})")


def _adjoints(b: Builder, op: Op, g: Value, active: set[Value]):
    """(operand, adjoint contribution) pairs for the active operands of `op` given `g`."""
    code, ops, y, loc = op.opcode, op.operands, op.result, op.loc

    def e(opcode, *operands, **attrs):
        return b.emit(opcode, operands, attrs, loc)

    def c(value):
        return b.const(value, g.type.dtype, loc)

    def act(i):
        return i < len(ops) and ops[i] in active

    def out(i, v, unbroadcast=True):
        if act(i):
            yield ops[i], (_unbroadcast(b, v(), ops[i].type, op) if unbroadcast else v())

    if code in _ZERO_GRAD:
        return
    if code in ("add", "sub", "mul", "div", "pow", "mod", "minimum", "maximum"):
        a, bb = ops
        if code == "add":
            yield from out(0, lambda: g)
            yield from out(1, lambda: g)
        elif code == "sub":
            yield from out(0, lambda: g)
            yield from out(1, lambda: e("neg", g))
        elif code == "mul":
            yield from out(0, lambda: e("mul", g, bb))
            yield from out(1, lambda: e("mul", g, a))
        elif code == "div":
            yield from out(0, lambda: e("div", g, bb))
            yield from out(1, lambda: e("neg", e("div", e("mul", g, y), bb)))
        elif code == "pow":
            # A constant exponent p gives the constant p - 1, and p = 1 the adjoint g itself, so
            # that derivatives of the adjoint are exact at a = 0 (`x^1`: 0, not 0 * 0^-1 = NaN).
            p = b.const_value.get(bb)
            if p is None:
                yield from out(0, lambda: e("mul", e("mul", g, bb), e("pow", a, e("sub", bb, c(1.0)))))
            elif p == 1:
                yield from out(0, lambda: g)
            elif p != 0:
                yield from out(0, lambda: e("mul", e("mul", g, bb), e("pow", a, c(p - 1))))
            yield from out(1, lambda: e("mul", e("mul", g, y), e("log", a)))
        elif code == "mod":
            yield from out(0, lambda: g)
            yield from out(1, lambda: e("neg", e("mul", g, e("floor", e("div", a, bb)))))
        else:
            first = e("le" if code == "minimum" else "ge", a, bb)
            yield from out(0, lambda: e("select", first, g, c(0.0)))
            yield from out(1, lambda: e("select", first, c(0.0), g))
        return
    if code == "select":
        cond = ops[0]
        yield from out(1, lambda: e("select", cond, g, c(0.0)))
        yield from out(2, lambda: e("select", cond, c(0.0), g))
        return
    a = ops[0] if ops else None
    unary = {
        "neg": lambda: e("neg", g),
        "sqrt": lambda: e("select", e("eq", y, c(0.0)), c(0.0), e("div", e("mul", g, c(0.5)), y)),
        "rsqrt": lambda: e("mul", e("mul", g, c(-0.5)), e("mul", y, e("mul", y, y))),
        "exp": lambda: e("mul", g, y),
        "log": lambda: e("div", g, a),
        "log1p": lambda: e("div", g, e("add", a, c(1.0))),
        "expm1": lambda: e("mul", g, e("add", y, c(1.0))),
        "abs": lambda: e("mul", g, e("sign", a)),
        # sigmoid' = y (1 - y) = y sigmoid(-a): 1 - y rounds to 0 for a > 37 in f64 (17 in f32),
        # while sigmoid(-a) keeps the tail (3.7e-44 at a = 100).
        "sigmoid": lambda: e("mul", g, e("mul", y, e("sigmoid", e("neg", a)))),
        "tanh": lambda: e("mul", g, e("sub", c(1.0), e("mul", y, y))),
        "sin": lambda: e("mul", g, e("cos", a)),
        "cos": lambda: e("neg", e("mul", g, e("sin", a))),
        "transpose": lambda: e("transpose", g),
    }
    if code in unary:
        yield from out(0, unary[code], unbroadcast=False)
        return
    if code == "cast":
        if a.type.is_float:
            yield from out(0, lambda: b.cast(g, a.type.dtype, loc), unbroadcast=False)
        return
    if code == "reduce_sum":
        yield from out(0, lambda: _expand(b, g, a, op.attrs.get("axis"), op), unbroadcast=False)
        return
    if code in ("reduce_max", "reduce_min"):
        def split():
            axis = op.attrs.get("axis")
            hit = e("cast", e("eq", a, _expand(b, y, a, axis, op)), dtype=g.type.dtype)
            count = e("reduce_sum", hit, axis=axis)
            return e("mul", hit, _expand(b, e("div", g, count), a, axis, op))
        yield from out(0, split, unbroadcast=False)
        return
    if code == "logsumexp":
        def softmax():
            axis = op.attrs.get("axis")
            weights = e("exp", e("sub", a, _expand(b, y, a, axis, op)))
            return e("mul", weights, _expand(b, g, a, axis, op))
        yield from out(0, softmax, unbroadcast=False)
        return
    if code in ("dot", "matvec", "vecmat", "matmul", "outer"):
        a, bb = ops
        rules = {
            "dot": (lambda: e("mul", g, bb), lambda: e("mul", g, a)),
            "matvec": (lambda: e("outer", g, bb), lambda: e("vecmat", g, a)),
            "vecmat": (lambda: e("matvec", bb, g), lambda: e("outer", a, g)),
            "matmul": (lambda: e("matmul", g, e("transpose", bb)), lambda: e("matmul", e("transpose", a), g)),
            "outer": (lambda: e("matvec", g, bb), lambda: e("vecmat", a, g)),
        }[code]
        yield from out(0, rules[0], unbroadcast=False)
        yield from out(1, rules[1], unbroadcast=False)
        return
    if code == "solve":
        yield from _solve_adjoints(b, op, g, act)
        return
    if code == "index":
        indices = ops[1:]
        yield from out(0, lambda: b.emit("setindex", (e("full_like", a, c(0.0)), g, *indices), op.attrs, loc),
                       unbroadcast=False)
        return
    if code == "setindex":
        v, indices = ops[1], ops[2:]
        yield from out(0, lambda: b.emit("setindex", (g, c(0.0), *indices), op.attrs, loc), unbroadcast=False)
        yield from out(1, lambda: _unbroadcast(b, b.emit("index", (g, *indices), op.attrs, loc), v.type, op),
                       unbroadcast=False)
        return
    if code in ("full_like", "full"):
        yield from out(1 if code == "full_like" else 0, lambda: e("reduce_sum", g, axis=None), unbroadcast=False)
        return
    if any(v in active for v in ops):
        raise _unsupported(op)


def _solve_adjoints(b: Builder, op: Op, g: Value, act):
    """x = solve(A, b): b̄ = solve(Aᵀ, x̄) and Ā = -b̄ xᵀ (-B̄ Xᵀ for a matrix right-hand side)."""
    a, rhs = op.operands
    loc = op.loc
    bbar = b.emit("solve", (b.emit("transpose", (a,), loc=loc), g), loc=loc)
    if act(0):
        if rhs.type.rank == 1:
            abar = b.emit("outer", (bbar, op.result), loc=loc)
        else:
            abar = b.emit("matmul", (bbar, b.emit("transpose", (op.result,), loc=loc)), loc=loc)
        yield a, b.emit("neg", (abar,), loc=loc)
    if act(1):
        yield rhs, bbar
