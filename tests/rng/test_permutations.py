"""randperm and random_subset: the definition (a Fisher-Yates shuffle driven by Philox words
with Lemire's rejection), bit identity of numpy, llvm and mlir over many (seed, counter, n, k)
including draws that take the rejection path, uniformity (chi-square tests with fixed seeds,
and a deliberately biased shuffle that the same test rejects), and the errors."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from optc.backends.numpy.rules import random_subset, subset_words
from scipy import stats

import optc
from optc.errors import OptcError
from tests.rng.test_bit_identity import COMPILED

pytestmark = pytest.mark.llvm

# A program in the working real type that uses the permutation in a loop, like a shuffled sweep
# (over the first `sweep` positions: the NumPy interpreter runs loops in Python).
SHUFFLE = """
solver shuffle(x: real[n], seed: int, c: int, k: int, sweep: int) {
  p = randperm(seed, c, n)
  q = random_subset(seed, c, n, k)
  state acc = zeros(n)
  for t in 0..sweep {
    acc'[p[t]] = acc[p[t]] + x[p[t]] * (t + 1)
  }
  return p = p, q = q, acc = acc
}
"""

# (seed, counter, n, k): small and large n, k from 0 to n, extreme seeds and counters.
CASES = [
    (0, 0, 1, 1), (0, 0, 2, 0), (1, 2, 2, 2), (7, 3, 10, 4), (12345678901, -3, 57, 57),
    (-1, 2**40 + 5, 100, 13), (2**62, 17, 1000, 999), (5, 2**63 - 1, 333, 0), (99, 1, 4096, 100),
]
# n large enough that some Fisher-Yates draws are rejected (checked below).
REJECTING = [(5, 4, 300_000, 300_000), (0, 0, 200_000, 50_000)]


def _rejections(seed: int, c: int, n: int, k: int) -> int:
    """How many of the first k steps reject their first word (Lemire's test, vectorized)."""
    s = n - np.arange(k, dtype=np.uint64)
    w = subset_words(seed, c, np.arange(k, dtype=np.uint64), 0)
    threshold = (np.uint64(2**32) - s) % s
    return int(np.sum((w * s) & np.uint64(0xFFFFFFFF) < threshold))


def test_the_rejection_cases_reject():
    """The large cases exercise the rejection loop; the small ones never reject."""
    assert all(_rejections(*case) > 0 for case in REJECTING)


@pytest.mark.parametrize("seed, c, n, k", CASES + REJECTING)
def test_definition(seed, c, n, k):
    p, q = random_subset(seed, c, n, n), random_subset(seed, c, n, k)
    assert p.dtype == q.dtype == np.int64 and p.shape == (n,) and q.shape == (k,)
    assert np.array_equal(np.sort(p), np.arange(n))
    assert np.array_equal(q, p[:k])  # a subset is a prefix of the permutation of its stream


def test_first_step_follows_lemire():
    """Step 0 of n = 10 swaps position 0 with (w0 * 10) >> 32, w0 the first word of element
    2^63 of the stream (no rejection for these seeds: the threshold 2^32 mod 10 = 6)."""
    for seed in range(20):
        w = int(subset_words(seed, 5, 0, 0))
        assert (w * 10) & 0xFFFFFFFF >= 6
        assert random_subset(seed, 5, 10, 1)[0] == (w * 10) >> 32


@pytest.mark.parametrize("dtype", ["f64", "f32"])
def test_bit_identical_on_every_backend(programs, dtype):
    t = np.float64 if dtype == "f64" else np.float32
    path = programs.path(SHUFFLE)
    backends = ["numpy", *COMPILED]
    solvers = {b: optc.solver(path, "shuffle", backend=b, dtype=dtype) for b in backends}
    for seed, c, n, k in CASES + REJECTING:
        x = np.linspace(-1, 1, n).astype(t)
        inputs = {"x": x, "seed": seed, "c": c, "k": k, "sweep": min(n, 500)}
        expected = solvers["numpy"](**inputs).outputs
        assert np.array_equal(expected["p"], random_subset(seed, c, n, n))
        for backend in COMPILED:
            actual = solvers[backend](**inputs).outputs
            for name in ("p", "q", "acc"):
                a, e = np.asarray(actual[name]), np.asarray(expected[name])
                where = (backend, seed, c, n, k, name)
                assert a.dtype == e.dtype and a.tobytes() == e.tobytes(), where


# ---------------------------------------------------------------- uniformity

SAMPLES = 24_000


def _positions_chi2(perms: np.ndarray) -> float:
    """p-value of the chi-square test that each value is equally likely at each position."""
    n = perms.shape[1]
    counts = np.zeros((n, n))
    for pos in range(n):
        counts[pos] += np.bincount(perms[:, pos], minlength=n)
    expected = len(perms) / n
    statistic = np.sum((counts - expected) ** 2 / expected)
    return stats.chi2.sf(statistic, (n - 1) ** 2)


def _frequencies_chi2(samples: list[tuple], categories: int) -> float:
    """p-value of the chi-square test that `categories` outcomes are equally likely."""
    counts = np.array(list(Counter(samples).values()), dtype=float)
    assert len(counts) == categories  # every outcome occurs
    return stats.chisquare(counts).pvalue


def test_positions_are_uniform():
    perms = np.array([random_subset(seed, 0, 8, 8) for seed in range(SAMPLES)])
    assert _positions_chi2(perms) > 1e-3


def test_positions_are_uniform_over_counters():
    perms = np.array([random_subset(42, c, 8, 8) for c in range(SAMPLES)])
    assert _positions_chi2(perms) > 1e-3


def test_the_position_test_detects_a_biased_shuffle():
    """The naive shuffle that swaps position i with any position (not one at or after i) is
    biased; the same test on the same number of samples rejects it."""

    def naive(seed: int) -> np.ndarray:
        perm = np.arange(8)
        words = subset_words(seed, 0, np.arange(8, dtype=np.uint64), 0)
        for i, w in enumerate(words.tolist()):
            j = (w * 8) >> 32
            perm[i], perm[j] = perm[j], perm[i]
        return perm

    assert _positions_chi2(np.array([naive(seed) for seed in range(SAMPLES)])) < 1e-6


@pytest.mark.parametrize("n", [3, 4])
def test_every_permutation_is_equally_likely(n):
    samples = [tuple(random_subset(seed, 1, n, n)) for seed in range(SAMPLES)]
    assert set(samples) == set(itertools.permutations(range(n)))
    assert _frequencies_chi2(samples, math.factorial(n)) > 1e-3


def test_subsets_are_uniform():
    """k = 3 of n = 7: the 35 subsets are equally likely, and so are the 210 orders."""
    samples = [tuple(random_subset(seed, 2, 7, 3)) for seed in range(SAMPLES)]
    assert _frequencies_chi2([tuple(sorted(s)) for s in samples], math.comb(7, 3)) > 1e-3
    assert _frequencies_chi2(samples, math.perm(7, 3)) > 1e-3


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("backend", ["numpy", *COMPILED])
@pytest.mark.parametrize("n, k", [(5, 6), (5, -1), (-2, 0)])
def test_bad_sizes_are_errors_at_the_call(programs, backend, n, k):
    text = "solver pick(seed: int, n: int, k: int) {\n  return q = random_subset(seed, 0, n, k)\n}"
    solver = optc.solver(programs.path(text), "pick", backend=backend)
    message = rf"cannot choose k = {k} distinct indices of 0..n-1 for n = {n}"
    with pytest.raises(OptcError, match=message) as err:
        solver(seed=1, n=n, k=k)
    assert ":2:14: error:" in str(err.value) and "^" in str(err.value)


@pytest.mark.parametrize("backend", ["numpy", *COMPILED])
def test_too_large_n_is_an_error(programs, backend):
    """Checked before anything is allocated."""
    text = "solver pick(seed: int, n: int) {\n  return q = random_subset(seed, 0, n, 0)\n}\n"
    solver = optc.solver(programs.path(text), "pick", backend=backend)
    with pytest.raises(OptcError, match=r"random_subset needs n <= 2\^32, got n = 4294967297"):
        solver(seed=1, n=2**32 + 1)


def test_literal_sizes_are_checked_at_compile_time(programs):
    text = "solver pick(seed: int) {\n  return q = random_subset(seed, 0, 3, 4)\n}\n"
    with pytest.raises(OptcError, match="cannot choose 4 distinct indices of 3"):
        optc.solver(programs.path(text), "pick", backend="numpy")
    text = "solver perm(seed: real) {\n  return p = randperm(seed, 0, 3)\n}\n"
    with pytest.raises(OptcError, match="seed must be an int"):
        optc.solver(programs.path(text), "perm", backend="numpy")
