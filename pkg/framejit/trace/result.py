"""The tracer's output: plain data that codegen, guards and reports consume.

``TraceResult`` never refers to the tracer or to symbolic values. Python values that the
generated code must produce are described by ``Recon`` trees:

- ``RConst(value)``: a constant baked into the code (immutable, or guarded by identity);
- ``RSource(source)``: reload from the frame's entry state (returning an input returns it);
- ``RGraphOut(index)``: the graph's output ``index``;
- ``RTuple`` / ``RList`` / ``RDict``: containers to build (``ident`` makes a list or dict
  built once and shared wherever the same traced object appears);
- ``RCall(fn, args, kwargs)``: the result of calling ``fn`` (exceptions, new objects,
  partials, closures, slices).

``SideEffect(kind, target, name, args, lineno)`` replays one mutation of a pre-existing
object (kinds in ``SIDE_EFFECT_KINDS``), in program order. ``BreakPoint`` records where a
trace stopped at an allowed break, with a ``FrameState`` per frame of the inline stack
(outermost first): what issue 4's resume functions are built from.
"""
from __future__ import annotations

from dataclasses import dataclass, field


class Recon:
    __slots__ = ()


@dataclass(frozen=True, eq=False)
class RConst(Recon):
    value: object


@dataclass(frozen=True)
class RSource(Recon):
    source: object


class RNull(Recon):
    """The NULL CPython keeps below a callable on the value stack (breaks only)."""
    __slots__ = ()


class RExcPrev(Recon):
    """Stack marker (breaks only): the previous-exception slot PUSH_EXC_INFO pushed on
    entering a handler; generated code re-establishes it at run time (trace/excstate.py)."""
    __slots__ = ()


class RExcValue(Recon):
    """Stack marker (breaks only): the handled exception PUSH_EXC_INFO pushed right above
    its RExcPrev slot (kept by the re-establishing sequence)."""
    __slots__ = ()


@dataclass(frozen=True)
class RGraphOut(Recon):
    index: int


@dataclass(frozen=True, eq=False)
class RTuple(Recon):
    items: tuple


@dataclass(frozen=True, eq=False)
class RList(Recon):
    items: tuple
    ident: int


@dataclass(frozen=True, eq=False)
class RDict(Recon):
    keys: tuple
    values: tuple
    ident: int


@dataclass(frozen=True, eq=False)
class RCall(Recon):
    fn: Recon
    args: tuple = ()
    kwargs: tuple = ()          # ((name, Recon), ...)
    ident: int | None = None    # shared object (built once) when not None


#: kind -> what ``target``, ``name`` and ``args`` mean
SIDE_EFFECT_KINDS = {
    "setattr": "setattr(target, name, args[0])",
    "delattr": "delattr(target, name)",
    "setitem": "target[args[0]] = args[1]",
    "delitem": "del target[args[0]]",
    "call_method": "target.name(*args)  (list.append, dict.update, ...)",
    "store_global": "globals dict target: target[name] = args[0]",
    "delete_global": "del target[name] on a globals dict",
}


@dataclass(frozen=True, eq=False)
class SideEffect:
    kind: str
    target: Recon
    name: str | None
    args: tuple
    lineno: int


@dataclass(frozen=True, eq=False)
class FrameState:
    """One frame of the inline stack at a break: code, where to resume, live values.

    Innermost frame: ``stack`` is the value stack *before* the breaking instruction (it is
    re-run in plain Python), live locals at that instruction. Outer frames: ``stack`` is
    the stack while the pending instruction (normally CALL) runs the next frame; resuming
    pushes the callee's result and continues after ``offset``. A pending instruction that
    is not a call (a property via LOAD_ATTR, a dunder via BINARY_OP, a ``key=`` callback)
    continues through its site (trace/sites.py): ``post`` and ``at_pending``, with the
    helper call's operands on top of ``stack``.
    """
    code: object
    offset: int                 # instruction offset of the break / of the pending call
    lineno: int
    stack: tuple                # Recons of the value stack (bottom first)
    locals: tuple               # ((name, Recon), ...) of live locals
    cells: tuple                # ((name, Recon), ...) of cell contents
    modes: tuple                # mode entries this frame pushed (outermost first)
    pending: str = ""           # opname of the instruction in progress (breaking / calling)
    kw_names: tuple = ()        # KW_NAMES in force for a breaking CALL
    mode_specs: tuple = ()      # per entry of ``modes``: what re-enters it (ModeSpec)
    cell_objs: tuple = ()       # Recon of each cell object, co_freevars + co_cellvars order
    resume_at: int = -1         # outer frame: offset to resume at (-1: right after offset)
    extra_pops: int = 0         # outer frame: inherited mode entries to pop on return
    handled: tuple = ()         # Recon per handler the frame is inside (outermost first),
    #                             one per RExcPrev of ``stack``
    globals: object = None      # the frame's globals dict (a callee of another module's
    #                             level is made with them)
    post: int = 0               # outer frame: what its level does with the callee's value
    #                             (resume.Level.post; trace/sites.py)
    at_pending: bool = False    # outer frame: resume AT the pending instruction
    catch: object = None        # outer frame: the exception class its level turns into
    #                             sites.CAUGHT (resume.Level.catch)


@dataclass(frozen=True, eq=False)
class ModeSpec:
    """How generated code re-enters one mode entry: ``ctx`` (Recon of the ModeContext of
    an open ``with`` block) or ``(kind, flag, payload)`` pushed on the C stack."""
    kind: str
    flag: bool
    ctx: Recon | None = None
    payload: object = None


@dataclass(frozen=True, eq=False)
class BreakPoint:
    graph_break: object         # the GraphBreak
    frames: tuple               # FrameState, outermost first
    instruction: str            # "<opname> at <file>:<line>"
    resumable: bool = True      # False when a live value cannot be rebuilt (frames empty)
    why_not: str = ""           # why a break is not resumable


@dataclass(frozen=True, eq=False)
class RaiseRecord:
    exception: Recon
    lineno: int
    type_name: str
    message: str


@dataclass(frozen=True, eq=False)
class TraceResult:
    code: object                # the traced code object
    f_globals: dict
    closure: tuple
    graph: object               # Graph, or None when there was no array work
    graph_inputs: tuple         # Source per graph input, in graph.inputs order
    example_inputs: tuple       # the arrays seen while tracing (for backend(...))
    side_effects: tuple
    output: Recon | None        # the returned value (None at a break or an exception)
    exception: RaiseRecord | None
    guards: tuple
    breaks: tuple               # GraphBreak values met (allowed ones)
    break_at: BreakPoint | None
    mode_stack: tuple           # the run-time mode stack at frame entry
    return_lineno: int = 0
    trace_time: float = 0.0
    ops_per_graph: tuple = field(default=())

    @property
    def graph_count(self) -> int:
        return 0 if self.graph is None else 1

    @property
    def complete(self) -> bool:
        """True when the whole frame was captured (no break)."""
        return self.break_at is None

    def describe(self) -> str:
        if self.break_at is not None:
            return f"break at {self.break_at.instruction}"
        if self.exception is not None:
            return f"raises {self.exception.type_name}: {self.exception.message}"
        return "returns"
