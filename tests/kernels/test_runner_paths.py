"""The Runner's two paths give the same answers (pyx/_kernels_run.pxi).

Contiguous operands of the iteration shape (or 0-d) take ``_run_flat``; everything else
(broadcasting, strides, Fortran order, row-wise programs) the general ``_run``. The same
group on the same values must give bit-identical results, the same FP flags (NumPy's
warnings and errors through the replay) and the same layouts either way.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framejit as fj

FUNCS = {
    "chain": lambda a, b: a * b + np.sin(b) - a / (b * b + 1.0),
    "where": lambda a, b: np.where(a > b, a - b, np.exp(-b * b)),
    "sum": lambda a, b: np.sum(a * a + b),
    "scalar_mix": lambda a, b: (a * 2.5 + b).max(),
    "two_outputs": lambda a, b: (a + b, a * b),
}


def _strided(x):
    """The same values through a view with a step (the general path)."""
    buf = np.empty(x.shape[:-1] + (2 * x.shape[-1],), x.dtype) if x.ndim else x.copy()
    if x.ndim == 0:
        return buf
    view = buf[..., ::2]
    view[...] = x
    return view


def _same(a, b):
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and \
        np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(FUNCS)), dtype=st.sampled_from([np.float64, np.float32]),
       shape=st.sampled_from([(1,), (7,), (16,), (513,), (3, 5), (2, 3, 4)]),
       seed=st.integers(0, 2**16), threads=st.sampled_from([1, 2]))
def test_flat_and_general_paths_agree(name, dtype, shape, seed, threads):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    b = rng.standard_normal(shape).astype(dtype)
    b.flat[0] = 0.0 if b.size > 1 else b.flat[0]
    fn = FUNCS[name]
    compiled = fj.compile(fn)
    old = fj.config.num_threads
    fj.config.num_threads = threads
    try:
        with np.errstate(all="ignore"):
            flat = compiled(a, b)
            general = compiled(_strided(a), _strided(b))
            expected = fn(a, b)
    finally:
        fj.config.num_threads = old
    assert _same(flat, general)
    if name in ("two_outputs", "scalar_mix"):   # arithmetic and max: bit-identical
        assert _same(flat, expected)
    else:                                       # transcendentals, summation order
        rtol = 1e-4 if dtype == np.float32 else 1e-12
        assert np.allclose(flat, expected, rtol=rtol, atol=rtol, equal_nan=True)


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_fp_errors_are_numpys_on_both_paths(layout):
    compiled = fj.compile(lambda a, b: a / b + 1.0)
    a = np.ones(8)
    b = np.zeros(8)
    if layout == "strided":
        a, b = _strided(a), _strided(b)
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError, match="divide by zero"):
            compiled(a, b)
    with np.errstate(divide="warn"), warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        out = compiled(a, b)
    assert [str(w.message) for w in got] == ["divide by zero encountered in divide"]
    assert np.all(np.isinf(out))
    with np.errstate(divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled(a, b)


def test_zero_d_and_scalar_operands():
    compiled = fj.compile(lambda a, s: np.exp(a * s) + s)
    a = np.array(0.5)
    for s in (2.0, 3.0, 4.0):                 # s becomes a dynamic float input (0-d)
        got = compiled(a, s)
        assert _same(got, np.exp(a * s) + s) or abs(got - (np.exp(a * s) + s)) < 1e-15
        v = np.linspace(0, 1, 9)
        assert np.allclose(compiled(v, s), np.exp(v * s) + s, rtol=1e-15, atol=0)


def test_outputs_are_fresh_and_own_their_data():
    compiled = fj.compile(lambda a, b: (a * b, a + b))
    a, b = np.arange(5.0), np.arange(5.0) + 1
    x, y = compiled(a, b)
    assert x.base is None and y.base is None and x.flags.owndata and y.flags.owndata
    assert not np.shares_memory(x, y) and not np.shares_memory(x, a)
    assert x.flags.c_contiguous and x.flags.writeable
