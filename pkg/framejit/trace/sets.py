"""Sets made by traced code: ``{a, b}``, set comprehensions, ``set(iterable)``.

A ``SetVal`` holds a real Python set of its elements' values (each element is read while
tracing, ``tx.pyval``: a dynamic int becomes its value, guarded). Every operation is
applied to that set in program order, so iteration, ``pop()`` and the printed order are
CPython's own for the same history. Elements must be hashable values known while
tracing; anything else (an array, an object the trace built) is a break, as is a set
that comes from outside the trace (it is not modelled: an argument stays what it was).

At a break or on return, a set is rebuilt from its elements in iteration order (once,
however many places hold it).
"""
from __future__ import annotations

import operator

from .breaks import BreakKind
from .values import ConstVal, SetVal

#: method -> (mutates the set?, result: "none" | "set" | "value")
_METHODS = {
    "add": (True, "none"), "discard": (True, "none"), "remove": (True, "none"),
    "pop": (True, "value"), "clear": (True, "none"), "update": (True, "none"),
    "intersection_update": (True, "none"), "difference_update": (True, "none"),
    "symmetric_difference_update": (True, "none"),
    "union": (False, "set"), "intersection": (False, "set"), "difference": (False, "set"),
    "symmetric_difference": (False, "set"), "copy": (False, "set"),
    "issubset": (False, "value"), "issuperset": (False, "value"),
    "isdisjoint": (False, "value"),
}

#: operator symbol -> the set operation (``inplace``: the set itself is updated)
_OPERATORS = {"|": operator.or_, "&": operator.and_, "-": operator.sub, "^": operator.xor}
_INPLACE = {"|": operator.ior, "&": operator.iand, "-": operator.isub, "^": operator.ixor}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def element(tx, v):
    """The Python value of a set element (hashable, known while tracing)."""
    from .values import ArrayVal
    if type(v) is ArrayVal:
        tx.raise_type(TypeError, "unhashable type: 'numpy.ndarray'")
    if type(v) is not ConstVal:
        tx.unsupported(f"a {type(v).__name__} as a set element")
    return tx.key(v)                 # hashable, or the program's TypeError


def python_set(tx, v):
    """A real set (or frozenset) for an operand: a SetVal's, a constant's, or the items
    of a traced sequence; None when ``v`` is none of these."""
    if type(v) is SetVal:
        return v.real
    if type(v) is ConstVal and isinstance(v.value, (set, frozenset)):
        return tx.pyval(v)
    return None


def from_items(tx, items) -> SetVal:
    out = SetVal(set())
    for item in items:
        out.real.add(element(tx, item))
    return out


def call_method(tx, s, name, args):
    """``s.<name>(*args)`` of a SetVal."""
    from .iteration import unpack
    rule = _METHODS.get(name)
    if rule is None:
        tx.unsupported(f"set.{name}()", BreakKind.UNSUPPORTED_CALL)
    mutates, result = rule
    if name in ("add", "discard", "remove"):
        operands = [element(tx, args[0])] if args else []
    else:
        operands = [v.real if type(v) is SetVal else {element(tx, i) for i in unpack(tx, v)}
                    for v in args]
    target = s.real if mutates else s.real.copy()
    try:
        value = getattr(target, name)(*operands)
    except (KeyError, TypeError) as exc:
        tx.raise_python(exc)
    if result == "set":
        return SetVal(value if isinstance(value, set) else target)
    if result == "value":
        return ConstVal(value)
    return ConstVal(None)


def binary(tx, sym, a, b, inplace):
    """A set operator or comparison; None when the operands are not two sets."""
    left, right = python_set(tx, a), python_set(tx, b)
    if left is None or right is None:
        return None
    if sym in _COMPARE:
        return ConstVal(_COMPARE[sym](left, right))
    if sym not in _OPERATORS:
        return None
    if inplace and type(a) is SetVal:
        _INPLACE[sym](a.real, right)
        return a
    value = _OPERATORS[sym](left, right)
    return SetVal(value) if isinstance(value, set) else ConstVal(value)
