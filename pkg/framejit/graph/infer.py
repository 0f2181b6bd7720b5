"""Meta inference machinery: stand-in arrays, probes and argument binding.

A meta rule must give exactly what NumPy gives without touching full-size data. Two
stand-ins make that cheap and exact:

- *tiny* stand-ins keep ndim and dtype but clip every dimension to at most 1 (zero stays
  zero, so "empty reduction" errors survive). Running the op on them yields NumPy's own
  result dtype, scalar-ness and every error that depends on ndim, dtype or constants
  (AxisError, UFuncTypeError, weak-scalar OverflowError, ...).
- *full* stand-ins have the exact shape but zero strides over one element, so view ops
  (reshape, transpose, basic getitem, ...) cost nothing and report NumPy's exact result
  and errors; ops that compute are only replayed on them to reproduce an error message
  NumPy raises while validating, before it allocates or computes anything.

Shapes of computing ops come from small analytic rules in ``graph/shapes.py``.
Invariant: nothing here allocates memory proportional to an input's size.
"""
from __future__ import annotations

import inspect
import warnings

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import dyn
from .ir import DataDependentShape, Meta

NOVALUE = np._NoValue


def is_meta(x) -> bool:
    return isinstance(x, Meta)


def shape_of(x) -> tuple:
    """Shape of a Meta or of a trace-time constant (Python scalar, list, ndarray)."""
    return x.shape if isinstance(x, Meta) else np.shape(x)


def map_metas(fn, value):
    """Replace every Meta inside a (nested) argument value by ``fn(meta)``."""
    return _MAPPERS.get(type(value), _leave)(fn, value)


def _leave(fn, value):
    return fn(value) if isinstance(value, Meta) else value


_MAPPERS = {
    Meta: lambda fn, v: fn(v),
    tuple: lambda fn, v: tuple(map_metas(fn, x) for x in v),
    list: lambda fn, v: [map_metas(fn, x) for x in v],
    dict: lambda fn, v: {k: map_metas(fn, x) for k, x in v.items()},
    slice: lambda fn, v: slice(*(map_metas(fn, x) for x in (v.start, v.stop, v.step))),
}


def tiny(m: Meta):
    """Same ndim and dtype, every dimension clipped to <= 1; NumPy scalar for scalars."""
    if m.scalar:
        return m.dtype.type(0)
    return np.zeros(tuple(min(d, 1) for d in m.shape), m.dtype)


def small(m: Meta):
    """Like ``tiny`` with dimensions clipped to <= 2: tells size-dependent messages apart."""
    if m.scalar:
        return m.dtype.type(0)
    return np.zeros(tuple(min(d, 2) for d in m.shape), m.dtype)


def full(m: Meta):
    """Exact shape, zero strides over a single element: free to build, free to view."""
    if m.scalar:
        return m.dtype.type(0)
    # writeable so that replays of setitem / out= see NumPy's real checks; never written
    # in the success path because only erroring or view-making calls run on it.
    return as_strided(np.zeros((), m.dtype), m.shape, (0,) * len(m.shape), writeable=True)


def quiet_call(impl, args, kwargs):
    # zeros as stand-in data make log(0), 0/0, mean of empty ... warn; those are facts
    # about the stand-in values, not about the traced program.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return impl(*args, **kwargs)


def run_on(make, impl, args, kwargs):
    """Call ``impl`` with every Meta replaced by ``make(meta)``."""
    return quiet_call(impl, map_metas(make, args), map_metas(make, kwargs))


def meta_of(result) -> Meta:
    """The Meta of a value NumPy returned."""
    if isinstance(result, np.ndarray):
        return Meta(tuple(result.shape), result.dtype, False)
    if isinstance(result, np.generic):
        return Meta((), result.dtype, True)
    return Meta((), np.asarray(result).dtype, True)


def probe(impl, args, kwargs) -> Meta:
    """dtype and scalar-ness (and NumPy's ndim/dtype errors) from tiny stand-ins."""
    return meta_of(run_on(tiny, impl, args, kwargs))


# Joins check every input's ndim and sizes in input order before allocating: which
# error comes first depends on the real sizes, so they always replay on full stand-ins.
_VALIDATE_BEFORE_ALLOCATING = {np.concatenate, np.stack, np.hstack, np.vstack}


def reraise_probe_error(impl, args, kwargs, exc: BaseException):
    """The tiny probe failed. If the message is the same on dims clipped to 2 it does not
    depend on sizes (a dtype or value error, possibly raised inside a loop): raise it as
    is. Otherwise it names clipped sizes: replay on the real shapes for NumPy's message."""
    if impl in _VALIDATE_BEFORE_ALLOCATING:
        replay(impl, args, kwargs, exc)
    try:
        run_on(small, impl, args, kwargs)
    except Exception as other:
        if type(other) is type(exc) and str(other) == str(exc):
            raise exc.with_traceback(None) from None
    replay(impl, args, kwargs, exc)


def replay(impl, args, kwargs, exc: BaseException):
    """Re-raise NumPy's own exception for a shape error found analytically.

    NumPy validates shapes before computing, so running on full stand-ins raises at once.
    Should NumPy unexpectedly accept the call, the analytic error stands. A run-time size
    (a ``DynDim`` stand-in) is never replayed: whether NumPy accepts depends on it.
    """
    if dyn.has_stand_in(args, kwargs):
        raise DataDependentShape(f"{getattr(impl, '__name__', impl)}: whether the shapes agree "
                                 "depends on a size known only at run time") from exc
    try:
        run_on(full, impl, args, kwargs)
    except Exception as numpy_exc:
        raise numpy_exc.with_traceback(None) from None
    raise exc


_SIGNATURES: dict = {}


def bind(fn, args, kwargs) -> dict:
    """Arguments by NumPy's parameter names, defaults applied, ``np._NoValue`` -> None."""
    sig = _SIGNATURES.get(fn)
    if sig is None:
        sig = _SIGNATURES[fn] = inspect.signature(fn)
    ba = sig.bind(*args, **kwargs)
    ba.apply_defaults()
    out = {}
    for name, value in ba.arguments.items():
        kind = sig.parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        else:
            out[name] = None if value is NOVALUE else value
    return out


def with_shape(shape, m: Meta) -> Meta:
    """Combine an analytic shape with a probed dtype / scalar-ness."""
    return Meta(tuple(int(d) for d in shape), m.dtype, m.scalar and len(shape) == 0)
