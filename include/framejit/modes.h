/* modes.h -- the thread-local mode stack and its O(1) resolution.
 *
 * Entries are pushed by framejit.compile wrappers, error_on_graph_break(v),
 * set_fullgraph(v) and disable. Each entry stores, besides its own kind and flag, the
 * resolved state of the stack up to and including itself, so "would a break raise
 * here?" and "should the hook intercept frames?" are one load from the top entry
 * (SEMANTICS.md §2):
 *   strict  -- fullgraph level: compile(True) sets it, compile(False) keeps it,
 *              set_fullgraph(v) sets it to v;
 *   eogb    -- innermost error_on_graph_break(v);
 *   active  -- the hook intercepts frames: set by compile, cleared by disable.
 * Push returns a token; pop must present the token of the top entry, so an unbalanced
 * pop is detected instead of silently corrupting the stack. The stack lives in
 * thread-local storage: threads never see each other's modes. The storage starts
 * inline and grows on the heap (deep recursion through compiled functions), and the
 * heap block is released when the stack empties.
 *
 * The global entry (framejit.install): fj_mode_base is what an empty stack resolves to
 * and what its first push resolves on top of. Normally all zeros (no mode); while
 * installed it is a compile entry, so it is the OUTERMOST entry of every thread's stack
 * (SEMANTICS.md §2) without being pushed on any of them: depth() does not count it,
 * threads started later see it at once, and it counts as one compile entry for the
 * hook's activation. Its payload is referenced for good (never released): entries
 * pushed while it was installed borrow it as their compile_payload and may outlive an
 * uninstall (they keep the state they resolved, until popped).
 *
 * Compiled into exactly one translation unit (_modes.pyx); other modules reach it
 * through the capsule that _modes exports (fj_modes_api).
 */
#ifndef FRAMEJIT_MODES_H
#define FRAMEJIT_MODES_H

#include <Python.h>
#include <string.h>
#include <stdlib.h>
#include <pthread.h>

enum fj_mode_kind {
    FJ_MODE_COMPILE = 1,
    FJ_MODE_EOGB = 2,
    FJ_MODE_SETFG = 3,
    FJ_MODE_DISABLE = 4,
};

#define FJ_MODES_INLINE 16

typedef struct {
    unsigned char kind;
    unsigned char flag;
    unsigned char strict;          /* resolved: fullgraph level in force */
    unsigned char eogb;            /* resolved: error_on_graph_break in force */
    unsigned char active;          /* resolved: hook intercepts frames */
    unsigned long long token;
    PyObject *payload;             /* owned, may be NULL: a compile entry's options */
    PyObject *compile_payload;     /* borrowed: innermost compile entry's payload */
} fj_mode_entry;

typedef struct {
    fj_mode_entry *entries;        /* inline_entries or a heap block */
    Py_ssize_t len;
    Py_ssize_t cap;
    unsigned long long next_token;
    int paused;                    /* >0 while framejit's own Python code runs */
    int explaining;                /* >0 inside framejit.explain(): private cache */
    fj_mode_entry inline_entries[FJ_MODES_INLINE];
} fj_mode_stack;

/* Called with the GIL held when the number of compile entries over all threads goes
 * from 0 to 1 (active=1) or from 1 to 0 (active=0). */
typedef void (*fj_activation_cb)(int active);

/* The thread's stack is a heap block reached from one thread-local pointer. The pointer
 * uses the initial-exec TLS model (one load off the thread pointer, no __tls_get_addr
 * call on the hook's pass-through path); keeping it to 8 bytes stays well inside the
 * static TLS room glibc reserves for dlopen'ed modules. A pthread key frees the block
 * when its thread exits. */
static __thread fj_mode_stack *fj_tls_modes __attribute__((tls_model("initial-exec")));
static pthread_key_t fj_modes_key;
static pthread_once_t fj_modes_key_once = PTHREAD_ONCE_INIT;

static void fj_modes_thread_exit(void *p)
{
    fj_mode_stack *s = (fj_mode_stack *)p;
    if (s && s->entries != s->inline_entries) free(s->entries);
    free(s);
}

static void fj_modes_make_key(void) { pthread_key_create(&fj_modes_key, fj_modes_thread_exit); }

static Py_ssize_t fj_compile_entries_total = 0;   /* protected by the GIL */
static fj_activation_cb fj_on_activation = NULL;

static fj_mode_entry fj_mode_base = {0, 0, 0, 0, 0, 0, NULL, NULL};   /* see "global entry" */

/* Borrowed pointer to this thread's stack, created on first use; NULL only when out of
 * memory (then with an exception set). */
static inline fj_mode_stack *fj_modes_current(void)
{
    fj_mode_stack *s = fj_tls_modes;
    if (s == NULL) {
        pthread_once(&fj_modes_key_once, fj_modes_make_key);
        s = (fj_mode_stack *)calloc(1, sizeof(fj_mode_stack));
        if (s == NULL) { PyErr_NoMemory(); return NULL; }
        s->entries = s->inline_entries;
        s->cap = FJ_MODES_INLINE;
        pthread_setspecific(fj_modes_key, s);
        fj_tls_modes = s;
    }
    return s;
}

/* Borrowed pointer to the resolved top entry (a static base entry when empty). */
static inline const fj_mode_entry *fj_modes_top(void)
{
    fj_mode_stack *s = fj_tls_modes;
    return (s && s->len) ? &s->entries[s->len - 1] : &fj_mode_base;
}

static inline int fj_modes_grow(fj_mode_stack *s)
{
    Py_ssize_t cap = s->cap * 2;
    fj_mode_entry *block;
    if (s->entries == s->inline_entries) {
        block = (fj_mode_entry *)malloc(sizeof(fj_mode_entry) * cap);
        if (block) memcpy(block, s->inline_entries, sizeof(fj_mode_entry) * s->len);
    } else {
        block = (fj_mode_entry *)realloc(s->entries, sizeof(fj_mode_entry) * cap);
    }
    if (block == NULL) { PyErr_NoMemory(); return -1; }
    s->entries = block;
    s->cap = cap;
    return 0;
}

/* Push an entry. payload: borrowed (a new reference is taken), may be NULL.
 * Returns the token (> 0), or 0 with an exception set. */
static inline unsigned long long fj_modes_push(int kind, int flag, PyObject *payload)
{
    fj_mode_stack *s = fj_modes_current();
    const fj_mode_entry *prev;
    fj_mode_entry e;
    if (s == NULL) return 0;
    prev = fj_modes_top();
    if (kind < FJ_MODE_COMPILE || kind > FJ_MODE_DISABLE) {
        PyErr_Format(PyExc_ValueError, "unknown mode kind %d", kind);
        return 0;
    }
    if (s->len == s->cap && fj_modes_grow(s) < 0) return 0;
    e = *prev;
    e.kind = (unsigned char)kind;
    e.flag = flag ? 1 : 0;
    e.payload = payload;
    switch (kind) {
    case FJ_MODE_COMPILE:
        if (flag) e.strict = 1;
        e.active = 1;
        e.compile_payload = payload;
        break;
    case FJ_MODE_EOGB:  e.eogb = e.flag; break;
    case FJ_MODE_SETFG: e.strict = e.flag; break;
    case FJ_MODE_DISABLE: e.active = 0; break;
    }
    e.token = ++s->next_token;
    Py_XINCREF(payload);
    s->entries[s->len++] = e;
    if (kind == FJ_MODE_COMPILE && ++fj_compile_entries_total == 1 && fj_on_activation)
        fj_on_activation(1);
    return e.token;
}

/* Pop the top entry, which must carry `token`. Returns 0, or -1 with RuntimeError set
 * (the stack is left untouched) when the pop is unbalanced. */
static inline int fj_modes_pop(unsigned long long token)
{
    fj_mode_stack *s = fj_modes_current();
    fj_mode_entry *e;
    if (s == NULL) return -1;
    if (s->len == 0 || s->entries[s->len - 1].token != token) {
        PyErr_Format(PyExc_RuntimeError,
                     "framejit: unbalanced mode pop (token %llu, top %llu, depth %zd): "
                     "a mode context was exited out of order or on another thread",
                     token, s->len ? s->entries[s->len - 1].token : 0ULL, s->len);
        return -1;
    }
    e = &s->entries[--s->len];
    if (e->kind == FJ_MODE_COMPILE && --fj_compile_entries_total == 0 && fj_on_activation)
        fj_on_activation(0);
    Py_CLEAR(e->payload);
    if (s->len == 0 && s->entries != s->inline_entries) {
        free(s->entries);
        s->entries = s->inline_entries;
        s->cap = FJ_MODES_INLINE;
    }
    return 0;
}

/* Make the global entry a compile(fullgraph) entry with `payload` (borrowed; a reference
 * is taken and kept for good), replacing an installed one. Always succeeds. */
static inline void fj_modes_install(int fullgraph, PyObject *payload)
{
    int was_installed = fj_mode_base.kind == FJ_MODE_COMPILE;
    fj_mode_entry e = {0, 0, 0, 0, 0, 0, NULL, NULL};
    e.kind = FJ_MODE_COMPILE;
    e.flag = e.strict = fullgraph ? 1 : 0;
    e.active = 1;
    Py_XINCREF(payload);          /* never released: see "global entry" above */
    e.payload = e.compile_payload = payload;
    fj_mode_base = e;
    if (!was_installed && ++fj_compile_entries_total == 1 && fj_on_activation)
        fj_on_activation(1);
}

/* Back to no global entry (idempotent). */
static inline void fj_modes_uninstall(void)
{
    static const fj_mode_entry none = {0, 0, 0, 0, 0, 0, NULL, NULL};
    if (fj_mode_base.kind != FJ_MODE_COMPILE) return;
    fj_mode_base = none;
    if (--fj_compile_entries_total == 0 && fj_on_activation)
        fj_on_activation(0);
}

/* Borrowed: the global entry, or NULL when none is installed. */
static inline const fj_mode_entry *fj_modes_installed(void)
{
    return fj_mode_base.kind == FJ_MODE_COMPILE ? &fj_mode_base : NULL;
}

/* Function table exported in a capsule named "framejit._modes.fj_modes_api". */
typedef struct {
    const fj_mode_entry *(*top)(void);
    fj_mode_stack *(*current)(void);
    unsigned long long (*push)(int kind, int flag, PyObject *payload);
    int (*pop)(unsigned long long token);
    void (*set_activation_cb)(fj_activation_cb cb);
    Py_ssize_t (*compile_entries_total)(void);
    void (*install)(int fullgraph, PyObject *payload);
    void (*uninstall)(void);
    const fj_mode_entry *(*installed)(void);
} fj_modes_api_t;

#endif /* FRAMEJIT_MODES_H */
