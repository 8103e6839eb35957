"""Property tests on random well-typed IR built directly with the IR data types: printing and
parsing round-trips, every pass (and the whole pipeline) leaves IR the verifier accepts, and
keeps the results the NumPy backend (the semantics) computes."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from optc.backends.numpy.interpreter import run_function
from optc.ir.core import Block, Function, Module, Op, Value
from optc.ir.equality import structurally_equal
from optc.ir.ops import infer
from optc.ir.parser import parse_module
from optc.ir.passes import PASSES
from optc.ir.pipeline import optimize
from optc.ir.printer import print_module
from optc.ir.types import TensorType, scalar
from optc.ir.verifier import verify_module

VECTOR = TensorType("f64", ("n",))
SCALAR = scalar("f64")
UNARY = ("neg", "abs", "sqrt", "exp", "log1p", "tanh", "sin", "sigmoid", "floor")
BINARY = ("add", "sub", "mul", "div", "pow", "minimum", "maximum")
COMPARE = ("lt", "le", "gt", "ge", "eq", "ne")
REDUCE = ("reduce_sum", "reduce_max", "reduce_min", "logsumexp")
CONSTS = (0.0, -0.0, 1.0, 2.0, 0.5, -0.5, -1.0, 3.25, float("inf"), float("nan"))
HINTS = ("", "", "x", "y", "t", "k2")


class _Builder:
    """Appends random well-typed ops to a list, drawing operands from the values in scope."""

    def __init__(self, draw, scope: list[Value], depth: int, helper: Function | None):
        self.draw = draw
        self.scope = list(scope)
        self.ops: list[Op] = []
        self.depth = depth
        self.helper = helper

    def pick(self, type_: TensorType | None = None) -> Value:
        """A value in scope, more often a recent one, so the ops form chains."""
        pool = [v for v in self.scope if type_ is None or v.type == type_]
        if self.draw(st.booleans()):
            return pool[-1]
        return self.draw(st.sampled_from(pool))

    def emit(
        self, opcode: str, operands: tuple[Value, ...], attrs: dict | None = None
    ) -> tuple[Value, ...]:
        attrs = attrs or {}
        hint = self.draw(st.sampled_from(HINTS))
        results = tuple(Value(t, hint) for t in infer(opcode, [v.type for v in operands], attrs))
        self.ops.append(Op(opcode, operands, results, attrs))
        self.scope.extend(r for r in results if r.type in (VECTOR, SCALAR))
        return results

    def step(self) -> None:
        kinds = ["const", "unary", "binary", "binary_const", "reduce", "select", "cast"]
        if self.depth < 2:
            kinds.append("loop")
        if self.helper is not None:
            kinds.append("call")
        kind = self.draw(st.sampled_from(kinds))
        if kind == "const":
            self.emit("const", (), {"dtype": "f64", "value": self.draw(st.sampled_from(CONSTS))})
        elif kind == "unary":
            self.emit(self.draw(st.sampled_from(UNARY)), (self.pick(),))
        elif kind == "binary":
            self.emit(self.draw(st.sampled_from(BINARY)), (self.pick(), self.pick()))
        elif kind == "binary_const":
            # One constant operand, so the algebraic rules and folding get exercised.
            (c,) = self.emit(
                "const", (), {"dtype": "f64", "value": self.draw(st.sampled_from(CONSTS))}
            )
            x = self.pick()
            self.emit(
                self.draw(st.sampled_from(BINARY)), self.draw(st.sampled_from([(x, c), (c, x)]))
            )
        elif kind == "reduce":
            self.emit(self.draw(st.sampled_from(REDUCE)), (self.pick(VECTOR),), {"axis": None})
        elif kind == "select":
            (cond,) = self.emit(self.draw(st.sampled_from(COMPARE)), (self.pick(), self.pick()))
            self.emit("select", (cond, self.pick(), self.pick()))
        elif kind == "cast":
            (as_int,) = self.emit("cast", (self.pick(),), {"dtype": "i64"})
            self.emit("cast", (as_int,), {"dtype": "f64"})
        elif kind == "call":
            types = tuple(v.type for v in self.helper.results)
            args = tuple(self.pick(p.type) for p in self.helper.params)
            self.emit("call", args, {"callee": self.helper.name, "result_types": types})
        else:
            self.loop()

    def loop(self) -> None:
        (lo,) = self.emit("const", (), {"dtype": "i64", "value": 0})
        (hi,) = self.emit("const", (), {"dtype": "i64", "value": self.draw(st.integers(0, 5))})
        carried = self.draw(st.lists(st.sampled_from(self.scope), min_size=0, max_size=3))
        until = self.draw(st.booleans())
        traces = self.draw(st.integers(0, 2))
        k = Value(scalar("i64"), "k")
        args = [Value(v.type, v.hint) for v in carried]
        inner = _Builder(self.draw, [*self.scope, *args], self.depth + 1, self.helper)
        inner.emit("cast", (k,), {"dtype": "f64"})
        for _ in range(self.draw(st.integers(0, 5))):
            inner.step()
        yields = [inner.pick(v.type) for v in carried]
        if until:
            (cond,) = inner.emit("le", (inner.pick(SCALAR), inner.pick(SCALAR)))
            yields.append(cond)
        yields += [inner.pick(SCALAR) for _ in range(traces)]
        region = Block((k, *args), tuple(inner.ops), tuple(yields))
        attrs = {
            "until": until,
            "trace_dtypes": ("f64",) * traces,
            "trace_names": tuple(f"t{i}" for i in range(traces)),
        }
        operands = (lo, hi, *carried)
        results = tuple(Value(t) for t in infer("loop", [v.type for v in operands], attrs))
        self.ops.append(Op("loop", operands, results, attrs, (region,)))
        self.scope.extend(results[: len(carried)])


@st.composite
def modules(draw) -> Module:
    """A module with a `solver` function over f64[n] and f64[] parameters, and maybe a `fn` it
    calls."""
    helper = None
    if draw(st.booleans()):
        params = [Value(VECTOR, "a"), Value(SCALAR, "b")]
        builder = _Builder(draw, params, depth=2, helper=None)
        for _ in range(draw(st.integers(1, 4))):
            builder.step()
        result = builder.pick(VECTOR)
        helper = Function(
            "helper", Block(tuple(params), tuple(builder.ops), (result,)), {"kind": "fn"}
        )
    params = [Value(VECTOR, f"x{i}") for i in range(draw(st.integers(1, 3)))] + [Value(SCALAR, "s")]
    builder = _Builder(draw, params, depth=0, helper=helper)
    for _ in range(draw(st.integers(1, 10))):
        builder.step()
    # The last value computed is always returned, so most ops feed a result.
    picks = draw(st.lists(st.sampled_from(builder.scope), max_size=2))
    results = (builder.scope[-1], *picks)
    main = Function("main", Block(tuple(params), tuple(builder.ops), results), {"kind": "solver"})
    functions = {"main": main} if helper is None else {"helper": helper, "main": main}
    return Module(functions)


def _round_trips(module: Module) -> None:
    text = print_module(module)
    parsed = parse_module(text)
    assert print_module(parsed) == text
    assert structurally_equal(parsed, module)


@given(modules())
def test_random_ir_round_trips_through_text(module):
    verify_module(module)
    _round_trips(module)


@given(modules())
def test_every_pass_keeps_random_ir_valid(module):
    for run in PASSES.values():
        out = run(module)
        verify_module(out)
        _round_trips(out)


@given(modules())
def test_the_pipeline_keeps_random_ir_valid_and_removes_calls(module):
    out = optimize(module, verify=True)
    _round_trips(out)
    assert list(out.functions) == ["main"]
    assert all(op.opcode != "call" for op in out.functions["main"].body.walk())


def _evaluate(module: Module, seed: int) -> list:
    rng = np.random.default_rng(seed)
    args = [
        rng.standard_normal(4) if p.type == VECTOR else np.float64(rng.standard_normal())
        for p in module.functions["main"].params
    ]
    return run_function(module, "main", args)


def _assert_same_results(expected: list, found: list) -> None:
    assert len(expected) == len(found)
    for e, f in zip(expected, found):
        np.testing.assert_allclose(f, e, rtol=1e-12, atol=0, equal_nan=True)


@given(modules(), st.integers(0, 2**32 - 1))
def test_every_pass_keeps_the_numpy_results(module, seed):
    expected = _evaluate(module, seed)
    for run in PASSES.values():
        _assert_same_results(expected, _evaluate(run(module), seed))
    _assert_same_results(expected, _evaluate(optimize(module), seed))
