"""`use`: a neighbouring file's fns, the stdlib's (`use prox` gives `soft_threshold`), shadowing,
cycles of uses, and the errors for a missing module."""

from __future__ import annotations

import numpy as np
import pytest
from optc.dsl.program import load_unit

import optc
from optc.compiler import compile_source
from optc.errors import OptcError


def test_use_of_a_neighbouring_file(write):
    write(
        "fn double(v: real[k]) -> real[k] = 2 * v\nfn unused(v: real) -> real = v\n", "helpers.opt"
    )
    main = write(
        "use helpers\nsolver s(x: real[n]) -> real[n] { return y = double(x) + 1 }\n", "main.opt"
    )
    unit = load_unit(main)
    assert {"double", "unused"} <= set(unit.fns)
    res = optc.solve(main, backend="numpy", x=np.array([1.0, 2.0]))
    np.testing.assert_array_equal(res.y, [3.0, 5.0])


def test_use_with_a_quoted_file_name(write):
    write("fn inc(v: real) -> real = v + 1\n", "my helpers.opt")
    main = write('use "my helpers.opt"\nsolver s(x: real) { return y = inc(x) }\n', "main.opt")
    assert optc.solve(main, backend="numpy", x=1.5).y == 2.5


def test_use_of_the_stdlib_gives_soft_threshold(write):
    main = write(
        "use prox\nsolver s(x: real[n], t: real) -> real[n] { return y = soft_threshold(x, t) }\n"
    )
    unit = load_unit(main)
    assert unit.fns["soft_threshold"].span.file.name.endswith("prox.opt")
    res = optc.solve(main, backend="numpy", x=np.array([-3.0, -0.5, 0.0, 0.5, 3.0]), t=1.0)
    np.testing.assert_array_equal(res.y, [-2.0, 0.0, 0.0, 0.0, 2.0])


def test_a_neighbouring_file_is_preferred_to_the_stdlib(write):
    write("fn soft_threshold(x: real[n], t: real) -> real[n] = x * 0 + 7\n", "prox.opt")
    main = write("use prox\nsolver s(x: real[n]) { return y = soft_threshold(x, 1) }\n", "main.opt")
    np.testing.assert_array_equal(optc.solve(main, backend="numpy", x=np.ones(2)).y, [7.0, 7.0])


def test_a_local_fn_shadows_an_imported_one(write):
    main = write(
        "use prox\nfn soft_threshold(x: real[n], t: real) -> real[n] = x + t\n"
        "solver s(x: real[n]) { return y = soft_threshold(x, 1) }\n"
    )
    np.testing.assert_array_equal(optc.solve(main, backend="numpy", x=np.zeros(2)).y, [1.0, 1.0])


def test_uses_are_transitive_and_may_form_cycles(write):
    write("use b\nfn fa(v: real) -> real = fb(v) + 1\n", "a.opt")
    write("use a\nfn fb(v: real) -> real = 10 * v\n", "b.opt")
    main = write("use a\nsolver s(x: real) { return y = fa(x) }\n", "main.opt")
    assert optc.solve(main, backend="numpy", x=2.0).y == 21.0


def test_missing_module_is_an_error_at_the_use(write):
    path = write("use proxx\nsolver s(x: real) { return x }\n")
    with pytest.raises(
        OptcError, match=r"cannot find module `proxx` \(did you mean `prox`\?\)"
    ) as info:
        compile_source(path)
    assert (info.value.span.line, info.value.span.col) == (1, 1)


def test_a_declaration_twice_is_an_error(write):
    path = write(
        "fn f(v: real) -> real = v\nfn f(v: real) -> real = 2 * v\nsolver s(x: real) { return y = f(x) }\n"
    )
    with pytest.raises(OptcError, match="`f` is declared twice") as info:
        compile_source(path)
    assert info.value.span.line == 2


def test_a_used_fn_calls_the_helpers_of_its_own_file(write):
    # lexical scoping: the caller's `helper` must not replace the one `api` was written against
    write(
        "fn helper(v: real) -> real = v + 1\nfn api(v: real) -> real = helper(v) * 10\n", "lib.opt"
    )
    main = write(
        "use lib\nfn helper(v: real) -> real = v - 1000\n"
        "solver s(x: real) { return a = api(x), b = helper(x) }\n",
        "main.opt",
    )
    res = optc.solve(main, backend="numpy", x=1.0)
    assert (res.a, res.b) == (20.0, -999.0)


def test_a_cycle_of_uses_sees_the_fns_of_both_files(write):
    write("use b\nfn fa(v: real) -> real = v + 1\n", "a.opt")
    write("use a\nfn fb(v: real) -> real = 10 * fa(v)\n", "b.opt")
    main = write("use b\nsolver s(x: real) { return y = fb(x) }\n", "main.opt")
    assert optc.solve(main, backend="numpy", x=2.0).y == 30.0


def test_recursion_across_files_is_an_error(write):
    write("use b\nfn fa(v: real) -> real = fb(v)\n", "a.opt")
    write("use a\nfn fb(v: real) -> real = fa(v)\n", "b.opt")
    main = write("use a\nsolver s(x: real) { return y = fa(x) }\n", "main.opt")
    with pytest.raises(OptcError, match="calls itself"):
        compile_source(main)
