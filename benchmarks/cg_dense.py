"""Dense conjugate gradient: optc `cg` (llvm, numpy) against scipy.sparse.linalg.cg.

    python benchmarks/cg_dense.py [--quick] [--budget S] [--rounds R] [--n N] [--tol T] [--fixed K]

The system: M = R^T R / n + I (n = 2000 by default, R standard normal from a fixed seed,
symmetrised exactly), b standard normal; float64, one dense C-ordered ndarray shared by all.
Two runs: (1) to convergence, ||r|| <= tol * ||b|| with tol = 1e-10 for every peer (optc's cg
stops on the same rule as scipy's cg(rtol=tol)); (2) exactly K iterations (tol = 0, maxiter = K),
so that every peer does the same work whatever its rounding.

Peers
  optc llvm / numpy       optc.solver("cg", backend=B), constructed once; solver(A=M, b=b, tol, max_iter)
  optc llvm, no NaN scan  the same with check_finite=False (the inputs' NaN/inf check is a full
                          pass over M; scipy's cg makes none)
  scipy cg(ndarray)       scipy.sparse.linalg.cg(M, b, rtol=tol, maxiter=K) on the ndarray itself:
                          the reference for the ratios
  scipy cg(LinearOperator) the same with LinearOperator(matvec=lambda x: M @ x), so the product is
                          a BLAS matrix-vector product (for an ndarray scipy multiplies M by an
                          (n, 1) matrix)
  numpy loop              the textbook CG loop in NumPy, M @ p per iteration

Reported per peer: the median time, the iterations it took (scipy's counted with a callback in
an untimed run), and the true relative residual ||b - M x|| / ||b|| of its answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C
import numpy as np

REFERENCE = "scipy cg(ndarray)"


def numpy_cg(M, b, tol, maxiter):
    """Hestenes-Stiefel CG as in optc's stdlib cg.opt; returns (x, iterations)."""
    x = np.zeros_like(b)
    r = b.copy()
    p = b.copy()
    rs = float(r @ r)
    stop = tol * np.sqrt(rs)
    k = 0
    while k < maxiter and not np.sqrt(rs) <= stop:
        Ap = M @ p
        alpha = rs / float(p @ Ap) if rs > 0 else 0.0
        x += alpha * p
        r -= alpha * Ap
        rs_new = float(r @ r)
        p *= rs_new / rs if rs > 0 else 0.0
        p += r
        rs = rs_new
        k += 1
    return x, k


def main() -> None:
    p = C.parser(__doc__.splitlines()[0], budget=2.0, quick_budget=0.5)
    p.add_argument("--n", type=int, default=2000, help="matrix size (default 2000)")
    p.add_argument(
        "--tol", type=float, default=1e-10, help="relative tolerance of run (1) (default 1e-10)"
    )
    p.add_argument("--fixed", type=int, default=50, help="iterations of run (2) (default 50)")
    p.add_argument("--max-iter", type=int, default=10_000, help="iteration limit of run (1)")
    args = C.settle(p.parse_args())

    import scipy
    import scipy.sparse.linalg as sla

    import optc

    n = args.n
    C.header(
        f"Dense CG, {n} x {n} float64",
        ("scipy",),
        (
            f"M = R^T R / n + I, R ~ N(0,1) seed 0, b ~ N(0,1) seed 1; run (1) tol={args.tol}, run (2) exactly {args.fixed} iterations",
            f"time budget {args.budget} s per peer and run, {args.rounds} interleaved rounds",
        ),
    )
    rng = np.random.default_rng(0)
    R = rng.standard_normal((n, n))
    M = R.T @ R / n + np.eye(n)
    M = np.ascontiguousarray((M + M.T) / 2)
    b = np.random.default_rng(1).standard_normal(n)
    w = np.linalg.eigvalsh(M)
    print(
        f"scipy {scipy.__version__}; matrix {M.nbytes / 2**20:.0f} MiB, eigenvalues in [{w[0]:.3g}, {w[-1]:.3g}], "
        f"condition number {w[-1] / w[0]:.3g}\n"
    )
    op = sla.LinearOperator((n, n), matvec=lambda x: M @ x, dtype=M.dtype)

    solvers = {}
    for backend in ("llvm", "numpy"):
        try:
            solvers[backend] = optc.solver("cg", backend=backend)
        except Exception as e:  # noqa: BLE001
            print(f"optc {backend}: FAILED to construct ({type(e).__name__}: {e})")

    verdicts = []
    for run, tol, maxiter in (
        ("(1) to convergence", args.tol, args.max_iter),
        (f"(2) exactly {args.fixed} iterations", 0.0, args.fixed),
    ):
        print(f"## {run}: tol={tol:g}, maxiter={maxiter}")
        fns, info = {}, {}
        for backend, sol in solvers.items():
            name = f"optc {backend}"
            try:
                res = sol(A=M, b=b, tol=tol, max_iter=maxiter)
                info[name] = (np.asarray(res.x), res.iterations)
                fns[name] = lambda sol=sol, tol=tol, k=maxiter: sol(A=M, b=b, tol=tol, max_iter=k)
            except Exception as e:  # noqa: BLE001
                print(f"  {name}: FAILED ({type(e).__name__}: {str(e).splitlines()[0]})")
        if "llvm" in solvers:
            sol = solvers["llvm"]
            fns["optc llvm, no NaN scan"] = lambda sol=sol, tol=tol, k=maxiter: sol(
                A=M, b=b, tol=tol, max_iter=k, check_finite=False
            )
            info["optc llvm, no NaN scan"] = info["optc llvm"]
        for name, A in ((REFERENCE, M), ("scipy cg(LinearOperator)", op)):
            calls = []
            x, _ = sla.cg(A, b, rtol=tol, maxiter=maxiter, callback=calls.append)
            info[name] = (x, len(calls))
            fns[name] = lambda A=A, tol=tol, k=maxiter: sla.cg(A, b, rtol=tol, maxiter=k)
        info["numpy loop"] = numpy_cg(M, b, tol, maxiter)
        fns["numpy loop"] = lambda tol=tol, k=maxiter: numpy_cg(M, b, tol, k)

        timings = C.compare(fns, args.budget, args.rounds, min_samples=3 if args.quick else 5)
        ref_t = timings[REFERENCE].median
        bn = np.linalg.norm(b)
        rows = []
        for name, t in timings.items():
            x, iters = info[name]
            rel = np.linalg.norm(b - M @ x) / bn
            rows.append(
                [
                    *C.timing_cells(name, t, ref_t),
                    str(iters),
                    C.fmt_time(t.median / max(iters, 1)),
                    f"{rel:.2e}",
                ]
            )
        C.table(
            [
                "peer",
                "median",
                "IQR",
                "samples",
                f"/ {REFERENCE}",
                "iters",
                "per iter",
                "||b-Mx||/||b||",
            ],
            rows,
        )
        print()
        if "optc llvm" in timings:
            t_o = timings["optc llvm"].median
            for ref in (REFERENCE, "scipy cg(LinearOperator)"):
                r = t_o / timings[ref].median
                verdicts.append(
                    [
                        f"{run}: optc llvm <= 1.1 x {ref}",
                        C.fmt_ratio(r),
                        "met" if r <= 1.1 else "NOT met",
                    ]
                )
            same = info["optc llvm"][1] == info[REFERENCE][1]
            verdicts.append(
                [
                    f"{run}: same iteration count as scipy",
                    f"{info['optc llvm'][1]} vs {info[REFERENCE][1]}",
                    "yes" if same else "no",
                ]
            )
    print("## DESIGN §8 target: dense CG within 1.1x of SciPy")
    C.table(["check", "measured", "verdict"], verdicts, "lrl")
    C.footer()


if __name__ == "__main__":
    main()
