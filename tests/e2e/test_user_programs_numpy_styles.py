"""User programs, NumPy style beyond the first hunt: structured arrays, ``np.einsum``,
``np.linalg``, fancy indexing with ``np.ix_``, one-argument ``np.where``/``np.nonzero``,
``np.add.at`` and ufunc methods, ``None``/``np.newaxis`` broadcasting, ``np.random.Generator``,
int8 overflow, ``np.datetime64``, complex arrays, float32 accumulators, ``out=``/``where=``,
``keepdims`` and axis tuples, ``np.errstate``, ``np.ma``, ``np.vectorize``/``np.frompyfunc``/
``np.apply_along_axis``, object and string arrays, negative strides, ``.flat``/``np.nditer``,
ndarray subclasses, ``__array_function__``, dtype promotion. Each runs compiled against
plain Python (tests/e2e/user_programs.py)."""
import numpy as np
import pytest

import framejit as fj
from user_programs import LOG, logger, same_as_python

RNG = np.random.default_rng(5)
X = RNG.standard_normal((4, 5))
A = RNG.standard_normal((4, 4)) + 4 * np.eye(4)
B = RNG.standard_normal(4)
I8 = np.array([100, 120, -128, 7], dtype=np.int8)
F32 = RNG.standard_normal(1000).astype(np.float32)


def p_structured(rec):
    rec["score"] *= 2
    top = rec[rec["score"] > 0]
    return rec["score"].sum(), top["name"].tolist(), rec[0]["age"], rec.dtype.names


def test_structured_arrays():
    dt = np.dtype([("name", "U8"), ("age", "i4"), ("score", "f8")])
    rec = np.array([("ann", 31, 1.5), ("bob", 40, -2.0), ("cy", 22, 0.25)], dtype=dt)
    same_as_python(p_structured, [(rec,), (rec[:2],)], tol=1e-12)


def p_einsum(a, b, x):
    return (np.einsum("ij,j->i", a, b), np.einsum("ij,ij->", x, x), np.einsum("ii", a),
            np.einsum("ij->ji", x), np.einsum("bi,bj->ij", x, x))


def test_einsum():
    same_as_python(p_einsum, [(A, B, X), (A[:3, :3], B[:3], X[:2])], tol=1e-10, fullgraph=True)


def p_linalg(a, b):
    x = np.linalg.solve(a, b)
    lst = np.linalg.lstsq(a, b, rcond=None)[0]
    w = np.linalg.eigvalsh(a + a.T)
    s = np.linalg.svd(a, compute_uv=False)
    return x, lst, w, s, np.linalg.norm(a), np.linalg.norm(b, 1), np.linalg.det(a), np.linalg.inv(a) @ b


def test_linalg():
    same_as_python(p_linalg, [(A, B), (A[:2, :2], B[:2])], tol=1e-9)


def p_linalg_singular(a, b):
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError as e:
        LOG.append(str(e))
        return np.linalg.pinv(a) @ b


def test_linalg_error_caught():
    same_as_python(p_linalg_singular, [(A, B), (np.ones((4, 4)), B)], tol=1e-9)


def p_fancy(x, rows, cols):
    a = x[np.ix_(rows, cols)]
    b = x[rows, cols[: len(rows)]] if len(cols) >= len(rows) else x[rows]
    c = x[:, [0, -1]]
    d = x[[True, False, True, False]]
    x[np.ix_(rows, cols)] = 0
    return a, b, c, d, x


def test_fancy_indexing_and_ix():
    same_as_python(p_fancy, [(X.copy(), np.array([0, 2]), np.array([1, 3, 4])),
                             (X.copy(), np.array([3]), np.array([0]))], fullgraph=False)


def p_where_nonzero(x):
    idx = np.where(x > 0)
    nz = np.nonzero(x.ravel() < 0)[0]
    x[x < -1] = -1
    m = x.copy()
    m[m > 1] *= 0.5
    return idx, nz, x, m, np.argwhere(x == -1), np.count_nonzero(x > 0), np.flatnonzero(m)


def test_where_one_arg_nonzero_and_masks():
    same_as_python(p_where_nonzero, [(X.copy(),), (X[:2].copy(),)])


def p_add_at(idx, vals, n):
    out = np.zeros(n)
    np.add.at(out, idx, vals)
    cnt = np.bincount(idx, minlength=n)
    return out, cnt, np.maximum.reduce(vals), np.add.reduceat(vals, [0, 2]), np.multiply.outer(vals, vals[:2])


def test_ufunc_at_and_methods():
    same_as_python(p_add_at, [(np.array([0, 1, 1, 3]), np.array([1.0, 2, 3, 4]), 5),
                              (np.array([2, 2, 2]), np.array([0.5, 0.25, 1]), 3)], tol=1e-12)


def p_broadcast(x, v):
    return (x[:, None, :] - x[None, :, :]) ** 2, v[np.newaxis] * x[..., :1], x[None].shape, x[:, np.newaxis].strides == x[:, None].strides


def test_broadcast_with_none_and_newaxis():
    same_as_python(p_broadcast, [(X, B), (X[:2], B[:1])], fullgraph=False)


def p_rng(rng, n):
    a = rng.normal(size=n)
    b = rng.integers(0, 10, size=(2, n))
    c = rng.choice(a, 2, replace=False)
    rng.shuffle(a)
    p = rng.permutation(n)
    return a, b, c, p, rng.uniform(), rng.random((2, 2)).shape


def test_random_generator_methods():
    same_as_python(p_rng, [(np.random.default_rng(1), 5), (np.random.default_rng(2), 3)])


def p_int_overflow(a):
    b = a + np.int8(100)
    c = a * 2
    d = a.astype(np.int16) * 2
    e = np.abs(a)
    f = -a
    g = a // np.int8(-3)
    h = a % 7
    return b, c, d, e, f, g, h, a.sum(), a.sum(dtype=np.int8), np.cumsum(a), a.mean()


def test_int8_overflow_wraps():
    same_as_python(p_int_overflow, [(I8,), (I8[::-1].copy(),)], fullgraph=True, tol=1e-12)


def p_int_scalar_mix(a):
    return a + 1000, a * 1.5, a // 0, a / 0, a << 2, a >> 1, a & 3, ~a, a ** 2


def test_int8_with_python_scalars():
    same_as_python(p_int_scalar_mix, [(I8,)])


def p_datetime(start, days):
    t = np.datetime64(start) + np.arange(days)
    delta = t[-1] - t[0]
    return t, delta, delta.astype(int), t.astype("datetime64[M]"), np.busday_count(t[0], t[-1])


def test_datetime64():
    same_as_python(p_datetime, [("2024-02-27", 4), ("2023-12-30", 3)])


def p_complex(z):
    w = z * 1j + np.conj(z)
    return w, np.abs(w), np.angle(w), w.real, w.imag, np.exp(w), z.dot(z), np.sqrt(-z.real + 0j)


def test_complex_arrays():
    z = X[0] + 1j * X[1]
    same_as_python(p_complex, [(z,), (z[:2],)], tol=1e-12, fullgraph=False)


def p_f32_acc(x):
    acc = np.float32(0)
    for v in x[:50]:
        acc += v
    return acc, x.sum(), x.mean(dtype=np.float64), np.float32(1) / 3, x.astype(np.float16)[:3], x.max() - x.min(), (x * 2).dtype


def test_float32_accumulators():
    same_as_python(p_f32_acc, [(F32,), (F32[:60],)], tol=1e-5)


def p_out_where(x):
    out = np.full_like(x, -1.0)
    np.sqrt(x, out=out, where=x > 0)
    y = np.add(x, 1, out=np.empty_like(x))
    z = np.multiply(x, 2, out=np.zeros_like(x), where=x < 0)
    np.negative(x, out=x)
    return out, y, z, x


def test_ufunc_out_and_where():
    same_as_python(p_out_where, [(X.copy(),), (X[:1].copy(),)], fullgraph=False)


def p_keepdims_axes(x):
    return (x - x.mean(axis=1, keepdims=True), x.sum(axis=(0, 1)), x.std(axis=0, ddof=1),
            np.max(x, axis=-1, keepdims=True), np.linalg.norm(x, axis=1), x.var(), np.median(x, axis=0),
            np.percentile(x, [25, 75]), np.ptp(x, axis=1), x.argmax(axis=0), np.any(x > 2, axis=1))


def test_keepdims_and_axis_tuples():
    same_as_python(p_keepdims_axes, [(X,), (X[:, :2],), (X.reshape(2, 10),)], tol=1e-12)


def p_errstate(x):
    with np.errstate(divide="raise"):
        try:
            y = 1.0 / x
        except FloatingPointError as e:
            LOG.append(str(e))
            y = np.zeros_like(x)
    with np.errstate(invalid="ignore"):
        z = np.log(x)
    return y, z


def test_errstate_raise_caught():
    same_as_python(p_errstate, [(X.copy(),), (np.array([1.0, 0.0, 2.0]),)], tol=1e-12)


def p_masked(x):
    m = np.ma.masked_less(x, 0)
    return m.mean(), m.filled(0), m.count(), np.ma.masked_invalid(np.log(x)).sum()


def test_masked_arrays():
    same_as_python(p_masked, [(X,), (np.abs(X),)], tol=1e-12)


def p_vectorize(x):
    f = np.vectorize(lambda v: v * 2 if v > 0 else -v)
    g = np.frompyfunc(lambda a, b: a + b, 2, 1)
    return f(x), g(x, 1).astype(float), np.apply_along_axis(lambda r: r.max() - r.min(), 1, x)


def test_vectorize_frompyfunc_apply_along_axis():
    same_as_python(p_vectorize, [(X,), (X[:1],)], quiet=False)


def p_object_string_arrays(names):
    arr = np.array(names)
    up = np.char.upper(arr)
    obj = np.array([{"a": 1}, None, 3], dtype=object)
    return up, arr[arr != "b"], np.char.str_len(arr), obj[0]["a"], arr.dtype.kind, np.sort(arr)


def test_object_and_string_arrays():
    same_as_python(p_object_string_arrays, [(["b", "ab", "c"],), (["zz"],)])


def p_negative_strides(x):
    r = x[::-1]
    c = x[:, ::-2]
    r[0] = 7
    return r + c.sum(), x, np.flip(x, 1) * 2, x[::-1, ::-1].T.copy(), c.flags["C_CONTIGUOUS"]


def test_views_with_negative_strides():
    same_as_python(p_negative_strides, [(X.copy(),), (X[:2].copy(),)], fullgraph=False, tol=1e-12)


def p_flat_nditer(x):
    total = 0.0
    for v in x.flat:
        total += v
    x.flat[::3] = -1
    it = [float(v) for v in np.nditer(x[:2])]
    return total, x, it, x.flat[2], x.item(3), x.tolist()[0]


def test_flat_and_nditer():
    same_as_python(p_flat_nditer, [(X.copy(),), (X[:2, :2].copy(),)], tol=1e-12)


class Tagged(np.ndarray):
    def __new__(cls, arr, tag="t"):
        obj = np.asarray(arr).view(cls)
        obj.tag = tag
        return obj

    def __array_finalize__(self, obj):
        self.tag = getattr(obj, "tag", None)


def p_subclass(t):
    y = t * 2 + 1
    return type(y).__name__, getattr(y, "tag", None), np.asarray(y), y.sum()


def test_ndarray_subclass():
    same_as_python(p_subclass, [(Tagged(X),), (Tagged(B, "b"),)], tol=1e-12)


def _undress(a):
    if isinstance(a, (list, tuple)):
        return type(a)(_undress(v) for v in a)
    return a.data if isinstance(a, Duck) else a


class Duck:
    def __init__(self, data):
        self.data = data

    def __array__(self, dtype=None, copy=None):
        LOG.append("__array__")
        return np.asarray(self.data, dtype=dtype)

    def __array_function__(self, func, types, args, kwargs):
        LOG.append(func.__name__)
        args = [_undress(a) for a in args]
        return func(*args, **kwargs)


def p_array_function(d):
    return np.sum(d), np.concatenate([d, d]), np.asarray(d) * 2


def test_array_function_protocol():
    same_as_python(p_array_function, [(Duck(X),), (Duck(B),)], tol=1e-12)


def p_scalar_types(x):
    s = x[0, 0]
    i = np.int64(3)
    return (s * i, type(s * i).__name__, i / 2, type(i // 2).__name__, np.float64(2) ** 0.5,
            bool(np.bool_(True) & True), np.int32(7) + 2**40, s > 0, int(i) << 2, float(np.float32(0.1)))


def test_numpy_scalar_arithmetic():
    same_as_python(p_scalar_types, [(X,), (-X,)])


def p_bool_arith(m):
    return m + m, m * 3, m.sum(), m ** 2, -m.astype(int), m & ~m, m ^ True, np.logical_xor(m, m[::-1]), m.mean(), m - 0


def test_bool_arithmetic():
    same_as_python(p_bool_arith, [(X[0] > 0,), (X[:, 0] > 0,)], tol=1e-12)


def p_creation(n, dtype):
    return (np.arange(n, dtype=dtype), np.linspace(0, 1, n), np.eye(n, k=1), np.tri(n), np.full((n,), 7, dtype),
            np.zeros_like(np.ones((n, 2)), dtype=np.int8), np.identity(n)[::2], np.arange(0.1, 1, 0.3), np.logspace(0, 2, n),
            np.meshgrid(np.arange(n), np.arange(2)), np.indices((2, n)).shape)


def test_array_creation():
    same_as_python(p_creation, [(3, np.float32), (4, np.int64), (1, float)], fullgraph=False, tol=1e-12)


def p_stack_split(x):
    parts = np.split(x, 2, axis=0)
    hs = np.hsplit(x, [1, 3])
    return np.vstack(parts), np.hstack(hs), np.stack(parts, axis=-1).shape, np.column_stack([x[0], x[1]]), np.dstack([x, x]).shape, np.concatenate(parts, axis=None), np.array_split(x[0], 3)


def test_stack_and_split():
    same_as_python(p_stack_split, [(X,), (np.arange(8.0).reshape(2, 4),)], fullgraph=False)


def p_sort_search(x):
    s = np.sort(x, axis=None)
    idx = np.argsort(x[:, 0], kind="stable")
    return s, idx, np.searchsorted(s, [0.0, 1.0]), np.unique(np.round(x, 0), return_counts=True), x[idx], np.partition(x[0], 2)[2], np.lexsort((x[:, 1], x[:, 0]))


def test_sort_and_search():
    same_as_python(p_sort_search, [(X,), (X[:2],)])


def p_shapes(x):
    return (x.reshape(-1), x.reshape(x.shape[1], -1), np.moveaxis(x[None], 0, -1).shape, x.T.ravel(order="F"),
            np.expand_dims(x, (0, 2)).shape, np.squeeze(x[None, :1]), np.swapaxes(x[None], 0, 2).shape,
            np.tile(x[0], 2), np.repeat(x[:, 0], 2), np.pad(x, 1)[0], np.broadcast_to(x[0], (2, x.shape[1])), np.atleast_3d(x).shape)


def test_shape_manipulation():
    same_as_python(p_shapes, [(X,), (X[:1],)])


def p_cumulative(x):
    return np.cumsum(x, axis=1), np.cumprod(x[0]), np.diff(x, axis=0), np.diff(x[0], n=2), np.gradient(x[0]), np.convolve(x[0], [1, 2, 1], "same"), np.trapz(x[0]) if hasattr(np, "trapz") else 0, np.interp([0.5, 1.5], [0, 1, 2], x[0, :3]), np.clip(x, -0.5, 0.5), np.histogram(x, bins=3)[0]


def test_cumulative_and_signal():
    same_as_python(p_cumulative, [(X,), (X[:2],)], tol=1e-12)


def p_nan_funcs(x):
    y = x.copy()
    y[y < -1] = np.nan
    return np.nansum(y), np.nanmean(y, axis=0), np.isnan(y).sum(), np.nan_to_num(y), np.nanmax(y), np.isfinite(y).all(), np.where(np.isnan(y), 0, y)


def test_nan_functions():
    same_as_python(p_nan_funcs, [(X,), (X * 0 + 1,)], tol=1e-12)


def p_dtype_promotion(a, b):
    return (a + b).dtype, (a * 1.0).dtype, (a + 1).dtype, np.result_type(a, b), (a / b).dtype, (a + np.float32(1)).dtype, np.true_divide(a, 2).dtype, (a // b).dtype


def test_dtype_promotion():
    cases = [(np.arange(3, dtype=np.int8), np.arange(1, 4, dtype=np.uint8)),
             (np.arange(3, dtype=np.float32), np.arange(1, 4, dtype=np.int64)),
             (np.arange(3, dtype=np.int32), np.ones(3, dtype=np.float16)),
             (np.arange(3, dtype=np.uint64), np.arange(1, 4, dtype=np.int64))]
    same_as_python(p_dtype_promotion, cases, fullgraph=False)
