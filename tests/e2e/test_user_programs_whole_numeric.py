"""Whole user programs, numerical: k-means, PCA whitening, an adaptive RK45-like ODE
solver, Monte Carlo with running statistics, image filters, signal processing, gradient
descent with a backtracking line search, mini-batch logistic regression. Each is a
30-150 line script the way scientists write one (several functions, progress printing,
logging, data-dependent loops and exits, state carried across calls); the entry function
runs compiled against plain Python on several sizes, dtypes and seeds
(tests/e2e/user_programs.py), so breaks sit inside loops inside helpers, and shapes change
between calls (recompiles)."""
import math

import numpy as np
import pytest

from user_programs import LOG, logger, same_as_python


# ---------------------------------------------------------------- k-means

def _init_centers(x, k, rng):
    idx = rng.choice(x.shape[0], size=k, replace=False)
    return x[idx].copy()


def _assign(x, centers):
    d = ((x[:, None, :] - centers[None, :, :]) ** 2).sum(axis=-1)
    return d.argmin(axis=1), d.min(axis=1)


def _update(x, labels, centers, rng):
    new = np.empty_like(centers)
    empty = 0
    for j in range(centers.shape[0]):
        members = x[labels == j]
        if members.shape[0] == 0:               # empty cluster: reseed at a random point
            new[j] = x[rng.integers(x.shape[0])]
            empty += 1
        else:
            new[j] = members.mean(axis=0)
    return new, empty


def kmeans(x, k, seed, tol=1e-6, max_iter=20):
    rng = np.random.default_rng(seed)
    centers = _init_centers(x, k, rng)
    history = []
    for it in range(max_iter):
        labels, dist = _assign(x, centers)
        inertia = float(dist.sum())
        history.append(inertia)
        new, empty = _update(x, labels, centers, rng)
        shift = float(np.sqrt(((new - centers) ** 2).sum(axis=1)).max())
        centers = new
        if empty:
            logger.warning("iteration %d: %d empty clusters reseeded", it, empty)
        print(f"it={it:2d} inertia={inertia:.6f} shift={shift:.3e}")
        if shift < tol:
            break
    return centers, labels, history


def _blobs(seed, n, d, dtype=np.float64):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((3, d)) * 4
    pts = base[rng.integers(3, size=n)] + rng.standard_normal((n, d))
    return pts.astype(dtype)


def test_kmeans_with_convergence_and_empty_clusters():
    dup = np.repeat(_blobs(2, 3, 2), 4, axis=0)      # 3 distinct points, k=5: empties
    same_as_python(kmeans, [(_blobs(0, 30, 2), 3, 0), (_blobs(1, 40, 3), 3, 1),
                            (dup, 5, 4), (_blobs(3, 25, 2, np.float32), 2, 3)],
                   tol=1e-9, quiet=False)   # f"it={it:2d}" specializes `it` (strict xfail
    # test_fstring_of_a_loop_counter_across_a_break_does_not_recompile)


# ---------------------------------------------------------------- PCA whitening

class PCA:
    def __init__(self, n_components=None, whiten=True, eps=1e-8):
        self.n_components = n_components
        self.whiten = whiten
        self.eps = eps
        self.mean_ = None

    def fit(self, x):
        self.mean_ = x.mean(axis=0)
        xc = x - self.mean_
        u, s, vt = np.linalg.svd(xc, full_matrices=False)
        k = self.n_components or vt.shape[0]
        self.components_ = vt[:k]
        self.explained_variance_ = (s[:k] ** 2) / (x.shape[0] - 1)
        ratio = self.explained_variance_ / ((s ** 2).sum() / (x.shape[0] - 1))
        self.explained_ratio_ = ratio
        return self

    def transform(self, x):
        if self.mean_ is None:
            raise RuntimeError("PCA is not fitted")
        z = (x - self.mean_) @ self.components_.T
        if self.whiten:
            z = z / np.sqrt(self.explained_variance_ + self.eps)
        return z

    def __repr__(self):
        return f"PCA(n_components={self.n_components}, whiten={self.whiten})"


def pca_report(x, n_components=None, whiten=True):
    model = PCA(n_components, whiten).fit(x)
    z = model.transform(x)
    cov = np.cov(z, rowvar=False)
    kept = float(model.explained_ratio_.sum())
    print(repr(model), f"kept {kept:.4f}")
    if kept < 0.9:
        logger.info("only %.2f of the variance kept", kept)
    return z, np.atleast_2d(cov), model


def pca_unfitted(x):
    return PCA().transform(x)


def test_pca_whitening_class_with_svd():
    x = _blobs(5, 20, 4)
    same_as_python(pca_report, [(x,), (x, 2), (_blobs(6, 15, 3), 1, False)], tol=1e-9)
    same_as_python(pca_unfitted, [(x,)])


# ---------------------------------------------------------------- adaptive ODE solver

# Bogacki-Shampine 3(2): an embedded pair, the step-rejection loop of RK45 in miniature.
def _bs23_step(f, t, y, h):
    k1 = f(t, y)
    k2 = f(t + h / 2, y + h / 2 * k1)
    k3 = f(t + 3 * h / 4, y + 3 * h / 4 * k2)
    y3 = y + h * (2 * k1 + 3 * k2 + 4 * k3) / 9
    k4 = f(t + h, y3)
    y2 = y + h * (7 * k1 / 24 + k2 / 4 + k3 / 3 + k4 / 8)
    return y3, float(np.max(np.abs(y3 - y2)))


def solve_ode(f, y0, t_end, rtol=1e-5, h=0.1, max_steps=400):
    t, y = 0.0, np.asarray(y0, dtype=float)
    stats = {"accepted": 0, "rejected": 0}
    ts, ys = [t], [y.copy()]
    while t < t_end:
        if stats["accepted"] + stats["rejected"] >= max_steps:
            raise RuntimeError(f"too many steps at t={t:.4f}")
        h = min(h, t_end - t)
        y_new, err = _bs23_step(f, t, y, h)
        scale = rtol * (1.0 + float(np.max(np.abs(y))))
        if err <= scale:
            t += h
            y = y_new
            ts.append(t)
            ys.append(y.copy())
            stats["accepted"] += 1
        else:
            stats["rejected"] += 1
        factor = 0.9 * (scale / err) ** (1 / 3) if err > 0 else 2.0
        h *= min(2.0, max(0.2, factor))
    return np.array(ts), np.stack(ys), stats


def lotka_volterra(t, y):
    return np.array([y[0] * (1.0 - 0.5 * y[1]), y[1] * (-0.75 + 0.25 * y[0])])


def stiffish(t, y):
    return -15.0 * (y - np.cos(t))


def test_adaptive_ode_solver_with_step_rejection():
    same_as_python(solve_ode, [(lotka_volterra, [2.0, 1.0], 2.0),
                               (stiffish, np.array([1.0, 0.0, -1.0]), 1.0),
                               (stiffish, np.zeros(2), 0.5, 1e-7, 0.5),
                               (lotka_volterra, [2.0, 1.0], 50.0, 1e-9, 0.1, 20)],
                   tol=1e-9, quiet=False)   # np.cos(t) specializes t (strict xfail
    # test_ufunc_of_a_dynamic_float_across_a_break_does_not_recompile)


# ---------------------------------------------------------------- Monte Carlo

class RunningStats:
    """Welford's algorithm over batches."""

    def __init__(self):
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def push(self, batch):
        for v in batch:
            self.n += 1
            delta = v - self.mean
            self.mean += delta / self.n
            self.m2 += delta * (v - self.mean)

    @property
    def std(self):
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else float("nan")


def estimate_pi(seed, batches, batch_size):
    rng = np.random.default_rng(seed)
    stats = RunningStats()
    for b in range(batches):
        pts = rng.random((batch_size, 2))
        inside = (pts ** 2).sum(axis=1) <= 1.0
        stats.push((4.0 * inside).tolist())
        if b % 2 == 1:
            print(f"batch {b}: pi ~ {stats.mean:.5f} +- {stats.std / math.sqrt(stats.n):.5f}")
    return stats.mean, stats.std, stats.n


def test_monte_carlo_pi_with_running_statistics():
    same_as_python(estimate_pi, [(0, 3, 16), (1, 4, 8), (2, 1, 5)])


# ---------------------------------------------------------------- image filters

def pad_edge(img, r):
    h, w = img.shape
    out = np.empty((h + 2 * r, w + 2 * r), dtype=img.dtype)
    out[r:r + h, r:r + w] = img
    out[:r, r:r + w] = img[0]
    out[r + h:, r:r + w] = img[-1]
    out[:, :r] = out[:, r:r + 1]
    out[:, r + w:] = out[:, r + w - 1:r + w]
    return out


def convolve(img, kernel):
    r = kernel.shape[0] // 2
    p = pad_edge(img, r)
    h, w = img.shape
    acc = np.zeros((h, w), dtype=np.result_type(img, kernel))
    for dy in range(kernel.shape[0]):
        for dx in range(kernel.shape[1]):
            acc += kernel[dy, dx] * p[dy:dy + h, dx:dx + w]
    return acc


def median_filter(img, r=1):
    p = pad_edge(img, r)
    h, w = img.shape
    stack = [p[dy:dy + h, dx:dx + w] for dy in range(2 * r + 1) for dx in range(2 * r + 1)]
    s = np.sort(np.stack(stack), axis=0)
    return s[len(stack) // 2]


def denoise(img, passes=2):
    box = np.full((3, 3), 1 / 9)
    sobel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    out = img
    for i in range(passes):
        out = median_filter(out)
        out = convolve(out, box)
    gx = convolve(out, sobel)
    gy = convolve(out, sobel.T)
    edges = np.hypot(gx, gy)
    strong = edges > edges.mean() + edges.std()
    return out, edges, int(strong.sum())


def test_image_filters_by_slicing_and_sort():
    rng = np.random.default_rng(11)
    img = rng.random((8, 10))
    same_as_python(denoise, [(img,), (img[:5, :7], 1), (img.astype(np.float32),)],
                   tol=1e-5)                # int(strong.sum()): a break, no fullgraph


# ---------------------------------------------------------------- signal processing

def moving_average(x, w):
    c = np.cumsum(np.concatenate([[0.0], x]))
    return (c[w:] - c[:-w]) / w


def ema(x, alpha):
    out = np.empty_like(x)
    acc = x[0]
    for i in range(x.shape[0]):
        acc = alpha * x[i] + (1 - alpha) * acc
        out[i] = acc
    return out


def find_peaks(x, min_height, min_distance):
    mid = (x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:]) & (x[1:-1] > min_height)
    cand = np.nonzero(mid)[0] + 1
    kept = []
    for i in cand[np.argsort(-x[cand], kind="stable")]:
        if all(abs(int(i) - k) >= min_distance for k in kept):
            kept.append(int(i))
    return sorted(kept)


def analyse_signal(sig, w=3, alpha=0.3, min_distance=2):
    smooth = moving_average(sig, w)
    trend = ema(smooth, alpha)
    resid = smooth - trend
    peaks = find_peaks(smooth, float(np.median(smooth)), min_distance)
    report = {"n_peaks": len(peaks), "peaks": peaks,
              "rms": float(np.sqrt(np.mean(resid ** 2)))}
    for p in peaks[:3]:
        print(f"peak at {p}: {smooth[p]:.4f}")
    if not peaks:
        logger.warning("no peaks above the median")
    return smooth, trend, report


def test_signal_processing_with_peak_detection():
    t = np.linspace(0, 4 * np.pi, 40)
    sig = np.sin(t) + 0.3 * np.sin(5 * t)
    same_as_python(analyse_signal, [(sig,), (sig[:25], 5, 0.5, 4), (np.ones(12),),
                                    (sig * 10, 2)], tol=1e-9)


# ---------------------------------------------------------------- gradient descent

def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def rosenbrock_grad(p):
    x, y = p[0], p[1]
    return np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)])


def backtracking(f, x, g, t=1.0, beta=0.5, c=1e-4):
    fx = f(x)
    while f(x - t * g) > fx - c * t * float(g @ g):
        t *= beta
        if t < 1e-12:
            break
    return t


def gradient_descent(f, grad, x0, steps, tol=1e-8):
    x = np.array(x0, dtype=float)
    history = {"f": [], "t": [], "gnorm": []}
    for k in range(steps):
        g = grad(x)
        gnorm = float(np.linalg.norm(g))
        history["gnorm"].append(gnorm)
        if gnorm < tol:
            logger.info("converged after %d steps", k)
            break
        t = backtracking(f, x, g)
        x = x - t * g
        history["f"].append(float(f(x)))
        history["t"].append(t)
    else:
        logger.warning("no convergence in %d steps", steps)
    return x, history


def quad(p):
    return float(p @ p) / 2


def quad_grad(p):
    return p


def test_gradient_descent_with_backtracking_and_history():
    same_as_python(gradient_descent, [(rosenbrock, rosenbrock_grad, [-1.0, 1.0], 6),
                                      (quad, quad_grad, [3.0, -4.0, 1.0], 5),
                                      (quad, quad_grad, np.zeros(2), 3)], tol=1e-9)


# ---------------------------------------------------------------- logistic regression

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class LogisticRegression:
    def __init__(self, lr=0.5, epochs=3, batch_size=8, l2=0.0, seed=0):
        self.lr, self.epochs, self.batch_size, self.l2 = lr, epochs, batch_size, l2
        self.rng = np.random.default_rng(seed)
        self.losses = []

    def _loss(self, x, y):
        p = np.clip(sigmoid(x @ self.w + self.b), 1e-12, 1 - 1e-12)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def fit(self, x, y):
        n, d = x.shape
        self.w = np.zeros(d)
        self.b = 0.0
        for epoch in range(self.epochs):
            order = self.rng.permutation(n)
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                xb, yb = x[idx], y[idx]
                err = sigmoid(xb @ self.w + self.b) - yb
                self.w -= self.lr * (xb.T @ err / len(idx) + self.l2 * self.w)
                self.b -= self.lr * float(err.mean())
            self.losses.append(self._loss(x, y))
            print(f"epoch {epoch}: loss {self.losses[-1]:.5f}")
        return self

    def predict(self, x):
        return (sigmoid(x @ self.w + self.b) >= 0.5).astype(int)


def train_logreg(x, y, **kw):
    model = LogisticRegression(**kw).fit(x, y)
    acc = float((model.predict(x) == y).mean())
    if acc < 0.6:
        logger.warning("accuracy %.3f", acc)
    return model.w, model.b, model.losses, acc


def test_logistic_regression_mini_batches():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((30, 3))
    y = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype(float)
    same_as_python(train_logreg, [(x, y), (x[:13], y[:13], ), (x, 1 - y)], tol=1e-9)
    same_as_python(lambda x, y: train_logreg(x, y, epochs=2, batch_size=5, l2=0.01),
                   [(x[:17], y[:17])], tol=1e-9)
