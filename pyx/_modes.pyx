# cython: language_level=3
"""The C-level, thread-local mode stack (include/framejit/modes.h), seen from Python.

The stack's storage lives in framejit._evalframe (the frame hook reads it inline);
this module reaches it through the function table that _evalframe exports.
Kinds cross the Python boundary as strings: "compile", "error_on_graph_break",
"set_fullgraph", "disable". All functions act on the calling thread's stack only.
"""
from cpython.object cimport PyObject

from modes cimport *

from framejit._evalframe import fj_modes_api as _api_capsule
from cpython.pycapsule cimport PyCapsule_GetPointer

cdef fj_modes_api_t *_api = <fj_modes_api_t *>PyCapsule_GetPointer(
    _api_capsule, b"framejit._evalframe.fj_modes_api")
cdef fj_modes_api_t fj_modes_api_table = _api[0]


cdef int fj_modes_pop(unsigned long long token) except -1:
    return fj_modes_api_table.pop(token)


KINDS = ("compile", "error_on_graph_break", "set_fullgraph", "disable")
_KIND_IDS = {name: i + 1 for i, name in enumerate(KINDS)}

def push(str kind, bint flag=False, payload=None):
    """Push an entry on this thread's stack; returns the token that pops it."""
    cdef int kid = _KIND_IDS.get(kind, 0)
    if kid == 0:
        raise ValueError(f"unknown mode kind {kind!r}; expected one of {KINDS}")
    cdef unsigned long long tok = fj_modes_api_table.push(
        kid, flag, <PyObject *>payload if payload is not None else NULL)
    if tok == 0:
        raise MemoryError("framejit: mode stack push failed")
    return tok


def pop(unsigned long long token):
    """Pop the top entry; RuntimeError (stack untouched) unless it carries ``token``."""
    fj_modes_pop(token)


def stack():
    """This thread's stack, outermost first, as (kind, flag) pairs; framejit.install()'s
    global compile entry, when installed, comes first (it is not counted by depth())."""
    cdef fj_mode_stack *s = fj_modes_api_table.current()
    cdef const fj_mode_entry *g = fj_modes_api_table.installed()
    cdef Py_ssize_t i
    base = (("compile", bool(g.flag)),) if g != NULL else ()
    return base + tuple((KINDS[s.entries[i].kind - 1], bool(s.entries[i].flag))
                        for i in range(s.len))


def payloads():
    """The payloads of the entries of stack(), outermost first (None where unset)."""
    cdef fj_mode_stack *s = fj_modes_api_table.current()
    cdef const fj_mode_entry *g = fj_modes_api_table.installed()
    cdef Py_ssize_t i
    base = (<object>g.payload,) if g != NULL and g.payload != NULL else ((None,) if g != NULL else ())
    return base + tuple(<object>s.entries[i].payload if s.entries[i].payload != NULL else None
                        for i in range(s.len))


def install_global(bint fullgraph, payload):
    """Make the global compile entry (framejit.install) ``compile(fullgraph)`` with
    ``payload``; it is the outermost entry of every thread's stack. The payload is kept
    alive for good (entries pushed meanwhile borrow it)."""
    fj_modes_api_table.install(fullgraph, <PyObject *>payload)


def uninstall_global():
    """Remove the global compile entry (idempotent)."""
    fj_modes_api_table.uninstall()


def installed_global():
    """(fullgraph, payload) of the global compile entry, or None."""
    cdef const fj_mode_entry *g = fj_modes_api_table.installed()
    if g == NULL:
        return None
    return (bool(g.flag), <object>g.payload if g.payload != NULL else None)


def resolved():
    """(strict, error_on_graph_break, active) for the top of this thread's stack."""
    cdef const fj_mode_entry *t = fj_modes_api_table.top()
    return (bool(t.strict), bool(t.eogb), bool(t.active))


def would_raise():
    """Would a graph break raise here, in plain run-time terms? O(1)."""
    cdef const fj_mode_entry *t = fj_modes_api_table.top()
    return bool(t.strict or t.eogb)


def innermost_compile_payload():
    """The payload of the innermost compile entry (its options), or None."""
    cdef const fj_mode_entry *t = fj_modes_api_table.top()
    return <object>t.compile_payload if t.compile_payload != NULL else None


def depth():
    """Entries pushed on this thread's stack (framejit.install()'s global one excluded)."""
    return fj_modes_api_table.current().len


def compile_entries_total():
    """Compile entries over all threads, framejit.install()'s global one included (the
    hook is installed while > 0)."""
    return fj_modes_api_table.compile_entries_total()


cdef bint _plain = False   # framejit.config.disable mirrored here: wrappers call straight through


def set_plain(bint value):
    """Mirror of ``framejit.config.disable``: when True every wrapper is a plain call."""
    global _plain
    _plain = value


cdef class ModeCall:
    """Calls ``fn`` with one mode entry pushed: the engine of every framejit wrapper.

    Pushing and popping happen in C around ``fn``'s call (popped also on exceptions),
    which keeps a compiled function's call overhead small. Wrapper metadata
    (``functools.wraps``) lives in the instance ``__dict__``; ``__get__`` binds it as a
    method like a plain function would.
    """
    cdef readonly object fn
    cdef readonly int kind
    cdef readonly bint flag
    cdef readonly object payload
    cdef dict __dict__
    cdef object __weakref__

    def __init__(self, fn, str kind, bint flag=False, payload=None):
        cdef int kid = _KIND_IDS.get(kind, 0)
        if kid == 0:
            raise ValueError(f"unknown mode kind {kind!r}")
        self.fn = fn
        self.kind = kid
        self.flag = flag
        self.payload = payload

    def __call__(self, *args, **kwargs):
        if _plain:
            return self.fn(*args, **kwargs)
        cdef unsigned long long tok = fj_modes_api_table.push(
            self.kind, self.flag, <PyObject *>self.payload if self.payload is not None else NULL)
        if tok == 0:
            raise MemoryError("framejit: mode stack push failed")
        try:
            return self.fn(*args, **kwargs)
        finally:
            fj_modes_pop(tok)

    def __get__(self, obj, objtype):
        if obj is None:
            return self
        from types import MethodType
        return MethodType(self, obj)

    def __repr__(self):
        name = getattr(self.fn, "__qualname__", None) or repr(self.fn)
        return f"<framejit {KINDS[self.kind - 1]} wrapper of {name}>"

    def __reduce__(self):
        raise TypeError("framejit wrappers cannot be pickled; pickle the wrapped function")
