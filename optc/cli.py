"""The `optc` command line: check, run, compile, graph and list `.opt` programs.

Each subcommand is a small function over the public pieces (`optc.api`, `optc.compiler`, the
front end and `optc.data`). `main` turns failures into exit codes: a user error (`OptcError`)
prints its diagnostic and exits 1, bad usage exits 2 (argparse), a bug in optc prints a short
"internal error" and exits 3 (the traceback only with OPTC_DEBUG=1), Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from optc import data
from optc.errors import OptcError, did_you_mean

EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 3, 130
DTYPES = ("f32", "f64", "float32", "float64")
EMIT_STAGES = ("ast", "ir", "ir-opt")
LLVM_STAGES = ("llvm", "asm", "obj")
MLIR_STAGES = ("mlir", "mlir-llvm", "ptx")
NATIVE_STAGES = LLVM_STAGES + MLIR_STAGES
PLOT_FORMATS = (".png", ".pdf", ".svg")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `optc` command line on `argv` (default: `sys.argv[1:]`); returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        return args.command(args)
    except OptcError as err:
        print(str(err), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`optc list | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as err:  # the last line of defence against tracebacks
        if os.environ.get("OPTC_DEBUG") == "1":
            raise
        print(_internal_message(err), file=sys.stderr)
        return EXIT_INTERNAL


def _internal_message(err: Exception) -> str:
    from optc.errors import InternalError

    if isinstance(err, InternalError):
        text = str(err)  # it already says "internal error" and asks for a report
    else:
        text = (
            f"internal error: {type(err).__name__}: {err}\nthis is a bug in optc; please report it"
        )
    return text + "\n(set OPTC_DEBUG=1 to see the Python traceback)"


# ---------------------------------------------------------------- the parser


def _parser() -> argparse.ArgumentParser:
    from optc import __version__
    from optc.backends import AVAILABLE, PLANNED, default_backend

    default = default_backend()
    others = [b for b in AVAILABLE if b != default]
    backends = f"{default} (the default; $OPTC_BACKEND changes it)" + "".join(f", {b}" for b in others)
    if PLANNED:
        backends += (
            f"; {', '.join(PLANNED)} {'is' if len(PLANNED) == 1 else 'are'} not available yet"
        )
    parser = argparse.ArgumentParser(
        prog="optc",
        description="optc compiles optimization algorithms (optimizers and whole solvers) written in "
        f"the .opt language. Backends: {backends}.",
        epilog="exit codes: 0 success, 1 an error in the program or the data, 2 bad usage, "
        "3 an internal error of optc, 130 interrupted. Set OPTC_DEBUG=1 for tracebacks.",
    )
    parser.add_argument("--version", action="version", version=f"optc {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "check",
        help="parse and type-check .opt files",
        description="Parse every file and type-check each optimizer and solver in it "
        "(for float64). Exit 0 if all are well-formed, else print diagnostics "
        "and exit 1.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="a .opt file or a stdlib name")
    p.set_defaults(command=cmd_check)

    p = sub.add_parser(
        "run",
        help="run a solver, or one step of an optimizer, on data from files",
        description="Run a solver on named inputs and print its results, or apply one step "
        "of an optimizer to a param and its grad. Arrays come from .npy, .npz or "
        ".csv files, scalars from --set.",
    )
    _source_args(p)
    p.add_argument(
        "--input",
        "-i",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="an array input: NAME=A.npy, NAME=b.csv, NAME=data.npz:KEY, or data.npz for every "
        "array in it under its own name (repeatable)",
    )
    p.add_argument(
        "--set",
        "-s",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a scalar input or hyperparameter: an int, a float (1e-3, inf), true or false (repeatable)",
    )
    p.add_argument(
        "--backend",
        "-b",
        default=None,
        metavar="BACKEND",
        help=f"the backend to run on; available: {', '.join(AVAILABLE)} (default: {default_backend()})",
    )
    _dtype_arg(
        p,
        "the working float type `real` (default: float32 if every float array input is float32, "
        "else float64)",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the results: FILE.npy holds the one result (an optimizer's updated param); "
        "FILE.npz holds every result, `iterations`, `converged` and each trace as trace_NAME "
        "(an optimizer's: the param, its states and `t`)",
    )
    p.add_argument(
        "--progress",
        action="store_true",
        help="show the iteration and the traces on stderr while a solver runs",
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="plot the solver's traces to a .png, .pdf or .svg file (needs matplotlib)",
    )
    p.add_argument(
        "--max-print",
        type=int,
        default=25,
        metavar="N",
        help="print arrays of at most N elements in full, larger ones as a summary (default: 25)",
    )
    p.set_defaults(command=cmd_run)

    p = sub.add_parser(
        "compile",
        help="show a compilation stage: the AST, the IR, the optimized IR",
        description="Compile a declaration and print one stage of the pipeline.",
    )
    _source_args(p)
    p.add_argument(
        "--emit",
        default="ir-opt",
        choices=EMIT_STAGES + NATIVE_STAGES,
        metavar="STAGE",
        help=f"the stage to show: {', '.join(EMIT_STAGES)} (default: ir-opt); the LLVM backend's "
        f"optimized LLVM IR, assembly or object file ({', '.join(LLVM_STAGES)}); the MLIR backend's "
        "text, its LLVM-dialect lowering, or the GPU kernels of an optimizer or a solver as PTX "
        "(mlir, mlir-llvm, ptx)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--chip", default="sm_90", help="the GPU for --emit ptx (default: sm_90; also sm_80)")
    _dtype_arg(p, "the working float type `real` (default: float64)")
    p.add_argument("--locs", action="store_true", help="show each IR op's source location")
    p.add_argument(
        "--print-after-all",
        action="store_true",
        help="print the IR after every optimization pass (on stderr)",
    )
    p.set_defaults(command=cmd_compile)

    p = sub.add_parser(
        "graph",
        help="draw the dependency graph of a declaration's equations",
        description="Write the dependency graph of a declaration's main body (an optimizer's "
        "body, or a solver's outermost loop) as Graphviz text or an SVG picture.",
    )
    _source_args(p)
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="FILE.dot (Graphviz text) or FILE.svg (needs Graphviz's `dot`); default: print the text",
    )
    p.set_defaults(command=cmd_graph)

    p = sub.add_parser(
        "list",
        help="list the stdlib's optimizers and solvers",
        description="List the optimizers and solvers of the stdlib with their inputs.",
    )
    p.set_defaults(command=cmd_list)
    return parser


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source", metavar="FILE", help="a .opt file, or the name of a stdlib optimizer or solver"
    )
    p.add_argument(
        "name",
        nargs="?",
        default=None,
        metavar="NAME",
        help="the declaration to use when the file has several",
    )


def _dtype_arg(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--dtype", choices=DTYPES, default=None, help=help_text)


# ---------------------------------------------------------------- check


def cmd_check(args) -> int:
    """`optc check FILE…`: parse and type-check every optimizer and solver of each file."""
    from optc.dsl import ast
    from optc.dsl.lower import lower
    from optc.dsl.program import load_unit

    failed = False
    for source in args.files:
        try:
            unit = load_unit(_source_path(source))
        except OptcError as err:
            print(str(err), file=sys.stderr)
            failed = True
            continue
        errors = []
        for decl in unit.decls.values():
            try:
                lower(unit, decl, "f64")
            except OptcError as err:
                errors.append(err)
        for err in errors:
            print(str(err), file=sys.stderr)
        if errors:
            failed = True
            continue
        decls = [d for d in unit.program.decls if not isinstance(d, ast.Use)]
        listed = ", ".join(f"{_kind(d)} {d.name}" for d in decls)
        count = f"{len(decls)} declaration{'' if len(decls) == 1 else 's'}"
        print(f"{source}: ok ({count}{': ' + listed if decls else ''})")
    return EXIT_ERROR if failed else 0


def _kind(decl) -> str:
    from optc.dsl import ast

    return {ast.FnDecl: "fn", ast.OptimizerDecl: "optimizer", ast.SolverDecl: "solver"}[type(decl)]


def _source_path(source: str) -> Path:
    """The file of a source given on the command line: a path, or a stdlib declaration's file."""
    from optc.dsl.program import stdlib_index

    path = Path(source)
    if path.is_file() or source.endswith(".opt"):
        if not path.is_file():
            raise OptcError(f"no such file: {source}")
        return path
    index = stdlib_index()
    if source in index:
        return index[source]
    raise OptcError(
        f"`{source}` is neither a .opt file nor a stdlib algorithm{did_you_mean(source, index)}",
        notes=("`optc list` shows the stdlib",),
    )


# ---------------------------------------------------------------- run


def cmd_run(args) -> int:
    """`optc run FILE [NAME]`: run a solver, or one step of an optimizer, and print the results."""
    from optc.dsl import ast
    from optc.dsl.program import resolve_source
    from optc.validate import to_dtype_name

    if args.max_print < 0:
        raise OptcError("--max-print must be 0 or more")
    dtype = to_dtype_name(args.dtype)
    _, decl = resolve_source(args.source, args.name)
    if args.plot is not None:
        _check_plot(args.plot, decl)
    arrays = data.load_inputs(args.input)
    scalars = data.parse_sets(args.set)
    both = sorted(set(arrays) & set(scalars))
    if both:
        raise OptcError(f"`{both[0]}` is given by both --input and --set")
    if isinstance(decl, ast.SolverDecl):
        results, extras = _run_solver(args, decl.name, dtype, {**arrays, **scalars})
    else:
        results, extras = _run_optimizer(args, decl.name, dtype, arrays, scalars)
    if args.output:
        data.write_output(args.output, results, extras)
    return 0


def _run_solver(args, name: str, dtype: str | None, inputs: dict[str, Any]):
    from optc.api import Solver

    solver = Solver(args.source, name, args.backend, dtype)
    fn = solver.function
    defaults = fn.attrs.get("defaults", {})
    if args.output:
        extras = ["iterations", "converged", *(f"trace_{t}" for t in fn.attrs["traces"])]
        data.check_output(args.output, list(fn.attrs["result_names"]), extras)
    for key in inputs:
        if key not in solver.inputs:
            raise OptcError(
                f"solver `{name}` has no input `{key}`{did_you_mean(key, solver.inputs)}",
                notes=(f"its inputs are: {_signature(solver.inputs, defaults)}",),
            )
    for input_name, declared in solver.inputs.items():
        if input_name not in inputs and input_name not in defaults:
            how = "--set" if "[" not in declared else "--input"
            raise OptcError(
                f"solver `{name}` needs input `{input_name}` ({declared}): pass it with "
                f"`{how} {input_name}={'VALUE' if how == '--set' else 'FILE'}`",
                notes=(f"its inputs are: {_signature(solver.inputs, defaults)}",),
            )
    progress = _Progress(sys.stderr) if args.progress else None
    try:
        result = solver(progress=progress, **inputs)
    finally:
        if progress is not None:
            progress.close()
    out = sys.stdout
    for key, value in result.outputs.items():
        print(_format(key, value, args.max_print), file=out)
    print(f"iterations = {result.iterations}", file=out)
    print(f"converged = {'true' if result.converged else 'false'}", file=out)
    for key, values in result.trace.items():
        if len(values):
            print(f"trace {key} = {_number(values[-1])} (last of {len(values)} values)", file=out)
        else:
            print(f"trace {key}: no values (the loop ran no iteration)", file=out)
    if args.plot is not None:
        _plot(args.plot, name, result.trace)
    extras = {"iterations": np.int64(result.iterations), "converged": np.bool_(result.converged)}
    extras.update({f"trace_{k}": v for k, v in result.trace.items()})
    return result.outputs, extras


def _signature(inputs: dict[str, str], defaults: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} = {_number(defaults[k])}" if k in defaults else f"{k}: {t}" for k, t in inputs.items()
    )


def _run_optimizer(
    args, name: str, dtype: str | None, arrays: dict[str, np.ndarray], scalars: dict[str, Any]
):
    from optc.api import Optimizer

    hyper = dict(scalars)
    opt = Optimizer(args.source, name, args.backend, dtype)
    attrs = opt.compiled(dtype or "f64").function("step").attrs
    param, grad = attrs["param"], attrs["grad"]
    if args.output:
        data.check_output(args.output, [param], [*attrs["states"], "t"])
    wanted = [param] + ([grad] if grad else [])
    for key in list(arrays):
        if key in opt.defaults:
            hyper[key] = arrays.pop(key)  # a hyperparameter from a file (a scalar array)
        elif key not in wanted:
            raise OptcError(
                f"optimizer `{name}` has no input `{key}`{did_you_mean(key, wanted + list(opt.defaults))}",
                notes=(_optimizer_usage(param, grad, opt.defaults),),
            )
    for key in wanted:
        if key not in arrays:
            role = "param" if key == param else "grad"
            raise OptcError(
                f"optimizer `{name}` needs its {role} `{key}`: pass it with `--input {key}=FILE`",
                notes=(_optimizer_usage(param, grad, opt.defaults),),
            )
    p = _float_array(param, arrays[param], dtype)
    g = _float_array(grad, arrays[grad], p.dtype) if grad else None
    if g is not None and g.shape != p.shape:
        raise OptcError(
            f"input `{grad}` (the grad) has shape {g.shape} but the param `{param}` has shape {p.shape}"
        )
    opt = Optimizer(args.source, name, args.backend, dtype, **hyper)
    state = opt.init([p])
    opt.step([p], [g] if g is not None else [np.zeros_like(p)], state)
    states = state.tensors[0]
    for key, value in {param: p, **states}.items():
        print(_format(key, value, args.max_print))
    return {param: p}, {**states, "t": np.int64(state.t)}


def _optimizer_usage(param: str, grad: str | None, defaults: dict[str, Any]) -> str:
    inputs = f"`--input {param}=FILE`" + (f" and `--input {grad}=FILE`" if grad else "")
    hyper = ", ".join(f"{k} = {_number(v)}" for k, v in defaults.items()) or "none"
    return f"it takes {inputs}; its hyperparameters (--set) are: {hyper}"


def _float_array(name: str, value: np.ndarray, dtype) -> np.ndarray:
    """A writable float copy of an optimizer's array input (finite values only)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise OptcError(f"input `{name}` holds {array.dtype} values; optc needs real numbers")
    target = {"f32": np.float32, "f64": np.float64, None: None}.get(dtype, dtype)
    if target is None:
        target = array.dtype if array.dtype in (np.float32, np.float64) else np.float64
    array = np.array(array, dtype=target, copy=True, order="C")
    if array.size and not np.all(np.isfinite(array)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        what = "NaN" if np.isnan(array[bad]) else "an infinite value"
        raise OptcError(f"input `{name}` contains {what} (first at index {bad})")
    return array


# ---------------------------------------------------------------- printing results


def _format(name: str, value, max_print: int) -> str:
    """`name = value` for a scalar or a small array; a one-line summary for a large array."""
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{name} = {_number(array.item())}"
    if array.size <= max_print:
        # Vectors print compactly (`[0, 0.5, 1]`); matrices keep NumPy's aligned columns.
        formatter = {"float_kind": _number} if array.ndim == 1 else None
        text = np.array2string(
            array,
            separator=", ",
            threshold=max(max_print, 1) + 1,
            max_line_width=100,
            formatter=formatter,
        )
        indent = " " * (len(name) + 3)
        return f"{name} = " + text.replace("\n", "\n" + indent)
    values = array.astype(np.float64)
    finite = values[np.isfinite(values)]
    if finite.size:
        stats = f"min={_number(finite.min())} max={_number(finite.max())} norm={_number(np.linalg.norm(finite))}"
    else:
        stats = "no finite values"
    if finite.size < values.size:
        stats += f" ({values.size - finite.size} not finite)"
    return f"{name}: {array.dtype}{list(array.shape)} {stats}"


def _number(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.10g}"


class _Progress:
    """A solver's progress on a stream: one line redrawn in place on a terminal, else periodic lines."""

    def __init__(self, stream: TextIO, tty: bool | None = None):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        # At most 10 redraws a second on a terminal; a line a second in a log.
        self.interval = 0.1 if self.tty else 1.0
        self.last_draw = -float("inf")
        self.pending: str | None = None
        self.width = 0

    def __call__(self, iteration: int, total: int, traces: dict[str, float]) -> None:
        text = f"iteration {iteration}/{total}" + "".join(
            f"  {k}={v:.6g}" for k, v in traces.items()
        )
        now = time.monotonic()
        if now - self.last_draw < self.interval:
            self.pending = text
            return
        self.last_draw = now
        self._draw(text)

    def _draw(self, text: str) -> None:
        self.pending = None
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Draw the last state if it was throttled away, and end the line."""
        if self.pending is not None:
            self._draw(self.pending)
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()


# ---------------------------------------------------------------- plotting


def _check_plot(path: str, decl) -> None:
    """Fail before running if --plot cannot be honoured."""
    from optc.dsl import ast

    if Path(path).suffix.lower() not in PLOT_FORMATS:
        raise OptcError(f"--plot {path}: plots are written as {', '.join(PLOT_FORMATS)} files")
    if not isinstance(decl, ast.SolverDecl):
        raise OptcError(f"--plot draws a solver's traces; `{decl.name}` is an optimizer")
    if not _has_trace(decl.body):
        raise OptcError(
            f"--plot: solver `{decl.name}` records no trace (declare one with `trace NAME = …`)"
        )
    _pyplot()


def _has_trace(body) -> bool:
    from optc.dsl import ast

    return any(
        isinstance(s, ast.TraceDecl) or (isinstance(s, ast.For) and _has_trace(s.body))
        for s in body
    )


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise OptcError(
            "--plot needs matplotlib, which is not installed: install it with `pip install matplotlib`"
        ) from None
    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def _plot(path: str, solver_name: str, traces: dict[str, np.ndarray]) -> None:
    """One panel per trace against the iteration; a log scale for positive values spanning decades."""
    plt = _pyplot()
    fig, axes = plt.subplots(
        len(traces), 1, figsize=(7, 2.6 * len(traces)), sharex=True, squeeze=False
    )
    for ax, (name, values) in zip(axes[:, 0], traces.items()):
        values = np.asarray(values, dtype=np.float64)
        ax.plot(np.arange(1, len(values) + 1), values)
        ax.set_ylabel(name)
        positive = values[np.isfinite(values)]
        if positive.size and positive.min() > 0 and positive.max() / positive.min() > 100:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
    axes[0, 0].set_title(f"{solver_name}")
    axes[-1, 0].set_xlabel("iteration")
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as err:
        raise OptcError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        plt.close(fig)


# ---------------------------------------------------------------- compile


def cmd_compile(args) -> int:
    """`optc compile FILE [NAME] --emit STAGE`: print the AST, the IR or the optimized IR."""
    from optc.validate import to_dtype_name

    if args.emit in LLVM_STAGES:
        return _emit_llvm(args)
    if args.emit in MLIR_STAGES:
        return _emit_mlir(args)
    if args.print_after_all and args.emit != "ir-opt":
        raise OptcError(
            "--print-after-all shows the IR after each optimization pass; use it with --emit ir-opt"
        )
    dtype = to_dtype_name(args.dtype) or "f64"
    if args.emit == "ast":
        text = _ast_text(args.source, args.name)
    elif args.print_after_all:
        text = _optimize_printing(args.source, args.name, dtype, args.locs)
    else:
        from optc.compiler import compile_source
        from optc.ir.printer import print_module

        compiled = compile_source(args.source, args.name, None, dtype)
        text = print_module(compiled.ir if args.emit == "ir" else compiled.module, locs=args.locs)
    _emit_text(text, args.output)
    return 0


def _emit_mlir(args) -> int:
    """`--emit mlir|mlir-llvm|ptx`: the MLIR backend's text, lowered text, or GPU kernel PTX."""
    from optc.backends import mlir
    from optc.compiler import compile_source
    from optc.validate import to_dtype_name

    compiled = compile_source(args.source, args.name, None, to_dtype_name(args.dtype) or "f64")
    if args.emit == "mlir":
        text = mlir.emit_mlir(compiled.module)
    elif args.emit == "mlir-llvm":
        text = mlir.mlir_llvm(compiled.module)
    else:
        text = mlir.ptx(compiled.module, args.chip)  # an optimizer's step or a solver's kernels
    _emit_text(text, args.output)
    return 0


def _emit_llvm(args) -> int:
    """`--emit llvm|asm|obj`: the LLVM backend's output, after LLVM's optimizations."""
    from optc.backends.llvm import generate
    from optc.backends.llvm import jit
    from optc.compiler import compile_source
    from optc.validate import to_dtype_name

    compiled = compile_source(args.source, args.name, None, to_dtype_name(args.dtype) or "f64")
    text, _, _ = generate(compiled.module)
    if args.emit == "obj":
        if args.output is None:
            raise OptcError("--emit obj writes machine code: give a file with -o")
        obj = jit.object_code(text)
        try:
            Path(args.output).write_bytes(obj)
        except OSError as err:
            raise OptcError(f"cannot write {args.output}: {err.strerror or err}") from None
        return 0
    _emit_text(jit.optimized_ir(text) if args.emit == "llvm" else jit.assembly(text), args.output)
    return 0


def _ast_text(source: str, name: str | None) -> str:
    from optc.dsl import ast
    from optc.dsl.parser import parse_file
    from optc.dsl.program import stdlib_index

    path = _source_path(source)
    program = parse_file(path)
    if name is None and not Path(source).is_file() and source in stdlib_index():
        name = source
    if name is None:
        return ast.dump(program)
    decls = {d.name: d for d in program.decls if not isinstance(d, ast.Use)}
    if name not in decls:
        raise OptcError(
            f"{path} has no declaration named `{name}`{did_you_mean(name, decls)}",
            notes=(f"it declares: {', '.join(decls) or 'nothing'}",),
        )
    return ast.dump(decls[name])


def _optimize_printing(source: str, name: str | None, dtype: str, locs: bool) -> str:
    """The optimized IR, printing the module after every pass on stderr."""
    from optc.dsl.lower import lower
    from optc.dsl.program import resolve_source
    from optc.ir.pipeline import optimize
    from optc.ir.printer import print_module

    unit, decl = resolve_source(source, name)
    module = lower(unit, decl, dtype)
    runs: dict[str, int] = {}
    previous = [print_module(module, locs=locs)]

    def show(pass_name: str, module) -> None:
        runs[pass_name] = runs.get(pass_name, 0) + 1
        text = print_module(module, locs=locs)
        label = pass_name if runs[pass_name] == 1 else f"{pass_name} (run {runs[pass_name]})"
        if text == previous[0]:
            print(f"// ----- IR after {label}: unchanged", file=sys.stderr)
        else:
            print(f"// ----- IR after {label}\n{text.rstrip()}", file=sys.stderr)
        previous[0] = text

    return print_module(optimize(module, print_after_all=show), locs=locs)


def _emit_text(text: str, output: str | None) -> None:
    if not text.endswith("\n"):
        text += "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text)
    except OSError as err:
        raise OptcError(f"cannot write {output}: {err.strerror or err}") from None


# ---------------------------------------------------------------- graph


def cmd_graph(args) -> int:
    """`optc graph FILE [NAME] [-o graph.dot|graph.svg]`: the dependency graph of the main body."""
    from optc.dsl import ordering
    from optc.dsl.lower import _defines, _reads
    from optc.dsl.program import resolve_source

    output = Path(args.output) if args.output else None
    if output is not None and output.suffix.lower() not in (".dot", ".svg"):
        raise OptcError(f"-o {output}: the graph is written as a .dot (Graphviz text) or .svg file")
    svg = output is not None and output.suffix.lower() == ".svg"
    dot = shutil.which("dot") if svg else None
    if svg and dot is None:
        raise OptcError("Graphviz's `dot` is not installed; write a .dot file or install graphviz")
    _, decl = resolve_source(args.source, args.name)
    stmts, where = _main_body(decl)
    text = ordering.to_dot(ordering.build_graph(stmts, _defines, _reads), f"{decl.name}: {where}")
    if output is None:
        sys.stdout.write(text)
    elif dot is None:
        _emit_text(text, str(output))
    else:
        _render_svg(dot, text, output)
    return 0


def _main_body(decl) -> tuple[list, str]:
    """The statements of a declaration's main body and a few words saying which body it is."""
    from optc.dsl import ast

    if isinstance(decl, ast.OptimizerDecl):
        drawn = (ast.Equation, ast.For, ast.Require)
        return [s for s in decl.body if isinstance(s, drawn)], "one step"
    loops = [s for s in decl.body if isinstance(s, ast.For)]
    if not loops:
        top = [s for s in decl.body if isinstance(s, (ast.StateDecl, ast.Equation, ast.Require))]
        return top, "the solver's body"
    nest = [loops[0]]
    while True:
        drawn = (ast.Equation, ast.For, ast.TraceDecl, ast.Require)
        body = [s for s in nest[-1].body if isinstance(s, drawn)]
        # A loop whose body is just another loop (a sweep over coordinates) shows the inner one.
        if len(body) == 1 and isinstance(body[0], ast.For):
            nest.append(body[0])
            continue
        loop_vars = " inside ".join(loop.var for loop in reversed(nest))
        return body, f"one iteration of the loop over {loop_vars}"


def _render_svg(dot: str, text: str, output: Path) -> None:
    try:
        done = subprocess.run(
            [dot, "-Tsvg", "-o", str(output)],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise OptcError(f"Graphviz's `dot` failed: {err}") from None
    if done.returncode != 0:
        raise OptcError(f"Graphviz's `dot` failed (exit {done.returncode}): {done.stderr.strip()}")


# ---------------------------------------------------------------- list


def cmd_list(args) -> int:
    """`optc list`: the stdlib's optimizers and solvers, with their files and inputs."""
    from optc.dsl import ast
    from optc.dsl.parser import parse_file
    from optc.dsl.program import stdlib_index

    groups: dict[str, list[str]] = {"optimizers": [], "solvers": []}
    programs: dict[Path, Any] = {}
    index = stdlib_index()
    width = max(map(len, index), default=0) + 2
    for name, path in index.items():
        program = programs.get(path) or programs.setdefault(path, parse_file(path))
        decl = next(
            d
            for d in program.decls
            if getattr(d, "name", None) == name and not isinstance(d, ast.FnDecl)
        )
        kind = "optimizers" if isinstance(decl, ast.OptimizerDecl) else "solvers"
        label = "hyperparameters" if kind == "optimizers" else "inputs"
        params = ", ".join(ast.source_text(p.span) for p in decl.params) or "none"
        groups[kind].append(
            f"  {name:<{width}} {path.name:<16} {_summary(program.file.text)}\n"
            f"  {'':<{width}} {label}: {params}"
        )
    blocks = [f"{kind}:\n" + "\n".join(lines) for kind, lines in groups.items() if lines]
    print("\n\n".join(blocks))
    return 0


def _summary(text: str) -> str:
    """The first line of a file's header comment."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        return stripped.lstrip("#").strip() if stripped.startswith("#") else ""
    return ""
