# cdef extern declarations of include/framejit/modes.h
from cpython.object cimport PyObject

cdef extern from "framejit/modes.h" nogil:
    enum:
        FJ_MODE_COMPILE
        FJ_MODE_EOGB
        FJ_MODE_SETFG
        FJ_MODE_DISABLE

    ctypedef struct fj_mode_entry:
        unsigned char kind
        unsigned char flag
        unsigned char strict
        unsigned char eogb
        unsigned char active
        unsigned long long token
        PyObject *payload
        PyObject *compile_payload

    ctypedef struct fj_mode_stack:
        fj_mode_entry *entries
        Py_ssize_t len
        Py_ssize_t cap
        int paused
        int explaining

    ctypedef void (*fj_activation_cb)(int active)

    ctypedef struct fj_modes_api_t:
        const fj_mode_entry *(*top)()
        fj_mode_stack *(*current)()
        unsigned long long (*push)(int kind, int flag, PyObject *payload)
        int (*pop)(unsigned long long token)
        void (*set_activation_cb)(fj_activation_cb cb)
        Py_ssize_t (*compile_entries_total)()
        void (*install)(int fullgraph, PyObject *payload)
        void (*uninstall)()
        const fj_mode_entry *(*installed)()
