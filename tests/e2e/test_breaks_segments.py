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
from framejit._native import _modes

from test_breaks_toplevel import LOG, compare

X = np.random.default_rng(3).standard_normal(4)

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


# ---------------------------------------------------------------- a forbidden break ends the
# segment that began at an allowed break inside a call made under a with/try handler

class Box:
    pass


def _raises_before(fn, *args):
    """Call ``fn``: it must raise GraphBreakError; returns the error."""
    with pytest.raises(fj.GraphBreakError) as info:
        fn(*args)
    assert _modes.depth() == 0, "the mode stack is balanced after the error"
    return info.value


@fj.disable
def _disabled():
    return None


def _strict_end(kind, x, buf):
    """A break that is forbidden where it is called (strict mode in force)."""
    if kind == "graph_break":
        fj.graph_break()
    elif kind == "print":
        print("forbidden", file=buf)
    elif kind == "disabled":
        _disabled()
    elif x.sum() > -1:                # data-dependent branch
        pass


@pytest.mark.parametrize("end", ["graph_break", "print", "disabled", "if_array"])
@pytest.mark.parametrize("region", ["with", "decorator", "try_finally", "try_except"])
def test_relaxed_region_then_strict_break_under_fullgraph(region, end):
    log, buf, box = [], io.StringIO(), Box()

    def effects(tag):
        log.append(tag)
        box.attr = tag

    def h(a):
        effects("before")             # before the allowed break: runs
        fj.graph_break()              # allowed: set_fullgraph(False) relaxes
        effects("after")              # the segment that ends in the forbidden break
        return a * 2

    relaxed_h = fj.set_fullgraph(False)(h)

    @fj.compile(fullgraph=True)
    def root(x):
        if region == "with":
            with fj.set_fullgraph(False):
                y = h(x)
        elif region == "decorator":
            y = relaxed_h(x)
        elif region == "try_finally":
            try:
                y = relaxed_h(x)
            finally:
                effects("finally")
        else:
            try:
                y = relaxed_h(x)
            except ValueError:
                y = x
        effects("root")
        _strict_end(end, x, buf)      # strict again: raises before its segment runs
        return y

    for _ in range(2):
        log.clear()
        buf.seek(0), buf.truncate()
        err = _raises_before(root, np.ones(3))
        assert err.user_stack[0].function == "root"
        assert log == ["before"] and box.attr == "before" and buf.getvalue() == ""


@pytest.mark.parametrize("decorator", ["error_on_graph_break", "compile_fullgraph",
                                       "set_fullgraph_false", "disable"])
def test_a_mode_decorated_method_is_inlined_with_its_mode(decorator):
    """``obj.step(x)`` where ``step`` is decorated: bound like a function and inlined with
    its mode pushed, so a forbidden break in it raises before the caller's effects."""
    log = []
    wrap = {"error_on_graph_break": fj.error_on_graph_break(True),
            "compile_fullgraph": fj.compile(fullgraph=True),
            "set_fullgraph_false": fj.set_fullgraph(False),
            "disable": fj.disable}[decorator]

    class Stepper:
        scale = 2.0

        @wrap
        def step(self, a):
            log.append("in step")
            fj.graph_break()
            return a * self.scale

    def root(x, obj):
        log.append("root")
        return obj.step(x + 1) + 1

    compiled = fj.compile(root)
    if decorator in ("error_on_graph_break", "compile_fullgraph"):
        for _ in range(2):
            log.clear()
            err = _raises_before(compiled, np.ones(3), Stepper())
            assert [f.function for f in err.user_stack] == ["root", "step"]
            assert log == []
    else:
        for _ in range(2):
            log.clear()
            np.testing.assert_array_equal(compiled(np.ones(3), Stepper()), np.full(3, 5.0))
            assert log == ["root", "in step"]
            assert _modes.depth() == 0


def test_prints_in_the_relaxed_callee_are_allowed_breaks_of_their_own():
    log, buf = [], io.StringIO()

    def h(a):
        print("one", file=buf)        # allowed (relaxed): a break that prints
        log.append("a")
        print("two", file=buf)        # allowed: the last allowed break
        log.append("b")               # the segment of the forbidden break below
        return a

    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            h(x)
        log.append("root")
        print("three", file=buf)      # forbidden
        return x

    _raises_before(root, np.ones(2))
    assert log == ["a"] and buf.getvalue() == "one\ntwo\n"


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("outer", ["with", "try_except", "try_finally", "decorator"])
def test_nested_relaxed_break_then_strict_break_at_depth(depth, outer):
    log = []

    @fj.error_on_graph_break(False)
    def relaxed(a):
        log.append("relaxed-before")
        fj.graph_break()              # allowed: innermost eogb is False
        log.append("relaxed-after")
        return a + 1

    def make(k):
        if k == 0:
            return relaxed

        inner = make(k - 1)

        def mid(a):
            with fj.error_on_graph_break(True):   # a handler around every pending call
                b = inner(a)
            log.append(f"mid{k}")
            return b * 2
        return mid

    top = make(depth - 1)
    strict_top = fj.error_on_graph_break(True)(top)

    @fj.compile
    def root(x):
        if outer == "with":
            with fj.error_on_graph_break(True):
                y = top(x)
                fj.graph_break()      # forbidden
        elif outer == "try_except":
            with fj.error_on_graph_break(True):
                try:
                    y = top(x)
                except KeyError:
                    y = x
                fj.graph_break()      # forbidden
        elif outer == "try_finally":
            with fj.error_on_graph_break(True):
                try:
                    y = top(x)
                finally:
                    log.append("finally")
                fj.graph_break()      # forbidden
        else:
            y = strict_top(x)
            with fj.error_on_graph_break(True):
                fj.graph_break()      # forbidden
        return y

    for _ in range(2):
        log.clear()
        _raises_before(root, np.ones(3))
        assert log == ["relaxed-before"]


def test_nested_relaxed_breaks_in_a_loop_then_strict_break():
    log = []

    @fj.error_on_graph_break(False)
    def relaxed(a, i):
        log.append(("before", i))
        fj.graph_break()
        log.append(("after", i))
        return a + i

    def mid(a, i):
        b = relaxed(a, i)
        log.append(("mid", i))
        return b

    @fj.compile
    def root(x):
        with fj.error_on_graph_break(True):
            for i in range(3):
                with fj.error_on_graph_break(True):
                    x = mid(x, i)
            fj.graph_break()          # forbidden: ends the segment after the last break
        return x

    # plain Python + SEMANTICS: the effects before the last allowed break (i == 2)
    expected = [("before", 0), ("after", 0), ("mid", 0), ("before", 1), ("after", 1),
                ("mid", 1), ("before", 2)]
    for _ in range(2):
        log.clear()
        _raises_before(root, np.ones(3))
        assert log == expected


def test_allowed_chain_through_handlers_matches_plain_python():
    """The same programs, lenient everywhere: results and effects as in plain Python."""
    def h(a):
        LOG.append("h-before")
        fj.graph_break()
        LOG.append("h-after")
        return a * 2

    def mid(a):
        try:
            with fj.error_on_graph_break(False):
                b = h(a + 1)
        finally:
            LOG.append("mid-finally")
        return b - 1

    def root(x):
        with fj.set_fullgraph(False):
            try:
                y = mid(x)
            except ValueError:
                y = x
        LOG.append("root")
        return y * 3

    be = compare(root, X)
    assert len(be.graphs) == 2, "one graph before the break, one after, across frames"


def test_return_of_a_call_inside_a_with_block_resumes_through_the_chain():
    def h(a):
        fj.graph_break()
        LOG.append("h")
        return a * 2

    def root(x):
        with fj.error_on_graph_break(False):
            return h(x * 3) + 1

    be = compare(root, X)
    assert len(be.graphs) == 2


# ---------------------------------------------------------------- exceptions crossing the chain
# An exception leaving the breaking frame (raised by the breaking instruction itself, which
# runs in plain Python) or leaving a resumed callee reaches the caller's with/try handlers,
# after the callee's decorator entries are popped, as in plain Python.

@fj.disable
def _boom(a, msg="boom"):
    raise ValueError(msg)


def _h_raises_at_the_break(a):
    LOG.append("h")
    _boom(a)                          # the break: a disabled call, raising
    LOG.append("unreached")
    return a


def test_exception_of_the_breaking_call_reaches_the_callers_except():
    def root(x):
        y = x * 2
        try:
            _h_raises_at_the_break(y)
        except ValueError as e:
            LOG.append(str(e))
            return y + 1
        return y

    compare(root, X)


def test_exception_of_the_breaking_call_through_a_with_block_and_a_finally():
    def mid(a):
        try:
            with fj.error_on_graph_break(False):
                return _h_raises_at_the_break(a + 1)
        finally:
            LOG.append("mid-finally")

    def root(x):
        try:
            return mid(x)
        except ValueError:
            LOG.append("caught")
        return x - 1

    compare(root, X)


def test_exception_of_the_breaking_call_leaves_a_with_block_unhandled():
    def root(x):
        with fj.error_on_graph_break(False):
            return _h_raises_at_the_break(x) + 1

    compare(root, X)


class _Suppress:
    def __init__(self, tag):
        self.tag = tag

    def __enter__(self):
        LOG.append(("enter", self.tag))
        return self

    def __exit__(self, typ, val, tb):
        LOG.append(("exit", self.tag, typ.__name__ if typ else None))
        return True                    # suppresses the exception


def test_user_context_manager_around_the_call_sees_and_suppresses_the_exception():
    def mid(a):
        with _Suppress("mid"):
            _h_raises_at_the_break(a)
        LOG.append("after-with")
        return a * 3

    def root(x):
        with _Suppress("root"):
            y = mid(x + 1)
        return y

    compare(root, X)


def test_exception_after_the_break_reaches_the_callers_handler():
    def h(a):
        fj.graph_break()
        LOG.append("h")
        if a.shape[0] == 4:
            raise KeyError("late")
        return a

    @fj.error_on_graph_break(False)
    def deco(a):
        return h(a) * 2

    def root(x):
        try:
            with fj.set_fullgraph(False):
                y = deco(x)
        except KeyError:
            LOG.append("caught")
            y = x
        return y + 1

    compare(root, X)


@pytest.mark.parametrize("where", ["at_the_break", "after_the_break"])
def test_decorator_entries_are_popped_before_the_callers_handler_runs(where):
    log = []

    @fj.error_on_graph_break(False)
    def relaxed(a):
        log.append("relaxed")
        if where == "at_the_break":
            _boom(a)                  # allowed break (eogb False), raises in Python
        fj.graph_break()              # allowed
        raise ValueError("after")

    @fj.compile
    def root(x):
        with fj.error_on_graph_break(True):
            try:
                relaxed(x)
            except ValueError:
                log.append("handler")
                fj.graph_break()      # forbidden: relaxed's eogb(False) is gone
        return x

    for _ in range(2):
        log.clear()
        _raises_before(root, np.ones(3))
        assert log == ["relaxed"]


def test_exception_from_a_deep_break_reaches_a_middle_frames_handler():
    def leaf(a):
        LOG.append("leaf")
        _boom(a, "deep")
        return a

    def lower(a):
        with fj.error_on_graph_break(False):
            return leaf(a * 2) + 1

    def middle(a):
        try:
            b = lower(a)
        except ValueError as e:
            LOG.append(("middle", str(e)))
            b = a
        return b - 1

    def root(x):
        with fj.set_fullgraph(False):
            return middle(x + 1) * 2

    be = compare(root, X)
    assert len(be.graphs) == 2


def test_exceptions_at_breaks_in_a_loop_under_try():
    def h(a, i):
        LOG.append(("h", i))
        if i % 2:
            _boom(a, f"odd {i}")
        fj.graph_break()
        return a + i

    def root(x):
        for i in range(4):
            try:
                with fj.error_on_graph_break(False):
                    x = h(x, i)
            except ValueError as e:
                LOG.append(str(e))
            LOG.append(("loop", i))
        return x

    compare(root, X)


def test_break_inside_the_callees_own_try_under_the_callers_with():
    def h(a):
        try:
            b = a + 1
            _boom(b, "inner")         # caught by h itself (plain Python in the runner)
        except ValueError:
            LOG.append("h-except")
            b = a - 1
        fj.graph_break()
        return b * 2

    def root(x):
        with fj.error_on_graph_break(False):
            y = h(x)
        return y + 1

    compare(root, X)


@pytest.mark.parametrize("raise_at", ["break", "after_break"])
def test_break_inside_the_callers_handler_reached_through_the_chain(raise_at):
    def h(a):
        b = a * 2
        if raise_at == "break":
            _boom(b, "at")            # the break raises (runner → exception continuation)
        fj.graph_break()
        raise ValueError("after")

    def root(x):
        y = x + 1
        try:
            with fj.error_on_graph_break(False):
                y = h(y)
        except ValueError as e:
            LOG.append(("except", str(e)))
            fj.graph_break()          # an allowed break inside the except body
            LOG.append("still in except")
            y = y * 3
        return y - 1

    compare(root, X)


def test_forbidden_break_in_the_callers_handler_after_an_exception_continuation():
    log = []

    def h(a):
        log.append("h")
        _boom(a)                      # allowed break (eogb False), raises in Python

    @fj.compile
    def root(x):
        with fj.error_on_graph_break(True):
            try:
                with fj.error_on_graph_break(False):
                    h(x)
            except ValueError:
                log.append("except")  # the segment of the forbidden break below
                print("forbidden", file=io.StringIO())
        return x

    for _ in range(2):
        log.clear()
        _raises_before(root, np.ones(2))
        assert log == ["h"]


# ---------------------------------------------------------------- call shapes under handlers

def _kleaf(a, k=1):
    LOG.append(("leaf", k))
    fj.graph_break()
    return a * k


class _Obj:
    def __init__(self, s):
        self.s = s

    def m(self, a):
        try:
            return _kleaf(a, self.s) + 1
        finally:
            LOG.append("m-finally")


def _rec(a, n):
    if n == 0:
        return _kleaf(a, 5)
    try:
        return _rec(a + 1, n - 1) * 2
    except ZeroDivisionError:
        return a


def _comprehension(x):
    with fj.error_on_graph_break(False):
        ys = [_kleaf(x, k) for k in range(3)]
    return ys[0] + ys[2]


def _kwargs_call(x):
    with fj.error_on_graph_break(False):
        y = _kleaf(x, k=4)
    return y


def _star_call(x):
    args = (x,)
    kw = {"k": 2}
    try:
        y = _kleaf(*args, **kw)
    except KeyError:
        y = x
    return y


def _method(x):
    with fj.set_fullgraph(False):
        return _Obj(3).m(x) - 1


def _recursion(x):
    with fj.error_on_graph_break(False):
        return _rec(x, 3)


@pytest.mark.parametrize("fn", [_comprehension, _kwargs_call, _star_call, _method, _recursion])
def test_call_shapes_under_handlers_resume_through_the_chain(fn):
    compare(fn, X)
    rep = fj.explain(fn)(X)
    assert rep.split_around_calls == [] and rep.unoptimized_frames == [], rep


def test_forbidden_break_inside_the_try_does_not_run_the_finally():
    log = []

    def h(a):
        log.append("h")
        fj.graph_break()              # allowed
        log.append("h-after")
        return a

    @fj.compile
    def root(x):
        try:
            with fj.error_on_graph_break(False):
                h(x)
            with fj.error_on_graph_break(True):
                fj.graph_break()      # forbidden: raised out of the call, not into the try
        except fj.GraphBreakError:
            log.append("caught")
        finally:
            log.append("finally")
        return x

    for _ in range(2):
        log.clear()
        _raises_before(root, np.ones(2))
        assert log == ["h"]
