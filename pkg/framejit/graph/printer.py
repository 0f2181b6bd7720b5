"""format_graph: a Graph as readable, NumPy-like Python (what ``str(graph)`` shows).

One line per node, ``name = expression  # meta  file:line  source text``, between a
``def graph(inputs):`` header that lists each input's meta and a ``return`` line. Ops
print as NumPy calls (``np.sin(x)``, ``np.add.outer(a, b)``, ``np.linalg.norm(x)``)
except the ndarray protocol ops, which print as the syntax that made them (``x[1:, None]``,
``x.astype(np.float32)``, ``x[0] = v``). Printing is for humans: it is not parsed back.
"""
from __future__ import annotations

import linecache
import os

import numpy as np

from .ir import Graph, Meta, Node

_ARRAY_LIMIT = 8  # constant arrays longer than this print as a placeholder


def format_meta(meta: Meta) -> str:
    """``float64[8, 3]`` for arrays, ``float64[]`` for 0-d arrays, ``float64`` for scalars."""
    if meta.scalar:
        return str(meta.dtype)
    return f"{meta.dtype}[{', '.join(map(str, meta.shape))}]"


def _dtype_name(dt) -> str:
    return f"np.{np.dtype(dt).name}"


def _const(value) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= _ARRAY_LIMIT:
            return f"np.array({value.tolist()!r}, dtype={_dtype_name(value.dtype)})"
        return f"<const {format_meta(Meta(value.shape, value.dtype))}>"
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return _dtype_name(value)
    if isinstance(value, np.generic):
        return f"{_dtype_name(value.dtype)}({value.item()!r})"
    return repr(value)


_FORMAT = {
    Node: lambda v: v.name,
    tuple: lambda v: "(" + ", ".join(map(fmt, v)) + ("," if len(v) == 1 else "") + ")",
    list: lambda v: "[" + ", ".join(map(fmt, v)) + "]",
    slice: lambda v: f"slice({fmt(v.start)}, {fmt(v.stop)}, {fmt(v.step)})",
    type(Ellipsis): lambda v: "...",
}


def fmt(value) -> str:
    """An argument value as source text."""
    return _FORMAT.get(type(value), _const)(value)


def _index_item(item) -> str:
    if isinstance(item, slice):
        parts = ["" if p is None else fmt(p) for p in (item.start, item.stop, item.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if parts[2] else "")
    return fmt(item)


def _index(idx) -> str:
    if isinstance(idx, tuple):
        return ", ".join(map(_index_item, idx)) if idx else "()"
    return _index_item(idx)


def _call_args(args, kwargs) -> str:
    return ", ".join([fmt(a) for a in args] + [f"{k}={fmt(v)}" for k, v in kwargs.items()])


def _method(name):
    def expr(node):
        rest = _call_args(node.args[1:], node.kwargs)
        return f"{fmt(node.args[0])}.{name}({rest})"
    return expr


_EXPR = {
    "getitem": lambda n: f"{fmt(n.args[0])}[{_index(n.args[1])}]",
    "setitem": lambda n: f"{fmt(n.args[0])}[{_index(n.args[1])}] = {fmt(n.args[2])}; "
                         f"{n.name} = {fmt(n.args[0])}",
    "astype": _method("astype"),
    "copy": _method("copy"),
}
_STATEMENTS = {"setitem"}  # ops whose text already is a full statement


def _statement(node: Node) -> str:
    expr = _EXPR.get(node.op)
    if expr is None:
        return f"{node.name} = np.{node.op}({_call_args(node.args, node.kwargs)})"
    text = expr(node)
    return text if node.op in _STATEMENTS else f"{node.name} = {text}"


def _where(node: Node) -> str:
    if node.loc is None:
        return ""
    source = linecache.getline(node.loc.filename, node.loc.lineno).strip()
    return f"  {os.path.basename(node.loc.filename)}:{node.loc.lineno}" + (
        f"  {source}" if source else "")


def format_graph(graph: Graph) -> str:
    params = ", ".join(f"{n.name}: {format_meta(n.meta)}" for n in graph.inputs)
    lines = [f"def graph({params}):"]
    for node in graph.nodes:
        lines.append(f"    {_statement(node)}  # {format_meta(node.meta)}{_where(node)}")
    outs = ", ".join(n.name if isinstance(n, Node) else fmt(n) for n in graph.outputs)
    lines.append(f"    return {outs}" if graph.outputs else "    return")
    return "\n".join(lines)
