"""From Python objects to symbolic values (with guards), and back to Python constants.

``wrap(tracer, obj, source)`` makes the Value for an object reached through ``source`` (an
argument, a global, an attribute ...) and installs the guards that the value's *kind*
needs at once: ARRAY for arrays (they become graph inputs), TYPE + LEN for containers
(a list's or tuple's items are wrapped when first looked at), TYPE for plain-class
instances, ID for functions, modules, classes and callables. Python constants (numbers,
strings, None, tuples of them, NumPy scalars, dtypes) are guarded lazily:
``guard_constant`` runs the first time the trace reads the value (``Tracer.pyval``), so
a constant that is only passed through costs no guard; a range by its start, stop and
step values (trace/dyn_ranges.py: a bound that changes becomes dynamic).

Mutable objects are wrapped once per trace (by identity): a second path to the same
object yields the same Value plus an ALIAS guard, so mutations are seen through both.
Dispatch is by ``type(obj)`` through ``_WRAPPERS``; the fallback classifies by protocol.
"""
from __future__ import annotations

import enum
import functools
import os
import weakref
import sys
import sysconfig
import types

import numpy as np

from ..graph.ir import Meta
from . import markers
from .breaks import BreakKind
from .guards import ArrayExpect, GuardKind
from . import dyn_ranges, dynamic
from .sources import AttrSource, ConstSource, ItemSource
from .cursor import EnumerateCursor, FilterCursor, MapCursor, SeqCursor, ZipCursor
from . import resumed_iter
from .values import (ArrayVal, BuiltinMethodVal, CellVal, ClassInstanceVal, ConstVal, DictVal,
                     ExceptionVal, FunctionVal, ListVal, MethodVal, ModeCtxVal, ModuleVal,
                     OpaqueVal, PartialVal, SuperVal, TupleVal)

_CONST_TYPES = frozenset([int, float, bool, str, type(None), complex, bytes, range, slice,
                          type(Ellipsis), type(NotImplemented)])
_VALUE_GUARD_TYPES = frozenset([int, float, bool, str, type(None), complex, bytes])


def is_constant(obj) -> bool:
    t = type(obj)
    if t in _CONST_TYPES:
        return True
    if t is tuple:
        return all(is_constant(o) for o in obj)
    # enum members: singletons whose .name/.value never change (guarded by identity);
    # by type, not isinstance: a class's own __class__ is not asked
    return issubclass(t, (np.generic, np.dtype, enum.Enum))


def _value_guardable(obj) -> bool:
    t = type(obj)
    if t in _VALUE_GUARD_TYPES or issubclass(t, (np.generic, np.dtype)):
        return True
    return t is tuple and all(_value_guardable(o) for o in obj)


def guard_constant(tx, v: ConstVal):
    if v.source is None:
        return
    if v.dynamic:
        return dynamic.specialize(tx, v)
    if type(v.value) is range and type(v.source) is not ConstSource:
        return dyn_ranges.guard_range(tx, v)
    kind = GuardKind.VALUE if _value_guardable(v.value) else GuardKind.ID
    tx.add_guard(kind, v.source, v.value)


def _input_name(source) -> str:
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in str(source)).strip("_")
    return text or "input"


def _wrap_numpy_scalar(tx, obj, source):
    """A NumPy scalar that reaches the frame (an argument, a value carried across a graph
    break by a resume function, a global) is an array value like a 0-d array: a graph
    input, so branching on it is a data-dependent break exactly as it was before the
    break, and a new value does not recompile."""
    tx.add_guard(GuardKind.TYPE, source, type(obj))
    node = tx.builder.add_input(Meta((), obj.dtype, True), name=_input_name(source))
    tx.input_sources.append(source)
    tx.example_inputs.append(obj)
    return ArrayVal(node, source)


_NUMPY_SCALAR_TYPES = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                       np.uint32, np.uint64, np.float16, np.float32, np.float64,
                       np.complex64, np.complex128)


def _wrap_array(tx, obj, source):
    tx.add_guard(GuardKind.ARRAY, source, ArrayExpect(obj.dtype, obj.shape))
    node = tx.builder.add_input(Meta(tuple(obj.shape), obj.dtype, False),
                                name=_input_name(source))
    tx.input_sources.append(source)
    tx.example_inputs.append(obj)
    return ArrayVal(node, source)


def _wrap_list(tx, obj, source):
    tx.add_guard(GuardKind.TYPE, source, list)

    def entry_len():
        tx.add_guard(GuardKind.LEN, source, len(obj))
        return len(obj)

    def load():   # on the first look at the items: then the length is guarded
        entry_len()
        return [wrap(tx, o, ItemSource(source, i)) for i, o in enumerate(obj)]
    val = ListVal((), source, load=load, entry_len=entry_len, entry=obj)
    _remember(tx, obj, val)
    return val


def _wrap_tuple(tx, obj, source):
    """A tuple of constants is a constant; any other is lazy: its items are wrapped when
    the trace first looks at them (an item at a dynamic position is then read alone,
    trace/dyn_items.py)."""
    if is_constant(obj):
        return ConstVal(obj, source)
    tx.add_guard(GuardKind.TYPE, source, tuple)
    tx.add_guard(GuardKind.LEN, source, len(obj))

    def load():
        return [wrap(tx, o, ItemSource(source, i)) for i, o in enumerate(obj)]
    return TupleVal((), source, load=load, entry=obj)


def _wrap_dict(tx, obj, source):
    if not all(is_constant(k) for k in obj):
        return OpaqueVal(obj, source)
    tx.add_guard(GuardKind.TYPE, source, dict)
    tx.add_guard(GuardKind.KEYS, source, tuple(obj))
    val = DictVal({}, source)
    _remember(tx, obj, val)
    val.items = {k: wrap(tx, o, ItemSource(source, k)) for k, o in obj.items()}
    return val


def _wrap_identity(make):
    def wrapper(tx, obj, source):
        tx.add_guard(GuardKind.ID, source, obj)
        return make(obj, source)
    return wrapper


def _wrap_partial(tx, obj, source):
    tx.add_guard(GuardKind.TYPE, source, functools.partial)
    func = wrap(tx, obj.func, AttrSource(source, "func"))
    args = wrap(tx, obj.args, AttrSource(source, "args"))
    kw = wrap(tx, obj.keywords, AttrSource(source, "keywords"))
    return PartialVal(func, _items(args), kw.items if isinstance(kw, DictVal) else {}, source)


def _items(v):
    return [ConstVal(o) for o in v.value] if isinstance(v, ConstVal) else list(v.items)


def _wrap_method(tx, obj, source):
    tx.add_guard(GuardKind.TYPE, source, types.MethodType)
    func = wrap(tx, obj.__func__, AttrSource(source, "__func__"))
    self_val = wrap(tx, obj.__self__, AttrSource(source, "__self__"))
    return MethodVal(func, self_val, source)


_CONTAINER_METHOD_OWNERS = (list, dict)


def _wrap_builtin(tx, obj, source):
    """A builtin: by identity, except a method bound to a list or dict (``log.append``
    loaded before a graph break reaches the resume function as a value): that is the
    container's method, so calls are recorded as side effects on the container. A
    method bound to an object the tracer cannot model (``dq.append`` of a deque, ``g.send``
    of a generator made on every call) is opaque like its owner: guarded by type and
    name, not identity, so a resume function it reaches does not recompile per call
    (using it is a break; needing the very object guards its identity then)."""
    owner = getattr(obj, "__self__", None)
    if type(owner) in _CONTAINER_METHOD_OWNERS:
        tx.add_guard(GuardKind.TYPE, source, types.BuiltinMethodType)
        tx.add_guard(GuardKind.VALUE, AttrSource(source, "__name__"), obj.__name__)
        return BuiltinMethodVal(wrap(tx, owner, AttrSource(source, "__self__")), obj.__name__)
    if source is not None and type(source) is not ConstSource and _opaque_owner(owner):
        tx.add_guard(GuardKind.TYPE, source, types.BuiltinMethodType)
        tx.add_guard(GuardKind.TYPE, AttrSource(source, "__self__"), type(owner))
        tx.add_guard(GuardKind.VALUE, AttrSource(source, "__name__"), obj.__name__)
        return OpaqueVal(obj, source)
    return _wrap_other(tx, obj, source)


def _opaque_owner(owner) -> bool:
    """``owner`` would be an OpaqueVal itself: no rule of the tracer knows its methods
    (modules, classes, NumPy objects, framejit's markers and constants all have some)."""
    cls = type(owner)
    return not (cls in _WRAPPERS or is_constant(owner) or callable(owner)
                or issubclass(cls, (types.ModuleType, type, BaseException))
                or cls.__module__.partition(".")[0] in ("numpy", "framejit")
                or markers.classify(owner) is not None or is_plain_class(cls))


def _wrap_mode_context(tx, obj, source):
    # By kind and flag, not identity: ``with error_on_graph_break(False):`` makes a new
    # object per call, and resume functions receive it (its bound ``__exit__``).
    tx.add_guard(GuardKind.TYPE, source, type(obj))
    tx.add_guard(GuardKind.VALUE, AttrSource(source, "kind"), obj.kind)
    tx.add_guard(GuardKind.VALUE, AttrSource(source, "flag"), obj.flag)
    return ModeCtxVal(obj.kind, obj.flag, obj, source)


def _wrap_cell(tx, obj, source):
    """A closure cell passed as a value (resume chains pass inner frames' cells)."""
    tx.add_guard(GuardKind.TYPE, source, types.CellType)
    known = tx.known_cell(obj)
    if known is not None:   # the same cell reached another way (no guard path for cells)
        return known
    return tx.remember_cell(obj, CellVal(None, AttrSource(source, "cell_contents")))


def _wrap_function(tx, fn, source):
    """A user function by identity; a plain closure (cells, no attributes of its own) by
    what calling it depends on: its code, globals and the shape of its defaults. A
    closure made afresh on every call of the frame (``def scale(a): return a * k``)
    then does not recompile a resume function it is passed to; what the trace reads of
    its cells and defaults is guarded through their sources, and a use that needs the
    very object (``python_value``) adds the ID guard then."""
    if is_library_code(fn.__code__):
        from .sites import INLINED
        tx.add_guard(GuardKind.ID, source, fn)
        if fn.__code__ in INLINED:      # a resume chain's helper: traced like user code
            return FunctionVal(fn, source)
        return ConstVal(fn, source)
    if fn.__closure__ is None or fn.__dict__ or type(source) is ConstSource:
        tx.add_guard(GuardKind.ID, source, fn)
        return FunctionVal(fn, source)
    tx.add_guard(GuardKind.TYPE, source, types.FunctionType)
    tx.add_guard(GuardKind.ID, AttrSource(source, "__code__"), fn.__code__)
    tx.add_guard(GuardKind.ID, AttrSource(source, "__globals__"), fn.__globals__)
    for name in ("__defaults__", "__kwdefaults__"):
        attr = AttrSource(source, name)
        value = getattr(fn, name)
        tx.add_guard(GuardKind.TYPE, attr, type(value))
        if value is not None:
            tx.add_guard(GuardKind.KEYS if type(value) is dict else GuardKind.LEN, attr,
                         tuple(value) if type(value) is dict else len(value))
    return FunctionVal(fn, source, by_identity=False)


def _wrap_super(tx, obj, source):
    """A ``super()`` object made before a graph break (a resume function receives it)."""
    tx.add_guard(GuardKind.TYPE, source, super)
    tx.add_guard(GuardKind.ID, AttrSource(source, "__thisclass__"), obj.__thisclass__)
    return SuperVal(obj.__thisclass__, wrap(tx, obj.__self__, AttrSource(source, "__self__")))


_WRAPPERS = {
    np.ndarray: _wrap_array,
    list: _wrap_list,
    tuple: _wrap_tuple,
    dict: _wrap_dict,
    types.FunctionType: lambda tx, fn, source: _wrap_function(tx, fn, source),
    types.ModuleType: _wrap_identity(ModuleVal),
    functools.partial: _wrap_partial,
    types.MethodType: _wrap_method,
    types.CellType: _wrap_cell,
    types.BuiltinMethodType: _wrap_builtin,
    super: _wrap_super,
    range: dyn_ranges.wrap_range,         # its bounds may become dynamic
    # a loop resumed after a break: its position is dynamic from the start (the loop
    # comes back at the next position), trace/resumed_iter.py
    SeqCursor: resumed_iter.wrap_seq_cursor,
    EnumerateCursor: resumed_iter.wrap_enumerate_cursor,
    ZipCursor: resumed_iter.wrap_zip_cursor,
    MapCursor: resumed_iter.wrap_map_cursor,
    FilterCursor: resumed_iter.wrap_filter_cursor,
    **{t: _wrap_numpy_scalar for t in _NUMPY_SCALAR_TYPES},
}


# wrapped once per trace by identity besides lists and dicts (their wrappers remember)
_REMEMBERED = frozenset([np.ndarray, SeqCursor, EnumerateCursor, ZipCursor, MapCursor,
                         FilterCursor])


def _remember(tx, obj, val):
    tx.wrapped[id(obj)] = (obj, val)


def _library_prefixes():
    paths = sysconfig.get_paths()
    dirs = {os.path.dirname(os.path.dirname(__file__)), os.path.dirname(np.__file__)}
    dirs.update(paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths)
    dirs.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(os.path.realpath(d) + os.sep for d in dirs)


_LIBRARY_PREFIXES = _library_prefixes()
_library_verdicts: dict = {}


def is_library_code(code) -> bool:
    """Code of NumPy, framejit, the standard library or site-packages: never inlined."""
    return is_library_path(code.co_filename)


def is_library_path(name) -> bool:
    """A file of NumPy, framejit, the standard library or site-packages (or frozen)."""
    verdict = _library_verdicts.get(name)
    if verdict is None:
        verdict = name.startswith("<frozen") or (not name.startswith("<") and os.path.realpath(
            name).startswith(_LIBRARY_PREFIXES))
        _library_verdicts[name] = verdict
    return verdict


# Weakly keyed: a verdict must not keep a user's class alive.
_plain_cache = weakref.WeakKeyDictionary()


def is_readable_class(cls) -> bool:
    """A user class whose instances are read like attribute bags with methods. Its own
    ``__setattr__``/``__delattr__`` (``dataclass(frozen=True)``) are allowed: a store or
    delete is then a break (attrs.set_attr)."""
    hit = _plain_cache.get(cls)
    if hit is None:
        hit = (type(cls) in (type,) or type(cls).__module__ == "abc") and (
            cls.__getattribute__ is object.__getattribute__
            and cls.__module__ not in ("builtins",)
            and not issubclass(cls, (BaseException, np.ndarray, np.generic))
            and "__slots__" not in vars(cls)
            and cls.__new__ is object.__new__)
        _plain_cache[cls] = hit
    return hit


def is_plain_class(cls) -> bool:
    """A readable class that is also written like an attribute bag (traced stores,
    instances the trace builds)."""
    return (is_readable_class(cls) and cls.__setattr__ is object.__setattr__
            and cls.__delattr__ is object.__delattr__)


def _wrap_exception(tx, obj, source):
    """A real exception (a resumed handler's): by type; identity kept through its source."""
    tx.add_guard(GuardKind.TYPE, source, type(obj))
    val = ExceptionVal(type(obj), (), obj=obj, source=source)
    _remember(tx, obj, val)
    return val


def _wrap_other(tx, obj, source):
    if is_constant(obj):
        return ConstVal(obj, source)
    if issubclass(type(obj), BaseException):
        return _wrap_exception(tx, obj, source)
    marker = markers.classify(obj)
    if marker is markers.Marker.MODE_CONTEXT:
        return _wrap_mode_context(tx, obj, source)
    cls = type(obj)
    if marker is None and is_readable_class(cls) and hasattr(obj, "__dict__"):
        tx.add_guard(GuardKind.TYPE, source, cls)
        val = ClassInstanceVal(cls, obj, source)
        _remember(tx, obj, val)
        return val
    if marker is not None or callable(obj):
        tx.add_guard(GuardKind.ID, source, obj)
        return ConstVal(obj, source)
    return OpaqueVal(obj, source)


def wrap(tx, obj, source=None):
    """The Value for ``obj`` reached through ``source`` (None: a trusted constant)."""
    if source is None:
        source = ConstSource(obj) if not is_constant(obj) else None
        if source is None:
            return ConstVal(obj)
    if tx.dynamic and source in tx.dynamic:
        if type(obj) is int or type(obj) is float:
            return dynamic.wrap_number(tx, obj, source)
    seen = tx.wrapped.get(id(obj))
    if seen is not None and seen[0] is obj:
        if seen[1].source != source:
            tx.add_guard(GuardKind.ALIAS, source, seen[1].source)
        return seen[1]
    val = _WRAPPERS.get(type(obj), _wrap_other)(tx, obj, source)
    if type(obj) in _REMEMBERED:
        _remember(tx, obj, val)
    return val


# ---------------------------------------------------------------- values -> Python


def _tuple_value(tx, v):
    return tuple(tx.pyval(i) for i in v.items)


def _list_value(tx, v):
    return [tx.pyval(i) for i in v.items]


def _array_value(tx, v):
    tx.graph_break(BreakKind.DATA_DEPENDENT,
                   f"the value of array {v.node.name} ({v.meta}) is needed as a Python value")


def _opaque_value(tx, v):
    """The object itself, guarded by identity. The trace folds what it needs of it
    (``len``, ``str``, a format), so an object that can change between calls under the
    same identity (a global set, deque, bytearray, StringIO) is a break instead: only
    objects hashable by value (immutable by Python's convention) are folded."""
    if v.source is not None:
        if not _value_like(type(v.obj)):
            tx.unsupported(f"a mutable {type(v.obj).__qualname__} object is needed as a "
                           "plain Python value (its contents may change between calls)")
        tx.add_guard(GuardKind.ID, v.source, v.obj)
    return v.obj


def _value_like(cls) -> bool:
    """Instances compare and hash by value: immutable by convention (frozenset, Enum
    members, datetime, Decimal, re.Pattern), so a fold of their contents stays valid.
    framejit's own objects (a resume chain's GlobalsRef) are used by identity only."""
    return (cls.__hash__ not in (None, object.__hash__) and cls.__eq__ is not object.__eq__
            or cls.__module__.partition(".")[0] == "framejit")


def _function_value(tx, v):
    if not v.by_identity and v.source is not None:
        v.by_identity = True
        tx.add_guard(GuardKind.ID, v.source, v.fn)
    return v.fn


_PYTHON_VALUE = {
    TupleVal: _tuple_value,
    ListVal: _list_value,
    ArrayVal: _array_value,
    ModuleVal: lambda tx, v: v.module,
    FunctionVal: _function_value,
    OpaqueVal: _opaque_value,
    ModeCtxVal: lambda tx, v: v.obj,
}


def python_value(tx, v):
    rule = _PYTHON_VALUE.get(type(v))
    if rule is None:
        tx.unsupported(f"a {type(v).__name__} is needed as a plain Python value")
    return rule(tx, v)


# ---------------------------------------------------------------- values -> node arguments


def _const_arg(tx, v):
    return tx.pyval(v)


_NODE_ARG = {
    ArrayVal: lambda tx, v: v.node,
    ConstVal: _const_arg,
    TupleVal: lambda tx, v: tuple(node_arg(tx, i) for i in v.items),
    ListVal: lambda tx, v: [node_arg(tx, i) for i in v.items],
}


def node_arg(tx, v):
    """The graph-argument form of a value: Nodes for arrays, Python constants otherwise."""
    rule = _NODE_ARG.get(type(v))
    if rule is None:
        tx.unsupported(f"a {type(v).__name__} cannot be passed to a NumPy operation",
                       BreakKind.UNSUPPORTED_CALL)
    return rule(tx, v)


def has_array(v) -> bool:
    t = type(v)
    if t is ArrayVal:
        return True
    if t is TupleVal or t is ListVal:
        return any(has_array(i) for i in v.items)
    return False
