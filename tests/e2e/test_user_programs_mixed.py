"""User programs that mix Python and NumPy failure paths: NumPy's error messages caught
by the program, exceptions inside graphs, ``__eq__``/``__hash__`` and ``key=`` callbacks
with data-dependent values, iterator classes with a data-dependent stop, closures over loop
variables, mutable defaults, recursion and ``__exit__`` that break, warnings and logging
forms, ``print`` forms, in-place updates through containers and views, generator
pipelines, ``super()`` in classmethods, exception groups. Each runs compiled against plain
Python (tests/e2e/user_programs.py)."""
import collections
import functools
import warnings

import numpy as np
import pytest

import framejit as fj
from user_programs import LOG, logger, same_as_python

RNG = np.random.default_rng(9)
X = RNG.standard_normal((4, 5))
V = RNG.standard_normal(6)


def p_numpy_errors(x, y):
    out = []
    for fn in (lambda: x + y, lambda: x @ y, lambda: x.reshape(7, -1), lambda: x[10],
               lambda: np.concatenate([x, y]), lambda: x[:, 9], lambda: np.linalg.inv(x),
               lambda: x.astype("nope"), lambda: x.sum(axis=3), lambda: np.zeros(-1)):
        try:
            out.append(fn().shape)
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


def test_numpy_error_messages():
    same_as_python(p_numpy_errors, [(X, V), (X, X), (V, V)])


def p_raise_inside(x, bad):
    try:
        y = x * 2
        if bad:
            raise ValueError(f"bad {y.shape}")
        z = y[bad:]
    except ValueError as e:
        LOG.append(str(e))
        z = -x
    finally:
        LOG.append("fin")
    return z


def test_raise_in_try_in_graph():
    same_as_python(p_raise_inside, [(X, 0), (X, 1), (V, 0)], fullgraph=True)


class Key:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        LOG.append("eq")
        return float(self.v.sum()) == float(other.v.sum())

    def __hash__(self):
        return int(self.v.shape[0])


def p_user_keys(x):
    d = {Key(x): 1}
    return d.get(Key(x.copy()), 0), Key(x) in [Key(x * 2), Key(x)]


def test_user_eq_hash_with_breaks():
    same_as_python(p_user_keys, [(X,), (V,)])


def p_sorted_key_breaks(rows):
    return sorted(rows, key=lambda r: float(r.sum())), max(rows, key=lambda r: r.max()).shape


def test_sorted_with_data_dependent_key():
    same_as_python(p_sorted_key_breaks, [(list(X),), (list(X[:2]),)])


class Countdown:
    def __init__(self, x):
        self.x = x
        self.i = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.i >= len(self.x) or float(self.x[self.i]) > 1.5:
            raise StopIteration
        self.i += 1
        return self.x[self.i - 1] * 2


def p_iter_class_breaks(x):
    return [v for v in Countdown(x)], sum(Countdown(x), 0.0)


def test_iterator_class_with_data_dependent_stop():
    same_as_python(p_iter_class_breaks, [(V,), (np.array([0.0, 2.0, 1.0]),)], tol=1e-12)


def p_loop_closures(x):
    fs = [lambda v, k=k: v * k for k in range(3)]
    gs = [lambda v: v * k for k in range(3)]
    return [f(x) for f in fs], [g(x) for g in gs]


def test_closures_over_loop_variables():
    same_as_python(p_loop_closures, [(V,)], fullgraph=True)


def p_mutable_default(x, acc=[]):
    acc.append(x.sum())
    return len(acc) > 0, acc[-1]


def test_mutable_default_argument():
    same_as_python(p_mutable_default, [(X,), (V,)], tol=1e-12)


def p_recursive_with_break(x, depth):
    if depth == 0 or float(x.max()) < 0:
        LOG.append(("leaf", depth))
        return x
    return p_recursive_with_break(x - 1, depth - 1) * 2


def test_recursion_with_data_dependent_base_case():
    same_as_python(p_recursive_with_break, [(V, 3), (V + 10, 2), (V - 10, 4)])


def p_with_break_in_exit(x):
    class CM:
        def __enter__(self):
            LOG.append("enter")
            return self

        def __exit__(self, *exc):
            LOG.append(("exit", exc[0].__name__ if exc[0] else None, float(x.sum()) > 0))
            return exc[0] is KeyError

    with CM():
        y = x * 2
        if y.shape[0] > 5:
            raise KeyError("k")
    return y


def test_context_manager_exit_breaks_and_suppresses():
    same_as_python(p_with_break_in_exit, [(V,), (X,)])


def p_exception_attrs(x):
    try:
        np.array([1, 2])[x.shape[0]]
    except IndexError as e:
        args = e.args
        tb = e.__traceback__ is not None
        return args, tb, type(e).__mro__[1].__name__, isinstance(e, LookupError)


def test_exception_attributes():
    same_as_python(p_exception_attrs, [(X,), (V,)])


def p_warnings(x):
    if x.ndim > 1:
        warnings.warn("flattening", DeprecationWarning, stacklevel=2)
        x = x.ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = np.log(x)
        warnings.warn("hidden")
    warnings.warn(f"n={x.size}")
    return y


def test_warnings_and_catch_warnings():
    same_as_python(p_warnings, [(np.abs(X) + 0.1,), (np.abs(V) + 0.1,)], tol=1e-12)


def p_logging(x):
    logger.info("shape %s", x.shape)
    if logger.isEnabledFor(10):
        logger.debug("sum=%.3f", x.sum())
    try:
        1 / 0
    except ZeroDivisionError:
        logger.exception("oops")
    logger.warning("%d items", x.size)
    return x


def test_logging_calls():
    same_as_python(p_logging, [(X,), (V,)])


def p_print_forms(x):
    print(x.shape, x.dtype, sep=" | ", end="!\n")
    print(f"{x.sum():.4f}")
    print("%5.2f" % x.max(), x[:2].round(2))
    print(*x.shape)
    return x


def test_print_forms():
    same_as_python(p_print_forms, [(X,), (V,)])


def p_augmented_on_containers(x):
    d = {"a": x, "n": 0}
    d["a"] += 1          # in place on the caller's array
    d["n"] += 1
    lst = [x, x]
    lst[0] = lst[0] * 2
    lst[1] *= 3          # in place: x itself
    t = (x,)
    t += (x,)
    return d["n"], lst[0], len(t), x


def test_augmented_assignment_on_items():
    same_as_python(p_augmented_on_containers, [(X.copy(),), (V.copy(),)], fullgraph=True)


def p_aliasing(x):
    y = x
    y += 1
    z = x[::2]
    z *= -1
    w = x.T
    w[0] = 99
    v = x.reshape(-1)
    v[-1] = 42
    return x, y is x, np.shares_memory(x, z), z.base is x


def test_aliasing_views():
    same_as_python(p_aliasing, [(X.copy(),), (V.copy(),)])


def p_property_breaks(objs):
    return [o.positive for o in objs]


class Holder:
    def __init__(self, a):
        self.a = a

    @property
    def positive(self):
        return bool((self.a > 0).all())


def test_property_with_data_dependent_value():
    same_as_python(p_property_breaks, [([Holder(V), Holder(np.abs(V))],)])


def gen_batches(x, n):
    for i in range(0, len(x), n):
        b = x[i:i + n]
        if float(b.sum()) < -100:
            return
        yield b


def p_generator_pipeline(x):
    total = np.zeros(x.shape[1])
    for i, b in enumerate(gen_batches(x, 2)):
        total += b.sum(axis=0) * (i + 1)
        LOG.append(i)
    return total


def test_generator_pipeline():
    same_as_python(p_generator_pipeline, [(X,), (X[:3],)], tol=1e-12)


def p_int_float_bool_conversions(x):
    n = int(x.sum())
    f = float(x[0])
    b = bool(x[0] > 0)
    i = x.argmax()
    return n, f, b, i, int(i) + 1, x[i], range(int(i) + 1), [0] * int(abs(f) + 1), np.arange(n % 3)


def test_conversions_used_as_python_values():
    same_as_python(p_int_float_bool_conversions, [(V * 10,), (V * -10,), (np.arange(3.0),)])


def p_scalar_item_loop(x):
    s = 0
    for i in range(x.shape[0]):
        s += x[i].item() ** 2
        if s > 4:
            break
    return s, i


def test_item_loop_with_break():
    same_as_python(p_scalar_item_loop, [(V,), (V * 0.1,)], quiet=False)


def p_nonlocal_counter_breaks(x):
    n = 0

    def bump(v):
        nonlocal n
        if float(v) > 0:
            n += 1
        return n

    out = [bump(v) for v in x]
    return out, n


def test_nonlocal_counter_across_breaks():
    same_as_python(p_nonlocal_counter_breaks, [(V,), (-V,)])


class Made:
    def __init__(self, v):
        self.v = v

    @classmethod
    def make(cls, v):
        return cls(v)


class MadeTwice(Made):
    def __init__(self, v):
        super().__init__(v * 2)
        self.tag = "B"

    @classmethod
    def make(cls, v):
        obj = super().make(v)       # super() in a classmethod: bound to cls
        obj.made = True
        return obj


def p_super_in_classmethod_and_init(x):
    b = MadeTwice.make(x)
    return b.v, b.tag, b.made, type(b).__name__, super(MadeTwice, MadeTwice).make(x).v


def test_super_in_classmethod():
    same_as_python(p_super_in_classmethod_and_init, [(V,), (V[:2],)], fullgraph=True)


def p_exception_in_listcomp(xs):
    try:
        return [1 / float(v) for v in xs]
    except ZeroDivisionError as e:
        return str(e)


def test_exception_inside_comprehension():
    same_as_python(p_exception_in_listcomp, [(np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),)])


def p_reraise(x):
    try:
        try:
            raise ValueError("inner")
        except ValueError:
            if x.shape[0] > 4:
                raise
            raise TypeError("changed")
    except (ValueError, TypeError) as e:
        return type(e).__name__, str(e), type(e.__context__).__name__ if e.__context__ else None


def test_bare_reraise_and_context():
    same_as_python(p_reraise, [(V,), (V[:2],)])


def p_exception_group_breaks(x):
    errs = []
    for i, v in enumerate(x):
        if float(v) < 0:
            errs.append(ValueError(f"neg at {i}"))
    try:
        if errs:
            raise ExceptionGroup("negatives", errs)
    except* ValueError as eg:
        LOG.append(len(eg.exceptions))
    return len(errs)


def test_exception_group_with_data_dependent_members():
    same_as_python(p_exception_group_breaks, [(V,), (np.abs(V),)])
