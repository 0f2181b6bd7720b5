"""Entry points of the tracer: ``trace_frame`` and ``build_callable``.

``trace_frame(code, globals, builtins, closure, slots, mode_stack) -> TraceResult`` traces
one frame about to run ``code`` with argument ``slots`` (localsplus order: positional,
keyword-only, ``*args`` tuple, ``**kwargs`` dict), the function's ``closure`` cells and the
run-time mode stack (``(kind, flag)`` pairs, outermost first). A graph break that the mode
forbids raises ``GraphBreakError`` (before anything of the frame runs); an allowed one
returns a result whose ``break_at`` says where the trace stopped; ``build_break`` makes
the replacement that runs the graph so far, the break, and the resume functions.

``build_callable(result, backend) -> fn`` compiles the graph with
``backend(graph, example_inputs)`` (not called when there is no graph) and returns a
function over the argument slots running: graph, side effects in order, then the traced
exception or the rebuilt return value. ``fn.__code__`` is the replacement code object:
rebuild the function with another closure of the same code to reuse it.
"""
from __future__ import annotations

import time
import types

from .breakgen import break_code
from .codegen import generate_code
from .errors import TraceError, break_error
from .finish import finish
from .handlers import Lazy
from .sources import ClosureSource, LocalSource
from .tracer import BreakSignal, Frame, Tracer, UserRaise
from .values import CellVal

__all__ = ["trace_frame", "build_callable", "build_break"]


def _entry_frame(tx, code, f_globals, f_builtins, closure, slots):
    frame = Frame(code, f_globals, f_builtins)
    names = code.co_varnames
    for i, obj in enumerate(slots):
        frame.locals[i] = Lazy(obj, LocalSource(i, names[i]))
    for i, name in enumerate(code.co_freevars):
        frame.cells[name] = tx.remember_cell(closure[i], CellVal(None, ClosureSource(i, name)))
    return frame


from .generators import GeneratorRetrace, check_closing  # noqa: E402


def trace_frame(code, globals, builtins, closure, slots, mode_stack=()):
    """Trace ``code`` symbolically; see the module docstring.

    An allowed break deep in the inline stack that cannot resume in every frame (see
    ``Tracer._resume_obstacle``) is traced again, stopping at the outer frame's pending
    instruction instead: the same deterministic trace up to there. A trace that would
    have to rebuild an inlined generator is traced again with the generator's call as
    the break (trace/generators.py).
    """
    start = time.perf_counter()
    stop = None
    inline_generators = True
    while True:
        tx = Tracer(code, globals, builtins, closure, slots, mode_stack)
        tx.inline_generators = inline_generators
        if stop is not None:
            tx.stop_depth, tx.stop_inst, tx.stop_break = stop
        try:
            done, stop = _trace_once(tx, code, globals, builtins, closure, slots, stop,
                                     start)
        except GeneratorRetrace:
            inline_generators, stop = False, None
            continue
        if done is not None:
            return done


def _trace_once(tx, code, globals, builtins, closure, slots, stop, start):
    """One trace: ``(result, None)``, or ``(None, stop)`` to trace again with a forced
    break. GeneratorRetrace (also from ``finish``, rebuilding values) goes to the caller."""
    frame = _entry_frame(tx, code, globals, builtins, closure, slots)
    try:
        retval = tx.run_frame(frame)
        check_closing(tx)
    except UserRaise as raised:
        return finish(tx, raised=raised, start=start), None
    except BreakSignal as signal:
        if signal.raises:
            raise break_error(signal.graph_break) from None
        if signal.retrace is not None and (stop is None or signal.retrace[0] < stop[0]):
            # the depth strictly decreases: at most one re-trace per inline level
            return None, (*signal.retrace, stop[2] if stop else signal.graph_break)
        return finish(tx, signal=signal, start=start), None
    except RecursionError as exc:
        raise TraceError(f"framejit: tracing {code.co_name} recursed too deeply") from exc
    return finish(tx, retval=retval, start=start), None


def build_break(result, backend):
    """``(replacement code, break runner code)`` for a resumable break (trace/breakgen.py).
    The runner must be marked SKIP by the caller (it is never traced)."""
    compiled = None
    if result.graph is not None:
        compiled = backend(result.graph, list(result.example_inputs))
    return break_code(result, compiled)


def build_callable(result, backend):
    """A function ``(*slots)`` that runs what ``result`` traced (see module docstring)."""
    compiled = None
    if result.graph is not None:
        compiled = backend(result.graph, list(result.example_inputs))
    code = generate_code(result, compiled)
    closure = tuple(result.closure) if code.co_freevars else None
    return types.FunctionType(code, result.f_globals, code.co_name, None, closure)
