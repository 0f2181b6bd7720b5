"""Opcode handlers: one small function per opname, in a 256-slot dispatch table.

``@handler("OPNAME", ...)`` registers a function ``(tracer, frame, inst) -> bool | None``
(True only to leave the frame). ``HANDLERS[opcode]`` is read by the step loop; a slot with
no handler raises a structured UNSUPPORTED_BYTECODE graph break naming the opname. Opnames
that do not exist in the running CPython are skipped at registration, so version-specific
handlers can sit side by side (see bytecode/compat.py for argument conventions). This
module holds stack, locals/globals/cells, control flow, exceptions and ``with``;
trace/handlers_data.py holds operators, containers, attributes, subscripts and calls.
"""
from __future__ import annotations

import sys

from ..bytecode import compat
from . import sites
from .breaks import BreakKind
from .iteration import Exhausted, make_iter, next_value
from .operators import is_same, truthy
from .sources import GlobalSource, ItemSource
from .tracer import UserRaise
from .values import (CellVal, ClassInstanceVal, ConstVal, ExceptionVal, FilterVal, MapVal,
                     ModeCtxVal, ModeExitVal, NULL)


def _missing(tx, f, inst):
    tx.graph_break(BreakKind.UNSUPPORTED_BYTECODE,
                   f"no handler for bytecode {inst.opname} (offset {inst.offset})")


HANDLERS = [_missing] * 256


def handler(*opnames):
    def register(fn):
        for name in opnames:
            if name in compat.OPMAP:
                HANDLERS[compat.OPMAP[name]] = fn
        return fn
    return register


class Lazy:
    """An argument slot not wrapped yet (wrapped, with its guards, when first read)."""
    __slots__ = ("obj", "source")

    def __init__(self, obj, source):
        self.obj = obj
        self.source = source


# ---------------------------------------------------------------- no-ops and stack


@handler("NOP", "RESUME", "PRECALL", "COPY_FREE_VARS", "EXTENDED_ARG", "CACHE")
def NOP(tx, f, inst):
    return None


@handler("POP_TOP")
def POP_TOP(tx, f, inst):
    f.stack.pop()


@handler("PUSH_NULL")
def PUSH_NULL(tx, f, inst):
    f.stack.append(NULL)


@handler("COPY")
def COPY(tx, f, inst):
    f.stack.append(f.stack[-inst.argval])


@handler("SWAP")
def SWAP(tx, f, inst):
    s, i = f.stack, inst.argval
    s[-1], s[-i] = s[-i], s[-1]


# ---------------------------------------------------------------- constants, locals


@handler("LOAD_CONST")
def LOAD_CONST(tx, f, inst):
    f.stack.append(ConstVal(inst.argval))


@handler("LOAD_FAST", "LOAD_FAST_CHECK")
def LOAD_FAST(tx, f, inst):
    v = f.locals[inst.arg]
    if v is None:
        tx.raise_type(UnboundLocalError, f"cannot access local variable '{inst.argval}' "
                                         "where it is not associated with a value")
    if type(v) is Lazy:
        v = f.locals[inst.arg] = tx.wrap(v.obj, v.source)
    f.stack.append(v)


@handler("STORE_FAST")
def STORE_FAST(tx, f, inst):
    f.locals[inst.arg] = f.stack.pop()


@handler("DELETE_FAST")
def DELETE_FAST(tx, f, inst):
    if f.locals[inst.arg] is None:
        LOAD_FAST(tx, f, inst)
    f.locals[inst.arg] = None


def global_source(f, name):
    return GlobalSource(name) if f.global_base is None else ItemSource(f.global_base, name)


def load_global(tx, f, name):
    stored = tx.global_values.get((id(f.globals), name))
    if stored is not None:
        if stored is _DELETED:
            tx.raise_type(NameError, f"name '{name}' is not defined")
        return stored
    if name in f.globals:
        return tx.wrap(f.globals[name], global_source(f, name))
    if name in f.builtins:
        return tx.wrap(f.builtins[name])
    tx.raise_type(NameError, f"name '{name}' is not defined")


_DELETED = ConstVal(object())


@handler("LOAD_GLOBAL")
def LOAD_GLOBAL(tx, f, inst):
    push_null, name = inst.argval
    value = load_global(tx, f, name)
    if push_null:
        f.stack.append(NULL)
    f.stack.append(value)


@handler("STORE_GLOBAL")
def STORE_GLOBAL(tx, f, inst):
    value = f.stack.pop()
    tx.global_values[(id(f.globals), inst.argval)] = value
    tx.record("store_global", f.global_base, inst.argval, (value,))


@handler("DELETE_GLOBAL")
def DELETE_GLOBAL(tx, f, inst):
    load_global(tx, f, inst.argval)
    tx.global_values[(id(f.globals), inst.argval)] = _DELETED
    tx.record("delete_global", f.global_base, inst.argval)


# ---------------------------------------------------------------- cells


@handler("MAKE_CELL")
def MAKE_CELL(tx, f, inst):
    initial = f.locals[inst.arg] if inst.arg < len(f.locals) else None
    if type(initial) is Lazy:
        initial = tx.wrap(initial.obj, initial.source)
    f.cells[inst.argval] = CellVal(initial)


@handler("LOAD_CLOSURE")
def LOAD_CLOSURE(tx, f, inst):
    f.stack.append(f.cells[inst.argval])


@handler("LOAD_DEREF")
def LOAD_DEREF(tx, f, inst):
    cell = f.cells[inst.argval]
    if cell.contents is None:
        if cell.source is None:
            tx.raise_type(NameError, f"cannot access free variable '{inst.argval}' where "
                                     "it is not associated with a value in enclosing scope")
        try:
            obj = cell.source.fetch(tx.env)
        except ValueError:  # an empty cell
            tx.raise_type(NameError, f"cannot access free variable '{inst.argval}' where "
                                     "it is not associated with a value in enclosing scope")
        cell.contents = tx.wrap(obj, cell.source)
    f.stack.append(cell.contents)


@handler("STORE_DEREF")
def STORE_DEREF(tx, f, inst):
    cell = f.cells[inst.argval]
    cell.contents = f.stack.pop()
    if cell.source is not None:
        tx.record("store_cell", cell.source, inst.argval, (cell.contents,))


# ---------------------------------------------------------------- control flow


@handler("JUMP_FORWARD")
def JUMP_FORWARD(tx, f, inst):
    f.ip = inst.target.index


@handler("JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT")
def JUMP_BACKWARD(tx, f, inst):
    tx.count_backward_jump()
    f.ip = inst.target.index


def _pop_jump_if(expected):
    def pop_jump(tx, f, inst):
        v = f.stack.pop()
        # a __bool__/__len__ whose value decides the jump: a resume chain re-runs the
        # jump on the truth value (trace/sites.py)
        armed = type(v) is ClassInstanceVal
        if (sites.arm(tx, f, truthy, tx, v) if armed else truthy(tx, v)) == expected:
            f.ip = inst.target.index
    return pop_jump


def _is_none(tx, v):
    return is_same(tx, v, _NONE)       # a dynamic int is not None by its type alone


_NONE = ConstVal(None)


def _pop_jump_if_none(expected):
    def pop_jump(tx, f, inst):
        if _is_none(tx, f.stack.pop()) == expected:
            f.ip = inst.target.index
    return pop_jump


def _jump_or_pop(expected):
    def jump_or_pop(tx, f, inst):
        v = f.stack[-1]
        # ``a or b`` on a __bool__/__len__: a resume chain continues on the truth value
        # with ``a`` below it (resume.emit_jump_or_pop)
        armed = type(v) is ClassInstanceVal
        if (sites.arm(tx, f, truthy, tx, v) if armed else truthy(tx, v)) == expected:
            f.ip = inst.target.index
        else:
            f.stack.pop()
    return jump_or_pop


handler("POP_JUMP_FORWARD_IF_TRUE", "POP_JUMP_BACKWARD_IF_TRUE", "POP_JUMP_IF_TRUE")(
    _pop_jump_if(True))
handler("POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_IF_FALSE")(
    _pop_jump_if(False))
handler("POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_BACKWARD_IF_NONE", "POP_JUMP_IF_NONE")(
    _pop_jump_if_none(True))
handler("POP_JUMP_FORWARD_IF_NOT_NONE", "POP_JUMP_BACKWARD_IF_NOT_NONE",
        "POP_JUMP_IF_NOT_NONE")(_pop_jump_if_none(False))
handler("JUMP_IF_TRUE_OR_POP")(_jump_or_pop(True))
handler("JUMP_IF_FALSE_OR_POP")(_jump_or_pop(False))


@handler("GET_ITER")
def GET_ITER(tx, f, inst):
    v = f.stack.pop()
    # a user __iter__: a resume chain pushes its (checked) value (sites.iter_rest)
    f.stack.append(sites.arm(tx, f, make_iter, tx, v) if type(v) is ClassInstanceVal
                   else make_iter(tx, v))


_CALLING_ITERATORS = (MapVal, FilterVal)   # their next() calls the user's function


@handler("FOR_ITER")
def FOR_ITER(tx, f, inst):
    it = f.stack[-1]
    try:
        # a map's function returns the loop's next item: a break in it resumes this
        # frame after FOR_ITER with the value pushed (trace/sites.py)
        f.stack.append(sites.arm(tx, f, next_value, tx, it) if type(it) in _CALLING_ITERATORS
                       else next_value(tx, it))
    except Exhausted:
        f.stack.pop()
        f.ip = inst.target.index


@handler("RETURN_VALUE")
def RETURN_VALUE(tx, f, inst):
    f.retval = f.stack.pop()
    if f.parent is None:
        tx.return_lineno = inst.lineno
    return True


@handler("SEND", "GET_YIELD_FROM_ITER", "GET_AWAITABLE", "GET_AITER", "GET_ANEXT",
         "BEFORE_ASYNC_WITH", "ASYNC_GEN_WRAP", "END_ASYNC_FOR")
def GENERATOR(tx, f, inst):
    tx.graph_break(BreakKind.GENERATOR, f"{inst.opname} in {f.code.co_name}")


@handler("RETURN_GENERATOR")
def RETURN_GENERATOR(tx, f, inst):
    if not f.generator:
        GENERATOR(tx, f, inst)
    f.stack.append(ConstVal(None))    # the first next(): the body starts (POP_TOP drops it)


@handler("YIELD_VALUE")
def YIELD_VALUE(tx, f, inst):
    if not f.generator:
        GENERATOR(tx, f, inst)
    from .generators import suspend
    return suspend(tx, f)


# ---------------------------------------------------------------- exceptions


def _as_exception(tx, v):
    if type(v) is ExceptionVal:
        return v
    if type(v) is ConstVal and isinstance(v.value, type) and issubclass(v.value, BaseException):
        return ExceptionVal(tx.pyval(v), ())
    tx.raise_type(TypeError, "exceptions must derive from BaseException")


@handler("RAISE_VARARGS")
def RAISE_VARARGS(tx, f, inst):
    argc = inst.argval
    if argc == 0:
        if not tx.exc_info:
            tx.raise_type(RuntimeError, "No active exception to reraise")
        raise UserRaise(tx.exc_info[-1])
    cause = f.stack.pop() if argc == 2 else None
    exc = _as_exception(tx, f.stack.pop())
    if cause is not None:
        exc.cause = None if type(cause) is ConstVal and cause.value is None else \
            _as_exception(tx, cause)
    raise UserRaise(exc)


@handler("LOAD_ASSERTION_ERROR")
def LOAD_ASSERTION_ERROR(tx, f, inst):
    f.stack.append(ConstVal(AssertionError))


@handler("PUSH_EXC_INFO")
def PUSH_EXC_INFO(tx, f, inst):
    exc = f.stack.pop()
    # the slot of the previous handled exception: a break inside the handler body
    # re-establishes it at run time (trace/excstate.py), never rebuilds it
    f.exc_stack.append(len(f.stack))
    f.stack.append(tx.exc_info[-1] if tx.exc_info else ConstVal(None))
    f.stack.append(exc)
    tx.exc_info.append(exc)


@handler("POP_EXCEPT")
def POP_EXCEPT(tx, f, inst):
    f.stack.pop()
    if f.exc_stack:
        f.exc_stack.pop()
    if tx.exc_info:
        tx.exc_info.pop()


@handler("CHECK_EXC_MATCH")
def CHECK_EXC_MATCH(tx, f, inst):
    typ = tx.pyval(f.stack.pop())
    f.stack.append(ConstVal(tx.fold(issubclass, f.stack[-1].cls, typ)))


@handler("RERAISE")
def RERAISE(tx, f, inst):
    raise UserRaise(f.stack.pop())


@handler("WITH_EXCEPT_START")
def WITH_EXCEPT_START(tx, f, inst):
    exc = f.stack[-1]
    exit_fn = f.stack[-4]
    # a real exception (one a break raised) passes its own traceback; one raised by traced
    # code is not built yet, so __exit__ sees None there (an approximation)
    tb = ConstVal(None)
    if exc.obj is not None:
        from .attrs import get_attr
        tb = get_attr(tx, exc, "__traceback__")
    # __exit__'s value is the instruction's (a resume chain may pause here, sites.py)
    f.stack.append(sites.arm(tx, f, tx.call, exit_fn, [ConstVal(exc.cls), exc, tb]))


@handler("BEFORE_WITH")
def BEFORE_WITH(tx, f, inst):
    mgr = f.stack.pop()
    if type(mgr) is ModeCtxVal:
        tx.push_mode(f, mgr.kind, mgr.flag, mgr)
        f.stack.append(ModeExitVal(mgr))
        f.stack.append(mgr)
        return
    if type(mgr) is not ClassInstanceVal:
        tx.unsupported(f"'with' on a {type(mgr).__name__}")
    from .attrs import lookup_special
    enter, exit_ = lookup_special(tx, mgr, "__enter__"), lookup_special(tx, mgr, "__exit__")
    if enter is None or exit_ is None:
        tx.raise_type(TypeError, f"'{mgr.cls.__name__}' object does not support the "
                                 "context manager protocol")
    f.stack.append(exit_)
    f.stack.append(sites.arm(tx, f, tx.call, enter, []))    # __enter__'s value, pushed


# ---------------------------------------------------------------- imports


@handler("IMPORT_NAME")
def IMPORT_NAME(tx, f, inst):
    fromlist = tx.pyval(f.stack.pop())
    level = tx.pyval(f.stack.pop())
    name = inst.argval
    if level != 0 or name not in sys.modules:
        tx.unsupported(f"import of {name!r} (not already imported)",
                       BreakKind.UNSUPPORTED_CALL)
    module = sys.modules[name] if fromlist else sys.modules[name.partition(".")[0]]
    f.stack.append(tx.wrap(module))


@handler("IMPORT_FROM")
def IMPORT_FROM(tx, f, inst):
    from .attrs import get_attr
    f.stack.append(get_attr(tx, f.stack[-1], inst.argval))


from . import handlers_data  # noqa: E402,F401  (registers the data handlers)
