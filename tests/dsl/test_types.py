"""Lowering as type checking: symbolic shape inference, int → real promotion, dimension names as
ints, the working dtype, fn instances per argument type, and type errors at the user's span."""

from __future__ import annotations

import pytest

from optc.errors import OptcError

ARGS = "A: real[m, n], B: real[n, k], x: real[n], u: real[m], a: int, b: int, j: int, s: real"


def solver_of(returns: str) -> str:
    return f"solver s({ARGS}) {{\n  return {returns}\n}}\n"


@pytest.mark.parametrize(
    "expr, expected",
    [
        # linear algebra: @ picks matvec, vecmat, matmul or dot by rank
        ("A @ x", "f64[m]"),
        ("u @ A", "f64[n]"),
        ("A @ B", "f64[m,k]"),
        ("x @ x", "f64[]"),
        ("dot(x, x)", "f64[]"),
        ("outer(u, x)", "f64[m,n]"),
        ("A.T", "f64[n,m]"),
        ("A.T @ u", "f64[n]"),
        ("x.T", "f64[n]"),
        # broadcasting
        ("A + x", "f64[m,n]"),
        ("x + A", "f64[m,n]"),
        ("A * s", "f64[m,n]"),
        ("u + A.T", "f64[n,m]"),
        ("where(x > 0, x, s)", "f64[n]"),
        ("where(s > 0, A, 0)", "f64[m,n]"),
        ("max(x, s)", "f64[n]"),
        ("clip(A, -1, 1)", "f64[m,n]"),
        # reductions, with and without axis
        ("sum(A)", "f64[]"),
        ("sum(A, axis=0)", "f64[n]"),
        ("sum(A, axis=1)", "f64[m]"),
        ("sum(A, axis=-1)", "f64[m]"),
        ("max(A, axis=1)", "f64[m]"),
        ("min(A, axis=0)", "f64[n]"),
        ("mean(A, axis=0)", "f64[n]"),
        ("norm(A, axis=1)", "f64[m]"),
        ("norm1(A)", "f64[]"),
        ("norminf(x)", "f64[]"),
        ("logsumexp(A, axis=0)", "f64[n]"),
        ("argmax(A, axis=0)", "i64[n]"),
        ("argmin(x)", "i64[]"),
        # indexing and slicing
        ("x[j]", "f64[]"),
        ("A[j, 0]", "f64[]"),
        ("A[:, j]", "f64[m]"),
        ("A[j, :]", "f64[n]"),
        ("A[j]", "f64[n]"),
        ("x[1:n]", "f64[n-1]"),
        ("x[2:]", "f64[n-2]"),
        ("x[:a]", "f64[a]"),
        ("x[a:b]", "f64[b-a]"),
        ("x[1:4]", "f64[3]"),
        ("A[1:3, :]", "f64[2,n]"),
        ("A[:, :]", "f64[m,n]"),
        # constructors
        ("zeros(n)", "f64[n]"),
        ("ones(m, n)", "f64[m,n]"),
        ("full(3, 1)", "f64[3]"),
        ("eye(n)", "f64[n,n]"),
        ("zeros_like(A)", "f64[m,n]"),
        ("full_like(x, 2)", "f64[n]"),
        # comparisons and logic
        ("x > 0", "bool[n]"),
        ("A == 0 or A != 1", "bool[m,n]"),
        ("not (s < 1)", "bool[]"),
    ],
)
def test_shape_inference(result_types, expr, expected):
    assert result_types(solver_of(f"r = {expr}"))["r"] == expected


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("n", "i64[]"),  # a dimension name is an int value
        ("n - 1", "i64[]"),
        ("m * n", "i64[]"),
        ("a + 2", "i64[]"),
        ("a^2", "i64[]"),
        ("-7 % 2", "i64[]"),
        ("abs(a)", "i64[]"),
        ("size(A)", "i64[]"),
        ("a / 2", "f64[]"),  # `/` of ints is real
        ("2^-1", "f64[]"),  # an int to a negative power is real
        ("sum(x) / n", "f64[]"),
        ("x * 2", "f64[n]"),  # ints promote in arithmetic with reals ...
        ("a * s", "f64[]"),
        ("sqrt(a)", "f64[]"),  # ... and in math functions
        ("exp(n)", "f64[]"),
        ("mean(x)", "f64[]"),
        ("zeros(m * n)", "f64[m*n]"),
        ("x[n - 1]", "f64[]"),  # an int expression of dims indexes
    ],
)
def test_ints_dims_and_promotion(result_types, expr, expected):
    assert result_types(solver_of(f"r = {expr}"))["r"] == expected


def test_promotion_inserts_casts_not_int_arithmetic(lowered):
    module = lowered(solver_of("r = x * a + a / b"))
    ops = [op for op in module.functions["s"].body.ops]
    casts = [op for op in ops if op.opcode == "cast"]
    assert {c.attrs["dtype"] for c in casts} == {"f64"}
    div = next(op for op in ops if op.opcode == "div")
    assert [v.type.dtype for v in div.operands] == ["f64", "f64"]


@pytest.mark.parametrize("real", ["f32", "f64"])
def test_working_dtype_fixes_real(result_types, real):
    types = result_types(
        "solver s(x: real[n], d: f64, e: f32, i: int) {\n"
        "  return a = x * 2, b = mean(x), c = x * d, f = x * e, g = sqrt(i), h = i + e, k = exp(x), l = zeros(n)\n}",
        dtype=real,
    )
    assert types == {
        "a": f"{real}[n]",
        "b": f"{real}[]",
        "c": "f64[n]",  # an explicit f64 is at least as wide as real
        "f": f"{real}[n]",  # an explicit f32 promotes to real
        "g": f"{real}[]",
        "h": "f32[]",
        "k": f"{real}[n]",
        "l": f"{real}[n]",
    }


def test_f32_constants_are_emitted_as_f32(lowered):
    module = lowered("solver s(x: real[n]) { return y = x * 0.1 + 1 }", dtype="f32")
    consts = [
        op
        for op in module.functions["s"].body.ops
        if op.opcode == "const" and op.results[0].type.dtype != "i64"
    ]
    assert consts and all(op.results[0].type.dtype in ("f32", "bool") for op in consts)
    assert all(
        op.results[0].type.dtype == "f32"
        for op in module.functions["s"].body.ops
        if op.opcode in ("mul", "add")
    )


def test_state_and_trace_types_follow_the_dtype(lowered):
    src = (
        "solver s(x0: real[n]) -> real[n] {\n  state x = x0\n  trace obj = sum(x)\n"
        "  for k in 0..3 { x' = x / 2 }\n  return x\n}"
    )
    for dtype in ("f32", "f64"):
        fn = lowered(src, dtype=dtype).functions["s"]
        assert [str(v.type) for v in fn.results] == [
            f"{dtype}[n]",
            "i64[]",
            "bool[]",
            f"{dtype}[?]",
        ]


# ---------------------------------------------------------------- fn instances


def test_fn_is_instantiated_once_per_argument_type(lowered):
    module = lowered(
        "fn sq(v: real[k]) -> real[k] = v * v\n"
        "fn twice(v: real) -> real = 2 * v\n"
        "solver s(x: real[n], y: real[m]) {\n"
        "  return a = sq(x), b = sq(y), c = sq(2 * x), d = twice(3), e = twice(sum(x))\n}"
    )
    fns = {name: fn for name, fn in module.functions.items() if fn.attrs.get("kind") == "fn"}
    signatures = sorted(
        str(fn.params[0].type) + "->" + str(fn.results[0].type) for fn in fns.values()
    )
    assert signatures == ["f64[]->f64[]", "f64[m]->f64[m]", "f64[n]->f64[n]"]
    calls = [op for op in module.functions["s"].body.ops if op.opcode == "call"]
    assert len(calls) == 5
    by_result = {op.results[0].hint: op.attrs["callee"] for op in calls}
    assert by_result["a"] == by_result["c"] != by_result["b"]
    assert by_result["d"] == by_result["e"]


def test_fn_result_type_uses_the_callers_dims(result_types):
    types = result_types(
        "fn rows(M: real[p, q]) -> real[p] = sum(M, axis=1)\n"
        "solver s(A: real[m, n]) { return r = rows(A), c = rows(A.T) }"
    )
    assert types == {"r": "f64[m]", "c": "f64[n]"}


def test_fn_int_argument_promotes_to_real(lowered):
    module = lowered("fn half(v: real) -> real = v / 2\nsolver s(x: real) { return y = half(3) }")
    (inst,) = [fn for fn in module.functions.values() if fn.attrs.get("kind") == "fn"]
    assert str(inst.params[0].type) == "f64[]"


def test_fn_with_block_body_and_keywords(result_types):
    types = result_types(
        "fn scaled(v: real[k], by: real = 2) -> real[k] {\n  w = v * by\n  return w\n}\n"
        "solver s(x: real[n]) { return a = scaled(x), b = scaled(by=3, v=x) }"
    )
    assert types == {"a": "f64[n]", "b": "f64[n]"}


def test_fn_arguments_must_agree_on_dims(write):
    from optc.compiler import compile_source

    path = write(
        "fn f(a: real[k], b: real[k]) -> real = dot(a, b)\nsolver s(x: real[n], y: real[m]) { return r = f(x, y) }"
    )
    with pytest.raises(OptcError, match="dimension `k` is n from an earlier argument but m here"):
        compile_source(path)


# ---------------------------------------------------------------- type errors point at the user's code


@pytest.mark.parametrize(
    "expr, message, caret",
    [
        ("x + u", r"`\+`: shapes \[n\] and \[m\] do not broadcast", "x + u"),
        ("A @ u", "A @ x: inner dimensions n and m differ", "A @ u"),
        ("x[s]", "must be an int, got real", "s"),
        ("x[1, 2]", "2 indices for a tensor of rank 1", "x[1, 2]"),
        ("(x > 0) + 1", "expected a number, got a bool", "(x > 0) + 1"),
        ("where(x > 0, x > 1, 1)", "cannot mix a bool", "where(x > 0, x > 1, 1)"),
        ("where(x, 1, 2)", "condition of where", "x"),
        ("sum(A, axis=2)", "axis 2 is out of range for a tensor of rank 2", "sum(A, axis=2)"),
        ("sum(A, axis=a)", "axis= must be an integer literal", "a"),
        ("sum(x, y=1)", "sum\\(\\) has no keyword `y`", "y=1"),
        ("norm(x, x)", "norm\\(\\) takes 1 argument, got 2", "norm(x, x)"),
        ("zorm(x)", "unknown function `zorm` \\(did you mean `norm`\\?\\)", "zorm"),
        ("xx + 1", "unknown name `xx` \\(did you mean `x`\\?\\)", "xx"),
        ("x' + 1", "only be read inside a loop|not a state", "x'"),
        ("not x", "`not` needs a comparison", "not x"),
        ("dot(A, x)", "dot\\(x, y\\) takes two vectors", "dot(A, x)"),
    ],
)
def test_type_errors_point_at_the_expression(write, expr, message, caret):
    from optc.compiler import compile_source

    src = solver_of(f"r = {expr}")
    path = write(src)
    with pytest.raises(OptcError, match=message) as info:
        compile_source(path)
    span = info.value.span
    assert span is not None and span.line == 2
    assert src[span.start : span.end] == caret


def test_declared_result_type_is_checked(write):
    from optc.compiler import compile_source

    path = write("solver s(x: real[n], u: real[m]) -> real[n] {\n  return u\n}")
    with pytest.raises(
        OptcError, match=r"returned `u` has type real\[m\] but is declared real\[n\]"
    ) as info:
        compile_source(path)
    assert info.value.span.line == 2


def test_state_update_must_keep_the_shape(write):
    from optc.compiler import compile_source

    path = write(
        "solver s(x0: real[n], u: real[m]) {\n  state x = x0\n  for k in 0..2 {\n    x' = u\n  }\n  return x\n}"
    )
    with pytest.raises(
        OptcError, match=r"new value of `x` has shape \[m\] but must have shape \[n\]"
    ) as info:
        compile_source(path)
    assert (info.value.span.line, info.value.span.col) == (4, 10)


def test_scalar_update_of_a_vector_state_broadcasts(lowered):
    fn = lowered(
        "solver s(x0: real[n]) {\n  state x = x0\n  for k in 0..2 { x' = 0 }\n  return x\n}"
    ).functions["s"]
    assert str(fn.results[0].type) == "f64[n]"


@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_parameter_defaults_fix_their_types(lowered, dtype):
    module = lowered(
        "solver s(x: real, a = 0.9, b = 10, c = true, d: real = 1, e = -inf, f: f64 = 2) {\n"
        "  return x\n}",
        dtype=dtype,
    )
    fn = module.functions["s"]
    types = {n: str(v.type) for n, v in zip(fn.attrs["param_names"], fn.params)}
    assert types == {
        "x": f"{dtype}[]",
        "a": f"{dtype}[]",
        "b": "i64[]",
        "c": "bool[]",
        "d": f"{dtype}[]",
        "e": f"{dtype}[]",
        "f": "f64[]",
    }
    assert fn.attrs["defaults"] == {
        "a": 0.9,
        "b": 10,
        "c": True,
        "d": 1.0,
        "e": float("-inf"),
        "f": 2.0,
    }
    assert fn.attrs["roles"] == ["arg"] + ["hyper"] * 6


@pytest.mark.parametrize("dtype,eps", [("f32", 2.0**-23), ("f64", 2.0**-52)])
def test_epsilon_is_the_working_types_machine_epsilon(lowered, dtype, eps):
    """`epsilon` in an expression and as a default value follows the working real type."""
    import numpy as np

    module = lowered("solver s(x: real, tol = epsilon) { return y = epsilon * x, z = tol }", dtype=dtype)
    fn = module.functions["s"]
    values = [op.attrs["value"] for op in fn.body.ops if op.opcode == "const" and op.results[0].type.dtype == dtype]
    assert eps in values
    assert fn.attrs["defaults"]["tol"] == eps == float(np.finfo({"f32": np.float32, "f64": np.float64}[dtype]).eps)


def test_parameters_states_and_locals_shadow_constants(tmp_path):
    """A parameter, state or local named like a constant (`epsilon`, `pi`, `inf`, `nan`) hides it
    in its declaration (docs/language.md, Constants); a loop variable may not (test_checks)."""
    import numpy as np

    import optc

    path = tmp_path / "shadow.opt"
    path.write_text(
        "solver s(x: real[n], epsilon = 0.5) -> real[n] {\n"
        "  state pi = x\n"
        "  nan = 2 * epsilon\n"
        "  for k in 0..3 {\n"
        "    inf = pi * epsilon\n"
        "    pi' = inf + nan\n"
        "  }\n"
        "  return pi\n"
        "}\n"
    )
    x = np.array([1.0, -2.0, 8.0])
    want = x
    for _ in range(3):
        want = want * 0.25 + 0.5
    for backend in ("numpy", "llvm"):
        got = optc.solve(str(path), backend=backend, x=x, epsilon=0.25).pi
        np.testing.assert_array_equal(got, want)
