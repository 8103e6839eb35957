"""Shared helpers for the benchmark scripts: the run header, timing, and table printing.

Every script measures its peers in one process and reports medians. `compare` interleaves the
peers in rounds (A B C, B C A, …) so that a burst of load from another process on this small
machine lands on all of them rather than on whichever happened to run at that moment. Each
sample times `number` back-to-back calls (chosen so that a sample lasts at least ~2 ms, well
above the timer's resolution) and records the time per call; the median of those samples is
the reported figure, with the interquartile range beside it as the spread.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_START_LOAD: tuple[float, float, float] | None = None
_START_CPU: tuple[float, float, float] | None = None  # (machine busy s, own CPU s, wall s)


def _cpu_snapshot() -> tuple[float, float, float] | None:
    """CPU seconds the whole machine spent busy (steal included), this process's own CPU
    seconds (finished children included), and the wall clock."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    t = os.times()
    own = t.user + t.system + t.children_user + t.children_system
    return busy, own, time.perf_counter()


# ---------------------------------------------------------------------------------------------
# Command line


def parser(description: str, budget: float, quick_budget: float) -> argparse.ArgumentParser:
    """An argument parser with the options every script shares."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"shorter run (time budget {quick_budget} s per peer and case)",
    )
    p.add_argument(
        "--budget",
        type=float,
        default=None,
        help=f"seconds of timed calls per peer and case (default {budget}, {quick_budget} with --quick)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="interleaved rounds over the peers (default 5, 3 with --quick)",
    )
    p.set_defaults(_budget=budget, _quick_budget=quick_budget)
    return p


def settle(args: argparse.Namespace) -> argparse.Namespace:
    """Fill in the budget and rounds from --quick when not given explicitly."""
    if args.budget is None:
        args.budget = args._quick_budget if args.quick else args._budget
    if args.rounds is None:
        args.rounds = 3 if args.quick else 5
    return args


# ---------------------------------------------------------------------------------------------
# Header: what ran, where and when


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "?"


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode != 0:
            return "?"
        return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def _version(module: str) -> str | None:
    try:
        mod = __import__(module)
    except Exception:  # noqa: BLE001 - an optional peer may fail to import in many ways
        return None
    return getattr(mod, "__version__", "?")


def _blas() -> str:
    try:
        import threadpoolctl

        infos = threadpoolctl.threadpool_info()
    except Exception:  # noqa: BLE001
        return "?"
    parts = [
        f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads)"
        for i in infos
        if i.get("user_api") == "blas"
    ]
    return ", ".join(parts) or "?"


def header(title: str, modules: tuple[str, ...] = (), notes: tuple[str, ...] = ()) -> None:
    """Print the run's header: date, machine, versions of the libraries in `modules`."""
    print(f"# {title}")
    now = datetime.datetime.now(datetime.timezone.utc).astimezone()
    print(f"date:     {now.isoformat(timespec='seconds')}")
    print(
        f"machine:  {_cpu_model()}, {os.cpu_count()} logical CPUs, {_memory_gib()} RAM, "
        f"{platform.system()} {platform.release()}"
    )
    global _START_LOAD, _START_CPU
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    _START_LOAD = load
    _START_CPU = _cpu_snapshot()
    if load:
        print(f"load:     {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min, at start)")
    versions = [f"python {platform.python_version()}"]
    for m in ("numpy", "optc", "llvmlite", *modules):
        v = _version(m)
        versions.append(f"{m} {v}" if v else f"{m} (not importable)")
    print(f"versions: {', '.join(versions)}")
    print(f"optc git: {_git()}")
    print(f"blas:     {_blas()}")
    for n in notes:
        print(f"note:     {n}")
    print()


def footer() -> None:
    """Say how much CPU time other processes took during the run (from /proc/stat)."""
    cpus = os.cpu_count() or 1
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        print(f"\nload average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")
    end = _cpu_snapshot()
    if _START_CPU is None or end is None:
        return
    wall = end[2] - _START_CPU[2]
    others = max(0.0, (end[0] - _START_CPU[0]) - (end[1] - _START_CPU[1]))
    share = others / (wall * cpus) if wall > 0 else 0.0
    print(
        f"other processes (and hypervisor steal) used {share:.0%} of the {cpus} CPUs' time during "
        f"this run ({others:.1f} CPU-s over {wall:.0f} s)"
    )
    if share > 0.1:
        print(
            "WARNING: other processes competed for the CPUs during this run, so the times above "
            "(of multi-threaded peers most of all) are inflated and noisy; rerun on a quiet "
            "machine before relying on them."
        )


# ---------------------------------------------------------------------------------------------
# Timing


@dataclass
class Timing:
    """Per-call times of one peer: median, quartiles, how many samples of how many calls."""

    samples: list[float]
    number: int

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def q1(self) -> float:
        return _quantile(self.samples, 0.25)

    @property
    def q3(self) -> float:
        return _quantile(self.samples, 0.75)

    @property
    def shape(self) -> str:
        return f"{len(self.samples)}x{self.number}"


def _quantile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _one(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare(
    fns: dict[str, Callable[[], object]],
    budget: float,
    rounds: int,
    *,
    warmup: int = 3,
    min_samples: int = 5,
    max_samples: int = 400,
    min_sample_s: float = 2e-3,
    verbose: bool = True,
) -> dict[str, Timing]:
    """Time each zero-argument callable; peers are interleaved over `rounds` rounds.

    `budget` is the timed seconds per peer, spread evenly over the rounds: in each round a peer
    takes samples until its share of the budget is spent, but at least its share of
    `min_samples` and at most its share of `max_samples`. Calls shorter than 20 ms get one
    untimed call at the start of each of their blocks, so that caches and branch predictors
    are warm again after the other peers ran.
    """
    plan: dict[str, tuple[int, bool]] = {}
    for name, fn in fns.items():
        fn()
        # The fastest of a few calls: a call delayed by another process must not shrink the
        # batch size (or, for slow calls, the sample count) for the whole measurement.
        once = min(_one(fn), _one(fn))
        if once < 0.02:  # cheap calls: warm up properly; slow ones are warm after a few calls
            for _ in range(warmup):
                fn()
            once = min(_one(fn) for _ in range(5))
        number = max(1, math.ceil(min_sample_s / max(once, 1e-9)))
        plan[name] = (number, once < 0.02)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    share = budget / rounds
    lo, hi = max(1, math.ceil(min_samples / rounds)), max(1, math.ceil(max_samples / rounds))
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                fn = fns[name]
                number, rewarm = plan[name]
                if rewarm:
                    fn()
                start, taken = time.perf_counter(), 0
                while taken < lo or (taken < hi and time.perf_counter() - start < share):
                    t0 = time.perf_counter()
                    for _ in range(number):
                        fn()
                    samples[name].append((time.perf_counter() - t0) / number)
                    taken += 1
            if verbose:
                print(f"  round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: Timing(samples[name], plan[name][0]) for name in fns}


# ---------------------------------------------------------------------------------------------
# Formatting


def fmt_time(s: float) -> str:
    if math.isnan(s):
        return "-"
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.3g} µs" if s < 1e-4 else f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms" if s < 1e-1 else f"{s * 1e3:.0f} ms"
    return f"{s:.3g} s"


def fmt_ratio(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"{x:.3g}x" if x < 100 else f"{x:.0f}x"


def timing_cells(name: str, t, ref_t: float) -> list[str]:
    """The first cells of a results row: name, median, IQR, sample shape, ratio to `ref_t`."""
    return [name, fmt_time(t.median), f"{fmt_time(t.q1)} – {fmt_time(t.q3)}", t.shape, fmt_ratio(t.median / ref_t)]


def table(headers: list[str], rows: list[list[str]], align: str | None = None) -> None:
    """Print a plain-text table; `align` has one 'l' or 'r' per column (default: first left)."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [
        max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
        for i, h in enumerate(headers)
    ]

    def line(cells):
        return "  ".join(
            str(c).ljust(w) if a == "l" else str(c).rjust(w)
            for c, w, a in zip(cells, widths, align)
        )

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
