"""PyTorch drop-in: `optc.torch.Optimizer`, a `torch.optim.Optimizer` that runs an optc optimizer.

    import optc.torch
    opt = optc.torch.Optimizer(model.parameters(), "adamw", lr=1e-3, betas=(0.9, 0.95))
    loss.backward(); opt.step(); opt.zero_grad()

It takes torch's argument names (`betas=(b1, b2)` for `beta1`/`beta2`, `etas`, `step_sizes`) as
well as optc's, param groups with their own hyperparameters, closures, LR schedulers, and
`state_dict()`/`load_state_dict()`. CPU float32/float64 parameters are updated in place through
NumPy views of their memory; with `backend="mlir-gpu"`, CUDA parameters through CuPy views
(`__cuda_array_interface__`, no copies). The optimizer's states live in `self.state[p]` as
tensors that share memory with the arrays optc updates, so a checkpoint holds exactly what the
next step reads. This module imports torch; `import optc` does not import it.
"""

from __future__ import annotations

import numpy as np
import torch

from optc.api import OptimizerState
from optc.api import optimizer as _compile_optimizer
from optc.errors import OptcError, did_you_mean

# torch's tuple-valued arguments, spelled as optc's scalar hyperparameters
TUPLES = {
    "betas": ("beta1", "beta2"),
    "etas": ("etaminus", "etaplus"),
    "step_sizes": ("step_size_min", "step_size_max"),
    "eps": ("eps1", "eps2"),  # Adafactor; a None part means optc's default
}
# torch implementation switches: optc always runs one fused step per dtype group
IGNORED = ("foreach", "fused")
UNSUPPORTED = ("capturable", "differentiable")
DTYPES = (torch.float32, torch.float64)
# gradients averaging fewer elements per tensor are copied into buffers that persist across steps
COPY_BELOW = 1 << 16


class Optimizer(torch.optim.Optimizer):
    """A `torch.optim.Optimizer` whose update rule is an optc optimizer.

    `source` is a stdlib name (`"adam"`, `"rmsprop"`, `"lamb"`, …) or a path to a `.opt` file;
    `name` picks the optimizer in a file that declares several; `backend` is an optc backend
    (`"numpy"`, `"llvm"`, `"mlir"` for CPU tensors, `"mlir-gpu"` for CUDA tensors; None: optc's
    default). Hyperparameters take torch's names and tuples
    or optc's names; param groups may override any of them.
    """

    def __init__(self, params, source, name: str | None = None, backend: str | None = None, **hyper):
        if backend == "mlir-gpu":  # a CPU tensor is the user's error: say so before looking for a GPU
            params = list(params)
            for i, p in enumerate(_tensors_of(params)):
                _check_param(p, f"parameter {i}", "mlir-gpu")
        self.optc = _compile_optimizer(source, name=name, backend=backend)
        self.source = source
        self._name = name
        self._backend_name = backend
        self._tuples = {k: v for k, v in TUPLES.items() if all(n in self.optc.defaults for n in v)}
        defaults = self._torch_spelling(self.optc.defaults)
        self._batches: dict[int, list] = {}  # group index -> the batches stepped last time
        self._layouts: dict[tuple, dict] = {}  # (dtype, shape) -> {state name: shape}
        for key in UNSUPPORTED + IGNORED:
            if key not in self.optc.defaults and hyper.pop(key, None) and key in UNSUPPORTED:
                raise OptcError(f"`{key}=True` is not supported by optc.torch.Optimizer")
        for key in hyper:
            if key not in defaults and key not in self.optc.defaults:
                known = list(defaults)
                raise OptcError(f"optimizer `{self.optc.name}` has no hyperparameter `{key}`{did_you_mean(key, known)}",
                                notes=(f"its hyperparameters are: {', '.join(known)}",))
        defaults.update(self._normalize(hyper, defaults))
        super().__init__(params, defaults)

    # ---- hyperparameters ----

    def _torch_spelling(self, values: dict) -> dict:
        """optc hyperparameters with `beta1`, `beta2` folded into torch's `betas` (and so on)."""
        out = {}
        for k, v in values.items():
            tup = next((t for t, parts in self._tuples.items() if k in parts), None)
            if tup is None:
                out[k] = v
            elif tup not in out:
                out[tup] = tuple(values[n] for n in self._tuples[tup])
        return out

    def _normalize(self, values: dict, base: dict) -> dict:
        """Overrides in torch's spelling: optc's `beta1=…` becomes `betas=(…, base's beta2)`."""
        out = {}
        for k, v in values.items():
            if k in self._tuples:
                if not isinstance(v, (tuple, list)) or len(v) != len(self._tuples[k]):
                    raise OptcError(f"`{k}` must be a tuple of {len(self._tuples[k])} values ({', '.join(self._tuples[k])}), not {v!r}")
                out[k] = tuple(self.optc.defaults[n] if x is None else x for n, x in zip(self._tuples[k], v))
        for k, v in values.items():
            tup = next((t for t, parts in self._tuples.items() if k in parts), None)
            if tup is not None:
                if tup in values:
                    raise OptcError(f"give either `{tup}` or `{k}`, not both")
                current = list(out.get(tup, base[tup]))
                current[self._tuples[tup].index(k)] = v
                out[tup] = tuple(current)
            elif k not in self._tuples:
                out[k] = v
        return out

    def _group_hyper(self, group: dict) -> dict:
        """The optc hyperparameters of a param group, as Python scalars."""
        hyper = {}
        for k, v in group.items():
            if k in self._tuples:
                for part, x in zip(self._tuples[k], v):
                    if x is not None:  # torch's None: optc's default
                        hyper[part] = _scalar(x)
            elif k in self.optc.defaults:
                hyper[k] = _scalar(v)
        return hyper

    def add_param_group(self, param_group: dict) -> None:
        """Add a group (torch's or optc's hyperparameter names); its params are checked here."""
        group = dict(param_group)
        params = group["params"]
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        index = len(self.param_groups)
        for i, p in enumerate(params):
            _check_param(p, f"parameter {i} of param group {index}", self.optc.backend.name)
        group["params"] = params
        hyper = {k: v for k, v in group.items() if k != "params"}
        for key in UNSUPPORTED:
            if hyper.get(key) and key not in self.optc.defaults:
                raise OptcError(f"`{key}=True` is not supported by optc.torch.Optimizer")
        group.update(self._normalize(hyper, self.defaults))
        for k in set(group) & set(self.optc.defaults) - set(self.defaults):
            del group[k]  # spelled the optc way (`beta1`): now inside its tuple
        super().add_param_group(group)

    # ---- the step ----

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for index, group in enumerate(self.param_groups):
            members = [p for p in group["params"] if p.grad is not None]
            if not members:
                continue
            hyper = self._group_hyper(group)
            batches = self._batches.get(index)
            if batches is None or not _same_members(batches, members):
                batches = self._batches[index] = self._make_batches(index, members)
            for batch in batches:
                batch.run(self, hyper)
        return loss

    def _make_batches(self, index: int, members: list) -> list:
        """Members grouped by their step count (params that missed steps are behind)."""
        position = {id(p): i for i, p in enumerate(self.param_groups[index]["params"])}
        by_step: dict[int, list] = {}
        for p in members:
            by_step.setdefault(_step_count(self.state.get(p)), []).append(p)
        return [_Batch(self, ps, [f"parameter {position[id(p)]} of param group {index}" for p in ps], t)
                for t, ps in sorted(by_step.items())]

    def _layout(self, dtype: np.dtype, shape: tuple) -> dict:
        """State name -> (shape, torch dtype) for a param of this dtype and shape, in the
        optimizer's order (from one step on a scratch copy, through the public API)."""
        key = (dtype.str, shape)
        if key not in self._layouts:
            xp = _array_module(self.optc.backend.name)
            scratch = [xp.zeros(shape, dtype)]
            state = self.optc.init(scratch)
            self.optc.step(scratch, [xp.zeros(shape, dtype)], state)
            self._layouts[key] = {k: (tuple(v.shape), torch.from_numpy(np.zeros(0, v.dtype)).dtype,
                                      isinstance(v, np.ndarray)) for k, v in state.tensors[0].items()}
        return self._layouts[key]

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state["optc_source"] = (self.source, self._name, self._backend_name)
        return state

    def __setstate__(self, state: dict) -> None:
        """Also called by `load_state_dict`: the next step rebuilds its views from `self.state`."""
        source = state.pop("optc_source", None)
        super().__setstate__(state)
        if source is not None:  # unpickled or deep-copied: compile again
            self.source, self._name, self._backend_name = source
            self.optc = _compile_optimizer(self.source, name=self._name, backend=self._backend_name)
            self._tuples = {k: v for k, v in TUPLES.items() if all(n in self.optc.defaults for n in v)}
            self._layouts = {}
        self._batches = {}

    def __repr__(self) -> str:
        backend = f", backend={self._backend_name!r}" if self._backend_name else ""
        lines = [f"optc.torch.Optimizer({self.optc.name!r}{backend}) ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)


class _Batch:
    """Params of one group with the same step count, stepped by one `optc` call.

    Holds the NumPy views of the params and grads and the `OptimizerState` whose arrays are the
    memory of the state tensors in `optimizer.state[p]`. Reused while the same params have
    gradients; the grad views are rebuilt when the grad tensors change.
    """

    def __init__(self, opt: Optimizer, params: list, where: list[str], t: int):
        self.params = params
        self.where = where
        self.backend = opt.optc.backend.name
        for p, place in zip(params, where):
            _check_param(p, place, self.backend)
        self.ptrs = [p.data_ptr() for p in params]
        self.views = [_array(p, self.backend) for p in params]
        self.grads: list = []
        self.grad_views: list = []
        self.direct = False  # grad_views are views of the tensors in `grads` (not copies)
        self.buffers: list | None = None  # gradient copies (see `_grad_views`)
        self.buffer_views: list = []
        self.copy_grads = sum(p.numel() for p in params) < COPY_BELOW * len(params)
        self.state: OptimizerState = opt.optc.init(self.views)
        self.step_tensor = torch.tensor(float(t), dtype=torch.float32)
        self.fresh = t == 0
        if not self.fresh:
            self.state.tensors = [self._tensors(opt, p, v, w) for p, v, w in zip(params, self.views, self.where)]
            self.state.t = t
            for p in params:
                opt.state[p]["step"] = self.step_tensor

    @staticmethod
    def _tensors(opt: Optimizer, p, view, where: str) -> dict:
        """NumPy views of p's state tensors, checked against the optimizer's layout.

        torch's `load_state_dict` casts every state to the param's dtype: bool and int states
        (`state has_buf = false`) are cast back here."""
        layout = opt._layout(view.dtype, view.shape)
        state = opt.state[p]
        arrays = {}
        for name, (shape, dtype, on_host) in layout.items():
            if name not in state:
                raise OptcError(f"the state of {where} has no `{name}`; `{opt.optc.name}` keeps: {', '.join(layout)}")
            value = state[name]
            if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
                got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
                raise OptcError(f"the state `{name}` of {where} has shape {got}, expected {shape}")
            device = torch.device("cpu") if on_host else p.device
            if value.dtype != dtype or value.device != device or not value.is_contiguous():
                value = state[name] = value.detach().to(device=device, dtype=dtype).contiguous()
            arrays[name] = _array(value, "numpy" if on_host else opt.optc.backend.name)
        return arrays

    def _grad_views(self) -> list:
        """NumPy views of the gradients, kept identical between steps where possible.

        optc prepares its native call once per list of arrays and reuses it while the same
        arrays come back. Gradients that are the same tensors as last step (`zero_grad(
        set_to_none=False)`) are read directly through views made once. New gradient tensors
        (torch's default `zero_grad()`) are copied into buffers kept across steps when they are
        small, which is cheaper than preparing a new call, and read directly when they are large,
        where a copy would cost more. Non-contiguous gradients are always copied.
        """
        grads = [p.grad for p in self.params]
        same = len(grads) == len(self.grads) and all(a is b for a, b in zip(grads, self.grads))
        if same and self.direct:
            return self.grad_views
        if not same:
            for g, p, where in zip(grads, self.params, self.where):
                if g.layout != torch.strided or g.device != p.device or g.dtype != p.dtype:
                    _check_grad(g, p, where)
            self.grads = grads
        self.direct = (same or not self.copy_grads) and all(g.is_contiguous() for g in grads)
        if self.direct:
            self.grad_views = [_array(g, self.backend) for g in grads]
            return self.grad_views
        if self.buffers is None:
            self.buffers = [torch.empty(p.shape, dtype=p.dtype, device=p.device) for p in self.params]
            self.buffer_views = [_array(b, self.backend) for b in self.buffers]
        _copy(self.buffers, grads)
        self.grad_views = self.buffer_views
        return self.grad_views

    def run(self, opt: Optimizer, hyper: dict) -> None:
        if [p.data_ptr() for p in self.params] != self.ptrs:
            where = next(w for p, ptr, w in zip(self.params, self.ptrs, self.where) if p.data_ptr() != ptr)
            raise OptcError(f"{where} was given new storage after the optimizer was created "
                            "(e.g. by `.to()` or `.data =`); create the optimizer after moving the model")
        opt.optc.step(self.views, self._grad_views(), self.state, **hyper)
        torch.autograd.graph.increment_version(self.params)
        self.step_tensor.fill_(self.state.t)
        if self.fresh:  # the states were created by this first step: expose them to torch
            self.fresh = False
            for p, arrays in zip(self.params, self.state.tensors):
                opt.state[p] = {"step": self.step_tensor, **{k: _tensor(v) for k, v in arrays.items()}}


def _check_grad(g: torch.Tensor, p: torch.Tensor, where: str) -> None:
    if g.is_sparse or g.layout != torch.strided:
        raise OptcError(f"{where} has a sparse gradient; optc.torch.Optimizer supports dense gradients only")
    if g.device != p.device:
        raise OptcError(f"the gradient of {where} is on {g.device}, the parameter on {p.device}")
    if g.dtype != p.dtype:
        raise OptcError(f"the gradient of {where} has dtype {g.dtype}, the parameter {p.dtype}")


def _copy(targets: list, sources: list) -> None:
    foreach = getattr(torch, "_foreach_copy_", None)  # one call for all tensors where torch has it
    if foreach is not None:
        foreach(targets, sources)
    else:
        for target, source in zip(targets, sources):
            target.copy_(source)


def _step_count(state) -> int:
    """The number of steps a param's state has taken (0 without a state)."""
    if not state or "step" not in state:
        return 0
    step = state["step"]
    return int(step.item() if isinstance(step, torch.Tensor) else step)


def _same_members(batches: list, members: list) -> bool:
    if len(batches) != 1:
        return False
    params = batches[0].params
    return len(params) == len(members) and all(a is b for a, b in zip(params, members))


def _check_param(p, where: str, backend: str) -> None:
    """Only dense, contiguous, real float32/float64 tensors on the backend's device (CUDA for
    `mlir-gpu`, else the CPU) can be updated in place."""
    if not isinstance(p, torch.Tensor):
        raise OptcError(f"{where} is a {type(p).__name__}, not a torch.Tensor")
    if backend == "mlir-gpu" and p.device.type != "cuda":
        raise OptcError(f"{where} is on {p.device}; backend `mlir-gpu` updates CUDA tensors in place "
                        "(move the model with .cuda() first, or use backend `llvm` or `mlir` for CPU tensors)")
    if backend != "mlir-gpu" and p.device.type != "cpu":
        hint = " (backend `mlir-gpu` updates CUDA tensors)" if p.device.type == "cuda" else ""
        raise OptcError(f"{where} is on {p.device}; optc.torch.Optimizer updates CPU tensors with "
                        f"backend `{backend}`{hint}")
    if p.is_sparse or p.layout != torch.strided:
        raise OptcError(f"{where} is a sparse tensor; optc.torch.Optimizer updates dense tensors")
    if p.is_complex():
        raise OptcError(f"{where} is complex ({p.dtype}); optc optimizers update real tensors "
                        "(optimize torch.view_as_real views of complex parameters instead)")
    if p.dtype not in DTYPES:
        raise OptcError(f"{where} has dtype {p.dtype}; optc.torch.Optimizer supports float32 and float64 "
                        "(float16 and bfloat16 are not supported yet)")
    if not p.is_contiguous():
        raise OptcError(f"{where} is not contiguous (shape {tuple(p.shape)}, strides {p.stride()}); "
                        "optc updates parameters in place through their memory: make it contiguous "
                        "(e.g. `param.data = param.data.contiguous()`) before creating the optimizer")


def _tensors_of(params: list):
    """The tensors of torch's `params` argument: tensors, or param groups (dicts)."""
    for item in params:
        if isinstance(item, dict):
            group = item.get("params", ())
            yield from [group] if isinstance(group, torch.Tensor) else group
        else:
            yield item


def _array_module(backend: str):
    """NumPy, or CuPy for the GPU backend."""
    if backend != "mlir-gpu":
        return np
    import cupy

    return cupy


def _array(t: torch.Tensor, backend: str):
    """The memory of a tensor as the array optc updates in place: a NumPy view on the CPU, a
    CuPy view of a CUDA tensor (`__cuda_array_interface__`: no copy) for `mlir-gpu`."""
    if backend != "mlir-gpu":
        return t.detach().numpy()
    return _array_module(backend).asarray(t.detach())


def _tensor(a) -> torch.Tensor:
    """A tensor sharing the memory of an optc state array (NumPy, or CuPy through DLPack)."""
    return torch.from_numpy(a) if isinstance(a, np.ndarray) else torch.from_dlpack(a)


def _scalar(v):
    """A hyperparameter as a Python scalar (torch allows 1-element tensors for lr)."""
    if isinstance(v, torch.Tensor):
        if v.numel() != 1:
            raise OptcError(f"a tensor hyperparameter must have one element, not shape {tuple(v.shape)}")
        return v.item()
    return v
