"""Error parity: GraphBuilder.add raises NumPy's exception type and message."""
import numpy as np
import pytest

from framejit.graph.builder import GraphBuilder
from framejit.graph.ir import Meta
from graph_oracle import N, check, graph_outcome, numpy_outcome, value

CASES = [
    ("add", (N(value((3,), "f8")), N(value((4,), "f8"))), {}, ValueError),
    ("add", (N(value((3,), "i8")), 1.5), {"out": N(value((3,), "i8"))}, TypeError),
    ("add", (N(value((3,), "i1")), 300), {}, OverflowError),
    ("add", (N(value((2, 3), "f8")), 1), {"out": N(value((3,), "f8"))}, ValueError),
    ("sum", (N(value((3,), "f8")),), {"axis": 1}, np.exceptions.AxisError),
    ("reshape", (N(value((4, 6), "f8")), (5, -1)), {}, ValueError),
    ("getitem", (N(value((5,), "f8")), 7), {}, IndexError),
    ("getitem", (N(value((5,), "f8")), (0, 0)), {}, IndexError),
    ("getitem", (N(value((5,), "f8")), [0, 9]), {}, IndexError),
    ("getitem", (N(value((5,), "f8")), 1.5), {}, IndexError),
    ("matmul", (N(value((2, 3), "f8")), N(value((4, 5), "f8"))), {}, ValueError),
    ("dot", (N(value((2, 3), "f8")), N(value((4,), "f8"))), {}, ValueError),
    ("concatenate", ([N(value((2, 3), "f8")), N(value((2, 4), "f8"))],), {}, ValueError),
    ("max", (N(value((0,), "f8")),), {}, ValueError),
    ("power", (N(value((3,), "i8")), -1), {}, ValueError),
    ("broadcast_to", (N(value((3,), "f8")), (4,)), {}, ValueError),
    ("setitem", (N(value((3,), "f8")), slice(None), N(value((4,), "f8"))), {}, ValueError),
    ("setitem", (N(value((3,), "i1")), 0, 300), {}, OverflowError),
    ("zeros", ((-1,),), {}, ValueError),
    ("einsum", ("ij,jk->ik", N(value((2, 3), "f8")), N(value((4, 5), "f8"))), {}, ValueError),
    ("tensordot", (N(value((2, 3), "f8")), N(value((4, 5), "f8")), 1), {}, ValueError),
    ("transpose", (N(value((2, 3), "f8")), (0, 0)), {}, ValueError),
    ("squeeze", (N(value((2, 3), "f8")), 0), {}, ValueError),
]


@pytest.mark.parametrize("op,args,kwargs,exc", CASES, ids=[c[0] for c in CASES])
def test_same_exception_as_numpy(op, args, kwargs, exc):
    got = check(op, *args, **kwargs)
    assert got[0] == "err" and issubclass(got[1], exc), got


def test_casting_error_is_ufunc_type_error():
    got = graph_outcome("add", (N(value((3,), "i8")), 1.5), {"out": N(value((3,), "i8"))})
    assert issubclass(got[1], np._core._exceptions.UFuncTypeError)
    assert got[2] == ("Cannot cast ufunc 'add' output from dtype('float64') to dtype('int64') "
                      "with casting rule 'same_kind'")


def test_builder_raises_and_adds_nothing():
    b = GraphBuilder()
    x = b.add_input(Meta((3,), np.dtype("f8")), "x")
    with pytest.raises(ValueError, match="could not be broadcast together with shapes"):
        b.add("add", (x, np.ones(4)))
    assert b.nodes == []


def test_unknown_op():
    b = GraphBuilder()
    with pytest.raises(KeyError, match="unknown op"):
        b.add("no_such_op", ())


def test_meta_rules_do_not_touch_full_size_data():
    """A 10^9-element input would need 8 GB; building on it must be instant and free."""
    import tracemalloc
    b = GraphBuilder()
    x = b.add_input(Meta((1000, 1000, 1000), np.dtype("f8")), "x")
    tracemalloc.start()
    for op, args, kwargs in [("sin", (x,), {}), ("sum", (x,), {"axis": 1}),
                             ("reshape", (x, (-1,)), {}), ("getitem", (x, [0, 1]), {}),
                             ("concatenate", ([x, x],), {}), ("matmul", (x, x), {}),
                             ("cumsum", (x,), {}), ("transpose", (x,), {}),
                             ("getitem", (x, (slice(None, None, -1), 0)), {}),
                             ("where", (x, x, 0.0), {}), ("ravel", (x,), {}),
                             ("zeros", ((10**9,),), {}), ("arange", (10**9,), {})]:
        b.add(op, args, kwargs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10**7, peak


def test_value_errors_raised_in_loops_are_not_replayed_on_full_size():
    """np.power(int, -1) fails inside the loop: replaying on 10^9 elements would allocate."""
    import tracemalloc
    b = GraphBuilder()
    x = b.add_input(Meta((1000, 1000, 1000), np.dtype("i8")), "x")
    tracemalloc.start()
    with pytest.raises(ValueError, match="Integers to negative integer powers"):
        b.add("power", (x, -1))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10**7, peak
