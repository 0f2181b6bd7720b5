"""Graph passes of the kernels backend: verify -> dce -> cse -> fuse (STYLE 13).

Each pass is a pure function: ``dce`` and ``cse`` take a Graph and return a new Graph
(inputs keep their identity, rewritten nodes are ``Node.replace`` copies); ``fuse`` turns
a Graph into a ``Partition``, the graph's nodes scheduled as eager nodes and fusible
``Group``s, for the backend's lowering. None of them imports the kernel library: what
may fuse is decided by a ``classify(node)`` callback the backend passes in.

Invariants the passes keep (DESIGN.md, graph/opaque.py): effectful nodes (opaque
custom ops, writes through ``setitem``/``out=``/``overwrite_input``) are never removed,
merged or moved, and no pure node moves across one; a value that may escape (a graph
output, or one used by a non-fusible node, which could view or mutate it) is never
merged with another; a group runs where its last member would, so its members only move
later, never across an effectful node.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .ir import Graph, Node, iter_node_args
from .ops import OPS, Family
from .verify import verify

__all__ = ["verify", "dce", "cse", "fuse", "effectful", "Group", "Partition"]

#: families whose unused nodes can go: pure, and their only run-time errors are ones the
#: tracer's meta rules already raise (reductions of empty arrays are kept, see dce)
_REMOVABLE = {Family.ELEMENTWISE, Family.REDUCTION, Family.SHAPE}


def effectful(node: Node) -> bool:
    """The node writes to an array or has effects of its own (opaque custom ops)."""
    op = OPS[node.op]
    if op.family is Family.OPAQUE:
        return True
    for m in op.mutates:
        if isinstance(m, int) and m < len(node.args):
            return True
        if isinstance(m, str) and node.kwargs.get(m) is not None:
            return True
    return False


def _rewrite(value, env):
    """``value`` with every Node replaced through ``env`` (structure kept)."""
    if isinstance(value, Node):
        while value in env:
            value = env[value]
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(_rewrite(v, env) for v in value)
    if isinstance(value, dict):
        return {k: _rewrite(v, env) for k, v in value.items()}
    if isinstance(value, slice):
        return slice(*(_rewrite(v, env) for v in (value.start, value.stop, value.step)))
    return value


def _rebuild(graph: Graph, keep, env) -> Graph:
    """A new graph of the kept nodes, arguments renamed through ``env``."""
    nodes = []
    for node in graph.nodes:
        if node in env or not keep(node):
            continue
        args, kwargs = _rewrite(node.args, env), _rewrite(node.kwargs, env)
        new = node if (args == node.args and kwargs == node.kwargs) else \
            node.replace(args=args, kwargs=kwargs)
        if new is not node:
            env[node] = new
        nodes.append(new)
    return Graph(list(graph.inputs), nodes, [_rewrite(o, env) for o in graph.outputs])


def _may_raise(node: Node) -> bool:
    """Run-time errors the meta rules cannot rule out: reductions of arrays that are (or
    may be) empty, integer powers (negative exponents)."""
    metas = [node.meta] + [a.meta for a in iter_node_args((node.args, node.kwargs))]
    if any(m.dynamic or 0 in m.shape for m in metas):
        return True
    return node.op == "power" and node.meta.dtype.kind in "iu"


def dce(graph: Graph) -> Graph:
    """Remove pure nodes whose values nobody uses (outputs and effects are the roots)."""
    live = set(graph.outputs)
    for node in reversed(graph.nodes):
        removable = OPS[node.op].family in _REMOVABLE and not _may_raise(node) \
            and not effectful(node)
        if node in live or not removable:
            live.add(node)
            live.update(iter_node_args((node.args, node.kwargs)))
    return _rebuild(graph, lambda n: n in live, {})


def _key(value):
    """A hashable key for an argument value (nodes by identity, floats by bits)."""
    if isinstance(value, Node):
        return ("node", id(value))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__,) + tuple(_key(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple((k, _key(v)) for k, v in sorted(value.items()))
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, slice):
        return ("slice", _key(value.start), _key(value.stop), _key(value.step))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value).__name__, value)


def cse(graph: Graph) -> Graph:
    """Merge repeated pure elementwise/reduction nodes whose values cannot escape: not
    outputs, used only by other elementwise/reduction nodes (nothing views or mutates
    them), and with no effectful node between the two (it might write their inputs)."""
    users = graph.users()
    outputs = set(graph.outputs)

    def private(node):
        return node not in outputs and all(
            OPS[u.op].family in (Family.ELEMENTWISE, Family.REDUCTION) and not effectful(u)
            for u in users.get(node, ()))

    seen, env, epoch = {}, {}, 0
    for node in graph.nodes:
        if effectful(node):
            epoch += 1
            continue
        if OPS[node.op].family not in (Family.ELEMENTWISE, Family.REDUCTION) or \
                not private(node):
            continue
        key = (epoch, node.op, _key(_rewrite(node.args, env)),
               _key(_rewrite(node.kwargs, env)), node.meta)
        if key in seen:
            env[node] = seen[key]
        else:
            seen[key] = node
    if not env:
        return graph
    return _rebuild(graph, lambda n: True, env)


@dataclass(eq=False)
class Group:
    """Fusible nodes run as one kernel program over the iteration ``shape``.

    ``roles[node]``: "full" (an elementwise value of the iteration shape), "acc" (a
    reduction: one value per row for reduce="last", one in all for "all") or "scalar"
    (an elementwise op of accs and constants only)."""
    shape: tuple
    reduce: str | None = None
    nodes: list = field(default_factory=list)
    roles: dict = field(default_factory=dict)


@dataclass
class Partition:
    """``steps``: the graph's nodes in run order, each an eager Node or a Group."""
    graph: Graph
    steps: list


def _row_shapes(group: Group) -> tuple:
    s = group.shape
    if group.reduce == "last":
        return (s[:-1], s[:-1] + (1,))
    return ((), (1,) * len(s))


def _join(group: Group, node: Node, kind, owner) -> str | None:
    """The role ``node`` would take in the open ``group``, or None if it cannot join."""
    args = list(iter_node_args((node.args, node.kwargs)))
    inside = [group.roles[a] for a in args if owner.get(a) is group]
    if kind[0] == "reduce":
        mode, src = kind[1], node.args[0]
        ok = group.reduce in (None, mode) and (owner.get(src) is not group
                                              or group.roles[src] == "full")
        return "acc" if ok and tuple(src.meta.shape) == group.shape else None
    if tuple(node.meta.shape) == group.shape and not node.meta.scalar:
        return "full"
    if group.reduce is not None and tuple(node.meta.shape) in _row_shapes(group) and \
            inside and len(inside) == len(args) and all(r != "full" for r in inside):
        return "scalar"
    return None


def fuse(graph: Graph, classify) -> Partition:
    """Partition into eager nodes and fusible groups. ``classify(node)`` is None (eager),
    ("elementwise",) or ("reduce", "all" | "last"). Groups stay open, keyed by iteration
    shape, until something outside needs one of their values or an effect intervenes;
    open groups never depend on each other, so closing order is free."""
    steps, open_, owner = [], [], {}

    def close(group):
        if group in open_:
            open_.remove(group)
            steps.append(group)

    def close_producers(node):
        for a in iter_node_args((node.args, node.kwargs)):
            if owner.get(a) in open_:
                close(owner[a])

    for node in graph.nodes:
        kind = classify(node)
        if kind is None:
            if effectful(node):
                for g in list(open_):
                    close(g)
            close_producers(node)
            steps.append(node)
            continue
        target, role = None, None
        producers = [owner[a] for a in iter_node_args((node.args, node.kwargs))
                     if owner.get(a) in open_]
        for g in producers + [g for g in open_ if g not in producers]:
            role = _join(g, node, kind, owner)
            if role is not None:
                target = g
                break
        for a in iter_node_args((node.args, node.kwargs)):
            if owner.get(a) in open_ and owner[a] is not target:
                close(owner[a])
        if target is None:
            if kind[0] == "elementwise" and node.meta.scalar:
                steps.append(node)    # NumPy scalar math: cheaper eager than as a kernel
                continue
            shape = node.args[0].meta.shape if kind[0] == "reduce" else node.meta.shape
            target = Group(tuple(shape))
            role = _join(target, node, kind, owner)
            open_.append(target)
        if kind[0] == "reduce":
            target.reduce = kind[1]
        target.nodes.append(node)
        target.roles[node] = role
        owner[node] = target
    for g in list(open_):
        close(g)
    return Partition(graph, steps)
