"""Graph breaks as values: the ``BreakKind`` catalogue and the ``GraphBreak`` record.

Each kind carries a one-line explanation and a default hint (the escape hatch that fits).
A ``GraphBreak`` is plain data: kind, detail (what exactly, e.g. the callable or opname),
the user's message (``graph_break(msg)``), ``user_stack`` (``UserFrame``s, outermost first,
through inlined calls) and the hint. ``would_raise(mode_stack)`` applies SEMANTICS.md §2
to a symbolic mode stack of ``(kind, flag)`` pairs (outermost first), through
``framejit.modes.resolve`` so the tracer and the C stack share one rule book.
``catalogue_markdown()`` renders the catalogue for docs/graph_breaks.md.
"""
from __future__ import annotations

import enum
import linecache
from dataclasses import dataclass

from ..modes import resolve


class BreakKind(enum.Enum):
    """Why the tracer stopped capturing. ``value`` is the public ``GraphBreakError.kind``."""

    GRAPH_BREAK_CALL = ("graph_break_call",
                        "explicit call to framejit.graph_break()",
                        "remove the graph_break() call, or run under a lenient mode "
                        "(fullgraph=False, error_on_graph_break(False)) to split the graph there")
    DISABLED_CALL = ("disabled_call",
                     "call to a function decorated with framejit.disable",
                     "drop @framejit.disable if the function is traceable, or call it "
                     "outside the compiled region")
    UNSUPPORTED_CALL = ("unsupported_call",
                        "call into code that framejit cannot capture (I/O, a library that "
                        "is neither NumPy nor traceable Python, a NumPy callable missing "
                        "from the op registry)",
                        "move the call (e.g. print, np.save, open) out of the compiled "
                        "function, wrap it as framejit.custom_op with a fake, or use "
                        "framejit.nonstrict_trace / framejit.disable")
    DATA_DEPENDENT = ("data_dependent",
                      "Python control flow or a Python value depends on an array's "
                      "contents (if on an array, float(x), x.item(), x.tolist(), bool(x))",
                      "use np.where / masks instead of Python branches, keep values as "
                      "arrays, or run this part under a lenient mode")
    DATA_DEPENDENT_SHAPE = ("data_dependent_shape",
                            "an array's shape depends on its contents (boolean-mask "
                            "selection, np.nonzero, one-argument np.where)",
                            "keep the full shape (np.where(mask, x, 0), masked reductions) "
                            "or run this part under a lenient mode")
    CUSTOM_OP_NO_FAKE = ("custom_op_no_fake",
                         "call to a framejit.custom_op without a fake implementation",
                         "register a fake with @op.register_fake that returns an array of "
                         "the output's shape and dtype (e.g. np.empty(shape, dtype))")
    UNSUPPORTED_BYTECODE = ("unsupported_bytecode",
                            "a Python construct the tracer does not handle",
                            "move the construct out of the compiled function or rewrite it "
                            "with supported constructs")
    UNSUPPORTED_OBJECT = ("unsupported_object",
                          "an operation on an object the tracer cannot model (an instance "
                          "of a C type, a class with custom attribute access, ...)",
                          "pass arrays and plain Python values, or wrap the work in "
                          "framejit.nonstrict_trace / framejit.custom_op")
    GENERATOR = ("generator",
                 "generator, coroutine or async code",
                 "consume the generator into a list outside the compiled function, or "
                 "compile the function that consumes it")
    CUSTOM_OP_ORDER = ("custom_op_order",
                       "a custom op is called after a Python side effect (a mutation of a "
                       "pre-existing object, a global store) that framejit replays after the "
                       "graph runs, so inside one graph its body would run first",
                       "make the mutation after the custom-op call, or let the graph split "
                       "here (fullgraph=False / error_on_graph_break(False))")
    TOO_COMPLEX = ("too_complex",
                   "the trace is too long or too deep (a long unrolled loop, deep recursion)",
                   "vectorize the loop with NumPy operations, or move it out of the "
                   "compiled function")

    def __new__(cls, public: str, explanation: str, hint: str):
        obj = object.__new__(cls)
        obj._value_ = public
        obj.explanation = explanation
        obj.default_hint = hint
        return obj


@dataclass(frozen=True)
class UserFrame:
    """One user frame of a break's stack: file, line, function and the source line."""
    filename: str
    lineno: int
    function: str
    line: str

    @classmethod
    def at(cls, code, lineno):
        line = linecache.getline(code.co_filename, lineno or 0).strip()
        return cls(code.co_filename, lineno or code.co_firstlineno, code.co_name, line)

    def __str__(self):
        text = f'  File "{self.filename}", line {self.lineno}, in {self.function}'
        return text + (f"\n    {self.line}" if self.line else "")


@dataclass(frozen=True)
class GraphBreak:
    kind: BreakKind
    detail: str
    user_stack: tuple
    hint: str
    message: str | None = None
    instruction: str = ""
    # True for the break an outer frame takes around a call because the real break,
    # inside the callee, cannot resume through it (Tracer._forced_break): the callee is
    # compiled on its own and reports the real one, so reports do not count this one
    forced: bool = False

    @property
    def explanation(self) -> str:
        return self.kind.explanation

    def format(self) -> str:
        lines = [f"graph break ({self.kind.value}): {self.kind.explanation}"]
        if self.message:
            lines.append(f"  message: {self.message}")
        if self.detail:
            lines.append(f"  detail: {self.detail}")
        lines.append("user stack (most recent call last):")
        lines.extend(str(f) for f in self.user_stack)
        lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self):
        return self.format()


def make_break(kind: BreakKind, detail: str, user_stack, *, hint=None, message=None,
               instruction="", forced=False) -> GraphBreak:
    return GraphBreak(kind, detail, tuple(user_stack), hint or kind.default_hint, message,
                      instruction, forced)


def would_raise(mode_stack) -> bool:
    """SEMANTICS.md §2: does a break under this (symbolic) mode stack raise?"""
    return resolve(mode_stack).break_raises


def catalogue_markdown() -> str:
    rows = ["| kind | what it means | hint |", "| --- | --- | --- |"]
    rows += [f"| `{k.value}` | {k.explanation} | {k.default_hint} |" for k in BreakKind]
    return "\n".join(rows)
