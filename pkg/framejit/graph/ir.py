"""Graph and Node: the small, flat IR that tracer and backends share.

A ``Graph`` holds input nodes, op nodes in program order, and outputs (a flat list of
nodes; the tracer keeps the Python structure around them). A ``Node`` names an op of the
registry (``graph/ops.py``) with NumPy's own name and argument order; its ``args`` and
``kwargs`` hold nodes or Python constants (tuples, slices, dtypes, ...). ``meta`` is the
shape/dtype (and whether NumPy returns a scalar rather than an array) computed when the
node is added, exactly as NumPy would produce it. ``loc`` is the user source location.

A shape entry is an ``int`` or a ``DynDim``: a size known only at run time. A ``DynDim``
is the number of True elements of one boolean mask node (``x[mask]``), named by that
node, so every selection through the same mask has the same symbolic length and
``x[m] - y[m]`` broadcasts statically. Ops that keep dims (elementwise, reductions,
astype, where, ...) propagate it; asking for a concrete size (``Meta.size``,
``Meta.concrete()``, a reshape to it) raises ``DataDependentShape`` (``graph/dyn.py``).

Invariants: nodes only refer to inputs or to earlier nodes; names are unique in a graph.
The IR owns no tracing state.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class DataDependentShape(Exception):
    """The op's result shape depends on array values in a way the graph cannot express,
    or a concrete size was asked of a ``DynDim`` (the tracer breaks the graph there)."""


@dataclass(frozen=True, slots=True)
class DynDim:
    """A dimension whose size is known only at run time: the number of True elements of
    the boolean mask node named ``key`` (graph-local; equal keys mean equal sizes)."""
    key: str

    def __repr__(self):
        return f"nnz({self.key})"


@dataclass(frozen=True, slots=True)
class Meta:
    """What NumPy would return: shape, dtype, and ``scalar`` for NumPy scalars (np.float64)."""
    shape: tuple
    dtype: np.dtype
    scalar: bool = False

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def dynamic(self) -> bool:
        """Some dimension is a ``DynDim`` (known only at run time)."""
        return any(type(d) is DynDim for d in self.shape)

    def concrete(self) -> tuple:
        """The shape as ints; ``DataDependentShape`` when a dimension is a ``DynDim``."""
        if self.dynamic:
            raise DataDependentShape(f"the shape of an {self} is known only at run time "
                                     "(it comes from a boolean-mask selection)")
        return self.shape

    @property
    def size(self):
        n = 1
        for d in self.concrete():
            n *= d
        return n

    def __str__(self):
        kind = "scalar" if self.scalar else "array"
        return f"{kind}{list(self.shape)}:{self.dtype}"


@dataclass(frozen=True, slots=True)
class Loc:
    """A user source location: where the traced code created a node."""
    filename: str
    lineno: int
    function: str

    def __str__(self):
        return f"{self.filename}:{self.lineno} in {self.function}"


class Node:
    """One value of the graph: an input (``op == "input"``) or an op application."""
    __slots__ = ("op", "args", "kwargs", "meta", "loc", "name")

    def __init__(self, op: str, args: tuple, kwargs: dict, meta: Meta, loc: Loc | None, name: str):
        self.op = op
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.meta = meta
        self.loc = loc
        self.name = name

    def replace(self, **changes) -> "Node":
        fields = {s: getattr(self, s) for s in self.__slots__}
        fields.update(changes)
        return Node(**fields)

    @property
    def shape(self):
        return self.meta.shape

    @property
    def dtype(self):
        return self.meta.dtype

    def __repr__(self):
        return f"<Node {self.name} = {self.op} {self.meta}>"


def iter_node_args(value):
    """Yield every Node inside a (possibly nested) argument value."""
    if isinstance(value, Node):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from iter_node_args(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from iter_node_args(v)
    elif isinstance(value, slice):
        yield from iter_node_args((value.start, value.stop, value.step))


@dataclass
class Graph:
    """inputs: input nodes in call order; nodes: op nodes in program order; outputs: nodes."""
    inputs: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    outputs: list = field(default_factory=list)

    def users(self) -> dict:
        """Map each node to the list of nodes that use it (outputs not included)."""
        out = {n: [] for n in self.inputs}
        for n in self.nodes:
            out.setdefault(n, [])
            for a in iter_node_args((n.args, n.kwargs)):
                out.setdefault(a, []).append(n)
        return out

    def __str__(self):
        from .printer import format_graph
        return format_graph(self)

    def __len__(self):
        return len(self.nodes)

