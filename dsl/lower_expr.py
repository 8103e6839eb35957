"""Lowering of expressions to IR ops, with type promotion and shape checks at the user's spans.

`ExprLowerer` is the expression half of the lowerer (`lower.py` adds statements and
declarations). Ints promote to the working real type in arithmetic with reals, in `/` and in
math functions; bools take part only in logic and `where`. A dimension name is an int value
(its `dimsize`).
"""

from __future__ import annotations

from optc.dsl import ast
from optc.dsl.builtins import BUILTINS, CONSTANTS, constant_value
from optc.dsl.scope import Scope
from optc.errors import OptcError, Span, did_you_mean
from optc.ir.builder import Builder
from optc.ir.core import Value
from optc.ir.types import FLOAT_DTYPES, ShapeError, TensorType, broadcast_shapes, promote_dtypes, unify_dim

_ARITH = {"add", "sub", "mul", "div", "pow", "mod"}
_COMPARE = {"lt", "le", "gt", "ge", "eq", "ne"}
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^", "mod": "%", "matmul": "@",
           "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=", "and": "and", "or": "or"}


class ExprLowerer:
    """Lowers expressions in `self.scope` into `self.b`; subclasses provide `call_fn`."""

    real: str
    b: Builder
    scope: Scope
    dims: dict[str, tuple[Value, int]]
    state_names: set[str]
    fns: dict

    # ---------------------------------------------------------------- helpers

    def numeric(self, v: Value, span: Span) -> Value:
        """`v`, which must be a number (not a bool)."""
        if v.type.dtype == "bool":
            raise OptcError("expected a number, got a bool (a comparison)", span)
        return v

    def promote(self, a: Value, b: Value, span: Span) -> tuple[Value, Value]:
        """Both operands converted to their common dtype (bool with a number is an error)."""
        if (a.type.dtype == "bool") != (b.type.dtype == "bool"):
            raise OptcError("cannot mix a bool (a comparison) with a number", span)
        dtype = promote_dtypes(a.type.dtype, b.type.dtype)
        return self.b.cast(a, dtype, span), self.b.cast(b, dtype, span)

    def binary(self, opcode: str, a: Value, b: Value, span: Span) -> Value:
        """An elementwise binary op with promotion (`/` of ints gives a real)."""
        if opcode in _ARITH or opcode in ("minimum", "maximum"):
            a, b = self.numeric(a, span), self.numeric(b, span)
        a, b = self.promote(a, b, span)
        if opcode == "div" and a.type.dtype not in FLOAT_DTYPES:
            a, b = self.b.cast(a, self.real, span), self.b.cast(b, self.real, span)
        if opcode in ("and", "or") and a.type.dtype != "bool":
            raise OptcError(f"`{opcode}` needs comparisons (bools) on both sides", span)
        try:
            broadcast_shapes(a.type.shape, b.type.shape)
        except ShapeError as err:
            raise OptcError(f"`{_SYMBOL.get(opcode, opcode)}`: {err} ({user_type(a.type)} vs {user_type(b.type)})", span) from None
        return self.b.emit(opcode, (a, b), loc=span)

    def as_int(self, v: Value, span: Span, what: str = "a size") -> Value:
        """`v`, which must be an int scalar (`what`: a size, a loop bound, an index)."""
        if v.type.dtype != "i64" or not v.type.is_scalar:
            raise OptcError(f"{what} must be an int, got {user_type(v.type)}", span)
        return v

    def static_int(self, node) -> int | None:
        """The value of an integer literal (possibly negated), else None."""
        if isinstance(node, ast.Num) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Unary) and node.op == "neg":
            inner = self.static_int(node.operand)
            return None if inner is None else -inner
        return None

    def dim_symbol(self, node) -> int | str:
        """The symbolic dimension an int expression stands for (a literal, a name, or its text)."""
        value = self.static_int(node)
        if value is not None:
            return value
        if isinstance(node, ast.Name):
            return node.id
        return ast.source_text(node.span).replace(" ", "") or "?"

    def convert(self, v: Value, dtype: str, span: Span, what: str) -> Value:
        """`v` converted to `dtype`: ints to floats and floats between widths; nothing else."""
        if v.type.dtype == dtype:
            return v
        if v.type.dtype == "bool" or dtype == "bool" or (v.type.is_float and dtype == "i64"):
            raise OptcError(f"{what} has type {user_type(v.type)}, which cannot be converted to {user_type(TensorType(dtype, ()))}", span)
        return self.b.cast(v, dtype, span)

    def coerce(self, v: Value, target: Value, span: Span, what: str) -> Value:
        """`v` converted to the dtype of `target` and broadcast to its shape, or an error."""
        like = target.type
        v = self.convert(v, like.dtype, span, what)
        if v.type.shape == like.shape or same_dims(v.type, like):
            return v
        try:
            shape = broadcast_shapes(v.type.shape, like.shape)
        except ShapeError:
            shape = "mismatch"
        if shape != like.shape:
            raise OptcError(f"{what} has shape {_shape(v.type)} but must have shape {_shape(like)}", span)
        true = self.b.const(True, "bool", span)
        everywhere = self.b.emit("full_like", (target, true), loc=span)
        return self.b.emit("select", (everywhere, v, target), loc=span)

    # ---------------------------------------------------------------- expressions

    def expr(self, node) -> Value:
        """Lower an expression node to a value."""
        method = getattr(self, f"_expr_{type(node).__name__}", None)
        if method is None:
            raise OptcError(f"this expression is not allowed here: {ast.source_text(node.span)}", node.span)
        return method(node)

    def _expr_Num(self, node: ast.Num) -> Value:
        if isinstance(node.value, int):
            return self.b.const(node.value, "i64", node.span)
        return self.b.const(node.value, self.real, node.span)

    def _expr_Bool(self, node: ast.Bool) -> Value:
        return self.b.const(node.value, "bool", node.span)

    def _expr_Name(self, node: ast.Name) -> Value:
        value = self.scope.lookup(node.id)
        if value is not None:
            return value
        if node.id in self.dims:
            owner, axis = self.dims[node.id]
            return self.b.emit("dimsize", (owner,), {"axis": axis}, node.span, hint=node.id)
        if node.id in CONSTANTS:
            return self.b.const(constant_value(node.id, self.real), self.real, node.span)
        if node.id in BUILTINS or node.id in self.fns:
            raise OptcError(f"`{node.id}` is a function; call it with arguments", node.span)
        if node.id in TRANSFORMS:
            raise OptcError(f"`{node.id}` transforms a fn: use it as `{TRANSFORMS[node.id]}`", node.span)
        known = self.scope.visible_names() | set(self.dims) | set(CONSTANTS)
        raise OptcError(f"unknown name `{node.id}`{did_you_mean(node.id, known)}", node.span)

    def _expr_Primed(self, node: ast.Primed) -> Value:
        kind = self.scope.kind_of(node.id)
        if node.id not in self.state_names:
            if kind is None and node.id not in self.dims:
                raise OptcError(f"unknown name `{node.id}`{did_you_mean(node.id, self.scope.visible_names())}", node.span)
            what = kind or "dimension"
            raise OptcError(f"`{node.id}` is a {what}, not a state: only states take a prime", node.span)
        body = self.scope.body()
        if body is None:
            raise OptcError(f"`{node.id}'` (the value after an iteration) can only be read inside a loop", node.span)
        if node.id in body.nxt:
            return body.nxt[node.id]
        return body.cur[node.id]

    def _expr_Unary(self, node: ast.Unary) -> Value:
        x = self.expr(node.operand)
        if node.op == "not":
            if x.type.dtype != "bool":
                raise OptcError("`not` needs a comparison (a bool)", node.span)
            return self.b.emit("not", (x,), loc=node.span)
        return self.b.emit("neg", (self.numeric(x, node.span),), loc=node.span)

    def _expr_Binary(self, node: ast.Binary) -> Value:
        a, b = self.expr(node.left), self.expr(node.right)
        if node.op == "matmul":
            return self._matmul(a, b, node.span)
        if node.op == "pow" and a.type.dtype == "i64" and b.type.dtype == "i64":
            exponent = self.static_int(node.right)
            if exponent is not None and exponent < 0:
                # `10^-3` means 0.001: an int to a negative power is a real, not an error.
                a, b = self.b.cast(a, self.real, node.span), self.b.cast(b, self.real, node.span)
        return self.binary(node.op, a, b, node.span)

    def _matmul(self, a: Value, b: Value, span: Span) -> Value:
        a, b = self.promote(self.numeric(a, span), self.numeric(b, span), span)
        if a.type.dtype not in FLOAT_DTYPES:
            a, b = self.b.cast(a, self.real, span), self.b.cast(b, self.real, span)
        opcode = {(2, 1): "matvec", (1, 2): "vecmat", (2, 2): "matmul", (1, 1): "dot"}.get((a.type.rank, b.type.rank))
        if opcode is None:
            raise OptcError(f"`@` needs vectors or matrices, got {user_type(a.type)} and {user_type(b.type)}", span)
        return self.b.emit(opcode, (a, b), loc=span)

    def _expr_Attribute(self, node: ast.Attribute) -> Value:
        x = self.expr(node.base)
        if x.type.shape is None:
            raise OptcError("`.T` needs a tensor of known rank", node.span)
        if x.type.rank < 2:
            return x
        return self.b.emit("transpose", (x,), loc=node.span)

    def _expr_Index(self, node: ast.Index) -> Value:
        x = self.expr(node.base)
        spec, bounds, operands = self.index_parts(x, node.items, node.span)
        return self.b.emit("index", (x, *operands), {"spec": spec, "bounds": bounds}, node.span)

    def index_parts(self, x: Value, items, span: Span):
        """(spec, bounds, index operands) for `x[items]`; missing trailing axes are `:`."""
        if x.type.shape is None:
            raise OptcError("indexing needs a tensor of known rank (declare the param's shape)", span)
        rank = len(x.type.shape)
        if len(items) > rank:
            raise OptcError(f"{len(items)} indices for a tensor of rank {rank} ({x.type})", span)
        spec, bounds, operands = "", [], []
        for axis, item in enumerate(items):
            if isinstance(item, ast.Slice):
                if item.lo is None and item.hi is None:
                    spec += ":"
                    continue
                spec += "s"
                lo = self.as_int(self.expr(item.lo), item.lo.span, "a slice bound") if item.lo \
                    else self.b.const(0, "i64", item.span)
                if item.hi is not None:
                    hi = self.as_int(self.expr(item.hi), item.hi.span, "a slice bound")
                else:
                    hi = self.b.emit("dimsize", (x,), {"axis": axis}, item.span)
                operands += [lo, hi]
                bounds.append((self.dim_symbol(item.lo) if item.lo else None, self.dim_symbol(item.hi) if item.hi else None))
            else:
                spec += "i"
                operands.append(self.as_int(self.expr(item), item.span, "an index"))
        spec += ":" * (rank - len(items))
        return spec, tuple(bounds), operands

    def _expr_Call(self, node: ast.Call) -> Value:
        transform = transform_of(node)
        if transform == "value_and_grad":
            raise OptcError("value_and_grad(f)(…) returns two values, f's value and its gradient: use it alone "
                            "on the right of a destructuring equation", node.span,
                            ("write `fx, g = value_and_grad(f)(x, …)`",))
        if transform is not None:
            decl = self.transformed_fn(node)
            return self.grad_fn(decl, node) if transform == "grad" else self.hvp_fn(decl, node)
        if not isinstance(node.func, ast.Name):
            raise OptcError("only named functions can be called", node.func.span)
        name = node.func.id
        if name in TRANSFORMS:
            meaning = _TRANSFORM_MEANING[name]
            raise OptcError(f"{name} is used as `{TRANSFORMS[name]}`: {name}(f) is {meaning}", node.span)
        if name in self.fns:
            return self.call_fn(self.fns[name], node)
        builtin = BUILTINS.get(name)
        if builtin is None:
            if self.scope.lookup(name) is not None:
                raise OptcError(f"`{name}` is a value, not a function", node.func.span)
            raise OptcError(f"unknown function `{name}`{did_you_mean(name, set(BUILTINS) | set(self.fns))}", node.func.span)
        n = len(node.args)
        if n < builtin.min_args or (builtin.max_args is not None and n > builtin.max_args):
            doc = builtin.doc if builtin.doc.startswith(name) else f"{name}: {builtin.doc}"
            raise OptcError(f"{name}() takes {_arity(builtin)}, got {n}", node.span, (doc,))
        kwargs = {}
        for kw in node.kwargs:
            if kw.name not in builtin.keywords:
                allowed = ", ".join(f"{k}=" for k in builtin.keywords) or "none"
                raise OptcError(f"{name}() has no keyword `{kw.name}` (keywords: {allowed})", kw.span)
            kwargs[kw.name] = kw.value
        args = [self.expr(a) for a in node.args]
        return builtin.lower(self, node, args, kwargs)

    def transformed_fn(self, node: ast.Call):
        """The `fn` declaration `f` of `grad(f)(…)`, `value_and_grad(f)(…)` or `hvp(f)(…)`."""
        inner, kind = node.func, node.func.func.id
        if len(inner.args) != 1 or inner.kwargs or not isinstance(inner.args[0], ast.Name):
            raise OptcError(f"{kind} takes one fn name: `{TRANSFORMS[kind]}`", inner.span)
        fname = inner.args[0].id
        if fname not in self.fns:
            what = "a value" if self.scope.lookup(fname) is not None else \
                ("a builtin" if fname in BUILTINS else "not a known fn")
            raise OptcError(f"{kind}(f) needs a user fn; `{fname}` is {what}", inner.args[0].span)
        return self.fns[fname]

    def value_and_grad(self, node) -> tuple[Value, Value]:
        """`value_and_grad(f)(x, …)`, the right side of a destructuring equation: (f(x, …), grad(f)(x, …))."""
        return self.value_and_grad_fn(self.transformed_fn(node), node)

    def call_fn(self, decl, node: ast.Call) -> Value:
        raise NotImplementedError

    def value_and_grad_fn(self, decl, node: ast.Call) -> tuple[Value, Value]:
        raise NotImplementedError

    def hvp_fn(self, decl, node: ast.Call) -> Value:
        raise NotImplementedError

    def grad_fn(self, decl, node: ast.Call) -> Value:
        raise NotImplementedError


# The fn transformations, `name(f)(args)`, with their usage and meaning (for messages).
TRANSFORMS = {"grad": "grad(f)(x, …)", "value_and_grad": "fx, g = value_and_grad(f)(x, …)",
              "hvp": "hvp(f)(x, v, …)"}
_TRANSFORM_MEANING = {"grad": "the gradient of the fn f",
                      "value_and_grad": "the value and the gradient of the fn f",
                      "hvp": "the Hessian-vector product of the fn f"}


def transform_of(node) -> str | None:
    """`grad`, `value_and_grad` or `hvp` if the expression `node` is `name(f)(…)` for one of
    them, else None."""
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id in TRANSFORMS:
        return func.func.id
    return None


def same_dims(a: TensorType, b: TensorType) -> bool:
    """Same rank and dims that unify (a symbolic dim against `?`), with no broadcasting."""
    if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
        return False
    try:
        return all(unify_dim(x, y) is not None for x, y in zip(a.shape, b.shape))
    except ShapeError:
        return False


def user_type(t: TensorType) -> str:
    """A type as a user writes it: `real[m, n]` (f32/f64 shown as real), `int`, `bool`."""
    base = {"f32": "real", "f64": "real", "i64": "int", "bool": "bool"}[t.dtype]
    if t.shape is None:
        return f"{base}[...]"
    return base if not t.shape else f"{base}[{', '.join(map(str, t.shape))}]"


def _arity(builtin) -> str:
    if builtin.max_args is None:
        return f"at least {builtin.min_args} argument{'s' * (builtin.min_args != 1)}"
    if builtin.min_args == builtin.max_args:
        return f"{builtin.min_args} argument{'s' * (builtin.min_args != 1)}"
    return f"{builtin.min_args} to {builtin.max_args} arguments"


def _shape(t: TensorType) -> str:
    return "[...]" if t.shape is None else "[" + ", ".join(map(str, t.shape)) + "]"
