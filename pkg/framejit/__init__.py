"""framejit: a just-in-time compiler for NumPy code in ordinary Python functions.

Public API (DESIGN.md): compile, graph_break, error_on_graph_break, set_fullgraph,
disable, nonstrict_trace, custom_op, explain, set_logs, reset, config, build_info,
backends, install, uninstall, GraphBreakError, TraceError. ``import framejit.auto`` is
``framejit.install()`` with the defaults; ``python -m framejit run script.py`` runs a
script under it.
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
from .wholeprogram import install, uninstall


def reset():
    """Clear every cache: compiled entries, markers and recorded reports. An install()
    stays in force: its functions are traced again on their next call."""
    _runtime.reset()


__all__ = [
    "compile", "graph_break", "error_on_graph_break", "set_fullgraph", "disable",
    "nonstrict_trace", "custom_op", "reset", "config", "build_info",
    "GraphBreakError", "TraceError", "backends", "set_logs", "explain", "install",
    "uninstall",
]
__version__ = "0.1.0"
