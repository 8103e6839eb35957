"""The five classic problems (examples/*.opt) against the library a user would otherwise call.

    python benchmarks/classic_problems.py [--quick] [--budget S] [--rounds R] [--slow]
                                          [--problem NAME ...] [--size bundled|large|both]
                                          [--blas-threads N]

The test problems of Nutini, Laradji & Schmidt (least squares, binary logistic, multiclass
logistic, label propagation, L1 regression), each solved by its example program
(examples/<name>.opt, llvm backend, compiled once outside the timed region) on the bundled data
and, with --size large or both (the default), on a larger data set:

  least squares        diabetes 442 x 10; make_regression 20000 x 200.
                       Peers: numpy.linalg.lstsq (the ratio's reference), scipy lsqr,
                       sklearn LinearRegression(fit_intercept=False).
  binary logistic      breast_cancer standardized 569 x 30, lam = 1; make_classification
                       5000 x 100 (20 informative, none redundant), lam = 1 (20000 x 200 with
                       --slow). Peer: sklearn LogisticRegression(C=1/lam,
                       fit_intercept=False, solver="lbfgs"); also optc's stdlib lbfgs_logistic
                       (the same algorithm and stopping rule as scikit-learn's).
  multiclass logistic  digits[:500] / 16, lam = 10; all 1797 digits with --slow. Peer: sklearn
                       LogisticRegression (multinomial, lbfgs); also optc's stdlib
                       softmax_regression (accelerated gradient).
  label propagation    the bundled 200-node 10-NN digits graph; the same graph on all 1797
                       digits with the first 10% labelled. Peers: the closed form L_uu x_u =
                       W_ul y_l by numpy.linalg.solve (the reference) and scipy.sparse spsolve,
                       sklearn LabelPropagation (kernel = the same W, as a sparse matrix).
  L1 regression        diabetes, lam = 10; make_regression 20000 x 200 (20 informative),
                       lam = 0.01 max|A^T b|. Peer: sklearn Lasso(alpha=lam/m,
                       fit_intercept=False, selection="cyclic").

Within a problem every solver gets the same `tol` number (least squares 1e-10, logistic 1e-6,
multiclass 1e-6 on scikit-learn's per-sample scale, label propagation 1e-8, L1 1e-6), but the
stopping rules differ (each case prints them), so the table also shows the objective of each
answer minus the reference row's (one NumPy function per problem evaluates every answer, in
float64) and an optimality residual (the infinity norm of the gradient of the summed objective,
of L x on the unlabelled nodes, or of the minimal subgradient for L1), so that a faster time
bought with a looser answer is visible. The cold compile time of every optc solver (an empty
OPTC_CACHE_DIR, after one untimed compile that absorbs the process's one-time set-up) is printed
separately; it is never inside a timed call. Timing as in the other scripts (_common.compare:
medians over interleaved rounds); --blas-threads N caps every library's BLAS threads (the optc
examples themselves run on one thread).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C
import numpy as np

DATA = C.REPO / "examples" / "data"
PROBLEMS = (
    "least_squares",
    "logistic",
    "multiclass_logistic",
    "label_propagation",
    "l1_regression",
)


@dataclass
class Case:
    """One problem on one data set: the optc solvers and peers to run, and how to judge them.

    `runs` maps a row name to a zero-argument function returning (solution, iterations,
    converged); the first row is the optc example, `reference` names the peer of the ratio.
    `objective` and `residual` take a solution (in float64) and are shared by every row."""

    problem: str
    label: str
    rules: list[str]
    runs: dict[str, Callable[[], tuple[np.ndarray, int | None, bool]]]
    reference: str
    objective: Callable[[np.ndarray], float]
    residual: Callable[[np.ndarray], float]
    residual_name: str
    notes: list[str] = field(default_factory=list)


def csv(name: str) -> np.ndarray:
    return np.loadtxt(DATA / name, delimiter=",", skiprows=1)


def optc_run(solver, output: str, **inputs) -> Callable[[], tuple[np.ndarray, int, bool]]:
    """A row for an optc solver: call it with `inputs`, return its `output`."""

    def run():
        res = solver(**inputs)
        return np.asarray(res[output], dtype=np.float64), res.iterations, res.converged

    return run


# ---------------------------------------------------------------------------------------------
# The five problems: data, peers, the shared objective and residual


def least_squares(sizes, tol, solvers) -> Iterator[Case]:
    from scipy.sparse.linalg import lsqr
    from sklearn.datasets import load_diabetes, make_regression
    from sklearn.linear_model import LinearRegression

    data = []
    if "bundled" in sizes:
        data.append(("diabetes 442x10", *load_diabetes(return_X_y=True)))
    if "large" in sizes:
        A, b = make_regression(20000, 200, n_informative=200, noise=1.0, random_state=0)
        data.append(("make_regression 20000x200", A, b))
    for label, A, b in data:
        A, b = np.ascontiguousarray(A), np.ascontiguousarray(b, dtype=np.float64)

        def lstsq(A=A, b=b):
            return np.linalg.lstsq(A, b, rcond=None)[0], None, True

        def run_lsqr(A=A, b=b):
            out = lsqr(A, b, atol=tol, btol=tol, iter_lim=100_000)
            return out[0], int(out[2]), out[1] in (1, 2)

        def linreg(A=A, b=b):
            return LinearRegression(fit_intercept=False).fit(A, b).coef_, None, True

        yield Case(
            "least_squares",
            label,
            [
                f"optc cyclic CD: max|dx| <= tol * max(1, max|x|) over a sweep, tol={tol:g}",
                f"lsqr: ||A^T r|| <= atol ||A|| ||r|| (atol=btol={tol:g}); lstsq and LinearRegression are direct (SVD)",
            ],
            {
                "optc least_squares.opt": optc_run(
                    solvers["least_squares"], "x", A=A, b=b, tol=tol
                ),
                "numpy lstsq": lstsq,
                "scipy lsqr": run_lsqr,
                "sklearn LinearRegression": linreg,
            },
            "numpy lstsq",
            lambda x, A=A, b=b: 0.5 * float(np.sum((A @ x - b) ** 2)),
            lambda x, A=A, b=b: float(np.max(np.abs(A.T @ (A @ x - b)))),
            "|A^T(Ax-b)|",
        )


def _logistic_objective(A, b, lam):
    def f(x):
        z = A @ x
        return float(np.sum(np.logaddexp(0, z) - b * z) + 0.5 * lam * x @ x)

    def g(x):
        return float(np.max(np.abs(A.T @ (0.5 * (1 + np.tanh(0.5 * (A @ x))) - b) + lam * x)))

    return f, g


def logistic(sizes, tol, solvers) -> Iterator[Case]:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    data = []
    if "bundled" in sizes:
        data.append(
            ("breast_cancer 569x30, lam=1", csv("breast_cancer_X.csv"), csv("breast_cancer_y.csv"))
        )
    for key, m, n in (("large", 5000, 100), ("slow", 20000, 200)):
        if key in sizes:
            # No redundant (collinear) features: with make_classification's default 2, cyclic
            # CD had not converged after 200 sweeps (12 s) at 5000 x 100.
            A, b = make_classification(m, n, n_informative=20, n_redundant=0, random_state=0)
            data.append((f"make_classification {m}x{n}, lam=1", A, b.astype(np.float64)))
    lam = 1.0
    for label, A, b in data:
        A = np.ascontiguousarray(A)
        m = A.shape[0]

        def sk(A=A, b=b):
            est = LogisticRegression(C=1 / lam, fit_intercept=False, tol=tol, max_iter=100_000)
            est.fit(A, b)
            return est.coef_[0], int(est.n_iter_[0]), int(est.n_iter_[0]) < 100_000

        f, g = _logistic_objective(A, b, lam)
        yield Case(
            "logistic",
            label,
            [
                f"optc logistic.opt (cyclic CD, steps 1/L_j): max|dx| <= tol * max(1, max|x|) over a sweep, tol={tol:g}",
                (
                    f"sklearn lbfgs and optc lbfgs_logistic: ||grad of (objective / m)||_inf <= tol={tol:g} "
                    "(sklearn also stops on a relative decrease <= 64 eps)"
                ),
            ],
            {
                "optc logistic.opt": optc_run(solvers["logistic"], "x", A=A, b=b, lam=lam, tol=tol),
                "sklearn LogisticRegression": sk,
                "optc stdlib lbfgs_logistic": optc_run(
                    solvers["lbfgs_logistic"], "x", A=A, b=b, lam=lam / m, tol=tol, max_iter=100_000
                ),
            },
            "sklearn LogisticRegression",
            f,
            g,
            "|grad|",
        )


def multiclass_logistic(sizes, tol, solvers) -> Iterator[Case]:
    from scipy.special import logsumexp
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    data = []
    if "bundled" in sizes:
        data.append(
            ("digits 500x64, 10 classes, lam=10", csv("digits_X.csv"), csv("digits_labels.csv"))
        )
    if "slow" in sizes:
        X, y = load_digits(return_X_y=True)
        data.append(("digits 1797x64, 10 classes, lam=10", X / 16, y.astype(np.float64)))
    lam = 10.0
    for label, X, y in data:
        X = np.ascontiguousarray(X)
        m = X.shape[0]
        Y = np.eye(10)[y.astype(int)]

        def sk(X=X, y=y):
            est = LogisticRegression(C=1 / lam, fit_intercept=False, tol=tol, max_iter=100_000)
            est.fit(X, y)
            return est.coef_.T, int(est.n_iter_[0]), int(est.n_iter_[0]) < 100_000

        def f(W, X=X, Y=Y):
            Z = X @ W
            return float(logsumexp(Z, axis=1).sum() - (Y * Z).sum() + 0.5 * lam * (W * W).sum())

        def g(W, X=X, Y=Y):
            Z = X @ W
            P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
            return float(np.max(np.abs(X.T @ (P - Y) + lam * W)))

        yield Case(
            "multiclass_logistic",
            label,
            [
                (
                    f"optc (both): ||grad of objective||_inf <= m * tol = {m * tol:g}; sklearn lbfgs: "
                    f"||grad of (objective / m)||_inf <= tol={tol:g}, the same test (sklearn also stops "
                    "on a relative decrease <= 64 eps)"
                ),
            ],
            {
                "optc multiclass_logistic.opt": optc_run(
                    solvers["multiclass_logistic"], "W", X=X, Y=Y, lam=lam, tol=m * tol
                ),
                "sklearn LogisticRegression": sk,
                "optc stdlib softmax_regression": optc_run(
                    solvers["softmax_regression"], "W", X=X, Y=Y, lam=lam, tol=m * tol
                ),
            },
            "sklearn LogisticRegression",
            f,
            g,
            "|grad|",
        )


def _digits_graph(n_labelled: int):
    """The bundled label-propagation construction on all 1797 digits: the symmetrized 10-NN
    connectivity graph, +1 / -1 for digits < 5 / >= 5 on the first `n_labelled` nodes."""
    from sklearn.datasets import load_digits
    from sklearn.neighbors import kneighbors_graph

    X, digit = load_digits(return_X_y=True)
    W = kneighbors_graph(X / 16, n_neighbors=10, mode="connectivity").toarray()
    W = np.maximum(W, W.T)
    y = np.where(digit < 5, 1.0, -1.0)
    y[n_labelled:] = 0
    return W, y


def label_propagation(sizes, tol, solvers) -> Iterator[Case]:
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve
    from sklearn.semi_supervised import LabelPropagation

    data = []
    if "bundled" in sizes:
        data.append(("digits graph n=200, 20 labelled", csv("labprop_W.csv"), csv("labprop_y.csv")))
    if "large" in sizes:
        W, y = _digits_graph(180)
        data.append(("digits graph n=1797, 180 labelled", W, y))
    for label, W, y in data:
        W = np.ascontiguousarray(W)
        lab = y != 0
        Ws = sp.csr_matrix(W)
        L = np.diag(W.sum(1)) - W
        Ls = sp.csr_matrix(L)
        L_uu, rhs = L[np.ix_(~lab, ~lab)], W[np.ix_(~lab, lab)] @ y[lab]

        def closed(y=y, lab=lab, L_uu=L_uu, rhs=rhs):
            x = y.copy()
            x[~lab] = np.linalg.solve(L_uu, rhs)
            return x, None, True

        def closed_sparse(y=y, lab=lab, Ls=Ls, Ws=Ws):
            x = y.copy()
            idx_u, idx_l = np.flatnonzero(~lab), np.flatnonzero(lab)
            x[~lab] = spsolve(Ls[idx_u][:, idx_u].tocsc(), Ws[idx_u][:, idx_l] @ y[lab])
            return x, None, True

        y_sk = np.where(lab, (y > 0).astype(int), -1)

        def sk(Ws=Ws, y_sk=y_sk):
            est = LabelPropagation(kernel=lambda a, b: Ws.copy(), tol=tol, max_iter=1_000_000)
            est.fit(np.zeros((len(y_sk), 1)), y_sk)
            x = 2 * est.label_distributions_[:, 1] - 1
            return x, int(est.n_iter_), True

        def f(x, L=L):
            return float(x @ L @ x)

        def g(x, L=L, lab=lab):
            return float(np.max(np.abs((L @ x)[~lab])))

        yield Case(
            "label_propagation",
            label,
            [
                f"optc (Gauss-Seidel sweeps): max_i |dx_i| <= tol={tol:g}",
                (
                    f"sklearn LabelPropagation (Jacobi on D^-1 W): sum_i |dP_i| < tol={tol:g} over both classes,"
                    " i.e. sum_i |dx_i| < tol (stricter); the closed forms are direct"
                ),
            ],
            {
                "optc label_propagation.opt": optc_run(
                    solvers["label_propagation"], "x", W=W, y=y, tol=tol
                ),
                "numpy solve (closed form)": closed,
                "scipy.sparse spsolve (closed form)": closed_sparse,
                "sklearn LabelPropagation": sk,
            },
            "numpy solve (closed form)",
            f,
            g,
            "|(Lx)_u|",
            ["sklearn's time includes building D^-1 W from the CSR matrix on each fit"],
        )


def l1_regression(sizes, tol, solvers) -> Iterator[Case]:
    from sklearn.datasets import load_diabetes, make_regression
    from sklearn.linear_model import Lasso

    data = []
    if "bundled" in sizes:
        A, b = load_diabetes(return_X_y=True)
        data.append(("diabetes 442x10, lam=10", A, b, 10.0))
    if "large" in sizes:
        A, b = make_regression(20000, 200, n_informative=20, noise=1.0, random_state=0)
        lam = 0.01 * float(np.max(np.abs(A.T @ b)))
        data.append((f"make_regression 20000x200, lam={lam:.4g}", A, b, lam))
    for label, A, b, lam in data:
        A, b = np.ascontiguousarray(A), np.ascontiguousarray(b, dtype=np.float64)
        m = A.shape[0]

        def sk(A=A, b=b, lam=lam, m=m):
            est = Lasso(
                alpha=lam / m, fit_intercept=False, tol=tol, selection="cyclic", max_iter=1_000_000
            )
            est.fit(A, b)
            return est.coef_, int(est.n_iter_), int(est.n_iter_) < 1_000_000

        def f(x, A=A, b=b, lam=lam):
            return 0.5 * float(np.sum((A @ x - b) ** 2)) + lam * float(np.abs(x).sum())

        def g(x, A=A, b=b, lam=lam):
            grad = A.T @ (A @ x - b)
            sub = np.where(
                x != 0, grad + lam * np.sign(x), np.sign(grad) * np.maximum(np.abs(grad) - lam, 0)
            )
            return float(np.max(np.abs(sub)))

        yield Case(
            "l1_regression",
            label,
            [
                f"optc l1_regression.opt (cyclic CD): max|dx| <= tol * max(1, max|x|) over a sweep, tol={tol:g}",
                "sklearn Lasso (cyclic CD): max|dx| <= tol * max|x|, then also the duality gap <= tol * ||b||^2",
            ],
            {
                "optc l1_regression.opt": optc_run(
                    solvers["l1_regression"], "x", A=A, b=b, lam=lam, tol=tol
                ),
                "sklearn Lasso": sk,
            },
            "sklearn Lasso",
            f,
            g,
            "min |subgrad|",
            ["sklearn's Lasso.fit copies C-ordered A to Fortran order inside each fit"],
        )


CASES = {
    "least_squares": (least_squares, 1e-10),
    "logistic": (logistic, 1e-6),
    "multiclass_logistic": (multiclass_logistic, 1e-6),
    "label_propagation": (label_propagation, 1e-8),
    "l1_regression": (l1_regression, 1e-6),
}
STDLIB = {"logistic": ["lbfgs_logistic"], "multiclass_logistic": ["softmax_regression"]}


# ---------------------------------------------------------------------------------------------


def compile_cold(problems) -> tuple[dict, list[list[str]]]:
    """Construct every optc solver with an empty cache; returns them and the compile-time rows."""
    import optc

    optc.solver("gd", backend="llvm")  # one-time set-up (importing the compiler, LLVM), untimed
    solvers, rows = {}, []
    for problem in problems:
        for name, source in [(problem, str(C.REPO / "examples" / f"{problem}.opt"))] + [
            (s, s) for s in STDLIB.get(problem, [])
        ]:
            t0 = time.perf_counter()
            solvers[name] = optc.solver(source, backend="llvm")
            dt = time.perf_counter() - t0
            rows.append(
                [
                    name if name in STDLIB.get(problem, []) else f"examples/{name}.opt",
                    C.fmt_time(dt),
                ]
            )
    return solvers, rows


def main(argv: list[str] | None = None) -> None:
    p = C.parser(__doc__.splitlines()[0], budget=0.5, quick_budget=0.2)
    p.add_argument(
        "--problem", nargs="+", choices=PROBLEMS, default=list(PROBLEMS), help="problems to run"
    )
    p.add_argument(
        "--size",
        choices=("bundled", "large", "both"),
        default=None,
        help="data sets: the bundled ones, the larger ones, or both (default both; bundled with --quick)",
    )
    p.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="cap the BLAS/OpenMP threads of every library (threadpoolctl); default: each library's own",
    )
    p.add_argument(
        "--slow",
        action="store_true",
        help="add the cases whose optc example takes 10-60 s per solve: logistic on "
        "make_classification 20000x200 and multiclass logistic on all 1797 digits",
    )
    args = C.settle(p.parse_args(argv))
    import threadpoolctl
    from sklearn.exceptions import ConvergenceWarning

    # Every compile is cold: a fresh cache directory, for this run only.
    with (
        tempfile.TemporaryDirectory(prefix="optc-bench-cache-") as cache,
        _environ("OPTC_CACHE_DIR", cache),
        threadpoolctl.threadpool_limits(args.blas_threads),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        run(args)


@contextlib.contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the duration of the block."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def run(args) -> None:
    """Compile the optc solvers, then time and print every case and the summary."""
    import sklearn

    size = args.size or ("bundled" if args.quick else "both")
    sizes = (("bundled", "large") if size == "both" else (size,)) + (("slow",) if args.slow else ())
    C.header(
        "The five classic problems: optc examples (llvm) vs scikit-learn / SciPy / NumPy, float64",
        ("sklearn", "scipy"),
        (
            (
                f"time budget {args.budget} s per row and case, {args.rounds} interleaved rounds; data sets: {size}; "
                f"BLAS threads: {args.blas_threads or 'library defaults'}"
            ),
            "obj - ref: the row's objective minus the reference row's, both evaluated by one NumPy function",
        ),
    )
    solvers, compile_rows = compile_cold(args.problem)
    print(
        f"sklearn {sklearn.__version__}; cold compile (empty OPTC_CACHE_DIR, after one untimed compile):"
    )
    C.table(["solver", "compile"], compile_rows)
    print()

    summary = []
    for problem in args.problem:
        make, tol = CASES[problem]
        for case in make(sizes, tol, solvers):
            print(f"## {problem}: {case.label}")
            for rule in case.rules:
                print(f"   stop: {rule}")
            for note in case.notes:
                print(f"   note: {note}")
            answers = {name: run() for name, run in case.runs.items()}
            timings = C.compare(
                case.runs, args.budget, args.rounds, min_samples=3 if args.quick else 5
            )
            ref_t = timings[case.reference].median
            ref_obj = case.objective(answers[case.reference][0])
            rows = []
            for name, t in timings.items():
                x, iters, converged = answers[name]
                obj = case.objective(x)
                rows.append(
                    [
                        *C.timing_cells(name, t, ref_t),
                        "direct" if iters is None else f"{iters}{'' if converged else ' (max)'}",
                        f"{obj:.12g}",
                        f"{obj - ref_obj:+.2e}",
                        f"{case.residual(x):.1e}",
                    ]
                )
            C.table(
                [
                    "row",
                    "median",
                    "IQR",
                    "samples",
                    f"/ {case.reference}",
                    "iters",
                    "objective",
                    "obj - ref",
                    case.residual_name,
                ],
                rows,
            )
            print()
            example = next(iter(case.runs))
            for name in case.runs:
                if name != example and not name.startswith("optc"):
                    t_o, t_p = timings[example].median, timings[name].median
                    d = case.objective(answers[example][0]) - case.objective(answers[name][0])
                    summary.append(
                        [
                            problem,
                            case.label.split(",")[0],
                            name,
                            C.fmt_time(t_o),
                            C.fmt_time(t_p),
                            C.fmt_ratio(t_o / t_p),
                            f"{d:+.1e}",
                        ]
                    )
    print("## Summary: the optc example against each peer")
    C.table(
        ["problem", "data", "peer", "optc", "peer time", "optc / peer", "obj optc - peer"],
        summary,
        "lllrrrr",
    )
    C.footer()


if __name__ == "__main__":
    main()
