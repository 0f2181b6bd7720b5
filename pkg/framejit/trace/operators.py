"""Python operators over symbolic values: binary, in-place, unary, comparisons, ``is``,
``in`` and truthiness.

An operator with an array operand becomes a graph node named after the NumPy ufunc that
``ndarray`` would call (numpy_rules); in-place operators on an array become the ufunc
with ``out=`` the array — a mutation of the caller's array exactly as ``ndarray.__iadd__``
does — and evaluate to the same value (identity kept). Operators on trace-time constants
are folded with Python's own ``operator`` functions (their exceptions become the traced
program's). Containers (tuples, lists) concatenate and repeat; user classes with dunder
methods are inlined. Dispatch is by operand types through small tables.
"""
from __future__ import annotations

from . import numpy_rules as npr, sets
from .breaks import BreakKind
from .guards import GuardKind
from .values import (ArrayVal, ClassInstanceVal, ConstVal, DictVal, ListVal, OpaqueVal, SetVal,
                     TupleVal, Value)
from .dynamic import (int_binary, int_truth, is_formatted, join_formatted, number_abs,
                      number_negate)
from .dyn_inputs import lift_operands
from .wrap import node_arg

_DUNDERS = {
    "+": ("__add__", "__radd__", "__iadd__"), "-": ("__sub__", "__rsub__", "__isub__"),
    "*": ("__mul__", "__rmul__", "__imul__"), "/": ("__truediv__", "__rtruediv__", "__itruediv__"),
    "//": ("__floordiv__", "__rfloordiv__", "__ifloordiv__"), "%": ("__mod__", "__rmod__", "__imod__"),
    "**": ("__pow__", "__rpow__", "__ipow__"), "@": ("__matmul__", "__rmatmul__", "__imatmul__"),
    "&": ("__and__", "__rand__", "__iand__"), "|": ("__or__", "__ror__", "__ior__"),
    "^": ("__xor__", "__rxor__", "__ixor__"), "<<": ("__lshift__", "__rlshift__", "__ilshift__"),
    ">>": ("__rshift__", "__rrshift__", "__irshift__"),
    "<": ("__lt__", "__gt__", None), "<=": ("__le__", "__ge__", None),
    "==": ("__eq__", "__eq__", None), "!=": ("__ne__", "__ne__", None),
    ">": ("__gt__", "__lt__", None), ">=": ("__ge__", "__le__", None),
}


def _array_binary(tx, sym, a, b, inplace):
    if sym != "**":
        a, b = lift_operands(tx, a, b)
    if sym == "**" and type(a) is ArrayVal and type(b) is ConstVal:
        op, uses_exp = npr.power_op(a.meta, tx.pyval(b))
        args = (a.node, b.value) if uses_exp else (a.node,)
    else:
        op = npr.BINARY_OPS[sym]
        args = (node_arg(tx, a), node_arg(tx, b))
    if inplace and type(a) is ArrayVal and not a.meta.scalar:
        tx.add_node(op, args, {"out": a.node})
        return a
    return tx.add_node(op, args)


def _const_binary(tx, sym, a, b, inplace):
    if sym == "+" and (is_formatted(a) or is_formatted(b)) and all(
            type(v.value) is str for v in (a, b)):
        return join_formatted(tx, (a, b))     # "it=" + f"{i}": still formatted at run time
    if a.dynamic or b.dynamic:
        out = int_binary(tx, sym, a, b)
        if out is not None:
            return out
    x, y = tx.pyval(a), tx.pyval(b)
    fn = npr.PY_INPLACE[sym] if inplace else npr.PY_OPERATORS[sym]
    return ConstVal(tx.fold(fn, x, y))


def _seq_items(tx, v):
    if type(v) is ConstVal:
        value = tx.pyval(v)
        return [ConstVal(o) for o in value] if isinstance(value, (tuple, list)) else None
    return list(v.items) if type(v) in (TupleVal, ListVal) else None


def _sequence_binary(tx, sym, a, b, inplace):
    """Tuple/list concatenation and repetition (lists in place for ``+=``/``*=``)."""
    ta, tb = python_type(a), python_type(b)
    left, right = _seq_items(tx, a), _seq_items(tx, b)
    seq = a
    if sym == "+" and left is not None and right is not None and (
            ta is tb or (inplace and type(a) is ListVal)):
        items = left + right
    elif sym == "*" and left is not None and tb in (int, bool):
        items = left * tx.pyval(b)
    elif sym == "*" and right is not None and ta in (int, bool):
        items, seq = right * tx.pyval(a), b
    elif type(a) is ConstVal and type(b) is ConstVal:
        return _const_binary(tx, sym, a, b, inplace)
    else:
        return _type_error(tx, sym, a, b)
    if inplace and type(seq) is ListVal:
        from .attrs import list_mutate
        list_mutate(tx, seq, "extend" if sym == "+" else "__imul__", [b if seq is a else a],
                    items)
        return seq
    return ListVal(items) if type(seq) is ListVal else TupleVal(items)


def _is_list(v):
    return type(v) is ListVal


_PROBES = {TupleVal: tuple, ListVal: list, DictVal: dict}


def _probe(v):
    """A stand-in of the same Python type (for CPython's own error message)."""
    if type(v) is ConstVal:
        return v.value
    make = _PROBES.get(type(v))
    return make() if make is not None else None


def _type_error(tx, sym, a, b):
    pa, pb = _probe(a), _probe(b)
    if pa is not None and pb is not None:
        tx.fold(npr.PY_OPERATORS[sym], pa, pb)   # raises CPython's exact TypeError
    tx.raise_type(TypeError, f"unsupported operand type(s) for {sym}: "
                             f"'{python_type(a).__name__}' and '{python_type(b).__name__}'")


_COMPARISONS = COMPARISONS = frozenset(["<", "<=", "==", "!=", ">", ">="])


def type_error_message(sym, a, b, inplace=False) -> str:
    """CPython's TypeError message when no operand's method handles ``sym``."""
    from .attrs import tp_name
    ta, tb = tp_name(python_type(a)), tp_name(python_type(b))
    if sym in _COMPARISONS:
        return f"'{sym}' not supported between instances of '{ta}' and '{tb}'"
    op = sym + "=" if inplace else ("** or pow()" if sym == "**" else sym)
    return f"unsupported operand type(s) for {op}: '{ta}' and '{tb}'"


def _overrides(sub, base, name) -> bool:
    return getattr(sub, name, None) is not getattr(base, name, None)


def _candidates(sym, a, b, inplace) -> list:
    """The dunder calls CPython makes for ``a <sym> b`` on plain-class operands, in
    order: ``(swapped, name)`` (``swapped``: called on ``b`` with ``a``). A reflected
    method of a subclass operand goes first (arithmetic: only if it overrides it);
    arithmetic on operands of one type never reflects, comparisons always do."""
    names = _DUNDERS[sym]
    ta, tb = python_type(a), python_type(b)
    out = [(False, names[2])] if inplace and names[2] else []
    compare = sym in _COMPARISONS
    first = ta is not tb and issubclass(tb, ta) and (compare or _overrides(tb, ta, names[1]))
    if first:
        out.append((True, names[1]))
    out.append((False, names[0]))
    if (compare or ta is not tb) and not first:
        out.append((True, names[1]))
    return [(s, n) for s, n in out if type(b if s else a) is ClassInstanceVal]


_TAKE = object()     # _dunder_binary: take the armed frame itself


def _dunder_binary(tx, sym, a, b, inplace, owner=_TAKE, site_of=None):
    """``a <sym> b`` through the operands' dunders. ``owner``/``site_of``: the armed frame
    and how its site finishes the operation from a dunder's value (``site_of(rest,
    fallback)``; by default ``sites.binary_rest``), for callers that post-process it."""
    from . import sites
    from .attrs import lookup_special
    if owner is _TAKE:
        owner = sites.take(tx)
    cands = _candidates(sym, a, b, inplace)
    message = type_error_message(sym, a, b, inplace)
    fallback = sym if sym in ("==", "!=") else message
    for i, (swapped, name) in enumerate(cands):
        obj, other = (b, a) if swapped else (a, b)
        if type(obj) is not ClassInstanceVal:
            continue
        meth = lookup_special(tx, obj, name)
        if meth is None:
            continue
        rest = ConstVal(tuple(cands[i + 1:]))
        site = (sites.Site(sites.binary_rest, (a, b, rest, ConstVal(fallback)))
                if site_of is None else site_of(rest, ConstVal(fallback)))
        result = sites.call_at(tx, owner, meth, [other], site)
        if not (type(result) is ConstVal and result.value is NotImplemented):
            return result
    if sym in ("==", "!="):
        return ConstVal((a is b) == (sym == "=="))
    tx.raise_type(TypeError, message)


def binary(tx, sym: str, a: Value, b: Value, inplace: bool = False) -> Value:
    ta, tb = type(a), type(b)
    if ta is ArrayVal or tb is ArrayVal:
        if ta is ClassInstanceVal or tb is ClassInstanceVal:
            return _dunder_binary(tx, sym, a, b, inplace)
        return _array_binary(tx, sym, a, b, inplace)
    if ta is ConstVal and tb is ConstVal:
        return _const_binary(tx, sym, a, b, inplace)
    if ta is ClassInstanceVal or tb is ClassInstanceVal:
        return _dunder_binary(tx, sym, a, b, inplace)
    if ta is SetVal or tb is SetVal:
        out = sets.binary(tx, sym, a, b, inplace)
        if out is not None:
            return out
        if sym in ("==", "!="):
            return ConstVal(sym == "!=")          # a set never equals a non-set
        tx.raise_type(TypeError, type_error_message(sym, a, b, inplace))
    if sym in ("==", "!=") and (ta in _CONTAINERS or tb in _CONTAINERS):
        return _container_equal(tx, sym, a, b)
    if sym in ORDERINGS and (ta in _SEQUENCES or tb in _SEQUENCES):
        return _container_order(tx, sym, a, b)
    return _sequence_binary(tx, sym, a, b, inplace)


_CONTAINERS = (TupleVal, ListVal, DictVal)
_SEQUENCES = (TupleVal, ListVal)
ORDERINGS = frozenset(["<", "<=", ">", ">="])


def _container_equal(tx, sym, a, b):
    """``==``/``!=`` of two lists or tuples: lengths, then element by element, identity
    first (CPython's PyObject_RichCompareBool: a NaN or an object whose __eq__ says False
    equals itself, and its __eq__ is not called). An element's dunder is a site of the
    armed frame (``sites.seq_equal_rest`` finishes the comparison)."""
    from . import sites
    owner = sites.take(tx)
    left, right = _seq_items(tx, a), _seq_items(tx, b)
    equal = sym == "=="
    if left is None or right is None or _is_list(a) != _is_list(b):
        return ConstVal((a is b) == equal)
    if len(left) != len(right):
        return ConstVal(not equal)
    for i, (x, y) in enumerate(zip(left, right)):
        if is_same(tx, x, y):
            continue
        if ClassInstanceVal in (type(x), type(y)):
            def site_of(rest, fallback, x=x, y=y, i=i):
                return sites.Site(sites.seq_equal_rest, (x, y, rest, a, b, ConstVal(i),
                                                         ConstVal(equal)))
            eq = _dunder_binary(tx, "==", x, y, False, owner, site_of)
        else:
            eq = binary(tx, "==", x, y)
        if not truthy(tx, eq):
            return ConstVal(not equal)
    return ConstVal(equal)


def _container_order(tx, sym, a, b):
    """``<``, ``<=``, ``>``, ``>=`` of two lists or of two tuples, as CPython: the first
    index whose elements are not equal (identity first, then ``==``'s truth) decides
    with ``sym`` on that pair (its value as it is, not made a bool); the lengths when
    one is a prefix of the other. An element's dunder is a site of the armed frame: an
    ``__eq__`` through ``sites.seq_order_rest``, the deciding pair's through
    ``sites.binary_rest`` (its value is the instruction's)."""
    from . import sites
    owner = sites.take(tx)
    left, right = _seq_items(tx, a), _seq_items(tx, b)
    if left is None or right is None or _is_list(a) != _is_list(b):
        return _type_error(tx, sym, a, b)
    op = ConstVal(npr.PY_OPERATORS[sym])
    for i, (x, y) in enumerate(zip(left, right)):
        if is_same(tx, x, y):
            continue
        if ClassInstanceVal in (type(x), type(y)):
            def site_of(rest, fallback, x=x, y=y, i=i):
                return sites.Site(sites.seq_order_rest, (x, y, rest, a, b, ConstVal(i), op))
            eq = _dunder_binary(tx, "==", x, y, False, owner, site_of)
        else:
            eq = binary(tx, "==", x, y)
        if not truthy(tx, eq):
            if ClassInstanceVal in (type(x), type(y)):
                return _dunder_binary(tx, sym, x, y, False, owner)
            return binary(tx, sym, x, y)
    return ConstVal(tx.fold(npr.PY_OPERATORS[sym], len(left), len(right)))


# unary operators that keep a dynamic number symbolic (trace/dynamic.py); None: specialize
_DYNAMIC_UNARY = {"-": number_negate, "abs": number_abs}


def unary(tx, sym: str, v: Value) -> Value:
    t = type(v)
    if t is ArrayVal:
        return tx.add_node(npr.UNARY_OPS[sym], (v.node,))
    if t is ConstVal:
        out = _DYNAMIC_UNARY[sym](tx, v) if v.dynamic and sym in _DYNAMIC_UNARY else None
        return out if out is not None else ConstVal(tx.fold(npr.PY_UNARY[sym], tx.pyval(v)))
    if t is ClassInstanceVal:
        from .attrs import lookup_special
        name = {"-": "__neg__", "+": "__pos__", "~": "__invert__", "abs": "__abs__"}[sym]
        meth = lookup_special(tx, v, name)
        if meth is not None:
            return tx.call(meth, [])     # an armed frame: the value is UNARY_*'s own
    what = "abs()" if sym == "abs" else f"unary {sym}"
    tx.raise_type(TypeError, f"bad operand type for {what}: '{python_type(v).__name__}'")


def is_same(tx, a: Value, b: Value) -> bool:
    if type(a) is ConstVal and type(b) is ConstVal:
        if type(a.value) is not type(b.value):
            # never one object: decided by the types (``k is None`` does not specialize
            # an int; a dynamic value's roots are type-guarded already)
            for v in (a, b):
                if v.source is not None and not (v.dynamic or v.guarded):
                    tx.add_guard(GuardKind.TYPE, v.source, type(v.value))
            return False
        return tx.pyval(a) is tx.pyval(b)
    if type(a) is ConstVal or type(b) is ConstVal:
        const, other = (a, b) if type(a) is ConstVal else (b, a)
        # a traced object is never a trace-time constant unless it is one (a dynamic
        # number is a number by its type guards: its value stays unread); an opaque one
        # is guarded by type for that (``tb is not None``: a later call may pass None),
        # and by identity when it has the constant's type (``m is Mode.A``)
        if not const.dynamic:
            tx.pyval(const)
        if type(other) is OpaqueVal:
            if type(other.obj) is type(const.value) and not const.dynamic:
                return _same_object(tx, other, other.obj, const.value)
            if other.source is not None:
                tx.add_guard(GuardKind.TYPE, other.source, type(other.obj))
        return False
    if type(a) is OpaqueVal and type(b) is OpaqueVal:      # two paths, maybe one object
        same = a.obj is b.obj
        for v in (a, b):
            _same_object(tx, v, v.obj, v.obj)
        return same
    return a is b


def _same_object(tx, v, obj, expected) -> bool:
    """``obj is expected`` for an opaque value: guarded by identity through its source."""
    if v.source is not None:
        tx.add_guard(GuardKind.ID, v.source, obj)
    return obj is expected


def contains(tx, item: Value, container: Value, invert: bool = False) -> bool:
    """``item in container`` (``not in`` when ``invert``). A list or tuple compares each
    element with ``element == item`` as CPython does (identity first); when the frame is
    armed, a dunder's value finishes through ``sites.contains_rest``."""
    from . import sites
    owner = sites.take(tx)
    t = type(container)
    if t is DictVal:
        return (tx.key(item) in container.items) != invert
    if t is SetVal:
        return (sets.element(tx, item) in container.real) != invert
    if t is ConstVal and type(item) is ConstVal:
        return tx.fold(lambda x, c: x in c, tx.pyval(item), tx.pyval(container)) != invert
    items = _seq_items(tx, container)
    if items is None:
        tx.unsupported(f"'in' on a {t.__name__}")
    for i, x in enumerate(items):
        if is_same(tx, x, item):
            return not invert
        if ClassInstanceVal in (type(x), type(item)):
            def site_of(rest, fallback, x=x, i=i):
                return sites.Site(sites.contains_rest, (x, item, rest, container,
                                                        ConstVal(i), ConstVal(invert)))
            eq = _dunder_binary(tx, "==", x, item, False, owner, site_of)
        else:
            eq = binary(tx, "==", x, item)
        if truthy(tx, eq):
            return not invert
    return invert


def _instance_truthy(tx, v):
    from . import sites
    return instance_truth(tx, sites.take(tx), v, lambda name: sites.Site(
        sites.truth_rest, (ConstVal(name),), at_inst=True))


def instance_truth(tx, owner, v, site_of) -> bool:
    """The truth of a plain-class instance: ``__bool__``, else ``__len__``, else True.
    The method's call is a site of ``owner`` (if armed): ``site_of(method name)``."""
    from . import sites
    from .attrs import lookup_special
    for name in ("__bool__", "__len__"):
        meth = lookup_special(tx, v, name)
        if meth is not None:
            return truth_value(tx, name, sites.call_at(tx, owner, meth, [], site_of(name)))
    return True


def truth_value(tx, name, v) -> bool:
    """What CPython makes of ``__bool__`` / ``__len__`` returning ``v`` (sites.truth_rest)."""
    if type(v) is ConstVal and type(v.value) is bool:
        return v.value
    if name == "__bool__":
        tx.raise_type(TypeError, f"__bool__ should return bool, returned "
                                 f"{python_type(v).__name__}")
    return length_value(tx, v) != 0


def length_value(tx, v) -> int:
    """What CPython makes of ``__len__`` returning ``v`` (sites.len_rest)."""
    n = tx.pyval(v)
    if not isinstance(n, int):
        tx.raise_type(TypeError, f"'{type(n).__name__}' object cannot be interpreted as "
                                 "an integer")
    if n < 0:
        tx.raise_type(ValueError, "__len__() should return >= 0")
    return int(n)


def _const_truthy(tx, v):
    truth = int_truth(tx, v) if v.dynamic else None
    return bool(tx.pyval(v)) if truth is None else truth


_TRUTHY = {
    ConstVal: _const_truthy,
    TupleVal: lambda tx, v: v.length() > 0,
    ListVal: lambda tx, v: v.length() > 0,
    DictVal: lambda tx, v: bool(v.items),
    SetVal: lambda tx, v: bool(v.real),
    ClassInstanceVal: _instance_truthy,
}


def truthy(tx, v: Value) -> bool:
    rule = _TRUTHY.get(type(v))
    if rule is not None:
        return rule(tx, v)
    if type(v) is ArrayVal:
        tx.graph_break(BreakKind.DATA_DEPENDENT,
                       f"the truth value of array {v.node.name} ({v.meta}) decides Python "
                       "control flow")
    if type(v).__name__ == "OpaqueVal":
        tx.unsupported(f"truth value of an opaque {type(v.obj).__name__}")
    return True


def python_type(v: Value) -> type:
    """The Python type of the value the traced program would hold."""
    from .attrs import value_type
    return value_type(v)
