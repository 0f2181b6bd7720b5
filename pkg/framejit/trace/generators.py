"""Generators inlined by the tracer: generator expressions and generator functions.

Calling one in traced code makes a ``GenVal`` holding the generator's frame, not run yet.
Each ``next()`` (a ``for`` loop's FOR_ITER, ``next()``, a builtin that consumes it:
``sum``, ``list``, ``any`` ...) runs that frame from where it stopped up to its next
``yield`` (the item) or its end (exhausted), as a frame of the current inline stack. So
the generator's effects, array work and exceptions come in CPython's order, interleaved
with the consumer's, and its array work joins the graph.

A generator cannot be rebuilt for a resume function or a result. When a break happens
inside a generator's body, or a generator is live where values are rebuilt (at a break,
in the return value, in a side effect), the trace is run again with inlining off
(``GeneratorRetrace``, trace/api.py): the call that makes the generator is then the
break, as it was before generators were inlined. A generator that is dropped before it
is exhausted (``any(...)`` stops early) is simply never run further, as in CPython,
unless it stopped inside a ``try``/``with`` (closing it would run code): that is a
re-trace too. A ``yield`` inside
a framejit mode block or an ``except`` body, ``yield from`` and ``send()`` are breaks
(hence such a re-trace).
"""
from __future__ import annotations

from .breaks import BreakKind
from .values import ConstVal, GenVal


class GeneratorRetrace(BaseException):
    """Trace the frame again without inlining generators (see the module docstring).
    A BaseException: tracer code that catches Exception must not see it."""


def make_generator(tx, frame):
    frame.generator = True
    gen = GenVal(frame)
    tx.generators.append(gen)
    return gen


def check_not_inside_generator(tx):
    """At an allowed break: a generator's frame on the inline stack cannot resume."""
    if any(f.generator for f in tx.frames):
        raise GeneratorRetrace
    check_closing(tx)


def check_closing(tx):
    """A generator left suspended inside a ``try``/``with`` would run its ``finally`` /
    ``__exit__`` when CPython closes it (when it is collected): not modelled."""
    if any(not g.done and g.frame.suspended and g.frame.inst.handler is not None
           for g in tx.generators):
        raise GeneratorRetrace


def rebuild(fin, v):
    """finish.py's recon rule for a GenVal: a live generator cannot be rebuilt."""
    raise GeneratorRetrace


def suspend(tx, f):
    """YIELD_VALUE of an inlined generator: stop its frame with the item."""
    if f.modes or f.exc_stack:
        tx.graph_break(BreakKind.GENERATOR, f"yield inside a mode block or an except body "
                                            f"in {f.code.co_name}")
    f.retval = f.stack.pop()
    f.suspended = True
    return True


def next_item(tx, gen):
    """One ``next()``: the generator's frame runs to its next yield (the item) or its end
    (``Exhausted``). An exception leaving it finishes the generator; a StopIteration
    from its body becomes CPython's RuntimeError (PEP 479)."""
    from .iteration import Exhausted
    from .tracer import UserRaise
    if gen.done:
        raise Exhausted
    frame = gen.frame
    if frame.suspended:
        frame.suspended = False
        frame.stack.append(ConstVal(None))      # the value of the yield expression
    frame.parent = tx.frame
    frame.direct = False
    try:
        value = tx.run_frame(frame)
    except UserRaise as exc:
        gen.done = True
        if issubclass(exc.exc.cls, StopIteration):
            tx.raise_type(RuntimeError, "generator raised StopIteration")
        raise
    if frame.suspended:
        return value
    gen.done = True
    raise Exhausted
