"""The oracle: a run-time model of SEMANTICS.md's mode stack and break rule, and the
program state it snapshots (see framejit.testing.programs)."""
import copy
import dataclasses

import numpy as np

from .programs import COLS

# ------------------------------------------------------------------ inputs and state
def make_inputs(prog, rows):
    rng = np.random.default_rng(prog.seed)
    base = rng.standard_normal((rows, 2 * COLS)) * 2.0
    if prog.layout == "strided":
        x = base[:, ::2]
    elif prog.layout == "F":
        x = np.asfortranarray(base[:, :COLS])
    else:
        x = np.ascontiguousarray(base[:, :COLS])
    if prog.special == "nan":
        x[0, 0] = np.nan
    elif prog.special == "inf":
        x[0, 0] = np.inf
    y = rng.standard_normal(COLS)
    return x, y


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


# ------------------------------------------------------------------ the model (oracle)

class ModelBreak(Exception):
    def __init__(self, site, state):
        super().__init__(site)
        self.site = site
        self.state = state


class Model:
    """The oracle's run-time model of SEMANTICS.md: a mode stack and the break rule."""

    def __init__(self):
        self.stack = []
        self.events = []
        self.ns = None
        self.inputs = None
        self.segment_start = None

    def snapshot(self):
        return capture_state(self.ns, self.inputs)

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

    def _at_break(self, site):
        r = self.raises()
        self.events.append((site, r, tuple(self.stack)))
        if r:
            raise ModelBreak(site, self.segment_start)

    def brk(self, site, thunk=None):
        if not self.traced():
            return thunk() if thunk else None
        self._at_break(site)
        out = thunk() if thunk else None
        self.segment_start = self.snapshot()          # resume right after the construct
        return out

    def dcall(self, site, fn, *args):
        traced = self.traced()
        if traced:
            self._at_break(site)
        self.stack.append(("disable",))
        try:
            out = fn(*args)
        finally:
            self.stack.pop()
        if traced:
            self.segment_start = self.snapshot()
        return out

    def _wrap(self, entry, fn, fresh_frame=False):
        model = self

        def wrapper(*args):
            new_frame = fresh_frame and not model.traced()
            model.stack.append(entry)
            try:
                if new_frame:
                    model.segment_start = model.snapshot()
                return fn(*args)
            finally:
                model.stack.pop()

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


