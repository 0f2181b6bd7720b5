"""Segments and their effects around graph breaks, against plain Python + SEMANTICS.md.

SEMANTICS §3: a forbidden break raises while its segment is compiled, before any code of
that segment runs; segments before an earlier allowed break have had their effects.
A segment may start inside an inlined call (after a break in a relaxed region) and end
in a caller: its effects in the callee must not run before the caller's forbidden break
raises. Also: a ``nonstrict_trace`` function that runs in plain Python (its caller runs
uncompiled) keeps graph_break() a no-op (SEMANTICS §1).
"""
import io

import numpy as np
import pytest

import framejit as fj


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


def plain(fn, *args):
    """``fn(*args)`` without framejit (the oracle's plain-Python run)."""
    fj.config.disable = True
    try:
        return fn(*args)
    finally:
        fj.config.disable = False


# ---------------------------------------------------------------- nonstrict_trace at run time

@pytest.mark.parametrize("fullgraph", [True, False])
def test_nonstrict_break_is_a_no_op_when_the_caller_raises(fullgraph):
    @fj.nonstrict_trace
    def h(a):
        fj.graph_break()
        return a.sum()

    @fj.compile(fullgraph=fullgraph)
    def f(x):
        h(x)
        raise ValueError("user error")

    for _ in range(2):
        with pytest.raises(ValueError, match="user error"):
            f(np.ones(5))


def test_nonstrict_helper_break_is_a_no_op_when_the_caller_raises():
    def inner(a):
        fj.graph_break()
        return a * 2

    @fj.nonstrict_trace
    def h(a):
        return inner(a).sum()

    @fj.compile(fullgraph=True)
    def f(x):
        h(x)
        raise KeyError("k")

    with pytest.raises(KeyError):
        f(np.ones(5))


def test_nonstrict_inline_form_when_the_caller_raises():
    def h(a):
        fj.graph_break()
        return a + 1

    @fj.compile(fullgraph=True)
    def f(x):
        y = fj.nonstrict_trace(h)(x)
        raise RuntimeError(str(y.shape))

    with pytest.raises(RuntimeError, match=r"\(3,\)"):
        f(np.ones(3))


def test_nonstrict_under_error_on_graph_break_when_the_caller_raises():
    @fj.nonstrict_trace
    def h(a):
        fj.graph_break()
        return a

    @fj.compile
    def f(x):
        with fj.error_on_graph_break(True):
            h(x)
            raise ValueError("v")

    with pytest.raises(ValueError, match="v"):
        f(np.ones(2))


def test_nonstrict_called_from_a_disabled_function_and_plainly():
    @fj.nonstrict_trace
    def h(a):
        fj.graph_break()
        return a * 3

    @fj.disable
    def d(a):
        return h(a)

    @fj.compile
    def f(x):
        return d(x) + 1

    x = np.arange(3.0)
    np.testing.assert_array_equal(f(x), x * 3 + 1)
    np.testing.assert_array_equal(h(x), x * 3)            # no compile entry: plain
    with fj.error_on_graph_break(True):
        np.testing.assert_array_equal(h(x), x * 3)


def test_compiled_function_called_from_a_nonstrict_one_at_run_time_is_compiled():
    graphs = []

    def backend(graph, example_inputs):
        graphs.append(graph)
        return fj.backends.eager(graph, example_inputs)

    @fj.compile(backend=backend)
    def g(a):
        return a * 2 + 1

    @fj.nonstrict_trace
    def h(a):
        return g(a)

    @fj.compile
    def f(x):
        h(x)
        raise ValueError("after")

    with pytest.raises(ValueError):
        f(np.ones(3))
    assert graphs, "g runs under a newer compile entry: compiled"
