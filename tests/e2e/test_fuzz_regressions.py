"""Bugs found by the fuzzers (tests/fuzz, docs/fuzzing.md), minimised by hand.

Each test states the rule it checks (SEMANTICS.md / DESIGN.md). Open bugs are marked
xfail(strict=True): when one is fixed the test XPASSes and fails, so remove its mark
(and its entry in tests/fuzz/known_bugs.py, which keeps the fuzzers from re-finding it).
"""
import heapq
import io
import warnings

import numpy as np
import pytest

import framejit as fj


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


# ---------------------------------------------------------------- backends

def test_callable_returned_by_a_user_backend_is_not_traced():
    runs = []

    def backend(graph, example_inputs):
        fn = fj.backends.eager(graph, example_inputs)

        def run(*args):            # user code: must run with the hook paused
            runs.append(1)
            return fn(*args)
        return run

    @fj.compile(backend=backend)
    def f(x):
        return x.sum(), x + 1

    x = np.ones((3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no cache_size_limit warning about `run`
        f(x)
    assert runs == [1], f"one call of a break-free function runs one graph, ran {len(runs)}"


# ---------------------------------------------------------------- segments and effects

def test_effects_after_a_break_in_a_loop_run_before_a_forbidden_break():
    log = []
    buf = io.StringIO()

    @fj.compile
    def root(x):
        for i in range(1):
            if x.max() > -0.5:        # allowed data-dependent break
                pass
            log.append("after-break")  # same segment as the forbidden print below
        with fj.error_on_graph_break(True):
            print("p", file=buf)       # forbidden: raises before its segment runs
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert buf.getvalue() == ""
    assert log == [], "effects of the raising segment must not happen"


def test_effects_after_a_relaxed_break_run_before_a_forbidden_break():
    log = []

    def h(a):
        fj.graph_break()              # allowed: set_fullgraph(False) relaxes strictness
        log.append("after")           # same segment as the forbidden break below
        return a * 2

    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            y = h(x)
        fj.graph_break()              # strict again: raises before its segment runs
        return y

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert log == []


def test_effects_after_a_nested_relaxed_break_run_before_a_forbidden_break():
    log = []

    @fj.error_on_graph_break(False)
    def relaxed(a):
        fj.graph_break()              # allowed: innermost eogb is False
        return a

    def mid(a):
        relaxed(a)
        log.append("after")           # same segment as the forbidden break below
        return a

    @fj.compile
    def root(x):
        with fj.error_on_graph_break(True):
            mid(x)
            fj.graph_break()          # forbidden
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert log == []


class _RelaxedGetter:
    def __init__(self, log):
        self.log = log

    @property
    def p(self):
        fj.graph_break()              # allowed (relaxed region in the caller)
        self.log.append("after")
        return 1


def _deep(a, n, log):
    if n == 0:
        fj.graph_break()
        log.append("after")
        return a
    return _deep(a, n - 1, log)


# was a strict xfail: these outer frames could not host the resume chain (the frame resumed
# around the call and the callee's rest ran first); they now do (test_chain_obstacles.py)
@pytest.mark.parametrize("obstacle", ["except_body", "property", "other_module", "deep"])
def test_effects_after_a_relaxed_break_behind_a_chain_obstacle(obstacle):
    log = []
    ns = {"fj": fj, "log": log}
    exec("def other(a):\n    fj.graph_break()\n    log.append('after')\n    return a\n", ns)
    getter = _RelaxedGetter(log)

    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            if obstacle == "except_body":
                try:
                    raise KeyError("k")
                except KeyError:
                    _deep(x, 0, log)
            elif obstacle == "property":
                getter.p
            elif obstacle == "other_module":
                ns["other"](x)
            else:
                _deep(x, 10, log)
        fj.graph_break()              # strict again: raises before its segment runs
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert log == []


# ---------------------------------------------------------------- data-dependent branches

def test_numpy_scalar_crossing_a_break_is_specialized():
    @fj.compile
    def crossing(x):
        s = np.sum(x)
        fj.graph_break()
        with fj.error_on_graph_break(True):
            if s > 0:                  # data-dependent: must raise
                return x + 1
        return x - 1

    @fj.compile
    def same_segment(x):
        s = np.sum(x)
        with fj.error_on_graph_break(True):
            if s > 0:
                return x + 1
        return x - 1

    with pytest.raises(fj.GraphBreakError):
        same_segment(np.ones(3))       # passes today
    with pytest.raises(fj.GraphBreakError):
        crossing(np.ones(3))           # returns x + 1 today


# ---------------------------------------------------------------- nonstrict_trace

def test_graph_break_in_nonstrict_function_raises_when_caller_raises():
    @fj.nonstrict_trace
    def h(a):
        fj.graph_break()              # a no-op inside nonstrict_trace (SEMANTICS §1)
        return a.sum()

    @fj.compile(fullgraph=True)
    def no_raise(x):
        return h(x)

    @fj.compile(fullgraph=True)
    def then_raise(x):
        h(x)
        raise ValueError("user error")   # not a graph break: raised as in Python

    assert no_raise(np.ones(5)) == 5.0      # passes today
    with pytest.raises(ValueError, match="user error"):
        then_raise(np.ones(5))              # GraphBreakError today


# ---------------------------------------------------------------- loops and resumes

def test_resume_inside_for_loop_keeps_range_iterator_traceable():
    @fj.compile
    def root(x):
        for i in range(1):
            with fj.error_on_graph_break(False):
                fj.graph_break()       # the only break, and it is allowed
            x = x + 1
        return x

    x = np.ones(3)
    with fj.error_on_graph_break(True):
        np.testing.assert_array_equal(root(x), x + 1)
    kinds = [b.kind for b in fj.explain(root)(x).break_reasons]
    assert kinds == ["graph_break_call"], kinds


# ---------------------------------------------------------------- cache limit vs modes

def test_forbidden_break_raises_even_after_many_loop_iterations():
    # was: one recompile per iteration (the list's length and the loop position were
    # guarded by value) until cache_size_limit, then unoptimized and no longer raising
    log = []
    buf = io.StringIO()

    def h(a):
        log.append("e")
        if a.sum() > 0:                # allowed data-dependent break
            pass
        return a

    @fj.compile
    def root(x):
        for i in range(10):
            h(x)
        with fj.error_on_graph_break(True):
            print("forbidden", file=buf)   # must raise, before printing
        return x + 1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(fj.GraphBreakError):
            root(np.ones(3))
    assert buf.getvalue() == ""


# ---------------------------------------------------------------- exceptions in traced code

class _UserError(Exception):
    pass


@pytest.mark.parametrize("text", [str, repr])
def test_text_of_a_caught_exception_is_not_a_break(text):
    # was: str(e) / repr(e) of an exception raised by traced code was an
    # unsupported_object break (a GraphBreakError under fullgraph=True)
    log = []

    @fj.compile(fullgraph=True)
    def root(x):
        y = x + 1
        try:
            raise _UserError("r4")
        except _UserError as e:
            log.append(text(e))
        return y

    np.testing.assert_array_equal(root(np.ones(3)), np.full(3, 2.0))
    assert log == [text(_UserError("r4"))]


def test_text_of_a_real_exception_in_a_resumed_handler_follows_its_args():
    log = []

    @fj.disable
    def fail(k):
        raise _UserError(f"m{k}")

    @fj.compile
    def root(x, k):
        try:
            fail(k)
        except _UserError as e:
            fj.graph_break()           # the handler resumes with the real exception
            log.append(str(e))
        return x + 1

    for k in (1, 2, 1):
        root(np.ones(3), k)
    assert log == ["m1", "m2", "m1"]


# ---------------------------------------------------------------- cache_size_limit vs modes

def test_forbidden_break_in_the_frames_own_mode_block_raises_past_the_cache_limit():
    # was: past cache_size_limit a frame entered under a lenient mode was marked
    # RUN_ONLY and ran unoptimized, so a break inside its own
    # `with error_on_graph_break(True)` block no longer raised (SEMANTICS §2/§3)
    log = []

    @fj.compile
    def root(x, n, flag):
        for _ in range(n):             # range(n) specializes: one entry per n
            x = x + 1
        log.append(n)
        if flag:
            with fj.error_on_graph_break(True):
                fj.graph_break()       # forbidden: must raise before its segment runs
        return x

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in range(fj.config.cache_size_limit + 1):
            root(np.ones(3), n, False)
        log.clear()
        with pytest.raises(fj.GraphBreakError):
            root(np.ones(3), 20, True)
    assert log == []


# ---------------------------------------------------------------- loops over sequences

# was a strict xfail: a resumed loop over a sequence broke again at its opaque FOR_ITER
@pytest.mark.parametrize("form", ["list", "enumerate", "rows"])
def test_break_inside_a_loop_over_a_sequence_keeps_the_loop_traced(form):
    def h(a):
        fj.graph_break()
        return a * 0.5

    @fj.compile(fullgraph=True)
    def root(x):
        seq = {"list": [1.5, 0.25], "enumerate": enumerate([1.5, 0.25]),
               "rows": x[:2]}[form]
        for v in seq:
            with fj.set_fullgraph(False):
                x = h(x)               # allowed: relaxed region
        return x

    np.testing.assert_array_equal(root(np.ones((3, 2))), np.full((3, 2), 0.25))


# was a strict xfail: the opaque FOR_ITER of the resumed loop was an extra allowed break
def test_effects_after_a_break_in_a_loop_over_a_list_run_before_a_forbidden_break():
    log = []

    @fj.compile
    def root(x):
        for v in [0.5, -1.0]:
            float(x.sum())             # allowed data-dependent break
            log.append(v)              # last time: same segment as the forbidden break
        with fj.error_on_graph_break(True):
            fj.graph_break()
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert log == [0.5]


# ---------------------------------------------------------------- handlers of raising breaks

# was a strict xfail: the handler path of an exception raised by the breaking instruction ran
# uncompiled in the break runner; it now resumes in a traced resume function (trace/breakgen.py)
@pytest.mark.parametrize("handler", ["except", "finally", "callee"])
def test_handler_of_an_exception_raised_by_a_break_construct_is_traced(handler):
    log = []

    @fj.disable
    def fail():
        raise _UserError("u")

    @fj.error_on_graph_break(True)
    def strict_callee():
        fj.graph_break()               # forbidden

    @fj.compile
    def root(x):
        try:
            try:
                fail()                 # allowed break; raises in plain Python
            except _UserError:
                if handler != "finally":
                    log.append("handler")
                    if handler == "callee":
                        strict_callee()
                    else:
                        with fj.error_on_graph_break(True):
                            fj.graph_break()
                raise
            finally:
                if handler == "finally":
                    log.append("handler")
                    with fj.error_on_graph_break(True):
                        fj.graph_break()
        except _UserError:
            pass
        return x + 1

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert log == [], "the handler's effects are in the raising segment"


# was a strict xfail: a lenient frame past the limit ran unoptimized and the callee's
# forbidden break raised after the caller's effects; frames that may reach a forbidding
# mode are now traced on every call past the limit (mode_reach.py)
def test_effects_before_a_callees_forbidden_break_past_the_cache_limit():
    log = []

    @fj.set_fullgraph(True)
    def strict(a):
        fj.graph_break()               # forbidden
        return a

    @fj.compile
    def root(x, n, flag):
        for _ in range(n):             # range(n) specializes: one entry per n
            x = x + 1
        log.append(n)                  # same segment as the forbidden break below
        if flag:
            strict(x)
        return x

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in range(fj.config.cache_size_limit + 1):
            root(np.ones(3), n, False)
        log.clear()
        with pytest.raises(fj.GraphBreakError):
            root(np.ones(3), 20, True)
    assert log == []


# was a strict xfail: every executed break nested the Python stack; continuations are now
# returned to a driver (trace/trampoline.py, tests/e2e/test_trampoline.py)
@pytest.mark.parametrize("loop", ["for", "while"])
def test_a_loop_whose_body_breaks_runs_any_number_of_iterations(loop):
    @fj.compile
    def root(x, n):
        if loop == "for":
            for _ in range(n):
                x = x + 1
                fj.graph_break()
        else:
            i = 0
            while i < n:
                x = x + 1
                if x.sum() > -1.0:     # data-dependent break
                    pass
                i += 1
        return x

    np.testing.assert_array_equal(root(np.zeros(2), 2000), np.full(2, 2000.0))


class _BreakingCtx:
    def __init__(self, log, where):
        self.log, self.where = log, where

    def __enter__(self):
        if self.where == "enter":
            fj.graph_break()           # allowed
            self.log.append("enter")   # same segment as the caller's forbidden break
        return self

    def __exit__(self, typ, value, tb):
        if self.where == "exit":
            fj.graph_break()           # allowed
            self.log.append("exit")    # same segment as the caller's forbidden break
        return True                    # suppresses the user exception


# was a strict xfail: a break in __enter__ or in __exit__ on an exception was a chain
# obstacle; the frames now host the resume chain (trace/sites.py)
@pytest.mark.parametrize("where", ["enter", "exit"])
def test_effects_after_a_break_in_a_with_dunder_run_before_a_forbidden_break(where):
    log = []

    @fj.compile
    def root(x):
        with _BreakingCtx(log, where):
            if where == "exit":
                raise _UserError("u")
        with fj.error_on_graph_break(True):
            fj.graph_break()           # forbidden
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(3))
    assert log == []


# ---------------------------------------------------------------- exceptions raised by a graph
# (found by tests/e2e/test_user_programs_*.py: ops whose exception depends on the values)

def _singular_inv(x):
    return np.linalg.inv(x)


def _index_out_of_range(x):
    return x[x.astype(np.int64) + 3]                  # IndexError for large values


def _negative_int_power(x):
    return x.astype(np.int64) ** (x.astype(np.int64) - 1)   # ValueError for x < 1


def _errstate_raise(x):
    with np.errstate(divide="raise"):
        return 1.0 / (x - 1.0)                         # FloatingPointError at x == 1


@fj.custom_op("regressions::finite_only")
def _finite_only(x):
    if not np.all(np.isfinite(x)):
        raise FloatingPointError("non-finite input")
    return x + 0.5


@_finite_only.register_fake
def _(x):
    return np.empty_like(x)


_RAISING_OPS = {"singular_inv": (_singular_inv, np.zeros((2, 2))),
                "custom_op_body": (_finite_only, np.array([np.inf])),
                "index_out_of_range": (_index_out_of_range, np.arange(3.0)),
                "negative_int_power": (_negative_int_power, np.zeros(2)),
                "errstate_raise": (_errstate_raise, np.ones(2))}

# were strict xfails: a graph that raises while it runs and writes nothing now falls back
# to the frame's own code for that call (trace/codegen.py, emit_fallback). A custom op's
# body is opaque: it cannot be run again, so its exception still skips the handlers.
_CUSTOM_OP_REASON = (
    "a custom op's body raised while the graph ran: the body (opaque, maybe with effects "
    "of its own) cannot be run again, so the frame does not fall back to its own code and "
    "the exception leaves the compiled call without reaching the try/except around it")


@pytest.mark.parametrize("case", sorted(set(_RAISING_OPS) - {"errstate_raise", "custom_op_body"}))
def test_effects_before_an_exception_raised_by_a_graph_at_run_time(case):
    # (not errstate_raise: entering np.errstate is itself a break, which runs the log; not
    # custom_op_body: a custom op after a recorded effect is a custom_op_order break)
    op, arg = _RAISING_OPS[case]
    log = []

    def f(x):
        log.append("before")                          # an effect before the raising op
        return op(x)

    with pytest.raises(Exception) as plain:
        f(arg)
    log.clear()
    with pytest.raises(type(plain.value)):
        fj.compile(f)(arg)
    assert log == ["before"], "effects before the exception happen (SEMANTICS §3)"


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=_CUSTOM_OP_REASON))
    if c == "custom_op_body" else c for c in sorted(_RAISING_OPS)])
def test_exception_raised_by_a_graph_at_run_time_reaches_the_handler(case):
    op, arg = _RAISING_OPS[case]

    def f(x):
        try:
            return op(x)
        except (ArithmeticError, LookupError, ValueError, np.linalg.LinAlgError) as exc:
            return type(exc).__name__

    want = f(arg)
    assert isinstance(want, str)
    assert fj.compile(f)(arg) == want


# ---------------------------------------------------------------- found by user programs
# (tests/e2e/test_user_programs_*.py, second hunt)

# was a strict xfail: the iterator over a dict's keys now watches the dict's size (not
# across a break in the loop body: the resumed loop iterates the keys it started with)
def test_dict_that_grows_while_a_for_loop_iterates_it_raises():
    def f(d):
        try:
            for k in d:
                d[k + "x"] = 1
        except RuntimeError as exc:
            return str(exc)
        return sorted(d)

    want = f({"a": 1})
    assert want == "dictionary changed size during iteration"
    assert fj.compile(f)({"a": 1}) == want


class _Kw:
    def method(self, a, b=2, *, c):
        return a + b + c


# Messages the tracer writes itself (trace/calls.py argument binding, trace/attrs.py
# list.index, builtins_rules.py dict(), isinstance, reversed and abs, handlers_data.py
# unpacking and * of a non-iterable): the same as CPython 3.11's
_MESSAGE_CASES = {
    "too_many_positional_with_kwonly": lambda: _Kw().method(1, 2, 3, c=4),
    "list_index_missing": lambda: [1].index(4),
    "dict_of_non_pairs": lambda: dict([1]),
    "isinstance_bad_class": lambda: isinstance(1, 2),
    "one_positional_given": lambda: (lambda *, k: k)(1),
    "unpack_int": lambda: [a for a, b in [5]],
    "reversed_int": lambda: reversed(5),
    "abs_of_list": lambda: abs([1]),
    "star_of_int": lambda: (lambda *a: a)(*5),
}


# was among the strict xfails below: min()/max() of nothing fold CPython's own ValueError
def test_max_of_nothing_raises_cpythons_message():
    def f():
        try:
            max([])
        except ValueError as exc:
            return str(exc)

    assert fj.compile(f)() == f()


# were strict xfails: the tracer's own messages now follow CPython 3.11's
@pytest.mark.parametrize("case", sorted(_MESSAGE_CASES))
def test_error_messages_of_traced_builtins_match_cpython(case):
    def f(k):
        try:
            _MESSAGE_CASES[k]()
        except Exception as exc:
            return type(exc).__name__, str(exc)

    assert fj.compile(f)(case) == f(case)


# was a strict xfail: min()/max() ignored unknown keyword arguments
def test_min_with_an_unknown_keyword_raises():
    def f():
        try:
            return min([1], foo=1)
        except TypeError as exc:
            return str(exc)

    assert fj.compile(f)() == f() == "'foo' is an invalid keyword argument for min()"


# ---------------------------------------------------------------- whole programs (hunt 3)
# Recompile storms found by tests/e2e/test_user_programs_whole_*.py: a loop whose body
# breaks compiles one entry per iteration (cache_size_limit warning) where the value a
# use needs could stay dynamic. Each program is compared with plain Python as well.

def _storm_free(fn, *args):
    """``fn`` compiled gives plain Python's result and no framejit warning."""
    fj.reset()
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        got = fj.compile(fn)(*args)
    want = fn(*args)
    assert repr(got) == repr(want)
    assert [str(w.message) for w in ws if str(w.message).startswith("framejit")] == []


def _progress(x, n, buf):
    for it in range(n):
        s = float(x.sum())                 # a break in every iteration
        print(f"it={it:2d} s={s}", file=buf)
    return x


# was a strict xfail: an f-string of dynamic numbers is formatted at run time
# (sources.FormatSource) instead of specializing them
def test_fstring_of_a_loop_counter_across_a_break_does_not_recompile():
    _storm_free(_progress, np.ones(3), 12, io.StringIO())


def _progress_log(x, n, log):
    for it in range(n):
        s = float(x.sum()) * it
        log.append(f"{it!r:>3}|{s:8.2f}|{it:x}|" + "end")   # stored: rebuilt at run time
        print(end="")
    return x


def test_fstrings_of_dynamic_numbers_in_side_effects():
    _storm_free(_progress_log, np.ones(3), 12, [])
    log, want = [], []
    fj.compile(_progress_log)(np.ones(3), 12, log)
    _progress_log(np.ones(3), 12, want)
    assert log == want


def _count_matches(a, b):
    d = np.zeros(len(a) + 1)
    for i in range(1, len(a) + 1):
        cost = 0 if a[i - 1] == b else 1
        if d[i - 1] > 0:                   # a break in every iteration
            pass
        d[i] = d[i - 1] + cost
    return d


@pytest.mark.xfail(strict=True, reason=(
    "a str indexed by a dynamic loop int specializes the loop (trace/dyn_items.py "
    "_const_entry takes tuples only; a char compared with == would also need a PRED on "
    "str values, trace/dynamic.py _predicate takes ints and floats)"))
def test_str_indexed_by_a_loop_variable_across_a_break_does_not_recompile():
    _storm_free(_count_matches, "kittenxxxxxxxxxx", "x")


def _heap_order(w):
    heap, seen, out = [(0.0, 0)], set(), []
    while heap:
        d, u = heapq.heappop(heap)         # an opaque call: a break in every iteration
        if u in seen:
            continue
        seen.add(u)
        out.append(u)
        for v in range(u + 1, min(u + 3, 12)):
            heapq.heappush(heap, (d + float(w[v]), v))
    return out


@pytest.mark.xfail(strict=True, reason=(
    "a tuple of numbers returned by an opaque call (heapq.heappop) and live across the "
    "break is guarded by VALUE in the resume function (VALUE(__fj_s0) == (3.0, 5)): one "
    "entry per popped item of a Dijkstra loop"))
def test_tuple_popped_from_a_heap_across_a_break_does_not_recompile():
    _storm_free(_heap_order, np.ones(12))


def _relax(y, n):
    t = 0.0
    for i in range(n):
        y = y - 0.1 * (y - np.cos(t))
        if float(y.sum()) > 1e9:           # a break in every iteration
            break
        t += 0.137
    return y


# was a strict xfail: a ufunc of dynamic Python numbers lifts them to 0-d graph inputs
# (trace/dyn_inputs.py lift_alone)
def test_ufunc_of_a_dynamic_float_across_a_break_does_not_recompile():
    _storm_free(_relax, np.ones(3), 20)


def _forced(x, t, k):
    return x + 0.1 * np.sin(2.0 * t) + np.cos(k) + np.add(t, k), np.exp(t), np.sqrt(k)


def test_ufunc_of_a_number_that_changes_per_call_does_not_recompile():
    compiled = fj.compile(_forced)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no cache_size_limit warning
        for i in range(20):
            args = (np.arange(3.0), 0.1 * i, i)
            got, want = compiled(*args), _forced(*args)
            for g, w in zip(got, want):
                assert type(g) is type(w)
                np.testing.assert_allclose(g, w, rtol=1e-15)
    assert len(fj._native._evalframe.cache_entries(_forced.__code__)) <= 3
