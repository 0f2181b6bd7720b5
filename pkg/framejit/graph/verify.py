"""verify(graph): structural and meta checks on a Graph; raises AssertionError.

Checked: every op is in the registry; args/kwargs refer only to inputs or earlier nodes
of this graph; names are unique; every meta is a Meta; re-running each op's meta rule on
its (Meta-substituted) arguments reproduces the stored meta exactly; outputs are nodes
of the graph. Runs in tests and debug mode, never on the hot path.
"""
from __future__ import annotations

from .builder import meta_args
from .ir import Graph, Meta, Node, iter_node_args
from .ops import OPS


def _check(cond, message):
    if not cond:
        raise AssertionError(message)


def verify(graph: Graph) -> None:
    seen: set = set()
    names: set = set()

    def define(node):
        _check(isinstance(node, Node), f"not a Node: {node!r}")
        _check(node.name not in names, f"duplicate node name {node.name!r}")
        _check(isinstance(node.meta, Meta), f"{node.name}: meta is {type(node.meta).__name__}")
        names.add(node.name)
        seen.add(id(node))

    for node in graph.inputs:
        _check(isinstance(node, Node) and node.op == "input", f"input {node!r} is not an input node")
        define(node)
    for node in graph.nodes:
        _check(isinstance(node, Node), f"not a Node: {node!r}")
        _check(node.op in OPS, f"{node.name}: unknown op {node.op!r}")
        for arg in iter_node_args((node.args, node.kwargs)):
            _check(id(arg) in seen,
                   f"{node.name}: argument {arg.name} is not an input or an earlier node")
        define(node)
        args, kwargs = meta_args(node)
        fresh = OPS[node.op].meta(args, kwargs)
        _check(fresh == node.meta, f"{node.name}: stored meta {node.meta} != rule's {fresh}")
    for out in graph.outputs:
        _check(isinstance(out, Node) and id(out) in seen, f"output {out!r} is not a node of the graph")
