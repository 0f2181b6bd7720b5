"""Graph breaks inside loops, ``with`` blocks and ``try``/``except``/``finally``.

The array work before and after the break stays compiled in every iteration; user
context managers are entered and exited once, with the exception they would see in
plain Python; exceptions from the breaking instruction or later reach the right handler.
"""
import numpy as np
import pytest

import framejit as fj
from framejit._native import _modes

from test_breaks_toplevel import LOG, Counting, compare, ops  # noqa: F401

X = np.random.default_rng(3).standard_normal(6)


@fj.disable
def boom(v):
    raise ValueError("boom")


class CM:
    def __init__(self, swallow=False):
        self.swallow = swallow

    def __enter__(self):
        LOG.append("enter")
        return self

    def __exit__(self, typ, value, tb):
        LOG.append(("exit", typ.__name__ if typ else None))
        return self.swallow


# ---------------------------------------------------------------- loops


def test_for_loop_body_stays_compiled():
    def f(x):
        for i in range(4):
            x = np.tanh(x) * 2 + i
            LOG.append(i)
            fj.graph_break()
            x = x - 1
        return x

    be = compare(f, X)
    assert {"tanh", "subtract"} <= set(ops(be))


def test_for_over_list_of_arrays_with_break_and_accumulator():
    def f(xs, w):
        out = []
        for v in xs:
            y = v * w
            fj.graph_break()
            out.append(np.exp(y))
        return sum(out)

    be = compare(f, [X, X * 2, X + 1], 0.5)
    assert "exp" in ops(be)


def test_while_loop_with_break_and_counter():
    def f(x):
        i = 0
        while i < 5:
            x = np.sin(x) + i
            fj.graph_break()
            i += 1
        return x, i

    be = compare(f, X)
    assert "sin" in ops(be)


def test_loop_with_break_and_continue_and_early_exit():
    def f(x, stop):
        total = x * 0
        for i in range(10):
            if i % 2:
                continue
            fj.graph_break()
            total = total + x * i
            if i >= stop:
                break
        return total

    compare(f, X, 4)
    compare(f, X, 100)


def test_nested_loops_with_data_dependent_branch():
    def f(x, ws):
        acc = []
        for w in ws:
            for k in range(2):
                if (x * w).sum() > k:
                    acc.append(x * w + k)
                else:
                    acc.append(-x)
        return sum(acc)

    compare(f, X, [0.1, 1.0, -2.0])


# ---------------------------------------------------------------- with


def test_user_context_manager_entered_and_exited_once():
    def f(x):
        y = x + 1
        with CM():
            LOG.append("in")
            fj.graph_break()
            y = y * 2
        return y - 1

    be = compare(f, X)
    assert {"add", "multiply"} <= set(ops(be))


def test_exception_from_the_break_reaches_the_context_manager():
    def f(x, swallow):
        y = x * 2
        with CM(swallow):
            boom(y)
            LOG.append("not reached")
        return y + 1

    compare(f, X, True)
    compare(f, X, False)


def test_exception_after_the_break_reaches_the_context_manager():
    def f(x):
        with CM():
            fj.graph_break()
            raise KeyError("inside")
        return x

    compare(f, X)


def test_mode_with_block_is_reentered_and_exited():
    def f(x):
        y = x + 1
        with fj.error_on_graph_break(False):
            fj.graph_break()
            y = y * 3
        return y

    @fj.error_on_graph_break(True)
    def strict(x):
        return f(x)

    compare(strict, X)
    assert _modes.depth() == 0


# ---------------------------------------------------------------- try


def test_break_in_try_finally():
    def f(x):
        y = np.cos(x) * 3
        try:
            LOG.append("try")
            fj.graph_break()
            y = y - 1
        finally:
            LOG.append("finally")
        return y / 2

    be = compare(f, X)
    assert {"cos", "divide"} <= set(ops(be))


def test_exception_from_the_break_is_caught():
    def f(x):
        y = np.sin(x)
        try:
            LOG.append("try")
            boom(y)
            LOG.append("not reached")
        except ValueError as e:
            LOG.append(str(e))
            y = y * 2
        else:
            LOG.append("else")
        finally:
            LOG.append("finally")
        return np.cos(y)

    compare(f, X)


def test_exception_after_the_break_is_caught_by_the_right_handler():
    def f(x, which):
        try:
            try:
                fj.graph_break()
                if which == 0:
                    raise KeyError("k")
                if which == 1:
                    raise IndexError("i")
                y = x + 1
            except KeyError:
                LOG.append("inner")
                y = x * 2
        except IndexError:
            LOG.append("outer")
            y = x * 3
        return y

    for which in range(3):
        compare(f, X, which)


def test_break_inside_except_block_runs_correctly():
    def f(x):
        try:
            raise ValueError("v")
        except ValueError as e:
            fj.graph_break()
            LOG.append(str(e))
            y = x + 1
        return y

    compare(f, X)


def test_break_inside_inlined_try_finally_with_late_exception():
    def inner(x):
        try:
            fj.graph_break()
            y = x + 1
            if y.shape[0] == 6:
                raise IndexError("late")
        finally:
            LOG.append("finally")
        return y

    def f(x):
        return inner(x) * 2

    compare(f, X)


def test_break_under_outer_try_in_caller():
    def inner(x):
        y = x * 2
        fj.graph_break()
        return boom(y)

    def f(x):
        try:
            return inner(x)
        except ValueError:
            LOG.append("caught")
            return x

    compare(f, X)
