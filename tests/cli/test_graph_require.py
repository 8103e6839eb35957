"""`optc graph` draws `require` statements: a node reading the names of its condition."""

from __future__ import annotations

SOLVER = """solver s(x: real[n], tol = 1e-3) -> real[n] {
  require tol > 0, "tol must be positive"
  state y = x
  for k in 0..10 {
    step = norm(y) / (k + 1)
    require step >= 0, "the step is never negative"
    y' = y - step * y
  }
  return y
}
"""

OPTIMIZER = """optimizer o(lr = 1e-3) {
  param p
  grad g
  require lr > 0, "lr must be positive"
  p' = p - lr * g
}
"""


def test_a_require_in_the_loop_body_reads_what_it_checks(optc, tmp_path):
    path = tmp_path / "s.opt"
    path.write_text(SOLVER)
    res = optc("graph", str(path))
    assert res.code == 0, res.err
    assert '  n1 [label="6: require step >= 0, \\"the step is never negative\\""];' in res.out
    assert 'n0 -> n1 [label="step"]' in res.out and 'n0 -> n2 [label="step"]' in res.out
    assert "tol > 0" not in res.out  # before the loop: not in one iteration's graph


def test_a_require_in_an_optimizer(optc, tmp_path):
    path = tmp_path / "o.opt"
    path.write_text(OPTIMIZER)
    res = optc("graph", str(path))
    assert res.code == 0, res.err
    assert '  n0 [label="4: require lr > 0, \\"lr must be positive\\""];' in res.out
    assert "n1 [label=\"5: p' = p - lr * g\"]" in res.out
