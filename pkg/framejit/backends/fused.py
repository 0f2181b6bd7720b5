"""The ``kernels`` backend (the default): fused C/OpenMP kernels with NumPy in between.

``compile_graph`` is the whole pipeline, in the order it runs (STYLE 13):
verify (debug only) -> dce -> cse -> fuse (graph/passes.py, with lower.classify saying
what the kernels can run) -> lower (backends/lower.py, one Program per group) -> one
straight-line Python function calling Programs and NumPy in program order.

Everything is decided at backend-build time; a call costs one Python frame, one
``Runner`` call per group (allocate its outputs, run its Program) and the NumPy calls of
the eager nodes. Eager nodes (matmul, indexing, views, custom ops, ...) run exactly as
the eager backend runs them, on the real arrays, so views of inputs stay views, writes
land where NumPy's would, an input returned as is is the same object, and effects keep
their order (passes.fuse never moves a pure node across an effectful one).

What the user gets from a group is what NumPy would have given: kernel outputs are fresh
arrays that own their data, laid out as NumPy lays them out (``layout.py``: order 'K',
F-ordered inputs give F-ordered results), their memory from framejit's NumPy memory
handler (include/framejit/memhandler.h: large blocks of dead arrays are reused, never
memory a user still holds); and when the kernel raised floating-point flags that
``np.geterr()`` does not ignore, the group is replayed with NumPy (``fperr.py``) so the
warnings, ``FloatingPointError`` or error callbacks are NumPy's own.
``framejit.config.num_threads`` is read per call and handed to every Program.
"""
from __future__ import annotations

import numpy as np

from framejit.config import config
from framejit.graph import passes
from framejit.graph.ir import Graph, Node
from framejit.graph.ops import OPS

from . import fperr
from . import layout as _layout
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


def _kernel_lines(em, kern, k, step):
    """Run the group (its Runner allocates the outputs in NumPy's layout), replay it with
    NumPy when its FP flags call for it, bind the members' values."""
    body, operands, raw = [], [], []
    for v in kern.inputs:
        name = em.expr(v)
        operands.append(f"asarray({name})" if v.meta.scalar else name)
        raw.append(name)
    runner = em.cell(_runner(kern, step), "R")
    names = []
    for j, (node, _shape, _dtype) in enumerate(kern.outputs):
        em.local[id(node)] = f"n{k}_{j}"
        names.append(f"n{k}_{j}")
    outs = "".join(n + ", " for n in names)
    body.append(f"fpe{k}, ({outs}) = {runner}(({''.join(o + ', ' for o in operands)}), "
                f"cfg.num_threads)")
    replay = em.cell(fperr.Replay(step.nodes, kern.inputs, kern.post), "X")
    check = f"if fpe{k} and needs_replay(fpe{k}):"
    args = ", ".join(raw)
    if not kern.post:
        body += [check, f"    {replay}({args})"]
        return body
    post = [_eager_line(em, node, f"{k}p{j}") for j, node in enumerate(kern.post)]
    bound = "".join(em.local[id(n)] + ", " for n in kern.post)
    body += [check, f"    ({bound}) = {replay}({args})", "else:"]
    body += ["    " + line for line in post]
    return body


def _runner(kern, group):
    outputs = [(node.meta.shape, None if tuple(shape) == tuple(node.meta.shape) else shape,
                dtype, node.meta.scalar) for node, shape, dtype in kern.outputs]
    layout = _layout.group_layout(group, kern.inputs, [n for n, _, _ in kern.outputs])
    return _lower.K.Runner(kern.program, kern.shape, outputs, layout)


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
            body.extend(_kernel_lines(em, kernels[step], k, step))
    outs = "".join(em.expr(o) + ", " for o in graph.outputs)
    body.append(f"return [{outs}]")
    inner = "\n".join("        " + line for line in body)
    cells = ", ".join(em.cells)
    return (f"def _make(asarray, needs_replay, cfg, {cells}):\n"
            f"    def run({', '.join(params)}):\n{inner}\n"
            f"    return run\n")


def kernels(graph: Graph, example_inputs=None):
    """Backend: ``callable(*inputs) -> list`` of output values, one per graph output."""
    part, kerns = compile_graph(graph)
    em = _Emitter()
    src = _source(part, kerns, em)
    namespace: dict = {}
    exec(compile(src, "<framejit.kernels>", "exec"), namespace)
    run = namespace["_make"](np.asarray, fperr.needs_replay, config, **em.cells)
    run.__framejit_source__ = src
    run.__framejit_programs__ = [kerns[s].program for s in part.steps if s in kerns]
    return run


__all__ = ["kernels", "compile_graph"]
