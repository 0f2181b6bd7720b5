"""Subscripts: ``c[k]``, ``c[k] = v``, ``del c[k]`` over symbolic values.

Arrays: the index (ints, slices, None, ``...``, tuples of them, integer/boolean arrays,
lists) becomes the ``getitem`` / ``setitem`` node's argument with Nodes in place of traced
arrays; ``setitem`` writes into the array (the caller's array when it is an input), as
NumPy would. Tuples/lists/dicts index their items (slices give new containers); an item
of a list or tuple reached through a source is read alone, at a dynamic index where the
run picks it (trace/dyn_items.py); constants fold; plain-class instances inline ``__getitem__`` / ``__setitem__``. Stores into
pre-existing containers record side effects.
"""
from __future__ import annotations

from .attrs import dict_mutate, list_mutate, lookup_special, value_type
from .values import (ArrayVal, ClassInstanceVal, ConstVal, DictVal, ListVal, TupleVal)
from .dyn_inputs import lift_index, lift_operands
from .dyn_items import entry_item, is_put_back, store_item
from .wrap import node_arg


def _index_of(tx, seq, key, assignment=False):
    """The position ``key`` names in ``seq``; IndexError with CPython's message (a store
    or a ``del`` says "assignment")."""
    k = tx.pyval(key)
    if isinstance(k, slice):
        if k.step == 0:         # CPython checks this before looking at the items
            tx.raise_type(ValueError, "slice step cannot be zero")
        return k
    try:
        return range(len(seq.items))[k]
    except IndexError:
        what = " assignment" if assignment else ""
        tx.raise_type(IndexError, f"{value_type(seq).__name__}{what} index out of range")
    except TypeError:
        tx.raise_type(TypeError, f"{value_type(seq).__name__} indices must be integers or "
                                 f"slices, not {type(k).__name__}")


def _array_get(tx, x, key):
    return tx.add_node("getitem", (x.node, node_arg(tx, lift_index(tx, x, key))))


def _seq_get(tx, seq, key):
    i = _index_of(tx, seq, key)
    if isinstance(i, slice):
        return type(seq)(seq.items[i])
    return seq.items[i]


def _dict_get(tx, d, key):
    k = tx.pyval(key)
    try:
        return d.items[k]
    except KeyError:
        tx.raise_type(KeyError, k)
    except TypeError as exc:
        tx.raise_python(exc)


def _const_get(tx, c, key):
    value = tx.pyval(c)
    if type(key) is not ConstVal:
        tx.unsupported(f"indexing a {type(value).__name__} with a {type(key).__name__}")
    return tx.wrap(tx.fold(lambda v, k: v[k], value, tx.pyval(key)))


def _instance_get(tx, inst, key):
    meth = lookup_special(tx, inst, "__getitem__")
    if meth is None:
        tx.raise_type(TypeError, f"'{inst.cls.__name__}' object is not subscriptable")
    return tx.call(meth, [key])


_GET = {
    ArrayVal: _array_get,
    TupleVal: _seq_get,
    ListVal: _seq_get,
    DictVal: _dict_get,
    ConstVal: _const_get,
    ClassInstanceVal: _instance_get,
}


def get_item(tx, container, key):
    item = entry_item(tx, container, key)      # a list or tuple item read alone
    if item is not None:
        return item
    rule = _GET.get(type(container))
    if rule is None:
        tx.unsupported(f"subscripting a {type(container).__name__}")
    return rule(tx, container, key)


# ---------------------------------------------------------------- stores


def _array_set(tx, x, key, value):
    key = lift_index(tx, x, key)
    value = lift_operands(tx, x, value)[1]     # a dynamic number stored: a graph input
    tx.add_node("setitem", (x.node, node_arg(tx, key), node_arg(tx, value)))


def _list_set(tx, lst, key, value):
    if is_put_back(lst, key, value):
        return                                 # lst[i] += 1 on an array item: in place
    if store_item(tx, lst, key, value):        # at a dynamic position (trace/dyn_items.py)
        return
    i = _index_of(tx, lst, key, assignment=True)
    items = list(lst.items)
    if isinstance(i, slice):
        from .iteration import unpack
        items[i] = unpack(tx, value)
    else:
        items[i] = value
    list_mutate(tx, lst, None, (), items)
    if lst.source is not None:
        tx.record("setitem", lst, None, (key, value))


def _dict_set(tx, d, key, value):
    k = tx.key(key)
    items = dict(d.items)
    items[k] = value
    dict_mutate(tx, d, None, (), items)
    if d.source is not None:
        tx.record("setitem", d, None, (key, value))


def _instance_set(tx, inst, key, value):
    meth = lookup_special(tx, inst, "__setitem__")
    if meth is None:
        tx.raise_type(TypeError,
                      f"'{inst.cls.__name__}' object does not support item assignment")
    tx.call(meth, [key, value])


_SET = {ArrayVal: _array_set, ListVal: _list_set, DictVal: _dict_set,
        ClassInstanceVal: _instance_set}


def set_item(tx, container, key, value):
    rule = _SET.get(type(container))
    if rule is None:
        tx.raise_type(TypeError, f"'{value_type(container).__name__}' object does not "
                                 "support item assignment")
    rule(tx, container, key, value)


def _list_del(tx, lst, key):
    i = _index_of(tx, lst, key, assignment=True)
    items = list(lst.items)
    del items[i]
    list_mutate(tx, lst, None, (), items)
    if lst.source is not None:
        tx.record("delitem", lst, None, (key,))


def _dict_del(tx, d, key):
    k = tx.key(key)
    if k not in d.items:
        tx.raise_type(KeyError, k)
    items = dict(d.items)
    del items[k]
    dict_mutate(tx, d, None, (), items)
    if d.source is not None:
        tx.record("delitem", d, None, (key,))


_DEL = {ListVal: _list_del, DictVal: _dict_del}


def del_item(tx, container, key):
    rule = _DEL.get(type(container))
    if rule is None:
        tx.unsupported(f"del on an item of a {value_type(container).__name__}")
    rule(tx, container, key)
