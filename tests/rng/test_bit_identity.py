"""The same numbers on the numpy, llvm and mlir backends, bit for bit, for float32 and float64,
in solvers (including loops that regenerate a perturbation from the iteration) and in an
optimizer run with different thread counts; regenerating a stream twice gives identical values.
The mlir backend runs where its Python bindings are installed."""

from __future__ import annotations

import numpy as np
import pytest
from optc.backends.mlir import available as mlir_available
from optc.backends.numpy.rules import random_numbers

import optc
from optc.errors import OptcError

pytestmark = pytest.mark.llvm

NP = {"f64": np.float64, "f32": np.float32}
# The backends compared with the NumPy spec.
COMPILED = ["llvm"] + (["mlir"] if mlir_available() else [])

ALL = """
solver all(x: real[n], A: real[m, k], s: real, seed: int, c: int) {
  return u = rand(seed, c, n), z = randn(seed, c, m, k), r = rademacher(seed, c, n, 2), \\
         ul = rand_like(A, seed, c), zl = randn_like(x, seed, c), rl = rademacher_like(x, seed, c), \\
         zs = randn_like(s, seed, c), us = rand_like(s, seed, c + 1), p = randperm(seed, c, n), \\
         q = random_subset(seed, c, m * k + k, k)
}
"""

REGEN = """
solver regen(x: real[n], seed: int, k: int) {
  z1 = randn_like(x, seed, k)
  z2 = randn_like(x, seed, k)
  z3 = randn_like(x, seed, k + 1)
  return same = norm(z1 - z2), other = norm(z1 - z3), z = z1
}
"""

# Sum of the perturbations of iterations 0..K-1, regenerated from the loop counter.
LOOP = """
solver walk(x: real[n], seed: int, K: int) -> real[n] {
  state acc = zeros(n)
  for k in 0..K {
    acc' = acc + randn_like(x, seed, k) + 0.5 * rademacher_like(x, seed + 1, k)
  }
  return acc
}
"""

NOISY = """
optimizer noisy(lr = 0.1, sigma = 0.01, seed = 7) {
  param p
  grad g
  p' = p - lr * g + sigma * randn_like(p, seed, t)
}
"""


def _run(programs, text, name, backend, dtype, **inputs):
    return optc.solver(programs.path(text), name, backend=backend, dtype=dtype)(**inputs).outputs


@pytest.mark.parametrize("dtype", ["f64", "f32"])
@pytest.mark.parametrize("seed, c", [(0, 0), (12345678901, -3), (-1, 2**40 + 5), (2**62, 17)])
def test_every_builtin_is_bit_identical(programs, dtype, seed, c):
    t = NP[dtype]
    inputs = {"x": np.zeros(1001, t), "A": np.zeros((7, 13), t), "s": t(1.5), "seed": seed, "c": c}
    a = _run(programs, ALL, "all", "numpy", dtype, **inputs)
    for backend in COMPILED:
        b = _run(programs, ALL, "all", backend, dtype, **inputs)
        for name in a:
            x, y = np.asarray(a[name]), np.asarray(b[name])
            if x.ndim == 0:  # scalars come back as Python floats
                x, y = x.astype(t), y.astype(t)
            assert x.dtype == y.dtype == (np.int64 if name in "pq" else t), (backend, name)
            assert x.shape == y.shape, (backend, name)
            assert x.tobytes() == y.tobytes(), (backend, name)
    assert a["z"].shape == (7, 13) and a["r"].shape == (1001, 2)
    # The reference: element i of the flattened result.
    assert np.array_equal(a["u"], random_numbers("uniform", dtype, seed, c, 1001))
    assert np.array_equal(a["z"].ravel(), random_numbers("normal", dtype, seed, c, 91))
    assert np.array_equal(a["zs"], random_numbers("normal", dtype, seed, c, 1)[0])


@pytest.mark.parametrize("backend", ["numpy", *COMPILED])
def test_empty_tensors(programs, backend):
    out = _run(programs, ALL, "all", backend, "f64", x=np.zeros(0), A=np.zeros((0, 3)), s=0.0, seed=1, c=2)
    assert out["u"].shape == (0,) and out["ul"].shape == (0, 3)
    assert out["p"].shape == (0,) and out["q"].shape == (3,) and out["q"].dtype == np.int64


@pytest.mark.parametrize("backend", ["numpy", *COMPILED])
@pytest.mark.parametrize("dtype", ["f64", "f32"])
def test_regenerated_perturbation_is_identical(programs, backend, dtype):
    out = _run(programs, REGEN, "regen", backend, dtype, x=np.zeros(500, NP[dtype]), seed=3, k=11)
    assert out["same"] == 0
    assert out["other"] > 10
    assert np.array_equal(out["z"], random_numbers("normal", dtype, 3, 11, 500))


@pytest.mark.parametrize("dtype", ["f64", "f32"])
def test_loop_counter_streams_are_bit_identical(programs, dtype):
    t = NP[dtype]
    inputs = {"x": np.zeros(300, t), "seed": 5, "K": 20}
    (ra,) = _run(programs, LOOP, "walk", "numpy", dtype, **inputs).values()
    for backend in COMPILED:
        (rb,) = _run(programs, LOOP, "walk", backend, dtype, **inputs).values()
        assert ra.tobytes() == rb.tobytes(), backend
    expected = np.zeros(300, t)
    for k in range(20):
        expected = expected + random_numbers("normal", dtype, 5, k, 300) + t(0.5) * random_numbers("rademacher", dtype, 6, k, 300)
    np.testing.assert_array_equal(ra, expected)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_optimizer_same_bits_on_every_backend_and_thread_count(programs, dtype):
    path = programs.path(NOISY)
    rng = np.random.default_rng(0)
    p0 = [rng.standard_normal(200_000).astype(dtype), rng.standard_normal((30, 40)).astype(dtype)]
    g = [np.ones_like(p) for p in p0]
    finals = []
    runs = [("numpy", None), ("llvm", 1), ("llvm", 4)] + [("mlir", None)] * ("mlir" in COMPILED)
    for backend, threads in runs:
        opt = optc.optimizer(path, "noisy", backend=backend, dtype=dtype, threads=threads)
        params = [p.copy() for p in p0]
        state = opt.init(params)
        for _ in range(3):
            opt.step(params, g, state)
        finals.append(params)
    for other in finals[1:]:
        for a, b in zip(finals[0], other):
            assert a.tobytes() == b.tobytes()
    assert not np.array_equal(finals[0][0], p0[0] - 0.3)  # the noise is there


def test_seed_and_counter_must_be_ints(programs):
    text = "solver bad(x: real[n], s: real) { return z = randn_like(x, s, 0) }\n"
    with pytest.raises(OptcError, match="seed must be an int"):
        optc.solver(programs.path(text), "bad", backend="numpy")


# The differential suite's op coverage (tests/differential/test_op_coverage.py) reads these.
PROGRAMS = {"all": ALL, "regen": REGEN, "walk": LOOP}


def test_printed_ir_parses_back(programs):
    from optc.ir.parser import parse_module
    from optc.ir.printer import print_module

    from optc.compiler import compile_source

    module = compile_source(programs.path(ALL), "all", None, "f64").module
    text = print_module(module)
    assert 'dist="normal"' in text
    assert print_module(parse_module(text)) == text


@pytest.mark.parametrize("dtype", ["f64", "f32"])
def test_a_long_normal_stream_is_bit_identical(programs, dtype):
    """2·10^5 normals: every backend calls the C library's log and cos, as the spec does, and
    gives the same bits."""
    text = "solver long(x: real[n], seed: int) -> real[n] { return z = randn_like(x, seed, 9) }\n"
    x = np.zeros(200_000, NP[dtype])
    (expected,) = _run(programs, text, "long", "numpy", dtype, x=x, seed=77).values()
    assert np.array_equal(expected, random_numbers("normal", dtype, 77, 9, x.size))
    for backend in COMPILED:
        (actual,) = _run(programs, text, "long", backend, dtype, x=x, seed=77).values()
        assert actual.tobytes() == expected.tobytes(), backend
