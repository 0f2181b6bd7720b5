"""Replacement code at an allowed graph break: prefix, modes, the break, the resume.

For a break at inline depth k (frames F0 .. Fk, outermost first) two code objects are
generated:

- the *replacement* ``R`` (taking F0's argument slots, like every cache entry): runs the
  graph so far and replays the side effects (codegen.emit_prefix), re-enters the mode
  entries that F0..Fk had pushed (``modeops.enter``), then calls ``run_k`` and drives
  the Continuation it returns (or hands it back to the driver that called R, when R
  replaces a resume function: trace/trampoline.py). When mode entries were pushed, an
  exception leaving ``run_k`` first pops what is left of them (``modeops.unwind``) —
  also when a later segment raises while it is compiled (SEMANTICS.md §3: errors come
  before the code they concern).
- the *break runner* ``run_k``: a copy of Fk's original code (never traced: the runtime
  marks it SKIP) whose prologue pushes Fk's value stack and jumps to the breaking
  instruction, so it runs in plain Python *inside Fk's own exception-table ranges*. A
  break inside a handler body re-enters that handler in the prologue
  (trace/excstate.py), and the stubs leave it again before continuing (the resume
  function re-enters it itself). Each continuation of the instruction (fall-through,
  jump target) is redirected to a stub placed outside every range, which returns a
  Continuation of the resume chain for that target (trace/resume.py). Only the
  breaking instruction (with its KW_NAMES/PRECALL prefix; a LOAD_METHOD runs as
  PUSH_NULL, SWAP, LOAD_ATTR, for a static stack shape) ever runs in the copy.

An exception the breaking instruction raises never runs Fk's handler path in the
runner (it would run uncompiled, its breaks unseen: SEMANTICS.md §3). Its exception-table
entry is replaced by one to the stub of the *raise target*: when a handler of Fk covers
the instruction, the stub (entered with the stack cut to that handler's depth) returns
a Continuation of a chain whose innermost level re-raises the exception at the
instruction, inside a copy of its entry (resume.Level.throw with ``at_pending``): the
``except``/``finally``/``with`` exit runs traced in the resume function, with the
traceback, ``__context__`` and handled-exception state of plain Python (the exception
was raised, and its traceback entry made, by the runner at the user's line). The outer
frames resume around it as for any target.

The resume chain is built in ``R`` (``MAKE_FUNCTION`` over F0's cells) and passed to
``run_k`` with the outer frames' live values, which the stubs forward. When no handler of
Fk covers the instruction but a ``with``/``try`` handler covers some outer frame's
pending call, its exception goes to the *exception continuation* instead (the outer
frames resume with the exception raised at their pending call). Otherwise an exception
of the instruction leaves ``R`` (which unwinds the mode entries), as in plain Python.
"""
from __future__ import annotations

from ..bytecode.identity import IdentityWeakKeyDict, IdentityWeakSet

from ..bytecode import compat
from ..bytecode.analysis import implicit_reads, live_locals, stack_effect
from ..bytecode.assemble import assemble
from ..bytecode.instructions import ExceptionEntry, Instruction, decode
from . import excstate, modeops, trampoline
from .codegen import (CO_NEWLOCALS, CO_OPTIMIZED, Emitter, emit_fallback, emit_prefix,
                      slot_names)
from .result import RCall, RConst, RExcPrev, RExcValue, RNull, RTuple
from .resume import (GlobalsRef, Level, Out, cell_names, code_flags, copy_body, emit_entry,
                     emit_layout, enter_range, make_level, pending_call, resume_code,
                     stack_arg_names)

_CALL_PREFIX = ("PRECALL", "KW_NAMES")


_MARKS = {RNull: True, RExcPrev: excstate.PREV, RExcValue: excstate.VALUE}


def layout_of(stack) -> tuple:
    return tuple(_MARKS.get(type(r), False) for r in stack)


def _values(stack) -> list:
    return [r for r in stack if type(r) not in _MARKS]


def _after_index(fs):
    return decode(fs.code).by_offset[fs.offset].index + 1


def _resume_target(fs):
    """Where an outer frame paused in its pending call resumes: right after the call, or
    at ``resume_at`` when paused in a resume chain's prologue."""
    if fs.resume_at >= 0:
        return fs.resume_at
    return decode(fs.code).instructions[_after_index(fs)].offset


def _outer_level(fs, inner, lineno_inst, throw=False, foreign=False):
    """Level of an outer frame paused in its pending call. It pops the entries of the
    decorated callee (a ``with`` block's entries are the frame's own: its ``__exit__``
    pops them)."""
    pops = sum(1 for s in fs.mode_specs if s.ctx is None) + fs.extra_pops
    # a thrown exception skips the site's helper unless the site catches it
    post = 0 if throw and fs.catch is None else fs.post
    return Level(fs.code, _resume_target(fs), layout_of(fs.stack),
                 tuple(n for n, _ in fs.locals), pops, inner, lineno_inst.lineno or 0, throw,
                 foreign, post, fs.at_pending, fs.catch)


def _foreign(frames, i) -> bool:
    """Frame ``i`` runs in other globals than its caller frame (another module)."""
    return i > 0 and frames[i].globals is not frames[i - 1].globals


def _call_has_handler(fs) -> bool:
    """A ``with``/``try`` handler covers the outer frame's pending call, or its site
    catches an exception class (``hasattr``: trace/sites.py)."""
    if fs.catch is not None:
        return True
    decoded = decode(fs.code)
    return pending_call(decoded.instructions, decoded.by_offset, _resume_target(fs),
                        fs.at_pending).handler is not None


def _entry(insts, b):
    """Where the break runner enters: the breaking instruction, or the KW_NAMES/PRECALL
    that CPython 3.11 runs before a CALL (KW_NAMES state is not on the value stack)."""
    i = b.index
    while i > 0 and insts[i - 1].opname in _CALL_PREFIX and b.opname == "CALL":
        i -= 1
    return insts[i]


def _pushes_nothing(b, jump) -> bool:
    """The breaking instruction only pops on this edge (a conditional jump, the exit of
    a ``for`` loop, the popping edge of JUMP_IF_*_OR_POP)."""
    name = b.opname
    if name.startswith("POP_JUMP"):
        return True
    if name == "FOR_ITER":
        return jump
    return name.startswith("JUMP_IF_") and not jump


# LOAD_METHOD pushes (method, owner) or (NULL, attribute), as it finds at run time; a
# layout is static, so the runner runs PUSH_NULL, SWAP 2, LOAD_ATTR instead (what
# LOAD_METHOD optimises): (NULL, the bound attribute), which the CALL after it calls alike
_LOAD_METHOD_PUSHES = (True, False)


def _as_load_attr(body, b):
    """Replace LOAD_METHOD ``b`` in the runner's ``body`` (b becomes the PUSH_NULL, so
    jumps and ranges to it stay); returns the sequence's last instruction."""
    name = b.argval
    b.opname, b.opcode, b.argval, b.arg = "PUSH_NULL", compat.opcode_of("PUSH_NULL"), None, None
    at = body.index(b)
    rest = [Instruction("SWAP", 2, lineno=b.lineno)]
    rest += [Instruction(op, arg, lineno=b.lineno) for op, arg in compat.emit_load_attr(name)]
    body[at + 1:at + 1] = rest
    return rest[-1]


class Target:
    """One continuation of the breaking instruction: where, and the stack there.
    ``throw``: the instruction raised; the continuation re-raises the exception at the
    instruction (``inst``), whose handler in the frame then runs in the resume function
    (``layout``: the stack the handler's exception-table entry keeps)."""

    def __init__(self, inst, jump, layout, local_names, throw=False):
        self.inst = inst
        self.jump = jump          # reached by the instruction's jump (else fall-through)
        self.layout = layout
        self.local_names = local_names
        self.throw = throw


def targets_of(fs):
    """Continuations of the innermost frame's breaking instruction."""
    decoded = decode(fs.code)
    insts = decoded.instructions
    b = decoded.by_offset[fs.offset]
    entry = _entry(insts, b)
    before = layout_of(fs.stack)
    live = live_locals(insts, implicit_reads(fs.code))
    bound = [n for n, _ in fs.locals]
    out = []
    succ = []
    if b.opcode not in compat.TERMINATORS and b.index + 1 < len(insts):
        succ.append((insts[b.index + 1], False))
    if b.target is not None:
        succ.append((b.target, True))
    for inst, jump in succ:
        depth = len(before) + sum(stack_effect(i, False) for i in insts[entry.index:b.index])
        depth += stack_effect(b, jump)
        # below what the instruction consumed the stack is unchanged; what it pushed
        # (at most one value: a call's result, the next item) is a value
        kept = min(len(before), depth if _pushes_nothing(b, jump) else depth - 1)
        layout = tuple(before[p] if p < kept else False for p in range(depth))
        if b.opname == "LOAD_METHOD":
            layout = before[:-1] + _LOAD_METHOD_PUSHES
        out.append(Target(inst, jump, layout,
                          tuple(n for n in bound if n in live[inst.index])))
    return b, entry, out


def raise_target(fs):
    """The continuation of an exception raised by the innermost frame's breaking
    instruction into a handler of that frame (``except``, ``finally``, a ``with`` block's
    exit): the stack below the handler's entry depth and the locals live at the handler.
    None when no handler of the frame covers the instruction (the exception leaves the
    frame: outer frames' handlers, or out of the replacement)."""
    decoded = decode(fs.code)
    b = decoded.by_offset[fs.offset]
    handler = b.handler
    if handler is None:
        return None
    live = live_locals(decoded.instructions, implicit_reads(fs.code))
    live = live[handler.target.index]
    return Target(b, False, layout_of(fs.stack)[:handler.depth],
                  tuple(n for n, _ in fs.locals if n in live), throw=True)


def _chain(frames, innermost):
    level = innermost
    for i in reversed(range(len(frames))):
        fs = frames[i]
        level = _outer_level(fs, level, decode(fs.code).by_offset[fs.offset],
                             foreign=_foreign(frames, i))
    return level


def _outer_args(frames, refs) -> list:
    """Recons of the outer frames' arguments to the chain, flat (resume.py order);
    ``refs(globals)``: the Recon of a GlobalsRef for a callee of another module."""
    out = []
    for i, fs in enumerate(frames):
        if i:
            out += [refs(fs.globals)] if _foreign(frames, i) else []
            out += list(fs.cell_objs)
        out += [r for _, r in fs.locals] + _values(fs.stack) + list(fs.handled)
    return out


def _globals_refs():
    """One GlobalsRef Recon per globals dict (a replacement's constants)."""
    made = {}

    def ref(globals_):
        hit = made.get(id(globals_))
        if hit is None:
            hit = made[id(globals_)] = RConst(GlobalsRef.of(globals_))
        return hit
    return ref


# ---------------------------------------------------------------- the break runner

_RUNNERS = IdentityWeakKeyDict()
_SKIP = IdentityWeakSet()


def is_runner(code) -> bool:
    """Break runners must never be traced (the runtime marks them SKIP)."""
    return code in _SKIP


def runner_codes(code) -> list:
    """The break runners generated from ``code`` so far (tests, reports)."""
    return list(_RUNNERS.get(code, {}).values())


def runner_code(fs, n_outer, nested, catch=False, foreign=False, n_oexc=0):
    """``(runner, targets)``: the break runner and its continuations, in the order of its
    ``__fj_k<t>`` arguments (the raise target, if any, last). ``catch``: an exception
    the instruction raises with no handler of its frame goes to the exception
    continuation (``__fj_kexc``). ``foreign``: the frame is of another module than its
    caller frame: the runner takes its GlobalsRef (``__fj_g``) and passes it to the
    continuations. ``n_oexc``: handlers the outer frames are inside (their pending calls
    in ``except`` bodies): the runner enters them first (``__fj_oe<i>``) and leaves them
    before continuing."""
    b, entry, targets = targets_of(fs)
    raised = raise_target(fs)
    targets = targets + ([raised] if raised is not None else [])
    key = (fs.offset, layout_of(fs.stack), tuple(n for n, _ in fs.locals), n_outer, nested,
           catch, foreign, n_oexc)
    per_code = _RUNNERS.setdefault(fs.code, {})
    hit = per_code.get(key)
    if hit is None:
        hit = per_code[key] = _build_runner(fs, b, entry, targets, n_outer, nested, catch,
                                            foreign, n_oexc)
        _SKIP.add(hit)
    return hit, targets


def _build_runner(fs, b, entry, targets, n_outer, nested, catch, foreign, n_oexc):
    code = fs.code
    insts, table, by_offset = copy_body(code)
    b, entry = by_offset[b.offset], by_offset[entry.offset]
    layout = layout_of(fs.stack)
    outer = [f"__fj_o{i}" for i in range(n_outer)]
    conts = [f"__fj_k{t}" for t in range(len(targets))]
    args = [n for n, _ in fs.locals] + stack_arg_names(layout)
    args += excstate.exc_arg_names(layout)
    ref = ["__fj_g"] if foreign else []
    args += outer + ref + [f"__fj_oe{i}" for i in range(n_oexc)]
    args += conts + (["__fj_kexc"] if catch else [])
    pro = Out(fs.lineno)
    emit_entry(pro, code)
    handlers = excstate.emit_enter_outer(pro, n_oexc) + emit_layout(pro, layout)
    prologue_table = handlers + enter_range(pro, entry, [])
    stubs = []
    body = list(insts)
    last = _as_load_attr(body, b) if b.opname == "LOAD_METHOD" else b
    raised = None      # (first instruction of the stub the instruction's exceptions reach,
    #                    the stack depth the stub starts from)
    for t, target in enumerate(targets):
        stub = Out(fs.lineno)
        if target.throw:
            stub.op("STORE_FAST", "__fj_exc")
        for p in reversed(range(len(target.layout))):
            stub.op("STORE_FAST", f"__fj_r{p}")   # NULL-safe: only values are reloaded
        # leave the handlers the resume function re-enters (trace/excstate.py)
        excstate.emit_leave_handlers(stub, target.layout, lambda p: f"__fj_r{p}")
        excstate.emit_leave_outer(stub, n_oexc)
        trampoline.begin_continuation(stub)
        stub.op("LOAD_FAST", conts[t])
        for name in outer + ref:
            stub.op("LOAD_FAST", name)
        cells = cell_names(code) if nested else ()
        for name in cells:
            stub.op("LOAD_CLOSURE", name)
        own = list(target.local_names)
        own += stack_arg_names(target.layout, "__fj_r")
        own += excstate.exc_arg_names(target.layout)
        own += ["__fj_exc"] if target.throw else []
        for name in own:
            stub.op("LOAD_FAST", name)
        trampoline.end_continuation(stub, len(outer) + len(ref) + len(cells) + len(own))
        stubs.append(stub.insts)
        if target.throw:
            raised = (stub.insts[0], len(target.layout))
        elif target.jump:
            b.target = stub.insts[0]
            b.opname = b.opname.replace("BACKWARD", "FORWARD")
            b.opcode = compat.opcode_of(b.opname)
        else:
            body.insert(body.index(last) + 1, Instruction("JUMP_FORWARD", lineno=b.lineno,
                                                          target=stub.insts[0]))
    if catch:
        raised = (_exception_stub(stubs, outer, fs.lineno, n_oexc), 0)
    if raised is not None:
        table = _reroute(table, body, entry, last, *raised)
    flat = pro.insts + body + [i for s in stubs for i in s]
    return assemble(flat, prologue_table + table, like=code, argcount=len(args),
                    posonlyargcount=0, kwonlyargcount=0, argnames=args, cellvars=[],
                    freevars=list(cell_names(code)), flags=code_flags(code),
                    keep_exception_depths=True)


def _exception_stub(stubs, outer, lineno, n_oexc):
    """An exception the breaking instruction raises where its own frame has no handler
    continues in the outer frames' handlers: a stub calls the exception continuation
    with it (resume.Level.throw). Returns the stub's first instruction."""
    stub = Out(lineno)
    stub.op("STORE_FAST", "__fj_exc")
    excstate.emit_leave_outer(stub, n_oexc)
    trampoline.begin_continuation(stub)
    stub.op("LOAD_FAST", "__fj_kexc")
    for name in outer + ["__fj_exc"]:
        stub.op("LOAD_FAST", name)
    trampoline.end_continuation(stub, len(outer) + 1)
    stubs.append(stub.insts)
    return stub.insts[0]


def _reroute(table, body, first, last, handler, depth) -> list:
    """``table`` with ``first``..``last`` (the breaking instruction and its call prefix)
    covered by one entry to ``handler`` at ``depth``, cut out of the entries that
    covered them (exception ranges must not overlap)."""
    pos = {id(inst): n for n, inst in enumerate(body)}
    lo, hi = pos[id(first)], pos[id(last)]
    out = []
    for e in table:
        start, end = pos[id(e.start)], pos[id(e.end)]
        if end < lo or start > hi:
            out.append(e)
            continue
        if start < lo:
            out.append(ExceptionEntry(e.start, body[lo - 1], e.target, e.depth, e.lasti))
        if end > hi:
            out.append(ExceptionEntry(body[hi + 1], e.end, e.target, e.depth, e.lasti))
    out.append(ExceptionEntry(first, last, handler, depth, False))
    return out


# ---------------------------------------------------------------- the replacement


def break_code(result, compiled_graph):
    """``(replacement code, runner code)`` for a resumable break (see module docstring)."""
    bp = result.break_at
    frames = bp.frames
    inner = frames[-1]
    outer_frames = frames[:-1]
    nested = bool(outer_frames)
    refs = _globals_refs()
    outer_recons = _outer_args(outer_frames, refs)
    # an exception of the breaking instruction that no handler of its frame covers, where
    # an outer frame's call is under a with/try handler: it continues in the outer frames
    # through an exception continuation (one the frame handles: the raise target)
    catch = (raise_target(inner) is None
             and any(_call_has_handler(fs) for fs in outer_frames))
    foreign = _foreign(frames, len(frames) - 1)
    outer_handled = [h for fs in outer_frames for h in fs.handled]
    runner, targets = runner_code(inner, len(outer_recons), nested, catch, foreign,
                                  len(outer_handled))
    code = result.code
    e = Emitter(result, code.co_firstlineno)
    e.emit(compat.emit_copy_free_vars(len(code.co_freevars)))
    e.emit(compat.emit_resume())
    specs = [s for fs in frames for s in fs.mode_specs]
    recons = list(outer_recons) + list(inner.cell_objs) + list(frames[0].cell_objs)
    recons += [r for _, r in inner.locals] + _values(inner.stack) + list(inner.handled)
    recons += [s.ctx for s in specs if s.ctx is not None]
    call_range = emit_prefix(e, result, compiled_graph, recons)
    e.lineno = frames[0].lineno or e.lineno
    if specs:
        e.emit(compat.emit_push_null())
        e.op("LOAD_CONST", modeops.enter)
        for s in specs:
            e.load(s.ctx) if s.ctx is not None else e.op("LOAD_CONST", (s.kind, s.flag,
                                                                        s.payload))
        e.op("BUILD_TUPLE", len(specs))
        e.emit(compat.emit_call(1))
        e.op("STORE_FAST", "__fj_modes")
    start = len(e.out)
    e.emit(compat.emit_push_null())
    runner_ref = refs(inner.globals) if inner.globals is not frames[0].globals else None
    _emit_closure_fn(e, runner, inner.cell_objs, runner_ref)
    args = [r for _, r in inner.locals] + _values(inner.stack) + list(inner.handled)
    args += outer_recons + ([refs(inner.globals)] if foreign else []) + outer_handled
    for r in args:
        e.load(r)
    level_k = [Level(inner.code, t.inst.offset, t.layout, t.local_names, 0, None,
                     t.inst.lineno or 0, throw=t.throw, foreign=foreign, at_pending=t.throw)
               for t in targets]
    chains = [_chain(outer_frames, lv) for lv in level_k]
    if catch:
        last = outer_frames[-1]
        chains.append(_chain(outer_frames[:-1], _outer_level(
            last, None, decode(last.code).by_offset[last.offset], throw=True,
            foreign=_foreign(outer_frames, len(outer_frames) - 1))))
    for chain in chains:
        _emit_closure_fn(e, resume_code(chain), frames[0].cell_objs)
    e.emit(compat.emit_call(len(args) + len(chains)))
    end = len(e.out) - 1
    table = trampoline.emit_finish(e, "__fj_modes" if specs else None,
                                   trampoline.is_resume_code(code))
    if specs:
        handler = len(e.out)
        e.emit(compat.emit_push_null())
        e.op("LOAD_CONST", modeops.unwind)
        e.op("LOAD_FAST", "__fj_modes")
        e.emit(compat.emit_call(1))
        e.op("POP_TOP")
        e.op("RERAISE", 0)
        table.append(ExceptionEntry(e.out[start], e.out[end], e.out[handler], 0, False))
    table += emit_fallback(e, code, call_range)
    names = slot_names(code)
    new = assemble(e.out, table, like=code, argcount=len(names), posonlyargcount=0,
                   kwonlyargcount=0, argnames=names, cellvars=[],
                   freevars=list(code.co_freevars), flags=CO_OPTIMIZED | CO_NEWLOCALS,
                   keep_exception_depths=True)
    return new, runner


def _emit_closure_fn(e, code_const, cell_recons, ref=None):
    """The function over ``code_const`` and the cells; ``ref``: the Recon of the
    GlobalsRef to make it in (another module's frame), None for the current globals."""
    if ref is not None:
        e.load(RCall(RConst(make_level), (RConst(code_const), ref, RTuple(tuple(cell_recons)))))
        return
    for r in cell_recons:
        e.load(r)
    if cell_recons:
        e.op("BUILD_TUPLE", len(cell_recons))
    e.op("LOAD_CONST", code_const)
    e.op("MAKE_FUNCTION", 0x08 if cell_recons else 0)


__all__ = ["break_code", "is_runner", "runner_codes", "targets_of"]
