"""The Python API: `optc.optimizer`, `optc.solver`, `optc.solve`.

A `Solver` validates named inputs, compiles its declaration for the working dtype (once per
dtype) and returns a `SolveResult` with one attribute per returned name plus `iterations`,
`converged` and `trace`. An `Optimizer` updates a list of parameter arrays in place: `init`
creates per-tensor state, `step` applies one update with per-call hyperparameters.
"""

from __future__ import annotations

import copy
import operator
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from optc.backends import get_backend
from optc.errors import OptcError, did_you_mean
from optc.ir.types import NUMPY_NAMES
from optc.validate import bind_inputs, convert_scalar, describe, infer_dtype, to_dtype_name


class SolveResult:
    """A solver's outputs: one attribute per returned name, `iterations`, `converged`, `trace`."""

    def __init__(self, outputs: dict[str, Any], iterations: int, converged: bool, trace: dict[str, np.ndarray]):
        self.outputs = outputs
        self.iterations = iterations
        self.converged = converged
        self.trace = trace

    def __getattr__(self, name: str):
        outputs = self.__dict__.get("outputs", {})
        if name in outputs:
            return outputs[name]
        raise AttributeError(f"the result has no `{name}`{did_you_mean(name, outputs)}; it has: {', '.join(outputs)}")

    def __getitem__(self, name: str):
        return self.outputs[name]

    def __repr__(self) -> str:
        parts = [f"{k}={_short(v)}" for k, v in self.outputs.items()]
        parts += [f"iterations={self.iterations}", f"converged={self.converged}"]
        if self.trace:
            parts.append(f"trace=[{', '.join(self.trace)}]")
        return f"SolveResult({', '.join(parts)})"


def _short(v) -> str:
    arr = np.asarray(v)
    return repr(arr.item()) if arr.ndim == 0 else f"array(shape={arr.shape}, dtype={arr.dtype})"


class _Compiling:
    """Shared by Solver and Optimizer: a source compiled lazily per dtype for one backend."""

    kind = ""

    def __init__(self, source, name: str | None, backend: str | None, dtype, fastmath: bool = False):
        self.source = source
        self.dtype = to_dtype_name(dtype)
        self.backend = get_backend(backend, fastmath)
        path = Path(str(source))  # a copy made elsewhere (another working directory) reads the same file
        self._construction = {"source": str(path.resolve()) if path.is_file() else source, "name": name,
                              "backend": self.backend.name, "dtype": dtype, "fastmath": fastmath}
        self._executables: dict[str, tuple[Any, Any]] = {}
        first = self.compiled(self.dtype or "f64")  # compile now: errors surface at construction
        self.name = first.name

    def __reduce__(self):
        """Pickled and copied as its construction arguments: the copy compiles again (from the
        caches), since native code cannot be pickled."""
        return (_construct, (type(self), self._construction))

    def compiled(self, dtype: str):
        return self._get(dtype)[0]

    def executable(self, dtype: str):
        return self._get(dtype)[1]

    def _get(self, dtype: str):
        if dtype not in self._executables:
            from optc.compiler import compile_source  # lazily: `import optc` stays fast

            name = getattr(self, "name", None) or self._requested_name
            c = compile_source(self.source, name, self.kind, dtype)
            self._executables[dtype] = (c, self.backend.compile(c.module))
        return self._executables[dtype]


def _construct(cls, arguments: dict):
    """Rebuild a Solver or Optimizer from its construction arguments (see `_Compiling.__reduce__`)."""
    return cls(**arguments)


class Solver(_Compiling):
    """A compiled solver: call it with named inputs to get a `SolveResult`."""

    kind = "solver"

    def __init__(self, source, name: str | None = None, backend: str | None = None, dtype=None, fastmath: bool = False):
        self._requested_name = name
        super().__init__(source, name, backend, dtype, fastmath)

    @property
    def function(self):
        """The solver's optimized IR function (for the default dtype)."""
        return self.compiled(self.dtype or "f64").function()

    @property
    def inputs(self) -> dict[str, str]:
        """Input name -> declared type, in declaration order."""
        fn = self.function
        return {n: describe(p.type) for n, p in zip(fn.attrs["param_names"], fn.params)}

    def __call__(self, progress: Callable | None = None, check_finite: bool = True, **inputs) -> SolveResult:
        """Run the solver; `progress(iteration, max_iterations, traces)` is called per iteration.

        Float array inputs are first checked for NaN and infinities (one pass over each, which
        matters for large matrices); `check_finite=False` skips that, as in `scipy.linalg`, for
        inputs known to be finite."""
        if self.backend.name != "mlir-gpu":  # mlir-gpu copies host inputs to the device itself
            for name, value in inputs.items():
                check_placement(f"input `{name}`", value, self.backend.name)
        dtype = self.dtype or infer_dtype(inputs)
        fn = self.compiled(dtype).function()
        args = bind_inputs(fn, inputs, f"solver `{self.name}`", check_finite)
        results = self.executable(dtype).run(fn.name, args, progress)
        names = fn.attrs["result_names"]
        n = len(names)
        outputs = {k: _plain(_not_aliasing(v, args)) for k, v in zip(names, results[:n])}
        traces = dict(zip(fn.attrs["traces"], results[n + 2 :]))
        return SolveResult(outputs, int(results[n]), bool(results[n + 1]), traces)

    def __repr__(self) -> str:
        return f"optc.Solver({self.name!r}, inputs=({', '.join(f'{k}: {v}' for k, v in self.inputs.items())}))"


def _not_aliasing(v, args: list):
    """A result that shares memory with an input (a solver returning an argument) is copied."""
    if isinstance(v, np.ndarray) and any(isinstance(a, np.ndarray) and np.may_share_memory(v, a) for a in args):
        return v.copy()
    return v


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


class TensorStates(dict):
    """One tensor's state arrays by name. Assigning a new array (rather than writing into the
    old one), by any dict method, invalidates the prepared native call, which held the old
    array's address."""

    def __init__(self, owner: "OptimizerState", items):
        super().__init__(items)
        self._owner = owner

    def __reduce__(self):  # pickles and copies as a plain dict
        return (dict, (dict(self),))


class _StateList(list):
    """`OptimizerState.tensors`: replacing an entry invalidates the prepared native call, and
    every entry is a `TensorStates`, so replacing an array inside it does too."""

    def __init__(self, owner: "OptimizerState", items=()):
        super().__init__(self._wrap(owner, t) for t in items)
        self._owner = owner

    @staticmethod
    def _wrap(owner: "OptimizerState", entry):
        return entry if isinstance(entry, TensorStates) and entry._owner is owner else TensorStates(owner, entry)

    def __setitem__(self, index, value) -> None:
        if isinstance(index, slice):
            value = [self._wrap(self._owner, t) for t in value]
        else:
            value = self._wrap(self._owner, value)
        super().__setitem__(index, value)

    def append(self, entry) -> None:
        super().append(self._wrap(self._owner, entry))

    def insert(self, index, entry) -> None:
        super().insert(index, self._wrap(self._owner, entry))

    def extend(self, entries) -> None:
        super().extend(self._wrap(self._owner, t) for t in entries)

    def __iadd__(self, entries):
        self.extend(entries)
        return self

    def __reduce__(self):  # pickles and copies as a plain list
        return (list, (list(self),))


def _invalidating(cls, names: tuple[str, ...]) -> None:
    """Make each mutating method `name` of `cls` drop its owner's prepared plan first."""
    for name in names:
        method = getattr(cls, name)  # the class's own override (which may wrap the entry) or the base's

        def wrapper(self, *args, _method=method, **kwargs):
            self._owner._plan = None
            return _method(self, *args, **kwargs)

        wrapper.__name__ = name
        setattr(cls, name, wrapper)


_invalidating(TensorStates, ("__setitem__", "__delitem__", "__ior__", "update", "setdefault", "pop", "popitem", "clear"))
_invalidating(_StateList, ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert", "pop",
                           "remove", "clear", "sort", "reverse"))


class OptimizerState:
    """Per-tensor state of an optimizer, from `Optimizer.init`; `t` counts the steps taken.

    The `state … = …` initialisers run on the first step (they may read the first gradient),
    so `tensors` holds one dict of state arrays per parameter from then on.
    """

    def __init__(self, shapes: list[tuple], dtypes: list[str]):
        self._tensors = _StateList(self)
        self.shapes = shapes
        self.dtypes = dtypes
        self.t = 0
        self.owner = None  # the Optimizer whose init made it
        self._plan = None
        self._plan_refs = None

    def __getstate__(self) -> dict:
        """Pickled without the prepared native call (pointers); it is prepared again on the next step."""
        state = dict(self.__dict__, _plan=None, _plan_refs=None)
        state["_tensors"] = [dict(t) for t in self._tensors]
        return state

    def __setstate__(self, state: dict) -> None:
        tensors = state.pop("_tensors")
        self.__dict__.update(state)
        self._tensors = _StateList(self, [TensorStates(self, t) for t in tensors])

    def __deepcopy__(self, memo):
        """A copy with its own arrays, still belonging to the same optimizer (or to its copy,
        when both are copied together)."""
        new = OptimizerState.__new__(OptimizerState)
        memo[id(self)] = new
        state = self.__getstate__()
        owner = state.pop("owner")
        state = copy.deepcopy(state, memo)
        state["owner"] = memo.get(id(owner), owner)
        new.__setstate__(state)
        return new

    @property
    def tensors(self) -> list[dict[str, np.ndarray]]:
        """Per tensor, its state arrays by name (assigning new arrays or entries re-validates them)."""
        return self._tensors

    @tensors.setter
    def tensors(self, value) -> None:
        self._plan = None
        self._tensors = _StateList(self, value)

    def __repr__(self) -> str:
        names = ", ".join(self.tensors[0]) if self.tensors else ""
        return f"OptimizerState(t={self.t}, tensors={len(self.shapes)}, states=[{names}])"


class Optimizer(_Compiling):
    """A compiled optimizer: `init(params)` then `step(params, grads, state, **hyper)` in place."""

    kind = "optimizer"

    def __init__(self, source, name: str | None = None, backend: str | None = None, dtype=None,
                 threads: int | None = None, fastmath: bool = False, **hyper):
        self._requested_name = name
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise OptcError(f"threads must be a positive int, not {threads!r}")
        self.threads = threads
        super().__init__(source, name, backend, dtype, fastmath)
        self.defaults = dict(self._step_fn(self.dtype or "f64").attrs["defaults"])
        self.hyper = self._check_hyper(hyper)
        self._construction.update(threads=threads, **hyper)
        self._hyper_cache: dict[str, list] = {}

    def _step_fn(self, dtype: str):
        return self.compiled(dtype).function("step")

    def _check_hyper(self, hyper: dict) -> dict:
        for k in hyper:
            if k not in self.defaults:
                raise OptcError(f"optimizer `{self.name}` has no hyperparameter `{k}`{did_you_mean(k, self.defaults)}",
                                notes=(f"its hyperparameters are: {', '.join(self.defaults) or 'none'}",))
        return dict(hyper)

    def _params(self, params) -> list[np.ndarray]:
        if type(params) is list:
            return params
        if isinstance(params, np.ndarray) or _on_gpu(params):
            return [params]
        if not isinstance(params, Sequence):
            raise OptcError(f"params must be a NumPy array or a list of arrays, not {type(params).__name__}")
        return list(params)

    def _tensor_dtype(self, i: int, p) -> str:
        check_placement(f"params[{i}]", p, self.backend.name)
        if not isinstance(p, np.ndarray) and not _on_gpu(p):
            raise OptcError(f"params[{i}] must be a NumPy array (updated in place), not {type(p).__name__}")
        if p.dtype not in (np.float32, np.float64):
            raise OptcError(f"params[{i}] has dtype {p.dtype}; optimizers update float32 or float64 arrays")
        dtype = "f32" if p.dtype == np.float32 else "f64"
        if self.dtype is not None and dtype != self.dtype:
            raise OptcError(f"params[{i}] has dtype {p.dtype} but the optimizer was compiled for {self.dtype}")
        if isinstance(p, np.ndarray) and not p.flags.writeable:
            raise OptcError(f"params[{i}] is read-only; the optimizer updates it in place")
        declared = self._step_fn(dtype).params[0].type
        if declared.shape is not None and p.ndim != len(declared.shape):
            raise OptcError(f"params[{i}] has shape {p.shape} but `{self.name}` takes {describe(declared)}")
        return dtype

    def init(self, params) -> OptimizerState:
        """The state for these parameters; its arrays are created on the first step."""
        params = self._params(params)
        dtypes = [self._tensor_dtype(i, p) for i, p in enumerate(params)]
        state = OptimizerState([p.shape for p in params], dtypes)
        state.owner = self
        return state

    def _create_state(self, params, grads, state: OptimizerState, hyper_args: dict) -> None:
        for p, g, dtype in zip(params, grads, state.dtypes):
            init = self.compiled(dtype).function("init")
            args = [p] + ([g] if init.attrs.get("grad") else []) + hyper_args[dtype]
            values = self.executable(dtype).run(init.name, args)
            state.tensors.append(TensorStates(state, {k: np.array(v, copy=True) for k, v in zip(init.attrs["states"], values)}))

    def _hyper_args(self, dtype: str, overrides: dict) -> list:
        step = self._step_fn(dtype)
        n_hyper = len(step.attrs["hyper_names"])
        hyper_params = step.params[len(step.params) - 1 - n_hyper : len(step.params) - 1]
        values = {**self.defaults, **self.hyper, **overrides}
        return [convert_scalar(n, values[n], v.type) for n, v in zip(step.attrs["hyper_names"], hyper_params)]

    def step(self, params, grads, state: OptimizerState, **hyper) -> None:
        """Apply one update to every tensor in place; hyperparameters may be overridden per call.

        The first call with a given list of params and grads validates them and prepares the
        native call (pointer tables); later calls with the same arrays skip straight to it.
        """
        params, grads = self._params(params), self._params(grads)
        if not isinstance(state, OptimizerState):
            raise OptcError("state must be the OptimizerState returned by init(params)")
        if hyper:
            self._check_hyper(hyper)
        if self.backend.name == "mlir-gpu":  # CuPy arrays, stepped in place on the device
            from optc.backends.mlir.device_arrays import gpu_step

            return gpu_step(self, params, grads, state, hyper)
        if state._plan is None or state.owner is not self or not (
                _same_arrays(params, state._plan_refs[0]) and _same_arrays(grads, state._plan_refs[1])):
            self._check_step(params, grads, state)
            if state.t == 0:
                self._create_state(params, grads, state, {d: self._hyper_args(d, hyper) for d in set(state.dtypes)})
            state._plan = self._plan(params, grads, state)
            state._plan_refs = (list(params), list(grads))  # the arrays the plan's pointers point into
        if not all(map(_WRITEABLE, params)):  # the one check a cached plan cannot skip: the flag can change
            i = next(i for i, p in enumerate(params) if not p.flags.writeable)
            raise OptcError(f"params[{i}] is read-only; the optimizer updates it in place")
        state.t += 1
        t = np.int64(state.t)
        for dtype, kernel, work in state._plan:
            hyper_args = self._hyper_args(dtype, hyper) if hyper else self._default_hyper_args(dtype)
            if kernel is not None:
                tables, copies, _ = work
                for stand_in, view, _ in copies:
                    np.copyto(stand_in, view)
                kernel.set_hypers(hyper_args)
                kernel.run(tables, state.t)
                for stand_in, view, is_param in copies:
                    if is_param:
                        np.copyto(view, stand_in)
                continue
            step = self._step_fn(dtype)
            for p, g, tensor in work:
                args = [p] + ([g] if step.attrs.get("grad") else []) + list(tensor.values()) + hyper_args + [t]
                new_p, *new_states = self.executable(dtype).run(step.name, args)
                p[...] = new_p
                for k, v in zip(tensor, new_states):
                    tensor[k][...] = v  # in place: the state's shape and dtype never change

    def _same_program(self, other: "Optimizer") -> bool:
        """Whether `other` compiles the same declaration from the same source (its states fit)."""
        mine, theirs = self._construction, other._construction
        return (mine["source"], self.name, mine["dtype"]) == (theirs["source"], other.name, theirs["dtype"])

    def _default_hyper_args(self, dtype: str) -> list:
        cached = self._hyper_cache.get(dtype)
        if cached is None:
            cached = self._hyper_cache[dtype] = self._hyper_args(dtype, {})
        return cached

    def _plan(self, params, grads, state: OptimizerState) -> list:
        """Per dtype group: (dtype, native multi-tensor kernel or None, its tables or the tensors)."""
        plan = []
        for dtype in sorted(set(state.dtypes)):
            members = [i for i, d in enumerate(state.dtypes) if d == dtype]
            kernel = getattr(self.executable(dtype), "multi_tensor", None)
            if kernel is not None and self.threads is not None:
                kernel.threads = self.threads
            if kernel is not None:
                has_grad = self._step_fn(dtype).attrs.get("grad") is not None
                copies = []  # (contiguous stand-in, the caller's strided view, is a param)
                rows = []
                for i in members:
                    p, g = _contiguous(params[i], True, copies), _contiguous(grads[i], False, copies)
                    rows.append([p] + ([g] if has_grad else []) + list(state.tensors[i].values()))
                plan.append((dtype, kernel, (kernel.plan(rows), copies, rows)))  # rows keep the arrays alive
            else:
                plan.append((dtype, None, [(params[i], grads[i], state.tensors[i]) for i in members]))
        return plan

    def _check_step(self, params, grads, state: OptimizerState) -> None:
        if not isinstance(state, OptimizerState):
            raise OptcError("state must be the OptimizerState returned by init(params)")
        if len(params) != len(state.shapes):
            raise OptcError(f"state was created for {len(state.shapes)} tensors but {len(params)} params were given")
        if len(grads) != len(params):
            raise OptcError(f"{len(params)} params but {len(grads)} grads")
        owner = getattr(state, "owner", None)
        if owner is not self:
            if not isinstance(owner, Optimizer) or not self._same_program(owner):
                raise OptcError("this state was created by another optimizer; use the state from this optimizer's "
                                "init(params)")
            state.owner = self  # a copy or unpickled state of the same program: this optimizer adopts it
        for i, (p, g) in enumerate(zip(params, grads)):
            if self._tensor_dtype(i, p) != state.dtypes[i]:
                raise OptcError(f"params[{i}] has dtype {p.dtype} but the state was created for {_NUMPY[state.dtypes[i]]}")
            if p.shape != state.shapes[i]:
                raise OptcError(f"params[{i}] has shape {p.shape} but the state was created for {state.shapes[i]}")
            check_placement(f"grads[{i}]", g, self.backend.name)
            if not isinstance(g, np.ndarray) and not _on_gpu(g):
                raise OptcError(f"grads[{i}] must be a NumPy array, not {type(g).__name__}")
            if g.shape != p.shape:
                raise OptcError(f"grads[{i}] has shape {g.shape} but params[{i}] has shape {p.shape}")
            if g.dtype != p.dtype:
                raise OptcError(f"grads[{i}] has dtype {g.dtype} but params[{i}] has dtype {p.dtype}")

        if state.tensors and self.backend.name != "mlir-gpu":  # (GPU states: device_arrays.py)
            self._check_states(params, state)
        _check_no_overlap(params, grads)

    def _check_states(self, params, state: OptimizerState) -> None:
        """State arrays (which users may replace) must keep their names, dtypes and shapes."""
        for i, (p, tensor) in enumerate(zip(params, state.tensors)):
            step = self._step_fn(state.dtypes[i])
            names = step.attrs["states"]
            if list(tensor) != names:
                raise OptcError(f"the state of params[{i}] has {', '.join(tensor) or 'nothing'}; "
                                f"`{self.name}` keeps {', '.join(names)}")
            first = 2 if step.attrs.get("grad") else 1
            for name, param in zip(names, step.params[first : first + len(names)]):
                arr = tensor[name]
                expected = np.dtype(NUMPY_NAMES[param.type.dtype])
                shape = p.shape if param.type.shape is None else None
                if not isinstance(arr, np.ndarray) or arr.dtype != expected or \
                        (shape is not None and arr.shape != shape) or (param.type.is_scalar and arr.ndim != 0):
                    what = f"{type(arr).__name__}" if not isinstance(arr, np.ndarray) else f"{arr.dtype} {arr.shape}"
                    raise OptcError(f"state `{name}` of params[{i}] is {what}; it must be a {expected} array"
                                    + (f" of shape {shape}" if shape is not None else ""))
                if not arr.flags.c_contiguous or not arr.flags.writeable:
                    raise OptcError(f"state `{name}` of params[{i}] must be a writable contiguous array")

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v!r}" for k, v in {**self.defaults, **self.hyper}.items())
        return f"optc.Optimizer({self.name!r}, {hp})"


_NUMPY = {"f32": "float32", "f64": "float64"}
_WRITEABLE = operator.attrgetter("flags.writeable")


def _same_arrays(now: list, planned: list) -> bool:
    """Whether `now` holds the very array objects of `planned`, in order (a cached plan's pointers
    stay valid for them: an array's data pointer never changes)."""
    return len(now) == len(planned) and all(map(operator.is_, now, planned))


def _contiguous(arr: np.ndarray, is_param: bool, copies: list) -> np.ndarray:
    """`arr`, or a contiguous stand-in registered in `copies` for a strided view (the native
    kernel walks memory linearly; the view is copied in before and, for a param, back after)."""
    if arr.flags.c_contiguous:
        return arr
    stand_in = np.ascontiguousarray(arr)
    copies.append((stand_in, arr, is_param))
    return stand_in


def _on_gpu(a) -> bool:
    """Whether `a` lives in GPU memory (CuPy arrays, CUDA tensors: `__cuda_array_interface__`)."""
    return hasattr(a, "__cuda_array_interface__")


def check_placement(what: str, a, backend: str) -> None:
    """An OptcError when array `a` is in the wrong memory for `backend`: a host array given to
    `mlir-gpu` (which updates GPU arrays in place, never copying behind the caller's back), or
    a GPU array given to a CPU backend."""
    if backend == "mlir-gpu" and not _on_gpu(a):
        raise OptcError(f"{what} is a {_kind(a)} in host memory; backend `mlir-gpu` updates GPU arrays "
                        "(cupy.ndarray) in place: move it with cupy.asarray(...), or use backend `mlir` "
                        "or `llvm` for host arrays")
    if backend != "mlir-gpu" and _on_gpu(a):
        raise OptcError(f"{what} is a GPU array ({_kind(a)}); backend `{backend}` runs on the CPU: use "
                        "backend `mlir-gpu`, or copy it to the host (cupy.asnumpy)")


def _kind(a) -> str:
    return f"{type(a).__module__.split('.')[0]}.{type(a).__name__}"


def _bounds(a) -> tuple[int, int]:
    """The byte range an array spans (host or device memory; device arrays are contiguous)."""
    if _on_gpu(a):
        lo = a.__cuda_array_interface__["data"][0]
        return lo, lo + a.nbytes
    return np.byte_bounds(a) if hasattr(np, "byte_bounds") else np.lib.array_utils.byte_bounds(a)


def _check_no_overlap(params, grads) -> None:
    """Params are written in place while grads are read: no two of them may share memory."""
    spans = []
    for what, arrays in (("params", params), ("grads", grads)):
        for i, a in enumerate(arrays):
            if a.size:
                lo, hi = _bounds(a)
                spans.append((lo, hi, f"{what}[{i}]"))
    spans.sort()
    reach = None  # the written (param) span reaching furthest so far
    last_read = None
    for lo, hi, name in spans:
        for other in (reach, last_read if name.startswith("params") else None):
            if other is not None and lo < other[1]:
                raise OptcError(f"{other[2]} and {name} share memory; a param must not overlap another param or a grad")
        if name.startswith("params"):
            reach = (lo, hi, name) if reach is None or hi > reach[1] else reach
        else:
            last_read = (lo, hi, name) if last_read is None or hi > last_read[1] else last_read


def optimizer(source, name: str | None = None, backend: str | None = None, dtype=None,
              threads: int | None = None, fastmath: bool = False, **hyper) -> Optimizer:
    """An optimizer from a stdlib name or a `.opt` path; `hyper` overrides default hyperparameters.

    `threads` caps the threads the llvm backend splits large tensors across (default: all
    cores); `fastmath=True` lets it reorder float arithmetic (llvm only)."""
    return Optimizer(source, name, backend, dtype, threads, fastmath, **hyper)


def solver(source, name: str | None = None, backend: str | None = None, dtype=None, fastmath: bool = False) -> Solver:
    """A solver from a stdlib name or a `.opt` path."""
    return Solver(source, name, backend, dtype, fastmath)


def solve(source, name: str | None = None, backend: str | None = None, dtype=None, progress=None,
          fastmath: bool = False, check_finite: bool = True, **inputs) -> SolveResult:
    """Compile and run a solver in one call: `optc.solve("fista", A=A, b=b, lam=0.1, L=L)`."""
    return Solver(source, name, backend, dtype, fastmath)(progress=progress, check_finite=check_finite, **inputs)
