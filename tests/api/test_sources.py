"""Where programs come from: stdlib names, .opt paths (str or pathlib), `name=` to pick one
declaration of several, `use` of the stdlib from a user's file, and edits being picked up."""

from __future__ import annotations

import numpy as np
import pytest

import optc


def test_pick_a_solver_by_name(two_solvers):
    halve = optc.solver(str(two_solvers), name="halve")
    heron = optc.solver(two_solvers, name="heron")  # a pathlib.Path works too
    assert halve.name == "halve" and heron.name == "heron"
    np.testing.assert_array_equal(halve(x0=np.array([64.0])).x, [2.0])
    np.testing.assert_allclose(heron(c=np.array([16.0])).root, [4.0], rtol=1e-15)


def test_a_file_with_several_solvers_needs_a_name(two_solvers):
    with pytest.raises(optc.OptcError, match="declares several: halve, heron; pick one by name"):
        optc.solver(two_solvers)


def test_a_wrong_name_suggests_the_right_one(two_solvers):
    message = r"has no solver named `herron` \(did you mean `heron`\?\)"
    with pytest.raises(optc.OptcError, match=message) as err:
        optc.solver(two_solvers, name="herron")
    assert "it declares: halve, heron" in str(err.value)


def test_a_user_file_can_use_the_stdlib(tmp_path):
    (tmp_path / "mine.opt").write_text(
        "use prox\n"
        "solver shrink(x0: real[n], t: real) -> real[n] {\n"
        "  x = soft_threshold(x0, t)\n"
        "  return x\n"
        "}\n")
    res = optc.solve(tmp_path / "mine.opt", x0=np.array([-3.0, 0.5, 2.0]), t=1.0)
    np.testing.assert_array_equal(res.x, [-2.0, 0.0, 1.0])


def test_an_edited_file_is_recompiled(tmp_path):
    path = tmp_path / "scale.opt"
    body = "solver scale(x0: real[n]) -> real[n] {{\n  x = x0 * {}\n  return x\n}}\n"
    path.write_text(body.format(2))
    assert optc.solve(path, x0=np.ones(2)).x[0] == 2.0
    path.write_text(body.format(3))
    assert optc.solve(path, x0=np.ones(2)).x[0] == 3.0


def test_an_optimizer_from_a_file(tmp_path):
    path = tmp_path / "signsgd.opt"
    path.write_text("optimizer signsgd(lr = 0.01) {\n"
                    "  param p\n  grad g\n  p' = p - lr * sign(g)\n}\n")
    opt = optc.optimizer(path, lr=0.5)
    p = np.array([1.0, 1.0, 1.0])
    opt.step(p, np.array([2.0, -3.0, 0.0]), opt.init(p))
    np.testing.assert_array_equal(p, [0.5, 1.5, 1.0])
