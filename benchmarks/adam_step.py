"""One AdamW step in float32: optc (numpy and llvm backends) against NumPy, torch and optax.

    python benchmarks/adam_step.py [--quick] [--budget S] [--rounds R] [--skip-jax]

Cases: (a) one tensor of 10M elements, (b) 100 tensors of 10,000 elements (1M in all),
(c) 100 tensors of 100 elements. Hyperparameters: lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
weight_decay=1e-2 (decoupled, torch.optim.AdamW semantics). Every peer gets its own copy of the
same initial parameters and reads the same gradient arrays at every step.

Peers
  numpy            textbook expressions (temporaries allocated each step)
  numpy out=       the same update with ufunc `out=` into the state and one scratch buffer
  torch foreach    torch.optim.AdamW(foreach=True)
  torch fused      torch.optim.AdamW(fused=True) (CPU kernel); the reference for the ratios
  jax+optax        jax.jit of optax.adamw's update + apply_updates, buffers donated
  optc numpy/llvm  optc.optimizer("adamw", backend=B, lr=1e-3, weight_decay=1e-2), opt.step(...)

Before timing, every peer takes 3 steps from the initial parameters and is compared with a
float64 NumPy reference (column `err`, the largest absolute difference of a parameter). The
timed steps continue from there. After case (a) a STREAM-style triad is measured in the same
process and the effective memory bandwidth of the optc llvm step is reported against it.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C
import numpy as np

LR, B1, B2, EPS, WD = 1e-3, 0.9, 0.999, 1e-8, 1e-2
CHECK_STEPS = 3
CASES = [
    ("(a) 1 x 10M", [10_000_000]),
    ("(b) 100 x 10k (1M total)", [10_000] * 100),
    ("(c) 100 x 100", [100] * 100),
]
REFERENCE = "torch fused"


# ---------------------------------------------------------------------------------------------
# Peers: each returns (step, get_params) closures over its own copy of the parameters.


def numpy_plain(params, grads):
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = [0]

    def step():
        t[0] += 1
        bc1, bc2 = 1 - B1 ** t[0], 1 - B2 ** t[0]
        for i, g in enumerate(grads):
            m[i] = B1 * m[i] + (1 - B1) * g
            v[i] = B2 * v[i] + (1 - B2) * g * g
            m_hat = m[i] / bc1
            v_hat = v[i] / bc2
            params[i] = params[i] * (1 - LR * WD) - LR * m_hat / (np.sqrt(v_hat) + EPS)

    return step, lambda: params


def numpy_out(params, grads):
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    tmp = [np.empty_like(p) for p in params]
    t = [0]

    def step():
        t[0] += 1
        bc1, bc2 = 1 - B1 ** t[0], 1 - B2 ** t[0]
        step_size, inv_sqrt_bc2 = LR / bc1, 1 / np.sqrt(bc2)
        for p, g, mi, vi, s in zip(params, grads, m, v, tmp):
            np.multiply(mi, B1, out=mi)
            np.multiply(g, 1 - B1, out=s)
            np.add(mi, s, out=mi)
            np.multiply(vi, B2, out=vi)
            np.multiply(g, g, out=s)
            np.multiply(s, 1 - B2, out=s)
            np.add(vi, s, out=vi)
            np.sqrt(vi, out=s)
            np.multiply(s, inv_sqrt_bc2, out=s)
            np.add(s, EPS, out=s)
            np.divide(mi, s, out=s)
            np.multiply(s, step_size, out=s)
            np.multiply(p, 1 - LR * WD, out=p)
            np.subtract(p, s, out=p)

    return step, lambda: params


def torch_adamw(mode):
    def make(params, grads):
        import torch

        tparams = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
        for tp, g in zip(tparams, grads):
            tp.grad = torch.from_numpy(g)
        opt = torch.optim.AdamW(
            tparams, lr=LR, betas=(B1, B2), eps=EPS, weight_decay=WD, **{mode: True}
        )
        return opt.step, lambda: [tp.detach().numpy() for tp in tparams]

    return make


def jax_optax(params, grads):
    import jax
    import optax

    tx = optax.adamw(learning_rate=LR, b1=B1, b2=B2, eps=EPS, weight_decay=WD)

    def update(ps, st, gs):
        updates, st = tx.update(gs, st, ps)
        return optax.apply_updates(ps, updates), st

    jitted = jax.jit(update, donate_argnums=(0, 1))
    box = {"p": [jax.device_put(p.copy()) for p in params]}
    box["s"] = tx.init(box["p"])
    jgrads = [jax.device_put(g) for g in grads]

    def step():
        box["p"], box["s"] = jitted(box["p"], box["s"], jgrads)
        jax.block_until_ready(box["p"])

    return step, lambda: [np.asarray(p) for p in box["p"]]


def optc_peer(backend, threads=None):
    def make(params, grads):
        import optc

        extra = {"threads": threads} if threads is not None and backend == "llvm" else {}
        opt = optc.optimizer("adamw", backend=backend, lr=LR, weight_decay=WD, **extra)
        ps = [p.copy() for p in params]
        state = opt.init(ps)

        def step():
            opt.step(ps, grads, state)

        make.state = state
        return step, lambda: ps

    return make


def reference(params, grads, steps):
    """Float64 AdamW (torch.optim.AdamW's formula) for `steps` steps."""
    out = []
    for p, g in zip(params, grads):
        p, g = p.astype(np.float64), g.astype(np.float64)
        m, v = np.zeros_like(p), np.zeros_like(p)
        for t in range(1, steps + 1):
            m = B1 * m + (1 - B1) * g
            v = B2 * v + (1 - B2) * g * g
            denom = np.sqrt(v) / np.sqrt(1 - B2**t) + EPS
            p = p * (1 - LR * WD) - (LR / (1 - B1**t)) * m / denom
        out.append(p)
    return out


def jax_available() -> bool:
    try:
        import jax  # noqa: F401
        import optax  # noqa: F401
    except Exception:  # noqa: BLE001
        return False
    return True


def peers(use_jax: bool, threads: int | None = None) -> dict:
    ps = {
        "numpy": numpy_plain,
        "numpy out=": numpy_out,
        "torch foreach": torch_adamw("foreach"),
        "torch fused": torch_adamw("fused"),
    }
    if use_jax:
        ps["jax+optax"] = jax_optax
    ps["optc numpy"] = optc_peer("numpy")
    ps["optc llvm"] = optc_peer("llvm", threads)
    return ps


# ---------------------------------------------------------------------------------------------
# Memory bandwidth: a STREAM-style triad in the same process


def triad_peers(n: int) -> tuple[dict, dict]:
    """Triad kernels a = b + s*c on float32 arrays of n elements, with the bytes each moves."""
    rng = np.random.default_rng(1)
    a = np.zeros(n, np.float32)
    b = rng.standard_normal(n, dtype=np.float32)
    c = rng.standard_normal(n, dtype=np.float32)
    tmp = np.empty(n, np.float32)
    s = np.float32(3.0)
    block = 1 << 16  # 256 KiB of float32: the scratch block stays in L2
    small = np.empty(block, np.float32)
    blocks = [
        (a[i : i + block], b[i : i + block], c[i : i + block], small[: min(block, n - i)])
        for i in range(0, n, block)
    ]

    def two_pass():
        np.add(b, np.multiply(c, s, out=tmp), out=a)

    def blocked():
        for ab, bb, cb, sb in blocks:
            np.multiply(cb, s, out=sb)
            np.add(bb, sb, out=ab)

    fns = {"numpy triad, two passes": two_pass, "numpy triad, L2-blocked": blocked}
    nbytes = {"numpy triad, two passes": 5 * 4 * n, "numpy triad, L2-blocked": 3 * 4 * n}
    try:
        import torch

        ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
        name = f"torch triad ({torch.get_num_threads()} threads)"
        fns[name] = lambda: torch.add(tb, tc, alpha=3.0, out=ta)
        nbytes[name] = 3 * 4 * n
    except ImportError:
        print("  torch not importable: no torch triad")
    return fns, nbytes


# ---------------------------------------------------------------------------------------------


def make_case(sizes: list[int], seed: int = 0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s, dtype=np.float32) for s in sizes]
    grads = [rng.standard_normal(s, dtype=np.float32) for s in sizes]
    return params, grads


def run_case(label, sizes, makers, args):
    print(f"## {label}: {len(sizes)} tensor(s), {sum(sizes):,} float32 elements")
    params, grads = make_case(sizes)
    grads_copy = [g.copy() for g in grads]
    ref = reference(params, grads, CHECK_STEPS)
    fns, errs, states = {}, {}, {}
    for name, make in makers.items():
        try:
            step, get = make(params, grads)
            for _ in range(CHECK_STEPS):
                step()
            errs[name] = max(
                float(np.max(np.abs(np.asarray(p, np.float64) - r))) for p, r in zip(get(), ref)
            )
            fns[name] = step
            states[name] = getattr(make, "state", None)
        except Exception as e:  # noqa: BLE001 - report the peer as failed and go on
            print(
                f"  {name}: FAILED ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
            )
    if any(not np.array_equal(g, c) for g, c in zip(grads, grads_copy)):
        print("  WARNING: a peer modified the gradient arrays")
    timings = C.compare(fns, args.budget, args.rounds)
    ref_t = timings[REFERENCE].median if REFERENCE in timings else float("nan")
    rows = []
    for name, t in timings.items():
        rows.append(
            [
                *C.timing_cells(name, t, ref_t),
                f"{errs[name]:.1e}",
            ]
        )
    C.table(["peer", "median/step", "IQR", "samples", f"/ {REFERENCE}", "err"], rows)
    print()
    return timings, states, params


def per_tensor_cost(makers, args):
    """Per-step cost as a function of the tensor count, 100-element tensors: the slope."""
    counts = (1, 100)
    names = [n for n in ("torch fused", "optc llvm") if n in makers]
    fns = {}
    for k in counts:
        params, grads = make_case([100] * k, seed=2)
        for name in names:
            try:
                step, _ = makers[name](params, grads)
                step()
                fns[f"{name}, {k} tensor(s)"] = step
            except Exception as e:  # noqa: BLE001
                print(f"  {name} with {k} tensors: FAILED ({type(e).__name__})")
    timings = C.compare(fns, args.budget / 2, args.rounds, verbose=False)
    rows = []
    for name in names:
        a, b = timings.get(f"{name}, 1 tensor(s)"), timings.get(f"{name}, 100 tensor(s)")
        if a and b:
            rows.append(
                [
                    name,
                    C.fmt_time(a.median),
                    C.fmt_time(b.median),
                    C.fmt_time((b.median - a.median) / 99),
                ]
            )
    print("## per-tensor cost (100-element tensors): (t(100 tensors) - t(1 tensor)) / 99")
    C.table(["peer", "1 tensor", "100 tensors", "per extra tensor"], rows)
    print()
    return {r[0]: r for r in rows}


def kernel_traffic() -> tuple[set[tuple[int, int]] | None, str]:
    """What the llvm backend's adamw kernel touches, read from its optimized LLVM IR.

    The element loop takes one `noalias` pointer per array, so each array has its own alias
    scope; a vectorized loop body's distinct scopes on `load <N x float>` and `store <N x
    float>` are the arrays it reads and writes (unrolling repeats a scope, it does not add
    one). Loop unswitching on the boolean hyperparameters gives several versions of the loop.
    This uses internal functions of optc; when they change, the answer is None and the reason.
    """
    import re

    try:
        from optc.backends.llvm import generate
        from optc.backends.llvm.jit import optimized_ir

        from optc.compiler import compile_source

        text = optimized_ir(generate(compile_source("adamw", None, "optimizer", "f32").module)[0])
    except Exception as e:  # noqa: BLE001
        return None, f"could not inspect the kernel ({type(e).__name__}: {e})"
    versions = set()
    for block in re.split(r"\n(?=[\w.\-]+:)", text):
        loads = set(
            re.findall(r"= load <\d+ x float>, ptr %[\w.]+,[^\n]*!alias\.scope (![\d]+)", block)
        )
        stores = set(
            re.findall(
                r"store <\d+ x float> %[\w.]+, ptr %[\w.]+,[^\n]*!alias\.scope (![\d]+)", block
            )
        )
        if loads and stores:
            versions.add((len(loads), len(stores)))
    if not versions:
        return None, "no vectorized loop with alias scopes found in the optimized IR"
    return versions, "from the optimized LLVM IR: " + ", ".join(
        f"{r} arrays read / {w} written" for r, w in sorted(versions)
    )


def bandwidth(case_a, args):
    timings, states, params = case_a
    n = sum(p.size for p in params)
    fns, nbytes = triad_peers(n)
    print(f"## memory bandwidth, {n:,} float32 elements per array (GB = 1e9 bytes)")
    tri = C.compare(fns, args.budget, args.rounds, verbose=False)
    best_name = max(tri, key=lambda k: nbytes[k] / tri[k].median)
    best = nbytes[best_name] / tri[best_name].median

    rows = []

    def row(label, arrays, t):
        rows.append(
            [
                label,
                f"{arrays} x N",
                C.fmt_time(t),
                f"{arrays * 4 * n / t / 1e9:.1f}",
                f"{arrays * 4 * n / t / best:.0%}",
            ]
        )

    for k, t in tri.items():
        row(k, nbytes[k] // (4 * n), t.median)
    if "torch fused" in timings:
        row("torch fused AdamW: p,g,m,v read; p,m,v written", 7, timings["torch fused"].median)
    optc_gbs = None
    versions, how = None, ""
    if "optc llvm" in timings:
        t = timings["optc llvm"].median
        state = states.get("optc llvm")
        names = list(state.tensors[0]) if state is not None and state.tensors else []
        versions, how = kernel_traffic()
        if names == ["m", "v", "v_max"] and versions and (4, 3) in versions:
            # amsgrad=False: the kernel's loop for that flag neither reads nor writes v_max.
            row("optc llvm AdamW: p,g,m,v read; p,m,v written", 7, t)
            optc_gbs = 7 * 4 * n / t / 1e9
        else:
            arrays = 3 + 2 * len(names)
            row(
                f"optc llvm AdamW as declared: p,g,{','.join(names)} read; p,{','.join(names)} written",
                arrays,
                t,
            )
            optc_gbs = arrays * 4 * n / t / 1e9
            row("optc llvm AdamW counted as 7 arrays (like torch)", 7, t)
    C.table(["kernel", "bytes", "median", "GB/s", "of best triad"], rows, "lrrrr")
    print(
        f"best triad: {best_name}. Bytes count each array read or written once (the STREAM convention:\n"
        "no write-allocate traffic); the two-pass numpy triad also writes and re-reads its temporary."
    )
    if "optc llvm" in timings:
        print(f"optc llvm state per tensor: {', '.join(names) or '?'}; kernel loop versions {how}.")
        print(
            "Copies or extra passes in its runtime would show up as a lower effective bandwidth, not as more bytes."
        )
    print()
    return optc_gbs, best / 1e9, best_name


def main() -> None:
    p = C.parser(__doc__.splitlines()[0], budget=1.0, quick_budget=0.25)
    p.add_argument("--skip-jax", action="store_true", help="do not measure jax+optax")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for torch (set_num_threads), optc llvm (threads=) and XLA (set before jax "
        "is imported); default: each library's own default",
    )
    args = C.settle(p.parse_args())
    if args.threads is not None:
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "")
            + f" --xla_cpu_multi_thread_eigen={'false' if args.threads == 1 else 'true'}"
            + f" intra_op_parallelism_threads={args.threads}"
        ).strip()
    use_jax = not args.skip_jax and jax_available()
    warnings.filterwarnings("ignore", message=".*donated buffers.*")
    notes = []
    try:
        import torch

        if args.threads is not None:
            torch.set_num_threads(args.threads)
        notes.append(
            f"threads: torch intra-op {torch.get_num_threads()}, optc llvm "
            + (f"threads={args.threads}" if args.threads else "default")
            + (f", XLA {args.threads}" if args.threads else ", XLA default")
            + "; NumPy ufuncs run on one thread"
        )
    except Exception:  # noqa: BLE001
        notes.append("torch not importable: torch peers will fail")
    if not use_jax:
        notes.append(
            "jax+optax not measured ("
            + ("--skip-jax" if args.skip_jax else "jax/optax not importable")
            + ")"
        )
    notes.append(
        f"time budget {args.budget} s per peer and case, {args.rounds} interleaved rounds; "
        f"err = max |p - float64 reference| after {CHECK_STEPS} steps"
    )
    C.header(
        "AdamW step, float32 (lr=1e-3, weight_decay=1e-2)", ("torch", "jax", "optax"), tuple(notes)
    )
    makers = peers(use_jax, args.threads)
    results = {}
    for label, sizes in CASES:
        results[label] = run_case(label, sizes, makers, args)
        if label.startswith("(a)"):
            bw = bandwidth(results[label], args)
    slope = per_tensor_cost(makers, args)

    print("## DESIGN §8 CPU targets, as measured in this run")

    def med(case, name):
        t = results[case][0].get(name)
        return t.median if t else float("nan")

    a, b, c = (lbl for lbl, _ in CASES)
    rows = []

    def target(text, value, ok):
        rows.append([text, value, "-" if ok is None else ("met" if ok else "NOT met")])

    r = med(a, "optc llvm") / med(a, "torch fused")
    target(
        "(a) optc llvm <= 1.05 x torch fused", C.fmt_ratio(r), None if math.isnan(r) else r <= 1.05
    )
    r = med(a, "numpy") / med(a, "optc llvm")
    target(
        "(a) optc llvm >= 8x faster than plain numpy",
        C.fmt_ratio(r),
        None if math.isnan(r) else r >= 8,
    )
    r = med(b, "optc llvm") / med(b, "torch fused")
    target(
        "(b) optc llvm <= 0.35 x torch fused", C.fmt_ratio(r), None if math.isnan(r) else r <= 0.35
    )
    t = med(c, "optc llvm")
    target("(c) optc llvm < 10 µs per step", C.fmt_time(t), None if math.isnan(t) else t < 10e-6)
    if "optc llvm" in slope:
        per = slope["optc llvm"][3]
        target("per-tensor cost: a few hundred ns at most", per, None)
    if bw[0] is not None:
        target(f"(a) optc llvm bandwidth vs {bw[2]}", f"{bw[0]:.1f} / {bw[1]:.1f} GB/s", None)
    C.table(["target", "measured", "verdict"], rows, "lrl")
    C.footer()


if __name__ == "__main__":
    main()
