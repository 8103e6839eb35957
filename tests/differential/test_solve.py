"""`solve(A, b)` on every backend against NumPy's `numpy.linalg.solve` (LAPACK gesv) and against
the NumPy backend: ridge normal equations on scikit-learn's diabetes data, a non-symmetric
matrix, a matrix right-hand side, transposed and sliced views as operands, a solve in a loop;
a singular matrix is the same run-time error at the same span on every backend, including
object code loaded by a fresh process from the disk cache, and a matrix singular in exact
arithmetic but not in rounding gives the same outcome (error at the same row, or the same bits)
on every backend, since every backend calls the same LAPACK routines."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optc.backends.mlir import available as mlir_available
from optc.errors import OptcError
from tests.differential import harness
from tests.differential.tolerances import DTYPES

pytestmark = pytest.mark.llvm

BACKENDS = ["numpy", "llvm"] + (["mlir"] if mlir_available() else [])
SOURCE = """
solver ridge(X: real[m, n], y: real[m], lam: real) {
  return w = solve(X.T @ X + lam * eye(n), X.T @ y)
}

solver general(A: real[n, n], b: real[n]) {
  return x = solve(A, b)
}

solver multi(A: real[n, n], B: real[n, k]) {
  return X = solve(A, B)
}

solver views(A: real[n, n], B: real[n, k], a: int, c: int) {
  return t = solve(A.T, B[:, 0]), s = solve(A[a:c, a:c], B[a:c, :]), \\
         st = solve(A[a:c, a:c].T, B[a:c, 1])
}

solver refine(A: real[n, n], b: real[n], sweeps: int) {
  state x = zeros(n)
  trace residual = norm(A @ x - b)
  for k in 0..sweeps {
    x' = x + solve(A, b - A @ x)
  }
  return x
}
"""
# Normwise error against numpy.linalg.solve in float64, relative to max |x| (the matrices have
# condition numbers ~70-100). Measured at most 1.5e-14 (float64: mlir, whose X.T @ X sums in
# another order; 1.2e-15 on llvm) and 4.7e-6 (float32, inputs rounded to float32 first).
REFERENCE_RTOL = {"float64": 1e-13, "float32": 5e-5}
# Against the NumPy backend: llvm and mlir call the same LAPACK routines on the same
# column-major copies, so a solve of the inputs is bit-identical (asserted below); computed
# operands (`X.T @ X`, `A @ x`) may differ in the last bits. Measured at most 1.5e-14 (float64,
# ridge on mlir) and 3.9e-6 (float32, ridge on mlir; 1.8e-6 on llvm).
BACKEND_RTOL = {"float64": 1e-13, "float32": 1e-5}


@pytest.fixture(scope="module")
def source(programs):
    return programs.path(SOURCE)


def _diabetes():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return X, y


def _nonsymmetric(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n)) + n**0.5 * np.eye(n), rng.standard_normal((n, 3))


def _run(source, name, backend, dtype, **inputs):
    return harness.solver(source, name, backend, dtype)(**inputs)


def _close(got, want, rtol, what):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, what
    err = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
    assert err <= rtol, f"{what}: normwise error {err:.3g} > {rtol:g}"


def _cast(dtype, *arrays):
    return [np.asarray(a, dtype=dtype) for a in arrays]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_ridge_normal_equations_on_diabetes(source, backend, dtype):
    X, y = _diabetes()
    lam = 0.05
    want = np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)
    X32, y32 = _cast(dtype, X, y)
    got = _run(source, "ridge", backend, dtype, X=X32, y=y32, lam=lam).w
    assert got.dtype == np.dtype(dtype)
    _close(got, want, REFERENCE_RTOL[dtype], f"ridge on {backend}")
    # Also what scikit-learn's Ridge (no intercept) returns.
    from sklearn.linear_model import Ridge

    ridge = Ridge(alpha=lam, fit_intercept=False, solver="cholesky").fit(X, y)
    _close(got, ridge.coef_, REFERENCE_RTOL[dtype], "vs sklearn Ridge")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_nonsymmetric_vector_and_matrix_right_hand_sides(source, backend, dtype):
    A, B = _nonsymmetric()
    A_, B_ = _cast(dtype, A, B)
    A64, B64 = A_.astype(np.float64), B_.astype(np.float64)  # the rounded inputs, solved in f64
    x = _run(source, "general", backend, dtype, A=A_, b=B_[:, 0]).x
    _close(x, np.linalg.solve(A64, B64[:, 0]), REFERENCE_RTOL[dtype], "vector")
    X = _run(source, "multi", backend, dtype, A=A_, B=B_).X
    assert X.shape == B.shape
    _close(X, np.linalg.solve(A64, B64), REFERENCE_RTOL[dtype], "matrix")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_transposed_and_sliced_views(source, backend, dtype):
    A, B = _nonsymmetric(30, seed=1)
    a, c = 5, 22
    A_, B_ = (M.astype(np.float64) for M in _cast(dtype, A, B))
    r = _run(source, "views", backend, dtype, A=A_.astype(dtype), B=B_.astype(dtype), a=a, c=c)
    rtol = REFERENCE_RTOL[dtype]
    _close(r.t, np.linalg.solve(A_.T, B_[:, 0]), rtol, "solve(A.T, B[:, 0])")
    _close(r.s, np.linalg.solve(A_[a:c, a:c], B_[a:c, :]), rtol, "solve(A[a:c, a:c], B[a:c, :])")
    _close(r.st, np.linalg.solve(A_[a:c, a:c].T, B_[a:c, 1]), rtol, "solve(A[a:c, a:c].T, ...)")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "numpy"])
def test_backends_agree_with_the_numpy_backend(source, backend, dtype):
    """Every program above, and iterative refinement (a solve inside a loop, 4 sweeps)."""
    X, y = _diabetes()
    A, B = _nonsymmetric()
    cases = [
        ("ridge", dict(X=X, y=y, lam=0.05)),
        ("general", dict(A=A, b=B[:, 1])),
        ("multi", dict(A=A, B=B)),
        ("views", dict(A=A, B=B, a=3, c=31)),
        ("refine", dict(A=A, b=B[:, 2], sweeps=4)),
    ]
    for name, inputs in cases:
        inputs = {k: v.astype(dtype) if isinstance(v, np.ndarray) else v for k, v in inputs.items()}
        ref = _run(source, name, "numpy", dtype, **inputs)
        got = _run(source, name, backend, dtype, **inputs)
        for key, value in ref.outputs.items():
            what = f"{name}.{key} on {backend}"
            if name in ("general", "multi", "views"):  # LAPACK on the inputs themselves
                np.testing.assert_array_equal(got.outputs[key], value, err_msg=what)
            _close(got.outputs[key], value, BACKEND_RTOL[dtype], what)
        for key, value in ref.trace.items():
            assert len(got.trace[key]) == len(value) == 4
            # The residuals after a sweep are rounding noise: check their size, not their bits.
            rel = {"float64": 1e-13, "float32": 1e-5}[dtype]
            scale = rel * np.linalg.norm(inputs["b"].astype(np.float64))
            assert np.max(got.trace[key]) < scale and np.max(value) < scale


SINGULAR = [
    ("a zero column", lambda A: A.__setitem__((slice(None), 2), 0.0), 2),
    ("a zero matrix", lambda A: A.__setitem__((slice(None), slice(None)), 0.0), 0),
    ("two equal rows of small ints", lambda A: A.__setitem__(slice(None), np.array(
        [[1.0, 2.0, 3.0, 4.0, 0.0, 1.0], [2.0, 4.0, 1.0, 0.0, 1.0, 2.0]] * 3)), None),
]


@pytest.mark.parametrize("case", [c[0] for c in SINGULAR])
def test_singular_matrix_is_the_same_error_on_every_backend(source, case):
    _, make, row = next(c for c in SINGULAR if c[0] == case)
    A = np.random.default_rng(2).standard_normal((6, 6))
    make(A)
    b = np.ones(6)
    errors = {}
    for backend in BACKENDS:
        with pytest.raises(OptcError) as failure:
            _run(source, "general", backend, "float64", A=A, b=b)
        errors[backend] = str(failure.value)
    ref = errors["numpy"]
    assert "`solve` failed at run time: the matrix is singular (zero pivot at row" in ref
    assert "x = solve(A, b)" in ref and "^^^^^^^^^^^" in ref
    if row is not None:
        assert f"(zero pivot at row {row})" in ref
    for backend, text in errors.items():
        assert text == ref, f"{backend}:\n{text}\nnumpy:\n{ref}"


def _rank_deficient(seed: int) -> np.ndarray:
    """An n×n matrix (n in 2..6) of rank r < n in exact arithmetic: U @ V with two-decimal
    entries. In floating point getrf meets an exactly zero pivot on some of them and a pivot of
    rounding size (an answer near 1e16) on the others, depending on how each product rounds."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    r = int(rng.integers(1, n))
    return np.round(rng.uniform(-1, 1, (n, r)), 2) @ np.round(rng.uniform(-1, 1, (r, n)), 2)


def _outcome(source, backend, dtype, A, b):
    """("solved", x) or ("singular", the error's text)."""
    try:
        return "solved", _run(source, "general", backend, dtype, A=A, b=b).x
    except OptcError as failure:
        return "singular", str(failure)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rank_deficient_matrices_have_the_same_outcome_on_every_backend(source, dtype):
    """Whether a matrix singular in exact arithmetic is singular in floating point depends on
    the order of the factorization's roundings, so every backend must run the same one. 200
    random rank-deficient matrices (fixed seeds) and [[-0.18, -0.18], [0.18, 0.18]]: the same
    error at the same row, or bit-identical solutions, on every backend. (Gaussian elimination
    in loops of its own, dividing by the pivot, differed from the NumPy backend on 141 of the
    200 in float64 and 130 in float32, in the outcome or the bits.)"""
    matrices = [np.array([[-0.18, -0.18], [0.18, 0.18]])] + [_rank_deficient(s) for s in range(200)]
    seen = {"solved": 0, "singular": 0}
    for k, A in enumerate(matrices):
        A = A.astype(dtype)
        b = np.ones(A.shape[0], dtype=dtype)
        kind, ref = _outcome(source, "numpy", dtype, A, b)
        seen[kind] += 1
        for backend in BACKENDS[1:]:
            got_kind, got = _outcome(source, backend, dtype, A, b)
            assert got_kind == kind, f"matrix {k} on {backend}: {got_kind}, numpy: {kind}\n{A}"
            if kind == "singular":
                assert got == ref, f"matrix {k} on {backend}:\n{got}\nnumpy:\n{ref}"
            else:
                np.testing.assert_array_equal(got, ref, err_msg=f"matrix {k} on {backend}")
    # The batch exercises both outcomes (singular: 80 of 201 in float64, 101 in float32).
    assert seen["solved"] > 50 and seen["singular"] > 50, seen


def test_a_matrix_singular_only_in_exact_arithmetic_gets_lapacks_answer(source):
    """getrf scales the column by the reciprocal of the pivot: the multiplier for
    [[-0.18, -0.18], [0.18, 0.18]] is 0.18 * (1 / -0.18) = -0.9999999999999999, not the
    quotient -1, so U[1, 1] = 2^-55 is no zero pivot and the answer is ±2^56 on every backend
    (dividing by the pivot instead would call the matrix singular)."""
    A = np.array([[-0.18, -0.18], [0.18, 0.18]])
    for backend in BACKENDS:
        x = _run(source, "general", backend, "float64", A=A, b=np.ones(2)).x
        np.testing.assert_array_equal(x, [-(2.0**56), 2.0**56], err_msg=backend)


def test_a_nearly_singular_matrix_is_solved_not_rejected(source):
    """Only an exact zero pivot is an error: an ill-conditioned matrix gives LAPACK's answer."""
    A = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-13]])
    b = np.array([2.0, 2.0 + 1e-13])
    for backend in BACKENDS:
        x = _run(source, "general", backend, "float64", A=A, b=b).x
        np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-2)


def test_object_code_from_the_disk_cache_binds_lapack(source, tmp_path):
    """A fresh process loads the compiled solve from the disk cache (no compilation) and must
    bind the LAPACK symbols before running it; its singular error points at the same span."""
    script = (
        "import numpy as np, optc\n"
        "from optc.errors import OptcError\n"
        f"s = optc.solver({str(source)!r}, 'general', backend='llvm')\n"
        "A = np.array([[4.0, 1.0], [2.0, 3.0]])\n"
        "print(repr(s(A=A, b=np.array([1.0, 2.0])).x.tolist()))\n"
        "try:\n    s(A=np.zeros((2, 2)), b=np.ones(2))\n"
        "except OptcError as e:\n    print(str(e).splitlines()[0])\n"
    )
    env = {**os.environ, "OPTC_CACHE_DIR": str(tmp_path)}
    command = [sys.executable, "-c", script]
    runs = [subprocess.run(command, env=env, capture_output=True, text=True, check=True) for _ in range(2)]
    assert any(tmp_path.rglob("*")), "nothing was written to the disk cache"
    assert runs[0].stdout == runs[1].stdout
    x = ast.literal_eval(runs[1].stdout.splitlines()[0])
    np.testing.assert_allclose(x, np.linalg.solve([[4.0, 1.0], [2.0, 3.0]], [1.0, 2.0]), rtol=1e-15)
    assert "the matrix is singular (zero pivot at row 0)" in runs[1].stdout


def test_the_disk_cache_key_covers_what_compiled_solves_depend_on():
    """Object code in the llvm disk cache bakes in the run-time messages (`ir/ops.py`), the
    LAPACK symbol names (`backends/scipy_symbols.py`) and the NumPy rules' constants: editing
    any of them must change the key, so their files are hashed with the code generator's."""
    import inspect

    from optc.backends import scipy_symbols
    from optc.backends.llvm import codegen, disk_cache, lapack
    from optc.backends.numpy import rules
    from optc.ir import ops

    hashed = {p.resolve() for p in disk_cache.codegen_sources()}
    for module in (ops, scipy_symbols, rules, codegen, lapack, disk_cache):
        assert Path(inspect.getfile(module)).resolve() in hashed, module.__name__


LONG_LOOP = """
solver damped(A: real[n, n], b: real[n], sweeps: int) {
  state x = zeros(n)
  for k in 0..sweeps {
    x' = x + 0.5 * solve(A, b - A @ x)
  }
  return x
}
"""


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "numpy"])
def test_a_solve_in_a_long_loop_does_not_grow_the_stack(programs, backend):
    """LAPACK takes its ints by reference: their stack slots are released each iteration (on
    mlir a `memref.alloca_scope`), or a million sweeps (~100 MB of slots) would overflow the
    stack. Damped refinement converges to numpy.linalg.solve's answer."""
    A, b = np.array([[4.0, 1.0], [2.0, 3.0]]), np.array([1.0, 2.0])
    x = _run(programs.path(LONG_LOOP), "damped", backend, "float64", A=A, b=b, sweeps=1_000_000).x
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-15)


LIBRARY_NAMES = """
solver dgetrf(A: real[n, n], b: real[n]) {
  return x = solve(A, A @ b)
}

solver sgemv(A: real[n, n], b: real[n]) {
  return x = A @ solve(A, b)
}
"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_solvers_named_like_the_blas_and_lapack_routines(programs, backend, dtype):
    """The routines' symbols cannot clash with those of the user's functions (`optc_<name>`):
    solvers named `dgetrf` and `sgemv` that call LAPACK and BLAS compile and run."""
    source = programs.path(LIBRARY_NAMES)
    A, B = _nonsymmetric(8, seed=3)
    A_, b_ = _cast(dtype, A, B[:, 0])
    for name in ("dgetrf", "sgemv"):
        x = _run(source, name, backend, dtype, A=A_, b=b_).x
        _close(x, b_.astype(np.float64), REFERENCE_RTOL[dtype], f"{name} on {backend}")


UNKNOWN_DIMS = """func @f(%A: f64[?,?], %b: f64[?]) -> (f64[?]) {kind="solver"} {
  %x: f64[?] = solve %A, %b
  return %x
}"""


@pytest.mark.parametrize("shapes,message", [
    (((3, 4), 3), "the matrix is 3×4, not square"),
    (((3, 3), 4), "the right-hand side has 4 rows for a matrix of size 3"),
])
def test_shapes_unknown_until_run_time_are_checked(shapes, message):
    """Dimensions the types leave open (`?`) are checked when the solve runs, with the same
    message on every backend (programs whose dimensions have names are checked at compile
    time: tests/bad_input/programs/8*_solve_*)."""
    from optc.backends.llvm import LLVMExecutable
    from optc.backends.numpy.interpreter import run_function
    from optc.ir.parser import parse_module

    module = parse_module(UNKNOWN_DIMS)
    args = [np.ones(shapes[0]), np.ones(shapes[1])]
    runs = {"numpy": lambda: run_function(module, "f", args),
            "llvm": lambda: LLVMExecutable(module).run("f", args)}
    if mlir_available():
        from optc.backends.mlir import MLIRExecutable

        runs["mlir"] = lambda: MLIRExecutable(module).run("f", args)
    for backend, run in runs.items():
        with pytest.raises(OptcError) as failure:
            run()
        assert failure.value.message == f"`solve` failed at run time: {message}", backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_systems(source, backend):
    """n = 0 or no right-hand sides: empty results of the right shapes, no LAPACK error."""
    assert _run(source, "general", backend, "float64", A=np.zeros((0, 0)), b=np.zeros(0)).x.shape == (0,)
    assert _run(source, "multi", backend, "float64", A=np.zeros((0, 0)), B=np.zeros((0, 3))).X.shape == (0, 3)
    assert _run(source, "multi", backend, "float64", A=2 * np.eye(2), B=np.zeros((2, 0))).X.shape == (2, 0)
