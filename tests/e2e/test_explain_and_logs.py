"""framejit.explain(): private cache, reports, never raising; set_logs and FRAMEJIT_LOGS."""
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

import framejit as fj
from framejit import _native

ef = _native._evalframe


def test_explain_reports_graphs_ops_guards_and_time():
    def f(x, y):
        return np.sin(x) * y + 1

    rep = fj.explain(f)(np.ones(3), 2.0)
    assert rep.graph_count == 1 and rep.graph_break_count == 0
    assert rep.ops_per_graph == [3]
    assert any("x" in g for g in rep.guards) and rep.compile_time > 0
    np.testing.assert_array_equal(rep.result, np.sin(np.ones(3)) * 2.0 + 1)
    assert "graphs: 1" in str(rep)


def test_explain_uses_a_private_cache():
    def g(x):
        return x * 2

    compiled = fj.compile(g)
    compiled(np.ones(2))
    before = ef.cache_entries(g.__code__)
    fj.explain(compiled)(np.ones(5))
    after = ef.cache_entries(g.__code__)
    assert [e["code"] for e in after] == [e["code"] for e in before], "own cache untouched"
    assert after[0]["hits"] == before[0]["hits"], "own cache not read"
    fj.reset()
    fj.explain(compiled)(np.ones(2))
    assert ef.cache_entries(g.__code__) == [], "nothing written"


def test_explain_never_raises_for_breaks_whatever_the_mode():
    @fj.error_on_graph_break(True)
    @fj.compile(fullgraph=True)
    def strict(x):
        y = x + 1
        fj.graph_break("here")
        return y

    with pytest.raises(fj.GraphBreakError):
        strict(np.ones(2))
    rep = fj.explain(strict)(np.ones(2))
    assert rep.graph_break_count == 1
    reason = rep.break_reasons[0]
    assert reason.kind == "graph_break_call" and reason.would_raise
    assert reason.user_stack and reason.user_stack[-1].function == "strict"
    np.testing.assert_array_equal(rep.result, np.full(2, 2.0))


def test_explain_in_a_loop_compiles_once_per_guard_set():
    def body(x):
        return x + 1

    def loop(x):
        for _ in range(5):
            x = body(x)
        return x

    rep = fj.explain(loop)(np.zeros(2))
    assert rep.graph_count == 1, rep
    np.testing.assert_array_equal(rep.result, np.full(2, 5.0))


def test_explain_rejects_non_callables():
    with pytest.raises(TypeError):
        fj.explain(3)


def test_set_logs_validates_and_routes_to_caplog(caplog):
    with pytest.raises(TypeError):
        fj.set_logs(graphs=True)
    with pytest.raises(TypeError):
        fj.set_logs(guards="yes")

    def g(x):
        return x + 1

    compiled = fj.compile(g)
    fj.set_logs(recompiles=True, guards=True, graph=True)
    try:
        with caplog.at_level(logging.DEBUG, logger="framejit"):
            compiled(np.ones(2))
            compiled(np.ones(3))     # a guard fails: recompile, with the failing guard named
    finally:
        fj.set_logs(recompiles=False, guards=False, graph=False)
    names = {r.name for r in caplog.records}
    assert {"framejit.recompiles", "framejit.guards", "framejit.graph"} <= names
    recompile = [r.getMessage() for r in caplog.records if r.name == "framejit.recompiles"]
    assert recompile and "ARRAY(x)" in recompile[0]


def test_framejit_logs_environment_variable():
    code = ("import logging, numpy as np, framejit as fj\n"
            "logging.basicConfig(level=logging.WARNING)\n"
            "f = fj.compile(lambda x: x + 1)\n"
            "f(np.ones(2)); f(np.ones(3))\n")
    env = dict(os.environ, FRAMEJIT_LOGS="recompiles")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "recompiling" in out.stderr


def test_cache_size_limit_warns_once_naming_the_guard():
    def g(x):
        return x * 2

    compiled = fj.compile(g)
    old = fj.config.cache_size_limit
    fj.config.cache_size_limit = 2
    try:
        compiled(np.ones(1))
        compiled(np.ones(2))
        with pytest.warns(RuntimeWarning, match=r"cache_size_limit=2.*ARRAY\(x\)"):
            compiled(np.ones(3))
        assert ef.cache_action(g.__code__) == "run_only"
        np.testing.assert_array_equal(compiled(np.ones(4)), np.full(4, 2.0))
    finally:
        fj.config.cache_size_limit = old


def test_config_validation():
    with pytest.raises(ValueError):
        fj.config.cache_size_limit = 0
    with pytest.raises(ValueError):
        fj.config.disable = "yes"
    with pytest.raises(AttributeError):
        fj.config.no_such_option = 1


def test_config_disable_makes_everything_plain():
    seen = []

    def g(x):
        fj.graph_break()
        return x + 1

    strict = fj.compile(g, fullgraph=True)
    fj.config.disable = True
    try:
        np.testing.assert_array_equal(strict(np.ones(2)), np.full(2, 2.0))
        with fj.error_on_graph_break(True):
            seen.append(_native._modes.stack())
    finally:
        fj.config.disable = False
    assert seen == [()]
    assert ef.cache_entries(g.__code__) == []
    with pytest.raises(fj.GraphBreakError):
        strict(np.ones(2))


_TWIN_SRC = '''
def helper(a):
    fj.graph_break()
    return a * SCALE
def root(x):
    LOG.append(SCALE)
    return helper(x + 1) - 1
'''


def _twin(scale):
    """A function whose code objects equal those of every other twin (a notebook cell run
    again): same source, same lines, other globals."""
    ns = {"fj": fj, "LOG": [], "SCALE": scale}
    exec(compile(_TWIN_SRC, "<cell>", "exec"), ns)
    return ns


def test_functions_with_equal_code_objects_stay_apart():
    a, b = _twin(2.0), _twin(5.0)
    assert a["root"].__code__ == b["root"].__code__          # equal, not identical
    x = np.ones(3)
    for _ in range(2):
        np.testing.assert_array_equal(fj.compile(a["root"])(x), np.full(3, 3.0))
        np.testing.assert_array_equal(fj.compile(b["root"])(x), np.full(3, 9.0))
    with pytest.raises(fj.GraphBreakError):
        fj.compile(b["root"], fullgraph=True)(x)
    np.testing.assert_array_equal(fj.compile(a["root"])(x), np.full(3, 3.0))
    assert a["LOG"] == [2.0, 2.0, 2.0] and b["LOG"] == [5.0, 5.0]
    ra = fj.explain(a["root"])(x)
    rb = fj.explain(b["root"])(x)
    assert ra.graph_break_count == rb.graph_break_count == 1
