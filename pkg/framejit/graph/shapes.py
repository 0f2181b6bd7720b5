"""Analytic result shapes for ops that compute (as opposed to ops that return views).

Each rule is ``rule(impl, args, kwargs) -> shape`` over Metas and constants. It runs after
the tiny-stand-in probe (``infer.probe``) has already raised every ndim/dtype/axis error,
so rules may assume valid axes and ndims. A shape NumPy would reject is reported through
``infer.replay`` so that the exception carries NumPy's exact type and message.
Rules read arguments by NumPy's parameter names (``infer.bind``), never by position.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from .infer import DataDependentShape, bind, full, is_meta, probe, replay, shape_of


def _size(shape) -> int:
    return math.prod(shape)


def broadcast(impl, args, kwargs, shapes) -> tuple:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError as exc:
        replay(impl, args, kwargs, exc)


def with_out(impl, args, kwargs, shape, out, exact=False) -> tuple:
    """An ``out=`` operand fixes the result shape; NumPy checks it against ``shape``
    (elementwise ops broadcast into ``out``; reductions need it ``exact``)."""
    if isinstance(out, tuple):
        out = out[0] if out else None
    if out is None:
        return shape
    try:
        ok = np.broadcast_shapes(shape, out.shape) == out.shape
    except ValueError:
        ok = False
    ok = ok and (not exact or tuple(shape) == tuple(out.shape))
    if not ok:
        replay(impl, args, kwargs, ValueError(f"out shape {out.shape} != {shape}"))
    return out.shape


def elementwise(nin: int):
    """A ufunc call: inputs (and ``where``) broadcast; ``out`` fixes the shape."""
    def rule(impl, args, kwargs):
        shapes = [shape_of(a) for a in args[:nin]]
        where = kwargs.get("where", True)
        if where is not True:
            shapes.append(shape_of(where))
        shape = broadcast(impl, args, kwargs, shapes)
        out = kwargs.get("out", args[nin] if len(args) > nin else None)
        return with_out(impl, args, kwargs, shape, out)
    return rule


def named_broadcast(fn, names):
    """Broadcast of the parameters ``names`` (np.where's three, np.clip's a/min/max)."""
    def rule(impl, args, kwargs):
        b = bind(fn, args, kwargs)
        shapes = [shape_of(b[n]) for n in names if b.get(n) is not None]
        shape = broadcast(impl, args, kwargs, shapes)
        return with_out(impl, args, kwargs, shape, b.get("out"))
    return rule


def outer(impl, args, kwargs):
    return tuple(shape_of(args[0])) + tuple(shape_of(args[1]))


def _axes(axis, ndim) -> tuple:
    return tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)


def reduction(fn, arr="a"):
    """sum/mean/std/max/argmax/any/..., ufunc.reduce: axis None/int/tuple, keepdims, out.

    Runs before the probe (``shape_first``): NumPy checks ``out`` before it reduces."""
    def rule(impl, args, kwargs):
        b = bind(fn, args, kwargs)
        res = _reduced(impl, args, kwargs, shape_of(b[arr]), b)
        return with_out(impl, args, kwargs, res, b.get("out"), exact=True)
    return rule


def _reduced(impl, args, kwargs, shape, b) -> tuple:
    try:
        # ufunc.reduce accepts axis=0 on 0-d input (legacy); the probe decides
        axes = _axes(b.get("axis"), len(shape)) if shape else ()
    except Exception:
        probe(impl, args, kwargs)  # NumPy's own AxisError / TypeError
        raise
    if b.get("keepdims"):
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def ureduce(fn, q=False):
    """np.median / np.percentile / np.quantile (NumPy's ``_ureduce``): ``q``'s shape in
    front of the reduced shape. ``out`` is returned as is; with keepdims NumPy writes into
    ``out[..., 0 on each reduced axis]``. Median's mean needs that exact; the quantiles
    write with a ufunc, so ``out`` only has to take the result by broadcasting."""
    def rule(impl, args, kwargs):
        b = bind(fn, args, kwargs)
        shape, out = tuple(shape_of(b["a"])), b.get("out")
        lead = tuple(shape_of(b["q"])) if q else ()
        if out is None:
            return lead + _reduced(impl, args, kwargs, shape, b)
        res = lead + _reduced(impl, args, kwargs, shape, {**b, "keepdims": False})
        target = out
        if b.get("keepdims"):
            axes = _axes(b.get("axis"), len(shape))
            index = (Ellipsis,) + tuple(0 if i in axes else slice(None) for i in range(len(shape)))
            try:
                target = np.empty((), out.dtype) if out.scalar else full(out)[index]
            except IndexError as exc:
                raise exc.with_traceback(None) from None
        with_out(impl, args, kwargs, res, target, exact=not q)
        return tuple(out.shape)
    return rule


def flat_or_same(fn, arr="a"):
    """cumsum/cumprod/sort/argsort/accumulate: same shape, flattened for axis=None."""
    def rule(impl, args, kwargs):
        b = bind(fn, args, kwargs)
        shape = shape_of(b[arr])
        # NumPy treats 0-d input as 1-d here (the probe has rejected what it rejects)
        res = (_size(shape),) if b.get("axis", 0) is None or not shape else tuple(shape)
        return with_out(impl, args, kwargs, res, b.get("out"))
    return rule


def same(impl, args, kwargs):
    return tuple(shape_of(args[0]))


def ravel(impl, args, kwargs):
    return (_size(shape_of(args[0])),)


def diff(impl, args, kwargs):
    b = bind(np.diff, args, kwargs)
    shape = list(shape_of(b["a"]))
    n = b["n"]
    if n == 0:
        return tuple(shape)
    ax = normalize_axis_index(b["axis"], len(shape))
    length = shape[ax]
    for extra in (b.get("prepend"), b.get("append")):
        if extra is not None:
            es = tuple(shape_of(extra))
            if es and (len(es) != len(shape) or es[:ax] + es[ax + 1:] != tuple(shape[:ax] + shape[ax + 1:])):
                replay(impl, args, kwargs, ValueError("diff: prepend/append shape mismatch"))
            length += 1 if len(es) == 0 else es[ax]
    shape[ax] = max(length - n, 0)
    return tuple(shape)


def _concat(shapes, axis) -> tuple:
    if axis is None:
        return (sum(_size(s) for s in shapes),)
    first = shapes[0]
    ax = normalize_axis_index(axis, len(first))
    for s in shapes[1:]:
        if any(d != e for i, (d, e) in enumerate(zip(first, s)) if i != ax):
            raise ValueError("concatenate: dimension mismatch")
    return first[:ax] + (sum(s[ax] for s in shapes),) + first[ax + 1:]


def concatenate(impl, args, kwargs):
    b = bind(np.concatenate, args, kwargs)
    shapes = [tuple(shape_of(a)) for a in b["arrays"]]
    try:
        shape = _concat(shapes, b["axis"])
    except ValueError as exc:
        replay(impl, args, kwargs, exc)
    return with_out(impl, args, kwargs, shape, b.get("out"))


def stack(impl, args, kwargs):
    b = bind(np.stack, args, kwargs)
    shapes = [tuple(shape_of(a)) for a in b["arrays"]]
    if any(s != shapes[0] for s in shapes):
        replay(impl, args, kwargs, ValueError("stack: shapes differ"))
    ax = normalize_axis_index(b["axis"], len(shapes[0]) + 1)
    shape = shapes[0][:ax] + (len(shapes),) + shapes[0][ax:]
    return with_out(impl, args, kwargs, shape, b.get("out"))


def _atleast(shape, n):
    """np.atleast_1d / atleast_2d: pad with leading ones."""
    return (1,) * max(n - len(shape), 0) + tuple(shape)


def hstack(impl, args, kwargs):
    shapes = [_atleast(shape_of(a), 1) for a in bind(np.hstack, args, kwargs)["tup"]]
    try:
        return _concat(shapes, 0 if shapes and len(shapes[0]) == 1 else 1)
    except ValueError as exc:
        replay(impl, args, kwargs, exc)


def vstack(impl, args, kwargs):
    shapes = [_atleast(shape_of(a), 2) for a in bind(np.vstack, args, kwargs)["tup"]]
    try:
        return _concat(shapes, 0)
    except ValueError as exc:
        replay(impl, args, kwargs, exc)


def repeat(impl, args, kwargs):
    b = bind(np.repeat, args, kwargs)
    shape, reps, axis = tuple(shape_of(b["a"])) or (1,), b["repeats"], b["axis"]
    if is_meta(reps):
        raise DataDependentShape("np.repeat with traced repeat counts has a data-dependent shape")
    n = _size(shape) if axis is None else shape[normalize_axis_index(axis, len(shape))]
    reps = np.asarray(reps)
    if reps.ndim == 0 or reps.size == 1:
        new = n * int(reps.reshape(-1)[0]) if reps.size else 0
    elif reps.size != n or (reps < 0).any():
        replay(impl, args, kwargs, ValueError("repeat: bad repeats"))
    else:
        new = int(reps.sum())
    if axis is None:
        return (new,)
    ax = normalize_axis_index(axis, len(shape))
    return shape[:ax] + (new,) + shape[ax + 1:]


def repeat_probe_args(args, kwargs):
    """A repeat list must match the real axis length: probe with one count instead."""
    b = bind(np.repeat, args, kwargs)
    if not is_meta(b["repeats"]) and np.ndim(b["repeats"]) > 0:
        return (b["a"], 1, b["axis"]), {}
    return args, kwargs


def tile(impl, args, kwargs):
    b = bind(np.tile, args, kwargs)
    shape, reps = tuple(shape_of(b["A"])), b["reps"]
    tup = tuple(reps) if np.ndim(reps) else (reps,)
    nd = max(len(shape), len(tup))
    shape = (1,) * (nd - len(shape)) + shape
    tup = (1,) * (nd - len(tup)) + tup
    return tuple(s * t for s, t in zip(shape, tup))


def tri(impl, args, kwargs):
    shape = tuple(shape_of(args[0]))
    return shape * 2 if len(shape) == 1 else shape


def dot(impl, args, kwargs):
    b = bind(np.dot, args, kwargs)
    sa, sb = tuple(shape_of(b["a"])), tuple(shape_of(b["b"]))
    if not sa or not sb:
        shape = sa or sb
    elif len(sb) == 1:
        shape = sa[:-1] if sa[-1] == sb[0] else None
    else:
        shape = sa[:-1] + sb[:-2] + sb[-1:] if sa[-1] == sb[-2] else None
    if shape is None:
        replay(impl, args, kwargs, ValueError("dot: shapes not aligned"))
    return with_out(impl, args, kwargs, shape, b.get("out"))


def matmul(impl, args, kwargs):
    sa, sb = tuple(shape_of(args[0])), tuple(shape_of(args[1]))
    a2 = (1,) + sa if len(sa) == 1 else sa
    b2 = sb + (1,) if len(sb) == 1 else sb
    if a2[-1] != b2[-2]:
        replay(impl, args, kwargs, ValueError("matmul: core dimension mismatch"))
    batch = broadcast(impl, args, kwargs, [a2[:-2], b2[:-2]])
    shape = batch + a2[-2:-1] * (len(sa) > 1) + b2[-1:] * (len(sb) > 1)
    out = kwargs.get("out", args[2] if len(args) > 2 else None)
    return with_out(impl, args, kwargs, shape, out)


def np_outer(impl, args, kwargs):
    b = bind(np.outer, args, kwargs)
    shape = (_size(shape_of(b["a"])), _size(shape_of(b["b"])))
    return with_out(impl, args, kwargs, shape, b.get("out"))


def inner(impl, args, kwargs):
    sa, sb = tuple(shape_of(args[0])), tuple(shape_of(args[1]))
    if not sa or not sb:
        return sa or sb
    if sa[-1] != sb[-1]:
        replay(impl, args, kwargs, ValueError("inner: shapes not aligned"))
    return sa[:-1] + sb[:-1]


def vdot(impl, args, kwargs):
    if _size(shape_of(args[0])) != _size(shape_of(args[1])):
        replay(impl, args, kwargs, ValueError("vdot: sizes differ"))
    return ()


def tensordot(impl, args, kwargs):
    b = bind(np.tensordot, args, kwargs)
    sa, sb, axes = tuple(shape_of(b["a"])), tuple(shape_of(b["b"])), b["axes"]
    try:
        if np.ndim(axes) == 0:
            axes_a, axes_b = list(range(-axes, 0)), list(range(axes))
        else:
            axes_a, axes_b = axes
        axes_a = [axes_a] if np.ndim(axes_a) == 0 else list(axes_a)
        axes_b = [axes_b] if np.ndim(axes_b) == 0 else list(axes_b)
        if len(axes_a) != len(axes_b) or any(sa[i] != sb[j] for i, j in zip(axes_a, axes_b)):
            raise ValueError("shape-mismatch for sum")
        axes_a = [i % len(sa) for i in axes_a]
        axes_b = [j % len(sb) for j in axes_b]
    except (ValueError, IndexError, TypeError) as exc:
        replay(impl, args, kwargs, exc)
    return (tuple(d for i, d in enumerate(sa) if i not in axes_a)
            + tuple(d for j, d in enumerate(sb) if j not in axes_b))


def einsum(impl, args, kwargs):
    from numpy._core.einsumfunc import _parse_einsum_input
    inputs, output, ops = _parse_einsum_input([full(a) if is_meta(a) else a for a in args])
    dims: dict = {}
    for subs, op in zip(inputs.split(","), ops):
        for letter, d in zip(subs, np.shape(op)):
            if dims.get(letter, 1) not in (1, d) and d != 1:
                replay(impl, args, kwargs, ValueError("einsum: dimension mismatch"))
            dims[letter] = d if dims.get(letter, 1) == 1 else dims[letter]
    shape = tuple(dims[c] for c in output)
    return with_out(impl, args, kwargs, shape, kwargs.get("out"))


def trace(impl, args, kwargs):
    b = bind(np.trace, args, kwargs)
    try:
        diag = np.diagonal(full(b["a"]), b["offset"], b["axis1"], b["axis2"])
    except Exception as exc:
        replay(impl, args, kwargs, exc)
    return with_out(impl, args, kwargs, diag.shape[:-1], b.get("out"))


def norm(impl, args, kwargs):
    b = bind(np.linalg.norm, args, kwargs)
    shape = tuple(shape_of(b["x"]))
    axes = _axes(b["axis"], len(shape))
    if b["keepdims"]:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)
