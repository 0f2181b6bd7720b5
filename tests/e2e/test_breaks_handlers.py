"""Graph breaks inside ``except`` and exception-path ``finally`` bodies.

The break runner and the resume functions re-enter the handler (trace/excstate.py), so
the array work around the break stays compiled while the handled-exception state is the
one of plain Python: ``sys.exc_info()``, bare ``raise``, implicit chaining
(``__context__``), nested handlers, and the caller's own handled exception after the
call. Every test compares with plain Python (results, logs, exceptions and their
chains), and checks that no frame ran unoptimized.
"""
import sys

import numpy as np
import pytest

import framejit as fj
from framejit._native import _evalframe as ef
from framejit._native import _modes

from test_breaks_toplevel import LOG, Counting, ops  # noqa: F401

X = np.random.default_rng(4).standard_normal(5)


@fj.disable
def opaque(v):
    """Plain Python in the middle of a handler: sees the handled exception."""
    info = sys.exc_info()[1]
    LOG.append(("opaque", type(info).__name__, str(info)))
    return v


@fj.disable
def boom(msg):
    raise KeyError(msg)


def _chain(exc):
    out = []
    seen = 0
    while exc is not None and seen < 8:
        out.append((type(exc).__name__, str(exc), exc.__cause__ is not None,
                    exc.__suppress_context__))
        exc = exc.__context__
        seen += 1
    return out


def _run(fn, args, caller_handles=False):
    """Outcome of ``fn(*args)``: result or exception chain, the log, and the handled
    exception seen by the caller after the call (the call must leave it as it was)."""
    LOG.clear()
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    outer = RuntimeError("caller's")

    def call():
        try:
            return ("ok", fn(*args))
        except Exception as exc:
            return ("raise", _chain(exc))

    if caller_handles:
        try:
            raise outer
        except RuntimeError:
            out = call()
            after = sys.exc_info()[1]
            assert after is outer, f"the caller's handled exception became {after!r}"
    else:
        out = call()
    assert sys.exc_info() == (None, None, None)
    return out, list(LOG)


def _same(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == "raise":
        return a[1] == b[1]
    return np.array_equal(np.asarray(a[1]), np.asarray(b[1]))


def _no_unoptimized(fn):
    seen = [fn.__code__]
    for code in seen:
        for entry in ef.cache_entries(code):
            info = entry.get("info")
            assert info is None or info.kind != "unoptimized", (code.co_name, info)


def compare(fn, *args, calls=3, caller_handles=False):
    expected = _run(fn, args, caller_handles)
    be = Counting()
    compiled = fj.compile(fn, backend=be)
    for _ in range(calls):
        got = _run(compiled, args, caller_handles)
        assert _same(expected[0], got[0]), (expected[0], got[0])
        assert expected[1] == got[1], (expected[1], got[1])
        assert _modes.depth() == 0
    _no_unoptimized(fn)
    return be


def test_break_inside_except_keeps_the_work_compiled():
    def f(x):
        try:
            raise ValueError("v")
        except ValueError as e:
            y = np.sin(x) + 1
            fj.graph_break()
            LOG.append((str(e), sys.exc_info()[1] is e))
            y = np.cos(y) * 2
        return y

    be = compare(f, X)
    assert {"sin", "cos"} <= set(ops(be))


@pytest.mark.parametrize("caller_handles", [False, True])
def test_sys_exc_info_before_and_after_the_break(caller_handles):
    def f(x):
        LOG.append(sys.exc_info()[0] is not None)
        try:
            raise ValueError("inner")
        except ValueError:
            y = opaque(x * 2)
            LOG.append(type(sys.exc_info()[1]).__name__)
            y = y + 1
        LOG.append(type(sys.exc_info()[1]).__name__)
        return y

    compare(f, X, caller_handles=caller_handles)


def test_bare_raise_after_the_break():
    def f(x):
        try:
            raise ValueError("again")
        except ValueError:
            y = x + 1
            fj.graph_break()
            LOG.append("before raise")
            raise

    compare(f, X)
    compare(f, X, caller_handles=True)


def test_bare_raise_keeps_identity_and_traceback_of_a_real_exception():
    def f(x):
        try:
            boom("orig")
        except KeyError as e:
            LOG.append(len(_tb_lines(e)))
            fj.graph_break()
            LOG.append(len(_tb_lines(e)))
            raise

    def _tb_lines(e):
        tb, n = e.__traceback__, 0
        while tb is not None:
            n, tb = n + 1, tb.tb_next
        return n

    compare(f, X)


def test_context_of_an_exception_raised_after_the_break():
    def f(x):
        try:
            raise ValueError("first")
        except ValueError:
            y = x * 3
            fj.graph_break()
            if y.shape[0] == 5:
                raise IndexError("second")
        return y

    compare(f, X)
    compare(f, X, caller_handles=True)


def test_raise_from_after_the_break():
    def f(x):
        try:
            raise ValueError("first")
        except ValueError as e:
            fj.graph_break()
            raise TypeError("wrapped") from e

    compare(f, X)


def test_nested_handlers():
    def f(x):
        try:
            raise ValueError("outer")
        except ValueError as a:
            y = x + 1
            try:
                raise KeyError("inner")
            except KeyError as b:
                y = opaque(y) * 2
                LOG.append((sys.exc_info()[1] is b, b.__context__ is a))
                fj.graph_break()
                y = y - 1
            LOG.append(sys.exc_info()[1] is a)
            fj.graph_break()
            LOG.append(str(sys.exc_info()[1]))
        LOG.append(sys.exc_info()[1])
        return y

    be = compare(f, X)
    assert len(be.graphs) >= 2


def test_nested_handlers_raise_after_the_break():
    def f(x, which):
        try:
            raise ValueError("outer")
        except ValueError:
            try:
                raise KeyError("inner")
            except KeyError:
                fj.graph_break()
                if which == 0:
                    raise
                if which == 1:
                    raise IndexError("new")
            if which == 2:
                raise
        return x

    for which in range(4):
        compare(f, X, which)


def test_break_in_finally_on_the_exception_path():
    def f(x, fail):
        try:
            if fail:
                raise ValueError("in try")
            y = x + 1
        finally:
            z = x * 2
            fj.graph_break()
            LOG.append(("finally", type(sys.exc_info()[1]).__name__))
            z = z + 1
        return y + z

    compare(f, X, True)
    compare(f, X, False)


def test_break_from_the_instruction_inside_the_handler():
    def f(x):
        try:
            raise ValueError("first")
        except ValueError:
            try:
                boom("from the break")
            except KeyError as k:
                LOG.append((str(k), type(k.__context__).__name__))
        return x + 1

    compare(f, X)


def test_data_dependent_branch_inside_a_handler():
    def f(x):
        try:
            raise ValueError("v")
        except ValueError:
            if x.sum() > 0:
                LOG.append(("pos", type(sys.exc_info()[1]).__name__))
                y = x + 1
            else:
                LOG.append(("neg", type(sys.exc_info()[1]).__name__))
                y = x - 1
            return y * 2

    compare(f, X)
    compare(f, -np.abs(X))


def test_loop_with_a_break_inside_a_handler():
    def f(x):
        try:
            raise ValueError("v")
        except ValueError:
            for i in range(3):
                x = np.tanh(x) + i
                fj.graph_break()
                LOG.append((i, type(sys.exc_info()[1]).__name__))
        return x

    be = compare(f, X)
    assert "tanh" in ops(be)


def test_handler_inside_a_loop():
    def f(x):
        for i in range(3):
            try:
                if i % 2:
                    raise ValueError(i)
                x = x + 1
            except ValueError as e:
                fj.graph_break()
                LOG.append(("caught", str(e), str(sys.exc_info()[1])))
                x = x * 2
        LOG.append(sys.exc_info()[1])
        return x

    compare(f, X)


def test_break_in_a_handler_of_an_inlined_callee():
    def inner(x):
        try:
            raise ValueError("callee")
        except ValueError:
            y = opaque(x + 1)    # the one break: sees the callee's handled exception
            return y * 2

    def f(x):
        z = inner(x * 3)
        return z - 1

    be = compare(f, X)
    assert len(be.graphs) == 2


def test_break_in_a_callee_called_from_a_handler():
    def inner(x):
        y = x + 1
        fj.graph_break()
        LOG.append(type(sys.exc_info()[1]).__name__)
        return y

    def f(x):
        try:
            raise ValueError("outer")
        except ValueError:
            z = inner(x) * 2
            LOG.append(type(sys.exc_info()[1]).__name__)
        return z

    compare(f, X)
    compare(f, X, caller_handles=True)


def test_bare_except_and_with_block_inside_the_handler():
    class CM:
        def __enter__(self):
            LOG.append("enter")

        def __exit__(self, *exc):
            LOG.append(("exit", exc[0] is not None))
            return False

    def f(x):
        try:
            raise ValueError("v")
        except:  # noqa: E722
            with CM():
                fj.graph_break()
                LOG.append(type(sys.exc_info()[1]).__name__)
            y = x + 1
        return y

    compare(f, X)


def test_the_exception_object_is_shared_by_name_and_state():
    def f(x):
        try:
            raise ValueError("shared")
        except ValueError as e:
            saved = [e]
            fj.graph_break()
            LOG.append(saved[0] is e)
            LOG.append(sys.exc_info()[1] is e)
            try:
                raise
            except ValueError as again:
                LOG.append(again is e)
        return x

    compare(f, X)


class _Coded(Exception):
    def __init__(self, code):
        super().__init__(f"code {code}")
        self.code = code


def test_resumed_handler_reads_data_attributes_of_the_real_exception():
    """After the break the handled exception is a real object (passed to the resume
    function): its data attributes are read through it. A trace that wrongly raised
    AttributeError here would run the resumed code unoptimized (a "raises" entry)."""
    from framejit.trace import resume

    def f(x):
        try:
            raise _Coded(3)
        except _Coded as e:
            fj.graph_break()
            LOG.append((e.code, e.args, e.__context__, e.__cause__, e.__suppress_context__,
                        e.__traceback__ is not None))
            return np.tanh(x * e.code)

    be = compare(f, X)
    assert "tanh" in ops(be)
    kinds = {e["info"].kind for c in resume.resume_codes(f.__code__)
             for e in ef.cache_entries(c) if e.get("info")}
    assert "raises" not in kinds, kinds


def test_resumed_handler_missing_attribute_and_method_of_the_real_exception():
    def f(x, which):
        try:
            raise _Coded(4)
        except _Coded as e:
            fj.graph_break()
            if which:
                return e.missing                   # AttributeError, as in Python
            return e.with_traceback(None).code     # a method: a break, then Python's
        return x

    compare(f, X, True)
    compare(f, X, False)
