"""The public exception types.

``GraphBreakError`` carries ``.kind`` (a name from the catalogue in docs/graph_breaks.md),
``.user_stack`` (frame summaries, outermost first, through inlined calls) and ``.hint``.
"""


class GraphBreakError(RuntimeError):
    """A graph break that the mode in force forbids (SEMANTICS.md §2)."""

    def __init__(self, message, *, kind="unknown", user_stack=(), hint=""):
        super().__init__(message)
        self.kind = kind
        self.user_stack = list(user_stack)
        self.hint = hint


class TraceError(RuntimeError):
    """Tracing cannot go on (e.g. branching on an array value inside nonstrict_trace)."""


def generator_error(fn):
    """The error for a generator function compiled with fullgraph=True (DESIGN.md)."""
    code = getattr(fn, "__code__", None)
    where = f"{code.co_filename}:{code.co_firstlineno}" if code else repr(fn)
    name = getattr(fn, "__qualname__", repr(fn))
    return GraphBreakError(
        f"graph break (generator): {name} at {where} is a generator function; generator "
        "frames are never compiled, so fullgraph=True cannot hold.\n"
        "hint: compile the function that consumes the generator instead "
        "(`list(gen(x))` or `for v in gen(x)` inside compiled code can be inlined), or "
        "drop fullgraph=True.",
        kind="generator", hint="compile the consumer of the generator, or drop fullgraph=True")
