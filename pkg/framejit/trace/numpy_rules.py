"""NumPy vocabulary of the tracer: which graph op a callable, method, attribute or Python
operator becomes, and how its arguments are normalised.

Tables, not ladders:
- ``op_for_callable(obj)``: NumPy functions and ufuncs by identity (index built once from
  ``numpy`` and ``numpy.linalg`` against the op registry, preferring the callable's
  ``__name__`` — NumPy's op name — then the attribute name), ufunc methods
  (``np.add.outer`` -> ``"add.outer"``).
- ``BINARY_UFUNCS`` / ``UNARY_UFUNCS``: Python operator symbol -> ufunc; the op name is the
  ufunc's ``__name__`` (``/`` -> ``divide``).
- ``power_op``: ``x ** k`` exactly as ``ndarray.__pow__`` does it for a scalar exponent
  (NumPy's ``fast_scalar_power``: exact int 2 -> square, exact int -1 -> reciprocal, exact
  float 0.5 -> sqrt for float/complex arrays; for integer and bool arrays only int 2 ->
  square), so eager results are bit-identical.
- ``METHOD_RULES``: ndarray method -> normaliser giving (op, args, kwargs); any other
  method whose name is an op is called as ``op(x, *args, **kwargs)``.
- ``STATIC_ATTRS`` (shape, dtype, ndim, size, itemsize, nbytes: trace-time values from
  meta) and ``OP_ATTRS`` (T, real, imag, mT: graph ops).
- ``DATA_METHODS``: methods that turn array values into Python values (breaks).
"""
from __future__ import annotations

import operator

import numpy as np

from ..graph.ops import OPS
from .values import TupleVal

BINARY_UFUNCS = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide,
    "//": np.floor_divide, "%": np.remainder, "**": np.power, "@": np.matmul,
    "&": np.bitwise_and, "|": np.bitwise_or, "^": np.bitwise_xor,
    "<<": np.left_shift, ">>": np.right_shift,
    "<": np.less, "<=": np.less_equal, "==": np.equal, "!=": np.not_equal,
    ">": np.greater, ">=": np.greater_equal,
}
BINARY_OPS = {sym: u.__name__ for sym, u in BINARY_UFUNCS.items()}

#: Python semantics of each operator symbol, for trace-time constant folding.
PY_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
    "&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift,
    ">>": operator.rshift, "<": operator.lt, "<=": operator.le, "==": operator.eq,
    "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
}
PY_INPLACE = {
    "+": operator.iadd, "-": operator.isub, "*": operator.imul, "/": operator.itruediv,
    "//": operator.ifloordiv, "%": operator.imod, "**": operator.ipow, "@": operator.imatmul,
    "&": operator.iand, "|": operator.ior, "^": operator.ixor, "<<": operator.ilshift,
    ">>": operator.irshift,
}

UNARY_UFUNCS = {"-": np.negative, "+": np.positive, "~": np.invert, "abs": np.absolute}
UNARY_OPS = {sym: u.__name__ for sym, u in UNARY_UFUNCS.items()}
PY_UNARY = {"-": operator.neg, "+": operator.pos, "~": operator.invert, "abs": abs,
            "not": operator.not_}

_FAST_POWER = {(int, 2): "square", (int, -1): "reciprocal", (float, 0.5): "sqrt"}


def power_op(base_meta, exponent):
    """(op, uses_exponent) for ``base ** exponent`` with an ndarray base."""
    if base_meta.scalar:
        return "power", True
    if base_meta.dtype.kind not in "fc":
        # integer and bool arrays take only the square shortcut (bool ** 2 is int8, as
        # np.square's, where np.power gives the default int)
        square = type(exponent) is int and exponent == 2
        return ("square", False) if square else ("power", True)
    key = (type(exponent), exponent)
    try:
        op = _FAST_POWER.get(key)
    except TypeError:
        op = None
    return (op, False) if op is not None else ("power", True)


# ---------------------------------------------------------------- callables

_index = None
_MODULES = (("", np), ("linalg.", np.linalg))


def _build_index():
    index = {}
    for prefix, mod in _MODULES:
        for attr, obj in vars(mod).items():
            if not callable(obj) or attr.startswith("_"):
                continue
            name = getattr(obj, "__name__", None)
            for candidate in (f"{prefix}{name}", f"{prefix}{attr}"):
                if candidate in OPS:
                    index.setdefault(id(obj), (obj, candidate))
                    break
    return index


def op_for_callable(obj):
    """The registry op name for a NumPy callable, or None."""
    global _index
    if _index is None:
        _index = _build_index()
    hit = _index.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, np.ufunc):
        name = f"{owner.__name__}.{obj.__name__}"
        return name if name in OPS else None
    return None


def is_numpy_callable(obj) -> bool:
    if isinstance(obj, np.ufunc):
        return True
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, np.ufunc):
        return True
    module = getattr(obj, "__module__", None) or ""
    return module == "numpy" or module.startswith("numpy.")


def ufunc_out(obj, args, kwargs):
    """The ``out`` value given to a NumPy call (positional for ufuncs), or None."""
    if "out" in kwargs:
        return kwargs["out"]
    nin = getattr(obj, "nin", None)
    if isinstance(obj, np.ufunc) and len(args) > nin:
        return args[nin]
    return None


def is_creation(op: str) -> bool:
    return OPS[op].family.name == "CREATION"


# ---------------------------------------------------------------- ndarray methods


def _self_first(op):
    return lambda x, args, kwargs: (op, (x, *args), kwargs)


def _packed(op):
    """``x.reshape(2, 3)`` / ``x.transpose(1, 0)``: varargs packed into one tuple."""
    def norm(x, args, kwargs):
        if len(args) == 1:
            return op, (x, args[0]), kwargs
        if not args:
            return op, (x,), kwargs
        return op, (x, TupleVal(args)), kwargs
    return norm


METHOD_RULES = {
    "reshape": _packed("reshape"),
    "transpose": _packed("transpose"),
    "conjugate": _self_first("conj"),
    "flatten": None,      # special: copy of ravel (always a copy)
    "fill": None,         # special: setitem(x, ..., v)
    "view": None,         # special: x[...] (dtype views unsupported)
    "sort": None,         # special: in place
}

#: Methods that turn an array's values into Python values.
DATA_METHODS = frozenset(["item", "tolist", "tobytes", "__bool__", "__float__", "__int__",
                          "__index__", "__len__", "nonzero"])


def method_op(name):
    """The normaliser for ``x.name(...)``, or None when the method is not an op."""
    rule = METHOD_RULES.get(name)
    if rule is not None:
        return rule
    return _self_first(name) if name in OPS and name not in METHOD_RULES else None


# ---------------------------------------------------------------- ndarray attributes

STATIC_ATTRS = {  # shape/size of a run-time-sized array raise DataDependentShape
    "shape": lambda m: m.concrete(),
    "dtype": lambda m: m.dtype,
    "ndim": lambda m: len(m.shape),
    "size": lambda m: m.size,
    "itemsize": lambda m: m.dtype.itemsize,
    "nbytes": lambda m: m.size * m.dtype.itemsize,
}

OP_ATTRS = {
    "T": ("transpose", ()),
    "real": ("real", ()),
    "imag": ("imag", ()),
    "mT": ("swapaxes", (-1, -2)),
}


def static_function(obj):
    """NumPy functions answered from meta: np.shape, np.ndim, np.size."""
    return _STATIC_FUNCS.get(id(obj))


_STATIC_FUNCS = {
    id(np.shape): STATIC_ATTRS["shape"],
    id(np.ndim): STATIC_ATTRS["ndim"],
    id(np.size): STATIC_ATTRS["size"],
}
