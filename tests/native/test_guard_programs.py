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
