"""Call sites that are not a plain CALL: how a paused instruction continues in a chain.

The tracer inlines user code from instructions other than CALL: a property getter
(LOAD_ATTR), a dunder (BINARY_OP, BINARY_SUBSCR, a truth test ...), a ``key=`` callback
of ``sorted``, a class's ``__init__``. When a break deeper down resumes through such a
frame (trace/resume.py), the frame's level must turn the callee's return value into
what the instruction continues with. A ``Site`` on the frame says how:

- ``helper`` None: the callee's value *is* the instruction's result (pushed);
- ``discard``: the instruction pushes nothing (``__setitem__``);
- ``helper`` set: the result is ``helper(*args, value)``, a plain Python function of
  this module that finishes the operation as CPython would (a reflected operand after
  ``NotImplemented``, the remaining ``key=`` calls and the sort, the ``__bool__`` type
  check ...); the tracer inlines it like user code, so a break in a later callback
  resumes through it too;
- ``at_inst``: continue *at* the instruction, re-running it on the helper's result
  (a jump on a truth value re-runs on a real bool);
- ``catch``: an exception class the instruction itself handles (``hasattr`` and
  ``getattr`` with a default: AttributeError): when the callee raises one, the value is
  ``CAUGHT`` instead and the helper makes it the instruction's answer (the level's
  prologue catches it around the callee level's call, trace/resume.py; an exception the
  breaking instruction raises goes there through the exception continuation).

Which frame may own a site: an instruction handler *arms* the frame (``arm``) only where
the operation's value is the instruction's; the first call made disarms it (calls.call),
so a callee reached after another call, or through code that post-processes its value,
is never direct (the frame then breaks around the instruction, as before).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class Site:
    helper: object = None
    args: tuple = ()
    discard: bool = False
    at_inst: bool = False
    catch: type = None


DISCARD = Site(discard=True)


def arm(tx, f, op, *args):
    """Run ``op(*args)`` with ``f`` armed: a callee that the operation's first call
    inlines returns the instruction's value (``f.site`` None)."""
    tx.armed = f
    try:
        return op(*args)
    finally:
        tx.armed = None


def take(tx):
    """The armed frame if it is the current one (disarming it), else None: code whose
    callee's value is post-processed claims the arm and calls through ``call_at``."""
    owner, tx.armed = tx.armed, None
    return owner if owner is not None and owner is tx.frame else None


def call_at(tx, owner, fn, args, site, kwargs=None):
    """``tx.call`` whose inlined callee, when ``owner`` is armed, continues through
    ``site`` (see the module docstring)."""
    return run_at(tx, owner, site, tx.call, fn, args, kwargs)


def run_at(tx, owner, site, op, *args):
    """``op(*args)`` with ``owner`` armed (when it is the current frame) and continuing
    through ``site``: the first call ``op`` makes is the site's callee."""
    if owner is None or owner is not tx.frame:
        return op(*args)
    saved = owner.site
    owner.site = site
    tx.armed = owner
    try:
        return op(*args)
    finally:
        owner.site = saved
        tx.armed = None


def stack_entries(site) -> list:
    """What the frame's level pushes below the callee's value: the helper call."""
    if site is None or site.helper is None:
        return []
    from .values import NULL, ConstVal
    return [NULL, ConstVal(site.helper), *site.args]


def fed(consumer, item):
    """The site of a ``map``'s / ``filter``'s function call while a builtin consumes it:
    the consumer's helper (``consumer``, its state before the item) also takes the
    filter's ``item`` (MAPPED for a map) before the value (``produced``)."""
    return Site(consumer.helper, (*consumer.args, item))


def catch_of(site):
    """Level.catch: the exception class the level's prologue turns into ``CAUGHT``."""
    return None if site is None else site.catch


def post_code(site) -> int:
    """Level.post: 0 push the value, -1 discard it, n > 0 call the helper with n args."""
    if site is None:
        return 0
    if site.discard:
        return -1
    return len(site.args) + 1 if site.helper is not None else 0


# ---------------------------------------------------------------- helpers (inlined)
# Plain Python, run by CPython when a chain runs untraced and inlined by the tracer
# (``INLINED``) when it is traced. No framejit imports, no closures.

def binary_rest(a, b, rest, fallback, value):
    """``a <op> b`` after one dunder returned ``value``: on ``NotImplemented`` the
    remaining candidates ``rest`` (``(swapped, name)``, operators.py) in order, then
    ``==``/``!=`` by identity (``fallback`` is the operator) or ``TypeError(fallback)``."""
    if value is not NotImplemented:
        return value
    for swapped, name in rest:
        obj, other = (b, a) if swapped else (a, b)
        meth = getattr(type(obj), name, None)
        if meth is not None:
            value = meth(obj, other)
            if value is not NotImplemented:
                return value
    if fallback == "==":
        return a is b
    if fallback == "!=":
        return a is not b
    raise TypeError(fallback)


def contains_rest(a, b, rest, items, i, invert, value):
    """``b in items`` (``not in`` when ``invert``) after ``a == b`` (``a`` is
    ``items[i]``) ran one dunder that returned ``value``: that comparison's remaining
    candidates, one truth test, then the later items as CPython's contains does."""
    hit = True if binary_rest(a, b, rest, "==", value) else False
    for j in range(i + 1, len(items)):            # a range: resumable in a chain
        if hit:
            break
        x = items[j]
        hit = True if (x is b or x == b) else False
    return hit != invert


def seq_equal_rest(a, b, rest, left, right, i, equal, value):
    """``left == right`` (``equal``; ``!=`` otherwise) of two lists or tuples of one
    length after ``a == b`` (``left[i]``, ``right[i]``) ran one dunder that returned
    ``value``: that comparison's remaining candidates, then the later pairs, identity
    first, up to the first unequal one (CPython's list and tuple comparison)."""
    same = True if binary_rest(a, b, rest, "==", value) else False
    for j in range(i + 1, len(left)):             # a range: resumable in a chain
        if not same:
            break
        x, y = left[j], right[j]
        same = True if (x is y or x == y) else False
    return same == equal


def seq_order_rest(a, b, rest, left, right, i, op, value):
    """``op(left, right)`` (``<`` & co.) of two lists or tuples after ``a == b``
    (``left[i]``, ``right[i]``) ran one dunder that returned ``value``: the first unequal
    pair (identity first) decides with ``op``, else the lengths (CPython's comparison)."""
    if not binary_rest(a, b, rest, "==", value):
        return op(a, b)
    for j in range(i + 1, min(len(left), len(right))):   # a range: resumable in a chain
        x, y = left[j], right[j]
        if not (x is y or x == y):
            return op(x, y)
    return op(len(left), len(right))


def any_all_rest(name, items, i, stop, value):
    """``any(items)`` (``stop`` True) / ``all(items)`` (False) after the truth method
    ``name`` of ``items[i]`` returned ``value``: the later items' truth in order."""
    if truth_rest(name, value) == stop:
        return stop
    for j in range(i + 1, len(items)):            # a range: resumable in a chain
        if (True if items[j] else False) == stop:
            return stop
    return not stop


FILTER_SKIPPED = ("framejit: the filter function rejected the item",)   # a unique marker


def filter_rest(item, value):
    """``next()`` of a ``filter`` after its function returned ``value`` for ``item``: the
    item, or FILTER_SKIPPED (the level's FOR_ITER then takes the next item,
    resume.emit_filter_next)."""
    return item if value else FILTER_SKIPPED


CAUGHT = ("framejit: the callee raised the exception the instruction handles",)


def hasattr_rest(value):
    """``hasattr(obj, name)`` after the getter returned ``value`` (CAUGHT: it raised
    AttributeError)."""
    return value is not CAUGHT


def getattr_rest(default, value):
    """``getattr(obj, name, default)`` after the getter returned ``value`` (CAUGHT: it
    raised AttributeError)."""
    return default if value is CAUGHT else value


def iter_rest(value):
    """``iter(obj)`` after ``obj.__iter__()`` returned ``value``: CPython's check."""
    if not hasattr(type(value), "__next__"):
        raise TypeError("iter() returned non-iterator of type '" + type(value).__name__ +
                        "'")
    return value


def truth_rest(name, value):
    """The truth value of an object whose ``__bool__`` / ``__len__`` returned ``value``."""
    if name == "__bool__":
        if value is True or value is False:
            return value
        raise TypeError("__bool__ should return bool, returned " + type(value).__name__)
    return len_rest(value) != 0


def len_rest(value):
    """``len(obj)`` after ``obj.__len__()`` returned ``value``."""
    if not isinstance(value, int):
        raise TypeError("'" + type(value).__name__ + "' object cannot be interpreted as an "
                        "integer")
    if value < 0:
        raise ValueError("__len__() should return >= 0")
    return int(value)


def init_rest(instance, value):
    """``cls(...)`` after ``__init__`` returned ``value``."""
    if value is not None:
        raise TypeError("__init__() should return None, not '" + type(value).__name__ + "'")
    return instance


def sorted_rest(items, key, reverse, keys, value):
    """``sorted(items, key=key, reverse=reverse)`` after the key of ``items[len(keys)]``
    returned ``value``: the remaining keys in order, then one stable sort on them."""
    keys.append(value)
    for i in range(len(keys), len(items)):       # a range: resumable in a chain
        keys.append(key(items[i]))
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=reverse)
    return [items[i] for i in order]


NO_DEFAULT = ("framejit: min()/max() without a default",)      # a unique marker


def extreme_rest(pick, key, items, keys, rest, default, value):
    """``pick(iterable, key=key, default=default)`` (``pick`` min or max) after the key
    of ``items[-1]`` returned ``value``: ``keys`` those of the items before, ``rest`` the
    iterator of the later items."""
    keys.append(value)
    return extreme_finish(pick, key, items, keys, rest, default)


def extreme_next_rest(pick, key, items, keys, rest, default, item, value):
    """``pick(map(...))`` after the map's function returned ``value`` (``produced``)."""
    value = produced(item, value)
    if value is not FILTER_SKIPPED:
        items.append(value)
        if key is not None:
            keys.append(key(value))
    return extreme_finish(pick, key, items, keys, rest, default)


def extreme_finish(pick, key, items, keys, rest, default):
    """The later items (and their keys) in order, then the first least / greatest."""
    for value in rest:
        items.append(value)
        if key is not None:
            keys.append(key(value))
    if not items:
        return pick(()) if default is NO_DEFAULT else default   # pick(()): CPython's error
    ranked = items if key is None else keys
    return items[pick(range(len(ranked)), key=ranked.__getitem__)]


MAPPED = ("framejit: the map function's value is the item",)   # a unique marker


def produced(item, value):
    """What the next() of a map (``item`` MAPPED) or a filter (``item`` its item) gives
    after its function returned ``value``: FILTER_SKIPPED when the filter drops it."""
    if item is MAPPED:
        return value
    return item if value else FILTER_SKIPPED


def sum_rest(acc, rest, item, value):
    """``sum(map(...), start)`` after the map's function returned ``value``: ``acc`` the
    sum before it, ``rest`` the map (its later items are added as they come)."""
    value = produced(item, value)
    if value is not FILTER_SKIPPED:
        acc = acc + value
    for value in rest:
        acc = acc + value
    return acc


def collect_rest(make, done, rest, item, value):
    """``make(map(...))`` (list, tuple) after the map's function returned ``value``:
    ``done`` the items before, ``rest`` the map."""
    value = produced(item, value)
    if value is not FILTER_SKIPPED:
        done.append(value)
    for value in rest:
        done.append(value)
    return make(done)


def sorted_collect_rest(key, reverse, done, rest, item, value):
    """``sorted(map(...), key=key, reverse=reverse)`` after the map's function returned
    ``value``: all items first, then the keys and the sort (as CPython's sorted)."""
    return sorted(collect_rest(list, done, rest, item, value), key=key, reverse=reverse)


def any_all_next_rest(stop, rest, item, value):
    """``any(map(...))`` (``stop`` True) / ``all`` after the map's function returned
    ``value``: truth tests up to the first that equals ``stop``."""
    value = produced(item, value)
    if value is not FILTER_SKIPPED and (True if value else False) == stop:
        return stop
    for value in rest:
        if (True if value else False) == stop:
            return stop
    return not stop


def reduce_rest(fn, items, start, value):
    """``functools.reduce(fn, ...)`` after the call before ``items[start]`` returned
    ``value`` (the accumulator)."""
    for i in range(start, len(items)):
        value = fn(value, items[i])
    return value


INLINED = frozenset(f.__code__ for f in (binary_rest, contains_rest, seq_equal_rest,
                                           seq_order_rest,
                                           any_all_rest, filter_rest, iter_rest,
                                           hasattr_rest, getattr_rest, truth_rest,
                                           len_rest,
                                           reduce_rest, init_rest, sorted_rest,
                                           extreme_rest, extreme_next_rest, extreme_finish,
                                           produced, sum_rest, collect_rest,
                                           sorted_collect_rest, any_all_next_rest))
