"""Opaque ops: one ``framejit.custom_op`` call as one graph node.

A custom-op node is ``custom_op(op, *args, **kwargs)``: ``args[0]`` is the op object
(anything with ``.name``, ``.fn``, ``.fake`` and ``.mutates_args``, duck-typed so that
this layer imports nothing else from framejit), the rest are the call's arguments with
Nodes in place of traced arrays. ``impl`` calls the real body at run time; ``meta`` runs
the op's fake on ``FakeArray`` stand-ins (``.shape``, ``.dtype``, ``.ndim``, ``.size``;
non-array arguments as given) and reads shape and dtype off what the fake returns.

Invariants that passes must keep (the row is ``Family.OPAQUE`` and its ``mutates`` is
``(PER_NODE,)``): an opaque node has effects — never removed, merged, fused or moved
across another opaque node or a node touching an array it mutates; which arguments it
writes to is per node (``mutated_args(node)``), from the op's ``mutates_args``. A node
whose fake returns None yields no array (``NO_RESULT`` meta) and exists for its effect.
"""
from __future__ import annotations

import inspect

import numpy as np

from .infer import map_metas
from .ir import Meta

#: ``OpDef.mutates`` of the custom_op row: ask ``mutated_args(node)``.
PER_NODE = "per_node"

#: Meta of a node whose op returns None (kept for its effect; never an array value).
NO_RESULT = Meta((), np.dtype(object), True)


class FakeError(TypeError):
    """A fake implementation broke its contract (bad return value, stand-in misuse)."""


class FakeArray:
    """What a fake sees in place of an array: shape and dtype, no values."""
    __slots__ = ("shape", "dtype", "scalar")

    def __init__(self, meta: Meta):
        self.shape = tuple(meta.shape)
        self.dtype = meta.dtype
        self.scalar = meta.scalar

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __getattr__(self, name):
        if name.startswith("__"):   # protocol probes (NumPy's __array_interface__, copy)
            raise AttributeError(name)
        raise FakeError(f"a fake implementation read .{name} of an array stand-in; stand-ins "
                        "only have .shape, .dtype, .ndim and .size (no values): build the "
                        "result with e.g. np.empty(shape, dtype)")

    def __array__(self, *args, **kwargs):
        raise FakeError("a fake implementation used the values of an array stand-in; it may "
                        "only read .shape/.dtype/.ndim/.size and return e.g. "
                        "np.empty(shape, dtype)")

    def __array_function__(self, func, types, args, kwargs):
        """``np.empty_like(x)`` and friends: a stand-in of the same shape and dtype."""
        if func not in _LIKE or not args or args[0] is not self:
            raise FakeError(f"a fake implementation called np.{func.__name__} on an array "
                            "stand-in; only the *_like creators work on stand-ins: build the "
                            "result from .shape/.dtype, e.g. np.empty(shape, dtype)")
        dtype = kwargs.get("dtype", args[2] if func is np.full_like and len(args) > 2 else None)
        shape = kwargs.get("shape")
        return FakeArray(Meta(self.shape if shape is None else tuple(np.atleast_1d(shape)),
                              self.dtype if dtype is None else np.dtype(dtype)))

    def __repr__(self):
        return f"FakeArray(shape={self.shape}, dtype={self.dtype})"


_LIKE = frozenset([np.empty_like, np.zeros_like, np.ones_like, np.full_like])


def _describe(op) -> str:
    return f"custom op {getattr(op, 'name', op)!r}"


def result_meta(op, result) -> Meta:
    """The Meta of what ``op``'s fake returned (None: the op returns None)."""
    if result is None:
        return NO_RESULT
    if isinstance(result, FakeArray):
        return Meta(result.shape, result.dtype, result.scalar)
    shape, dtype = getattr(result, "shape", None), getattr(result, "dtype", None)
    if isinstance(result, (tuple, list)) or shape is None or dtype is None:
        got = type(result).__name__
        raise FakeError(f"the fake of {_describe(op)} returned a {got}; a fake must return "
                        "one array-like with .shape and .dtype (e.g. np.empty(shape, dtype)), "
                        "or None for an op that returns None")
    try:
        return Meta(tuple(int(d) for d in shape), np.dtype(dtype), isinstance(result, np.generic))
    except TypeError as exc:
        raise FakeError(f"the fake of {_describe(op)} returned shape {shape!r} / dtype "
                        f"{dtype!r}: {exc}") from None


def meta(args, kwargs) -> Meta:
    """Meta rule of ``custom_op``: the fake run on stand-ins."""
    op = args[0]
    fake_args = [map_metas(FakeArray, a) for a in args[1:]]
    fake_kwargs = {k: map_metas(FakeArray, v) for k, v in kwargs.items()}
    return result_meta(op, op.fake(*fake_args, **fake_kwargs))


def impl(op, *args, **kwargs):
    """Eager implementation of ``custom_op``: the real body. Calling the op runs its body
    under a ``disable`` mode entry (api.CustomOp), so the frame hook never traces it."""
    return op(*args, **kwargs)


def mutated_args(node) -> tuple:
    """The values (Nodes or constants) a custom-op node writes to, from ``mutates_args``."""
    op = node.args[0]
    if not op.mutates_args:
        return ()
    bound = inspect.signature(op.fn).bind(*node.args[1:], **node.kwargs)
    return tuple(bound.arguments[name] for name in op.mutates_args if name in bound.arguments)


__all__ = ["FakeArray", "FakeError", "NO_RESULT", "PER_NODE", "impl", "meta",
           "mutated_args", "result_meta"]
