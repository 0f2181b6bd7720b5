"""framejit end to end (``framejit.compile(fn)``, default backend) against NumPy, numexpr,
numba (serial and parallel=True) and torch.compile (inductor), on the issue-5 workloads
written as plain NumPy functions. One command:

    PYTHONPATH=pkg python bench/bench_e2e.py [--sizes 1e3,1e5,1e6,1e7] [--dtypes float64,float32]
                                             [--repeats 7] [--no-torch]

Prints one markdown table: the median time per call of each implementation over
``--repeats`` paired runs (each run times every implementation once, in turn), framejit's
ratio to NumPy and to torch.compile (> 1: framejit faster), and framejit's time over the
memory-bandwidth bound (bytes of the inputs read once + outputs written once, at the
2-thread triad rate measured here, on a preallocated output). Then the per-call time at
16 elements. numba parallel and torch.compile run in child processes (their thread pools
would otherwise spin against framejit's OpenMP threads on the two shared cores), paired
there with NumPy; their columns are those raw medians.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # no BLAS here: keep its threads off
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_kernels as BK  # noqa: E402  (workloads, numba kernels, triad program)
from _harness import fmt_time, markdown_table  # noqa: E402

WORKLOADS = ["axpy_sin", "gelu", "black_scholes", "softmax", "layer_norm", "sumsq"]
NP_FUNCS = BK.NP_FUNCS
MIN_SAMPLE_S = 0.03


def paired(impls, repeats):
    """Median seconds per call of each callable: calibrated inner loops, then `repeats`
    rounds in which every implementation runs one sample in turn."""
    number = {}
    for k, fn in impls.items():
        fn()
        fn()
        n = 1
        while True:
            t = time.perf_counter()
            for _ in range(n):
                fn()
            dt = time.perf_counter() - t
            if dt >= MIN_SAMPLE_S or n >= 1 << 18:
                break
            n *= max(2, min(10, int(MIN_SAMPLE_S / max(dt, 1e-9)) + 1))
        number[k] = n
    samples = {k: [] for k in impls}
    for _ in range(repeats):
        for k, fn in impls.items():
            t = time.perf_counter()
            for _ in range(number[k]):
                fn()
            samples[k].append((time.perf_counter() - t) / number[k])
    return {k: statistics.median(v) for k, v in samples.items()}


def case(name, n, dt, seed=0):
    """inputs, numba's outputs, bytes moved; rows x 1024 for the row workloads (a single
    row of 16 for the per-call size)."""
    rng = np.random.default_rng(seed)
    if n == 16 and name in ("softmax", "layer_norm"):
        x = rng.standard_normal((1, 16)).astype(dt)
        ins = [x] + ([rng.uniform(0.5, 2, 16).astype(dt) for _ in range(2)]
                     if name == "layer_norm" else [])
        return ins, [np.empty_like(x)], 0
    return BK.make_case(name, n, dt, rng)


def quiet(fn):
    def run(*a):
        with np.errstate(all="ignore"):
            return fn(*a)
    return run


# ---- peers in child processes -------------------------------------------------------------

def worker(kind, sizes, dtypes, repeats, workloads):
    res = {}
    if kind == "torch":
        import torch
        import torch._dynamo
        torch._dynamo.config.cache_size_limit = 64
    else:
        impls = BK.numba_impls(("numba par",))["numba par"]
    for name in workloads:
        for dt in dtypes:
            if kind == "torch":
                compiled = torch.compile(NP_FUNCS[name], dynamic=False)
            for n in sizes + [16]:
                ins, outs, _ = case(name, n, dt)
                if kind == "torch":
                    fn = lambda: compiled(*ins)  # noqa: E731
                else:
                    f = impls[name]
                    args = ins + ([] if name == "sumsq" else outs)
                    fn = lambda: f(*args)  # noqa: E731
                t = paired({"numpy": lambda: quiet(NP_FUNCS[name])(*ins), kind: fn}, repeats)
                res[f"{name}|{dt}|{n}"] = t
                print(f"{kind} {name} {dt} {n}: {t}", file=sys.stderr, flush=True)
    print(json.dumps(res))


def child(kind, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind,
           "--sizes", ",".join(map(str, args.sizes)), "--dtypes", ",".join(args.dtypes),
           "--workloads", ",".join(args.workloads), "--repeats", str(args.repeats)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=7200)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError) as exc:
        err = getattr(exc, "stderr", "") or ""
        print(f"{kind} child failed: {exc}\n{err[-2000:]}", file=sys.stderr)
        return None


# ---- the run ------------------------------------------------------------------------------

def triad_rates(repeats):
    """STREAM-like triad b + 3*c -> preallocated o at 1e7 float64, 1 and 2 threads."""
    from framejit import _kernels as K
    tri = BK.lower_triad("float64")
    rng = np.random.default_rng(1)
    b, c, o = (rng.standard_normal(10**7) for _ in range(3))
    t = paired({1: lambda: tri([b, c, o], num_threads=1),
                2: lambda: tri([b, c, o], num_threads=2)}, repeats)
    return {k: 3 * b.nbytes / v for k, v in t.items()}, K


def main_run(args):
    import framejit as fj
    fj.config.cache_size_limit = 64      # one entry per (dtype, size) of each workload
    ne = BK.ne
    nb = BK.numba_impls(("numba",)).get("numba", {})
    rates, K = triad_rates(args.repeats)
    par = child("numba_par", args) if BK.numba is not None else None
    torch_res = None
    torch_note = "torch.compile: skipped (--no-torch)"
    if not args.no_torch:
        try:
            import torch  # noqa: F401
            torch_res = child("torch", args)
            torch_note = ("torch.compile (inductor) in a child process" if torch_res
                          else "torch.compile: the child process failed (see stderr)")
        except ImportError:
            torch_note = "torch.compile: torch is not importable (column omitted)"
    rows, small = [], []
    for name in args.workloads:
        for dt in args.dtypes:
            compiled = fj.compile(NP_FUNCS[name])
            for n in args.sizes + [16]:
                ins, outs, nbytes = case(name, n, dt)
                impls = {"numpy": lambda: quiet(NP_FUNCS[name])(*ins)}
                if ne is not None and name in BK.NE_EXPR and n != 16:
                    env = dict(zip(BK.NE_NAMES[name], ins))
                    ex = BK.NE_EXPR[name]
                    impls["numexpr"] = lambda: ne.evaluate(ex, local_dict=env)
                if nb and n != 16:
                    f = nb[name]
                    fargs = ins + ([] if name == "sumsq" else outs)
                    impls["numba"] = lambda: f(*fargs)
                impls["framejit"] = lambda: compiled(*ins)
                want, got = quiet(NP_FUNCS[name])(*ins), compiled(*ins)
                for w, g in zip(want if isinstance(want, tuple) else (want,),
                                got if isinstance(got, tuple) else (got,)):
                    tol = 1e-9 if dt == "float64" else 1e-4
                    np.testing.assert_allclose(g, w, rtol=tol, atol=tol * np.max(np.abs(w)))
                t = paired(impls, args.repeats)
                key = f"{name}|{dt}|{n}"
                if par and key in par:
                    t["numba par"] = par[key]["numba_par"]
                if torch_res and key in torch_res:
                    t["torch.compile"] = torch_res[key]["torch"]
                bound = nbytes / rates[2]
                vs_torch = (f"{t['torch.compile'] / t['framejit']:.2f}x"
                            if "torch.compile" in t else "n/a")
                row = [name, dt, f"{n:.0e}" if n != 16 else "16",
                       *(fmt_time(t.get(k)) for k in
                         ("numpy", "numexpr", "numba", "numba par", "torch.compile", "framejit")),
                       f"{t['numpy'] / t['framejit']:.1f}x", vs_torch,
                       f"{t['framejit'] / bound:.2f}" if n != 16 else ""]
                (small if n == 16 else rows).append(row)
                print(" | ".join(map(str, row)), file=sys.stderr, flush=True)
    headers = ["workload", "dtype", "n", "numpy", "numexpr", "numba", "numba par",
               "torch.compile", "framejit", "fj vs numpy", "fj vs torch", "fj / bw bound"]
    print(markdown_table(headers, rows))
    print()
    print("Per call at 16 elements (row workloads: one row of 16):")
    print()
    print(markdown_table(headers[:3] + ["numpy", "torch.compile", "framejit", "fj vs numpy",
                                        "fj vs torch"],
                         [r[:4] + r[7:9] + r[9:11] for r in small]))
    print()
    print(f"- triad (b + 3c into a preallocated output, float64 1e7): "
          f"{rates[1] / 1e9:.1f} GB/s on 1 thread, {rates[2] / 1e9:.1f} GB/s on 2")
    print(f"- {torch_note}; numba parallel in a child process")
    print(f"- framejit kernels ISA {K.isa()}, OpenMP {K.HAVE_OPENMP}, "
          f"config.num_threads={fj.config.num_threads}; load average at the end "
          f"{os.getloadavg()[0]:.2f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e3,1e5,1e6,1e7")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    a.sizes = [int(float(s)) for s in a.sizes.split(",")]
    a.dtypes = a.dtypes.split(",")
    a.workloads = a.workloads.split(",")
    if a.worker:
        return worker(a.worker, a.sizes, a.dtypes, a.repeats, a.workloads)
    main_run(a)


if __name__ == "__main__":
    main()
