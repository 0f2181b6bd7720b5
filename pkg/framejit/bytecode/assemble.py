"""Instruction list -> code object, through the ``bytecode`` library.

``assemble(instructions, exception_table, like=code, **overrides)`` converts framejit
``Instruction``s into ``bytecode.Instr`` (jumps become Labels, exception-table entries
become TryBegin/TryEnd pairs, line numbers become InstrLocations) and lets the library
encode jumps, EXTENDED_ARG, the exception table, the line table and the stack size. Code
metadata (filename, name, qualname, first line, flags, argument counts, cell and free
variables) is copied from ``like`` unless overridden, so tracebacks of generated code
point at the user's file and lines.

Invariant: no table or encoding is written by hand here; argument shapes follow
``compat`` (``(push_null, name)`` for LOAD_GLOBAL, names for locals, constants as is).
"""
from __future__ import annotations

import bytecode as _bc
from bytecode import BinaryOp, CellVar, Compare, FreeVar, Instr, Label, TryBegin, TryEnd
from bytecode.instr import InstrLocation

from . import compat

_CODE_FIELDS = ("argcount", "posonlyargcount", "kwonlyargcount", "name", "qualname",
                "filename", "first_lineno", "cellvars", "freevars", "argnames", "flags",
                "docstring")


def _like_fields(code) -> dict:
    nargs = code.co_argcount + code.co_kwonlyargcount
    nargs += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
    return dict(
        argcount=code.co_argcount, posonlyargcount=code.co_posonlyargcount,
        kwonlyargcount=code.co_kwonlyargcount, name=code.co_name,
        qualname=getattr(code, "co_qualname", code.co_name), filename=code.co_filename,
        first_lineno=code.co_firstlineno, cellvars=list(code.co_cellvars),
        freevars=list(code.co_freevars), argnames=list(code.co_varnames[:nargs]),
        flags=code.co_flags, docstring=_docstring(code),
    )


def _docstring(code):
    first = code.co_consts[0] if code.co_consts else _bc.instr.UNSET
    return first if first is None or isinstance(first, str) else _bc.instr.UNSET


def _binary_arg(argval):
    if isinstance(argval, str):
        return BinaryOp(compat.NB_SYMBOLS.index(argval))
    return BinaryOp(argval)


def _compare_arg(argval):
    if isinstance(argval, str):
        return Compare(compat.CMP_SYMBOLS.index(argval))
    return Compare(argval)


_ARG_CONVERTERS = {"BINARY_OP": _binary_arg, "COMPARE_OP": _compare_arg}


def _convert_arg(inst, labels, cellvars):
    if inst.target is not None:
        return labels[inst.target]
    if inst.opcode < compat.HAVE_ARGUMENT:
        return _bc.instr.UNSET
    conv = _ARG_CONVERTERS.get(inst.opname)
    if conv is not None:
        return conv(inst.argval)
    if inst.opcode in compat.FREE_OPCODES:
        name = inst.argval
        return CellVar(name) if name in cellvars else FreeVar(name)
    return inst.argval


def _location(inst):
    pos = inst.positions
    if pos is not None:
        return InstrLocation(pos.lineno, pos.end_lineno, pos.col_offset, pos.end_col_offset)
    return InstrLocation(inst.lineno, None, None, None)


def to_bytecode(instructions, exception_table=(), **fields) -> _bc.Bytecode:
    """A ``bytecode.Bytecode`` for ``instructions`` with the given code fields."""
    labels = {}
    for inst in instructions:
        if inst.target is not None:
            labels.setdefault(inst.target, Label())
    begins = {}
    ends = {}
    for e in exception_table:
        label = labels.setdefault(e.target, Label())
        tb = TryBegin(label, e.lasti, e.depth)
        begins.setdefault(e.start, []).append(tb)
        ends.setdefault(e.end, []).append(TryEnd(tb))
    cellvars = set(fields.get("cellvars", ()))
    out = _bc.Bytecode()
    for inst in instructions:
        if inst in labels:
            out.append(labels[inst])
        out.extend(begins.get(inst, ()))
        out.append(Instr(inst.opname, _convert_arg(inst, labels, cellvars),
                         location=_location(inst)))
        out.extend(ends.get(inst, ()))
    for key, value in fields.items():
        setattr(out, key, value)
    return out


def assemble(instructions, exception_table=(), *, like=None, keep_exception_depths=False,
             **overrides):
    """Encode ``instructions`` into a code object (metadata from ``like`` + overrides).

    ``keep_exception_depths``: use the table's ``depth`` values as given instead of
    letting the library derive them from the flow (generated code that enters a copy of
    an original function in the middle of a ``try`` range knows the true depths; the
    flow from its prologue does not). The stack size is computed either way.
    """
    fields = _like_fields(like) if like is not None else {}
    unknown = set(overrides) - set(_CODE_FIELDS)
    if unknown:
        raise TypeError(f"unknown code fields: {sorted(unknown)}")
    fields.update(overrides)
    return to_bytecode(instructions, exception_table, **fields).to_code(
        compute_exception_stack_depths=not keep_exception_depths)
