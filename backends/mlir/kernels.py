"""An optimizer's step as fused elementwise kernels: GPU grid-stride kernels (a `gpu.module`)
and, on the CPU, one in-place loop per tensor.

A step qualifies when its tensors are the any-shape parameter, gradient and states, and every
op is elementwise, a constant, `numel`, `random_like` (element i of the stream drawn at element
i, `philox.py`: a kernel that needs it again after a reduction draws it again), or a full
reduction (`reduce_sum/max/min` over all elements, as LAMB's norms). A GPU kernel takes the same arguments in every kernel of a step:

    %n: index                          the number of elements of this tensor
    the step function's parameters     tensors as memref<?xT> (device pointers), scalars by value
    %partials: memref<?xT>             only with reductions: one slot per reduction

and runs `for i = block_id * block_dim + thread_id; i < n; i += grid_dim * block_dim`. Scalar
ops are computed by every thread before its loop (a few flops; bias corrections such as
beta^t included). Without reductions there is one kernel, which reads each element of the
inputs once and writes the updated parameter and states in place; that is safe because element
i of every output depends only on element i of the inputs.

A reduction splits the step into stages: kernel k accumulates, per thread, the reductions whose
inputs it can compute, and combines them into `%partials` with one atomic per thread (the launcher
fills the slots with the reductions' identities first); kernel k + 1 reads them. Only the last
kernel writes; earlier ones recompute what they need from the unchanged inputs. Updates of
scalar states (SGD's `has_buf`) are left to the launcher (see `cuda.py`).

The CPU in-place kernel (`inplace_kernel`, for steps without reductions) is the same loop with
`for i = 0; i < n; i++`, in a `func.func` whose scalar states are rank-0 memrefs, updated in
place too; the CPU backend calls it once per tensor instead of the step function, which would
allocate its results.
"""

from __future__ import annotations

from dataclasses import dataclass

from optc.backends.mlir.emit import ModuleEmitter, UnsupportedOp, operand_dtype, symbol
from optc.backends.mlir.launch import GPUStep, Launch
from optc.backends.mlir.text import FunctionText, buffer_type, literal, memory_type, scalar_type
from optc.ir.core import Function, Module, Op, Value
from optc.ir.ops import OPS

GPU_MODULE = "optc_kernels"
REDUCTIONS = {
    "reduce_sum": ("addf", 0.0),
    "reduce_max": ("maximumf", float("-inf")),
    "reduce_min": ("minimumf", float("inf")),
}


@dataclass(frozen=True)
class Kernel:
    """One kernel of a step: its name and the reductions it accumulates (indices into the
    step's reductions, whose identities the launcher writes to `%partials` first)."""

    name: str
    reductions: tuple[int, ...]


def emit_gpu_module(module: Module, path=None):
    """The `gpu.module` of an optimizer's step (a `GPUStep`) or of a solver (a `SolverSchedule`,
    `solver_kernels.py`), or UnsupportedOp saying why it has none: fused elementwise kernels
    here, or for a step over fixed-rank tensors (Muon, Adafactor) the kernel schedule of
    `matrix_kernels.py`."""
    if module.attrs.get("kind") == "solver":
        from optc.backends.mlir.solver_kernels import emit_solver_module

        return emit_solver_module(module, path)
    step = module.functions[module.attrs["step"]]
    if any(v.type.shape is not None for v in step.params if not v.type.is_scalar):
        from optc.backends.mlir.matrix_kernels import emit_matrix_module

        return emit_matrix_module(module, step, path)
    stage = stages(step)
    reductions = [op for op in step.body.ops if op.opcode in REDUCTIONS]
    n_stages = 1 + max((stage[op.results[0]] for op in reductions), default=0)
    base = symbol(step.name)
    mod = ModuleEmitter(module, "gpu", path)
    kernels, bodies = [], []
    for k in range(n_stages):
        mine = tuple(i for i, op in enumerate(reductions) if stage[op.operands[0]] == k)
        name = f"{base}_{k}" if n_stages > 1 else base
        bodies.append(_KernelEmitter(mod, step, name, "gpu", stage, k, reductions, mine).generate())
        kernels.append(Kernel(name, mine))
    text = gpu_module_text(bodies) + "\n"
    identities = tuple(REDUCTIONS[op.opcode][1] for op in reductions)
    schedule = [
        Launch(k.name, None, tuple(range(len(reductions))) if i == 0 else ())
        for i, k in enumerate(kernels)
    ]
    signature = tuple(("param", i) for i in range(len(step.params)))
    return GPUStep(text, step, tuple(kernels), identities, signature, tuple(schedule))


def gpu_module_text(bodies: list[str]) -> str:
    """The MLIR module holding the kernels `bodies` in the `gpu.module` the launchers load."""
    return "\n".join(
        ["module attributes {gpu.container_module} {", f"  gpu.module @{GPU_MODULE} {{", "\n\n".join(bodies), "  }", "}"]
    )


def inplace_kernel(module: ModuleEmitter, step: Function) -> str | None:
    """The text of the CPU in-place kernel of a step (a `func.func` named `inplace_symbol`), or
    None when the step does not qualify."""
    try:
        stage = stages(step)
    except UnsupportedOp:
        return None
    if any(op.opcode in REDUCTIONS for op in step.body.ops):
        return None
    return _KernelEmitter(module, step, inplace_symbol(step), "cpu", stage, 0, [], ()).generate()


def inplace_symbol(step: Function) -> str:
    """The symbol of a step's CPU in-place kernel."""
    return symbol(step.name) + "_inplace"


def stages(step: Function) -> dict[Value, int]:
    """The kernel in which each value is first available: parameters in kernel 0; a
    reduction's result one kernel after its input; any other op's with its latest operand.
    UnsupportedOp if the step does not qualify for kernels."""
    tensors = [v for v in step.params if not v.type.is_scalar]
    if not tensors or any(v.type.shape is not None for v in tensors):
        raise UnsupportedOp(
            f"`{step.name}` takes tensors of fixed shapes; kernels need any-shape tensors", step.loc
        )
    stage = {v: 0 for v in step.params}
    for op in step.body.ops:
        category = OPS[op.opcode].category if op.opcode in OPS else ""
        if op.regions or not (
            category == "elementwise"
            or op.opcode in ("const", "numel", "random_like")
            or op.opcode in REDUCTIONS
        ):
            raise UnsupportedOp(f"`{op.opcode}` cannot run inside an elementwise kernel", op.loc)
        if op.opcode in REDUCTIONS and not op.results[0].type.is_scalar:
            raise UnsupportedOp("a kernel reduces tensors to scalars only", op.loc)
        level = max((stage[v] for v in op.operands), default=0)
        stage[op.results[0]] = level + 1 if op.opcode in REDUCTIONS else level
    for v in step.results:
        if v.type.is_scalar and stage[v] > 0:
            raise UnsupportedOp(
                f"`{step.name}` updates a scalar state from a reduction, which kernels cannot",
                step.loc,
            )
    return stage


class _KernelEmitter:
    """Emits one kernel (`flavor` 'gpu' or 'cpu'); the elementwise rules call `t`, `target`,
    `module` and `fail_if`."""

    def __init__(
        self,
        module: ModuleEmitter,
        step: Function,
        name: str,
        flavor: str,
        stage: dict,
        k: int,
        reductions: list[Op],
        mine: tuple[int, ...],
    ):
        self.module = module
        self.step = step
        self.name = name
        self.target = flavor
        self.stage = stage
        self.k = k
        self.reductions = reductions
        self.mine = mine
        self.final = k == max((stage[op.results[0]] for op in reductions), default=0)
        self.t = FunctionText(indent=6 if flavor == "gpu" else 4)
        self.env: dict[Value, str] = {}  # IR value -> SSA scalar
        self.buffers: dict[
            Value, str
        ] = {}  # tensor (or, on the CPU, scalar state) parameter -> SSA memref
        self.states = set(step_targets(step)[1:]) if flavor == "cpu" else set()
        self.i: str | None = None  # the element index, inside the loop

    def fail_if(self, cond: str, op: Op, message: str, values: tuple[str, ...] = ()) -> None:
        raise UnsupportedOp(
            f"`{op.opcode}` needs a run-time check ({message}) that a kernel cannot report", op.loc
        )

    def generate(self) -> str:
        step, t = self.step, self.t
        t.loc = self.module.loc(step)
        dtype = next(v.type.dtype for v in step.params if not v.type.is_scalar)
        n = t.fresh("n")
        params = [f"{n}: index"]
        for v in step.params:
            name = t.fresh(v.hint or "arg")
            if not v.type.is_scalar:
                self.buffers[v] = name
                params.append(f"{name}: {buffer_type(v.type.dtype, 1)}")
            elif v in self.states:
                self.buffers[v] = name
                params.append(f"{name}: memref<{memory_type(v.type.dtype)}>")
            else:
                self.env[v] = name
                params.append(f"{name}: {scalar_type(v.type.dtype)}")
        for v in step.params:
            if v in self.states and v.type.is_scalar:
                self.env[v] = self._load(v, None)
        partials = None
        if self.reductions:
            partials = t.fresh("partials")
            params.append(f"{partials}: {buffer_type(dtype, 1)}")
        for r, op in enumerate(self.reductions):  # results of earlier kernels, read by every thread
            if self.stage[op.results[0]] <= self.k:
                self.env[op.results[0]] = t.op(
                    f"memref.load {partials}[{t.index(r)}] : {buffer_type(dtype, 1)}"
                )
        self.n = n
        self._scalars()
        t.loc = self.module.loc(step)
        if self.target == "gpu":
            block, size = t.op("gpu.block_id x"), t.op("gpu.block_dim x")
            thread, grid = t.op("gpu.thread_id x"), t.op("gpu.grid_dim x")
            start = t.op(
                f"arith.addi {t.op(f'arith.muli {block}, {size} : index')}, {thread} : index"
            )
            stride = t.op(f"arith.muli {grid}, {size} : index")
        else:
            start, stride = t.index(0), t.index(1)
        mine = [self.reductions[r] for r in self.mine]
        inits = [
            t.const(literal(REDUCTIONS[op.opcode][1], op.results[0].type.dtype)) for op in mine
        ]
        types = [scalar_type(op.results[0].type.dtype) for op in mine]
        accs = t.for_(start, n, self._element, inits, types, step=stride)
        for r, op, acc, ty in zip(self.mine, mine, accs, types):
            t.loc = self.module.loc(op)
            kind = REDUCTIONS[op.opcode][0]
            t.op(
                f"memref.atomic_rmw {kind} {acc}, {partials}[{t.index(r)}] : ({ty}, {buffer_type(dtype, 1)}) -> {ty}"
            )
        t.loc = self.module.loc(step)
        if self.target == "gpu":
            t.line("gpu.return")
            header = f"    gpu.func @{self.name}({', '.join(params)}) kernel {{"
            return "\n".join([header, *t.lines(), f"    }} {t.loc}".rstrip()])
        for value, target in zip(step.results, step_targets(step)):
            if value.type.is_scalar and value is not target:
                self._store(self.env[value], target, None)
        t.line("return")
        header = (
            f"  func.func @{self.name}({', '.join(params)}) attributes {{llvm.emit_c_interface}} {{"
        )
        return "\n".join([header, *t.lines(), f"  }} {t.loc}".rstrip()])

    def _scalars(self) -> None:
        """Scalar ops available in this kernel (and needed by it), before the loop."""
        needed = self._needed()
        for op in self.step.body.ops:
            r = op.results[0]
            if r in self.env or not r.type.is_scalar or op.opcode in REDUCTIONS or r not in needed:
                continue
            if self.stage[r] > self.k:
                continue
            self._apply(op)

    def _needed(self) -> set[Value]:
        """Values this kernel uses: the inputs of its reductions, or the results (last kernel;
        scalar results only on the CPU, where the kernel updates scalar states too)."""
        roots = [self.reductions[r].operands[0] for r in self.mine]
        if self.final:
            roots += [v for v in self.step.results if not v.type.is_scalar or self.target == "cpu"]
        defs = {op.results[0]: op for op in self.step.body.ops}
        needed: set[Value] = set()
        stack = list(roots)
        while stack:
            v = stack.pop()
            if v in needed:
                continue
            needed.add(v)
            op = defs.get(v)
            if op is not None and op.opcode not in REDUCTIONS:
                stack.extend(op.operands)
        return needed

    def _apply(self, op: Op) -> str:
        from optc.backends.mlir.rules import RULES

        r = op.results[0]
        self.t.loc = self.module.loc(op)
        if op.opcode == "const":
            name = RULES["const"](self, op).name
        elif op.opcode == "numel":
            name = self.t.op(f"arith.index_cast {self.n} : index to i64")
        elif op.opcode == "random_like":  # element i of the stream; a scalar's is element 0
            from optc.backends.mlir.philox import random_element

            index = (
                self.t.const("0", "i64")
                if r.type.is_scalar
                else self.t.op(f"arith.index_cast {self.i} : index to i64")
            )
            dist, dtype = op.attrs["dist"], op.attrs["dtype"]
            seed, counter = (self.env[v] for v in op.operands[1:])
            name = random_element(self, dist, dtype, seed, counter, index)
        else:
            name = RULES[op.opcode](
                self, op, operand_dtype(op), *[self.env[v] for v in op.operands]
            )
        self.env[op.results[0]] = name
        return name

    def _element(self, i: str, accs: list[str]) -> list[str]:
        """One element: load what is needed, compute, then accumulate or store."""
        outer = dict(self.env)
        self.i = i
        needed = self._needed()
        for v in self.step.params:
            if not v.type.is_scalar and v in needed:
                self.env[v] = self._load(v, i)
        for op in self.step.body.ops:
            r = op.results[0]
            if r.type.is_scalar or op.opcode in REDUCTIONS or r not in needed:
                continue
            self._apply(op)
        out = []
        for r, acc in zip(self.mine, accs):
            op = self.reductions[r]
            self.t.loc = self.module.loc(op)
            kind = REDUCTIONS[op.opcode][0]
            out.append(
                self.t.op(
                    f"arith.{kind} {acc}, {self.env[op.operands[0]]} : {scalar_type(op.results[0].type.dtype)}"
                )
            )
        if self.final:
            self.t.loc = self.module.loc(self.step)
            for value, target in zip(self.step.results, step_targets(self.step)):
                if not value.type.is_scalar and value is not target:
                    self._store(self.env[value], target, i)
        self.env = outer
        return out

    def _load(self, v: Value, i: str | None) -> str:
        """Element i of a tensor parameter (or the value of a rank-0 scalar state, i None)."""
        ty = (
            buffer_type(v.type.dtype, 1)
            if i is not None
            else f"memref<{memory_type(v.type.dtype)}>"
        )
        value = self.t.op(f"memref.load {self.buffers[v]}[{i or ''}] : {ty}")
        return self.t.op(f"arith.trunci {value} : i8 to i1") if v.type.dtype == "bool" else value

    def _store(self, value: str, target: Value, i: str | None) -> None:
        ty = (
            buffer_type(target.type.dtype, 1)
            if i is not None
            else f"memref<{memory_type(target.type.dtype)}>"
        )
        if target.type.dtype == "bool":
            value = self.t.op(f"arith.extui {value} : i1 to i8")
        self.t.line(f"memref.store {value}, {self.buffers[target]}[{i or ''}] : {ty}")


def step_targets(step: Function) -> list[Value]:
    """The parameter each result of a step updates: the parameter, then the states in order."""
    has_grad = 1 if step.attrs.get("grad") else 0
    return [step.params[0], *step.params[1 + has_grad : 1 + has_grad + len(step.attrs["states"])]]
