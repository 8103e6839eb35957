"""The LLVM backend: optimized IR to native code through llvmlite, run in process.

`LLVMBackend.compile(module)` generates one native function per IR function (`codegen.py`),
JIT-compiles them for the host CPU (`jit.py`) and returns an executable whose `run` has the
NumPy backend's interface, so the API layer treats both alike.
"""

from __future__ import annotations

import re

from llvmlite import ir

from optc.backends.llvm.codegen import ErrorSites, FunctionCodegen
from optc.backends.llvm import disk_cache
from optc.backends.llvm.jit import compile_ir, load_object, target_key, target_machine
from optc.backends.llvm.multi_tensor import generate_kernel, is_elementwise_step
from optc.backends.llvm.runtime import MultiTensorStep, NativeFunction
from optc.errors import InternalError
from optc.ir.core import Module
from optc.ir.printer import print_module


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


_FAST = re.compile(r"= (fadd|fsub|fmul|fdiv|frem|fneg) ")


def with_fastmath(text: str) -> str:
    """Every float arithmetic instruction of LLVM IR text marked `fast`."""
    return _FAST.sub(lambda m: f"= {m.group(1)} fast ", text.replace("fadd reassoc ", "fadd "))


def generate(module: Module, fastmath: bool = False) -> tuple[str, ErrorSites, list[str]]:
    """LLVM IR text for an (inlined) module, its error sites and the IR functions compiled.

    An optimizer whose step qualifies gets the multi-tensor kernel instead of a per-tensor
    step function."""
    llmod = ir.Module(name=module.attrs.get("name", "optc"))
    llmod.triple = target_machine().triple
    errors = ErrorSites()
    names = []
    step = multi_tensor_step(module)
    for name, fn in module.functions.items():
        if fn.attrs.get("kind") == "fn" or fn is step:
            continue
        FunctionCodegen(llmod, fn, symbol(name), errors).generate()
        names.append(name)
    if step is not None:
        generate_kernel(llmod, step, MULTI_TENSOR)
    text = str(llmod)
    return (with_fastmath(text) if fastmath else text), errors, names


class LLVMExecutable:
    """A module compiled to native code; `run(name, args, progress)` like the NumPy backend.

    Compiled code is looked up in the disk cache first (keyed by the printed IR and target)."""

    def __init__(self, module: Module, fastmath: bool = False):
        self.module = module
        step = multi_tensor_step(module)
        key = disk_cache.entry_key(print_module(module), f"{target_key()}|fastmath={fastmath}")
        cached = disk_cache.load(key)
        self.from_cache = False
        if cached is not None:
            try:
                header, obj = cached
                names, sites = header["names"], self._sites(header["sites"])
                self.loaded = load_object(obj, [symbol(n) for n in names] + ([MULTI_TENSOR] if step else []))
                self.from_cache = True
            except (KeyError, IndexError, TypeError, ValueError, RuntimeError):
                cached = None
        if cached is None:
            text, errors, names = generate(module, fastmath)
            self.loaded = compile_ir(text, [symbol(n) for n in names] + ([MULTI_TENSOR] if step else []))
            sites = errors.sites
            disk_cache.store(key, {"names": names, "sites": self._site_refs(sites)}, self.loaded.object_code)
        self.functions = {
            n: NativeFunction(module.functions[n], self.loaded.addresses[symbol(n)], sites, self.loaded) for n in names
        }
        self.multi_tensor = None
        if step is not None:
            self.multi_tensor = MultiTensorStep(step, self.loaded.addresses[MULTI_TENSOR], self.loaded)

    def _op_index(self) -> dict:
        return {op: (name, i) for name, fn in self.module.functions.items() for i, op in enumerate(fn.body.walk())}

    def _site_refs(self, sites) -> list:
        index = self._op_index()
        return [[*index[op], message] for op, message in sites]

    def _sites(self, refs) -> list:
        ops = {name: list(fn.body.walk()) for name, fn in self.module.functions.items()}
        return [(ops[name][i], message) for name, i, message in refs]

    def run(self, name: str, args: list, progress=None) -> list:
        """Run function `name` on validated arguments."""
        if name not in self.functions:
            raise InternalError(f"{name} was compiled as a multi-tensor kernel, not as a function")
        return self.functions[name](args, progress)


class LLVMBackend:
    """Native code for the host CPU (`fastmath=True`: float arithmetic may be reordered)."""

    name = "llvm"

    def __init__(self, fastmath: bool = False):
        self.fastmath = fastmath

    def compile(self, module: Module) -> LLVMExecutable:
        return LLVMExecutable(module, self.fastmath)
