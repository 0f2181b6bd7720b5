"""Past cache_size_limit: a callee's forbidden break still raises before its segment runs.

A frame past the limit runs unoptimized, unless it may reach a mode entry that can make a
break raise (pkg/framejit/mode_reach.py): then every call is traced, uncached, so the
callee's forbidden break raises before the caller's effects of the same segment
(SEMANTICS §3). Each route below reaches a strict callee a different way.
"""
import sys
import textwrap
import warnings

import numpy as np
import pytest

import framejit as fj
from framejit import _native

ef = _native._evalframe


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()
    assert _native._modes.depth() == 0


@fj.set_fullgraph(True)
def strict_global(a):
    fj.graph_break("strict")
    return a


def plain_helper(a):
    return strict_global(a) + 0


class Stepper:
    @fj.error_on_graph_break(True)
    def step(self, a):
        fj.graph_break()
        return a

    @staticmethod
    @fj.compile(fullgraph=True)
    def static_step(a):
        fj.graph_break()
        return a


@fj.compile(fullgraph=True)
def compiled_strict(a):
    fj.graph_break()
    return a


@fj.disable
def disabled_then_strict(a):
    return compiled_strict(a)


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "fj_reach_helpers.py").write_text(textwrap.dedent("""
        import framejit as fj

        @fj.set_fullgraph(True)
        def strict(a):
            fj.graph_break()
            return a
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import fj_reach_helpers
    yield fj_reach_helpers
    sys.modules.pop("fj_reach_helpers", None)


ROUTES = {
    "global": "strict_global(x)",
    "closure": "strict_cell(x)",
    "transitive": "plain_helper(x)",
    "module_attribute": "fj_reach_helpers.strict(x)",
    "argument_method": "obj.step(x)",
    "class_named": "Stepper().step(x)",
    "staticmethod": "Stepper.static_step(x)",
    "compiled_fullgraph": "compiled_strict(x)",
}


def _make_root(route, log, module):
    src = textwrap.dedent(f"""
        def make(strict_cell):
            def root(x, tag, obj, go):
                y = x * 2 if tag.startswith("t") else x * 3   # one entry per tag value
                log.append(tag)                               # in the raising segment
                if go:
                    {ROUTES[route]}
                return y + 1
            return root
    """)
    ns = dict(globals(), log=log, fj_reach_helpers=module)
    exec(compile(src, __file__, "exec"), ns)
    return ns["make"](strict_global)


def _past_the_limit(fn, x, obj):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(fj.config.cache_size_limit + 2):
            fn(x, f"t{i}", obj, False)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_strict_callee_raises_before_the_callers_segment_past_the_limit(route, user_module):
    log = []
    plain = _make_root(route, log, user_module)
    x = np.ones(3)
    try:                  # uncompiled, the effect comes first (a compiled callee then raises)
        plain(x, "t", Stepper(), True)
    except fj.GraphBreakError:
        assert route in ("compiled_fullgraph", "staticmethod")
    assert log == ["t"]
    root = fj.compile(plain)
    _past_the_limit(root, x, Stepper())
    log.clear()
    for _ in range(2):
        with pytest.raises(fj.GraphBreakError):
            root(x, "late", Stepper(), True)
    assert log == [], "the callee's forbidden break is in the caller's segment"
    # calls that do not reach the break still run, with their effects
    np.testing.assert_array_equal(root(x, "t0", Stepper(), False), x * 2 + 1)
    assert log == ["t0"]


def test_a_frame_that_reaches_no_forbidding_mode_runs_unoptimized():
    log = []
    # the shape of the routes above, but the only mode it reaches is behind a disable barrier
    src = textwrap.dedent("""
        def root(x, tag, obj, go):
            y = x * 2 if tag.startswith("t") else x * 3
            log.append(tag)
            if go:
                disabled_then_strict(x)
            return y + 1
    """)
    ns = dict(globals(), log=log)
    exec(compile(src, __file__, "exec"), ns)
    root = fj.compile(ns["root"])
    x = np.ones(3)
    _past_the_limit(root, x, None)
    assert ef.cache_action(ns["root"].__code__) == "run_only"
    log.clear()
    # the disabled call is an allowed break of the caller: its effects came first, as in
    # a traced caller; compiled_strict then raises at its own break
    with pytest.raises(fj.GraphBreakError):
        root(x, "late", None, True)
    assert log == ["late"]


def test_reach_follows_argument_values_and_nested_code():
    from framejit.mode_reach import may_reach_forbidding_mode

    def lenient(a):
        return a

    def uses_comprehension(xs):
        return [strict_global(v) for v in xs]

    def calls_argument(f, a):
        return f(a)

    assert may_reach_forbidding_mode(uses_comprehension.__code__, uses_comprehension, ())
    assert not may_reach_forbidding_mode(calls_argument.__code__, calls_argument,
                                         (lenient, 1))
    assert may_reach_forbidding_mode(calls_argument.__code__, calls_argument,
                                     (compiled_strict, 1))
    assert not may_reach_forbidding_mode(calls_argument.__code__, calls_argument,
                                         (fj.compile(lenient), 1))
    assert not may_reach_forbidding_mode(calls_argument.__code__, calls_argument,
                                         (disabled_then_strict, 1))
