"""What a solver call returns (DESIGN §4): one attribute per returned name, `iterations`,
`converged`, `trace`, readable reprs, and arrays the caller owns."""

from __future__ import annotations

import numpy as np
import pytest

import optc


def test_single_return(diabetes):
    A, b, step = diabetes
    res = optc.solve("gd", A=A, b=b, step=step)
    assert isinstance(res.x, np.ndarray) and res.x.shape == (10,) and res.x.dtype == np.float64
    assert res["x"] is res.x and list(res.outputs) == ["x"]
    assert type(res.iterations) is int and 0 < res.iterations < 100000
    assert res.converged is True
    assert list(res.trace) == ["objective"]
    assert res.trace["objective"].shape == (res.iterations,)
    assert repr(res) == ("SolveResult(x=array(shape=(10,), dtype=float64), "
                         f"iterations={res.iterations}, converged=True, trace=[objective])")


def test_multiple_returns_sinkhorn():
    x = np.linspace(0, 1, 30)
    a = np.exp(-((x - 0.3) ** 2) / 0.02)
    b = np.exp(-((x - 0.7) ** 2) / 0.05)
    a, b, C = a / a.sum(), b / b.sum(), (x[:, None] - x[None, :]) ** 2
    res = optc.solve("sinkhorn", a=a, b=b, C=C, eps=0.05)
    assert list(res.outputs) == ["plan", "u", "v"]
    assert res.plan.shape == (30, 30) and res.u.shape == (30,) and res.v.shape == (30,)
    K = np.exp(-C / 0.05)
    np.testing.assert_allclose(res.plan, res.u[:, None] * K * res.v[None, :], rtol=1e-12)
    assert repr(res) == ("SolveResult(plan=array(shape=(30, 30), dtype=float64), "
                         "u=array(shape=(30,), dtype=float64), "
                         "v=array(shape=(30,), dtype=float64), "
                         f"iterations={res.iterations}, converged=True, trace=[marginal_error])")


def test_scalar_return_is_a_python_float():
    A = np.diag([4.0, 2.0, 1.0])
    res = optc.solve("power_iteration", A=A)
    assert type(res.eigenvalue) is float and res.eigenvalue == pytest.approx(4.0, rel=1e-12)
    assert repr(res).startswith(
        f"SolveResult(eigenvalue={res.eigenvalue!r}, v=array(shape=(3,), dtype=float64), ")


def test_named_return_values(two_solvers):
    res = optc.solver(two_solvers, name="heron")(c=np.array([2.0, 9.0, 0.25]))
    assert list(res.outputs) == ["root", "change"]
    np.testing.assert_allclose(res.root, np.sqrt([2.0, 9.0, 0.25]), rtol=1e-15)
    assert res.change <= 1e-14 * 3 and res.converged is True
    assert res.trace["largest_change"][-1] == res.change


def test_a_missing_attribute_says_what_there_is():
    res = optc.solve("power_iteration", A=np.eye(2) * 3)
    message = r"the result has no `vv` \(did you mean `v`\?\); it has: eigenvalue, v"
    with pytest.raises(AttributeError, match=message):
        _ = res.vv


def test_max_iter_reached_means_not_converged(diabetes):
    A, b, step = diabetes
    res = optc.solve("gd", A=A, b=b, step=step, max_iter=7)
    assert res.converged is False and res.iterations == 7 and res.trace["objective"].shape == (7,)


def test_a_loop_without_stopping_rule_converges_by_finishing(two_solvers):
    res = optc.solve(two_solvers, name="halve", x0=np.array([32.0, 1.0]), max_iter=5)
    assert res.converged is True and res.iterations == 5 and res.trace == {}
    np.testing.assert_array_equal(res.x, [1.0, 1 / 32])


def test_solve_is_solver_then_call(diabetes):
    A, b, step = diabetes
    one = optc.solve("gd", A=A, b=b, step=step, max_iter=40)
    two = optc.solver("gd")(A=A, b=b, step=step, max_iter=40)
    np.testing.assert_array_equal(one.x, two.x)
    np.testing.assert_array_equal(one.trace["objective"], two.trace["objective"])


def test_float32_inputs_or_dtype_give_float32_results(diabetes):
    A, b, step = diabetes
    A32, b32 = A.astype(np.float32), b.astype(np.float32)
    by_inputs = optc.solve("gd", A=A32, b=b32, step=step, max_iter=20)
    by_dtype = optc.solve("gd", A=A, b=b, step=step, max_iter=20, dtype="float32")
    by_numpy_dtype = optc.solver("gd", dtype=np.float32)(A=A, b=b, step=step, max_iter=20)
    for res in (by_inputs, by_dtype, by_numpy_dtype):
        assert res.x.dtype == np.float32 and res.trace["objective"].dtype == np.float32
    np.testing.assert_array_equal(by_inputs.x, by_dtype.x)
    np.testing.assert_array_equal(by_dtype.x, by_numpy_dtype.x)
    mixed = optc.solve("gd", A=A32, b=b, step=step, max_iter=20)
    assert mixed.x.dtype == np.float64  # float32 only when every float array is float32


def test_progress_is_called_once_per_iteration(diabetes):
    A, b, step = diabetes
    calls = []
    res = optc.solve("gd", A=A, b=b, step=step, max_iter=12,
                     progress=lambda *args: calls.append(args))
    assert [c[0] for c in calls] == list(range(1, 13))
    assert all(c[1] == 12 for c in calls)
    reported = [c[2]["objective"] for c in calls]
    assert reported == pytest.approx(list(res.trace["objective"]), rel=1e-15)


def test_results_do_not_alias_the_inputs(two_solvers):
    """The caller's arrays and the result's are separate: a state initialised from an input
    and returned unchanged must still be a new array (validate.py: "copies, never views")."""
    x0 = np.array([4.0, 8.0])
    res = optc.solve(two_solvers, name="halve", x0=x0, max_iter=0)
    np.testing.assert_array_equal(res.x, [4.0, 8.0])
    assert not np.shares_memory(res.x, x0)
    res.x[0] = -1.0
    assert x0[0] == 4.0


def test_inputs_are_not_modified(diabetes):
    A, b, _ = diabetes
    A_copy, b_copy = A.copy(), b.copy()
    optc.solve("lasso_cd", A=A, b=b, lam=10.0)
    optc.solve("cg", A=A.T @ A, b=A.T @ b)
    np.testing.assert_array_equal(A, A_copy)
    np.testing.assert_array_equal(b, b_copy)


def test_solver_repr_and_inputs():
    s = optc.solver("gd")
    assert s.inputs == {"A": "real[m, n]", "b": "real[m]", "step": "real", "tol": "real",
                        "max_iter": "int"}
    assert repr(s) == ("optc.Solver('gd', inputs=(A: real[m, n], b: real[m], step: real, "
                       "tol: real, max_iter: int))")


def test_check_finite_false_skips_the_nan_scan_and_nothing_else():
    A = np.array([[4.0, 1.0], [1.0, 3.0]])
    b = np.array([1.0, np.nan])
    with pytest.raises(optc.OptcError, match="input `b` contains NaN"):
        optc.solve("cg", A=A, b=b)
    res = optc.solve("cg", A=A, b=b, check_finite=False, max_iter=3)  # the user's promise, not checked
    assert np.isnan(res.x).any()
    with pytest.raises(optc.OptcError, match="but dimension `n` is 2"):  # shapes are still checked
        optc.solve("cg", A=A, b=np.ones(3), check_finite=False)
    np.testing.assert_array_equal(optc.solve("cg", A=A, b=np.ones(2), check_finite=False).x,
                                  optc.solve("cg", A=A, b=np.ones(2)).x)
