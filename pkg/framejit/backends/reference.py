"""The eager backend and the test oracle: every op runs as NumPy itself.

``REFERENCE`` maps each op name to its NumPy implementation (``OPS[op].impl``): the
reference semantics that other backends are tested against. ``eager(graph, inputs)``
lowers the graph once, at backend-build time, to a flat instruction list (output slot,
impl, argument template) and turns that list into one straight-line Python function, so
a call costs one Python frame plus the NumPy calls themselves: no per-node dispatch,
dict lookups or argument rebuilding. Results are bit-identical to NumPy because the same
NumPy callables run in program order on the caller's arrays (setitem mutates them in
place, as the user's code would). Never imports the compiled extension.
"""
from __future__ import annotations

from framejit.graph.ir import Graph, Node, iter_node_args
from framejit.graph.ops import OPS

REFERENCE = {name: op.impl for name, op in OPS.items()}


class _Emitter:
    """Names values for the generated function: locals for nodes, cells for the rest."""

    def __init__(self):
        self.cells: dict = {}
        self.local: dict = {}

    def cell(self, value, prefix) -> str:
        name = f"{prefix}{len(self.cells)}"
        self.cells[name] = value
        return name

    def expr(self, value) -> str:
        if isinstance(value, Node):
            return self.local[id(value)]
        if not any(True for _ in iter_node_args(value)):
            return self.cell(value, "c")  # constants are bound once, never rebuilt
        return _BUILD[type(value)](self, value)


_BUILD = {
    tuple: lambda e, v: "(" + "".join(e.expr(x) + ", " for x in v) + ")",
    list: lambda e, v: "[" + ", ".join(e.expr(x) for x in v) + "]",
    dict: lambda e, v: "{" + ", ".join(f"{k!r}: {e.expr(x)}" for k, x in v.items()) + "}",
    slice: lambda e, v: f"{e.cell(slice, 'c')}({e.expr(v.start)}, {e.expr(v.stop)}, {e.expr(v.step)})",
}


def instructions(graph: Graph) -> list:
    """The flat program: (node, impl) in program order."""
    return [(node, OPS[node.op].impl) for node in graph.nodes]


def _source(graph: Graph, em: _Emitter) -> str:
    params = []
    for i, node in enumerate(graph.inputs):
        em.local[id(node)] = f"i{i}"
        params.append(f"i{i}")
    body = []
    for k, (node, impl) in enumerate(instructions(graph)):
        fn = em.cell(impl, "f")
        args = [em.expr(a) for a in node.args]
        args += [f"{key}={em.expr(v)}" for key, v in node.kwargs.items()]
        em.local[id(node)] = f"n{k}"
        body.append(f"n{k} = {fn}({', '.join(args)})")
    outs = "".join(em.expr(o) + ", " for o in graph.outputs)
    body.append(f"return [{outs}]")
    inner = "\n".join("        " + line for line in body)
    cells = ", ".join(em.cells)
    return (f"def _make({cells}):\n"
            f"    def run({', '.join(params)}):\n{inner}\n"
            f"    return run\n")


def eager(graph: Graph, example_inputs=None):
    """Backend: ``callable(*inputs) -> list`` of output values, one per graph output."""
    em = _Emitter()
    src = _source(graph, em)
    namespace: dict = {}
    exec(compile(src, "<framejit.eager>", "exec"), namespace)
    run = namespace["_make"](**em.cells)
    run.__framejit_source__ = src
    return run
