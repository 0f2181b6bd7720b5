"""Dynamic Python ints: values that change from call to call without recompiling.

Automatic, like torch.compile's automatic dynamic shapes for scalars: when a frame misses
its cache because a VALUE guard on an ``int`` failed (a loop counter carried into a resume
function, the position of a resumed ``range`` loop, an int argument), the runtime marks
that source *dynamic* for the code object (``mark_failed``) and the next trace wraps it as
a ``ConstVal(dynamic=True)`` guarded only by type. Then:

- beside an array in an arithmetic operator (``x + i``, ``i * x``, ``x //= i``) it becomes a
  NumPy-scalar graph input of the dtype NumPy's weak-scalar promotion gives it there,
  guarded by the range in which that conversion is exact and NumPy would not raise
  OverflowError (floats likewise, see ``NUMBER_OPS``; trace/dyn_inputs.py);
- as the position of a SeqCursor (trace/cursor.py, traced by trace/resumed_iter.py) it
  is iterated symbolically: each step guards ``index < len - k`` (or ``>=`` at the end);
  over a range the loop variable is the dynamic int ``start + step * (index + k)``, over
  another sequence the item is read through the cursor (``cursor[k]``);
- ``+``, ``-``, ``*`` with ints stay symbolic (AffineSource, IntExprSource: rebuilt at run
  time where a break passes them on), and order comparisons with a static int are
  decided at trace time under a RANGE guard (``while i < n:`` does not specialize ``i``);
- any other int comparison (``==``, ``!=``, of ``%``/``//`` expressions, of two dynamic
  ints: ``i == j``, ``i + 1 < n``), every comparison of a dynamic float (``err < tol``
  on a float computed from array data each iteration) and truthiness (``if i % 2:``) is
  decided under a PRED guard (``Predicate``) on the root, or on the tuple of the roots
  (RootsSource);
  ``decide`` is the same for callers that need a bool (trace/dyn_items.py,
  trace/dyn_ranges.py);
- against None (or a str, a tuple ...: ``k is None``, ``k == None``) it is decided by its
  type (``_never_equal``, operators.is_same): its roots are type-guarded;
- as a list or tuple index it reads the item where the run picks it (trace/dyn_items.py),
  as a ``range()`` bound it keeps the range dynamic (trace/dyn_ranges.py);
- ``abs(v)``, ``-v`` and ``min``/``max`` of numbers (``number_abs``, ``number_negate``,
  ``extreme_index``) decide their comparisons under PRED guards and stay symbolic; a
  division by a nonzero expression and a small constant power of a positive float
  (``_safe_power``) too, while the expressions are small (``_small``);
- every other use reads the value (``Tracer.pyval``) and specializes on it with VALUE
  guards on its roots, exactly as for a static int.

So a ``for`` loop whose body breaks compiles its resume function twice (the iterations,
and the exit) instead of once per iteration, plus one entry per outcome of each test of
its variables. Entries compiled while a source was still static are demoted once it is
marked (runtime.py, ``specialized_on``).
"""
from __future__ import annotations

import math
import operator

from ..bytecode.identity import IdentityWeakKeyDict
from .guards import Guard, GuardKind
from .sources import (NUMBER_OPS, AffineSource, AttrSource, ClosureSource, ConstSource,
                      DynItemSource, FormatSource, GlobalSource, IntExprSource, ItemSource,
                      LenSource, LocalSource, RangeSource, RootsSource)
from .values import ConstVal

_marked = IdentityWeakKeyDict()     # code -> frozenset of dynamic sources


def dynamic_sources(code) -> frozenset:
    return _marked.get(code, frozenset())


def reset():
    _marked.clear()


# ---------------------------------------------------------------- marking


def _plain_path(source) -> bool:
    """A path from the frame's own entry state (never a baked-in object: an entry must
    not keep user objects alive through its report; a constant tuple indexed at a
    dynamic position is only constants)."""
    while type(source) in (AttrSource, ItemSource, DynItemSource, LenSource):
        if type(source) is DynItemSource:
            if not all(_plain_path(r) for r in roots_of(source.index)):
                return False
            if type(source.base) is ConstSource and type(source.base.value) is tuple:
                return True
        source = source.base
    return type(source) in (LocalSource, GlobalSource, ClosureSource)


def int_value_guards(guards) -> tuple:
    """(source, expected) of the VALUE guards on ints and floats: what ``mark_failed``
    re-checks."""
    return tuple((g.source, g.expected) for g in guards
                 if g.kind is GuardKind.VALUE and type(g.expected) in (int, float)
                 and _plain_path(g.source))


def mark_failed(code, infos, env) -> list:
    """Mark dynamic the int sources whose VALUE guard fails on ``env`` (the frame being
    entered) in the entries described by ``infos``; returns the newly marked sources."""
    marked = set(dynamic_sources(code))
    new = []
    for info in infos:
        for source, expected in getattr(info, "int_guards", ()):
            if source in marked:
                continue
            try:
                value = source.fetch(env)
            except Exception:
                continue
            if type(value) is type(expected) and value != expected:
                marked.add(source)
                new.append(source)
    if new:
        _marked[code] = frozenset(marked)
    return new


def specialized_on(infos, sources) -> list:
    """The entry infos among ``infos`` with a VALUE guard on one of ``sources``."""
    sources = set(sources)
    return [info for info in infos
            if any(source in sources for source, _ in getattr(info, "int_guards", ()))]


# ---------------------------------------------------------------- tracing
# A dynamic int's source is a *root* (a guardable path: an argument, a cursor's index),
# an AffineSource ``add + mul * root`` or an IntExprSource over two of them. Guards are
# always on roots: RANGE (what comparisons and dtype conversions assumed) or, when a use
# needs the exact value, VALUE (specialization).

BOX = (-2 ** 31, 2 ** 31)   # imposed on an unbounded root when an expression must fit


def wrap_number(tx, obj, source):
    """A dynamic int or float (floats: arithmetic and use beside arrays only)."""
    tx.add_guard(GuardKind.TYPE, source, type(obj))
    tx.root_values[source] = obj
    return ConstVal(obj, source, dynamic=True)


def affine(root, mul, add):
    return root if (mul, add) == (1, 0) else AffineSource(root, mul, add)


def affine_parts(source):
    """(root, mul, add) of an affine dynamic int, or None for an IntExprSource."""
    if type(source) is AffineSource:
        return source.base, source.mul, source.add
    if type(source) is IntExprSource:
        return None
    return source, 1, 0


def roots_of(source):
    t = type(source)
    if t is AffineSource:
        return [source.base]
    if t is IntExprSource:
        return roots_of(source.left) + roots_of(source.right)
    if t is RangeSource:                 # a range with dynamic bounds (dyn_ranges.py)
        return roots_of(source.start) + roots_of(source.stop)
    if t is FormatSource:                # an f-string of dynamic numbers
        return [r for v in source.values for r in roots_of(v)]
    return [] if t is ConstSource else [source]


def specialize(tx, v):
    """A use that needs the exact value: every root guarded by value."""
    for root in roots_of(v.source):
        tx.add_guard(GuardKind.VALUE, root, tx.root_values[root])


def narrow(tx, source, lo, hi):
    """Intersect the RANGE guard of root ``source`` with [lo, hi) (None: open)."""
    key = (GuardKind.RANGE, source)
    old = tx.guards.get(key)
    olo, ohi = old.expected if old is not None else (None, None)
    lo = olo if lo is None else (lo if olo is None else max(lo, olo))
    hi = ohi if hi is None else (hi if ohi is None else min(hi, ohi))
    tx.guards[key] = Guard(GuardKind.RANGE, source, (lo, hi))


def constrain(tx, parts, below, bound):
    """Guard ``add + mul * root < bound`` (``below``) or ``>= bound`` on the root."""
    root, mul, add = parts
    x = bound - add                       # mul * root < x, or >= x
    if mul > 0:
        ceil = -((-x) // mul)
        narrow(tx, root, None, ceil) if below else narrow(tx, root, ceil, None)
    elif mul < 0:
        floor = x // mul
        narrow(tx, root, floor + 1, None) if below else narrow(tx, root, None, floor + 1)


# ---------------------------------------------------------------- operators

_ARITH = {sym: NUMBER_OPS[sym] for sym in "+-*"}
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_EQUALITY = {"==": operator.eq, "!=": operator.ne}
DIVMOD = {sym: NUMBER_OPS[sym] for sym in ("%", "//")}


def _is_int(v):
    return type(v) is ConstVal and type(v.value) is int


def _is_number(v):
    return type(v) is ConstVal and type(v.value) in (int, float)


def int_binary(tx, sym, a, b):
    """``a <sym> b`` with a dynamic int or float operand, without specializing it where
    the result can stay symbolic; None: specialize (the caller folds the values)."""
    if sym in _EQUALITY and _never_equal(tx, a, b):
        return ConstVal(sym == "!=")
    if _is_int(a) and _is_int(b) and sym != "/":
        if sym in _ARITH:
            return _arith(tx, sym, a, b)
        if sym in _COMPARE:
            return _compare(tx, sym, a, b) or _predicate(tx, sym, a, b)
        if sym in _EQUALITY:
            return _predicate(tx, sym, a, b)
        if sym in DIVMOD and not b.dynamic and a.dynamic and tx.pyval(b) != 0:
            value = DIVMOD[sym](a.value, b.value)
            return ConstVal(value, IntExprSource(sym, a.source, ConstSource(b.value)),
                            dynamic=True)
        return None
    if not (_is_number(a) and _is_number(b)):
        return None
    # a float: an exact expression, evaluated at run time as Python would
    if sym in _ARITH or (sym == "/" and _nonzero_divisor(tx, a, b)) or (
            sym == "**" and _safe_power(tx, a, b)):
        return _float_expr(tx, sym, a, b)
    # a float comparison (``if err < tol: break`` on a float computed from array data
    # each iteration): decided under a PRED guard, one entry per outcome, not per value
    if sym in _OPS_ALL:
        return _predicate(tx, sym, a, b)
    return None


# objects of these types never equal a number (``k == None``): both sides' ``__eq__``
# return NotImplemented, and identity decides
_NOT_NUMBERS = frozenset([type(None), str, bytes, tuple, range, slice, type(Ellipsis)])


def _never_equal(tx, a, b):
    """``a`` or ``b`` is a dynamic number and the other a constant that no number
    equals: decided by the dynamic side's type alone (its roots are type-guarded), so
    ``k == None`` does not specialize ``k`` (``k is None``: operators.is_same)."""
    for dyn, other in ((a, b), (b, a)):
        if _is_number(dyn) and dyn.dynamic and type(other) is ConstVal and not other.dynamic \
                and type(other.value) in _NOT_NUMBERS:
            tx.pyval(other)
            return True
    return False


def float_of_dynamic(tx, v):
    """``float(v)`` of a dynamic number without specializing it, or None: a float is
    itself; an int is ``v * 1.0``, which Python computes by the same conversion
    (rounding, and OverflowError "int too large to convert to float")."""
    if not (type(v) is ConstVal and v.dynamic and type(v.value) in (int, float)):
        return None
    if type(v.value) is float:
        return v
    return _float_expr(tx, "*", v, ConstVal(1.0))


def _nonzero_divisor(tx, a, b):
    """A ZeroDivisionError must happen in place, so the run-time divisor is guarded to
    have the sign it has now (a root), to be nonzero (an expression: a PRED guard), or
    the constant must not be zero."""
    if not b.dynamic:
        return tx.pyval(b) != 0
    if b.value == 0:
        return False
    if type(b.source) in (AffineSource, IntExprSource):    # an expression: under a PRED
        if not (_small(b.source) and (not a.dynamic or _small(a.source))):
            return False
        try:
            return decide(tx, "!=", b, _ZERO)
        except Undecided:
            return False
    if b.value > 0:
        narrow(tx, b.source, 1 if type(b.value) is int else 5e-324, None)
    else:
        narrow(tx, b.source, None, 0)
    return True


# Sources are trees (a shared operand is repeated, and hashing, guards and reloads walk
# it whole): an expression that reuses its own operands in an unrolled loop (Welford's
# ``mean += (v - mean) / n``) doubles at each step. Divisions and powers by expressions
# stay symbolic only while the expression is this small; beyond, they specialize as
# before (the chain restarts from the specialized value).
_SMALL_EXPRESSION = 24


def _small(source, budget=_SMALL_EXPRESSION):
    """Whether the tree of ``source`` has at most ``budget`` nodes (walks at most that
    many)."""
    todo, seen = [source], 0
    while todo:
        src = todo.pop()
        seen += 1
        if seen > budget:
            return False
        t = type(src)
        if t is IntExprSource:
            todo += (src.left, src.right)
        elif t is AffineSource:
            todo.append(src.base)
    return True


# |exponent| below this keeps ``base ** exponent`` finite for every finite positive
# float base (5e-324 ** -0.95 is about 1e307): no OverflowError at run time
_SAFE_EXPONENT = 0.95


def _safe_power(tx, a, b):
    """``a ** b`` with a dynamic float base and a constant exponent (``(tol / err) **
    0.2`` of an adaptive step) can be left to run time when it cannot raise nor turn
    complex there: the base is guarded positive (one entry per outcome) and the
    exponent is small; anything else specializes."""
    if b.dynamic or not a.dynamic or type(a.value) is not float or not _small(a.source):
        return False
    e = tx.pyval(b)
    if type(e) not in (int, float) or not abs(e) < _SAFE_EXPONENT:
        return False
    try:
        return decide(tx, ">", a, ConstVal(0.0)) and decide(tx, "<", a, ConstVal(math.inf))
    except Undecided:
        return False


def _float_expr(tx, sym, a, b):
    value = NUMBER_OPS[sym](a.value, b.value)
    sa = a.source if a.dynamic else ConstSource(tx.pyval(a))
    sb = b.source if b.dynamic else ConstSource(tx.pyval(b))
    return ConstVal(value, IntExprSource(sym, sa, sb), dynamic=True)




def _arith(tx, sym, a, b):
    value = _ARITH[sym](a.value, b.value)
    if not (a.dynamic and b.dynamic):
        dyn, const = (a, b) if a.dynamic else (b, a)
        c = tx.pyval(const)
        parts = affine_parts(dyn.source)
        if parts is None:
            source = IntExprSource(sym, *((a.source, ConstSource(c)) if dyn is a
                                          else (ConstSource(c), b.source)))
        else:
            root, mul, add = parts
            if sym == "+":
                mul, add = mul, add + c
            elif sym == "*":
                mul, add = mul * c, add * c
            elif dyn is a:                # root expression - c
                add = add - c
            else:                         # c - root expression
                mul, add = -mul, c - add
            if mul == 0:
                return ConstVal(value)
            source = affine(root, mul, add)
        return ConstVal(value, source, dynamic=True)
    pa, pb = affine_parts(a.source), affine_parts(b.source)
    if sym in "+-" and pa is not None and pb is not None and pa[0] == pb[0]:
        sign = 1 if sym == "+" else -1
        mul, add = pa[1] + sign * pb[1], pa[2] + sign * pb[2]
        return ConstVal(value) if mul == 0 else ConstVal(
            value, affine(pa[0], mul, add), dynamic=True)
    return ConstVal(value, IntExprSource(sym, a.source, b.source), dynamic=True)


class Undecided(Exception):
    """No guard can decide a comparison of int values (``decide``): the caller
    specializes them."""


def decide(tx, sym, a, b) -> bool:
    """Whether ``a <sym> b`` holds for int values, dynamic or not, decided now under
    guards on the dynamic sides' roots (RANGE or PRED); raises Undecided."""
    if not (a.dynamic or b.dynamic):
        return _OPS_ALL[sym](tx.pyval(a), tx.pyval(b))
    out = int_binary(tx, sym, a, b)
    if out is None or out.dynamic:
        raise Undecided
    return out.value


def number_negate(tx, v):
    """``-v`` of a dynamic int (affine) or float (``v * -1``: the same value and sign,
    ``-0.0`` included), or None: specialize."""
    if type(v) is ConstVal and v.dynamic and type(v.value) is float:
        return int_binary(tx, "*", v, ConstVal(-1))
    return int_negate(tx, v)


def number_abs(tx, v):
    """``abs(v)`` of a dynamic int or float without specializing it, or None: the sign is
    decided under a guard (one entry per sign, not per value), then ``v * -1`` below
    zero, else ``v`` (a float: ``v + 0.0``, which is ``abs(-0.0) == 0.0`` and ``v``
    for every other float, NaN included)."""
    if not (_is_number(v) and v.dynamic):
        return None
    try:
        negative = decide(tx, "<", v, _ZERO)
    except Undecided:
        return None
    if negative:
        return int_binary(tx, "*", v, ConstVal(-1))
    return int_binary(tx, "+", v, ConstVal(0.0)) if type(v.value) is float else v


def extreme_index(tx, sym, values):
    """The position ``min`` (``sym`` ``"<"``) or ``max`` (``">"``) picks among int and
    float values of which some are dynamic, or None: specialize. CPython's order: the
    first item, replaced by each later item that compares ``sym`` to the current one
    (so the first of equal extremes wins); each comparison is decided under a guard
    (``min(h, t_end - t)`` with a float step compiles one entry per outcome)."""
    if not (all(map(_is_number, values)) and any(v.dynamic for v in values)):
        return None
    best = 0
    try:
        for k in range(1, len(values)):
            if decide(tx, sym, values[k], values[best]):
                best = k
    except Undecided:
        return None
    return best


def int_arith(tx, sym, a, b):
    """``a <sym> b`` (``+ - *``) of int values, symbolic when one is dynamic."""
    if a.dynamic or b.dynamic:
        out = int_binary(tx, sym, a, b)
        if out is not None:
            return out
    return ConstVal(_ARITH[sym](tx.pyval(a), tx.pyval(b)))


def int_truth(tx, v):
    """``bool(v)`` of a dynamic int (``if i % 2:``) as ``v != 0`` under a guard on its
    roots; None: specialize."""
    out = _predicate(tx, "!=", v, _ZERO) if _is_int(v) else None
    return None if out is None else out.value


_ZERO = ConstVal(0)


def int_negate(tx, v):
    parts = affine_parts(v.source)
    if not _is_int(v) or parts is None:
        return None
    root, mul, add = parts
    return ConstVal(-v.value, affine(root, -mul, -add), dynamic=True)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _compare(tx, sym, a, b):
    """An order comparison of an affine dynamic int with a static int, decided at trace
    time under a RANGE guard on its root; None: another kind of comparison."""
    if a.dynamic and not b.dynamic and affine_parts(a.source) is not None:
        e, n = a, tx.pyval(b)
    elif b.dynamic and not a.dynamic and affine_parts(b.source) is not None:
        e, n, sym = b, tx.pyval(a), _FLIP[sym]
    else:
        return None
    truth = _COMPARE[sym](e.value, n)
    # as "e < bound" (below) or "e >= bound"
    if sym in ("<", ">="):
        below, bound = (sym == "<") == truth, n
    else:
        below, bound = (sym == "<=") == truth, n + 1
    constrain(tx, affine_parts(e.source), below, bound)
    return ConstVal(truth)


_OPS_ALL = {**_COMPARE, **_EQUALITY}


class Predicate:
    """A guard on dynamic int or float roots: each test ``left <sym> right`` (number
    expressions of the roots, or constants) has the truth the trace saw — ``i % 10 == 0`` in a loop
    body gives one entry for True and one for False, not one per ``i``; ``i < j`` over
    two loop variables, ``i == n - 5`` with a dynamic ``n``, ``i < len(lst)`` likewise.
    The tests over one set of roots share one guard (``add``). Called with the root's
    value (one root) or with the tuple of the roots' values in ``roots`` order (a
    RootsSource); never raises (a failed evaluation is a failed guard). A root whose
    run-time type is not its traced one (``types``, int by default) fails it: a float
    compares where an int would raise or index."""
    __slots__ = ("roots", "types", "tests", "_checks")

    def __init__(self, roots, types=None):
        self.roots = roots
        self.types = (int,) * len(roots) if types is None else tuple(types)
        self.tests = []
        self._checks = []

    def add(self, left, sym, right, truth):
        if (left, sym, right, truth) in self.tests:
            return
        self.tests.append((left, sym, right, truth))
        lf, rf, op = _compile(left, self.roots), _compile(right, self.roots), _OPS_ALL[sym]
        self._checks.append(lambda values: op(lf(values), rf(values)) is truth)

    def __call__(self, value):
        values = (value,) if len(self.roots) == 1 else value
        if any(type(v) is not t for v, t in zip(values, self.types)):
            return False
        try:
            for check in self._checks:
                if not check(values):
                    return False
        except Exception:
            return False
        return True

    def __repr__(self):
        def show(side):
            return repr(side.value) if type(side) is ConstSource else str(side)
        return " and ".join(f"({show(left)} {sym} {show(right)}) is {truth}"
                            for left, sym, right, truth in self.tests)


def _compile(source, roots):
    """A function of the roots' values (a tuple in ``roots`` order) that computes the
    dynamic int expression ``source`` as Python would."""
    if source in roots:
        k = roots.index(source)
        return lambda values: values[k]
    t = type(source)
    if t is ConstSource:
        c = source.value
        return lambda values: c
    if t is AffineSource:
        f, mul, add = _compile(source.base, roots), source.mul, source.add
        return lambda values: add + mul * f(values)
    op, lf, rf = NUMBER_OPS[source.sym], _compile(source.left, roots), _compile(
        source.right, roots)
    return lambda values: op(lf(values), rf(values))


def _predicate(tx, sym, a, b):
    """A comparison of int or float expressions decided at trace time under a PRED guard on their
    roots (a static side is guarded by value as any constant); None: specialize."""
    if type(a.value) not in (int, float) or type(b.value) not in (int, float):
        return None
    left = a.source if a.dynamic else ConstSource(tx.pyval(a))
    right = b.source if b.dynamic else ConstSource(tx.pyval(b))
    roots = tuple(dict.fromkeys(roots_of(left) + roots_of(right)))
    if not roots:
        return None
    truth = _OPS_ALL[sym](a.value, b.value)
    source = roots[0] if len(roots) == 1 else RootsSource(roots)
    key = (GuardKind.PRED, source)
    guard = tx.guards.get(key)
    if guard is None:
        guard = tx.guards[key] = Guard(GuardKind.PRED, source, Predicate(
            roots, [type(tx.root_values[r]) for r in roots]))
    guard.expected.add(left, sym, right, truth)
    return ConstVal(truth)


# ---------------------------------------------------------------- f-strings of numbers

def is_formatted(v) -> bool:
    """A string FORMAT_VALUE made of dynamic numbers (computed where it is rebuilt)."""
    return type(v) is ConstVal and v.dynamic and type(v.source) is FormatSource


def join_formatted(tx, parts):
    """BUILD_STRING / ``+`` of strings, some formatted from dynamic numbers: one
    FormatSource (the numbers stay dynamic); the constant parts are read as usual."""
    template, values, text = [], [], []
    for p in parts:
        if is_formatted(p):
            template += p.source.template
            values += p.source.values
            text.append(p.value)
        else:
            piece = tx.pyval(p)
            template.append(piece)
            text.append(piece)
    return ConstVal("".join(text), FormatSource(tuple(template), tuple(values)), dynamic=True)
