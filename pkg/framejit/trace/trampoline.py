"""Continuations returned, not called: a loop whose body breaks runs in constant stack.

A break runner (trace/breakgen.py) does not call the resume function of the target it
reaches: its stub returns a ``Continuation`` (the function and its arguments), and the
replacement code that called the runner *drives* it — calls it, and if that call hands
back another Continuation, calls that one, and so on until a value comes back. Were the
continuations calls, every break executed in one call of a function would nest the
Python stack three frames deeper (replacement, runner, resume function), and a loop
whose body breaks would hit the recursion limit after a few hundred iterations.

Every resume function takes a last argument ``__fj_tramp`` (True when a driver calls
it, False when an outer level's prologue calls it as the callee level). The replacement
of a resume function that breaks again hands its runner's Continuation back when
``__fj_tramp`` is true (its caller is a driver: the stack does not grow) and drives it
itself otherwise. Plain code (a frame the hook runs unoptimized) never returns a
Continuation: only break runners make them, and only replacements call break runners.

Mode entries: a replacement that hands a Continuation back leaves the entries it
re-entered on the C stack (the continuation pops them, as in plain Python); it attaches
their handle (``modeops.Entered``) to the Continuation, and the driver unwinds every
handle it collected, innermost first, when an exception leaves the continuations — what
the nested replacements' own handlers did when continuations were calls.
"""
from __future__ import annotations

from ..bytecode import compat
from ..bytecode.instructions import ExceptionEntry, Instruction
from . import modeops

#: the resume functions' trampoline argument
TRAMP_ARG = "__fj_tramp"


class Continuation:
    """``fn(*args)`` continues the frame; ``modes``: the handle of the mode entries the
    replacement that handed it back had re-entered (None if it had none)."""
    __slots__ = ("fn", "args", "modes")

    def __init__(self, fn, args):
        self.fn = fn
        self.args = args
        self.modes = None

    def __repr__(self):
        return f"Continuation({getattr(self.fn, '__qualname__', self.fn)!r})"


def next_call(cont, handles):
    """``(args, fn)`` of ``cont`` (the order UNPACK_SEQUENCE puts ``fn`` below ``args``
    for CALL_FUNCTION_EX), collecting its mode handle."""
    if cont.modes is not None:
        handles.append(cont.modes)
    return cont.args, cont.fn


def unwind_all(handles):
    """An exception leaves the continuations: pop what the replacements that handed
    them back had pushed and is still on the stack, innermost first."""
    for handle in reversed(handles):
        modeops.unwind(handle)


def hand_back(result, handle):
    """A replacement with mode entries returns its runner's result to its driver."""
    if type(result) is Continuation:
        result.modes = handle
    return result


def is_resume_code(code) -> bool:
    return TRAMP_ARG in code.co_varnames[:code.co_argcount]


def begin_continuation(out):
    """Before a stub loads the resume function and its arguments."""
    out.emit(compat.emit_push_null())
    out.op("LOAD_CONST", Continuation)


def end_continuation(out, nargs):
    """After the resume function and its ``nargs`` arguments: return the Continuation
    (the trampoline argument True: a driver calls it)."""
    out.op("LOAD_CONST", True)
    out.op("BUILD_TUPLE", nargs + 1)
    out.call(2)
    out.op("RETURN_VALUE")


def emit_finish(e, modes_var, tramp) -> list:
    """The end of a replacement, the runner's result on the stack: hand it back (a
    resume function called by a driver, ``tramp``) or drive it. ``modes_var``: the local
    holding the replacement's mode handle, or None. Returns exception-table entries."""
    def op(name, argval=None, target=None):
        inst = Instruction(name, argval, lineno=e.lineno, target=target)
        e.out.append(inst)
        return inst

    op("STORE_FAST", "__fj_res")
    drive = Instruction("NOP", lineno=e.lineno)
    if tramp:
        op("LOAD_FAST", TRAMP_ARG)
        op("POP_JUMP_FORWARD_IF_FALSE", target=drive)
        if modes_var:
            e.emit(compat.emit_push_null())
            op("LOAD_CONST", hand_back)
            op("LOAD_FAST", "__fj_res")
            op("LOAD_FAST", modes_var)
            e.emit(compat.emit_call(2))
        else:
            op("LOAD_FAST", "__fj_res")
        op("RETURN_VALUE")
    e.out.append(drive)
    if modes_var:
        op("LOAD_FAST", modes_var)
        op("BUILD_LIST", 1)
    else:
        op("BUILD_LIST", 0)
    op("STORE_FAST", "__fj_hs")
    done = Instruction("LOAD_FAST", "__fj_res", lineno=e.lineno)
    loop = op("NOP")
    e.emit(compat.emit_push_null())
    op("LOAD_CONST", type)
    op("LOAD_FAST", "__fj_res")
    e.emit(compat.emit_call(1))
    op("LOAD_CONST", Continuation)
    op("IS_OP", 0)
    op("POP_JUMP_FORWARD_IF_FALSE", target=done)
    first = len(e.out)
    e.emit(compat.emit_push_null())
    e.emit(compat.emit_push_null())
    op("LOAD_CONST", next_call)
    op("LOAD_FAST", "__fj_res")
    op("LOAD_FAST", "__fj_hs")
    e.emit(compat.emit_call(2))
    op("UNPACK_SEQUENCE", 2)
    op("CALL_FUNCTION_EX", 0)
    op("STORE_FAST", "__fj_res")
    last = op("JUMP_BACKWARD", target=loop)
    e.out.append(done)
    op("RETURN_VALUE")
    handler = len(e.out)
    e.emit(compat.emit_push_null())
    op("LOAD_CONST", unwind_all)
    op("LOAD_FAST", "__fj_hs")
    e.emit(compat.emit_call(1))
    op("POP_TOP")
    op("RERAISE", 0)
    return [ExceptionEntry(e.out[first], last, e.out[handler], 0, False)]


__all__ = ["Continuation", "TRAMP_ARG", "begin_continuation", "emit_finish", "end_continuation",
           "is_resume_code"]
