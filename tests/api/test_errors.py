"""Every user mistake is an `OptcError` whose message names the problem (DESIGN §4, §5)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import optc

A = np.random.default_rng(0).standard_normal((20, 5))
B = np.ones(20)


def raises(fragment: str):
    """pytest.raises(OptcError) whose message contains `fragment` literally."""
    return pytest.raises(optc.OptcError, match=re.escape(fragment))


# ---------------------------------------------------------------- solver inputs

def test_unknown_input_suggests_the_right_name():
    with raises("solver `gd` has no input `stpe` (did you mean `step`?)") as err:
        optc.solve("gd", A=A, b=B, stpe=0.1)
    assert "its inputs are: A, b, step, tol, max_iter" in str(err.value)


def test_missing_input():
    with raises("missing input `step` (real) for solver `gd`"):
        optc.solve("gd", A=A, b=B)


def test_wrong_rank():
    with raises("input `A` must be a matrix (real[m, n]), got shape (20,)"):
        optc.solve("gd", A=B, b=B, step=0.1)
    with raises("input `step` must be a scalar (real), got an array of shape (3,)"):
        optc.solve("gd", A=A, b=B, step=np.ones(3))


def test_inconsistent_dimensions():
    with raises("input `b` has shape (19,), but dimension `m` is 20 (from `A`)"):
        optc.solve("gd", A=A, b=np.ones(19), step=0.1)
    with raises("input `A` has shape (3, 2), but dimension `n` is 3 (from `A`)"):
        optc.solve("cg", A=np.ones((3, 2)), b=np.ones(3))


def test_nan_and_infinite_inputs():
    bad = A.copy()
    bad[7, 3] = np.nan
    with raises("input `A` contains NaN (first at index (7, 3))"):
        optc.solve("gd", A=bad, b=B, step=0.1)
    with raises("input `b` contains an infinite value (first at index (4,))"):
        optc.solve("gd", A=A, b=np.where(np.arange(20) == 4, np.inf, 1.0), step=0.1)
    with raises("input `step` is NaN"):
        optc.solve("gd", A=A, b=B, step=float("nan"))


def test_complex_input():
    with raises("input `A` holds complex numbers; optc needs real numbers"):
        optc.solve("gd", A=A.astype(complex), b=B, step=0.1)


def test_object_array_input():
    with raises("input `A` holds Python objects; optc needs real numbers"):
        optc.solve("gd", A=np.array([[1.0, "a"]], dtype=object), b=np.ones(1), step=0.1)


def test_non_integer_value_for_an_int_input():
    with raises("input `max_iter` must hold integers (int)"):
        optc.solve("gd", A=A, b=B, step=0.1, max_iter=2.5)
    # an integral float is fine
    assert optc.solve("gd", A=A, b=B, step=0.1, max_iter=3.0).iterations == 3


# ---------------------------------------------------------------- optimizers

def test_unknown_hyperparameter():
    with raises("optimizer `adam` has no hyperparameter `betas` (did you mean `beta2`?)") as err:
        optc.optimizer("adam", betas=(0.9, 0.999))
    names = "lr, beta1, beta2, eps, weight_decay, amsgrad, maximize"
    assert f"its hyperparameters are: {names}" in str(err.value)
    opt = optc.optimizer("sgd")
    p = np.ones(3)
    with raises("optimizer `sgd` has no hyperparameter `lrr` (did you mean `lr`?)"):
        opt.step(p, np.ones(3), opt.init(p), lrr=0.1)


def test_bad_hyperparameter_values():
    opt = optc.optimizer("adam")
    p = np.ones(3)
    state = opt.init(p)
    with raises("input `lr` is NaN"):
        opt.step(p, np.ones(3), state, lr=float("nan"))
    with raises("input `amsgrad` must be a bool, got 2"):
        opt.step(p, np.ones(3), state, amsgrad=2)


def setup_two_tensors(name="adam"):
    opt = optc.optimizer(name)
    params = [np.zeros((3, 2)), np.zeros(4)]
    return opt, params, opt.init(params)


def test_grads_count_mismatch():
    opt, params, state = setup_two_tensors()
    with raises("2 params but 1 grads"):
        opt.step(params, [np.zeros((3, 2))], state)


def test_grad_shape_mismatch():
    opt, params, state = setup_two_tensors()
    with raises("grads[0] has shape (2, 3) but params[0] has shape (3, 2)"):
        opt.step(params, [np.zeros((2, 3)), np.zeros(4)], state)


def test_grad_dtype_mismatch():
    opt, params, state = setup_two_tensors()
    with raises("grads[0] has dtype float32 but params[0] has dtype float64"):
        opt.step(params, [np.zeros((3, 2), np.float32), np.zeros(4)], state)


def test_read_only_param():
    opt, params, state = setup_two_tensors()
    params[1].flags.writeable = False
    with raises("params[1] is read-only; the optimizer updates it in place"):
        opt.step(params, [np.zeros((3, 2)), np.zeros(4)], state)
    with raises("params[1] is read-only"):
        opt.init(params)


@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_param_made_read_only_after_the_first_step(backend):
    """The checks must not be skipped for arrays seen before: the flag can change (the llvm
    backend's multi-tensor kernel reuses its pointer table from the first step)."""
    opt = optc.optimizer("sgd", backend=backend)
    params, grads = [np.ones(3)], [np.ones(3)]
    state = opt.init(params)
    opt.step(params, grads, state)
    params[0].flags.writeable = False
    with raises("params[0] is read-only"):
        opt.step(params, grads, state)
    np.testing.assert_array_equal(params[0], 0.999)  # only the first step's update


def test_int_param_array():
    opt = optc.optimizer("sgd")
    with raises("params[0] has dtype int64; optimizers update float32 or float64 arrays"):
        opt.init([np.zeros(3, dtype=np.int64)])


def test_params_must_be_arrays():
    opt = optc.optimizer("sgd")
    with raises("params must be a NumPy array or a list of arrays, not int"):
        opt.init(5)
    with raises("params[0] must be a NumPy array (updated in place), not list"):
        opt.init([[1.0, 2.0]])


def test_step_needs_the_state_from_init():
    opt = optc.optimizer("sgd")
    with raises("state must be the OptimizerState returned by init(params)"):
        opt.step([np.ones(2)], [np.ones(2)], {})


def test_state_from_another_params_list():
    opt, params, state = setup_two_tensors()
    opt.step(params, [np.zeros((3, 2)), np.zeros(4)], state)
    with raises("state was created for 2 tensors but 1 params were given"):
        opt.step([np.zeros(5)], [np.zeros(5)], state)
    with raises("params[0] has shape (2, 3) but the state was created for (3, 2)"):
        opt.step([np.zeros((2, 3)), np.zeros(4)], [np.zeros((2, 3)), np.zeros(4)], state)


@pytest.mark.parametrize("stepped", [False, True], ids=["fresh", "stepped"])
def test_state_from_params_of_another_dtype(stepped):
    """A state made for float64 tensors, then given float32 tensors of the same shapes.
    (On the numpy backend: without the check, the llvm backend's float64 kernel would write
    past the end of the float32 buffers and could crash the test run.)"""
    opt = optc.optimizer("sgd", lr=0.1, momentum=0.9, backend="numpy")
    params = [np.ones((2, 3)), np.ones(4)]
    state = opt.init(params)
    if stepped:
        opt.step(params, [np.ones((2, 3)), np.ones(4)], state)
    single = [np.ones((2, 3), np.float32), np.ones(4, np.float32)]
    with raises("params[0] has dtype float32 but the state was created for float64"):
        opt.step(single, [np.ones((2, 3), np.float32), np.ones(4, np.float32)], state)


def test_state_from_another_optimizer():
    adam = optc.optimizer("adam", backend="numpy")
    sgd = optc.optimizer("sgd", momentum=0.9, backend="numpy")
    params = [np.ones(3)]
    state = adam.init(params)
    adam.step(params, [np.ones(3)], state)
    # an OptcError about the state: not an InternalError, and not a silently wrong step
    with pytest.raises(optc.OptcError, match="state"):
        sgd.step(params, [np.ones(3)], state)


def test_optimizer_compiled_for_one_dtype_rejects_the_other():
    opt = optc.optimizer("sgd", dtype="float32")
    with raises("params[0] has dtype float64 but the optimizer was compiled for"):
        opt.init([np.ones(3)])


# ---------------------------------------------------------------- sources, backends, dtypes

def test_unknown_backend():
    with raises("unknown backend `numpyy` (did you mean `numpy`?)"):
        optc.solver("gd", backend="numpyy")


def has_nvidia_gpu() -> bool:
    return Path("/dev/nvidia0").exists() or shutil.which("nvidia-smi") is not None


@pytest.mark.skipif(has_nvidia_gpu(), reason="this machine has an NVIDIA GPU")
def test_gpu_backend_without_a_gpu():
    """No raw ImportError or driver failure: an OptcError that says what is missing."""
    with pytest.raises(optc.OptcError, match="(?i)gpu|cuda"):
        optc.optimizer("adam", backend="mlir-gpu")


@pytest.mark.parametrize("dtype", ["float16", "f63", np.int32, "int64"])
def test_bad_dtype(dtype):
    with raises("dtype must be 'float32' or 'float64', not "):
        optc.solver("gd", dtype=dtype)


def test_unknown_stdlib_name_suggests_the_right_one():
    with raises("`fistaa` is neither a .opt file nor a stdlib algorithm (did you mean `fista`?)"):
        optc.solver("fistaa")
    with raises("`adamm` is neither a .opt file nor a stdlib algorithm (did you mean `adam`?)"):
        optc.optimizer("adamm")


def test_wrong_kind_of_declaration():
    with raises("has no solver named `adam`"):
        optc.solver("adam")
    with raises("has no optimizer named `gd`"):
        optc.optimizer("gd")


def test_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere" / "lasso.opt"
    with raises(f"no such file: {missing}"):
        optc.solver(str(missing))
    with raises(f"no such file: {missing}"):
        optc.optimizer(missing)


def test_errors_render_as_diagnostics():
    with pytest.raises(optc.OptcError) as err:
        optc.solve("gd", A=A, b=B)
    assert str(err.value).startswith("error: missing input")
    assert "Traceback" not in str(err.value)
