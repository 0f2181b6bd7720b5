"""Run-time sizes (``DynDim``): boolean-mask selections and the ops that follow them.

Metas are checked against NumPy on concrete masks (the DynDim replaced by the mask's
count), the eager backend against NumPy bit for bit; ops that need a concrete size raise
DataDependentShape; errors that do not depend on the run-time size stay NumPy's."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from framejit.backends import eager
from framejit.graph import dyn
from framejit.graph.builder import GraphBuilder
from framejit.graph.infer import meta_of
from framejit.graph.ir import DataDependentShape, DynDim, Meta
from framejit.graph.verify import verify

FAST = settings(max_examples=150, deadline=None, database=None)
DTYPES = st.sampled_from([np.dtype(t) for t in ("bool", "int32", "int64", "float32", "float64")])


def _meta(a):
    return Meta(tuple(np.shape(a)), np.asarray(a).dtype, isinstance(a, np.generic))


def _resolve(meta, sizes):
    """The Meta with every DynDim replaced by its run-time size."""
    return Meta(tuple(sizes.get(d.key, d) if isinstance(d, DynDim) else d for d in meta.shape),
                meta.dtype, meta.scalar)


def _numpy(fn, *arrays):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", fn(*[a.copy() for a in arrays]))
        except Exception as exc:
            return ("err", type(exc))


def _run(b, inputs, outs, arrays):
    g = b.build(outs)
    verify(g)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's own, e.g. the mean of an empty selection
        return eager(g, arrays)(*[a.copy() for a in arrays])


def _same(got, want):
    assert type(got) is type(want) and np.asarray(got).dtype == np.asarray(want).dtype
    assert np.asarray(got).shape == np.asarray(want).shape
    assert np.asarray(got).tobytes() == np.asarray(want).tobytes()


@st.composite
def masked(draw, min_dims=1):
    dt = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=0, max_side=4))
    k = draw(st.integers(1, len(shape)))
    start = draw(st.integers(0, len(shape) - k))
    x = draw(hnp.arrays(dt, shape, elements=st.integers(-3, 3).map(dt.type)
                        if dt != np.bool_ else st.booleans()))
    mask = draw(hnp.arrays(np.bool_, shape[start:start + k]))
    form = draw(st.sampled_from(["slices", "ellipsis"]))
    trailing = start > 0 and start + k == len(shape)
    lead = (Ellipsis,) if form == "ellipsis" and trailing else (slice(None),) * start
    tail = (Ellipsis,) if form == "ellipsis" and start == 0 and k < len(shape) else ()
    return x, mask, lead, tail


@FAST
@given(masked())
def test_selection_meta_and_eager(case):
    x, mask, lead, tail = case
    b = GraphBuilder()
    xn, mn = b.add_input(_meta(x), "x"), b.add_input(_meta(mask), "m")
    idx = lead + (mn,) + tail
    sel = b.add("getitem", (xn, idx if len(idx) > 1 else mn))
    assert DynDim("m") in sel.meta.shape or mask.size == 0
    want = x[lead + (mask,) + tail]
    assert _resolve(sel.meta, {"m": int(mask.sum())}) == _meta(want)
    (got,) = _run(b, [xn, mn], [sel], [x, mask])
    _same(got, want)


FOLLOWERS = {
    "scale": lambda b, s, t: b.add("multiply", (s, 2)),
    "same_mask_pair": lambda b, s, t: b.add("subtract", (s, t)),
    "astype": lambda b, s, t: b.add("astype", (s, np.float32)),
    "where": lambda b, s, t: b.add("where", (b.add("greater", (s, 0)), s, 0)),
    "abs_lt_std": lambda b, s, t: b.add("less", (b.add("absolute", (s,)), b.add("std", (s,)))),
    "sum": lambda b, s, t: b.add("sum", (s,)),
    "mean0": lambda b, s, t: b.add("mean", (s,), {"axis": 0}),
    "max_keep": lambda b, s, t: b.add("max", (s,), {"axis": 0, "keepdims": True}),
    "min_last": lambda b, s, t: b.add("min", (s,), {"axis": -1}),
    "argmax": lambda b, s, t: b.add("argmax", (s,)),
    "cumsum_flat": lambda b, s, t: b.add("cumsum", (s,)),
    "sort": lambda b, s, t: b.add("sort", (s,), {"axis": 0}),
    "median": lambda b, s, t: b.add("median", (s,), {"axis": 0}),
    "transpose": lambda b, s, t: b.add("transpose", (s,)),
    "col": lambda b, s, t: b.add("reshape", (s, (-1, 1))),
    "index0": lambda b, s, t: b.add("getitem", (s, 0)),
    "reverse": lambda b, s, t: b.add("getitem", (s, slice(None, None, -1))),
    "reselect": lambda b, s, t: b.add("getitem", (s, b.add("greater", (s, 0)))),
    "zeros_like": lambda b, s, t: b.add("zeros_like", (s,)),
    "stack": lambda b, s, t: b.add("stack", ([s, t],)),
    "matmul_T": lambda b, s, t: b.add("matmul", (b.add("transpose", (s,)), t)),
}


@st.composite
def leading(draw):
    dt = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=5))
    x = draw(hnp.arrays(dt, shape, elements=st.integers(-3, 3).map(dt.type)
                        if dt != np.bool_ else st.booleans()))
    return x, draw(hnp.arrays(np.bool_, shape[:1]))


@FAST
@given(leading(), st.sampled_from(sorted(FOLLOWERS)))
def test_ops_after_a_selection(case, name):
    x, mask = case
    b = GraphBuilder()
    xn, mn = b.add_input(_meta(x), "x"), b.add_input(_meta(mask), "m")
    s, t = b.add("getitem", (xn, mn)), b.add("getitem", (xn, mn))
    try:
        out = FOLLOWERS[name](b, s, t)
    except DataDependentShape:
        assert name in ("col", "cumsum_flat") and x.ndim == 2, name
        return  # (D, c) -> (D * c, ...): a size computed from the run-time size
    except Exception as exc:  # a size-independent error: NumPy raises it for any mask
        assert _numpy(lambda a, m: FOLLOWERS[name](_Np(), a[m], a[m]), x, mask)[0] == "err", exc
        return
    sizes = {"m": int(mask.sum())}
    want = _numpy(lambda a, m: FOLLOWERS[name](_Np(), a[m], a[m]), x, mask)
    if want[0] == "err":
        return  # raised by NumPy at run time (max of an empty selection, ...)
    got_meta = _resolve(out.meta, sizes)
    if any(isinstance(d, DynDim) for d in got_meta.shape):  # the reselection's own count
        sel = x[mask]
        got_meta = _resolve(got_meta, {out.args[1].name: int((sel > 0).sum())})
    assert got_meta == _meta(want[1]), (name, out.meta, want[1])
    (got,) = _run(b, [xn, mn], [out], [x, mask])
    _same(got, want[1])


class _Np:
    """Runs FOLLOWERS on real arrays: ``add(op, args, kwargs)`` calls the registry impl."""

    def add(self, op, args, kwargs=None):
        from framejit.graph.ops import OPS
        return OPS[op].impl(*args, **(kwargs or {}))


def _sel(shape=(6, 3), dtype="float64"):
    b = GraphBuilder()
    x = b.add_input(Meta(shape, np.dtype(dtype)), "x")
    m = b.add("greater", (x, 0)) if len(shape) == 1 else b.add(
        "greater", (b.add("getitem", (x, (slice(None), 0))), 0))
    return b, x, m, b.add("getitem", (x, m))


@pytest.mark.parametrize("make", [
    lambda b, x, m, s: b.add("reshape", (s, (-1,))),            # 3 * D
    lambda b, x, m, s: b.add("reshape", (s, (2, -1))),          # D must be even
    lambda b, x, m, s: b.add("getitem", (s, slice(0, 2))),      # min(D, 2)
    lambda b, x, m, s: b.add("getitem", (s, slice(1, None))),   # D - 1
    lambda b, x, m, s: b.add("concatenate", ([s, s],)),         # 2 * D
    lambda b, x, m, s: b.add("squeeze", (s,)),                  # drops D when D == 1
    lambda b, x, m, s: b.add("diagonal", (s,)),                 # min(D, 3)
    lambda b, x, m, s: b.add("diff", (s,), {"axis": 0}),        # D - 1
    lambda b, x, m, s: b.add("add", (s, np.ones((5, 3)))),      # D == 5 or 1 at run time?
    lambda b, x, m, s: b.add("add", (s, b.add("getitem", (x, b.add("less", (x, 0)))))),
    lambda b, x, m, s: b.add("ravel", (s,)),
], ids=["reshape-1", "reshape2", "slice", "slice1", "concat", "squeeze", "diagonal", "diff",
        "broadcast", "other_mask", "ravel"])
def test_ops_needing_a_concrete_size_raise(make):
    with pytest.raises(DataDependentShape):
        make(*_sel())


def test_size_independent_errors_stay_numpys():
    b, x, m, s = _sel()
    with pytest.raises(np.exceptions.AxisError, match="axis 2 is out of bounds"):
        b.add("sum", (s,), {"axis": 2})
    with pytest.raises(TypeError, match="did not contain a loop"):
        b.add("add", (s, "text"))
    with pytest.raises(IndexError, match="too many indices"):
        b.add("getitem", (s, (0, 0, 0)))
    with pytest.raises(IndexError, match="boolean index did not match"):
        b.add("getitem", (x, b.add_input(Meta((4,), np.dtype(bool)), "wrong")))


def test_concrete_size_reads_raise():
    _, _, _, s = _sel()
    assert s.meta.dynamic and s.meta.ndim == 2 and s.meta.dtype == np.float64
    with pytest.raises(DataDependentShape):
        s.meta.size
    with pytest.raises(DataDependentShape):
        s.meta.concrete()
    assert Meta((2, 3), np.dtype("f8")).concrete() == (2, 3)


def test_mask_writes_keep_the_static_shape():
    b, x, m, s = _sel()
    doubled = b.add("multiply", (s, 2.0), {"out": s})           # x[m] *= 2
    for value in (0.0, doubled, np.ones(3), np.ones((1, 3)), b.add("getitem", (x, 0))):
        assert b.add("setitem", (x, m, value)).meta == Meta((6, 3), np.dtype("float64"))
    # a static value of the run-time size is for NumPy to accept or reject at run time
    assert b.add("setitem", (x, m, np.ones((4, 3)))).meta.shape == (6, 3)
    with pytest.raises(DataDependentShape):  # never fits: NumPy's message names D
        b.add("setitem", (x, m, np.ones((4, 2))))
    with pytest.raises(ValueError):  # static parts disagree whatever the mask
        b.add("setitem", (x, (slice(None), slice(0, 2)), np.ones(3)))
    verify(b.build([doubled]))


def test_eager_mask_write_pattern_is_bit_identical():
    rng = np.random.default_rng(0)
    y, mask = rng.normal(size=(7, 3)), rng.normal(size=7) > 0
    b = GraphBuilder()
    yn, mn = b.add_input(_meta(y), "y"), b.add_input(_meta(mask), "mask")
    sel = b.add("getitem", (yn, mn))
    b.add("multiply", (sel, -1.5), {"out": sel})
    b.add("setitem", (yn, mn, sel))
    neg = b.add("less", (yn, 0))
    b.add("setitem", (yn, neg, b.add("subtract", (1.0, b.add("getitem", (yn, neg))))))
    g = b.build([yn])
    verify(g)
    assert "nnz(mask)" in str(g)
    want = y.copy()
    want[mask] *= -1.5
    want[want < 0] = 1.0 - want[want < 0]
    got = y.copy()
    eager(g, [got, mask])(got, mask)
    _same(got, want)


def test_stand_ins_are_distinct_huge_primes():
    for p in dyn.STAND_INS:
        assert p > 1 << 40 and all(p % q for q in range(2, 2000))
    gaps = np.diff(sorted(dyn.STAND_INS))
    assert gaps.min() > 1 << 32 and max(dyn.STAND_INS) < 2 * min(dyn.STAND_INS)
