"""str(graph) (printer) and verify(graph)."""
import sys

import numpy as np
import pytest

from framejit.graph.builder import GraphBuilder
from framejit.graph.ir import Graph, Loc, Meta, Node
from framejit.graph.printer import format_graph
from framejit.graph.verify import verify

F8 = np.dtype("float64")


def _graph():
    b = GraphBuilder()
    x = b.add_input(Meta((8,), F8), "x")
    y = b.add_input(Meta((8,), F8), "y")
    loc = Loc(__file__, sys._getframe().f_lineno, "_graph")  # shows up in the printout
    s = b.add("sin", (x,), loc=loc)
    m = b.add("multiply", (s, 2))
    g = b.add("getitem", (m, (slice(1, None, -1), None, Ellipsis)))
    t = b.add("sum", (y,), {"axis": 0})
    c = b.add("astype", (t, np.float32))
    o = b.add("add.outer", (x, y))
    n = b.add("linalg.norm", (o,))
    w = b.add("setitem", (y, slice(0, 2), 0.0))
    return b.build([g, c, n, w])


def test_printer_lines():
    text = str(_graph())
    lines = text.splitlines()
    assert lines[0] == "def graph(x: float64[8], y: float64[8]):"
    assert lines[1].startswith("    v0 = np.sin(x)  # float64[8]  test_printer_verify.py:")
    assert lines[1].endswith('loc = Loc(__file__, sys._getframe().f_lineno, "_graph")  '
                             '# shows up in the printout')
    assert lines[2] == "    v1 = np.multiply(v0, 2)  # float64[8]"
    assert lines[3] == "    v2 = v1[1::-1, None, ...]  # float64[2, 1]"
    assert lines[4] == "    v3 = np.sum(y, axis=0)  # float64"
    assert lines[5] == "    v4 = v3.astype(np.float32)  # float32"
    assert lines[6] == "    v5 = np.add.outer(x, y)  # float64[8, 8]"
    assert lines[7] == "    v6 = np.linalg.norm(v5)  # float64"
    assert lines[8] == "    y[0:2] = 0.0; v7 = y  # float64[8]"
    assert lines[9] == "    return v2, v4, v6, v7"
    assert format_graph(_graph()) == text


def test_node_names_and_input_names():
    b = GraphBuilder()
    a = b.add_input(Meta((2,), F8), "v1")  # a caller's name that looks like ours
    anon = b.add_input(Meta((2,), F8))
    n0 = b.add("negative", (a,))
    n1 = b.add("negative", (n0,))
    names = [a.name, anon.name, n0.name, n1.name]
    assert len(set(names)) == 4 and names[0] == "v1" and names[1] == "v0"


def test_verify_accepts_built_graphs():
    verify(_graph())


def _broken(kind):
    g = _graph()
    n = g.nodes
    foreign = Node("input", (), {}, Meta((8,), F8), None, "z")
    breakers = {
        "unknown op": lambda: n.__setitem__(0, n[0].replace(op="nope")),
        "later node": lambda: n.__setitem__(1, n[1].replace(args=(n[3], 2))),
        "foreign": lambda: n.__setitem__(1, n[1].replace(args=(foreign, 2))),
        "dup name": lambda: n.__setitem__(1, n[1].replace(name="v0")),
        "meta type": lambda: n.__setitem__(1, n[1].replace(meta=(8,))),
        "wrong meta": lambda: n.__setitem__(1, n[1].replace(meta=Meta((8,), np.dtype("f4")))),
        "bad output": lambda: g.outputs.append(foreign),
    }
    breakers[kind]()
    return g


@pytest.mark.parametrize("kind", ["unknown op", "later node", "foreign", "dup name",
                                  "meta type", "wrong meta", "bad output"])
def test_verify_rejects(kind):
    with pytest.raises(AssertionError):
        verify(_broken(kind))
