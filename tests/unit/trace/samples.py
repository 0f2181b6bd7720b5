"""Functions traced by the tests that must not be rewritten by pytest (plain ``assert``)."""
import numpy as np


def asserting(x):
    assert x.ndim == 2, "2-d please"
    assert x.ndim == 3, "3-d please"


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def fifty_ops(x, y):
    a = np.sin(x) * 2.0 + y
    b = np.exp(-a) / (1.0 + a * a)
    c = np.sqrt(np.abs(b)) - x * y
    d = np.maximum(c, 0.0) + np.minimum(a, 1.0)
    e = (d - d.mean(axis=0)) / (d.std(axis=0) + 1e-6)
    f = np.tanh(e) * 0.5 + np.cos(x) ** 2
    g = f @ f.T
    h = g.sum(axis=1, keepdims=True) + 1.0
    i = np.log1p(np.abs(h)) * 3.0 - 2.0
    j = np.where(i > 0, i, -i) + x[:, :1]
    k = j * j - j / 2.0 + np.clip(j, -1, 1)
    m = k.max(axis=1) - k.min(axis=1) + k.sum(axis=1) * 0.1
    n = m.reshape(-1, 1) * x + y
    p = np.exp(n - n.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)
