"""Whole-program mode on pure-Python code: recursive fib(20) (21,891 calls, no array work)

- plain (no eval function set: CPython inlines Python-to-Python calls),
- under a do-nothing C eval function (the floor any PEP 523 hook pays on 3.11),
- under framejit.install() after the first call (which traces fib and marks it
  install-skip, so later calls are not traced again).
Each round times the best of 5 calls of each, interleaved; reports the medians over
rounds of the per-round ratios to plain, and the first (tracing) call.
Run: ``python bench/bench_install.py [--rounds N]``.
"""
import argparse
import statistics
import time

import framejit as fj
from framejit import _native

ef = _native._evalframe


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def best(reps=5):
    b = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fib(20)
        b = min(b, time.perf_counter() - t)
    return b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    rounds = ap.parse_args().rounds
    fj.reset()
    fj.install()
    t = time.perf_counter()
    fib(20)                                   # first call: traced, then marked
    first = time.perf_counter() - t
    fj.uninstall()
    plain, r_floor, r_inst = [], [], []
    for _ in range(rounds):
        p = best()
        ef.set_passthrough_evaluator(True)
        fl = best()
        ef.set_passthrough_evaluator(False)
        fj.install()
        i = best()
        fj.uninstall()
        plain.append(p)
        r_floor.append(fl / p)
        r_inst.append(i / p)
    med = statistics.median
    print(f"fib(20) plain {med(plain) * 1e3:.3f} ms; do-nothing eval function x{med(r_floor):.3f}; "
          f"install() x{med(r_inst):.3f} (min {min(r_inst):.3f}, max {max(r_inst):.3f}; "
          f"{rounds} rounds); first call under install() {first * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
