"""Mode resolution (SEMANTICS.md §2) over a stack of (kind, flag) pairs, outermost first.

The C stack (modes.h) resolves the same rules incrementally for the run-time stack; the
tracer resolves its symbolic stack with ``resolve``. Tests check that both agree.
"""
from dataclasses import dataclass

COMPILE = "compile"
ERROR_ON_GRAPH_BREAK = "error_on_graph_break"
SET_FULLGRAPH = "set_fullgraph"
DISABLE = "disable"


@dataclass(frozen=True)
class Resolved:
    strict: bool = False                 # fullgraph level in force
    error_on_graph_break: bool = False   # innermost error_on_graph_break
    active: bool = False                 # frames are intercepted (compile after any disable)

    @property
    def break_raises(self):
        return self.strict or self.error_on_graph_break


def _step(r, kind, flag):
    return _RULES[kind](r, flag)


_RULES = {
    # compile(True) sets strict; compile(False) keeps it (fullgraph cannot be turned off
    # by a nested compile) and does not reset error_on_graph_break.
    COMPILE: lambda r, f: Resolved(r.strict or f, r.error_on_graph_break, True),
    ERROR_ON_GRAPH_BREAK: lambda r, f: Resolved(r.strict, f, r.active),
    SET_FULLGRAPH: lambda r, f: Resolved(f, r.error_on_graph_break, r.active),
    DISABLE: lambda r, f: Resolved(r.strict, r.error_on_graph_break, False),
}


def resolve(stack):
    """Resolved state of a stack of (kind, flag) pairs, outermost first."""
    r = Resolved()
    for kind, flag in stack:
        r = _step(r, kind, bool(flag))
    return r
