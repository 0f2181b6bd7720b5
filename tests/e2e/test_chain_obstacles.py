"""Resume chains through frames that used to be obstacles (docs/graph_breaks.md).

A break deep in an inlined call resumes every frame of the inline stack through one chain
of resume functions, so the segment after the break spans the rest of every frame and a
forbidden break in a caller raises before any effect of the callee's rest (SEMANTICS §3).
These tests cover the frames that once made the tracer break further out instead: deep
recursion, callees of other modules, calls inside ``except`` bodies, and callees reached
without a CALL instruction. Each compares plain Python with the compiled function
(results, effect order, exceptions) and checks the forbidden-break order.
"""
import functools
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framejit as fj
from framejit._native import _modes

from test_breaks_toplevel import LOG, compare

X = np.random.default_rng(7).standard_normal(4)


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


def _raises_before(fn, *args, log=None, calls=2):
    """Every call raises GraphBreakError and leaves ``log`` (default LOG) as it was when
    the forbidden segment began."""
    log = LOG if log is None else log
    seen = []
    for _ in range(calls):
        log.clear()
        with pytest.raises(fj.GraphBreakError):
            fn(*args)
        assert _modes.depth() == 0, "the mode stack is balanced after the error"
        seen.append(list(log))
    return seen


def _chained(fn, *args):
    """The break resumed through one chain: no frame resumed around a call."""
    rep = fj.explain(fn)(*args)
    assert rep.split_around_calls == [] and rep.unoptimized_frames == [], rep
    return rep


# ---------------------------------------------------------------- deep inline stacks

def _rec(a, n):
    if n == 0:
        LOG.append("leaf")
        fj.graph_break()
        LOG.append("leaf-after")
        return a * 2
    LOG.append(("pre", n))
    r = _rec(a + 1, n - 1)
    LOG.append(("post", n))
    return r + n


def _rec_raising(a, n):
    if n == 0:
        fj.graph_break()
        LOG.append("raise")
        raise KeyError("deep")
    try:
        return _rec_raising(a * 2, n - 1)
    except KeyError:
        if n == 5:                    # caught half way up, the frames below unwound
            LOG.append(("caught", n))
            return a
        raise


@pytest.mark.parametrize("depth", [9, 20, 40])
def test_deep_recursion_resumes_through_one_chain(depth):
    def root(x):
        with fj.set_fullgraph(False):
            y = _rec(x, depth)
        return y - 1

    compare(root, X, fullgraph=True)
    rep = _chained(root, X)
    assert rep.graph_break_count == 1 and rep.graph_count == 2, rep


def test_deep_recursion_in_a_loop_and_an_exception_through_the_chain():
    def root(x):
        acc = x
        for i in range(3):
            acc = _rec(acc, 9 + i) * 0.5
        try:
            acc = _rec_raising(acc, 12)
        except KeyError:
            LOG.append("outer")
        return acc

    compare(root, X)


@pytest.mark.parametrize("depth", [9, 30])
def test_deep_relaxed_break_then_forbidden_break(depth):
    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            y = _rec(x, depth)
        LOG.append("root")
        fj.graph_break()              # strict again: raises before its segment runs
        return y

    seen = _raises_before(root, X)
    before = [("pre", n) for n in range(depth, 0, -1)] + ["leaf"]
    assert seen == [before, before], seen


# ---------------------------------------------------------------- callees of other modules

_OTHER_SRC = '''
import framejit as fj
SCALE = 3.0            # only in this module: a resumed level must read its own globals
COUNT = 0

def other(a, log, back=None):
    global COUNT
    log.append(("other", SCALE))
    before = COUNT
    fj.graph_break()
    COUNT += 1         # a store to this module's globals after the break
    log.append(("other-after", COUNT - before))
    if back is not None:
        a = back(a)
    return a * SCALE

def middle(a, log, back):
    try:
        r = back(a) + SCALE          # a call back into the first module, under a try
    except KeyError:
        r = a
    log.append(("middle", SCALE))
    return r

def raising(a, log):
    fj.graph_break()
    log.append("raising")
    raise KeyError(SCALE)

def scaler(k):
    def scale(a, log):         # a closure of this module: its level has cells too
        log.append(("scale", k))
        fj.graph_break()
        return a * (k + SCALE)
    return scale
'''


def _other_module():
    ns = {"__name__": "chain_other"}
    exec(compile(_OTHER_SRC, "<chain-other>", "exec"), ns)
    return ns


SCALE = 100.0          # the first module's own: must not leak into the other module


def _back(a):
    LOG.append(("back", SCALE))
    fj.graph_break()
    LOG.append("back-after")
    return a + SCALE


def test_callee_of_another_module_resumes_with_its_own_globals():
    mod = _other_module()

    def root(x):
        y = mod["other"](x, LOG) + 1
        z = mod["other"](y, LOG, _back)          # other module -> back to this one
        w = mod["middle"](z, LOG, _back)
        for i in range(2):
            w = mod["other"](w, LOG) - i
        w = mod["scaler"](i)(w, LOG)
        try:
            mod["raising"](w, LOG)
        except KeyError as e:
            LOG.append(("caught", e.args))
        return w

    compare(root, X)
    assert mod["COUNT"] == 3 * 4 and "COUNT" not in globals()
    _chained(root, X)


def test_relaxed_break_in_another_module_then_forbidden_break():
    mod = _other_module()

    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            y = mod["middle"](x, LOG, _back)
        LOG.append("root")
        fj.graph_break()
        return y

    assert _raises_before(root, X) == [[("back", SCALE)]] * 2


# ---------------------------------------------------------------- breaks in the call machinery

@fj.error_on_graph_break(False)
def _decorated_gen(a):
    LOG.append("gen")
    yield a * 2


def test_break_calling_a_decorated_generator_leaves_the_mode_stack_balanced():
    """The break happens after the decorator's entry was pushed for the call, before the
    callee frame exists: the call re-runs in Python and pushes the entry itself."""
    def root(x):
        y = x + 1
        g = _decorated_gen(y)
        LOG.append("made")
        return list(g)[0] + 1

    compare(root, X)


def test_recursion_through_a_compiled_function_past_the_inline_limit():
    @fj.compile
    def rec(n):
        return 0 if n == 0 else 1 + rec(n - 1)

    for n in (70, 200):
        assert rec(n) == n and rec(n) == n
        assert _modes.depth() == 0


# ---------------------------------------------------------------- calls inside except bodies

def _handled():
    exc = sys.exc_info()[1]
    return None if exc is None else (type(exc).__name__, exc.args)


def _h_in_handler(a, how="return"):
    LOG.append(("h-before", _handled()))
    fj.graph_break()
    LOG.append(("h-after", _handled()))
    if how == "reraise":
        raise                          # the caller's handled exception
    if how == "raise":
        raise ValueError("from h")     # chained to the caller's handled exception
    return a * 2


def _h_twice(a):
    fj.graph_break()
    LOG.append(("twice-1", _handled()))
    fj.graph_break()                   # the next chain: the caller still in its handler
    LOG.append(("twice-2", _handled()))
    return a - 1


def _context(exc):
    ctx = exc.__context__
    return None if ctx is None else (type(ctx).__name__, ctx.args)


@pytest.mark.parametrize("how", ["return", "reraise", "raise"])
def test_call_inside_an_except_body_resumes_through_the_chain(how):
    def root(x):
        y = x + 1
        try:
            raise KeyError("k")
        except KeyError:
            LOG.append(("root", _handled()))
            try:
                y = _h_in_handler(y, how) + 1
            except (KeyError, ValueError) as e:
                LOG.append(("caught", type(e).__name__, _context(e), _handled()))
            LOG.append(("root-after", _handled()))
        LOG.append(("outside", _handled()))
        return y

    compare(root, X)
    _chained(root, X)


def test_except_bodies_nested_across_frames_and_the_callers_own_handled_exception():
    def mid(a):
        try:
            raise IndexError("mid")
        except IndexError:
            r = _h_in_handler(a)
            LOG.append(("mid", _handled()))
        LOG.append(("mid-out", _handled()))
        return r

    def root(x):
        try:
            raise KeyError("root")
        except KeyError:
            y = mid(x)
            LOG.append(("root", _handled()))
            fj.graph_break()                 # a break of the root frame in its handler
            y = _h_twice(y)
            LOG.append(("root-2", _handled()))
        LOG.append(("root-out", _handled()))
        return y

    def caller(x):
        try:
            raise LookupError("caller")      # handled while the compiled root runs
        except LookupError:
            y = compiled(x)
            LOG.append(("caller", _handled()))
        return y

    compiled = root
    LOG.clear()
    expected = (caller(X.copy()), list(LOG))
    compiled = fj.compile(root)
    for _ in range(2):
        LOG.clear()
        got = caller(X.copy())
        assert np.array_equal(got, expected[0]) and LOG == expected[1], LOG
    assert sys.exc_info()[1] is None
    _chained(root, X)


def test_finally_body_on_the_exception_path_and_loops_in_the_handler():
    def root(x):
        y = x
        try:
            try:
                raise KeyError("k")
            finally:
                for i in range(3):
                    y = _h_in_handler(y) - i
                LOG.append(("finally", _handled()))
        except KeyError as e:
            LOG.append(("outer", e.args, _handled()))
        return y

    compare(root, X)
    _chained(root, X)


@fj.disable
def _boom_in_handler(a):
    LOG.append(("boom", _handled()))
    raise ValueError("boom")


def _h_breaking_raise(a):
    LOG.append("h")
    _boom_in_handler(a)              # the break itself raises, in plain Python
    return a


def test_breaking_call_raising_inside_the_callers_except_body():
    def root(x):
        try:
            raise KeyError("k")
        except KeyError:
            try:
                x = _h_breaking_raise(x)
            except ValueError as e:
                LOG.append(("caught", _context(e), _handled()))
            LOG.append(("after", _handled()))
        return x + 1

    compare(root, X)


def test_relaxed_break_under_an_except_body_then_forbidden_break():
    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            try:
                raise KeyError("k")
            except KeyError:
                y = _h_in_handler(x)
                LOG.append("root-except")
        fj.graph_break()
        return y

    assert _raises_before(root, X) == [[("h-before", ("KeyError", ("k",)))]] * 2
    assert sys.exc_info()[1] is None


# ---------------------------------------------------------------- callees reached without a CALL
# A property getter, a dunder, a ``key=`` callback, ``__init__``, ``__enter__``/``__exit__``:
# the frame's level continues the instruction through its site (trace/sites.py).

def _brk(name):
    LOG.append(("brk", name))
    fj.graph_break()
    LOG.append(("after", name))


class _D:
    def __init__(self, k):
        self.k = k

    @property
    def p(self):
        _brk("p")
        return self.k

    @property
    def nest(self):
        try:
            raise KeyError("nest")
        except KeyError:
            return sorted([2, 1, 3], key=lambda v: -_D(v))

    def __getattr__(self, name):
        _brk("getattr")
        return len(name)

    def __getitem__(self, i):
        _brk("getitem")
        return self.k + i

    def __setitem__(self, i, v):
        _brk("setitem")
        self.k = v
        return "dropped"

    def __neg__(self):
        _brk("neg")
        return -self.k

    def __add__(self, o):
        _brk("add")
        return NotImplemented if isinstance(o, int) else o + self.k

    def __radd__(self, o):
        _brk("radd")
        return o + 2 * self.k

    def __lt__(self, o):
        _brk("lt")
        return NotImplemented

    def __gt__(self, o):
        _brk("gt")
        return self.k > o.k

    def __bool__(self):
        _brk("bool")
        return self.k > 0

    def __enter__(self):
        _brk("enter")
        return self.k

    def __exit__(self, t, v, tb):
        _brk("exit")
        LOG.append(("exit", t and t.__name__))
        return self.k > 5


class _Sized:
    def __len__(self):
        _brk("len")
        return 3


class _Init:
    def __init__(self, a):
        _brk("init")
        self.a = a * 2


def _acc(a, b):
    _brk(("acc", b))
    return a * 2 + b


def _key(v):
    _brk(("key", v))
    return -v


def _key_raises(v):
    _brk(("kr", v))
    if v == 1:
        raise ValueError("bad key")
    return v


def _use_add_not_implemented(x):
    try:
        _D(2) + 3
    except TypeError as e:
        LOG.append(e.args)
    return x


def _use_with(x):
    with _D(2) as k:
        x = x + k
    try:
        with _D(3):
            raise KeyError("in with")
    except KeyError:
        LOG.append("caught")
    with _D(7):                       # __exit__ returns True: swallowed
        raise ValueError("swallowed")
    return x


def _use_key_raises(x):
    try:
        sorted([2, 1, 3], key=_key_raises)
    except ValueError as e:
        LOG.append(("caught", e.args))
    return x


def _use_setitem(x):
    d = _D(2)
    d[0] = 5
    return x + d.k


def _use_bool(x):
    if _D(1):
        x = x + 1
    if not _D(-1):
        x = x * 2
    return x


class _E:
    def __init__(self, k):
        self.k = k

    def __eq__(self, o):
        _brk(("eq", self.k))
        return isinstance(o, _E) and o.k == self.k

    __hash__ = None


class _Iterable:
    def __iter__(self):
        _brk("iter")
        return iter([1, 2, 3])


def _pos(v):
    _brk(("pos", v))
    return v > 0


def _use_or_and(x):
    a = _D(1) or 5
    b = _D(-1) or 7
    c = _D(1) and 3
    d = _D(-1) and 4
    LOG.append(("or_and", a.k, b, c, d.k))
    return x + a.k + b + c + d.k


def _use_map_loop(x):
    for v in map(_key, [1, 2, 3]):
        LOG.append(("body", v))
        x = x + v
    return x


def _use_iter(x):
    for v in _Iterable():
        LOG.append(("body", v))
        x = x + v
    return x


def _use_filter_loop(x):
    for v in filter(_pos, [1, -1, 2, -3]):
        LOG.append(("body", v))
        x = x + v
    return x


def _use_map_consumers(x):
    total = sum(map(_key, (1, 2)), 10)
    listed = list(map(_key, [3, 4]))
    tupled = tuple(map(_acc, [1, 2], (5, 6)))             # a two-argument map
    ordered = sorted(map(_key, [2, 1, 3]))
    keyed = sorted(map(_key, [2, 1]), key=_key, reverse=True)
    low, high = min(map(_key, [5, 7])), max(map(_key, (5, 7)))
    LOG.append(("consumed", total, listed, tupled, ordered, keyed, low, high))
    return x + total + listed[1] + tupled[0] + ordered[0] + keyed[1] + low * high


def _use_filter_consumers(x):
    total = sum(filter(_pos, [1, -2, 3]))
    kept = tuple(filter(_pos, (-1, -2)))                    # none kept
    ordered = sorted(filter(_pos, [3, -1, 2]))
    low = min(filter(_pos, [-4, 5, 2]), default=0)
    none = max(filter(_pos, [-4]), default=-7)
    LOG.append(("filtered", total, kept, ordered, low, none))
    return x + total + len(kept) + ordered[0] + low + none


def _use_in(x):
    hit = _E(2) in [1, _E(3), _E(2), _E(4)]
    miss = _E(5) not in (_E(1), _E(6))
    return x + hit + miss


_USES = {
    "property": lambda x: x + _D(2).p,
    "__getattr__": lambda x: x + _D(2).missing,
    "getitem": lambda x: x + _D(2)[3],
    "setitem": _use_setitem,
    "unary": lambda x: x + (-_D(2)),
    "add": lambda x: x + (_D(2) + x),
    "radd": lambda x: x + (3 + _D(2)),
    "add_not_implemented": _use_add_not_implemented,
    "compare": lambda x: x + (_D(1) < _D(2)),
    "bool": _use_bool,
    "init": lambda x: _Init(x).a,
    "len": lambda x: x + len(_Sized()),
    "sorted": lambda x: x + sorted([3, 1, 2], key=_key)[0] * 10,
    "sorted_reverse": lambda x: x + sorted((1, 5, 3), key=_key, reverse=True)[0],
    "min_max": lambda x: x + min([3, 1, 2], key=_key) * 10 + max(4, 9, 6, key=_key),
    "key_raises": _use_key_raises,
    "with": _use_with,
    "getattr": lambda x: x + getattr(_D(4), "p"),
    "reduce": lambda x: x + functools.reduce(_acc, [1, 2, 3]),
    "reduce_initial": lambda x: functools.reduce(_acc, (1, 2), x),
    "nested": lambda x: x + _D(0).nest[0],
    "or_and": _use_or_and,
    "in": _use_in,
    "any_all": lambda x: x + any([_D(0), _D(2), _D(5)]) + all((_D(1), _D(-1), _D(3))),
    "map_loop": _use_map_loop,
    "filter_loop": _use_filter_loop,
    "iter": _use_iter,
    "seq_equal": lambda x: x + ([_E(1), _E(2)] == [_E(1), _E(2)]) + ((_E(3),) != (_E(4),)),
    "hasattr": lambda x: x + hasattr(_D(2), "p") + hasattr(_Odd("p"), "p") * 10,
    "getattr_default": lambda x: x + getattr(_D(2), "p", 7) + getattr(_Odd("p"), "p", 5),
    "map_consumed_by_a_builtin": lambda x: x + sum(map(_key, [1, 2, 3])),
    "filter_consumed_by_a_builtin": lambda x: x + len(list(filter(_pos, [1, -1, 2]))),
    "map_consumers": _use_map_consumers,
    "filter_consumers": _use_filter_consumers,
    "map_any_all": lambda x: x + any(map(_pos, [-1, 2, 3])) + all(map(_pos, (1, -2, 3))),
    "min_max_map_key": lambda x: x + min(map(_key, [1, 3, 2]), key=_key) * 10 + max(
        filter(_pos, (4, -9, 6)), key=_key),
    "comprehension_over_map": lambda x: x + [v * 2 for v in map(_key, [1, 2])][1],
    "seq_order": lambda x: x + ([_E(1), _D(1)] < [_E(1), _D(2)]) + (
        (_E(3),) <= (_E(3), 1)) * 2 + ([_D(3)] > [_D(2)]) * 4 + ((_E(5), 2) >= (_E(5),)) * 8,
}

# Callees the chain still cannot pass (docs/graph_breaks.md): the frame resumes around
# the call. Results and effects are still Python's.
_OBSTACLES = {
    # a map inside a zip: the zip's next() post-processes the map's item (no site)
    "map_inside_zip": lambda x: x + dict(zip("abc", map(_key, [1, 2, 3])))["b"],
}


@pytest.mark.parametrize("kind", list(_USES))
def test_callee_reached_without_a_call_resumes_through_the_chain(kind):
    use = _USES[kind]

    def root(x):
        y = x * 2
        for i in range(2):
            y = use(y) - i
        return y

    compare(root, X)
    _chained(root, X)


@pytest.mark.parametrize("kind", list(_OBSTACLES))
def test_callee_behind_an_obstacle_matches_plain_python(kind):
    use = _OBSTACLES[kind]

    def root(x):
        y = x * 2
        for i in range(2):
            y = use(y) - i
        return y

    compare(root, X)


@pytest.mark.parametrize("kind", list(_USES))
def test_relaxed_break_behind_a_site_then_forbidden_break(kind):
    use = _USES[kind]
    LOG.clear()
    use(X.copy())
    last = max(i for i, e in enumerate(LOG) if isinstance(e, tuple) and e[0] == "brk")
    expected = LOG[:last + 1]

    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            y = use(x)
        LOG.append("root")
        fj.graph_break()
        return y

    assert _raises_before(root, X) == [expected] * 2


class _Odd:
    """Dunders that misbehave after their break: CPython's checks still apply."""

    def __init__(self, how):
        self.how = how

    def __bool__(self):
        _brk("odd-bool")
        return 1 if self.how == "bool" else True

    def __len__(self):
        _brk("odd-len")
        return -1

    @property
    def p(self):
        _brk("odd-p")
        raise AttributeError("no p after all")


class _BadInit:
    def __init__(self):
        _brk("bad-init")
        return 5


@fj.disable
def _raise_now(msg):
    raise KeyError(msg)


class _RaisingBool:
    def __bool__(self):
        LOG.append("raising-bool")
        _raise_now("at the break")    # the breaking call itself raises
        return True


def _misbehaving(x):
    for what in ("bool", "len", "p", "init", "raising"):
        try:
            if what == "bool":
                x = x + 1 if _Odd("bool") else x
            elif what == "len":
                x = x + len(_Odd("len"))
            elif what == "p":
                x = x + _Odd("p").p
            elif what == "init":
                _BadInit()
            elif not _RaisingBool():
                x = x - 1
        except (TypeError, ValueError, AttributeError, KeyError) as e:
            LOG.append((what, type(e).__name__, e.args))
    return x


@fj.disable
def _raise_attr(msg):
    LOG.append(("raise-attr", msg))
    raise AttributeError(msg)


def _decorated_getter(self):
    _brk(("dec", self.how))
    if self.how == "attr":
        raise AttributeError("decorated")
    return 6


class _Attr:
    """Getters that break, then answer, raise AttributeError or raise something else."""

    def __init__(self, how):
        self.how = how

    @property
    def after(self):                  # raises after its break
        _brk(("after", self.how))
        if self.how == "attr":
            raise AttributeError("after the break")
        if self.how == "key":
            raise KeyError("after the break")
        return 3

    @property
    def at(self):                     # the breaking call itself raises
        LOG.append(("at", self.how))
        if self.how == "attr":
            _raise_attr("at the break")
        elif self.how == "key":
            _raise_now("at the break")
        return 4

    @property
    def handled(self):                # the breaking call raises into the getter's handler
        try:
            _raise_attr("in handled")
        except AttributeError:
            LOG.append(("handled", self.how))
            if self.how != "ok":
                raise
        return 5

    @property
    def deeper(self):                 # a callee of the getter raises after its break
        return _attr_deeper(self.how)

    decorated = property(fj.error_on_graph_break(False)(_decorated_getter))


def _attr_deeper(how):
    _brk(("deeper", how))
    if how != "ok":
        _raise_attr("deeper")
    return 7


class _Ctx:
    def __enter__(self):
        LOG.append("enter")
        return self

    def __exit__(self, t, v, tb):
        LOG.append(("exit", t and t.__name__))
        return False


_ATTR_NAMES = ("after", "at", "handled", "deeper", "decorated")


def _use_attr_answers(x):
    for how in ("ok", "attr", "key"):
        for name in _ATTR_NAMES:
            try:
                x = x + hasattr(_Attr(how), name)
                x = x + getattr(_Attr(how), name, 10)
                with _Ctx():
                    x = x + getattr(_Attr(how), name, 100) * hasattr(_Attr(how), name)
            except KeyError as e:
                LOG.append(("caught", e.args))
    return x


def test_hasattr_and_getattr_default_answer_a_getters_attribute_error_in_the_chain():
    """A getter's AttributeError (after its break, raised by the breaking call itself,
    re-raised from its handler, from a callee, through a decorated getter's mode entry)
    is hasattr's False and getattr's default; other exceptions reach the caller's
    handlers (a ``with`` block's exit included)."""
    compare(_use_attr_answers, X)
    _chained(_use_attr_answers, X)


@pytest.mark.parametrize("name", _ATTR_NAMES)
def test_relaxed_break_behind_hasattr_then_forbidden_break(name):
    """The getter's rest after its break (its handler, its AttributeError) is in the
    forbidden segment: nothing of it runs."""
    def use(x):
        return x + hasattr(_Attr("attr"), name)

    LOG.clear()
    use(X.copy())
    last = max(i for i, e in enumerate(LOG) if e[0] in ("brk", "raise-attr"))
    expected = LOG[:last + 1]

    @fj.compile(fullgraph=True)
    def root(x):
        with fj.set_fullgraph(False):
            y = use(x)
        LOG.append("root")
        fj.graph_break()
        return y

    assert _raises_before(root, X) == [expected] * 2


def _map_raising(v):
    LOG.append(("mr", v))
    if v == 2:
        _raise_now(("breaking call", v))      # the break itself raises
    _brk(("mr", v))
    if v == 3:
        raise ValueError("after the break")
    return v - 1


_CONSUMERS = (sum, list, tuple, sorted, min, max, any, all)


def _use_consumers_raising(x):
    for consume in _CONSUMERS:
        for xs in ([1, 2], [4, 3], [1, 4, 5], [6]):
            try:
                with _Ctx():
                    r = consume(map(_map_raising, xs))
                LOG.append(("ok", consume.__name__, r))
            except (KeyError, ValueError) as e:
                LOG.append(("caught", consume.__name__, type(e).__name__, e.args))
            try:
                r = consume(filter(_map_raising, xs))
                LOG.append(("ok", consume.__name__, r))
            except (KeyError, ValueError) as e:
                LOG.append(("caught", consume.__name__, type(e).__name__, e.args))
    return x + 1


def test_builtin_consuming_a_map_whose_function_raises_around_its_break():
    """An exception of the map's function (after its break, or of the breaking call
    itself) leaves the builtin into the caller's handlers (a ``with`` exit first)."""
    compare(_use_consumers_raising, X)
    _chained(_use_consumers_raising, X)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(consume=st.sampled_from(_CONSUMERS), use_filter=st.booleans(),
       items=st.lists(st.integers(-3, 3), max_size=4), start=st.integers(-2, 2))
def test_property_builtins_consume_a_breaking_map_as_python(consume, use_filter, items,
                                                              start):
    """Any builtin consumer over any items: Python's result, calls in Python's order (an
    early stop of any/all included), through one chain."""
    make = filter if use_filter else map

    def root(x):
        try:
            r = consume(make(_pos if use_filter else _key, items))
        except ValueError as e:              # min/max of nothing
            r = e.args[0]
        LOG.append(("r", r))
        return x + start

    fj.reset()
    compare(root, X)
    if items:
        _chained(root, X)


class _EqRaises:
    def __eq__(self, o):
        _brk("eq-raises")
        raise KeyError("from __eq__")

    __hash__ = None


def _use_seq_order_raising(x):
    for left, right in (([_E(1), _D(1)], [_E(1), 5]),     # __lt__, then no reflection
                        ((_EqRaises(), 1), (_E(2), 0)),
                        ([_E(7), _Odd("bool")], [_E(7), 3])):
        try:
            with _Ctx():
                LOG.append(("lt", left < right))
        except (TypeError, KeyError) as e:
            LOG.append(("caught", type(e).__name__, e.args))
    return x + 1


def test_list_ordering_whose_element_dunders_break_and_raise():
    """The deciding pair's TypeError (no reflected method), an ``__eq__`` raising after
    its break, a truth test of ``__eq__``'s value: Python's, through one chain."""
    compare(_use_seq_order_raising, X)
    _chained(_use_seq_order_raising, X)


def test_exceptions_after_a_break_behind_a_site_are_pythons():
    compare(_misbehaving, X)
    _chained(_misbehaving, X)


_OTHER_CLASS_SRC = '''
import framejit as fj

class Other:
    def __init__(self, log):
        self.log = log

    @property
    def value(self):
        self.log.append("other-p")
        fj.graph_break()
        self.log.append("other-p-after")
        return 5

    def __add__(self, o):
        try:
            raise LookupError("other")
        except LookupError:
            return o + self.value      # a site inside an except body of another module
'''


def test_sites_nested_across_modules_and_except_bodies():
    ns = {"__name__": "chain_other_class"}
    exec(compile(_OTHER_CLASS_SRC, "<chain-other-class>", "exec"), ns)
    other = ns["Other"](LOG)

    def root(x):
        try:
            raise KeyError("root")
        except KeyError:
            y = other + x
        return sorted([1, 2], key=lambda v: -(other + v))[0] + y

    compare(root, X)
    _chained(root, X)

    @fj.compile(fullgraph=True)
    def strict(x):
        with fj.set_fullgraph(False):
            y = other + x
        LOG.append("strict")
        fj.graph_break()
        return y

    assert _raises_before(strict, X) == [["other-p"]] * 2


def _key_strict_at_one(v):
    if v == 1:
        with fj.error_on_graph_break(True):
            fj.graph_break()          # forbidden, reached through sorted_rest in a chain
    _brk(("ks", v))
    return v


def test_forbidden_break_in_a_later_callback_reports_user_frames_only():
    @fj.compile
    def root(x):
        return x + sorted([2, 1, 3], key=_key_strict_at_one)[0]

    for _ in range(2):
        LOG.clear()
        with pytest.raises(fj.GraphBreakError) as info:
            root(X)
        assert LOG == [("brk", ("ks", 2))]
        names = [f.function for f in info.value.user_stack]
        assert names == ["root", "_key_strict_at_one"], names


class _ReturnsFromItsHandler:
    """The break raises and the dunder returns from its own except body: it returns
    inside the break runner, and the caller's level applies the site to that value."""

    def __bool__(self):
        try:
            _raise_now("caught by __bool__")
        except KeyError:
            LOG.append("bool-handler")
            return False

    def __getitem__(self, i):
        try:
            _raise_now("caught by __getitem__")
        except KeyError:
            return i * 10

    def __lt__(self, o):
        try:
            _raise_now("caught by __lt__")
        except KeyError:
            return NotImplemented


class _Gt:
    def __gt__(self, o):
        _brk("gt-reflected")
        return True


def test_site_continues_after_a_return_inside_the_break_runner():
    def root(x):
        r = _ReturnsFromItsHandler()
        if r:
            x = x + 100
        y = x + r[3]
        if r < _Gt():                 # NotImplemented, returned in the runner: reflected
            y = y * 2
        return y

    compare(root, X)
    _chained(root, X)


class _Eq:
    def __eq__(self, o):
        _brk("eq")
        return 5                      # truthy, not a bool: ``in`` makes it True


def test_a_site_builtin_that_calls_nothing_leaves_no_claim_behind():
    """``getattr`` of a plain attribute calls no getter; the ``__eq__`` that ``in``
    reaches next (its value made a bool) must not be taken for getattr's."""
    def root(x, items):
        d = _D(3)
        k = getattr(d, "k")
        r = 3 in items
        LOG.append(("in", r))
        return x + k

    compare(root, X, [_Eq()])
