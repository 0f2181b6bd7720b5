"""Machine-learning kernels: activations, normalisation, losses, optimisers, attention."""
import functools

import numpy as np

from .case import Case


# ---------------------------------------------------------------- activations
def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_last(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    s = x - m
    return s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def gelu_sigmoid(x):
    return x / (1.0 + np.exp(-1.702 * x))


def silu(x):
    return x / (1.0 + np.exp(-x))


def mish(x):
    return x * np.tanh(np.log(1.0 + np.exp(x)))


def leaky_relu(x, slope=0.01):
    return np.where(x > 0, x, slope * x)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0.0)) - 1.0))


def relu_family(x):
    return np.maximum(x, 0), np.clip(x, 0.0, 6.0), np.minimum(np.maximum(x, -1.0), 1.0)


def hard_sigmoid_swish(x):
    hs = np.clip(x / 6.0 + 0.5, 0.0, 1.0)
    return hs, x * hs


# ---------------------------------------------------------------- normalisation
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def batch_norm_train(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    n = x.shape[0]
    running_mean[:] = (1 - momentum) * running_mean + momentum * mean
    running_var[:] = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def rms_norm(x, weight, eps=1e-6):
    ms = np.mean(x * x, axis=-1, keepdims=True)
    return x / np.sqrt(ms + eps) * weight


def group_norm(x, groups=4, eps=1e-5):
    n, c, h, w = x.shape
    g = x.reshape(n, groups, c // groups, h, w)
    mu = g.mean(axis=(2, 3, 4), keepdims=True)
    var = g.var(axis=(2, 3, 4), keepdims=True)
    return ((g - mu) / np.sqrt(var + eps)).reshape(n, c, h, w)


# ---------------------------------------------------------------- attention
def attention(q, k, v):
    d = q.shape[-1]
    scores = q @ k.T / np.sqrt(d)
    return _softmax_last(scores) @ v


def causal_attention_batched(q, k, v):
    t, d = q.shape[1], q.shape[2]
    scores = np.matmul(q, np.transpose(k, (0, 2, 1))) / np.sqrt(d)
    mask = np.triu(np.ones((t, t), dtype=bool), k=1)
    scores = np.where(mask[np.newaxis], -1e9, scores)
    return np.matmul(_softmax_last(scores), v)


def multi_head_attention(x, wq, wk, wv, wo, heads=2):
    t, dm = x.shape
    dh = dm // heads
    q = (x @ wq).reshape(t, heads, dh).transpose(1, 0, 2)
    k = (x @ wk).reshape(t, heads, dh).transpose(1, 0, 2)
    v = (x @ wv).reshape(t, heads, dh).transpose(1, 0, 2)
    a = _softmax_last(q @ k.transpose(0, 2, 1) / np.sqrt(dh)) @ v
    return a.transpose(1, 0, 2).reshape(t, dm) @ wo


# ---------------------------------------------------------------- models / losses
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logistic_regression_step(w, X, y, lr=0.1):
    p = sigmoid(X @ w)
    grad = X.T @ (p - y) / len(y)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    w -= lr * grad
    return loss


def linear_regression_normal_eq(X, y):
    Xb = np.hstack([np.ones((X.shape[0], 1)), X])
    XtX = Xb.T @ Xb
    Xty = Xb.T @ y
    beta = np.linalg.solve(XtX, Xty)
    resid = y - Xb @ beta
    return beta, (resid ** 2).mean()


def linear_regression_gd(X, y, steps=10, lr=0.05):
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        w = w - lr * (2.0 / len(y)) * (X.T @ (X @ w - y))
    return w


def cross_entropy_onehot(logits, labels):
    n, k = logits.shape
    onehot = (labels[:, None] == np.arange(k)[None, :]).astype(logits.dtype)
    logp = log_softmax(logits)
    return -(onehot * logp).sum() / n, onehot


def cross_entropy_gather(logits, labels):
    p = softmax(logits)
    n = logits.shape[0]
    picked = p[np.arange(n), labels]
    grad = p.copy()
    grad[np.arange(n), labels] -= 1.0
    return -np.log(picked).mean(), grad / n


def label_smoothing_loss(logits, labels, eps=0.1):
    k = logits.shape[1]
    target = np.full(logits.shape, eps / (k - 1))
    target[np.arange(len(labels)), labels] = 1.0 - eps
    return -np.sum(target * log_softmax(logits), axis=1).mean()


def kmeans_assign(x, c):
    d = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=-1)
    labels = np.argmin(d, axis=1)
    return labels, d.min(axis=1)


def kmeans_update(x, labels, k=4):
    onehot = (labels[:, None] == np.arange(k)[None, :]).astype(x.dtype)
    counts = onehot.sum(axis=0)
    return onehot.T @ x / np.maximum(counts, 1.0)[:, None], counts


def pairwise_sqdist_broadcast(x, y):
    diff = x[:, np.newaxis, :] - y[np.newaxis, :, :]
    return np.sum(diff * diff, axis=-1)


def pairwise_dist_dot(x, y):
    xx = (x * x).sum(axis=1)
    yy = (y * y).sum(axis=1)
    d2 = xx[:, None] + yy[None, :] - 2.0 * np.dot(x, y.T)
    return np.sqrt(np.maximum(d2, 0.0))


def cosine_similarity(a, b):
    an = a / np.sqrt((a * a).sum(axis=1, keepdims=True))
    bn = b / np.sqrt((b * b).sum(axis=1, keepdims=True))
    return an @ bn.T


def rbf_features(x, centers, gamma=0.5):
    return np.exp(-gamma * pairwise_sqdist_broadcast(x, centers))


def rbf_kernel_matrix(x, lengthscale=1.5):
    d2 = pairwise_sqdist_broadcast(x, x)
    return np.exp(-0.5 * d2 / lengthscale ** 2) + 1e-6 * np.eye(x.shape[0])


def knn_vote(x, train, train_labels):
    d = pairwise_sqdist_broadcast(x, train)
    nearest = np.argmin(d, axis=1)
    return train_labels[nearest]


def dropout_apply(x, keep_mask, p=0.25):
    return x * keep_mask / (1.0 - p)


def embedding_bag(table, tokens):
    return table[tokens].mean(axis=1)


# ---------------------------------------------------------------- optimisers
def sgd_momentum_step(p, g, v, lr=0.01, mu=0.9):
    v[:] = mu * v - lr * g
    p += v


def adam_step(p, g, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g * g
    mhat = m / (1 - b1 ** t)
    vhat = v / (1 - b2 ** t)
    p -= lr * mhat / (np.sqrt(vhat) + eps)
    return p


def clip_grad_norm(g, max_norm=1.0):
    norm = np.sqrt((g * g).sum())
    scale = np.minimum(1.0, max_norm / (norm + 1e-6))
    g *= scale
    return norm


def sgd_weight_decay(params, grads, lr=0.05, wd=1e-2):
    # params / grads: lists of arrays, updated in place
    for p, g in zip(params, grads):
        p -= lr * (g + wd * p)
    return len(params)


class Adagrad:
    """A plain optimiser class holding its state; ``step`` mutates in place."""

    def __init__(self, shape, lr=0.1, eps=1e-8):
        self.lr = lr
        self.eps = eps
        self.acc = np.zeros(shape)

    def step(self, p, g):
        self.acc += g * g
        p -= self.lr * g / (np.sqrt(self.acc) + self.eps)


def adagrad_two_steps(opt, p, g1, g2):
    opt.step(p, g1)
    opt.step(p, g2)
    return p.sum()


class MLP:
    """Plain class holding parameters; called as a method from the compiled function."""

    def __init__(self, rng, sizes=(6, 16, 3)):
        self.w1 = rng.standard_normal((sizes[0], sizes[1])) / np.sqrt(sizes[0])
        self.b1 = np.zeros(sizes[1])
        self.w2 = rng.standard_normal((sizes[1], sizes[2])) / np.sqrt(sizes[1])
        self.b2 = 0.1 * np.ones(sizes[2])

    def hidden(self, x):
        return np.maximum(x @ self.w1 + self.b1, 0.0)

    def __call__(self, x):
        return _softmax_last(self.hidden(x) @ self.w2 + self.b2)


MODEL = MLP(np.random.default_rng(1234))


def mlp_forward_global(x):
    return MODEL(x)


def mlp_forward_arg(model, x):
    h = model.hidden(x)
    return model(x), h.mean(axis=0)


_leaky02 = functools.partial(leaky_relu, slope=0.2)


def dense_partial_activation(x, w, b):
    return _leaky02(x @ w + b)


def make_standardizer(mu, sd):
    inv = 1.0 / sd

    def standardize(x):
        return (x - mu) * inv

    return standardize


standardize_closure = make_standardizer(0.25, 2.0)

_square = lambda a: a * a  # noqa: E731


def squared_error_lambda(pred, target):
    return _square(pred - target).mean(), np.abs(pred - target).max()


def _n(rng, *shape):
    return rng.standard_normal(shape)


def _adam_args(rng):
    return (_n(rng, 10), _n(rng, 10), 0.1 * _n(rng, 10), rng.uniform(0.0, 0.1, 10), 3)


CASES = [
    Case("softmax", softmax, lambda rng: (3 * _n(rng, 6, 10),)),
    Case("log_softmax", log_softmax, lambda rng: (3 * _n(rng, 6, 10),)),
    Case("gelu_tanh", gelu_tanh, lambda rng: (2 * _n(rng, 50),)),
    Case("gelu_sigmoid", gelu_sigmoid, lambda rng: (2 * _n(rng, 5, 10),)),
    Case("silu", silu, lambda rng: (2 * _n(rng, 40),)),
    Case("mish", mish, lambda rng: (2 * _n(rng, 40),)),
    Case("leaky_relu", leaky_relu, lambda rng: (_n(rng, 7, 7),)),
    Case("elu", elu, lambda rng: (_n(rng, 30),)),
    Case("relu_family", relu_family, lambda rng: (4 * _n(rng, 30),)),
    Case("hard_sigmoid_swish", hard_sigmoid_swish, lambda rng: (4 * _n(rng, 30),)),
    Case("layer_norm", layer_norm, lambda rng: (_n(rng, 4, 16), rng.uniform(0.5, 1.5, 16), _n(rng, 16))),
    Case("batch_norm_train", batch_norm_train,
         lambda rng: (_n(rng, 12, 5), np.ones(5), np.zeros(5), np.zeros(5), np.ones(5)), mutates=True),
    Case("rms_norm", rms_norm, lambda rng: (_n(rng, 3, 8), rng.uniform(0.5, 1.5, 8))),
    Case("group_norm", group_norm, lambda rng: (_n(rng, 2, 8, 3, 3),)),
    Case("attention", attention, lambda rng: (_n(rng, 5, 8), _n(rng, 7, 8), _n(rng, 7, 4))),
    Case("causal_attention_batched", causal_attention_batched,
         lambda rng: (_n(rng, 2, 6, 4), _n(rng, 2, 6, 4), _n(rng, 2, 6, 4))),
    Case("multi_head_attention", multi_head_attention,
         lambda rng: (_n(rng, 5, 8), _n(rng, 8, 8), _n(rng, 8, 8), _n(rng, 8, 8), _n(rng, 8, 8))),
    Case("logistic_regression_step", logistic_regression_step,
         lambda rng: (0.1 * _n(rng, 4), _n(rng, 20, 4), (rng.random(20) < 0.5).astype(np.float64)),
         mutates=True),
    Case("linear_regression_normal_eq", linear_regression_normal_eq,
         lambda rng: (_n(rng, 30, 3), _n(rng, 30))),
    Case("linear_regression_gd", linear_regression_gd, lambda rng: (_n(rng, 30, 3), _n(rng, 30))),
    Case("cross_entropy_onehot", cross_entropy_onehot,
         lambda rng: (_n(rng, 8, 5), rng.integers(0, 5, 8))),
    Case("cross_entropy_gather", cross_entropy_gather,
         lambda rng: (_n(rng, 8, 5), rng.permutation(8) % 5)),
    Case("label_smoothing_loss", label_smoothing_loss,
         lambda rng: (_n(rng, 8, 5), rng.integers(0, 5, 8))),
    Case("kmeans_assign", kmeans_assign, lambda rng: (_n(rng, 40, 2), _n(rng, 4, 2))),
    Case("kmeans_update", kmeans_update, lambda rng: (_n(rng, 40, 2), rng.integers(0, 4, 40))),
    Case("pairwise_sqdist_broadcast", pairwise_sqdist_broadcast, lambda rng: (_n(rng, 6, 3), _n(rng, 5, 3))),
    Case("pairwise_dist_dot", pairwise_dist_dot, lambda rng: (_n(rng, 6, 3), _n(rng, 5, 3))),
    Case("cosine_similarity", cosine_similarity, lambda rng: (_n(rng, 6, 4), _n(rng, 3, 4))),
    Case("rbf_features", rbf_features, lambda rng: (_n(rng, 10, 2), _n(rng, 4, 2))),
    Case("rbf_kernel_matrix", rbf_kernel_matrix, lambda rng: (_n(rng, 8, 2),)),
    Case("knn_vote", knn_vote, lambda rng: (_n(rng, 6, 2), _n(rng, 20, 2), rng.integers(0, 3, 20))),
    Case("dropout_apply", dropout_apply, lambda rng: (_n(rng, 4, 6), (rng.random((4, 6)) < 0.75).astype(np.float64))),
    Case("embedding_bag", embedding_bag, lambda rng: (_n(rng, 12, 4), rng.integers(0, 12, (5, 3)))),
    Case("sgd_momentum_step", sgd_momentum_step, lambda rng: (_n(rng, 10), _n(rng, 10), 0.1 * _n(rng, 10)),
         mutates=True),
    Case("adam_step", adam_step, _adam_args, mutates=True),
    Case("clip_grad_norm", clip_grad_norm, lambda rng: (_n(rng, 20),), mutates=True),
    Case("sgd_weight_decay", sgd_weight_decay,
         lambda rng: ([_n(rng, 3, 3), _n(rng, 3)], [_n(rng, 3, 3), _n(rng, 3)]), mutates=True),
    Case("adagrad_two_steps", adagrad_two_steps,
         lambda rng: (Adagrad((6,)), _n(rng, 6), _n(rng, 6), _n(rng, 6)), mutates=True),
    Case("mlp_forward_global", mlp_forward_global, lambda rng: (_n(rng, 5, 6),)),
    Case("mlp_forward_arg", mlp_forward_arg, lambda rng: (MLP(rng), _n(rng, 5, 6))),
    Case("dense_partial_activation", dense_partial_activation,
         lambda rng: (_n(rng, 4, 3), _n(rng, 3, 5), _n(rng, 5))),
    Case("standardize_closure", standardize_closure, lambda rng: (_n(rng, 9),)),
    Case("squared_error_lambda", squared_error_lambda, lambda rng: (_n(rng, 12), _n(rng, 12))),
]
