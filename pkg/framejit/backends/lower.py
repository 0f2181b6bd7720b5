"""Lowering of the kernels backend: which nodes the kernel library runs, and one fused
``Group`` (graph/passes.py) -> one ``_kernels.Program``.

``classify(node)`` says whether a node can run in a kernel: elementwise ops with a kernel
opcode (OpDef.kernel, plus ``astype`` and small integer ``power``) or reductions over all
axes / the last axis, on float64/float32/int64/int32/bool arrays with static, non-empty
shapes and no ``out``/``where``-style keywords. NumPy's type promotion is made explicit:
every operand is converted (``astype``) to the dtype of the loop NumPy would run, which
is the node's result dtype (its meta, computed by NumPy itself) except for comparisons
(the promoted operand dtype, NEP 50's weak Python scalars included) and ``where``'s
condition (bool); Python constants become registers of that loop dtype, converted as
NumPy converts them.

Rewrites (the backend's own, DESIGN.md numerics): ``power(x, k)`` for float x and an
integer constant k in POWI_EXPONENTS becomes ``powi`` (repeated multiplication): k = 2
and k = -1 are bit-identical to NumPy (one correctly rounded operation), k = 3 and 4
differ from libm's pow by at most 2-3 ulp, inside the 4-ulp budget for transcendentals;
negative k < -1 are not rewritten (1/(x*x) overflows to 0 where pow gives subnormals).

``lower(group, escaping)`` schedules the members over kernel passes (a value read
after a reduction goes to a later pass), recomputes cheap intermediates a later pass
needs instead of storing them, keeps an expensive one in the output buffer of its one
later reader (``_spills``: softmax's exp is computed once), writes the members needed
outside the group to output operands, orders each pass so that chainable instructions
stand together (``chains.schedule``), register-allocates block temporaries by liveness
within each pass (a transcendental never overwrites a dying source: the kernels would
copy it for their software FP check), and fuses runs of float arithmetic into ``chain``
instructions evaluated in registers (``chains.fuse``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from framejit._native import _kernels as K
from framejit.graph.infer import bind
from framejit.graph.ir import Node, iter_node_args
from framejit.graph.ops import OPS, Family

from . import chains as _chains

SUPPORTED = frozenset(np.dtype(n) for n in K.DTYPES)
POWI_EXPONENTS = frozenset({2, 3, 4, -1})
REDUCTIONS = frozenset({"sum", "prod", "min", "max", "mean", "any", "all", "argmin", "argmax"})
#: a member a later pass needs is recomputed there unless that costs at least this much
#: per element (OPINFO costs; a transcendental is 8 or more), then it is kept (_spills)
SPILL_COST = 4
#: ops whose results the kernels check in software against their sources (kernels.h
#: fj_soft_kind): a result written over a source would cost a copy of the source per block,
#: so the allocator never gives them a dying source's register
SOFT_CHECKED = frozenset({"exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin",
                          "cos", "tan", "tanh", "arctan2", "power"})
_SCALARS = (bool, int, float)
_REDUCE_KW = {"out": None, "initial": None, "where": True}


# ---- what fuses ------------------------------------------------------------------------

def _array_ok(m) -> bool:
    return m.dtype in SUPPORTED and m.dtype.isnative and not m.dynamic and 0 not in m.shape


def _const_ok(c) -> bool:
    if type(c) in _SCALARS:
        return True
    return isinstance(c, np.generic) and c.dtype in SUPPORTED


@dataclass(frozen=True)
class EW:
    """An elementwise node as one kernel instruction: op, operand values (nodes or
    constants), the dtype each is converted to, the result dtype, powi's exponent."""
    op: str
    srcs: tuple
    src_dtypes: tuple
    dtype: np.dtype
    imm: int | None = None


def _clip_srcs(node):
    b = dict(zip(("a", "a_min", "a_max"), node.args))
    extra = set(node.kwargs) - {"a_min", "a_max", "min", "max"}
    if extra or len(node.args) > 3:
        return None
    b.update(node.kwargs)
    lo = b.get("a_min", b.get("min"))
    hi = b.get("a_max", b.get("max"))
    if lo is None and hi is None:
        return None
    if hi is None:
        return "maximum", (b["a"], lo)
    if lo is None:
        return "minimum", (b["a"], hi)
    return "clip", (b["a"], lo, hi)


def _int_exponent(c):
    if type(c) is int or (type(c) is float and c.is_integer()):
        k = int(c)
        return k if k in POWI_EXPONENTS else None
    return None


def elementwise(node: Node) -> EW | None:
    """The kernel instruction for an elementwise node, or None if it cannot fuse."""
    op, args, dtype = node.op, node.args, node.meta.dtype
    if op == "clip":
        got = _clip_srcs(node)
        if got is None:
            return None
        kop, args = got
    elif op in ("astype", "copy"):
        if node.kwargs or len(args) != (2 if op == "astype" else 1):
            return None
        return EW("astype", (args[0],), (args[0].meta.dtype,), dtype)
    else:
        kop = OPS[op].kernel
        if kop is None or node.kwargs or kop not in K.OPINFO:
            return None
    if len(args) != K.OPINFO[kop][1]:
        return None
    sig = K.OPINFO[kop][3]
    if kop == "power" and dtype.kind == "f" and isinstance(args[0], Node):
        k = _int_exponent(args[1])
        if k is not None:
            return EW("powi", (args[0],), (dtype,), dtype, k)
    if sig == "cmp":
        try:
            t = np.result_type(*[a.meta.dtype if isinstance(a, Node) else a for a in args])
        except (TypeError, OverflowError, ValueError):
            return None
        dts = (t,) * len(args)
    elif sig == "where":
        t, dts = dtype, (np.dtype(bool), dtype, dtype)
    else:
        t, dts = dtype, (dtype,) * len(args)
    if t not in SUPPORTED or not K.supported(kop, t.name):
        return None
    return EW(kop, tuple(args), dts, dtype)


@dataclass(frozen=True)
class Red:
    """A reduction node: kernel op, mode ("all" | "last"), source dtype, result dtype."""
    op: str
    mode: str
    src: Node
    src_dtype: np.dtype
    dtype: np.dtype


def reduction(node: Node) -> Red | None:
    if node.op not in REDUCTIONS or not node.args or not isinstance(node.args[0], Node):
        return None
    try:
        b = bind(OPS[node.op].impl, node.args, node.kwargs)
    except TypeError:
        return None
    src = b.pop("a")
    for k, default in _REDUCE_KW.items():
        v = b.get(k)
        if v is not None and v is not default:
            return None
    nd, axis = src.meta.ndim, b.get("axis")
    axes = set(range(nd)) if axis is None else \
        {a % nd if nd else a for a in (axis if isinstance(axis, tuple) else (axis,))}
    if not all(isinstance(a, int) and 0 <= a < max(nd, 1) for a in axes):
        return None
    mode = "all" if axes >= set(range(nd)) else "last" if axes == {nd - 1} else None
    if mode is None:
        return None
    dtype = node.meta.dtype
    src_dtype = {"any": np.dtype(bool), "all": np.dtype(bool), "min": src.meta.dtype,
                 "max": src.meta.dtype, "argmin": src.meta.dtype,
                 "argmax": src.meta.dtype}.get(node.op, dtype)
    if src_dtype not in SUPPORTED or not K.supported(node.op, src_dtype.name):
        return None
    return Red(node.op, mode, src, src_dtype, dtype)


def classify(node: Node):
    """None (eager), ("elementwise",) or ("reduce", mode): the callback of passes.fuse."""
    fam = OPS[node.op].family
    if fam not in (Family.ELEMENTWISE, Family.REDUCTION) or not _array_ok(node.meta):
        return None
    if any(not _array_ok(a.meta) for a in iter_node_args((node.args, node.kwargs))):
        return None
    operands = node.args[:1] if node.op == "astype" else node.args
    if fam is Family.ELEMENTWISE and any(
            not isinstance(a, Node) and a is not None and not _const_ok(a) for a in operands):
        return None
    if fam is Family.REDUCTION:
        r = reduction(node)
        return None if r is None else ("reduce", r.mode)
    return ("elementwise",) if elementwise(node) is not None else None


# ---- one group -> one Program ------------------------------------------------------------

@dataclass
class Kernel:
    """A lowered group. Operands: ``inputs`` (nodes whose values the caller passes, in
    order), then one fresh buffer per ``outputs`` entry (node, buffer shape, dtype).
    ``post``: scalar-role members needed outside, recomputed eagerly from the stored
    reductions after the kernel ran."""
    program: object
    shape: tuple
    inputs: list
    outputs: list
    post: list = field(default_factory=list)


class _Emitter:
    """Virtual registers and instructions of one program, cached per pass."""

    def __init__(self, group, stored):
        self.group, self.stored = group, stored
        self.regs, self.code = [], []
        self.inputs, self.outputs, self.cache = [], [], {}
        self.pass_no = 0
        self.out_reg = {}                            # stored member -> its output register
        self.accs = {}                               # reduction member -> its acc register
        self.spill = {}                              # member -> output keeping it (_spills)

    def reg(self, spec):
        self.regs.append(spec)
        return len(self.regs) - 1

    def once(self, key, make, per_pass=True):
        key = (self.pass_no, key) if per_pass else key
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def emit(self, op, dst, *srcs, imm=None):
        self.code.append((op, dst, *srcs) + ((imm,) if imm is not None else ()))
        return dst

    def temp(self, dtype):
        return self.reg(("temp", dtype.name))


def _const_reg(em, c, dtype):
    v = np.asarray(c).astype(dtype)[()] if isinstance(c, np.generic) else c
    key = ("const", dtype.name, np.asarray(v).astype(dtype).tobytes())
    return em.once(key, lambda: em.reg(("const", v, dtype.name)), per_pass=False)


def _cast(em, reg, src_dtype, dtype):
    """``reg`` converted to ``dtype``: once per pass for block data, once in all for accs."""
    if src_dtype == dtype:
        return reg
    if em.regs[reg][0] == "acc":
        return em.once(("cast", reg, dtype.name), lambda: em.emit(
            "astype", em.reg(("acc", dtype.name)), reg), per_pass=False)
    return em.once(("cast", reg, dtype.name), lambda: em.emit("astype", em.temp(dtype), reg))


def _value(em, v, dtype, passes):
    """Register holding value ``v`` (node or constant) as ``dtype`` in the current pass."""
    if not isinstance(v, Node):
        return _const_reg(em, v, dtype)
    g = em.group
    role = g.roles.get(v)
    if role is None:                                  # computed outside: an input operand
        def make():
            em.inputs.append(v)
            return em.reg(("array", len(em.inputs) - 1, v.meta.dtype.name))
        reg = em.once(("in", id(v)), make, per_pass=False)
    elif role == "acc":
        reg = em.accs[v]
    elif role == "scalar":
        reg = em.once(("scalar", id(v)), lambda: _scalar(em, v, passes), per_pass=False)
    elif v in em.out_reg and passes[v] < em.pass_no:  # stored in an earlier pass
        reg = em.out_reg[v]
    elif v in em.spill and passes[v] < em.pass_no:    # kept in an output's buffer
        reg = _out_reg(em, em.spill[v])
    else:
        reg = em.once(("full", id(v)), lambda: _full(em, v, passes))
    return _cast(em, reg, v.meta.dtype, dtype)


def _instruction(em, node, dst, passes):
    ew = elementwise(node)
    srcs = [_value(em, s, dt, passes) for s, dt in zip(ew.srcs, ew.src_dtypes)]
    return em.emit(ew.op, dst, *srcs, imm=ew.imm)


def _scalar(em, node, passes):
    return _instruction(em, node, em.reg(("acc", node.meta.dtype.name)), passes)


def _full(em, node, passes):
    if node in em.out_reg:
        dst = em.out_reg[node]
    elif node in em.spill:
        dst = _out_reg(em, em.spill[node])
    else:
        dst = em.temp(node.meta.dtype)
    return _instruction(em, node, dst, passes)


def _out_reg(em, node):
    """The array register of stored member ``node``'s output operand."""
    if node not in em.out_reg:
        em.out_reg[node] = em.reg(("array", ("out", node), node.meta.dtype.name))
    return em.out_reg[node]


def _schedule(group) -> dict:
    """Pass of each member: where it is computed (accs are readable one pass later)."""
    ready, passes = {}, {}
    for n in group.nodes:
        deps = [a for a in iter_node_args((n.args, n.kwargs)) if a in group.roles]
        p = max((ready[a] for a in deps), default=0)
        passes[n] = p
        ready[n] = p + 1 if group.roles[n] == "acc" else p
    return passes


def _recompute_cost(group, v, stored):
    """Work per element of computing ``v`` again in a later pass (OPINFO costs of the
    unstored elementwise members it is made of)."""
    cost, seen, todo = 0, set(), [v]
    while todo:
        n = todo.pop()
        if n in seen or group.roles.get(n) != "full" or (n in stored and n is not v):
            continue
        seen.add(n)
        cost += K.OPINFO[elementwise(n).op][4]
        todo.extend(iter_node_args((n.args, n.kwargs)))
    return cost


def _spills(group, passes, stored) -> dict:
    """Unstored members worth keeping for a later pass instead of recomputing them there
    (exp(x - max) in softmax), each in the buffer of the one member that reads it later:
    v -> o. That buffer holds nothing before o is written, and o's own instruction is the
    last to read v (it is v's only reader after v's pass, and reads it elementwise while
    writing o in place), so no other value is ever lost."""
    readers = {}
    for n in group.nodes:
        for a in set(iter_node_args((n.args, n.kwargs))):
            if a in group.roles:
                readers.setdefault(a, []).append(n)
    spill, taken = {}, set()
    for v in group.nodes:
        if group.roles[v] != "full" or v in stored:
            continue
        later = [u for u in readers.get(v, ()) if passes[u] > passes[v]]
        if len(later) != 1:
            continue
        o = later[0]
        if (o not in stored or group.roles[o] != "full" or o in taken
                or o.meta.dtype != v.meta.dtype
                or _recompute_cost(group, v, stored) < SPILL_COST):
            continue
        spill[v] = o
        taken.add(o)
    return spill


def _stored_closure(group, escaping):
    """Members written to output operands, and scalar members recomputed eagerly."""
    stored, post = set(), set()
    todo = [n for n in escaping]
    while todo:
        n = todo.pop()
        role = group.roles[n]
        if role == "scalar":
            post.add(n)
            todo.extend(a for a in iter_node_args(n.args) if a in group.roles
                        and a not in post and a not in stored)
        else:
            stored.add(n)
    return stored, [n for n in group.nodes if n in post]


def lower(group, escaping) -> Kernel:
    """One Program for ``group``; ``escaping``: members whose values are used outside."""
    passes = _schedule(group)
    stored, post = _stored_closure(group, escaping)
    em = _Emitter(group, stored)
    em.spill = _spills(group, passes, stored)
    nout = [n for n in group.nodes if n in stored]   # output operands, after the inputs
    npasses = max(passes.values(), default=0) + 1
    for p in range(npasses):
        em.pass_no = p
        if p:
            em.code.append(("pass",))
        for n in group.nodes:
            if passes[n] != p:
                continue
            role = group.roles[n]
            if role == "acc":
                r = reduction(n)
                src = _value(em, r.src, r.src_dtype, passes)
                acc = em.reg(("acc", n.meta.dtype.name, ("out", n)) if n in stored
                             else ("acc", n.meta.dtype.name))
                em.accs[n] = acc
                em.emit(r.op, acc, src)
            elif role == "full" and n in stored:
                _out_reg(em, n)
                _value(em, n, n.meta.dtype, passes)
            elif role == "full" and n in em.spill:       # a later pass reads it back
                _value(em, n, n.meta.dtype, passes)
    regs, code = _chains.prepare(em.regs, em.code)
    regs, code = _allocate(regs, _chains.schedule(regs, code))
    nin = len(em.inputs)
    index = {n: nin + i for i, n in enumerate(nout)}
    regs = [_fix_out(spec, index) for spec in regs]
    regs, code = _chains.fuse(regs, code)
    prog = K.Program(regs, code, reduce=group.reduce)
    outputs = [(n, _buffer_shape(group, n), n.meta.dtype) for n in nout]
    return Kernel(prog, group.shape, list(em.inputs), outputs, post)


def _fix_out(spec, index):
    """Output operands were named ("out", node) while emitting: number them now."""
    if spec[0] == "array" and isinstance(spec[1], tuple):
        return ("array", index[spec[1][1]], spec[2])
    if spec[0] == "acc" and len(spec) == 3:
        return ("acc", spec[1], index[spec[2][1]])
    return spec


def _buffer_shape(group, node):
    if group.roles[node] == "acc" and group.reduce == "last":
        return group.shape[:-1]
    return tuple(node.meta.shape)


def _nsrc(ins):
    return _chains._nsrc(ins)


def _release(dying, regs, mapping, free):
    for r in dying:
        free.setdefault(regs[r][1], []).append(mapping[r][1])


def _allocate(regs, code):
    """Linear-scan reuse of temp registers within each pass (temps die at a pass)."""
    last = {}
    for i, ins in enumerate(code):
        if ins[0] != "pass":
            for r in ins[2:2 + _nsrc(ins)]:
                last[r] = i
    # non-temp registers keep their order; temps map onto physical temps by dtype
    keep = [r for r, spec in enumerate(regs) if spec[0] != "temp"]
    new_id = {r: i for i, r in enumerate(keep)}
    phys, free, mapping, out = [], {}, {}, []
    for i, ins in enumerate(code):
        if ins[0] == "pass":
            out.append(ins)
            mapping, free = {}, {}
            for j, dt in enumerate(phys):
                free.setdefault(dt, []).append(j)
            continue
        n = _nsrc(ins)
        srcs = [mapping[r] if r in mapping else ("r", new_id[r]) for r in ins[2:2 + n]]
        dying = [r for r in set(ins[2:2 + n]) if r in mapping and last.get(r) == i]
        if ins[0] not in SOFT_CHECKED:
            _release(dying, regs, mapping, free)
        dst = ins[1]
        if regs[dst][0] == "temp":
            pool = free.get(regs[dst][1])
            if pool:
                mapping[dst] = ("t", pool.pop())
            else:
                phys.append(regs[dst][1])
                mapping[dst] = ("t", len(phys) - 1)
            d = mapping[dst]
        else:
            d = ("r", new_id[dst])
        if ins[0] in SOFT_CHECKED:
            _release(dying, regs, mapping, free)
        out.append((ins[0], d, *srcs) + tuple(ins[2 + n:]))
    fix = lambda x: x[1] if x[0] == "r" else len(keep) + x[1]  # noqa: E731
    final_regs = [regs[r] for r in keep] + [("temp", dt) for dt in phys]
    final_code = [ins if ins[0] == "pass" else
                  (ins[0],) + tuple(fix(x) for x in ins[1:2 + _nsrc(ins)]) + ins[2 + _nsrc(ins):]
                  for ins in out]
    return final_regs, final_code
