"""`optc.torch.Optimizer` as a torch.optim.Optimizer: checkpoints, param groups, schedulers,
closures, zero_grad, frozen parameters, dtypes, and the errors for what it cannot update."""

from __future__ import annotations

import copy
import io
import subprocess
import sys

import pytest
import torch

import optc
import optc.torch
from tests.torch.digits import Digits
from tests.torch.references import torch_default_dtype


def train(problem, net, optimizer, steps: range) -> list[float]:
    return [problem.train_step(net, optimizer, k) for k in steps]


def same_params(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))


def max_diff(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max((x - y).abs().max().item() for x, y in zip(a.parameters(), b.parameters()))


# ---- checkpoints ----

RESUME = [("adamw", "llvm", {"lr": 1e-2, "betas": (0.8, 0.99)}),  # the fused multi-tensor kernel
          ("sgd", "llvm", {"lr": 0.05, "momentum": 0.9}),            # a bool state (has_buf)
          ("nadam", "numpy", {"lr": 1e-2}),                          # a scalar state per tensor
          ("nadam", "llvm", {"lr": 1e-2, "decoupled_weight_decay": True, "weight_decay": 0.1}),
          ("asgd", "llvm", {"lr": 0.05, "t0": 20}),                  # scalar states eta, mu
          ("rprop", "numpy", {"lr": 1e-3}),
          ("lamb", "llvm", {"lr": 1e-2, "weight_decay": 0.05})]      # norms: the per-tensor native path


@pytest.mark.parametrize("name, backend, hyper", RESUME, ids=[f"{n}-{b}" for n, b, _ in RESUME])
def test_resuming_from_a_checkpoint_continues_the_same_trajectory(name, backend, hyper):
    """50 steps, save, a fresh model and optimizer load it, 50 more: bitwise the same as 100."""
    problem = Digits("float64")
    whole = problem.model()
    optimizer = optc.torch.Optimizer(whole.parameters(), name, backend=backend, **hyper)
    train(problem, whole, optimizer, range(100))

    first = problem.model()
    optimizer = optc.torch.Optimizer(first.parameters(), name, backend=backend, **hyper)
    train(problem, first, optimizer, range(50))
    buffer = io.BytesIO()
    torch.save({"model": first.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer)  # weights_only: the checkpoint holds only tensors and numbers

    resumed = problem.model()
    # other hyperparameters on purpose: the checkpoint's param groups replace them
    optimizer = optc.torch.Optimizer(resumed.parameters(), name, backend=backend, lr=0.5)
    resumed.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    assert optimizer.param_groups[0]["lr"] == hyper["lr"]
    train(problem, resumed, optimizer, range(50, 100))
    assert same_params(resumed, whole)
    state = optimizer.state_dict()["state"]
    assert set(state) == {0, 1, 2, 3} and all(s["step"].item() == 100 for s in state.values())


def test_continues_a_torch_optim_checkpoint():
    """The torch-compatible optimizers keep torch's state names: a torch.optim checkpoint loads
    and the run goes on as torch's would."""
    problem = Digits("float64")
    with torch_default_dtype("float64"):
        for name, torch_class, hyper in [("adagrad", torch.optim.Adagrad, {"lr": 0.05, "lr_decay": 1e-3}),
                                         ("nadam", torch.optim.NAdam, {"lr": 1e-2, "betas": (0.8, 0.99)})]:
            theirs = problem.model()
            reference = torch_class(theirs.parameters(), foreach=False, **hyper)
            train(problem, theirs, reference, range(30))
            ours = problem.model()
            ours.load_state_dict(theirs.state_dict())
            optimizer = optc.torch.Optimizer(ours.parameters(), name)
            optimizer.load_state_dict(copy.deepcopy(reference.state_dict()))  # as if read from a file
            train(problem, theirs, reference, range(30, 60))
            train(problem, ours, optimizer, range(30, 60))
            assert max_diff(ours, theirs) < 1e-13, name


def test_a_checkpoint_of_another_model_is_refused():
    problem = Digits("float64")
    net = problem.model()
    optimizer = optc.torch.Optimizer(net.parameters(), "adam")
    train(problem, net, optimizer, range(2))
    saved = optimizer.state_dict()
    saved["state"][0]["m"] = saved["state"][0]["m"][:, :5]
    other = problem.model()
    fresh = optc.torch.Optimizer(other.parameters(), "adam")
    fresh.load_state_dict(saved)
    with pytest.raises(optc.OptcError, match=r"state `m` of parameter 0 of param group 0 has shape \(32, 5\), expected \(32, 61\)"):
        train(problem, other, fresh, range(2, 3))


# ---- torch.optim behaviour ----

def test_param_groups_with_their_own_hyperparameters():
    problem = Digits("float64")
    theirs, ours = problem.model(), problem.model()

    def groups(net, betas_key):
        first, _, second = net
        return [{"params": first.parameters(), "lr": 3e-3, "weight_decay": 0.1},
                {"params": second.parameters(), **betas_key}]

    reference = torch.optim.AdamW(groups(theirs, {"betas": (0.8, 0.95)}), lr=1e-2, betas=(0.9, 0.95), foreach=False)
    # a group may spell a tuple part the optc way (beta1): it lands in torch's `betas`
    optimizer = optc.torch.Optimizer(groups(ours, {"beta1": 0.8}), "adamw", backend="llvm", lr=1e-2, beta2=0.95)
    assert optimizer.param_groups[1]["betas"] == (0.8, 0.95)
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.95) and optimizer.param_groups[0]["lr"] == 3e-3
    for k in range(100):
        problem.train_step(theirs, reference, k)
        problem.train_step(ours, optimizer, k)
    assert max_diff(ours, theirs) < 1e-14


def test_add_param_group_later():
    first, second = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    optimizer = optc.torch.Optimizer([first], "sgd", lr=0.1)
    optimizer.add_param_group({"params": second, "lr": 0.5, "momentum": 0.9})
    assert optimizer.param_groups[1]["momentum"] == 0.9 and optimizer.param_groups[1]["dampening"] == 0.0
    for _ in range(2):
        first.grad, second.grad = torch.ones(3), torch.ones(2, dtype=torch.float64)
        optimizer.step()
    assert torch.equal(first, torch.ones(3) - 0.1 - 0.1)
    assert torch.allclose(second, torch.full((2,), 1 - 0.5 - 0.5 * 1.9, dtype=torch.float64), rtol=0, atol=1e-15)


def test_lr_schedulers_drive_it_like_a_torch_optimizer():
    """OneCycleLR cycles lr and, through torch's `betas` in each group, beta1."""
    problem = Digits("float64")
    theirs, ours = problem.model(), problem.model()
    reference = torch.optim.Adam(theirs.parameters(), lr=1e-2, foreach=False)
    optimizer = optc.torch.Optimizer(ours.parameters(), "adam", backend="llvm", lr=1e-2)
    schedulers = [torch.optim.lr_scheduler.OneCycleLR(o, max_lr=5e-2, total_steps=100) for o in (reference, optimizer)]
    for k in range(100):
        for net, opt, scheduler in zip((theirs, ours), (reference, optimizer), schedulers):
            problem.train_step(net, opt, k)
            scheduler.step()
    assert optimizer.param_groups[0]["betas"] == reference.param_groups[0]["betas"] != (0.9, 0.999)
    assert max_diff(ours, theirs) < 1e-14


def test_closure_and_step_hooks():
    problem = Digits("float64")
    theirs, ours = problem.model(), problem.model()
    reference = torch.optim.RMSprop(theirs.parameters(), lr=1e-3, foreach=False)
    optimizer = optc.torch.Optimizer(ours.parameters(), "rmsprop", lr=1e-3)
    calls = []
    optimizer.register_step_post_hook(lambda opt, args, kwargs: calls.append(opt))
    for k in range(20):
        losses = []
        for net, opt in ((theirs, reference), (ours, optimizer)):
            def closure(net=net, opt=opt, k=k):
                opt.zero_grad()
                X, y = problem.batch(k)
                loss = torch.nn.functional.cross_entropy(net(X), y)
                loss.backward()
                return loss
            losses.append(opt.step(closure).item())
        assert abs(losses[0] - losses[1]) < 1e-13
    assert len(calls) == 20 and calls[0] is optimizer
    assert max_diff(ours, theirs) < 1e-14


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    """zero_grad(set_to_none=False) keeps the same grad tensors, updated in place by backward."""
    problem = Digits("float32")
    theirs, ours = problem.model(), problem.model()
    reference = torch.optim.Adam(theirs.parameters(), lr=1e-2, foreach=False)
    optimizer = optc.torch.Optimizer(ours.parameters(), "adam", backend="llvm", lr=1e-2)
    for k in range(30):
        for net, opt in ((theirs, reference), (ours, optimizer)):
            opt.zero_grad(set_to_none=set_to_none)
            X, y = problem.batch(k)
            torch.nn.functional.cross_entropy(net(X), y).backward()
            opt.step()
    optimizer.zero_grad(set_to_none=set_to_none)
    grads = [p.grad for p in ours.parameters()]
    assert all(g is None for g in grads) if set_to_none else all(torch.count_nonzero(g) == 0 for g in grads)
    assert max_diff(ours, theirs) < 1e-5


def test_params_without_grad_are_skipped():
    """A frozen layer keeps its values and gets no state; a layer unfrozen later starts its own
    step count (its bias corrections start at t = 1), as in torch."""
    problem = Digits("float64")
    theirs, ours = problem.model(), problem.model()
    reference = torch.optim.Adam(theirs.parameters(), lr=1e-2, foreach=False)
    optimizer = optc.torch.Optimizer(ours.parameters(), "adam", backend="llvm", lr=1e-2)
    frozen = [p.detach().clone() for p in ours[0].parameters()]
    for k in range(40):
        for net, opt in ((theirs, reference), (ours, optimizer)):
            net[0].requires_grad_(k >= 20)
            problem.train_step(net, opt, k)
        if k == 19:
            assert all(torch.equal(a, b) for a, b in zip(ours[0].parameters(), frozen))
            assert all(p not in optimizer.state for p in ours[0].parameters())
    steps = [optimizer.state[p]["step"].item() for p in ours.parameters()]
    assert steps == [20, 20, 40, 40]
    assert max_diff(ours, theirs) < 1e-14


def test_mixed_dtypes_and_a_large_tensor():
    """A float32 and a float64 tensor in one group, and a tensor whose grads are used in place."""
    torch.manual_seed(0)
    values = [torch.randn(400, 400), torch.randn(7, dtype=torch.float64)]  # big: grads used in place
    theirs = [torch.nn.Parameter(v.clone()) for v in values]
    ours = [torch.nn.Parameter(v.clone()) for v in values]
    reference = torch.optim.SGD(theirs, lr=0.1, momentum=0.9, foreach=False)
    optimizer = optc.torch.Optimizer(ours, "sgd", backend="llvm", lr=0.1, momentum=0.9)
    for _ in range(10):
        for params, opt in ((theirs, reference), (ours, optimizer)):
            opt.zero_grad()
            sum((p ** 2).sum() * (i + 1) for i, p in enumerate(params)).backward()
            opt.step()
    errors = [((a - b).abs().max() / v.abs().max()).item() for a, b, v in zip(ours, theirs, values)]
    assert errors[0] < 1e-6 and errors[1] < 1e-15
    assert [p.dtype for p in ours] == [torch.float32, torch.float64]


def test_updates_in_place_and_tells_autograd():
    net = Digits("float64").model()
    weight = net[0].weight
    address = weight.data_ptr()
    optimizer = optc.torch.Optimizer(net.parameters(), "sgd", lr=0.1)
    X = torch.randn(4, 61, dtype=torch.float64)
    loss = (net(X) ** 2).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    assert weight.data_ptr() == address
    # the graph saved the old weights; backward through it now fails as with torch's optimizers
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("size, transposed", [(4, False), (4, True), (70000, False)])
def test_gradients_updated_in_place(size, transposed):
    """The same gradient tensors across steps, their values changed in place (as backward does
    after zero_grad(set_to_none=False)): small ones (copied on the first step, read in place
    after), a transposed view (always copied), large ones (always read in place)."""
    p, q = torch.nn.Parameter(torch.ones(3, size)), torch.nn.Parameter(torch.ones(size))
    p.grad = torch.zeros(size, 3).t() if transposed else torch.zeros(3, size)
    q.grad = torch.zeros(size)
    assert p.grad.is_contiguous() != transposed
    optimizer = optc.torch.Optimizer([p, q], "sgd", lr=0.5)
    for k in range(1, 4):
        p.grad.fill_(k)
        q.grad.fill_(-k)
        optimizer.step()
    assert torch.equal(p, torch.full((3, size), 1 - 0.5 * 6)) and torch.equal(q, torch.full((size,), 1 + 0.5 * 6))


def test_deepcopy_continues_identically():
    problem = Digits("float64")
    net = problem.model()
    optimizer = optc.torch.Optimizer(net.parameters(), "nadam", backend="llvm", lr=1e-2)
    train(problem, net, optimizer, range(10))
    net_copy, optimizer_copy = copy.deepcopy((net, optimizer))
    assert repr(optimizer_copy) == repr(optimizer)
    train(problem, net, optimizer, range(10, 20))
    train(problem, net_copy, optimizer_copy, range(10, 20))
    assert same_params(net, net_copy)


def test_repr_shows_the_optimizer_and_its_hyperparameters():
    net = Digits("float32").model()
    optimizer = optc.torch.Optimizer(net.parameters(), "adamw", backend="llvm", lr=3e-4, betas=(0.9, 0.95))
    text = repr(optimizer)
    assert text.startswith("optc.torch.Optimizer('adamw', backend='llvm') (\nParameter Group 0\n")
    for line in ["    betas: (0.9, 0.95)", "    lr: 0.0003", "    weight_decay: 0.01", "    amsgrad: False"]:
        assert line in text.splitlines()
    assert isinstance(optimizer, torch.optim.Optimizer)


def test_optc_does_not_import_torch():
    code = "import sys, optc; assert 'torch' not in sys.modules; import optc.torch; assert 'torch' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- errors ----

def make(params, name="adam", **hyper):
    return optc.torch.Optimizer(params, name, **hyper)


@pytest.mark.parametrize("tensor, message", [
    (torch.zeros(3, dtype=torch.float16), r"parameter 0 of param group 0 has dtype torch.float16; .*float32 and float64 \(float16 and bfloat16 are not supported yet\)"),
    (torch.zeros(3, dtype=torch.bfloat16), r"has dtype torch.bfloat16"),
    (torch.zeros(3, dtype=torch.complex64), r"parameter 0 of param group 0 is complex \(torch.complex64\)"),
    (torch.zeros(3, 4).t(), r"parameter 0 of param group 0 is not contiguous \(shape \(4, 3\), strides \(1, 4\)\)"),
    (torch.zeros(3, device="meta"), r"parameter 0 of param group 0 is on meta; optc.torch.Optimizer updates CPU tensors"),
    (torch.zeros(3).to_sparse(), r"is a sparse tensor"),
])
def test_parameters_it_cannot_update(tensor, message):
    with pytest.raises(optc.OptcError, match=message):
        make([tensor])


def test_sparse_gradients_are_refused():
    embedding = torch.nn.Embedding(10, 3, sparse=True).double()
    optimizer = make(embedding.parameters(), "sgd", lr=0.1)
    embedding(torch.tensor([1, 2])).sum().backward()
    assert embedding.weight.grad.is_sparse
    with pytest.raises(optc.OptcError, match="parameter 0 of param group 0 has a sparse gradient; .*dense gradients only"):
        optimizer.step()


def test_storage_replaced_after_creation_is_refused():
    p = torch.nn.Parameter(torch.zeros(3))
    optimizer = make([p], "sgd", lr=0.1)
    p.grad = torch.ones(3)
    optimizer.step()
    p.data = torch.zeros(3)
    with pytest.raises(optc.OptcError, match="was given new storage after the optimizer was created"):
        optimizer.step()


@pytest.mark.parametrize("hyper, message", [
    ({"betas": (0.9,)}, r"`betas` must be a tuple of 2 values \(beta1, beta2\)"),
    ({"betas": (0.9, 0.99), "beta1": 0.8}, r"give either `betas` or `beta1`, not both"),
    ({"momentum": 0.9}, r"optimizer `adam` has no hyperparameter `momentum`"),
    ({"weight_decy": 0.1}, r"no hyperparameter `weight_decy` \(did you mean `weight_decay`\?\)"),
    ({"capturable": True}, r"`capturable=True` is not supported"),
    ({"differentiable": True}, r"`differentiable=True` is not supported"),
])
def test_bad_hyperparameters(hyper, message):
    with pytest.raises(optc.OptcError, match=message):
        make([torch.nn.Parameter(torch.zeros(2))], **hyper)


def test_torch_switches_are_accepted():
    """foreach/fused choose torch kernels; optc always runs one fused call per dtype group."""
    optimizer = make([torch.nn.Parameter(torch.zeros(2))], foreach=True, fused=False, capturable=False)
    assert "foreach" not in optimizer.defaults
