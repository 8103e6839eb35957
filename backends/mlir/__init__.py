"""The MLIR backends: optimized IR as MLIR, run on the CPU or compiled to PTX for NVIDIA GPUs.

    optimized IR --emit.py--> MLIR text (func, arith, math, scf, memref)
        --lower.py--> LLVM dialect --runtime.py--> ExecutionEngine        backend="mlir"
    optimizer step --kernels.py / matrix_kernels.py--> gpu.module + host schedule (launch.py)
        --lower.py--> PTX, launched by cuda.py (CuPy)                      backend="mlir-gpu"
        --emulate.py--> the same kernels run thread by thread on the CPU   (tests)

Emitting text needs nothing beyond optc; lowering, running and PTX need the MLIR Python
bindings (the `mlir` extra), imported only when used. Functions for the CLI: `emit_mlir`
(`--emit mlir`), `mlir_llvm` (`--emit mlir-llvm`) and `ptx` (`--emit ptx`).
"""

from __future__ import annotations

from optc.backends.mlir.emit import UnsupportedOp, emit_mlir, emit_module
from optc.backends.mlir.lower import available, bindings
from optc.ir.core import Module

from optc.errors import InternalError

__all__ = [
    "MLIRBackend",
    "MLIRGPUBackend",
    "UnsupportedOp",
    "available",
    "emit_mlir",
    "mlir_llvm",
    "ptx",
]


def mlir_llvm(module: Module) -> str:
    """The module lowered to MLIR's LLVM dialect, as the CPU backend compiles it."""
    from optc.backends.mlir.lower import to_llvm_dialect

    return to_llvm_dialect(emit_mlir(module))


def ptx(module: Module, chip: str = "sm_90") -> str:
    """PTX for the kernels of an optimizer's step, for `chip` (`sm_80`, `sm_90`, ...).

    Produced on the CPU: no GPU or CUDA toolkit is needed."""
    from optc.backends.mlir.kernels import emit_gpu_module
    from optc.backends.mlir.lower import to_ptx

    return to_ptx(emit_gpu_module(module).text, chip)


class MLIRExecutable:
    """A module compiled through MLIR for the CPU; `run(name, args, progress)` like the NumPy
    backend's executable."""

    def __init__(self, module: Module):
        from optc.backends.mlir.runtime import InPlaceStep, NativeFunction, compile_cpu

        self.module = module
        emitted = emit_module(module)
        compiled = compile_cpu(emitted)
        self.functions = {
            name: NativeFunction(module.functions[name], abi, compiled, emitted.sites)
            for name, abi in emitted.functions.items()
        }
        self.multi_tensor = None  # what the API uses for optimizer steps when it exists
        if emitted.inplace is not None:
            step = module.attrs["step"]
            self.multi_tensor = InPlaceStep(
                module.functions[step], emitted.inplace, compiled, self.functions[step]
            )

    def run(self, name: str, args: list, progress=None) -> list:
        """Run function `name` on validated arguments."""
        if name not in self.functions:
            raise InternalError(f"the module has no function {name}")
        return self.functions[name](args, progress)


class MLIRBackend:
    """`backend="mlir"`: MLIR's ExecutionEngine on the host CPU."""

    name = "mlir"

    def __init__(self) -> None:
        bindings()  # a clear "install optc[mlir]" error now rather than at the first compile

    def compile(self, module: Module) -> MLIRExecutable:
        return MLIRExecutable(module)


class MLIRGPUBackend:
    """`backend="mlir-gpu"`: needs the bindings and an NVIDIA GPU driven through CuPy."""

    name = "mlir-gpu"

    def __init__(self) -> None:
        bindings()
        from optc.backends.mlir.cuda import require_cuda

        require_cuda()

    def compile(self, module: Module):
        from optc.backends.mlir.cuda import GPUExecutable

        return GPUExecutable(module)
