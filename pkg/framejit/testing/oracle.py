"""The oracle: a run-time model of SEMANTICS.md's mode stack and break rule, and the
program state it snapshots (see framejit.testing.programs)."""
import copy
import dataclasses

import numpy as np

from .programs import COLS

# ------------------------------------------------------------------ inputs and state
def inputs_for(rows, dtype, layout, seed, special, scalars):
    """The arguments of one call of `entry` (also pasted into standalone reproducers)."""
    rng = np.random.default_rng(seed)
    base = (rng.standard_normal((rows, 2 * COLS)) * 2.0).astype(dtype)
    if layout == "strided":
        x = base[:, ::2]
    elif layout == "F":
        x = np.asfortranarray(base[:, :COLS])
    else:
        x = np.ascontiguousarray(base[:, :COLS])
    if special == "nan":
        x[0, 0] = np.nan
    elif special == "inf":
        x[0, 0] = np.inf
    y = rng.standard_normal(COLS).astype(dtype)
    return (x, y) + tuple(scalars)


def call_args(prog, call):
    """`call` (a programs.Call, or a row count: the first call's scalars) resolved against
    the program: the arguments of inputs_for."""
    if isinstance(call, int):
        calls = prog.call_list()
        call = dataclasses.replace(calls[0], rows=call)
    return (call.rows, call.dtype, prog.layout if call.layout is None else call.layout,
            prog.seed + call.seed, prog.special if call.special is None else call.special,
            tuple(call.scalars))


def make_inputs(prog, call):
    return inputs_for(*call_args(prog, call))


def reset_state(ns):
    ns["LOG"].clear()
    ns["STATE"].clear()
    ns["STATE"]["n"] = 0
    ns["COUNT"] = 0
    ns["BUF"].seek(0)
    ns["BUF"].truncate(0)


def capture_state(ns, inputs):
    return {
        "LOG": copy.deepcopy(ns["LOG"]),
        "STATE": copy.deepcopy(ns["STATE"]),
        "COUNT": ns["COUNT"],
        "BUF": ns["BUF"].getvalue(),
        "x": np.array(inputs[0]),
        "y": np.array(inputs[1]),
    }


@dataclasses.dataclass
class Outcome:
    kind: str                 # "return" | "user" | "break" | "error"
    value: object = None      # return value, user message, break site
    state: dict = None
    detail: str = ""
    events: list = None       # model only: [(site, raises, stack)]
    graph_runs: int = -1
    flags: frozenset = frozenset()   # model only: situations known bugs depend on


# ------------------------------------------------------------------ the model (oracle)

class ModelBreak(Exception):
    """The model's GraphBreakError (named so where user code logs exception names)."""

    def __init__(self, site, state):
        super().__init__(site)
        self.site = site
        self.state = state          # the state the raising segment started from
        self.boundary = None        # the compiled frame whose call it is raised out of


ModelBreak.__name__ = ModelBreak.__qualname__ = "GraphBreakError"


class Model:
    """The oracle's run-time model of SEMANTICS.md: a mode stack and the break rule."""

    def __init__(self):
        self.stack = []
        self.events = []
        self.ns = None
        self.inputs = None
        self.segment_start = None
        self.frames = []            # tokens of compiled frames entered from untraced code
        self.pending = None         # a ModelBreak not yet out of its compiled frame
        self.flags = set()

    def snapshot(self):
        return capture_state(self.ns, self.inputs)

    def restore(self, state):
        """Put the program state back to `state` (in place: LOG, STATE, COUNT, BUF, x, y)."""
        ns = self.ns
        ns["LOG"][:] = copy.deepcopy(state["LOG"])
        ns["STATE"].clear()
        ns["STATE"].update(copy.deepcopy(state["STATE"]))
        ns["COUNT"] = state["COUNT"]
        ns["BUF"].seek(0)
        ns["BUF"].truncate(0)
        ns["BUF"].write(state["BUF"])
        self.inputs[0][...] = state["x"]
        self.inputs[1][...] = state["y"]

    def traced(self):
        for entry in reversed(self.stack):
            if entry[0] in ("disable", "nonstrict"):
                return False
            if entry[0] == "compile":
                return True
        return False

    def raises(self):
        strict = False
        for entry in self.stack:                       # outermost -> innermost
            if entry[0] == "compile" and entry[1]:
                strict = True
            elif entry[0] == "setfg":
                strict = entry[1]
        if strict:
            return True
        for entry in reversed(self.stack):             # innermost eogb decides
            if entry[0] == "eogb":
                return entry[1]
        return False

    # A raising break (SEMANTICS §3) is raised out of the call of the compiled frame that
    # was entered from untraced code, before any code of its segment runs. The model runs
    # on in plain Python while the ModelBreak propagates through that frame (finally
    # bodies, __exit__s: code of the raising segment or later, which never runs compiled):
    # meanwhile (`pending`) no break site counts, and when the exception leaves the frame
    # the state is put back to the start of the raising segment. Beyond the frame the
    # GraphBreakError is an ordinary exception again (plain frames' handlers run).
    def _at_break(self, site):
        r = self.raises()
        self.events.append((site, r, tuple(self.stack)))
        if r:
            mb = ModelBreak(site, self.segment_start)
            mb.boundary = self.frames[-1]
            self.pending = mb
            raise mb

    def brk(self, site):
        """graph_break()."""
        self.call(site, lambda: None)

    def call(self, site, fn, *args, **kwargs):
        """A construct that breaks (print, bool/float/.item() of an array value), after
        its operands were evaluated (they may raise first, as in Python)."""
        if self.pending is not None or not self.traced():
            return fn(*args, **kwargs)
        self._at_break(site)
        out = fn(*args, **kwargs)
        self.segment_start = self.snapshot()          # resume right after the construct
        return out

    @staticmethod
    def item(v):
        return v.item()

    def dcall(self, site, fn, *args):
        traced = self.pending is None and self.traced()
        if traced:
            self._at_break(site)
        self.stack.append(("disable",))
        try:
            return fn(*args)
        finally:
            self.stack.pop()
            if traced and self.pending is None:     # the call ran (returned or raised)
                self.segment_start = self.snapshot()

    def _wrap(self, entry, fn, fresh_frame=False):
        model = self

        def wrapper(*args):
            new_frame = fresh_frame and not model.traced()
            token = object()
            model.stack.append(entry)
            if new_frame:
                model.frames.append(token)
                if model.pending is None:
                    model.segment_start = model.snapshot()
            try:
                return fn(*args)
            finally:
                model.stack.pop()
                if new_frame:
                    model.frames.pop()
                    mb = model.pending
                    if mb is not None and mb.boundary is token:
                        model.pending = None
                        model.restore(mb.state)
                        raise mb              # whatever else was propagating or returned

        wrapper.__name__ = fn.__name__
        return wrapper

    def compile(self, fullgraph):
        return lambda fn: self._wrap(("compile", fullgraph), fn, fresh_frame=True)

    def mode(self, kind, flag):
        return lambda fn: self._wrap((kind, flag), fn)

    def nonstrict(self, fn):
        return self._wrap(("nonstrict",), fn)

    def ctx(self, kind, flag):
        model = self

        class _Ctx:
            def __enter__(self):
                model.stack.append((kind, flag))

            def __exit__(self, *exc):
                model.stack.pop()
                return False

        return _Ctx()


