"""GPU arrays through the optimizer API: `optc.optimizer(..., backend="mlir-gpu").step` on CuPy
arrays (and, through `optc.torch`, on CUDA tensors viewed as CuPy arrays).

Where an array lives is checked before anything touches it (`optc.api.check_placement`, which
needs no GPU and is tested on the CPU): a host array given to the GPU backend, or a GPU array
given to a CPU backend, is an OptcError naming the array, never a crash or a silent copy.

On the GPU, each tensor's step is `GPUExecutable.step` on its CuPy arrays, updated in place with
no copies to the host. The states are created on the first step by the init function on the CPU
(one copy of each parameter to the host, once) and moved to the device; scalar states (SGD's
`has_buf`) stay on the host, where the launcher updates them.
"""

from __future__ import annotations

import numpy as np

from optc.api import check_placement
from optc.errors import OptcError


def gpu_step(opt, params: list, grads: list, state, hyper: dict) -> None:
    """`Optimizer.step` for backend `mlir-gpu`: every tensor's kernels, in place on the device."""
    opt._check_step(params, grads, state)
    if state.t == 0:
        _create_state(opt, params, grads, state, hyper)
    state.t += 1
    t = np.int64(state.t)
    for i, (p, g, dtype, tensor) in enumerate(zip(params, grads, state.dtypes, state.tensors)):
        executable = opt.executable(dtype)
        step = opt._step_fn(dtype)
        hyper_args = opt._hyper_args(dtype, hyper)
        _check_states(opt, i, p, tensor, step, executable.cupy)
        args = [p, *([g] if step.attrs.get("grad") else []), *tensor.values(), *hyper_args, t]
        scalars = iter(executable.step(args))
        first = 2 if step.attrs.get("grad") else 1
        for name, v in zip(step.attrs["states"], step.params[first:]):
            if v.type.is_scalar:
                tensor[name][...] = next(scalars)


def _create_state(opt, params, grads, state, hyper: dict) -> None:
    """The states of each tensor: the init function on host copies, moved to the device."""
    from optc.api import TensorStates

    for p, g, dtype in zip(params, grads, state.dtypes):
        cupy = opt.executable(dtype).cupy
        init = opt.compiled(dtype).function("init")
        host = [cupy.asnumpy(p)] + ([cupy.asnumpy(g)] if init.attrs.get("grad") else [])
        values = opt.executable(dtype).run(init.name, host + opt._hyper_args(dtype, hyper))
        arrays = {
            k: np.array(v, copy=True)
            if np.ndim(v) == 0
            else cupy.ascontiguousarray(cupy.asarray(v))
            for k, v in zip(init.attrs["states"], values)
        }
        state.tensors.append(TensorStates(state, arrays))


def _check_states(opt, i: int, p, tensor: dict, step, cupy) -> None:
    """State arrays (which users may replace) keep their names, dtypes, shapes and memory."""
    names = step.attrs["states"]
    if list(tensor) != names:
        raise OptcError(
            f"the state of params[{i}] has {', '.join(tensor) or 'nothing'}; "
            f"`{opt.name}` keeps {', '.join(names)}"
        )
    first = 2 if step.attrs.get("grad") else 1
    for name, v in zip(names, step.params[first:]):
        arr = tensor[name]
        if v.type.is_scalar:
            if not isinstance(arr, np.ndarray) or arr.ndim != 0:
                raise OptcError(f"state `{name}` of params[{i}] must be a 0-d NumPy array (host)")
            continue
        check_placement(f"state `{name}` of params[{i}]", arr, "mlir-gpu")
        shape = p.shape if v.type.shape is None else arr.shape
        if arr.shape != shape or arr.dtype != p.dtype:
            raise OptcError(
                f"state `{name}` of params[{i}] is {arr.dtype} {arr.shape}; it must be {p.dtype} {shape}"
            )
