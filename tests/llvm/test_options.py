"""The llvm backend's options: threads= and fastmath=."""

import numpy as np
import pytest

import optc

pytestmark = pytest.mark.llvm


def run_adamw(**options):
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(n) for n in (5, 300_000, 700_000)]  # large enough to split
    opt = optc.optimizer("adamw", lr=1e-2, **options)
    state = opt.init(params)
    for k in range(5):
        opt.step(params, [np.sin(p * (k + 1)) for p in params], state)
    return params


def test_threads_do_not_change_the_result():
    one = run_adamw(backend="llvm", threads=1)
    for result in (run_adamw(backend="llvm", threads=2), run_adamw(backend="llvm", threads=3)):
        for a, b in zip(one, result):
            np.testing.assert_array_equal(a, b)  # elementwise: the split cannot change a bit


def test_fastmath_stays_close_to_the_reference():
    reference = run_adamw(backend="numpy")
    for a, b in zip(reference, run_adamw(backend="llvm", fastmath=True)):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_threads_must_be_a_positive_int(bad):
    with pytest.raises(optc.OptcError, match="threads must be a positive int"):
        optc.optimizer("adamw", backend="llvm", threads=bad)


def test_fastmath_is_an_llvm_option():
    with pytest.raises(optc.OptcError, match="fastmath=True is an option of the llvm backend, not of `numpy`"):
        optc.solver("cg", backend="numpy", fastmath=True)
