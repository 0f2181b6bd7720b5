"""Generators inlined into the trace (trace/generators.py), against plain Python.

Generator expressions and generator functions consumed by traced code run item by item,
interleaved with their consumer as in CPython (effects in order, ``any`` stopping early,
``min``'s key per item, ``reduce``), and their array work joins the graph (one graph under
``fullgraph=True``). A generator that would have to be rebuilt (returned, live at a
break, a break inside its body, left suspended inside a ``try``) makes its call a break
instead, with the same results.
"""
import functools

import numpy as np
import pytest

import framejit as fj

from test_breaks_toplevel import LOG, compare

ARRS = [np.arange(3.0) * i for i in range(1, 4)]
X = np.arange(3.0)


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


def _gen(n):
    for i in range(n):
        LOG.append(("gen", i))
        yield i
    LOG.append("gen done")


def _key(v):
    LOG.append(("key", v))
    return -v


def _add(a, b):
    LOG.append(("add", a, b))
    return a + b


def _guarded(n):
    try:
        for i in range(n):
            yield i
    finally:
        LOG.append("finally")


def weighted_sum(arrs, ws):
    return sum(a * w for a, w in zip(arrs, ws))


def consumers_interleave(x):
    e = any(LOG.append(v) or v > 1 for v in (1, 2, 3))
    m = min(_gen(3), key=_key)
    r = functools.reduce(_add, _gen(3))
    r0 = functools.reduce(_add, _gen(0), 5)
    s = sum(_gen(2))
    t = tuple(v * 2 for v in _gen(2))
    return x + e + m + r + r0 + s + sum(t)


def next_and_loop(x):
    it = _gen(3)
    first = next(it)
    LOG.append(("first", first))
    for v in it:
        LOG.append(("body", v))
        x = x + v
    return x + first + next(it, -1)


def generator_function_with_arrays(x):
    def rows(m):
        for i in range(m.shape[0]):
            yield m[i] * 2
    return sum(rows(np.outer(x, x)))


def exception_inside_reaches_the_consumer(x):
    def bad():
        yield 1
        raise ValueError("in gen")
    try:
        return x + sum(bad())
    except ValueError as e:
        LOG.append(str(e))
        return x


def stop_iteration_inside_is_a_runtime_error(x):
    def bad():
        yield 1
        raise StopIteration
    try:
        return x + sum(bad())
    except RuntimeError as e:
        LOG.append(str(e))
        return x


def returned_generator(x):
    return x + 1, (v for v in (1, 2))


def break_inside_the_generator(x):
    return sum(a.sum() for a in (x, x * 2, -x) if a.sum() > 0)


def break_in_the_loop_body(x):
    for v in _gen(3):
        x = x + v
        print(end="")
    return x


def abandoned_inside_a_try(x):
    first = next(_guarded(3))                 # closed (its finally runs) when collected
    return x + first, LOG.count("finally")


@pytest.mark.parametrize("fn", [consumers_interleave, next_and_loop,
                                generator_function_with_arrays,
                                exception_inside_reaches_the_consumer,
                                stop_iteration_inside_is_a_runtime_error])
def test_inlined_generators_match_plain_python_in_one_graph(fn):
    be = compare(fn, X, fullgraph=True)      # fullgraph: no break anywhere
    assert len(be.graphs) <= 1


def test_a_weighted_sum_over_arrays_is_one_fused_graph():
    be = compare(weighted_sum, ARRS, [0.5, 2.0, -1.0], fullgraph=True)
    assert len(be.graphs) == 1


@pytest.mark.parametrize("fn", [returned_generator, break_inside_the_generator,
                                break_in_the_loop_body, abandoned_inside_a_try])
def test_generators_that_cannot_be_inlined_still_match(fn):
    def plain_result(out):
        return out[0] if isinstance(out, tuple) else out

    LOG.clear()
    want = fn(X.copy())
    want_log = list(LOG)
    compiled = fj.compile(fn)
    for _ in range(2):
        LOG.clear()
        got = compiled(X.copy())
        np.testing.assert_array_equal(plain_result(got), plain_result(want))
        assert LOG == want_log
        if fn is returned_generator:
            assert list(got[1]) == [1, 2]
