"""Floating-point errors of compiled functions are NumPy's (backends/fperr.py): the same
RuntimeWarnings (message, category, count, order, source line) under np.errstate /
np.seterr 'warn', nothing under 'ignore', FloatingPointError with NumPy's message under
'raise', the np.seterrcall handler under 'call' and 'log'; integer division by zero
warns; clean inputs never replay; in-place updates of the caller's arrays end as in
NumPy also when 'raise' fires."""
import warnings

import numpy as np
import pytest

import framejit as fj
from framejit.backends import fperr, fused

from conftest import K

MODES = ["warn", "ignore", "raise", "call", "log"]


def _compile(fn):
    """fn compiled on the kernels backend; asserts that some group runs as a kernel."""
    programs = []

    def backend(graph, example_inputs):
        run = fused.kernels(graph, example_inputs)
        programs.extend(run.__framejit_programs__)
        return run

    fj.reset()
    compiled = fj.compile(fn, backend=backend)
    compiled.programs = programs
    return compiled


class _Log:
    def __init__(self):
        self.lines = []

    def write(self, msg):
        self.lines.append(msg)


def _observe(fn, args, mode):
    """(result or (exception type, message), warnings, handler calls) of fn(*args)."""
    calls = []
    log = _Log()
    handler = log if mode == "log" else (lambda kind, flag: calls.append((kind, flag)))
    prev = np.seterrcall(handler)
    try:
        with warnings.catch_warnings(record=True) as caught, np.errstate(all=mode):
            warnings.simplefilter("always")
            try:
                out = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
            except FloatingPointError as exc:
                out = (type(exc), str(exc))
    finally:
        np.seterrcall(prev)
    seen = [(w.category, str(w.message)) for w in caught]
    return out, seen, calls + log.lines


def _same(got, want):
    if isinstance(want, tuple) and len(want) == 2 and isinstance(want[0], type):
        assert got == want
        return
    want = want if isinstance(want, (list, tuple)) else [want]
    got = got if isinstance(got, (list, tuple)) else [got]
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64),
                                   rtol=1e-6, equal_nan=True)


def log_zero(x):
    return np.log(x) * 2.0


def exp_big(x):
    return np.exp(x) + 1.0


def zero_div(x, y):
    return x / y + 1.0


def int_floordiv(i, j):
    return i // j + 1, (i * 2) % j


def several(x, y):
    a = np.log(x) + 1.0
    b = np.exp(y) * 2.0
    return a - b, np.sqrt(x - 1.0)


def overflow_reduce(x):
    return (x * 1e300).sum(), np.exp(x - x.max(axis=-1, keepdims=True))


def casts(x):
    return (x * 1e300).astype(np.float32), (x / 0.0).astype(np.int64)


ZERO = np.array([0.0, 1.0, 2.0, 0.0] * 5)
BIG = np.array([1.0, 1000.0, -1.0, 800.0] * 5)
CASES = [
    (log_zero, (ZERO,)),
    (log_zero, (ZERO.astype(np.float32),)),
    (exp_big, (BIG,)),
    (exp_big, (BIG.astype(np.float32),)),
    (zero_div, (ZERO, ZERO)),
    (zero_div, (ZERO + 1.0, ZERO)),
    (zero_div, (np.arange(20), np.arange(20) % 3)),     # int / int: a float loop
    (int_floordiv, (np.arange(20), np.arange(20) % 3)),
    (several, (ZERO, BIG)),
    (overflow_reduce, (np.array([[1.0, 2.0], [3.0, 4.0]]),)),
    (casts, (np.array([1.0, 2.0, 0.0]),)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_like_numpy(case, mode):
    fn, args = CASES[case]
    compiled = _compile(fn)
    want = _observe(fn, args, mode)
    for _ in range(2):                     # compile, then a cache hit
        got = _observe(compiled, args, mode)
        _same(got[0], want[0])
        assert got[1] == want[1]
        assert got[2] == want[2]
    assert want[1] or want[2] or mode == "ignore" or isinstance(want[0], tuple)
    if fn is not int_floordiv:
        assert compiled.programs, "the case must run a kernel"


def test_raise_message_and_type():
    compiled = _compile(log_zero)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError,
                                                    match="^divide by zero encountered in log$"):
        compiled(ZERO)
    with np.errstate(all="raise"):
        np.testing.assert_allclose(compiled(ZERO + 1.0), np.log(ZERO + 1.0) * 2.0)


def test_clean_inputs_do_not_replay(monkeypatch):
    replays = []
    real = fperr.Replay.__call__
    monkeypatch.setattr(fperr.Replay, "__call__",
                        lambda self, *a: replays.append(1) or real(self, *a))

    def f(x, y):
        z = np.exp(x - x.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True), np.log(y) * np.sin(x) + np.sqrt(y), \
            np.tanh(x) ** 2, np.clip(x, -1, 1), np.where(x > 0, x, 0.0) / y

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 300))
    y = rng.uniform(0.5, 2.0, (64, 300))
    nan_x = x.copy()
    nan_x[::7, ::5] = np.nan                    # NaNs flow through quietly, as in NumPy
    compiled = _compile(f)
    for mode in ("warn", "raise"):
        with warnings.catch_warnings(), np.errstate(all=mode):
            warnings.simplefilter("error")
            compiled(x, y)
            compiled(x.astype(np.float32), y.astype(np.float32))
            f(nan_x[1:], y[1:])
            compiled(nan_x[1:], y[1:])
    assert not replays
    with np.errstate(all="warn"), warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        compiled(x, np.zeros_like(y))
    assert replays and w


def test_warning_points_at_the_users_line():
    def f(x):
        y = x * 2.0
        return np.log(y) + 1.0                          # the line NumPy names

    compiled = _compile(f)
    for fn in (f, compiled):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn(ZERO)
        assert len(w) == 1
        assert w[0].filename == __file__
        assert w[0].lineno == f.__code__.co_firstlineno + 2


def test_default_filter_shows_each_location_once():
    """Under the 'default' warnings action NumPy shows a warning once per source line
    (registry of the user's module): so do compiled functions, whose replays run at the
    user's line in the user's module globals."""
    def f(x):
        return np.log(x) + np.log(x + 0.0) * 2.0

    compiled = _compile(f)
    for fn in (f, compiled):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("default")
            for _ in range(3):
                fn(ZERO)
        assert [(x.category, x.lineno) for x in w] == \
            [(RuntimeWarning, f.__code__.co_firstlineno + 1)]


def test_in_place_updates_under_raise():
    """In-place ops run eagerly, as NumPy: with 'raise', ``a`` is written before the
    error (NumPy checks the flags after the loop); a kernel group that raises first
    leaves ``a`` untouched, as NumPy's earlier op would."""
    def inplace_overflow(a, b):
        a += b * 1e300
        return a

    def inplace_after_group(a, b):
        a += np.exp(b)
        return a

    for fn in (inplace_overflow, inplace_after_group):
        compiled = _compile(fn)
        for f in (fn, compiled):
            a, b = np.ones(8) * 1e10, np.full(8, 1e300 if fn is inplace_overflow else 1000.0)
            with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
                f(a, b)
            if f is fn:
                want = a.copy()
            else:
                np.testing.assert_array_equal(a, want)


def test_array_effects_before_the_group_happen_under_raise():
    def f(x):
        x[0] = 5.0
        return np.log(x - 5.0)

    compiled = _compile(f)
    for fn in (f, compiled):
        x = np.ones(4)
        with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
            fn(x)
        assert x[0] == 5.0


def test_flags_of_a_program():
    prog = K.Program([("array", 0, "float64"), ("array", 1, "float64")], [("log", 1, 0)])
    out = np.empty(5)
    assert prog([np.ones(5), out]) == 0
    assert prog([np.array([0.0, 1, 2, 3, 4]), out]) & K.FPE_DIVIDE
    assert prog([np.array([-1.0, 1, 2, 3, 4]), out]) & K.FPE_INVALID
    # the result overwrites its source (register reuse), NaN inputs raise nothing
    reuse = K.Program([("array", 0, "float64"), ("temp", "float64"), ("array", 1, "float64")],
                      [("multiply", 1, 0, 0), ("log", 1, 1), ("exp", 2, 1)])
    assert reuse([np.array([0.0, 1.0]), np.empty(2)]) & K.FPE_DIVIDE
    assert reuse([np.array([np.nan, 1.0]), np.empty(2)]) == 0
    cmp = K.Program([("array", 0, "float64"), ("array", 1, "bool")], [("less", 1, 0, 0)])
    assert cmp([np.array([np.nan, 1.0]), np.empty(2, bool)]) == 0
    prev = K.soft_fpe_checks(False)
    try:
        assert prog([np.ones(5), out]) == 0
        assert prog([np.array([0.0, 1, 2, 3, 4]), out]) & K.FPE_DIVIDE   # the hardware flag
    finally:
        K.soft_fpe_checks(prev)
