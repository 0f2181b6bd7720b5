"""Ranges with dynamic bounds: ``range(i)``, ``range(i, n)``, ``range(0, n, 2)`` where
``i`` or ``n`` is a dynamic int (trace/dynamic.py), as the bounds of an inner loop.

Invariants:
- ``range(...)`` with a dynamic start or stop is a ``ConstVal(dynamic=True)`` holding
  the range of the trace-time values, with a ``RangeSource`` that rebuilds it at run
  time from the bounds' sources (a loop paused at a break resumes over the run's range,
  trace/finish.py rebuilds the iterator as a SeqCursor over it). The step is always
  specialized (its sign decides the direction). Any use but iteration (``len``, an
  item, ``in``, a list of it) reads the value and specializes the roots by VALUE
  (``dynamic.specialize`` through ``roots_of``);
- iterating it decides, per step ``k``, whether ``start + step * k`` is still before
  ``stop`` under guards on the roots (RANGE against a constant, a PRED otherwise): an
  inner loop unrolled in the trace is thus specialized on its trip count (one entry per
  bound value, the legitimate specialization of unrolling), while a loop whose body
  breaks resumes with a cursor over the rebuilt range;
- a range a resume function receives — a cursor's sequence (trace/resumed_iter.py) or
  a live local — is read as its ``start``, ``stop`` and ``step``: each guarded by VALUE
  on its own path until it changes between entries; a bound that changed is marked
  dynamic (``mark_failed``), the range is then a dynamic range over it, and whether a
  cursor has items left is a relation, so the inner loop of a triangular nest
  (``for j in range(i)``) resumes in the same entries whatever ``i``.
"""
from __future__ import annotations

from .dynamic import decide, int_arith
from .guards import GuardKind
from .sources import AttrSource, ConstSource, RangeSource
from .values import ConstVal


class RangeParts:
    """A range's ``start`` and ``stop`` as int values (dynamic or not) and its static
    ``step``."""
    __slots__ = ("start", "stop", "step")

    def __init__(self, start, stop, step):
        self.start, self.stop, self.step = start, stop, step


def make_range(tx, args):
    """``range(*args)`` with a dynamic int bound, or None (the caller folds it)."""
    if not args or len(args) > 3 or not any(_dynamic_int(a) for a in args):
        return None
    if not all(type(a) is ConstVal and type(a.value) is int for a in args):
        return None
    start, stop = (ConstVal(0), args[0]) if len(args) == 1 else args[:2]
    step = tx.pyval(args[2]) if len(args) == 3 else 1
    if step == 0 or not (_dynamic_int(start) or _dynamic_int(stop)):
        return None                      # range's own ValueError, or a static range
    value = range(start.value, stop.value, step)
    return ConstVal(value, RangeSource(_part(tx, start), _part(tx, stop), ConstSource(step)),
                    dynamic=True)


def wrap_range(tx, obj, source):
    """A range reached through a source (a live value of a resume function): a constant
    whose guard is its bounds' values (``guard_range``), or, once a bound has changed
    between entries (marked dynamic), a dynamic range over it."""
    start = tx.wrap(obj.start, AttrSource(source, "start"))
    stop = tx.wrap(obj.stop, AttrSource(source, "stop"))
    if not (start.dynamic or stop.dynamic):
        return ConstVal(obj, source)
    tx.add_guard(GuardKind.TYPE, source, range)
    step = tx.pyval(tx.wrap(obj.step, AttrSource(source, "step")))
    return ConstVal(obj, RangeSource(_part(tx, start), _part(tx, stop), ConstSource(step)),
                    dynamic=True)


def guard_range(tx, v):
    """The guards of a range constant read through a source: its type and its bounds by
    value, each on its own path, so a bound that changes is marked dynamic."""
    tx.add_guard(GuardKind.TYPE, v.source, range)
    for name in ("start", "stop", "step"):
        tx.add_guard(GuardKind.VALUE, AttrSource(v.source, name), getattr(v.value, name))


def parts_of(tx, v):
    """The RangeParts of a dynamic range value."""
    src = v.source
    return RangeParts(_value(v.value.start, src.start), _value(v.value.stop, src.stop),
                      v.value.step)


def wrap_parts(tx, obj, source):
    """The RangeParts of a range reached through ``source`` (a resumed cursor's): its
    bounds wrapped as ints (dynamic once marked), its step guarded by value."""
    tx.add_guard(GuardKind.TYPE, source, range)
    start = tx.wrap(obj.start, AttrSource(source, "start"))
    stop = tx.wrap(obj.stop, AttrSource(source, "stop"))
    step = tx.pyval(tx.wrap(obj.step, AttrSource(source, "step")))
    return RangeParts(start, stop, step)


def item(tx, parts, pos):
    """``start + step * pos`` for an int value ``pos``."""
    return int_arith(tx, "+", parts.start, int_arith(tx, "*", pos, ConstVal(parts.step)))


def has_item(tx, parts, value) -> bool:
    """Whether ``value`` (the item at some position >= 0) is still in the range, decided
    under guards: before ``stop`` in the step's direction (for positions >= 0 this is
    ``position < len(range)``). Raises dynamic.Undecided."""
    return decide(tx, "<" if parts.step > 0 else ">", value, parts.stop)


def _dynamic_int(v):
    return type(v) is ConstVal and v.dynamic and type(v.value) is int


def _part(tx, v):
    return v.source if v.dynamic else ConstSource(tx.pyval(v))


def _value(value, source):
    if type(source) is ConstSource:
        return ConstVal(value)
    return ConstVal(value, source, dynamic=True)
