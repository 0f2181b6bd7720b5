"""Tracing the readable iterators a resume function receives (trace/cursor.py).

A ``for`` loop whose body breaks is resumed with its iterator rebuilt as a SeqCursor,
EnumerateCursor or ZipCursor. Wrapping one gives the iterator values of
trace/iteration.py back (CursorVal, EnumerateVal, ZipVal), so the resumed trace takes
the next items itself instead of breaking at ``FOR_ITER``.

Invariants (what keeps one entry serving every iteration, and never a stale value):
- a cursor's position ``index`` is a dynamic int root from the start: each step guards
  ``index < length - k`` (or ``>=`` at the end) by RANGE, never by value; an
  EnumerateCursor's ``count`` is a dynamic int too;
- the real cursor is advanced in place (``index``, ``count``, ``seq`` None when
  exhausted) by side effects recorded at each step: every reference to it (a local the
  trace never read, an alias) stays the one iterator, as in CPython; generated code
  reads the entry position (guards, items, loop variables) before replaying effects
  (trace/codegen.py preloads every non-local source);
- the sequence is guarded by what the kind reads of it (``_KINDS``): a range by its
  start, stop and step (by value; a bound that changes between entries becomes a
  dynamic int, and whether an item is left is then a relation, trace/dyn_ranges.py);
  a tuple, str or bytes by type and length, a list by type and length at entry (the
  trace then knows its length at every step: appends while tracing are counted, as
  CPython's list iterator reads the length each step); an array by dtype and shape;
- an item is read where it is at run time: a range's is the dynamic int
  ``start + step * (index + k)``, an array's row a ``getitem`` with a dynamic index,
  and any other item is wrapped through the cursor itself (``cursor[k]``), so its guards
  (ARRAY, or VALUE that becomes a dynamic number after one recompile, trace/dynamic.py)
  hold for whatever item the run-time position picks; after stores at dynamic
  positions (``out[i] = v``) the item is the latest store at an equal position or the
  entry item (trace/dyn_items.py). A list the trace has read or changed otherwise (its
  items are then the trace's own values) takes its item by a position specialized by
  value: correct, recompiled per position.
"""
from __future__ import annotations

import numpy as np

from . import dyn_ranges
from .cursor import EnumerateCursor, FilterCursor, MapCursor, SeqCursor, ZipCursor
from .dyn_items import entry_item
from .dynamic import affine, narrow, wrap_number
from .guards import GuardKind
from .sources import AttrSource, ItemSource
from .values import ConstVal, CursorVal, EnumerateVal, FilterVal, MapVal, OpaqueVal, ZipVal


# ---------------------------------------------------------------- kinds of sequences
# Each kind: wrap(tx, obj, seq_source) -> what CursorVal.seq keeps; more(tx, it, k) ->
# whether the item k steps ahead exists, decided under guards (by default from
# length(it), the sequence's length now in the trace's program order); item(tx, it, k)
# -> item at position start + k (its existence already guarded).


def _range_position(it, k):
    return ConstVal(it.start + k, affine(_index(it), 1, k), dynamic=True)


def _range_item(tx, it, k):
    return dyn_ranges.item(tx, it.seq, _range_position(it, k))


def _range_more(tx, it, k):
    """``start + step * (index + k)`` still before ``stop``: a RANGE guard on the index
    against a static stop, a PRED over the index and a dynamic stop."""
    return dyn_ranges.has_item(tx, it.seq, _range_item(tx, it, k))


def _wrap_fixed(tx, obj, source):
    tx.add_guard(GuardKind.TYPE, source, type(obj))
    tx.add_guard(GuardKind.LEN, source, len(obj))
    return None


def _through_cursor(tx, it, k):
    return tx.wrap(it.obj[it.start + k], ItemSource(it.source, k))


def _wrap_list(tx, obj, source):
    lst = tx.wrap(obj, source)            # the one ListVal of this list (aliases share it)
    tx.add_guard(GuardKind.LEN, source, len(obj))
    return lst


def _list_length(it):
    return it.seq.length()


def _list_item(tx, it, k):
    lst, pos = it.seq, it.start + k
    if not lst.loaded and pos < it.length:    # an entry item, in place: read it there
        narrow(tx, _index(it), None, it.length - k)
        return _through_cursor(tx, it, k)
    if lst.stores:                            # stored at dynamic positions: see them
        item = entry_item(tx, lst, ConstVal(pos, affine(_index(it), 1, k), dynamic=True))
        if item is not None:
            return item
    tx.add_guard(GuardKind.VALUE, _index(it), it.start)
    return lst.items[pos]


def _row(tx, it, k):
    from .subscript import get_item
    pos = ConstVal(it.start + k, affine(_index(it), 1, k), dynamic=True)
    return get_item(tx, it.seq, pos)


def _wrap_exhausted(tx, obj, source):
    tx.add_guard(GuardKind.TYPE, source, type(None))
    return None


def _by_length(tx, it, k):
    """Whether the item ``k`` steps ahead exists: ``index < length - k`` by RANGE."""
    length = it.kind.length(it)
    if it.start + k >= length:
        narrow(tx, _index(it), length - k, None)
        return False
    narrow(tx, _index(it), None, length - k)
    return True


class _Kind:
    __slots__ = ("wrap", "length", "item", "more")

    def __init__(self, wrap, item, length=lambda it: it.length, more=_by_length):
        self.wrap, self.item, self.length, self.more = wrap, item, length, more


_FIXED = _Kind(_wrap_fixed, _through_cursor)
_KINDS = {
    range: _Kind(dyn_ranges.wrap_parts, _range_item, more=_range_more),
    tuple: _FIXED, str: _FIXED, bytes: _FIXED,
    list: _Kind(_wrap_list, _list_item, _list_length),
    np.ndarray: _Kind(lambda tx, obj, source: tx.wrap(obj, source), _row),
    type(None): _Kind(_wrap_exhausted, None, lambda it: 0),
}


def _index(it):
    return AttrSource(it.source, "index")


# ---------------------------------------------------------------- wrapping


def wrap_seq_cursor(tx, obj, source):
    """A SeqCursor; over a sequence of a kind not traced it stays opaque (``next()`` on
    it is then a graph break, as on any iterator the trace cannot read)."""
    kind = _KINDS.get(type(obj.seq))
    if kind is None:
        tx.add_guard(GuardKind.ID, source, obj)
        return OpaqueVal(obj, source)
    tx.add_guard(GuardKind.TYPE, source, SeqCursor)
    seq = kind.wrap(tx, obj.seq, AttrSource(source, "seq"))
    length = 0 if obj.seq is None else len(obj.seq)
    it = CursorVal(kind, seq, obj.seq, length, obj.index, source)
    index = _index(it)
    tx.root_values[index] = obj.index
    narrow(tx, index, 0, None)
    return it


def wrap_enumerate_cursor(tx, obj, source):
    tx.add_guard(GuardKind.TYPE, source, EnumerateCursor)
    inner = tx.wrap(obj.inner, AttrSource(source, "inner"))
    return EnumerateVal(inner, wrap_number(tx, obj.count, AttrSource(source, "count")),
                        source)


def wrap_zip_cursor(tx, obj, source):
    tx.add_guard(GuardKind.TYPE, source, ZipCursor)
    tx.add_guard(GuardKind.VALUE, AttrSource(source, "strict"), obj.strict)
    inners = AttrSource(source, "inners")
    tx.add_guard(GuardKind.TYPE, inners, tuple)
    tx.add_guard(GuardKind.LEN, inners, len(obj.inners))
    return ZipVal([tx.wrap(o, ItemSource(inners, i)) for i, o in enumerate(obj.inners)],
                  obj.strict, source)


def wrap_map_cursor(tx, obj, source):
    """A MapCursor's position is its inners': they are cursors advanced in place."""
    tx.add_guard(GuardKind.TYPE, source, MapCursor)
    inners = AttrSource(source, "inners")
    tx.add_guard(GuardKind.TYPE, inners, tuple)
    tx.add_guard(GuardKind.LEN, inners, len(obj.inners))
    return MapVal(tx.wrap(obj.fn, AttrSource(source, "fn")),
                  [tx.wrap(o, ItemSource(inners, i)) for i, o in enumerate(obj.inners)],
                  source)


def wrap_filter_cursor(tx, obj, source):
    tx.add_guard(GuardKind.TYPE, source, FilterCursor)
    fn = None
    if obj.fn is None:
        tx.add_guard(GuardKind.ID, AttrSource(source, "fn"), None)
    else:
        fn = tx.wrap(obj.fn, AttrSource(source, "fn"))
    return FilterVal(fn, tx.wrap(obj.inner, AttrSource(source, "inner")), source)


# ---------------------------------------------------------------- iterating


def cursor_next(tx, it):
    """One ``next()`` of a resumed cursor: guards whether the loop goes on, and records
    the cursor's move as a side effect (the real cursor advances in place, in program
    order; generated code reads positions and items before replaying effects)."""
    from .iteration import Exhausted
    if it.done:
        raise Exhausted
    k = it.advanced
    if not it.kind.more(tx, it, k):
        it.done = True
        tx.record("setattr", it, "seq", (ConstVal(None),))
        raise Exhausted
    it.advanced += 1
    tx.record("setattr", it, "index", (ConstVal(it.start + k + 1, affine(_index(it), 1, k + 1),
                                                dynamic=True),))
    return it.kind.item(tx, it, k)
