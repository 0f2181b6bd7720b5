"""Run-time mode entries around a graph break, and how the tracer sees their pops.

At an allowed break the replacement code re-enters, before the breaking instruction
runs, every mode entry the traced frames had pushed (SEMANTICS.md §2: the run-time stack
must equal the symbolic one): ``enter(specs)`` pushes them in order — a ``ModeContext``
of an open ``with`` block through its own ``__enter__`` (its ``__exit__``, still on the
resumed frame's value stack, pops it), a decorator's or inlined compiled function's
entry as ``(kind, flag, payload)`` through the C stack. The resume chain pops a
decorator entry with ``pop_mode()`` when the decorated callee returns.
``unwind(handle)`` pops whatever ``enter`` pushed and is still on the stack when an
exception leaves the replacement code (a frame's ``with``-exit may already have run).

Invariants: pops are LIFO (the C stack checks tokens); tokens of decorator entries are
kept per thread by stack index, so ``pop_mode`` needs no argument and can be replayed
as a recorded side effect. ``trace_rule`` makes the tracer treat ``pop_mode()`` and a
``ModeContext.__exit__`` of an entry pushed before the traced frame as pops of
*inherited* entries: symbolic pop now, the real pop replayed in program order.
"""
from __future__ import annotations

import sys
import threading

from .values import ConstVal, ModeCtxVal

_local = threading.local()


def _native():
    from .._native import _modes
    return _modes


def _tokens() -> dict:
    tokens = getattr(_local, "tokens", None)
    if tokens is None:
        tokens = _local.tokens = {}
    return tokens


class Entered:
    """What ``enter`` pushed: the C stack depth before, and one record per entry (a
    token, or the ModeContext that was entered)."""
    __slots__ = ("base", "records")

    def __init__(self, base):
        self.base = base
        self.records = []


def enter(specs) -> Entered:
    modes = _native()
    handle = Entered(modes.depth())
    tokens = _tokens()
    for spec in specs:
        if type(spec) is tuple:
            kind, flag, payload = spec
            tok = modes.push(kind, flag, payload)
            tokens[modes.depth() - 1] = tok
            handle.records.append(tok)
        else:
            spec.__enter__()
            handle.records.append(spec)
    return handle


def pop_mode():
    """Pop the top entry, pushed by ``enter`` as a decorator entry."""
    modes = _native()
    modes.pop(_tokens().pop(modes.depth() - 1))


def unwind(handle):
    """Pop what ``handle`` pushed and is still on the stack (exception path)."""
    modes = _native()
    tokens = _tokens()
    while modes.depth() > handle.base:
        index = modes.depth() - 1
        pos = index - handle.base
        if pos >= len(handle.records):
            break
        rec = handle.records[pos]
        if type(rec) is int:
            tokens.pop(index, None)
            modes.pop(rec)
        else:
            rec.__exit__(None, None, None)


# ---------------------------------------------------------------- tracing


def _pop_rule(tx, args, kwargs):
    tx.pop_inherited_mode()
    tx.record("call_method", tx.wrap(sys.modules[__name__]), "pop_mode", ())
    return ConstVal(None)


def _ctx_exit_rule(tx, args, kwargs):
    ctx = args[0] if args else None
    if type(ctx) is not ModeCtxVal or ctx.source is None:
        tx.unsupported("exiting a framejit mode context that was not entered here")
    tx.pop_inherited_mode()
    tx.record("call_method", ctx, "__exit__", (ConstVal(None),) * 3)
    return ConstVal(False)


def trace_rule(fn, c):
    """calls.py resolver: the rule for ``pop_mode`` / ``ModeContext.__exit__``, or None."""
    if fn is pop_mode:
        return _pop_rule
    api = sys.modules.get("framejit.api")
    if api is not None and fn is api.ModeContext.__exit__:
        return _ctx_exit_rule
    return None
