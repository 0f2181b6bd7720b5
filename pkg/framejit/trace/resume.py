"""Resume functions: continue frames of the ORIGINAL code after a graph break.

A resume function is generated from a ``Level`` chain (outermost frame first). For one
level it is a copy of the level's original code object — every instruction, the
exception table and the line table, so ``with``/``try`` blocks, loops and tracebacks
behave as in the user's function — preceded by a prologue that

1. pushes the frame's value stack as it was at the resume point (``layout``: a NULL or
   the next stack argument, bottom first; NULLs are never passed as arguments), and
   re-enters the exception handlers the frame is inside (trace/excstate.py);
2. for an outer level, builds the callee level's resume function (``MAKE_FUNCTION`` over
   its code, with the callee's cells as closure; ``make_level`` with the callee's globals
   when the callee is of another module), calls it with the callee's arguments
   and pushes the result — that is the return value of the call the frame was paused
   in; then pops the mode entries of the decorated callee (``modeops.pop_mode``). The
   call is covered by a copy of the original call's exception-table entry (a ``with`` or
   ``try`` around it), through a handler that first pops the callee's mode entries when
   there are some: an exception of the callee reaches the frame's handlers as in Python.
   A site that handles an exception class itself (``Level.catch``: ``hasattr``) covers
   the call with an ``except`` handler instead (``emit_catch``), which turns that class
   into ``sites.CAUGHT`` for the site's helper and passes the rest on to the frame's.
   An exception continuation (``Level.throw``) re-raises its ``__fj_x`` argument there
   instead of calling a callee level (at the breaking instruction itself, for the
   innermost level of a break runner's raise target);
3. jumps to the instruction to continue at.

Arguments, in order: the live locals bound at the break (under their own names), the
non-NULL stack values (``__fj_s<i>``), the handled exceptions (``__fj_e<i>``, outermost
handler first), the exception to raise (``__fj_x``, exception continuations), then for an
outer level the callee's globals (``__fj_g``, a ``GlobalsRef``, when the callee level is
``foreign``), the callee's cell objects
(``__fj_c<i>``) and the callee level's own arguments (``__fj_a<i>``), recursively; last,
``__fj_tramp`` (trace/trampoline.py: True when a driver calls the function, False when
a caller level's prologue does).
Cell variables become free variables: the closure is ``co_freevars + co_cellvars`` of
the original code, so cells keep their identity across the break.

Invariants: resume functions are generated from the original code only (a Level names
original code objects and offsets), cached per Level chain (converging paths and loop
iterations share one code object), keep the user's filename, name and line numbers (so
the hook traces them like user code and tracebacks point at user lines), never hold
their original code strongly (the caches go with it), and are
assembled through bytecode/assemble.py (stack depth and exception table by the
``bytecode`` library). Because the outer levels call the inner ones in their prologue,
the frame hook traces one chain and inlines every level: the work after a break at
depth k is one graph, and no outer frame is traced again per level.
"""
from __future__ import annotations

import types
import weakref
from dataclasses import dataclass

from ..bytecode import compat
from ..bytecode.identity import IdRef, IdentityWeakKeyDict
from ..bytecode.assemble import assemble
from ..bytecode.instructions import ExceptionEntry, Instruction, copy_instructions, decode
from . import excstate
from .trampoline import TRAMP_ARG

CO_OPTIMIZED, CO_NEWLOCALS = 0x01, 0x02
CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08
# frame-entry instructions (prologues own them), and EXTENDED_ARG: dis keeps it as an
# instruction of its own; the assembler re-derives it
_ENTRY_ONLY = ("MAKE_CELL", "COPY_FREE_VARS", "RESUME", "EXTENDED_ARG")


@dataclass(frozen=True)
class Level:
    """How one frame resumes: at ``target`` (an offset of ``code``) with ``layout``
    pushed (True = NULL, False = a stack argument, ``excstate.PREV``/``VALUE`` = the
    slots of a handler re-entered in the prologue, one ``__fj_e<i>`` argument each),
    ``local_names`` passed by name, after calling ``inner``
    (pushing its result) and popping ``pops`` decorator mode entries. ``throw``: an
    exception continuation — the pending call raised the ``__fj_x`` argument (the callee
    frame ended with an exception): after the pops it is raised where the call was; with
    ``at_pending``, the breaking instruction at ``target`` raised it (breakgen's raise
    target): it is raised there, inside the instruction's exception-table entry.
    ``foreign``: the frame's globals are not its caller level's (a callee of another
    module): the caller level makes it with ``make_level`` over a ``__fj_g`` argument.
    ``post``: what the pending instruction does with the callee's value (trace/sites.py):
    0 push it, -1 drop it, n > 0 call the helper below it (layout's top) with n - 1
    arguments and the value; also applied to the value on top of ``layout`` when
    ``inner`` is None. ``at_pending``: the target is the pending instruction itself
    (re-run on the helper's value; a raise target's instruction). ``catch``: an exception
    class the pending instruction handles itself (``hasattr``; sites.Site.catch): when
    the callee level raises (or ``throw`` re-raises) one, the prologue's handler pushes
    ``sites.CAUGHT`` as the value and calls the helper (``post`` > 0) on it."""
    code: object
    target: int
    layout: tuple
    local_names: tuple
    pops: int = 0
    inner: "Level | None" = None
    lineno: int = 0
    throw: bool = False
    foreign: bool = False
    post: int = 0
    at_pending: bool = False
    catch: object = None

    @property
    def cells(self) -> tuple:
        return cell_names(self.code)

    def own_args(self) -> list:
        return (list(self.local_names) + stack_arg_names(self.layout)
                + excstate.exc_arg_names(self.layout) + (["__fj_x"] if self.throw else []))

    def nargs(self) -> int:
        n = len(self.own_args())
        if self.inner is not None:
            n += self.inner.foreign + len(self.inner.cells) + self.inner.nargs()
        return n


class GlobalsRef:
    """The globals of a callee of another module, passed down a resume chain (an opaque
    object to the tracer, guarded by identity: a module's dict itself would be traced as
    a dict). One per globals dict while some replacement code holds it (``of``)."""
    __slots__ = ("globals", "__weakref__")
    _made = weakref.WeakValueDictionary()     # id(globals) -> GlobalsRef (which holds them)

    def __init__(self, globals_):
        self.globals = globals_

    @classmethod
    def of(cls, globals_):
        ref = cls._made.get(id(globals_))
        if ref is None or ref.globals is not globals_:
            ref = cls._made[id(globals_)] = cls(globals_)
        return ref

    def __repr__(self):
        return f"GlobalsRef({self.globals.get('__name__', '?')})"


def make_level(code, ref, closure):
    """The function of a resume level (or break runner) that runs in ``ref.globals``."""
    return types.FunctionType(code, ref.globals, code.co_name, None, closure or None)


def cell_names(code) -> tuple:
    return tuple(code.co_freevars) + tuple(code.co_cellvars)


def stack_arg_names(layout, prefix="__fj_s") -> list:
    return [f"{prefix}{p}" for p, mark in enumerate(layout) if mark is False]


def code_flags(code) -> int:
    return (code.co_flags & ~(CO_VARARGS | CO_VARKEYWORDS)) | CO_OPTIMIZED | CO_NEWLOCALS


def make_nop(inst):
    inst.opname, inst.opcode, inst.argval, inst.arg = "NOP", compat.opcode_of("NOP"), None, None


def copy_body(code):
    """A fresh copy of ``code``'s instructions and exception table; the frame-entry
    instructions (MAKE_CELL, COPY_FREE_VARS, RESUME) and EXTENDED_ARG become NOPs (so
    offsets, jump targets and exception ranges keep their instruction)."""
    insts, table = copy_instructions(decode(code))
    for inst in insts:
        if inst.opname in _ENTRY_ONLY:
            make_nop(inst)
    return insts, table, {i.offset: i for i in insts}


class Out:
    """An instruction list under construction, every instruction at one line."""

    def __init__(self, lineno):
        self.insts = []
        self.lineno = lineno

    def op(self, opname, argval=None, target=None):
        inst = Instruction(opname, argval, lineno=self.lineno, target=target)
        self.insts.append(inst)
        return inst

    def emit(self, pairs):
        for opname, argval in pairs:
            self.op(opname, argval)

    def call(self, nargs):
        self.emit(compat.emit_call(nargs))
        return self.insts[-1]


def emit_entry(out, code):
    out.emit(compat.emit_copy_free_vars(len(cell_names(code))))
    out.emit(compat.emit_resume())


def emit_layout(out, layout, prefix="__fj_s") -> list:
    """Push ``layout``: NULLs, stack arguments, and the slots of the handlers the frame
    is inside (re-entered at run time, trace/excstate.py). Returns the exception-table
    entries the handler entries need."""
    entries = []
    for p, mark in enumerate(layout):
        if mark is True:
            out.emit(compat.emit_push_null())
        elif mark is False:
            out.op("LOAD_FAST", f"{prefix}{p}")
        elif mark == excstate.PREV:
            keep = p + 1 < len(layout) and layout[p + 1] == excstate.VALUE
            entries.append(excstate.emit_enter_handler(out, p, len(entries), keep))
    return entries


def emit_make_function(out, code_const, cell_loads, globals_load=None):
    """``cell_loads``: instruction pairs loading each cell object, in closure order;
    ``globals_load``: None (the current globals), or the pairs loading a GlobalsRef."""
    if globals_load is not None:
        out.emit(compat.emit_push_null())
        out.op("LOAD_CONST", make_level)
        out.op("LOAD_CONST", code_const)
        out.emit(globals_load)
    for pairs in cell_loads:
        out.emit(pairs)
    if globals_load is not None:
        out.op("BUILD_TUPLE", len(cell_loads))
        out.call(3)
        return
    if cell_loads:
        out.op("BUILD_TUPLE", len(cell_loads))
    out.op("LOAD_CONST", code_const)
    out.op("MAKE_FUNCTION", 0x08 if cell_loads else 0)


def emit_pop_modes(out, count):
    from .modeops import pop_mode
    for _ in range(count):
        out.emit(compat.emit_push_null())
        out.op("LOAD_CONST", pop_mode)
        out.call(0)
        out.op("POP_TOP")


#: original code -> {level key: resume code}. Weak both ways: the key is the original
#: code (weakly), and neither the level key (weak references to the codes of the chain)
#: nor the resume code (its origin is a weak reference, below) holds an original code, so
#: the resume functions go with the function (code made by ``exec`` included). A key
#: naming a dead callee's code never equals a live one's (weakref equality).
_CACHE = IdentityWeakKeyDict()


def _level_key(level, died=None):
    key = []
    while level is not None:
        key.append((IdRef(level.code, died), level.target, level.layout, level.local_names,
                    level.pops, level.lineno, level.throw, level.foreign, level.post,
                    level.at_pending, level.catch))
        level = level.inner
    return tuple(key)


def resume_code(level: Level):
    """The (cached) resume function code object for ``level``."""
    per_code = _CACHE.setdefault(level.code, {})
    hit = per_code.get(_level_key(level))
    if hit is None:
        hit = _build(level)
        # the entry goes when any code of the chain dies: a level's code holds its
        # callee level's as a constant (a site helper's entries would outlive them)
        stored = []
        key = _level_key(level, lambda _ref: per_code.pop(stored[0], None) if stored else None)
        stored.append(key)
        per_code[key] = hit
    return hit


def resume_codes(code) -> list:
    """The resume functions generated from ``code`` so far (tests, reports)."""
    return list(_CACHE.get(code, {}).values())


def pending_call(insts, by_offset, target, at_pending=False):
    """The call an outer level was paused in: the instruction before its ``target``
    (the target itself when the level re-runs it)."""
    return by_offset[target] if at_pending else insts[by_offset[target].index - 1]


def _covered(first, last, entry) -> list:
    """``first``..``last`` jump to ``entry``'s handler (the original call's, in the copy)."""
    if entry is None:
        return []
    return [ExceptionEntry(first, last, entry.target, entry.depth, entry.lasti)]


def _build(level: Level):
    code = level.code
    insts, table, by_offset = copy_body(code)
    out = Out(level.lineno or code.co_firstlineno)
    emit_entry(out, code)
    handlers = emit_layout(out, level.layout)
    args = level.own_args()
    inner = level.inner
    # the handler around the call the frame was paused in: an exception of the callee
    # level (or the one thrown in) reaches the frame's with/try handlers as in Python
    around = (pending_call(insts, by_offset, level.target, level.at_pending).handler
              if inner is not None or level.throw or level.post else None)
    inner_call = call_start = None
    if inner is not None:
        ref = ["__fj_g"] if inner.foreign else []
        cells = [f"__fj_c{i}" for i in range(len(inner.cells))]
        inner_args = [f"__fj_a{i}" for i in range(inner.nargs())]
        args += ref + cells + inner_args
        call_start = len(out.insts)
        out.emit(compat.emit_push_null())
        emit_make_function(out, resume_code(inner), [[("LOAD_FAST", c)] for c in cells],
                           [("LOAD_FAST", "__fj_g")] if inner.foreign else None)
        for name in inner_args:
            out.op("LOAD_FAST", name)
        out.op("LOAD_CONST", False)        # the callee level is not called by a driver
        out.call(len(inner_args) + 1)
        inner_call = len(out.insts) - 1
    emit_pop_modes(out, level.pops)
    # where the callee's exceptions go: the frame's handler, or the catch of the site
    caught = []

    def to_catch(first, last) -> list:
        if level.catch is None:
            return _covered(first, last, around)
        caught.append((first, last))      # emit_catch covers them
        return []

    if level.throw:
        out.op("LOAD_FAST", "__fj_x")
        reraise = out.op("RERAISE", 0)
        handlers += to_catch(reraise, reraise)
    post_call = post_start = None
    if level.post > 0 and (not level.throw or level.catch):
        # the helper finishes the pending instruction; its exceptions are the
        # instruction's (they reach the frame's handlers)
        post_start = len(out.insts)
        post = out.call(level.post)
        post_call = len(out.insts) - 1
        handlers += _covered(post, post, around)
    elif level.post < 0 and not level.throw:
        out.op("POP_TOP")
    pending = by_offset[level.target]
    if level.at_pending and not level.throw and pending.opname in _JUMP_OR_POP:
        table = handlers + emit_jump_or_pop(out, pending, insts, table)
    elif level.at_pending and not level.throw and pending.opname == "FOR_ITER":
        table = handlers + emit_filter_next(out, pending, insts, table)
    else:
        table = handlers + enter_range(out, pending, table)
    if inner is not None:
        first, call = out.insts[call_start], out.insts[inner_call]
        if level.pops:
            # the callee level raised: its decorator entries go first (as the decorator's
            # own wrapper pops them), then the exception goes on to the frame's handler
            pop_start = len(out.insts)
            emit_pop_modes(out, level.pops)
            again = out.op("RERAISE", 0)
            table = [ExceptionEntry(first, call, out.insts[pop_start], len(level.layout),
                                    False), *to_catch(out.insts[pop_start], again),
                     *table]
        else:
            table = to_catch(first, call) + table
    if caught:
        table = emit_catch(out, level, out.insts[post_start], caught, around) + table
    args.append(TRAMP_ARG)
    new = assemble(out.insts + insts, table, like=code, argcount=len(args),
                   posonlyargcount=0, kwonlyargcount=0, argnames=args, cellvars=[],
                   freevars=list(cell_names(code)), flags=code_flags(code),
                   keep_exception_depths=True)
    _record_origins(new, level, len(out.insts), inner_call, post_call)
    return new


# ---------------------------------------------------------------- back to the original

#: resume code -> (weak reference to the original code, {offset in resume code: Origin})
_ORIGINS = IdentityWeakKeyDict()


@dataclass(frozen=True)
class Origin:
    """Where an instruction of a resume function comes from. ``after``: False for a copy
    of the original instruction at ``offset``; True for the prologue's call of the
    callee level (or of a site's helper), meaning "resume at ``offset`` with the call's
    result pushed, after ``pops`` mode pops, through ``post``" (a break deeper in the
    chain pauses the frame there)."""
    offset: int
    after: bool = False
    pops: int = 0
    post: int = 0
    at_pending: bool = False
    catch: object = None


def _record_origins(new, level, n_prologue, inner_call, post_call):
    orig = decode(level.code).instructions
    # the assembler adds EXTENDED_ARG where the longer code needs it (never in the copy)
    got = [i for i in decode(new).instructions if i.opname != "EXTENDED_ARG"]
    if len(got) != n_prologue + len(orig):
        return  # unexpected shape: breaks in this code are not resumable (origin None)
    mapping = {g.offset: Origin(o.offset) for g, o in zip(got[n_prologue:], orig)}
    if inner_call is not None:
        mapping[got[inner_call].offset] = Origin(level.target, True, level.pops,
                                                 level.post, level.at_pending, level.catch)
    if post_call is not None:   # a callback of the helper breaks: its value is pushed
        mapping[got[post_call].offset] = Origin(level.target, True, 0, 0, level.at_pending)
    _ORIGINS[new] = (IdRef(level.code), mapping)


def origin(code, offset):
    """``(original code, Origin)`` of ``offset`` in ``code`` (a resume function or an
    original code object); Origin None when the instruction has no original."""
    hit = _ORIGINS.get(code)
    if hit is None:
        return code, Origin(offset)
    original = hit[0]()
    if original is None:   # cannot happen while the resume code runs; be safe anyway
        return code, None
    return original, hit[1].get(offset)


def emit_catch(out, level, post_start, ranges, around) -> list:
    """The handler of a site's ``catch`` (``except level.catch:`` as CPython compiles
    it): the exception of the callee level (each of ``ranges``, first and last
    instruction) becomes ``sites.CAUGHT``, passed to the helper call at ``post_start``;
    any other exception goes on to the frame's handler (``around``). Returns the
    exception-table entries."""
    from .sites import CAUGHT
    depth = len(level.layout)
    reraise = Instruction("RERAISE", 0, lineno=out.lineno)
    start = out.op("PUSH_EXC_INFO")
    out.op("LOAD_CONST", level.catch)
    out.op("CHECK_EXC_MATCH")
    out.op("POP_JUMP_FORWARD_IF_FALSE", target=reraise)
    matched = out.op("POP_TOP")
    out.op("POP_EXCEPT")
    out.op("LOAD_CONST", CAUGHT)
    out.op("JUMP_BACKWARD", target=post_start)
    out.insts.append(reraise)
    cleanup = out.op("COPY", 3)
    out.op("POP_EXCEPT")
    last = out.op("RERAISE", 1)
    return [*(ExceptionEntry(first, end, start, depth, False) for first, end in ranges),
            ExceptionEntry(start, matched, cleanup, depth + 1, True),
            ExceptionEntry(reraise, reraise, cleanup, depth + 1, True),
            *_covered(cleanup, last, around)]


def enter_range(out, target, table) -> list:
    """Emit the prologue's jump to ``target``; when ``target`` lies in a ``try`` range,
    the jump is covered by a copy of that range's entry (it cannot raise), so that the
    ``bytecode`` library's flow analysis enters the range at the pushed stack depth and
    sizes the handler's stack from there. Returns the extended table."""
    jump = out.op("JUMP_FORWARD", target=target)
    entry = target.handler
    if entry is None:
        return list(table)
    return [ExceptionEntry(jump, jump, entry.target, entry.depth, entry.lasti), *table]


#: JUMP_IF_<opname>_OR_POP -> the truth value that jumps (keeping the operand)
_JUMP_OR_POP = {"JUMP_IF_TRUE_OR_POP": True, "JUMP_IF_FALSE_OR_POP": False}


def emit_jump_or_pop(out, pending, insts, table) -> list:
    """Continue ``a or b`` / ``a and b`` (JUMP_IF_*_OR_POP) on the truth value its site
    computed, with ``a`` below it: jump to the target keeping ``a``, or pop ``a`` and go on
    after the instruction. Re-running the instruction would keep the bool instead of
    ``a``. Covered like ``enter_range``'s jump when the instruction is in a ``try``."""
    pop = Instruction("POP_TOP", lineno=out.lineno)
    keeps_on = _JUMP_OR_POP[pending.opname]
    first = out.op("POP_JUMP_FORWARD_IF_FALSE" if keeps_on else "POP_JUMP_FORWARD_IF_TRUE",
                   target=pop)
    out.op("JUMP_FORWARD", target=pending.target)
    out.insts.append(pop)
    last = out.op("JUMP_FORWARD", target=insts[insts.index(pending) + 1])
    entry = pending.handler
    if entry is None:
        return list(table)
    return [ExceptionEntry(first, last, entry.target, entry.depth, entry.lasti), *table]


def emit_filter_next(out, pending, insts, table) -> list:
    """Continue a FOR_ITER over a ``filter`` whose function's value ``sites.filter_rest``
    turned into the item or FILTER_SKIPPED (on top, the iterator below it): go on in the
    loop body with the item, or run the FOR_ITER again for the next one."""
    from .sites import FILTER_SKIPPED
    again = Instruction("POP_TOP", lineno=out.lineno)
    first = out.op("COPY", 1)
    out.op("LOAD_CONST", FILTER_SKIPPED)
    out.op("IS_OP", 0)
    out.op("POP_JUMP_FORWARD_IF_TRUE", target=again)
    out.op("JUMP_FORWARD", target=insts[insts.index(pending) + 1])
    out.insts.append(again)
    last = out.op("JUMP_FORWARD", target=pending)
    entry = pending.handler
    if entry is None:
        return list(table)
    return [ExceptionEntry(first, last, entry.target, entry.depth, entry.lasti), *table]


# ---------------------------------------------------------------- tracing


def _make_level_rule(tx, args, kwargs):
    from .values import ClosureVal, ConstVal, OpaqueVal
    code, ref, closure = args
    if type(ref) is not OpaqueVal or type(ref.obj) is not GlobalsRef:
        tx.unsupported("make_level without a GlobalsRef")
    globals_ = tx.pyval(ref).globals       # guarded by identity (one ref per dict)
    cells = () if type(closure) is ConstVal else closure.items
    code = tx.pyval(code)
    return ClosureVal(code, globals_, (), {}, cells, getattr(code, "co_qualname", code.co_name))


def trace_rule(fn, c):
    """calls.py resolver: ``make_level`` makes the level's function with its globals."""
    return _make_level_rule if fn is make_level else None
