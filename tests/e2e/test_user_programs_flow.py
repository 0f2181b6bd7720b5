"""User programs, control-flow style: early returns inside loops, ``break``/``continue``,
``for ... else``, nested ``try``/``except``/``finally`` with graph breaks inside, ``with``
blocks (user context managers, ``open`` on a temp file, ``np.errstate``), generators
consumed in traced code, comprehensions over arrays and shapes, ``zip``/``enumerate``/
``reversed``/``range(len(x))``, and data-dependent Python values (``float(x.mean())``,
``x.item()``, ``int(np.argmax(x))``, ``x.tolist()``, ``if np.any(mask):``,
``np.nonzero``, boolean masks, dtype checks, ``isinstance``). Each runs compiled against
plain Python (tests/e2e/user_programs.py).

PYTEST_DONT_REWRITE: the programs' own ``assert`` statements must run as plain Python's
(pytest's rewriting would put object addresses into their messages)."""
import contextlib
import os
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framejit as fj
from user_programs import LOG, logger, same_as_python

RNG = np.random.default_rng(5)
X = RNG.standard_normal((6, 5))
V = RNG.standard_normal(9)
I64 = RNG.integers(-5, 5, 12)
B = V > 0


# ---------------------------------------------------------------- loops and exits

def first_negative_row(x):
    for i in range(len(x)):
        row = x[i]
        if row.min() < -1.0:
            LOG.append(("found", i))
            return i, row * 2
        LOG.append(("ok", i))
    return -1, None


def test_early_return_inside_a_loop_on_a_data_dependent_test():
    same_as_python(first_negative_row, [(X,), (X,), (np.abs(X),), (X[::-1],),
                                        (np.zeros((0, 5)),)])


def clipped_cumsum(v, limit):
    total = 0.0
    out = []
    for k, val in enumerate(v):
        if val < 0:
            continue
        total += float(val)
        if total > limit:
            LOG.append(f"limit hit at {k}")
            break
        out.append(total)
    else:
        LOG.append("exhausted")
    return np.array(out), total


def test_break_continue_for_else_over_array_elements():
    same_as_python(clipped_cumsum, [(V, 1.0), (V, 100.0), (V.astype(np.float32), 0.5),
                                    (I64, 3), (np.zeros(0), 1.0)])


def power_iteration(a, tol=1e-10, max_iter=500):
    v = np.ones(a.shape[0]) / np.sqrt(a.shape[0])
    lam = 0.0
    it = 0
    while True:
        w = a @ v
        new = float(v @ w)
        v = w / np.linalg.norm(w)
        it += 1
        if abs(new - lam) < tol * max(1.0, abs(new)):
            break
        if it >= max_iter:
            warnings.warn(f"power iteration stopped after {it} steps", RuntimeWarning)
            break
        lam = new
    return new, v, it


def test_power_iteration_while_true_and_a_warning():
    sym = X.T @ X
    # quiet=False: abs()/max() of the float computed after the break specialize on its
    # value, so the resume function recompiles every iteration up to cache_size_limit
    same_as_python(power_iteration, [(sym,), (sym, 1e-3), (np.eye(3) * 2.0,),
                                     (sym, 1e-30, 3)], tol=1e-9, quiet=False)


def relax_until_small(v, tol):
    it = 0
    while True:
        v = v * 0.5
        err = float(np.abs(v).max())
        if err < tol:
            break
        it += 1
    return v, it


def test_convergence_loop_compares_a_float_without_recompiling_per_iteration():
    # err < tol is decided under a PRED guard: one resume entry per outcome, not one per
    # value of err (which reached cache_size_limit after 8 iterations)
    cb = same_as_python(relax_until_small, [(V, 1e-3), (V * 4, 1e-6), (V, 1e-3)])
    assert len(cb.graphs) <= 4


def branch_on_floats(x, a, b):
    out = []
    for c in (a, b, a * 2.0, 1.5):
        if c < b:
            x = x + 1
        if c == a:
            x = x * 2
        if c >= 0.25:
            out.append(c)
    return x, out


_FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, -0.0, 0.25, 1.5, 3.0, float("nan")]))


@settings(max_examples=15, deadline=None)
@given(calls=st.lists(st.tuples(_FLOATS, _FLOATS), min_size=1, max_size=4))
def test_comparisons_of_changing_floats_match_python(calls):
    fj.reset()
    same_as_python(branch_on_floats, [(V[:3], a, b) for a, b in calls], quiet=False)


def zip_reversed_range(xs, ws):
    acc = np.zeros_like(xs[0])
    for x, w in zip(reversed(xs), ws):
        acc = acc * 0.5 + w * x
    for i in range(len(xs) - 1, -1, -1):
        acc -= xs[i] * 0.01 * i
    return acc


def test_zip_reversed_and_negative_range():
    same_as_python(zip_reversed_range, [([V, V * 2, V * 3], [1.0, 2.0, 3.0]),
                                        ([X], [0.5, 9.0]), ([V[:3]] * 4, (1, 2, 3, 4))],
                   fullgraph=True)


# ---------------------------------------------------------------- try / except / finally

def safe_log_ratio(a, b):
    try:
        if np.any(b == 0):
            raise ZeroDivisionError("b has zeros")
        r = np.log(a / b)
    except ZeroDivisionError as e:
        LOG.append(str(e))
        r = np.zeros_like(a)
    finally:
        LOG.append("finally")
    return r


def test_raise_and_catch_on_a_data_dependent_check():
    same_as_python(safe_log_ratio, [(np.abs(V) + 1, np.abs(V) + 2), (V, np.zeros(9)),
                                    (np.abs(V) + 1, np.abs(V) + 2)], tol=1e-12)


def nested_handlers(x, fail_at):
    results = []
    for i in range(3):
        try:
            try:
                y = x * (i + 1)
                if float(y.sum()) > fail_at:
                    raise ValueError(f"too big at {i}")
                results.append(y.mean())
            finally:
                LOG.append(("inner finally", i))
        except ValueError as exc:
            LOG.append(("caught", str(exc)))
            fj.graph_break()
            results.append(-1.0)
        else:
            LOG.append(("else", i))
    return results


def test_nested_try_finally_with_breaks_in_handlers():
    same_as_python(nested_handlers, [(np.abs(X), 40.0), (np.abs(X), 1e9), (np.abs(X), -1.0),
                                     (np.abs(X[:2]), 10.0)], tol=1e-12)


def reraise_with_context(x):
    try:
        return np.linalg.inv(x)
    except np.linalg.LinAlgError as exc:
        LOG.append(type(exc).__name__)
        raise ValueError(f"matrix of shape {x.shape} is singular") from exc


def test_numpy_error_translated_with_raise_from():
    # the singular case is test_fuzz_regressions'
    # test_exception_raised_by_a_graph_at_run_time_reaches_the_handler (strict xfail)
    same_as_python(reraise_with_context, [(np.eye(3) * 2,), (np.diag([1.0, 4.0]),)],
                   tol=1e-12)


def validate(x):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"expected ndarray, got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"expected 2-D input, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"expected floats, got {x.dtype}")
    if x.shape[0] == 0:
        raise ValueError("empty input")
    assert np.isfinite(x).all(), "non-finite values"
    return x - x.mean(axis=0)


@pytest.mark.parametrize("arg", [X, V, X.astype(np.int64), np.zeros((0, 3)), [[1.0, 2.0]],
                                 np.array([[np.nan, 1.0]]), X.astype(np.float32), X.T],
                         ids=["ok", "1d", "int", "empty", "list", "nan", "f32", "T"])
def test_input_validation_messages(arg):
    same_as_python(validate, [(arg,), (arg,)], tol=1e-5)


# ---------------------------------------------------------------- with blocks

@contextlib.contextmanager
def section(name):
    LOG.append(("enter", name))
    try:
        yield name.upper()
    except KeyError:
        LOG.append(("swallowed", name))
    finally:
        LOG.append(("exit", name))


def with_sections(x, key):
    table = {"a": 1.0, "b": 2.0}
    with section("outer") as tag:
        y = x * 2
        with section("inner"):
            y = y + table[key]
            LOG.append(tag)
        y = y - 1
    return y


def test_contextmanager_generator_swallowing_an_exception():
    same_as_python(with_sections, [(X, "a"), (X, "b"), (X, "zzz"), (V, "a")])


def errstate_division(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a / b
    r[~np.isfinite(r)] = 0.0
    return r


def test_np_errstate_block_and_masked_assignment():
    same_as_python(errstate_division, [(V, np.round(V)), (X, np.zeros_like(X)),
                                       (V.astype(np.float32), np.ones(9, np.float32))])


def write_and_read_back(x, path):
    with open(path, "w") as fh:
        for row in np.atleast_2d(x):
            fh.write(",".join(f"{v:.3f}" for v in row) + "\n")
    with open(path) as fh:
        lines = fh.read().splitlines()
    return len(lines), np.loadtxt(path, delimiter=",", ndmin=2).sum()


def test_open_a_temp_file_inside_traced_code(tmp_path):
    path = str(tmp_path / "out.csv")
    same_as_python(write_and_read_back, [(X, path), (V[:3], path)], tol=1e-12)


# ---------------------------------------------------------------- generators, comprehensions

def chunks(x, size):
    for start in range(0, x.shape[0], size):
        yield x[start:start + size]


def chunked_means(x, size):
    return [c.mean(axis=0) for c in chunks(x, size)]


def test_generator_consumed_in_a_comprehension():
    # lenient only: a generator called inside traced code is a `generator` break
    same_as_python(chunked_means, [(X, 2), (X, 4), (V, 5)], tol=1e-12)


def running_max(values):
    best = None
    for v in values:
        if best is None or v > best:
            best = v
            yield best


def generator_with_data_dependent_branch(v):
    return list(running_max(v))


def test_generator_with_a_data_dependent_branch():
    same_as_python(generator_with_data_dependent_branch, [(V,), (I64,), (np.zeros(0),)])


def comprehensions(x):
    shapes = {k: v.shape for k, v in {"x": x, "xt": x.T, "r": x.ravel()}.items()}
    dims = {d for s in shapes.values() for d in s}
    cols = [x[:, j] * j for j in range(x.shape[1])]
    total = sum(c.sum() for c in cols)
    text = ", ".join(f"{k}={s}" for k, s in sorted(shapes.items()))
    return shapes, sorted(dims), np.stack(cols), total, text


def test_dict_set_list_generator_comprehensions_and_fstrings_of_shapes():
    # lenient, quiet=False: set comprehensions (no BUILD_SET/SET_ADD handler) and
    # sum(<genexpr>) break per element; new shapes recompile up to cache_size_limit
    same_as_python(comprehensions, [(X,), (X[:2, :3],), (np.zeros((0, 2)),)], tol=1e-12,
                   quiet=False)


def value_comprehension(x):
    pos = [float(v) for v in x if v > 0]
    return len(pos), sum(pos), {round(v, 3) for v in x.tolist()}


def test_comprehension_over_array_values_with_filters():
    # quiet=False: a break per element; each new length recompiles (cache_size_limit)
    same_as_python(value_comprehension, [(V,), (V[::2],), (np.array([], float),)],
                   quiet=False)


# ---------------------------------------------------------------- data-dependent values

def describe(x):
    m = float(x.mean())
    i = int(np.argmax(x))
    top = x.ravel()[i].item()
    label = "positive" if m > 0 else "non-positive"
    print(f"{label}: mean={m:.4f} argmax={i} top={top:.3f} shape={x.shape} dtype={x.dtype}")
    return m, i, top


def test_float_int_item_and_print_of_data_dependent_values():
    same_as_python(describe, [(X,), (-X,), (X.astype(np.float32),), (I64,)], tol=1e-12)


def mask_work(x, thresh):
    mask = x > thresh
    if not np.any(mask):
        return np.zeros(0, x.dtype), 0
    idx = np.nonzero(mask)
    sel = x[mask]
    x[mask] = thresh
    return sel * 2, len(idx[0])


def test_boolean_masks_nonzero_and_masked_assignment():
    same_as_python(mask_work, [(X, 0.5), (X, 10.0), (I64, 2), (X.T, 0.0), (np.zeros(0), 0.0)])


def dtype_dispatch(x):
    if x.dtype == np.float32:
        return x * np.float32(2), "f32"
    if np.issubdtype(x.dtype, np.integer):
        return x // 2, "int"
    if x.dtype == bool:
        return ~x, "bool"
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return x + 1, "0d"
    return x * 2.0, "other"


def test_dtype_checks_issubdtype_isinstance():
    same_as_python(dtype_dispatch, [(X,), (X.astype(np.float32),), (I64,), (B,),
                                    (np.array(3.5),), (X,)], fullgraph=True)


def tolist_roundtrip(x):
    lst = x.tolist()
    lst.append(len(lst))
    return np.array(lst[:-1]) * 2, lst[-1]


def test_tolist_and_back():
    same_as_python(tolist_roundtrip, [(V,), (I64,), (X,), (np.array(2.0),)])


def scalar_or_array(x, y=1.0):
    z = np.asarray(x, dtype=float) * y
    if np.ndim(z) == 0:
        return float(z)
    return z


def test_python_scalars_where_arrays_are_expected():
    same_as_python(scalar_or_array, [(3,), (3.5, 2), ([1, 2, 3],), (V, np.float32(2)),
                                     (True,), (np.int64(4),)])
