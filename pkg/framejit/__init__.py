"""framejit: a just-in-time compiler for NumPy code in ordinary Python functions.

Public API (DESIGN.md): compile, graph_break, error_on_graph_break, set_fullgraph,
disable, nonstrict_trace, custom_op, explain, set_logs, reset, config, build_info,
backends, GraphBreakError, TraceError.
"""
from ._native import build_info
from .config import config
from .errors import GraphBreakError, TraceError
from .api import (compile, graph_break, error_on_graph_break, set_fullgraph, disable,
                  nonstrict_trace, custom_op)
from . import runtime as _runtime
from . import backends
from .debug import set_logs
from .explain import explain


def reset():
    """Clear every cache: compiled entries, markers and recorded reports."""
    _runtime.reset()


__all__ = [
    "compile", "graph_break", "error_on_graph_break", "set_fullgraph", "disable",
    "nonstrict_trace", "custom_op", "reset", "config", "build_info",
    "GraphBreakError", "TraceError", "backends", "set_logs", "explain",
]
__version__ = "0.1.0"
