"""Control-flow facts about an instruction list: jump targets, liveness, stack depth.

All functions take the instruction list of ``instructions.decode`` (or a copy of it) and
its exception table. Successors of an instruction are its fall-through (unless it is a
terminator), its jump target, and the handler of the exception-table entry covering it.

- ``jump_targets``: instructions reached by a jump or an exception edge.
- ``live_locals``: for every instruction, the set of local variable names that may be read
  before being written on some path starting *at* it (backward dataflow to a fixed
  point), plus ``implicit_reads(code)``, read without an instruction naming them. Resume
  functions take exactly these as arguments.
- ``stack_depths``: the value-stack depth *before* each instruction, from
  ``dis.stack_effect`` with small overrides; an instruction that is never reached has
  depth None. Inconsistent depths at a join raise ``ValueError``.
"""
from __future__ import annotations

import dis

from . import compat

# DELETE_FAST reads too: it raises when the local is unbound, so a resume function must
# receive the variable to delete it.
_READS = frozenset(compat.OPMAP[n] for n in ("LOAD_FAST", "LOAD_FAST_CHECK",
                                              "LOAD_FAST_AND_CLEAR", "DELETE_FAST")
                   if n in compat.OPMAP)
_KILLS = frozenset(compat.OPMAP[n] for n in ("STORE_FAST", "DELETE_FAST",
                                              "LOAD_FAST_AND_CLEAR") if n in compat.OPMAP)

#: Stack effects ``dis.stack_effect`` cannot give (pseudo or context dependent) by opname:
#: (fall-through effect, jump effect).
STACK_EFFECT_OVERRIDES = {}


def successors(inst, instructions) -> list:
    out = []
    if inst.opcode not in compat.TERMINATORS and inst.index + 1 < len(instructions):
        out.append(instructions[inst.index + 1])
    if inst.target is not None:
        out.append(inst.target)
    if inst.handler is not None:
        out.append(inst.handler.target)
    return out


def jump_targets(instructions, exception_table=()) -> set:
    targets = {i.target for i in instructions if i.target is not None}
    targets.update(e.target for e in exception_table)
    return targets


def _names(inst):
    name = inst.argval
    return name[1] if isinstance(name, tuple) else name


def implicit_reads(code) -> tuple:
    """Locals ``code`` reads with no LOAD_FAST: a zero-argument ``super()`` (a method
    with a ``__class__`` cell) reads the frame's first argument, whatever its name."""
    if "__class__" in code.co_freevars and code.co_argcount:
        return (code.co_varnames[0],)
    return ()


def live_locals(instructions, always=()) -> list:
    """``result[i]`` is the frozenset of local names live before ``instructions[i]``;
    ``always``: names live everywhere (``implicit_reads``)."""
    n = len(instructions)
    names = {}
    uses = [0] * n
    kills = [0] * n
    for idx, inst in enumerate(instructions):
        op = inst.opcode
        if op in _READS or op in _KILLS:
            bit = 1 << names.setdefault(_names(inst), len(names))
            uses[idx] = bit if op in _READS else 0
            kills[idx] = bit if op in _KILLS else 0
    succ = [[s.index for s in successors(i, instructions)] for i in instructions]
    live_in = [0] * n
    changed = True
    while changed:
        changed = False
        for idx in range(n - 1, -1, -1):
            out = 0
            for s in succ[idx]:
                out |= live_in[s]
            new = uses[idx] | (out & ~kills[idx])
            if new != live_in[idx]:
                live_in[idx] = new
                changed = True
    rev = {bit: name for name, bit in names.items()}
    cache = {}
    result = []
    for mask in live_in:
        hit = cache.get(mask)
        if hit is None:
            hit = frozenset(rev[b] for b in rev if mask >> b & 1) | frozenset(always)
            cache[mask] = hit
        result.append(hit)
    return result


def stack_effect(inst, jump: bool) -> int:
    override = STACK_EFFECT_OVERRIDES.get(inst.opname)
    if override is not None:
        return override[1 if jump else 0]
    if inst.opcode < compat.HAVE_ARGUMENT:
        return dis.stack_effect(inst.opcode, None, jump=jump)
    arg = compat.raw_stack_arg(inst.opname, inst.argval, inst.arg)
    return dis.stack_effect(inst.opcode, arg, jump=jump)


def stack_depths(instructions, exception_table=(), entry_depth: int = 0) -> list:
    depths = [None] * len(instructions)
    if not instructions:
        return depths
    work = [(instructions[0], entry_depth)]
    for e in exception_table:
        # Handlers are entered by exceptions: the depth is fixed by the table.
        work.append((e.target, e.depth + int(e.lasti) + 1))
    while work:
        inst, depth = work.pop()
        seen = depths[inst.index]
        if seen is not None:
            if seen != depth:
                raise ValueError(f"inconsistent stack depth at {inst!r}: {seen} vs {depth}")
            continue
        depths[inst.index] = depth
        if inst.opcode not in compat.TERMINATORS and inst.index + 1 < len(instructions):
            work.append((instructions[inst.index + 1], depth + stack_effect(inst, False)))
        if inst.target is not None:
            work.append((inst.target, depth + stack_effect(inst, True)))
    return depths
