"""Frame-hook overhead: cache-hit call cost and the cost of the hook on plain Python code.

(a) a cache-hit call of a compiled trivial function against a plain call;
(b) a call-heavy pure-Python workload (no framejit code in it) run
    - with no eval function set (CPython inlines Python-to-Python calls),
    - under a do-nothing C eval function (the floor: inlining is off),
    - with framejit's hook installed but this thread not compiling (a disabled region),
    - after the last compile context ended (the hook is uninstalled again).
Medians of paired, interleaved runs; ratios are against the no-hook run.
Run: ``python bench/bench_overhead.py [--repeats N]``.
"""
import argparse
import statistics
import time

import framejit as fj
from framejit import _native

ef = _native._evalframe
modes = _native._modes


def trivial(a, b):
    return a


def _leaf(x):
    return x + 1


def _mid(x):
    return _leaf(x) + _leaf(x + 1)


def call_heavy(n):
    total = 0
    for i in range(n):
        total += _mid(i)
    return total


def per_call_ns(fn, n=200_000, repeats=7):
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn(1, 2)
        samples.append((time.perf_counter() - t0) / n * 1e9)
    return statistics.median(samples)


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def workload_under(setting, n):
    """Seconds for call_heavy(n) under one of the four settings."""
    if setting == "no hook":
        return _timed(lambda: call_heavy(n))
    if setting == "do-nothing C eval (floor)":
        ef.set_passthrough_evaluator(True)
        try:
            return _timed(lambda: call_heavy(n))
        finally:
            ef.set_passthrough_evaluator(False)
    if setting == "framejit hook installed, thread not compiling":
        tok_c = modes.push("compile", False)
        tok_d = modes.push("disable", False)
        try:
            assert ef.is_installed()
            return _timed(lambda: call_heavy(n))
        finally:
            modes.pop(tok_d)
            modes.pop(tok_c)
    if setting == "after compiled code ran (hook uninstalled)":
        fj.compile(trivial)(1, 2)
        assert not ef.is_installed()
        return _timed(lambda: call_heavy(n))
    raise ValueError(setting)


SETTINGS = ("no hook", "do-nothing C eval (floor)",
            "framejit hook installed, thread not compiling",
            "after compiled code ran (hook uninstalled)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--n", type=int, default=300_000)
    args = ap.parse_args(argv)

    compiled = fj.compile(trivial)
    compiled(1, 2)
    plain = per_call_ns(trivial)
    hit = per_call_ns(compiled)
    print("## (a) cache-hit call of a compiled trivial function\n")
    print("| call | ns per call | added |")
    print("|---|---:|---:|")
    print(f"| plain `trivial(a, b)` | {plain:.0f} | |")
    print(f"| `framejit.compile(trivial)(a, b)`, cache hit | {hit:.0f} | {hit - plain:.0f} ns |")

    times = {s: [] for s in SETTINGS}
    for _ in range(args.repeats):            # interleaved, so drift hits all settings alike
        for s in SETTINGS:
            times[s].append(workload_under(s, args.n))
    base = statistics.median(times["no hook"])
    floor = statistics.median(times["do-nothing C eval (floor)"])
    print(f"\n## (b) call-heavy pure-Python workload ({3 * args.n:,} calls), "
          f"median of {args.repeats} interleaved runs\n")
    print("| setting | ms | vs no hook | vs floor |")
    print("|---|---:|---:|---:|")
    for s in SETTINGS:
        m = statistics.median(times[s])
        print(f"| {s} | {1e3 * m:.1f} | {m / base:.3f} | {m / floor:.3f} |")


if __name__ == "__main__":
    main()
