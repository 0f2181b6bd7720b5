"""Opcode handlers for data: operators, containers, strings, attributes, subscripts, calls.

Registered into trace/handlers.py's dispatch table with the same ``@handler`` decorator;
each handler pops its operands, delegates the semantics to the rule modules (operators,
attrs, subscript, calls, iteration) and pushes the result.
"""
from __future__ import annotations

from ..bytecode import compat
from . import operators as ops
from . import sets, sites
from .attrs import del_attr, get_attr, set_attr
from .breaks import BreakKind
from .handlers import handler
from .iteration import is_iterable_value, unpack
from .dynamic import is_formatted, join_formatted
from .sources import FormatSource
from .subscript import del_item, get_item, set_item
from .values import (ArrayVal, ClassInstanceVal, ClosureVal, ConstVal, DictVal, ListVal, NULL,
                     SetVal, TupleVal)

# BINARY_OP argument -> (operator symbol, in place?), derived from dis.
_BINOPS = tuple((sym[:-1], True) if sym.endswith("=") else (sym, False)
                for sym in compat.NB_SYMBOLS)


def _armed(tx, f, operands, op, *args):
    """``op(*args)``, with ``f`` armed when a plain-class operand may make it inline a
    dunder whose value becomes the instruction's (trace/sites.py)."""
    for v in operands:
        if type(v) is ClassInstanceVal:
            return sites.arm(tx, f, op, *args)
    return op(*args)


@handler("BINARY_OP")
def BINARY_OP(tx, f, inst):
    b = f.stack.pop()
    a = f.stack.pop()
    sym, inplace = _BINOPS[inst.arg]
    f.stack.append(_armed(tx, f, (a, b), ops.binary, tx, sym, a, b, inplace))


@handler("COMPARE_OP")
def COMPARE_OP(tx, f, inst):
    b = f.stack.pop()
    a = f.stack.pop()
    operands = (a, b)
    if inst.argval in ops.COMPARISONS and type(a) in (ListVal, TupleVal) \
            and type(b) in (ListVal, TupleVal):
        operands = (*a.items, *b.items)           # their elements' dunders (sites.py)
    f.stack.append(_armed(tx, f, operands, ops.binary, tx, inst.argval, a, b))


def _unary(sym):
    def unary_handler(tx, f, inst):
        v = f.stack.pop()
        f.stack.append(_armed(tx, f, (v,), ops.unary, tx, sym, v))
    return unary_handler


handler("UNARY_NEGATIVE")(_unary("-"))
handler("UNARY_POSITIVE")(_unary("+"))
handler("UNARY_INVERT")(_unary("~"))


@handler("UNARY_NOT")
def UNARY_NOT(tx, f, inst):
    v = f.stack.pop()
    f.stack.append(ConstVal(not _armed(tx, f, (v,), ops.truthy, tx, v)))


@handler("IS_OP")
def IS_OP(tx, f, inst):
    b = f.stack.pop()
    a = f.stack.pop()
    f.stack.append(ConstVal(ops.is_same(tx, a, b) != bool(inst.arg)))


def _elements(item, container):
    """The operands whose dunders ``in`` may call: the item and a sequence's elements."""
    items = getattr(container, "items", None)
    return (item, *items) if type(container) in (ListVal, TupleVal) else (item,)


@handler("CONTAINS_OP")
def CONTAINS_OP(tx, f, inst):
    container = f.stack.pop()
    item = f.stack.pop()
    f.stack.append(ConstVal(_armed(tx, f, _elements(item, container), ops.contains, tx,
                                   item, container, bool(inst.arg))))


# ---------------------------------------------------------------- subscripts, attributes


@handler("BINARY_SUBSCR")
def BINARY_SUBSCR(tx, f, inst):
    key = f.stack.pop()
    container = f.stack.pop()
    f.stack.append(_armed(tx, f, (container,), get_item, tx, container, key))


@handler("STORE_SUBSCR")
def STORE_SUBSCR(tx, f, inst):
    key = f.stack.pop()
    container = f.stack.pop()
    value = f.stack.pop()
    if type(container) is ClassInstanceVal:      # __setitem__: its value is dropped
        f.site = sites.DISCARD
        try:
            sites.arm(tx, f, set_item, tx, container, key, value)
        finally:
            f.site = None
        return
    set_item(tx, container, key, value)


@handler("DELETE_SUBSCR")
def DELETE_SUBSCR(tx, f, inst):
    key = f.stack.pop()
    del_item(tx, f.stack.pop(), key)


@handler("BUILD_SLICE")
def BUILD_SLICE(tx, f, inst):
    parts = f.stack[-inst.argval:]
    del f.stack[-inst.argval:]
    f.stack.append(ConstVal(slice(*[tx.pyval(p) for p in parts])))


@handler("LOAD_ATTR")
def LOAD_ATTR(tx, f, inst):
    owner = f.stack.pop()
    # a property getter's (or __getattr__'s) value is the instruction's
    f.stack.append(_armed(tx, f, (owner,), get_attr, tx, owner, inst.argval))


@handler("LOAD_METHOD")
def LOAD_METHOD(tx, f, inst):
    owner = f.stack.pop()
    f.stack.append(NULL)        # below the value, also while a property getter runs
    f.stack.append(_armed(tx, f, (owner,), get_attr, tx, owner, inst.argval))


@handler("STORE_ATTR")
def STORE_ATTR(tx, f, inst):
    obj = f.stack.pop()
    set_attr(tx, obj, inst.argval, f.stack.pop())


@handler("DELETE_ATTR")
def DELETE_ATTR(tx, f, inst):
    del_attr(tx, f.stack.pop(), inst.argval)


# ---------------------------------------------------------------- building containers


@handler("BUILD_TUPLE")
def BUILD_TUPLE(tx, f, inst):
    f.stack.append(TupleVal(f.popn(inst.argval)))


@handler("BUILD_LIST")
def BUILD_LIST(tx, f, inst):
    f.stack.append(ListVal(f.popn(inst.argval)))


@handler("BUILD_SET")
def BUILD_SET(tx, f, inst):
    f.stack.append(sets.from_items(tx, f.popn(inst.argval)))


@handler("SET_ADD")
def SET_ADD(tx, f, inst):
    v = f.stack.pop()
    s = f.stack[-inst.argval]
    if type(s) is not SetVal:
        tx.unsupported(f"a set comprehension into a {type(s).__name__}")
    s.real.add(sets.element(tx, v))


@handler("SET_UPDATE")
def SET_UPDATE(tx, f, inst):
    items = unpack(tx, f.stack.pop())
    s = f.stack[-inst.argval]
    if type(s) is not SetVal:
        tx.unsupported(f"set update of a {type(s).__name__}")
    s.real.update(sets.element(tx, v) for v in items)


@handler("BUILD_MAP")
def BUILD_MAP(tx, f, inst):
    flat = f.popn(2 * inst.argval)
    f.stack.append(DictVal({tx.key(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}))


@handler("BUILD_CONST_KEY_MAP")
def BUILD_CONST_KEY_MAP(tx, f, inst):
    keys = tx.pyval(f.stack.pop())
    f.stack.append(DictVal(dict(zip(keys, f.popn(inst.argval)))))


@handler("BUILD_STRING")
def BUILD_STRING(tx, f, inst):
    parts = f.popn(inst.argval)
    if any(is_formatted(p) for p in parts):
        f.stack.append(join_formatted(tx, parts))
        return
    f.stack.append(ConstVal("".join(tx.pyval(p) for p in parts)))


_CONVERSIONS = (None, str, repr, ascii)


@handler("FORMAT_VALUE")
def FORMAT_VALUE(tx, f, inst):
    flags = inst.argval if isinstance(inst.argval, int) else inst.arg
    spec = tx.pyval(f.stack.pop()) if flags & 4 else ""
    value = f.stack.pop()
    if type(value) is ArrayVal:
        tx.graph_break(BreakKind.DATA_DEPENDENT,
                       f"formatting array {value.node.name} ({value.meta}) into a string")
    conv = _CONVERSIONS[flags & 3]
    if type(value) is ConstVal and value.dynamic and type(value.value) in (int, float):
        # a loop counter in a progress print: formatted at run time, not specialized
        text = tx.fold(format, conv(value.value) if conv else value.value, spec)
        f.stack.append(ConstVal(text, FormatSource(((flags & 3, spec),), (value.source,)),
                                dynamic=True))
        return
    py = tx.pyval(value)
    f.stack.append(ConstVal(tx.fold(format, conv(py) if conv else py, spec)))


# A container on the stack may come from outside the trace (a resume function receives
# a comprehension's list half built): its mutations are then side effects.

@handler("LIST_APPEND")
def LIST_APPEND(tx, f, inst):
    v = f.stack.pop()
    lst = f.stack[-inst.argval]
    if lst.source is not None:   # a comprehension resumed after a break: its list is
        from .attrs import list_append     # an argument, kept lazy (no LEN guard per item)
        list_append(tx, lst, (v,))
    else:
        lst.items.append(v)


@handler("LIST_EXTEND")
def LIST_EXTEND(tx, f, inst):
    seq = f.stack.pop()
    lst = f.stack[-inst.argval]
    items = unpack(tx, seq)
    if lst.source is not None:
        from .attrs import list_mutate
        list_mutate(tx, lst, "extend", (TupleVal(items),), lst.items + items)
    else:
        lst.items.extend(items)


@handler("LIST_TO_TUPLE")
def LIST_TO_TUPLE(tx, f, inst):
    f.stack.append(TupleVal(f.stack.pop().items))


@handler("MAP_ADD")
def MAP_ADD(tx, f, inst):
    value = f.stack.pop()
    key = f.stack.pop()
    d = f.stack[-inst.argval]
    if d.source is not None:
        from .attrs import dict_mutate
        dict_mutate(tx, d, "__setitem__", (key, value), {**d.items, tx.key(key): value})
    else:
        d.items[tx.key(key)] = value


@handler("DICT_UPDATE", "DICT_MERGE")
def DICT_UPDATE(tx, f, inst):
    other = f.stack.pop()
    target = f.stack[-inst.argval]
    if type(other) is not DictVal:
        tx.unsupported(f"** of a {type(other).__name__}")
    if inst.opname == "DICT_MERGE":
        dup = set(target.items) & set(other.items)
        if dup:
            tx.raise_type(TypeError, f"got multiple values for keyword argument '{dup.pop()}'")
    target.items.update(other.items)


@handler("UNPACK_SEQUENCE")
def UNPACK_SEQUENCE(tx, f, inst):
    n = inst.argval
    seq = f.stack.pop()
    if type(seq) is ConstVal and not is_iterable_value(seq.value):
        tx.raise_type(TypeError, f"cannot unpack non-iterable {type(seq.value).__name__} "
                                 "object")
    items = unpack(tx, seq)
    if len(items) != n:
        msg = (f"too many values to unpack (expected {n})" if len(items) > n else
               f"not enough values to unpack (expected {n}, got {len(items)})")
        tx.raise_type(ValueError, msg)
    f.stack.extend(reversed(items))


@handler("UNPACK_EX")
def UNPACK_EX(tx, f, inst):
    before, after = inst.argval & 0xFF, inst.argval >> 8
    items = unpack(tx, f.stack.pop())
    if len(items) < before + after:
        tx.raise_type(ValueError, f"not enough values to unpack (expected at least "
                                  f"{before + after}, got {len(items)})")
    f.stack.extend(reversed(items[len(items) - after:]))
    f.stack.append(ListVal(items[before:len(items) - after]))
    f.stack.extend(reversed(items[:before]))


# ---------------------------------------------------------------- functions and calls


@handler("MAKE_FUNCTION")
def MAKE_FUNCTION(tx, f, inst):
    flags = inst.argval
    code = f.stack.pop().value
    closure = f.stack.pop().items if flags & 0x08 else ()
    if flags & 0x04:
        f.stack.pop()
    kwdefaults = f.stack.pop().items if flags & 0x02 else {}
    defaults = unpack(tx, f.stack.pop()) if flags & 0x01 else ()
    f.stack.append(ClosureVal(code, f.globals, defaults, kwdefaults, closure,
                              getattr(code, "co_qualname", code.co_name)))


@handler("KW_NAMES")
def KW_NAMES(tx, f, inst):
    f.kw_names = inst.argval


@handler("CALL")
def CALL(tx, f, inst):
    args = f.popn(inst.argval)
    kw_names = f.kw_names
    f.kw_names = ()
    second = f.stack.pop()
    first = f.stack.pop()
    if first is NULL:
        fn = second
    else:
        fn = first
        args.insert(0, second)
    kwargs = {}
    if kw_names:
        split = len(args) - len(kw_names)
        kwargs = dict(zip(kw_names, args[split:]))
        del args[split:]
    tx.armed = f
    f.stack.append(tx.call(fn, args, kwargs))


def _function_str(fn) -> str:
    """CPython's _PyObject_FunctionStr: ``module.qualname()`` (no module for builtins)."""
    from .attrs import value_type
    real = getattr(fn, "fn", None) if type(fn) is not ConstVal else fn.value
    if type(fn) is ClosureVal:
        module, qualname = fn.globals.get("__name__"), fn.qualname
    elif real is not None:
        module, qualname = getattr(real, "__module__", None), getattr(
            real, "__qualname__", value_type(fn).__name__)
    else:
        return f"{value_type(fn).__name__} object"
    return f"{qualname}()" if module in (None, "builtins") else f"{module}.{qualname}()"


@handler("CALL_FUNCTION_EX")
def CALL_FUNCTION_EX(tx, f, inst):
    kw = f.stack.pop() if inst.argval & 1 else None
    star = f.stack.pop()
    fn = f.stack[-1]
    if type(star) is ConstVal and not is_iterable_value(star.value):
        tx.raise_type(TypeError, f"{_function_str(fn)} argument after * must be an iterable, "
                                 f"not {type(star.value).__name__}")
    args = unpack(tx, star)
    fn = f.stack.pop()
    if f.stack and f.stack[-1] is NULL:
        f.stack.pop()
    kwargs = {}
    if kw is not None:
        if type(kw) is not DictVal:
            tx.unsupported(f"** of a {type(kw).__name__}")
        kwargs = dict(kw.items)
    tx.armed = f
    f.stack.append(tx.call(fn, args, kwargs))
