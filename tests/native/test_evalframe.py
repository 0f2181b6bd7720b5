"""The frame evaluator: interception, cache hit/miss, markers, chaining, tracebacks."""
import asyncio
import gc
import sys
import threading
import traceback
import weakref

import numpy as np
import pytest

import framejit as fj
from framejit import _native

ef = _native._evalframe


def entries(fn):
    return ef.cache_entries(fn.__code__)


def test_hook_installed_only_while_compiled_code_runs():
    seen = []

    @fj.compile
    def f():
        seen.append(ef.is_installed())
        return 1

    assert not ef.is_installed()
    f()
    assert seen == [True]
    assert not ef.is_installed()
    assert sys.getprofile() is None


def test_miss_convert_cache_hit():
    def g(a, b=2.0):
        return a * b

    f = fj.compile(g)
    x = np.arange(3.0)
    np.testing.assert_array_equal(f(x), x * 2.0)
    e = entries(g)
    assert len(e) == 1 and e[0]["hits"] == 0
    assert ef.cache_misses(g.__code__) == 1
    for i in range(5):
        y = np.full(3, float(i))
        np.testing.assert_array_equal(f(y, b=2.0), y * 2.0)
    e = entries(g)
    assert len(e) == 1 and e[0]["hits"] == 5
    assert ef.cache_misses(g.__code__) == 1
    f(np.arange(4.0))          # a new shape fails the guard: one more entry
    assert len(entries(g)) == 2 and ef.cache_misses(g.__code__) == 2


def test_all_argument_kinds_and_closures():
    k = 7

    def g(a, /, b, *args, c, d=4, **kw):
        return (a, b, args, c, d, sorted(kw.items()), k)

    f = fj.compile(g)
    for _ in range(2):
        assert f(1, 2, 3, c=5, e=6) == (1, 2, (3,), 5, 4, [("e", 6)], 7)
        assert f(1, b=2, c=3, d=9) == (1, 2, (), 3, 9, [], 7)


def test_closures_of_different_function_objects_sharing_code():
    def make(v):
        def inner(x):
            return x + v
        return inner

    a, b = make(1), make(100)
    ca, cb = fj.compile(a), fj.compile(b)
    for _ in range(3):
        assert ca(1) == 2 and cb(1) == 101
    assert a.__code__ is b.__code__


def test_cells_of_arguments():
    def g(x):
        def h():
            return x * 2
        return h()

    f = fj.compile(g)
    assert f(4) == 8 and f(5) == 10


def test_user_functions_run_as_frames_from_compiled_code_are_intercepted():
    def helper(x):
        return x + 1

    @fj.compile
    def f(x):
        # a break runs its instruction in plain Python: the helper it calls is a real frame
        return eval("helper(x)", {"helper": helper, "x": x}) * 2

    assert f(1) == 4
    assert len(entries(helper)) == 1


def test_inlined_functions_get_no_frame_of_their_own():
    def helper(x):
        return x + 1

    @fj.compile
    def f(x):
        return helper(x) * 2

    np.testing.assert_array_equal(f(np.ones(2)), np.full(2, 4.0))
    assert entries(helper) == []


def test_library_code_is_skipped():
    import json

    @fj.compile
    def f(x):
        return json.dumps({"a": x}), np.sum(np.arange(3))

    f(1)
    assert ef.cache_action(json.dumps.__code__) == "skip"
    assert entries(json.dumps) == []


def test_module_and_class_bodies_are_skipped():
    @fj.compile
    def f():
        ns = {}
        exec("class K:\n    y = 1\nz = K.y", ns)
        return ns["z"]

    assert f() == 1


def test_generators_and_coroutines_untouched():
    def gen(n):
        for i in range(n):
            yield i * 2

    async def coro(x):
        await asyncio.sleep(0)
        return x + 1

    async def agen():
        yield 1
        yield 2

    async def collect():
        return [v async for v in agen()]

    @fj.compile
    def f(n):
        return list(gen(n)), asyncio.run(coro(n)), asyncio.run(collect())

    assert f(3) == ([0, 2, 4], 4, [1, 2])
    assert entries(gen) == [] and entries(coro) == []


def test_generator_throw_passes_through():
    def gen():
        try:
            yield 1
        except ValueError:
            yield "caught"

    @fj.compile
    def f():
        g = gen()
        next(g)
        return g.throw(ValueError())

    assert f() == "caught"


def test_compiled_generator_function_runs_plain_and_fullgraph_raises():
    @fj.compile
    def gen(n):
        yield from range(n)

    assert list(gen(3)) == [0, 1, 2]

    @fj.compile(fullgraph=True)
    def strict_gen(n):
        yield n

    with pytest.raises(fj.GraphBreakError):
        strict_gen(1)


def test_exceptions_propagate_with_user_tracebacks():
    def inner(x):
        return 1 / x  # the failing line

    @fj.compile
    def f(x):
        return inner(x)

    for _ in range(2):
        with pytest.raises(ZeroDivisionError) as info:
            f(0)
        tb = traceback.extract_tb(info.value.__traceback__)
        assert tb[-1].name == "inner"
        assert tb[-1].line == "return 1 / x  # the failing line"
        assert tb[-1].filename == __file__
        assert any(fr.name == "f" for fr in tb)


def test_converter_errors_propagate_to_caller():
    calls = []

    def bad_converter(code, func, slots, options):
        calls.append(code.co_name)
        raise RuntimeError("converter exploded")

    from framejit import runtime
    ef.set_converter(bad_converter)
    try:
        def g(x):
            return x

        f = fj.compile(g)
        with pytest.raises(RuntimeError, match="converter exploded"):
            f(1)
    finally:
        ef.set_converter(runtime.convert)
    assert calls and fj.compile(g)(2) == 2


def test_converter_runs_with_hook_paused():
    seen = []

    def spy(code, func, slots, options):
        seen.append(code.co_name)
        user_helper()  # a user function called by the converter is not intercepted
        return runtime.convert(code, func, slots, options)

    def user_helper():
        return 1

    from framejit import runtime
    ef.set_converter(spy)
    try:
        fj.compile(lambda x: x + 1)(1)
    finally:
        ef.set_converter(runtime.convert)
    assert "user_helper" not in seen
    assert entries(user_helper) == []


def test_deep_recursion_through_compiled_function():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)
    try:
        @fj.compile
        def rec(n):
            return 0 if n == 0 else 1 + rec(n - 1)

        assert rec(1000) == 1000
        assert rec(1000) == 1000
    finally:
        sys.setrecursionlimit(limit)


def test_reset_clears_every_cache():
    def g(x):
        return x

    f = fj.compile(g)
    f(1)
    assert entries(g)
    fj.reset()
    assert entries(g) == [] and ef.cache_action(g.__code__) in (None, "default")
    f(1)
    assert len(entries(g)) == 1


def test_cache_freed_with_code_object():
    src = "def g(x):\n    return x + 1\n"
    ns = {}
    exec(compile(src, "<dyn>", "exec"), ns)
    g = ns["g"]
    fj.compile(g)(1)
    code_ref = weakref.ref(g.__code__)
    n_before = len(ef.cached_codes())
    del g, ns
    gc.collect()
    assert code_ref() is None
    assert len(ef.cached_codes()) < n_before


def test_mode_is_part_of_the_cache_key():
    def g(x):
        return x

    lenient = fj.compile(g)
    strict = fj.compile(g, fullgraph=True)
    lenient(1)
    lenient(1)
    with fj.error_on_graph_break(True):
        lenient(1)
    strict(1)
    keys = sorted(e["mode_key"] for e in entries(g))
    assert keys == [0, 1, 2]


def test_run_only_serves_entries_and_compiles_nothing():
    def g(x):
        return x * 2

    f = fj.compile(g)
    f(np.ones(2))
    ef.set_action(g.__code__, "run_only")
    misses = ef.cache_misses(g.__code__)
    np.testing.assert_array_equal(f(np.ones(2)), np.full(2, 2.0))
    np.testing.assert_array_equal(f(np.ones(3)), np.full(3, 2.0))   # no entry fits: plain run
    assert ef.cache_misses(g.__code__) == misses
    assert len(entries(g)) == 1 and entries(g)[0]["hits"] == 1


def test_threads_without_compile_context_are_not_intercepted():
    def plain(x):
        return x + 1

    stop = threading.Event()
    started = threading.Event()

    def other_thread():
        started.set()
        while not stop.is_set():
            plain(1)

    t = threading.Thread(target=other_thread)
    t.start()
    started.wait(5)

    @fj.compile
    def f(n):
        s = 0
        for i in range(n):
            s += i
        return s

    for _ in range(50):
        f(100)
    stop.set()
    t.join()
    assert entries(plain) == []


def test_settrace_runs_frames_unoptimized():
    lines = []

    def g(x):
        y = x + 1
        return y

    def tracer(frame, event, arg):
        if frame.f_code is g.__code__ and event == "line":
            lines.append(frame.f_lineno)
        return tracer

    f = fj.compile(g)
    sys.settrace(tracer)
    try:
        assert f(1) == 2
    finally:
        sys.settrace(None)
    assert lines, "a debugger sees the user's real lines"
    assert entries(g) == []


def test_chains_previous_evaluator_state():
    # Nested compile contexts on one thread keep the hook until the last one exits.
    @fj.compile
    def inner():
        return ef.is_installed()

    @fj.compile
    def outer():
        a = inner()
        return a, ef.is_installed()

    assert outer() == (True, True)
    assert not ef.is_installed()
