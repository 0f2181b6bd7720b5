"""Graph breaks at the top level of a compiled function, and data-dependent branches.

Every test runs the function in plain Python and compiled (twice: compile, then cache
hit) and compares results, side-effect logs and exceptions; a counting backend checks
that the array work around each break stays compiled.
"""
import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framejit as fj
from framejit._native import _modes


class Counting:
    def __init__(self):
        self.graphs = []

    def __call__(self, graph, example_inputs):
        self.graphs.append(graph)
        return fj.backends.eager(graph, example_inputs)


LOG = []


def _outcome(fn, args):
    LOG.clear()
    try:
        out = ("ok", fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]))
    except Exception as exc:  # compared by type and message
        out = ("raise", type(exc), str(exc))
    return out, list(LOG)


def _same(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == "raise":
        return a[1:] == b[1:]
    x, y = a[1], b[1]
    if isinstance(x, tuple):
        return len(x) == len(y) and all(_same(("ok", p), ("ok", q)) for p, q in zip(x, y))
    return np.array_equal(np.asarray(x), np.asarray(y))


def compare(fn, *args, calls=2, **compile_kw):
    """Plain vs compiled: same outcome and log on every call; returns the backend."""
    expected = _outcome(fn, args)
    be = Counting()
    compiled = fj.compile(fn, backend=be, **compile_kw)
    for _ in range(calls):
        got = _outcome(compiled, args)
        assert _same(expected[0], got[0]), (expected[0], got[0])
        assert expected[1] == got[1]
        assert _modes.depth() == 0, "the mode stack is balanced after the call"
    return be


def ops(be):
    return [n.op for g in be.graphs for n in g.nodes]


X = np.random.default_rng(1).standard_normal(5)


def test_one_break_two_graphs_and_cache_hit():
    def f(x):
        y = np.sin(x) + 1
        fj.graph_break()
        return np.cos(y) * 2

    be = compare(f, X)
    assert len(be.graphs) == 2 and {"sin", "cos"} <= set(ops(be))


def test_many_breaks_in_a_row():
    def f(x):
        for_log = LOG
        x = x + 1
        fj.graph_break()
        for_log.append(1)
        x = x * 2
        fj.graph_break()
        for_log.append(2)
        x = x - 3
        fj.graph_break()
        return x / 4

    be = compare(f, X)
    assert len(be.graphs) == 4


def test_live_locals_and_stack_values_survive_the_break():
    def f(x, k=3, *rest, scale=2.0, **kw):
        a, b = x * scale, k + len(rest) + len(kw)
        total = a.sum() + np.float64(float(x.sum()))   # float(array) is a break
        return a + b + total

    def caller(x):
        return f(x, 2, 7, scale=0.5, q=1)

    compare(f, X, 2, 7, 8)
    compare(caller, X)


def test_break_with_keyword_call_and_star_call(capsys):
    def f(x, *parts):
        y = x + 1
        print("shape", y.shape, sep="|")
        print(*parts)
        return y * 2

    compare(f, X, "a", "b")
    out = capsys.readouterr().out
    assert out.count("shape|(5,)") == 3 and out.count("a b") == 3


def test_exception_after_a_break_is_the_programs():
    def f(x):
        y = x + 1
        fj.graph_break()
        LOG.append("after")
        if y.shape[0] == 5:
            raise KeyError("after the break")
        return y

    compare(f, X)


def test_exception_from_the_break_instruction():
    @fj.disable
    def boom(v):
        raise ValueError(f"bad {v.shape}")

    def f(x):
        LOG.append("before")
        return boom(x + 1)

    compare(f, X)


def test_unbound_local_at_the_break():
    def f(x, flag):
        if flag:
            y = x * 2
        fj.graph_break()
        return y + 1

    compare(f, X, True)
    compare(f, X, False)


def test_each_break_is_logged_once_with_its_location(caplog):
    def f(x):
        x = x + 1
        fj.graph_break("first")
        x = x + 1
        fj.graph_break("second")
        return x

    fj.set_logs(graph_breaks=True)
    try:
        with caplog.at_level(logging.DEBUG, logger="framejit"):
            fj.compile(f)(X)
    finally:
        fj.set_logs(graph_breaks=False)
    texts = [r.getMessage() for r in caplog.records if r.name == "framejit.graph_breaks"]
    assert len(texts) == 2
    assert "first" in texts[0] and "second" in texts[1] and texts[0] != texts[1]


def test_tracebacks_point_at_user_lines():
    import traceback

    def f(x):
        fj.graph_break()
        return x["missing"]

    with pytest.raises(KeyError) as info:
        fj.compile(f)({})
    lines = [t.line for t in traceback.extract_tb(info.tb)]
    assert 'return x["missing"]' in lines


def test_forbidden_later_break_keeps_earlier_effects():
    @fj.compile
    def f(x):
        LOG.append("a")
        fj.graph_break()
        LOG.append("b")
        with fj.error_on_graph_break(True):
            fj.graph_break()
        LOG.append("c")
        return x

    LOG.clear()
    for _ in range(2):
        with pytest.raises(fj.GraphBreakError):
            f(X)
        assert _modes.depth() == 0
    assert LOG == ["a", "a"]


# ---------------------------------------------------------------- data-dependent branches


def _branchy(x):
    y = x * 2
    if y.sum() > 0:
        LOG.append("pos")
        y = np.exp(y)
    else:
        LOG.append("neg")
        y = np.abs(y) - 1
    return y.mean() + y


def test_data_dependent_branch_takes_each_side():
    be = compare(_branchy, np.abs(X) + 0.1)
    compare(_branchy, -np.abs(X) - 0.1)
    assert "multiply" in ops(be) and "exp" in ops(be)


def test_data_dependent_conditions_in_expressions():
    def f(x):
        n = 0
        if x.max() > 0 and x.min() < 0:
            n = 1
        return (x * 2 if x.sum() > 0 else x * 3) + n + (1 if x.any() else 2)

    compare(f, X)
    compare(f, np.abs(X))


def test_while_loop_on_array_condition():
    def f(x):
        steps = 0
        while np.abs(x).sum() < 50:
            x = x * 2 + 0.1
            steps += 1
        return x, steps

    be = compare(f, X)
    assert "multiply" in ops(be)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.floats(-3, 3), st.booleans())
def test_branch_property_against_plain_python(n, shift, use_max):
    fj.reset()

    def f(x):
        y = x + shift
        cond = y.max() > 0 if use_max else y.sum() > 0
        if cond:
            y = y * y
        else:
            y = -y
        fj.graph_break()
        return y.sum()

    x = np.linspace(-1.0, 1.0, n)
    compare(f, x)


def test_break_with_a_call_in_progress_below_on_the_stack():
    def add3(a, b, c):
        return a + b * 2 + c

    def f(x):
        # the stack at the break holds NULL, add3, x+1 (a call in progress)
        return add3(x + 1, np.float64(float(x.sum())), fj.graph_break() or 3) * 2

    def g(x, *rest):
        return np.add(*[x, float(x[0])], *rest)

    compare(f, X)
    compare(g, X)


def test_bound_container_method_loaded_before_a_break_is_a_side_effect_after_it():
    log = []
    graphs = []

    def counting(graph, example_inputs):
        graphs.append(graph)
        return fj.backends.eager(graph, example_inputs)

    def with_io(x):
        y = np.tanh(x) * 2
        log.append(float(y.sum()))      # log.append is on the stack across the break
        return y - 1

    x = np.linspace(-1, 1, 5)
    out = fj.compile(with_io, backend=counting)(x)
    np.testing.assert_array_equal(out, np.tanh(x) * 2 - 1)
    assert log == [float((np.tanh(x) * 2).sum())]
    assert len(graphs) == 2
    report = fj.explain(with_io)(x)
    assert report.graph_break_count == 1, report


# ---------------------------------------------------------------- the fallback


def test_unresumable_break_runs_unoptimized_counted_and_logged(monkeypatch, caplog):
    """A live value that cannot be rebuilt (simulated): the frame runs unoptimized and
    correctly; the entry's kind says so, explain lists it, the graph_breaks log says why."""
    from framejit._native import _evalframe as ef
    from framejit.trace import finish

    def refuse(*args, **kwargs):
        raise TypeError("cannot rebuild a Strange")
    monkeypatch.setattr(finish, "_frame_state", refuse)

    def f(x):
        y = x + 1
        LOG.append("before")
        fj.graph_break()
        LOG.append("after")
        return y * 2

    fj.set_logs(graph_breaks=True)
    try:
        with caplog.at_level(logging.DEBUG, logger="framejit"):
            compare(f, X)
    finally:
        fj.set_logs(graph_breaks=False)
    (entry,) = ef.cache_entries(f.__code__)
    assert entry["info"].kind == "unoptimized"
    assert "cannot rebuild a Strange" in entry["info"].why
    texts = [r.getMessage() for r in caplog.records if r.name == "framejit.graph_breaks"]
    assert sum("runs unoptimized" in t and "Strange" in t for t in texts) == 1
    rep = fj.explain(f)(X)
    assert rep.unoptimized_frames == [("f", "cannot rebuild a Strange")]
    assert rep.graph_break_count == 1


class _Slotted:
    """Not a plain class (``__slots__``): opaque to the tracer, so LOAD_METHOD on it
    breaks and runs in the break runner."""
    __slots__ = ("cb",)

    def __init__(self, cb):
        self.cb = cb

    def scale(self, v):
        LOG.append("scale")
        return v * 3


@pytest.mark.parametrize("attr", ["method", "instance_callable"])
def test_break_at_load_method_of_an_opaque_object(attr):
    """LOAD_METHOD pushes (method, owner) or (NULL, attribute) as it finds at run time;
    the runner resumes both through one static stack layout."""
    obj = _Slotted(lambda v: v - 1)

    def f(x):
        y = np.sin(x)
        z = obj.scale(y) if attr == "method" else obj.cb(y)
        return np.cos(z)

    be = compare(f, X)
    assert {"sin", "cos"} <= set(ops(be))


def test_opaque_value_tested_against_none_across_breaks():
    """``node is not None`` on an opaque value is decided under a TYPE guard: the same
    resume function sees the last node's None on a later iteration."""
    chain = _Slotted(_Slotted(_Slotted(None)))

    def f(x, node):
        n = 0
        while node is not None:
            x = x + 1
            node = node.cb                 # an opaque attribute: a break
            n += 1
        LOG.append(n)
        return x

    compare(f, X, chain)
