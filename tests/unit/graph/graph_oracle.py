"""Test helpers: run an op through GraphBuilder and through NumPy, compare outcomes.

``N(value)`` marks an argument that enters the graph as an input node (its Meta is taken
from the value); every other argument is a trace-time constant. An outcome is either
``("ok", Meta)`` or ``("err", exception type, message)``.
"""
from __future__ import annotations

import warnings

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from framejit.graph.builder import GraphBuilder
from framejit.graph.infer import meta_of
from framejit.graph.ir import Meta, Node
from framejit.graph.ops import OPS, DataDependentShape

DTYPES = [np.dtype(t) for t in ("bool", "int32", "int64", "float32", "float64", "complex128")]
dtypes = st.sampled_from(DTYPES)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
weak_scalars = st.sampled_from([0, 1, -3, 300, 2**40, 1.5, -0.0, float("inf"), 2j, True, False])


class N:
    """An argument that becomes an input node of the graph."""
    def __init__(self, value):
        self.value = value

    def __repr__(self):
        v = self.value
        return f"N({type(v).__name__}{getattr(v, 'shape', '')}:{getattr(v, 'dtype', '')})"


def value(shape, dtype, fill=1):
    return np.full(shape, fill, dtype=dtype)


def meta_for(v) -> Meta:
    return Meta(tuple(np.shape(v)), np.asarray(v).dtype, isinstance(v, np.generic))


def _walk(fn, v):
    if isinstance(v, N):
        return fn(v)
    if isinstance(v, tuple):
        return tuple(_walk(fn, x) for x in v)
    if isinstance(v, list):
        return [_walk(fn, x) for x in v]
    if isinstance(v, dict):
        return {k: _walk(fn, x) for k, x in v.items()}
    if isinstance(v, slice):
        return slice(*(_walk(fn, x) for x in (v.start, v.stop, v.step)))
    return v


def _copy_value(n: N):
    v = n.value
    return v.copy() if isinstance(v, np.ndarray) else v


def numpy_outcome(op, args, kwargs):
    args, kwargs = _walk(_copy_value, args), _walk(_copy_value, kwargs)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("ok", meta_of(OPS[op].impl(*args, **kwargs)))
    except Exception as exc:
        return ("err", type(exc), str(exc))


def graph_outcome(op, args, kwargs, builder=None):
    b = builder or GraphBuilder()
    make = lambda n: b.add_input(meta_for(n.value))
    args, kwargs = _walk(make, args), _walk(make, kwargs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # meta rules must not leak warnings
            node = b.add(op, args, kwargs)
        return ("ok", node.meta)
    except DataDependentShape:
        return ("data-dependent",)
    except Exception as exc:
        return ("err", type(exc), str(exc))


def check(op, *args, data_dependent=False, **kwargs):
    """Assert that the graph's meta (or exception) equals NumPy's; return the outcome."""
    got = graph_outcome(op, args, kwargs)
    if got[0] == "data-dependent":
        assert data_dependent, f"{op}{args}: unexpected DataDependentShape"
        return got
    expected = numpy_outcome(op, args, kwargs)
    if expected[0] == "err" and issubclass(expected[1], MemoryError):
        assert got[0] == "ok", got  # NumPy could not allocate; the meta rule never does
        return got
    assert got == expected, f"{op} args={args} kwargs={kwargs}: graph {got} != numpy {expected}"
    return got


def nodes_in(value):
    return [v for v in (value if isinstance(value, (list, tuple)) else [value]) if isinstance(v, Node)]
