"""Lifetime of the code a graph break generates, and leaks of compiled calls with breaks.

A compiled function with a break owns, through its original code's cache entries, the
replacement code, the break runner and the resume functions; the per-code caches of
trace/resume.py and trace/breakgen.py hold them weakly (keyed by the original code) and
never hold the original code itself, so everything goes with the function.
"""
import gc
import resource
import sys
import types
import weakref

import numpy as np

import framejit as fj
from framejit._native import _evalframe as ef
from framejit.trace import breakgen, resume

_SRC = """
import numpy as np
import framejit as fj

def g(x, log):
    y = np.sin(x) + 1
    fj.graph_break()
    log.append(1)
    for i in range(2):
        y = y * 2
        fj.graph_break()
    try:
        raise ValueError("h")
    except ValueError:
        fj.graph_break()
        y = y - 1
    return y
"""


def _rss_mb():
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _generated(code):
    """Every code object generated for ``code``: resume functions, runners, and the
    replacement codes of the cache entries of all of them."""
    out = list(resume.resume_codes(code)) + list(breakgen.runner_codes(code))
    for c in [code] + out:
        out += [e["code"] for e in ef.cache_entries(c)]
    return out


def test_break_code_freed_with_the_function():
    ns = {}
    exec(compile(_SRC, "<dyn-break>", "exec"), ns)
    g = ns["g"]
    f = fj.compile(g)
    log = []
    for _ in range(2):
        np.testing.assert_allclose(f(np.ones(3), log), g(np.ones(3), []))
    code = g.__code__
    generated = _generated(code)
    assert len(resume.resume_codes(code)) >= 3 and breakgen.runner_codes(code)
    refs = [weakref.ref(c) for c in [code] + generated]
    del g, f, ns, code, generated
    gc.collect()
    fj.reset()
    gc.collect()
    alive = [r() for r in refs if r() is not None]
    assert alive == [], f"{len(alive)} of {len(refs)} code objects still alive: {alive[:3]}"


def test_compiled_calls_with_breaks_memory_flat_and_refcounts_unchanged():
    def g(x, obj):
        y = x * 2
        fj.graph_break()
        try:
            raise KeyError("k")
        except KeyError:
            fj.graph_break()
        return y + 1

    f = fj.compile(g)
    arr = np.zeros(4)
    obj = object()
    f(arr, obj)
    gc.collect()
    counts = (sys.getrefcount(arr), sys.getrefcount(obj))
    for _ in range(5_000):      # warm up allocator pools
        f(arr, obj)
    gc.collect()
    before = _rss_mb()
    for _ in range(100_000):
        f(arr, obj)
    gc.collect()
    after = _rss_mb()
    assert after - before < 5, f"RSS grew {after - before:.1f} MB over 10^5 calls"
    assert (sys.getrefcount(arr), sys.getrefcount(obj)) == counts
    assert sys.exc_info() == (None, None, None)


_CHAIN_SRC = """
import framejit as fj

def key(v):
    fj.graph_break()
    return -v

class Box:
    @property
    def p(self):
        fj.graph_break()
        return 2

def root(x, other):
    try:
        raise KeyError("k")
    except KeyError:
        y = other(x)                      # another module, in an except body
    return y + sorted([3, 1, 2], key=key)[0] + Box().p
"""

_OTHER_SRC = """
import framejit as fj

def other(a):
    fj.graph_break()
    return a * 2
"""


def test_chain_code_through_sites_and_modules_freed_with_the_functions():
    from framejit.trace import sites
    ns, other_ns = {}, {}
    exec(compile(_CHAIN_SRC, "<dyn-chain>", "exec"), ns)
    exec(compile(_OTHER_SRC, "<dyn-other>", "exec"), other_ns)
    root, other = ns["root"], other_ns["other"]
    f = fj.compile(root)
    for _ in range(2):
        np.testing.assert_allclose(f(np.ones(3), other), root(np.ones(3), other))
    helper = sites.sorted_rest.__code__
    codes = [root.__code__, other.__code__, ns["key"].__code__,
             ns["Box"].p.fget.__code__]
    generated = [g for c in codes for g in _generated(c)]
    # the helper's levels that call a user level (its code is one of their constants)
    calling = [c for c in resume.resume_codes(helper)
               if any(isinstance(k, types.CodeType) and k.co_filename.startswith("<dyn")
                      for k in c.co_consts)]
    assert calling
    refs = [weakref.ref(c) for c in codes + generated + calling]
    del root, other, f, ns, other_ns, codes, generated, calling
    gc.collect()
    fj.reset()
    gc.collect()
    alive = [r() for r in refs if r() is not None]
    assert alive == [], f"{len(alive)} of {len(refs)} code objects still alive: {alive[:3]}"
