"""Breaks executed in one call run in constant Python stack (trace/trampoline.py).

A break runner returns its continuation to a driver instead of calling it, so a loop
whose body breaks runs any number of iterations, as in plain Python — with the mode
stack, exceptions, tracebacks and side effects of plain Python.
"""
import sys
import threading
import traceback
import warnings

import numpy as np
import pytest

import framejit as fj
from framejit._native import _modes

N = 3000          # well past what nested continuations allowed (recursion limit 1000)


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()
    assert _modes.depth() == 0


def _depth():
    f, n = sys._getframe(1), 0
    while f is not None:
        f, n = f.f_back, n + 1
    return n


@fj.disable
def _probe(depths):
    depths.append(_depth())


def _loop_for(x, n, depths):
    for _ in range(n):
        x = x + 1
        _probe(depths)             # a break (a disabled call) each iteration
    return x


def _loop_while(x, n, depths):
    i = 0
    while i < n:
        x = x * 1.0 + 1
        if x.sum() > -1.0:         # data-dependent branch: a break each iteration
            _probe(depths)
        i += 1
    return x


def _leaf(a, depths):
    b = a + 1
    _probe(depths)
    return b * 1.0


def _loop_nested(x, n, depths):
    for _ in range(n):
        x = _leaf(x, depths) - 0.0       # the break is at inline depth 1
    return x


@pytest.mark.parametrize("body", [_loop_for, _loop_while, _loop_nested])
def test_loop_whose_body_breaks_runs_in_constant_stack(body):
    expected = body(np.zeros(3), N, [])
    depths = []
    got = fj.compile(body)(np.zeros(3), N, depths)
    np.testing.assert_array_equal(got, expected)
    assert len(depths) == N
    assert max(depths[10:]) == min(depths[10:]), "the stack grows with the breaks"


def test_loop_under_mode_blocks_and_decorated_callee():
    log = []

    @fj.error_on_graph_break(False)
    def callee(a, i):
        log.append(i)
        fj.graph_break()
        return a + i

    def body(x, n):
        with fj.error_on_graph_break(False):
            for i in range(n):
                x = callee(x, i) * 1.0
                fj.graph_break()
        return x

    expected = body(np.zeros(2), N)     # plain Python
    plain_log = list(log)
    log.clear()
    got = fj.compile(body)(np.zeros(2), N)
    np.testing.assert_array_equal(got, expected)
    assert log == plain_log
    assert _modes.depth() == 0


class _Stop(Exception):
    pass


def test_exception_late_in_the_loop_unwinds_modes_and_points_at_the_user_line():
    def body(x, n):
        with fj.error_on_graph_break(False):
            for i in range(n):
                x = x + 1
                fj.graph_break()
                if i == N - 5:
                    raise _Stop(i)    # raising line
        return x

    compiled = fj.compile(body)
    with pytest.raises(_Stop) as info:
        compiled(np.zeros(2), N)
    assert info.value.args == (N - 5,)
    assert _modes.depth() == 0
    last = traceback.extract_tb(info.value.__traceback__)[-1]
    assert last.name == "body" and last.line.strip() == "raise _Stop(i)    # raising line"
    # the next call works and the mode stack is still balanced
    np.testing.assert_array_equal(fj.compile(body)(np.zeros(2), 10), np.full(2, 10.0))


def test_exception_from_a_callee_after_many_breaks_reaches_the_callers_handler():
    def leaf(a, i):
        fj.graph_break()
        if i == N - 1:
            raise _Stop("leaf")
        return a + 1

    def body(x, n):
        caught = []
        for i in range(n):
            try:
                x = leaf(x, i)
            except _Stop as e:
                caught.append((i, str(e)))
        return x, caught

    expected = body(np.zeros(2), N)
    got = fj.compile(body)(np.zeros(2), N)
    np.testing.assert_array_equal(got[0], expected[0])
    assert got[1] == expected[1] == [(N - 1, "leaf")]


def test_forbidden_break_after_many_allowed_ones_still_raises_before_its_segment():
    log = []

    def body(x, n):
        for i in range(n):
            x = x + 1
            fj.graph_break()
        log.append("after")                 # same segment as the forbidden break
        with fj.error_on_graph_break(True):
            fj.graph_break()
        return x

    with pytest.raises(fj.GraphBreakError):
        fj.compile(body)(np.zeros(2), N)
    assert log == [] and _modes.depth() == 0


def test_recursive_function_breaking_in_a_loop():
    def rec(x, k):
        for _ in range(200):
            x = x + 1
            fj.graph_break()
        if k:
            x = rec(x, k - 1)
        return x

    expected = rec(np.zeros(2), 4)
    np.testing.assert_array_equal(fj.compile(rec)(np.zeros(2), 4), expected)


def test_resume_functions_past_the_cache_limit_run_unoptimized_but_correct():
    def body(x, n, scale):
        for _ in range(n):
            x = x * scale + 1
            fj.graph_break()
        return x

    compiled = fj.compile(body)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = fj.config.cache_size_limit
        fj.config.cache_size_limit = 1
        try:
            for scale in (1, 2, 3, 1.5):
                np.testing.assert_array_equal(compiled(np.zeros(2), 500, scale),
                                              body(np.zeros(2), 500, scale))
        finally:
            fj.config.cache_size_limit = old


def test_threads_loop_with_breaks_concurrently():
    compiled = fj.compile(_loop_for)
    results, errors = {}, []

    def run(k):
        try:
            results[k] = compiled(np.full(2, float(k)), 1500, [])
        except BaseException as e:   # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k in range(4):
        np.testing.assert_array_equal(results[k], np.full(2, k + 1500.0))
