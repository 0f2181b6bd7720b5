"""Symbolic values: what the tracer keeps on its value stack and in locals.

Every value may carry a ``source`` (trace/sources.py) saying how to load it from the
frame's entry state; values created while tracing have none and are rebuilt from their
parts (graph outputs, constants, fresh containers). Values are small classes with
``__slots__``; behaviour lives in rule tables keyed by ``type(value)`` (operators,
attributes, calls, iteration), not here.

- ArrayVal: an array (or NumPy scalar, ``meta.scalar``) that is a graph Node.
- ConstVal: a Python value known while tracing (int, float, str, None, tuples of them,
  NumPy scalars, dtypes, types, builtin and NumPy callables, ranges, slices). Reading
  ``.value`` for a decision goes through ``Tracer.pyval`` so that the VALUE/ID guard is
  installed only when the trace really depended on it.
- TupleVal / ListVal / DictVal: containers of values (lists/dicts are mutable; a
  sourced one mutated while tracing records side effects; sourced lists and tuples are
  lazy: their items are wrapped when first looked at).
- FunctionVal (a real Python function), ClosureVal (a function made while tracing),
  CellVal, MethodVal (bound method), BuiltinMethodVal (``lst.append``, ``x.sum``),
  PartialVal (functools.partial), ModuleVal, ClassInstanceVal (plain user classes).
- IteratorVal / EnumerateVal / ZipVal: iterators over sequences, ranges, and their combinators;
  CursorVal: a resumed loop over a sequence at a run-time position.
- ExceptionVal: an exception instance raised by traced code (rebuilt as ``cls(*args)``),
  or a real one passed to a resume function (reloaded from its source).
- ModeCtxVal / ModeExitVal: framejit mode context managers (``with error_on_graph_break``).
- OpaqueVal: anything else; passing it around is fine, using it is a graph break (its
  value is folded only for types that hash by value, wrap.python_value).
- NULL: the NULL that CPython pushes below a callable.
"""
from __future__ import annotations

import itertools

_ids = itertools.count()


class Value:
    __slots__ = ("source",)

    mutable = False

    def __init__(self, source=None):
        self.source = source

    def __repr__(self):
        src = f" @{self.source}" if self.source is not None else ""
        return f"<{type(self).__name__}{self._repr_body()}{src}>"

    def _repr_body(self):
        return ""


class NullVal(Value):
    __slots__ = ()


NULL = NullVal()


class ConstVal(Value):
    """``dynamic``: a Python int from a source marked dynamic (trace/dynamic.py): beside
    an array it becomes a graph input instead of a constant; any other use specializes."""
    __slots__ = ("value", "guarded", "dynamic")

    def __init__(self, value, source=None, dynamic=False):
        self.source = source
        self.value = value
        self.guarded = source is None
        self.dynamic = dynamic

    def _repr_body(self):
        return f" {self.value!r}"


class ArrayVal(Value):
    __slots__ = ("node",)

    def __init__(self, node, source=None):
        self.source = source
        self.node = node

    @property
    def meta(self):
        return self.node.meta

    def _repr_body(self):
        return f" {self.node.name}:{self.node.meta}"


class TupleVal(Value):
    """A tuple. One reached through a source is *lazy* (``load`` given): its items are
    wrapped (and guarded) only when the trace looks at them (its length, guarded when
    it was wrapped, is read alone: ``length()``); ``entry`` is the tuple itself, so an
    item at a dynamic position can be read where the run picks it (trace/dyn_items.py)."""
    __slots__ = ("_items", "_load", "entry")

    def __init__(self, items, source=None, load=None, entry=None):
        self.source = source
        self._items = tuple(items) if load is None else None
        self._load = load
        self.entry = entry

    @property
    def items(self):
        if self._items is None:
            self._items = tuple(self._load())
            self._load = None
        return self._items

    def length(self) -> int:
        return len(self.entry) if self._items is None else len(self._items)

    def _repr_body(self):
        return " <unread>" if self._items is None else f" {list(self._items)!r}"


class ListVal(Value):
    """A list. One reached through a source may be *lazy* (``load`` given): its items
    are read only when the trace looks at them (its length, guarded by LEN, may be read
    alone: ``length()``); appends before that are kept in order (a log that a loop only
    appends to does not recompile as it grows). ``entry``: a lazy list's object at frame
    entry (``unread_entry``: an item at a dynamic position is read there at run time,
    trace/dyn_items.py). ``stores``: items a lazy list received at dynamic positions
    (``(position, value, resolve)``, in order; ``resolve()`` specializes the position
    when the items are read after all)."""
    __slots__ = ("_items", "_load", "_entry_len", "_tail", "ident", "mutated", "entry",
                 "stores")
    mutable = True

    def __init__(self, items, source=None, load=None, entry_len=None, entry=None):
        self.source = source
        self._items = list(items) if load is None else None
        self._load = load
        self._entry_len = entry_len     # a lazy list's length: guards LEN, reads no item
        self._tail = []
        self.ident = next(_ids)
        self.mutated = False
        self.entry = entry
        self.stores = []

    def unread_entry(self):
        """``(list at entry, items appended since)`` while the trace has read none of
        the entry items (nor replaced them), else None. Guards nothing: the caller
        guards what it relies on (its length by LEN, or relations to it)."""
        if self._items is not None or self.entry is None or self.stores:
            return None
        return self.entry, tuple(self._tail)

    def holds_entry(self) -> bool:
        """Lazy and nothing appended: its items are the entry's, apart from ``stores``."""
        return self._items is None and self.entry is not None and not self._tail

    def length(self) -> int:
        """The list's length now, without reading a lazy list's items."""
        if self._items is None and self._entry_len is not None:
            return self._entry_len() + len(self._tail)
        return len(self.items)

    @property
    def items(self):
        if self._items is None:
            self._items = list(self._load()) + self._tail
            self._load, self._tail = None, []
            for _, value, resolve in self.stores:
                self._items[resolve()] = value
            self.stores = []
        return self._items

    @items.setter
    def items(self, items):
        self._items = list(items)
        self._load, self._tail, self.stores = None, [], []

    @property
    def loaded(self) -> bool:
        """The trace holds the items itself (not only entry items read in place)."""
        return self._items is not None or bool(self.stores)

    def append(self, item):
        (self._items if self._items is not None else self._tail).append(item)

    def _repr_body(self):
        return " <unread>" if self._items is None else f" {self._items!r}"


class DictVal(Value):
    """Keys are Python constants (hashable, known while tracing); values are Values."""
    __slots__ = ("items", "ident", "mutated")
    mutable = True

    def __init__(self, items, source=None):
        self.source = source
        self.items = dict(items)
        self.ident = next(_ids)
        self.mutated = False


class GenVal(Value):
    """A generator the trace made from a generator function or expression it inlines:
    ``frame`` is its suspended frame, run by each ``next()`` up to a ``yield``
    (trace/generators.py). It cannot be rebuilt: a trace in which one is unfinished at a
    break or at the end is traced again without inlining generators."""
    __slots__ = ("frame", "done", "ident")
    mutable = True

    def __init__(self, frame):
        self.source = None
        self.frame = frame
        self.done = False
        self.ident = next(_ids)


class SetVal(Value):
    """A set the trace made; ``real`` is a Python set of its elements' values, changed
    in program order (trace/sets.py)."""
    __slots__ = ("real", "ident")
    mutable = True

    def __init__(self, real):
        self.source = None
        self.real = real
        self.ident = next(_ids)


class FunctionVal(Value):
    """``by_identity`` False: guarded by code, globals and defaults only (trace/wrap.py);
    ``fn`` is then one example of the functions the entry accepts."""
    __slots__ = ("fn", "by_identity")

    def __init__(self, fn, source=None, by_identity=True):
        self.source = source
        self.fn = fn
        self.by_identity = by_identity

    def _repr_body(self):
        return f" {getattr(self.fn, '__qualname__', self.fn)}"


class CellVal(Value):
    """A closure cell. ``contents`` is a Value, or None while unbound."""
    __slots__ = ("contents", "ident")

    def __init__(self, contents=None, source=None):
        self.source = source
        self.contents = contents
        self.ident = next(_ids)


class ClosureVal(Value):
    """A function created while tracing (MAKE_FUNCTION): lambdas, nested defs."""
    __slots__ = ("code", "globals", "defaults", "kwdefaults", "closure", "qualname", "ident")

    def __init__(self, code, globals_, defaults=(), kwdefaults=None, closure=(), qualname=None):
        self.source = None
        self.code = code
        self.globals = globals_
        self.defaults = tuple(defaults)
        self.kwdefaults = dict(kwdefaults or {})
        self.closure = tuple(closure)
        self.qualname = qualname or code.co_name
        self.ident = next(_ids)

    def _repr_body(self):
        return f" {self.qualname}"


class MethodVal(Value):
    __slots__ = ("func", "self_val")

    def __init__(self, func, self_val, source=None):
        self.source = source
        self.func = func
        self.self_val = self_val


class BuiltinMethodVal(Value):
    """``obj.name`` where obj is a container or array value and name a known method."""
    __slots__ = ("obj", "name")

    def __init__(self, obj, name):
        self.source = None
        self.obj = obj
        self.name = name

    def _repr_body(self):
        return f" {self.name} of {self.obj!r}"


class SuperVal(Value):
    """``super()`` / ``super(cls, obj)``: attribute lookup starts after ``cls`` in the MRO."""
    __slots__ = ("cls", "obj")

    def __init__(self, cls, obj):
        self.source = None
        self.cls = cls
        self.obj = obj


class PartialVal(Value):
    __slots__ = ("func", "args", "kwargs")

    def __init__(self, func, args, kwargs, source=None):
        self.source = source
        self.func = func
        self.args = tuple(args)
        self.kwargs = dict(kwargs)


class ModuleVal(Value):
    __slots__ = ("module",)

    def __init__(self, module, source=None):
        self.source = source
        self.module = module

    def _repr_body(self):
        return f" {self.module.__name__}"


class ClassInstanceVal(Value):
    """A plain user-class instance. ``obj`` is the real object for pre-existing instances
    (attributes read lazily through ``AttrSource``) or None for ones made while tracing;
    ``attrs`` holds attributes set or already read while tracing."""
    __slots__ = ("cls", "obj", "attrs", "deleted", "ident")
    mutable = True

    def __init__(self, cls, obj=None, source=None):
        self.source = source
        self.cls = cls
        self.obj = obj
        self.attrs = {}
        self.deleted = set()
        self.ident = next(_ids)

    def _repr_body(self):
        return f" {self.cls.__qualname__}"


class IteratorVal(Value):
    """An iterator made while tracing over ``seq`` (a ConstVal range/tuple/str, TupleVal,
    ListVal or ArrayVal); ``seq`` None once exhausted (it stays exhausted, as CPython's).
    ``ident``: rebuilt once at a break however many slots hold it. ``watch``: over a
    dict's keys, ``(DictVal, its size then)``: a size change raises at the next step."""
    __slots__ = ("seq", "index", "ident", "watch")
    mutable = True

    def __init__(self, seq, index=0, watch=None):
        self.source = None
        self.seq = seq
        self.index = index
        self.ident = next(_ids)
        self.watch = watch


class CursorVal(Value):
    """A SeqCursor (trace/cursor.py) a resume function received: a loop resumed at a
    run-time position (trace/resumed_iter.py). ``kind``: the row of the sequence's type;
    ``seq``: what the kind keeps of the sequence (the range, the ListVal or ArrayVal, or
    None when items are read through the cursor); ``obj``: the sequence at entry;
    ``length``: its length at entry; ``start``: the entry position (dynamic: guarded by
    range); ``advanced``: items taken while tracing; ``done``: exhausted while tracing."""
    __slots__ = ("kind", "seq", "obj", "length", "start", "advanced", "done", "ident")
    mutable = True

    def __init__(self, kind, seq, obj, length, start, source):
        self.source = source
        self.kind = kind
        self.seq = seq
        self.obj = obj
        self.length = length
        self.start = start
        self.advanced = 0
        self.done = False
        self.ident = next(_ids)


class EnumerateVal(Value):
    """``count``: a ConstVal int, dynamic when it came from a resumed EnumerateCursor."""
    __slots__ = ("inner", "count", "ident")
    mutable = True

    def __init__(self, inner, count, source=None):
        self.source = source
        self.inner = inner
        self.count = count
        self.ident = next(_ids)


class ZipVal(Value):
    __slots__ = ("inners", "strict", "ident")
    mutable = True

    def __init__(self, inners, strict=False, source=None):
        self.source = source
        self.inners = tuple(inners)
        self.strict = strict
        self.ident = next(_ids)


class MapVal(Value):
    """``map(fn, *inners)``: lazy as CPython's (``fn`` is called by each ``next()``)."""
    __slots__ = ("fn", "inners", "ident")
    mutable = True

    def __init__(self, fn, inners, source=None):
        self.source = source
        self.fn = fn
        self.inners = tuple(inners)
        self.ident = next(_ids)


class FilterVal(Value):
    """``filter(fn, inner)``: lazy; ``fn`` None (or ``bool``) keeps the true items."""
    __slots__ = ("fn", "inner", "ident")
    mutable = True

    def __init__(self, fn, inner, source=None):
        self.source = source
        self.fn = fn
        self.inner = inner
        self.ident = next(_ids)


class ExceptionVal(Value):
    """An exception: made by traced code (``obj`` None, rebuilt once as ``cls(*args)``:
    ``ident``), or a real one reached through ``source`` (a resumed handler's exception;
    ``args`` read lazily from ``obj``)."""
    __slots__ = ("cls", "args", "cause", "obj", "ident")

    def __init__(self, cls, args, cause=None, obj=None, source=None):
        self.source = source
        self.cls = cls
        self.args = tuple(args)
        self.cause = cause
        self.obj = obj
        self.ident = next(_ids)

    def _repr_body(self):
        return f" {self.cls.__name__}{self.args!r}"


class ModeCtxVal(Value):
    """``framejit.error_on_graph_break(flag)`` / ``set_fullgraph(flag)`` as a value."""
    __slots__ = ("kind", "flag", "obj")

    def __init__(self, kind, flag, obj=None, source=None):
        self.source = source
        self.kind = kind
        self.flag = flag
        self.obj = obj


class ModeExitVal(Value):
    """The bound ``__exit__`` of an entered ModeCtxVal (pops the mode when called)."""
    __slots__ = ("ctx",)

    def __init__(self, ctx):
        self.source = None
        self.ctx = ctx


class OpaqueVal(Value):
    __slots__ = ("obj",)

    def __init__(self, obj, source=None):
        self.source = source
        self.obj = obj

    def _repr_body(self):
        return f" {type(self.obj).__qualname__}"
