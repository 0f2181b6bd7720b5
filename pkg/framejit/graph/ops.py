"""The op registry: one row per supported NumPy callable, method or operator.

``OPS[name]`` is an ``OpDef(name, family, impl, meta, kernel, view, mutates)``:
``impl(*args, **kwargs)`` is the eager NumPy implementation (the reference semantics);
``meta(args, kwargs) -> Meta`` gives NumPy's exact result shape, dtype and scalar-ness
with Metas in place of nodes, raising NumPy's own exception for invalid input;
``kernel`` names the fused-kernel opcode (always a NumPy op name) or is None; ``view`` says
the result may share memory with ``args[0]``; ``mutates`` lists the argument positions or
keyword names the op writes to. Names are NumPy's (a ufunc's ``__name__``, a function's
name, ``"<ufunc>.<method>"``, ``getitem``/``setitem``/``astype``/``copy``).

Adding an op is adding a row to one of the tables below; meta rules are assembled from
``computed`` (tiny-stand-in probe for dtype + analytic shape from ``graph/shapes.py``) or
``viewed`` (run on a zero-strided full-shape stand-in: exact and free for views).
``register`` extends every rule to run-time sizes (``DynDim``) through ``graph/dyn.py``.
Ufuncs returning tuples (divmod, modf, frexp) and gufuncs other than matmul are not
registered: their results are not one array. The one non-NumPy row, ``custom_op``, is the
opaque node of a ``framejit.custom_op`` call (``graph/opaque.py``).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import creation, dyn, indexing, linalg, opaque, shapes
from .infer import (DataDependentShape, bind, full, meta_of, probe, reraise_probe_error,
                    run_on, tiny, with_shape)
from .ir import Meta

__all__ = ["Family", "OpDef", "OPS", "register", "DataDependentShape", "KERNEL_OPS"]


class Family(enum.Enum):
    ELEMENTWISE = "elementwise"
    REDUCTION = "reduction"
    SHAPE = "shape"
    CREATION = "creation"
    INDEXING = "indexing"
    LINALG = "linalg"
    OPAQUE = "opaque"


@dataclass(frozen=True, slots=True)
class OpDef:
    name: str
    family: Family
    impl: Callable
    meta: Callable
    kernel: str | None = None
    view: bool = False
    mutates: tuple = ()


OPS: dict[str, OpDef] = {}


def register(name, family, impl, meta, *, kernel=None, view=False, mutates=()) -> OpDef:
    """Add one row; re-registering a name is a bug in the table, not an override."""
    if name in OPS:
        raise ValueError(f"op {name!r} registered twice")
    # every rule also takes Metas with run-time sizes (DynDim) where its family allows
    op = OpDef(name, family, impl, dyn.dynamic_rule(name, family, meta), kernel, view,
               tuple(mutates))
    OPS[name] = op
    return op


def computed(impl, shape_rule, probe_args=None, shape_first=False):
    """Meta = dtype/scalar-ness probed on tiny stand-ins + an analytic shape rule.

    ``probe_args(args, kwargs)`` rewrites constants that must agree with real sizes (a
    per-element repeat list) before the probe. ``shape_first`` runs the shape rule (and
    so its replayed NumPy errors) first, for ops whose error depends on dim values.
    """
    def meta(args, kwargs) -> Meta:
        shape = shape_rule(impl, args, kwargs) if shape_first else None
        pargs, pkwargs = probe_args(args, kwargs) if probe_args else (args, kwargs)
        try:
            probed = probe(impl, pargs, pkwargs)
        except Exception as exc:
            reraise_probe_error(impl, pargs, pkwargs, exc)
        return with_shape(shape_rule(impl, args, kwargs) if shape is None else shape, probed)
    return meta


def viewed(impl):
    """Meta of a view op: run it on zero-strided full-shape stand-ins (no data touched)."""
    def meta(args, kwargs) -> Meta:
        return meta_of(run_on(full, impl, args, kwargs))
    return meta


# -- kernel opcodes: the ops a fused C kernel implements (kernel team's ops.def mirrors it)
KERNEL_OPS = frozenset("""
    add subtract multiply divide power negative absolute sqrt exp log log1p expm1 sin cos
    tan tanh arctan2 floor ceil maximum minimum square reciprocal sign exp2 log2 log10
    less less_equal greater greater_equal equal not_equal logical_and logical_or
    logical_not where clip
    sum prod min max mean any all argmin argmax
""".split())


def _kernel(name):
    return name if name in KERNEL_OPS else None


# -- ufuncs: every np.<name> ufunc with one output, by its __name__ -----------------------
_MATRIX_UFUNCS = {"matmul"}  # gufunc with a core signature: registered under LINALG

_UFUNCS = sorted({u for u in vars(np).values() if isinstance(u, np.ufunc)
                  and u.nout == 1 and (u.signature is None or u.__name__ in _MATRIX_UFUNCS)},
                 key=lambda u: u.__name__)

for _u in _UFUNCS:
    if _u.signature is not None:
        continue
    _n = _u.__name__
    register(_n, Family.ELEMENTWISE, _u, computed(_u, shapes.elementwise(_u.nin)),
             kernel=_kernel(_n), mutates=("out",))
    if _u.nin == 2:
        register(f"{_n}.outer", Family.ELEMENTWISE, _u.outer, computed(_u.outer, shapes.outer),
                 mutates=("out",))
        register(f"{_n}.reduce", Family.REDUCTION, _u.reduce,
                 computed(_u.reduce, shapes.reduction(_u.reduce, arr="array"), shape_first=True),
                 mutates=("out",))
        register(f"{_n}.accumulate", Family.REDUCTION, _u.accumulate,
                 computed(_u.accumulate, shapes.flat_or_same(_u.accumulate, arr="array")),
                 mutates=("out",))

# -- reductions and scans ------------------------------------------------------------------
for _n in ("sum", "prod", "min", "max", "mean", "std", "var", "any", "all", "argmin", "argmax"):
    _f = getattr(np, _n)
    register(_n, Family.REDUCTION, _f, computed(_f, shapes.reduction(_f), shape_first=True),
             kernel=_kernel(_n), mutates=("out",))

for _n in ("cumsum", "cumprod", "sort", "argsort"):
    _f = getattr(np, _n)
    register(_n, Family.REDUCTION, _f, computed(_f, shapes.flat_or_same(_f)), mutates=("out",))

register("diff", Family.REDUCTION, np.diff, computed(np.diff, shapes.diff))


def _ureduce(fn, q=False):
    """median/percentile/quantile. A tiny ``out`` stand-in need not take the probe's
    result (q keeps its size): probe without ``out``, then cast that result into an
    ``out`` of its shape. They partially sort ``a`` in place when overwrite_input=True."""
    shape_rule = shapes.ureduce(fn, q)
    rule = computed(fn, shape_rule, shape_first=True)

    def meta(args, kwargs):
        b = bind(fn, args, kwargs)
        try:
            return _with_out(b, b.pop("out"), args, kwargs)
        except IndexError as exc:
            # an empty ``a``: NumPy's message names an index computed from q's values
            empty = 0 in shapes.shape_of(b["a"])
            if q and isinstance(b["q"], Meta) and type(exc) is IndexError and empty:
                raise DataDependentShape(f"{fn.__name__} of an empty array: {exc}") from exc
            raise

    def _with_out(b, out, args, kwargs):
        if not isinstance(out, Meta):
            return rule(args, kwargs)
        shape = shape_rule(fn, args, kwargs)
        result = run_on(tiny, fn, (), b)
        stand_in = tiny(out) if out.scalar else np.zeros(np.shape(result), out.dtype)
        run_on(tiny, fn, (), {**b, "out": stand_in})
        return Meta(tuple(shape), out.dtype, False)
    return meta


register("median", Family.REDUCTION, np.median, _ureduce(np.median), mutates=(0, "out"))
for _f in (np.percentile, np.quantile):
    register(_f.__name__, Family.REDUCTION, _f, _ureduce(_f, q=True), mutates=(0, "out"))

# -- elementwise functions that are not ufunc calls ---------------------------------------


_where3 = computed(np.where, shapes.named_broadcast(np.where, ("condition", "x", "y")))


def _where_meta(args, kwargs):
    if len(args) == 1:
        raise DataDependentShape("np.where(condition) (nonzero) has a data-dependent shape")
    return _where3(args, kwargs)


register("where", Family.ELEMENTWISE, np.where, _where_meta, kernel="where")
register("clip", Family.ELEMENTWISE, np.clip,
         computed(np.clip, shapes.named_broadcast(np.clip, ("a", "a_min", "a_max", "min", "max"))),
         kernel="clip", mutates=("out",))


def astype(a, dtype, *args, **kwargs):
    return a.astype(dtype, *args, **kwargs)


def copy(a, *args, **kwargs):
    """ndarray.copy (a NumPy scalar's copy stays a scalar)."""
    return a.copy(*args, **kwargs)


_SAME_SHAPE = [
    # name, impl, view
    ("astype", astype, False),
    ("copy", copy, False),
    ("imag", np.imag, True),
    ("conj", np.conj, False),
    ("abs", np.abs, False),
    ("round", np.round, False),
    ("around", np.around, False),
    ("nan_to_num", np.nan_to_num, False),
]
for _n, _f, _v in _SAME_SHAPE:
    register(_n, Family.ELEMENTWISE, _f, computed(_f, shapes.same), view=_v,
             kernel="absolute" if _n == "abs" else None)

register("real", Family.ELEMENTWISE, np.real, viewed(np.real), view=True)

# scalar type constructors applied to arrays or scalars: np.float32(x) is x.astype(float32)
for _n in ("bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64", "complex64", "complex128"):
    _t = getattr(np, _n)
    register(_n, Family.ELEMENTWISE, _t, computed(_t, shapes.same))

# -- shape ops -----------------------------------------------------------------------------
for _n in ("reshape", "transpose", "flip", "squeeze", "expand_dims", "broadcast_to",
           "diagonal", "swapaxes", "moveaxis"):
    _f = getattr(np, _n)
    register(_n, Family.SHAPE, _f, viewed(_f), view=True)

register("ravel", Family.SHAPE, np.ravel, computed(np.ravel, shapes.ravel), view=True)

_COPYING_SHAPE = [
    ("concatenate", np.concatenate, shapes.concatenate),
    ("stack", np.stack, shapes.stack),
    ("hstack", np.hstack, shapes.hstack),
    ("vstack", np.vstack, shapes.vstack),
    ("repeat", np.repeat, shapes.repeat),
    ("tile", np.tile, shapes.tile),
    ("roll", np.roll, shapes.same),        # periodic stencils: np.roll(u, 1, axis=0)
    ("triu", np.triu, shapes.tri),
    ("tril", np.tril, shapes.tri),
]
for _n, _f, _rule in _COPYING_SHAPE:
    register(_n, Family.SHAPE, _f,
             computed(_f, _rule, shapes.repeat_probe_args if _n == "repeat" else None))

# -- creation --------------------------------------------------------------------------------
for _n in ("zeros", "empty", "ones"):
    register(_n, Family.CREATION, getattr(np, _n), creation.creation(getattr(np, _n)))
register("full", Family.CREATION, np.full, creation.creation(np.full, fill_param="fill_value"))
for _n in ("zeros_like", "empty_like", "ones_like"):
    register(_n, Family.CREATION, getattr(np, _n), creation.creation(getattr(np, _n), like=True))
register("full_like", Family.CREATION, np.full_like,
         creation.creation(np.full_like, like=True, fill_param="fill_value"))
register("arange", Family.CREATION, np.arange, creation.arange_meta)
register("linspace", Family.CREATION, np.linspace, creation.linspace_meta)
register("eye", Family.CREATION, np.eye, creation.eye_meta)
register("identity", Family.CREATION, np.identity, creation.identity_meta)

# -- linear algebra --------------------------------------------------------------------------
_LINALG = [
    ("dot", np.dot, shapes.dot),
    ("matmul", np.matmul, shapes.matmul),
    ("outer", np.outer, shapes.np_outer),
    ("inner", np.inner, shapes.inner),
    ("vdot", np.vdot, shapes.vdot),
    ("tensordot", np.tensordot, shapes.tensordot),
    ("einsum", np.einsum, shapes.einsum),
    ("trace", np.trace, shapes.trace),
    ("linalg.norm", np.linalg.norm, shapes.norm),
]
for _n, _f, _rule in _LINALG:
    register(_n, Family.LINALG, _f, computed(_f, _rule, shape_first=_n == "tensordot"),
             mutates=("out",) if _n in {"dot", "matmul", "outer", "einsum", "trace"} else ())

_SOLVERS = [
    # name, impl, shape rule; dtypes probed on 1x1 matrices of ones (never singular)
    ("linalg.solve", np.linalg.solve, linalg.solve_shape),
    ("linalg.inv", np.linalg.inv, linalg.inv_shape),
    ("linalg.det", np.linalg.det, linalg.det_shape),
]
for _n, _f, _rule in _SOLVERS:
    register(_n, Family.LINALG, _f, linalg.solver(_f, _rule))
register("diag", Family.LINALG, np.diag, linalg.diag_meta, view=True)

# -- indexing --------------------------------------------------------------------------------
register("getitem", Family.INDEXING, indexing.getitem, indexing.getitem_meta, view=True)
register("setitem", Family.INDEXING, indexing.setitem, indexing.setitem_meta, mutates=(0,))

# -- opaque: framejit.custom_op calls (args[0] is the op; effects and mutations per node) -----
register("custom_op", Family.OPAQUE, opaque.impl, opaque.meta, mutates=(opaque.PER_NODE,))
