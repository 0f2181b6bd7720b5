"""Automatic dynamic Python ints (trace/dynamic.py): loop positions and counters that
change between calls stop recompiling, with results, dtypes and errors as plain NumPy."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framejit as fj


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


def _counting_backend(counter):
    def backend(graph, example_inputs):
        counter.append(graph)
        return fj.backends.eager(graph, example_inputs)
    return backend


def _loop_program(n, log):
    def h(a):
        log.append(float(a.ravel()[0]))
        if a.sum() > 0:                    # data-dependent: a break in every iteration
            pass
        return a

    def root(x):
        for i in range(n):
            x = x * 2
            h(x)
            x = x + i                      # the loop counter beside an array
        return x + 1
    return root


@pytest.mark.parametrize("n", [1, 2, 10, 60])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
def test_loop_whose_body_breaks_compiles_a_bounded_number_of_graphs(n, dtype):
    plain_log, log, graphs = [], [], []
    x = np.arange(1, 4).astype(dtype)
    want = _loop_program(n, plain_log)(x)
    f = fj.compile(_loop_program(n, log), backend=_counting_backend(graphs))
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # never reaches cache_size_limit
        got = f(x)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert log == plain_log
    # prefix + body (static, then dynamic) + exit, not one per iteration
    assert len(graphs) <= 8, len(graphs)
    compiled_once = len(graphs)
    log.clear()
    np.testing.assert_array_equal(f(x), want)
    assert len(graphs) == compiled_once, "a second call compiles nothing"


def test_the_loop_stays_compiled_after_many_iterations():
    """Past cache_size_limit iterations the resumed body still runs compiled graphs."""
    runs = []

    def backend(graph, example_inputs):
        fn = fj.backends.eager(graph, example_inputs)

        def run(*args):
            runs.append(1)
            return fn(*args)
        return run

    log = []
    f = fj.compile(_loop_program(40, log), backend=backend)
    f(np.ones(3))
    # each iteration runs the graph before and the graph after its break
    assert len(runs) >= 40, len(runs)


def test_forbidden_break_after_a_long_loop_still_raises():
    log = []

    def h(a):
        log.append(1)
        if a.sum() > 0:
            pass
        return a

    @fj.compile
    def root(x):
        for _ in range(30):
            h(x)
        with fj.error_on_graph_break(True):
            print("never")
        return x

    with pytest.raises(fj.GraphBreakError):
        root(np.ones(2))


def test_int_argument_becomes_dynamic_after_one_recompile():
    graphs = []

    @fj.compile(backend=_counting_backend(graphs))
    def f(x, n):
        return x * n + n

    x = np.linspace(0, 1, 5, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in range(20):
            got = f(x, n)
            want = x * n + n
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
    assert len(graphs) == 2, len(graphs)


def test_dynamic_int_used_in_control_flow_specializes():
    @fj.compile
    def f(x, n):
        if n > 3:
            return x + n
        return x - n

    x = np.arange(4.0)
    for n in [0, 5, 1, 7, 3, 4]:
        np.testing.assert_array_equal(f(x, n), x + n if n > 3 else x - n)


def test_bool_and_float_arguments_are_not_made_dynamic_ints():
    @fj.compile
    def f(x, flag, s):
        return x * s if flag else x + s

    x = np.arange(3, dtype=np.float32)
    for flag, s in [(True, 1), (False, 2), (True, 3.5), (False, 1.0)]:
        want = x * s if flag else x + s
        got = f(x, flag, s)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_out_of_range_int_raises_like_numpy():
    @fj.compile
    def f(x, n):
        return x + n

    x = np.arange(3, dtype=np.uint8)
    f(x, 1)
    f(x, 2)                               # now dynamic, guarded to uint8's range
    np.testing.assert_array_equal(f(x, 200), x + 200)
    with pytest.raises(OverflowError):
        x + 300
    with pytest.raises(OverflowError):
        f(x, 300)
    with pytest.raises(OverflowError):
        f(x, -1)


def test_loop_over_a_range_with_negative_values_and_uint8():
    def root(x):
        out = []
        for i in range(-2, 3):
            fj.graph_break()
            out.append(x + i)
        return out

    x = np.arange(3, dtype=np.uint8)
    with pytest.raises(OverflowError):
        root(x)
    with pytest.raises(OverflowError):
        fj.compile(root)(x)


def test_in_place_with_dynamic_int():
    def root(x):
        for i in range(6):
            x += i
            fj.graph_break()
            x *= i + 1
        return x

    x = np.arange(4, dtype=np.int32)
    want = root(x.copy())
    got = fj.compile(root)(x.copy())
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(dtype=st.sampled_from(["float64", "float32", "int64", "int32", "int16", "int8",
                              "uint8", "uint32", "bool"]),
       values=st.lists(st.integers(-2 ** 40, 2 ** 40) | st.integers(-300, 300),
                       min_size=3, max_size=6))
def test_dynamic_int_beside_an_array_matches_numpy(dtype, values):
    fj.reset()

    def f(x, n):
        return (x + n, n * x, x // (abs(n) + 1), x < n)

    cf = fj.compile(f)
    x = np.arange(-2, 3).astype(dtype)
    for n in values:
        try:
            want = f(x, n)
        except Exception as exc:
            with pytest.raises(type(exc)):
                cf(x, n)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got = cf(x, n)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


# ---------------------------------------------------------------- symbolic int arithmetic

def _h(a):
    if a.sum() > -1e300:                   # a break in every iteration
        pass
    return a


LOOPS = {}


def _loop(fn):
    LOOPS[fn.__name__] = fn
    return fn


@_loop
def while_counter(x, n):
    i = 0
    while i < n:
        x = x * 2
        _h(x)
        x = x + i
        i += 1
    return x, i


@_loop
def nested_product(x, n):
    for i in range(n):
        for j in range(3):
            x = x + i * j
            _h(x)
            x = x - (2 * i - j)
    return x


@_loop
def negative_step(x, n):
    for i in range(3 * n, 0, -3):
        _h(x)
        x = x * 0.5 + (n - i)
    return x


@_loop
def comparison_in_body(x, n):
    for i in range(n):
        _h(x)
        if i >= 2 and -i < -3:
            x = x + i
        elif 5 > i:
            x = x - 1
    return x


@_loop
def enumerate_and_counter(x, n):
    total = 0
    for k, row in enumerate(np.ones((n, 3))):
        _h(x)
        total += k
        x = x + row * k - total
    return x, total


@pytest.mark.parametrize("name", sorted(LOOPS))
@pytest.mark.parametrize("n", [0, 1, 5, 25])
def test_symbolic_int_loops_match_python_and_stay_compiled(name, n):
    fn = LOOPS[name]
    graphs = []
    x = np.linspace(-1, 1, 3)
    want = fn(x, n)
    cf = fj.compile(fn, backend=_counting_backend(graphs))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = cf(x, n)
    for g, w in zip(got if isinstance(got, tuple) else [got],
                    want if isinstance(want, tuple) else [want]):
        np.testing.assert_array_equal(g, w)
    assert len(graphs) <= 12, len(graphs)


@settings(max_examples=80, deadline=None)
@given(start=st.integers(-5, 5), stop=st.integers(-5, 12), step=st.sampled_from([-2, -1, 1, 3]),
       mul=st.integers(-3, 3), add=st.integers(-4, 4), bound=st.integers(-10, 10),
       sym=st.sampled_from(["<", "<=", ">", ">="]))
def test_affine_comparisons_in_a_breaking_loop(start, stop, step, mul, add, bound, sym):
    fj.reset()
    src = f"""
def f(x):
    out = []
    for i in range({start}, {stop}, {step}):
        _h(x)
        e = {add} + {mul} * i
        out.append(1 if e {sym} {bound} else 0)
        x = x + e
    return x, out
"""
    ns = {"_h": _h, "np": np}
    exec(src, ns)
    f = ns["f"]
    x = np.zeros(2)
    want = f(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fj.compile(f)(x)
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]


# ---------------------------------------------------------------- floats and closures

@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.float16, bool])
def test_float_argument_becomes_dynamic(dtype):
    graphs = []

    @fj.compile(backend=_counting_backend(graphs))
    def f(x, alpha):
        return x * (1 - alpha) + alpha / 2, alpha * 3

    x = np.arange(5).astype(dtype)
    alphas = [0.1, 0.25, -3.5, 1e30, 7.0, 0.0, -0.0, float("inf"), 2.5e-310, 1e300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for a in alphas:
            got, s = f(x, a)
            want, ws = x * (1 - a) + a / 2, a * 3
            assert got.dtype == want.dtype and s == ws
            np.testing.assert_array_equal(got, want)
    if dtype in (np.float64, np.int32, bool):
        assert len(graphs) <= 3, len(graphs)


def test_float_division_by_a_dynamic_zero_raises_in_place():
    log = []

    @fj.compile
    def f(x, d):
        log.append("before")
        return x * (1 / d)

    x = np.ones(2)
    for d in (1.0, 2.0, 4.0):
        np.testing.assert_array_equal(f(x, d), x * (1 / d))
    log.clear()
    with pytest.raises(ZeroDivisionError):
        f(x, 0.0)
    assert log == ["before"]


def test_closure_made_per_call_and_passed_across_a_break_does_not_recompile():
    graphs = []

    def root(x, k):
        def scale(a):
            return a * k
        y = scale(x)
        fj.graph_break()
        return scale(y) + 1

    cf = fj.compile(root, backend=_counting_backend(graphs))
    x = np.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in [0.5, 1.5, 2.0, 3, 4, 5, 6.25, 7, 8, 9, 10]:
            np.testing.assert_array_equal(cf(x, k), root(x, k))
    assert len(graphs) <= 10, len(graphs)


def test_closure_identity_is_still_guarded_when_the_trace_needs_the_object():
    seen = []

    def root(x, tag):
        def mark(a):
            return a + 1
        fj.graph_break()
        seen.append(mark.__name__)
        return mark(x), mark is mark

    cf = fj.compile(root)
    for _ in range(3):
        out, same = cf(np.zeros(2), 1)
        np.testing.assert_array_equal(out, np.ones(2))
        assert same is True
    assert seen == ["mark"] * 3


@pytest.mark.parametrize("values", [[1.0, 2.0, 4.0, -3.0, 5e-324, -0.0],
                                    [3, 5, 7, -2, 0]])
def test_division_by_a_dynamic_number(values):
    log = []

    def f(x, d):
        log.append(d)
        return x * (1 / d), 10 / d

    cf = fj.compile(f)
    x = np.ones(2)
    for d in values:
        try:
            want = f(x, d)
        except ZeroDivisionError:
            n = len(log)
            with pytest.raises(ZeroDivisionError):
                cf(x, d)
            assert len(log) == n + 1       # the effect before the division happened
            continue
        got = cf(x, d)
        np.testing.assert_array_equal(got[0], want[0])
        assert got[1] == want[1]


# ---------------------------------------------------------------- dynamic indices

def test_loop_writing_rows_by_index_stays_compiled():
    def f(x, out):
        for t in range(out.shape[0]):
            x = x * 0.9 + 1
            _h(x)
            out[t] = x
            out[t, 0] += t
            row = out[t]                   # a view: writes reach out
            row[1] = -t
            out[-1 - t, 2] = out[t, 2] * 2
        return out

    graphs = []
    x = np.ones(3)
    want = f(x, np.zeros((20, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fj.compile(f, backend=_counting_backend(graphs))(x, np.zeros((20, 3)))
    np.testing.assert_array_equal(got, want)
    assert len(graphs) <= 8, len(graphs)


@settings(max_examples=60, deadline=None)
@given(shape=st.sampled_from([(4,), (3, 5), (2, 3, 4), (0, 3), (1,)]),
       values=st.lists(st.integers(-7, 7), min_size=3, max_size=6),
       dtype=st.sampled_from(["float64", "int32", "uint8", "bool"]))
def test_dynamic_index_matches_numpy(shape, values, dtype):
    fj.reset()

    def f(x, i):
        a = x[i]
        b = x[i, ...] if x.ndim > 1 else x[i]
        y = x.copy()
        y[i] = 1
        y[-i] = i % 2 == 0
        return a, b, y

    cf = fj.compile(f)
    x = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    for i in values:
        try:
            want = f(x, i)
        except Exception as exc:
            with pytest.raises(type(exc)):
                cf(x, i)
            continue
        got = cf(x, i)
        for g, w in zip(got, want):
            assert type(g) is type(w)
            assert np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_array_equal(g, w)
        if x.ndim > 1:
            assert np.shares_memory(got[0], x), "x[i] is a view, as in NumPy"


# ---------------------------------------------------------------- predicates

@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 30), k=st.sampled_from([-4, -3, 2, 3, 10]),
       r=st.integers(-3, 5), sym=st.sampled_from(["==", "!=", "<", ">="]),
       op=st.sampled_from(["%", "//"]))
def test_modular_and_equality_tests_on_loop_variables(n, k, r, sym, op):
    fj.reset()
    src = f"""
def f(x, log):
    for i in range({n}):
        _h(x)
        if (2 * i + 1) {op} {k} {sym} {r}:
            log.append(i)
            x = x + 1
        x = x + (i {op} {k})
    return x
"""
    ns = {"_h": _h}
    exec(src, ns)
    f = ns["f"]
    want_log, log = [], []
    want = f(np.zeros(2), want_log)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fj.compile(f)(np.zeros(2), log)
    np.testing.assert_array_equal(got, want)
    assert log == want_log


def test_print_every_tenth_iteration_compiles_a_few_entries():
    import io
    buf = io.StringIO()
    graphs = []

    def f(x, n):
        for i in range(n):
            x = x * 0.5 + i % 3
            if i % 10 == 0:
                print("step", i, file=buf)
        return x

    want = f(np.ones(3), 60)
    expected = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fj.compile(f, backend=_counting_backend(graphs))(np.ones(3), 60)
    np.testing.assert_array_equal(got, want)
    assert buf.getvalue() == expected
    assert len(graphs) <= 8, len(graphs)
