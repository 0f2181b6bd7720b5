"""The converter: what the frame hook calls when a code object misses its cache.

``convert(code, func, slots, options)`` decides whether the frame is user code at all
(framejit itself, NumPy, the standard library, site-packages, module and class bodies
are marked SKIP once), enforces ``config.cache_size_limit`` over the live entries (then
RUN_ONLY, with one warning naming the guard that kept failing; entries demoted because
an int they specialized on became dynamic do not count), and otherwise builds a new
cache entry:
a guard program plus a replacement code object that takes the frame's argument slots
positionally. Under ``framejit.install()`` (the options are ``InstallOptions``) the
install scope decides what is user code, and ``convert_installed`` lets a frame with
nothing worth running go uncompiled for good (see there). It always runs with the hook
paused for its thread; its exceptions propagate out of the call of the compiled
function.
"""
import logging
import time
import warnings
import weakref

from . import _native, debug, explain
from .errors import GraphBreakError
from .mode_reach import may_reach_forbidding_mode
from .config import config
from .guards.guards import lower as lower_guards
from .trace.api import build_break, build_callable, trace_frame
from .trace.codegen import slot_code
from .trace import dynamic
from .trace.sources import FrameEnv
from .trace.tracer import builtins_dict
from .trace.wrap import is_library_code
from .trace.resume import origin as _resume_origin


def original_code(code):
    """The user code a resume function was generated from (``code`` itself otherwise)."""
    return _resume_origin(code, 0)[0]

_ef = _native._evalframe
_modes = _native._modes

_CO_OPTIMIZED = 0x1


_SKIP_MODULES = ("framejit", "numpy")


def _library_module(module_name):
    """True for framejit's and NumPy's own modules (also their exec'd helper code)."""
    if not isinstance(module_name, str):
        return False
    return module_name.split(".", 1)[0] in _SKIP_MODULES


def is_user_code(code, module_name=None):
    """True for code that framejit may trace: user files, not libraries or framejit.

    Code compiled from a string (filename ``<...>``) belongs to the module whose globals
    it runs in: dataclass-generated ``__init__`` of a framejit class is framejit's, and
    framejit names the code it generates ``<framejit...>``.
    """
    name = code.co_filename
    if name.startswith("<"):
        return not (name.startswith(("<frozen", "<framejit")) or _library_module(module_name))
    return not is_library_code(code)   # the tracer's own verdict: one list of library dirs


def should_skip(code, options, func=None):
    """SKIP: module/class bodies, and code that is not the user's (unless compiled explicitly)."""
    if not code.co_flags & _CO_OPTIMIZED:
        return True
    if options is not None and options.code is not None and (
            options.code is code or original_code(code) is options.code):
        return False   # compiled explicitly (or a resume function of it): traced anywhere
    module = func.__globals__.get("__name__") if func is not None else None
    scope = getattr(options, "scope", None)     # framejit.install(include=, exclude=)
    if scope is not None:
        return not scope.traces(code, module)
    return not is_user_code(code, module)


class EntryInfo:
    """What a cache entry remembers for reports: how it was made and what it assumed."""
    __slots__ = ("kind", "graphs", "guards", "breaks", "compile_time", "why", "int_guards")

    def __init__(self, kind, graphs=(), guards=(), breaks=(), compile_time=0.0, why=""):
        self.kind = kind
        self.why = why            # "unoptimized": why the break could not resume
        self.graphs = tuple(graphs)
        # Descriptions, not Guard objects: an entry must not own the functions its
        # guards name (a cycle through co_extra that the collector cannot see).
        self.guards = tuple(str(g) for g in guards)
        # (source, int) of VALUE guards: a recompile re-checks them to mark sources dynamic
        self.int_guards = dynamic.int_value_guards(guards)
        self.breaks = tuple(breaks)
        self.compile_time = compile_time

    def __repr__(self):
        return f"EntryInfo({self.kind}, graphs={len(self.graphs)}, guards={len(self.guards)})"


_limit_warned = weakref.WeakValueDictionary()    # id(code) -> code: warned once


def _cache_limit_reached(code):
    entries = [e for e in _ef.cache_entries(code) if not e["demoted"]]
    if len(entries) < config.cache_size_limit:
        return False
    if _ef.cache_action(code) == "run_only" or _limit_warned.get(id(code)) is code:
        return True      # warned when it was reached
    _limit_warned[id(code)] = code
    last = entries[-1]["guard"]
    failed = last.failed_description() if last is not None and hasattr(last, "failed_description") else None
    warnings.warn(
        f"framejit: {code.co_name} ({code.co_filename}:{code.co_firstlineno}) reached "
        f"config.cache_size_limit={config.cache_size_limit} compiled entries; it now runs "
        f"unoptimized (where a graph break would raise, each call is still traced, "
        f"uncached). The guard that kept failing: {failed or 'unknown'}",
        RuntimeWarning, stacklevel=2)
    return True


def _backend_for(options):
    """The backend callable a compile entry asked for. A user's backend returns a
    callable that must run with the hook paused (it is not user code to compile)."""
    backend = options.backend if options is not None else "kernels"
    if not callable(backend):
        from . import backends
        return backends.by_name(backend)
    return lambda graph, example_inputs: _ef.PausedCall(backend(graph, example_inputs))


def convert(code, func, slots, options, install_policy=True):
    """The hook's miss path: an (answer, guard, code, info) tuple for this frame."""
    if install_policy and options is not None and options.installed:
        return convert_installed(code, func, slots, options)
    if should_skip(code, options, func):
        return (_ef.ANSWER_SKIP, None, None, None)
    session = explain.current()
    if session is not None:
        return _convert_explained(session, code, func, slots, options)
    if _cache_limit_reached(code):
        if _modes.would_raise() or may_reach_forbidding_mode(code, func, slots):
            # a forbidden break must still raise before its segment runs: trace this call,
            # run it, cache nothing (mode_reach.py; such a frame is never marked RUN_ONLY:
            # the hook would then run it unoptimized without asking)
            _, _, replacement, _ = convert_traced(code, func, slots, options)
            return (_ef.ANSWER_RUN_ONCE, None, replacement, None)
        return (_ef.ANSWER_RUN_ONLY, None, None, None)
    recompile = [e for e in _ef.cache_entries(code) if not e["demoted"]]
    if recompile:
        debug.log_recompile(code, recompile)
        _mark_dynamic(code, func, slots, recompile)
    return convert_traced(code, func, slots, options)


_ALL_MODE_KEYS = 0b1111     # install-skip under every mode key (strict | eogb << 1)


def convert_installed(code, func, slots, options):
    """convert() for a frame whose innermost compile entry is framejit.install()'s global
    one: the same entries as under ``compile``, except for frames with nothing worth
    running, which are marked install-skip for the mode they were traced under and run
    as they are, now and on later calls under the global entry (evalframe.h):
    - a function whose trace built no graph: pure Python, or breaks before any array
      work (what follows its first break is then not compiled either; its callees are,
      as frames of their own);
    - a resume function whose trace built no graph and did not break (a pure tail; one
      that breaks keeps its entry, so array work after the break is compiled);
    and only when no entry of the code has a graph. include/exclude leave code out
    under every mode. Running the original code is always correct (a trace has no
    effects); a break that the mode forbids still raises."""
    if code.co_flags & _CO_OPTIMIZED and should_skip(code, options, func):
        return (_ef.ANSWER_INSTALL_SKIP, _ALL_MODE_KEYS, None, None)
    answer = convert(code, func, slots, options, install_policy=False)
    info = answer[3]
    if (answer[0] == _ef.ANSWER_ENTRY and not info.graphs
            and (info.kind != "break" or original_code(code) is code)
            and not any(e["info"] is not None and e["info"].graphs
                        for e in _ef.cache_entries(code))):
        return (_ef.ANSWER_INSTALL_SKIP, None, None, None)
    return answer


def convert_traced(code, func, slots, options, session=None):
    """Trace the frame and build its entry: (answer, guard, replacement code, info)."""
    start = time.perf_counter()
    globals_ = func.__globals__
    result = trace_frame(code, globals_, builtins_dict(globals_), func.__closure__, slots,
                         _modes.stack())
    debug.log_trace(result)
    if session is not None:
        session.record(result, elapsed=time.perf_counter() - start)
    if result.break_at is not None:
        if result.break_at.resumable:
            # graph so far, the break in plain Python, then resume functions (which the
            # hook compiles on first entry); the break runner is never traced
            new_code, runner = build_break(result, _backend_for(options))
            _ef.set_action(runner, "skip")
            _ef.set_action(slot_code(code), "skip")
            info = EntryInfo("break", graphs=(result.graph,) if result.graph is not None
                             else (), guards=result.guards, breaks=result.breaks,
                             compile_time=time.perf_counter() - start)
            debug.log_guards(code, result.guards)
            return (_ef.ANSWER_ENTRY, lower_guards(result.guards), new_code, info)
        # a live value that cannot be rebuilt: this frame runs unoptimized, correctly
        # (counted: EntryInfo kind, explain's unoptimized_frames; logged with the reason)
        why = result.break_at.why_not
        _log_unresumable(code, why)
        info = EntryInfo("unoptimized", breaks=result.breaks,
                         compile_time=time.perf_counter() - start, why=why)
        return (_ef.ANSWER_ENTRY, None, slot_code(code), info)
    if result.exception is not None:
        # Under these guards the frame raises. Running the original code raises the same
        # exception after the same side effects, with CPython's own traceback through
        # every user frame (inlined calls included).
        info = EntryInfo("raises", guards=result.guards,
                         compile_time=time.perf_counter() - start)
        return (_ef.ANSWER_ENTRY, lower_guards(result.guards), slot_code(code), info)
    fn = build_callable(result, _backend_for(options))
    _ef.set_action(slot_code(code), "skip")    # run plainly when a graph fails
    guard = lower_guards(result.guards)
    info = EntryInfo("traced", graphs=(result.graph,) if result.graph is not None else (),
                     guards=result.guards, breaks=result.breaks,
                     compile_time=time.perf_counter() - start)
    debug.log_guards(code, result.guards)
    return (_ef.ANSWER_ENTRY, guard, fn.__code__, info)


def _mark_dynamic(code, func, slots, entries, demote=True):
    """Automatic dynamic: ints whose value guard failed are traced as dynamic from now on
    (trace/dynamic.py), so a loop counter or position does not recompile per value. The
    entries that specialized on them are demoted: checked after the others and not
    counted toward cache_size_limit (an outer loop's variable seen by an inner loop's
    resume function specializes every entry of the first outer iteration before it is
    known to vary); they still serve their own values on later calls."""
    globals_ = func.__globals__
    env = FrameEnv(tuple(slots), globals_, builtins_dict(globals_), tuple(func.__closure__ or ()))
    infos = [e["info"] for e in entries]
    new = dynamic.mark_failed(code, infos, env)
    if new:
        debug.log_dynamic(code, new)
        if demote:
            _ef.demote(code, dynamic.specialized_on(infos, new))


def _log_unresumable(code, why):
    """The graph_breaks log records each frame that a break left running unoptimized."""
    if debug.enabled("graph_breaks"):
        logging.getLogger("framejit.graph_breaks").debug(
            "%s (%s:%d) runs unoptimized: the break cannot resume (%s)", code.co_name,
            code.co_filename, code.co_firstlineno, why)


def _convert_explained(session, code, func, slots, options):
    """convert() inside framejit.explain(): the session's private cache, never raising."""
    key = (_modes.resolved()[:2], id(options.backend) if options is not None else None)
    replacement = session.lookup(code, func, slots, key)
    if replacement is None:
        start = time.perf_counter()
        info = None
        if session.infos(code):
            _mark_dynamic(code, func, slots, [{"info": i} for i in session.infos(code)],
                          demote=False)
        try:
            _, guard, replacement, info = convert_traced(code, func, slots, options,
                                                         session=session)
        except GraphBreakError as err:
            # A break the mode forbids: reported, and the frame runs unoptimized.
            session.record(elapsed=time.perf_counter() - start, forbidden=err)
            guard, replacement = None, slot_code(code)
        session.store(code, key, guard, replacement, info)
    return (_ef.ANSWER_RUN_ONCE, None, replacement, None)


_ef.set_converter(convert)


def reset():
    """Forget every compiled entry and marker; free the output cache's blocks."""
    _ef.reset()
    dynamic.reset()
    _native._kernels.cache_clear()
