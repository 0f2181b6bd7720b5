"""Escape hatches end to end: ``framejit.custom_op`` and ``framejit.nonstrict_trace``.

Every test runs the plain function and the compiled one on equal copies of the inputs
and compares results, side-effect logs, mutated arguments and exceptions; graph counts
come from a counting backend. Documented deviations (SEMANTICS.md §3: Python side effects
inside a nonstrict_trace function happen once, while tracing) are asserted as such.
"""
import copy
import warnings

import numpy as np
import pytest

import framejit as fj
from framejit.graph import opaque
from framejit.graph.ops import OPS, Family
from framejit.graph.verify import verify


class Counting:
    def __init__(self):
        self.graphs = []

    def __call__(self, graph, example_inputs):
        verify(graph)
        self.graphs.append(graph)
        return fj.backends.eager(graph, example_inputs)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except Exception as exc:  # noqa: BLE001 - compared by type and message
        return type(exc), str(exc)


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, (np.ndarray, np.generic)):
        return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


def check(fn, *args, fullgraph=True, graphs=1):
    """compiled(fn) == fn on copies of args (results, exceptions, mutated args)."""
    be = Counting()
    compiled = fj.compile(fn, fullgraph=fullgraph, backend=be)
    plain_args, jit_args = copy.deepcopy(args), copy.deepcopy(args)
    want, got = outcome(fn, *plain_args), outcome(compiled, *jit_args)
    assert want[0] == got[0] and same(want[1], got[1]), (want, got)
    assert same(list(plain_args), list(jit_args)), "arguments mutated alike"
    if graphs is not None:
        assert len(be.graphs) == graphs, [str(g) for g in be.graphs]
    return be


# ====================================================================== custom_op


@fj.custom_op("tests::crop")
def crop(pic, box):
    x0, y0, x1, y1 = box
    rows = pic.tolist()      # leaves the array world: never traced
    return np.array([[r[x0:x1] for r in ch[y0:y1]] for ch in rows], dtype=pic.dtype)


@crop.register_fake
def _crop_fake(pic, box):
    x0, y0, x1, y1 = box
    return np.empty((pic.shape[0], y1 - y0, x1 - x0), dtype=pic.dtype)


def test_custom_op_is_one_opaque_node_with_the_fakes_meta():
    def f(img):
        return crop(img, (1, 2, 4, 5)) * 2 + 1

    be = check(f, randn(3, 6, 7))
    (graph,) = be.graphs
    nodes = [n for n in graph.nodes if n.op == "custom_op"]
    assert len(nodes) == 1 and nodes[0].args[0] is crop
    assert nodes[0].meta.shape == (3, 3, 3) and nodes[0].meta.dtype == np.float64
    assert OPS["custom_op"].family is Family.OPAQUE     # one row of the table


def test_fake_sees_stand_ins_and_non_array_arguments_as_given():
    seen = []

    @fj.custom_op("tests::scale")
    def scale(x, factor, *, axes=None):
        return x * factor

    @scale.register_fake
    def _(x, factor, *, axes=None):
        seen.append((x.shape, x.dtype, x.ndim, factor, axes))
        return np.empty_like(x)

    def f(x):
        return scale(x.astype(np.float32), 3, axes=(0, 1)) - 1

    check(f, randn(2, 5))
    assert seen[0] == ((2, 5), np.float32, 2, 3, (0, 1))


def test_custom_op_with_nested_array_arguments_and_kwargs():
    @fj.custom_op("tests::weighted")
    def weighted(parts, weights=None):
        return sum(p * w for p, w in zip(parts, weights.tolist()))

    @weighted.register_fake
    def _(parts, weights=None):
        return np.empty(parts[0].shape, np.result_type(parts[0].dtype, weights.dtype))

    def f(a, b, w):
        return weighted([a, b + 1], weights=w) / 2

    check(f, randn(4), randn(4, seed=1), np.array([0.5, 2.0]))


def test_mutates_args_later_reads_see_the_mutation():
    @fj.custom_op("tests::fill_", mutates_args=("out",))
    def fill_(out, value):
        out[...] = value

    @fill_.register_fake
    def _(out, value):
        return None

    def f(x, buf):
        tmp = np.zeros_like(x)
        fill_(tmp, 2.0)         # a buffer made in the graph
        y = tmp * x
        fill_(buf, 5.0)         # the caller's array
        return y + buf, buf.sum()

    be = check(f, randn(3), np.ones(3))
    node = next(n for n in be.graphs[0].nodes if n.op == "custom_op")
    assert opaque.mutated_args(node) == (node.args[1],)


def test_mutates_args_through_a_view():
    @fj.custom_op("tests::negate_", mutates_args=("a",))
    def negate_(a):
        np.negative(a, out=a)

    @negate_.register_fake
    def _(a):
        return None

    def f(x):
        negate_(x[1:])
        return x * 2

    check(f, randn(5))


def test_mutating_a_non_array_argument_is_a_break():
    @fj.custom_op("tests::push", mutates_args=("log",))
    def push(x, log):
        log.append(1)
        return x + 1

    @push.register_fake
    def _(x, log):
        return np.empty_like(x)

    def f(x, log):
        return push(x, log) * 2

    with pytest.raises(fj.GraphBreakError, match="mutates argument 'log'"):
        fj.compile(f, fullgraph=True)(randn(2), [])
    check(f, randn(2), [], fullgraph=False, graphs=None)


def _plain_copy(x):
    return x.copy()


noisy_copy = fj.custom_op("tests::noisy_copy")(_plain_copy)


def test_without_fake_is_a_break_lenient_and_raises_under_fullgraph():
    def f(x):
        return noisy_copy(x + 1) * 2

    check(f, randn(4), fullgraph=False, graphs=None)
    report = fj.explain(fj.compile(f))(randn(4))
    assert report.graph_break_count >= 1
    with pytest.raises(fj.GraphBreakError) as info:
        fj.compile(f, fullgraph=True)(randn(4))
    assert info.value.kind == "custom_op_no_fake"
    assert "fake" in str(info.value).lower() and "register_fake" in info.value.hint


def _logging_op(log):
    @fj.custom_op("tests::logged")
    def logged(x, tag):
        log.append(("body", tag))
        return x + tag

    @logged.register_fake
    def _(x, tag):
        return np.empty_like(x)
    return logged


def test_body_runs_once_per_call_in_program_order_with_side_effects_after_it():
    def run(compiled):
        log = []
        logged = _logging_op(log)

        def f(x, log):
            y = logged(x, 1)
            log.append("between")
            z = logged(y, 2)
            log.append("after")
            return z

        # the second body call comes after "between", which is replayed after the graph:
        # the graph splits there (custom_op_order) under a lenient mode
        fn = fj.compile(f) if compiled else f
        out = [fn(randn(3), log) for _ in range(2)]
        return out, log

    (want, want_log), (got, got_log) = run(False), run(True)
    assert same(want, got)
    assert want_log == got_log == [("body", 1), "between", ("body", 2), "after"] * 2


def test_side_effect_before_the_call_orders_by_splitting_the_graph():
    def f(x, log):
        log.append("before")
        y = logged(x * 2, 1)
        log.append("after")
        return y

    log_plain, log_jit = [], []
    logged = _logging_op(log_plain)
    want = f(randn(3), log_plain)
    logged = _logging_op(log_jit)
    got = fj.compile(f)(randn(3), log_jit)
    assert same(want, got) and log_plain == log_jit == ["before", ("body", 1), "after"]
    with pytest.raises(fj.GraphBreakError) as info:
        fj.compile(f, fullgraph=True)(randn(3), [])
    assert info.value.kind == "custom_op_order"


def test_body_side_effects_come_before_recorded_ones_after_the_call():
    def f(x, log):
        y = logged(x, 1)
        log.append("after")
        return y

    log_plain, log_jit = [], []
    logged = _logging_op(log_plain)
    want = f(randn(3), log_plain)
    logged = _logging_op(log_jit)
    be = Counting()
    got = fj.compile(f, fullgraph=True, backend=be)(randn(3), log_jit)
    assert same(want, got) and log_plain == log_jit == [("body", 1), "after"]
    assert len(be.graphs) == 1


@pytest.mark.parametrize("bad, words", [
    (lambda x: [np.empty(3)], "returned a list"),
    (lambda x: (np.empty(3), np.empty(3)), "returned a tuple"),
    (lambda x: "float64", "returned a str"),
    (lambda x: np.empty(int(x.sum())), "read .sum"),
    (lambda x: np.zeros(3) + x, "stand-in"),
])
def test_bad_fake_is_a_clear_trace_error(bad, words):
    @fj.custom_op("tests::bad")
    def op(x):
        return x

    op.register_fake(bad)
    with pytest.raises(fj.TraceError, match=words) as info:
        fj.compile(lambda x: op(x) + 1, fullgraph=True)(randn(3))
    assert "tests::bad" in str(info.value) or "stand-in" in str(info.value)


def test_fake_raising_for_invalid_input_raises_like_plain_python():
    @fj.custom_op("tests::checked")
    def checked(x, n):
        if n < 0:
            raise ValueError("n must be non-negative")
        return x[:n]

    @checked.register_fake
    def _(x, n):
        if n < 0:
            raise ValueError("n must be non-negative")
        return np.empty((min(n, x.shape[0]),), x.dtype)

    check(lambda x: checked(x, -1) * 2, randn(4), graphs=None)
    check(lambda x: checked(x, 2) * 2, randn(4))


def test_custom_op_in_a_loop_and_scalar_results():
    @fj.custom_op("tests::norm")
    def norm(x):
        return np.float64(np.sqrt(sum(v * v for v in x.ravel().tolist())))

    @norm.register_fake
    def _(x):
        return np.float64(0.0)

    def f(xs):
        total = 0.0
        for x in xs:
            total = total + norm(x) * x
        return total

    check(f, [randn(3, seed=i) for i in range(3)])


# ====================================================================== nonstrict_trace


def _g_with_break(x):
    y = np.sin(x)
    fj.graph_break()          # a no-op: the function is not traced
    return np.sin(y)


@fj.nonstrict_trace
def _decorated(x):
    return _g_with_break(x) * 2


def test_nonstrict_inline_and_decorated_one_graph_no_break():
    def inline(x):
        w = np.sin(x)
        return fj.nonstrict_trace(_g_with_break)(w)

    def decorated(x):
        return _decorated(x + 1) - 1

    for f in (inline, decorated):
        be = check(f, randn(3))
        report = fj.explain(fj.compile(f, fullgraph=True))(randn(3))
        assert report.graph_break_count == 0 and report.graph_count == 1
        assert [n.op for n in be.graphs[0].nodes].count("sin") >= 2


@fj.nonstrict_trace
def _nested(pair, named, k):
    a, b = pair
    out = {"sum": a + b * k, "parts": [named["x"] @ named["w"], named["x"].T]}
    return out, (a.shape, len(b)), k


def test_nonstrict_nested_containers_of_arrays():
    def f(a, b, x, w):
        out, shapes, k = _nested((a, b), {"x": x, "w": w}, 3)
        return out["sum"] - out["parts"][0].sum() + k, out["parts"][1], shapes

    check(f, randn(4), randn(4, seed=1), randn(2, 3, seed=2), randn(3, 5, seed=3))


def test_nonstrict_inline_on_functions_made_inside_the_compiled_code():
    def f(x, scale):
        y = np.cos(x)

        def shifted(v, k=2):
            return v * k + y                 # captures a traced array

        a = fj.nonstrict_trace(lambda v: np.sin(v) * scale)(x)
        return fj.nonstrict_trace(shifted)(a) + fj.nonstrict_trace(shifted)(a, k=3)

    check(f, randn(4), 1.5)


_W = randn(3, 3, seed=7)


@fj.nonstrict_trace
def _numpy_tour(x):
    y = x.copy()
    y += 1
    y[0] = 5.0
    y[1:, 0] *= -2
    z = (y ** 2 - abs(-y) / (1 + y ** 2)) @ _W
    parts = [row * i for i, row in enumerate(z)]
    stacked = np.concatenate([np.stack(parts), x.T], axis=0)
    m = np.where(stacked > 0, stacked, 0.5 * stacked)
    r = np.add.reduce(m, axis=0) + m.mean(axis=1).sum() + np.maximum(m, 0).max()
    n = len(x) + x.ndim + x.shape[1]
    return r / n, np.sin(m[::2, 1:]).astype(np.float32), np.float64(2) * x, m.T @ m


def test_nonstrict_records_numpy_protocols_operators_methods_and_indexing():
    be = check(lambda x: _numpy_tour(x * 1.5), randn(3, 3))
    assert len(be.graphs[0].nodes) > 20


@pytest.mark.parametrize("body", [
    lambda x: x * 2 if x.sum() > 0 else x * 3,
    lambda x: x * float(x[0]),
    lambda x: x * int(x.max()),
    lambda x: x[0].item() + x,
    lambda x: x.tolist(),
    lambda x: x[: x.argmax()],
    lambda x: np.asarray(x) + 1,
    lambda x: [v for v in range(x.sum())],
    lambda x: x if x.all() else -x,
])
def test_nonstrict_branching_on_values_is_a_trace_error(body):
    g = fj.nonstrict_trace(body)
    for fullgraph in (True, False):
        with pytest.raises(fj.TraceError) as info:
            fj.compile(lambda x: g(x + 1), fullgraph=fullgraph)(randn(3))
        text = str(info.value)
        assert "nonstrict_trace" in text and "branched on an array value" in text
        assert "np.where" in text, "the message says how to fix it"
        assert isinstance(info.value, RuntimeError)


def test_nonstrict_trace_error_survives_a_catch_inside():
    @fj.nonstrict_trace
    def sneaky(x):
        try:
            if x.sum() > 0:
                return x
        except Exception:  # noqa: BLE001 - the point of the test
            pass
        return -x

    with pytest.raises(fj.TraceError):
        fj.compile(lambda x: sneaky(x), fullgraph=True)(randn(3))


def test_nonstrict_unsupported_numpy_call_breaks_at_the_call():
    @fj.nonstrict_trace
    def uniq(x):
        return np.unique(np.round(x * 2)) + 1

    def f(x):
        return uniq(x * 3) * 2

    with pytest.raises(fj.GraphBreakError) as info:
        fj.compile(f, fullgraph=True)(randn(5))
    assert info.value.kind == "unsupported_call" and "unique" in str(info.value)
    check(f, randn(5), fullgraph=False, graphs=None)


def test_nonstrict_exception_is_the_programs():
    @fj.nonstrict_trace
    def bad(x, y):
        return x + y           # broadcast error: raised natively inside, as in NumPy

    @fj.nonstrict_trace
    def raising(x):
        raise KeyError("nope")

    check(lambda x, y: bad(x, y), randn(3), randn(4), graphs=None)
    check(lambda x: raising(x), randn(3), graphs=None)


def test_nonstrict_python_side_effects_happen_once_while_tracing():
    calls = []

    @fj.nonstrict_trace
    def counted(x):
        calls.append(1)
        return x * 2

    f = fj.compile(lambda x: counted(x) + 1, fullgraph=True)
    for _ in range(3):
        np.testing.assert_array_equal(f(np.ones(2)), np.full(2, 3.0))
    assert calls == [1], "documented: side effects inside run once, at trace time"


def test_nonstrict_warns_about_visible_side_effects():
    @fj.nonstrict_trace
    def chatty(x, log):
        log.append(f"{x}")
        return x + 1

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fj.compile(lambda x, log: chatty(x, log), fullgraph=True)(np.ones(2), [])
    np.testing.assert_array_equal(out, np.full(2, 2.0))
    texts = " ".join(str(w.message) for w in caught)
    assert "formatted a traced array" in texts and "mutated an argument list" in texts


def test_nonstrict_returning_a_fresh_constant_array_copies_it_per_call():
    @fj.nonstrict_trace
    def with_table(x):
        return x + 1, np.arange(3.0)

    f = fj.compile(lambda x: with_table(x), fullgraph=True)
    _, t1 = f(np.zeros(3))
    t1[0] = 99.0
    _, t2 = f(np.zeros(3))
    np.testing.assert_array_equal(t2, np.arange(3.0))


def test_custom_op_body_is_never_traced_even_at_a_break():
    graphs = []

    def counting(graph, example_inputs):
        graphs.append(graph)
        return fj.backends.eager(graph, example_inputs)

    @fj.custom_op("tests::opaque_body", mutates_args=())
    def body(x):
        return np.sin(x) * 2          # would be a graph of its own if traced

    @fj.compile(backend=counting)
    def f(x):
        return body(x + 1) - 1        # no fake: a break; the body runs as plain Python

    x = np.linspace(0, 1, 4)
    np.testing.assert_array_equal(f(x), np.sin(x + 1) * 2 - 1)
    ops = [n.op for g in graphs for n in g.nodes]
    assert "sin" not in ops, ops
