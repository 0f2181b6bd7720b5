"""Run-time sizes (``DynDim``, see ``graph/ir.py``) inside meta rules.

Meta rules are written for int shapes. ``dynamic_rule(name, family, rule)`` wraps each
registry rule so that it also takes Metas with ``DynDim`` entries: every DynDim becomes a
distinct huge prime *stand-in size*, the rule runs unchanged, and stand-in sizes in its
result map back to their DynDim. That is exact wherever result dims are input dims:
broadcasting (a stand-in agrees only with itself and 1), reductions, astype, views that
keep axes. A size *derived* from a stand-in (``2*D``, ``D-1``, ``3*D`` from a ravel) is
not expressible: any other result size this large raises ``DataDependentShape``, and so
does a stand-in that does not divide (primes) in a reshape. Ops that clamp sizes
(squeeze, diagonal, trace, diag; basic slicing is checked in ``graph/indexing.py``) and
opaque ops take no DynDim at all. An error a rule raises on stand-ins is NumPy's own only
when it also occurs, same type and message, with every run-time size 1 and 2 (a dtype
error, say); otherwise whether NumPy raises depends on the run-time size:
``DataDependentShape``, so the tracer breaks the graph there.

Mask identity: the builder hands boolean array nodes to rules as ``MaskMeta`` (a Meta
that also carries the node's name), from which getitem/setitem name the DynDim of a
selection. Invariant: a stand-in is never materialized (full stand-ins are zero-strided,
tiny ones clip it to 1) and never replayed (``infer.replay`` refuses).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from .ir import DataDependentShape, DynDim, Meta

#: primes 2**40 + i * 2**34 + c: far above real sizes, 2**34 apart, sums exceed them all
STAND_INS = (1099511627791, 1116691497029, 1133871366161, 1151051235337, 1168231104527,
             1185410973701, 1202590842919, 1219770712099, 1236950581253, 1254130450453,
             1271310319621, 1288490188801, 1305670057987, 1322849927171, 1340029796359,
             1357209665549)
_STAND_IN_SET = frozenset(STAND_INS)
_DERIVED = 1 << 36  # a result size at least this large came from a stand-in

#: families whose rules are exact on stand-ins, minus the ops that clamp sizes
_FAMILIES = frozenset(["ELEMENTWISE", "REDUCTION", "SHAPE", "CREATION", "INDEXING", "LINALG"])
_CLAMPING = frozenset(["squeeze", "diagonal", "trace", "diag"])
#: ops that can make a DynDim from static inputs (a traced boolean mask)
_MAKES_DYN = frozenset(["getitem", "setitem"])


@dataclass(frozen=True, slots=True)
class MaskMeta(Meta):
    """The Meta of a boolean array node as its rules see it, with the node's name."""
    key: str = ""


def is_stand_in(d) -> bool:
    return type(d) is not DynDim and d in _STAND_IN_SET


_local = threading.local()


class _Sizes:
    """DynDim <-> int for one rule call; ``pick(i)`` sizes the i-th DynDim met."""

    def __init__(self, pick):
        self.pick = pick
        self.to_int: dict = {}
        self.to_dyn: dict = {}

    def size(self, d: DynDim) -> int:
        n = self.to_int.get(d)
        if n is None:
            n = self.pick(len(self.to_int))
            self.to_int[d] = n
            self.to_dyn.setdefault(n, d)
        return n

    def concrete(self, m: Meta) -> Meta:
        if not m.dynamic:
            return m
        return replace(m, shape=tuple(self.size(d) if type(d) is DynDim else d for d in m.shape))

    def __enter__(self):
        self.outer = getattr(_local, "sizes", None)
        _local.sizes = self
        return self

    def __exit__(self, *exc):
        _local.sizes = self.outer


def _stand_in(i) -> int:
    if i >= len(STAND_INS):
        raise DataDependentShape("too many run-time sizes in one op")
    return STAND_INS[i]


def size_of(d: DynDim) -> int:
    """The size standing in for ``d`` in the rule call in progress."""
    sizes = getattr(_local, "sizes", None)
    if sizes is None:
        raise DataDependentShape(f"{d!r} is a size known only at run time")
    return sizes.size(d)


def _metas(value, out):
    t = type(value)
    if t is Meta or t is MaskMeta:
        out.append(value)
    elif t is tuple or t is list:
        for v in value:
            if type(v) not in _LEAVES:
                _metas(v, out)
    elif t is dict:
        _metas(tuple(value.values()), out)
    elif t is slice:
        _metas((value.start, value.stop, value.step), out)
    return out


_LEAVES = frozenset([int, float, bool, type(None), str])


def _subst(fn, value):
    if isinstance(value, Meta):
        return fn(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_subst(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _subst(fn, v) for k, v in value.items()}
    if isinstance(value, slice):
        return slice(*(_subst(fn, v) for v in (value.start, value.stop, value.step)))
    return value


def has_stand_in(*values) -> bool:
    return any(is_stand_in(d) for m in _metas(values, []) for d in m.shape)


def _plain(m):
    return m if type(m) is Meta or not isinstance(m, Meta) else Meta(m.shape, m.dtype, m.scalar)


def _restore(m: Meta, sizes: _Sizes, name: str) -> Meta:
    shape = []
    for d in m.shape:
        dd = sizes.to_dyn.get(d)
        if dd is None and d >= _DERIVED:
            raise DataDependentShape(f"{name}: a result size computed from a size known only "
                                     "at run time")
        shape.append(d if dd is None else dd)
    return Meta(tuple(shape), m.dtype, m.scalar)


def _run(rule, args, kwargs, sizes, found=True):
    with sizes:
        return rule(*_subst(sizes.concrete, (args, kwargs))) if found else rule(args, kwargs)


def _static_error(rule, args, kwargs, exc):
    """Raise ``exc`` if every run-time size gives it (1 and 2 alike), else DataDependentShape."""
    seen = {(type(exc), str(exc))}
    for n in (1, 2):
        try:
            _run(rule, args, kwargs, _Sizes(lambda i, n=n: n))
        except DataDependentShape:
            break
        except Exception as other:
            seen.add((type(other), str(other)))
            continue
        break
    else:
        if len(seen) == 1:
            raise exc.with_traceback(None) from None
    raise DataDependentShape(f"whether this raises ({type(exc).__name__}: {exc}) depends on "
                             "a size known only at run time") from exc


def dynamic_rule(name: str, family, rule):
    """``rule`` extended to Metas with DynDim entries (module docstring)."""
    allowed = family.name in _FAMILIES and name not in _CLAMPING
    makes = name in _MAKES_DYN

    def meta(args, kwargs):
        found = [d for m in _metas((args, kwargs), []) for d in m.shape if type(d) is DynDim]
        if not found and not makes:
            return _plain(rule(args, kwargs))
        if found and not allowed:
            raise DataDependentShape(f"{name} needs the size {found[0]!r}, known only at run "
                                     "time")
        sizes = _Sizes(_stand_in)
        try:
            result = _run(rule, args, kwargs, sizes, bool(found))
        except DataDependentShape:
            raise
        except Exception as exc:
            if not found:
                raise
            _static_error(rule, args, kwargs, exc)
        return _restore(result, sizes, name) if sizes.to_int else _plain(result)
    meta.rule = rule
    return meta
