"""Reductions (all elements and last axis), fused elementwise+reduce chains, and row-wise
reduce-then-map programs (softmax, log-softmax, layer norm) against NumPy: tolerance
relative to the sum of magnitudes, determinism across runs and thread counts."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import K

RTOL = {"float64": 1e-12, "float32": 1e-5}
RED_CASES = [(op, dt) for op in ["sum", "prod", "min", "max", "mean", "any", "all",
                                 "argmin", "argmax"]
             for dt in ["float64", "float32", "int64", "int32", "bool"] if K.supported(op, dt)]


def _program(op, dt, mode):
    out_dt = "int64" if op.startswith("arg") else dt
    regs = [("array", 0, dt), ("acc", out_dt, 1)]
    return K.Program(regs, [(op, 1, 0)], reduce=mode), out_dt


def _data(rng, dt, shape, op):
    if dt == "bool":
        return rng.random(shape) < (0.97 if op == "all" else 0.03)
    if dt.startswith("int"):
        lim = 3 if op == "prod" else 1000
        return rng.integers(-lim, lim, shape).astype(dt)
    x = rng.standard_normal(shape)
    if op == "prod":
        x = 1 + 0.001 * x
    return x.astype(dt)


def _check(got, want, x, op, dt, axis):
    if op in ("sum", "mean") and dt.startswith("float"):
        mag = np.sum(np.abs(x.astype(np.float64)), axis=axis)
        if op == "mean":
            mag = mag / max(x.shape[-1] if axis == -1 else x.size, 1)
        assert np.all(np.abs(got.astype(np.float64) - want) <= RTOL[dt] * mag + 1e-300), \
            np.max(np.abs(got - want))
    elif op == "prod" and dt.startswith("float"):
        np.testing.assert_allclose(got, want, rtol=RTOL[dt] * 10)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op,dt", RED_CASES, ids=[f"{o}-{d}" for o, d in RED_CASES])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_reduce_parity(op, dt, data):
    draw = data.draw
    mode = draw(st.sampled_from(["all", "last"]))
    shape = draw(st.sampled_from([(1,), (5,), (3000,), (4, 7), (3, 2500), (50, 3),
                                  (2, 3, 33), (0, 3), (3, 0), (0,)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = _data(rng, dt, shape, op)
    if draw(st.booleans()) and x.ndim == 2:
        x = np.asfortranarray(x)               # non-contiguous over the iteration order
    if draw(st.booleans()):
        x = x[(slice(None, None, -1),) * x.ndim]
    prog, out_dt = _program(op, dt, mode)
    axis = None if mode == "all" else -1
    out = np.zeros(() if mode == "all" else shape[:-1], out_dt)
    threads = draw(st.sampled_from([1, 2]))
    block = draw(st.sampled_from([0, 16, 1000]))
    empty = (x.size == 0) if mode == "all" else (shape[-1] == 0 and x.size == 0 and
                                                 int(np.prod(shape[:-1])) > 0)
    with np.errstate(all="ignore"):
        try:
            want = getattr(np, op)(x, axis=axis)
        except ValueError:
            with pytest.raises(ValueError):
                prog([x, out], num_threads=threads, block=block)
            return
    prog([x, out], num_threads=threads, block=block)
    if op == "mean" and empty:
        assert np.all(np.isnan(out))
        return
    _check(out, np.asarray(want), x, op, dt, axis)


@pytest.mark.parametrize("mode", ["all", "last"])
@pytest.mark.parametrize("dt", ["float64", "float32"])
def test_sum_deterministic_across_runs_and_threads(mode, dt):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((64, 20_000)) * 10 ** rng.uniform(-5, 5, (64, 1))).astype(dt)
    prog, _ = _program("sum", dt, mode)
    shape = () if mode == "all" else (64,)
    results = []
    for nt in (1, 2, 1, 2, 2):
        out = np.zeros(shape, dt)
        prog([x, out], num_threads=nt)
        results.append(out.copy())
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    _check(results[0], np.sum(x.astype(np.float64), axis=None if mode == "all" else -1),
           x, "sum", dt, None if mode == "all" else -1)


def test_sum_of_squares_plus_b_fused():
    """sum(a*a + b) as one pass, with b broadcast along rows."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((300, 1000))
    b = rng.standard_normal(1000)
    regs = [("array", 0, "float64"), ("array", 1, "float64"), ("temp", "float64"),
            ("acc", "float64", 2)]
    code = [("multiply", 2, 0, 0), ("add", 2, 2, 1), ("sum", 3, 2)]
    prog = K.Program(regs, code, reduce="all")
    out = np.zeros(())
    prog([a, b, out])
    want = np.sum(a * a + b)
    assert abs(out - want) <= 1e-12 * np.sum(np.abs(a * a + b))


def _softmax_program(dt, log=False):
    regs = [("array", 0, dt), ("array", 1, dt), ("acc", dt), ("temp", dt), ("acc", dt)]
    code = [("max", 2, 0), ("pass",),
            ("subtract", 3, 0, 2), ("exp", 1, 3), ("sum", 4, 1), ("pass",)]
    if log:
        regs.append(("temp", dt))
        code += [("log", 5, 4), ("subtract", 3, 0, 2), ("subtract", 1, 3, 5)]
    else:
        code += [("divide", 1, 1, 4)]
    return K.Program(regs, code, reduce="last")


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(1, 1), (7, 1024), (300, 1024), (3, 5000), (2, 3, 17)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_rows(dt, shape, log, nthreads):
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(shape) * 5).astype(dt)
    out = np.empty_like(x)
    _softmax_program(dt, log)([x, out], num_threads=nthreads, block=256)
    xm = x - x.max(axis=-1, keepdims=True)
    if log:
        want = xm - np.log(np.sum(np.exp(xm), axis=-1, keepdims=True))
    else:
        e = np.exp(xm)
        want = e / e.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(out, want, rtol=RTOL[dt] * 100, atol=RTOL[dt])


def _layernorm_program(dt):
    """mean, then var, then (x - mu) / sqrt(var + eps) * g + b with the sqrt computed
    once per row by a scalar (acc -> acc) instruction."""
    regs = [("array", 0, dt), ("array", 1, dt), ("array", 2, dt), ("array", 3, dt),
            ("acc", dt), ("temp", dt), ("acc", dt), ("const", 1e-5, dt), ("temp", dt),
            ("acc", dt), ("acc", dt)]
    code = [("mean", 4, 0), ("pass",),
            ("subtract", 5, 0, 4), ("square", 5, 5), ("mean", 6, 5), ("pass",),
            ("add", 9, 6, 7), ("sqrt", 10, 9), ("subtract", 5, 0, 4), ("divide", 5, 5, 10),
            ("multiply", 5, 5, 1), ("add", 3, 5, 2)]
    return K.Program(regs, code, reduce="last")


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("rows", [1, 5, 257])
def test_layer_norm_rows(dt, rows, nthreads):
    rng = np.random.default_rng(12)
    x = (rng.standard_normal((rows, 1024)) * 3 + 1).astype(dt)
    g = rng.standard_normal(1024).astype(dt)
    b = rng.standard_normal(1024).astype(dt)
    out = np.empty_like(x)
    _layernorm_program(dt)([x, g, b, out], num_threads=nthreads)
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    want = (x - mu) / np.sqrt(var + dt_eps(dt)) * g + b
    np.testing.assert_allclose(out, want, rtol=RTOL[dt] * 1000, atol=RTOL[dt] * 100)


def dt_eps(dt):
    return np.asarray(1e-5, dtype=dt)


def test_argmax_nan_and_ties():
    x = np.array([[1.0, 3.0, 3.0, np.nan, 2.0, np.nan], [5.0, 5.0, 1.0, 0.0, 5.0, -1.0]])
    for op in ("argmax", "argmin"):
        prog, _ = _program(op, "float64", "last")
        out = np.zeros(2, np.int64)
        prog([x, out], block=2)
        np.testing.assert_array_equal(out, getattr(np, op)(x, axis=-1))
        prog, _ = _program(op, "float64", "all")
        out = np.zeros((), np.int64)
        prog([x, out], block=4)
        assert out == getattr(np, op)(x)


def test_empty_min_raises_and_sum_identity():
    prog, _ = _program("min", "float64", "all")
    with pytest.raises(ValueError, match="zero-size"):
        prog([np.zeros(0), np.zeros(())])
    prog, _ = _program("sum", "float64", "last")
    out = np.full(3, 7.0)
    prog([np.zeros((3, 0)), out])
    np.testing.assert_array_equal(out, 0.0)


def test_scalar_acc_instructions_validation():
    f = "float64"
    with pytest.raises(ValueError, match="only acc and const"):
        K.Program([("array", 0, f), ("acc", f), ("acc", f)],
                  [("sum", 1, 0), ("pass",), ("add", 2, 1, 0)], reduce="all")
    with pytest.raises(ValueError, match="read before"):
        K.Program([("array", 0, f), ("acc", f), ("acc", f)],
                  [("sum", 1, 0), ("sqrt", 2, 1)], reduce="all")
    # a scalar acc is readable right after it in the same pass, and in later passes
    p = K.Program([("array", 0, f), ("acc", f), ("acc", f), ("array", 1, f), ("acc", f, 2)],
                  [("sum", 1, 0), ("pass",), ("sqrt", 2, 1), ("multiply", 3, 0, 2),
                   ("pass",), ("max", 4, 3)], reduce="last")
    x = np.abs(np.random.default_rng(0).standard_normal((6, 50)))
    out, mx = np.empty_like(x), np.empty(6)
    p([x, out, mx], block=16)
    np.testing.assert_allclose(out, x * np.sqrt(x.sum(-1, keepdims=True)), rtol=1e-14)
    np.testing.assert_array_equal(mx, out.max(-1))


EXTREMES = [(op, dt) for op in ("min", "max", "argmin", "argmax")
            for dt in ("float64", "float32", "int64", "int32", "bool")]


@pytest.mark.parametrize("op,dt", EXTREMES, ids=[f"{o}-{d}" for o, d in EXTREMES])
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_extremes_with_nan_inf_zeros_anywhere(op, dt, data):
    """min/max/argmin/argmax (vectorized with a NaN mask) as NumPy: any NaN gives NaN
    (arg: the first NaN's index), ties give the first index, at any length, block size,
    thread count and instruction set."""
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = draw(st.sampled_from([1, 3]))
    n = draw(st.sampled_from([1, 2, 15, 16, 17, 31, 32, 33, 64, 100, 257, 1000, 3001]))
    if dt == "bool":
        x = rng.random((rows, n)) < draw(st.sampled_from([0.0, 0.01, 0.5, 1.0]))
    elif dt.startswith("int"):
        x = rng.integers(-3, 3, (rows, n)).astype(dt)
    else:
        x = rng.standard_normal((rows, n)).astype(dt)
        for v in draw(st.lists(st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0]),
                               max_size=4)):
            x[rng.integers(0, rows), rng.integers(0, n)] = v
    mode = draw(st.sampled_from(["all", "last"]))
    prog, out_dt = _program(op, dt, mode)
    out = np.zeros(() if mode == "all" else (rows,), out_dt)
    isa = draw(st.sampled_from(K.supported_isas()))
    prev_isa, prev_thr = K.set_isa(isa), K.parallel_threshold(0)
    try:
        prog([x, out], num_threads=draw(st.sampled_from([1, 2])),
             block=draw(st.sampled_from([0, 16, 48, 1000])))
    finally:
        K.set_isa(prev_isa)
        K.parallel_threshold(prev_thr)
    want = getattr(np, op)(x, axis=None if mode == "all" else -1)
    np.testing.assert_array_equal(out, want)
