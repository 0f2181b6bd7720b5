"""Guards: what a trace assumed, as data; minimal (only what the trace depended on) and
checkable against new arguments (Guard.check is the reference the C program lowers)."""
import numpy as np

from framejit.trace.guards import ArrayExpect, GuardKind, check_all
from framejit.trace.sources import (AttrSource, FrameEnv, GlobalSource, ItemSource,
                                    LocalSource)
from framejit.trace.tracer import builtins_dict

from tracehelp import slots_for, trace

X = np.ones((3, 4))


def kinds(result):
    return {(g.kind, str(g.source)) for g in result.guards}


def env_for(fn, *args):
    return FrameEnv(slots_for(fn, args, {}), fn.__globals__, builtins_dict(fn.__globals__),
                    fn.__closure__ or ())


def _scaled(x, n, unused, passthrough):
    return x * n, passthrough


def test_only_what_was_used_is_guarded():
    r = trace(_scaled, X, 2, np.zeros(3), 7)
    assert kinds(r) == {(GuardKind.ARRAY, "x"), (GuardKind.VALUE, "n")}
    g = {g.kind: g for g in r.guards}
    assert g[GuardKind.ARRAY].expected == ArrayExpect(np.dtype("float64"), (3, 4))
    assert check_all(r.guards, env_for(_scaled, X, 2, None, "other"))
    assert not check_all(r.guards, env_for(_scaled, X, 3, None, 7))
    assert not check_all(r.guards, env_for(_scaled, X, 2.0, None, 7)), "int vs float"
    assert not check_all(r.guards, env_for(_scaled, X[:2], 2, None, 7))
    assert not check_all(r.guards, env_for(_scaled, X.astype(np.float32), 2, None, 7))


def helper(x):
    return x + 1


CONST = 3


def _globals(x, xs, opts):
    return helper(x) * CONST + np.sum(xs[0]) + opts["k"]


def test_identity_len_keys_guards():
    r = trace(_globals, X, [X, X], {"k": 1.0})
    k = kinds(r)
    assert (GuardKind.ID, "G['helper']") in k and (GuardKind.ID, "G['np']") in k
    assert (GuardKind.VALUE, "G['CONST']") in k
    assert (GuardKind.LEN, "xs") in k and (GuardKind.TYPE, "xs") in k
    assert (GuardKind.KEYS, "opts") in k and (GuardKind.VALUE, "opts['k']") in k
    assert check_all(r.guards, env_for(_globals, X, [X, X], {"k": 1.0}))
    assert not check_all(r.guards, env_for(_globals, X, [X], {"k": 1.0}))
    assert not check_all(r.guards, env_for(_globals, X, [X, X], {"k": 1.0, "j": 2}))


def test_alias_guard_when_one_object_is_reached_twice():
    def f(a, b):
        return a + b
    r = trace(f, X, X)
    assert (GuardKind.ALIAS, "b") in kinds(r) and len(r.graph.inputs) == 1
    assert not check_all(r.guards, env_for(f, X, X.copy()))


class Holder:
    def __init__(self):
        self.w = np.ones(4)
        self.scale = 2.0


def test_instance_guards_and_sources():
    h = Holder()

    def f(x, h):
        return x @ h.w * h.scale
    r = trace(f, X, h)
    k = kinds(r)
    assert (GuardKind.TYPE, "h") in k and (GuardKind.ARRAY, "h.w") in k
    assert (GuardKind.VALUE, "h.scale") in k
    assert r.graph_inputs == (LocalSource(0, "x"), AttrSource(LocalSource(1, "h"), "w"))


def test_source_paths_and_reload():
    src = ItemSource(AttrSource(GlobalSource("cfg"), "layers"), 0)
    assert src.guard_path() == ("item", ("attr", ("global", "cfg"), "layers"), 0)
    assert [op for op, _ in src.reload()] == ["LOAD_GLOBAL", "LOAD_ATTR", "LOAD_CONST",
                                              "BINARY_SUBSCR"]
    assert hash(src) == hash(ItemSource(AttrSource(GlobalSource("cfg"), "layers"), 0))
