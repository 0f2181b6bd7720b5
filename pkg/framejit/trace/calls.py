"""Calls: dispatch on the callee's value type, inlining of Python functions, NumPy calls.

``call(tracer, fn, args, kwargs)`` picks a rule from ``_CALLS`` by ``type(fn)``:
- Python functions (and closures made while tracing, bound methods, partials, callable
  plain-class instances) are *inlined*: their arguments are bound as CPython binds them
  (defaults, keyword-only, ``*args``, ``**kwargs``; binding errors become the program's
  TypeError) and their bytecode runs in a new ``Frame`` on the same tracer;
- framejit markers (graph_break, disable, mode decorators, compiled wrappers, custom ops)
  follow docs/internals.md: a custom op with a fake is one opaque ``custom_op`` node, a
  ``nonstrict_trace`` function runs natively on traced arrays (trace/nonstrict.py);
- trace-time constants that are callable go to builtins (trace/builtins_rules.py), NumPy
  (graph nodes through the op registry, constant-folded when no array is involved and the
  op is not a creation), exception classes, plain classes (instance + inlined
  ``__init__``), or are a graph break (I/O and unknown code: UNSUPPORTED_CALL).
"""
from __future__ import annotations

import numpy as np

from . import markers, sites
from . import numpy_rules as npr
from .breaks import BreakKind
from .sources import AttrSource, ConstSource, ItemSource
from .tracer import Frame, builtins_dict
from .values import (ArrayVal, BuiltinMethodVal, CellVal, ClassInstanceVal, ClosureVal,
                     ConstVal, DictVal, ExceptionVal, FunctionVal, MethodVal, ModeCtxVal,
                     ModeExitVal, ModuleVal, OpaqueVal, PartialVal, TupleVal)
from .dyn_inputs import lift_alone
from .wrap import has_array, is_library_code, is_plain_class, node_arg

CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08
CO_GENERATOR = 0x20
CO_GENERATOR_LIKE = CO_GENERATOR | 0x80 | 0x100 | 0x200


# ---------------------------------------------------------------- argument binding


def too_many_positional(qualname, argcount, defcount, given, kwonly_given) -> str:
    """CPython 3.11's message (ceval.c too_many_positional)."""
    if defcount:
        sig, plural = f"from {argcount - defcount} to {argcount}", True
    else:
        sig, plural = str(argcount), argcount != 1
    kwonly = (f" positional argument{'s' if given != 1 else ''} (and {kwonly_given} "
              f"keyword-only argument{'s' if kwonly_given != 1 else ''})" if kwonly_given
              else "")
    verb = "was" if given == 1 and not kwonly_given else "were"
    return (f"{qualname}() takes {sig} positional argument{'s' if plural else ''} but "
            f"{given}{kwonly} {verb} given")


def bind_arguments(tx, code, qualname, defaults, kwdefaults, args, kwargs) -> list:
    """Values for the callee's argument slots, in localsplus order (CPython's binding)."""
    nargs, nkw = code.co_argcount, code.co_kwonlyargcount
    names = code.co_varnames
    slots = [None] * (nargs + nkw)
    slots[:min(len(args), nargs)] = args[:nargs]
    extra_kw = {}
    for key, val in kwargs.items():
        if key in names[code.co_posonlyargcount:nargs + nkw]:
            i = names.index(key)
            if slots[i] is not None:
                tx.raise_type(TypeError, f"{qualname}() got multiple values for argument '{key}'")
            slots[i] = val
        elif code.co_flags & CO_VARKEYWORDS:
            extra_kw[key] = val
        else:
            tx.raise_type(TypeError, f"{qualname}() got an unexpected keyword argument '{key}'")
    if len(args) > nargs and not code.co_flags & CO_VARARGS:   # after the keywords, as CPython
        kwonly_given = sum(1 for s in slots[nargs:] if s is not None)
        tx.raise_type(TypeError, too_many_positional(qualname, nargs, len(defaults),
                                                     len(args), kwonly_given))
    first_default = nargs - len(defaults)
    missing = []
    for i in range(nargs + nkw):
        if slots[i] is not None:
            continue
        if first_default <= i < nargs:
            slots[i] = defaults[i - first_default]
        elif i >= nargs and names[i] in kwdefaults:
            slots[i] = kwdefaults[names[i]]
        else:
            missing.append(names[i])
    if missing:
        kind = "positional" if names.index(missing[0]) < nargs else "keyword-only"
        listed = " and ".join(f"'{m}'" for m in missing) if len(missing) <= 2 else ", ".join(
            f"'{m}'" for m in missing)
        tx.raise_type(TypeError, f"{qualname}() missing {len(missing)} required {kind} "
                                 f"argument{'' if len(missing) == 1 else 's'}: {listed}")
    if code.co_flags & CO_VARARGS:
        slots.append(TupleVal(args[nargs:]))
    if code.co_flags & CO_VARKEYWORDS:
        slots.append(DictVal(extra_kw))
    return slots


def inline(tx, code, globals_, qualname, defaults, kwdefaults, cells, args, kwargs,
           fn_source=None):
    """Run ``code`` as an inlined frame; ``cells`` maps free-variable names to CellVals."""
    generator = code.co_flags & CO_GENERATOR_LIKE == CO_GENERATOR and tx.inline_generators
    if code.co_flags & CO_GENERATOR_LIKE and not generator:
        tx.graph_break(BreakKind.GENERATOR, f"call to generator/coroutine {qualname}")
    slots = bind_arguments(tx, code, qualname, defaults, kwdefaults, args, kwargs)
    base = None if globals_ is tx.f_globals else ConstSource(globals_)
    frame = Frame(code, globals_, builtins_dict(globals_), tx.frame, fn_source, base)
    frame.locals[:len(slots)] = slots
    frame.cells.update(cells)
    if generator:                 # its body runs at each next() (trace/generators.py)
        from .generators import make_generator
        tx.inline_direct = None
        return make_generator(tx, frame)
    # the parent's pending instruction continues with this frame's value (resume
    # chains rely on it; trace/sites.py)
    frame.direct = tx.inline_direct is tx.frame
    tx.inline_direct = None
    return tx.run_frame(frame)


def _function_parts(tx, fn_val):
    fn = fn_val.fn
    base = fn_val.source if fn_val.source is not None else ConstSource(fn)
    defaults = [tx.wrap(d, ItemSource(AttrSource(base, "__defaults__"), i))
                for i, d in enumerate(fn.__defaults__ or ())]
    kwdefaults = {k: tx.wrap(d, ItemSource(AttrSource(base, "__kwdefaults__"), k))
                  for k, d in (fn.__kwdefaults__ or {}).items()}
    cells = {}
    for i, name in enumerate(fn.__code__.co_freevars):
        known = tx.known_cell(fn.__closure__[i])
        src = AttrSource(ItemSource(AttrSource(base, "__closure__"), i), "cell_contents")
        cells[name] = known if known is not None else tx.remember_cell(
            fn.__closure__[i], CellVal(None, src))
    return defaults, kwdefaults, cells


def call_function(tx, f, args, kwargs):
    marker = markers.classify(f.fn)
    if marker is not None:
        return MARKER_CALLS[marker](tx, f, f.fn, args, kwargs)
    if is_library_code(f.fn.__code__) and f.fn.__code__ not in sites.INLINED:
        # never inlined, however it was reached (a method a user class inherits from a
        # stdlib base, a user enum's library method): called as the constant it is
        return call_const(tx, ConstVal(f.fn), args, kwargs)
    defaults, kwdefaults, cells = _function_parts(tx, f)
    return inline(tx, f.fn.__code__, f.fn.__globals__, f.fn.__qualname__, defaults,
                  kwdefaults, cells, args, kwargs, f.source)


def call_closure(tx, c, args, kwargs):
    cells = dict(zip(c.code.co_freevars, c.closure))
    return inline(tx, c.code, c.globals, c.qualname, c.defaults, c.kwdefaults, cells, args,
                  kwargs)


# ---------------------------------------------------------------- markers


def _graph_break_call(tx, f, obj, args, kwargs):
    msg = args[0] if args else kwargs.get("msg")
    text = tx.pyval(msg) if msg is not None else None
    tx.graph_break(BreakKind.GRAPH_BREAK_CALL, "framejit.graph_break()", message=text)


def _mode_factory(tx, f, obj, args, kwargs):
    real = tx.fold(obj, *[tx.pyval(a) for a in args], **{k: tx.pyval(v) for k, v in kwargs.items()})
    return ModeCtxVal(real.kind, real.flag, real)


def _mode_wrapped(tx, f, obj, args, kwargs):
    marker = markers.classify(obj)
    kind, flag = (tuple(obj.__framejit_mode__) if marker is markers.Marker.MODE_DECORATED
                  else ("compile", bool(obj.__framejit_compile__.fullgraph)))
    inner_src = AttrSource(f.source, "__wrapped__") if f.source is not None else None
    inner = tx.wrap(obj.__wrapped__, inner_src)
    frame = tx.frame
    tx.push_mode(frame, kind, flag, getattr(obj, "payload", None))
    try:
        return call(tx, inner, args, kwargs)
    finally:
        tx.pop_mode(frame)


def _disabled(tx, f, obj, args, kwargs):
    tx.graph_break(BreakKind.DISABLED_CALL,
                   f"call to {getattr(obj, '__qualname__', obj)!s}, decorated with framejit.disable")


def _nonstrict(tx, f, obj, args, kwargs):
    from .nonstrict import call_nonstrict
    return call_nonstrict(tx, obj, args, kwargs)


def _nonstrict_factory(tx, f, obj, args, kwargs):
    from .nonstrict import nonstrict_factory
    return nonstrict_factory(tx, obj, args)


def _custom_op(tx, f, obj, args, kwargs):
    from .nonstrict import call_custom_op
    return call_custom_op(tx, obj, args, kwargs)


MARKER_CALLS = {
    markers.Marker.GRAPH_BREAK: _graph_break_call,
    markers.Marker.MODE_FACTORY: _mode_factory,
    markers.Marker.MODE_DECORATED: _mode_wrapped,
    markers.Marker.COMPILED: _mode_wrapped,
    markers.Marker.DISABLED: _disabled,
    markers.Marker.NONSTRICT: _nonstrict,
    markers.Marker.NONSTRICT_FACTORY: _nonstrict_factory,
    markers.Marker.CUSTOM_OP: _custom_op,
    markers.Marker.MODE_CONTEXT: lambda tx, f, obj, args, kwargs: tx.unsupported(
        "using a framejit mode object as a decorator inside traced code"),
}


# ---------------------------------------------------------------- NumPy


def numpy_call(tx, fn, op, args, kwargs):
    no_arrays = not any(has_array(a) for a in args) and not any(
        has_array(v) for v in kwargs.values())
    if no_arrays and not kwargs and isinstance(fn, np.ufunc):
        lifted = lift_alone(tx, args)       # np.sin(omega * t) for a t that varies
        if lifted is not None:
            args, no_arrays = lifted, False
    if no_arrays and not npr.is_creation(op):
        pyargs = [tx.pyval(a) for a in args]
        pykw = {k: tx.pyval(v) for k, v in kwargs.items()}
        result = tx.fold(fn, *pyargs, **pykw)
        if not isinstance(result, np.ndarray):
            return ConstVal(result)
    nargs = [node_arg(tx, a) for a in args]
    nkw = {k: node_arg(tx, v) for k, v in kwargs.items()}
    val = tx.add_node(op, nargs, nkw)
    out = npr.ufunc_out(fn, args, kwargs)
    if out is not None and not (type(out) is ConstVal and out.value is None):
        return out.items[0] if type(out) is TupleVal and len(out.items) == 1 else out
    return val


def _asarray(copy):
    """np.asarray / np.array: an array value as is (or copied, or cast), constant data as a
    fresh array, a list of arrays stacked (what np.array does with equal shapes)."""
    def rule(tx, fn, args, kwargs):
        if len(args) != 1 or set(kwargs) - {"dtype"}:
            return None
        data = args[0]
        dtype = tx.pyval(kwargs["dtype"]) if "dtype" in kwargs else None
        if type(data) is ArrayVal and not data.meta.scalar:
            if dtype is not None and np.dtype(dtype) != data.meta.dtype:
                return tx.add_node("astype", (data.node, dtype))
            return tx.add_node("copy", (data.node,)) if copy else data
        if has_array(data):
            stacked = tx.add_node("stack", (node_arg(tx, data),))
            return stacked if dtype is None else tx.add_node("astype", (stacked.node, dtype))
        const = tx.fold(np.array, tx.pyval(data), dtype)
        return tx.add_node("copy", (const,))
    return rule


_NUMPY_SPECIAL = {id(np.asarray): (np.asarray, _asarray(False)),
                  id(np.asanyarray): (np.asanyarray, _asarray(False)),
                  id(np.array): (np.array, _asarray(True))}


def _numpy_other(tx, fn, args, kwargs):
    special = _NUMPY_SPECIAL.get(id(fn))
    if special is not None and special[0] is fn:
        result = special[1](tx, fn, args, kwargs)
        if result is not None:
            return result
    static = npr.static_function(fn)
    if static is not None and len(args) == 1 and not kwargs and type(args[0]) is ArrayVal:
        return ConstVal(static(args[0].meta))
    if fn in _DTYPE_OF_ARRAYS:       # an array argument counts by its dtype alone (NEP 50)
        args = [ConstVal(a.meta.dtype) if type(a) is ArrayVal else a for a in args]
    if fn in _PURE_NUMPY and not any(map(has_array, args)):
        return ConstVal(tx.fold(fn, *[tx.pyval(a) for a in args],
                                **{k: tx.pyval(v) for k, v in kwargs.items()}))
    module = (getattr(fn, "__module__", None) or "numpy").replace("numpy", "np", 1)
    module = "np" if module.startswith("np._") or module == "np" else module
    name = getattr(fn, "__name__", repr(fn))
    tx.graph_break(BreakKind.UNSUPPORTED_CALL,
                   f"NumPy callable {module}.{name} is not in the op registry")


_PURE_NUMPY = {np.dtype, np.finfo, np.iinfo, np.result_type, np.promote_types, np.can_cast,
               np.issubdtype, np.isscalar, np.shape, np.ndim, np.size}
#: of these, the ones that read nothing of an array argument but its dtype: under NEP 50
#: arrays (0-d ones and NumPy scalars too) are never weak, so the answer for the array
#: is the answer for its dtype (``np.result_type(img, kernel)``)
_DTYPE_OF_ARRAYS = {np.result_type, np.can_cast}


# ---------------------------------------------------------------- constants


def _construct(tx, cls, args, kwargs):
    owner = sites.take(tx)
    inst = ClassInstanceVal(cls)
    init = tx.wrap(cls.__init__) if cls.__init__ is not object.__init__ else None
    if init is None:
        if args or kwargs:
            tx.raise_type(TypeError, f"{cls.__name__}() takes no arguments")
        return inst
    result = sites.call_at(tx, owner, MethodVal(init, inst), args,
                           sites.Site(sites.init_rest, (inst,)), kwargs)
    if not (type(result) is ConstVal and result.value is None):
        tx.raise_type(TypeError, f"__init__() should return None, not "
                                 f"'{type(tx.pyval(result)).__name__}'")
    return inst


def _builtin_rule(fn, c):
    from .builtins_rules import BUILTIN_CALLS
    hit = BUILTIN_CALLS.get(id(fn))
    return hit[1] if hit is not None and hit[0] is fn else None


def _marker_rule(fn, c):
    marker = markers.classify(fn)
    return None if marker is None else (
        lambda tx, args, kwargs: MARKER_CALLS[marker](tx, c, fn, args, kwargs))


def _numpy_rule(fn, c):
    op = npr.op_for_callable(fn)
    if op is not None:
        return lambda tx, args, kwargs: numpy_call(tx, fn, op, args, kwargs)
    if npr.is_numpy_callable(fn):
        return lambda tx, args, kwargs: _numpy_other(tx, fn, args, kwargs)
    return None


def _exception_rule(fn, c):
    if not (isinstance(fn, type) and issubclass(fn, BaseException)):
        return None

    def make(tx, args, kwargs):
        if kwargs:
            tx.unsupported("exception constructed with keyword arguments")
        return ExceptionVal(fn, args)
    return make


def _class_rule(fn, c):
    if isinstance(fn, type) and is_plain_class(fn):
        return lambda tx, args, kwargs: _construct(tx, fn, args, kwargs)
    return None


#: How a callable constant is called: the first resolver that knows it wins.
def _modeops_rule(fn, c):
    from . import excstate, modeops, resume
    return (modeops.trace_rule(fn, c) or excstate.trace_rule(fn, c)
            or resume.trace_rule(fn, c))


_CONST_RESOLVERS = (_modeops_rule, _builtin_rule, _marker_rule, _numpy_rule, _exception_rule, _class_rule)


def call_const(tx, c, args, kwargs):
    fn = c.value
    for resolve in _CONST_RESOLVERS:
        rule = resolve(fn, c)
        if rule is not None:
            return rule(tx, args, kwargs)
    tx.graph_break(BreakKind.UNSUPPORTED_CALL, f"call to {_describe(fn)}")


def _describe(fn) -> str:
    module = getattr(fn, "__module__", None) or type(fn).__module__
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return f"{module}.{name}" if module and module != "builtins" else f"builtin {name}"


def call_builtin_method(tx, m, args, kwargs):
    obj, name = m.obj, m.name
    if type(obj) is ArrayVal:
        from .array_methods import array_method
        return array_method(tx, obj, name, args, kwargs)
    if type(obj) is ConstVal:
        real = tx.fold(getattr, tx.pyval(obj), name)
        return call_const(tx, ConstVal(real), args, kwargs) if _is_routed(real) else \
            _fold_method(tx, real, args, kwargs)
    from .attrs import container_method
    return container_method(tx, obj, name, args, kwargs)


def _is_routed(real) -> bool:
    return npr.op_for_callable(real) is not None or npr.is_numpy_callable(real)


_PURE_CONST_TYPES = (str, int, float, complex, tuple, bytes, range, np.dtype, np.generic)


def _fold_method(tx, real, args, kwargs):
    owner = getattr(real, "__self__", None)
    if not isinstance(owner, _PURE_CONST_TYPES) or any(map(has_array, args)):
        tx.graph_break(BreakKind.UNSUPPORTED_CALL, f"call to {_describe(real)}")
    return tx.wrap(tx.fold(real, *[tx.pyval(a) for a in args],
                           **{k: tx.pyval(v) for k, v in kwargs.items()}))


def call_method(tx, m, args, kwargs):
    return call(tx, m.func, [m.self_val, *args], kwargs)


def call_partial(tx, p, args, kwargs):
    return call(tx, p.func, [*p.args, *args], {**p.kwargs, **kwargs})


def call_instance(tx, inst, args, kwargs):
    from .attrs import lookup_special
    meth = lookup_special(tx, inst, "__call__")
    if meth is None:
        tx.raise_type(TypeError, f"'{inst.cls.__name__}' object is not callable")
    return call(tx, meth, args, kwargs)


def call_mode_exit(tx, m, args, kwargs):
    tx.pop_mode(tx.frame)
    return ConstVal(False)


def _not_callable(tx, v, args, kwargs):
    from .attrs import value_type
    tx.raise_type(TypeError, f"'{value_type(v).__name__}' object is not callable")


def _opaque_call(tx, v, args, kwargs):
    tx.graph_break(BreakKind.UNSUPPORTED_CALL, f"call to {_describe(v.obj)}")


_CALLS = {
    FunctionVal: call_function,
    ClosureVal: call_closure,
    MethodVal: call_method,
    BuiltinMethodVal: call_builtin_method,
    PartialVal: call_partial,
    ConstVal: call_const,
    ClassInstanceVal: call_instance,
    ModeExitVal: call_mode_exit,
    OpaqueVal: _opaque_call,
    ModuleVal: _not_callable,
    TupleVal: _not_callable,
    ArrayVal: _not_callable,
    ExceptionVal: _not_callable,
}


#: Call rules whose inlined frame (if any) returns the call's own result.
_TRANSPARENT = frozenset([call_function, call_closure, call_method, call_partial,
                          call_instance])
_MODE_MARKERS = frozenset([markers.Marker.MODE_DECORATED, markers.Marker.COMPILED])


def _keeps_direct(rule, fn) -> bool:
    if rule is call_const:
        return markers.classify(fn.value) in _MODE_MARKERS
    if rule is call_function:
        marker = markers.classify(fn.fn)
        return marker is None or marker in _MODE_MARKERS
    return rule in _TRANSPARENT


def _site_capable(rule, fn) -> bool:
    """Rules that claim an armed frame for their callbacks (trace/sites.py)."""
    if rule is not call_const:
        return False
    value = fn.value
    from .builtins_rules import SITE_RULES
    if any(value is b for b in SITE_RULES):      # list, tuple: classes with a rule
        return True
    return isinstance(value, type) and is_plain_class(value)


def call(tx, fn, args, kwargs):
    # an armed frame (trace/sites.py) is claimed by this call, whatever it is
    armed, tx.armed = tx.armed, None
    rule = _CALLS.get(type(fn))
    if rule is None:
        tx.unsupported(f"calling a {type(fn).__name__}")
    mine = armed is not None and armed is tx.frame
    if mine and _keeps_direct(rule, fn):
        tx.inline_direct = armed
    elif tx.inline_direct is not None and not _keeps_direct(rule, fn):
        tx.inline_direct = None
    if mine and _site_capable(rule, fn):
        tx.armed = armed          # the rule's callbacks may claim it, until it returns
        try:
            return rule(tx, fn, args, kwargs)
        finally:
            tx.armed = None
    return rule(tx, fn, args, kwargs)
