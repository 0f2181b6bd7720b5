"""Leak and stress tests for everything that touches CPython internals."""
import gc
import resource
import sys

import numpy as np

import framejit as fj


def _rss_mb():
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def test_million_compiled_calls_memory_flat_and_refcounts_unchanged():
    def g(a, b, *args, **kw):
        return a

    f = fj.compile(g)
    arr = np.zeros(4)
    obj = object()
    kwval = object()
    f(arr, obj, 1, k=kwval)
    gc.collect()
    counts = (sys.getrefcount(arr), sys.getrefcount(obj), sys.getrefcount(kwval))
    for _ in range(20_000):     # warm up allocator pools
        f(arr, obj, 1, k=kwval)
    gc.collect()
    before = _rss_mb()
    for _ in range(1_000_000):
        f(arr, obj, 1, k=kwval)
    gc.collect()
    after = _rss_mb()
    assert after - before < 5, f"RSS grew {after - before:.1f} MB over 10^6 calls"
    assert (sys.getrefcount(arr), sys.getrefcount(obj), sys.getrefcount(kwval)) == counts


def test_exceptions_do_not_leak_frames_or_args():
    def g(x):
        raise ValueError("no")

    f = fj.compile(g)
    arr = np.ones(3)
    before = sys.getrefcount(arr)
    for _ in range(10_000):
        try:
            f(arr)
        except ValueError:
            pass
    gc.collect()
    assert sys.getrefcount(arr) == before


def test_reset_under_load_is_safe():
    def g(x):
        return x + 1

    f = fj.compile(g)
    for i in range(2000):
        assert f(i) == i + 1
        if i % 7 == 0:
            fj.reset()


def test_dynamic_numbers_and_loop_resumes_do_not_leak():
    """Range guards, dynamic-number graph inputs and cursor resumes, 10^4 calls."""
    def h(a):
        if a[0] > -1e300:               # a break in every iteration
            pass
        return a

    def g(x, n, alpha, out):
        for i in range(n):
            x = x * alpha + i
            h(x)
            out[i] = x
        return x

    f = fj.compile(g)
    x, out = np.ones(3), np.zeros((4, 3))
    for k in range(3):                  # become dynamic
        f(x, 4, 0.5 + k, out)
    gc.collect()
    counts = (sys.getrefcount(x), sys.getrefcount(out))
    for k in range(500):
        f(x, 4, 0.25 * k, out)
    gc.collect()
    before = _rss_mb()
    for k in range(10_000):
        f(x, 4, 0.25 * k, out)
    gc.collect()
    after = _rss_mb()
    assert after - before < 5, f"RSS grew {after - before:.1f} MB over 10^4 calls"
    assert (sys.getrefcount(x), sys.getrefcount(out)) == counts
