"""The tracer through the public API: framejit.compile(fullgraph=True, backend=...).

Skipped while the runtime does not yet hand frames to the tracer (trace/api.py); they run
as soon as it does.
"""
import numpy as np
import pytest

import framejit as fj


class Counting:
    def __init__(self):
        self.graphs = []

    def __call__(self, graph, example_inputs):
        from framejit.backends.reference import eager
        self.graphs.append(graph)
        return eager(graph, example_inputs)


def _runtime_traces():
    be = Counting()
    fn = fj.compile(lambda x: x + 1, fullgraph=True, backend=be)
    fn(np.ones(2))
    fj.reset()
    return bool(be.graphs)


pytestmark = pytest.mark.skipif(not _runtime_traces(),
                                reason="the runtime does not hand frames to the tracer yet")

X = np.random.default_rng(0).standard_normal((4, 3))


def _helper(x):
    return np.sin(x) * 2 + 1


def test_one_graph_for_inlined_calls_and_bitwise_equal():
    be = Counting()

    @fj.compile(fullgraph=True, backend=be)
    def f(x):
        y = _helper(x)
        return np.sum(y * y, axis=0), y.shape

    want = (np.sum(_helper(X) ** 2, axis=0), X.shape)
    got = f(X)
    assert np.array_equal(got[0], want[0]) and got[1] == want[1] and len(be.graphs) == 1
    f(X)
    assert len(be.graphs) == 1, "a second call hits the cache"


def test_mutation_side_effects_and_exception():
    log = []

    @fj.compile(fullgraph=True, backend=Counting())
    def f(x, log):
        x[0] += 1
        log.append(x.shape[0])
        if x.shape[0] < 10:
            raise ValueError("too small")
        return x

    x = X.copy()
    with pytest.raises(ValueError, match="too small"):
        f(x, log)
    assert log == [4] and np.array_equal(x[0], X[0] + 1)


def test_guard_failure_recompiles_for_new_shape():
    be = Counting()

    @fj.compile(fullgraph=True, backend=be)
    def f(x):
        return x * 2

    f(X)
    f(X[:2])
    assert len(be.graphs) == 2


def test_fullgraph_break_raises_graph_break_error():
    @fj.compile(fullgraph=True)
    def f(x):
        print(x)
        return x

    with pytest.raises(fj.GraphBreakError) as info:
        f(X)
    assert "print" in str(info.value)
