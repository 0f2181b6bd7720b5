"""Nested graph breaks: breaks inside inlined calls, at any depth, with modes.

A break at depth k gives one graph before and one after (the resume chain is traced as
one frame). Recursion, closures, methods of plain classes, ``*args``/``**kwargs`` and
defaults, comprehensions, decorated callees (their mode entries re-entered at run time),
and exceptions crossing frames, all against plain Python.
"""
import numpy as np
import pytest

import framejit as fj
from framejit._native import _modes

from test_breaks_toplevel import LOG, Counting, compare, ops  # noqa: F401

X = np.random.default_rng(2).standard_normal(4)


def _leaf(x):
    a = x + 1
    LOG.append("leaf")
    fj.graph_break()
    return a * 2


def _middle(x):
    return _leaf(x * 3) - 1


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_break_at_depth_k_gives_two_graphs(depth):
    def make(k):
        if k == 0:
            return _leaf

        inner = make(k - 1)

        def level(x):
            return inner(x + k) * 1.5
        return level

    fn = make(depth)
    be = compare(fn, X)
    assert len(be.graphs) == 2, "one graph before and one after; the repeat is cached"


def test_nested_break_graph_count_matches_acceptance():
    be = Counting()

    @fj.compile(backend=be)
    def fn(x):
        return _middle(x + 5) / 4

    np.testing.assert_allclose(fn(X), ((((X + 5) * 3) + 1) * 2 - 1) / 4)
    assert len(be.graphs) == 2


def test_two_nested_breaks_in_sequence():
    def f(x):
        return _middle(x) + _middle(x * 2)

    be = compare(f, X)
    assert len(be.graphs) == 3


def test_recursion_with_breaks():
    def rec(n, x):
        if n == 0:
            return x
        x = x + n
        fj.graph_break()
        return rec(n - 1, x) * 2

    compare(rec, 3, X)
    compare(rec, 12, X)


def test_closures_and_nonlocal_across_the_break():
    def f(x):
        acc = x * 0
        def add(v):
            nonlocal acc
            acc = acc + v
            fj.graph_break()
        add(x)
        add(x * 2)
        return acc

    compare(f, X)


def test_method_of_plain_class_with_state():
    class Model:
        def __init__(self, w):
            self.w = w
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            h = x * self.w
            fj.graph_break()
            return np.tanh(h) + self.calls

    def f(x, m):
        return m.forward(x) * 2 + m.calls

    for _ in range(2):
        m1, m2 = Model(2.0), Model(2.0)
        expected = f(X, m1)
        got = fj.compile(f)(X, m2)
        np.testing.assert_array_equal(expected, got)
        assert m1.calls == m2.calls


def test_kwargs_defaults_varargs():
    def inner(x, *args, scale=2, **kw):
        y = x * scale
        fj.graph_break()
        return y + sum(args) + kw.get("off", 0)

    def f(x):
        return inner(x, 1, 2, off=10) + inner(x) + inner(x, scale=3)

    compare(f, X)


def test_comprehension_with_break_inside():
    def leaf(v):
        fj.graph_break()
        return v * 2

    def f(x):
        return sum([leaf(x + i) for i in range(3)]) + sum({i: leaf(x) for i in range(2)}[1])

    compare(f, X)


def test_break_in_callback_of_builtin_breaks_at_the_call():
    def key(v):
        LOG.append(v)
        fj.graph_break()
        return -v

    def f(x, vals):
        return x + sorted(vals, key=key)[0]

    compare(f, X, [3, 1, 2])


def test_exception_crossing_frames_to_outer_handler():
    @fj.disable
    def boom(v):
        raise ValueError("boom")

    def inner(x):
        x = x + 1
        boom(x)
        return x

    def f(x):
        try:
            y = inner(x)
        except ValueError as e:
            LOG.append(str(e))
            y = x * 7
        return y + 1

    compare(f, X)


def test_exception_caught_in_the_breaking_frame():
    @fj.disable
    def boom(v):
        raise ValueError("boom")

    def inner(x):
        try:
            boom(x)
        except ValueError:
            LOG.append("caught")
            return x * 5
        return x

    def f(x):
        return inner(x + 1) - 1

    compare(f, X)


def test_exception_after_resume_propagates_through_decorated_frames():
    @fj.error_on_graph_break(False)
    def late(x):
        x = x + 1
        fj.graph_break()
        raise KeyError("late")

    def f(x):
        return late(x) + 1

    compare(f, X)


# ---------------------------------------------------------------- modes


def test_relaxed_region_then_strict_break_raises_after_earlier_effects():
    @fj.set_fullgraph(False)
    def relaxed(x):
        x = x + 1
        fj.graph_break()
        return x * 2

    @fj.compile(fullgraph=True)
    def fn(x):
        LOG.append("a")
        y = relaxed(x)
        LOG.append("b")
        fj.graph_break()
        return y

    LOG.clear()
    with pytest.raises(fj.GraphBreakError):
        fn(X)
    assert LOG == ["a"] and _modes.depth() == 0


def test_decorated_callee_break_then_more_work_is_one_graph_after():
    be = Counting()

    @fj.set_fullgraph(False)
    def difficult(x):
        x = x + 1
        fj.graph_break()
        return x + 2

    @fj.compile(fullgraph=True, backend=be)
    def fn(x):
        return np.sin(difficult(x)) * 3

    for _ in range(2):
        np.testing.assert_allclose(fn(X), np.sin(X + 3) * 3)
        assert _modes.depth() == 0
    assert len(be.graphs) == 2


def test_with_mode_block_in_inlined_frame_then_strict_break():
    def inner(x):
        with fj.error_on_graph_break(False):
            fj.graph_break()
        fj.graph_break()     # under error_on_graph_break(True): raises
        return x

    @fj.error_on_graph_break(True)
    @fj.compile
    def strict(x):
        LOG.append("s")
        return inner(x)

    LOG.clear()
    with pytest.raises(fj.GraphBreakError):
        strict(X)
    assert LOG == ["s"] and _modes.depth() == 0


def test_inlined_compiled_function_entry_is_reentered():
    be = Counting()

    @fj.compile(backend=be)
    def inner(x):
        y = x * 2
        fj.graph_break()
        return y + 1

    @fj.compile(backend=be)
    def outer(x):
        return inner(x - 1) * 3

    for _ in range(2):
        np.testing.assert_allclose(outer(X), ((X - 1) * 2 + 1) * 3)
        assert _modes.depth() == 0
    with fj.error_on_graph_break(True):
        with pytest.raises(fj.GraphBreakError):
            outer(X)
    assert _modes.depth() == 0


def test_second_break_while_outer_levels_are_in_their_resume_prologue():
    def mid(x):
        a = _leaf(x)
        b = _leaf(a * 3)
        return a + b

    @fj.error_on_graph_break(False)
    def deco_mid(x):
        return mid(x) - 1

    def f(x):
        return mid(x) * 2 + deco_mid(x)

    be = compare(f, X)
    assert len(be.graphs) <= 6

    @fj.error_on_graph_break(True)
    def strict(x):
        return deco_mid(x) + 1

    compare(strict, X)


# ---------------------------------------------------------------- explain counts


class _WithProperty:
    @property
    def p(self):
        LOG.append("getter")
        fj.graph_break()
        return 3


def _callee(x):
    y = x + 1
    fj.graph_break("in the callee")
    return y * 2


def _under_try(x):
    try:
        z = _callee(x)
    except ValueError:
        z = x
    return z - 1


def _in_except_body(x):
    try:
        raise KeyError("k")
    except KeyError:
        z = _callee(x)       # an outer frame inside an except body: re-entered by the chain
    return z - 1


def _via_property(x, obj):
    return (x * 2 + obj.p) - 1


class _WithBool:
    def __bool__(self):
        LOG.append("bool")
        fj.graph_break()
        return False


def _via_or(x, obj):
    y = obj or x                      # JUMP_IF_TRUE_OR_POP: a site since session 4
    return (y * 2) - 1


class _WithBreakingProperty:
    @property
    def p(self):
        LOG.append("p")
        fj.graph_break()
        return 1.0


def _via_hasattr(x, obj):
    y = x * 3 if hasattr(obj, "p") else x   # hasattr(): a site (its catch, sites.py)
    return (y * 2) - 1


def _via_a_map_in_a_zip(x, obj):
    # zip's next() post-processes the map's item: no site for the lambda
    y = x * 3 if dict(zip("a", map(lambda o: o.p, [obj])))["a"] else x
    return (y * 2) - 1


@pytest.mark.parametrize("fn, args", [(_under_try, (X,)), (_in_except_body, (X,)),
                                      (_via_property, (X, _WithProperty()))])
def test_break_under_a_try_in_the_caller_resumes_through_the_chain(fn, args):
    be = compare(fn, *args)
    assert len(be.graphs) == 2, "one graph before the break, one after (across frames)"
    rep = fj.explain(fn)(*args)
    assert rep.graph_break_count == 1 and rep.split_around_calls == [], rep


def test_a_break_in_a_property_under_hasattr_resumes_through_the_chain():
    compare(_via_hasattr, X, _WithBreakingProperty())
    rep = fj.explain(_via_hasattr)(X, _WithBreakingProperty())
    assert rep.graph_break_count == 1 and rep.split_around_calls == [], rep


def test_a_break_in_bool_under_or_resumes_through_the_chain():
    compare(_via_or, X, _WithBool())
    rep = fj.explain(_via_or)(X, _WithBool())
    assert rep.graph_break_count == 1 and rep.split_around_calls == [], rep


@pytest.mark.parametrize("fn, args", [(_via_a_map_in_a_zip, (X, _WithBreakingProperty()))])
def test_explain_counts_a_break_forced_out_of_the_callee_once(fn, args):
    """The outer frame resumes around the call (the callee cannot resume through it) and
    the callee, compiled on its own, reports the real break: counted once."""
    compare(fn, *args)
    rep = fj.explain(fn)(*args)
    assert rep.graph_break_count == 1, rep
    (reason,) = rep.break_reasons
    assert reason.kind == "graph_break_call"
    assert reason.user_stack[-1].function == "p"
    assert len(rep.split_around_calls) == 1
    assert rep.split_around_calls[0].user_stack[-1].function == fn.__name__
    assert "resumed around a call" in str(rep)


class _Base:
    def scale(self, x):
        LOG.append("base")
        return x * 3


class _Derived(_Base):
    def scale(self, x):
        s = super()
        y = x + 1
        fj.graph_break()          # the super() object is live across the break
        return s.scale(y) - 1


def test_live_super_object_across_a_break_resumes():
    def f(x):
        return _Derived().scale(x) * 2

    be = compare(f, X)
    assert len(be.graphs) == 2
    from framejit._native import _evalframe as ef
    assert all(e["info"].kind != "unoptimized" for e in ef.cache_entries(f.__code__))


class _Late(_Base):
    def scale(self, x):
        y = x + 1
        fj.graph_break()          # `self` is read only by the zero-argument super() below
        return super().scale(y) - 1


@pytest.mark.parametrize("where", ["method", "top"])
def test_zero_argument_super_after_a_break_gets_the_first_argument(where):
    """A zero-argument super() reads the frame's first argument with no LOAD_FAST: the
    resume function must still receive it (first), or super() binds another local."""
    def f(x):
        return _Late().scale(x) * 2

    be = compare(f, X) if where == "method" else compare(_Late().scale, X)
    assert len(be.graphs) == 2
