"""The C mode stack: push/pop tokens, resolution, decorators/context managers, threads."""
import itertools
import threading

import pytest

import framejit as fj
from framejit import _native
from framejit.modes import resolve

_m = _native._modes
KINDS = ("compile", "error_on_graph_break", "set_fullgraph", "disable")


def test_push_pop_and_stack_view():
    assert _m.stack() == ()
    t1 = _m.push("compile", True)
    t2 = _m.push("error_on_graph_break", False)
    assert _m.stack() == (("compile", True), ("error_on_graph_break", False))
    _m.pop(t2)
    _m.pop(t1)
    assert _m.stack() == ()


def test_unbalanced_pop_is_detected_and_leaves_stack_intact():
    t1 = _m.push("set_fullgraph", True)
    t2 = _m.push("disable")
    with pytest.raises(RuntimeError, match="unbalanced"):
        _m.pop(t1)
    assert _m.depth() == 2
    _m.pop(t2)
    _m.pop(t1)
    with pytest.raises(RuntimeError, match="unbalanced"):
        _m.pop(t1)


def test_unknown_kind_rejected():
    with pytest.raises(ValueError):
        _m.push("fullgraph", True)


@pytest.mark.parametrize("stack", [
    s for n in range(4) for s in itertools.product(
        [(k, f) for k in KINDS for f in (False, True)], repeat=n)
])
def test_c_resolution_matches_semantics(stack):
    tokens = [_m.push(k, f) for k, f in stack]
    try:
        r = resolve(stack)
        assert _m.resolved() == (r.strict, r.error_on_graph_break, r.active)
        assert _m.would_raise() == r.break_raises
    finally:
        for t in reversed(tokens):
            _m.pop(t)


def test_semantics_table_examples():
    T, F = True, False
    table = [
        ([("compile", T)], True),
        ([("compile", T), ("error_on_graph_break", F)], True),
        ([("compile", T), ("set_fullgraph", F)], False),
        ([("compile", T), ("compile", F)], True),
        ([("compile", F), ("compile", T)], True),
        ([("error_on_graph_break", T), ("compile", F), ("error_on_graph_break", F)], False),
        ([("error_on_graph_break", T), ("compile", F), ("compile", F)], True),
        ([("error_on_graph_break", T), ("compile", F)], True),
    ]
    for stack, raises in table:
        assert resolve(stack).break_raises is raises, stack


def test_decorators_and_context_managers_push_exactly_their_entry():
    seen = []

    @fj.error_on_graph_break(True)
    def a():
        seen.append(_m.stack())
        with fj.set_fullgraph(False):
            seen.append(_m.stack())
            b()

    @fj.set_fullgraph(True)
    def b():
        seen.append(_m.stack())

    a()
    assert seen == [
        (("error_on_graph_break", True),),
        (("error_on_graph_break", True), ("set_fullgraph", False)),
        (("error_on_graph_break", True), ("set_fullgraph", False), ("set_fullgraph", True)),
    ]
    assert _m.stack() == ()


def test_decorators_on_methods_bound_methods_and_callables():
    class C:
        @fj.error_on_graph_break(True)
        def meth(self, x):
            return _m.stack(), x

        def plain(self):
            return _m.stack()

    class Callable:
        def __call__(self, v):
            return _m.stack(), v

    c = C()
    assert c.meth(3) == ((("error_on_graph_break", True),), 3)
    bound = fj.set_fullgraph(False)(c.plain)
    assert bound() == (("set_fullgraph", False),)
    wrapped = fj.error_on_graph_break(False)(Callable())
    assert wrapped(1) == ((("error_on_graph_break", False),), 1)
    assert C.meth.__name__ == "meth" and C.meth.__wrapped__ is not None


def test_unwinds_on_exceptions():
    @fj.error_on_graph_break(True)
    def boom():
        with fj.set_fullgraph(True):
            raise KeyError("x")

    with pytest.raises(KeyError):
        boom()
    assert _m.stack() == ()

    @fj.compile
    def fails(x):
        raise ValueError(x)

    with pytest.raises(ValueError):
        fails(1)
    assert _m.stack() == () and _m.compile_entries_total() == 0


def test_compile_and_disable_entries():
    inner_seen = []

    @fj.disable
    def dis():
        inner_seen.append((_m.stack(), _m.resolved()))

    @fj.compile
    def f():
        dis()                   # a disabled call: an allowed break here
        return 1

    assert f() == 1
    assert inner_seen == [((("compile", False), ("disable", False)), (False, False, False))]


def test_mode_arguments_are_validated():
    with pytest.raises(TypeError):
        fj.error_on_graph_break("yes")
    with pytest.raises(TypeError):
        fj.set_fullgraph(1)
    with pytest.raises(TypeError):
        fj.compile(fullgraph="no")
    with pytest.raises(ValueError):
        fj.compile(lambda: 0, backend="nope")
    with pytest.raises(TypeError):
        fj.disable(3)


def test_deep_stack_grows():
    tokens = [_m.push("error_on_graph_break", i % 2 == 0) for i in range(5000)]
    assert _m.depth() == 5000 and _m.resolved()[1] is False
    for t in reversed(tokens):
        _m.pop(t)
    assert _m.depth() == 0


def test_threads_are_independent():
    """8 threads, each under its own modes, calling compiled functions that break: each
    thread sees exactly its own stack, and a break raises exactly where its own modes
    say so (SEMANTICS.md §2), whatever the other threads do meanwhile."""
    import numpy as np

    barrier = threading.Barrier(8)
    errors = []

    def worker(i):
        try:
            ctx = fj.error_on_graph_break(i % 2 == 0) if i % 3 else fj.set_fullgraph(i % 2 == 1)
            fullgraph = i % 4 == 0

            def body(x):
                x = x + i
                fj.graph_break()
                return x * 2

            compiled = fj.compile(body, fullgraph=fullgraph)
            expect_raise = resolve([(ctx.kind, ctx.flag), ("compile", fullgraph)]).break_raises
            barrier.wait(timeout=20)
            for _ in range(100):
                with ctx:
                    assert _m.stack() == ((ctx.kind, ctx.flag),)
                    try:
                        out = compiled(np.ones(3))
                    except fj.GraphBreakError:
                        assert expect_raise, f"thread {i} raised although its modes allow the break"
                    else:
                        assert not expect_raise, f"thread {i} did not raise"
                        assert (out == (1 + i) * 2).all()
                assert _m.stack() == ()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert _m.compile_entries_total() == 0


def test_one_context_object_entered_on_two_threads():
    ctx = fj.error_on_graph_break(True)
    out = []
    ev = threading.Event()

    def other():
        with ctx:
            ev.wait(5)
            out.append(_m.stack())

    t = threading.Thread(target=other)
    with ctx:
        t.start()
        out.append(_m.stack())
        ev.set()
        t.join()
    assert out == [(("error_on_graph_break", True),)] * 2
    assert _m.stack() == ()
