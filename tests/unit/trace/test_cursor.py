"""The readable iterators of trace/cursor.py behave as CPython's own iterators: the same
items, the same errors and messages, the same view of a list mutated while iterating,
and exhaustion for good."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from framejit.trace.cursor import EnumerateCursor, SeqCursor, ZipCursor


def _drain(it, limit=50):
    out = []
    try:
        for _ in range(limit):
            out.append(next(it))
    except StopIteration:
        out.append("stop")
    except ValueError as exc:
        out.append(("ValueError", str(exc), exc.__context__ is None))
    return out


_OPS = st.lists(st.sampled_from(["next", "append", "pop", "pop0", "insert0", "clear"]),
                max_size=25)


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.integers(-5, 5), max_size=6), ops=_OPS, start=st.integers(0, 3))
def test_seq_cursor_over_a_mutated_list_is_a_list_iterator(items, ops, start):
    a, b = list(items), list(items)
    real, cur = iter(a), SeqCursor(b, 0)
    for _ in range(start):
        next(real, None)
        next(cur, None)
    for op in ops:
        if op == "next":
            assert next(cur, "end") == next(real, "end")
        elif op == "append":
            a.append(9)
            b.append(9)
        elif op == "clear":
            a.clear()
            b.clear()
        elif a:
            {"pop": list.pop, "pop0": lambda l: l.pop(0),
             "insert0": lambda l: l.insert(0, 7)}[op](a)
            {"pop": list.pop, "pop0": lambda l: l.pop(0),
             "insert0": lambda l: l.insert(0, 7)}[op](b)
    assert _drain(cur) == _drain(real)
    assert cur.__length_hint__() == real.__length_hint__()


@pytest.mark.parametrize("seq", [range(2, 9, 3), range(5, 0, -2), (1.5, "a", None), "abc",
                                 b"\x00\x07", np.arange(6).reshape(3, 2), np.arange(3.0)])
def test_seq_cursor_gives_the_items_of_cpythons_iterator(seq):
    got, want = _drain(SeqCursor(seq, 1)), _drain(iter(seq))[1:]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g) is type(w)
        np.testing.assert_array_equal(g, w)
    rows = SeqCursor(np.zeros((2, 2)), 0)
    row = next(rows)
    row[0] = 5                              # a view, as CPython's iteration gives
    assert rows.seq[0, 0] == 5


def test_cursor_k_is_the_item_k_steps_ahead():
    cur = SeqCursor([10, 11, 12, 13], 1)
    assert cur[0] == 11 and cur[2] == 13
    with pytest.raises(IndexError):
        cur[3]


@settings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.integers(0, 4), max_size=4), strict=st.booleans())
def test_zip_cursor_is_zip(lengths, strict):
    def seqs():
        return [list(range(10 * i, 10 * i + n)) for i, n in enumerate(lengths)]
    real = zip(*[iter(s) for s in seqs()], strict=strict)
    cur = ZipCursor([SeqCursor(s, 0) for s in seqs()], strict)
    assert _drain(cur) == _drain(real)


@given(items=st.lists(st.integers(), max_size=5), start=st.integers(-3, 3))
def test_enumerate_cursor_is_enumerate(items, start):
    assert _drain(EnumerateCursor(SeqCursor(items, 0), start)) == \
        _drain(enumerate(items, start))
