"""The distributions: moments within a few standard errors over 10^6 samples, Kolmogorov–Smirnov
tests (scipy.stats) for the normal and the uniform, the balance of Rademacher signs, and
independence across seeds and counters. Sampled by the NumPy reference (the LLVM backend gives
the same bits: test_bit_identity.py)."""

from __future__ import annotations

import numpy as np
import pytest
from optc.backends.numpy.rules import random_numbers
from scipy import stats

N = 10**6


@pytest.fixture(scope="module", params=["f64", "f32"])
def dtype(request):
    return request.param


def test_uniform_moments_range_and_ks(dtype):
    u = random_numbers("uniform", dtype, 2024, 7, N).astype(np.float64)
    assert u.min() >= 0.0 and u.max() < 1.0
    se_mean = np.sqrt(1 / 12 / N)
    assert abs(u.mean() - 0.5) < 5 * se_mean
    se_var = np.sqrt((1 / 80 - 1 / 144) / N)  # Var((U - 1/2)^2) = 1/80 - 1/144
    assert abs(u.var() - 1 / 12) < 5 * se_var
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_normal_moments_and_ks(dtype):
    z = random_numbers("normal", dtype, 2024, 7, N).astype(np.float64)
    assert np.isfinite(z).all()
    assert abs(z.mean()) < 5 / np.sqrt(N)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / N)
    assert abs(stats.skew(z)) < 5 * np.sqrt(6 / N)
    assert abs(stats.kurtosis(z)) < 5 * np.sqrt(24 / N)
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_rademacher_balance(dtype):
    s = random_numbers("rademacher", dtype, 2024, 7, N)
    assert set(np.unique(s)) == {-1.0, 1.0}
    assert abs(s.mean()) < 5 / np.sqrt(N)
    assert abs(np.mean(s[1:] * s[:-1])) < 5 / np.sqrt(N)  # neighbours uncorrelated


@pytest.mark.parametrize("dist", ["uniform", "normal", "rademacher"])
def test_independent_across_seeds_and_counters(dist):
    n = 200_000
    base = random_numbers(dist, "f64", 1, 0, n)
    others = [random_numbers(dist, "f64", 2, 0, n), random_numbers(dist, "f64", 1, 1, n),
              random_numbers(dist, "f64", 1 + 2**32, 0, n), random_numbers(dist, "f64", 1, 2**32, n),
              random_numbers(dist, "f64", -1, -1, n)]
    for other in others:
        assert not np.array_equal(base, other)
        assert abs(np.corrcoef(base, other)[0, 1]) < 5 / np.sqrt(n)
    if dist != "rademacher":
        assert len(np.unique(base)) == n  # no repeated values in a stream


def test_same_stream_same_numbers_and_prefix_property():
    a = random_numbers("normal", "f64", 99, 3, 1000)
    b = random_numbers("normal", "f64", 99, 3, 1500)
    assert np.array_equal(a, b[:1000])  # element i depends on (seed, counter, i) only


def test_uniform_values_follow_the_definition():
    """uniform f32 = (w0 >> 8) 2^-24 and f64 = ((w1 << 32 | w0) >> 11) 2^-53, with Philox of
    (i, 0, 0, 0) under key (0, 0): element 0 is built from the first known-answer vector."""
    w0, w1 = 0x6627E8D5, 0xE169C58D
    assert random_numbers("uniform", "f32", 0, 0, 1)[0] == np.float32((w0 >> 8) * 2.0**-24)
    assert random_numbers("uniform", "f64", 0, 0, 1)[0] == (((w1 << 32) | w0) >> 11) * 2.0**-53
    assert random_numbers("rademacher", "f64", 0, 0, 1)[0] == 1.0  # w0's top bit is 0
