"""User programs, Python data model style: ``__getattr__``/``__getattribute__`` proxies,
``__slots__`` classes, properties with setters, data descriptors, ``__len__``/
``__getitem__``/``__contains__`` sequences, ``__eq__``/``__hash__`` keys, Enum and IntEnum,
ABCs, NamedTuple, frozen dataclasses with ``replace``/``asdict``, mixins with ``super()``
chains, metaclasses, ``functools.cached_property`` and ``lru_cache``,
``contextlib.contextmanager`` with several ``with`` items. Each runs compiled against plain
Python (tests/e2e/user_programs.py); ``fullgraph=False`` marks a capture gap (the program
breaks), not a difference of behaviour."""
import abc
import collections
import contextlib
import dataclasses
import enum
import functools
import itertools
import operator
import typing

import numpy as np
import pytest

import framejit as fj
from user_programs import LOG, logger, same_as_python

X = np.arange(12.0).reshape(3, 4) - 5
V = np.linspace(-1, 2, 7)


class Lazy:
    def __init__(self, data):
        self._data = data

    def __getattr__(self, name):
        LOG.append(("getattr", name))
        return getattr(self._data, name)


def p_getattr(obj):
    return obj.shape, obj.sum() * 2


def test_getattr_fallback():
    same_as_python(p_getattr, [(Lazy(X),), (Lazy(V),)])


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


def p_slots(s, x):
    s.a = s.a + x
    s.b += 1
    return s.a * s.b


def test_slots():
    same_as_python(p_slots, [(Slotted(X, 1), X), (Slotted(V, 2), V)], fullgraph=False)


class Temp:
    def __init__(self, c):
        self._c = c

    @property
    def c(self):
        return self._c

    @c.setter
    def c(self, v):
        LOG.append("set")
        if np.ndim(v) == 0 and v < -273.15:
            raise ValueError("below absolute zero")
        self._c = v

    @property
    def f(self):
        return self._c * 9 / 5 + 32


def p_prop_setter(t, x):
    t.c = x + 1
    return t.f, t.c


def test_property_setter():
    same_as_python(p_prop_setter, [(Temp(0.0), X), (Temp(1.0), 3.0), (Temp(1.0), -400.0)],
                   fullgraph=False)


class Vec:
    def __init__(self, *xs):
        self.xs = list(xs)

    def __len__(self):
        return len(self.xs)

    def __getitem__(self, i):
        return self.xs[i]

    def __contains__(self, v):
        LOG.append(("contains", v))
        return v in self.xs

    def __eq__(self, other):
        return isinstance(other, Vec) and self.xs == other.xs

    def __hash__(self):
        return hash(tuple(self.xs))


def p_seq_protocol(v, x):
    total = 0
    for e in v:          # old-style iteration via __getitem__
        total = total + e
    return len(v), total * x, 3 in v, 9 in v, v[-1], v[1:]


def test_sequence_protocol():
    same_as_python(p_seq_protocol, [(Vec(1, 2, 3), X), (Vec(4), V)], fullgraph=True)


def p_eq_hash(a, b, x):
    d = {a: x, b: x * 2}
    s = {a, b}
    return len(d), len(s), a == b, a != b, d[a]


def test_eq_hash_objects_as_keys():
    same_as_python(p_eq_hash, [(Vec(1, 2), Vec(1, 2), X), (Vec(1), Vec(2), V)], fullgraph=False)


class Positive:
    def __set_name__(self, owner, name):
        self.name = "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return getattr(obj, self.name)

    def __set__(self, obj, value):
        if value <= 0:
            raise ValueError(f"{self.name[1:]} must be positive, got {value}")
        setattr(obj, self.name, value)


class Box:
    scale = Positive()

    def __init__(self, scale):
        self.scale = scale


def p_descriptor(b, x, s):
    b.scale = s
    return x * b.scale


def test_data_descriptor():
    same_as_python(p_descriptor, [(Box(1.0), X, 2.0), (Box(1.0), V, -1.0), (Box(2), X, 3)])


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Mode(enum.IntEnum):
    SUM = 0
    MEAN = 1


def p_enum(x, c, m):
    out = x * c.value
    if c is Color.RED:
        out = out + 1
    if m == Mode.MEAN:
        return out.mean(), c.name, m + 1
    return out.sum(), c.name, int(m)


def test_enum():
    same_as_python(p_enum, [(X, Color.RED, Mode.SUM), (X, Color.GREEN, Mode.MEAN),
                            (V, Color.RED, Mode.MEAN)], fullgraph=False, tol=1e-12)


class Shape(abc.ABC):
    @abc.abstractmethod
    def area(self): ...

    def describe(self):
        return f"{type(self).__name__} area={self.area():.3f}"


class Circle(Shape):
    def __init__(self, r):
        self.r = r

    def area(self):
        return np.pi * self.r ** 2


def p_abc(r):
    c = Circle(r)
    return c.area(), c.describe(), isinstance(c, Shape)


def test_abc():
    same_as_python(p_abc, [(1.0,), (2.5,)], fullgraph=True)


def p_abc_instantiate():
    return Shape()


def test_abc_instantiate_raises():
    same_as_python(p_abc_instantiate, [()])


class Pt(typing.NamedTuple):
    x: float
    y: float = 0.0

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5


def p_namedtuple(a, b):
    p = Pt(a, b)
    q = p._replace(y=a)
    x, y = q
    return p.norm(), q, x + y, p[0], p._asdict(), Pt(a)


def test_namedtuple():
    same_as_python(p_namedtuple, [(3.0, 4.0), (X, V[:4])], fullgraph=False)


@dataclasses.dataclass(frozen=True)
class Cfg:
    lr: float = 0.1
    steps: int = 3
    tags: tuple = ()


def p_frozen(cfg, x):
    c2 = dataclasses.replace(cfg, lr=cfg.lr * 2)
    for _ in range(c2.steps):
        x = x - c2.lr * x
    return x, dataclasses.asdict(c2), c2 == cfg, hash(c2) == hash(Cfg(c2.lr, c2.steps, c2.tags))


def test_frozen_dataclass_replace_asdict():
    same_as_python(p_frozen, [(Cfg(), X), (Cfg(0.3, 2, ("a",)), V)], fullgraph=False)


def p_frozen_assign(cfg):
    cfg.lr = 3
    return cfg


def test_frozen_dataclass_assign_raises():
    same_as_python(p_frozen_assign, [(Cfg(),)])


class Base:
    def step(self, x):
        LOG.append("Base")
        return x + 1


class LogMixin:
    def step(self, x):
        LOG.append("LogMixin")
        return super().step(x) * 2


class Child(LogMixin, Base):
    def step(self, x):
        LOG.append("Child")
        return super().step(x) - 3


def p_mro(x):
    return Child().step(x), [c.__name__ for c in Child.__mro__]


def test_mixin_super_chain():
    same_as_python(p_mro, [(X,), (1.0,)], fullgraph=True)


class Cached:
    def __init__(self, x):
        self.x = x

    @functools.cached_property
    def total(self):
        LOG.append("computed")
        return self.x.sum()


def p_cached_property(c):
    a = c.total
    b = c.total
    return a + b


def test_cached_property():
    same_as_python(p_cached_property, [(Cached(X),), (Cached(V),)], tol=1e-12)


@functools.lru_cache(maxsize=None)
def coeffs(n):
    return tuple(1.0 / (k + 1) for k in range(n))


def p_lru(x, n):
    return sum(c * x ** k for k, c in enumerate(coeffs(n)))


def test_lru_cache_helper():
    coeffs.cache_clear()
    same_as_python(p_lru, [(X, 3), (V, 4), (X, 3)], tol=1e-12)


@contextlib.contextmanager
def tag(name):
    LOG.append(("enter", name))
    try:
        yield name.upper()
    finally:
        LOG.append(("exit", name))


def p_ctxmgr(x):
    with tag("a") as a, tag("b") as b:
        y = x * 2
        LOG.append(a + b)
    return y


def test_contextmanager_multiple_items():
    same_as_python(p_ctxmgr, [(X,), (V,)])


def p_ctxmgr_raise(x):
    try:
        with tag("a"):
            raise KeyError("k")
    except KeyError as e:
        LOG.append(repr(e))
    return x


def test_contextmanager_raise_through():
    same_as_python(p_ctxmgr_raise, [(X,)])


class Adder:
    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return x + self.k

    def __repr__(self):
        return f"Adder({self.k})"


def p_call_objects(x):
    fs = [Adder(1), Adder(2), abs, np.negative]
    return [f(x) for f in fs], repr(fs[0]), callable(fs[0])


def test_callable_objects_list():
    same_as_python(p_call_objects, [(X,), (V,)], fullgraph=False)


class Meta(type):
    registry = []

    def __new__(mcls, name, bases, ns):
        cls = super().__new__(mcls, name, bases, ns)
        mcls.registry.append(name)
        return cls


class Plugin(metaclass=Meta):
    factor = 2

    @classmethod
    def make(cls):
        return cls()

    def apply(self, x):
        return x * self.factor


def p_metaclass(x):
    p = Plugin.make()
    return p.apply(x), type(p).__name__, type(Plugin).__name__


def test_metaclass_instances():
    same_as_python(p_metaclass, [(X,), (V,)], fullgraph=False)


class GetAttribute:
    def __init__(self, x):
        self.x = x

    def __getattribute__(self, name):
        LOG.append(name)
        return object.__getattribute__(self, name)


def p_getattribute(o):
    return o.x * 2


def test_getattribute():
    same_as_python(p_getattribute, [(GetAttribute(X),), (GetAttribute(V),)])
