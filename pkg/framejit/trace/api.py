"""Entry points of the tracer: ``trace_frame`` and ``build_callable``.

``trace_frame(code, globals, builtins, closure, slots, mode_stack) -> TraceResult`` traces
one frame about to run ``code`` with argument ``slots`` (localsplus order: positional,
keyword-only, ``*args`` tuple, ``**kwargs`` dict), the function's ``closure`` cells and the
run-time mode stack (``(kind, flag)`` pairs, outermost first). A graph break that the mode
forbids raises ``GraphBreakError`` (before anything of the frame runs); an allowed one
returns a result whose ``break_at`` says where the trace stopped (issue 4 resumes there).

``build_callable(result, backend) -> fn`` compiles the graph with
``backend(graph, example_inputs)`` (not called when there is no graph) and returns a
function over the argument slots running: graph, side effects in order, then the traced
exception or the rebuilt return value. ``fn.__code__`` is the replacement code object:
rebuild the function with another closure of the same code to reuse it.
"""
from __future__ import annotations

import time
import types

from .codegen import generate_code
from .errors import TraceError, break_error
from .finish import finish
from .handlers import Lazy
from .sources import ClosureSource, LocalSource
from .tracer import BreakSignal, Frame, Tracer, UserRaise
from .values import CellVal

__all__ = ["trace_frame", "build_callable"]


def _entry_frame(tx, code, f_globals, f_builtins, closure, slots):
    frame = Frame(code, f_globals, f_builtins)
    names = code.co_varnames
    for i, obj in enumerate(slots):
        frame.locals[i] = Lazy(obj, LocalSource(i, names[i]))
    for i, name in enumerate(code.co_freevars):
        frame.cells[name] = CellVal(None, ClosureSource(i, name))
    return frame


def trace_frame(code, globals, builtins, closure, slots, mode_stack=()):
    """Trace ``code`` symbolically; see the module docstring."""
    start = time.perf_counter()
    tx = Tracer(code, globals, builtins, closure, slots, mode_stack)
    frame = _entry_frame(tx, code, globals, builtins, closure, slots)
    try:
        retval = tx.run_frame(frame)
    except UserRaise as raised:
        return finish(tx, raised=raised, start=start)
    except BreakSignal as signal:
        if signal.raises:
            raise break_error(signal.graph_break) from None
        return finish(tx, signal=signal, start=start)
    except RecursionError as exc:
        raise TraceError(f"framejit: tracing {code.co_name} recursed too deeply") from exc
    return finish(tx, retval=retval, start=start)


def build_callable(result, backend):
    """A function ``(*slots)`` that runs what ``result`` traced (see module docstring)."""
    compiled = None
    if result.graph is not None:
        compiled = backend(result.graph, list(result.example_inputs))
    code = generate_code(result, compiled)
    closure = tuple(result.closure) if code.co_freevars else None
    return types.FunctionType(code, result.f_globals, code.co_name, None, closure)
