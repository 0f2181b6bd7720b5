/* cpython_frame.h -- the one place that touches CPython internals.
 *
 * Everything version-specific about interpreter frames lives here, behind small
 * static inline accessors. Nothing outside this file includes a pycore_* header or reads
 * a field of struct _PyInterpreterFrame. Kernel headers never include this file.
 *
 * Supported: CPython 3.11 (read through internal/pycore_frame.h under Py_BUILD_CORE).
 * 3.12 and 3.13 are the next issue's: they need the hook to clear and pop the replaced
 * frame itself (DESIGN.md, "CPython versions"), so they are refused at build time
 * until that path exists and has its leak test.
 */
#ifndef FRAMEJIT_CPYTHON_FRAME_H
#define FRAMEJIT_CPYTHON_FRAME_H

#include <Python.h>

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030C0000
#error "framejit's frame evaluator supports CPython 3.11 only so far"
#endif

#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#define FJ_UNDEF_BUILD_CORE 1
#endif
#include <internal/pycore_frame.h>
#ifdef FJ_UNDEF_BUILD_CORE
#undef Py_BUILD_CORE
#undef FJ_UNDEF_BUILD_CORE
#endif

typedef struct _PyInterpreterFrame fj_frame;
typedef _PyFrameEvalFunction fj_eval_func;

/* Borrowed: the code object the frame runs. Never NULL. */
static inline PyCodeObject *fj_frame_code(fj_frame *f) { return f->f_code; }

/* Borrowed: the function object the frame was created for. Never NULL on 3.11. */
static inline PyFunctionObject *fj_frame_func(fj_frame *f) { return f->f_func; }

/* Borrowed: the frame's globals dict. */
static inline PyObject *fj_frame_globals(fj_frame *f) { return f->f_globals; }

/* Borrowed array: the frame's fast-local slots; the first fj_code_nslots() hold the
 * arguments (positional, keyword-only, *args tuple, **kwargs dict) when the hook sees the
 * frame, before MAKE_CELL/COPY_FREE_VARS have run. */
static inline PyObject **fj_frame_localsplus(fj_frame *f) { return f->localsplus; }

/* Number of argument slots of a code object: CPython's localsplus layout order. */
static inline Py_ssize_t fj_code_nslots(PyCodeObject *co)
{
    Py_ssize_t n = co->co_argcount + co->co_kwonlyargcount;
    if (co->co_flags & CO_VARARGS) n++;
    if (co->co_flags & CO_VARKEYWORDS) n++;
    return n;
}

/* The block co_extra points to: 3.11's _PyCodeObjectExtra, which only
 * Objects/codeobject.c declares (same layout there). */
typedef struct { Py_ssize_t ce_size; void *ce_extras[1]; } fj_code_extra_block;

/* Borrowed: what _PyCode_SetExtra stored at `index` of a code object (NULL if nothing),
 * read inline: the hook asks this for every frame it sees. */
static inline void *fj_code_extra(PyCodeObject *co, Py_ssize_t index)
{
    fj_code_extra_block *x = (fj_code_extra_block *)co->co_extra;
    return (x != NULL && index >= 0 && index < x->ce_size) ? x->ce_extras[index] : NULL;
}

/* True when a frame must go straight to the default evaluator for what it is:
 * generators, coroutines and async generators are never compiled as frames. */
static inline int fj_code_is_generator_like(PyCodeObject *co)
{
    return (co->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR |
                            CO_ITERABLE_COROUTINE)) != 0;
}

/* True when the frame has already started executing (a resumed generator, say). */
static inline int fj_frame_started(fj_frame *f)
{
    return _PyInterpreterFrame_LASTI(f) >= 0;
}

/* True while a sys.settrace() function is set for this thread. */
static inline int fj_tstate_tracing(PyThreadState *ts) { return ts->c_tracefunc != NULL; }

/* After the hook returned a result without evaluating the frame: on 3.11 the caller
 * (_PyEval_Vector) clears and pops the frame itself, so nothing is to be done. */
static inline void fj_frame_after_replace(PyThreadState *ts, fj_frame *f)
{
    (void)ts; (void)f;
}

static inline fj_eval_func fj_get_eval_func(void)
{
    return _PyInterpreterState_GetEvalFrameFunc(PyInterpreterState_Get());
}

static inline void fj_set_eval_func(fj_eval_func fn)
{
    _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), fn);
}

#endif /* FRAMEJIT_CPYTHON_FRAME_H */
