"""Comparing results of compiled code with NumPy / plain Python.

``values_equal(want, got, tol)`` compares nested results (tuples, lists, dicts, arrays,
NumPy scalars, Python values) and returns a list of human-readable differences (empty
when equal). ``tol`` is ``None`` for bit-for-bit equality (NaN payloads aside; signed
zeros must match) or a relative tolerance for floating values.
"""
import numpy as np


def ulp_distance(got, want):
    """|got - want| in units of the last place of `want` (in got's dtype), elementwise.

    NaN==NaN and equal infinities are 0; a NaN/number mismatch or an infinity against a
    different value is inf. Works for float16/32/64 through the ordered-integer view of
    the bits, so the largest finite value and inf are 1 ulp apart.
    """
    got = np.asarray(got)
    want = np.asarray(want).astype(got.dtype)
    if got.dtype.kind != "f":
        return np.where(got == want, 0.0, np.inf)
    itype = {2: np.int16, 4: np.int32, 8: np.int64}[got.dtype.itemsize]
    g = np.ascontiguousarray(got)
    w = np.ascontiguousarray(want)

    def ordered(a):
        # sign-magnitude bits -> a monotone integer line (negatives reflected below zero)
        i = a.view(itype).astype(np.int64)
        mag = i & np.int64(np.iinfo(itype).max)
        return np.where(i < 0, -mag, mag)

    og, ow = ordered(g), ordered(w)
    same_sign = (og >= 0) == (ow >= 0)
    with np.errstate(over="ignore"):
        exact = np.abs(np.where(same_sign, og - ow, 0)).astype(np.float64)
    d = np.where(same_sign, exact, np.abs(og.astype(np.float64) - ow.astype(np.float64)))
    both_nan = np.isnan(g) & np.isnan(w)
    one_nan = np.isnan(g) ^ np.isnan(w)
    d = np.where(both_nan, 0.0, d)
    d = np.where(one_nan, np.inf, d)
    # equal values (also +0 == -0 for this purpose) are 0 ulp apart
    with np.errstate(invalid="ignore"):
        d = np.where(g == w, 0.0, d)
    return d


def _floatlike(a):
    return a.dtype.kind in "fc"


def array_diff(want, got, tol=None, where="value"):
    """Differences between two arrays (or NumPy scalars); [] when equal."""
    out = []
    if type(want) is not type(got):
        return [f"{where}: type {type(got).__name__} != expected {type(want).__name__}"]
    w = np.asarray(want)
    g = np.asarray(got)
    if w.dtype != g.dtype:
        return [f"{where}: dtype {g.dtype} != expected {w.dtype}"]
    if w.shape != g.shape:
        return [f"{where}: shape {g.shape} != expected {w.shape}"]
    if w.size == 0:
        return out
    if w.dtype.kind == "c":        # signbit and NaN positions are per component
        return (array_diff(w.real, g.real, tol, f"{where}.real")
                + array_diff(w.imag, g.imag, tol, f"{where}.imag"))
    if not _floatlike(w):
        bad = w != g
        if np.any(bad):
            out.append(f"{where}: {int(bad.sum())} element(s) differ; first at "
                       f"{_first(bad)}: got {g[bad].ravel()[0]!r}, expected {w[bad].ravel()[0]!r}")
        return out
    wn, gn = np.isnan(w), np.isnan(g)
    if np.any(wn != gn):
        bad = wn != gn
        out.append(f"{where}: NaN positions differ; first at {_first(bad)}: got "
                   f"{g[bad].ravel()[0]!r}, expected {w[bad].ravel()[0]!r}")
        return out
    ok = ~wn
    if tol is None:
        with np.errstate(invalid="ignore"):
            bad = ok & ((w != g) | (np.signbit(w) != np.signbit(g)))
    else:
        # values near 0 from cancellation (x - x.mean()) differ by rounding noise of the
        # order of the operands: absolute tolerance relative to at least 1
        scale = float(np.max(np.abs(np.where(np.isfinite(w), w, 0)), initial=0.0))
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.isclose(g, w, rtol=tol, atol=tol * max(scale, 1.0))
        close |= (w == g)
        bad = ok & ~close
    if np.any(bad):
        what = "bitwise" if tol is None else f"rtol={tol}"
        out.append(f"{where}: {int(bad.sum())} element(s) differ ({what}); first at "
                   f"{_first(bad)}: got {g[bad].ravel()[0]!r}, expected {w[bad].ravel()[0]!r}")
    return out


def _first(mask):
    idx = np.argwhere(np.asarray(mask))
    return tuple(int(i) for i in idx[0]) if len(idx) else ()



def values_equal(want, got, tol=None, where="result"):
    """Differences between two nested results; [] when they are equal."""
    if isinstance(want, (np.ndarray, np.generic)) or isinstance(got, (np.ndarray, np.generic)):
        return array_diff(want, got, tol, where)
    if type(want) is not type(got):
        return [f"{where}: type {type(got).__name__} != expected {type(want).__name__} "
                f"(got {got!r:.80}, expected {want!r:.80})"]
    if isinstance(want, (tuple, list)):
        if len(want) != len(got):
            return [f"{where}: length {len(got)} != expected {len(want)}"]
        out = []
        for i, (w, g) in enumerate(zip(want, got)):
            out += values_equal(w, g, tol, f"{where}[{i}]")
        return out
    if isinstance(want, dict):
        if list(want) != list(got):
            return [f"{where}: keys {list(got)} != expected {list(want)}"]
        out = []
        for k in want:
            out += values_equal(want[k], got[k], tol, f"{where}[{k!r}]")
        return out
    if isinstance(want, float) and want != want and got != got:
        return []
    if isinstance(want, float) and tol is not None and abs(want - got) <= tol * max(abs(want), 1):
        return []
    if want != got:
        return [f"{where}: {got!r:.200} != expected {want!r:.200}"]
    return []
