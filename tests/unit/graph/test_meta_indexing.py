"""Meta == NumPy for getitem / setitem: basic indices (ints, slices with negative steps,
None, Ellipsis), advanced integer arrays and lists, constant and traced boolean masks."""
import numpy as np
from hypothesis import assume, given, settings, strategies as st

from framejit.graph.ir import DynDim, Meta
from graph_oracle import N, check, dtypes, graph_outcome, shapes, value

FAST = settings(max_examples=400, deadline=None, database=None)

slices = st.builds(slice, st.one_of(st.none(), st.integers(-5, 5)),
                   st.one_of(st.none(), st.integers(-5, 5)),
                   st.one_of(st.none(), st.integers(-3, 3).filter(bool)))
basic_items = st.one_of(st.integers(-5, 5), slices, st.none(), st.just(Ellipsis))
int_arrays = st.one_of(
    st.lists(st.integers(-4, 4), max_size=3),
    st.lists(st.integers(-3, 3), min_size=1, max_size=4).map(lambda v: np.array(v)),
    st.lists(st.integers(-3, 3), min_size=2, max_size=2).map(lambda v: np.array([v, v])),
    st.sampled_from(["traced", "traced2d", "traced0d"]),
)


def _traced(item):
    return {"traced": N(np.zeros(3, np.int64)), "traced2d": N(np.zeros((2, 1), np.intp)),
            "traced0d": N(np.int64(0))}.get(item, item) if isinstance(item, str) else item


@FAST
@given(dtypes, shapes, st.lists(basic_items, max_size=4), st.booleans())
def test_basic_getitem(dt, shape, items, as_tuple):
    idx = tuple(items) if as_tuple or len(items) != 1 else items[0]
    check("getitem", N(value(shape, dt)), idx)


@FAST
@given(dtypes, shapes, st.lists(st.one_of(basic_items, int_arrays), min_size=1, max_size=4))
def test_advanced_getitem(dt, shape, items):
    # a traced index into an empty axis fails at run time, with a value known only then
    assume(not (0 in shape and any(isinstance(i, str) for i in items)))
    check("getitem", N(value(shape, dt)), tuple(_traced(i) for i in items))


@FAST
@given(dtypes, shapes, st.integers(0, 2), st.data())
def test_constant_bool_mask(dt, shape, k, data):
    mask_shape = shape[:k] if data.draw(st.booleans()) else tuple(d + 1 for d in shape[:k])
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=int(np.prod(mask_shape)),
                                       max_size=int(np.prod(mask_shape))))).reshape(mask_shape)
    check("getitem", N(value(shape, dt)), mask)
    check("getitem", N(value(shape, dt)), (Ellipsis, mask) if k == 1 else mask)


@FAST
@given(dtypes, shapes)
def test_traced_bool_mask_selects_a_run_time_size(dt, shape):
    # the length is the mask's count: a DynDim named after the mask node (test_meta_dyn.py)
    got = graph_outcome("getitem", (N(value(shape, dt)), N(value(shape, "bool"))), {})
    if not shape:
        assert got == ("data-dependent",)  # a 0-d mask adds an axis of length 0 or 1
    elif 0 in shape:
        assert got == ("ok", Meta((0,), dt, False))  # an empty mask selects nothing
    else:
        assert got[0] == "ok" and got[1].shape == (DynDim("v1"),) and got[1].dtype == dt


@FAST
@given(dtypes, shapes, st.lists(st.one_of(basic_items, int_arrays), max_size=3),
       st.sampled_from([0, 1.5, 300, 2j, "row", "col", "same", "traced0d"]))
def test_setitem(dt, shape, items, val):
    assume(not (0 in shape and any(isinstance(i, str) for i in items)))
    x = value(shape, dt)
    idx = tuple(_traced(i) for i in items)
    try:
        target = x[tuple(i if not isinstance(i, N) else i.value for i in idx)].shape
    except Exception:
        target = (2,)
    val = {"row": lambda: N(value(target[-1:], "float64")),
           "col": lambda: N(value((3,), "int32")),
           "same": lambda: N(value((1,) + target, "float32")),
           "traced0d": lambda: N(np.float64(1))}.get(val, lambda: val)()
    check("setitem", N(x), idx, val)


def test_setitem_bool_mask_value_forms():
    check("setitem", N(value((4, 3), "float64")), N(value((4,), "bool")), 0.0)
    check("setitem", N(value((4, 3), "float64")), N(value((4, 3), "bool")), N(np.float64(1)))


def test_scalar_indexing_results():
    check("getitem", N(value((4,), "float32")), 0)
    check("getitem", N(value((4,), "float32")), slice(0, 1))
    check("getitem", N(value((4, 2), "int32")), (1, -1))
    check("getitem", N(np.float64(1)), ())
    check("getitem", N(value((), "int64")), ())
