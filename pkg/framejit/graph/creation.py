"""Meta rules for creation ops (zeros, full, *_like, arange, linspace, eye, identity).

The result shape is read from constant arguments; the dtype (and NumPy's argument
errors) come from calling the NumPy function itself with every size clipped to <= 1, so
nothing proportional to the requested size is allocated. A size that is itself a traced
value cannot give a static shape: DataDependentShape.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .infer import (DataDependentShape, bind, full, is_meta, meta_of, probe, quiet_call,
                    shape_of, with_shape)
from .ir import Meta


def _static(value, what):
    if is_meta(value) or (isinstance(value, (tuple, list)) and any(map(is_meta, value))):
        raise DataDependentShape(f"{what} given by a traced value")
    return value


def _tiny_dim(d, limit=1):
    # only clip real integers: floats must still reach NumPy to raise its TypeError
    if isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)):
        return min(d, limit)
    return d


def _dims(shape):
    return (shape,) if np.ndim(shape) == 0 else tuple(shape)


def _check_fill(fill, shape, dtype):
    """np.full broadcasts the fill value with copyto; replay its error on stand-ins."""
    fs = shape_of(fill)
    try:
        ok = np.broadcast_shapes(fs, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        target = full(Meta(tuple(shape), dtype))
        np.copyto(target, full(fill) if is_meta(fill) else fill, casting="unsafe")


_INTP_MAX = np.iinfo(np.intp).max


def _check_size(dims, dtype):
    """NumPy's own limits, checked without allocating."""
    if any(d > _INTP_MAX for d in dims):
        raise ValueError("Maximum allowed dimension exceeded")
    if math.prod(dims) * dtype.itemsize > _INTP_MAX:
        raise ValueError("array is too big; `arr.size * arr.dtype.itemsize` is larger than "
                         "the maximum possible size.")


def creation(fn, shape_param="shape", like=False, fill_param=None):
    """zeros/empty/ones/full and (``like``: the first parameter is the model) *_like."""
    def meta(args, kwargs):
        b = bind(fn, args, kwargs)
        like_param = next(iter(b)) if like else None
        shape = _static(b.get(shape_param), "array shape")
        small = dict(b)
        if shape is not None:
            small[shape_param] = tuple(map(_tiny_dim, _dims(shape)))
        probed = probe(fn, (), small)
        dims = shape_of(b[like_param]) if shape is None else tuple(map(operator.index, _dims(shape)))
        _check_size(dims, probed.dtype)
        if fill_param is not None:
            _check_fill(b[fill_param], dims, probed.dtype)
        return with_shape(dims, probed)
    return meta


def arange_length(start, stop, step) -> int:
    """NumPy's ``ceil((stop - start) / step)`` computed with the same scalar types."""
    with np.errstate(all="ignore"):
        val = (stop - start) / step
    if isinstance(val, complex) or np.iscomplexobj(val):
        return max(min(math.ceil(val.real), math.ceil(val.imag)), 0)
    return max(math.ceil(val), 0) if math.isfinite(val) else 0


def arange_meta(args, kwargs) -> Meta:
    b = bind(np.arange, args, kwargs)
    _static((b["start_or_stop"], b["stop"], b["step"]), "np.arange bound")
    start, stop = (0, b["start_or_stop"]) if b["stop"] is None else (b["start_or_stop"], b["stop"])
    step = b["step"]
    if step == 0 or any(not np.isfinite(v) for v in (start, stop, step)):
        return meta_of(quiet_call(np.arange, args, kwargs))  # NumPy's own error
    n = arange_length(start, stop, step)
    if n > _INTP_MAX:
        raise ValueError("Maximum allowed size exceeded")
    if n <= 1:
        return meta_of(quiet_call(np.arange, args, kwargs))
    # a step n times larger keeps every argument's type (so the dtype) and yields 1 element
    small = quiet_call(np.arange, (start, stop, step * n), {"dtype": b["dtype"]})
    _check_size((n,), small.dtype)
    return Meta((n,), small.dtype, False)


def linspace_meta(args, kwargs) -> Meta:
    b = bind(np.linspace, args, kwargs)
    num = _static(b["num"], "np.linspace num")
    if b["retstep"]:
        raise NotImplementedError("np.linspace(retstep=True) returns a tuple: not one op")
    # two samples keep the step computation (and so the dtype) of the real call
    probed = probe(np.linspace, (), {**b, "num": _tiny_dim(num, 2)})
    base = np.broadcast_shapes(shape_of(b["start"]), shape_of(b["stop"]))
    ax = np.lib.array_utils.normalize_axis_index(b["axis"], len(base) + 1)
    return with_shape(base[:ax] + (operator.index(num),) + base[ax:], probed)


def eye_meta(args, kwargs) -> Meta:
    b = bind(np.eye, args, kwargs)
    n, m = _static(b["N"], "np.eye N"), _static(b["M"], "np.eye M")
    probed = probe(np.eye, (), {**b, "N": _tiny_dim(n), "M": None if m is None else _tiny_dim(m)})
    return with_shape((n, n if m is None else m), probed)


def identity_meta(args, kwargs) -> Meta:
    b = bind(np.identity, args, kwargs)
    n = _static(b["n"], "np.identity n")
    return with_shape((n, n), probe(np.identity, (), {**b, "n": _tiny_dim(n)}))
