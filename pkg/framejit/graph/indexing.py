"""Meta rules for ``getitem`` / ``setitem``: NumPy's basic and advanced indexing.

Basic indexing (ints, slices, None, Ellipsis, 0-d integer values) is a view: it runs on a
full zero-strided stand-in, which yields NumPy's exact shape, scalar-ness and errors.
Advanced indexing (integer arrays, lists, constant boolean masks) computes a copy, so its
shape is derived: a *skeleton* index with every advanced item replaced by ``:`` gives the
remaining dims and NumPy's errors; the broadcast index shape goes where the first
advanced item was when all advanced items are adjacent, else in front (NumPy's rule).
A traced boolean mask selects ``DynDim(mask)`` elements (a size known only at run time,
``graph/dyn.py``): it becomes ``mask.ndim`` integer index arrays of that length, exactly
as NumPy expands a constant mask. On a run-time-sized axis, only whole (or reversed)
slices keep an expressible size; other slices raise DataDependentShape. A write through
a mask checks the value against the selection only where the sizes are static; a
run-time size may match anything, and NumPy itself decides when the graph runs.
"""
from __future__ import annotations

import math

import numpy as np

from . import dyn
from .infer import DataDependentShape, full, is_meta, meta_of, replay, run_on, shape_of
from .ir import DynDim, Meta


def getitem(a, idx):
    return a[idx]


def setitem(a, idx, value):
    """``a[idx] = value``; the node's value is the mutated ``a`` itself."""
    a[idx] = value
    return a


def _as_index(item):
    """Constant lists become arrays as NumPy reads them (an empty list is intp)."""
    if isinstance(item, list):
        return np.asarray(item) if item else np.zeros(0, np.intp)
    return item


def _is_advanced_array(item) -> bool:
    if is_meta(item):
        return item.ndim > 0 or item.dtype == np.bool_
    if isinstance(item, (bool, np.bool_)):
        return True
    return isinstance(item, np.ndarray) and (item.ndim > 0 or item.dtype == np.bool_)


def _is_scalar_bool(item) -> bool:
    return not is_meta(item) and np.ndim(item) == 0 and isinstance(
        item, (bool, np.bool_, np.ndarray)) and np.asarray(item).dtype == np.bool_


def _is_integer(item) -> bool:
    if is_meta(item):
        return item.ndim == 0 and item.dtype.kind in "iu"
    return isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_))


def _is_mask(item) -> bool:
    return isinstance(item, np.ndarray) and item.dtype == np.bool_ and item.ndim > 0


def _is_traced_mask(item) -> bool:
    return is_meta(item) and item.dtype == np.bool_


def _width(item) -> int:
    """How many dims of the array an index item consumes (Ellipsis: see callers)."""
    if item is None or _is_scalar_bool(item):
        return 0
    return item.ndim if _is_mask(item) or _is_traced_mask(item) else 1


def _selected(item):
    """The integer index arrays a traced mask stands for: ``mask.ndim`` arrays of length
    ``DynDim(mask node)`` (the builder names the node through ``MaskMeta.key``)."""
    key = getattr(item, "key", "")
    if item.ndim == 0 or not key:
        raise DataDependentShape("indexing with a traced boolean mask has a data-dependent shape")
    n = dyn.size_of(DynDim(key)) if math.prod(item.shape) else 0
    return [Meta((n,), np.dtype(np.intp))] * item.ndim


def _numpy_checks_mask(a: Meta, idx):
    """A mask that does not match the dims it covers: NumPy's IndexError, except for the
    empty masks NumPy accepts (they select nothing, ``_selected`` makes that static)."""
    if dyn.has_stand_in(a, idx):
        raise DataDependentShape("whether a boolean index matches depends on a run-time size")
    try:
        run_on(full, getitem, (a, idx), {})
    except IndexError as exc:
        raise exc.with_traceback(None) from None


def _expand_masks(a: Meta, idx, items):
    """Boolean masks become the integer arrays of their nonzero() (NumPy does), after
    NumPy's check that each mask matches the dims it covers."""
    consumed = sum(_width(it) for it in items if it is not Ellipsis)
    out, axis = [], 0
    for item in items:
        if _is_mask(item) or _is_traced_mask(item):
            covered = a.shape[axis:axis + item.ndim]
            if len(covered) == item.ndim and covered != item.shape:
                _numpy_checks_mask(a, idx)
            out.extend(item.nonzero() if _is_mask(item) else _selected(item))
        else:
            out.append(item)
        axis += a.ndim - consumed if item is Ellipsis else _width(item)
    return out


def _whole(item) -> bool:
    return item.start is None and item.stop is None and item.step in (None, 1, -1)


def _check_run_time_axes(a: Meta, items):
    """A run-time-sized axis may be kept whole, reversed or indexed; any other slice of it
    has a size computed from the run-time size (``min(D, 3)``, ``D - 1``)."""
    if not any(map(dyn.is_stand_in, a.shape)):
        return
    consumed = sum(_width(it) for it in items if it is not Ellipsis)
    axis = 0
    for item in items:
        if item is Ellipsis:
            axis += a.ndim - consumed
            continue
        if (isinstance(item, slice) and axis < a.ndim and dyn.is_stand_in(a.shape[axis])
                and not _whole(item)):
            raise DataDependentShape("slicing an axis whose size is known only at run time")
        axis += _width(item)


def _consumed(items) -> int:
    return sum(1 for it in items if it is not None and it is not Ellipsis)


def _check_bounds(a: Meta, items, advanced, arrays: bool):
    """Constant indices against their axis. NumPy checks integer scalars while preparing
    the index and arrays only when applying it (``arrays``; skipped if nothing is taken)."""
    axis = 0
    for i, item in enumerate(items):
        if item is Ellipsis:
            axis += a.ndim - _consumed(items)
            continue
        if item is None:
            continue
        if i in advanced and not is_meta(item) and (np.ndim(item) > 0) == arrays:
            n = a.shape[axis]
            values = np.asarray(item).reshape(-1)
            bad = values[(values >= n) | (values < -n)]
            if bad.size:
                raise IndexError(f"index {bad[0]} is out of bounds for axis {axis} with size {n}")
        axis += 1


def _advanced_shape(a: Meta, idx, items, check_bounds=True) -> tuple:
    for item in items:
        if (is_meta(item) or isinstance(item, np.ndarray)) and item.dtype.kind not in "iub":
            replay(getitem, (a, idx), {}, IndexError("non-integer index array"))
    items = _expand_masks(a, idx, items)
    advanced = {i for i, it in enumerate(items) if _is_advanced_array(it) or _is_integer(it)}
    skeleton = tuple(slice(None) if i in advanced else it for i, it in enumerate(items))
    # the skeleton raises NumPy's errors for too many indices, bad items, bad masks
    try:
        kept = meta_of(run_on(full, getitem, (a, skeleton), {})).shape
    except IndexError:
        replay(getitem, (a, idx), {}, IndexError("bad index"))
    # with a mask's run-time count among the index arrays, NumPy's verdicts on their
    # broadcast and on the bounds of the others (checked only if something is taken)
    # depend on that count
    counted = any(map(dyn.is_stand_in, (d for i in advanced for d in shape_of(items[i]))))
    try:
        index_shape = np.broadcast_shapes(*(shape_of(items[i]) for i in sorted(advanced)))
    except ValueError as exc:
        if counted:
            raise DataDependentShape("mask selection broadcast against index arrays") from exc
        replay(getitem, (a, idx), {}, exc)
    _check_bounds(a, items, advanced, arrays=False)
    if check_bounds and math.prod(index_shape):
        try:
            _check_bounds(a, items, advanced, arrays=True)
        except IndexError as exc:
            if counted:
                raise DataDependentShape("index arrays out of bounds unless the mask selects "
                                         "nothing") from exc
            raise
    positions, dim = [], 0
    for i, item in enumerate(items):
        if i in advanced:
            positions.append(dim)
        dim += a.ndim - _consumed(items) if item is Ellipsis else 1
    rest = tuple(d for j, d in enumerate(kept) if j not in positions)
    order = sorted(advanced)
    adjacent = order[-1] - order[0] == len(order) - 1
    at = positions[0] if adjacent else 0
    return rest[:at] + tuple(index_shape) + rest[at:]


def getitem_meta(args, kwargs, check_bounds=True) -> Meta:
    a, idx = args
    items = tuple(map(_as_index, idx)) if isinstance(idx, tuple) else (_as_index(idx),)
    _check_run_time_axes(a, items)
    # x[True] / x[False] add a length-1/0 axis; the stand-in copy is at most x's size
    if not any(_is_advanced_array(it) for it in items) or any(map(_is_scalar_bool, items)):
        return meta_of(run_on(full, getitem, (a, items if isinstance(idx, tuple) else items[0]), {}))
    return Meta(_advanced_shape(a, idx, items, check_bounds), a.dtype, False)


def _strip_leading_ones(shape, ndim):
    shape = tuple(shape)
    while len(shape) > ndim and shape[0] == 1:
        shape = shape[1:]
    return shape


def _may_fit(vshape, tshape) -> bool:
    """Could the value broadcast into the target for some run-time sizes?"""
    pairs = zip(reversed(tuple(vshape)), reversed(tuple(tshape)))
    return len(vshape) <= len(tshape) and all(
        v == t or v == 1 or dyn.is_stand_in(v) or dyn.is_stand_in(t) for v, t in pairs)


def _convert_scalar(a: Meta, value):
    if not is_meta(value) and np.ndim(value) == 0:
        # NEP 50: a Python int out of range of the array's dtype raises OverflowError
        np.empty((), a.dtype)[()] = value


def setitem_meta(args, kwargs) -> Meta:
    """NumPy's order: index prepared, value converted, shapes matched, array bounds."""
    a, idx, value = args
    if a.scalar:
        run_on(full, setitem, args, kwargs)  # NumPy scalars are immutable: its TypeError
    try:
        target = getitem_meta((a, idx), {}, check_bounds=False)
    except DataDependentShape:
        target = None
    except IndexError as exc:
        # index arrays are broadcast together only after the value has been converted
        if "indexing arrays could not be broadcast" in str(exc):
            _convert_scalar(a, value)
        raise
    _convert_scalar(a, value)
    if target is None:
        return a
    if target.scalar:
        # one element: NumPy decides what fits into it; the stand-in write is one element
        run_on(full, setitem, args, kwargs)
        return a
    vshape = _strip_leading_ones(shape_of(value), target.ndim)
    try:
        ok = np.broadcast_shapes(vshape, target.shape) == tuple(target.shape)
    except ValueError:
        ok = False
    if not ok and dyn.has_stand_in(Meta(vshape, a.dtype), target):
        if not _may_fit(vshape, target.shape):
            raise DataDependentShape("setitem: NumPy's error names a size known only at run time")
    elif not ok:
        replay(setitem, args, kwargs, ValueError("setitem: value does not broadcast"))
    getitem_meta((a, idx), {})
    return a
