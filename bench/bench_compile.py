"""Trace + compile latency: how long the first call of a compiled function spends in
framejit before the graph runs.

For each function: ``framejit.reset()``, one call (a cache miss: trace, build the graph,
hand it to the backend, generate the replacement code, lower the guards); the time
recorded in the cache entry is the converter's own (``compile_time``), reported as the
median over repeats. Run: ``python bench/bench_compile.py [--repeats N]``.
"""
import argparse
import statistics

import numpy as np

import framejit as fj
from framejit import _native

ef = _native._evalframe


def chain50(x, y):
    """50 ops: a long elementwise chain with a few reductions, as scientific code has."""
    a = x * 2.0 + y
    b = np.sin(a) * np.cos(y) - a / 3.0
    c = np.exp(-b * b) + np.sqrt(np.abs(a)) * 0.5
    d = np.maximum(c, 0.1) * np.tanh(b) - np.minimum(a, 1.0)
    e = (d - d.mean()) / (d.std() + 1e-9)
    f = np.where(e > 0, e, 0.01 * e) + np.log1p(np.abs(c))
    g = f * f + 2.0 * f * a - np.arctan2(b, c + 1.0)
    h = np.clip(g, -3.0, 3.0) ** 2 + np.square(d) - c * 0.25
    i = h.sum() + f.max() - g.min() + (a * b).mean()
    return h / (1.0 + np.abs(i)) + e * 0.5 - b


def softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def layer_norm(x, w, b):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


def heat_step(u, alpha):
    out = u.copy()
    out[1:-1, 1:-1] = u[1:-1, 1:-1] + alpha * (
        u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1])
    return out


CASES = [
    ("50-op elementwise chain", chain50, lambda: (np.ones(1000), np.ones(1000))),
    ("row softmax", softmax, lambda: (np.ones((64, 128)),)),
    ("layer norm", layer_norm, lambda: (np.ones((64, 128)), np.ones(128), np.zeros(128))),
    ("2-D heat stencil step", heat_step, lambda: (np.ones((64, 64)), 0.1)),
]


def measure(fn, make_args, backend, repeats):
    times, ops = [], 0
    for _ in range(repeats):
        fj.reset()
        compiled = fj.compile(fn, backend=backend)
        compiled(*make_args())
        entry = ef.cache_entries(fn.__code__)[-1]
        times.append(entry["info"].compile_time)
        ops = sum(len(g.nodes) for g in entry["info"].graphs)
    return statistics.median(times), ops


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--backend", default="eager")
    args = ap.parse_args(argv)
    print(f"| function | ops in graph | trace + compile (ms, median of {args.repeats}) |")
    print("|---|---:|---:|")
    for name, fn, make in CASES:
        t, ops = measure(fn, make, args.backend, args.repeats)
        print(f"| {name} | {ops} | {1e3 * t:.2f} |")


if __name__ == "__main__":
    main()
