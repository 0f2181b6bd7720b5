"""The tracer's exception types: ``GraphBreakError`` and ``TraceError``.

They are the package's public classes (``framejit/errors.py``, re-exported as
``framejit.GraphBreakError`` / ``framejit.TraceError``); this module is the tracer's one
import point for them, so a raised error is always the public class. ``break_error``
turns a ``GraphBreak`` value into the error with the full message (kind, explanation,
user message, user stack with source lines, hint).
"""
from __future__ import annotations

from ..errors import GraphBreakError, TraceError

__all__ = ["GraphBreakError", "TraceError", "break_error"]


def break_error(gb) -> GraphBreakError:
    """The ``GraphBreakError`` for a forbidden ``GraphBreak``."""
    err = GraphBreakError(gb.format(), kind=gb.kind.value, user_stack=gb.user_stack,
                          hint=gb.hint)
    err.graph_break = gb
    return err
