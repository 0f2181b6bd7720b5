"""The eager backend: bit-identical to NumPy, in-place mutation, call overhead."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from framejit.backends import eager
from framejit.backends.reference import REFERENCE
from framejit.graph.builder import GraphBuilder
from framejit.graph.ir import Meta
from framejit.graph.ops import OPS
from framejit.graph.verify import verify

FAST = settings(max_examples=100, deadline=None, database=None)


def _meta(a):
    return Meta(a.shape, a.dtype, isinstance(a, np.generic))


def _same_bits(a, b):
    assert type(a) is type(b)
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def test_reference_table_is_the_registry():
    assert REFERENCE == {name: op.impl for name, op in OPS.items()}


UNARY = ["sin", "exp", "sqrt", "negative", "absolute", "tanh", "log1p", "square", "floor"]
BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "arctan2", "less"]
floats = hnp.arrays(st.sampled_from([np.float32, np.float64]),
                    hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
                    elements=st.floats(-10, 10, width=32))


@FAST
@given(floats, st.lists(st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 10),
                                  st.sampled_from([2, 0.5, -1.5, "x"])), min_size=1, max_size=6),
       st.sampled_from([None, 0, -1]))
def test_random_chains_bit_identical(x, steps, axis):
    b = GraphBuilder()
    xin = b.add_input(_meta(x), "x")
    nodes, values = [xin], [x]
    with np.errstate(all="ignore"):
        for op, pick, other in steps:
            arg, val = nodes[pick % len(nodes)], values[pick % len(values)]
            o_node, o_val = (xin, x) if other == "x" else (other, other)
            node_args, val_args = ((arg, o_node), (val, o_val)) if op in BINARY else ((arg,), (val,))
            try:
                result = OPS[op].impl(*val_args)
            except TypeError as exc:  # e.g. negative of a bool array: the builder agrees
                with pytest.raises(type(exc)):
                    b.add(op, node_args)
                continue
            nodes.append(b.add(op, node_args))
            values.append(result)
        nodes.append(b.add("sum", (nodes[-1],), {"axis": axis}))
        values.append(np.sum(values[-1], axis=axis))
        graph = b.build(nodes[1:])
        verify(graph)
        got = eager(graph, [x])(x)
    assert len(got) == len(values) - 1
    for g, v in zip(got, values[1:]):
        _same_bits(g, v)


def test_mixed_graph_and_in_place_mutation():
    x = np.arange(12.0).reshape(3, 4)
    y = np.linspace(0, 1, 4, dtype=np.float32)
    b = GraphBuilder()
    xi, yi = b.add_input(_meta(x), "x"), b.add_input(_meta(y), "y")
    s = b.add("getitem", (xi, (slice(None, None, -1), [0, 2])))
    m = b.add("matmul", (xi, yi))
    c = b.add("concatenate", ([m, b.add("cumsum", (yi,))],))
    w = b.add("where", (b.add("greater", (xi, 5)), xi, 0.5))
    st_ = b.add("setitem", (xi, (0, slice(1, 3)), b.add("getitem", (yi, slice(0, 2)))))
    r = b.add("reshape", (st_, (2, -1)))
    graph = b.build([s, m, c, w, st_, r, yi])
    verify(graph)
    x_np = x.copy()
    expect = [x_np[::-1, [0, 2]], x_np @ y, np.concatenate([x_np @ y, np.cumsum(y)]),
              np.where(x_np > 5, x_np, 0.5)]
    x_np[0, 1:3] = y[:2]
    expect += [x_np, x_np.reshape(2, -1), y]
    run = eager(graph, [x, y])
    out = run(x, y)
    for g, e in zip(out, expect):
        _same_bits(g, e)
    assert out[4] is x and out[6] is y  # mutated in place; inputs returned as themselves
    _same_bits(x, x_np)


def test_outputs_follow_graph_outputs_and_constants_are_not_rebuilt():
    b = GraphBuilder()
    xi = b.add_input(Meta((3,), np.dtype("int64")), "x")
    idx = b.add("getitem", (xi, (slice(None), None)))
    graph = b.build([idx, xi, idx])
    run = eager(graph, None)
    x = np.arange(3)
    out = run(x)
    assert out[0].shape == (3, 1) and out[1] is x and out[2] is out[0]
    assert "slice" not in run.__framejit_source__.split("def run")[1]


def test_generated_run_is_one_call_per_op():
    """3-node graph on 0-d data: the backend adds ~one Python call over raw NumPy — the
    generated ``run`` calls each op once and does nothing else (timings: bench/)."""
    x = np.float64(0.5)
    b = GraphBuilder()
    xi = b.add_input(_meta(x), "x")
    r = b.add("add", (b.add("multiply", (b.add("sin", (xi,)), 2.0)), xi))
    run = eager(b.build([r]), [x])
    body = run.__framejit_source__.split("def run")[1].split("return run")[0].splitlines()[1:]
    statements = [line.strip() for line in body if line.strip()]
    assert len(statements) == 4, statements          # three op calls and the return
    assert all("(" in s for s in statements[:3]) and statements[3].startswith("return")
    assert run(x) == np.add(np.multiply(np.sin(x), 2.0), x)
