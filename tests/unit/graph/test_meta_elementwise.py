"""Meta == NumPy for every registered ufunc (call, outer, reduce, accumulate) and the
other elementwise ops: shapes incl. 0-size and broadcasting, six dtypes, weak scalars."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from framejit.graph.ops import OPS, Family
from graph_oracle import N, check, dtypes, shapes, value, weak_scalars

UNARY = sorted(n for n, o in OPS.items() if isinstance(o.impl, np.ufunc) and o.impl.nin == 1)
BINARY = sorted(n for n, o in OPS.items()
                if isinstance(o.impl, np.ufunc) and o.impl.nin == 2 and n != "matmul")
FAST = settings(max_examples=150, deadline=None, database=None)


@FAST
@given(st.sampled_from(UNARY), dtypes, shapes, st.booleans())
def test_unary_ufunc(op, dt, shape, as_scalar):
    x = dt.type(1) if as_scalar else value(shape, dt)
    check(op, N(x))


@FAST
@given(st.sampled_from(BINARY), dtypes, dtypes, hnp.mutually_broadcastable_shapes(num_shapes=2))
def test_binary_ufunc_broadcasting(op, d1, d2, bshapes):
    a, b = bshapes.input_shapes
    check(op, N(value(a, d1)), N(value(b, d2)))


@FAST
@given(st.sampled_from(BINARY), dtypes, shapes, shapes)
def test_binary_ufunc_any_shapes(op, d1, a, b):
    """Independent shapes: mostly broadcast errors, which must be NumPy's own."""
    check(op, N(value(a, d1)), N(value(b, d1)))


@FAST
@given(st.sampled_from(BINARY), st.sampled_from([np.dtype(t) for t in
       ("bool", "int8", "uint8", "int32", "int64", "float16", "float32", "float64", "complex64",
        "complex128")]), shapes, weak_scalars, st.booleans())
def test_binary_ufunc_weak_python_scalar(op, dt, shape, scalar, scalar_first):
    x = N(value(shape, dt))
    args = (scalar, x) if scalar_first else (x, scalar)
    check(op, *args)


@FAST
@given(st.sampled_from(["add", "subtract", "multiply", "divide", "power", "maximum", "less",
                        "logical_and", "arctan2", "floor_divide"]),
       dtypes, dtypes, shapes, st.sampled_from(["same_kind", "unsafe", "safe", "no", "equiv"]),
       st.sampled_from([None, "float32", "float64", "int64", "complex128"]), st.booleans(),
       st.booleans())
def test_ufunc_kwargs(op, d1, d2, shape, casting, dtype, use_out, use_where):
    kwargs = {"casting": casting}
    if dtype:
        kwargs["dtype"] = np.dtype(dtype)
    if use_out:
        kwargs["out"] = N(value(shape, d2))
    if use_where:
        kwargs["where"] = N(value(shape[1:], "bool"))
    check(op, N(value(shape, d1)), 2, **kwargs)


@FAST
@given(st.sampled_from(["add", "multiply", "maximum", "subtract", "logical_or", "greater"]),
       dtypes, shapes, shapes)
def test_ufunc_outer(op, dt, a, b):
    check(f"{op}.outer", N(value(a, dt)), N(value(b, dt)))


@FAST
@given(st.sampled_from(["add", "multiply", "maximum", "minimum", "logical_and", "subtract"]),
       dtypes, shapes, st.sampled_from([None, 0, 1, -1, 3, (0, 1), ()]), st.booleans())
def test_ufunc_reduce_accumulate(op, dt, shape, axis, keepdims):
    x = N(value(shape, dt))
    check(f"{op}.reduce", x, axis=axis, keepdims=keepdims)
    if isinstance(axis, int):
        check(f"{op}.accumulate", x, axis=axis)
    check(f"{op}.reduce", x)


@FAST
@given(dtypes, dtypes, dtypes, hnp.mutually_broadcastable_shapes(num_shapes=3),
       st.sampled_from([None, 0, 2.5, 1j, True]))
def test_where_three_arg(d1, d2, d3, bshapes, const):
    c, x, y = bshapes.input_shapes
    check("where", N(value(c, "bool")), N(value(x, d2)), const if const is not None
          else N(value(y, d3)))


@FAST
@given(shapes)
def test_where_one_arg_is_data_dependent(shape):
    check("where", N(value(shape, "bool")), data_dependent=True)


@FAST
@given(dtypes, shapes, st.sampled_from([None, 0, 1.5, -2]), st.sampled_from([None, 3, 2.5]),
       st.booleans())
def test_clip(dt, shape, lo, hi, traced_bound):
    lo = N(value(shape[-1:], dt)) if traced_bound else lo
    check("clip", N(value(shape, dt)), lo, hi)


SAME = ["astype", "copy", "real", "imag", "conj", "abs", "round", "around", "nan_to_num",
        "isnan", "isinf", "isfinite", "absolute", "conjugate"]


@FAST
@given(st.sampled_from(SAME), dtypes, shapes, st.booleans())
def test_same_shape_ops(op, dt, shape, as_scalar):
    x = N(dt.type(1) if as_scalar else value(shape, dt))
    if op == "astype":
        check(op, x, np.float32)
        check(op, x, "int8", casting="safe")
    elif op in ("round", "around"):
        check(op, x, 2)
    else:
        check(op, x)


CONSTRUCTORS = ["bool_", "int32", "int64", "float32", "float64", "complex128", "uint8", "float16"]


@FAST
@given(st.sampled_from(CONSTRUCTORS), dtypes, shapes, st.sampled_from(["array", "scalar", "0d",
                                                                      "python", "list"]))
def test_scalar_type_constructors(op, dt, shape, kind):
    arg = {"array": lambda: N(value(shape, dt)), "scalar": lambda: N(dt.type(1)),
           "0d": lambda: N(value((), dt)), "python": lambda: 3, "list": lambda: [1, 2.5]}[kind]()
    check(op, arg)


def test_every_ufunc_with_one_output_is_registered():
    ufuncs = {u.__name__ for u in vars(np).values()
              if isinstance(u, np.ufunc) and u.nout == 1 and u.signature is None}
    assert ufuncs <= set(OPS)
    assert all(OPS[n].family is Family.ELEMENTWISE for n in ufuncs)
    assert {"add.outer", "add.reduce", "add.accumulate", "matmul"} <= set(OPS)


@pytest.mark.parametrize("op", UNARY + BINARY)
def test_each_ufunc_on_float64_and_bool(op):
    nin = OPS[op].impl.nin
    for dt in ("float64", "bool", "int64"):
        check(op, *[N(value((2, 3), dt))] * nin)
