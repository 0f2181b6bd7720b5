"""Code inside traced code that the tracer does not trace: custom ops and nonstrict_trace.

``call_custom_op``: a custom op with a fake is ONE opaque ``custom_op`` node (graph/
opaque.py): meta from the fake, body run at run time hidden from the frame hook; no fake
is a ``custom_op_no_fake`` break. Recorded side effects replay after the graph, so a call
made after one is a ``custom_op_order`` break (plain Python's order holds). Arguments in
``mutates_args`` must be arrays: later nodes read what the body wrote.

``call_nonstrict``: the function runs ONCE, natively, at trace time, on ``TracedArray``
proxies (at any depth of tuples, lists, dicts) that record NumPy calls
(``__array_ufunc__`` / ``__array_function__``), operators, indexing, attributes and
methods through the tracer's own rules, so its array work joins the graph. Its control
flow is neither traced nor guarded; ``graph_break()`` inside is a no-op. Needing an
array's value raises ``TraceError`` (even if the function catches it); any other break
inside is a break at the call site with none of the call's nodes kept. Python side
effects inside happen once (SEMANTICS.md §3; visible ones are warned about); arrays it
makes without traced inputs are constants, copied per call when returned.
"""
from __future__ import annotations

import inspect
import types
import warnings

import numpy as np

from ..graph import opaque
from ..graph.infer import DataDependentShape
from . import attrs, calls, operators, subscript
from .breaks import BreakKind
from .errors import TraceError
from .tracer import BreakSignal, UserRaise
from .values import (ArrayVal, BuiltinMethodVal, ClosureVal, ConstVal, DictVal, ListVal,
                     PartialVal, TupleVal)
from .wrap import is_constant, node_arg

# ---------------------------------------------------------------- custom ops


def call_custom_op(tx, obj, args, kwargs):
    """One opaque ``custom_op`` node (graph/opaque.py); its fake gives the meta."""
    if obj.fake is None:
        tx.graph_break(BreakKind.CUSTOM_OP_NO_FAKE,
                       f"custom op {obj.name!r} has no fake implementation "
                       "(register one with @op.register_fake)")
    if tx.side_effects:  # replayed after the graph: the body would run before them
        tx.graph_break(BreakKind.CUSTOM_OP_ORDER,
                       f"custom op {obj.name!r} is called after {len(tx.side_effects)} "
                       "recorded Python side effect(s)")
    _custom_op_mutations(tx, obj, args, kwargs)
    nargs = [obj, *[node_arg(tx, a) for a in args]]
    nkw = {k: node_arg(tx, v) for k, v in kwargs.items()}
    try:
        node = tx.builder.add("custom_op", nargs, nkw, tx.loc())
    except opaque.FakeError as exc:
        raise TraceError(f"framejit: {exc}") from None
    except DataDependentShape as exc:
        tx.graph_break(BreakKind.DATA_DEPENDENT_SHAPE, f"custom op {obj.name!r}: {exc}")
    except Exception as exc:  # the fake's own error (invalid input): the program raises it
        tx.raise_python(exc)
    return ConstVal(None) if node.meta == opaque.NO_RESULT else ArrayVal(node)




def _custom_op_mutations(tx, op, args, kwargs):
    """Arguments named in ``mutates_args`` must be arrays: the body writes into them."""
    if not op.mutates_args:
        return
    try:
        bound = inspect.signature(op.fn).bind(*args, **kwargs)
    except TypeError as exc:
        tx.raise_python(exc)
    for name in op.mutates_args:
        v = bound.arguments.get(name)
        if v is None or (type(v) is ArrayVal and not v.meta.scalar):
            continue
        tx.unsupported(f"custom op {op.name!r} mutates argument {name!r}, which is not an "
                       "array: only arrays can be written to by a captured custom op",
                       BreakKind.UNSUPPORTED_CALL)


# ---------------------------------------------------------------- nonstrict_trace


_FIX = ("Arrays inside a nonstrict_trace function are traced: they have no values while "
        "tracing. Fix: express the choice with array operations (np.where, masks, "
        "np.clip, np.maximum) instead of Python `if`/float()/int()/.item(), or move the "
        "value-dependent part out of the function (into a framejit.disable function or "
        "plain Python, which is a graph break).")


class _Abort(BaseException):
    """Unwinds the native function after a failure (BaseException: not an ``except
    Exception`` of user code); the failure itself is kept on the session."""


class _Session:
    """One nonstrict call: the tracer, the proxies made so far, the first failure."""

    def __init__(self, tx, name):
        self.tx = tx
        self.name = name
        self.proxies = {}       # id(ArrayVal) -> (ArrayVal, TracedArray)
        self.failure = None     # TraceError or BreakSignal, raised at the call site
        self.active = True
        self.inputs = []        # (python container, snapshot) of argument lists/dicts

    # ------------------------------------------------------------ values <-> Python
    def python(self, v):
        """The object the native function sees for a Value."""
        rule = _TO_PYTHON.get(type(v))
        return rule(self, v) if rule is not None else self.tx.pyval(v)

    def proxy(self, v):
        hit = self.proxies.get(id(v))
        if hit is None:
            hit = self.proxies[id(v)] = (v, TracedArray(v, self))
        return hit[1]

    def value(self, obj, result=False):
        """The Value for an object the native function hands to NumPy (or returns)."""
        if type(obj) is TracedArray:
            if obj._session is not self:
                raise self.fail(TraceError(
                    f"framejit: a traced array escaped the nonstrict_trace call that made "
                    f"it and was used in {self.name}; return arrays instead of storing them"))
            return obj._val
        if is_constant(obj):
            return ConstVal(obj)
        rule = _TO_VALUE.get(type(obj))
        if rule is not None:
            return rule(self, obj, result)
        if isinstance(getattr(obj, "__dict__", None), dict) and any(
                type(a) is TracedArray for a in vars(obj).values()):
            raise self.fail(TraceError(
                f"framejit: nonstrict_trace function {self.name} returned a "
                f"{type(obj).__name__} holding traced arrays; return arrays in tuples, "
                "lists or dicts"))
        return self.tx.wrap(obj)

    def _array(self, obj, result):
        val = self.tx.wrap(obj)   # a trace-time constant array (a graph input by reference)
        return self.tx.add_node("copy", (val.node,)) if result else val

    # ------------------------------------------------------------ running tracer rules
    def run(self, what, rule):
        """``rule(tx)`` on Values -> the Python object for its result. The program's
        exceptions are raised natively (the function may catch them); breaks fail the call."""
        if not self.active:
            raise TraceError(f"framejit: a traced array of nonstrict_trace function "
                             f"{self.name} was used after the call returned ({what})")
        if self.failure is not None:
            raise _Abort()
        try:
            return self.python(rule(self.tx))
        except UserRaise as raised:
            raise _native_exception(raised.exc) from None
        except BreakSignal as signal:
            raise self.fail(self._from_break(signal, what)) from None

    def call(self, fn, args, kwargs):
        def rule(tx):
            return calls.call_const(tx, ConstVal(fn), [self.value(a) for a in args],
                                    {k: self.value(v) for k, v in kwargs.items()})
        return self.run(f"np.{getattr(fn, '__name__', fn)}", rule)

    def fail(self, failure):
        if self.failure is None:
            self.failure = failure
        return _Abort()

    def _from_break(self, signal, what):
        gb = signal.graph_break
        if gb.kind is BreakKind.DATA_DEPENDENT:
            return value_needed(self.name, f"{what}: {gb.detail}")
        return signal

    def warn(self, text):
        warnings.warn(f"framejit: nonstrict_trace function {self.name} {text}; this happens "
                      "once, while tracing, not on every call (keep nonstrict_trace "
                      "functions pure)", stacklevel=3)


def value_needed(name, what) -> TraceError:
    return TraceError(f"framejit: nonstrict_trace function {name} branched on an array "
                      f"value ({what}). {_FIX}")


def _native_exception(exc_val):
    args = [a.value if type(a) is ConstVal else repr(a) for a in exc_val.args]
    return exc_val.cls(*args)


def _list_to_python(s, v):
    out = [s.python(i) for i in v.items]
    if v.source is not None:    # a pre-existing list: g gets a copy, mutations are lost
        s.inputs.append((out, list(out)))
    return out


def _dict_to_python(s, v):
    out = {k: s.python(i) for k, i in v.items.items()}
    if v.source is not None:
        s.inputs.append((out, dict(out)))
    return out


def _cell_to_python(s, cell):
    if cell.contents is None and cell.source is not None:   # not read yet while tracing
        try:
            cell.contents = s.tx.wrap(cell.source.fetch(s.tx.env), cell.source)
        except ValueError:  # an empty cell
            return types.CellType()
    return types.CellType() if cell.contents is None else types.CellType(s.python(cell.contents))


def _closure_to_python(s, v):
    """A real function for one made while tracing (its cells are fresh copies)."""
    cells = tuple(_cell_to_python(s, c) for c in v.closure)
    fn = types.FunctionType(v.code, v.globals, v.code.co_name,
                            tuple(s.python(d) for d in v.defaults) or None, cells or None)
    fn.__kwdefaults__ = {k: s.python(d) for k, d in v.kwdefaults.items()} or None
    fn.__qualname__ = v.qualname
    return fn


_TO_PYTHON = {
    ArrayVal: lambda s, v: s.proxy(v),
    ClosureVal: _closure_to_python,
    ConstVal: lambda s, v: s.tx.pyval(v),
    TupleVal: lambda s, v: tuple(s.python(i) for i in v.items),
    ListVal: _list_to_python,
    DictVal: _dict_to_python,
    BuiltinMethodVal: lambda s, v: (lambda *a, **k: s.run(
        f".{v.name}()", lambda tx: tx.call(v, [s.value(x) for x in a],
                                           {n: s.value(x) for n, x in k.items()}))),
}

_TO_VALUE = {
    tuple: lambda s, o, r: TupleVal([s.value(i, r) for i in o]),
    list: lambda s, o, r: ListVal([s.value(i, r) for i in o]),
    dict: lambda s, o, r: DictVal({k: s.value(i, r) for k, i in o.items()}),
    np.ndarray: _Session._array,
}


# ---------------------------------------------------------------- the proxy


class TracedArray:
    """Stands in for one traced array while a nonstrict_trace function runs."""
    __slots__ = ("_val", "_session")
    __hash__ = None     # as ndarray

    def __init__(self, val, session):
        self._val = val
        self._session = session

    # NumPy's override protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if isinstance(out, tuple) and len(out) == 1:
            kwargs["out"] = out[0]
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        return self._session.call(fn, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return self._session.call(func, args, kwargs)

    def __array__(self, *args, **kwargs):
        raise self._value_needed("conversion to a concrete ndarray (np.asarray, np.array, "
                                 "a list of arrays passed to NumPy)")

    # attributes, methods, indexing
    def __getattr__(self, name):
        if name.startswith("__"):   # protocol probes (__array_interface__, copy, pickle)
            raise AttributeError(name)
        s = self._session
        return s.run(f".{name}", lambda tx: attrs.get_attr(tx, self._val, name))

    def __getitem__(self, key):
        s = self._session
        return s.run("x[...]", lambda tx: subscript.get_item(tx, self._val, s.value(key)))

    def __setitem__(self, key, value):
        s = self._session
        s.run("x[...] = v", lambda tx: subscript.set_item(tx, self._val, s.value(key),
                                                          s.value(value)) or ConstVal(None))

    def __len__(self):
        if not self._val.meta.shape:
            raise TypeError("len() of unsized object")
        return self._val.meta.concrete()[0]

    def __iter__(self):
        if not self._val.meta.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._val.meta.concrete()[0]))

    # values: never available while tracing
    def _value_needed(self, what):
        return self._session.fail(value_needed(self._session.name, what))

    def __bool__(self):
        raise self._value_needed("bool() / if / while on an array")

    def __float__(self):
        raise self._value_needed("float() of an array")

    def __int__(self):
        raise self._value_needed("int() of an array")

    def __complex__(self):
        raise self._value_needed("complex() of an array")

    def __index__(self):
        raise self._value_needed("an array used as an index or a size (__index__)")

    def __repr__(self):
        self._session.warn("formatted a traced array (print/str/repr show no values)")
        return f"TracedArray({self._val.node.name}: {self._val.meta})"

    __str__ = __repr__

    def __format__(self, spec):
        return repr(self)


def _binary(sym, reflected=False, inplace=False):
    def method(self, other):
        s = self._session

        def rule(tx):
            a, b = (s.value(other), self._val) if reflected else (self._val, s.value(other))
            return operators.binary(tx, sym, a, b, inplace)
        return s.run(f"operator {sym}", rule)
    return method


def _unary(sym):
    def method(self):
        return self._session.run(f"operator {sym}",
                                 lambda tx: operators.unary(tx, sym, self._val))
    return method


_ARITHMETIC = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv",
               "%": "mod", "**": "pow", "@": "matmul", "&": "and", "|": "or", "^": "xor",
               "<<": "lshift", ">>": "rshift"}
_COMPARISONS = {"<": "lt", "<=": "le", "==": "eq", "!=": "ne", ">": "gt", ">=": "ge"}
_UNARY = {"-": "neg", "+": "pos", "~": "invert", "abs": "abs"}

for _sym, _name in _ARITHMETIC.items():
    setattr(TracedArray, f"__{_name}__", _binary(_sym))
    setattr(TracedArray, f"__r{_name}__", _binary(_sym, reflected=True))
    setattr(TracedArray, f"__i{_name}__", _binary(_sym, inplace=True))
for _sym, _name in _COMPARISONS.items():   # Python reflects comparisons itself
    setattr(TracedArray, f"__{_name}__", _binary(_sym))
for _sym, _name in _UNARY.items():
    setattr(TracedArray, f"__{_name}__", _unary(_sym))


# ---------------------------------------------------------------- the call


def _apply_nonstrict(fn, *args, **kwargs):
    return fn(*args, **kwargs)


_apply_nonstrict.__framejit_nonstrict__ = True   # recognised by markers.classify


def nonstrict_factory(tx, factory, args):
    """``framejit.nonstrict_trace(g)`` called inside traced code. A ``g`` made while
    tracing (lambda, nested def) has no real function yet: it is made when called."""
    if len(args) == 1 and type(args[0]) is ClosureVal:
        return PartialVal(ConstVal(_apply_nonstrict), [args[0]], {})
    return tx.wrap(tx.fold(factory, *[tx.pyval(a) for a in args]))


def call_nonstrict(tx, wrapper, args, kwargs):
    """Run ``wrapper(*args, **kwargs)`` natively on proxies; its result as Values."""
    name = getattr(wrapper, "__qualname__", repr(wrapper))
    if wrapper is _apply_nonstrict and args and type(args[0]) is ClosureVal:
        name = args[0].qualname
    session = _Session(tx, name)
    pyargs = [session.python(a) for a in args]   # a break here: nothing ran yet
    pykwargs = {k: session.python(v) for k, v in kwargs.items()}
    mark = len(tx.builder.nodes)
    raised = None
    try:
        result = wrapper(*pyargs, **pykwargs)
    except _Abort:
        result = None
    except Exception as exc:  # noqa: BLE001 - the function's own exception
        raised = exc
    finally:
        session.active = False
    if session.failure is not None:
        del tx.builder.nodes[mark:]     # none of an aborted call's work stays in the graph
        raise session.failure
    if raised is not None:
        tx.raise_python(raised)
    _warn_mutated_inputs(session)
    try:
        return session.value(result, result=True)
    except _Abort:
        raise session.failure from None


def _same(now, before) -> bool:
    """Identity comparison only: ``==`` on proxies would record nodes."""
    if isinstance(now, list):
        return len(now) == len(before) and all(a is b for a, b in zip(now, before))
    return now.keys() == before.keys() and all(now[k] is before[k] for k in now)


def _warn_mutated_inputs(session):
    for now, before in session.inputs:
        if not _same(now, before):
            session.warn(f"mutated an argument {type(now).__name__}; the mutation was made on "
                         "a copy and is not replayed")


__all__ = ["TracedArray", "call_custom_op", "call_nonstrict", "nonstrict_factory",
           "value_needed"]
