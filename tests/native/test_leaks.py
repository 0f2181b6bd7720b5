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
