"""Iteration over symbolic values: ``iter()``, ``next()``, unpacking, ``for`` loops.

``make_iter`` turns an iterable value into an iterator value (ranges, strings and tuples
known while tracing, tuple/list values, dict keys, arrays along their first axis, and
user classes with ``__iter__``); ``next_value`` advances one (raising ``Exhausted`` at the
end) and ``unpack`` drains an iterable into a list of values. Lists are iterated live (an
append during the loop is seen, as in Python); an exhausted iterator stays exhausted.
Loops are unrolled by the tracer (over a range with a dynamic bound, each step is
decided under guards, trace/dyn_ranges.py). The iterators a resume function receives (a
loop resumed after a break) are traced by trace/resumed_iter.py. A step of a ``map``,
``filter``, ``zip`` or ``enumerate`` that breaks at a call it cannot inline is undone
(iterator positions, effects recorded in the step) before the break: the instruction
re-runs in Python and must see the items the step took.
"""
from __future__ import annotations

from . import dyn_ranges
from .breaks import BreakKind
from .cursor import zip_longer, zip_shorter
from .dynamic import int_binary
from .generators import next_item
from .resumed_iter import cursor_next
from .values import (ArrayVal, ClassInstanceVal, ClosureVal, ConstVal, CursorVal, DictVal,
                     EnumerateVal, FilterVal, FunctionVal, GenVal, IteratorVal, ListVal, MapVal,
                     MethodVal, SetVal, TupleVal, ZipVal)


class Exhausted(Exception):
    """The iterator has no more items (StopIteration of the traced program)."""


#: Functions whose return value is their call's (a consumer's site may wait for it).
_DIRECT_FUNCTIONS = (FunctionVal, ClosureVal, MethodVal)
_SELF_ITERATORS = (IteratorVal, EnumerateVal, ZipVal, CursorVal, MapVal, FilterVal, GenVal)


def _const_iter(tx, v):
    if v.dynamic and type(v.value) is range:     # bounds decided step by step
        return IteratorVal(v)
    value = tx.pyval(v)
    try:
        iter(value)
    except TypeError as exc:
        tx.raise_python(exc)
    if not hasattr(type(value), "__getitem__") or isinstance(value, dict):
        # a frozenset (``for v in {1, 2}`` is one), a dict's keys ...: its iteration order
        return IteratorVal(ConstVal(tuple(value)))
    return IteratorVal(v)


def _array_iter(tx, v):
    if not v.meta.shape:
        tx.raise_type(TypeError, "iteration over a 0-d array")
    v.meta.concrete()  # the trip count must be known: a run-time size breaks the graph
    return IteratorVal(v)


def _instance_iter(tx, v):
    """``iter(obj)`` of a plain-class instance: its ``__iter__``'s value, which must be an
    iterator (it is not iterated again: ``return self`` of a class with ``__next__``).
    When GET_ITER armed the frame, the call is a site (sites.iter_rest)."""
    from . import sites
    from .attrs import lookup_special
    owner = sites.take(tx)
    meth = lookup_special(tx, v, "__iter__")
    if meth is None:
        tx.raise_type(TypeError, f"'{v.cls.__name__}' object is not iterable")
    it = sites.call_at(tx, owner, meth, [], sites.Site(sites.iter_rest))
    if isinstance(it, _SELF_ITERATORS) or (
            type(it) is ClassInstanceVal and lookup_special(tx, it, "__next__") is not None):
        return it
    from .attrs import value_type
    tx.raise_type(TypeError, f"iter() returned non-iterator of type "
                             f"'{value_type(it).__name__}'")


_MAKE = {
    ConstVal: _const_iter,
    TupleVal: lambda tx, v: IteratorVal(v),
    ListVal: lambda tx, v: IteratorVal(v),
    DictVal: lambda tx, v: IteratorVal(TupleVal([ConstVal(k) for k in v.items]),
                                       watch=(v, len(v.items))),
    SetVal: lambda tx, v: IteratorVal(TupleVal([ConstVal(k) for k in v.real])),
    ArrayVal: _array_iter,
    ClassInstanceVal: _instance_iter,
}


def make_iter(tx, v):
    if isinstance(v, _SELF_ITERATORS):
        return v
    rule = _MAKE.get(type(v))
    if rule is None:
        tx.unsupported(f"iterating over a {type(v).__name__}")
    return rule(tx, v)


def _seq_next(tx, it):
    seq = it.seq
    i = it.index
    if seq is None:
        raise Exhausted
    if it.watch is not None and len(it.watch[0].items) != it.watch[1]:
        it.watch = (it.watch[0], -1)      # CPython's state is sticky too
        tx.raise_type(RuntimeError, "dictionary changed size during iteration")
    t = type(seq)
    if t is ConstVal and seq.dynamic and type(seq.value) is range:
        return _dynamic_range_next(tx, it)
    n = len(seq.value) if t is ConstVal else seq.meta.shape[0] if t is ArrayVal else \
        len(seq.items)
    if i >= n:
        it.seq = None          # CPython's iterators drop the sequence: a later append
        raise Exhausted        # to the list is not seen
    it.index += 1
    if t is ConstVal:
        return ConstVal(seq.value[i])
    if t is ArrayVal:
        return tx.add_node("getitem", (seq.node, i))
    return seq.items[i]


def _dynamic_range_next(tx, it):
    """The next item of a range with a dynamic bound: whether there is one is decided
    under guards on the bounds' roots (trace/dyn_ranges.py)."""
    parts = dyn_ranges.parts_of(tx, it.seq)
    value = dyn_ranges.item(tx, parts, ConstVal(it.index))
    if not dyn_ranges.has_item(tx, parts, value):
        it.seq = None
        raise Exhausted
    it.index += 1
    return value


def _enumerate_next(tx, it):
    item = next_value(tx, it.inner)
    count = it.count
    it.count = int_binary(tx, "+", count, ConstVal(1)) if count.dynamic else \
        ConstVal(count.value + 1)
    if it.source is not None:       # a resumed EnumerateCursor: it counts in place
        tx.record("setattr", it, "count", (it.count,))
    return TupleVal([count, item])


def _instance_next(tx, it):
    """``next()`` of a plain-class iterator: its ``__next__``, StopIteration ends it."""
    from .attrs import lookup_special
    from .tracer import UserRaise
    meth = lookup_special(tx, it, "__next__")
    if meth is None:
        tx.raise_type(TypeError, f"'{it.cls.__name__}' object is not an iterator")
    try:
        return tx.call(meth, [])
    except UserRaise as exc:
        if issubclass(exc.exc.cls, StopIteration):
            raise Exhausted from None
        raise


def _all_steppable(tx, inners):
    """Break before any inner iterator moves (the runner re-runs the whole step)."""
    for inner in inners:
        if type(inner) not in _NEXT:
            tx.graph_break(BreakKind.UNSUPPORTED_OBJECT, f"next() on a {type(inner).__name__}")


def _consumer(owner, fn):
    """``(owner, site)`` for the function call of a map's / filter's next(): a builtin
    consuming it (builtins_rules._each) armed ``owner`` with its own site; FOR_ITER
    armed it with none. A consumer needs the function's value as it is: a class (its
    ``__init__`` has a site of its own) or a builtin is not its site's callee."""
    site = None if owner is None else owner.site
    if site is not None and type(fn) not in _DIRECT_FUNCTIONS:
        return None, None
    return owner, site


def _iterator_state(tx, its):
    """What stepping ``its`` may change, to put back with ``_restore``: each iterator
    value's slots (and those of the iterators inside it), and the side effects recorded
    so far (a resumed loop's cursor is advanced at run time by recorded effects)."""
    out, todo = [], list(its)
    while todo:
        it = todo.pop()
        if not isinstance(it, _SELF_ITERATORS):
            continue
        slots = [(name, getattr(it, name)) for name in type(it).__slots__]
        out.append((it, [(n, v[:] if type(v) is list else v) for n, v in slots]))
        todo.extend(getattr(it, "inners", ()))
        todo.append(getattr(it, "inner", None))
    return out, len(tx.side_effects)


def _restore(tx, state):
    values, n_effects = state
    for it, slots in values:
        for name, value in slots:
            setattr(it, name, value)
    del tx.side_effects[n_effects:]


def _undone_if_it_breaks_here(tx, before, step):
    """``step()``, a step of a ``map``/``filter``/``zip``/``enumerate`` iterator. A break
    *at* a call in it (a callable the trace cannot inline: a library function, an
    unsupported builtin) re-runs the frame's instruction (FOR_ITER, ``list(...)``,
    ``next()``) in Python: the iterators and the effects recorded since ``before`` are
    put back, so that no item is lost. A break inside an inlined callee resumes that
    callee instead (the step has happened)."""
    from .tracer import BreakSignal
    depth = len(tx.frames)
    try:
        return step()
    except BreakSignal as sig:
        if sig.snapshot is not None and len(sig.snapshot) == depth:
            _restore(tx, before)
        raise


def _map_next(tx, it):
    """One step of ``map``: the inners in order (the shortest ends it, after the earlier
    ones moved, as CPython's), then the call."""
    from . import sites
    # FOR_ITER armed: the call's value is the next item; a consumer: its site
    owner, consumer = _consumer(sites.take(tx), it.fn)
    _all_steppable(tx, it.inners)
    site = None if consumer is None else sites.fed(consumer, ConstVal(sites.MAPPED))
    return _undone_if_it_breaks_here(tx, _iterator_state(tx, it.inners), lambda: sites.call_at(
        tx, owner, it.fn, [next_value(tx, inner) for inner in it.inners], site))


def _filter_next(tx, it):
    """One step of ``filter``: items until the function (or the item's truth) keeps one.
    When FOR_ITER armed the frame, each call is a site (sites.filter_rest)."""
    from . import sites
    from .operators import truthy     # operators imports this module
    owner, consumer = _consumer(sites.take(tx), it.fn)
    _all_steppable(tx, (it.inner,))
    while True:
        before = _iterator_state(tx, (it.inner,))   # items already rejected stay consumed
        item = next_value(tx, it.inner)
        if it.fn is None:
            keep = item
        else:
            site = (sites.Site(sites.filter_rest, (item,), at_inst=True) if consumer is None
                    else sites.fed(consumer, item))
            keep = _undone_if_it_breaks_here(
                tx, before, lambda: sites.call_at(tx, owner, it.fn, [item], site))
        if truthy(tx, keep):
            return item


def _zip_next(tx, it):
    if not it.inners:
        raise Exhausted
    _all_steppable(tx, it.inners)
    items = []
    for k, inner in enumerate(it.inners):
        try:
            items.append(next_value(tx, inner))
        except Exhausted:
            if not it.strict:
                raise
            _zip_strict_error(tx, it.inners, k)
            raise
    return TupleVal(items)


def _zip_strict_error(tx, inners, k):
    """zip(strict=True) at the end of argument ``k``: ValueError unless all are done
    (the later arguments are advanced to find out, as zip does)."""
    if k:
        tx.raise_type(ValueError, zip_shorter(k))
    for j in range(1, len(inners)):
        try:
            next_value(tx, inners[j])
        except Exhausted:
            continue
        tx.raise_type(ValueError, zip_longer(j))


_NEXT = {IteratorVal: _seq_next, EnumerateVal: _enumerate_next, ZipVal: _zip_next,
         CursorVal: cursor_next, MapVal: _map_next, FilterVal: _filter_next,
         ClassInstanceVal: _instance_next, GenVal: next_item}


def next_value(tx, it):
    rule = _NEXT.get(type(it))
    if rule is None:
        tx.graph_break(BreakKind.UNSUPPORTED_OBJECT, f"next() on a {type(it).__name__}")
    if type(it) in _COMBINED:     # a map inside may break at its call after others moved
        return _undone_if_it_breaks_here(tx, _iterator_state(tx, (it,)), lambda: rule(tx, it))
    return rule(tx, it)


_COMBINED = (ZipVal, EnumerateVal)


def is_iterable_value(value) -> bool:
    """``iter(value)`` works (a constant's message depends on it, before unpacking)."""
    try:
        iter(value)
    except TypeError:
        return False
    return True


def unpack(tx, v) -> list:
    """All items of an iterable value, in order."""
    t = type(v)
    if t is TupleVal or t is ListVal:
        return list(v.items)
    if t is ConstVal and isinstance(v.value, (tuple, range, str)):
        return [ConstVal(o) for o in tx.pyval(v)]
    it = make_iter(tx, v)
    out = []
    while True:
        try:
            out.append(next_value(tx, it))
        except Exhausted:
            return out
