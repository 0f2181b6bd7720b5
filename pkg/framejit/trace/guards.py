"""Guards as data: what a trace assumed about its inputs.

``Guard(kind, source, expected)``; kinds:

- TYPE:  ``type(value) is expected``.
- ARRAY: exact ``np.ndarray`` with ``expected.dtype`` and ``expected.shape`` (and, when the
  trace relied on it, ``expected.c_contiguous``).
- VALUE: ``type(value) is type(expected) and value == expected`` (Python constants and
  tuples of them; NaN compares by identity of the bit pattern, see ``_same_value``).
- ID:    ``value is expected`` (globals, functions, modules, classes used).
- LEN:   ``len(value) == expected`` (with the TYPE guard of the container).
- KEYS:  ``tuple(value) == expected`` (dict keys, in order).
- ALIAS: ``value is <expected source's value>`` (two paths reached one object).
- PRED:  ``expected(value)`` is True: a predicate on a dynamic int or float root (of
  the type it was traced with), or on the tuple of several roots (a ``RootsSource``) (trace/dynamic.Predicate, e.g.
  ``(i % 10 == 0) is True``, ``(i < j) is False``); one guard per root (or tuple of
  roots), whose tests accumulate.
- RANGE: ``type(value) in (int, float) and lo <= value < hi`` for ``expected == (lo, hi)``, a None
  bound being open (dynamic ints, trace/dynamic.py).

``Guard.check(env)`` is the reference evaluation (tests; the C guard program lowers the
same data). Guards are deduplicated by (kind, source).
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np


class GuardKind(enum.Enum):
    TYPE = "type"
    ARRAY = "array"
    VALUE = "value"
    ID = "id"
    LEN = "len"
    KEYS = "keys"
    ALIAS = "alias"
    RANGE = "range"
    PRED = "pred"


@dataclass(frozen=True)
class ArrayExpect:
    dtype: np.dtype
    shape: tuple
    c_contiguous: bool | None = None

    def __str__(self):
        flag = "" if self.c_contiguous is None else f", C={self.c_contiguous}"
        return f"ndarray[{self.dtype}, {self.shape}{flag}]"


@dataclass(frozen=True)
class Guard:
    kind: GuardKind
    source: object
    expected: object

    def check(self, env) -> bool:
        try:
            value = self.source.fetch(env)
        except Exception:
            return False
        return _CHECKS[self.kind](value, self.expected, env)

    def describe(self) -> str:
        return f"{self.kind.name}({self.source}) == {_show(self.expected)}"

    __str__ = describe


def _show(expected):
    if isinstance(expected, type):
        return expected.__qualname__
    return repr(expected) if not isinstance(expected, ArrayExpect) else str(expected)


def _same_value(value, expected) -> bool:
    if type(value) is not type(expected):
        return False
    if isinstance(expected, tuple):
        return len(value) == len(expected) and all(map(_same_value, value, expected))
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(value)
    return bool(value == expected)


def _array_ok(value, exp, env) -> bool:
    if type(value) is not np.ndarray or value.dtype != exp.dtype or value.shape != exp.shape:
        return False
    return exp.c_contiguous is None or value.flags.c_contiguous == exp.c_contiguous


_CHECKS = {
    GuardKind.TYPE: lambda v, e, env: type(v) is e,
    GuardKind.ARRAY: _array_ok,
    GuardKind.VALUE: lambda v, e, env: _same_value(v, e),
    GuardKind.ID: lambda v, e, env: v is e,
    GuardKind.LEN: lambda v, e, env: len(v) == e,
    GuardKind.KEYS: lambda v, e, env: tuple(v) == e,
    GuardKind.ALIAS: lambda v, e, env: v is e.fetch(env),
    GuardKind.PRED: lambda v, e, env: type(v) in (int, float, tuple) and e(v),
    GuardKind.RANGE: lambda v, e, env: type(v) in (int, float) and (e[0] is None or e[0] <= v) and (
        e[1] is None or v < e[1]),
}


def check_all(guards, env) -> bool:
    return all(g.check(env) for g in guards)
