"""Descriptive statistics, moments, binning and cumulative statistics."""
import numpy as np

from .case import Case


def zscore(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def zscore_ddof(x):
    mu = np.mean(x, axis=0, keepdims=True)
    sd = np.std(x, axis=0, ddof=1, keepdims=True)
    return (x - mu) / sd


def running_mean(x, w=5):
    c = np.cumsum(x)
    c[w:] = c[w:] - c[:-w]
    return c[w - 1:] / w


def moving_sum3(x):
    return x[2:] + x[1:-1] + x[:-2]


def covariance(x):
    xc = x - x.mean(axis=0, keepdims=True)
    return xc.T @ xc / (x.shape[0] - 1)


def correlation(x):
    n = x.shape[0]
    xc = x - np.mean(x, axis=0)
    cov = np.dot(xc.T, xc) / (n - 1)
    sd = np.sqrt(np.sum(xc * xc, axis=0) / (n - 1))
    return cov / np.outer(sd, sd)


def weighted_stats(x, w):
    wsum = w.sum()
    mean = (w * x).sum() / wsum
    var = (w * (x - mean) ** 2).sum() / wsum
    return {"mean": mean, "var": var, "std": np.sqrt(var)}


def histogram_by_comparison(x, lo=-3.0, hi=3.0, nbins=12):
    edges = np.linspace(lo, hi, nbins + 1)
    inside = (x[:, np.newaxis] >= edges[np.newaxis, :-1]) & (x[:, np.newaxis] < edges[np.newaxis, 1:])
    return inside.sum(axis=0), edges


def digitize_by_comparison(x, edges):
    # index of the bin each sample falls into (number of edges <= x)
    return np.sum(x[:, None] >= edges[None, :], axis=1) - 1


def min_max_scale(x):
    lo = x.min(axis=0)
    hi = x.max(axis=0)
    return (x - lo) / (hi - lo)


def skew_kurtosis(x):
    m = np.mean(x)
    s = np.std(x)
    z = (x - m) / s
    return np.mean(z ** 3), np.mean(z ** 4) - 3.0


def moments_axis_tuple(x):
    m = np.mean(x, axis=(1, 2))
    v = np.var(x, axis=(0, 2), keepdims=True)
    s = np.sum(x, axis=(0, 1))
    return m, v, s


def log_sum_exp(x):
    m = np.max(x, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True)))[..., 0]


def gaussian_log_likelihood(x, mu, sigma):
    n = len(x)
    r = (x - mu) / sigma
    return -0.5 * np.sum(r ** 2) - n * np.log(sigma) - 0.5 * n * np.log(2 * np.pi)


def bootstrap_means(x, idx):
    return x[idx].mean(axis=1)


def cumulative_mean_var(x):
    n = np.arange(1, len(x) + 1)
    cm = np.cumsum(x) / n
    cm2 = np.cumsum(x ** 2) / n
    return cm, cm2 - cm ** 2


def standard_error(x):
    return np.std(x, axis=0, ddof=1) / np.sqrt(x.shape[0])


def masked_mean(x, mask):
    total = np.where(mask, x, 0.0).sum()
    count = np.maximum(mask.sum(), 1)
    return total / count


def count_outliers(x, k=2.0):
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.sum(np.abs(z) > k, axis=0, dtype=np.int32)


def row_col_argextrema(x):
    return np.argmax(x, axis=1), np.argmin(x, axis=0), np.argmax(x)


def mean_of_positive(x):
    # boolean-mask read (data-dependent length) immediately reduced
    return x[x > 0].mean(), x[x < 0].sum()


def geometric_mean_rows(x):
    return np.prod(x, axis=1) ** (1.0 / x.shape[1])


def summary_list(x):
    return [x.min(), x.max(), x.mean(), np.median(x)]


def float32_accumulate(x):
    # accumulate a float32 array in float64, return both precisions
    s64 = np.sum(x, axis=0, dtype=np.float64)
    m32 = np.mean(x, axis=1, dtype=np.float32)
    return s64, m32, np.float32(s64.sum())


def ewma(x, alpha=0.3):
    out = np.empty_like(x)
    out[0] = x[0]
    for i in range(1, len(x)):
        out[i] = alpha * x[i] + (1.0 - alpha) * out[i - 1]
    return out


def pearson_rows(a, b):
    ac = a - a.mean(axis=1, keepdims=True)
    bc = b - b.mean(axis=1, keepdims=True)
    num = (ac * bc).sum(axis=1)
    den = np.sqrt((ac ** 2).sum(axis=1) * (bc ** 2).sum(axis=1))
    return num / den


def sigma_clipped_mean(x, k=2.0):
    inliers = x[np.abs(x - x.mean()) < k * x.std()]
    return inliers.mean(), np.float64(inliers.sum())


def _n(rng, *shape):
    return rng.standard_normal(shape)


CASES = [
    Case("zscore", zscore, lambda rng: (_n(rng, 32, 5),)),
    Case("zscore_ddof", zscore_ddof, lambda rng: (_n(rng, 20, 4),)),
    Case("running_mean", running_mean, lambda rng: (_n(rng, 40),)),
    Case("moving_sum3", moving_sum3, lambda rng: (_n(rng, 25),)),
    Case("covariance", covariance, lambda rng: (_n(rng, 30, 6),)),
    Case("correlation", correlation, lambda rng: (_n(rng, 30, 6),)),
    Case("weighted_stats", weighted_stats, lambda rng: (_n(rng, 50), rng.uniform(0.1, 1.0, 50))),
    Case("histogram_by_comparison", histogram_by_comparison, lambda rng: (_n(rng, 200),)),
    Case("digitize_by_comparison", digitize_by_comparison,
         lambda rng: (rng.uniform(0.0, 10.0, 64), np.linspace(0.0, 10.0, 6))),
    Case("min_max_scale", min_max_scale, lambda rng: (_n(rng, 16, 3),)),
    Case("skew_kurtosis", skew_kurtosis, lambda rng: (rng.gamma(2.0, 1.0, 100),)),
    Case("moments_axis_tuple", moments_axis_tuple, lambda rng: (_n(rng, 4, 5, 6),)),
    Case("log_sum_exp", log_sum_exp, lambda rng: (10 * _n(rng, 8, 12),)),
    Case("gaussian_log_likelihood", gaussian_log_likelihood, lambda rng: (_n(rng, 64), 0.1, 1.3)),
    Case("bootstrap_means", bootstrap_means, lambda rng: (_n(rng, 30), rng.integers(0, 30, (10, 30)))),
    Case("cumulative_mean_var", cumulative_mean_var, lambda rng: (_n(rng, 40),)),
    Case("standard_error", standard_error, lambda rng: (_n(rng, 12, 3),)),
    Case("masked_mean", masked_mean, lambda rng: (_n(rng, 8, 8), rng.random((8, 8)) < 0.5)),
    Case("count_outliers", count_outliers, lambda rng: (_n(rng, 100, 4),)),
    Case("row_col_argextrema", row_col_argextrema, lambda rng: (_n(rng, 9, 7),)),
    Case("mean_of_positive", mean_of_positive, lambda rng: (_n(rng, 64),)),
    Case("geometric_mean_rows", geometric_mean_rows, lambda rng: (rng.uniform(0.5, 1.5, (6, 10)),)),
    Case("summary_list", summary_list, lambda rng: (_n(rng, 21),)),
    Case("float32_accumulate", float32_accumulate, lambda rng: (_n(rng, 10, 7).astype(np.float32),)),
    Case("ewma", ewma, lambda rng: (_n(rng, 16),)),
    Case("pearson_rows", pearson_rows, lambda rng: (_n(rng, 5, 20), _n(rng, 5, 20))),
    Case("sigma_clipped_mean", sigma_clipped_mean, lambda rng: (_n(rng, 50),)),
]
