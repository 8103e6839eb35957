"""The LLVM JIT: llvmlite set up once, LLVM IR text optimized for the host CPU and loaded.

llvmlite >= 0.45 (LLVM 20+): only the native target and asm printer are initialized; the new
pass manager runs the O3 pipeline with the loop and SLP vectorizers on, for the host CPU and
its features (AVX-512 where present). `compile_ir` returns an engine that keeps the code alive
and the addresses of the requested functions; `object_code` gives the machine code for the disk
cache and `load_object` loads it back without optimizing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import llvmlite.binding as llvm


@lru_cache(maxsize=1)
def _initialize() -> None:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()


@lru_cache(maxsize=1)
def target_machine():
    """The host's target machine for optimizing and emitting code (never given to an engine)."""
    return new_target_machine()


def new_target_machine():
    """A fresh target machine for the host CPU. An execution engine takes ownership of the
    target machine it is given (and destroys it with itself), so each engine gets its own."""
    _initialize()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=3,
        reloc="pic",
        codemodel="jitdefault",
    )


def target_key() -> str:
    """What the compiled code depends on besides the IR: triple, CPU and features, llvmlite version."""
    import llvmlite

    tm = target_machine()
    features = llvm.get_host_cpu_features().flatten()
    return f"{tm.triple}|{llvm.get_host_cpu_name()}|{features}|{llvmlite.__version__}"


def optimize(mod) -> None:
    """Run LLVM's O2 pipeline with loop and SLP vectorization on a parsed module (O3 compiles
    three times slower for the same vectorized loops, unrolled and unswitched further)."""
    pto = llvm.create_pipeline_tuning_options(speed_level=2)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = True
    pb = llvm.create_pass_builder(target_machine(), pto)
    pm = pb.getModulePassManager()
    pm.run(mod, pb)


@dataclass
class Loaded:
    """A JIT-compiled module: keep this object alive while its functions are called."""

    engine: object
    addresses: dict[str, int]
    object_code: bytes | None = None


def compile_ir(text: str, names: list[str]) -> Loaded:
    """Parse, verify, optimize and JIT LLVM IR text; returns the addresses of `names`."""
    tm = target_machine()
    mod = llvm.parse_assembly(text)
    mod.verify()
    optimize(mod)
    obj = tm.emit_object(mod)
    return load_object(obj, names)


def load_object(obj: bytes, names: list[str]) -> Loaded:
    """Load machine code produced by `compile_ir` (from the disk cache)."""
    from optc.backends.llvm import blas, lapack

    if blas.used_by(obj):
        blas.register()
    if lapack.used_by(obj):
        lapack.register()
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), new_target_machine())
    engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
    engine.finalize_object()
    addresses = {n: engine.get_function_address(n) for n in names}
    missing = [n for n, a in addresses.items() if not a]
    if missing:
        raise RuntimeError(f"compiled object lacks functions {missing}")
    return Loaded(engine, addresses, obj)


def assembly(text: str) -> str:
    """The optimized module's assembly (for `optc compile --emit asm`)."""
    mod = llvm.parse_assembly(text)
    mod.verify()
    optimize(mod)
    return target_machine().emit_assembly(mod)


def object_code(text: str) -> bytes:
    """The optimized module as an object file for the host."""
    mod = llvm.parse_assembly(text)
    mod.verify()
    optimize(mod)
    return target_machine().emit_object(mod)


def optimized_ir(text: str) -> str:
    """The optimized module's LLVM IR text."""
    mod = llvm.parse_assembly(text)
    mod.verify()
    optimize(mod)
    return str(mod)
