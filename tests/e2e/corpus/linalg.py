"""Dense linear-algebra kernels written with NumPy primitives."""
import numpy as np

from .case import Case


def power_iteration(A, v, iters=20):
    for _ in range(iters):
        w = A @ v
        v = w / np.sqrt(w @ w)
    return v @ A @ v, v


def gram_schmidt(A):
    m, n = A.shape
    Q = np.zeros((m, n))
    R = np.zeros((n, n))
    for j in range(n):
        v = A[:, j].copy()
        for i in range(j):
            R[i, j] = Q[:, i] @ A[:, j]
            v -= R[i, j] * Q[:, i]
        R[j, j] = np.sqrt(v @ v)
        Q[:, j] = v / R[j, j]
    return Q, R


def jacobi_solve(A, b, iters=25):
    n = A.shape[0]
    D = (A * np.eye(n)).sum(axis=1)
    R = A - np.diag(D)
    x = np.zeros_like(b)
    for _ in range(iters):
        x = (b - R @ x) / D
    return x, np.abs(A @ x - b).max()


def conjugate_gradient(A, b, iters=5):
    x = np.zeros_like(b)
    r = b - A @ x
    p = r.copy()
    rs = r @ r
    for _ in range(iters):
        Ap = A @ p
        alpha = rs / (p @ Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = r @ r
        p = r + (rs_new / rs) * p
        rs = rs_new
    return x


def forward_substitution(L, b):
    n = L.shape[0]
    x = np.zeros(n)
    for i in range(n):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]
    return x


def back_substitution(U, b):
    n = len(b)
    x = np.zeros_like(b)
    for i in range(n - 1, -1, -1):
        x[i] = (b[i] - np.dot(U[i, i + 1:], x[i + 1:])) / U[i, i]
    return x


def rank1_update(A, x, y, alpha=0.5):
    return A + alpha * np.outer(x, y)


def triangular_split(A):
    L = np.tril(A)
    U = np.triu(A, 1)
    strict_lower = np.tril(A, k=-1)
    return L, U, strict_lower, L + U


def matrix_power_unrolled(A, k=4):
    P = np.eye(A.shape[0])
    for _ in range(k):
        P = np.matmul(P, A)
    return P


def kron_by_broadcast(A, B):
    m, n = A.shape
    p, q = B.shape
    return (A[:, None, :, None] * B[None, :, None, :]).reshape(m * p, n * q)


def batched_gram(X):
    return np.matmul(np.transpose(X, (0, 2, 1)), X)


def frobenius_and_trace(A):
    fro = np.sqrt((A ** 2).sum())
    tr = (A * np.eye(A.shape[0])).sum()
    return fro, tr


def householder(x):
    n = x.shape[0]
    sign = np.where(x[0] >= 0, 1.0, -1.0)
    v = x.copy()
    v[0] += sign * np.sqrt(x @ x)
    H = np.eye(n) - 2.0 * np.outer(v, v) / (v @ v)
    return H, H @ x


def givens_rotate(A, i=0, j=2):
    a, b = A[i, 0], A[j, 0]
    r = np.sqrt(a * a + b * b)
    c, s = a / r, b / r
    G = np.eye(A.shape[0])
    G[i, i] = c
    G[j, j] = c
    G[i, j] = s
    G[j, i] = -s
    return G @ A


def vandermonde(x, degree=5):
    return np.power(x[:, np.newaxis], np.arange(degree + 1)[np.newaxis, :])


def polyfit_lstsq(x, y, degree=3):
    V = x[:, None] ** np.arange(degree + 1)
    coef = np.linalg.solve(V.T @ V, V.T @ y)
    return coef, V @ coef - y


def symmetric_parts(A):
    return 0.5 * (A + A.T), 0.5 * (A - np.transpose(A))


def block_matrix(A, B, C, D):
    top = np.hstack([A, B])
    bottom = np.hstack([C, D])
    return np.vstack([top, bottom])


def dot_variants(A, x, y):
    return np.dot(x, y), np.dot(A, x), np.matmul(x, A), A @ A.T, x @ y


def lu_nopivot(A):
    n = A.shape[0]
    U = A.copy()
    L = np.eye(n)
    for k in range(n - 1):
        L[k + 1:, k] = U[k + 1:, k] / U[k, k]
        U[k + 1:, k:] -= L[k + 1:, k][:, np.newaxis] * U[k, k:][np.newaxis, :]
    return L, U


def _spd(rng, n):
    a = rng.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def _diag_dominant(rng, n):
    a = rng.standard_normal((n, n))
    return a + np.diag(np.abs(a).sum(axis=1) + 1.0)


def _n(rng, *shape):
    return rng.standard_normal(shape)


CASES = [
    Case("power_iteration", power_iteration, lambda rng: (_spd(rng, 6), np.ones(6))),
    Case("gram_schmidt", gram_schmidt, lambda rng: (_n(rng, 6, 4),)),
    Case("jacobi_solve", jacobi_solve, lambda rng: (_diag_dominant(rng, 6), _n(rng, 6))),
    Case("conjugate_gradient", conjugate_gradient, lambda rng: (_spd(rng, 8), _n(rng, 8))),
    Case("forward_substitution", forward_substitution,
         lambda rng: (np.tril(_n(rng, 6, 6)) + 4 * np.eye(6), _n(rng, 6))),
    Case("back_substitution", back_substitution,
         lambda rng: (np.triu(_n(rng, 6, 6)) + 4 * np.eye(6), _n(rng, 6))),
    Case("rank1_update", rank1_update, lambda rng: (_n(rng, 4, 5), _n(rng, 4), _n(rng, 5))),
    Case("triangular_split", triangular_split, lambda rng: (_n(rng, 5, 5),)),
    Case("matrix_power_unrolled", matrix_power_unrolled, lambda rng: (0.5 * _n(rng, 4, 4),)),
    Case("kron_by_broadcast", kron_by_broadcast, lambda rng: (_n(rng, 2, 3), _n(rng, 3, 2))),
    Case("batched_gram", batched_gram, lambda rng: (_n(rng, 3, 5, 4),)),
    Case("frobenius_and_trace", frobenius_and_trace, lambda rng: (_n(rng, 5, 5),)),
    Case("householder", householder, lambda rng: (_n(rng, 5),)),
    Case("givens_rotate", givens_rotate, lambda rng: (_n(rng, 4, 3),)),
    Case("vandermonde", vandermonde, lambda rng: (rng.uniform(-1, 1, 7),)),
    Case("polyfit_lstsq", polyfit_lstsq,
         lambda rng: (np.linspace(-1, 1, 20), np.linspace(-1, 1, 20) ** 3 + 0.1 * _n(rng, 20))),
    Case("symmetric_parts", symmetric_parts, lambda rng: (_n(rng, 4, 4),)),
    Case("block_matrix", block_matrix,
         lambda rng: (_n(rng, 2, 2), _n(rng, 2, 3), _n(rng, 1, 2), _n(rng, 1, 3))),
    Case("dot_variants", dot_variants, lambda rng: (_n(rng, 4, 4), _n(rng, 4), _n(rng, 4))),
    Case("lu_nopivot", lu_nopivot, lambda rng: (_diag_dominant(rng, 5),)),
]
