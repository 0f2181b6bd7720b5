"""Meta == NumPy for shape ops (views and copies), including their errors."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from graph_oracle import N, check, dtypes, shapes, value

FAST = settings(max_examples=200, deadline=None, database=None)
small_ints = st.integers(-4, 4)


@FAST
@given(dtypes, shapes, st.lists(st.integers(-1, 6), max_size=4), st.sampled_from(["C", "F", "A"]))
def test_reshape(dt, shape, newshape, order):
    check("reshape", N(value(shape, dt)), tuple(newshape), order=order)
    check("reshape", N(value(shape, dt)), -1)


@FAST
@given(dtypes, shapes, st.permutations([0, 1, 2]), st.booleans())
def test_transpose(dt, shape, perm, with_axes):
    x = N(value(shape, dt))
    check("transpose", x, tuple(perm[:len(shape)]) if with_axes else None)
    check("transpose", x, tuple(perm))


@FAST
@given(st.sampled_from(["flip", "squeeze", "expand_dims"]), dtypes, shapes,
       st.sampled_from([None, 0, 1, -1, 3, (0, 1), (0, 0), ()]))
def test_axis_shape_ops(op, dt, shape, axis):
    if op == "expand_dims" and axis is None:
        axis = 0
    check(op, N(value(shape, dt)), axis)


@FAST
@given(dtypes, shapes, shapes)
def test_broadcast_to(dt, shape, target):
    check("broadcast_to", N(value(shape, dt)), target)


@FAST
@given(st.sampled_from(["swapaxes", "moveaxis"]), dtypes, shapes, small_ints, small_ints)
def test_swap_move(op, dt, shape, a, b):
    check(op, N(value(shape, dt)), a, b)


@FAST
@given(dtypes, shapes, small_ints, small_ints, small_ints)
def test_diagonal_trace(dt, shape, offset, a1, a2):
    check("diagonal", N(value(shape, dt)), offset, a1, a2)
    check("trace", N(value(shape, dt)), offset, a1, a2)


@FAST
@given(st.sampled_from(["concatenate", "stack", "hstack", "vstack"]), dtypes, dtypes,
       st.lists(shapes, min_size=0, max_size=3), st.sampled_from([0, 1, -1, 2, None]),
       st.booleans())
def test_joins(op, d1, d2, shape_list, axis, same):
    if same and shape_list:
        shape_list = [shape_list[0]] * len(shape_list)
    arrays = [N(value(s, d1 if i % 2 else d2)) for i, s in enumerate(shape_list)]
    if op in ("concatenate", "stack"):
        check(op, arrays, axis=axis if axis is not None or op == "concatenate" else 0)
    else:
        check(op, tuple(arrays))


@FAST
@given(dtypes, shapes, st.sampled_from([None, 0, 1, -1]),
       st.sampled_from([0, 1, 3, [1, 2], [0, 1, 2], [2], -1]))
def test_repeat(dt, shape, axis, repeats):
    check("repeat", N(value(shape, dt)), repeats, axis)


def test_repeat_traced_counts_is_data_dependent():
    check("repeat", N(value((3,), "float64")), N(value((3,), "int64")), data_dependent=True)


@FAST
@given(dtypes, shapes, st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), max_size=4)))
def test_tile(dt, shape, reps):
    check("tile", N(value(shape, dt)), reps if isinstance(reps, int) else tuple(reps))


@FAST
@given(dtypes, shapes, st.sampled_from([0, 1, -3, 7, (1, 2), (1, -1)]),
       st.sampled_from([None, 0, 1, -1, 3, (0, 1), (0, 0), (1,)]))
def test_roll(dt, shape, shift, axis):
    check("roll", N(value(shape, dt)), shift, axis)
    check("roll", N(value(shape, dt)), shift, axis=axis)


@FAST
@given(st.sampled_from(["triu", "tril", "ravel"]), dtypes, shapes, small_ints)
def test_tri_ravel(op, dt, shape, k):
    if op == "ravel":
        check(op, N(value(shape, dt)))
    else:
        check(op, N(value(shape, dt)), k)
