"""Re-establishing the handled-exception state when generated code enters a handler body.

In CPython 3.11 an ``except`` (or exception-path ``finally``) body runs with the previous
handled exception saved on the value stack by PUSH_EXC_INFO and the current one set as
the thread's handled exception (``sys.exc_info()``, bare ``raise``, implicit chaining of
``__context__``); POP_EXCEPT restores the saved one. A break runner or resume function
entering such a body mid-way lets CPython itself set that state: for each handler the
frame is inside (outermost first) its prologue raises the handled exception inside a
one-instruction ``try`` whose handler is PUSH_EXC_INFO — so the saved slot holds the
exception handled by the caller at run time (or by the enclosing handler), exactly as in
the user's frame. ``stash``/``settle`` around that raise keep the exception's
``__traceback__`` and ``__context__`` as they were (the raise would extend and reset
them); a fresh exception (rebuilt, never raised) keeps what the raise gave it.

The way out mirrors the way in: a break runner's continuation stub restores the state
with POP_EXCEPT over the saved slots (innermost first) before calling the resume
function, whose prologue establishes it again — generated code never relies on the
state its caller left. Outer frames of a nested break may be inside handlers too (their
pending call in an ``except`` body): each resume level re-enters its own frame's, and the
break runner enters all of them, outer frames' first, before its frame's own.
The tracer traces the prologue like user code (the raise is
routed through the exception table); ``stash`` and ``settle`` trace as no-ops.
"""
from __future__ import annotations

from ..bytecode import compat
from ..bytecode.instructions import ExceptionEntry
from .values import ConstVal

PREV, VALUE = "P", "E"     # layout markers (trace/resume.py): saved slot, kept exception


def stash(exc):
    """What the prologue's raise will change on ``exc`` (None for a fresh exception)."""
    tb = exc.__traceback__
    return None if tb is None else (tb, exc.__context__)


def settle(exc, saved):
    if saved is not None:
        exc.__traceback__, exc.__context__ = saved


def exc_arg_names(layout) -> list:
    return [f"__fj_e{i}" for i in range(layout.count(PREV))]


def emit_enter_handler(out, depth, index, keep, prefix="") -> ExceptionEntry:
    """Emit, with ``depth`` values pushed, the sequence that enters handler ``index``
    (its exception in local ``__fj_<prefix>e<index>``): afterwards the stack has the
    saved slot (and the exception when ``keep``) on top. Returns the exception-table
    entry of the raise (the caller adds it)."""
    exc, saved = f"__fj_{prefix}e{index}", f"__fj_{prefix}x{index}"
    out.emit(compat.emit_push_null())
    out.op("LOAD_CONST", stash)
    out.op("LOAD_FAST", exc)
    out.call(1)
    out.op("STORE_FAST", saved)
    out.op("LOAD_FAST", exc)
    out.emit(compat.emit_raise())
    raise_ = out.insts[-1]
    handler = out.op("PUSH_EXC_INFO")
    out.emit(compat.emit_push_null())
    out.op("LOAD_CONST", settle)
    out.op("LOAD_FAST", exc)
    out.op("LOAD_FAST", saved)
    out.call(2)
    out.op("POP_TOP")
    if not keep:
        out.op("POP_TOP")
    return ExceptionEntry(raise_, raise_, handler, depth, False)


def emit_enter_outer(out, n) -> list:
    """A break runner entering the handlers of the outer frames (``n`` of them, their
    exceptions in ``__fj_oe<i>``, outermost first) before its frame's own: the breaking
    instruction runs with the handled exception its callers' ``except`` bodies set, as
    in Python. The saved slots go to locals ``__fj_op<i>`` (the frame's value stack stays
    its own). Returns the exception-table entries of the raises."""
    entries = []
    for i in range(n):
        entries.append(emit_enter_handler(out, 0, i, False, "o"))
        out.op("STORE_FAST", f"__fj_op{i}")
    return entries


def emit_leave_outer(out, n):
    """Restore what ``emit_enter_outer`` saved (innermost first)."""
    for i in reversed(range(n)):
        out.op("LOAD_FAST", f"__fj_op{i}")
        out.op("POP_EXCEPT")


def emit_leave_handlers(out, layout, slot_name):
    """Restore the handled exception saved in the layout's slots (innermost first);
    ``slot_name(p)`` is the local holding stack position ``p``."""
    for p in reversed([p for p, m in enumerate(layout) if m == PREV]):
        out.op("LOAD_FAST", slot_name(p))
        out.op("POP_EXCEPT")


def trace_rule(fn, c):
    """calls.py resolver: ``stash``/``settle`` trace as no-ops (the traced state is exact
    already; only a plain-Python run of the prologue needs them)."""
    if fn is stash or fn is settle:
        return lambda tx, args, kwargs: ConstVal(None)
    return None
