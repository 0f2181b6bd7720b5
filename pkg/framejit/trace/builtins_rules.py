"""Builtins and pure standard-library callables inside traced code.

``BUILTIN_CALLS`` maps ``id(callable) -> (callable, rule)``; a rule takes
``(tracer, args, kwargs)`` and returns a Value. Covered: len, range, iter, next,
enumerate, zip, min, max, abs, sum, isinstance, issubclass, type, int/float/bool/complex/
str/repr, tuple, list, dict, slice, hasattr/getattr/setattr, callable, sorted, reversed,
any, all, divmod, pow, round, map, filter, functools.partial/reduce, ``operator``
functions and every ``math`` function (folded on constants). ``print``, ``input`` and
``open`` are I/O: UNSUPPORTED_CALL breaks (they fall through to calls.call_const).
"""
from __future__ import annotations

import builtins
import functools
import math
import operator
import types

from . import operators as ops
from . import sites
from .attrs import get_attr, lookup_special, set_attr, traced_type, value_type
from .breaks import BreakKind
from .handlers import Lazy
from .dynamic import extreme_index, float_of_dynamic
from .dyn_ranges import make_range
from .iteration import (EnumerateVal, Exhausted, is_iterable_value, make_iter, next_value,
                        unpack)
from .tracer import UserRaise
from .values import (ArrayVal, ClassInstanceVal, ConstVal, DictVal, ExceptionVal, FilterVal,
                     IteratorVal, ListVal, MapVal, PartialVal, SetVal, SuperVal, TupleVal, ZipVal)

BUILTIN_CALLS: dict = {}
#: Builtins whose callbacks are call sites of the armed frame (trace/sites.py).
SITE_RULES = (sorted, min, max, len, getattr, hasattr, functools.reduce, any, all, sum, list,
              tuple, *(ops.npr.PY_OPERATORS[sym] for sym in ops.ORDERINGS))
#: Iterators whose next() calls a function: a consumer's site (``_each``).
_PRODUCERS = (MapVal, FilterVal)


def rule(*fns):
    def register(f):
        for fn in fns:
            BUILTIN_CALLS[id(fn)] = (fn, f)
        return f
    return register


def _consts(tx, args, kwargs):
    return [tx.pyval(a) for a in args], {k: tx.pyval(v) for k, v in kwargs.items()}


def folding(fn):
    """A rule that evaluates ``fn`` on the trace-time values of its arguments."""
    def fold_rule(tx, args, kwargs):
        a, kw = _consts(tx, args, kwargs)
        return tx.wrap(tx.fold(fn, *a, **kw))
    return fold_rule


@rule(len)
def _len(tx, args, kwargs):
    owner = sites.take(tx)
    (v,) = args
    t = type(v)
    if t in (ListVal, TupleVal):
        return ConstVal(v.length())    # a lazy list's or tuple's items stay unread
    if t is DictVal:
        return ConstVal(len(v.items))
    if t is SetVal:
        return ConstVal(len(v.real))
    if t is ArrayVal:
        if v.meta.scalar or not v.meta.shape:
            tx.raise_type(TypeError, "len() of unsized object")
        return ConstVal(v.meta.concrete()[0])
    meth = lookup_special(tx, v, "__len__") if t is ClassInstanceVal else None
    if meth is not None:
        value = sites.call_at(tx, owner, meth, [], sites.Site(sites.len_rest))
        return ConstVal(ops.length_value(tx, value))
    return ConstVal(tx.fold(len, tx.pyval(v)))


@rule(iter)
def _iter(tx, args, kwargs):
    if len(args) != 1:
        tx.unsupported("iter(callable, sentinel)", BreakKind.UNSUPPORTED_CALL)
    return make_iter(tx, args[0])


@rule(next)
def _next(tx, args, kwargs):
    try:
        return next_value(tx, args[0])
    except Exhausted:
        if len(args) > 1:
            return args[1]
        tx.raise_type(StopIteration)


@rule(enumerate)
def _enumerate(tx, args, kwargs):
    start = args[1] if len(args) > 1 else kwargs.get("start", ConstVal(0))
    if not (type(start) is ConstVal and start.dynamic and type(start.value) is int):
        start = ConstVal(tx.fold(operator.index, tx.pyval(start)))  # counts are ints
    return EnumerateVal(make_iter(tx, args[0]), start)


@rule(zip)
def _zip(tx, args, kwargs):
    strict = tx.pyval(kwargs["strict"]) if "strict" in kwargs else False
    return ZipVal([make_iter(tx, a) for a in args], strict)


def _keys(tx, owner, items, key, helper, *extra):
    """The ``key=`` values of ``items``, in order. Each call is a site of the armed
    frame (trace/sites.py): a break in a later call resumes through ``helper``, which
    computes the remaining keys and finishes the builtin."""
    keys = []
    for item in items:
        site = sites.Site(helper, (TupleVal(items), key, *extra, ListVal(list(keys))))
        keys.append(sites.call_at(tx, owner, key, [item], site))
    return keys


def _each(tx, owner, it, site_of):
    """The items of iterator ``it`` one at a time, as CPython's consumers take them (a
    map's function runs just before its item is used). When ``owner`` is armed, the
    function call of a map's or filter's next() is a site of it: ``site_of(it)``, the
    consumer's helper with its state before the item (sites.fed adds the item)."""
    while True:
        site = site_of(it) if owner is not None and type(it) in _PRODUCERS else None
        try:
            item = sites.run_at(tx, owner if site is not None else None, site,
                                next_value, tx, it)
        except Exhausted:
            return
        yield item


def _extreme(pick):
    """``min``/``max``: items and ``key=`` values taken in CPython's order (one item, its
    key, the next item ...); a key call and a map's function are sites of the armed
    frame (sites.extreme_rest / extreme_next_rest finish the rest)."""
    def extreme_rule(tx, args, kwargs):
        for name in kwargs:
            if name not in ("key", "default"):
                tx.raise_type(TypeError, f"'{name}' is an invalid keyword argument for "
                                         f"{pick.__name__}()")
        owner = sites.take(tx)
        it = make_iter(tx, args[0] if len(args) == 1 else TupleVal(list(args)))
        key = kwargs.get("key")
        key = None if key is None or _is_none(key) else key
        default = kwargs.get("default", ConstVal(sites.NO_DEFAULT))
        items, keys = [], []

        def state(it):
            return (ConstVal(pick), _or_none(key), ListVal(list(items)),
                    ListVal(list(keys)), it, default)

        next_site = lambda it: sites.Site(sites.extreme_next_rest, state(it))  # noqa: E731
        for item in _each(tx, owner, it, next_site):
            items.append(item)
            if key is not None:
                site = sites.Site(sites.extreme_rest, state(it))
                keys.append(sites.call_at(tx, owner, key, [item], site))
        if not items:
            if "default" in kwargs:
                return default
            tx.fold(pick, ())             # CPython's ValueError
        compared = keys if key is not None else items
        best = extreme_index(tx, _EXTREME_SYM[pick], compared)   # dynamic numbers
        if best is None:
            values = [tx.pyval(k) for k in compared]
            best = tx.fold(lambda vs: pick(range(len(vs)), key=vs.__getitem__), values)
        return items[best]
    return extreme_rule


_EXTREME_SYM = {min: "<", max: ">"}    # the comparison CPython's min/max replace on


def _or_none(key):
    return ConstVal(None) if key is None else key


def _is_none(v):
    return type(v) is ConstVal and v.value is None


rule(min)(_extreme(min))
rule(max)(_extreme(max))


@rule(abs)
def _abs(tx, args, kwargs):
    return ops.unary(tx, "abs", args[0])


@rule(sum)
def _sum(tx, args, kwargs):
    """Each item added as it comes; a map's function is a site (sites.sum_rest)."""
    owner = sites.take(tx)
    acc = args[1] if len(args) > 1 else kwargs.get("start", ConstVal(0))
    site_of = lambda it: sites.Site(sites.sum_rest, (acc, it))   # noqa: E731 (acc: now)
    for item in _each(tx, owner, make_iter(tx, args[0]), site_of):
        acc = ops.binary(tx, "+", acc, item)
    return acc


def _collect(tx, owner, src, site_of):
    """The items of ``src`` (list(src)); a map's function is a site of ``owner`` (the
    armed frame): ``site_of(done, it)``, ``done`` the items before."""
    if type(src) in (ListVal, TupleVal) or owner is None:
        return unpack(tx, src)
    done = []
    for item in _each(tx, owner, make_iter(tx, src), lambda it: site_of(ListVal(list(done)),
                                                                          it)):
        done.append(item)
    return done


def _collect_as(make):
    return lambda done, it: sites.Site(sites.collect_rest, (ConstVal(make), done, it))


@rule(isinstance)
def _isinstance(tx, args, kwargs):
    v, classes = args
    info = tx.pyval(classes)
    if not _classinfo(info):
        tx.raise_type(TypeError, "isinstance() arg 2 must be a type, a tuple of types, or a "
                                 "union")
    return ConstVal(tx.fold(issubclass, traced_type(tx, v), info))


def _classinfo(info) -> bool:
    """A type, a union, or a (nested) tuple of them: isinstance()'s second argument."""
    if isinstance(info, (type, types.UnionType)):
        return True
    return type(info) is tuple and all(_classinfo(i) for i in info)


@rule(type)
def _type(tx, args, kwargs):
    if len(args) != 1:
        tx.unsupported("type() with three arguments", BreakKind.UNSUPPORTED_CALL)
    return ConstVal(traced_type(tx, args[0]))


@rule(tuple)
def _tuple(tx, args, kwargs):
    return TupleVal(_collect(tx, sites.take(tx), args[0], _collect_as(tuple)) if args else [])


@rule(list)
def _list(tx, args, kwargs):
    return ListVal(_collect(tx, sites.take(tx), args[0], _collect_as(list)) if args else [])


@rule(set)
def _set(tx, args, kwargs):
    from .sets import from_items
    if kwargs:
        tx.raise_type(TypeError, "set() takes no keyword arguments")
    return from_items(tx, unpack(tx, args[0]) if args else [])


@rule(dict)
def _dict(tx, args, kwargs):
    items = {}
    if args:
        src = args[0]
        if type(src) is DictVal:
            items.update(src.items)
        else:
            for i, pair in enumerate(unpack(tx, src)):
                if type(pair) is ConstVal and not is_iterable_value(pair.value):
                    tx.raise_type(TypeError, f"cannot convert dictionary update sequence "
                                             f"element #{i} to a sequence")
                kv = unpack(tx, pair)
                if len(kv) != 2:
                    tx.raise_type(ValueError, f"dictionary update sequence element #{i} has "
                                              f"length {len(kv)}; 2 is required")
                items[tx.key(kv[0])] = kv[1]
    items.update(kwargs)
    return DictVal(items)


def _scalar(fn):
    def scalar_rule(tx, args, kwargs):
        if args and type(args[0]) is ArrayVal:
            tx.graph_break(BreakKind.DATA_DEPENDENT,
                           f"{fn.__name__}() of array {args[0].node.name} ({args[0].meta}) "
                           "needs its value")
        if fn in (str, repr) and len(args) == 1 and type(args[0]) is ExceptionVal:
            text = _exception_text(tx, fn, args[0])
            if text is not None:
                return ConstVal(text)
        if fn is float and len(args) == 1 and not kwargs:
            out = float_of_dynamic(tx, args[0])
            if out is not None:
                return out
        return folding(fn)(tx, args, kwargs)
    return scalar_rule


_TEXT_SLOTS = ("__init__", "__new__", "__str__", "__repr__", "__getattribute__", "__getattr__")


def _exception_text(tx, fn, e):
    """str(e) / repr(e) of an exception whose text depends on its args only (no user
    __init__/__str__/... in its classes): computed on a copy built from the args (those
    of a real exception are read through its source, so guarded). None otherwise."""
    if not all(c.__module__ == "builtins" or not any(n in vars(c) for n in _TEXT_SLOTS)
               for c in e.cls.__mro__):
        return None
    items = e.args if e.obj is None else unpack(tx, get_attr(tx, e, "args"))
    try:
        return fn(e.cls(*[tx.pyval(a) for a in items]))
    except Exception:         # a builtin exception that wants other arguments
        return None


for _fn in (int, float, complex, str, repr, format, round, divmod, pow, hash, ascii,
            chr, ord, bin, hex, oct):
    rule(_fn)(_scalar(_fn))
rule(bool)(lambda tx, args, kwargs: ConstVal(ops.truthy(tx, args[0]) if args else False))
for _fn in (slice, issubclass):
    rule(_fn)(folding(_fn))


@rule(range)
def _range(tx, args, kwargs):
    """A range with a dynamic bound stays symbolic (trace/dyn_ranges.py)."""
    out = make_range(tx, args) if not kwargs else None
    return out if out is not None else folding(range)(tx, args, kwargs)


@rule(callable)
def _callable(tx, args, kwargs):
    (v,) = args
    if type(v) is ConstVal:
        return ConstVal(callable(tx.pyval(v)))
    return ConstVal(hasattr(value_type(v), "__call__"))


def _attr_default(tx, obj, name, default, owner=None, site=None):
    """``getattr(obj, name)``, ``default`` on AttributeError. A getter or ``__getattr__``
    it inlines continues through ``site`` when ``owner`` is armed (sites.run_at)."""
    try:
        return sites.run_at(tx, owner, site, get_attr, tx, obj, name)
    except UserRaise as exc:
        if default is not None and issubclass(exc.exc.cls, AttributeError):
            return default
        raise


@rule(getattr)
def _getattr(tx, args, kwargs):
    if len(args) < 3:   # a property getter's value is getattr's (the armed frame's site)
        return _attr_default(tx, args[0], tx.pyval(args[1]), None)
    # the default replaces an AttributeError: in a chain, the site's catch does
    site = sites.Site(sites.getattr_rest, (args[2],), catch=AttributeError)
    return _attr_default(tx, args[0], tx.pyval(args[1]), args[2], sites.take(tx), site)


@rule(hasattr)
def _hasattr(tx, args, kwargs):
    missing = ConstVal(_MISSING)
    site = sites.Site(sites.hasattr_rest, catch=AttributeError)
    found = _attr_default(tx, args[0], tx.pyval(args[1]), missing, sites.take(tx), site)
    return ConstVal(found is not missing)


_MISSING = object()


@rule(setattr)
def _setattr(tx, args, kwargs):
    set_attr(tx, args[0], tx.pyval(args[1]), args[2])
    return ConstVal(None)


@rule(sorted)
def _sorted(tx, args, kwargs):
    key = kwargs.get("key")
    reverse = tx.pyval(kwargs["reverse"]) if "reverse" in kwargs else False
    # all items first (a map's function: sites.sorted_collect_rest), then the keys
    owner = sites.take(tx)
    items = _collect(tx, owner, args[0], lambda done, it: sites.Site(
        sites.sorted_collect_rest, (_or_none(key), ConstVal(reverse), done, it)))
    keys = [tx.pyval(k) for k in (
        _keys(tx, owner, items, key, sites.sorted_rest, ConstVal(reverse))
        if key is not None and not _is_none(key) else items)]
    order = tx.fold(lambda ks: sorted(range(len(ks)), key=ks.__getitem__, reverse=reverse), keys)
    return ListVal([items[i] for i in order])


@rule(reversed)
def _reversed(tx, args, kwargs):
    v = args[0]
    if type(v) is ConstVal:
        tx.fold(reversed, tx.pyval(v))     # CPython's "'int' object is not reversible"
    return IteratorVal(TupleVal(unpack(tx, v)[::-1]))


def _any_all(stop):
    """``any`` (``stop`` True) / ``all`` (False): truth tests in order up to the first
    that equals ``stop``. Over a list or tuple each ``__bool__``/``__len__`` is a site of
    the armed frame (sites.any_all_rest finishes the rest); over an iterator the items
    are taken one by one, so a map's function runs only up to the answer."""
    def any_all_rule(tx, args, kwargs):
        owner = sites.take(tx)
        seq = args[0]
        if type(seq) in (ListVal, TupleVal):
            for i, item in enumerate(unpack(tx, seq)):
                truth = (_instance_truth_at(tx, owner, item, seq, i, stop)
                         if type(item) is ClassInstanceVal else ops.truthy(tx, item))
                if truth == stop:
                    return ConstVal(stop)
            return ConstVal(not stop)
        # an iterator is taken item by item, up to the answer (a map's function: a site)
        site_of = lambda it: sites.Site(sites.any_all_next_rest, (ConstVal(stop), it))  # noqa
        for item in _each(tx, owner, make_iter(tx, seq), site_of):
            if ops.truthy(tx, item) == stop:
                return ConstVal(stop)
        return ConstVal(not stop)
    return any_all_rule


def _instance_truth_at(tx, owner, item, seq, i, stop):
    return ops.instance_truth(tx, owner, item, lambda name: sites.Site(
        sites.any_all_rest, (ConstVal(name), seq, ConstVal(i), ConstVal(stop))))


rule(any)(_any_all(True))
rule(all)(_any_all(False))


@rule(map)
def _map(tx, args, kwargs):
    """Lazy, as CPython's: ``fn`` runs at each ``next()``, interleaved with the loop."""
    if kwargs:
        tx.raise_type(TypeError, "map() takes no keyword arguments")
    if len(args) < 2:
        tx.raise_type(TypeError, "map() must have at least two arguments.")
    fn, *iterables = args
    return MapVal(fn, [make_iter(tx, it) for it in iterables])


@rule(filter)
def _filter(tx, args, kwargs):
    """Lazy, as CPython's; ``filter(None, ...)`` and ``filter(bool, ...)`` test the items."""
    if kwargs:
        tx.raise_type(TypeError, "filter() takes no keyword arguments")
    if len(args) != 2:
        tx.raise_type(TypeError, f"filter expected 2 arguments, got {len(args)}")
    fn, it = args
    plain_truth = _is_none(fn) or (type(fn) is ConstVal and fn.value is bool)
    return FilterVal(None if plain_truth else fn, make_iter(tx, it))


@rule(super)
def _super(tx, args, kwargs):
    if args:
        return SuperVal(tx.pyval(args[0]), args[1])
    f = tx.frame
    cell = f.cells.get("__class__")
    if cell is None or not f.code.co_argcount:
        tx.raise_type(RuntimeError, "super(): no arguments")
    cls = cell.contents if cell.contents is not None else tx.wrap(
        cell.source.fetch(tx.env), cell.source)
    first = f.locals[0]
    if first is None:
        tx.raise_type(RuntimeError, "super(): arg[0] deleted")
    if type(first) is Lazy:          # an argument slot not read yet: wrap it as LOAD_FAST does
        first = f.locals[0] = tx.wrap(first.obj, first.source)
    return SuperVal(tx.pyval(cls), first)


@rule(functools.partial)
def _partial(tx, args, kwargs):
    return PartialVal(args[0], args[1:], kwargs)


@rule(functools.reduce)
def _reduce(tx, args, kwargs):
    owner = sites.take(tx)
    if type(args[1]) not in (ListVal, TupleVal, ConstVal):   # an iterator: item by item
        return _reduce_lazily(tx, args)
    fn, it = args[0], unpack(tx, args[1])
    if len(args) > 2:
        acc = args[2]
    elif it:
        acc, it = it[0], it[1:]
    else:
        tx.raise_type(TypeError, "reduce() of empty iterable with no initial value")
    for i, item in enumerate(it):
        site = sites.Site(sites.reduce_rest, (fn, TupleVal(it), ConstVal(i + 1)))
        acc = sites.call_at(tx, owner, fn, [acc, item], site)
    return acc


def _reduce_lazily(tx, args):
    fn, items = args[0], _each(tx, None, make_iter(tx, args[1]), None)
    if len(args) > 2:
        acc = args[2]
    else:
        acc = next(items, None)
        if acc is None:
            tx.raise_type(TypeError, "reduce() of empty iterable with no initial value")
    for item in items:
        acc = tx.call(fn, [acc, item])
    return acc


for _sym, _fn in ops.npr.PY_OPERATORS.items():
    rule(_fn)(lambda tx, args, kwargs, _s=_sym: ops.binary(tx, _s, *args))
for _sym, _fn in ops.npr.PY_INPLACE.items():
    rule(_fn)(lambda tx, args, kwargs, _s=_sym: ops.binary(tx, _s, *args, inplace=True))
rule(operator.neg)(lambda tx, args, kwargs: ops.unary(tx, "-", args[0]))
rule(operator.pos)(lambda tx, args, kwargs: ops.unary(tx, "+", args[0]))
rule(operator.invert, operator.inv)(lambda tx, args, kwargs: ops.unary(tx, "~", args[0]))
rule(operator.not_)(lambda tx, args, kwargs: ConstVal(not ops.truthy(tx, args[0])))
rule(operator.truth)(lambda tx, args, kwargs: ConstVal(ops.truthy(tx, args[0])))
rule(operator.is_)(lambda tx, args, kwargs: ConstVal(ops.is_same(tx, *args)))
rule(operator.is_not)(lambda tx, args, kwargs: ConstVal(not ops.is_same(tx, *args)))
rule(operator.getitem)(lambda tx, args, kwargs: __import__(
    "framejit.trace.subscript", fromlist=["get_item"]).get_item(tx, *args))

for _name, _fn in vars(math).items():
    if callable(_fn) and not _name.startswith("_"):
        rule(_fn)(_scalar(_fn))

BUILTIN_NAMES = frozenset(n for n, v in vars(builtins).items() if id(v) in BUILTIN_CALLS)
