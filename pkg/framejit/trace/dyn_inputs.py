"""Dynamic numbers beside arrays: NumPy-scalar graph inputs instead of constants.

A dynamic int or float (trace/dynamic.py) that meets an array in an arithmetic operator
(``x + i``, ``i * x``, ``x //= i``), is stored into one (``out[t] = v``), indexes one
(``x[i]``, ``x[i, 1:]``) or is an argument of a ufunc called on Python numbers only
(``np.sin(omega * t)``: float64 / int64, as NumPy converts a number alone) becomes a 0-d
graph input, reloaded at run time through a ``ScalarSource``:

- beside an array its dtype is the one NumPy's weak-scalar promotion (NEP 50) gives the
  Python number there, and its roots are guarded (RANGE) to the interval in which that
  conversion is exact and NumPy would not raise OverflowError (float32: its finite
  range); float16 and complex arrays specialize instead;
- as an index it is an ``intp`` input guarded to the axis's bounds, so ``x[i]`` is still
  a view and reads the item the run-time value picks.

One input per (source, dtype) per trace (``tx.dyn_inputs``).
"""
from __future__ import annotations

import numpy as np

from .dynamic import BOX, DIVMOD, affine_parts, constrain, narrow, roots_of
from .guards import GuardKind
from .sources import AffineSource, ConstSource, IntExprSource, ScalarSource
from .values import ArrayVal, ConstVal

# the ints a dtype holds exactly, as NumPy's weak promotion converts them; other dtypes
# (float16, complex) specialize
_FLOAT_EXACT = {np.dtype(np.float32): 2 ** 24, np.dtype(np.float64): 2 ** 53}


_F32_MAX = float(np.finfo(np.float32).max)


def _weak_dtype(other, value):
    """The dtype a Python int or float takes beside an array of dtype ``other`` (NEP 50)
    and the range in which that conversion is exact (ints) or does not overflow
    (floats); None: specialize."""
    dtype = np.result_type(other, type(value)(0))     # a Python literal is weak (NEP 50)
    if type(value) is float:
        if dtype == np.float64:
            return dtype, None, None
        return (dtype, -_F32_MAX, _F32_MAX) if dtype == np.float32 else None
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return dtype, int(info.min), int(info.max) + 1
    bound = _FLOAT_EXACT.get(dtype)
    return (dtype, -bound, bound + 1) if bound is not None else None


def interval(tx, source):
    """[lo, hi] of a dynamic int expression from its roots' RANGE guards (closed)."""
    t = type(source)
    if t is ConstSource:
        return source.value, source.value
    if t is AffineSource:
        lo, hi = interval(tx, source.base)
        ends = (source.add + source.mul * lo, source.add + source.mul * hi)
        return min(ends), max(ends)
    if t is IntExprSource:
        (a, b), (c, d) = interval(tx, source.left), interval(tx, source.right)
        if source.sym == "+":
            return a + c, b + d
        if source.sym == "-":
            return a - d, b - c
        if source.sym in DIVMOD:        # a constant, nonzero divisor (int_binary)
            k = source.right.value
            if source.sym == "%":
                return (0, k - 1) if k > 0 else (k + 1, 0)
            ends = (a // k, b // k)
            return min(ends), max(ends)
        ends = (a * c, a * d, b * c, b * d)
        return min(ends), max(ends)
    lo, hi = tx.guards[(GuardKind.RANGE, source)].expected
    return lo, hi - 1


def bounded(tx, source):
    """Give every root of ``source`` a range no wider than the box around its value (an
    expression of several roots must fit a dtype; the box keeps the bound checkable)."""
    for root in roots_of(source):
        if not BOX[0] <= tx.root_values[root] < BOX[1]:
            return False
        narrow(tx, root, BOX[0], BOX[1])
    return True


def _as_input(tx, v, other):
    """The graph input for dynamic number ``v`` beside array value ``other``, or None."""
    conv = _weak_dtype(other.meta.dtype, v.value)
    if conv is None:
        return None                      # specialize: a float16 or complex array
    dtype, lo, hi = conv
    if not fits(tx, v, lo, hi):
        return None
    return _input(tx, v, dtype)


def fits(tx, v, lo, hi):
    """Guard ``lo <= v < hi`` (None: no bound) through v's roots; False: cannot (then
    the caller specializes, and NumPy's own error or warning comes from the value)."""
    if lo is not None and not lo <= v.value < hi:
        return False
    if lo is None:
        return True
    if type(v.value) is float:           # only a root can be bounded by a guard
        if type(v.source) is IntExprSource:
            return False
        narrow(tx, v.source, lo, hi)
        return True
    parts = affine_parts(v.source)
    if parts is not None:
        constrain(tx, parts, False, lo)
        constrain(tx, parts, True, hi)
        return True
    if not bounded(tx, v.source):
        return False
    ilo, ihi = interval(tx, v.source)
    return lo <= ilo and ihi < hi


def _input(tx, v, dtype):
    """The graph input carrying dynamic number ``v`` as a NumPy scalar of ``dtype``
    (scalar ints index as views, and a scalar of the weak-promoted dtype promotes as the
    Python number did)."""
    key = (v.source, dtype)
    hit = tx.dyn_inputs.get(key)
    if hit is None:
        from ..graph.ir import Meta
        node = tx.builder.add_input(Meta((), dtype, True), name=_name(v.source))
        tx.input_sources.append(ScalarSource(v.source, dtype))
        tx.example_inputs.append(dtype.type(v.value))
        hit = tx.dyn_inputs[key] = ArrayVal(node, None)
    return hit


def lift_index(tx, x, key):
    """An array index with dynamic ints (``x[i]``, ``x[i, :]``, ``out[t] = v``): each
    becomes an intp graph input guarded to its axis's bounds, so the item read or
    written follows the run-time value; other keys are returned as they are."""
    from .values import TupleVal
    items = key.items if type(key) is TupleVal else [key]
    if not any(type(k) is ConstVal and k.dynamic for k in items):
        return key
    if any(not (type(k) is ConstVal and (k.value is None or type(k.value) in (int, slice)))
           for k in items):
        return key                       # arrays, Ellipsis, masks: specialize
    shape, axis, out = x.meta.shape, 0, []
    for k in items:
        if k.value is None:
            out.append(k)
            continue
        if k.dynamic and type(k.value) is int and axis < len(shape) \
                and type(shape[axis]) is int and fits(tx, k, -shape[axis], shape[axis]):
            k = _input(tx, k, np.dtype(np.intp))
        out.append(k)
        axis += 1
    return TupleVal(out) if type(key) is TupleVal else out[0]


def _name(source):
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in str(source)).strip("_")
    return text or "dyn"


def lift_operands(tx, a, b):
    """``a``, ``b`` of an operator with an array on one side: a dynamic int on the other
    side becomes a graph input (when its dtype allows)."""
    for mine, other in ((a, b), (b, a)):
        if type(mine) is ConstVal and mine.dynamic and type(other) is ArrayVal \
                and type(mine.value) in (int, float):
            lifted = _as_input(tx, mine, other)
            if lifted is not None:
                return (lifted, b) if mine is a else (a, lifted)
    return a, b


#: the dtype NumPy gives a Python number alone (np.asarray(3.5), np.asarray(3)) and the
#: range in which that holds (a larger int is an object array or OverflowError)
_ALONE = {float: (np.dtype(np.float64), None, None),
          int: (np.dtype(np.int64), -2 ** 63, 2 ** 63)}


def lift_alone(tx, args):
    """The arguments of a ufunc called on Python numbers only (``np.sin(omega * t)``), a
    dynamic one becoming a 0-d graph input of the dtype NumPy gives it, so a call per
    value of ``t`` does not recompile; None when none is dynamic or one cannot be."""
    if not any(type(a) is ConstVal and a.dynamic and type(a.value) in _ALONE for a in args):
        return None
    out = []
    for a in args:
        if type(a) is ConstVal and a.dynamic:
            rule = _ALONE.get(type(a.value))
            if rule is None or not fits(tx, a, rule[1], rule[2]):
                return None
            a = _input(tx, a, rule[0])
        out.append(a)
    return out
