"""Attribute access and container methods on symbolic values.

``get_attr`` / ``set_attr`` / ``del_attr`` dispatch on ``type(value)`` through tables:
arrays answer shape/dtype/ndim/size from meta and become ops for ``T``/``real``/``imag``;
modules give their attributes (trusted library modules without guards, user modules
guarded through ``AttrSource``); plain-class instances resolve instance attributes, then
the class MRO (functions bind, properties are inlined, static/class methods unwrap);
containers expose their methods as ``BuiltinMethodVal``. Stores on pre-existing objects
record side effects; stores on objects made while tracing just update the value (the
object is rebuilt with its final state).

``container_method`` implements list/dict/tuple methods; ``list_mutate`` /
``dict_mutate`` apply a mutation and record it when the container existed before the
trace.
"""
from __future__ import annotations

import enum
import functools
import inspect
import operator
import types

import numpy as np

from . import markers, numpy_rules as npr
from .breaks import BreakKind
from .guards import GuardKind
from .sources import AttrSource
from .tracer import UserRaise
from .values import (ArrayVal, BuiltinMethodVal, ClassInstanceVal, ClosureVal, ConstVal, DictVal,
                     EnumerateVal, ExceptionVal, FilterVal, FunctionVal, GenVal, IteratorVal,
                     ListVal, MapVal, MethodVal, ModeCtxVal, ModuleVal, OpaqueVal, PartialVal,
                     SetVal, SuperVal, TupleVal, ZipVal)

TRUSTED_MODULES = frozenset(["numpy", "math", "cmath", "builtins", "functools", "operator",
                             "itertools", "collections", "typing", "framejit"])

_TYPES = {
    ConstVal: lambda v: type(v.value),
    ArrayVal: lambda v: v.meta.dtype.type if v.meta.scalar else np.ndarray,
    TupleVal: lambda v: tuple,
    ListVal: lambda v: list,
    DictVal: lambda v: dict,
    SetVal: lambda v: set,
    GenVal: lambda v: types.GeneratorType,
    FunctionVal: lambda v: type(v.fn),
    ClosureVal: lambda v: types.FunctionType,
    MethodVal: lambda v: types.MethodType,
    ModuleVal: lambda v: types.ModuleType,
    ClassInstanceVal: lambda v: v.cls,
    OpaqueVal: lambda v: type(v.obj),
    ExceptionVal: lambda v: v.cls,
    PartialVal: lambda v: functools.partial,
    IteratorVal: lambda v: type(iter(())),
    EnumerateVal: lambda v: enumerate,
    ZipVal: lambda v: zip,
    MapVal: lambda v: map,
    FilterVal: lambda v: filter,
    BuiltinMethodVal: lambda v: types.BuiltinMethodType,
}


def value_type(v) -> type:
    rule = _TYPES.get(type(v))
    return rule(v) if rule is not None else object


def traced_type(tx, v) -> type:
    """``type(v)`` for a decision of the trace: a constant reached through a source and
    not yet guarded by value is guarded by type (``type(item)``, ``isinstance(item, float)``
    must not reuse an entry for an item of another type)."""
    if type(v) is ConstVal and v.source is not None and not v.guarded and not v.dynamic:
        tx.add_guard(GuardKind.TYPE, v.source, type(v.value))
    return value_type(v)


_HEAPTYPE = 1 << 9


def tp_name(cls) -> str:
    """What CPython's messages call a type: ``tp_name`` (module-qualified for C types)."""
    if cls.__flags__ & _HEAPTYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def _no_attr(tx, v, name):
    tx.raise_type(AttributeError, f"'{tp_name(value_type(v))}' object has no attribute '{name}'")


# ---------------------------------------------------------------- get


def _array_attr(tx, v, name):
    static = npr.STATIC_ATTRS.get(name)
    if static is not None:
        return ConstVal(static(v.meta))
    op = npr.OP_ATTRS.get(name)
    if op is not None:
        return tx.add_node(op[0], (v.node, *op[1]))
    if callable(getattr(np.ndarray, name, None)):
        return BuiltinMethodVal(v, name)
    if hasattr(np.ndarray, name):
        tx.unsupported(f"array attribute .{name} (memory layout) is not modelled")
    return _no_attr(tx, v, name)


def _module_attr(tx, v, name):
    try:
        obj = getattr(v.module, name)
    except AttributeError as exc:
        tx.raise_python(exc)
    trusted = v.module.__name__.split(".")[0] in TRUSTED_MODULES
    source = None if trusted or v.source is None else AttrSource(v.source, name)
    return tx.wrap(obj, source)


def _const_attr(tx, v, name):
    value = v.value
    if isinstance(value, type) and value.__module__ not in ("builtins",) and not issubclass(
            value, (np.generic, BaseException)):
        found = class_attr(tx, value, None, name, v.source)
        if found is not None:
            return found
        # not in any class dict: a type slot (``np.ndarray.__name__``), read below
    if isinstance(value, enum.Enum):
        raw = inspect.getattr_static(type(value), name, None)
        if type(raw) is types.FunctionType:
            return MethodVal(FunctionVal(raw), v)     # a method of the enum's class
    attr = tx.fold(getattr, value, name)
    if callable(attr) and not isinstance(attr, type):
        return BuiltinMethodVal(v, name)
    return ConstVal(attr) if v.source is None else tx.wrap(attr, AttrSource(v.source, name))


def class_attr(tx, cls, inst, name, source, after=None):
    """``name`` looked up on ``cls``'s MRO (past ``after`` for super()), bound to ``inst``."""
    mro = cls.__mro__
    if after is not None:
        mro = mro[mro.index(after) + 1:]
    for klass in mro:
        if name in vars(klass):
            raw = vars(klass)[name]
            break
    else:
        return None
    rule = _DESCRIPTORS.get(type(raw))
    if rule is not None:
        return rule(tx, cls, inst, raw)
    if inst is not None and markers.classify(raw) in _BINDING_WRAPPERS:
        # a method decorated by compile / a mode / disable: the wrapper's __get__ binds
        # it as a function would, and calling it pushes its mode around the inlined body
        return MethodVal(tx.wrap(raw), inst)
    attr_source = AttrSource(source, name) if source is not None else None
    return tx.wrap(getattr(cls, name), attr_source)


_BINDING_WRAPPERS = frozenset([markers.Marker.MODE_DECORATED, markers.Marker.COMPILED,
                               markers.Marker.DISABLED])


_DESCRIPTORS = {
    types.FunctionType: lambda tx, cls, inst, raw: (
        MethodVal(FunctionVal(raw), inst) if inst is not None else FunctionVal(raw)),
    staticmethod: lambda tx, cls, inst, raw: tx.wrap(raw.__func__),
    classmethod: lambda tx, cls, inst, raw: MethodVal(tx.wrap(raw.__func__), ConstVal(cls)),
    property: lambda tx, cls, inst, raw: (
        tx.call(tx.wrap(raw.fget), [inst]) if inst is not None else tx.wrap(raw)),
}


def _instance_attr(tx, v, name):
    if name in v.attrs:
        return v.attrs[name]
    if name == "__dict__":      # the instance's live namespace: not modelled
        tx.unsupported(f"the __dict__ of a {v.cls.__qualname__} instance")
    if name == "__class__":
        return ConstVal(v.cls)
    if name not in v.deleted and v.obj is not None and name in v.obj.__dict__ and not (
            _is_data_descriptor(v.cls, name)):
        val = tx.wrap(v.obj.__dict__[name], AttrSource(v.source, name) if v.source else None)
        v.attrs[name] = val
        return val
    try:
        found = class_attr(tx, v.cls, v, name, v.source)
    except UserRaise as exc:
        # a property that raises AttributeError falls back to __getattr__, as in CPython
        if not (issubclass(exc.exc.cls, AttributeError) and hasattr(v.cls, "__getattr__")):
            raise
        found = None
    if found is not None:
        return found
    if hasattr(v.cls, "__getattr__"):
        return tx.call(class_attr(tx, v.cls, v, "__getattr__", None), [ConstVal(name)])
    return _no_attr(tx, v, name)


def _is_data_descriptor(cls, name):
    raw = getattr(cls, name, None)
    return isinstance(raw, property)


def lookup_special(tx, inst, name):
    """A dunder method of a plain-class instance's class, bound, or None."""
    return class_attr(tx, inst.cls, inst, name, None)


def _method_holder(tx, v, name):
    if callable(getattr(value_type(v), name, None)):
        return BuiltinMethodVal(v, name)
    return _no_attr(tx, v, name)


def _function_attr(tx, v, name):
    return tx.wrap(tx.fold(getattr, v.fn, name),
                   AttrSource(v.source, name) if v.source is not None else None)


_DATA_SLOTS = (types.GetSetDescriptorType, types.MemberDescriptorType)
_METHOD_TYPES = (types.FunctionType, types.MethodDescriptorType, types.BuiltinFunctionType)
_NO_ATTR = object()


def _exception_attr(tx, v, name):
    if v.obj is not None:
        return _real_exception_attr(tx, v, name)
    if name == "args":
        return TupleVal(v.args)
    return _no_attr(tx, v, name)


def _real_exception_attr(tx, v, name):
    """An attribute of a real exception (one a break raised, a resumed handler's). Data
    attributes are read through its source: ``__context__``, ``__cause__``,
    ``__traceback__``, ``args``, a group's ``exceptions``, a user exception's own fields.
    A method of its class is bound at run time (calling it is a break: it runs in
    Python); computed attributes (properties, ``__getattr__``) are not modelled."""
    found = inspect.getattr_static(v.obj, name, _NO_ATTR)
    if found is _NO_ATTR and not hasattr(type(v.obj), "__getattr__"):
        return _no_attr(tx, v, name)
    if found is not _NO_ATTR and type(found) in _METHOD_TYPES and name not in vars(v.obj):
        return BuiltinMethodVal(v, name)
    if found is _NO_ATTR or (hasattr(type(found), "__get__")
                             and type(found) not in _DATA_SLOTS):
        tx.unsupported(f"attribute .{name} of a {v.cls.__qualname__} exception")
    return tx.wrap(getattr(v.obj, name), AttrSource(v.source, name))


def _opaque_attr(tx, v, name):
    tx.unsupported(f"attribute .{name} of an opaque {type(v.obj).__qualname__} object")


def _super_attr(tx, v, name):
    owner = v.obj
    if type(owner) is ConstVal and isinstance(owner.value, type):
        # super() in a classmethod (super(C, cls)): the lookup runs on cls's own MRO and
        # binds to cls as a class attribute access would (classmethods get cls)
        cls, inst = tx.pyval(owner), None
    else:
        cls, inst = value_type(owner), owner
    if v.cls not in cls.__mro__:
        tx.raise_type(TypeError, "super(type, obj): obj must be an instance or subtype of type")
    found = class_attr(tx, cls, inst, name, None, after=v.cls)
    if found is None:
        tx.raise_type(AttributeError, f"'super' object has no attribute '{name}'")
    return found


_GET = {
    SuperVal: _super_attr,
    ArrayVal: _array_attr,
    ModuleVal: _module_attr,
    ConstVal: _const_attr,
    ClassInstanceVal: _instance_attr,
    TupleVal: _method_holder,
    ListVal: _method_holder,
    DictVal: _method_holder,
    SetVal: _method_holder,
    FunctionVal: _function_attr,
    ExceptionVal: _exception_attr,
    OpaqueVal: _opaque_attr,
    MethodVal: lambda tx, v, name: (v.self_val if name == "__self__" else
                                    v.func if name == "__func__" else _no_attr(tx, v, name)),
    ModeCtxVal: lambda tx, v, name: ConstVal(getattr(v, name)) if name in ("kind", "flag")
    else _no_attr(tx, v, name),
}


def get_attr(tx, v, name: str):
    rule = _GET.get(type(v))
    if rule is None:
        tx.unsupported(f"attribute .{name} of a {type(v).__name__}")
    return rule(tx, v, name)


# ---------------------------------------------------------------- set / delete


def _own_setter(cls, slot):
    return getattr(cls, slot) is not getattr(object, slot)


def set_attr(tx, v, name, value):
    if type(v) is not ClassInstanceVal:
        tx.unsupported(f"setting attribute .{name} on a {value_type(v).__name__}")
    if _own_setter(v.cls, "__setattr__"):       # a frozen dataclass's raises: run it
        tx.unsupported(f"setting attribute .{name} of a {v.cls.__qualname__} (its class "
                       "has its own __setattr__)")
    if isinstance(getattr(v.cls, name, None), property):
        tx.unsupported(f"setting property .{name}")
    v.attrs[name] = value
    v.deleted.discard(name)
    if v.source is not None:
        tx.record("setattr", v, name, (value,))


def del_attr(tx, v, name):
    if type(v) is not ClassInstanceVal:
        tx.unsupported(f"deleting attribute .{name} of a {value_type(v).__name__}")
    if _own_setter(v.cls, "__delattr__"):
        tx.unsupported(f"deleting attribute .{name} of a {v.cls.__qualname__} (its class "
                       "has its own __delattr__)")
    present = name in v.attrs or (v.obj is not None and name in v.obj.__dict__
                                  and name not in v.deleted)
    if not present:
        return _no_attr(tx, v, name)
    v.attrs.pop(name, None)
    v.deleted.add(name)
    if v.source is not None:
        tx.record("delattr", v, name)


# ---------------------------------------------------------------- container methods


def list_mutate(tx, lst, name, args, new_items):
    lst.items = list(new_items)
    lst.mutated = True
    if lst.source is not None and name is not None:
        tx.record("call_method", lst, name, args)


def dict_mutate(tx, d, name, args, new_items):
    d.items = dict(new_items)
    d.mutated = True
    if d.source is not None and name is not None:
        tx.record("call_method", d, name, args)


def _index_of(tx, items, x):
    from .operators import binary, is_same, truthy
    for i, item in enumerate(items):
        if is_same(tx, item, x) or truthy(tx, binary(tx, "==", item, x)):
            return i
    return -1


def list_append(tx, lst, args):
    if lst.loaded:
        return list_mutate(tx, lst, "append", args, lst.items + [args[0]])
    lst.append(args[0])     # a lazy list stays unread (no LEN guard)
    lst.mutated = True
    if lst.source is not None:
        tx.record("call_method", lst, "append", args)


def list_extend(tx, lst, args):
    new = _iter_items(tx, args[0])      # first: ``l.extend(l)`` reads the items
    if lst.loaded:
        return list_mutate(tx, lst, "extend", args, lst.items + new)
    for item in new:        # a lazy list stays unread (no LEN guard), as for append
        lst.append(item)
    lst.mutated = True
    if lst.source is not None:
        tx.record("call_method", lst, "extend", args)


def _list_pop(tx, lst, args):
    i = tx.pyval(args[0]) if args else -1
    if not lst.items:
        tx.raise_type(IndexError, "pop from empty list")
    items = list(lst.items)
    try:
        out = items.pop(i)
    except IndexError:
        tx.raise_type(IndexError, "pop index out of range")
    list_mutate(tx, lst, "pop", args, items)
    return out


def _list_remove(tx, lst, args):
    i = _index_of(tx, lst.items, args[0])
    if i < 0:
        tx.raise_type(ValueError, "list.remove(x): x not in list")
    items = list(lst.items)
    del items[i]
    list_mutate(tx, lst, "remove", args, items)
    return ConstVal(None)


def _list_insert(tx, lst, args):
    items = list(lst.items)
    items.insert(tx.fold(operator.index, tx.pyval(args[0])), args[1])
    list_mutate(tx, lst, "insert", args, items)
    return ConstVal(None)


def _seq_index(tx, seq, args):
    i = _index_of(tx, seq.items, args[0])
    if i < 0:
        # CPython: list.index says "<repr> is not in list", tuple.index a fixed text
        text = (f"{tx.fold(repr, tx.pyval(args[0]))} is not in list"
                if value_type(seq) is list and type(args[0]) is ConstVal else
                "tuple.index(x): x not in tuple" if value_type(seq) is tuple else
                "list.index(x): x not in list")
        tx.raise_type(ValueError, text)
    return ConstVal(i)


def _iter_items(tx, v):
    from .iteration import unpack
    return unpack(tx, v)


def _dict_get(tx, d, args):
    key = tx.key(args[0])
    return d.items.get(key, args[1] if len(args) > 1 else ConstVal(None))


def _dict_pop(tx, d, args):
    if not d.items:         # CPython: an empty dict's pop does not hash the key
        if len(args) > 1:
            return args[1]
        tx.raise_type(KeyError, tx.pyval(args[0]))
    key = tx.key(args[0])
    if key not in d.items:
        if len(args) > 1:
            return args[1]
        tx.raise_type(KeyError, key)
    items = dict(d.items)
    out = items.pop(key)
    dict_mutate(tx, d, "pop", args, items)
    return out


def _dict_update(tx, d, args, kwargs=None):
    items = dict(d.items)
    if args:
        other = args[0]
        pairs = other.items.items() if type(other) is DictVal else [
            (tx.key(k), v) for k, v in (_iter_items(tx, p) for p in _iter_items(tx, other))]
        items.update(pairs)
        dict_mutate(tx, d, "update", args, items)
    if kwargs:                               # d.update(other, k=v): the keywords last
        items.update(kwargs)
        dict_mutate(tx, d, "update", (DictVal(kwargs),), items)
    return ConstVal(None)


def _dict_setdefault(tx, d, args):
    key = tx.key(args[0])
    if key in d.items:
        return d.items[key]
    default = args[1] if len(args) > 1 else ConstVal(None)
    dict_mutate(tx, d, "setdefault", args, {**d.items, key: default})
    return default


def _seq_getitem(tx, seq, args):
    from .subscript import get_item
    return get_item(tx, seq, args[0])


_LIST_METHODS = {
    "append": list_append,
    "extend": list_extend,
    "insert": _list_insert,
    "pop": _list_pop,
    "remove": _list_remove,
    "clear": lambda tx, l, a: list_mutate(tx, l, "clear", a, []),
    "reverse": lambda tx, l, a: list_mutate(tx, l, "reverse", a, l.items[::-1]),
    "copy": lambda tx, l, a: ListVal(l.items),
    "index": _seq_index,
    "count": lambda tx, l, a: ConstVal(sum(1 for i in l.items if _index_of(tx, [i], a[0]) == 0)),
}
_LIST_METHODS["__getitem__"] = _seq_getitem
_TUPLE_METHODS = {"index": _seq_index, "count": _LIST_METHODS["count"],
                  "__getitem__": _seq_getitem}
_DICT_METHODS = {
    "get": _dict_get,
    "keys": lambda tx, d, a: TupleVal([ConstVal(k) for k in d.items]),
    "values": lambda tx, d, a: TupleVal(list(d.items.values())),
    "items": lambda tx, d, a: TupleVal([TupleVal([ConstVal(k), v]) for k, v in d.items.items()]),
    "pop": _dict_pop,
    "update": _dict_update,
    "setdefault": _dict_setdefault,
    "copy": lambda tx, d, a: DictVal(d.items),
    "clear": lambda tx, d, a: dict_mutate(tx, d, "clear", a, {}),
}
CONTAINER_METHODS = {ListVal: _LIST_METHODS, TupleVal: _TUPLE_METHODS, DictVal: _DICT_METHODS}


def _list_sort(tx, lst, args, kwargs):
    """``lst.sort(*, key=None, reverse=False)``: every key first, in order, then one stable
    sort on their values (keys must be values known while tracing); a list from outside
    the trace gets its new order by a slice store (the key is not called again)."""
    if args or set(kwargs) - {"key", "reverse"}:
        tx.raise_type(TypeError, "sort() takes no positional arguments" if args else
                      f"'{next(iter(set(kwargs) - {'key', 'reverse'}))}' is an invalid "
                      "keyword argument for sort()")
    key = kwargs.get("key")
    reverse = bool(tx.pyval(kwargs["reverse"])) if "reverse" in kwargs else False
    items = list(lst.items)
    keys = items if key is None or (type(key) is ConstVal and key.value is None) else [
        tx.call(key, [item]) for item in items]
    values = [tx.pyval(k) for k in keys]
    order = tx.fold(lambda vs: sorted(range(len(vs)), key=vs.__getitem__, reverse=reverse),
                    values)
    new = [items[i] for i in order]
    list_mutate(tx, lst, "__setitem__", (ConstVal(slice(None)), TupleVal(new)), new)
    return ConstVal(None)


def container_method(tx, obj, name, args, kwargs):
    if type(obj) is SetVal and not kwargs:
        from .sets import call_method
        return call_method(tx, obj, name, args)
    if type(obj) is ListVal and name == "sort":
        return _list_sort(tx, obj, args, kwargs)
    if type(obj) is DictVal and name == "update" and kwargs:
        return _dict_update(tx, obj, args, kwargs)
    table = CONTAINER_METHODS.get(type(obj), {})
    rule = table.get(name)
    if rule is None or kwargs:
        tx.unsupported(f"{value_type(obj).__name__}.{name}() with these arguments",
                       BreakKind.UNSUPPORTED_CALL)
    result = rule(tx, obj, args)
    return ConstVal(None) if result is None else result
