"""Memory layouts of fused values: the strides NumPy itself would give each member of a
group, so that the arrays a group returns are laid out exactly like NumPy's.

NumPy allocates results in 'K' order (keep the inputs' memory order). The rules, for
NumPy 2.x (checked against NumPy itself by tests/kernels/test_layout.py):

- ufuncs (and ``clip``, which is ``np.clip``'s ufunc, or ``minimum``/``maximum`` with one
  bound): the trivial loop first — when every non-0-d input has exactly the result's shape
  and is 1-d, or contiguous in one shared order (C or F), and no N-d input needs a cast or
  is unaligned, the result is F-ordered if that order is F only, else C-ordered; otherwise
  the iterator's order: a stable insertion sort of the axes by the inputs' |strides|
  (innermost = smallest; an operand votes on a pair of axes only where both its strides
  are non-zero, extent-1 dims count as stride 0, the C order wins conflicts), and the
  result is C-contiguous in that axis order;
- ``where``: the iterator's order over (condition, x, y);
- ``astype``: ``PyArray_NewLikeArray`` order K (C if C-contiguous or 1-d, F if
  F-contiguous, else the axes sorted by descending |stride|, ties in axis order);
  ``copy`` (``ndarray.copy``): C order;
- ufunc reductions (sum, prod, min, max, mean, any, all): the iterator's order over the
  source, reduced axes dropped (kept with length 1 for keepdims); argmin/argmax: C order;
- a result with a zero-size dimension has all-zero strides.

With only C-contiguous inputs every rule gives C order, so ``Runner`` (pyx/_kernels_out.pxi)
calls a group's layout function only when some input is not C-contiguous; the function
memoizes by the inputs' strides (shapes are static: the guards check them).
"""
from __future__ import annotations

from framejit.graph.ir import Node

from . import lower as _lower

_BUFSIZE = 8192                  # NumPy's default ufunc buffer size (trivial-loop copies)
_MEMO_MAX = 64


class Val:
    """Shape, strides and flags of one array value (real or as NumPy would make it)."""
    __slots__ = ("shape", "strides", "aligned", "c", "f")

    def __init__(self, shape, strides, itemsize, aligned=True):
        self.shape, self.strides, self.aligned = tuple(shape), tuple(strides), aligned
        self.c, self.f = contiguity(self.shape, self.strides, itemsize)


def c_strides(shape, itemsize):
    out, s = [], itemsize
    for d in reversed(shape):
        out.append(s)
        s *= d
    return tuple(reversed(out))


def contiguity(shape, strides, itemsize):
    """NumPy's (C_CONTIGUOUS, F_CONTIGUOUS) flags: extent-1 dims are ignored, empty arrays
    are both."""
    if 0 in shape:
        return True, True
    c = f = True
    s = itemsize
    for d, st in zip(reversed(shape), reversed(strides)):
        if d != 1:
            c = c and st == s
            s *= d
    s = itemsize
    for d, st in zip(shape, strides):
        if d != 1:
            f = f and st == s
            s *= d
    return c, f


def _strides_in(order, shape, itemsize):
    """C-contiguous strides over the axes listed innermost first in ``order``."""
    st, s = [0] * len(shape), itemsize
    for ax in order:
        st[ax] = s
        s *= shape[ax]
    return tuple(st)


def iter_order(shape, operands):
    """NumPy's iterator axis order (innermost first) for operands (Val or None for 0-d)
    broadcast to ``shape``."""
    nd = len(shape)
    ops = []
    for v in operands:
        if v is None:
            continue
        off = nd - len(v.shape)
        ops.append([0 if d < off or v.shape[d - off] == 1 or shape[d] == 1
                    else v.strides[d - off] for d in range(nd)])
    order = list(range(nd - 1, -1, -1))
    for i0 in range(1, nd):
        ax0, ipos = order[i0], i0
        for i1 in range(i0 - 1, -1, -1):
            ax1 = order[i1]
            ambig, swap = True, False
            for st in ops:
                s0, s1 = st[ax0], st[ax1]
                if s0 != 0 and s1 != 0:
                    if abs(s1) <= abs(s0):
                        swap = False
                    elif ambig:
                        swap = True
                    ambig = False
            if not ambig:
                if swap:
                    ipos = i1
                else:
                    break
        if ipos != i0:
            del order[i0]
            order.insert(ipos, ax0)
    return order


def _trivial(shape, operands, casts):
    """The trivial ufunc loop's order ("C"/"F"), or None when NumPy uses the iterator."""
    op_shape, order = None, 0
    for v, cast in zip(operands, casts):
        if v is None:
            continue
        if cast or not v.aligned:          # check_for_trivial_loop: copy small 1-d inputs
            if len(v.shape) == 1 and v.shape[0] <= _BUFSIZE:
                v = Val(v.shape, c_strides(v.shape, 1), 1)
            else:
                return None
        if op_shape is None:
            op_shape = v.shape
        elif v.shape != op_shape:
            return None
        if len(v.shape) > 1:
            flags = (1 if v.c else 0) | (2 if v.f else 0)
            if flags == 0 or (order and flags != order):
                return None
            order = order or flags
    if op_shape is None or op_shape != tuple(shape):
        return None
    return "F" if order == 2 else "C"


def ufunc(shape, itemsize, operands, casts):
    if 0 in shape:
        return (0,) * len(shape)
    kind = _trivial(shape, operands, casts)
    if kind == "C":
        return c_strides(shape, itemsize)
    if kind == "F":
        return _strides_in(range(len(shape)), shape, itemsize)
    return _strides_in(iter_order(shape, operands), shape, itemsize)


def where(shape, itemsize, operands):
    if 0 in shape:
        return (0,) * len(shape)
    return _strides_in(iter_order(shape, operands), shape, itemsize)


def like(src: Val, itemsize):
    """``PyArray_NewLikeArray(src, order='K')`` strides."""
    shape = src.shape
    if 0 in shape:
        return (0,) * len(shape)
    if src.c or len(shape) <= 1:
        return c_strides(shape, itemsize)
    if src.f:
        return _strides_in(range(len(shape)), shape, itemsize)
    perm = sorted(range(len(shape)), key=lambda i: (-abs(src.strides[i]), i))
    return _strides_in(reversed(perm), shape, itemsize)


def reduce(src: Val, axes, keepdims, itemsize):
    """Strides of a ufunc reduction of ``src`` over ``axes``."""
    shape = src.shape
    out_shape = tuple(1 if d in axes else n for d, n in enumerate(shape) if keepdims or d not in axes)
    if 0 in out_shape:
        return (0,) * len(out_shape)
    result_axis, k = {}, 0
    for d in range(len(shape)):
        if keepdims or d not in axes:
            result_axis[d] = k
            k += 1
    st, s = [0] * len(out_shape), itemsize
    for d in iter_order(shape, [src]):
        if d in result_axis:
            st[result_axis[d]] = s
            s *= 1 if d in axes else shape[d]
    return tuple(st)


# ---- the layout function of one group ---------------------------------------------------

def _rule(node):
    """(kind, operand values, casts or reduction info) of a member."""
    if _lower.classify(node) is None:
        raise ValueError(f"not a fused node: {node}")
    if node.op in _lower.REDUCTIONS:
        r = _lower.reduction(node)
        if node.op in ("argmin", "argmax"):
            return "c", (), None
        nd = r.src.meta.ndim
        axes = set(range(nd)) if r.mode == "all" else {nd - 1}
        return "reduce", (r.src,), (axes, node.meta.ndim == nd)
    ew = _lower.elementwise(node)
    if node.op == "copy":
        return "c", (), None
    if ew.op == "astype":
        return "like", (ew.srcs[0],), None
    srcs = (node.args[0], node.args[1]) if ew.op == "powi" else ew.srcs
    if ew.op == "where":
        return "where", srcs, None
    casts = tuple(isinstance(s, Node) and s.meta.dtype != dt
                  for s, dt in zip(srcs, ew.src_dtypes + (None,) * 3))
    return "ufunc", srcs, casts


def group_layout(group, inputs, outputs):
    """A function ``layout(values) -> [strides per output]`` for a group whose program
    reads ``inputs`` (nodes, in operand order) and writes ``outputs`` (nodes), or None when
    every output is at most 1-d (always C-contiguous then)."""
    if all(n.meta.ndim <= 1 or n.meta.scalar for n in outputs):
        return None
    steps, memo = [], {}               # steps: built on the first call (most never need it)

    def layout(values):
        key = tuple((v.strides, v.flags.aligned) for v in values)
        got = memo.get(key)
        if got is None:
            if not steps:
                steps.extend((n, *_rule(n)) for n in group.nodes)
            got = _evaluate(steps, inputs, values, outputs)
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[key] = got
        return got

    return layout


def _evaluate(steps, inputs, values, outputs):
    env = {}
    for node, v in zip(inputs, values):
        env[node] = None if v.ndim == 0 else Val(v.shape, v.strides, v.itemsize, v.flags.aligned)

    def val(x):
        return env.get(x) if isinstance(x, Node) else None

    for node, kind, srcs, extra in steps:
        m = node.meta
        isz = m.dtype.itemsize
        if m.scalar or m.ndim == 0:
            env[node] = None
            continue
        if kind == "ufunc":
            st = ufunc(m.shape, isz, [val(s) for s in srcs], extra)
        elif kind == "where":
            st = where(m.shape, isz, [val(s) for s in srcs])
        elif kind == "like":
            src = val(srcs[0])
            st = c_strides(m.shape, isz) if src is None else like(src, isz)
        elif kind == "reduce":
            src = val(srcs[0])
            st = c_strides(m.shape, isz) if src is None else reduce(src, extra[0], extra[1], isz)
        else:
            st = c_strides(m.shape, isz)
        env[node] = Val(m.shape, st, isz)
    return [None if env.get(n) is None else env[n].strides for n in outputs]


__all__ = ["group_layout", "ufunc", "where", "like", "reduce", "iter_order", "Val"]
