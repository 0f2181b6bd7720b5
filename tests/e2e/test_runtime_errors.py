"""Exceptions that only the data decides, raised while a compiled graph runs.

``np.linalg.inv`` of a singular matrix, a division under ``np.errstate(all="raise")`` or
``np.seterr``, a RuntimeWarning turned into an error: the graph raises when it runs, not
while it is traced. The frame then runs its own code unoptimized for that call
(trace/codegen.py, ``emit_fallback``), so the exception comes at its program point: after
the effects before it, inside the user's ``try``/``with``/``finally``, as in Python.
Each test compares plain Python with the compiled function, on failing and passing
inputs, first call and cache hits.
"""
import warnings

import numpy as np
import pytest

import framejit as fj
from framejit._native import _modes

from test_breaks_toplevel import LOG, compare

SINGULAR = np.ones((3, 3))
REGULAR = np.eye(3) * 2.0
A = np.array([1.0, 0.0, 2.0])
B = np.array([0.0, 0.0, 1.0])


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    old = np.geterr()
    yield
    np.seterr(**old)
    fj.reset()


def _both(fn, *inputs, **kw):
    """compare() on every input set, each compiled afresh and then from the cache."""
    for args in inputs:
        fj.reset()
        compare(fn, *args, calls=3, **kw)


def inverse_or_pinv(m):
    LOG.append("start")
    try:
        inv = np.linalg.inv(m)
        LOG.append("inverted")
    except np.linalg.LinAlgError as e:
        LOG.append(("singular", str(e)))
        inv = np.linalg.pinv(m) if False else m * 0.5
    return inv + 1


def effects_then_a_failing_solve(m):
    LOG.append("before")
    x = np.linalg.solve(m, np.ones(3))
    LOG.append("after")
    return x


def finally_runs(a, b):
    try:
        with np.errstate(all="raise"):
            y = a / b
        LOG.append("divided")
    finally:
        LOG.append("finally")
    return y


def errstate_is_restored(a, b):
    try:
        with np.errstate(divide="raise", invalid="raise"):
            return a / b
    except FloatingPointError as e:
        LOG.append(("fpe", str(e), np.geterr()["divide"]))
        return a


def break_then_failing_graph(m):
    y = m * 2
    fj.graph_break()
    try:
        return np.linalg.inv(y) + 1
    except np.linalg.LinAlgError:
        LOG.append("caught after the break")
        return y


def failing_graph_then_break(m):
    try:
        y = np.linalg.inv(m)
    except np.linalg.LinAlgError:
        y = m
    LOG.append("between")
    print(end="")                      # a break after the failing segment
    return y - 1


def with_a_closure(m):
    scale = 3.0

    def inner(v):
        try:
            return np.linalg.inv(v) * scale
        except np.linalg.LinAlgError:
            LOG.append(("closure", scale))
            return v * scale
    return inner(m) + 1


def varargs(m, *rest, k=1.0, **extra):
    try:
        out = np.linalg.inv(m) * k
    except np.linalg.LinAlgError:
        out = m + len(rest) + len(extra)
    return out


class Solver:
    def __init__(self, m):
        self.m = m

    def run(self, rhs):
        try:
            return np.linalg.solve(self.m, rhs)
        except np.linalg.LinAlgError:
            LOG.append("method caught")
            return rhs


@pytest.mark.parametrize("fn", [inverse_or_pinv, effects_then_a_failing_solve,
                                break_then_failing_graph, failing_graph_then_break,
                                with_a_closure])
def test_linalg_errors_are_raised_at_their_program_point(fn):
    _both(fn, (SINGULAR,), (REGULAR,))


def test_varargs_and_methods_fall_back_with_their_arguments():
    _both(varargs, (SINGULAR, 1, 2), (REGULAR, 1), )
    for m in (SINGULAR, REGULAR):
        fj.reset()
        compare(lambda m, r: Solver(m).run(r), m, np.arange(3.0))


@pytest.mark.parametrize("fn", [finally_runs, errstate_is_restored])
def test_floating_point_errors_under_errstate(fn):
    _both(fn, (A, B), (A, np.ones(3)))
    assert np.geterr()["divide"] == "warn", "the errstate block was exited"


def test_seterr_raise_inside_try():
    def fn(a, b):
        try:
            y = np.sqrt(a - 2.0) + a / b
        except FloatingPointError as e:
            LOG.append(str(e))
            y = a
        return y

    np.seterr(all="raise")
    _both(fn, (A, B), (A + 5.0, np.ones(3)))


def test_a_warning_turned_into_an_error_is_caught_where_python_catches_it():
    def fn(a, b):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            try:
                return a / b
            except RuntimeWarning as w:
                LOG.append(str(w))
                return a

    _both(fn, (A, B), (A, np.ones(3)))


def test_fullgraph_function_raises_the_same_exception_after_the_same_effects():
    def fn(m):
        LOG.append("in")
        return np.linalg.inv(m)

    for m in (SINGULAR, REGULAR):
        fj.reset()
        compare(fn, m, fullgraph=True)
    assert _modes.depth() == 0


def test_an_unhandled_graph_error_keeps_the_callers_traceback_lines():
    def fn(m):
        y = m + 1
        return np.linalg.inv(m) * y

    with pytest.raises(np.linalg.LinAlgError) as info:
        fj.compile(fn)(SINGULAR)
    lines = [t.lineno + 1 for t in info.traceback if t.frame.code.name == "fn"]  # 0-based
    assert fn.__code__.co_firstlineno + 2 in lines


@pytest.mark.xfail(strict=True, reason="a graph that writes into an input array cannot be "
                   "run again: when it fails, its exception leaves the compiled call "
                   "without reaching the frame's handlers (codegen._mutates)")
def test_a_failing_graph_that_mutates_an_input_reaches_the_handler():
    def fn(x, m):
        x += 1.0
        try:
            y = np.linalg.inv(m)
        except np.linalg.LinAlgError:
            y = m
        return y

    compare(fn, np.zeros(3), SINGULAR)


def test_failing_graphs_in_a_loop_whose_body_breaks():
    def fn(ms):
        out = []
        for i, m in enumerate(ms):
            LOG.append(i)
            fj.graph_break()
            try:
                out.append(float(np.linalg.inv(m).sum()))
            except np.linalg.LinAlgError:
                out.append(-1.0)
        return out

    compare(fn, [REGULAR, SINGULAR, REGULAR, SINGULAR * 2, REGULAR], calls=3)
    assert _modes.depth() == 0
