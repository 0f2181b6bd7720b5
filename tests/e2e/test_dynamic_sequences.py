"""Loops over sequences resumed across a graph break (trace/cursor.py, trace/resumed_iter.py):
a ``for`` over a list, tuple, array rows, ``enumerate`` or ``zip`` whose body breaks is
resumed with a readable cursor whose position is dynamic, so the resumed trace iterates
on (no extra break at ``FOR_ITER``), one entry serves every iteration, and results, side
effects and exceptions are plain Python's."""
import copy
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framejit as fj
from framejit import _native
from framejit.testing.counting import CountingBackend


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


def _h(a):
    if a.sum() > -1e300:                   # data-dependent: a break in every iteration
        pass
    return a


def _outcome(fn, args):
    args = copy.deepcopy(args)
    try:
        return ("ok", fn(*args), args)
    except Exception as exc:               # the program's own exception
        return ("raised", (type(exc), str(exc)), args)


def _same(want, got):
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        assert type(got) is type(want)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), (want, got)
        for w, g in zip(want, got):
            _same(w, g)
    elif hasattr(want, "__dict__") and not isinstance(want, type):
        _same(vars(want), vars(got))
    elif isinstance(want, dict):
        assert want.keys() == got.keys()
        for k in want:
            _same(want[k], got[k])
    else:
        assert type(got) is type(want) and got == want, (want, got)


def check(fn, *args, graphs_at_most=None, quiet=True):
    """Compiled ``fn(*args)`` behaves as plain ``fn(*args)`` (result or exception, the
    arguments it mutates, logs), leaves no mode entry behind, and compiles at most
    ``graphs_at_most`` graphs; a second call compiles nothing. Returns the backend."""
    want = _outcome(fn, args)
    cb = CountingBackend()
    cf = fj.compile(fn, backend=cb)
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("error")   # never reaches cache_size_limit
        got = _outcome(cf, args)
    assert _native._modes.depth() == 0
    assert got[0] == want[0], (want, got)
    _same(want[1], got[1])
    _same(want[2], got[2])
    if graphs_at_most is not None:
        assert len(cb.graphs) <= graphs_at_most, len(cb.graphs)
        compiled = len(cb.graphs)
        again = _outcome(cf, args)
        assert again[0] == want[0]
        _same(want[1], again[1])
        assert len(cb.graphs) == compiled, "a second call compiles nothing"
    return cb


# ---------------------------------------------------------------- every form, any length

FORMS = {}


def _form(fn):
    FORMS[fn.__name__] = fn
    return fn


@_form
def over_list(x, n, log):
    ws = [0.5 + k for k in range(n)]
    for w in ws:
        x = x * 2
        _h(x)
        log.append(w)
        x = x + w
    return x


@_form
def over_tuple(x, n, log):
    ws = tuple(1.0 - k for k in range(n))
    for w in ws:
        x = x * 0.5
        _h(x)
        x = x - w
    log.append(len(ws))
    return x


@_form
def over_rows(x, n, log):
    m = np.arange(n * 3.0).reshape(n, 3)
    for row in m:
        x = x * 0.5
        _h(x)
        x = x + row
        log.append("row")
    return x


@_form
def over_rows_1d(x, n, log):
    for v in np.linspace(0, 1, n):        # numpy scalars
        _h(x)
        x = x + v
    return x


@_form
def over_enumerate_with_start(x, n, log):
    ws = [1.0 * k for k in range(n)]
    for i, w in enumerate(ws, 3):
        _h(x)
        x = x + w * i
        log.append(i)
    return x


@_form
def over_zip(x, n, log):
    a = [1.0 * k for k in range(n)]
    m = np.ones((n + 2, 3))               # the shortest decides
    for w, row in zip(a, m):
        _h(x)
        x = x + row * w
    return x


@_form
def over_zip_of_enumerate(x, n, log):
    a = tuple(range(n))
    for (i, k), row in zip(enumerate(a), np.ones((n, 3))):
        _h(x)
        x = x + row * (k - i + 1)
        log.append((i, k))
    return x


@_form
def over_list_of_arrays(x, n, log):
    arrs = [np.full(3, float(k)) for k in range(n)]
    for a in arrs:
        x = x * 0.5
        _h(x)
        x = x + a
        a += 1                             # the item is the list's own array
    return x, arrs


@_form
def nested(x, n, log):
    outer = [float(k) for k in range(n)]
    for w in outer:
        for row in np.ones((2, 3)):
            _h(x)
            x = x + row * w
        log.append(w)
    return x


@_form
def with_break_and_else(x, n, log):
    for i, w in enumerate([0.5 * k for k in range(n)]):
        _h(x)
        if i == 7:
            log.append("break")
            break
        x = x + w
    else:
        log.append("else")
    return x


@pytest.mark.parametrize("name", sorted(FORMS))
@pytest.mark.parametrize("n", [0, 1, 2, 5, 30])
def test_loop_over_a_sequence_matches_python_with_a_bounded_number_of_graphs(name, n):
    check(FORMS[name], np.linspace(-1, 1, 3), n, [], graphs_at_most=12)


@pytest.mark.parametrize("name", ["over_list", "over_rows", "over_enumerate_with_start"])
def test_every_iteration_runs_compiled_graphs(name):
    cb = check(FORMS[name], np.linspace(-1, 1, 3), 40, [])
    # each iteration runs the graph up to its break and, after it, the graph on to the
    # next iteration's break (not plain Python for the rest of the body)
    assert cb.runs >= 40, cb.runs
    assert len(cb.graphs) <= 8, len(cb.graphs)


def _inner_loop(x, ws, log):
    for i, w in enumerate(ws):
        _h(x)
        x = x + w * i
        log.append(i)
    return x


def loop_in_a_callee_inside_a_loop(x, log):
    for row in np.ones((6, 3)):
        x = _inner_loop(x, [0.5, 1.5, 2.5], log) + row
        fj.graph_break()
    return x


def _scaled(x, w, log):
    fj.graph_break()                       # a nested break: the caller's loop resumes too
    log.append(w)
    return x * w


def break_in_a_callee_of_the_loop_body(x, log):
    for w in (1.0, 2.0, 3.0, 4.0, 0.5, 0.25):
        x = _scaled(x, w, log)
    return x


@pytest.mark.parametrize("fn", [loop_in_a_callee_inside_a_loop,
                                break_in_a_callee_of_the_loop_body], ids=lambda f: f.__name__)
def test_loops_across_frames(fn):
    check(fn, np.ones(3), [], graphs_at_most=12)


# ---------------------------------------------------------------- list semantics


def appending_to_the_list(x, log):
    work = [1.0, 2.0]
    for w in work:
        _h(x)
        x = x + w
        if len(work) < 6:
            work.append(w * 3)             # the iterator sees it, as CPython's does
    log.append(list(work))
    return x


def popping_from_the_list(x, log):
    work = [1.0, 2.0, 3.0, 4.0, 5.0]
    for w in work:
        _h(x)
        x = x + w
        log.append(work.pop())             # shortens the loop
    return x, work


def replacing_later_items(x, log):
    work = [1.0, 2.0, 3.0, 4.0]
    for i, w in enumerate(work):
        _h(x)
        if i + 1 < len(work):
            work[i + 1] = w * 10
        x = x + w
        log.append(w)
    return x


def list_from_outside(x, work, log):
    for w in work:
        _h(x)
        x = x * w
        log.append(w)
    work.append(-1.0)
    return x


def exhausted_stays_exhausted(x, log):
    work = [1.0, 2.0]
    it = iter(work)
    for w in it:
        _h(x)
        x = x + w
    work.append(3.0)
    log.append(next(it, "done"))
    log.append(list(it))
    return x


def manual_next_on_the_loop_iterator(x, log):
    it = iter([1.0, 2.0, 3.0, 4.0, 5.0])
    for w in it:
        _h(x)
        x = x + w
        log.append(next(it, None))         # the same iterator as the loop's
    return x


def empty_sequences(x, log):
    for w in []:
        _h(x)
        log.append(w)
    for row in np.ones((0, 3)):
        _h(x)
        x = x + row
    for i, w in enumerate(()):
        log.append(i)
    _h(x)
    for a, b in zip([], [1.0]):
        log.append(a)
    return x + 1


def strings_and_bytes(x, log):
    for ch in "abc":
        _h(x)
        log.append(ch)
    for b in b"\x01\x02":
        _h(x)
        x = x + b
    return x


@pytest.mark.parametrize("fn", [appending_to_the_list, popping_from_the_list,
                                replacing_later_items, exhausted_stays_exhausted,
                                manual_next_on_the_loop_iterator, empty_sequences,
                                strings_and_bytes], ids=lambda f: f.__name__)
def test_sequence_semantics_are_pythons(fn):
    check(fn, np.linspace(-1, 1, 3), [], quiet=False)


def test_a_list_from_outside_is_iterated_in_place_and_new_lists_reuse_the_entries():
    cb = check(list_from_outside, np.ones(3), [2.0, 0.5, 3.0, 1.5], [], graphs_at_most=10)
    compiled = len(cb.graphs)
    cf = fj.compile(list_from_outside, backend=cb)
    for work in ([1.5, 2.5, 0.5, 4.0], [3.0, 1.0, 2.0, 0.25]):
        want_log, log = [], []
        want = list_from_outside(np.ones(3), list(work), want_log)
        lst = list(work)
        np.testing.assert_array_equal(cf(np.ones(3), lst, log), want)
        assert log == want_log and lst == work + [-1.0]
    assert len(cb.graphs) == compiled, "other values, same length: no recompile"


def test_list_of_ints_items_become_dynamic():
    def f(x, log):
        for k in [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]:
            _h(x)
            x = x + k
            log.append(k * 2)
        return x

    check(f, np.zeros(3, dtype=np.int32), [], graphs_at_most=8)


def test_reading_the_length_of_the_iterated_list_keeps_one_entry():
    """``len(lst)`` and ``if lst:`` read a list's length, not its items: the resumed loop
    still takes its items through the cursor, so the entries stay bounded."""
    def f(x, work, log):
        for i, w in enumerate(work):
            _h(x)
            if work and i < len(work) - 1:
                x = x + w
            log.append(len(work))
        return x

    check(f, np.zeros(3), [0.5 * k for k in range(30)], [], graphs_at_most=10)


def test_items_of_a_list_are_never_stale():
    """A list of arrays (graph inputs through the cursor) and of floats and ints (values
    read through the cursor, made dynamic after one recompile): each iteration sees its
    own item."""
    def f(x, log):
        items = [np.full(3, 2.0), 0.5, 7, np.full(3, -1.0), 0.5, 8, np.full(3, 3.0), 0.25, 9]
        for it in items:
            _h(x)
            x = x * it if isinstance(it, float) else x + it
            log.append(type(it).__name__)
        return x

    check(f, np.ones(3), [], quiet=False)


def test_type_of_a_value_reached_through_a_source_is_guarded():
    def f(x, v):
        return x + 1, type(v).__name__, isinstance(v, float), type(x).__name__

    cf = fj.compile(f)
    for v in (1.5, 7, "s", 2.5, True):
        got, want = cf(np.zeros(1), v), f(np.zeros(1), v)
        assert got[1:] == want[1:]


# ---------------------------------------------------------------- zip and enumerate rules


@pytest.mark.parametrize("lengths", [(3, 5), (5, 3), (3, 3, 2), (2, 3, 3), (4, 4)])
def test_zip_strict_raises_at_the_right_iteration(lengths):
    def f(x, log, lengths=lengths):
        seqs = [[float(k) for k in range(n)] for n in lengths]
        for items in zip(*seqs, strict=True):
            _h(x)
            x = x + sum(items)
            log.append(items)
        return x

    check(f, np.zeros(2), [], quiet=False)


def test_zip_strict_message_is_zips():
    def f(x, a, b, c):
        out = []
        for t in zip(a, b, c, strict=True):
            fj.graph_break()
            out.append(t)
        return out

    for args in (([1], [2], [3, 4]), ([1, 2], [2], [3]), ([1, 2], [2, 3], [3]),
                 ([1], [1, 2], [1])):
        check(f, np.zeros(1), *args, quiet=False)


def test_zip_without_arguments_and_enumerate_of_a_numpy_start():
    def f(x, log):
        for t in zip():
            log.append(t)
        for i, w in enumerate([0.5, 1.5], np.int64(2)):
            fj.graph_break()
            log.append((type(i).__name__, i))
            x = x + w * i
        return x

    check(f, np.zeros(2), [], quiet=False)


def test_enumerate_of_an_opaque_iterator_still_runs():
    def gen(n):
        yield from range(n)

    def f(x, log):
        for i, k in enumerate(gen(4)):
            _h(x)
            x = x + i * k
            log.append(k)
        return x

    check(f, np.zeros(2), [], quiet=False)


def test_returned_iterators_are_pythons_own():
    def f(x):
        it = enumerate([1.0, 2.0])
        z = zip([1], [2])
        li = iter([1, 2])
        next(li)
        return x + 1, it, z, li

    out = fj.compile(f)(np.zeros(1))
    assert type(out[1]) is enumerate and type(out[2]) is zip
    assert type(out[3]) is type(iter([])) and list(out[3]) == [2]


# ---------------------------------------------------------------- strict modes


@pytest.mark.parametrize("form", ["list", "tuple", "rows", "enumerate", "zip"])
def test_loop_resumed_under_a_strict_mode_block_keeps_tracing(form):
    def h(a):
        fj.graph_break()
        return a * 0.5

    @fj.compile
    def root(x, log):
        seq = {"list": [1.5, 0.25, 3.0], "tuple": (1.5, 0.25, 3.0),
               "rows": x[:3], "enumerate": enumerate([1.5, 0.25, 3.0]),
               "zip": zip([1.5, 0.25, 3.0], x)}[form]
        with fj.error_on_graph_break(True):
            for v in seq:
                log.append(1)
                with fj.error_on_graph_break(False):
                    x = h(x)               # allowed
                x = x + 1
        return x

    log = []
    want = np.ones((4, 2))
    for _ in range(3):
        want = want * 0.5 + 1
    np.testing.assert_array_equal(root(np.ones((4, 2)), log), want)
    assert log == [1, 1, 1]
    assert _native._modes.depth() == 0


def test_forbidden_break_after_a_loop_over_rows_raises_before_the_last_segment_runs():
    log = []

    @fj.compile
    def root(x):
        for row in x:
            float(row.sum())               # allowed data-dependent break
            log.append(1)                  # last time: the forbidden break's segment
        with fj.error_on_graph_break(True):
            fj.graph_break()
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones((3, 2)))
    assert log == [1, 1]
    assert _native._modes.depth() == 0


# ---------------------------------------------------------------- property tests

_FORMS = {   # iterable, loop target, the body's use of the item
    "list": ("[w0 + k for k in range(n)]", "item", "item"),
    "tuple": ("tuple(w0 * k for k in range(n))", "item", "item"),
    "rows": ("np.arange(n * 2.0).reshape(n, 2)", "item", "item"),
    "enumerate": ("enumerate([w0 - k for k in range(n)], start)", "i, item", "item * i"),
    "zip": ("zip([w0 * k for k in range(n)], np.ones((n + extra, 2)))", "w, item", "item * w"),
}


@settings(max_examples=60, deadline=None)
@given(form=st.sampled_from(sorted(_FORMS)), n=st.integers(0, 14),
       every=st.integers(1, 4), phase=st.integers(0, 3), w0=st.sampled_from([0.5, -2.0, 3.25]),
       start=st.integers(-3, 3), extra=st.integers(0, 2),
       stop_at=st.integers(-1, 14))
def test_break_positions_and_lengths(form, n, every, phase, w0, start, extra, stop_at):
    """Breaks every ``every`` iterations (at ``phase``), a ``break`` at ``stop_at`` (-1:
    none): plain
    Python's results and log, and no entry past cache_size_limit (``check`` turns its
    warning into an error)."""
    fj.reset()
    iterable, target, use = _FORMS[form]
    src = f"""
def f(x, log):
    k = 0
    for {target} in {iterable}:
        x = x * 0.5
        if k % {every} == {phase % every}:
            fj.graph_break()
        x = x + {use}
        log.append(k)
        if k == {stop_at}:
            break
        k += 1
    else:
        log.append("else")
    return x
"""
    ns = {"fj": fj, "np": np, "n": n, "w0": w0, "start": start, "extra": extra}
    exec(src, ns)
    check(ns["f"], np.zeros(2), [])
