"""Dynamic Python ints: values that change from call to call without recompiling.

Automatic, like torch.compile's automatic dynamic shapes for scalars: when a frame misses
its cache because a VALUE guard on an ``int`` failed (a loop counter carried into a resume
function, the position of a resumed ``range`` loop, an int argument), the runtime marks
that source *dynamic* for the code object (``mark_failed``) and the next trace wraps it as
a ``ConstVal(dynamic=True)`` guarded only by type. Then:

- beside an array in an arithmetic operator (``x + i``, ``i * x``, ``x //= i``) it becomes a
  0-d graph input of the dtype NumPy's weak-scalar promotion gives it there, guarded by
  the range in which that conversion is exact and NumPy would not raise OverflowError;
- as the position of a RangeCursor (trace/cursor.py) it is iterated symbolically: each
  step guards ``index < len - k`` (or ``>=`` at the end), and the loop variable is a
  dynamic int read through ``CursorItemSource``;
- every other use reads the value (``Tracer.pyval``) and specializes on it with a VALUE
  guard, exactly as for a static int.

So a ``for`` loop whose body breaks compiles its resume function twice (the iterations,
and the exit) instead of once per iteration.
"""
from __future__ import annotations

import numpy as np

from ..bytecode.identity import IdentityWeakKeyDict
from .guards import Guard, GuardKind
from .sources import (AsArraySource, AttrSource, ClosureSource, CursorItemSource,
                      GlobalSource, ItemSource, LocalSource)
from .values import ArrayVal, ConstVal, CursorVal

_marked = IdentityWeakKeyDict()     # code -> frozenset of dynamic sources

# the ints a dtype holds exactly, as NumPy's weak promotion converts them; other dtypes
# (float16, complex) specialize
_FLOAT_EXACT = {np.dtype(np.float32): 2 ** 24, np.dtype(np.float64): 2 ** 53}


def dynamic_sources(code) -> frozenset:
    return _marked.get(code, frozenset())


def reset():
    _marked.clear()


# ---------------------------------------------------------------- marking


def _plain_path(source) -> bool:
    """A path from the frame's own entry state (never a baked-in object: an entry must
    not keep user objects alive through its report)."""
    while type(source) in (AttrSource, ItemSource):
        source = source.base
    return type(source) in (LocalSource, GlobalSource, ClosureSource)


def int_value_guards(guards) -> tuple:
    """(source, expected) of the VALUE guards on ints: what ``mark_failed`` re-checks."""
    return tuple((g.source, g.expected) for g in guards
                 if g.kind is GuardKind.VALUE and type(g.expected) is int
                 and _plain_path(g.source))


def mark_failed(code, infos, env) -> list:
    """Mark dynamic the int sources whose VALUE guard fails on ``env`` (the frame being
    entered) in the entries described by ``infos``; returns the newly marked sources."""
    marked = set(dynamic_sources(code))
    new = []
    for info in infos:
        for source, expected in getattr(info, "int_guards", ()):
            if source in marked:
                continue
            try:
                value = source.fetch(env)
            except Exception:
                continue
            if type(value) is int and value != expected:
                marked.add(source)
                new.append(source)
    if new:
        _marked[code] = frozenset(marked)
    return new


# ---------------------------------------------------------------- tracing


def wrap_int(tx, obj, source):
    tx.add_guard(GuardKind.TYPE, source, int)
    return ConstVal(obj, source, dynamic=True)


def wrap_cursor(tx, obj, source):
    """A RangeCursor whose index is dynamic: its range is guarded by value, its index by
    the range of positions the trace's iterations assumed."""
    from .cursor import RangeCursor
    tx.add_guard(GuardKind.TYPE, source, RangeCursor)
    tx.add_guard(GuardKind.VALUE, AttrSource(source, "seq"), obj.seq)
    tx.cursor_starts[source] = obj.index
    _narrow(tx, AttrSource(source, "index"), None, None)
    return CursorVal(obj.seq, obj.index, source)


def _narrow(tx, source, lo, hi):
    """Intersect the RANGE guard of ``source`` with [lo, hi) (None: open)."""
    key = (GuardKind.RANGE, source)
    old = tx.guards.get(key)
    olo, ohi = old.expected if old is not None else (None, None)
    lo = olo if lo is None else (lo if olo is None else max(lo, olo))
    hi = ohi if hi is None else (hi if ohi is None else min(hi, ohi))
    tx.guards[key] = Guard(GuardKind.RANGE, source, (lo, hi))


def cursor_next(tx, it):
    """One ``next()`` of a dynamic cursor: guards whether the loop goes on."""
    from .iteration import Exhausted
    k, n = it.advanced, len(it.seq)
    index = AttrSource(it.source, "index")
    if it.start + k >= n:
        _narrow(tx, index, n - k, None)
        raise Exhausted
    _narrow(tx, index, None, n - k)
    it.advanced += 1
    return ConstVal(it.seq[it.start + k], CursorItemSource(it.source, k), dynamic=True)


def guard_cursor_item(tx, v):
    """Specializing a loop variable read from a cursor: the cursor's index by value."""
    cursor = v.source.cursor
    tx.add_guard(GuardKind.VALUE, AttrSource(cursor, "index"), tx.cursor_starts[cursor])


def _weak_dtype(other):
    """The dtype a Python int takes beside an array of dtype ``other`` (NEP 50) and the
    range in which that conversion is exact and does not raise; None: specialize."""
    dtype = np.result_type(other, 0)     # a Python int literal is weak (NEP 50)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return dtype, int(info.min), int(info.max) + 1
    bound = _FLOAT_EXACT.get(dtype)
    return (dtype, -bound, bound + 1) if bound is not None else None


def _fits_statically(tx, v, lo, hi):
    """A cursor item: every value of the range fits, or specialize."""
    cursor = v.source.cursor
    seq = _cursor_seq(tx, cursor)
    return seq is not None and len(seq) > 0 and lo <= min(seq) and max(seq) < hi


def _cursor_seq(tx, cursor):
    guard = tx.guards.get((GuardKind.VALUE, AttrSource(cursor, "seq")))
    return guard.expected if guard is not None else None


def _as_input(tx, v, other):
    """The 0-d graph input for dynamic int ``v`` beside array value ``other``, or None."""
    conv = _weak_dtype(other.meta.dtype)
    if conv is None:
        return None
    dtype, lo, hi = conv
    if type(v.source) is CursorItemSource:
        if not _fits_statically(tx, v, lo, hi):
            return None
    else:
        _narrow(tx, v.source, lo, hi)
    key = (v.source, dtype)
    hit = tx.dyn_inputs.get(key)
    if hit is None:
        from ..graph.ir import Meta
        source = AsArraySource(v.source, dtype)
        node = tx.builder.add_input(Meta((), dtype, False), name=_name(v.source))
        tx.input_sources.append(source)
        tx.example_inputs.append(np.array(v.value, dtype))
        hit = tx.dyn_inputs[key] = ArrayVal(node, None)
    return hit


def _name(source):
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in str(source)).strip("_")
    return text or "dyn"


def lift_operands(tx, a, b):
    """``a``, ``b`` of an operator with an array on one side: a dynamic int on the other
    side becomes a graph input (when its dtype allows)."""
    for mine, other in ((a, b), (b, a)):
        if type(mine) is ConstVal and mine.dynamic and type(other) is ArrayVal \
                and type(mine.value) is int:
            lifted = _as_input(tx, mine, other)
            if lifted is not None:
                return (lifted, b) if mine is a else (a, lifted)
    return a, b
