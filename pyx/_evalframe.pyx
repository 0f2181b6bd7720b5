# cython: language_level=3
"""The PEP 523 frame evaluator (include/framejit/evalframe.h), seen from Python.

Owns the mode stack's storage (modes.h is compiled into this module so the hook reads
the thread's top entry inline; the hook is installed while some thread has a compile
entry) and exports its function table as the capsule ``fj_modes_api`` for
framejit._modes; wires the hook to the guard interpreter (capsule from framejit._guards), owns the co_extra index, and offers the cache to Python: the
converter callback, per-code cache inspection, markers, reset and counters.

The converter is called as ``converter(code, func, slots, payload)`` with the hook
paused for the calling thread and must return ``(answer, guard, code, info)`` with
answer one of ANSWER_ENTRY, ANSWER_SKIP, ANSWER_RUN_ONLY, ANSWER_DEFAULT_ONCE,
ANSWER_RUN_ONCE (run the returned code now, cache nothing: explain sessions),
ANSWER_INSTALL_SKIP (guard item: a mask of mode keys, or None for the frame's own;
the code runs as it is under framejit.install()'s global entry, see evalframe.h).
"""
from cpython.object cimport PyObject
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New

from modes cimport fj_modes_api_t, fj_mode_stack

cdef extern from "framejit/evalframe.h":
    ctypedef int (*fj_guard_check_t)(PyObject *, PyObject **, Py_ssize_t, PyObject *,
                                     PyObject *, PyObject *)
    ctypedef struct fj_entry:
        fj_entry *next
        PyObject *guard
        PyObject *code
        PyObject *info
        PyObject *backend_key
        int mode_key
        int demoted
        Py_ssize_t hits

    ctypedef struct fj_cache:
        fj_cache *next_cache
        PyObject *code
        int action
        unsigned int install_skip
        Py_ssize_t n_entries
        Py_ssize_t misses
        fj_entry *head

    enum:
        FJ_ACTION_DEFAULT
        FJ_ACTION_SKIP
        FJ_ACTION_RUN_ONLY
        FJ_ANSWER_ENTRY
        FJ_ANSWER_SKIP
        FJ_ANSWER_RUN_ONLY
        FJ_ANSWER_DEFAULT_ONCE
        FJ_ANSWER_RUN_ONCE
        FJ_ANSWER_INSTALL_SKIP

    Py_ssize_t fj_extra_index
    int fj_installed
    PyObject *fj_converter
    fj_guard_check_t fj_guard_check
    fj_modes_api_t fj_modes_api_table
    fj_cache fj_all_caches
    unsigned long long fj_stat_hits, fj_stat_misses, fj_stat_intercepts
    void fj_cache_free(void *) nogil
    fj_cache *fj_cache_get(PyObject *code)
    fj_cache *fj_cache_ensure(PyObject *code) except NULL
    void fj_cache_clear_entries(fj_cache *c)
    void fj_on_activation_change(int active) nogil
    void *fj_get_eval_func()
    int fj_set_passthrough(int on)

cdef extern from "Python.h":
    Py_ssize_t _PyEval_RequestCodeExtraIndex(void (*)(void *))
    void Py_IncRef(PyObject *)
    void Py_DecRef(PyObject *)

ANSWER_ENTRY = FJ_ANSWER_ENTRY
ANSWER_SKIP = FJ_ANSWER_SKIP
ANSWER_RUN_ONLY = FJ_ANSWER_RUN_ONLY
ANSWER_DEFAULT_ONCE = FJ_ANSWER_DEFAULT_ONCE
ANSWER_RUN_ONCE = FJ_ANSWER_RUN_ONCE
ANSWER_INSTALL_SKIP = FJ_ANSWER_INSTALL_SKIP
_ACTIONS = {FJ_ACTION_DEFAULT: "default", FJ_ACTION_SKIP: "skip", FJ_ACTION_RUN_ONLY: "run_only"}
_ACTION_IDS = {v: k for k, v in _ACTIONS.items()}


fj_modes_api = PyCapsule_New(<void *>&fj_modes_api_table, b"framejit._evalframe.fj_modes_api", NULL)


def _init():
    global fj_extra_index, fj_guard_check
    from framejit import _guards
    fj_guard_check = <fj_guard_check_t>PyCapsule_GetPointer(
        _guards.fj_guards_api, b"framejit._guards.fj_guards_api")
    fj_extra_index = _PyEval_RequestCodeExtraIndex(fj_cache_free)
    if fj_extra_index < 0:
        raise RuntimeError("framejit: no co_extra index left in this interpreter")
    fj_modes_api_table.set_activation_cb(fj_on_activation_change)

_init()


def set_converter(converter):
    """Install the Python converter called on a cache miss (None: run frames as they are)."""
    global fj_converter
    cdef PyObject *old = fj_converter
    if converter is None:
        fj_converter = NULL
    else:
        if not callable(converter):
            raise TypeError("converter must be callable")
        Py_IncRef(<PyObject *>converter)
        fj_converter = <PyObject *>converter
    if old != NULL:
        Py_DecRef(old)


def is_installed():
    """True while the hook is this interpreter's frame evaluator."""
    return bool(fj_installed) and fj_get_eval_func() != NULL


def cache_entries(code):
    """The cache of ``code``: a list of dicts (guard, code, info, mode_key, hits, backend,
    demoted), in order; demoted entries are checked after the others."""
    cdef fj_cache *c = fj_cache_get(<PyObject *>code)
    cdef fj_entry *e
    out = []
    if c == NULL:
        return out
    e = c.head
    while e != NULL:
        out.append({
            "guard": <object>e.guard, "code": <object>e.code, "info": <object>e.info,
            "mode_key": e.mode_key, "hits": e.hits, "demoted": bool(e.demoted),
            "backend": <object>e.backend_key if e.backend_key != NULL else None,
        })
        e = e.next
    return out


def demote(code, infos):
    """Demote the entries of ``code`` whose info is one of ``infos`` (by identity): they
    are checked after the other entries and not counted as live; returns how many."""
    cdef fj_cache *c = fj_cache_get(<PyObject *>code)
    cdef fj_entry *e
    ids = {id(i) for i in infos}
    n = 0
    if c == NULL:
        return n
    e = c.head
    while e != NULL:
        if not e.demoted and id(<object>e.info) in ids:
            e.demoted = 1
            n += 1
        e = e.next
    return n


def cache_action(code):
    """'default', 'skip', 'run_only', or None when the code has no cache."""
    cdef fj_cache *c = fj_cache_get(<PyObject *>code)
    return None if c == NULL else _ACTIONS[c.action]


def cache_misses(code):
    cdef fj_cache *c = fj_cache_get(<PyObject *>code)
    return 0 if c == NULL else c.misses


def set_action(code, str action):
    """Mark ``code`` 'skip', 'run_only' or 'default'."""
    if action not in _ACTION_IDS:
        raise ValueError(f"unknown action {action!r}")
    cdef fj_cache *c = fj_cache_ensure(<PyObject *>code)
    c.action = _ACTION_IDS[action]


def clear(code):
    """Drop the entries of one code object and its marker."""
    cdef fj_cache *c = fj_cache_get(<PyObject *>code)
    if c != NULL:
        fj_cache_clear_entries(c)
        c.action = FJ_ACTION_DEFAULT
        c.install_skip = 0
        c.misses = 0


def reset():
    """Drop every entry and marker of every cache."""
    cdef fj_cache *c = fj_all_caches.next_cache
    while c != &fj_all_caches:
        fj_cache_clear_entries(c)
        c.action = FJ_ACTION_DEFAULT
        c.install_skip = 0
        c.misses = 0
        c = c.next_cache


def install_skip(code):
    """The install-skip mask of ``code`` (bit k: mode key k; 0 when it has no cache)."""
    cdef fj_cache *c = fj_cache_get(<PyObject *>code)
    return 0 if c == NULL else c.install_skip


def clear_install_skips():
    """Forget every install-skip mark (framejit.install() with new settings)."""
    cdef fj_cache *c = fj_all_caches.next_cache
    while c != &fj_all_caches:
        c.install_skip = 0
        c = c.next_cache


def cached_codes():
    """Every code object that has a cache now."""
    cdef fj_cache *c = fj_all_caches.next_cache
    out = []
    while c != &fj_all_caches:
        out.append(<object>c.code)
        c = c.next_cache
    return out


def stats():
    """Counters since import: frames intercepted, cache hits, converter calls."""
    return {"intercepts": fj_stat_intercepts, "hits": fj_stat_hits, "misses": fj_stat_misses}


def set_passthrough_evaluator(bint on):
    """Benchmark floor: install (or remove) a do-nothing C eval function."""
    if fj_set_passthrough(on) < 0:
        raise RuntimeError("cannot install the pass-through evaluator while framejit's hook is active")


def set_explaining(bint on):
    """Enter (True) or leave (False) an explain session on this thread: while inside,
    the hook neither reads nor writes code caches and asks the converter every time."""
    cdef fj_mode_stack *s = fj_modes_api_table.current()
    if s == NULL:
        raise MemoryError()
    if on:
        s.explaining += 1
    elif s.explaining > 0:
        s.explaining -= 1


def explaining():
    cdef fj_mode_stack *s = fj_modes_api_table.current()
    return s != NULL and s.explaining > 0


cdef class PausedCall:
    """Calls ``fn`` with the hook paused for the calling thread: a compiled graph that a
    user backend returned runs as plain Python, never traced (DESIGN.md: backends and
    compiled graphs always run with the hook paused)."""
    cdef readonly object fn

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"a backend must return a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, *args, **kwargs):
        cdef fj_mode_stack *s = fj_modes_api_table.current()
        if s == NULL:
            raise MemoryError()
        s.paused += 1
        try:
            return self.fn(*args, **kwargs)
        finally:
            s.paused -= 1
