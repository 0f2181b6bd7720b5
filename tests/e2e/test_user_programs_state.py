"""User programs about state: in-place updates and views of the caller's arrays, aliased
arguments, objects and closures mutated across graph breaks, globals, generators and
recursion that break, ``framejit.compile`` applied the ways library authors apply it
(methods, bound methods, callable objects, under user decorators, self-recursive).
Each runs compiled against plain Python (tests/e2e/user_programs.py)."""
import functools

import numpy as np
import pytest

import framejit as fj
from user_programs import LOG, run, same_as_python

V = np.arange(8.0) - 3
X = np.arange(12.0).reshape(3, 4)


def _h(a):
    if a.sum() > -1e300:                   # data-dependent: a break
        pass
    return a


# ---------------------------------------------------------------- in place and views

def read_after_inplace(x):
    y = x * 2
    x += 1
    z = x * 3
    return y, z


def view_then_mutate(x):
    v = x[1:]
    w = v * 1
    x[:] = 0
    return w, v * 1, v


def reversed_writes(x):
    x[:] = x[::-1]
    np.add(x, 1, out=x[::-1])
    x -= x[::-1]
    return x + 0


def mutate_between_reductions(x):
    s1 = x.sum()
    x[0] = 100
    s2 = x.sum()
    x[x > 50] = -1
    return s1, s2, x.sum()


def transpose_inplace(x):
    x += x.T
    return x


@pytest.mark.parametrize("prog", [read_after_inplace, view_then_mutate, reversed_writes,
                                  mutate_between_reductions])
def test_inplace_updates_and_views_of_the_callers_array(prog):
    same_as_python(prog, [(V.copy(),), (V.copy(),), (X.copy(),), (X.T.copy(),)])


def test_inplace_add_of_its_own_transpose():
    same_as_python(transpose_inplace, [(np.arange(16.0).reshape(4, 4),), (np.eye(3),)],
                   fullgraph=True)


def add_into_first(a, b):
    a += 1
    return b * 2


def shift_add(a, b):
    a[1:] = a[1:] + b[:-1]
    return a.sum(), b.sum()


def test_aliased_arguments_after_a_call_with_distinct_ones():
    cf = fj.compile(add_into_first)
    for same in (False, True, False, True):
        x, y = V.copy(), V.copy()
        want = add_into_first(x, x if same else x.copy())
        got = cf(y, y if same else y.copy())
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(y, x)
    cf = fj.compile(shift_add)
    for overlap in (False, True, False):
        base, base2 = X.ravel().copy(), X.ravel().copy()
        args = (base[1:], base[:-1]) if overlap else (base[1:].copy(), base[:-1].copy())
        args2 = (base2[1:], base2[:-1]) if overlap else (base2[1:].copy(), base2[:-1].copy())
        assert shift_add(*args) == cf(*args2)
        np.testing.assert_array_equal(base, base2)


def test_returned_input_keeps_its_identity():
    def prog(x):
        y = x
        y += 1
        return y
    x = V.copy()
    assert fj.compile(prog)(x) is x


# ---------------------------------------------------------------- state across breaks

def nonlocal_across_break(x):
    count = 0
    total = x[0] * 0

    def step(v):
        nonlocal count, total
        count += 1
        total = total + _h(v)
        return count
    for row in x:
        step(row)
    return count, total


STATE = {"calls": 0}
COUNTER = 0


def globals_across_break(x):
    global COUNTER
    COUNTER = 1
    STATE["calls"] = STATE.get("calls", 0) * 0 + 1     # a global dict read and stored
    y = _h(x * 2)
    COUNTER += 1
    LOG.append((COUNTER, STATE["calls"]))
    return y


def list_mutations_across_breaks(xs):
    out = []
    for i, x in enumerate(xs):
        out.append(_h(x))
        if i % 2:
            out.pop(0)
        xs[i] = x * 2
    out.insert(0, len(out))
    out.extend([1, 2])
    out.reverse()
    return out, xs


class Bag:
    pass


def attributes_across_breaks(o, x):
    o.hist = []
    for r in x:
        o.hist.append(_h(r).sum())
        o.last = r
    del o.last
    return o


@pytest.mark.parametrize("prog,calls", [
    (nonlocal_across_break, [(X,), (X[:1],), (X.T,)]),
    (globals_across_break, [(V,), (V,), (X,)]),
    (list_mutations_across_breaks, [([V, V, V],), ([X],), ([],)]),
    (attributes_across_breaks, [(Bag(), X), (Bag(), X[:0])]),
], ids=["nonlocal", "globals", "lists", "attributes"])
def test_python_state_mutated_across_breaks(prog, calls):
    STATE["calls"] = 0
    same_as_python(prog, calls)


class Normalizer:
    def __init__(self, a):
        self.a = a

    @property
    def norm(self):
        n = float(np.sqrt((self.a ** 2).sum()))
        LOG.append(("norm", round(n, 6)))
        return n

    def __call__(self, x):
        return x / self.norm


class Base:
    def f(self, x):
        LOG.append("base")
        return _h(x) * 2


class Child(Base):
    def f(self, x):
        y = super().f(x)
        LOG.append("child")
        return y + 1


def test_breaks_in_a_property_call_and_super_method():
    same_as_python(lambda p, x: p(x) + p.norm, [(Normalizer(V), X), (Normalizer(V * 2), X)],
                   tol=1e-12)
    same_as_python(lambda o, x: o.f(x), [(Child(), V), (Child(), X)])


def rows_from_a_generator(x):
    def rows():
        for row in x:
            LOG.append("yield")
            yield _h(row) * 2
    return [r.sum() for r in rows()]


def depth_first(x, n):
    if n == 0:
        return _h(x)
    LOG.append(n)
    return depth_first(x + 1, n - 1) * 1.0


def test_breaks_in_a_generator_and_in_recursion():
    same_as_python(rows_from_a_generator, [(X,), (V[None],)])
    same_as_python(depth_first, [(V, 5), (V, 5), (V, 7)])


def rng_noise(rng, x, steps):
    for _ in range(steps):
        x = x + 0.1 * rng.standard_normal(x.shape)
    return x


def test_random_generator_advanced_inside_traced_code():
    same_as_python(rng_noise, [(np.random.default_rng(0), V, 3),
                               (np.random.default_rng(1), X, 2)])


def test_module_global_changed_between_calls_is_seen():
    def prog(x):
        return x * STATE["scale"]
    cf = fj.compile(prog)
    for scale in (2.0, 3.0, 2.0):
        STATE["scale"] = scale
        np.testing.assert_array_equal(cf(V), V * scale)


# ---------------------------------------------------------------- ways to compile

class Model:
    def __init__(self, w):
        self.w = w
        self.n = 0

    def forward(self, x):
        self.n += 1
        LOG.append(self.n)
        return np.tanh(x * self.w)

    compiled_forward = fj.compile(forward)

    def __call__(self, x):
        return self.forward(x) + 1


def timed(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        out = fn(*args, **kwargs)
        LOG.append(("timed", fn.__name__))
        return out
    return wrapper


@timed
def step(x, k=2):
    return x * k + 1


def fib_arrays(x, n):
    if n <= 1:
        return x
    return fib_arrays(x, n - 1) + fib_arrays(x, n - 2)


def _same_calls(plain, compiled, calls, tol=None):
    for args in calls:
        want, got = run(plain, args), run(compiled, args)
        assert got[0] == want[0] and got[3] == want[3], (want, got)
        np.testing.assert_allclose(got[1], want[1], rtol=tol or 0)


def test_compile_a_method_a_bound_method_and_a_callable_object():
    m1, m2 = Model(2.0), Model(2.0)
    _same_calls(lambda x: m1.forward(x), lambda x: m2.compiled_forward(x), [(V,), (V,), (X,)],
                tol=1e-12)
    assert m1.n == m2.n
    m3, m4 = Model(0.5), Model(0.5)
    _same_calls(m3.forward, fj.compile(m4.forward), [(V,), (V,)], tol=1e-12)
    m5, m6 = Model(0.5), Model(0.5)
    _same_calls(m5, fj.compile(m6), [(V,), (X,)], tol=1e-12)


def test_compile_under_a_user_decorator_and_self_recursive_functions():
    _same_calls(step, fj.compile(step), [(V,), (V,)])
    _same_calls(fib_arrays, fj.compile(fib_arrays), [(V, 6), (V, 6), (V, 3)])
