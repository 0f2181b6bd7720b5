"""Meta rules for np.linalg.solve / inv / det and np.diag.

The solvers validate like NumPy, in NumPy's order: a stack of square matrices (else its
LinAlgError, replayed on full stand-ins), then the dtype (``_commonType``: a TypeError),
then the gufunc's core and batch dimensions. The dtype is probed on 1x1 matrices of
ones, never on zeros: a singular stand-in would raise NumPy's "Singular matrix", which
only real data may decide. ``solve`` follows NumPy 2: ``b`` is a vector only when
``b.ndim == 1`` (result ``a.shape[:-1]``), else a stack of matrices broadcast against
``a``'s batch dims (result ``batch + (m, k)``).

``np.diag`` of a 2-D array is a view of its diagonal: exact on a zero-strided stand-in.
Of a 1-D array it allocates an ``(n + |k|)``-square matrix: the shape is analytic, the
dtype probed with ``|k| <= 1`` so that nothing proportional to the result is allocated.
"""
from __future__ import annotations

import operator

import numpy as np

from .creation import _check_size
from .infer import (DataDependentShape, bind, full, is_meta, meta_of, probe, quiet_call,
                    replay, run_on, shape_of, with_shape)
from .shapes import broadcast


def _ones(x):
    """A stand-in of ``x``'s dtype and ndim with every dim clipped to <= 1, filled with 1."""
    if is_meta(x):
        return x.dtype.type(1) if x.scalar else np.ones(tuple(min(d, 1) for d in x.shape), x.dtype)
    arr = np.asarray(x)
    return np.ones(tuple(min(d, 1) for d in arr.shape), arr.dtype)


def solver(impl, shape_rule):
    """Meta of a np.linalg solver ``impl(a, ...)`` whose shape ``shape_rule`` gives."""
    def meta(args, kwargs):
        b = bind(impl, args, kwargs)
        sa = tuple(shape_of(b["a"]))
        if len(sa) < 2 or sa[-1] != sa[-2]:
            replay(impl, args, kwargs, np.linalg.LinAlgError("not square matrices"))
        try:
            probed = meta_of(quiet_call(impl, tuple(_ones(v) for v in b.values()), {}))
        except Exception as exc:
            # clipping keeps every error (0 stays 0), but its message names clipped sizes
            replay(impl, args, kwargs, exc)
        return with_shape(shape_rule(impl, args, kwargs, sa, b), probed)
    return meta


def solve_shape(impl, args, kwargs, sa, b) -> tuple:
    sb = tuple(shape_of(b["b"]))
    m = sa[-1]
    if len(sb) == 1:
        if sb[0] != m:
            replay(impl, args, kwargs, ValueError("solve1: core dimension mismatch"))
        return sa[:-1]
    if sb[-2] != m:
        replay(impl, args, kwargs, ValueError("solve: core dimension mismatch"))
    return broadcast(impl, args, kwargs, [sa[:-2], sb[:-2]]) + (m, sb[-1])


def inv_shape(impl, args, kwargs, sa, b) -> tuple:
    return sa


def det_shape(impl, args, kwargs, sa, b) -> tuple:
    return sa[:-2]


def diag_meta(args, kwargs):
    b = bind(np.diag, args, kwargs)
    v, k = b["v"], b["k"]
    if is_meta(k):
        raise DataDependentShape("np.diag with a traced offset k has a data-dependent shape")
    shape = tuple(shape_of(v))
    if len(shape) != 1:
        # 2-D: a view of the diagonal; any other ndim: NumPy's ValueError, before any work
        return meta_of(run_on(full, np.diag, args, kwargs))
    small_k = k
    if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
        small_k = int(np.sign(k))
    probed = probe(np.diag, (v, small_k), {})
    n = shape[0] + abs(operator.index(k))  # the probe has rejected non-integer k
    _check_size((n, n), probed.dtype)
    return with_shape((n, n), probed)
