"""The LLVM backend: optimized IR to native code through llvmlite, run in process.

`LLVMBackend.compile(module)` generates one native function per IR function (`codegen.py`),
JIT-compiles them for the host CPU (`jit.py`) and returns an executable whose `run` has the
NumPy backend's interface, so the API layer treats both alike.
"""

from __future__ import annotations

from llvmlite import ir

from optc.backends.llvm.codegen import ErrorSites, FunctionCodegen
from optc.backends.llvm.jit import compile_ir, target_machine
from optc.backends.llvm.multi_tensor import generate_kernel, is_elementwise_step
from optc.backends.llvm.runtime import MultiTensorStep, NativeFunction
from optc.ir.core import Module


def symbol(name: str) -> str:
    """The native symbol of an IR function."""
    return "optc_" + "".join(c if c.isalnum() else "_" for c in name)


MULTI_TENSOR = "optc_step_many"


def multi_tensor_step(module: Module):
    """The step function of an optimizer module if it qualifies for the multi-tensor kernel."""
    if module.attrs.get("kind") != "optimizer":
        return None
    step = module.functions[module.attrs["step"]]
    return step if is_elementwise_step(step) else None


def generate(module: Module) -> tuple[str, ErrorSites, list[str]]:
    """LLVM IR text for every function of an (inlined) module, its error sites and symbols."""
    llmod = ir.Module(name=module.attrs.get("name", "optc"))
    llmod.triple = target_machine().triple
    errors = ErrorSites()
    names = []
    for name, fn in module.functions.items():
        if fn.attrs.get("kind") == "fn":
            continue
        FunctionCodegen(llmod, fn, symbol(name), errors).generate()
        names.append(name)
    step = multi_tensor_step(module)
    if step is not None:
        generate_kernel(llmod, step, MULTI_TENSOR)
    return str(llmod), errors, names


class LLVMExecutable:
    """A module compiled to native code; `run(name, args, progress)` like the NumPy backend."""

    def __init__(self, module: Module):
        self.module = module
        text, errors, names = generate(module)
        self.llvm_ir = text
        self.loaded = compile_ir(text, [symbol(n) for n in names])
        self.functions = {
            n: NativeFunction(module.functions[n], self.loaded.addresses[symbol(n)], errors.sites, self.loaded)
            for n in names
        }
        step = multi_tensor_step(module)
        self.multi_tensor = None
        if step is not None:
            address = self.loaded.engine.get_function_address(MULTI_TENSOR)
            self.multi_tensor = MultiTensorStep(step, address, self.loaded)

    def run(self, name: str, args: list, progress=None) -> list:
        """Run function `name` on validated arguments."""
        return self.functions[name](args, progress)


class LLVMBackend:
    """Native code for the host CPU."""

    name = "llvm"

    def compile(self, module: Module) -> LLVMExecutable:
        return LLVMExecutable(module)
