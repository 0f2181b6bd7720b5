"""The ``kernels`` backend (the default): fused C/OpenMP kernels with NumPy in between.

``compile_graph`` is the whole pipeline, in the order it runs (STYLE 13):
verify (debug only) -> dce -> cse -> fuse (graph/passes.py, with lower.classify saying
what the kernels can run) -> lower (backends/lower.py, one Program per group) -> one
straight-line Python function calling Programs and NumPy in program order.

Everything is decided at backend-build time; a call costs one Python frame, one
``np.empty`` per stored kernel output, one Program call per group and the NumPy calls of
the eager nodes. Eager nodes (matmul, indexing, views, custom ops, ...) run exactly as
the eager backend runs them, on the real arrays, so views of inputs stay views, writes
land where NumPy's would, an input returned as is is the same object, and effects keep
their order (passes.fuse never moves a pure node across an effectful one). Kernel
outputs are fresh arrays that own their data (``_kernels.empty``); large ones take their
memory from framejit's NumPy memory handler (include/framejit/memhandler.h), which
reuses large blocks of arrays that died, never memory a user still holds.
``framejit.config.num_threads`` is read per call and handed to every Program.
"""
from __future__ import annotations

import numpy as np

from framejit.config import config
from framejit.graph import passes
from framejit.graph.ir import Graph, Node
from framejit.graph.ops import OPS

from . import lower as _lower
from .reference import _Emitter

#: run graph/verify.py on every graph first (tests switch it on; it re-runs meta rules)
VERIFY = False


def compile_graph(graph: Graph):
    """The pass pipeline: Graph -> (Partition, {group: Kernel})."""
    if VERIFY:
        passes.verify(graph)
    graph = passes.dce(graph)
    graph = passes.cse(graph)
    part = passes.fuse(graph, _lower.classify)
    users = graph.users()
    outputs = set(graph.outputs)
    kernels = {}
    for step in part.steps:
        if isinstance(step, passes.Group):
            members = set(step.nodes)
            # unused members survived dce because they may raise: run them too
            escaping = [n for n in step.nodes if n in outputs or not users.get(n)
                        or any(u not in members for u in users[n])]
            kernels[step] = _lower.lower(step, escaping)
    return part, kernels


def _eager_line(em, node, k):
    fn = em.cell(OPS[node.op].impl, "f")
    args = [em.expr(a) for a in node.args]
    args += [f"{key}={em.expr(v)}" for key, v in node.kwargs.items()]
    em.local[id(node)] = f"n{k}"
    return f"n{k} = {fn}({', '.join(args)})"


def _kernel_lines(em, kern, k):
    """Allocate outputs, call the Program, bind the members' values."""
    body, operands = [], []
    for v in kern.inputs:
        name = em.expr(v)
        operands.append(f"asarray({name})" if v.meta.scalar else name)
    for j, (node, shape, dtype) in enumerate(kern.outputs):
        buf = f"b{k}_{j}"
        body.append(f"{buf} = empty({em.cell(shape, 's')}, {em.cell(dtype, 'd')})")
        operands.append(buf)
    prog = em.cell(kern.program, "P")
    shape = em.cell(kern.shape, "s")
    body.append(f"{prog}(({''.join(o + ', ' for o in operands)}), {shape}, cfg.num_threads)")
    for j, (node, shape, dtype) in enumerate(kern.outputs):
        buf = f"b{k}_{j}"
        if node.meta.scalar:
            expr = f"{buf}[()]"
        elif tuple(node.meta.shape) != tuple(shape):
            expr = f"{buf}.reshape({em.cell(tuple(node.meta.shape), 's')})"
        else:
            expr = buf
        em.local[id(node)] = f"n{k}_{j}"
        body.append(f"n{k}_{j} = {expr}")
    for j, node in enumerate(kern.post):
        body.append(_eager_line(em, node, f"{k}p{j}"))
    return body


def _source(part, kernels, em) -> str:
    graph = part.graph
    params = []
    for i, node in enumerate(graph.inputs):
        em.local[id(node)] = f"i{i}"
        params.append(f"i{i}")
    body = []
    for k, step in enumerate(part.steps):
        if isinstance(step, Node):
            body.append(_eager_line(em, step, k))
        else:
            body.extend(_kernel_lines(em, kernels[step], k))
    outs = "".join(em.expr(o) + ", " for o in graph.outputs)
    body.append(f"return [{outs}]")
    inner = "\n".join("        " + line for line in body)
    cells = ", ".join(em.cells)
    return (f"def _make(empty, asarray, cfg, {cells}):\n"
            f"    def run({', '.join(params)}):\n{inner}\n"
            f"    return run\n")


def kernels(graph: Graph, example_inputs=None):
    """Backend: ``callable(*inputs) -> list`` of output values, one per graph output."""
    part, kerns = compile_graph(graph)
    em = _Emitter()
    src = _source(part, kerns, em)
    namespace: dict = {}
    exec(compile(src, "<framejit.kernels>", "exec"), namespace)
    run = namespace["_make"](_empty(), np.asarray, config, **em.cells)
    run.__framejit_source__ = src
    run.__framejit_programs__ = [kerns[s].program for s in part.steps if s in kerns]
    return run


def _empty():
    """The allocator of kernel outputs (a caching one when the library offers it)."""
    return getattr(_lower.K, "empty", np.empty)


__all__ = ["kernels", "compile_graph"]
