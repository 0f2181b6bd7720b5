"""Meta == NumPy for reductions and scans: axis None/int/tuple (valid or not), keepdims,
dtype, ddof, out; sorting; diff."""
import numpy as np
from hypothesis import given, settings, strategies as st

from graph_oracle import N, check, dtypes, shapes, value

FAST = settings(max_examples=200, deadline=None, database=None)
AXES = st.sampled_from([None, 0, 1, -1, 2, 3, -4, (0,), (0, 1), (1, 0), (0, 0), (-1, 0), ()])
REDUCTIONS = ["sum", "prod", "min", "max", "mean", "std", "var", "any", "all", "argmin",
              "argmax"]


@FAST
@given(st.sampled_from(REDUCTIONS), dtypes, shapes, AXES, st.booleans(), st.booleans())
def test_reductions(op, dt, shape, axis, keepdims, as_scalar):
    x = N(dt.type(1) if as_scalar else value(shape, dt))
    if op.startswith("arg") and isinstance(axis, tuple):
        axis = axis[0] if axis else None
    check(op, x, axis=axis, keepdims=keepdims)
    check(op, x)


@FAST
@given(st.sampled_from(["sum", "prod", "mean", "std", "var"]), dtypes, shapes, AXES,
       st.sampled_from([None, "float32", "float64", "int64", "complex128", "bool"]))
def test_reduction_dtype(op, dt, shape, axis, dtype):
    check(op, N(value(shape, dt)), axis=axis, dtype=dtype)


@FAST
@given(st.sampled_from(["std", "var"]), dtypes, shapes, st.integers(0, 5), AXES)
def test_ddof(op, dt, shape, ddof, axis):
    check(op, N(value(shape, dt)), axis=axis, ddof=ddof)


@FAST
@given(st.sampled_from(["sum", "max", "mean"]), dtypes, dtypes, shapes, st.sampled_from([0, -1]),
       st.booleans())
def test_reduction_out(op, dt, out_dt, shape, axis, keepdims):
    if not shape:
        return
    out_shape = shape[1:] if axis == 0 else shape[:-1]
    if keepdims:
        out_shape = (1,) + shape[1:] if axis == 0 else shape[:-1] + (1,)
    check(op, N(value(shape, dt)), axis=axis, keepdims=keepdims, out=N(value(out_shape, out_dt)))
    check(op, N(value(shape, dt)), axis=axis, out=N(value((7,), out_dt)))


@FAST
@given(st.sampled_from(["cumsum", "cumprod", "sort", "argsort"]), dtypes, shapes,
       st.sampled_from([None, 0, -1, 1, 3]))
def test_scans_and_sorts(op, dt, shape, axis):
    check(op, N(value(shape, dt)), axis=axis)
    check(op, N(value(shape, dt)))


@FAST
@given(dtypes, shapes, st.integers(-1, 4), st.sampled_from([0, -1, 1, 2]),
       st.sampled_from([None, 0, "row"]), st.sampled_from([None, 1.5, "row"]))
def test_diff(dt, shape, n, axis, prepend, append):
    extra = {}
    for key, v in (("prepend", prepend), ("append", append)):
        if v == "row":
            extra[key] = N(value(shape[:-1] + (2,) if shape else (2,), dt))
        elif v is not None:
            extra[key] = v
    check("diff", N(value(shape, dt)), n, axis, **extra)
