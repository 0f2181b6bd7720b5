"""ndarray methods on traced arrays: ``x.sum(axis=0)``, ``x.reshape(2, -1)``, ``x.fill(0)``.

Most methods are the NumPy function of the same name with the array first
(numpy_rules.method_op); a few have their own rule here because their semantics differ
from the function's (``sort`` sorts in place, ``flatten`` always copies, ``fill`` writes,
``view()`` is ``x[...]``). Methods that turn values into Python objects (``item``,
``tolist``, ...) are DATA_DEPENDENT graph breaks.
"""
from __future__ import annotations

from . import numpy_rules as npr
from .breaks import BreakKind
from .values import ConstVal
from .wrap import node_arg


def _args(tx, args, kwargs):
    return [node_arg(tx, a) for a in args], {k: node_arg(tx, v) for k, v in kwargs.items()}


def _sort(tx, x, args, kwargs):
    a, kw = _args(tx, args, kwargs)
    sorted_ = tx.add_node("sort", (x.node, *a), kw)
    tx.add_node("setitem", (x.node, Ellipsis, sorted_.node))
    return ConstVal(None)


def _flatten(tx, x, args, kwargs):
    a, kw = _args(tx, args, kwargs)
    flat = tx.add_node("ravel", (x.node, *a), kw)
    return tx.add_node("copy", (flat.node,))


def _fill(tx, x, args, kwargs):
    if len(args) != 1 or kwargs:
        tx.raise_type(TypeError, "fill() takes exactly one argument")
    tx.add_node("setitem", (x.node, Ellipsis, node_arg(tx, args[0])))
    return ConstVal(None)


def _view(tx, x, args, kwargs):
    if args or kwargs:
        tx.unsupported("ndarray.view(dtype): reinterpreting memory is not modelled",
                       BreakKind.UNSUPPORTED_CALL)
    return tx.add_node("getitem", (x.node, Ellipsis))


_SPECIAL = {"sort": _sort, "flatten": _flatten, "fill": _fill, "view": _view}


def array_method(tx, x, name, args, kwargs):
    special = _SPECIAL.get(name)
    if special is not None:
        return special(tx, x, args, kwargs)
    if name in npr.DATA_METHODS:
        tx.graph_break(BreakKind.DATA_DEPENDENT,
                       f"ndarray.{name}() turns the values of {x.node.name} ({x.meta}) into "
                       "Python objects")
    norm = npr.method_op(name)
    if norm is None:
        tx.graph_break(BreakKind.UNSUPPORTED_CALL,
                       f"ndarray.{name}() is not in the op registry")
    op, a, kw = norm(x, list(args), dict(kwargs))
    nargs = [x.node if v is x else node_arg(tx, v) for v in a]
    nkw = {k: node_arg(tx, v) for k, v in kw.items()}
    result = tx.add_node(op, nargs, nkw)
    out = kwargs.get("out")
    if out is not None and not (type(out) is ConstVal and out.value is None):
        return out
    return result
