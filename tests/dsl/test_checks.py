"""Name and structure checks of lowering: what each kind of name may do, where statements may
appear, and that each mistake is reported at its line and column."""

from __future__ import annotations

import pytest

from optc.compiler import compile_source
from optc.errors import OptcError


def solver(body: str, args: str = "x0: real[n], c: real") -> str:
    return f"solver s({args}) {{\n  state x = x0\n{body}\n  return x\n}}\n"


CASES = [
    # loop variables may not hide anything
    (
        solver("  for x in 0..2 { x' = x + 1 }"),
        r"loop variable `x` is already defined \(as a state\)",
        (3, 3),
    ),
    (
        solver("  for c in 0..2 { x' = x + 1 }"),
        r"loop variable `c` is already defined \(as a parameter\)",
        (3, 3),
    ),
    (
        solver("  for n in 0..2 { x' = x + n }"),
        r"loop variable `n` is already defined \(as a dimension\)",
        (3, 3),
    ),
    (
        solver("  for k in 0..2 {\n    for k in 0..2 { x' = x + 1 }\n  }"),
        r"loop variable `k` is already defined",
        (4, 5),
    ),
    # nor a constant: a loop variable `epsilon` would change what `epsilon` means in the body
    (
        solver("  for epsilon in 0..2 { x' = x + epsilon }"),
        r"loop variable `epsilon` is already defined \(as a constant\)",
        (3, 3),
    ),
    (
        solver("  for k in 0..2 {\n    for inf in 0..2 { x' = x + 1 }\n  }"),
        r"loop variable `inf` is already defined \(as a constant\)",
        (4, 5),
    ),
    # a top-level require runs before the loop: reading a state would check its initial value
    (
        solver("  for k in 0..2 { x' = x + 1 }\n  require min(x) > 0, \"x must end positive\""),
        r"a top-level `require` cannot read the state `x`",
        (4, 15),
    ),
    # a parameter and a dimension cannot share a name (they could disagree at run time)
    (
        "solver s(x: real[n], n: int) { return y = zeros(n) + x }",
        r"`n` is both a parameter and a dimension",
        (1, 22),
    ),
    (
        "fn f(v: real[k], k: int) -> real = sum(v) * k\nsolver s(x: real[n]) { return y = f(x, 2) }",
        r"`k` is both a parameter and a dimension",
        (1, 18),
    ),
    (
        "optimizer o(n = 2) {\n  param p: real[n]\n  p' = p\n}",
        r"`n` is both a parameter and a dimension",
        (1, 13),
    ),
    # primes only on states, and only inside loops
    (
        solver("  for k in 0..2 { c' = 1 }"),
        r"prime on `c`, which is a parameter: only states take a prime",
        (3, 19),
    ),
    (solver("  for k in 0..2 { x' = c' }"), r"`c` is a parameter, not a state", (3, 24)),
    (solver("  x' = x + 1"), r"`x'` can only be defined inside a loop", (3, 3)),
    (solver("  y = x' + 1"), r"can only be read inside a loop", (3, 7)),
    # a local may not redefine a name
    (
        solver("  for k in 0..2 { x = 1 }"),
        r"`x` is already defined \(as a state\); write `x' = …` to update it",
        (3, 19),
    ),
    (solver("  c = 1"), r"`c` is already defined \(as a parameter\)", (3, 3)),
    (solver("  n = 1"), r"`n` is already defined \(as a dimension\)", (3, 3)),
    # where statements belong
    (
        solver("  for k in 0..2 {\n    state y = 0\n  }"),
        r"`state` declarations belong at the top",
        (4, 5),
    ),
    (
        solver("  for k in 0..2 {\n    return x\n  }"),
        r"`return` belongs at the top of the solver",
        (4, 5),
    ),
    (
        solver(
            "  for k in 0..2 {\n    for j in 0..2 {\n      x' = x\n      trace t = 1\n    }\n  }"
        ),
        r"`trace` is only allowed in a solver's outermost loop",
        (6, 7),
    ),
    (solver("  trace t = 1"), r"this solver has no loop", (3, 3)),
    (
        solver("  for k in 0..2 { x' = x }\n  for k in 0..2 { x' = x }"),
        r"at most one top-level loop",
        (4, 3),
    ),
    (
        solver("  for k in 0..2 until x' > 0 { x' = x + 1 }"),
        r"`until` needs a scalar comparison, got bool\[n\]",
        (3, 23),
    ),
    (solver("  for k in 0..c { x' = x }"), r"must be an int, got real", (3, 15)),
    (
        solver("  for k in 0..2 { x' = x }\n  trace t = x"),
        r"trace `t` must be a scalar, got f64\[n\]",
        (4, 3),
    ),
    ("solver s(x: real) { return x + 1 }", r"name this result: `return name = …`", (1, 28)),
    ("solver s(x: real) {\n  y = x\n}", r"solver `s` has no `return`", (1, 1)),
    (
        "solver s(x: real) -> (real, real) {\n  return x\n}",
        r"declares 2 result\(s\) but returns 1",
        (2, 3),
    ),
    ("solver s(x: real, x: real) { return x }", r"parameter `x` is declared twice", (1, 19)),
    ("solver s(x: real, k = x) { return x }", r"a default value must be a number", (1, 23)),
    (
        "solver s(x: real, k: int = 0.5) { return x }",
        r"default of int parameter `k` must be an integer",
        (1, 28),
    ),
    # states keep their dtype
    (
        "solver s(x: real) {\n  state c = 0\n  for k in 0..2 { c' = c + 0.5 }\n  return c\n}",
        r"new value of `c` has type real, which cannot be converted to int",
        (3, 24),
    ),
    # fns
    (
        "fn f(v: real) -> real = f(v)\nsolver s(x: real) { return y = f(x) }",
        r"`f` calls itself",
        (1, 25),
    ),
    (
        "fn f(v: real) -> real = v\nsolver s(x: real) { return y = f(x, 1) }",
        r"`f` takes 1 argument\(s\), got 2",
        (2, 32),
    ),
    (
        "fn f(v: real) -> real = v\nsolver s(x: real) { return y = f(w=x) }",
        r"`f` has no parameter `w`",
        (2, 34),
    ),
    (
        "fn f(v: real[k]) -> real = v\nsolver s(x: real[n]) { return y = f(x) }",
        r"result of `f` has type f64\[n\] but is declared a scalar",
        (1, 21),
    ),
    (
        "fn f(v: int) -> real = v\nsolver s(x: real) { return y = f(x) }",
        r"argument `v` of `f` must be int, got f64",
        (2, 34),
    ),
    (
        "fn f(v: real) -> real {\n  w = v\n}\nsolver s(x: real) { return y = f(x) }",
        r"needs exactly one `return`",
        (1, 1),
    ),
    # optimizers
    ("optimizer o {\n  grad g\n}", r"exactly one `param` \(it has 0\)", (1, 1)),
    (
        "optimizer o(lr: real) {\n  param p\n  p' = p\n}",
        r"hyperparameter `lr` needs a default value",
        (1, 13),
    ),
    ("optimizer o(t = 1) {\n  param p\n  p' = p\n}", r"`t` is the step counter", (1, 13)),
    ("optimizer o {\n  param p\n  trace q = 1\n}", r"an optimizer has no `trace`", (3, 3)),
    (
        "optimizer o {\n  param p: real[n]\n  grad g: real[m]\n  p' = p\n}",
        r"the grad has type f64\[m\] but the param has type f64\[n\]",
        (3, 3),
    ),
]


@pytest.mark.parametrize("src, message, where", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_mistakes_are_reported_at_their_line_and_column(write, src, message, where):
    with pytest.raises(OptcError, match=message) as info:
        compile_source(write(src))
    span = info.value.span
    assert span is not None, str(info.value)
    assert (span.line, span.col) == where, str(info.value)
