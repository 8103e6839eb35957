"""Differential tests: the LLVM backend against the NumPy backend, the executable spec."""
