"""User programs that catch the exceptions of common mistakes (wrong arguments, missing
keys and attributes, unhashable keys, bad operands and conversions, slice step 0, NumPy
shape errors) and return their type and message: compiled, both must be CPython's (an
exception must never escape from the tracer past the program's handler). Messages that
still differ are strict xfails in tests/e2e/test_fuzz_regressions.py."""
import numpy as np
import pytest

import framejit as fj
from user_programs import LOG, same_as_python

X = np.arange(6.0).reshape(2, 3)


class Obj:
    def __init__(self):
        self.a = 1

    def method(self, a, b=2, *, c):
        return a + b + c


def _calls():
    o = Obj()
    d = {"k": 1}
    lst = [1, 2]
    return [
        lambda: o.missing,
        lambda: o.method(1),
        lambda: o.method(1, c=2, d=3),
        lambda: o.method(a=1, c=2, a2=3),
        lambda: Obj(1),
        lambda: d["nope"],
        lambda: d[["unhashable"]],
        lambda: lst[5],
        lambda: lst["a"],
        lambda: (1, 2)[3],
        lambda: "ab"[9],
        lambda: 1 / 0,
        lambda: 1.0 / 0,
        lambda: 1 // 0,
        lambda: 1 % 0,
        lambda: 2.0 ** -1 / 0.0,
        lambda: "a" + 1,
        lambda: 1 + "a",
        lambda: [1] + (2,),
        lambda: len(5),
        lambda: iter(5),
        lambda: 5[0],
        lambda: None.x,
        lambda: None(),
        lambda: int("x1"),
        lambda: float("abc"),
        lambda: undefined_name,  # noqa: F821
        lambda: {1: 2}.pop(3),
        lambda: [].pop(),
        lambda: "abc".index("z"),
        lambda: X.missing_attr,
        lambda: X[5],
        lambda: X[0, 7],
        lambda: X + np.ones(4),
        lambda: X.reshape(4, 4),
        lambda: -"s",
        lambda: abs("s"),
        lambda: min(1),
        lambda: sum(["a"]),
        lambda: sorted([1, "a"]),
        lambda: 1 < "a",
        lambda: hash([]),
        lambda: {[]: 1},
        lambda: {}.fromkeys(1),
        lambda: tuple(5),
        lambda: list(1.5),
        lambda: getattr(o, "zz"),
        lambda: setattr(5, "x", 1),
        lambda: divmod(1, 0),
        lambda: round("x"),
        lambda: range(1.5),
        lambda: "%d" % "x",
        lambda: "{}{}".format(1),
        lambda: f"{1:q}",
        lambda: int(X),
        lambda: float(X),
        lambda: bool(X),
        lambda: X.item(),
        lambda: np.float64(1) / 0,
        lambda: np.int64(1) // 0,
        lambda: [1, 2, 3][1:2:0],
        lambda: object().x,
        lambda: issubclass(1, int),
        lambda: Obj.method(1, 2, c=3),
        lambda: (lambda a: a)(),
        lambda: zip([1], [1, 2], strict=True).__next__() and list(zip([1], [1, 2], strict=True)),
        lambda: next(iter([])),
        lambda: [][0],
        lambda: "x".join([1]),
        lambda: "x" * "y",
        lambda: [1] * 1.5,
        lambda: ~1.5,
        lambda: 1 << -1,
        lambda: pow(0, -1),
        lambda: (2 ** 10000) * 1.0,
        lambda: int(float("inf")),
        lambda: int(float("nan")),
        lambda: {k: 1 for k in [[1]]},
        lambda: {}.get([1]),
        lambda: [1] in {},
        lambda: dict([([1], 2)]),
        lambda: {}.pop([1]),
        lambda: {1: 2}.pop([1]),
        lambda: {}.setdefault([1], 2),
        lambda: [1].insert("a", 1),
        lambda: (1, 2)[::0],
        lambda: "{a}-{b}".format(a=1, b=X.shape) + "a,b".split(sep=",")[1],
        lambda: list(map(None, [1])),
        lambda: list(map(5, [1])),
    ]


def _store_unhashable():
    d = {}
    d[[1]] = 2


def _del_unhashable():
    d = {1: 2}
    del d[[1]]


def _store_slice_step_zero():
    lst = [1, 2]
    lst[::0] = [3]


def p_error_messages(k):
    fn = (_calls() + [_store_unhashable, _del_unhashable, _store_slice_step_zero])[k]
    try:
        fn()
        return "no error"
    except Exception as e:
        return type(e).__name__, str(e)


@pytest.mark.parametrize("k", range(len(_calls()) + 3))
def test_error_message(k):
    same_as_python(p_error_messages, [(k,)])
