"""Per-function cost of framejit's vectorized transcendentals: ns per element of a one-op
kernel program on one thread, on a cache-resident array, next to NumPy's ufunc. One
command:

    PYTHONPATH=pkg python bench/bench_vecmath.py [--dtypes float32,float64] [--isa avx2]
                                                 [--n 65536] [--repeats 7] [--json]

The inputs are typical ranges (sin on [-10, 10], log on [0.01, 100], power with bases in
[0.1, 10] and exponents in [-5, 5], ...), so the numbers are the fast paths' cost. --json
prints {"fn|dtype": [framejit_ns, numpy_ns]} instead of the table (to compare builds).
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import markdown_table, measure  # noqa: E402
from bench_kernels import K  # noqa: E402

FUNCS = {
    "sin": [(-10, 10)], "cos": [(-10, 10)], "tan": [(-1.5, 1.5)], "exp": [(-20, 20)],
    "exp2": [(-20, 20)], "expm1": [(-5, 5)], "log": [(0.01, 100)], "log2": [(0.01, 100)],
    "log10": [(0.01, 100)], "log1p": [(-0.5, 100)], "tanh": [(-5, 5)],
    "arctan2": [(-5, 5), (-5, 5)], "power": [(0.1, 10), (-5, 5)],
}


def run(dtypes, n, repeats):
    rng = np.random.default_rng(0)
    res = {}
    for dt in dtypes:
        for fn, ranges in FUNCS.items():
            ins = [rng.uniform(lo, hi, n).astype(dt) for lo, hi in ranges]
            out = np.empty(n, dt)
            regs = [("array", i, dt) for i in range(len(ins) + 1)]
            prog = K.Program(regs, [(fn, len(ins)) + tuple(range(len(ins)))])
            args = ins + [out]
            t = measure(lambda: prog(args, num_threads=1), repeats=repeats)
            tn = measure(lambda: getattr(np, fn)(*ins, out=out), repeats=repeats)
            res[f"{fn}|{dt}"] = [t / n * 1e9, tn / n * 1e9]
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--isa", default=None, help="one of K.supported_isas()")
    ap.add_argument("--n", type=int, default=1 << 16)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if a.isa:
        K.set_isa(a.isa)
    res = run(a.dtypes.split(","), a.n, a.repeats)
    if a.json:
        print(json.dumps(res))
        return
    rows = [[k.split("|")[0], k.split("|")[1], f"{v[0]:.2f}", f"{v[1]:.2f}", f"{v[1] / v[0]:.2f}x"]
            for k, v in res.items()]
    print(markdown_table(["function", "dtype", "framejit ns/elem", "numpy ns/elem",
                          "fj vs numpy"], rows))
    print(f"\n- ISA {K.isa()}, 1 thread, n={a.n}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
