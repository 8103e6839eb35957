"""Compile and import times: `import optc`, parse -> native for stdlib `adam`, loads from the disk cache.

    python benchmarks/compile_time.py [--quick] [--runs N] [--name adam] [--other lion]

Every figure is the median over N fresh Python processes (`sys.executable`), timed inside the
process with time.perf_counter, so interpreter start-up is never counted. Each process gets its
own empty OPTC_CACHE_DIR unless the row says otherwise, so "cold" is really cold whatever is in
the user's cache directory.

  import optc                  `import optc` in a fresh process (numpy included), and after numpy
  import llvmlite.binding      llvmlite's own import, which the compile rows leave out
  cold compile                 optc, numpy and llvmlite.binding are imported before the timer;
                               timed: optc.optimizer(NAME, backend="llvm", dtype="float32"), which
                               parses, lowers, optimizes the IR and JIT-compiles it to native code
                               - with an empty cache directory (the parser's grammar cache is
                                 built too), and
                               - with only the grammar cache present (a program seen for the first
                                 time by an installed optc): the figure for the DESIGN target
  front end only               the same construction with backend="numpy" (grammar cached): the
                               parse/lower/IR-pass share of the cold compile
  first step                   the first opt.step on one 16-element tensor after construction
  another optimizer            OTHER compiled next, in the same process (one-time set-up paid)
  from the disk cache          a fresh process constructing NAME when a cache directory already
                               holds its IR and kernel (measured only if the llvm backend wrote
                               one), then OTHER, also cached, in the same process: the load itself
                               without optc's own module imports
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

HEAVY = ("torch", "jax", "mlir", "llvmlite", "scipy", "sklearn", "lark", "networkx", "numba")

IMPORT_OPTC = """
import json, sys, time
t0 = time.perf_counter()
import optc
t1 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "heavy": [m for m in HEAVY if m in sys.modules]}))
"""

IMPORT_AFTER_NUMPY = """
import json, sys, time
import numpy
t0 = time.perf_counter()
import optc
t1 = time.perf_counter()
print(json.dumps({"import": t1 - t0}))
"""

IMPORT_LLVMLITE = """
import json, time
t0 = time.perf_counter()
import llvmlite.binding
t1 = time.perf_counter()
print(json.dumps({"import": t1 - t0}))
"""

COMPILE = """
import json, sys, time
import numpy as np
import optc
import llvmlite.binding
t0 = time.perf_counter()
opt = optc.optimizer(NAME, backend=BACKEND, dtype="float32")
t1 = time.perf_counter()
p, g = [np.ones(16, np.float32)], [np.full(16, 0.5, np.float32)]
state = opt.init(p)
opt.step(p, g, state)
t2 = time.perf_counter()
out = {"construct": t1 - t0, "first_step": t2 - t1}
if OTHER:
    t3 = time.perf_counter()
    optc.optimizer(OTHER, backend=BACKEND, dtype="float32")
    out["other"] = time.perf_counter() - t3
print(json.dumps(out))
"""


PROFILE = """
import cProfile, io, pstats, time
import numpy as np
import optc
import llvmlite.binding
prof = cProfile.Profile()
prof.enable()
optc.optimizer(NAME, backend="llvm", dtype="float32")
prof.disable()
out = io.StringIO()
pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(TOP)
print(out.getvalue())
"""


def run_child(code: str, env_extra: dict | None = None, raw: bool = False, **subst):
    for k, v in {"HEAVY": repr(HEAVY), **subst}.items():
        code = code.replace(k, v)
    env = dict(os.environ)
    env.pop("OPTC_CACHE_DIR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed optc has its .pyc files; the warm-up writes them
    env.update(env_extra or {})
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=C.REPO,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed (rc {proc.returncode}):\n{proc.stderr.strip()[-2000:]}")
    if raw:
        return proc.stdout
    return json.loads(proc.stdout.strip().splitlines()[-1])


def files_under(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def stats(xs: list[float]) -> list[str]:
    return [
        C.fmt_time(statistics.median(xs)),
        C.fmt_time(min(xs)),
        C.fmt_time(max(xs)),
        str(len(xs)),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="3 processes per row instead of 7")
    p.add_argument(
        "--runs", type=int, default=None, help="fresh processes per row (default 7, 3 with --quick)"
    )
    p.add_argument("--name", default="adam", help="the stdlib optimizer to compile (default adam)")
    p.add_argument(
        "--other",
        default="lion",
        help="a second optimizer compiled in the same process (default lion)",
    )
    p.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=25,
        default=0,
        metavar="TOP",
        help="also print cProfile's TOP (default 25) entries by cumulative time for a cold and a cached construction",
    )
    args = p.parse_args()
    runs = args.runs or (3 if args.quick else 7)
    name, other = repr(args.name), repr(args.other)
    llvm_src = C.REPO / "backends" / "llvm"
    mentions = sorted(
        str(f.relative_to(C.REPO))
        for f in llvm_src.rglob("*.py")
        if "OPTC_CACHE_DIR" in f.read_text()
    )
    C.header(
        "Compile and import times",
        (),
        (
            f"{runs} fresh processes per row; each with its own empty OPTC_CACHE_DIR unless stated",
            "backends/llvm/ sources naming OPTC_CACHE_DIR: "
            + (", ".join(mentions) or "none")
            + " (optc/cache.py resolves the directory)",
        ),
    )
    rows, verdicts, profiles = [], [], {}
    tmp_root = Path(tempfile.mkdtemp(prefix="optc-bench-"))
    try:
        # Warm the OS file cache and the .pyc files once; not recorded.
        run_child(IMPORT_OPTC)
        run_child(
            COMPILE,
            {"OPTC_CACHE_DIR": str(tmp_root / "warmup")},
            NAME=name,
            BACKEND="'llvm'",
            OTHER="None",
        )

        results = [run_child(IMPORT_OPTC) for _ in range(runs)]
        t_import = [r["import"] for r in results]
        rows.append(["import optc (numpy included)", *stats(t_import)])
        rows.append(
            [
                "import optc, numpy already imported",
                *stats([run_child(IMPORT_AFTER_NUMPY)["import"] for _ in range(runs)]),
            ]
        )
        rows.append(
            [
                "import llvmlite.binding",
                *stats([run_child(IMPORT_LLVMLITE)["import"] for _ in range(runs)]),
            ]
        )
        heavy = sorted({m for r in results for m in r["heavy"]})

        # A cache directory holding only the parser's grammar cache.
        grammar_only = tmp_root / "grammar-only"
        run_child(
            COMPILE,
            {"OPTC_CACHE_DIR": str(grammar_only)},
            NAME=name,
            BACKEND="'numpy'",
            OTHER="None",
        )
        for folder in ("ir", "llvm"):  # keep the grammar only: that run also cached adam's IR
            shutil.rmtree(grammar_only / folder, ignore_errors=True)
        grammar_files = files_under(grammar_only)

        def fresh_dir(i: int, with_grammar: bool) -> Path:
            d = tmp_root / f"run-{i}-{'g' if with_grammar else 'e'}"
            if with_grammar:
                shutil.copytree(grammar_only, d)
            else:
                d.mkdir()
            return d

        cold_empty, cold, front, first, second = [], [], [], [], []
        for i in range(runs):
            r = run_child(
                COMPILE,
                {"OPTC_CACHE_DIR": str(fresh_dir(i, False))},
                NAME=name,
                BACKEND="'llvm'",
                OTHER="None",
            )
            cold_empty.append(r["construct"])
            r = run_child(
                COMPILE,
                {"OPTC_CACHE_DIR": str(fresh_dir(i, True))},
                NAME=name,
                BACKEND="'llvm'",
                OTHER=other,
            )
            cold.append(r["construct"])
            first.append(r["first_step"])
            second.append(r["other"])
            d = tmp_root / f"run-{i}-g"
            shutil.rmtree(d)
            shutil.copytree(grammar_only, d)
            front.append(
                run_child(
                    COMPILE, {"OPTC_CACHE_DIR": str(d)}, NAME=name, BACKEND="'numpy'", OTHER="None"
                )["construct"]
            )
        rows.append([f"cold compile {args.name} -> native, empty cache dir", *stats(cold_empty)])
        rows.append([f"cold compile {args.name} -> native, grammar cached", *stats(cold)])
        rows.append(["  front end + IR passes only (backend=numpy)", *stats(front)])
        rows.append(["  first step after construction (f32, 16 elements)", *stats(first)])
        rows.append([f"cold compile {args.other} next, in the same process", *stats(second)])

        # The disk cache: populate a directory once, see whether the llvm backend wrote anything.
        populated = tmp_root / "populated"
        shutil.copytree(grammar_only, populated)
        run_child(
            COMPILE, {"OPTC_CACHE_DIR": str(populated)}, NAME=name, BACKEND="'llvm'", OTHER="None"
        )
        after = files_under(populated)
        written = sorted(set(after) - set(grammar_files))
        cache_note = None
        if not written:
            cache_note = (
                "no disk cache: compiling with the llvm backend wrote no files under OPTC_CACHE_DIR, "
                "so there is no cached-load time to measure"
            )
        else:
            cached = [
                run_child(
                    COMPILE,
                    {"OPTC_CACHE_DIR": str(populated)},
                    NAME=name,
                    BACKEND="'llvm'",
                    OTHER="None",
                )["construct"]
                for _ in range(runs)
            ]
            rewritten = [f for f in written if files_under(populated).get(f) != after[f]]
            rows.append(
                [f"construct {args.name} from the disk cache (fresh process)", *stats(cached)]
            )
            run_child(
                COMPILE, {"OPTC_CACHE_DIR": str(populated)}, NAME=name, BACKEND="'llvm'", OTHER=other
            )
            cached_next = [
                run_child(
                    COMPILE,
                    {"OPTC_CACHE_DIR": str(populated)},
                    NAME=name,
                    BACKEND="'llvm'",
                    OTHER=other,
                )["other"]
                for _ in range(runs)
            ]
            rows.append(
                [f"  then {args.other} from the disk cache, same process", *stats(cached_next)]
            )
            if args.profile:
                d = tmp_root / "profile"
                shutil.copytree(grammar_only, d)
                profiles = {
                    "cold, grammar cached": run_child(
                        PROFILE,
                        {"OPTC_CACHE_DIR": str(d)},
                        raw=True,
                        NAME=name,
                        TOP=str(args.profile),
                    ),
                    "from the disk cache": run_child(
                        PROFILE,
                        {"OPTC_CACHE_DIR": str(d)},
                        raw=True,
                        NAME=name,
                        TOP=str(args.profile),
                    ),
                }
            cache_note = (
                f"kernel cache entries written by the first compile: {len(written)} file(s) "
                f"({', '.join(written[:3])}{', …' if len(written) > 3 else ''}); "
                + (
                    "rewritten by the cached runs: " + ", ".join(rewritten)
                    if rewritten
                    else "left untouched by the cached runs (loaded, not rebuilt)"
                )
            )
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    C.table(["measurement", "median", "min", "max", "runs"], rows)
    print()
    print(
        f"modules loaded by `import optc`, among {', '.join(HEAVY)}: {', '.join(heavy) or 'none'}"
    )
    print(cache_note)
    print()

    for label, text in profiles.items():
        print(
            f"## cProfile of optc.optimizer({name}, backend='llvm', dtype='float32'), {label} (one process)"
        )
        lines = text.strip().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print("\n".join(lines[max(0, start - 4) :]))
        print()

    def verdict(label, xs, limit):
        m = statistics.median(xs)
        verdicts.append([label, C.fmt_time(m), "met" if m <= limit else "NOT met"])

    verdict("import optc <= 0.3 s", t_import, 0.3)
    verdict(f"cold parse -> native ({args.name}, grammar cached) <= 150 ms", cold, 0.150)
    verdict(f"cold parse -> native ({args.name}, empty cache dir) <= 150 ms", cold_empty, 0.150)
    if written:
        verdict("cached kernel loads in <= 10 ms (fresh process)", cached, 0.010)
        verdict("cached kernel loads in <= 10 ms (optc's modules loaded)", cached_next, 0.010)
    else:
        verdicts.append(["cached kernel loads in <= 10 ms", "no disk cache", "-"])
    print("## DESIGN §8 compile targets")
    C.table(["target", "measured", "verdict"], verdicts, "lrl")
    C.footer()


if __name__ == "__main__":
    main()
