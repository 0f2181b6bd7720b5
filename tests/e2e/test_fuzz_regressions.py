"""Bugs found by the fuzzers (tests/fuzz, docs/fuzzing.md), minimised by hand.

Each test states the rule it checks (SEMANTICS.md / DESIGN.md). Open bugs are marked
xfail(strict=True): when one is fixed the test XPASSes and fails, so remove its mark
(and its entry in tests/fuzz/known_bugs.py, which keeps the fuzzers from re-finding it).
"""
import io
import warnings

import numpy as np
import pytest

import framejit as fj


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


# ---------------------------------------------------------------- backends

def test_callable_returned_by_a_user_backend_is_not_traced():
    runs = []

    def backend(graph, example_inputs):
        fn = fj.backends.eager(graph, example_inputs)

        def run(*args):            # user code: must run with the hook paused
            runs.append(1)
            return fn(*args)
        return run

    @fj.compile(backend=backend)
    def f(x):
        return x.sum(), x + 1

    x = np.ones((3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no cache_size_limit warning about `run`
        f(x)
    assert runs == [1], f"one call of a break-free function runs one graph, ran {len(runs)}"


# ---------------------------------------------------------------- segments and effects

def test_effects_after_a_break_in_a_loop_run_before_a_forbidden_break():
    log = []
    buf = io.StringIO()

    @fj.compile
    def root(x):
        for i in range(1):
            if x.max() > -0.5:        # allowed data-dependent break
                pass
            log.append("after-break")  # same segment as the forbidden print below
        with fj.error_on_graph_break(True):
            print("p", file=buf)       # forbidden: raises before its segment runs
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert buf.getvalue() == ""
    assert log == [], "effects of the raising segment must not happen"


def test_effects_after_a_relaxed_break_run_before_a_forbidden_break():
    log = []

    def h(a):
        fj.graph_break()              # allowed: set_fullgraph(False) relaxes strictness
        log.append("after")           # same segment as the forbidden break below
        return a * 2

    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            y = h(x)
        fj.graph_break()              # strict again: raises before its segment runs
        return y

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert log == []


def test_effects_after_a_nested_relaxed_break_run_before_a_forbidden_break():
    log = []

    @fj.error_on_graph_break(False)
    def relaxed(a):
        fj.graph_break()              # allowed: innermost eogb is False
        return a

    def mid(a):
        relaxed(a)
        log.append("after")           # same segment as the forbidden break below
        return a

    @fj.compile
    def root(x):
        with fj.error_on_graph_break(True):
            mid(x)
            fj.graph_break()          # forbidden
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert log == []


class _RelaxedGetter:
    def __init__(self, log):
        self.log = log

    @property
    def p(self):
        fj.graph_break()              # allowed (relaxed region in the caller)
        self.log.append("after")
        return 1


def _deep(a, n, log):
    if n == 0:
        fj.graph_break()
        log.append("after")
        return a
    return _deep(a, n - 1, log)


# was a strict xfail: these outer frames could not host the resume chain (the frame resumed
# around the call and the callee's rest ran first); they now do (test_chain_obstacles.py)
@pytest.mark.parametrize("obstacle", ["except_body", "property", "other_module", "deep"])
def test_effects_after_a_relaxed_break_behind_a_chain_obstacle(obstacle):
    log = []
    ns = {"fj": fj, "log": log}
    exec("def other(a):\n    fj.graph_break()\n    log.append('after')\n    return a\n", ns)
    getter = _RelaxedGetter(log)

    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            if obstacle == "except_body":
                try:
                    raise KeyError("k")
                except KeyError:
                    _deep(x, 0, log)
            elif obstacle == "property":
                getter.p
            elif obstacle == "other_module":
                ns["other"](x)
            else:
                _deep(x, 10, log)
        fj.graph_break()              # strict again: raises before its segment runs
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert log == []


# ---------------------------------------------------------------- data-dependent branches

def test_numpy_scalar_crossing_a_break_is_specialized():
    @fj.compile
    def crossing(x):
        s = np.sum(x)
        fj.graph_break()
        with fj.error_on_graph_break(True):
            if s > 0:                  # data-dependent: must raise
                return x + 1
        return x - 1

    @fj.compile
    def same_segment(x):
        s = np.sum(x)
        with fj.error_on_graph_break(True):
            if s > 0:
                return x + 1
        return x - 1

    with pytest.raises(fj.GraphBreakError):
        same_segment(np.ones(3))       # passes today
    with pytest.raises(fj.GraphBreakError):
        crossing(np.ones(3))           # returns x + 1 today


# ---------------------------------------------------------------- nonstrict_trace

def test_graph_break_in_nonstrict_function_raises_when_caller_raises():
    @fj.nonstrict_trace
    def h(a):
        fj.graph_break()              # a no-op inside nonstrict_trace (SEMANTICS §1)
        return a.sum()

    @fj.compile(fullgraph=True)
    def no_raise(x):
        return h(x)

    @fj.compile(fullgraph=True)
    def then_raise(x):
        h(x)
        raise ValueError("user error")   # not a graph break: raised as in Python

    assert no_raise(np.ones(5)) == 5.0      # passes today
    with pytest.raises(ValueError, match="user error"):
        then_raise(np.ones(5))              # GraphBreakError today


# ---------------------------------------------------------------- loops and resumes

def test_resume_inside_for_loop_keeps_range_iterator_traceable():
    @fj.compile
    def root(x):
        for i in range(1):
            with fj.error_on_graph_break(False):
                fj.graph_break()       # the only break, and it is allowed
            x = x + 1
        return x

    x = np.ones(3)
    with fj.error_on_graph_break(True):
        np.testing.assert_array_equal(root(x), x + 1)
    kinds = [b.kind for b in fj.explain(root)(x).break_reasons]
    assert kinds == ["graph_break_call"], kinds


# ---------------------------------------------------------------- cache limit vs modes

def test_forbidden_break_raises_even_after_many_loop_iterations():
    # was: one recompile per iteration (the list's length and the loop position were
    # guarded by value) until cache_size_limit, then unoptimized and no longer raising
    log = []
    buf = io.StringIO()

    def h(a):
        log.append("e")
        if a.sum() > 0:                # allowed data-dependent break
            pass
        return a

    @fj.compile
    def root(x):
        for i in range(10):
            h(x)
        with fj.error_on_graph_break(True):
            print("forbidden", file=buf)   # must raise, before printing
        return x + 1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(fj.GraphBreakError):
            root(np.ones(3))
    assert buf.getvalue() == ""
