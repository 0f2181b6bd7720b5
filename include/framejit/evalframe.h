/* evalframe.h -- the PEP 523 frame hook and the per-code cache.
 *
 * The hook runs for every Python frame while at least one thread has a compile entry
 * on its mode stack (modes.h counts them and calls fj_on_activation_change). For a frame
 * of user code it looks up the code object's cache (kept in the code's co_extra slot and
 * freed with the code): an ordered list of entries, each a guard program, a replacement
 * code object and the mode key (strict, error_on_graph_break, backend) it was compiled
 * under. The first entry whose key matches and whose guards pass runs instead of the
 * frame, with the frame's argument slots as positional arguments and the function's
 * closure; the frame itself is never evaluated. On a miss the Python converter is
 * called with the hook paused for this thread; its answer is an entry to add, or a
 * marker (SKIP: never look at this code again; RUN_ONLY: serve entries, compile nothing).
 * An entry may be *demoted* (it specialized on an int that has since become dynamic,
 * runtime.py): it is checked only after every live entry missed, and not counted toward
 * cache_size_limit; it still serves the values it was made for (say, the first
 * iteration of a loop, on every later call).
 * Under framejit.install() (the global compile entry of modes.h) a code object can be
 * marked *install-skip* for a mode key (a bit of `install_skip`): the converter traced
 * it there and found nothing worth running (no graph), or install's include/exclude
 * rule leaves it out (all bits). After its entries missed, a frame whose innermost
 * compile entry is the global one and whose mode key has the bit set runs as it is,
 * without asking the converter: whole-program mode costs nothing per call for code
 * with no array work. Explicit compile entries ignore the bits (they trace as always).
 * install() with different include/exclude clears every bit; reset() and clear() too.
 * Inside framejit.explain() (the thread's `explaining` flag) the code's own cache is
 * neither read nor written: every frame goes to the converter, which keeps a private
 * cache and answers RUN_ONCE (run this code now, store nothing).
 *
 * Everything that is not the hook's business goes to the previous evaluator, which is
 * saved at install time and chained (never overwritten): generator-like frames, frames
 * evaluated with the throw flag, frames already started, threads with no active
 * compile entry or with the hook paused, and threads with a sys.settrace function
 * (a debugger or coverage tool then sees the user's real code).
 *
 * The mode stack (modes.h) is compiled into this same translation unit so that the
 * hook reads the thread's top entry inline; _modes.pyx reaches it through the function
 * table exported here (fj_modes_api).
 *
 * Ownership: fj_entry and fj_cache own every PyObject* they hold. The cache list
 * (fj_all_caches) lets reset() reach every cache; a cache unlinks itself when its code
 * object dies. All functions run with the GIL held.
 * Compiled into exactly one translation unit (_evalframe.pyx).
 */
#ifndef FRAMEJIT_EVALFRAME_H
#define FRAMEJIT_EVALFRAME_H

#include <Python.h>
#include "framejit/cpython_frame.h"
#include "framejit/modes.h"

enum fj_action { FJ_ACTION_DEFAULT = 0, FJ_ACTION_SKIP = 1, FJ_ACTION_RUN_ONLY = 2 };

/* Converter answers (first item of the tuple it returns). */
enum fj_answer { FJ_ANSWER_ENTRY = 0, FJ_ANSWER_SKIP = 1, FJ_ANSWER_RUN_ONLY = 2,
                 FJ_ANSWER_DEFAULT_ONCE = 3, FJ_ANSWER_RUN_ONCE = 4,
                 /* install-skip: item 1 is the mask of mode keys (None: this frame's) */
                 FJ_ANSWER_INSTALL_SKIP = 5 };

typedef int (*fj_guard_check_t)(PyObject *prog, PyObject **slots, Py_ssize_t nslots,
                                PyObject *globals, PyObject *builtins, PyObject *closure);

typedef struct fj_entry {
    struct fj_entry *next;
    PyObject *guard;        /* owned, may be Py_None: a GuardProgram */
    PyObject *code;         /* owned: replacement code, argument slots positional */
    PyObject *info;         /* owned: what the converter wants to remember (reports) */
    PyObject *backend_key;  /* owned: the backend the entry was built for */
    int mode_key;           /* strict | eogb << 1 at frame entry */
    int demoted;            /* checked after the live entries (second pass) */
    Py_ssize_t hits;
} fj_entry;

typedef struct fj_cache {
    struct fj_cache *prev_cache, *next_cache;   /* fj_all_caches list */
    PyObject *code;         /* borrowed: the code object owning this cache */
    int action;
    unsigned int install_skip;  /* bit k: install-skip under mode key k (see top) */
    Py_ssize_t n_entries;
    Py_ssize_t misses;      /* converter calls for this code */
    fj_entry *head;
} fj_cache;

static Py_ssize_t fj_extra_index = -1;
static fj_eval_func fj_prev_eval = NULL;
static int fj_installed = 0;
static PyObject *fj_converter = NULL;      /* owned */
static fj_guard_check_t fj_guard_check = NULL;
static fj_cache fj_all_caches = {&fj_all_caches, &fj_all_caches, NULL, 0, 0, 0, 0, NULL};
static unsigned long long fj_stat_hits = 0, fj_stat_misses = 0, fj_stat_intercepts = 0;

static PyObject *fj_eval_frame(PyThreadState *ts, fj_frame *f, int throwflag);

static void fj_entry_free(fj_entry *e)
{
    Py_XDECREF(e->guard);
    Py_XDECREF(e->code);
    Py_XDECREF(e->info);
    Py_XDECREF(e->backend_key);
    PyMem_Free(e);
}

static void fj_cache_clear_entries(fj_cache *c)
{
    fj_entry *e = c->head, *n;
    c->head = NULL;
    c->n_entries = 0;
    while (e) { n = e->next; fj_entry_free(e); e = n; }
}

/* freefunc of the co_extra slot: the code object is being destroyed. */
static void fj_cache_free(void *p)
{
    fj_cache *c = (fj_cache *)p;
    if (c == NULL) return;
    c->prev_cache->next_cache = c->next_cache;
    c->next_cache->prev_cache = c->prev_cache;
    fj_cache_clear_entries(c);
    PyMem_Free(c);
}

/* Borrowed: the cache of `code`, or NULL when it has none (no error set). */
static inline fj_cache *fj_cache_get(PyObject *code)
{
    void *extra = NULL;
    if (_PyCode_GetExtra(code, fj_extra_index, &extra) < 0) { PyErr_Clear(); return NULL; }
    return (fj_cache *)extra;
}

/* Borrowed: the cache of `code`, created when missing. NULL with an exception set. */
static fj_cache *fj_cache_ensure(PyObject *code)
{
    fj_cache *c = fj_cache_get(code);
    if (c) return c;
    c = (fj_cache *)PyMem_Calloc(1, sizeof(fj_cache));
    if (c == NULL) { PyErr_NoMemory(); return NULL; }
    c->code = code;
    if (_PyCode_SetExtra(code, fj_extra_index, c) < 0) { PyMem_Free(c); return NULL; }
    c->next_cache = fj_all_caches.next_cache;
    c->prev_cache = &fj_all_caches;
    fj_all_caches.next_cache->prev_cache = c;
    fj_all_caches.next_cache = c;
    return c;
}

/* Append an entry. guard, code, info, backend_key: borrowed (new references taken).
 * The replacement code is marked SKIP so that its own frames go to the default
 * evaluator. Returns the entry (borrowed) or NULL with an exception set. */
static fj_entry *fj_cache_add(fj_cache *c, PyObject *guard, PyObject *code, PyObject *info,
                              PyObject *backend_key, int mode_key)
{
    fj_entry *e, **tail;
    fj_cache *cc;
    if (!PyCode_Check(code)) {
        PyErr_SetString(PyExc_TypeError, "framejit converter must return a code object");
        return NULL;
    }
    cc = fj_cache_ensure(code);
    if (cc == NULL) return NULL;
    cc->action = FJ_ACTION_SKIP;
    e = (fj_entry *)PyMem_Calloc(1, sizeof(fj_entry));
    if (e == NULL) { PyErr_NoMemory(); return NULL; }
    Py_INCREF(guard); e->guard = guard;
    Py_INCREF(code); e->code = code;
    Py_INCREF(info); e->info = info;
    Py_XINCREF(backend_key); e->backend_key = backend_key;
    e->mode_key = mode_key;
    for (tail = &c->head; *tail; tail = &(*tail)->next) {}
    *tail = e;
    c->n_entries++;
    return e;
}

/* New reference: run entry `e` in place of frame `f`: a function over the entry's code,
 * the frame's globals and the function's closure, called with the argument slots. The
 * function is made per call on purpose: an entry that kept it would own the globals,
 * and globals -> function -> code -> co_extra -> entry would be a cycle that the
 * garbage collector cannot see (co_extra is not traversed), leaking exec'd namespaces.
 * NULL with an exception set. */
static PyObject *fj_run_entry(fj_entry *e, fj_frame *f, Py_ssize_t nslots)
{
    PyFunctionObject *func = fj_frame_func(f);
    PyObject *fn, *res;
    fn = PyFunction_New(e->code, func->func_globals);
    if (fn == NULL) return NULL;
    if (func->func_closure && PyFunction_SetClosure(fn, func->func_closure) < 0) {
        Py_DECREF(fn);
        return NULL;
    }
    res = PyObject_Vectorcall(fn, fj_frame_localsplus(f), (size_t)nslots, NULL);
    Py_DECREF(fn);
    return res;
}

/* New reference: the converter's answer for frame f (a tuple), with the hook paused for
 * this thread while it runs. NULL with an exception set. */
static PyObject *fj_call_converter(fj_frame *f, Py_ssize_t nslots, PyObject *payload)
{
    fj_mode_stack *s = fj_modes_current();
    PyObject *slots, *res;
    Py_ssize_t i;
    PyObject **lp = fj_frame_localsplus(f);
    slots = PyTuple_New(nslots);
    if (slots == NULL) return NULL;
    for (i = 0; i < nslots; i++) {
        PyObject *v = lp[i] ? lp[i] : Py_None;
        Py_INCREF(v);
        PyTuple_SET_ITEM(slots, i, v);
    }
    s->paused++;
    res = PyObject_CallFunctionObjArgs(fj_converter, (PyObject *)fj_frame_code(f),
                                       (PyObject *)fj_frame_func(f), slots,
                                       payload ? payload : Py_None, NULL);
    s->paused--;
    Py_DECREF(slots);
    if (res && (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 4)) {
        Py_DECREF(res);
        PyErr_SetString(PyExc_TypeError,
                        "framejit converter must return (answer, guard, code, info)");
        return NULL;
    }
    return res;
}

/* True when `c` is install-skipped for the mode in force at `top`: its mode key's bit is
 * set and the innermost compile entry is framejit.install()'s global one. */
static inline int fj_install_skipped(const fj_cache *c, const fj_mode_entry *top)
{
    const fj_mode_entry *g = fj_modes_installed();
    return ((c->install_skip >> (top->strict | (top->eogb << 1))) & 1) && g != NULL &&
           top->compile_payload == g->compile_payload;
}

static PyObject *fj_eval_frame(PyThreadState *ts, fj_frame *f, int throwflag)
{
    const fj_mode_entry *top;
    PyCodeObject *co;
    fj_cache *c;
    fj_entry *e;
    Py_ssize_t nslots;
    PyObject *res, *answer, *payload, *backend;
    int mode_key, a, pass;
    PyFunctionObject *func;

    top = fj_modes_top();
    if (!top->active || throwflag || fj_modes_current()->paused)
        return fj_prev_eval(ts, f, throwflag);
    co = fj_frame_code(f);
    c = (fj_cache *)fj_code_extra(co, fj_extra_index);
    if ((c && (c->action == FJ_ACTION_SKIP ||
               (c->install_skip && c->head == NULL && fj_install_skipped(c, top)))) ||
        fj_code_is_generator_like(co) ||
        fj_frame_started(f) || fj_tstate_tracing(ts))
        return fj_prev_eval(ts, f, throwflag);

    fj_stat_intercepts++;
    nslots = fj_code_nslots(co);
    func = fj_frame_func(f);
    if (fj_modes_current()->explaining)
        c = NULL;
    /* A compile entry's payload is (backend, options): entries are keyed on the backend. */
    payload = top->compile_payload;
    backend = (payload && PyTuple_CheckExact(payload) && PyTuple_GET_SIZE(payload) == 2)
              ? PyTuple_GET_ITEM(payload, 0) : payload;
    mode_key = top->strict | (top->eogb << 1);
    if (c) {
        /* two passes: live entries first, then demoted ones */
        for (pass = 0; pass < 2; pass++) {
            for (e = c->head; e; e = e->next) {
                if (e->demoted != pass || e->mode_key != mode_key || e->backend_key != backend)
                    continue;
                a = fj_guard_check(e->guard, fj_frame_localsplus(f), nslots,
                                   func->func_globals, func->func_builtins, func->func_closure);
                if (a < 0) return NULL;
                if (a) {
                    fj_stat_hits++;
                    e->hits++;
                    res = fj_run_entry(e, f, nslots);
                    fj_frame_after_replace(ts, f);
                    return res;
                }
            }
        }
        /* install-skip after the entries missed (code without entries: checked above) */
        if (c->install_skip && fj_install_skipped(c, top))
            return fj_prev_eval(ts, f, throwflag);
        /* past cache_size_limit: run unoptimized, except where a break would raise:
         * there the converter still traces (without caching), so a forbidden break
         * raises as on any other call (SEMANTICS: the mode decides, not the cache) */
        if (c->action == FJ_ACTION_RUN_ONLY && mode_key == 0)
            return fj_prev_eval(ts, f, throwflag);
    }
    if (fj_converter == NULL)
        return fj_prev_eval(ts, f, throwflag);

    fj_stat_misses++;
    answer = fj_call_converter(f, nslots,
                               backend != payload ? PyTuple_GET_ITEM(payload, 1) : payload);
    if (answer == NULL) return NULL;
    a = (int)PyLong_AsLong(PyTuple_GET_ITEM(answer, 0));
    if (a == -1 && PyErr_Occurred()) { Py_DECREF(answer); return NULL; }
    if (a == FJ_ANSWER_DEFAULT_ONCE) {
        Py_DECREF(answer);
        return fj_prev_eval(ts, f, throwflag);
    }
    if (a == FJ_ANSWER_RUN_ONCE) {
        fj_entry once = {0};
        fj_cache *cc = fj_cache_ensure(PyTuple_GET_ITEM(answer, 2));
        if (cc == NULL) { Py_DECREF(answer); return NULL; }
        cc->action = FJ_ACTION_SKIP;
        once.code = PyTuple_GET_ITEM(answer, 2);
        res = fj_run_entry(&once, f, nslots);
        Py_DECREF(answer);
        fj_frame_after_replace(ts, f);
        return res;
    }
    c = fj_cache_ensure((PyObject *)co);
    if (c == NULL) { Py_DECREF(answer); return NULL; }
    c->misses++;
    if (a == FJ_ANSWER_INSTALL_SKIP) {
        PyObject *mask = PyTuple_GET_ITEM(answer, 1);
        long bits = mask == Py_None ? (1L << mode_key) : PyLong_AsLong(mask);
        Py_DECREF(answer);
        if (bits == -1 && PyErr_Occurred()) return NULL;
        c->install_skip |= (unsigned int)bits;
        return fj_prev_eval(ts, f, throwflag);
    }
    if (a == FJ_ANSWER_SKIP || a == FJ_ANSWER_RUN_ONLY) {
        c->action = a == FJ_ANSWER_SKIP ? FJ_ACTION_SKIP : FJ_ACTION_RUN_ONLY;
        Py_DECREF(answer);
        return fj_prev_eval(ts, f, throwflag);
    }
    e = fj_cache_add(c, PyTuple_GET_ITEM(answer, 1), PyTuple_GET_ITEM(answer, 2),
                     PyTuple_GET_ITEM(answer, 3), backend, mode_key);
    Py_DECREF(answer);
    if (e == NULL) return NULL;
    res = fj_run_entry(e, f, nslots);
    fj_frame_after_replace(ts, f);
    return res;
}

/* Called by modes.h when the number of compile entries over all threads goes 0<->1. */
static void fj_on_activation_change(int active)
{
    fj_eval_func current = fj_get_eval_func();
    if (active) {
        if (current != (fj_eval_func)fj_eval_frame) {
            fj_prev_eval = current;
            fj_set_eval_func((fj_eval_func)fj_eval_frame);
        }
        fj_installed = 1;
    } else {
        /* Someone installed over us: leave their evaluator in place; ours passes
         * frames through while no compile entry is active. */
        if (current == (fj_eval_func)fj_eval_frame)
            fj_set_eval_func(fj_prev_eval);
        fj_installed = 0;
    }
}

/* The floor for bench/bench_overhead.py: an eval function that does nothing but chain.
 * With any eval function set CPython stops inlining Python-to-Python calls; this
 * measures that cost alone, so the hook's own cost can be told apart from it. */
static fj_eval_func fj_passthrough_prev = NULL;

static PyObject *fj_passthrough_eval(PyThreadState *ts, fj_frame *f, int throwflag)
{
    return fj_passthrough_prev(ts, f, throwflag);
}

static int fj_set_passthrough(int on)
{
    fj_eval_func current = fj_get_eval_func();
    if (on) {
        if (fj_installed || current == (fj_eval_func)fj_passthrough_eval) return -1;
        fj_passthrough_prev = current;
        fj_set_eval_func((fj_eval_func)fj_passthrough_eval);
    } else if (current == (fj_eval_func)fj_passthrough_eval) {
        fj_set_eval_func(fj_passthrough_prev);
    }
    return 0;
}

static void fj_modes_set_activation_cb(fj_activation_cb cb) { fj_on_activation = cb; }
static Py_ssize_t fj_modes_compile_total(void) { return fj_compile_entries_total; }
static fj_modes_api_t fj_modes_api_table = {
    fj_modes_top, fj_modes_current, fj_modes_push, fj_modes_pop,
    fj_modes_set_activation_cb, fj_modes_compile_total,
    fj_modes_install, fj_modes_uninstall, fj_modes_installed,
};

#endif /* FRAMEJIT_EVALFRAME_H */
