"""Shared by the emulation tests: an optimizer's GPU step, run thread by thread on the CPU
(`backends/mlir/emulate.py`), against the NumPy backend's step over several steps."""

from __future__ import annotations

import numpy as np
from optc.backends import get_backend
from optc.backends.mlir.launch import scalar_updates

from optc.compiler import compile_source


def emulate_vs_numpy(name, emit, shape, hypers, steps, block, max_blocks, seed=0, dtype="f32"):
    """(emulated tensors, NumPy tensors, emulated device) after `steps` steps of optimizer `name`
    from the same random start, with `emit(module) -> GPUStep` making the kernels."""
    from optc.backends.mlir import MLIRExecutable
    from optc.backends.mlir.emulate import EmulatedDevice

    module = compile_source(name, None, None, dtype).module
    step = module.functions[module.attrs["step"]]
    init = module.functions[module.attrs["init"]]
    gpu = emit(module)
    device = EmulatedDevice(gpu, block=block, max_blocks=max_blocks)
    cpu = MLIRExecutable(module) if any(v.type.is_scalar for v in step.results) else None
    reference = get_backend("numpy").compile(module)
    names = step.attrs["hyper_names"]
    assert set(hypers) <= set(names), set(hypers) - set(names)
    values = {**step.attrs["defaults"], **hypers}
    hyper = [
        np.dtype(
            {"f32": np.float32, "f64": np.float64, "bool": np.bool_, "i64": np.int64}[v.type.dtype]
        ).type(values[n])
        for n, v in zip(names, step.params[len(step.params) - 1 - len(names) : -1])
    ]
    rng = np.random.default_rng(seed)
    real = np.float32 if dtype == "f32" else np.float64
    param = rng.standard_normal(shape).astype(real)
    has_grad = bool(step.attrs.get("grad"))
    first_grad = rng.standard_normal(shape).astype(real)
    states = reference.run(
        init.name, [param, *([first_grad] if init.attrs.get("grad") else []), *hyper]
    )
    ours = [param.copy(), *[np.array(s, copy=True) for s in states]]
    theirs = [param.copy(), *[np.array(s, copy=True) for s in states]]
    for t in range(1, steps + 1):
        grad = first_grad if t == 1 else rng.standard_normal(shape).astype(real)
        grads = [grad] if has_grad else []
        args = [ours[0], *grads, *ours[1:], *hyper, np.int64(t)]
        device.step(args)
        if cpu is not None:
            scalars = iter(scalar_updates(gpu, cpu, args))
            ours = [
                x if not v.type.is_scalar else next(scalars) for v, x in zip(step.results, ours)
            ]
        with np.errstate(all="ignore"):
            theirs = reference.run(step.name, [theirs[0], *grads, *theirs[1:], *hyper, np.int64(t)])
    return ours, theirs, device
