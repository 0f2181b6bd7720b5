"""Version differences of CPython bytecode, in one place.

This is the only module of framejit's Python side that reads ``sys.version_info``. It
offers version flags (``PY311``, ``PY312``, ``PY313``), the argument conventions that
differ between versions (how a decoded instruction's argument is normalised, which
instructions push a NULL for calls) and ``emit_*`` helpers that return the instruction
sequences for common actions (call a function, load a global, ...) so that code
generators never spell a version-specific sequence themselves.

Invariant: every other module treats instructions through ``opname`` + normalised
``argval`` (the representation of the ``bytecode`` library: ``(push_null, name)`` for
LOAD_GLOBAL, a name for locals, the constant itself for LOAD_CONST, ...).
"""
from __future__ import annotations

import dis
import opcode
import sys

PY311 = sys.version_info[:2] == (3, 11)
PY312 = sys.version_info[:2] >= (3, 12)
PY313 = sys.version_info[:2] >= (3, 13)

OPMAP = dict(opcode.opmap)
HAVE_ARGUMENT = opcode.HAVE_ARGUMENT

#: Binary operator symbol for each BINARY_OP argument (``"+"``, ``"+="`` ...), from dis.
NB_SYMBOLS = tuple(sym for _name, sym in dis._nb_ops)
CMP_SYMBOLS = tuple(dis.cmp_op)

JUMP_OPCODES = frozenset(opcode.hasjrel) | frozenset(opcode.hasjabs) | frozenset(
    getattr(opcode, "hasjump", ()))
FREE_OPCODES = frozenset(opcode.hasfree)
LOCAL_OPCODES = frozenset(opcode.haslocal)

#: Instructions after which control never falls through to the next instruction.
TERMINATORS = frozenset(OPMAP[n] for n in (
    "RETURN_VALUE", "RAISE_VARARGS", "RERAISE", "JUMP_FORWARD", "JUMP_BACKWARD",
    "JUMP_BACKWARD_NO_INTERRUPT", *(["RETURN_CONST"] if PY312 else []),
    *(["JUMP"] if "JUMP" in OPMAP else [])) if n in OPMAP)

#: Opnames whose argument carries a "push NULL" bit next to a name index.
_NULL_BIT_NAMES = frozenset(["LOAD_GLOBAL"] + (["LOAD_ATTR"] if PY312 else []))


def opcode_of(opname: str) -> int:
    return OPMAP[opname]


def has_arg(opname: str) -> bool:
    return OPMAP[opname] >= HAVE_ARGUMENT


def normalise_argval(ins: dis.Instruction, code) -> object:
    """The ``bytecode``-library style argument of a decoded ``dis`` instruction."""
    name = ins.opname
    if name == "KW_NAMES":   # dis of 3.11/3.12 shows "<unknown>" for its constant
        return code.co_consts[ins.arg]
    if name in _NULL_BIT_NAMES:
        return (bool(ins.arg & 1), ins.argval)
    if name == "FORMAT_VALUE":  # dis shows (conversion, has_spec); the flags int is the arg
        return ins.arg
    return ins.argval


def is_cell_name(code, name: str) -> bool:
    """True when ``name`` is one of the code's cell variables (else a free variable)."""
    return name in code.co_cellvars


def raw_stack_arg(opname: str, argval, arg):
    """The integer argument ``dis.stack_effect`` needs for this instruction."""
    if opname in _NULL_BIT_NAMES:
        return int(argval[0])
    if isinstance(arg, int):
        return arg
    if isinstance(argval, int) and not isinstance(argval, bool):
        return argval
    return 0


# ---------------------------------------------------------------- emit helpers
# Each returns a list of (opname, argval) pairs; codegen turns them into Instructions.

def emit_load_global(name: str, push_null: bool = False) -> list:
    return [("LOAD_GLOBAL", (push_null, name))]


def emit_push_null() -> list:
    return [("PUSH_NULL", None)]


def emit_call(nargs: int, kw_names: tuple = ()) -> list:
    """Call with ``[NULL, callable, *args]`` (3.11: ``[NULL, callable]``) on the stack.

    The last ``len(kw_names)`` arguments are passed by keyword.
    """
    out = []
    if PY311:
        if kw_names:
            out.append(("KW_NAMES", tuple(kw_names)))
        out.append(("PRECALL", nargs))
        out.append(("CALL", nargs))
        return out
    if PY313:
        if kw_names:
            out.append(("LOAD_CONST", tuple(kw_names)))
            out.append(("CALL_KW", nargs))
        else:
            out.append(("CALL", nargs))
        return out
    if kw_names:
        out.append(("KW_NAMES", tuple(kw_names)))
    out.append(("CALL", nargs))
    return out


def emit_load_method(name: str) -> list:
    if PY312:
        return [("LOAD_ATTR", (True, name))]
    return [("LOAD_METHOD", name)]


def emit_load_attr(name: str) -> list:
    if PY312:
        return [("LOAD_ATTR", (False, name))]
    return [("LOAD_ATTR", name)]


def emit_binary_subscr() -> list:
    return [("BINARY_SUBSCR", None)]


def emit_resume() -> list:
    return [("RESUME", 0)]


def emit_copy_free_vars(n: int) -> list:
    return [("COPY_FREE_VARS", n)] if n else []


def emit_return_value() -> list:
    return [("RETURN_VALUE", None)]


def emit_raise(exc_on_stack: bool = True) -> list:
    return [("RAISE_VARARGS", 1 if exc_on_stack else 0)]
