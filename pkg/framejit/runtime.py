"""The converter: what the frame hook calls when a code object misses its cache.

``convert(code, func, slots, options)`` decides whether the frame is user code at all
(framejit itself, NumPy, the standard library, site-packages, module and class bodies
are marked SKIP once), enforces ``config.cache_size_limit`` (then RUN_ONLY, with one
warning naming the guard that kept failing), and otherwise builds a new cache entry:
a guard program plus a replacement code object that takes the frame's argument slots
positionally. It always runs with the hook paused for its thread; its exceptions
propagate out of the call of the compiled function.
"""
import os
import sys
import sysconfig
import types
import warnings

import numpy as np

from . import _native
from .config import config

_ef = _native._evalframe

_CO_OPTIMIZED = 0x1
_CO_VARARGS = 0x4
_CO_VARKEYWORDS = 0x8


def _skip_prefixes():
    """Directories whose code is never traced (unless compiled explicitly)."""
    paths = sysconfig.get_paths()
    dirs = {os.path.dirname(__file__), os.path.dirname(np.__file__)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            dirs.add(paths[key])
    for p in sys.path:
        if p.endswith(("site-packages", "dist-packages")):
            dirs.add(p)
    return tuple(os.path.realpath(d) + os.sep for d in dirs)


_SKIP_PREFIXES = _skip_prefixes()
_filename_verdicts = {}


def is_user_code(code):
    """True for code that framejit may trace: user files, not libraries or framejit."""
    verdict = _filename_verdicts.get(code.co_filename)
    if verdict is None:
        name = code.co_filename
        if name.startswith("<frozen") or name.startswith("<framejit"):
            verdict = False
        elif name.startswith("<"):
            verdict = True          # exec'd or interactive user code
        else:
            real = os.path.realpath(name)
            verdict = not real.startswith(_SKIP_PREFIXES)
        _filename_verdicts[code.co_filename] = verdict
    return verdict


def should_skip(code, options):
    """SKIP: module/class bodies, and code that is not the user's (unless compiled explicitly)."""
    if not code.co_flags & _CO_OPTIMIZED:
        return True
    if options is not None and options.code is code:
        return False
    return not is_user_code(code)


def slot_code(code):
    """The same code taking the frame's argument slots positionally (localsplus order)."""
    nslots = code.co_argcount + code.co_kwonlyargcount
    nslots += bool(code.co_flags & _CO_VARARGS) + bool(code.co_flags & _CO_VARKEYWORDS)
    return code.replace(co_argcount=nslots, co_posonlyargcount=0, co_kwonlyargcount=0,
                        co_flags=code.co_flags & ~(_CO_VARARGS | _CO_VARKEYWORDS))


class EntryInfo:
    """What a cache entry remembers for reports: how it was made and what it assumed."""
    __slots__ = ("kind", "graphs", "guards", "breaks", "compile_time")

    def __init__(self, kind, graphs=(), guards=(), breaks=(), compile_time=0.0):
        self.kind = kind
        self.graphs = tuple(graphs)
        self.guards = tuple(guards)
        self.breaks = tuple(breaks)
        self.compile_time = compile_time

    def __repr__(self):
        return f"EntryInfo({self.kind}, graphs={len(self.graphs)}, guards={len(self.guards)})"


def _cache_limit_reached(code):
    entries = _ef.cache_entries(code)
    if len(entries) < config.cache_size_limit:
        return False
    last = entries[-1]["guard"]
    failed = last.failed_description() if last is not None and hasattr(last, "failed_description") else None
    warnings.warn(
        f"framejit: {code.co_name} ({code.co_filename}:{code.co_firstlineno}) reached "
        f"config.cache_size_limit={config.cache_size_limit} compiled entries; it now runs "
        f"unoptimized. The guard that kept failing: {failed or 'unknown'}",
        RuntimeWarning, stacklevel=2)
    return True


def convert(code, func, slots, options):
    """The hook's miss path: an (answer, guard, code, info) tuple for this frame."""
    if should_skip(code, options):
        return (_ef.ANSWER_SKIP, None, None, None)
    if _cache_limit_reached(code):
        return (_ef.ANSWER_RUN_ONLY, None, None, None)
    return (_ef.ANSWER_ENTRY, None, slot_code(code), EntryInfo("original"))


_ef.set_converter(convert)


def reset():
    """Forget every compiled entry and marker."""
    _ef.reset()
    _filename_verdicts.clear()
