"""Items of lists and tuples read alone: at a dynamic position (``lst[i]``,
``tup[i - 1]``, ``lst[-1 - i]`` with a dynamic int ``i``: a loop variable,
trace/dynamic.py), or at a constant one without reading the other items.

Taken from the trace's own copy of the container, the item would specialize ``i``: one
cache entry per iteration of a loop whose body breaks. Instead, when the container is
reached through a source and the trace has not replaced the items at the position, the
item is wrapped through ``DynItemSource(container, index)`` and so is read at run time
at whatever position the run picks. Invariants:

- containers: a lazy ListVal whose entry items are unread (appends while tracing
  aside), a sourced TupleVal (immutable: its items are always the entry's), a constant
  tuple at a dynamic position (guarded by type and length, not by value); anything else
  specializes;
- the position is decided against the container's length at trace time, under guards
  on the index's roots (trace/dynamic.int_binary: RANGE when the other side is a
  constant, else a PRED over the roots): a tuple's length is a constant (LEN-guarded
  when it was wrapped); for a dynamic position a list's is the dynamic root
  ``len(lst)`` (``LenSource``), so a list that grows from iteration to iteration is
  guarded by ``-len(lst) <= i < len(lst)``, not by its length (a constant position
  guards the length, LEN, as reading the items does). Items appended while tracing follow the entry items
  (``_locate``): a position among them is guarded to be that one (``i - len(lst) == 2``)
  and gives the trace's own item;
- out of range the trace raises IndexError in place, as Python would, under the guard
  that the index is on the same side (``i >= len`` or ``i < -len``);
- the item is guarded by what its kind needs (trace/wrap.py), *at the run's position*:
  the guard program computes the index from the roots' registers (``value_path``).
  An array becomes a graph input reloaded through the source; a number is guarded by
  VALUE and becomes a dynamic root itself after one recompile (``mark_failed``);
- generated code reads the item at the segment's entry (trace/codegen.py preloads every
  non-local source, graph inputs load before side effects replay), which is where the
  trace read it: appends recorded in the segment do not move the entry items.

A constant index (``lst[-1]``, ``t[0]``) on the same containers reads that one item
(``ItemSource``), so the container stays unread and a later ``lst[i]`` is still read at
a dynamic position.

Stores at a dynamic position (``out[i] = v``) into a lazy list without appended items
are recorded as side effects (replayed at the run's position) and kept in
``ListVal.stores``: a later read at a dynamic position takes the latest store whose
position is equal (decided under guards, positions made non-negative) or else the entry
item; anything that reads the items after all specializes the stored positions
(``resolve``). A store back of the very item read at the same position (``arrs[i] += 1``
on an array) changes nothing and is not traced.
"""
from __future__ import annotations

from .dynamic import Undecided, decide, int_arith, int_negate
from .guards import GuardKind
from .sources import ConstSource, DynItemSource, ItemSource, LenSource
from .values import ConstVal, ListVal, TupleVal


def _list_entry(tx, lst, dynamic):
    """A dynamic position is guarded by its relation to the length (``LenSource``),
    a constant one by the length itself (LEN, as when the items are read)."""
    view = lst.unread_entry() if lst.source is not None else None
    if view is None:
        return None
    obj, appended = view
    if not dynamic:
        tx.add_guard(GuardKind.LEN, lst.source, len(obj))
        return lst.source, obj, ConstVal(len(obj)), appended
    return lst.source, obj, _list_length(tx, lst), appended


def _list_length(tx, lst):
    """A lazy list's length at entry as the dynamic root ``len(lst)``."""
    length = LenSource(lst.source)
    tx.root_values[length] = len(lst.entry)
    return ConstVal(len(lst.entry), length, dynamic=True)


def _tuple_entry(tx, tup, dynamic):
    if tup.source is None or tup.entry is None:
        return None
    return tup.source, tup.entry, ConstVal(len(tup.entry)), ()    # LEN-guarded (wrap)


def _const_entry(tx, c, dynamic):
    """A constant tuple: its type and length are what the trace relies on (the item's
    own guard covers its value)."""
    if type(c.value) is not tuple:
        return None
    if c.source is None:
        return ConstSource(c.value), c.value, ConstVal(len(c.value)), ()
    tx.add_guard(GuardKind.TYPE, c.source, tuple)
    tx.add_guard(GuardKind.LEN, c.source, len(c.value))
    return c.source, c.value, ConstVal(len(c.value)), ()


# container value type -> (source, object at entry, its length as an int value, items
# appended since) or None (the items are the trace's own: specialize)
_ENTRY = {ListVal: _list_entry, TupleVal: _tuple_entry, ConstVal: _const_entry}


def entry_item(tx, seq, key):
    """``seq[key]`` for an int ``key``, read alone from the container's entry state (a
    dynamic key: where the run picks it), or None: the caller takes the item from the
    items the trace knows (a dynamic key then specializes)."""
    if not (type(key) is ConstVal and type(key.value) is int):
        return None
    if type(seq) is ListVal and seq.stores:
        return _stored_or_entry(tx, seq, key) if key.dynamic else None
    rule = _ENTRY.get(type(seq))
    if rule is None or (rule is _const_entry and not key.dynamic):
        return None                       # a constant tuple at a constant index folds
    if not key.dynamic:
        tx.pyval(key)
        view = seq.unread_entry() if rule is _list_entry else None
        if view is not None and -len(view[1]) <= key.value < 0:
            return view[1][key.value]     # appended while tracing: no length needed
    entry = rule(tx, seq, key.dynamic)
    if entry is None:
        return None
    source, obj, length, appended = entry
    try:
        where, pos = _locate(tx, key, length, len(appended))
    except Undecided:
        return None
    if where is _ENTRY_ITEM:
        if pos.dynamic:
            return _at(tx, source, obj, pos)
        # a constant position: the length is a guarded constant, one path per item
        return tx.wrap(obj[pos.value], ItemSource(source, pos.value % length.value))
    if where is _APPENDED_ITEM:
        return appended[pos]
    kind = "list" if type(seq) is ListVal else "tuple"
    tx.raise_type(IndexError, f"{kind} index out of range")


_ENTRY_ITEM, _APPENDED_ITEM, _OUT_OF_RANGE = "entry", "appended", "out of range"


def _locate(tx, key, length, n_appended):
    """Where ``key`` points in a container of ``length`` entry items followed by
    ``n_appended`` items appended while tracing, decided under guards: (_ENTRY_ITEM,
    position as an int value), (_APPENDED_ITEM, its index among the appended) or
    (_OUT_OF_RANGE, None). Without appended items the sign of ``key`` is not decided
    (``lst[i - 1]`` at ``i == 0`` is the same entry as at any other ``i``)."""
    if not n_appended:
        inside = decide(tx, ">=", key, _negate(tx, length)) and decide(tx, "<", key, length)
        return (_ENTRY_ITEM, key) if inside else (_OUT_OF_RANGE, None)
    if decide(tx, ">=", key, _ZERO):
        if decide(tx, "<", key, length):
            return _ENTRY_ITEM, key
        offset = int_arith(tx, "+", key, _negate(tx, length))  # among the appended
    else:
        shifted = int_arith(tx, "+", key, ConstVal(n_appended))  # from the entry's end
        if decide(tx, "<", shifted, _ZERO):
            inside = decide(tx, ">=", shifted, _negate(tx, length))
            return (_ENTRY_ITEM, shifted) if inside else (_OUT_OF_RANGE, None)
        offset = shifted
    if not decide(tx, "<", offset, ConstVal(n_appended)):
        return _OUT_OF_RANGE, None
    decide(tx, "==", offset, ConstVal(offset.value))    # one appended item, by position
    return _APPENDED_ITEM, offset.value


_ZERO = ConstVal(0)


def _at(tx, source, obj, pos):
    """The entry item at dynamic position ``pos``, read where the run picks it."""
    return tx.wrap(obj[pos.value], DynItemSource(source, pos.source))


def _negate(tx, v):
    return int_negate(tx, v) if v.dynamic else ConstVal(-v.value)


# ---------------------------------------------------------------- stores


def store_item(tx, lst, key, value) -> bool:
    """``lst[key] = value`` at a dynamic position of a lazy list, kept symbolic: the
    store is recorded (replayed at run time at the run's position) and kept in
    ``lst.stores`` for the reads after it; False: the caller specializes."""
    if not (type(key) is ConstVal and key.dynamic and type(key.value) is int):
        return False
    if lst.source is None or not lst.holds_entry():
        return False
    try:
        pos = _position(tx, lst, key, "list assignment index out of range")
    except Undecided:
        return False
    lst.stores.append((pos, value, lambda: tx.pyval(pos)))
    tx.record("setitem", lst, None, (key, value))
    return True


def _stored_or_entry(tx, lst, key):
    """``lst[key]`` after stores at dynamic positions: the latest store at the same
    position (decided under guards), else the entry item there; None: specialize."""
    try:
        pos = _position(tx, lst, key, "list index out of range")
        for stored, value, _ in reversed(lst.stores):
            if decide(tx, "==", pos, stored):
                return value
    except Undecided:
        return None
    return _at(tx, lst.source, lst.entry, pos)


def _position(tx, lst, key, message):
    """The position ``key`` points at in a lazy list without appended items, made
    non-negative (``key + len(lst)``), or IndexError(message) in place."""
    length = _list_length(tx, lst)
    if not (decide(tx, ">=", key, _negate(tx, length)) and decide(tx, "<", key, length)):
        tx.raise_type(IndexError, message)
    return key if decide(tx, ">=", key, _ZERO) else int_arith(tx, "+", key, length)


def is_put_back(lst, key, value) -> bool:
    """``lst[i] = v`` where ``v`` is the very item read at ``lst[i]`` (``lst[i] += 1`` on
    an array updates it in place, then stores it back): the list does not change, so
    the store is nothing to trace (a dynamic ``i`` is not specialized)."""
    return (type(key) is ConstVal and key.dynamic and lst.source is not None
            and lst.unread_entry() is not None
            and value.source == DynItemSource(lst.source, key.source))
