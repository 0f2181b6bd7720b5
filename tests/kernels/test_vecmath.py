"""Accuracy of the vectorized transcendentals: within 4 ulp of NumPy's float64 result
(float32: of NumPy's float64 result rounded to float32) over wide ranges, special values
(NaN, +-inf, +-0, subnormals, overflow and underflow edges), for every ISA variant."""
import numpy as np
import pytest

from conftest import K, ULP_BUDGET, one_op_program, ulp_distance

UNARY = ["sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
         "tanh"]
BINARY = ["arctan2", "power"]
SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 5e-324, -5e-324, 1e-310,
                     2.2250738585072014e-308, 1.0, -1.0, 0.5, 2.0, 1e-300, 1e300, -1e300,
                     709.78, 709.79, -708.4, -745.2, -746.0, 1024.0, -1075.0, -1022.5,
                     np.pi / 2, np.pi, 3 * np.pi / 2, 1e5, 1e6, 1e22, -1e22, 2.0**19,
                     2.0**19 + 1, 22.0, 2.0**-28, 2.0**-27, 2.0**-26, 0.3465, 0.35, -0.35,
                     -0.9999999999, -1.0, -2.0, 1e-17, -1e-17])


def _wide(rng, n):
    """log-uniform magnitudes from 1e-310 to 1e308, both signs"""
    mag = 10.0 ** rng.uniform(-310, 308, n)
    return mag * rng.choice([-1.0, 1.0], n)


def _sample(fn, rng, n=60_000):
    parts = [SPECIALS, _wide(rng, n), rng.uniform(-10, 10, n), rng.uniform(-1, 1, n),
             rng.uniform(-800, 800, n // 2), rng.uniform(-1e-5, 1e-5, n // 4)]
    if fn in ("sin", "cos", "tan"):
        k = rng.integers(-400_000, 400_000, n)
        parts.append(k * (np.pi / 2) + rng.normal(0, 1e-9, n))     # near multiples of pi/2
        parts.append(k * (np.pi / 2))
        parts.append(rng.uniform(-1e6, 1e6, n))
    if fn.startswith("log"):
        parts.append(rng.uniform(0.5, 2.0, n))
        parts.append(1.0 + rng.uniform(-1e-8, 1e-8, n))
        parts.append(rng.uniform(-1.0, 0.0, n // 4))
    return np.concatenate(parts)


def _isas():
    return K.supported_isas()


@pytest.fixture(params=_isas())
def isa(request):
    prev = K.set_isa(request.param)
    yield request.param
    K.set_isa(prev)


@pytest.mark.parametrize("fn", UNARY)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_ulp(fn, dtype, isa):
    rng = np.random.default_rng(hash((fn, dtype)) & 0xFFFF)
    x64 = _sample(fn, rng)
    with np.errstate(all="ignore"):
        x = x64.astype(dtype)
        want = getattr(np, fn)(x.astype(np.float64)).astype(dtype)
    out = np.empty_like(x)
    one_op_program(fn, dtype, [dtype])([x, out], num_threads=1)
    d = ulp_distance(out, want)
    bad = d > ULP_BUDGET
    assert not bad.any(), (f"{fn} {dtype} {isa}: max {d.max()} ulp", x[bad][:5], out[bad][:5],
                           want[bad][:5])
    # signs of zero, NaN positions and infinities exactly as NumPy
    np.testing.assert_array_equal(np.signbit(out[want == 0]), np.signbit(want[want == 0]))
    np.testing.assert_array_equal(np.isnan(out), np.isnan(want))


@pytest.mark.parametrize("fn", BINARY)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_ulp(fn, dtype, isa):
    rng = np.random.default_rng(7)
    n = 40_000
    a = np.concatenate([rng.uniform(-10, 10, n), _wide(rng, n), np.abs(_wide(rng, n)),
                        SPECIALS, SPECIALS[::-1]])
    b = np.concatenate([rng.uniform(-10, 10, n), _wide(rng, n), rng.uniform(-50, 50, n),
                        SPECIALS[::-1], SPECIALS])
    with np.errstate(all="ignore"):
        a, b = a.astype(dtype), b.astype(dtype)
        want = getattr(np, fn)(a.astype(np.float64), b.astype(np.float64)).astype(dtype)
    out = np.empty_like(a)
    one_op_program(fn, dtype, [dtype, dtype])([a, b, out])
    d = ulp_distance(out, want)
    assert d.max() <= ULP_BUDGET, d.max()


def test_sin_is_fast_enough_to_matter():
    """Guard against losing vectorization: the kernel sin must beat NumPy's scalar sin
    clearly on a cache-resident array (generous factor; shared machines are noisy)."""
    import time
    x = np.random.default_rng(0).uniform(-10, 10, 1 << 15)
    out = np.empty_like(x)
    prog = one_op_program("sin", "float64", ["float64"])

    def best(f):
        ts = []
        for _ in range(15):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        return min(ts)

    mine = best(lambda: prog([x, out], num_threads=1))
    ref = best(lambda: np.sin(x, out=out))
    if K.isa() == "baseline":
        pytest.skip("no SIMD variant on this CPU")
    assert mine < ref / 2, (mine, ref)
