"""GraphBuilder: the one way to make a Graph (the tracer's only entry into the IR).

``add`` computes each node's Meta with the op's meta rule at the moment the node is
added, so an invalid program fails here with the exception NumPy itself would raise
(same type, same message) at the same program point. Nodes are named v0, v1, ... in
program order; inputs take the caller's names (argument names) when given, and no name
is ever reused inside one graph. Rules see a boolean array node as a ``dyn.MaskMeta``
carrying the node's name: the name of the run-time size of a selection by that mask.
"""
from __future__ import annotations

from .dyn import MaskMeta
from .ir import Graph, Loc, Meta, Node
from .ops import OPS


def _node_meta(node: Node) -> Meta:
    m = node.meta
    if m.dtype.kind == "b" and m.shape and not m.scalar:
        return MaskMeta(m.shape, m.dtype, False, node.name)
    return m


_MAP = {
    tuple: lambda v: tuple(_metas(x) for x in v),
    list: lambda v: [_metas(x) for x in v],
    dict: lambda v: {k: _metas(x) for k, x in v.items()},
    slice: lambda v: slice(_metas(v.start), _metas(v.stop), _metas(v.step)),
    Node: _node_meta,
}


def _metas(value):
    """Replace every Node inside an argument value by its Meta (constants stay)."""
    convert = _MAP.get(type(value))
    return convert(value) if convert else value


class GraphBuilder:
    def __init__(self):
        self.inputs: list = []
        self.nodes: list = []
        self._names: set = set()
        self._counter = 0

    def _fresh(self, wanted=None) -> str:
        if wanted is not None and wanted not in self._names:
            self._names.add(wanted)
            return wanted
        while f"v{self._counter}" in self._names:
            self._counter += 1
        name = f"v{self._counter}"
        self._names.add(name)
        return name

    def add_input(self, meta: Meta, name: str | None = None) -> Node:
        if not isinstance(meta, Meta):
            raise TypeError(f"add_input expects a Meta, got {type(meta).__name__}")
        node = Node("input", (), {}, meta, None, self._fresh(name))
        self.inputs.append(node)
        return node

    def add(self, op: str, args=(), kwargs=None, loc: Loc | None = None) -> Node:
        opdef = OPS.get(op)
        if opdef is None:
            raise KeyError(f"unknown op {op!r}: not in the op registry (graph/ops.py)")
        args, kwargs = tuple(args), dict(kwargs or {})
        meta = opdef.meta(_metas(args), _metas(kwargs))
        node = Node(op, args, kwargs, meta, loc, self._fresh())
        self.nodes.append(node)
        return node

    def build(self, outputs) -> Graph:
        return Graph(list(self.inputs), list(self.nodes), list(outputs))


def meta_args(node: Node):
    """(args, kwargs) of a node with Metas in place of nodes: what its meta rule saw."""
    return _metas(node.args), _metas(node.kwargs)


__all__ = ["GraphBuilder", "meta_args"]
