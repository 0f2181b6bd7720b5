"""The graph IR: a flat list of NumPy-named op nodes with exact shape/dtype meta."""
from .ir import Graph, Node, Meta, Loc

__all__ = ["Graph", "Node", "Meta", "Loc"]
