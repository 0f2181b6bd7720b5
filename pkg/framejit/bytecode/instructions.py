"""Decoded instructions: a mutable, identity-compared view of a code object's bytecode.

``decode(code)`` reads a code object through ``dis`` into a ``Decoded``: a list of
``Instruction`` (opname, normalised ``argval`` as in compat, line number, ``target`` — the
Instruction a jump goes to — and ``index`` in the list) plus the exception table as
``ExceptionEntry`` records whose ``start``/``end``/``target`` are Instructions. Every
instruction also knows the entry that covers it (``handler``), so the tracer finds where an
exception goes in O(1). Decoding is cached per code object (weakly).

Invariants: instructions compare by identity, so a code generator can move and insert them
while jumps keep pointing at the right instruction; CACHE entries and EXTENDED_ARG are
folded away by ``dis``; ``offset`` is the byte offset in the original code (None for
generated instructions).
"""
from __future__ import annotations

import dis
import weakref
from dataclasses import dataclass

from . import compat
from .identity import IdentityWeakKeyDict


class Instruction:
    """One instruction. ``argval`` is the normalised argument (see compat)."""
    __slots__ = ("opname", "opcode", "arg", "argval", "offset", "lineno", "target",
                 "index", "handler", "positions")

    def __init__(self, opname, argval=None, *, arg=None, offset=None, lineno=None,
                 target=None, positions=None):
        self.opname = opname
        self.opcode = compat.opcode_of(opname)
        self.argval = argval
        self.arg = arg
        self.offset = offset
        self.lineno = lineno
        self.target = target
        self.index = -1
        self.handler = None
        self.positions = positions

    @property
    def is_jump(self) -> bool:
        return self.opcode in compat.JUMP_OPCODES

    def __repr__(self):
        tgt = f" -> {self.target.offset if self.target.offset is not None else id(self.target)}" \
            if self.target is not None else ""
        arg = "" if self.argval is None else f" {self.argval!r}"
        return f"<{self.offset}: {self.opname}{arg}{tgt} line {self.lineno}>"


@dataclass(frozen=True, eq=False)
class ExceptionEntry:
    """Instructions ``start``..``end`` (inclusive) jump to ``target`` on an exception,
    with the value stack cut to ``depth`` (and the last offset pushed when ``lasti``)."""
    start: Instruction
    end: Instruction
    target: Instruction
    depth: int
    lasti: bool


@dataclass(frozen=True, eq=False)
class Decoded:
    # A weak reference: the cache below is keyed weakly by the code object, so a value
    # holding the code strongly would keep every decoded code alive forever.
    code_ref: object
    instructions: list
    exception_table: list
    by_offset: dict

    def at_offset(self, offset: int) -> Instruction:
        return self.by_offset[offset]


_CACHE = IdentityWeakKeyDict()   # by identity: equal code objects are distinct


def decode(code) -> Decoded:
    """Decode ``code`` (cached). The result must not be mutated: copy it first."""
    hit = _CACHE.get(code)
    if hit is None:
        hit = _decode(code)
        _CACHE[code] = hit
    return hit


def _decode(code) -> Decoded:
    insts = []
    by_offset = {}
    lineno = code.co_firstlineno
    for ins in dis.get_instructions(code):
        pos = ins.positions
        if pos is not None and pos.lineno is not None:
            lineno = pos.lineno
        new = Instruction(ins.opname, compat.normalise_argval(ins, code), arg=ins.arg,
                          offset=ins.offset, lineno=lineno, positions=pos)
        new.index = len(insts)
        insts.append(new)
        by_offset[ins.offset] = new
    for new in insts:
        if new.is_jump:
            new.target = by_offset[new.argval]
    table = []
    for e in dis.Bytecode(code).exception_entries:
        covered = [i for i in insts if e.start <= i.offset < e.end]
        if not covered:
            continue
        entry = ExceptionEntry(covered[0], covered[-1], by_offset[e.target], e.depth, e.lasti)
        table.append(entry)
        for i in covered:
            i.handler = entry
    return Decoded(weakref.ref(code), insts, table, by_offset)


def copy_instructions(decoded: Decoded):
    """Fresh Instruction objects (and exception entries) mirroring ``decoded``."""
    mapping = {}
    out = []
    for old in decoded.instructions:
        new = Instruction(old.opname, old.argval, arg=old.arg, offset=old.offset,
                          lineno=old.lineno, positions=old.positions)
        new.index = old.index
        mapping[old] = new
        out.append(new)
    for old, new in mapping.items():
        if old.target is not None:
            new.target = mapping[old.target]
    table = []
    for e in decoded.exception_table:
        entry = ExceptionEntry(mapping[e.start], mapping[e.end], mapping[e.target], e.depth,
                               e.lasti)
        table.append(entry)
        for i in out[entry.start.index:entry.end.index + 1]:
            i.handler = entry
    return out, table
