"""Guard programs in C agree with the reference evaluation of the guards as data."""
import math
import types

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from framejit import _native
from framejit.guards.guards import lower
from framejit.trace.guards import ArrayExpect, Guard, GuardKind
from framejit.trace.sources import (AttrSource, ClosureSource, ConstSource, FrameEnv,
                                    GlobalSource, ItemSource, LocalSource)

_g = _native._guards


def run(program, env):
    return program.check(env.slots, env.globals, env.builtins, env.closure or None)


def both(guards, env):
    expected = all(g.check(env) for g in guards)
    assert run(lower(guards), env) is expected
    return expected


def cell(v):
    return (lambda: v).__closure__[0]


def test_array_guard():
    a = np.zeros((3, 4))
    gs = [Guard(GuardKind.ARRAY, LocalSource(0, "x"), ArrayExpect(np.dtype("f8"), (3, 4)))]
    assert both(gs, FrameEnv((a,), {}, {}))
    assert not both(gs, FrameEnv((a.astype("f4"),), {}, {}))
    assert not both(gs, FrameEnv((np.zeros((4, 3)),), {}, {}))
    assert not both(gs, FrameEnv((np.zeros((3, 4, 1)),), {}, {}))
    assert not both(gs, FrameEnv((np.ma.zeros((3, 4)),), {}, {})), "exact ndarray type"
    assert not both(gs, FrameEnv(([[0.0] * 4] * 3,), {}, {}))
    contig = [Guard(GuardKind.ARRAY, LocalSource(0, "x"), ArrayExpect(np.dtype("f8"), (3, 4), True))]
    assert not both(contig, FrameEnv((np.zeros((4, 3)).T,), {}, {}))
    noncontig = [Guard(GuardKind.ARRAY, LocalSource(0, "x"), ArrayExpect(np.dtype("f8"), (3, 4), False))]
    assert both(noncontig, FrameEnv((np.zeros((4, 3)).T,), {}, {}))
    assert not both(noncontig, FrameEnv((a,), {}, {}))


def test_global_closure_attr_item_paths():
    mod = types.SimpleNamespace(w=np.ones(2), cfg={"k": 3})
    env = FrameEnv((mod,), {"G": 5, "np": np}, {"len": len}, (cell(2.5),))
    gs = [
        Guard(GuardKind.VALUE, GlobalSource("G"), 5),
        Guard(GuardKind.ID, GlobalSource("np"), np),
        Guard(GuardKind.ID, GlobalSource("len"), len),
        Guard(GuardKind.VALUE, ClosureSource(0, "c"), 2.5),
        Guard(GuardKind.ARRAY, AttrSource(LocalSource(0, "m"), "w"), ArrayExpect(np.dtype("f8"), (2,))),
        Guard(GuardKind.VALUE, ItemSource(AttrSource(LocalSource(0, "m"), "cfg"), "k"), 3),
        Guard(GuardKind.KEYS, AttrSource(LocalSource(0, "m"), "cfg"), ("k",)),
        Guard(GuardKind.LEN, AttrSource(LocalSource(0, "m"), "cfg"), 1),
    ]
    assert both(gs, env)
    mod.cfg = {"k": 4}
    assert not both(gs, env)
    del mod.cfg
    assert not both(gs, env), "a missing attribute fails the guard, never raises"
    assert not both(gs, FrameEnv((mod,), {"np": np}, {"len": len}, (cell(2.5),)))


def test_alias_and_const_sources():
    shared = np.zeros(3)
    gs = [Guard(GuardKind.ALIAS, LocalSource(1, "b"), LocalSource(0, "a"))]
    assert both(gs, FrameEnv((shared, shared), {}, {}))
    assert not both(gs, FrameEnv((shared, shared.copy()), {}, {}))
    holder = {"v": 1}
    gs = [Guard(GuardKind.VALUE, ItemSource(ConstSource(holder), "v"), 1)]
    assert both(gs, FrameEnv((), {}, {}))
    holder["v"] = 2
    assert not both(gs, FrameEnv((), {}, {}))


def test_failed_guard_is_named():
    gs = [Guard(GuardKind.VALUE, LocalSource(0, "n"), 3),
          Guard(GuardKind.TYPE, LocalSource(1, "y"), float)]
    p = lower(gs)
    assert not p.check((3, 1))
    assert "y" in p.failed_description()


scalars = st.one_of(st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True),
                    st.booleans(), st.none(), st.text(max_size=2),
                    st.tuples(st.integers(-2, 2), st.floats(-2, 2)))


@settings(max_examples=300, deadline=None)
@given(expected=scalars, actual=scalars)
def test_value_guard_matches_reference(expected, actual):
    gs = [Guard(GuardKind.VALUE, LocalSource(0, "v"), expected)]
    both(gs, FrameEnv((actual,), {}, {}))
    both(gs, FrameEnv((expected,), {}, {}))


@settings(max_examples=200, deadline=None)
@given(shape=st.lists(st.integers(0, 3), max_size=3).map(tuple),
       other=st.lists(st.integers(0, 3), max_size=3).map(tuple),
       dtype=st.sampled_from(["f8", "f4", "i8", "i4", "?", "c16"]),
       odt=st.sampled_from(["f8", "f4", "i8", "i4", "?", "c16"]))
def test_array_guard_matches_reference(shape, other, dtype, odt):
    gs = [Guard(GuardKind.ARRAY, LocalSource(0, "x"), ArrayExpect(np.dtype(dtype), shape))]
    both(gs, FrameEnv((np.zeros(other, odt),), {}, {}))
    both(gs, FrameEnv((np.zeros(shape, dtype),), {}, {}))


def test_programs_larger_than_the_register_file():
    gs = [Guard(GuardKind.VALUE, LocalSource(i, f"a{i}"), i) for i in range(200)]
    gs += [Guard(GuardKind.VALUE, AttrSource(LocalSource(0, "a0"), "real"), 0)]
    slots = tuple(range(200))
    assert both(gs, FrameEnv(slots, {}, {}))
    assert not both(gs, FrameEnv(slots[:-1] + (0,), {}, {}))


def test_register_limit_is_checked_by_the_program():
    with pytest.raises(ValueError, match="registers"):
        _g.GuardProgram([("load_slot", 70, 0)])


# ---------------------------------------------------------------- computed paths
# (dynamic ints: an item at an index computed from roots, a tuple of roots for a
# predicate, a list's length; trace/sources.py value_path)

def _index(root, mul, add):
    from framejit.trace.dynamic import affine
    return affine(root, mul, add)


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.integers(-3, 3) | st.floats(-2, 2) | st.none(), max_size=6),
       i=st.integers(-9, 9), mul=st.sampled_from([-2, -1, 1, 3]), add=st.integers(-4, 4),
       expected=st.integers(-3, 3) | st.floats(-2, 2), as_tuple=st.booleans())
def test_item_at_a_computed_index_matches_reference(items, i, mul, add, expected, as_tuple):
    from framejit.trace.sources import DynItemSource
    seq = tuple(items) if as_tuple else list(items)
    src = DynItemSource(LocalSource(0, "seq"), _index(LocalSource(1, "i"), mul, add))
    env = FrameEnv((seq, i), {}, {})
    for kind, exp in ((GuardKind.VALUE, expected), (GuardKind.TYPE, type(expected)),
                      (GuardKind.RANGE, (-1, 2))):
        both([Guard(kind, src, exp)], env)


def test_item_at_a_computed_index_reads_the_runs_position():
    from framejit.trace.sources import DynItemSource, IntExprSource
    i, j = LocalSource(1, "i"), LocalSource(2, "j")
    src = DynItemSource(LocalSource(0, "seq"), IntExprSource("//", IntExprSource("+", i, j),
                                                             ConstSource(2)))
    gs = [Guard(GuardKind.VALUE, src, 30)]
    seq = [10, 20, 30, 40]
    assert both(gs, FrameEnv((seq, 3, 1), {}, {}))     # (3 + 1) // 2 == 2
    assert not both(gs, FrameEnv((seq, 1, 1), {}, {}))
    assert not both(gs, FrameEnv((seq, 9, 1), {}, {})), "out of range fails, never raises"
    assert not both(gs, FrameEnv((seq, "a", 1), {}, {}))
    nested = DynItemSource(src, _index(i, 1, -3))        # seq[(i + j) // 2][i - 3]
    assert both([Guard(GuardKind.VALUE, nested, 5)], FrameEnv(([0, 0, [4, 5]], 4, 1), {}, {}))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(-5, 5), min_size=1, max_size=3),
       actual=st.lists(st.integers(-5, 5) | st.floats(-5, 5), min_size=1, max_size=3),
       c=st.integers(-5, 5), sym=st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
def test_predicate_over_several_roots_matches_reference(values, actual, c, sym):
    from framejit.trace.dynamic import Predicate
    from framejit.trace.sources import IntExprSource, RootsSource
    roots = tuple(LocalSource(k, f"r{k}") for k in range(len(values)))
    left = roots[0]
    for r in roots[1:]:
        left = IntExprSource("-", left, r)
    right = _index(roots[-1], 2, c)
    import operator
    ops = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
           "==": operator.eq, "!=": operator.ne}

    def value(vs):
        out = vs[0]
        for v in vs[1:]:
            out = out - v
        return ops[sym](out, c + 2 * vs[-1])
    pred = Predicate(roots)
    pred.add(left, sym, right, value(values))
    source = roots[0] if len(roots) == 1 else RootsSource(roots)
    gs = [Guard(GuardKind.PRED, source, pred)]
    assert both(gs, FrameEnv(tuple(values), {}, {}))
    slots = tuple(actual[:len(values)]) + tuple(values[len(actual):])
    assert both(gs, FrameEnv(slots, {}, {})) == (
        all(type(v) is int for v in slots) and value(slots) == value(values))


def test_predicate_over_a_float_root():
    # a float computed after a break (err < tol): one entry per outcome, not per value
    from framejit.trace.dynamic import Predicate
    root = LocalSource(0, "err")
    pred = Predicate((root,), (float,))
    pred.add(root, "<", ConstSource(1e-3), False)
    gs = [Guard(GuardKind.PRED, root, pred)]
    assert both(gs, FrameEnv((0.5,), {}, {}))
    assert both(gs, FrameEnv((float("nan"),), {}, {}))      # nan < tol is False too
    assert not both(gs, FrameEnv((1e-4,), {}, {}))
    assert not both(gs, FrameEnv((1,), {}, {})), "an int where a float was traced"


def test_length_of_a_list_as_a_root():
    from framejit.trace.sources import LenSource
    gs = [Guard(GuardKind.RANGE, LenSource(LocalSource(0, "lst")), (2, 5))]
    assert both(gs, FrameEnv(([1, 2, 3],), {}, {}))
    assert not both(gs, FrameEnv(([1],), {}, {}))
    assert not both(gs, FrameEnv((7,), {}, {})), "no length: a failed guard"


def test_computed_paths_larger_than_the_register_file():
    from framejit.trace.sources import DynItemSource
    seq = list(range(200))
    gs = [Guard(GuardKind.VALUE, DynItemSource(LocalSource(0, "s"), _index(
        LocalSource(1, "i"), 1, k)), k + 3) for k in range(120)]
    assert both(gs, FrameEnv((seq, 3), {}, {}))
    assert not both(gs, FrameEnv((seq, 4), {}, {}))


def test_computed_loads_check_their_registers():
    with pytest.raises(ValueError, match="register"):
        _g.GuardProgram([("load_slot", 0, 0), ("load_binop", 1, 0, 70, "+")])
    with pytest.raises(ValueError, match="register"):
        _g.GuardProgram([("load_pack", 1, (0, 99))])
