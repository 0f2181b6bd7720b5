"""Exceptions raised by the breaking instruction itself (SEMANTICS.md §3, issue 4).

The break runner (trace/breakgen.py) runs the breaking instruction — mostly a call of a
``framejit.disable``d function; also ``float()`` of an array, an ``if`` on one, ``next()``
of an opaque iterator — in plain Python. When it raises into a handler of its
own frame (``except``, ``finally``, a ``with`` block's exit), the exception leaves the
runner through a continuation that re-raises it at the instruction in a resume function,
so the handler path is traced like any code after a break: its array work is compiled
and a forbidden break in it raises before any effect of its segment. Every test compares
with plain Python: results, side-effect logs, exception chains (type, message,
``__cause__``/``__context__``), ``sys.exc_info()`` inside handlers, the caller's handled
exception after the call, the traceback line of the breaking call, and a balanced mode
stack.
"""
import sys
import traceback

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framejit as fj
from framejit._native import _evalframe as ef
from framejit._native import _modes

from test_breaks_toplevel import Counting, ops

# no frame may end up past the cache limit (running unoptimized): a handler that
# specialized on something changing would hide there
pytestmark = pytest.mark.filterwarnings("error:framejit:RuntimeWarning")

X = np.random.default_rng(7).standard_normal(5)
LOG = []


class Boom(Exception):
    pass


@fj.disable
def fail(msg="boom", exc=Boom):
    """The breaking instruction: a disabled call that raises (sees the handled
    exception of the frame it is called from, as in plain Python)."""
    LOG.append(("fail", msg, type(sys.exc_info()[1]).__name__))
    raise exc(msg)


@fj.disable
def ok(v):
    LOG.append(("ok", type(sys.exc_info()[1]).__name__))
    return v


def _chain(exc):
    out = []
    while exc is not None and len(out) < 8:
        out.append((type(exc).__name__, str(exc), exc.__cause__ is not None,
                    exc.__suppress_context__))
        exc = exc.__context__
    return out


def _user_lines(exc, filename=__file__):
    """The lines of this file in the exception's traceback (generated frames keep the
    user's file and lines)."""
    return {f.lineno for f in traceback.extract_tb(exc.__traceback__)
            if f.filename == filename}


def _run(fn, args, caller_handles):
    LOG.clear()
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    outer = RuntimeError("caller's")

    def call():
        try:
            return ("ok", fn(*args)), None
        except Exception as exc:
            return ("raise", _chain(exc)), exc

    if caller_handles:
        try:
            raise outer
        except RuntimeError:
            out, exc = call()
            assert sys.exc_info()[1] is outer, "the caller's handled exception changed"
    else:
        out, exc = call()
    assert sys.exc_info() == (None, None, None)
    return out, list(LOG), exc


def _same(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == "raise":
        return a[1] == b[1]
    return np.array_equal(np.asarray(a[1]), np.asarray(b[1]))


def _no_unoptimized(fn):
    for entry in ef.cache_entries(fn.__code__):
        info = entry.get("info")
        assert info is None or info.kind != "unoptimized", info


def compare(fn, *args, calls=3, caller_handles=False):
    """Plain vs compiled on every call; returns the counting backend."""
    expected = _run(fn, args, caller_handles)
    be = Counting()
    compiled = fj.compile(fn, backend=be)
    for _ in range(calls):
        got = _run(compiled, args, caller_handles)
        assert _same(expected[0], got[0]), (expected[0], got[0])
        assert expected[1] == got[1], (expected[1], got[1])
        assert _modes.depth() == 0
        if expected[2] is not None:
            # the user's lines of plain Python's traceback (the breaking call's included)
            # are in the compiled one's
            assert _user_lines(expected[2]) <= _user_lines(got[2]), (
                _user_lines(expected[2]), _user_lines(got[2]))
    _no_unoptimized(fn)
    return be


# ---------------------------------------------------------------- into the frame's handlers


@pytest.mark.parametrize("caller_handles", [False, True])
def test_except_body_runs_compiled(caller_handles):
    def f(x):
        y = np.sin(x)
        try:
            fail("a")
            y = y + 100
        except Boom as e:
            LOG.append(("caught", str(e), sys.exc_info()[1] is e,
                        type(e.__context__).__name__))
            y = np.tanh(y) * 2
        LOG.append(sys.exc_info()[1] is None)
        return y + 1

    be = compare(f, X, caller_handles=caller_handles)
    assert "tanh" in ops(be), "the handler's array work is compiled"


def test_not_matching_except_then_matching_outer_try():
    def f(x):
        y = x * 2
        try:
            try:
                fail("inner", KeyError)
            except ValueError:
                LOG.append("wrong handler")
            finally:
                LOG.append(("finally", type(sys.exc_info()[1]).__name__))
                y = y + 1
        except KeyError as k:
            LOG.append(("outer", str(k)))
            y = np.exp(y)
        return y

    be = compare(f, X)
    assert "exp" in ops(be)


@pytest.mark.parametrize("how", ["reraise", "suppress", "new", "from", "from_none",
                                 "raise_e"])
@pytest.mark.parametrize("caller_handles", [False, True])
def test_handler_reraises_suppresses_or_raises_anew(how, caller_handles):
    def f(x):
        y = x + 1
        try:
            fail("orig")
        except Boom as e:
            y = y * 3
            LOG.append(type(sys.exc_info()[1]).__name__)
            if how == "reraise":
                raise
            if how == "new":
                raise IndexError("new")
            if how == "from":
                raise IndexError("new") from e
            if how == "from_none":
                raise IndexError("new") from None
            if how == "raise_e":
                raise e
        return y

    compare(f, X, caller_handles=caller_handles)


def test_bare_raise_keeps_the_identity_and_the_breaking_line():
    seen = []

    def f(x):
        try:
            fail("same")                      # the breaking line
        except Boom as e:
            seen.append(e)
            y = x + 1
            raise

    line = f.__code__.co_firstlineno + 2
    cf = fj.compile(f)
    for _ in range(2):
        seen.clear()
        with pytest.raises(Boom) as info:
            cf(X)
        assert info.value is seen[0]
        assert line in _user_lines(info.value)
        assert _modes.depth() == 0


def test_finally_on_the_exception_path():
    def f(x, fail_it):
        y = x * 2
        try:
            if fail_it:
                fail("in try")
            else:
                ok(0)
            y = y + 5
        finally:
            LOG.append(("finally", type(sys.exc_info()[1]).__name__))
            y = np.cos(y)
            LOG.append(float(y.sum()) > -100)   # a data-dependent break in the finally
        return y

    compare(f, X, True)
    compare(f, X, False)


class CM:
    def __init__(self, suppress):
        self.suppress = suppress

    def __enter__(self):
        LOG.append("enter")
        return self

    def __exit__(self, typ, val, tb):
        LOG.append(("exit", getattr(typ, "__name__", None), str(val), tb is not None))
        return self.suppress


@pytest.mark.parametrize("suppress", [False, True])
def test_with_block_exit_sees_the_exception(suppress):
    def f(x, cm):
        y = x - 1
        try:
            with cm:
                y = np.sin(y)
                fail("in with")
                y = y + 100
            LOG.append(("after with", type(sys.exc_info()[1]).__name__))
            y = np.cos(y)
        except Boom as e:
            LOG.append(("caught", str(e)))
            y = np.cosh(y)
        return y

    be = compare(f, X, CM(suppress))
    assert ("cos" if suppress else "cosh") in ops(be)


class BreakingExitCM(CM):
    """``__exit__`` breaks (allowed) on the exception path."""

    def __exit__(self, typ, val, tb):
        fj.graph_break()
        return super().__exit__(typ, val, tb)


@pytest.mark.parametrize("suppress", [False, True])
def test_with_block_exit_breaks_again_on_the_exception_path(suppress):
    def f(x, cm):
        try:
            with cm:
                y = x * 2
                fail(msg="kw")                     # KW_NAMES before the call
        except Boom:
            LOG.append(("caught", type(sys.exc_info()[1]).__name__))
            y = np.sinh(x)
        return y + 1

    be = compare(f, X, BreakingExitCM(suppress))
    assert suppress or "sinh" in ops(be)


def test_data_dependent_breaks_that_raise():
    def f(x):
        try:
            if x > 0:                              # ambiguous truth value: ValueError
                LOG.append("never")
        except ValueError as e:
            LOG.append(("truth", str(e)))
            x = np.tanh(x)
        try:
            v = float(x)                           # not a size-1 array: TypeError
        except TypeError as e:
            LOG.append(("float", str(e)))
            v = np.cos(x)
        return v

    be = compare(f, X)
    assert {"tanh", "cos"} <= set(ops(be))


def _gen(n):
    for i in range(n):
        yield i
    raise KeyError("generator")


def test_for_loop_whose_iterator_raises():
    def f(x):
        try:
            for v in _gen(3):                      # FOR_ITER breaks on the opaque iterator
                x = x + v
        except KeyError as e:
            LOG.append(("gen", str(e)))
            x = np.exp(x)
        return x

    be = compare(f, X)
    assert "exp" in ops(be)


def test_with_mode_block_is_exited_before_the_handler():
    """The exception leaves ``with error_on_graph_break(False)`` through its exit: the
    handler runs under the enclosing strict mode, so its break raises (in plain Python
    no mode applies)."""
    def f(x):
        with fj.error_on_graph_break(True):
            try:
                with fj.error_on_graph_break(False):
                    fail("lenient")                # allowed break, raises
            except Boom:
                LOG.append("handler")
                fj.graph_break()                   # forbidden here
        return x

    LOG.clear()
    with pytest.raises(fj.GraphBreakError):
        fj.compile(f)(X)
    assert LOG == [("fail", "lenient", "NoneType")], LOG
    assert _modes.depth() == 0


def test_handler_inside_a_lenient_block_of_a_strict_region_breaks():
    def f(x):
        with fj.error_on_graph_break(True):
            with fj.error_on_graph_break(False):
                try:
                    fail("lenient")
                except Boom:
                    y = x + 1
                    fj.graph_break()               # allowed: the lenient block is open
                    LOG.append("handler")
                    y = np.sqrt(np.abs(y))
        return y

    be = compare(f, X)
    assert "sqrt" in ops(be)


def test_except_star_handler():
    def f(x):
        y = x + 2
        try:
            fail("group", lambda m: ExceptionGroup(m, [Boom("b"), KeyError("k")]))
        except* Boom as g:
            LOG.append(("boom part", [str(e) for e in g.exceptions]))
            y = y * 2
        except* KeyError as g:
            LOG.append(("key part", len(g.exceptions)))
            y = y * 3
        return y

    compare(f, X)


def test_break_inside_an_except_body_raises_into_a_try_in_that_body():
    def f(x):
        y = x + 1
        try:
            raise ValueError("handled")
        except ValueError as v:
            try:
                fail("second")                     # context: the handled ValueError
            except Boom as b:
                LOG.append((b.__context__ is v, sys.exc_info()[1] is b))
                y = np.tanh(y)
            LOG.append(sys.exc_info()[1] is v)
        return y

    be = compare(f, X)
    assert "tanh" in ops(be)


@pytest.mark.parametrize("named", [False, True])
def test_break_inside_an_except_body_raises_out_of_it(named):
    def f(x):
        try:
            try:
                raise ValueError("first")
            except ValueError as v:
                if named:                          # `as v`: one more cleanup handler
                    LOG.append(str(v))
                fail("second")                     # leaves the except body
        except Boom as b:
            LOG.append((type(b.__context__).__name__, sys.exc_info()[1] is b))
            return x * 2
        return x

    compare(f, X)
    compare(f, X, caller_handles=True)


def test_no_handler_in_the_frame_keeps_the_exception_as_it_is():
    def f(x):
        y = x + 1
        fail("unhandled")
        return y

    compare(f, X)
    compare(f, X, caller_handles=True)


class Coded(Exception):
    def __init__(self, code):
        super().__init__(f"code {code}")
        self.code = code


@fj.disable
def fail_coded(code):
    raise Coded(code)


def _entry_kinds(fn):
    from framejit.trace import resume
    codes = [fn.__code__, *resume.resume_codes(fn.__code__)]
    return {e["info"].kind for c in codes for e in ef.cache_entries(c) if e.get("info")}


def test_handler_reads_the_real_exceptions_attributes():
    """The exception is the real one (passed to the resume function): its data
    attributes are read through it, so the handler stays compiled (a trace that
    wrongly raised AttributeError would fall back to running the code unoptimized)."""
    def f(x):
        try:
            raise ValueError("first")
        except ValueError as v:
            try:
                fail_coded(3)
            except Coded as e:
                y = x * e.code
                LOG.append((e.code, e.args, e.__context__ is v, e.__cause__,
                            e.__suppress_context__, e.__traceback__ is not None))
        return np.tanh(y)

    be = compare(f, X)
    assert "tanh" in ops(be)
    assert "raises" not in _entry_kinds(f), _entry_kinds(f)


def test_handler_reading_a_missing_attribute_raises_attribute_error():
    def f(x):
        try:
            fail_coded(4)
        except Coded as e:
            LOG.append(e.code)
            return e.missing
        return x

    compare(f, X)


# ---------------------------------------------------------------- nested frames


def _depth1_own(x):
    try:
        fail("d1")
    except Boom:
        LOG.append(("d1 handler", type(sys.exc_info()[1]).__name__))
        x = np.tanh(x)
    return x + 1


def _depth2_own(x):
    return _depth1_own(x * 2) - 1


def _depth1_bare(x):
    y = x + 1
    fail("d1 escapes")
    return y


def _depth2_bare(x):
    return _depth1_bare(x * 2) - 1


def _depth1_reraises(x):
    try:
        fail("d1 reraise")
    except Boom:
        LOG.append("d1 handler")
        x = x + 1
        raise


@pytest.mark.parametrize("callee", [_depth1_own, _depth2_own])
def test_nested_break_raises_into_its_own_frames_handler(callee):
    def f(x):
        y = callee(x) * 3
        LOG.append("after")
        return np.cos(y)

    be = compare(f, X)
    assert {"tanh", "cos"} <= set(ops(be))


@pytest.mark.parametrize("callee", [_depth1_bare, _depth2_bare, _depth1_reraises])
def test_nested_break_raises_into_an_outer_frames_handler(callee):
    def f(x):
        try:
            y = callee(x)
        except Boom as e:
            LOG.append(("root handler", str(e), sys.exc_info()[1] is e))
            y = np.sinh(x)
        return y * 2

    be = compare(f, X)
    assert "sinh" in ops(be)


def test_nested_break_raises_into_a_middle_frames_with_block():
    def middle(x, cm):
        with cm:
            y = _depth1_bare(x)
        return y

    def f(x, cm):
        try:
            return middle(x, cm)
        except Boom:
            LOG.append("root")
            return x - 1

    compare(f, X, CM(False))
    compare(f, X, CM(True))


@fj.error_on_graph_break(False)
def _lenient_raiser(x):
    try:
        fail("decorated")
    except Boom:
        fj.graph_break()                       # allowed by the decorator
        LOG.append("decorated handler")
    return x + 1


def test_nested_raise_into_the_callees_handler_while_the_caller_is_in_an_except_body():
    def f(x):
        try:
            raise ValueError("caller's")
        except ValueError as v:
            y = _depth1_own(x)
            LOG.append(("root", sys.exc_info()[1] is v))
        return y

    compare(f, X)
    compare(f, X, caller_handles=True)


def test_decorated_callee_handler_under_a_strict_caller():
    def f(x):
        with fj.error_on_graph_break(True):
            y = _lenient_raiser(x)
            LOG.append("strict again")
        return y

    compare(f, X)


@fj.error_on_graph_break(False)
def _lenient_reraiser(x):
    try:
        fail("decorated, re-raised")
    except Boom:
        LOG.append(("lenient handler", type(sys.exc_info()[1]).__name__))
        x = x + 1
        raise
    return x


@pytest.mark.parametrize("strict_handler", [False, True])
def test_decorated_callee_reraises_into_the_callers_handler(strict_handler):
    """The callee's decorator entry is popped on the way out (the caller's handler runs
    under the caller's mode: a break there raises under error_on_graph_break(True)). The
    callee's handler and the caller's are one segment (the one after the raising call):
    the forbidden break raises before the callee handler's effect too."""
    def f(x):
        with fj.error_on_graph_break(strict_handler):
            try:
                y = _lenient_reraiser(x)
            except Boom:
                LOG.append("root handler")
                fj.graph_break()
                y = np.tanh(x)
        return y

    if not strict_handler:
        assert "tanh" in ops(compare(f, X))
        return
    LOG.clear()
    with pytest.raises(fj.GraphBreakError):
        fj.compile(f)(X)
    assert LOG == [("fail", "decorated, re-raised", "NoneType")], LOG
    assert _modes.depth() == 0


def test_handler_in_a_strict_callee_raises_before_its_effects():
    @fj.error_on_graph_break(True)
    def strict(x):
        LOG.append("strict effect")
        fj.graph_break()

    def f(x):
        try:
            fail("to strict")
        except Boom:
            LOG.append("handler effect")
            strict(x)
        return x

    LOG.clear()
    with pytest.raises(fj.GraphBreakError):
        fj.compile(f)(X)
    assert LOG == [("fail", "to strict", "NoneType")], LOG
    assert _modes.depth() == 0


# ---------------------------------------------------------------- loops (trampoline)


def _stack_depth():
    f, n = sys._getframe(1), 0
    while f is not None:
        f, n = f.f_back, n + 1
    return n


@fj.disable
def _fail_probe(depths):
    depths.append(_stack_depth())
    raise Boom("probe")


def test_every_iteration_raises_and_catches_in_constant_stack():
    n = 3000

    def f(x, depths):
        caught = 0
        for i in range(n):
            x = x + 1
            try:
                _fail_probe(depths)
            except Boom as e:
                caught += 1
                x = x * 1.0
                if e.__context__ is not None:
                    raise
        return x, caught

    expected = f(np.zeros(3), [])
    depths = []
    got = fj.compile(f)(np.zeros(3), depths)
    np.testing.assert_array_equal(got[0], expected[0])
    assert got[1] == expected[1] == n
    assert len(depths) == n
    assert max(depths[10:]) == min(depths[10:]), "the stack grows with the raising breaks"
    assert _modes.depth() == 0


def test_while_loop_raising_every_other_iteration_under_a_mode_block():
    def f(x):
        i = 0
        while i < 40:
            with fj.error_on_graph_break(False):
                try:
                    if i % 2 == 1:            # (a PRED guard: truthiness of i % 2
                        fail("odd")           # would specialize on i)
                    else:
                        ok(i)
                except Boom as e:
                    LOG.append((str(e), i))
                    x = x + 1
            i += 1
        return x

    compare(f, X, calls=2)


# ---------------------------------------------------------------- where the raise happens


_HANDLERS = ["except", "except_other", "finally", "with", "none"]
_AFTER = ["nothing", "break", "forbidden", "reraise", "new", "suppress"]


def _forbidden():
    with fj.error_on_graph_break(True):
        fj.graph_break()


class StrictExitCM(CM):
    """``__exit__`` logs, then breaks where breaks are forbidden."""

    def __exit__(self, typ, val, tb):
        out = super().__exit__(typ, val, tb)
        _forbidden()
        return out


def _program(handler, after):
    """A function whose disabled call raises (or not) under ``handler``; ``after``: what
    the handler does next: nothing, an allowed break, a forbidden break (after an
    effect), a bare raise, a new exception, or (``with``) suppressing."""
    def f(x, raising):
        y = x + 1
        try:
            if handler == "except":
                try:
                    fail("p") if raising else ok(0)
                    y = y * 2
                except Boom:
                    y = np.sin(y)
                    LOG.append(("h", type(sys.exc_info()[1]).__name__))
                    if after == "break":
                        fj.graph_break()
                        y = y + 1
                    elif after == "forbidden":
                        _forbidden()
                    elif after == "reraise":
                        raise
                    elif after == "new":
                        raise KeyError("new")
            elif handler == "except_other":
                try:
                    fail("p") if raising else ok(0)
                except KeyError:
                    LOG.append("never")
            elif handler == "finally":
                try:
                    fail("p") if raising else ok(0)
                finally:
                    y = np.cos(y)
                    LOG.append(("f", type(sys.exc_info()[1]).__name__))
                    if after == "break":
                        fj.graph_break()
                    elif after == "forbidden":
                        _forbidden()
            elif handler == "with":
                with (StrictExitCM(False) if after == "forbidden" else CM(after == "suppress")):
                    fail("p") if raising else ok(0)
                    y = y - 1
            else:
                fail("p") if raising else ok(0)
        except (Boom, KeyError) as e:
            LOG.append(("outer", type(e).__name__, type(e.__context__).__name__))
            if after == "forbidden":
                _forbidden()
            y = np.exp(y)
        return y

    return f


def _expected(fn, args, caller_handles):
    """Plain Python's outcome; where the program reaches a forbidden break: a
    GraphBreakError, with only the effects up to the breaking call (its segment's start:
    the break is in the segment right after it, SEMANTICS.md §3)."""
    outcome, log, exc = _run(fn, args, caller_handles)
    if _FORBIDDEN_MARK not in log:
        return outcome, log
    mark = log.index(_FORBIDDEN_MARK)
    upto = max(i for i, e in enumerate(log[:mark]) if e[0] in ("fail", "ok"))
    return ("raise", [("GraphBreakError", None)]), log[:upto + 1]


_FORBIDDEN_MARK = ("forbidden reached",)


@fj.disable
def _mark_forbidden():
    LOG.append(_FORBIDDEN_MARK)


def _plain(fn):
    """``fn`` run as plain Python, marking where it reaches a forbidden break."""
    def run(*args):
        global _forbidden
        saved = _forbidden
        _forbidden = _mark_forbidden
        try:
            return fn(*args)
        finally:
            _forbidden = saved
    return run


def _is_break_error(outcome):
    return outcome[0] == "raise" and outcome[1][0][0] == "GraphBreakError"


def _same_outcome(expected, got):
    """Like ``_same``; a GraphBreakError is compared by type only."""
    if _is_break_error(expected) or _is_break_error(got):
        return _is_break_error(expected) and _is_break_error(got)
    return _same(expected, got)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(handler=st.sampled_from(_HANDLERS), after=st.sampled_from(_AFTER),
       depth=st.integers(0, 2), raising=st.lists(st.booleans(), min_size=1, max_size=3),
       caller_handles=st.booleans())
def test_property_where_the_raise_happens(handler, after, depth, raising, caller_handles):
    fj.reset()
    body = _program(handler, after)
    fn = body
    for _ in range(depth):          # the raising frame at inline depth `depth`
        fn = (lambda inner: lambda x, r: inner(x * 1.0, r) + 0.0)(fn)
    compiled = fj.compile(fn, backend="eager")     # NumPy's results, bit for bit
    for r in raising:               # raising and not on successive calls (cache reuse)
        expected = _expected(_plain(fn), (X, r), caller_handles)
        got = _run(compiled, (X, r), caller_handles)
        assert _same_outcome(expected[0], got[0]), (expected[0], got[0])
        assert expected[1] == got[1], (expected[1], got[1])
        assert _modes.depth() == 0
