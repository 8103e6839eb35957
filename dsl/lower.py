"""Lowering: a checked declaration to an IR module (this is also where types are checked).

`lower(unit, decl, dtype)` turns a solver into one function and an optimizer into an `init` and
a `step` function, each `fn` it calls into an instance per argument types (removed later by the
inline pass). Bodies are sets of simultaneous equations: `dsl.ordering` sorts them, and each is
lowered in that order. Loops become `loop` ops carrying the states their bodies update; the
solver's `trace`s and the `until` test are yielded by the loop body.

Semantics fixed here (see docs/language.md): statements outside a solver's loop run once,
before it, and read the states' initial values; a top-level `trace` is evaluated after each
iteration on the new values; in any body, `x'` for a state without an equation there is its
current value; an inner loop starts from the enclosing body's current values; a `require`
becomes a `check` op where the values it reads exist (a solver's top-level ones first of all).
"""

from __future__ import annotations

from optc.dsl import ast
from optc.dsl import ordering
from optc.dsl.builtins import CONSTANTS, constant_value
from optc.dsl.lower_expr import ExprLowerer, same_dims, transform_of, user_type
from optc.dsl.program import Unit
from optc.dsl.scope import Scope
from optc.errors import OptcError
from optc.ir import autodiff
from optc.ir.builder import Builder
from optc.ir.core import Function, Module, Op, Value
from optc.ir.types import TensorType, scalar, unify_dim, ShapeError

_ANY = object()  # a dimension bound by an argument of any shape


def lower(unit: Unit, decl, dtype: str = "f64") -> Module:
    """Lower one optimizer or solver declaration of `unit` to an IR module (`dtype`: f32/f64)."""
    if dtype not in ("f32", "f64"):
        raise OptcError(f"dtype must be float32 or float64, not {dtype!r}")
    lowerer = Lowerer(unit, dtype)
    if isinstance(decl, ast.SolverDecl):
        functions = {decl.name: lowerer.solver(decl)}
        kind = "solver"
    elif isinstance(decl, ast.OptimizerDecl):
        init, step = lowerer.optimizer(decl)
        functions = {init.name: init, step.name: step}
        kind = "optimizer"
    else:
        raise OptcError(f"`{decl.name}` is a fn; only optimizers and solvers can be compiled", decl.span)
    functions.update(lowerer.instances)
    roles = {"entry": decl.name} if kind == "solver" else {"init": f"{decl.name}.init", "step": f"{decl.name}.step"}
    return Module(functions, {"kind": kind, "name": decl.name, "dtype": dtype, **roles})


# ---------------------------------------------------------------- name analysis


def name_nodes(node):
    """The `Name` and `Primed` nodes anywhere inside an AST node, in source order."""
    if isinstance(node, (ast.Name, ast.Primed)):
        yield node
    elif isinstance(node, tuple):
        for x in node:
            yield from name_nodes(x)
    elif hasattr(node, "__dataclass_fields__"):
        for field in node.__dataclass_fields__:
            if field != "span":
                yield from name_nodes(getattr(node, field))


def names_read(node) -> tuple[set[str], set[str]]:
    """(plain names, primed names) read anywhere inside an AST node."""
    nodes = list(name_nodes(node))
    return ({n.id for n in nodes if isinstance(n, ast.Name)},
            {n.id for n in nodes if isinstance(n, ast.Primed)})


def _nested_returns(stmts) -> list:
    """`return` statements inside loops (an error)."""
    found = []
    for s in stmts:
        if isinstance(s, ast.For):
            found += [x for x in s.body if isinstance(x, ast.Return)] + _nested_returns(s.body)
    return found


def primed_states(stmts) -> set[str]:
    """The states a body (with its inner loops) defines with a prime."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, ast.Equation):
            out |= {t.name for t in s.targets if t.primed}
        elif isinstance(s, ast.For):
            out |= primed_states(s.body)
    return out


def _defines(stmt) -> set:
    if isinstance(stmt, ast.Equation):
        return {("primed" if t.primed else "local", t.name) for t in stmt.targets}
    if isinstance(stmt, ast.For):
        return {("primed", s) for s in primed_states(stmt.body)}
    if isinstance(stmt, ast.StateDecl):
        return {("state", stmt.name)}
    return set()


def _reads(stmt) -> set:
    """What a statement reads, as keys of `_defines` (inner loops: only plain names)."""
    if isinstance(stmt, ast.For):
        plain, _ = names_read(stmt)
        _, primed = names_read((stmt.lo, stmt.hi))
    elif isinstance(stmt, ast.Require):
        plain, primed = names_read(stmt.cond)
    elif isinstance(stmt, ast.Equation):
        plain, primed = names_read((stmt.expr, *(t.index or () for t in stmt.targets)))
    else:
        plain, primed = names_read(getattr(stmt, "expr", None) or getattr(stmt, "init", None))
    return {("local", n) for n in plain} | {("state", n) for n in plain} | {("primed", n) for n in primed}


# ---------------------------------------------------------------- the lowerer


class Lowerer(ExprLowerer):
    """Lowers the declarations of one unit; `instances` collects the `fn` instances it made."""

    def __init__(self, unit: Unit, dtype: str):
        self.unit = unit
        self.fns = unit.fns
        self.real = dtype
        self.b = Builder()
        self.scope = Scope()
        self.dims: dict[str, tuple[Value, int]] = {}
        self.state_names: set[str] = set()
        self.instances: dict[str, Function] = {}
        self._instance_keys: dict[tuple, str] = {}
        self._fn_stack: list[ast.FnDecl] = []
        self.state_order: list[str] = []

    # ---------------------------------------------------------------- types

    def type_of(self, t: ast.TypeExpr | None, what: str, allow_any: bool = False) -> TensorType:
        """The IR type a type annotation denotes (`real` is the working float type)."""
        if t is None:
            return TensorType(self.real, None if allow_any else ())
        dtype = {"real": self.real, "int": "i64", "bool": "bool", "f32": "f32", "f64": "f64"}[t.base]
        if t.dims is None:
            return scalar(dtype)
        if "..." in t.dims:
            if not allow_any or len(t.dims) != 1:
                raise OptcError(f"`[...]` (any shape) is only allowed alone, for an optimizer's param or a fn's "
                                f"parameters and result ({what})", t.span)
            return TensorType(dtype, None)
        return TensorType(dtype, tuple(t.dims))

    def bind_dims(self, value: Value, t: ast.TypeExpr | None) -> None:
        """Record the (value, axis) that binds each dimension symbol of a parameter's type."""
        if t is None or not t.dims or "..." in t.dims:
            return
        for axis, d in enumerate(t.dims):
            if isinstance(d, str) and d not in self.dims:
                self.dims[d] = (value, axis)

    def literal_value(self, node):
        """The Python value of a default literal (number, bool, inf, -x)."""
        if isinstance(node, (ast.Num, ast.Bool)):
            return node.value
        if isinstance(node, ast.Name) and node.id in CONSTANTS:
            return constant_value(node.id, self.real)
        if isinstance(node, ast.Unary) and node.op == "neg":
            inner = self.literal_value(node.operand)
            if isinstance(inner, (int, float)) and not isinstance(inner, bool):
                return -inner
        raise OptcError("a default value must be a number, `true`, `false`, `inf`, `pi` or `epsilon`", node.span)

    def _default_type(self, param: ast.Param, value) -> TensorType:
        if param.type is not None:
            t = self.type_of(param.type, param.name)
            if not t.is_scalar:
                raise OptcError("a parameter with a default value must be a scalar", param.type.span)
            if t.dtype == "i64" and not (isinstance(value, int) and not isinstance(value, bool)):
                raise OptcError(f"the default of int parameter `{param.name}` must be an integer", param.default.span)
            return t
        if isinstance(value, bool):
            return scalar("bool")
        if isinstance(value, int):
            return scalar("i64")
        return scalar(self.real)

    def _params(self, params, scope: Scope, kind_typed: str, kind_default: str):
        """Values, roles and defaults of a declaration's parameter list, bound in `scope`."""
        values, roles, defaults, seen = [], [], {}, {}
        for p in params:
            if p.name in seen:
                raise OptcError(f"parameter `{p.name}` is declared twice", p.span, (f"first at {seen[p.name]}",))
            seen[p.name] = p.span
            if p.default is not None:
                value = self.literal_value(p.default)
                t = self._default_type(p, value)
                defaults[p.name] = float(value) if t.is_float else value
                role = kind_default
            else:
                t = self.type_of(p.type, p.name)
                role = kind_typed
            v = Value(t, p.name)
            self.bind_dims(v, p.type)
            scope.bind(p.name, v, "parameter" if role != "hyper" else "hyperparameter")
            values.append(v)
            roles.append(role)
        self._check_dim_clash(params)
        return values, roles, defaults

    def _check_dim_clash(self, params) -> None:
        """A parameter may not share its name with a dimension: both would be int values of
        `n`, and nothing would make them agree."""
        for p in params:
            if p.name in self.dims:
                note = (
                    "a dimension is already an int value in expressions: "
                    f"drop the parameter `{p.name}` or rename the dimension"
                )
                raise OptcError(f"`{p.name}` is both a parameter and a dimension", p.span, (note,))

    # ---------------------------------------------------------------- solvers

    def solver(self, decl: ast.SolverDecl) -> Function:
        """A solver as one function: arguments in, returned values + iterations, converged, traces out."""
        top = Scope()
        self.scope = top
        params, roles, defaults = self._params(decl.params, top, "arg", "hyper")
        states = [s for s in decl.body if isinstance(s, ast.StateDecl)]
        self.state_names = {s.name for s in states}
        self.state_order = [s.name for s in states]
        loops = [s for s in decl.body if isinstance(s, ast.For)]
        traces = [s for s in decl.body if isinstance(s, ast.TraceDecl)]
        returns = [s for s in decl.body if isinstance(s, ast.Return)]
        equations = [s for s in decl.body if isinstance(s, ast.Equation)]
        requires = [s for s in decl.body if isinstance(s, ast.Require)]
        if len(loops) > 1:
            raise OptcError("a solver has at most one top-level loop; nest the others inside it", loops[1].span)
        nested = _nested_returns(loops)
        if nested:
            raise OptcError("`return` belongs at the top of the solver, outside loops", nested[0].span)
        if not returns:
            raise OptcError(f"solver `{decl.name}` has no `return`", decl.span)
        if len(returns) > 1:
            raise OptcError("a solver has one `return`", returns[1].span, (f"the first is at {returns[0].span}",))
        for eq in equations:
            for target in eq.targets:
                if target.primed:
                    raise OptcError(f"`{target.name}'` can only be defined inside a loop", target.span)
        self._check_unique(states + equations + traces, top, "top")
        for stmt in requires:
            self._check_top_require(stmt)
        # Requirements first: a bad input is reported before anything runs on it.
        for stmt in ordering.order(requires + states + equations, _defines, _reads):
            if isinstance(stmt, ast.Require):
                self.require(stmt)
            elif isinstance(stmt, ast.StateDecl):
                init = self.expr(stmt.init)
                if stmt.type is not None:
                    declared = self.type_of(stmt.type, stmt.name)
                    init = self._to_type(init, declared, stmt.span, f"the initial value of `{stmt.name}`")
                top.cur[stmt.name] = self._named(init, stmt.name)
            else:
                self.equation(stmt, top)
        final = dict(top.cur)
        if loops:
            loop_op = self.loop(loops[0], top, traces, allow_traces=True)
            carried = loop_op.attrs["carried"]
            final.update(zip(carried, loop_op.results[: len(carried)]))
            iterations, converged = loop_op.results[len(carried) : len(carried) + 2]
            trace_values = list(loop_op.results[len(carried) + 2 :])
            trace_names = list(loop_op.attrs["trace_names"])
        else:
            if traces:
                raise OptcError("a `trace` records a value per iteration; this solver has no loop", traces[0].span)
            iterations = self.b.const(0, "i64", decl.span)
            converged = self.b.const(True, "bool", decl.span)
            trace_values, trace_names = [], []
        outputs, names = self._returns(decl, returns[0], final)
        results = (*outputs, iterations, converged, *trace_values)
        attrs = {
            "kind": "solver",
            "param_names": [p.name for p in decl.params],
            "roles": roles,
            "defaults": defaults,
            "dims": {d: [params.index(v), axis] for d, (v, axis) in self.dims.items()},
            "result_names": names,
            # The loop's own order (its body's traces, then the top-level ones), which is the
            # order of its trace results.
            "traces": trace_names,
        }
        return Function(decl.name, self.b.finish(tuple(params), results), attrs, decl.span)

    def _check_top_require(self, stmt: ast.Require) -> None:
        """A solver's top-level `require` reads no state: it runs once, before the loop, so it
        would check the state's initial value wherever it is written (line order does not matter),
        never the result it seems to check when written after the loop."""
        for node in name_nodes(stmt.cond):
            if node.id in self.state_names:
                raise OptcError(
                    f"a top-level `require` cannot read the state `{node.id}`", node.span,
                    ("a top-level `require` runs once, before the loop, wherever it is written: it "
                     f"would check the initial value of `{node.id}`, not its final one",
                     f"to check every iterate, put it inside the loop (reading `{node.id}'`); to check "
                     "the result, test it after the call (`converged` says whether `until` held); to "
                     f"check the initial value, require it of the expression `{node.id}` starts from"))

    def _returns(self, decl: ast.SolverDecl, ret: ast.Return, final: dict[str, Value]):
        """The returned values, evaluated after the loop on the states' final values."""
        self.scope = Scope(parent=self.scope, cur=final)
        outputs, names = [], []
        for node in ret.values:
            if isinstance(node, ast.Keyword):
                name, expr = node.name, node.value
            elif isinstance(node, ast.Name):
                name, expr = node.id, node
            else:
                raise OptcError("name this result: `return name = …` (or return a name)", node.span)
            outputs.append(self._named(self.expr(expr), name))
            names.append(name)
        if len(set(names)) != len(names):
            raise OptcError("a name is returned twice", ret.span)
        if decl.returns and len(decl.returns) != len(outputs):
            raise OptcError(f"solver `{decl.name}` declares {len(decl.returns)} result(s) but returns {len(outputs)}", ret.span)
        for i, t in enumerate(decl.returns):
            declared = self.type_of(t, "result")
            outputs[i] = self._to_type(outputs[i], declared, ret.values[i].span, f"returned `{names[i]}`")
        return outputs, names

    def _to_type(self, v: Value, declared: TensorType, span, what: str) -> Value:
        """`v` checked against a declared type (ints become reals; dims must unify)."""
        if v.type.dtype != declared.dtype:
            if v.type.dtype == "i64" and declared.is_float:
                v = self.b.cast(v, declared.dtype, span)
            else:
                raise OptcError(f"{what} has type {user_type(v.type)} but is declared {user_type(declared)}", span)
        if declared.shape is not None and v.type.shape is not None:
            if len(declared.shape) != len(v.type.shape):
                raise OptcError(f"{what} has type {user_type(v.type)} but is declared {user_type(declared)}", span)
            try:
                for a, b in zip(declared.shape, v.type.shape):
                    unify_dim(a, b)
            except ShapeError:
                raise OptcError(f"{what} has type {user_type(v.type)} but is declared {user_type(declared)}", span) from None
        return v

    def _named(self, v: Value, name: str) -> Value:
        """`v`, renamed after the source name if it has none (for readable IR)."""
        if v.hint or not self.b.ops or self.b.ops[-1].results != (v,):
            return v
        op = self.b.ops.pop()
        renamed = Value(v.type, name)
        self.b.ops.append(op.with_(results=(renamed,)))
        if v in self.b.const_value:
            self.b.const_value[renamed] = self.b.const_value[v]
        return renamed

    # ---------------------------------------------------------------- bodies and loops

    def _check_unique(self, stmts, scope: Scope, where: str) -> None:
        """Each name defined once per body; primes only on states; locals shadow nothing."""
        seen: dict[tuple, ast.Equation] = {}
        for s in stmts:
            if isinstance(s, ast.For):
                # An inner loop defines the primed value of every state it updates, so it
                # conflicts with an equation (or another inner loop) defining the same one.
                for name in sorted(primed_states(s.body)):
                    key = ("primed", name)
                    if key in seen:
                        raise OptcError(f"`{name}'` is defined twice", s.span,
                                        (f"first defined at {seen[key].span}",
                                         f"this loop defines `{name}'` because its body updates `{name}`"))
                    seen[key] = s
                continue
            if isinstance(s, ast.StateDecl) and where != "top":
                raise OptcError("`state` declarations belong at the top of the declaration, outside loops", s.span)
            if isinstance(s, ast.Return) and where != "top":
                raise OptcError("`return` belongs at the top of the solver, outside loops", s.span)
            if isinstance(s, ast.ParamDecl):
                raise OptcError(f"`{s.kind}` declarations belong in an optimizer's body", s.span)
            if isinstance(s, ast.Equation):
                for target in s.targets:
                    self._check_target(s, target, stmts, scope, seen)
                continue
            if isinstance(s, (ast.StateDecl, ast.TraceDecl)):
                key = ("decl", s.name)
                if scope.kind_of(s.name) is not None or s.name in self.dims:
                    raise OptcError(f"`{s.name}` is already defined (as a {scope.kind_of(s.name) or 'dimension'})", s.span)
            else:
                continue
            if key in seen:
                raise OptcError(f"`{key[1]}` is defined twice", s.span, (f"first defined at {seen[key].span}",))
            seen[key] = s

    def _check_target(self, s: ast.Equation, target: ast.Target, stmts, scope: Scope, seen: dict) -> None:
        """One name an equation defines: primes only on states, locals shadow nothing, once per body."""
        name = target.name
        if target.primed:
            if name not in self.state_names:
                kind = scope.kind_of(name) or ("local" if any(
                    isinstance(o, ast.Equation) and any(not t.primed and t.name == name for t in o.targets)
                    for o in stmts) else None)
                what = f"a {kind}" if kind else "not declared"
                notes = () if kind not in (None, "local") else \
                    ("declare it with `state " + name + " = …` to carry it across iterations",)
                raise OptcError(f"prime on `{name}`, which is {what}: only states take a prime", target.span, notes)
            key = ("primed", name)
        else:
            kind = scope.kind_of(name) or ("state" if name in self.state_names else None)
            if kind is not None or name in self.dims:
                hint = f"; write `{name}' = …` to update it" if kind == "state" else ""
                raise OptcError(f"`{name}` is already defined (as a {kind or 'dimension'}){hint}", target.span)
            key = ("local", name)
        if key in seen:
            label = f"{name}'" if target.primed else name
            if seen[key] is s:
                raise OptcError(f"`{label}` appears twice on the left of this equation", target.span)
            raise OptcError(f"`{label}` is defined twice", s.span, (f"first defined at {seen[key].span}",))
        seen[key] = s

    def body(self, stmts, scope: Scope, allow_traces: bool) -> list[tuple[ast.TraceDecl, Value]]:
        """Lower a body's statements in dependency order into `scope`; returns its traces."""
        self._check_unique(stmts, scope, "body")
        traces = []
        for stmt in ordering.order(list(stmts), _defines, _reads):
            if isinstance(stmt, ast.Equation):
                self.equation(stmt, scope)
            elif isinstance(stmt, ast.Require):
                self.require(stmt)
            elif isinstance(stmt, ast.For):
                op = self.loop(stmt, scope, [])
                carried = op.attrs["carried"]
                scope.nxt.update(zip(carried, op.results[: len(carried)]))
            elif isinstance(stmt, ast.TraceDecl):
                if not allow_traces:
                    raise OptcError("`trace` is only allowed in a solver's outermost loop", stmt.span)
                traces.append((stmt, self.expr(stmt.expr)))
            elif isinstance(stmt, ast.Return):
                raise OptcError("`return` belongs at the top of the solver, outside loops", stmt.span)
            else:
                raise OptcError("this statement is not allowed in a loop body", stmt.span)
        return traces

    def require(self, stmt: ast.Require) -> None:
        """`require cond, "message"`: a `check` op failing with the user's message, followed by
        the condition's source text, when the condition is false."""
        cond = self.expr(stmt.cond)
        if cond.type.dtype != "bool" or not cond.type.is_scalar:
            note = "reduce a tensor first, as in `min(x) > 0`" if not cond.type.is_scalar else \
                "write a comparison, as in `lam >= 0`"
            raise OptcError(f"`require` needs a bool scalar condition, got {user_type(cond.type)}", stmt.cond.span,
                            (note,))
        message = f"{stmt.message} (requirement `{ast.source_text(stmt.cond.span)}` failed)"
        self.b.emit_op("check", (cond,), {"message": message}, stmt.span)

    def equation(self, eq: ast.Equation, scope: Scope) -> None:
        """Lower `name = e`, `x' = e`, `x'[i] = e` or `fx, g = value_and_grad(f)(x, …)` into `scope`."""
        if eq.rest:
            values = self.value_and_grad(eq.expr)
        else:
            values = (self.expr(eq.expr),)
        for target, value in zip(eq.targets, values):
            self._assign(eq, target, value, scope)

    def _assign(self, eq: ast.Equation, target: ast.Target, value: Value, scope: Scope) -> None:
        """Bind one target of an equation to its value (a local, or a state's primed value)."""
        if not target.primed:
            scope.bind(target.name, self._named(value, target.name), "local")
            return
        current = scope.cur[target.name]
        what = f"the new value of `{target.name}`"
        if target.index is None:
            scope.nxt[target.name] = self._named(self.coerce(value, current, eq.expr.span, what), target.name + "_next")
            return
        spec, bounds, operands = self.index_parts(current, target.index, target.span)
        value = self.convert(value, current.type.dtype, eq.expr.span, what)
        op = self.b.emit_op("setindex", (current, value, *operands), {"spec": spec, "bounds": bounds},
                            target.span, (target.name + "_next",))
        scope.nxt[target.name] = op.result

    def loop(self, node: ast.For, outer: Scope, top_traces, allow_traces: bool = False) -> Op:
        """Lower a `for` loop into a `loop` op; binds nothing, returns the op.

        `top_traces` are a solver's top-level traces, evaluated on each iteration's new values;
        `allow_traces` permits `trace` statements in this loop's body (outermost solver loop)."""
        lo = self.as_int(self.expr(node.lo), node.lo.span, "a loop bound")
        hi = self.as_int(self.expr(node.hi), node.hi.span, "a loop bound")
        updated = primed_states(node.body)
        carried = [s for s in self.state_order if s in updated]
        init = [outer.lookup(s) for s in carried]
        saved_b, saved_scope = self.b, self.scope
        self.b = Builder()
        k = Value(scalar("i64"), node.var)
        args = [Value(v.type, s) for s, v in zip(carried, init)]
        body = Scope(parent=outer, is_body=True)
        if outer.lookup(node.var) is not None or node.var in self.state_names or node.var in self.dims \
                or node.var in CONSTANTS:
            what = outer.kind_of(node.var) or ("state" if node.var in self.state_names else
                                               "dimension" if node.var in self.dims else "constant")
            raise OptcError(f"loop variable `{node.var}` is already defined (as a {what})", node.span)
        body.bind(node.var, k, "loop variable")
        for s in self.state_names:
            current = outer.lookup(s)
            if current is not None:
                body.cur[s] = current
        body.cur.update(zip(carried, args))
        self.scope = body
        in_body_traces = self.body(node.body, body, allow_traces=allow_traces)
        nexts = [body.nxt.get(s, body.cur[s]) for s in carried]
        yields = list(nexts)
        if node.until is not None:
            cond = self.expr(node.until)
            if cond.type.dtype != "bool" or not cond.type.is_scalar:
                raise OptcError(f"`until` needs a scalar comparison, got {user_type(cond.type)}", node.until.span)
            yields.append(cond)
        traces = list(in_body_traces)
        if top_traces:
            after = Scope(parent=outer, cur={**body.cur, **dict(zip(carried, nexts))})
            self.scope = after
            traces += [(t, self.expr(t.expr)) for t in top_traces]
        trace_values, first = [], {}
        for stmt, value in traces:
            if stmt.name in first:
                raise OptcError(f"trace `{stmt.name}` is defined twice", stmt.span, (f"first defined at {first[stmt.name]}",))
            first[stmt.name] = stmt.span
            if not value.type.is_scalar:
                raise OptcError(f"trace `{stmt.name}` must be a scalar, got {value.type}", stmt.span)
            trace_values.append(self.b.cast(value, self.real, stmt.span))
        region = self.b.finish((k, *args), (*yields, *trace_values))
        self.b, self.scope = saved_b, saved_scope
        attrs = {
            "until": node.until is not None,
            "var": node.var,
            "carried": tuple(carried),
            "trace_names": tuple(stmt.name for stmt, _ in traces),
            "trace_dtypes": tuple(self.real for _ in traces),
        }
        hints = (*carried, "iterations", "converged", *(stmt.name for stmt, _ in traces))
        return self.b.emit_op("loop", (lo, hi, *init), attrs, node.span, hints, (region,))

    # ---------------------------------------------------------------- optimizers

    def optimizer(self, decl: ast.OptimizerDecl) -> tuple[Function, Function]:
        """An optimizer as `init(p, g, hypers) -> states` and `step(p, g, states, hypers, t) -> (p', states')`."""
        decls = [s for s in decl.body if isinstance(s, ast.ParamDecl)]
        params = [s for s in decls if s.kind == "param"]
        grads = [s for s in decls if s.kind == "grad"]
        if len(params) != 1:
            where = params[1].span if len(params) > 1 else decl.span
            raise OptcError(f"an optimizer declares exactly one `param` (it has {len(params)})", where)
        if len(grads) > 1:
            raise OptcError("an optimizer declares at most one `grad`", grads[1].span)
        for s in decl.body:
            if isinstance(s, (ast.Return, ast.TraceDecl)):
                raise OptcError(f"an optimizer has no `{'return' if isinstance(s, ast.Return) else 'trace'}`; "
                                "it updates its param and states in place", s.span)
        for hp in decl.params:
            if hp.default is None:
                raise OptcError(f"hyperparameter `{hp.name}` needs a default value (`{hp.name} = …`)", hp.span)
            if hp.name == "t":
                raise OptcError("`t` is the step counter and cannot be a hyperparameter", hp.span)
        states = [s for s in decl.body if isinstance(s, ast.StateDecl)]
        seen: dict[str, object] = {params[0].name: params[0], **({grads[0].name: grads[0]} if grads else {})}
        for hp in decl.params:
            seen.setdefault(hp.name, hp)
        for st in states:
            if st.name in seen:
                raise OptcError(f"`{st.name}` is defined twice", st.span, (f"first defined at {seen[st.name].span}",))
            seen[st.name] = st
        self.state_order = [params[0].name] + [s.name for s in states]
        init = self._optimizer_init(decl, params[0], grads, states)
        self.state_names = set(self.state_order)
        step = self._optimizer_step(decl, params[0], grads, states, [v.type for v in init.results])
        return init, step

    def _optimizer_head(self, decl, param: ast.ParamDecl, grads, scope: Scope):
        self.dims = {}
        p_type = self.type_of(param.type, param.name, allow_any=True)
        p = Value(p_type, param.name)
        self.bind_dims(p, param.type)
        g = None
        if grads:
            g_type = self.type_of(grads[0].type, grads[0].name, allow_any=True) if grads[0].type else p_type
            if g_type != p_type:
                raise OptcError(f"the grad has type {g_type} but the param has type {p_type}", grads[0].span)
            g = Value(g_type, grads[0].name)
        hyper_scope = Scope()
        hypers, _, defaults = self._params(decl.params, hyper_scope, "hyper", "hyper")
        scope.values.update(hyper_scope.values)
        scope.kinds.update(hyper_scope.kinds)
        return p, g, hypers, defaults

    def _optimizer_attrs(self, decl, param, grads, states, hypers, defaults) -> dict:
        return {
            "param": param.name,
            "grad": grads[0].name if grads else None,
            "states": [s.name for s in states],
            "hyper_names": [h.hint for h in hypers],
            "defaults": defaults,
        }

    def _optimizer_init(self, decl, param, grads, states) -> Function:
        self.b = Builder()
        scope = Scope()
        self.scope = scope
        p, g, hypers, defaults = self._optimizer_head(decl, param, grads, scope)
        scope.bind(param.name, p, "param")
        if g is not None:
            scope.bind(grads[0].name, g, "grad")
        scope.bind("t", self.b.const(1, "i64", decl.span), "step counter")  # state is created on step 1
        inits: dict[str, Value] = {}
        self.state_names = {s.name for s in states}
        for stmt in ordering.order(states, _defines, _reads):
            value = self.expr(stmt.init)
            if stmt.type is not None:
                value = self._to_type(value, self.type_of(stmt.type, stmt.name, allow_any=True), stmt.span,
                                      f"the initial value of `{stmt.name}`")
            inits[stmt.name] = scope.cur[stmt.name] = self._named(value, stmt.name)
        params = (p, *([g] if g is not None else []), *hypers)
        attrs = {"kind": "optimizer.init", **self._optimizer_attrs(decl, param, grads, states, hypers, defaults),
                 "result_names": [s.name for s in states]}
        return Function(f"{decl.name}.init", self.b.finish(params, tuple(inits[s.name] for s in states)), attrs, decl.span)

    def _optimizer_step(self, decl, param, grads, states, state_types) -> Function:
        self.b = Builder()
        scope = Scope(is_body=True)
        self.scope = scope
        p, g, hypers, defaults = self._optimizer_head(decl, param, grads, scope)
        state_values = [Value(t, s.name) for s, t in zip(states, state_types)]
        t = Value(scalar("i64"), "t")
        scope.cur[param.name] = p
        scope.cur.update({s.name: v for s, v in zip(states, state_values)})
        if g is not None:
            scope.bind(grads[0].name, g, "grad")
        scope.bind("t", t, "step counter")
        body = [s for s in decl.body if isinstance(s, (ast.Equation, ast.For, ast.Require))]
        self.body(body, scope, allow_traces=False)
        results = [scope.nxt.get(param.name, p)] + [scope.nxt.get(s.name, v) for s, v in zip(states, state_values)]
        params = (p, *([g] if g is not None else []), *state_values, *hypers, t)
        attrs = {"kind": "optimizer.step", **self._optimizer_attrs(decl, param, grads, states, hypers, defaults),
                 "result_names": [param.name] + [s.name for s in states]}
        return Function(f"{decl.name}.step", self.b.finish(params, tuple(results)), attrs, decl.span)

    # ---------------------------------------------------------------- fns

    def call_fn(self, decl: ast.FnDecl, node: ast.Call, besides: str = "") -> Value:
        """A call of a user `fn`: arguments checked and converted, an instance per argument types.
        `besides` qualifies the argument counts in errors (`hvp(f)` passes its direction v apart)."""
        args = list(node.args)
        by_name = {p.name: i for i, p in enumerate(decl.params)}
        for kw in node.kwargs:
            if kw.name not in by_name:
                raise OptcError(f"`{decl.name}` has no parameter `{kw.name}`", kw.span, (f"`{decl.name}` is declared at {decl.span}",))
        ordered = args + [None] * (len(decl.params) - len(args))
        given = len(args) + len(node.kwargs)
        count = f"`{decl.name}` takes {len(decl.params)} argument(s){besides}, got {given}"
        if len(args) > len(decl.params):
            raise OptcError(count, node.span, (f"`{decl.name}` is declared at {decl.span}",))
        for kw in node.kwargs:
            ordered[by_name[kw.name]] = kw.value
        missing = [p.name for p, a in zip(decl.params, ordered) if a is None and p.default is None]
        if missing:
            raise OptcError(count, node.span,
                            (f"missing: {', '.join(missing)}; `{decl.name}` is declared at {decl.span}",))
        values, types, binding = [], [], {}
        for p, a in zip(decl.params, ordered):
            if a is None:
                v = self.b.const(self.literal_value(p.default), self._default_type(p, self.literal_value(p.default)).dtype, node.span)
            else:
                v = self.expr(a)
            span = a.span if a is not None else node.span
            v = self._fn_arg(decl, p, v, span, binding)
            values.append(v)
            types.append(v.type)
        key = (decl, tuple(types))  # by declaration: two files may each have a fn of this name
        name = self._instance_keys.get(key)
        if name is None:
            if decl in self._fn_stack:
                raise OptcError(f"`{decl.name}` calls itself; recursion is not supported", node.span)
            name = self._instantiate(decl, types, binding)
            self._instance_keys[key] = name
        result_types = self.instances[name].body.results[0].type
        return self.b.emit("call", values, {"callee": name, "result_types": (result_types,)}, node.span)

    def grad_fn(self, decl: ast.FnDecl, node: ast.Call) -> Value:
        """`grad(f)(x, …)`: `f` instantiated as for a call, then differentiated (`ir/autodiff.py`)."""
        return self._grad_call(decl, node, self._instance_call(decl, node))

    def _instance_call(self, decl: ast.FnDecl, node: ast.Call, besides: str = "") -> Op:
        """The call op of `f` that `node`'s arguments make, not kept in the body: only the instance
        it calls and its converted operands are needed."""
        call = self.call_fn(decl, node, besides)
        op = self.b.ops.pop()
        assert op.opcode == "call" and op.result is call
        return op

    def value_and_grad_fn(self, decl: ast.FnDecl, node: ast.Call) -> tuple[Value, Value]:
        """`value_and_grad(f)(x, …)`: the call of `f` and of its gradient on the same arguments
        (lowered once); inlining and CSE then compute the shared primal ops once."""
        value = self.call_fn(decl, node)
        return value, self._grad_call(decl, node, self.b.ops[-1], "value_and_grad")

    def _grad_call(self, decl: ast.FnDecl, node: ast.Call, op: Op, kind: str = "grad") -> Value:
        """A call of the gradient of the instance that `op` (a call of `f`) calls, on its operands."""
        fn = self.instances[op.attrs["callee"]]
        self._check_differentiable(decl, node, fn, kind)
        name = f"{fn.name}.grad"
        self._derive(decl, node, name, lambda: autodiff.gradient(fn, self.instances, name))
        return self.b.emit("call", op.operands, {"callee": name, "result_types": (fn.params[0].type,)}, node.span)

    def hvp_fn(self, decl: ast.FnDecl, node: ast.Call) -> Value:
        """`hvp(f)(x, v, …)`: the Hessian of `f` in its first argument times `v` (reverse over reverse,
        `autodiff.hessian_vector_product`); `v` must have the type of `x`."""
        if len(node.args) < 2:
            raise OptcError("hvp(f)(x, v, …) takes the point x and the direction v, then f's other arguments",
                            node.span, (f"`{decl.name}` is declared at {decl.span}",))
        v_node = node.args[1]
        without_v = ast.Call(node.span, node.func, (node.args[0], *node.args[2:]), node.kwargs)
        op = self._instance_call(decl, without_v, " besides the direction v")
        fn = self.instances[op.attrs["callee"]]
        self._check_differentiable(decl, node, fn, "hvp")
        x = op.operands[0]
        v = self.expr(v_node)
        if v.type.dtype != "bool":  # ints to reals, floats between widths, as for x
            v = self.convert(v, x.type.dtype, v_node.span, "the direction v")
        if v.type.dtype != x.type.dtype or not (v.type.shape == x.type.shape or same_dims(v.type, x.type)):
            raise OptcError(f"hvp(f)(x, v, …): the direction v has type {user_type(v.type)} but x has type "
                            f"{user_type(x.type)}; v must have x's type", v_node.span)
        name = f"{fn.name}.hvp"
        self._derive(decl, node, name, lambda: autodiff.hessian_vector_product(fn, self.instances, name))
        operands = (x, v, *op.operands[1:])
        return self.b.emit("call", operands, {"callee": name, "result_types": (x.type,)}, node.span)

    def _check_differentiable(self, decl: ast.FnDecl, node: ast.Call, fn: Function, kind: str) -> None:
        """`fn` (an instance of `decl`) returns a real scalar and has a real first parameter."""
        result = fn.body.results[0].type
        if not (result.is_scalar and result.is_float):
            raise OptcError(f"{kind}(f) needs a fn returning a real scalar; `{decl.name}` returns {user_type(result)}",
                            node.func.span, (f"`{decl.name}` is declared at {decl.span}",))
        if not fn.params or not fn.params[0].type.is_float:
            shown = user_type(fn.params[0].type) if fn.params else "nothing"
            raise OptcError(f"{kind}(f) differentiates with respect to the first argument, which must be real; "
                            f"`{decl.name}`'s is {shown}", node.args[0].span if node.args else node.span,
                            (f"`{decl.name}` is declared at {decl.span}",))

    def _derive(self, decl: ast.FnDecl, node: ast.Call, name: str, derive) -> None:
        """Make the instance `name` with `derive()` unless it exists; errors point at user code."""
        if name in self.instances:
            return
        try:
            self.instances[name] = derive()
        except OptcError as err:
            declared = f"`{decl.name}` is declared at {decl.span}"
            if err.span is None or err.span == decl.span:
                raise OptcError(err.message, node.span, (declared,)) from None
            at = f"differentiating `{decl.name}` for the {transform_of(node)} at {node.span}"
            raise OptcError(err.message, err.span, (*err.notes, at)) from None

    def _fn_arg(self, decl, p: ast.Param, v: Value, span, binding: dict) -> Value:
        declared = self.type_of(p.type, p.name, allow_any=True) if p.type is not None \
            else self._default_type(p, self.literal_value(p.default))
        what = f"argument `{p.name}` of `{decl.name}`"
        if v.type.dtype != declared.dtype:
            if v.type.dtype == "i64" and declared.is_float:
                v = self.b.cast(v, declared.dtype, span)
            elif v.type.is_float and declared.is_float:
                v = self.b.cast(v, declared.dtype, span)
            else:
                raise OptcError(f"{what} must be {declared.dtype.replace('i64', 'int')}, got {v.type}", span)
        if declared.shape is None:
            return v  # `real[...]`: any shape, scalars included
        if declared.is_scalar:
            if not v.type.is_scalar:
                raise OptcError(f"{what} must be a scalar, got {user_type(v.type)}", span)
            return v
        if v.type.shape is None:
            for d in declared.shape:
                if isinstance(d, str):
                    binding[d] = _ANY
            return v
        if len(v.type.shape) != len(declared.shape):
            raise OptcError(f"{what} must have rank {len(declared.shape)}, got {user_type(v.type)}", span)
        for d, actual in zip(declared.shape, v.type.shape):
            if isinstance(d, int):
                if actual not in (d, "?") and not isinstance(actual, str):
                    raise OptcError(f"{what} must have length {d}, got {v.type}", span)
                continue
            bound = binding.get(d)
            if bound is None or bound is _ANY:
                binding[d] = actual
            else:
                try:
                    unify_dim(bound, actual)
                except ShapeError:
                    raise OptcError(f"{what}: dimension `{d}` is {bound} from an earlier argument but {actual} here", span) from None
        return v

    def _instantiate(self, decl: ast.FnDecl, types: list[TensorType], binding: dict) -> str:
        name = decl.name if decl.name not in self.instances else f"{decl.name}.{len(self.instances)}"
        saved = (self.b, self.scope, self.dims, self.state_names, self.fns)
        self.b, self.scope, self.dims, self.state_names = Builder(), Scope(), {}, set()
        self.fns = self.unit.fn_scopes.get(decl, self.fns)  # calls resolve where the fn is declared
        self._fn_stack.append(decl)
        self.instances[name] = None  # reserve the name while the body is lowered
        try:
            params = []
            for p, t in zip(decl.params, types):
                v = Value(t, p.name)
                self.scope.bind(p.name, v, "parameter")
                if p.type is not None and p.type.dims and t.shape is not None:
                    for axis, d in enumerate(p.type.dims):
                        if isinstance(d, str) and d not in self.dims:
                            self.dims[d] = (v, axis)
                params.append(v)
            self._check_dim_clash(decl.params)
            if isinstance(decl.body, tuple):
                result = self._fn_block(decl)
            else:
                result = self.expr(decl.body)
            result = self._fn_result(decl, result, binding)
            self.instances[name] = Function(name, self.b.finish(tuple(params), (result,)), {"kind": "fn"}, decl.span)
        finally:
            self._fn_stack.pop()
            self.b, self.scope, self.dims, self.state_names, self.fns = saved
        return name

    def _fn_block(self, decl: ast.FnDecl) -> Value:
        returns = [s for s in decl.body if isinstance(s, ast.Return)]
        if len(returns) != 1 or len(returns[0].values) != 1:
            raise OptcError(f"fn `{decl.name}` needs exactly one `return` of one value", decl.span)
        eqs = []
        for s in decl.body:
            if isinstance(s, ast.Require) or (isinstance(s, ast.Equation) and not any(t.primed for t in s.targets)):
                eqs.append(s)
            elif not isinstance(s, ast.Return):
                raise OptcError("a fn body holds only `name = …` equations, `require`s and one `return`", s.span)
        self._check_unique(eqs, self.scope, "fn")
        for stmt in ordering.order(eqs, _defines, _reads):
            if isinstance(stmt, ast.Require):
                self.require(stmt)
            else:
                self.equation(stmt, self.scope)
        return self.expr(returns[0].values[0])

    def _fn_result(self, decl: ast.FnDecl, result: Value, binding: dict) -> Value:
        declared = self.type_of(decl.ret, "result", allow_any=True)
        what = f"the result of `{decl.name}`"
        if result.type.dtype != declared.dtype:
            if result.type.dtype == "i64" and declared.is_float or result.type.is_float and declared.is_float:
                result = self.b.cast(result, declared.dtype, decl.ret.span)
            else:
                raise OptcError(f"{what} has type {user_type(result.type)} but is declared {user_type(declared)}", decl.ret.span)
        if declared.shape is None or declared.shape == ():
            if declared.shape == () and not result.type.is_scalar:
                raise OptcError(f"{what} has type {result.type} but is declared a scalar", decl.ret.span)
            return result
        if any(binding.get(d) is _ANY for d in declared.shape if isinstance(d, str)):
            return result
        expected = tuple(binding.get(d, d) if isinstance(d, str) else d for d in declared.shape)
        target = TensorType(result.type.dtype, expected)
        if result.type.shape is None or len(result.type.shape) != len(expected):
            raise OptcError(f"{what} has type {user_type(result.type)} but is declared {user_type(declared)}", decl.ret.span)
        try:
            for a, b in zip(expected, result.type.shape):
                unify_dim(a, b)
        except ShapeError:
            raise OptcError(f"{what} has type {user_type(result.type)} but is declared {user_type(declared)} (here {target})", decl.ret.span) from None
        return result
