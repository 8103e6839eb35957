"""MLIR text to the LLVM dialect (CPU) and to PTX (GPU), with the MLIR pass manager.

This is the back half of the MLIR backend. The bindings (`mlir.ir`, `mlir.passmanager`,
`mlir.execution_engine`, from the `mlir` extra) are imported here, lazily: emitting MLIR text
needs none of them. Text the bindings reject is a bug in the emitter, reported as an internal
error with MLIR's diagnostic.
"""

from __future__ import annotations

from optc.errors import InternalError, OptcError

INSTALL_HINT = "install optc[mlir] (pip install 'optc[mlir]') for the MLIR Python bindings"

# func/arith/math/scf/memref -> LLVM dialect. Views (subview, transpose) are expanded into
# explicit offset and stride arithmetic first; `canonicalize` and `cse` drop the unused dims and
# constants the emitter writes freely.
CPU_PIPELINE = (
    "canonicalize",
    "cse",
    "convert-scf-to-cf",
    "expand-strided-metadata",
    "lower-affine",
    "finalize-memref-to-llvm",
    "convert-math-to-llvm",
    "convert-arith-to-llvm",
    "convert-cf-to-llvm",
    "convert-func-to-llvm",
    "reconcile-unrealized-casts",
)


def gpu_pipeline(chip: str) -> tuple[str, ...]:
    """gpu.module -> NVVM -> PTX text inside a `gpu.binary` (no GPU or CUDA toolkit needed)."""
    return (
        f"nvvm-attach-target{{chip={chip}}}",
        "gpu.module(canonicalize,cse,convert-scf-to-cf,convert-gpu-to-nvvm,canonicalize,cse)",
        "reconcile-unrealized-casts",
        "gpu-module-to-binary{format=isa}",
    )


def bindings():
    """The MLIR Python modules `(ir, passmanager, execution_engine)`, or an OptcError saying
    how to install them."""
    try:
        from mlir import execution_engine, ir, passmanager
    except ImportError as err:
        raise OptcError(
            f"the mlir backends need the MLIR Python bindings: {INSTALL_HINT}",
            notes=(f"importing them failed: {err}",),
        ) from None
    return ir, passmanager, execution_engine


def available() -> bool:
    """Whether the MLIR Python bindings can be imported."""
    try:
        bindings()
    except OptcError:
        return False
    return True


def parse_and_lower(text: str, pipeline: tuple[str, ...]):
    """(context, module): `text` parsed in a fresh context and run through `pipeline`."""
    ir, passmanager, _ = bindings()
    context = ir.Context()
    with context, ir.Location.unknown():
        try:
            module = ir.Module.parse(text)
            passmanager.PassManager.parse(f"builtin.module({','.join(pipeline)})").run(
                module.operation
            )
        except ir.MLIRError as err:
            raise InternalError(f"MLIR rejected the emitted code: {err}") from None
    return context, module


def to_llvm_dialect(text: str) -> str:
    """The LLVM-dialect text of emitted CPU MLIR (`optc compile --emit mlir-llvm`)."""
    context, module = parse_and_lower(text, CPU_PIPELINE)
    with context:
        return str(module)


def to_ptx(text: str, chip: str) -> str:
    """The PTX of the `gpu.module` in `text`, compiled for `chip` (`sm_80`, `sm_90`, ...)."""
    context, module = parse_and_lower(text, gpu_pipeline(chip))
    from mlir.dialects import gpu  # the bindings are importable: parse_and_lower checked

    with context:
        for op in module.body.operations:
            if op.operation.name == "gpu.binary":
                return "".join(
                    gpu.ObjectAttr(obj).object.decode() for obj in op.attributes["objects"]
                )
    raise InternalError("gpu-module-to-binary produced no gpu.binary")
