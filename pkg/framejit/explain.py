"""``framejit.explain(fn)(*args)``: compile afresh on a private cache and report.

The call runs for real (its side effects happen), inside an explain session on the
calling thread: the frame hook then neither reads nor writes any code object's cache
and asks the converter for every frame; the converter keeps this session's own cache
(entries per code object, keyed by guards and by the resolved mode and backend) and
answers "run this code once". Graph breaks never raise inside a session: a break the
mode would forbid is recorded (``would_raise=True``) and its frame runs unoptimized.
"""
import threading
import time
from dataclasses import dataclass, field

from . import _native
from .bytecode.identity import IdentityWeakKeyDict

_ef = _native._evalframe
_modes = _native._modes
_state = threading.local()


@dataclass(frozen=True)
class BreakReason:
    kind: str
    message: str
    user_stack: tuple
    hint: str = ""
    would_raise: bool = False

    def __str__(self):
        where = f" at {self.user_stack[-1].filename}:{self.user_stack[-1].lineno}" if self.user_stack else ""
        return f"{self.kind}{where}: {self.message}"


@dataclass
class ExplainReport:
    graph_count: int = 0
    graph_break_count: int = 0
    break_reasons: list = field(default_factory=list)
    ops_per_graph: list = field(default_factory=list)
    guards: list = field(default_factory=list)
    compile_time: float = 0.0
    graphs: list = field(default_factory=list)
    result: object = None
    # frames that resumed around a call because a break inside the callee could not
    # resume through them (not counted in graph_break_count: the callee reports it)
    split_around_calls: list = field(default_factory=list)
    # (function, why) per frame left running unoptimized by a break that cannot resume
    unoptimized_frames: list = field(default_factory=list)

    def __str__(self):
        lines = [f"graphs: {self.graph_count}, graph breaks: {self.graph_break_count}, "
                 f"ops per graph: {self.ops_per_graph}, compile time: "
                 f"{1e3 * self.compile_time:.2f} ms"]
        lines += [f"  break {i + 1}: {r}" for i, r in enumerate(self.break_reasons)]
        lines += [f"  resumed around a call: {r}" for r in self.split_around_calls]
        lines += [f"  runs unoptimized: {fn} ({why})" for fn, why in self.unoptimized_frames]
        lines += [f"  guard: {g}" for g in self.guards]
        return "\n".join(lines)


class Session:
    """One explain() call: the private cache and what was compiled into it."""

    def __init__(self):
        self.cache = IdentityWeakKeyDict()    # equal code objects are distinct functions
        self.report = ExplainReport()

    def lookup(self, code, func, slots, key):
        for entry_key, guard, replacement, _ in self.cache.get(code, ()):
            if entry_key == key and (guard is None or guard.check(
                    slots, func.__globals__, _builtins(func), func.__closure__)):
                return replacement
        return None

    def store(self, code, key, guard, replacement, info=None):
        self.cache.setdefault(code, []).append((key, guard, replacement, info))

    def infos(self, code):
        """What the session's earlier entries for ``code`` assumed (automatic dynamic)."""
        return [e[3] for e in self.cache.get(code, ()) if e[3] is not None]

    def record(self, result=None, *, elapsed=0.0, forbidden=None):
        rep = self.report
        rep.compile_time += elapsed
        if forbidden is not None:
            rep.graph_break_count += 1
            gb = getattr(forbidden, "graph_break", None)
            rep.break_reasons.append(_reason(gb, True) if gb is not None else BreakReason(
                forbidden.kind, str(forbidden), tuple(forbidden.user_stack), forbidden.hint, True))
            return
        if result.graph is not None:
            rep.graph_count += 1
            rep.graphs.append(result.graph)
            rep.ops_per_graph.append(len(result.graph.nodes))
        if result.break_at is not None and not result.break_at.resumable:
            rep.unoptimized_frames.append((result.code.co_name, result.break_at.why_not))
        for gb in result.breaks:
            if gb.forced:
                # an outer frame resuming around a call: the callee compiles on its own
                # and reports the real break (each break site counts once per compile)
                rep.split_around_calls.append(_reason(gb, False))
                continue
            rep.graph_break_count += 1
            rep.break_reasons.append(_reason(gb, False))
        rep.guards.extend(str(g) for g in result.guards)


def _reason(gb, would_raise):
    return BreakReason(gb.kind.value, gb.message or gb.detail, tuple(gb.user_stack), gb.hint,
                       would_raise)


def _builtins(func):
    from .trace.tracer import builtins_dict
    return builtins_dict(func.__globals__)


def current():
    """The calling thread's explain session, or None."""
    return getattr(_state, "session", None)


def _has_compile(fn):
    seen = 0
    while fn is not None and seen < 50:
        if getattr(fn, "__framejit_compile__", None) is not None:
            return True
        fn = getattr(fn, "__wrapped__", None)
        seen += 1
    return False


def explain(fn):
    """``explain(fn)(*args, **kwargs) -> ExplainReport``; ``fn`` is any callable."""
    if not callable(fn):
        raise TypeError(f"framejit.explain expects a callable, got {type(fn).__name__}")
    from .api import compile as fj_compile
    target = fn if _has_compile(fn) else fj_compile(fn)

    def run(*args, **kwargs):
        outer = current()
        session = Session()
        _state.session = session
        _ef.set_explaining(True)
        start = time.perf_counter()
        try:
            session.report.result = target(*args, **kwargs)
        finally:
            _ef.set_explaining(False)
            _state.session = outer
        session.report.wall_time = time.perf_counter() - start
        return session.report

    return run
