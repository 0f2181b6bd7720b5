"""Uses of dynamic floats (trace/dynamic.py) that stay symbolic across a loop whose body
breaks: ``abs()``, ``min()``/``max()`` of numbers, a division by a float expression and a
small constant power of a positive float (an adaptive step's ``(tol / err) ** 0.2``);
and NumPy's dtype queries of arrays (``np.result_type(img, kernel)``, trace/calls.py).
Each compiled run is compared with plain Python: result bit for bit, no framejit warning
(no recompile storm), ``_modes.depth() == 0``."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framejit as fj
from framejit import _native


def _same_without_storm(fn, *args):
    fj.reset()
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        got = fj.compile(fn)(*args)
    assert _native._modes.depth() == 0
    want = fn(*args)
    assert repr(got) == repr(want)
    assert [str(w.message) for w in ws if str(w.message).startswith("framejit")] == []
    return got


def bisect_abs(x, n):
    lo, hi, hist = 0.0, 2.0, []
    for _ in range(n):
        mid = 0.5 * (lo + hi)
        fm = float((x * mid).sum()) - 1.0      # a break in every iteration
        if abs(fm) < 1e-12:
            break
        if fm > 0:
            hi = mid
        else:
            lo = mid
        hist.append(abs(fm))
    return mid, hist


def step_control(x, n):
    h, hs = 0.1, []
    for _ in range(n):
        err = float(np.abs(x).max()) * h + 1e-3
        factor = 0.9 * (1e-3 / err) ** 0.5    # division by an expression, a power
        h *= min(2.0, max(0.2, factor))
        hs.append(h)
    return hs


def clipped_steps(x, n):
    t, out = 0.0, []
    for _ in range(n):
        m = float(x.mean())                    # (not ``t += float(...)``: t on the stack)
        t += m
        out.append((min(t, 1.5), max(-t, t * 0.5, -3), abs(-t), min(2, t)))
    return out


@pytest.mark.parametrize("prog, args", [
    (bisect_abs, (np.full(3, 0.25), 30)), (bisect_abs, (np.full(4, -0.1), 12)),
    (step_control, (np.ones(3), 20)), (step_control, (np.full(2, 1e-9), 15)),
    (clipped_steps, (np.full(3, 0.125), 20)), (clipped_steps, (np.full(3, -0.3), 15)),
])
def test_loop_with_float_uses_compiles_few_entries(prog, args):
    _same_without_storm(prog, *args)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=6))
@settings(max_examples=30, deadline=None)
def test_abs_min_max_of_dynamic_floats_match_python(vals):
    def f(x, n):
        out = []
        for k in range(n):
            v = float(x[k])                      # a dynamic float after the break
            out.append((abs(v), min(v, 0.5), max(0.0, v, -v), min(v, v)))
        return out

    x = np.array(vals)
    fj.reset()
    got = fj.compile(f)(x, len(vals))
    assert _native._modes.depth() == 0
    want = f(x, len(vals))
    assert len(got) == len(want)
    for g, w in zip(got, want):          # signed zeros and NaNs compared by their bits
        assert [math.copysign(1, a) if a == 0 else repr(a) for a in g] == \
               [math.copysign(1, a) if a == 0 else repr(a) for a in w], (g, w)


@given(st.lists(st.floats(min_value=-1e300, max_value=1e300), min_size=1, max_size=5),
       st.sampled_from([0.5, 1 / 3, -0.2, 0.9, 2.0, -1.5]))
@settings(max_examples=30, deadline=None)
def test_power_and_division_of_dynamic_floats_match_python(vals, e):
    def f(x, n):
        out = []
        for k in range(n):
            v = float(x[k])
            w = v * 2.0 - 1.0
            try:
                out.append((v ** e, 1.0 / w, (abs(v) + 1.0) ** e))
            except (ZeroDivisionError, OverflowError) as exc:
                out.append(type(exc).__name__)
        return out

    x = np.array(vals)
    fj.reset()
    assert repr(fj.compile(f)(x, len(vals))) == repr(f(x, len(vals)))
    assert _native._modes.depth() == 0


_DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64,
           np.float16, np.float32, np.float64, np.complex64]


@given(st.sampled_from(_DTYPES), st.sampled_from(_DTYPES), st.booleans(),
       st.sampled_from([1, 1.0, np.float32]))
@settings(max_examples=40, deadline=None)
def test_result_type_and_can_cast_of_arrays_fold(a, b, zero_d, third):
    def f(x, y):
        rt = np.result_type(x, y, third)
        return np.zeros(2, dtype=rt), np.can_cast(x, np.float32), np.result_type(x)

    x = np.ones(() if zero_d else 3, a)
    y = np.ones(2, b)
    want = f(x, y)
    got = fj.compile(f, fullgraph=True)(x, y)
    assert got[0].dtype == want[0].dtype and got[1:] == want[1:]
