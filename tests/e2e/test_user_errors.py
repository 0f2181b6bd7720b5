"""NumPy's own errors and user raises: same type, same message, user's line, every call."""
import traceback

import numpy as np
import pytest

import framejit as fj


def _helper(a, b):
    return a + b      # broadcast error raised here


def _plain_error(fn, *args):
    with pytest.raises(Exception) as info:
        fn(*args)
    return info.value


@pytest.mark.parametrize("fullgraph", [False, True])
def test_broadcast_error_same_type_message_and_line(fullgraph):
    log = []

    def f(x, y):
        log.append("before")
        z = x * 2
        return _helper(z, y)

    compiled = fj.compile(f, fullgraph=fullgraph)
    x, y = np.ones(3), np.ones(4)
    expected = _plain_error(f, x, y)
    for _ in range(2):
        log.clear()
        with pytest.raises(type(expected)) as info:
            compiled(x, y)
        assert str(info.value) == str(expected)
        assert log == ["before"], "side effects before the error happen, once"
        last = traceback.extract_tb(info.value.__traceback__)[-1]
        assert last.name == "_helper" and "a + b" in last.line


def test_bad_axis_and_user_raise():
    def f(x, axis):
        if x.ndim > 3:
            raise ValueError("too many dims")
        return x.sum(axis=axis)

    compiled = fj.compile(f, fullgraph=True)
    expected = _plain_error(f, np.ones((2, 2)), 5)
    with pytest.raises(type(expected), match="axis 5"):
        compiled(np.ones((2, 2)), 5)
    with pytest.raises(ValueError, match="too many dims"):
        compiled(np.ones((1, 1, 1, 1)), 0)
    np.testing.assert_array_equal(compiled(np.ones((2, 2)), 0), np.full(2, 2.0))


def test_errors_caught_inside_the_function_stay_inside():
    def f(x, y):
        try:
            return x + y
        except ValueError:
            return x - 1

    compiled = fj.compile(f, fullgraph=True)
    np.testing.assert_array_equal(compiled(np.ones(3), np.ones(4)), np.zeros(3))
    np.testing.assert_array_equal(compiled(np.ones(3), np.ones(3)), np.full(3, 2.0))


@pytest.mark.parametrize("values", [
    [np.nan, 1.0, np.inf], [-np.inf, 0.0, -0.0], [], [1e308, 1e308, -1e-320]])
def test_nan_inf_zero_size_and_extremes(values):
    def f(x):
        with np.errstate(all="ignore"):
            return np.exp(x) / (x - 1) + np.sqrt(np.abs(x)), np.max(x) if x.size else 0.0

    x = np.array(values, dtype=np.float64)
    compiled = fj.compile(f, backend="eager")
    got, want = compiled(x), f(x)
    np.testing.assert_array_equal(got[0], want[0])
    assert (got[1] == want[1]) or (np.isnan(got[1]) and np.isnan(want[1]))
