"""Builtins whose callbacks run lazily or in a set order, traced as CPython runs them.

``map`` and ``filter`` call their function at each ``next()`` (interleaved with the
loop's body, not all at creation); ``in`` compares ``element == item`` (the element on
the left, identity first) and stops at the first match, as ``==`` of two lists or tuples
does element by element; ``any``/``all`` stop at the
first deciding truth value (over a map too: its function runs only up to the answer);
``sum``/``min``/``max`` take a map's items one at a time (an item's ``__add__`` or ``key=``
call right after the function made it); ``a or b`` / ``a and b`` test ``a`` once; an iterator class's
``__iter__`` is called once and its ``__next__`` per item (StopIteration ends the loop). Each test compares
plain Python with the compiled function (results, effect order, exceptions), with and
without graph breaks around the calls.
"""
import numpy as np
import pytest

import framejit as fj

from test_breaks_toplevel import LOG, compare

X = np.arange(4.0)


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


def _g(v):
    LOG.append(("g", v))
    return v * 2


def _p(v):
    LOG.append(("p", v))
    return v > 0


def _g_breaks(v):
    LOG.append(("gb", v))
    fj.graph_break()
    return v + 1


class _Eq:
    def __init__(self, k):
        self.k = k

    def __eq__(self, other):
        LOG.append(("eq", self.k, getattr(other, "k", other)))
        return NotImplemented if other == "ni" else getattr(other, "k", other) == self.k

    __hash__ = None


class _Truth:
    def __init__(self, k):
        self.k = k

    def __bool__(self):
        LOG.append(("bool", self.k))
        return self.k > 0


def map_in_a_loop(x):
    for v in map(_g, [1, 2, 3]):
        LOG.append(("body", v))
        x = x + v
    return x


def map_made_then_consumed(x):
    m = map(_g, (4, 5))
    LOG.append("made")
    return x + sum(m)


def map_of_two_iterables_stops_at_the_shortest(x):
    out = list(map(lambda a, b: LOG.append((a, b)) or a * b, [1, 2, 3], (4, 5)))
    return x + sum(out)


def filter_in_a_loop(x):
    for v in filter(_p, [1, -2, 3, 0]):
        LOG.append(("body", v))
        x = x * v
    return x + len(list(filter(None, [0, 1, 2, 0]))) + len(list(filter(bool, (0, 3))))


def map_partly_consumed_then_a_break(x):
    it = map(_g, [1, 2, 3])
    first = next(it)
    fj.graph_break()
    return x + first + sum(it)


def map_with_a_break_in_the_body(x):
    for v in map(_g, range(4)):
        x = x + v
        fj.graph_break()
        LOG.append(("after", v))
    return x


def map_whose_function_breaks(x):
    for v in map(_g_breaks, [1, 2]):
        LOG.append(("body", v))
        x = x * v
    return x


def filter_with_a_break_in_the_body(x):
    for v in filter(_p, [3, -1, 2]):
        fj.graph_break()
        x = x - v
    return x


def contains_order(x):
    a = _Eq(1) in [_Eq(2), 3, _Eq(1), _Eq(9)]
    b = 3 in [_Eq(2)]
    c = _Eq(5) not in (_Eq(6), _Eq(5))
    d = "ni" in [_Eq(7)]
    return x + a + b + c + d


def any_all_stop_early(x):
    a = any([_Truth(0), _Truth(2), _Truth(5)])
    b = all((_Truth(1), _Truth(-1), _Truth(3)))
    c = any(LOG.append(v) or v > 1 for v in [1, 2, 3])
    return x + a + b + c


_NAN = float("nan")


def container_equality_is_identity_first(x):
    e = _Eq(1)
    a = [e, 2] == [e, 2]                  # no __eq__ call: the same object
    b = [_NAN] == [_NAN]                  # True, although nan != nan
    c = (e,) != (e,)
    d = [_Eq(3)] == [_Eq(3)]              # __eq__ called
    return x + a + b + c + d


class _Ord(_Eq):
    def __lt__(self, other):
        LOG.append(("lt", self.k, getattr(other, "k", other)))
        return self.k < getattr(other, "k", other)


def sequence_ordering_decides_on_the_first_unequal_pair(x):
    e = _Ord(1)
    a = [e, _Ord(2)] < [e, _Ord(3)]       # e is e: no __eq__; then 2 == 3, 2 < 3
    b = (_NAN, 1) < (_NAN, 2)             # NaN is itself: the second pair decides
    c = [_Ord(4)] <= [_Ord(4), 0]         # equal prefix: the lengths
    d = (1, 2) > (1,)
    try:
        [1] < (1,)
    except TypeError as exc:
        LOG.append(exc.args)
    return x + a + b + c + d


class _Countdown:
    """An iterator class: ``__iter__`` returns self, ``__next__`` raises StopIteration."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        LOG.append("iter")
        return self

    def __next__(self):
        if self.n <= 0:
            LOG.append("stop")
            raise StopIteration
        self.n -= 1
        LOG.append(("next", self.n))
        return self.n


class _BadIterable:
    def __iter__(self):
        return [1, 2]


def iterator_class(x):
    for v in _Countdown(3):
        x = x + v
    c = _Countdown(2)
    a, b, z = next(c), next(c), next(c, -1)
    return x + a + b + z + sum(_Countdown(4)) + len(list(_Countdown(2)))


def iterator_class_with_a_break_in_the_body(x, it):
    for v in it:
        x = x * 2 + v
        fj.graph_break()
    return x, it.n


def iter_returning_a_list_raises(x):
    for v in _BadIterable():
        x = x + v
    return x


class _Num:
    def __init__(self, k):
        self.k = k

    def __add__(self, other):
        LOG.append(("add", self.k, getattr(other, "k", other)))
        return _Num(self.k + getattr(other, "k", other))

    __radd__ = __add__


def _num(v):
    LOG.append(("num", v))
    return _Num(v)


def consumers_take_a_map_item_by_item(x):
    a = any(map(_p, [-1, 2, 3]))          # stops at 2: _p(3) never runs
    b = all(map(_p, (1, -2, 3)))
    c = any(filter(_p, [0, -1]))
    d = min(map(_g, [3, 1, 2]), key=lambda v: LOG.append(("key", v)) or -v)
    e = sum(map(_num, [1, 2, 3]), _Num(10)).k      # each __add__ right after its item
    f = max(filter(_p, [-1, 4, 2]), key=lambda v: LOG.append(("kf", v)) or v)
    return x + a + b + c + d + e + f


def empty_min_max_are_pythons_errors(x):
    for pick in (min, max):
        for items in ([], map(_g, []), filter(_p, [-1])):
            try:
                pick(items)
            except ValueError as e:
                LOG.append(e.args)
        LOG.append(pick(filter(_p, [0]), default="d"))
    return x


def _second(t):
    LOG.append(("key", t))
    return t[1]


def list_sort_with_key_and_reverse(x):
    items = [(i, v) for i, v in enumerate([3, 1, 2, 1])]
    items.sort(key=_second)                      # every key first, then a stable sort
    names = ["b", "a", "c"]
    names.sort(reverse=True)
    try:
        [1, "a"].sort()
    except TypeError as e:
        LOG.append(str(e))
    return x + items[0][0], items, names


def or_and_test_once(x):
    a = _Truth(1) or 5
    b = _Truth(-1) or 7
    c = _Truth(1) and 3
    d = _Truth(-1) and 4
    return x + a.k + b + c + d.k


def or_in_a_try(x):
    try:
        v = _Truth(0) or x
        w = _Truth(2) and x * 2
    except ValueError:
        v = w = x
    return v + w


@pytest.mark.parametrize("fn", [
    map_in_a_loop, map_made_then_consumed, map_of_two_iterables_stops_at_the_shortest,
    filter_in_a_loop, map_partly_consumed_then_a_break, map_with_a_break_in_the_body,
    map_whose_function_breaks, filter_with_a_break_in_the_body, contains_order,
    any_all_stop_early, or_and_test_once, or_in_a_try, container_equality_is_identity_first,
    iterator_class, iter_returning_a_list_raises, consumers_take_a_map_item_by_item,
    empty_min_max_are_pythons_errors, sequence_ordering_decides_on_the_first_unequal_pair])
def test_matches_plain_python(fn):
    compare(fn, X)


def test_an_iterator_class_is_traced_not_re_iterated():
    be = compare(iterator_class, X)
    assert len(be.graphs) == 1, "the iterator protocol is traced: one graph, no break"
    compare(lambda x, n: iterator_class_with_a_break_in_the_body(x, _Countdown(n)), X, 4)
    compiled = fj.compile(iterator_class_with_a_break_in_the_body)
    for n in (4, 2, 5):                   # an iterator the caller holds, advanced in place
        LOG.clear()
        want, it = iterator_class_with_a_break_in_the_body(X.copy(), _Countdown(n)), None
        want_log = list(LOG)
        LOG.clear()
        it = _Countdown(n)
        got = compiled(X.copy(), it)
        np.testing.assert_array_equal(got[0], want[0])
        assert got[1] == want[1] == it.n == 0 and LOG == want_log


def test_sorting_a_list_the_caller_holds():
    def fn(x, lst):
        lst.sort(key=lambda v: -v)
        return x + lst[0]

    compare(fn, X, [3, 1, 2], fullgraph=True)
    held = [3, 1, 2]
    fj.compile(fn)(X, held)
    assert held == [3, 2, 1]


def test_map_and_filter_errors_match_python():
    def bad_map(x):
        return list(map(_g))

    def bad_filter(x):
        return list(filter(_p, [1], [2]))

    def not_iterable(x):
        return map(_g, 3)

    for fn in (bad_map, bad_filter, not_iterable):
        compare(fn, X)


def test_a_map_returned_from_compiled_code_is_a_map():
    def make(x):
        m = map(_g, [1, 2])
        fj.graph_break()
        return m

    m = fj.compile(make)(X)
    LOG.clear()
    assert list(m) == [2, 4] and LOG == [("g", 1), ("g", 2)]
