"""The symbolic interpreter: frames, the step loop, and the services handlers use.

A ``Frame`` is one (possibly inlined) Python frame: its decoded instructions, instruction
pointer, value stack, locals (by slot), cells (by name), globals and the mode entries it
pushed. ``Tracer`` owns what is shared across the inline stack: the GraphBuilder, guards,
side-effect records, the symbolic mode stack and the frame stack. The step loop fetches an
instruction and calls ``HANDLERS[opcode](tracer, frame, inst)`` (trace/handlers.py);
a handler returns True only to leave the frame (RETURN_VALUE).

Control leaves the normal path through three internal signals: ``UserRaise`` (the traced
program raises: routed through the exception table of each frame, outermost last),
``BreakSignal`` (a graph break: carries the GraphBreak and a snapshot of every frame taken
where it happened) and ``StopTrace`` (internal). ``trace_frame`` in trace/api.py turns the
outcome into a ``TraceResult`` (trace/finish.py) — plain data, never this object.
"""
from __future__ import annotations

import sys

from ..bytecode.instructions import decode
from ..graph.builder import GraphBuilder
from ..graph.infer import DataDependentShape
from ..graph.ir import Loc
from . import breaks as _breaks
from .breaks import BreakKind, UserFrame
from .dynamic import dynamic_sources
from .guards import Guard, GuardKind
from .sources import ConstSource, FrameEnv
from .sites import binary_rest, stack_entries
from .values import ArrayVal, ConstVal, ExceptionVal

MAX_INLINE_DEPTH = 64
MAX_BACKWARD_JUMPS = 20000
_HELPERS_FILE = binary_rest.__code__.co_filename


class UserRaise(Exception):
    """The traced program raised ``exc`` (an ExceptionVal)."""

    def __init__(self, exc):
        self.exc = exc


class BreakSignal(Exception):
    """A graph break. ``raises``: the mode in force forbids it. ``retrace``: None, or
    ``(depth, instruction)`` of an outer frame's pending instruction where the break must
    happen instead (trace/api.py traces the frame again and stops there)."""

    def __init__(self, graph_break, raises, snapshot, retrace=None):
        self.graph_break = graph_break
        self.raises = raises
        self.snapshot = snapshot
        self.retrace = retrace


class FrameSnap:
    """One frame of a break snapshot (trace/finish.py turns it into a FrameState)."""
    __slots__ = ("code", "offset", "lineno", "stack", "locals", "cells", "modes",
                 "mode_origins", "kw_names", "globals", "exc_slots", "site")

    def __init__(self, **fields):
        for k, v in fields.items():
            setattr(self, k, v)


class Frame:
    __slots__ = ("code", "insts", "ip", "inst", "stack", "locals", "cells", "globals",
                 "builtins", "fn_source", "parent", "kw_names", "modes", "retval",
                 "exc_stack", "global_base", "saved_stack", "saved_kw_names", "direct",
                 "mode_origins", "saved_modes", "site", "generator", "suspended")

    def __init__(self, code, globals_, builtins, parent=None, fn_source=None, global_base=None):
        self.code = code
        self.insts = decode(code).instructions
        self.ip = 0
        self.inst = self.insts[0]
        self.stack = []
        self.locals = [None] * code.co_nlocals
        self.cells = {}
        self.globals = globals_
        self.builtins = builtins
        self.fn_source = fn_source
        self.parent = parent
        self.kw_names = ()
        self.modes = []
        self.retval = None
        self.exc_stack = []              # stack positions of PUSH_EXC_INFO's previous-exception slots
        self.global_base = global_base   # None: the traced frame's own globals
        self.saved_stack = []            # the value stack before the current instruction
        self.saved_kw_names = ()
        self.saved_modes = 0             # len(modes) before the current instruction
        self.site = None                 # how the pending instruction continues (sites.py)
        self.direct = False              # the parent's pending instruction takes its value
        self.mode_origins = []           # per entry of ``modes``: ModeCtxVal (with) or payload
        self.generator = False           # an inlined generator's frame (trace/generators.py)
        self.suspended = False           # it stopped at a yield (its retval is the item)

    def push(self, v):
        self.stack.append(v)

    def pop(self):
        return self.stack.pop()

    def popn(self, n):
        if n == 0:
            return []
        out = self.stack[-n:]
        del self.stack[-n:]
        return out

    def user_frame(self) -> UserFrame:
        return UserFrame.at(self.code, self.inst.lineno)


class Tracer:
    def __init__(self, code, f_globals, f_builtins, closure, slots, mode_stack):
        self.code = code
        self.f_globals = f_globals
        self.f_builtins = f_builtins
        self.closure = tuple(closure or ())
        self.slots = tuple(slots)
        self.entry_modes = tuple(tuple(m) for m in mode_stack)
        self.modes = list(self.entry_modes)
        self.builder = GraphBuilder()
        self.input_sources = []
        self.example_inputs = []
        self.guards = {}
        self.side_effects = []
        self.frames = []
        self.breaks = []
        self.wrapped = {}            # id(obj) -> (obj, Value) for mutable sourced objects
        self.global_values = {}      # (id(globals), name) -> Value after a traced store
        self.backward_jumps = 0
        self.return_lineno = 0
        self.raise_lineno = 0
        self.exc_info = []
        self.env = FrameEnv(self.slots, f_globals, f_builtins, self.closure)
        self.inline_direct = None    # the frame whose CALL handler is dispatching a call
        self.armed = None            # the frame whose instruction's value a call returns
        self.stop_inst = None        # forced break: (instruction, depth) set by trace/api.py
        self.stop_depth = -1
        self.stop_break = None       # the GraphBreak that made the forced break necessary
        self.dynamic = dynamic_sources(code)   # int sources that vary (trace/dynamic.py)
        self.root_values = {}        # dynamic int root source -> its value at entry
        self.dyn_inputs = {}         # (dynamic int source, dtype) -> its 0-d graph input
        self.cell_vals = {}          # id(real cell) -> (cell, CellVal): one value per cell
        self.inline_generators = True  # False: a generator call is a break (a re-trace)
        self.generators = []         # the GenVals made (trace/generators.py)

    # ------------------------------------------------------------------ running
    def run_frame(self, frame):
        from .handlers import HANDLERS
        if len(self.frames) >= MAX_INLINE_DEPTH:
            self.graph_break(BreakKind.TOO_COMPLEX,
                             f"inlining deeper than {MAX_INLINE_DEPTH} calls")
        self.frames.append(frame)
        insts = frame.insts
        stop = self.stop_inst
        try:
            while True:
                inst = insts[frame.ip]
                frame.ip += 1
                frame.inst = inst
                # a break re-runs the instruction in Python: keep its operands (and the
                # mode entries before it: a decorated callee's entry is pushed again then)
                frame.saved_stack = frame.stack[:]
                frame.saved_kw_names = frame.kw_names
                frame.saved_modes = len(frame.modes)
                if inst is stop and len(self.frames) - 1 == self.stop_depth:
                    self._forced_break()
                try:
                    if HANDLERS[inst.opcode](self, frame, inst):
                        return frame.retval
                except UserRaise as exc:
                    self._route_exception(frame, inst, exc)
                except DataDependentShape as exc:  # Python read a run-time size (x[m].shape)
                    self.graph_break(BreakKind.DATA_DEPENDENT_SHAPE, str(exc))
        finally:
            self.frames.pop()

    def _route_exception(self, frame, inst, signal):
        entry = inst.handler
        if entry is None:
            self.raise_lineno = inst.lineno
            raise signal
        del frame.stack[entry.depth:]
        if entry.lasti:
            frame.push(ConstVal(inst.offset))
        frame.push(signal.exc)
        frame.ip = entry.target.index

    # ------------------------------------------------------------------ services
    @property
    def frame(self):
        return self.frames[-1]

    def loc(self) -> Loc:
        f = self.frames[-1]
        return Loc(f.code.co_filename, f.inst.lineno, f.code.co_name)

    def add_node(self, op, args, kwargs=None, source=None) -> ArrayVal:
        try:
            node = self.builder.add(op, args, kwargs or {}, self.loc())
        except DataDependentShape as exc:
            self.graph_break(BreakKind.DATA_DEPENDENT_SHAPE, str(exc))
        except Exception as exc:  # NumPy's own error for invalid input (meta rule)
            self.raise_python(exc)
        return ArrayVal(node, source)

    def add_guard(self, kind: GuardKind, source, expected):
        if type(source) is ConstSource:   # a baked-in object is what it is
            return
        key = (kind, source)
        if key not in self.guards:
            self.guards[key] = Guard(kind, source, expected)

    def pyval(self, v):
        """The Python value of a trace-time constant, guarding on it (once)."""
        if type(v) is ConstVal:
            if not v.guarded:
                v.guarded = True
                from .wrap import guard_constant
                guard_constant(self, v)
            return v.value
        from .wrap import python_value
        return python_value(self, v)

    def known_cell(self, cell):
        """The CellVal of a real closure cell already reached another way, or None
        (a resumed frame's cell and an inlined closure's cell are often one object)."""
        hit = self.cell_vals.get(id(cell))
        return hit[1] if hit is not None and hit[0] is cell else None

    def remember_cell(self, cell, val):
        self.cell_vals[id(cell)] = (cell, val)
        return val

    def wrap(self, obj, source=None):
        from .wrap import wrap
        return wrap(self, obj, source)

    def call(self, fn, args, kwargs=None):
        from .calls import call
        return call(self, fn, list(args), dict(kwargs or {}))

    # ------------------------------------------------------------------ exceptions
    def raise_python(self, exc: BaseException):
        """Make the traced program raise ``exc`` (type and args kept)."""
        raise UserRaise(ExceptionVal(type(exc), tuple(ConstVal(a) for a in exc.args)))

    def raise_type(self, cls, *args):
        raise UserRaise(ExceptionVal(cls, tuple(ConstVal(a) for a in args)))

    def key(self, v):
        """The Python value of ``v`` used as a dict key: an unhashable one (a list) raises
        the program's TypeError, as CPython's dict operations do."""
        k = self.pyval(v)
        try:
            hash(k)
        except TypeError as exc:
            self.raise_python(exc)
        return k

    def fold(self, fn, *args, **kwargs):
        """Evaluate ``fn(*args, **kwargs)`` on constants now; its exception becomes the
        program's."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            self.raise_python(exc)

    # ------------------------------------------------------------------ breaks
    def graph_break(self, kind: BreakKind, detail: str, *, message=None, hint=None):
        stack = self.user_stack()
        inst = self.frames[-1].inst if self.frames else None
        where = (f"{inst.opname} at {stack[-1].filename}:{stack[-1].lineno}"
                 if inst is not None and stack else "?")
        gb = _breaks.make_break(kind, detail, stack, hint=hint, message=message,
                                instruction=where)
        raises = _breaks.would_raise(self.modes)
        if raises:
            raise BreakSignal(gb, True, None)
        from .generators import check_not_inside_generator
        check_not_inside_generator(self)
        raise BreakSignal(gb, False, self.snapshot(), self._resume_obstacle())

    def user_stack(self) -> tuple:
        """The user frames of the inline stack (a resume chain's site helpers are
        framejit's: CPython runs the builtin they stand for in C, with no frame)."""
        return tuple(f.user_frame() for f in self.frames
                     if f.code.co_filename != _HELPERS_FILE)

    def _resume_obstacle(self):
        """Where an allowed break must happen instead, or None (see trace/resume.py).

        A break at depth k resumes every frame of the inline stack through one chain of
        resume functions. That needs, for each outer frame, a pending instruction whose
        value comes from the callee frame's return value: a CALL of it, or an operation
        that reaches it as a ``Site`` (trace/sites.py: a property, a dunder, a ``key=``
        callback). A handler around the call is fine (the chain
        routes exceptions to it), and so is a call inside an ``except`` body (the levels
        and the break runner re-enter the handlers, trace/excstate.py) or a callee of
        another module (its level is made with its own globals). The outermost frame
        that lacks one breaks at its pending instruction instead (the callee then runs,
        and is compiled, on its own)."""
        frames = self.frames
        for j in range(len(frames) - 1):
            f, callee = frames[j], frames[j + 1]
            if not callee.direct:
                return (j, f.inst)
        return None

    def _forced_break(self):
        """The break of a re-trace, at an outer frame's pending instruction: allowed
        whatever the mode here (the real break, deeper, was allowed and decides again
        when the callee is compiled on its own)."""
        stack = self.user_stack()
        inst = self.frames[-1].inst
        orig = self.stop_break
        gb = _breaks.make_break(
            orig.kind, f"{orig.detail} (the frame resumes around the call at line "
                       f"{inst.lineno}; the callee is compiled on its own)", stack,
            hint=orig.hint, message=orig.message,
            instruction=f"{inst.opname} at {stack[-1].filename}:{stack[-1].lineno}",
            forced=True)
        from .generators import check_not_inside_generator
        check_not_inside_generator(self)
        raise BreakSignal(gb, False, self.snapshot(), self._resume_obstacle())

    def unsupported(self, detail: str, kind=BreakKind.UNSUPPORTED_OBJECT):
        self.graph_break(kind, detail)

    def snapshot(self):
        """Per frame (outermost first): code, offset, line, value stack, locals, cells,
        modes, pending kw_names. The breaking (innermost) frame's stack is the one before
        its instruction (the instruction re-runs in Python); an outer frame's is the one
        while its pending call runs (the callee's result is pushed on return)."""
        out = []
        last = len(self.frames) - 1
        for i, f in enumerate(self.frames):
            stack = f.saved_stack if i == last else f.stack
            kw = f.saved_kw_names if i == last else ()
            n_modes = f.saved_modes if i == last else len(f.modes)
            site = None if i == last else f.site
            if site is not None:
                stack = list(stack) + stack_entries(site)
            out.append(FrameSnap(
                code=f.code, offset=f.inst.offset, lineno=f.inst.lineno, stack=list(stack),
                locals=list(f.locals), cells=dict(f.cells), modes=f.modes[:n_modes],
                mode_origins=f.mode_origins[:n_modes], kw_names=kw,
                globals=f.globals,
                exc_slots=list(f.exc_stack), site=site))
        return out

    # ------------------------------------------------------------------ modes
    def push_mode(self, frame, kind, flag, origin=None):
        """``origin``: the ModeCtxVal of a ``with`` block, or the payload of a wrapper's
        entry (what a resume re-pushes at run time)."""
        self.modes.append((kind, flag))
        frame.modes.append((kind, flag))
        frame.mode_origins.append(origin)

    def pop_mode(self, frame):
        frame.modes.pop()
        frame.mode_origins.pop()
        self.modes.pop()

    def pop_inherited_mode(self):
        """Pop an entry pushed before this frame was entered (by the code that called a
        resume function); the caller records the run-time pop as a side effect."""
        if not self.modes:
            self.unsupported("exiting a framejit mode that is not on the mode stack")
        self.modes.pop()

    # ------------------------------------------------------------------ side effects
    def record(self, kind, target, name=None, args=()):
        lineno = self.frames[-1].inst.lineno if self.frames else 0
        self.side_effects.append((kind, target, name, tuple(args), lineno))

    def count_backward_jump(self):
        self.backward_jumps += 1
        if self.backward_jumps > MAX_BACKWARD_JUMPS:
            self.graph_break(BreakKind.TOO_COMPLEX,
                             f"more than {MAX_BACKWARD_JUMPS} loop iterations unrolled")


def builtins_dict(globals_) -> dict:
    b = globals_.get("__builtins__", sys.modules["builtins"])
    return b if isinstance(b, dict) else vars(b)
