"""Sets made by traced code (trace/sets.py), against plain Python.

Set displays, comprehensions, ``set()``, methods, operators and comparisons are traced
on a real set of the elements' values, so results, iteration order and ``pop()`` are
CPython's; errors (unhashable elements, ``remove`` of a missing one, unsupported
operators) are CPython's too.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framejit as fj

from test_breaks_toplevel import LOG, compare

X = np.arange(3.0)


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


def displays_and_comprehensions(x, names):
    s = {1, 2, 3}
    t = {v % 3 for v in range(7)}
    u = set([1, 1, 2])
    u.add(5)
    u.discard(1)
    seen = set()
    for n in names:
        if n in seen:
            LOG.append(("dup", n))
            continue
        seen.add(n)
    for q in {"z", "y"}:                  # a frozenset constant
        LOG.append(q)
    w = (s | t) - {2}
    return x * len(s) + len(t) + len(u) + (2 in s) + len(w) + (s >= {1}), sorted(seen), w


def across_a_break(x):
    s = {x.shape[0], 4}
    fj.graph_break()
    s.add(9)
    s |= {10}
    return x + len(s), s


def methods_and_pop(x):
    a = {3, 1, 4, 1, 5, 9, 2, 6}
    b = set(range(4))
    out = [a.union(b), a.intersection(b, {1}), a.difference(b), a.symmetric_difference(b),
           a.issubset(b), a.isdisjoint({100}), b.issuperset({0, 1})]
    c = a.copy()
    c.difference_update(b)
    popped = [c.pop(), c.pop()]
    return x + len(out), out, popped, c


def errors(x, which):
    if which == 0:
        return {x}
    if which == 1:
        return {[1]}
    if which == 2:
        return set([1]).remove(3)
    return {1} + {2}


@pytest.mark.parametrize("fn, args", [(displays_and_comprehensions, (X, ["a", "b", "a"])),
                                      (across_a_break, (X,)), (methods_and_pop, (X,))])
def test_matches_plain_python(fn, args):
    compare(fn, *args)


def test_break_free_set_code_is_one_graph():
    be = compare(displays_and_comprehensions, X, ["a", "b", "a"], fullgraph=True)
    assert len(be.graphs) == 1


@pytest.mark.parametrize("which", range(4))
def test_errors_match_python(which):
    compare(errors, X, which)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-5, 5), max_size=8), st.lists(st.integers(-5, 5), max_size=8),
       st.sampled_from(["|", "&", "-", "^", "<=", "<", "==", "!="]))
def test_set_operators(a, b, op):
    src = f"def fn(x, a, b):\n    s, t = set(a), {{v for v in b}}\n    r = s {op} t\n" \
          "    return x + len(a), r, list(s), sorted(t)\n"
    ns = {}
    exec(src, ns)
    fj.reset()
    compare(ns["fn"], X, a, b, calls=2)


def test_dict_update_with_keywords():
    def fn(x, d):
        e = {"a": 1}
        e.update(b=2)
        e.update({"c": 3}, d=4)
        d.update({"y": 1}, z=9)
        return x + len(e), e

    held = {"q": 0}
    compare(fn, X, {"q": 0}, fullgraph=True)
    fj.compile(fn)(X, held)
    assert held == {"q": 0, "y": 1, "z": 9}
