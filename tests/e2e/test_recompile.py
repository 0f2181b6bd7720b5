"""Guards with the real hook: what changes recompiles, what does not, and results stay right."""
import numpy as np
import pytest

import framejit as fj
from framejit import _native

ef = _native._evalframe
SCALE = 2.0


def n_entries(fn):
    return len(ef.cache_entries(fn.__code__))


def scaled(x):
    return x * SCALE


def test_shape_and_dtype_changes_recompile():
    def g(x):
        return np.sin(x) + 1

    f = fj.compile(g)
    for shape, dtype in [((3,), "f8"), ((3,), "f8"), ((4,), "f8"), ((3,), "f4"), ((2, 3), "f8")]:
        x = np.linspace(0, 1, int(np.prod(shape)), dtype=dtype).reshape(shape)
        out = f(x)
        np.testing.assert_array_equal(out, np.sin(x) + 1)
        assert out.dtype == x.dtype
    assert n_entries(g) == 4


def test_scalar_arguments_are_guarded_by_value_and_type():
    def g(x, k):
        return x * k if k > 1 else x - k

    f = fj.compile(g)
    x = np.arange(4)
    for k in (2, 2, 0, 3, 2.5, True):
        out = f(x, k)
        np.testing.assert_array_equal(out, g(x, k))
        assert out.dtype == g(x, k).dtype
    assert n_entries(g) == 5


def test_rebinding_a_global_recompiles():
    global SCALE
    f = fj.compile(scaled)
    x = np.ones(3)
    np.testing.assert_array_equal(f(x), x * 2.0)
    SCALE = 5.0
    try:
        np.testing.assert_array_equal(f(x), x * 5.0)
    finally:
        SCALE = 2.0
    np.testing.assert_array_equal(f(x), x * 2.0)


def test_rebinding_a_global_function_recompiles():
    ns = {"np": np}
    exec("def act(v):\n    return np.tanh(v)\n"
         "def model(x):\n    return act(x) * 2\n", ns)
    f = fj.compile(ns["model"])
    x = np.linspace(-1, 1, 5)
    np.testing.assert_array_equal(f(x), np.tanh(x) * 2)
    exec("def act(v):\n    return np.maximum(v, 0)\n", ns)
    np.testing.assert_array_equal(f(x), np.maximum(x, 0) * 2)


def test_closure_cell_changes_recompile():
    def make():
        factor = 1.0

        def g(x):
            return x * factor

        def set_factor(v):
            nonlocal factor
            factor = v

        return g, set_factor

    g, set_factor = make()
    f = fj.compile(g)
    x = np.ones(2)
    np.testing.assert_array_equal(f(x), x)
    set_factor(3.0)
    np.testing.assert_array_equal(f(x), x * 3.0)


def test_list_length_and_attribute_changes_recompile():
    class Params:
        def __init__(self, ws):
            self.ws = ws

    def g(p, x):
        for w in p.ws:
            x = x * w
        return x

    f = fj.compile(g)
    x = np.ones(3)
    p = Params([np.full(3, 2.0)])
    np.testing.assert_array_equal(f(p, x), x * 2)
    p.ws.append(np.full(3, 3.0))
    np.testing.assert_array_equal(f(p, x), x * 6)
    p.ws = [np.full(3, 0.5)]
    np.testing.assert_array_equal(f(p, x), x * 0.5)


def test_same_guards_hit_the_cache():
    def g(x, y):
        return x @ y

    f = fj.compile(g)
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
        np.testing.assert_array_equal(f(a, b), a @ b)
    entries = ef.cache_entries(g.__code__)
    assert len(entries) == 1 and entries[0]["hits"] == 4


def test_non_contiguous_inputs_are_correct():
    def g(x):
        return x * 2 + x[::-1]

    f = fj.compile(g)
    base = np.arange(12.0).reshape(3, 4)
    for x in (base, base.T, base[:, ::2], base[::-1]):
        np.testing.assert_array_equal(f(x), g(x))


@pytest.mark.parametrize("bad", [None, "text", [1.0, 2.0], 3])
def test_odd_argument_types_behave_as_plain_python(bad):
    def g(x):
        return np.sqrt(x)

    f = fj.compile(g)
    try:
        expected = g(bad)
    except Exception as exc:   # noqa: BLE001 - we compare with whatever plain Python does
        with pytest.raises(type(exc)):
            f(bad)
    else:
        np.testing.assert_array_equal(f(bad), expected)


def test_numpy_scalar_arguments_are_array_values_not_constants():
    def g(x, s):
        return x * s + s

    f = fj.compile(g, fullgraph=True)
    x = np.arange(3.0)
    for s in (np.float64(2.0), np.float64(-1.5), np.float64(7.0)):
        out = f(x, s)
        np.testing.assert_array_equal(out, g(x, s))
    assert n_entries(g) == 1, "a new NumPy scalar value does not recompile"
    out32 = f(x, np.float32(2.0))          # a new type does
    np.testing.assert_array_equal(out32, g(x, np.float32(2.0)))
    assert n_entries(g) == 2

    def branchy(x, s):
        return x + 1 if s > 0 else x - 1

    with pytest.raises(fj.GraphBreakError, match="data_dependent"):
        fj.compile(branchy, fullgraph=True)(x, np.float64(1.0))
    np.testing.assert_array_equal(fj.compile(branchy)(x, np.float64(-1.0)), x - 1)


def test_forbidden_break_still_raises_after_cache_size_limit():
    """SEMANTICS §3: the mode decides whether a break raises, not the cache. Past
    cache_size_limit a frame runs unoptimized, but a call under a mode where its break is
    forbidden is still traced (uncached) and raises before the segment's effects."""
    import io
    import warnings
    buf = io.StringIO()

    @fj.compile
    def f(x, tag):
        y = x * 2 if tag.startswith("t") else x * 2.0   # specializes on the string
        print("tag", tag, file=buf)       # a break
        return y + 1

    x = np.ones(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(fj.config.cache_size_limit + 3):
            np.testing.assert_array_equal(f(x, f"t{i}"), x * 2 + 1)
    limit_warnings = [w for w in caught if "cache_size_limit" in str(w.message)]
    assert len(limit_warnings) == 1
    buf.seek(0)
    buf.truncate()
    for _ in range(2):
        with pytest.raises(fj.GraphBreakError):
            with fj.error_on_graph_break(True):
                f(x, "strict")
    assert buf.getvalue() == ""
    np.testing.assert_array_equal(f(x, "lenient"), x * 2 + 1)
    assert buf.getvalue() == "tag lenient\n"
