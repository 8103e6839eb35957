"""The optimizer contract (DESIGN §4): in-place steps over lists of arrays, hyperparameters
per call without recompiling, dtype groups, and reprs."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import optc
from optc.compiler import _compile_cached


def params_and_grads(dtypes=("float64", "float64", "float64")):
    """Three tensors of different shapes (and the given dtypes) and matching gradients."""
    rng = np.random.default_rng(1)
    shapes = [(8, 5), (5,), (1, 8)]
    params = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
    grads = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
    return params, grads


def test_step_updates_the_callers_arrays_in_place():
    params, grads = params_and_grads()
    ids = [id(p) for p in params]
    expected = [p - 0.1 * g for p, g in zip(params, grads)]
    opt = optc.optimizer("sgd", lr=0.1)
    opt.step(params, grads, opt.init(params))
    assert [id(p) for p in params] == ids
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p, e)


def test_a_single_array_and_non_contiguous_views():
    block = np.ones((4, 6))
    view = block[:, ::2]  # every other column: not contiguous
    opt = optc.optimizer("sgd", lr=0.25)
    opt.step(view, np.ones((4, 3)), opt.init(view))
    np.testing.assert_array_equal(block[:, ::2], 0.75)
    np.testing.assert_array_equal(block[:, 1::2], 1.0)  # the columns in between are untouched


def test_hyperparameters_change_per_call_without_recompiling():
    params, grads = params_and_grads()
    opt = optc.optimizer("sgd", lr=0.1, momentum=0.9)
    state = opt.init(params)
    opt.step(params, grads, state)  # compiles whatever is compiled lazily
    executable = opt.executable("f64")
    before = _compile_cached.cache_info()
    for lr, momentum, nesterov in [(0.05, 0.9, False), (0.01, 0.5, True), (0.0, 0.0, False)]:
        opt.step(params, grads, state, lr=lr, momentum=momentum, nesterov=nesterov)
    assert _compile_cached.cache_info() == before
    assert opt.executable("f64") is executable


def test_per_call_hyperparameters_do_not_stick():
    p = np.array([1.0, 2.0])
    g = np.array([1.0, 1.0])
    opt = optc.optimizer("sgd", lr=0.1)
    state = opt.init(p)
    opt.step(p, g, state, lr=0.0)
    np.testing.assert_array_equal(p, [1.0, 2.0])
    opt.step(p, g, state)  # back to the constructor's lr
    np.testing.assert_allclose(p, [0.9, 1.9], rtol=1e-15)
    assert opt.hyper == {"lr": 0.1}


def test_two_dtype_groups_match_separate_runs():
    """float32 and float64 tensors in one list: each keeps its dtype, and each gets exactly
    what an optimizer given only the tensors of its dtype computes."""
    mixed, mixed_grads = params_and_grads(("float32", "float64", "float32"))
    f32 = [mixed[0].copy(), mixed[2].copy()]
    f64 = [mixed[1].copy()]
    opt = optc.optimizer("adam", lr=1e-2, amsgrad=True)
    states = [opt.init(x) for x in (mixed, f32, f64)]
    for step in range(20):
        grads = [g * (1 + 0.1 * step) for g in mixed_grads]
        opt.step(mixed, grads, states[0])
        opt.step(f32, [grads[0], grads[2]], states[1])
        opt.step(f64, [grads[1]], states[2])
    assert [p.dtype for p in mixed] == [np.float32, np.float64, np.float32]
    np.testing.assert_array_equal(mixed[0], f32[0])
    np.testing.assert_array_equal(mixed[2], f32[1])
    np.testing.assert_array_equal(mixed[1], f64[0])
    assert states[0].dtypes == ["f32", "f64", "f32"]
    assert [t["m"].dtype for t in states[0].tensors] == [np.float32, np.float64, np.float32]


def test_state_counts_steps():
    params, grads = params_and_grads()
    opt = optc.optimizer("adam")
    state = opt.init(params)
    assert state.t == 0
    for _ in range(3):
        opt.step(params, grads, state)
    assert state.t == 3 and len(state.tensors) == 3
    assert sorted(state.tensors[0]) == ["m", "v", "v_max"]


def test_optimizer_and_state_reprs():
    opt = optc.optimizer("sgd", lr=0.1, nesterov=True, momentum=0.9)
    assert repr(opt) == ("optc.Optimizer('sgd', lr=0.1, momentum=0.9, dampening=0.0, "
                         "nesterov=True, weight_decay=0.0, maximize=False)")
    assert opt.defaults == {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False,
                            "weight_decay": 0.0, "maximize": False}
    params, grads = params_and_grads()
    state = opt.init(params)
    assert repr(state) == "OptimizerState(t=0, tensors=3, states=[])"
    opt.step(params, grads, state)
    assert repr(state) == "OptimizerState(t=1, tensors=3, states=[buf, has_buf])"


@pytest.mark.parametrize("name, torch_defaults", [
    ("sgd", {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False,
             "weight_decay": 0.0, "maximize": False}),
    ("adam", {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0,
              "amsgrad": False, "maximize": False}),
    ("adamw", {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-2,
               "amsgrad": False, "maximize": False}),
])
def test_stdlib_optimizers_use_torchs_names_and_defaults(name, torch_defaults):
    assert optc.optimizer(name).defaults == torch_defaults


def test_state_replaced_through_any_dict_or_list_method_is_used():
    """The prepared native call holds the state arrays' addresses: replacing an array through
    update/setdefault/pop or replacing a whole entry must not leave it writing the old one."""
    opt = optc.optimizer("sgd", lr=0.1, momentum=0.9)
    p, g = [np.zeros(4)], [np.ones(4)]
    state = opt.init(p)
    opt.step(p, g, state)
    fresh = np.zeros(4)
    state.tensors[0].update(buf=fresh)
    opt.step(p, g, state)
    assert np.all(fresh != 0), "the step wrote into the array given to update()"
    replacement = {"buf": np.zeros(4), **{k: v for k, v in state.tensors[0].items() if k != "buf"}}
    state.tensors[0] = replacement
    opt.step(p, g, state)
    assert np.all(replacement["buf"] != 0)
    state.tensors = [dict(state.tensors[0], buf=np.zeros(4))]
    opt.step(p, g, state)
    assert np.all(state.tensors[0]["buf"] != 0)


def test_deepcopy_of_state_and_optimizer():
    opt = optc.optimizer("adam", lr=0.1)
    p, g = [np.linspace(-1, 1, 5)], [np.linspace(1, 2, 5)]
    state = opt.init(p)
    opt.step(p, g, state)
    p_copy, state_copy = copy.deepcopy(p), copy.deepcopy(state)
    before = p[0].copy()
    opt.step(p_copy, g, state_copy)  # the copy belongs to the same optimizer
    assert np.array_equal(p[0], before), "stepping the copy must not touch the original"
    opt.step(p, g, state)
    assert np.array_equal(p[0], p_copy[0])
    opt_copy, state_copy2 = copy.deepcopy((opt, state))
    assert state_copy2.owner is opt_copy and opt_copy.hyper == {"lr": 0.1}
    p2 = [p[0].copy()]
    opt_copy.step(p2, g, state_copy2)
    opt.step(p, g, state)
    assert np.array_equal(p[0], p2[0])


def test_pickled_optimizer_and_state_continue_the_trajectory():
    opt = optc.optimizer("adamw", lr=0.05, weight_decay=0.1, dtype="float32")
    p = [np.linspace(-1, 1, 7, dtype=np.float32)]
    g = [np.linspace(1, 2, 7, dtype=np.float32)]
    state = opt.init(p)
    opt.step(p, g, state)
    opt2, state2 = pickle.loads(pickle.dumps((opt, state)))
    p2 = [p[0].copy()]
    for _ in range(3):
        opt.step(p, g, state)
        opt2.step(p2, g, state2)
    assert np.array_equal(p[0], p2[0])
    assert repr(opt2) == repr(opt)


def test_solver_pickles_and_copies():
    solver = optc.solver("cg", dtype="float64")
    A = np.array([[4.0, 1.0], [1.0, 3.0]])
    b = np.array([1.0, 2.0])
    for other in (copy.deepcopy(solver), pickle.loads(pickle.dumps(solver))):
        np.testing.assert_array_equal(other(A=A, b=b).x, solver(A=A, b=b).x)


def test_entries_of_a_replaced_tensors_list_still_invalidate():
    opt = optc.optimizer("sgd", lr=0.1, momentum=0.9)
    p, g = [np.zeros(4)], [np.ones(4)]
    state = opt.init(p)
    opt.step(p, g, state)
    state.tensors = [dict(state.tensors[0])]  # plain dicts in, wrapped on the way
    opt.step(p, g, state)
    fresh = np.zeros(4)
    state.tensors[0]["buf"] = fresh
    opt.step(p, g, state)
    assert np.all(fresh != 0), "the step wrote into the replaced array"
    state.tensors.append({"buf": np.zeros(4)})
    assert type(state.tensors[1]).__name__ == "TensorStates"


def test_a_state_pickled_alone_is_adopted_by_the_same_program_only():
    opt = optc.optimizer("adam", lr=0.1)
    p, g = [np.linspace(-1, 1, 5)], [np.ones(5)]
    state = opt.init(p)
    opt.step(p, g, state)
    restored = pickle.loads(pickle.dumps(state))  # e.g. a checkpoint loaded in a new process
    again = [p[0].copy()]
    optc.optimizer("adam", lr=0.1).step(again, g, restored)  # a fresh optimizer of the same program
    opt.step(p, g, state)
    np.testing.assert_array_equal(again[0], p[0])
    with pytest.raises(optc.OptcError, match="created by another optimizer"):
        optc.optimizer("adamw").step(again, g, restored)


def test_a_pickled_optimizer_keeps_reading_the_file_it_was_built_from(tmp_path, monkeypatch):
    """A relative .opt path is resolved at construction: unpickling in another working
    directory, next to a different file of the same name, still compiles the original."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    step = "optimizer o1(lr = 0.1) {{\n  param p\n  grad g\n  p' = p - {} * lr * g\n}}\n"
    (tmp_path / "a" / "o1.opt").write_text(step.format(1))
    (tmp_path / "b" / "o1.opt").write_text(step.format(1000))
    monkeypatch.chdir(tmp_path / "a")
    blob = pickle.dumps(optc.optimizer("o1.opt", threads=2, fastmath=True, dtype="float32"))
    monkeypatch.chdir(tmp_path / "b")
    opt = pickle.loads(blob)
    p = [np.ones(3, np.float32)]
    opt.step(p, [np.ones(3, np.float32)], opt.init(p))
    np.testing.assert_allclose(p[0], 0.9)
    assert opt.threads == 2 and opt.dtype == "f32"


def test_a_gpu_array_given_to_a_cpu_solver_is_named():
    class DeviceArray:  # what CuPy arrays and CUDA tensors expose
        __cuda_array_interface__ = {"shape": (2, 2), "typestr": "<f8", "data": (0, False), "version": 3}

    with pytest.raises(optc.OptcError, match="input `A` is a GPU array"):
        optc.solve("cg", A=DeviceArray(), b=np.ones(2))
