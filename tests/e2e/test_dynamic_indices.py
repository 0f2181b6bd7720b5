"""Loop variables that stay dynamic where they used to specialize (trace/dyn_items.py,
trace/dynamic.py): list and tuple indices (``lst[i]``, ``tup[i - 1]``, ``lst[-1 - i]``),
comparisons of two dynamic ints (``i == j``, ``i + 1 < n``) and tests against None.

Every program is a loop of N iterations whose body breaks; the check is that it behaves
as plain Python (results, mutated arguments, exceptions with their messages, no mode
entry left behind), that every iteration runs compiled graphs, that nothing reaches
``cache_size_limit`` (its warning is an error here) and that the number of graphs
compiled is bounded whatever N (the same for every N once each path of the body has
been taken: a predicate's truth gives one entry per outcome)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framejit as fj
from framejit import _native
from framejit.testing.counting import CountingBackend

from test_dynamic_sequences import _h, _outcome, _same  # noqa: F401  (shared helpers)

NS = (10, 30, 60)


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


def check(fn, *args, runs_at_least=0):
    """Compiled ``fn(*args)`` behaves as plain ``fn(*args)``, never reaches the cache
    limit and runs at least ``runs_at_least`` graphs; returns the number compiled."""
    want = _outcome(fn, args)
    cb = CountingBackend()
    cf = fj.compile(fn, backend=cb)
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # the cache-limit warning fails the test
        got = _outcome(cf, args)
    assert _native._modes.depth() == 0
    assert got[0] == want[0], (want, got)
    _same(want[1], got[1])
    _same(want[2], got[2])
    assert cb.runs >= runs_at_least, (cb.runs, runs_at_least)
    compiled = len(cb.graphs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = _outcome(cf, args)
    assert again[0] == want[0]
    _same(want[1], again[1])
    assert len(cb.graphs) == compiled, "a second call compiles nothing"
    return compiled


def check_loop(make, at_most=12, ns=NS, iterations=lambda n: n):
    """``make(n) -> (fn, args)``: a loop of ``iterations(n)`` iterations, each of which
    runs a compiled graph; the graphs compiled are at most ``at_most`` and as many for
    the two largest n."""
    counts = []
    for n in ns:
        fj.reset()
        fn, args = make(n)
        counts.append(check(fn, *args, runs_at_least=iterations(n)))
    assert counts[-1] == counts[-2] and max(counts) <= at_most, dict(zip(ns, counts))


# ---------------------------------------------------------------- lst[i], tup[i]


def list_of_numbers(x, ws):
    for i in range(len(ws)):
        _h(x)
        x = x + ws[i] * ws[i - 1] + ws[-1 - i]
    return x


def list_of_ints_beside_an_int_array(x, ks):
    for i in range(len(ks)):
        _h(x)
        x = x * 2 - ks[i] + ks[len(ks) - 1 - i]
    return x


def list_of_arrays(x, arrs):
    for i in range(len(arrs)):
        x = x * 0.5
        _h(x)
        x = x + arrs[i] - arrs[i - 1]
    return x


def tuple_of_arrays(x, arrs):
    arrs = tuple(arrs)
    for i in range(len(arrs)):
        _h(x)
        x = x + arrs[-1 - i] * 0.5
    return x


def constant_tuple(x, n):
    for i in range(n):
        _h(x)
        x = x + (1.5, -2.0, 0.25)[i % 3] + (7, 8, 9)[-1 - i % 3]
    return x


class Layer:
    def __init__(self, w, b):
        self.w = w
        self.b = b


def list_of_instances(x, layers):
    for i in range(len(layers)):
        _h(x)
        x = x * layers[i].w + layers[i].b
    return x


def while_counter(x, ws):
    i = 0
    while i < len(ws):
        _h(x)
        x = x + ws[i]
        i += 1
    return x, i


def rows_of_a_nested_list(x, m):
    for i in range(len(m)):
        _h(x)
        x = x + m[i][i % 4] * m[-1 - i][0]
    return x


def list_that_grows_while_read(x, ws):
    out = []
    for i in range(len(ws)):
        _h(x)
        out.append(ws[i] * 2)              # appends to another list: ws's items stay put
        x = x + ws[i]
    return x, out


def _numbers(n):
    return [0.5 * k - 3 for k in range(n)]


def _arrays(n):
    return [np.full(3, float(k)) for k in range(n)]


MAKERS = {
    "list_of_numbers": lambda n: (list_of_numbers, (np.zeros(3), _numbers(n))),
    "list_of_ints": lambda n: (list_of_ints_beside_an_int_array,
                               (np.arange(3, dtype=np.int64), [k * 7 - 20 for k in range(n)])),
    "list_of_arrays": lambda n: (list_of_arrays, (np.zeros(3), _arrays(n))),
    "tuple_of_arrays": lambda n: (tuple_of_arrays, (np.zeros(3), _arrays(n))),
    "constant_tuple": lambda n: (constant_tuple, (np.zeros(2), n)),
    "list_of_instances": lambda n: (list_of_instances, (
        np.ones(3), [Layer(np.full(3, 1 + k / 64), 0.5 * k) for k in range(n)])),
    "while_counter": lambda n: (while_counter, (np.zeros(3), _numbers(n))),
    "nested_list": lambda n: (rows_of_a_nested_list, (
        np.zeros(2), [[float(k + j) for j in range(4)] for k in range(n)])),
    "grows_while_read": lambda n: (list_that_grows_while_read, (np.zeros(3), _numbers(n))),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_list_and_tuple_indices_stay_dynamic(name):
    check_loop(MAKERS[name])


def test_items_are_read_where_the_run_picks_them():
    """A list of arrays mutated in place through its items: every iteration reads (and
    writes) the array at its own position, also after the entries are compiled."""
    def f(x, arrs):
        for i in range(len(arrs)):
            _h(x)
            a = arrs[i]
            a += i                         # the list's own array, in place
            x = x + a * arrs[-1][0]
        return x, arrs

    check_loop(lambda n: (f, (np.zeros(3), _arrays(n))))


def test_augmented_assignment_of_an_array_item():
    """``arrs[i] += v`` updates the array in place and stores it back where it was:
    nothing for the list to specialize on."""
    def f(x, arrs, t):
        for i in range(len(arrs)):
            _h(x)
            arrs[i] += x
            t[-1 - i] *= 2.0
            x = x + arrs[i - 1]
        return x, arrs, t

    check_loop(lambda n: (f, (np.ones(3), _arrays(n), _arrays(n))))


def test_items_of_mixed_types():
    def f(x, items):
        log = []
        for i in range(len(items)):
            _h(x)
            it = items[i]
            if it is None:
                log.append("none")
            elif isinstance(it, np.ndarray):
                x = x + it
            else:
                x = x * it
            log.append(type(items[-1 - i]).__name__)
        return x, log

    items = [np.full(2, 2.0), 0.5, None, 3, np.full(2, -1.0), 1.5, None, 2] * 4
    assert check(f, np.ones(2), items) <= 16


@pytest.mark.parametrize("n, stop", [(20, 25), (20, 20), (12, 30)])
def test_index_error_past_the_end_is_pythons(n, stop):
    def f(x, ws, stop):
        out = []
        try:
            for i in range(stop):
                _h(x)
                out.append(ws[i])
                x = x + ws[-1 - i]
        except IndexError as exc:
            out.append(str(exc))
        return x, out

    check(f, np.zeros(2), _numbers(n), stop)


def test_index_error_leaves_the_frame_after_the_effects_before_it():
    log = []

    def f(x, ws):
        for i in range(len(ws) + 3):
            _h(x)
            log.append(i)
            x = x + ws[2 * i - 5]          # negative first, then past the end
        return x

    check(f, np.zeros(2), _numbers(9))
    assert log == list(range(8)) * 3       # plain Python, the compiled call, a second one


def test_negative_positions_past_the_start_raise_in_place():
    def f(x, t):
        out = []
        for i in range(len(t) + 4):
            _h(x)
            try:
                out.append(t[-1 - i])
            except IndexError as exc:
                out.append(str(exc))
        return x, out

    check(f, np.zeros(2), tuple(_numbers(12)))


def test_appended_items_and_the_entry_items():
    """Items appended while the segment runs are the trace's own (read by position, as
    before); the entry items are still read where the run picks them."""
    def f(x, ws):
        n = len(ws)
        for i in range(n):
            _h(x)
            ws.append(ws[i] * 2)
            x = x + ws[i] + ws[n + i] + ws[-1]
        return x, ws

    check(f, np.zeros(2), _numbers(12))


def test_item_changed_between_calls_is_read_afresh():
    def f(x, ws, i):
        _h(x)
        return x + ws[i], ws[i - 1]

    cb = CountingBackend()
    cf = fj.compile(f, backend=cb)
    ws = _numbers(16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(-15, 16):
            ws[k] = float(k * k)
            got, want = cf(np.zeros(2), ws, k), f(np.zeros(2), ws, k)
            np.testing.assert_array_equal(got[0], want[0])
            assert got[1] == want[1]
    assert len(cb.graphs) <= 8, len(cb.graphs)


def results_by_position(x, n):
    out = [0.0] * n
    for i in range(n):
        _h(x)
        out[i] = float(i) * 2              # float() of a dynamic int stays dynamic
        out[-1 - i] += 1.0
        x = x + out[i] + out[i - 1]
    return x, out


def test_stores_at_a_dynamic_position_stay_dynamic():
    check_loop(lambda n: (results_by_position, (np.zeros(2), n)))


def updating_the_list_being_iterated(x, ws):
    for i, w in enumerate(ws):
        _h(x)
        ws[i] = w * 2
        if i + 1 < len(ws):
            ws[i + 1] += 1.0               # the loop takes this item next: it sees it
        x = x + w
    return x, ws


def test_a_loop_sees_the_stores_into_its_own_list():
    check_loop(lambda n: (updating_the_list_being_iterated, (np.zeros(2), _numbers(n))))


def test_store_out_of_range_raises_pythons_index_error():
    def f(x, out):
        try:
            for i in range(len(out) + 2):
                _h(x)
                out[i - 2 * len(out) + 3] = x.sum()
        except IndexError as exc:
            return str(exc), out
        return None, out

    check(f, np.ones(2), [0.0] * 5)


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 6), n=st.integers(0, 8),
       ops=st.lists(st.tuples(st.sampled_from(["set", "get", "add"]),
                              st.sampled_from([-1, 1]), st.integers(-7, 7)),
                    min_size=1, max_size=4))
def test_stores_and_reads_at_dynamic_positions_match_python(m, n, ops):
    fj.reset()
    lines = []
    for k, (op, mul, add) in enumerate(ops):
        pos = f"{mul} * i + {add}"
        lines.append({"set": f"out[{pos}] = {k} + i * 0.5",
                      "get": f"log.append(out[{pos}])",
                      "add": f"out[{pos}] += 1.0"}[op])
    body = "\n            ".join(lines)
    src = f"""
def f(x, log):
    out = [0.25 * k for k in range({m})]
    for i in range({n}):
        _h(x)
        try:
            {body}
        except IndexError as exc:
            log.append(str(exc))
        x = x + len(log)
    return x, out
"""
    ns = {"_h": _h}
    exec(src, ns)
    check(ns["f"], np.zeros(2), [])


# property test: index expressions, lengths, item kinds, positions out of range

_ITEMS = {
    "float": "[0.5 * k - 1 for k in range(m)]",
    "int": "[3 * k - 4 for k in range(m)]",
    "array": "[np.full(2, float(k)) for k in range(m)]",
    "tuple": "tuple(0.25 * k for k in range(m))",
}


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(sorted(_ITEMS)), m=st.integers(0, 12), n=st.integers(0, 16),
       mul=st.sampled_from([-2, -1, 1, 2]), add=st.integers(-14, 14),
       catch=st.booleans())
def test_index_expressions_match_python(kind, m, n, mul, add, catch):
    fj.reset()
    body = f"x = x + items[{mul} * i + {add}]"
    if catch:
        body = f"""try:
            {body}
        except IndexError as exc:
            log.append(str(exc))"""
    src = f"""
def f(x, log):
    items = {_ITEMS[kind]}
    for i in range({n}):
        _h(x)
        log.append(i)
        {body}
    return x
"""
    ns = {"_h": _h, "np": np, "m": m}
    exec(src, ns)
    check(ns["f"], np.zeros(2), [])


# ---------------------------------------------------------------- two dynamic ints


def diagonal(x, n):
    for i in range(n // 3):
        for j in range(3):
            _h(x)
            if i == j:
                x = x + 1
            elif i < j + 1:
                x = x * 0.5
    return x


def shrinking_bound(x, n):
    i = 0
    while i + 1 < n:                       # n and i both change every iteration
        _h(x)
        if i == n - 5:
            x = x + 100
        x = x + i
        n -= 1
        i += 1
    return x, i, n


def counter_against_a_loop_variable(x, n):
    k = 0
    for i in range(n):
        _h(x)
        if k * 2 >= i and i != k + 3:
            x = x + 1
        k += i % 2
    return x, k


TWO_ROOTS = {   # program, iterations of its breaking body for n
    "diagonal": (diagonal, lambda n: n // 3 * 3),
    "shrinking_bound": (shrinking_bound, lambda n: n // 2),
    "counter_against_a_loop_variable": (counter_against_a_loop_variable, lambda n: n),
}


@pytest.mark.parametrize("name", sorted(TWO_ROOTS))
def test_comparisons_of_two_dynamic_ints_stay_dynamic(name):
    fn, iterations = TWO_ROOTS[name]
    check_loop(lambda n: (fn, (np.zeros(2), n)), iterations=iterations)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 12), m=st.integers(0, 6), a=st.integers(-2, 2), b=st.integers(-3, 3),
       c=st.integers(-2, 2), sym=st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
def test_predicates_over_two_loop_variables_match_python(n, m, a, b, c, sym):
    fj.reset()
    src = f"""
def f(x, log):
    for i in range({n}):
        for j in range({m}):
            _h(x)
            if {a} * i + {b} {sym} {c} * j - i:
                log.append((i, j))
                x = x + 1
    return x
"""
    ns = {"_h": _h}
    exec(src, ns)
    check(ns["f"], np.zeros(2), [])


# ---------------------------------------------------------------- range(i), range(i, n)


def triangle(x, n):
    for i in range(n // 4):
        for j in range(i):                 # the inner loop's bound changes per row
            _h(x)
            x = x + j
    return x


def upper_triangle_with_a_step(x, n):
    m = n // 4
    for i in range(m):
        for j in range(i, m + 2, 2):
            _h(x)
            x = x * 0.5 + (j - i)
    return x


def counting_down(x, n):
    for i in range(n // 4):
        for j in range(2 * i, -1, -3):
            _h(x)
            x = x + j
    return x


def range_kept_across_a_break(x, n):
    for i in range(n // 4):
        r = range(i + 1)
        fj.graph_break()
        for j in r:
            _h(x)
            x = x - j * 0.5
    return x


def _triangle_iterations(n, row):
    return sum(row(i) for i in range(n // 4))


RANGES = {   # program, iterations of its breaking body for n
    "triangle": (triangle, lambda n: _triangle_iterations(n, lambda i: i)),
    "upper_triangle_with_a_step": (upper_triangle_with_a_step, lambda n: _triangle_iterations(
        n, lambda i: len(range(i, n // 4 + 2, 2)))),
    "counting_down": (counting_down, lambda n: _triangle_iterations(
        n, lambda i: len(range(2 * i, -1, -3)))),
    "range_kept_across_a_break": (range_kept_across_a_break, lambda n: n // 4),
}


@pytest.mark.parametrize("name", sorted(RANGES))
def test_inner_loop_over_a_range_with_a_dynamic_bound(name):
    fn, iterations = RANGES[name]
    check_loop(lambda n: (fn, (np.zeros(2), n)), ns=(20, 40, 60), iterations=iterations)


def test_inner_loop_unrolled_in_the_trace_specializes_on_its_trip_count():
    """Without a break in the inner loop the trace unrolls it: one entry per bound (the
    specialization unrolling needs), with the results of plain Python."""
    def f(x, n):
        for i in range(n):
            _h(x)
            for j in range(i % 5, 4):
                x = x + j
        return x

    cb = CountingBackend()
    cf = fj.compile(f, backend=cb)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(cf(np.zeros(2), 40), f(np.zeros(2), 40))
    assert len(cb.graphs) <= 12, len(cb.graphs)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 7), a=st.integers(-2, 2), b=st.integers(-3, 3),
       c=st.integers(-2, 2), d=st.integers(-3, 6), step=st.sampled_from([-3, -1, 1, 2]),
       use=st.sampled_from(["len(r)", "r[-1] if r else -1", "r.start", "5 in r", "0"]))
def test_ranges_of_dynamic_bounds_match_python(n, a, b, c, d, step, use):
    fj.reset()
    src = f"""
def f(x, log):
    for i in range({n}):
        r = range({a} * i + {b}, {c} * i + {d}, {step})
        log.append({use})
        for j in r:
            _h(x)
            log.append((i, j))
            x = x + j
    return x
"""
    ns = {"_h": _h}
    exec(src, ns)
    check(ns["f"], np.zeros(2), [])


# ---------------------------------------------------------------- None


def none_tests(x, n):
    log = []
    for i in range(n):
        _h(x)
        if i is None or i == None:         # noqa: E711 (the test is the point)
            log.append("never")
        if i is not None and i != None:    # noqa: E711
            x = x + 1
        k = i if i % 2 else None
        log.append((k is None, i is True, i == "1", i != ()))
    return x, log


def test_a_dynamic_int_compared_with_none_stays_dynamic():
    check_loop(lambda n: (none_tests, (np.zeros(2), n)))


def test_optional_int_argument_over_many_calls():
    def f(x, k=None):
        if k is None:
            return x
        return x + k, k == None, None != k  # noqa: E711

    cb = CountingBackend()
    cf = fj.compile(f, backend=cb)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in [None, 1, None, *range(2, 30), None, -5]:
            _same(f(np.zeros(2), k), cf(np.zeros(2), k))
    assert len(cb.graphs) <= 4, len(cb.graphs)


def test_order_comparison_with_none_raises_pythons_type_error():
    def f(x, n):
        for i in range(n):
            _h(x)
            if i > 3 and i < None:
                x = x + 1
        return x

    check(f, np.zeros(2), 10)


# ---------------------------------------------------------------- demoted entries


def test_entries_made_before_an_int_became_dynamic_are_demoted():
    """An entry specialized on an int that has since become dynamic no longer counts
    toward cache_size_limit; it is checked after the live entries and still serves the
    value it was made for."""
    ef = _native._evalframe

    def f(x, k):
        if k > 1:
            return x + k
        return x * 2 if k == 1 else x - k

    cb = CountingBackend()
    cf = fj.compile(f, backend=cb)
    old = fj.config.cache_size_limit
    fj.config.cache_size_limit = 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")     # 3 entries: only 2 are live
            for k in [1, 2, 1, 0, -3, 1, 7]:
                _same(f(np.zeros(2), k), cf(np.zeros(2), k))
    finally:
        fj.config.cache_size_limit = old
    entries = ef.cache_entries(f.__code__)
    assert [e["demoted"] for e in entries] == [True, False, False]
    assert len(cb.graphs) == 3                  # k == 1, then k > 1, then k < 1
    assert entries[0]["hits"] == 2, "the k == 1 entry served the later calls with 1"
