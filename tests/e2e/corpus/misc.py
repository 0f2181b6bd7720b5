"""General-purpose NumPy idioms: polynomials, integer arithmetic, indexing, Python builtins."""
import functools

import numpy as np

from .case import Case

COEFFS = (0.5, -1.25, 2.0, 0.75, -0.3)  # highest degree first


def horner(x, coeffs=COEFFS):
    acc = np.zeros_like(x)
    for c in coeffs:
        acc = acc * x + c
    return acc


def horner_iter_next(x):
    it = iter(COEFFS)
    acc = np.full_like(x, next(it))
    acc = acc * x + next(it)
    for c in COEFFS[2:]:
        acc = acc * x + c
    return acc


def poly_derivative_eval(x, coeffs=COEFFS):
    n = len(coeffs) - 1
    val = np.zeros_like(x)
    der = np.zeros_like(x)
    for i, c in enumerate(coeffs):
        p = n - i
        val += c * x ** p
        if p > 0:
            der += p * c * x ** (p - 1)
    return val, der


poly_lambda = lambda x: 3.0 * x ** 2 - 2.0 * x + 1.0  # noqa: E731


class Polynomial:
    def __init__(self, coeffs):
        self.coeffs = np.asarray(coeffs, dtype=np.float64)

    def __call__(self, x):
        out = np.zeros_like(x)
        for i in range(self.coeffs.shape[0]):
            out = out * x + self.coeffs[i]
        return out

    def integral(self, a, b):
        n = self.coeffs.shape[0]
        powers = np.arange(n, 0, -1)
        anti = self.coeffs / powers
        return (anti * b ** powers).sum() - (anti * a ** powers).sum()


CUBIC = Polynomial([1.0, 0.0, -2.0, 0.5])


def polynomial_method(x):
    return CUBIC(x), CUBIC.integral(0.0, 1.0)


def integer_arithmetic(a, b):
    q = a // b
    r = a % b
    return q, r, q * b + r, -a // 3, np.abs(a - b) ** 2


def bit_tricks(x):
    lowbit = x & -x
    cleared = x & (x - 1)
    packed = (x << 8) | (x >> 2)
    return lowbit, cleared, packed ^ x, ~x


def hash_mix(x):
    h = x * 2654435761
    h = (h ^ (h >> 16)) & 0xFFFFFFFF
    return h % 1024


def collatz_steps(x, steps=12):
    for _ in range(steps):
        x = np.where(x % 2 == 0, x // 2, 3 * x + 1)
    return x


def game_of_life_step(board):
    p = np.zeros((board.shape[0] + 2, board.shape[1] + 2), dtype=np.int64)
    p[1:-1, 1:-1] = board
    n = (p[:-2, :-2] + p[:-2, 1:-1] + p[:-2, 2:] + p[1:-1, :-2] + p[1:-1, 2:]
         + p[2:, :-2] + p[2:, 1:-1] + p[2:, 2:])
    alive = board == 1
    new = np.logical_or(n == 3, np.logical_and(alive, n == 2))
    return new.astype(np.int64)


def scalar_constructors(x):
    a = np.float32(0.5) * x.astype(np.float32)
    b = np.float64(2.0) + x
    c = np.int32(3) * np.arange(4, dtype=np.int32)
    d = np.int64(7) // np.int64(2) + np.arange(3)
    z = np.complex128(1.0 + 2.0j) * x
    return a, b, c, d, z.real, z.imag


def dtype_conversions(x):
    i = (x * 10).astype(np.int64)
    f32 = x.astype(np.float32)
    back = f32.astype(np.float64)
    b = (x > 0).astype(np.int32)
    return i, f32, back - x, b.sum(), np.float32(x.sum())


def complex_rotation(z, theta):
    w = z * np.exp(1j * theta)
    return w.real, w.imag, np.abs(w), np.arctan2(w.imag, w.real)


def element_reads_writes(x):
    y = x.copy()
    y[0, 1] = 3.0
    y[-1, -1] = y[0, 0] + y[1, 2]
    y[2] = 0.0
    return y, x[1, 1] * 2.0, x[-1][0]


def element_write_inplace(x):
    x[0, 1] = 3.0
    x[1, 0] += 1.5
    x[-1, -2] *= 2.0


def negative_slice_writes(x):
    x[-3:-1] = 0
    x[:2] += x[-2:]
    return x[-4:-1].sum()


def negative_slice_views(x):
    return x[-3:], x[1:-1, -2:], x[::-2], x[-1:-4:-1]


def views_out(x):
    return x[1:], x.T, x.reshape(-1), x[:, None, :], np.transpose(x)


def passthrough(x, y):
    y += 1.0
    return x, y


def boolean_mask_writes(x, mask):
    y = x.copy()
    y[y < 0] = 0.0
    y[mask] *= 2.0
    x[x > 1.0] = 1.0
    return y


def integer_array_writes(x, idx, vals):
    y = np.zeros(10)
    y[idx] = vals
    x[idx] += 1.0
    return y, x[idx[::-1]]


def one_hot(labels, k=5):
    return (labels[:, np.newaxis] == np.arange(k)[np.newaxis, :]).astype(np.float64)


def safe_divide_where(a, b):
    out = np.zeros_like(a)
    np.divide(a, b, out=out, where=b != 0)
    return out


def ufunc_out_dtype(a, b):
    out = np.empty_like(a)
    np.multiply(a, b, out=out)
    np.add(out, 1.0, out=out)
    s32 = np.add(a, b, dtype=np.float32)
    return out, s32, np.sqrt(np.abs(a), where=a > 0, out=np.ones_like(a))


def _filled(e):
    e[...] = 1.0           # np.empty's contents are arbitrary (NaN * 0 is NaN): fill first
    return e


def creation_routines(n=5):
    return {
        "zeros": np.zeros((n, 2)),
        "ones": np.ones(n, dtype=np.int32),
        "full": np.full((2, n), 7.5),
        "eye": np.eye(n, k=1),
        "arange": np.arange(0.0, 1.0, 0.25),
        "linspace": np.linspace(0.0, 2.0 * np.pi, n),
        "empty_filled": _filled(np.empty((n,))) * 0.0 + 1.0,
    }


def like_routines(x):
    e = np.empty_like(x)
    e[...] = 2.0
    return np.zeros_like(x), np.ones_like(x) * 3, np.full_like(x, np.pi), e, np.ones_like(x, dtype=np.int64)


def shape_introspection(x):
    n = x.shape[0] * x.shape[1]
    return n, x.size, x.ndim, len(x), np.zeros(x.shape, dtype=x.dtype).sum(), x.size * 1.5


def branch_on_shape(x):
    if x.ndim == 1:
        x = x[np.newaxis, :]
    if x.shape[1] > 4:
        return x[:, :4].sum(axis=1)
    return x.sum(axis=1)


def branch_on_dtype(x):
    if x.dtype == np.float32:
        scale = np.float32(0.5)
    else:
        scale = 0.25
    return x * scale


def optional_args(x, bias=None, scale=2.0, clip=None):
    if bias is None:
        bias = np.zeros(x.shape[-1])
    if isinstance(scale, float):
        y = x * scale + bias
    else:
        y = x + bias
    if clip is not None:
        y = np.clip(y, -clip, clip)
    return y


def _affine(x, *, w, b=0.0):
    return x @ w + b


def keyword_calls(x, w):
    y = _affine(x, w=w, b=1.0)
    z = _affine(x=x, w=w)
    return np.maximum(y, z), np.sum(y, axis=0)


def dict_in_dict_out(params, x):
    h = np.tanh(x @ params["w1"] + params["b1"])
    out = h @ params["w2"]
    stats = {}
    for k in range(1, 4):
        stats[f"moment_{k}"] = np.mean(out ** k)
    return {"hidden": h, "out": out, "stats": stats}


def weighted_list_sum(arrays, weights):
    acc = np.zeros_like(arrays[0])
    for i, (a, w) in enumerate(zip(arrays, weights)):
        acc += w * a * (i + 1)
    return acc


def builtins_mix(a, b):
    m = min(a.shape[0], b.shape[0])
    n = max(len(a), len(b), 3)
    d = abs(a[:m] - b[:m])
    return d, max(m, 2) * d.sum(), n, abs(-2.5) * np.e, np.ones(n)


def trig_table(n=8):
    t = np.linspace(0.0, np.pi / 2, n)
    return np.stack([np.sin(t), np.cos(t), np.tan(t * 0.9), np.tanh(t)])


def clip_and_scale(x, lo=-1.0, hi=1.0):
    return np.clip(x, lo, hi), x.clip(lo, hi) * 2


def reshape_roundtrip(x):
    a = np.reshape(x, (x.shape[0], -1))
    b = a.reshape(x.shape)
    c = x.reshape(-1)[::2]
    return a.sum(axis=1), b - x, c


def outer_tables(a, b):
    return np.outer(a, b), np.add.outer(a, b), np.multiply.outer(a, b), a[:, None] - b[None, :]


def concat_family(a, b):
    return (np.concatenate([a, b], axis=0), np.concatenate((a, b), axis=1), np.stack((a, b)),
            np.hstack([a, b]), np.vstack([a, b]), np.repeat(a, 2), np.tile(b, 2))


def cumulative_products(x):
    return np.cumsum(x, axis=0), np.cumsum(x, axis=1, dtype=np.float32), np.prod(x, axis=(0, 1)), np.cumprod(x, axis=1)


def prod_reductions(x):
    return np.prod(x, axis=0), x.prod(axis=1, keepdims=True), np.prod(x, dtype=np.float64)


def std_var_reductions(x):
    return (np.std(x, axis=0), np.var(x, axis=(0, 1)), np.std(x, keepdims=True),
            np.var(x, axis=1, dtype=np.float64), np.max(x, axis=(1, 2)), np.min(x, axis=0, keepdims=True))


def ellipsis_indexing(x):
    return x[..., 0], x[0, ...], x[..., ::-1], x[1, ..., -1]


def gather_rows_cols(x, rows, cols):
    return x[rows], x[:, cols], x[rows, cols], x[rows[:, None], cols[None, :]]


def argsort_free_rank(x):
    # rank of every element via pairwise comparison (O(n^2), no sort)
    return (x[None, :] < x[:, None]).sum(axis=1)


def partial_power(x, p=2.0, scale=1.0):
    return scale * np.power(np.abs(x), p)


_cube = functools.partial(partial_power, p=3.0)


def partial_calls(x):
    return _cube(x), _cube(x, scale=0.5) + partial_power(x)


def make_counter_closure(offset):
    table = np.arange(6.0) + offset

    def lookup(i):
        return table[i] * 2.0 + offset

    return lookup


_lookup = make_counter_closure(0.5)


def closure_global_lookup(idx):
    return _lookup(idx), _lookup(idx[0])


def lambda_inline(x):
    sq = lambda a: a * a  # noqa: E731
    relu = lambda a: np.maximum(a, 0.0)  # noqa: E731
    return relu(x) + sq(x), (lambda z, k=3: z ** k)(x)


def list_comprehension_stack(x):
    return np.stack([x * (i + 1) for i in range(3)]), [v.sum() for v in (x, 2 * x)]


def rolling_window_by_stride_free(x, w=3):
    n = x.shape[0] - w + 1
    idx = np.arange(n)[:, None] + np.arange(w)[None, :]
    win = x[idx]
    return win.max(axis=1), win.min(axis=1), win.mean(axis=1)


def huber_loss(pred, target, delta=1.0):
    r = abs(pred - target)
    return np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta)).mean()


def range_normalise(x):
    lo = np.min(x, axis=1, keepdims=True)
    hi = np.max(x, axis=1, keepdims=True)
    return (x - lo) / np.maximum(hi - lo, 1e-12)


def causal_masked_scores(scores):
    t = scores.shape[-1]
    allowed = np.tril(np.ones((t, t), dtype=bool))
    return np.where(np.logical_not(allowed), -1e30, scores), np.tril(scores, -1).sum()


def patchify(img, p=2):
    h, w = img.shape
    patches = np.reshape(img, (h // p, p, w // p, p))
    return np.reshape(np.transpose(patches, (0, 2, 1, 3)), (-1, p * p))


def reverse_cumsum(x):
    return np.flip(np.cumsum(np.flip(x, axis=0), axis=0), axis=0)


def discounted_returns(rewards, gamma=0.99):
    n = rewards.shape[0]
    G = np.empty(n)
    G[-1] = rewards[-1]
    for t in range(n - 2, -1, -1):
        G[t] = rewards[t] + gamma * G[t + 1]
    return G


def pad_to_multiple(x, m=4):
    n = max(len(x), m)
    target = ((n + m - 1) // m) * m
    out = np.zeros(target, dtype=x.dtype)
    out[:len(x)] = x
    return out, target, x.size


def quantize_int8(x, scale=0.05):
    q = np.clip((x / scale).astype(np.int32), np.int32(-127), np.int32(127))
    return q.astype(np.int8), q * np.float32(scale), np.int64(q.sum())


def _n(rng, *shape):
    return rng.standard_normal(shape)


CASES = [
    Case("horner", horner, lambda rng: (_n(rng, 20),)),
    Case("horner_iter_next", horner_iter_next, lambda rng: (_n(rng, 20),)),
    Case("poly_derivative_eval", poly_derivative_eval, lambda rng: (_n(rng, 20),)),
    Case("poly_lambda", poly_lambda, lambda rng: (_n(rng, 20),)),
    Case("polynomial_method", polynomial_method, lambda rng: (_n(rng, 15),)),
    Case("integer_arithmetic", integer_arithmetic,
         lambda rng: (rng.integers(-50, 50, 12), rng.integers(1, 9, 12))),
    Case("bit_tricks", bit_tricks, lambda rng: (rng.integers(1, 1 << 20, 10),)),
    Case("hash_mix", hash_mix, lambda rng: (rng.integers(0, 1 << 20, 16),)),
    Case("collatz_steps", collatz_steps, lambda rng: (rng.integers(1, 100, 10),)),
    Case("game_of_life_step", game_of_life_step, lambda rng: ((rng.random((8, 9)) < 0.4).astype(np.int64),)),
    Case("scalar_constructors", scalar_constructors, lambda rng: (_n(rng, 5),)),
    Case("dtype_conversions", dtype_conversions, lambda rng: (_n(rng, 7),)),
    Case("complex_rotation", complex_rotation,
         lambda rng: (_n(rng, 6) + 1j * _n(rng, 6), rng.uniform(-np.pi, np.pi, 6))),
    Case("element_reads_writes", element_reads_writes, lambda rng: (_n(rng, 4, 4),)),
    Case("element_write_inplace", element_write_inplace, lambda rng: (_n(rng, 3, 4),), mutates=True),
    Case("negative_slice_writes", negative_slice_writes, lambda rng: (_n(rng, 10),), mutates=True),
    Case("negative_slice_views", negative_slice_views, lambda rng: (_n(rng, 6, 5),)),
    Case("views_out", views_out, lambda rng: (_n(rng, 3, 4),)),
    Case("passthrough", passthrough, lambda rng: (_n(rng, 3), _n(rng, 3)), mutates=True),
    Case("boolean_mask_writes", boolean_mask_writes,
         lambda rng: (2 * _n(rng, 5, 5), rng.random((5, 5)) < 0.3), mutates=True),
    Case("integer_array_writes", integer_array_writes,
         lambda rng: (_n(rng, 10), rng.permutation(10)[:4], _n(rng, 4)), mutates=True),
    Case("one_hot", one_hot, lambda rng: (rng.integers(0, 5, 9),)),
    Case("safe_divide_where", safe_divide_where,
         lambda rng: (_n(rng, 12), np.where(rng.random(12) < 0.3, 0.0, rng.uniform(0.5, 2.0, 12)))),
    Case("ufunc_out_dtype", ufunc_out_dtype, lambda rng: (_n(rng, 8), _n(rng, 8))),
    Case("creation_routines", creation_routines, lambda rng: ()),
    Case("like_routines", like_routines, lambda rng: (_n(rng, 2, 3),)),
    Case("shape_introspection", shape_introspection, lambda rng: (_n(rng, 3, 5),)),
    Case("branch_on_shape_1d", branch_on_shape, lambda rng: (_n(rng, 6),)),
    Case("branch_on_shape_2d", branch_on_shape, lambda rng: (_n(rng, 3, 3),)),
    Case("branch_on_dtype_f32", branch_on_dtype, lambda rng: (_n(rng, 4).astype(np.float32),)),
    Case("branch_on_dtype_f64", branch_on_dtype, lambda rng: (_n(rng, 4),)),
    Case("optional_args_defaults", optional_args, lambda rng: (_n(rng, 3, 4),)),
    Case("optional_args_given", optional_args, lambda rng: (_n(rng, 3, 4), _n(rng, 4), 2, 0.5)),
    Case("keyword_calls", keyword_calls, lambda rng: (_n(rng, 3, 4), _n(rng, 4, 2))),
    Case("dict_in_dict_out", dict_in_dict_out,
         lambda rng: ({"w1": _n(rng, 4, 6), "b1": _n(rng, 6), "w2": _n(rng, 6, 2)}, _n(rng, 5, 4))),
    Case("weighted_list_sum", weighted_list_sum,
         lambda rng: ([_n(rng, 4), _n(rng, 4), _n(rng, 4)], (0.2, 0.3, 0.5))),
    Case("builtins_mix", builtins_mix, lambda rng: (_n(rng, 5), _n(rng, 7))),
    Case("trig_table", trig_table, lambda rng: ()),
    Case("clip_and_scale", clip_and_scale, lambda rng: (2 * _n(rng, 10),)),
    Case("reshape_roundtrip", reshape_roundtrip, lambda rng: (_n(rng, 3, 2, 4),)),
    Case("outer_tables", outer_tables, lambda rng: (_n(rng, 4), _n(rng, 3))),
    Case("concat_family", concat_family, lambda rng: (_n(rng, 2, 3), _n(rng, 2, 3))),
    Case("cumulative_products", cumulative_products, lambda rng: (rng.uniform(0.5, 1.5, (4, 5)),)),
    Case("prod_reductions", prod_reductions, lambda rng: (rng.uniform(0.5, 1.5, (4, 5)).astype(np.float32),)),
    Case("std_var_reductions", std_var_reductions, lambda rng: (_n(rng, 3, 4, 5).astype(np.float32),)),
    Case("ellipsis_indexing", ellipsis_indexing, lambda rng: (_n(rng, 2, 3, 4),)),
    Case("gather_rows_cols", gather_rows_cols,
         lambda rng: (_n(rng, 6, 5), rng.integers(0, 6, 4), rng.integers(0, 5, 4))),
    Case("argsort_free_rank", argsort_free_rank, lambda rng: (rng.permutation(12).astype(np.float64),)),
    Case("partial_calls", partial_calls, lambda rng: (_n(rng, 6),)),
    Case("closure_global_lookup", closure_global_lookup, lambda rng: (rng.integers(0, 6, 4),)),
    Case("lambda_inline", lambda_inline, lambda rng: (_n(rng, 6),)),
    Case("list_comprehension_stack", list_comprehension_stack, lambda rng: (_n(rng, 4),)),
    Case("rolling_window_by_stride_free", rolling_window_by_stride_free, lambda rng: (_n(rng, 10),)),
    Case("huber_loss", huber_loss, lambda rng: (2 * _n(rng, 20), _n(rng, 20))),
    Case("range_normalise", range_normalise, lambda rng: (_n(rng, 4, 6),)),
    Case("causal_masked_scores", causal_masked_scores, lambda rng: (_n(rng, 2, 5, 5),)),
    Case("patchify", patchify, lambda rng: (_n(rng, 6, 4),)),
    Case("reverse_cumsum", reverse_cumsum, lambda rng: (_n(rng, 8, 2),)),
    Case("discounted_returns", discounted_returns, lambda rng: (rng.random(12),)),
    Case("pad_to_multiple", pad_to_multiple, lambda rng: (_n(rng, 9),)),
    Case("quantize_int8", quantize_int8, lambda rng: (_n(rng, 10),)),
]
