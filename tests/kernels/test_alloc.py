"""Kernel outputs and their memory (include/framejit/memhandler.h, pyx/_kernels_out.pxi):

- results are plain NumPy arrays: no ``.base`` (unless NumPy returns a view), own their
  data, writeable, picklable, resizable; their memory handler is framejit's only for
  large outputs, and the caller's handler is back in force after every call, also when
  an allocation fails;
- a block is reused only after NumPy freed its array (and every view of it): a result
  the user holds is never overwritten by later calls;
- the cache is bounded (bytes, blocks per size class; framejit.config) and thread-safe
  (arrays may die on any thread); RSS stays flat over 10^4 calls with 8 MB results.
"""
import gc
import os
import pickle
import threading

import numpy as np
import pytest
from numpy._core.multiarray import get_handler_name

import framejit as fj

from conftest import K

BIG = (512, 1024)            # 4 MiB of float64: cached
OURS = K.HANDLER_NAME


@pytest.fixture(autouse=True)
def _cache_defaults():
    prev = (fj.config.output_cache_bytes, fj.config.output_cache_per_size,
            fj.config.num_threads)
    K.cache_clear()
    yield
    (fj.config.output_cache_bytes, fj.config.output_cache_per_size,
     fj.config.num_threads) = prev
    K.cache_clear()


def _plain(a):
    assert type(a) is np.ndarray
    assert a.base is None and a.flags.owndata and a.flags.writeable
    assert a.ctypes.data % 16 == 0
    b = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a, b)


def test_empty_is_a_plain_array():
    a = K.empty(BIG, np.float64)
    _plain(a)
    assert get_handler_name(a) == OURS and a.ctypes.data % 64 == 0
    small = K.empty((3,), np.float32)
    _plain(small)
    assert get_handler_name(small) == "default_allocator"
    f = K.empty(BIG, np.float64, strides=(8, 8 * BIG[0]))
    _plain(f)
    assert f.flags.f_contiguous and not f.flags.c_contiguous
    a.resize((10,), refcheck=False)       # realloc through the handler
    a[:] = 1.0
    assert a.sum() == 10.0
    assert get_handler_name() == "default_allocator"


def test_compiled_results_are_plain_arrays():
    def f(x, y):
        return (x * 2.0 + y, np.exp(x).sum(axis=-1, keepdims=True), (x * y).sum(axis=-1),
                x[1:], x.T, np.where(x > 0, x, y), (x * x).sum(keepdims=True))

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(BIG), rng.standard_normal(BIG)
    got = fj.compile(f)(x, y)
    want = f(x, y)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype and g.strides == w.strides
        assert (g.base is None) == (w.base is None)
        if w.base is None:
            _plain(g)
    assert got[3].base is x and got[4].base is x
    assert get_handler_name(got[0]) == OURS
    assert get_handler_name() == "default_allocator"


def test_reuses_only_dead_buffers():
    a = K.empty(BIG, np.float64)
    addr = a.ctypes.data
    view = a[3:]
    del a
    b = K.empty(BIG, np.float64)
    assert b.ctypes.data != addr                  # the view keeps the first block alive
    del view
    c = K.empty(BIG, np.float64)
    assert c.ctypes.data == addr and not np.shares_memory(b, c)
    hits = K.cache_stats()["hits"]
    del b, c
    assert K.cache_info()[0] == 2
    d = K.empty((500, 1024), np.float64)          # same size class: reused
    assert K.cache_stats()["hits"] == hits + 1
    del d


def test_held_results_are_never_overwritten():
    f = fj.compile(lambda x, k: x * k + 1.0)
    x = np.arange(BIG[0] * BIG[1], dtype=np.float64)
    ks = [np.array(float(k)) for k in range(20)]   # arrays: one compiled entry
    held = [f(x, ks[k]) for k in range(6)]
    for _ in range(20):                            # churn: results die and come back
        for k in range(10, 20):
            r = f(x, ks[k])
            np.testing.assert_array_equal(r[:5], x[:5] * k + 1.0)
            del r
    for k, h in enumerate(held):
        np.testing.assert_array_equal(h, x * k + 1.0)
    addrs = {h.ctypes.data for h in held}
    assert len(addrs) == len(held)
    assert K.cache_stats()["hits"] > 0            # the churn did reuse blocks


def test_bounds_follow_config():
    fj.config.output_cache_per_size = 2
    arrays = [K.empty(BIG, np.float64) for _ in range(5)]
    del arrays
    assert K.cache_info() == (2, 2 * K.size_class(8 * BIG[0] * BIG[1]))
    fj.config.output_cache_bytes = 5 << 20          # room for one 4 MiB block
    assert K.cache_info()[0] == 1
    fj.config.output_cache_per_size = 4
    arrays = [K.empty(BIG, np.float64) for _ in range(3)]
    del arrays
    assert K.cache_info()[1] <= 5 << 20
    fj.config.output_cache_bytes = 0                # off: nothing kept, default handler
    assert K.cache_info() == (0, 0)
    a = K.empty(BIG, np.float64)
    assert get_handler_name(a) == "default_allocator"
    with pytest.raises(ValueError):
        fj.config.output_cache_bytes = -1
    with pytest.raises(ValueError):
        fj.config.output_cache_per_size = 1.5


def test_size_classes():
    m = 1 << 20
    for n in (m, m + 1, 3 * m - 5, 10**7, 8 * 10**7):
        c = K.size_class(n)
        assert n <= c <= n * 1.25 + 4096
        assert K.size_class(c) == c
    assert K.size_class(1000) == 1000


def test_handler_restored_when_allocation_fails():
    with pytest.raises(MemoryError):
        K.empty((1 << 44,), np.float64)              # 128 TiB: malloc fails
    assert get_handler_name() == "default_allocator"
    assert get_handler_name(np.empty(BIG)) == "default_allocator"


def test_frees_from_other_threads():
    """Arrays allocated on one thread die on others while more are allocated: the
    cache stays consistent and bounded, and every array keeps its own contents."""
    fj.config.output_cache_per_size = 3
    errors = []

    def worker(batch, k):
        try:
            for a in batch:
                assert a[0, 0] == k
            batch.clear()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for round_ in range(10):
        threads = []
        for k in range(4):
            batch = []
            for _ in range(4):
                a = K.empty(BIG, np.float64)
                a.fill(k)
                batch.append(a)
            t = threading.Thread(target=worker, args=(batch, k))
            del batch, a
            threads.append(t)
            t.start()
        keep = [K.empty(BIG, np.float64) for _ in range(3)]
        for t in threads:
            t.join()
        del keep
        assert not errors
        blocks, nbytes = K.cache_info()
        assert blocks <= 3 and nbytes <= fj.config.output_cache_bytes
    stats = K.cache_stats()
    assert stats["hits"] > 0 and stats["released"] >= stats["hits"]


def _rss():
    with open(f"/proc/{os.getpid()}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_rss_is_stable_over_many_calls():
    """10^4 calls, each producing an 8 MB result that dies: no growth after warm-up."""
    f = fj.compile(lambda x: x + 1.0)
    x = np.ones(10**6)
    fj.config.num_threads = 1          # memory-bound: the second thread only adds noise
    for _ in range(200):
        f(x)
    gc.collect()
    before = _rss()
    for _ in range(10**4):
        r = f(x)
    assert r[0] == 2.0
    del r
    gc.collect()
    grown = _rss() - before
    assert grown < 16 << 20, f"RSS grew by {grown / 2**20:.1f} MiB over 10^4 calls"
    assert K.cache_info()[1] <= fj.config.output_cache_bytes


@pytest.mark.skipif(not hasattr(__import__("resource"), "getrusage"), reason="needs getrusage")
def test_mid_sized_outputs_do_not_fault_in_on_every_call():
    """Two 800 KB outputs a call: malloc would map them, or trim the heap top they leave,
    and every call would fault ~400 pages in again; from 128 KiB they come from the cache."""
    import resource
    f = fj.compile(lambda x, y: (x * y, x - y))
    x, y = np.ones(10**5), np.full(10**5, 2.0)
    fj.config.num_threads = 1
    for _ in range(5):
        f(x, y)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(50):
        a, b = f(x, y)
        del a, b
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 50, f"{faults / 50:.0f} page faults per call"
    assert get_handler_name(f(x, y)[0]) == OURS
