"""User programs that mix modes: ``framejit.disable`` helpers (plotting/logging
stand-ins), ``nonstrict_trace`` helpers, ``graph_break()``, ``set_fullgraph(False)``
regions inside ``compile(fullgraph=True)``, ``error_on_graph_break(True)`` blocks (a
forbidden break raises GraphBreakError before any effect of its segment, SEMANTICS §3),
custom ops with and without fakes, and data handling around them: dicts of arrays,
``print`` to a StringIO, ``logging``, ``warnings.warn``. Each runs compiled against plain
Python (tests/e2e/user_programs.py); programs whose break must raise are compared with
plain Python up to the start of the raising segment."""
import io
import warnings

import numpy as np
import pytest

import framejit as fj
from framejit import _native
from user_programs import LOG, logger, run, same_as_python

RNG = np.random.default_rng(3)
X = RNG.standard_normal((4, 6))
V = RNG.standard_normal(8)


# ---------------------------------------------------------------- escape hatches

@fj.disable
def plot(name, arr):
    """A plotting stand-in: never traced, sees real arrays."""
    LOG.append(("plot", name, type(arr).__name__, arr.shape, round(float(arr.sum()), 6)))


def train_loop(w, x, steps, lr=0.1):
    history = {}
    for step in range(steps):
        pred = x @ w
        grad = x.T @ (pred - 1.0) / x.shape[0]
        w = w - lr * grad
        loss = float(((pred - 1.0) ** 2).mean())
        history.setdefault("loss", []).append(loss)
        if step % 2 == 0:
            plot(f"w@{step}", w)
    logger.info("final loss %.6f after %d steps", history["loss"][-1], steps)
    return w, history


def test_training_loop_with_a_disabled_plot_helper_and_logging():
    same_as_python(train_loop, [(np.zeros(6), X, 3), (np.zeros(6), X, 3), (np.ones(6), X[:2], 2)],
                   tol=1e-12)


@fj.nonstrict_trace
def robust_scale(x):
    med = np.median(x, axis=0)
    mad = np.median(np.abs(x - med), axis=0)
    return (x - med) / (mad + 1e-9)


def uses_nonstrict(x):
    z = robust_scale(x) * 2
    return z.clip(-3, 3).sum(axis=1)


def test_nonstrict_helper_inside_fullgraph():
    same_as_python(uses_nonstrict, [(X,), (X.T,), (X.astype(np.float32),)], tol=1e-5,
                   fullgraph=True)


def inline_nonstrict(x):
    return fj.nonstrict_trace(lambda a: np.sort(a, axis=-1)[..., ::-1])(x) + 1


def test_nonstrict_called_inline():
    same_as_python(inline_nonstrict, [(X,), (V,)], fullgraph=True)


@fj.custom_op("userprog::soft_threshold")
def soft_threshold(x, lam):
    LOG.append(("soft_threshold", x.shape, lam))
    return np.sign(x) * np.maximum(np.abs(x) - lam, 0.0)


@soft_threshold.register_fake
def _(x, lam):
    return np.empty(x.shape, x.dtype)


def ista(a, b, lam, steps):
    x = np.zeros(a.shape[1])
    step = 1.0 / np.linalg.norm(a, 2) ** 2 if a.size else 1.0
    for _ in range(steps):
        x = soft_threshold(x - step * a.T @ (a @ x - b), lam * step)
    return x


def test_ista_with_a_custom_op_with_fake():
    a = RNG.standard_normal((5, 3))
    b = RNG.standard_normal(5)
    same_as_python(ista, [(a, b, 0.1, 3), (a, b, 0.5, 3), (a[:2], b[:2], 0.1, 2)], tol=1e-12)


@fj.custom_op("userprog::histogram_counts")
def histogram_counts(x, bins):
    counts, _ = np.histogram(x, bins=bins)
    return counts


def uses_custom_op_without_fake(x):
    y = x * 2
    LOG.append("before op")
    c = histogram_counts(y, 4)
    LOG.append(("after op", int(c.sum())))
    return c + 1


def test_custom_op_without_fake_breaks_in_order():
    same_as_python(uses_custom_op_without_fake, [(V,), (V,), (X.ravel(),)])


@fj.custom_op("userprog::checked")
def checked(x):
    if not np.all(np.isfinite(x)):
        raise FloatingPointError("non-finite input")
    return x + 0.5


@checked.register_fake
def _(x):
    return np.empty_like(x)


def custom_op_raises(x):
    LOG.append("start")        # (without it the op joins the graph and its exception
    #                            bypasses the handler: test_fuzz_regressions, custom_op_body)
    try:
        y = checked(x * 2)
    except FloatingPointError as exc:
        LOG.append(str(exc))
        y = np.zeros_like(x)
    return y


def test_custom_op_raising_inside_try():
    same_as_python(custom_op_raises, [(V,), (np.array([1.0, np.inf]),), (X,),
                                      (np.array([np.nan]),)])


# ---------------------------------------------------------------- graph breaks and regions

def checkpointed(x, buf):
    y = np.tanh(x) * 3
    print(f"stage 1 shape={y.shape}", file=buf)
    fj.graph_break("checkpoint")
    z = y.sum(axis=-1)
    print(f"stage 2 total={float(z.sum()):.6f}", file=buf)
    return z


def test_print_to_a_stringio_around_an_explicit_break():
    same_as_python(checkpointed, [(X, io.StringIO()), (V, io.StringIO())], tol=1e-12)


def relaxed_region(x):
    y = x * 2
    with fj.set_fullgraph(False):
        LOG.append("relaxed")
        warnings.warn(f"input has {x.size} elements", UserWarning)
        if float(y.max()) > 0:
            y = y - 1
    return y + 1


def test_set_fullgraph_false_region_inside_fullgraph():
    same_as_python(relaxed_region, [(X,), (-X,), (V,)], tol=1e-12)
    cf = fj.compile(relaxed_region, fullgraph=True)
    for args in [(X,), (-X,)]:
        want, got = run(relaxed_region, args), run(cf, args)
        assert got[0] == "ok" and got[3] == want[3]
        np.testing.assert_array_equal(got[1], want[1])
    assert _native._modes.depth() == 0


def forbidden_print(x, buf):
    y = x + 1
    LOG.append("segment 1")
    if float(y.sum()) > -1e300:            # an allowed break: segment 1 has run
        LOG.append("segment 2")            # the raising segment starts at float()
    with fj.error_on_graph_break(True):
        z = y * 2
        LOG.append("inside")               # same segment as the forbidden print
        print("z", z.shape, file=buf)      # forbidden: raises before its segment
    return z


def test_error_on_graph_break_block_raises_before_its_segment():
    for args in [(X, io.StringIO()), (V, io.StringIO())]:
        got = run(fj.compile(forbidden_print), args)
        assert got[0] == "raised" and got[1][0] is fj.GraphBreakError, got[:2]
        assert got[3]["LOG"] == ["segment 1"], got[3]
        assert got[2][1].getvalue() == ""
        assert _native._modes.depth() == 0


@fj.error_on_graph_break(True)
def strict_stats(x):
    m = x.mean(axis=0)
    s = x.std(axis=0)
    if np.any(s == 0):                     # forbidden data-dependent break
        raise ValueError("constant column")
    return (x - m) / s


def pipeline(x):
    LOG.append(("in", x.shape))
    z = strict_stats(x)
    LOG.append("after")
    return z


def test_strict_decorated_callee_raises_under_a_lenient_caller():
    got = run(fj.compile(pipeline), (X,))
    assert got[0] == "raised" and got[1][0] is fj.GraphBreakError, got[:2]
    assert "data_dependent" in got[1][1]
    assert got[3]["LOG"] == [], "LOG.append is in the raising segment"
    assert _native._modes.depth() == 0


def lenient_inside_strict(x):
    with fj.error_on_graph_break(False):
        LOG.append("allowed")
        plot("x", x)                       # disabled call: a break, allowed here
    return x * 3


def test_disabled_call_in_a_lenient_block_under_error_on_graph_break():
    def prog(x):
        with fj.error_on_graph_break(True):
            return lenient_inside_strict(x)
    same_as_python(prog, [(X,), (V,)])


def test_plain_callee_breaks_under_fullgrath_raise_before_effects():
    def prog(x):
        LOG.append("start")
        plot("x", x)
        return x
    got = run(fj.compile(prog, fullgraph=True), (X,))
    assert got[0] == "raised" and got[1][0] is fj.GraphBreakError
    assert got[3]["LOG"] == []
    assert _native._modes.depth() == 0


# ---------------------------------------------------------------- data handling

def summarize(tables):
    report = {}
    for name, arr in sorted(tables.items(), key=lambda kv: kv[0]):
        if arr.size == 0:
            warnings.warn(f"table {name!r} is empty", RuntimeWarning)
            continue
        stats = {"mean": arr.mean(axis=0), "max": arr.max(axis=0)}
        if np.isnan(arr).any():
            logger.warning("%s has NaNs", name)
            stats["nan_rows"] = np.isnan(arr).any(axis=1).sum()
        report[name] = stats
    return report


def test_dict_of_arrays_summary_with_warnings_and_logging():
    nan = X.copy()
    nan[1, 2] = np.nan
    same_as_python(summarize, [({"b": X, "a": V[:, None]},), ({"z": np.zeros((0, 3)), "n": nan},),
                               ({"b": X, "a": V[:, None]},)], tol=1e-12)


def stack_and_split(arrs, axis):
    if not arrs:
        raise ValueError("need at least one array")
    shapes = {a.shape for a in arrs}
    if len(shapes) != 1:
        raise ValueError(f"shapes differ: {sorted(shapes)}")
    s = np.stack(arrs, axis=axis)
    parts = [s.take(i, axis=axis) for i in range(s.shape[axis])]
    return s, [p.sum() for p in parts]


def test_stack_list_of_arrays_with_validation():
    same_as_python(stack_and_split, [([V, V * 2], 0), ([V, V * 2], 1), ([V, X.ravel()[:7]], 0),
                                     ([], 0), ([X, X, X], -1)], tol=1e-12)


def record_shapes(batch, buf):
    names = [f"item{i}" for i in range(len(batch))]
    for name, arr in zip(names, batch):
        print(f"{name}: shape={arr.shape} dtype={arr.dtype} nbytes={arr.nbytes}", file=buf)
    total = sum(a.size for a in batch)
    assert total == sum(int(np.prod(a.shape)) for a in batch)
    return buf.getvalue().count("\n"), total


def test_print_shapes_to_a_stringio_argument():
    same_as_python(record_shapes, [([X, V], io.StringIO()), ([V.astype(np.float32)], io.StringIO())])
