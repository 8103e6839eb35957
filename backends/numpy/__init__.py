"""The NumPy backend: the reference interpreter that defines what every op means."""

from __future__ import annotations

from optc.backends.numpy.interpreter import Progress, run_function
from optc.ir.core import Module


class NumpyExecutable:
    """A module ready to run on the NumPy interpreter."""

    def __init__(self, module: Module):
        self.module = module

    def run(self, name: str, args: list, progress: Progress | None = None) -> list:
        """Run function `name` on `args` (already validated and converted)."""
        return run_function(self.module, name, args, progress)


class NumpyBackend:
    """The reference backend."""

    name = "numpy"

    def compile(self, module: Module) -> NumpyExecutable:
        """Nothing to compile: the interpreter reads the IR directly."""
        return NumpyExecutable(module)
