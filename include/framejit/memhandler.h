/* memhandler.h: framejit's NumPy memory handler (NEP 49) for kernel outputs.
 *
 * Writing into freshly mapped memory costs as much as the traffic itself for large
 * arrays (every page faults in on first touch), so large kernel outputs are allocated
 * through this handler, which keeps a bounded cache of large freed blocks by size class.
 * The binding installs it (PyDataMem_SetHandler) only around its own allocations of
 * kernel outputs, so the arrays it returns are ordinary NumPy arrays that own their data
 * (no `.base`, picklable, resizable); each array remembers its handler, so whenever the
 * user drops it, wherever that happens, its block comes back to the cache here. A block
 * is cached only after NumPy freed its array: memory a user still holds is never reused.
 *
 * Layout of a block: [raw malloc ... | fj_mh_hdr | data (64-byte aligned), cap bytes].
 * Size classes: requests of at least fj_mh_min bytes are rounded up to 4 classes per
 * power of two (at most 25 % slack, never touched unless written); a freed block goes
 * back to its class. Bounds: fj_mh_max_bytes in all and fj_mh_per_class blocks of one
 * class; the least recently freed blocks are dropped first. Thread-safe: every cache
 * operation holds one lock (frees may come from any thread, with or without the GIL).
 */
#ifndef FRAMEJIT_MEMHANDLER_H
#define FRAMEJIT_MEMHANDLER_H

#include <Python.h>
#include <pythread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <numpy/ndarraytypes.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define FJ_MH_ALIGN 64
#define FJ_MH_SLOTS 64                 /* cached blocks at most, whatever the bounds */
#define FJ_MH_MAGIC 0x666a6d68u        /* "fjmh" */
#define FJ_MH_HUGE ((size_t)4 << 20)   /* advise huge pages from here (as NumPy does) */

typedef struct {
    void *raw;          /* what malloc returned */
    size_t cap;         /* usable bytes from the data pointer */
    uint32_t magic;
    uint32_t pad_;
} fj_mh_hdr;

typedef struct { char *data; size_t cap; uint64_t stamp; } fj_mh_slot;

/* smaller requests are not cached. From glibc's mmap threshold (128 KiB) up, malloc'ed
 * blocks are mapped, or the heap top they leave is trimmed, so they fault in again on
 * every call (two 800 KB outputs: ~360 page faults a call, ~10 % of the call). */
static size_t fj_mh_min = (size_t)128 << 10;
static size_t fj_mh_max_bytes = (size_t)256 << 20;  /* bytes kept at most */
static int fj_mh_per_class = 4;                     /* blocks of one class kept at most */
static PyThread_type_lock fj_mh_lock = NULL;
static fj_mh_slot fj_mh_slots[FJ_MH_SLOTS];
static int fj_mh_n = 0;
static size_t fj_mh_bytes = 0;
static uint64_t fj_mh_clock = 0;
/* statistics (under the lock): blocks served from the cache, fresh blocks, blocks freed */
static uint64_t fj_mh_hits = 0, fj_mh_misses = 0, fj_mh_released = 0;

static fj_mh_hdr *fj_mh_header(void *data) { return (fj_mh_hdr *)((char *)data - sizeof(fj_mh_hdr)); }

/* the capacity a request of n bytes is served with: its size class */
static size_t fj_mh_class(size_t n)
{
    if (n < fj_mh_min) return n;
    int k = 0;
    while (k < 62 && ((size_t)1 << (k + 1)) <= n) k++;
    size_t step = (size_t)1 << (k >= 2 ? k - 2 : 0);
    return (n + step - 1) / step * step;
}

/* fresh memory for cap usable bytes (zeroed when `zero`), or NULL */
static char *fj_mh_fresh(size_t cap, int zero)
{
    size_t total = cap + sizeof(fj_mh_hdr) + FJ_MH_ALIGN;
    if (total < cap) return NULL;
    void *raw = zero ? calloc(1, total) : malloc(total);
    if (!raw) return NULL;
    char *data = (char *)(((uintptr_t)raw + sizeof(fj_mh_hdr) + FJ_MH_ALIGN - 1) &
                          ~(uintptr_t)(FJ_MH_ALIGN - 1));
    fj_mh_hdr *h = fj_mh_header(data);
    h->raw = raw;
    h->cap = cap;
    h->magic = FJ_MH_MAGIC;
    h->pad_ = 0;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (cap >= FJ_MH_HUGE) {
        uintptr_t lo = ((uintptr_t)data + 4095) & ~(uintptr_t)4095;
        uintptr_t hi = ((uintptr_t)data + cap) & ~(uintptr_t)4095;
        if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    return data;
}

static void fj_mh_lock_(void) { if (fj_mh_lock) PyThread_acquire_lock(fj_mh_lock, WAIT_LOCK); }
static void fj_mh_unlock_(void) { if (fj_mh_lock) PyThread_release_lock(fj_mh_lock); }

static void fj_mh_drop_slot(int i)
{
    fj_mh_bytes -= fj_mh_slots[i].cap;
    fj_mh_slots[i] = fj_mh_slots[--fj_mh_n];
}

/* a block of at least n bytes: the most recently freed block of n's class, else fresh */
static void *fj_mh_alloc(size_t n, int zero)
{
    if (n == 0) n = 1;
    size_t cap = fj_mh_class(n);
    char *got = NULL;
    if (cap >= fj_mh_min) {
        fj_mh_lock_();
        int best = -1;
        for (int i = 0; i < fj_mh_n; i++)
            if (fj_mh_slots[i].cap == cap &&
                (best < 0 || fj_mh_slots[i].stamp > fj_mh_slots[best].stamp))
                best = i;
        if (best >= 0) {
            got = fj_mh_slots[best].data;
            fj_mh_drop_slot(best);
            fj_mh_hits++;
        } else {
            fj_mh_misses++;
        }
        fj_mh_unlock_();
    }
    if (got) {
        if (zero) memset(got, 0, n);
        return got;
    }
    return fj_mh_fresh(cap, zero);
}

static void fj_mh_release(void *data)
{
    if (!data) return;
    fj_mh_hdr *h = fj_mh_header(data);
    if (h->magic != FJ_MH_MAGIC) abort();    /* not ours: a corrupted heap, stop here */
    size_t cap = h->cap;
    char *evict[FJ_MH_SLOTS + 1];
    int nevict = 0;
    fj_mh_lock_();
    fj_mh_released++;
    if (cap < fj_mh_min || cap > fj_mh_max_bytes || fj_mh_per_class <= 0) {
        evict[nevict++] = (char *)data;
    } else {
        int same = 0, oldest_same = -1;
        for (int i = 0; i < fj_mh_n; i++)
            if (fj_mh_slots[i].cap == cap) {
                same++;
                if (oldest_same < 0 || fj_mh_slots[i].stamp < fj_mh_slots[oldest_same].stamp)
                    oldest_same = i;
            }
        if (same >= fj_mh_per_class) {
            evict[nevict++] = fj_mh_slots[oldest_same].data;
            fj_mh_drop_slot(oldest_same);
        }
        while (fj_mh_n > 0 && (fj_mh_n >= FJ_MH_SLOTS || fj_mh_bytes + cap > fj_mh_max_bytes)) {
            int oldest = 0;
            for (int i = 1; i < fj_mh_n; i++)
                if (fj_mh_slots[i].stamp < fj_mh_slots[oldest].stamp) oldest = i;
            evict[nevict++] = fj_mh_slots[oldest].data;
            fj_mh_drop_slot(oldest);
        }
        fj_mh_slots[fj_mh_n].data = (char *)data;
        fj_mh_slots[fj_mh_n].cap = cap;
        fj_mh_slots[fj_mh_n].stamp = ++fj_mh_clock;
        fj_mh_n++;
        fj_mh_bytes += cap;
    }
    fj_mh_unlock_();
    for (int i = 0; i < nevict; i++) free(fj_mh_header(evict[i])->raw);
}

/* drop cached blocks (least recently freed first) until at most `keep` bytes stay */
static size_t fj_mh_trim(size_t keep)
{
    char *evict[FJ_MH_SLOTS];
    int nevict = 0;
    size_t freed = 0;
    fj_mh_lock_();
    while (fj_mh_n > 0 && fj_mh_bytes > keep) {
        int oldest = 0;
        for (int i = 1; i < fj_mh_n; i++)
            if (fj_mh_slots[i].stamp < fj_mh_slots[oldest].stamp) oldest = i;
        freed += fj_mh_slots[oldest].cap;
        evict[nevict++] = fj_mh_slots[oldest].data;
        fj_mh_drop_slot(oldest);
    }
    fj_mh_unlock_();
    for (int i = 0; i < nevict; i++) free(fj_mh_header(evict[i])->raw);
    return freed;
}

/* ---- the PyDataMem_Handler callbacks ------------------------------------------------- */

static void *fj_mh_malloc(void *ctx, size_t n) { (void)ctx; return fj_mh_alloc(n, 0); }

static void *fj_mh_calloc(void *ctx, size_t nelem, size_t elsize)
{
    (void)ctx;
    if (elsize && nelem > SIZE_MAX / elsize) return NULL;
    return fj_mh_alloc(nelem * elsize, 1);
}

static void *fj_mh_realloc(void *ctx, void *ptr, size_t n)
{
    (void)ctx;
    if (!ptr) return fj_mh_alloc(n, 0);
    if (n == 0) n = 1;
    size_t cap = fj_mh_header(ptr)->cap;
    if (n <= cap && (cap < fj_mh_min || fj_mh_class(n) == cap)) return ptr;
    char *q = (char *)fj_mh_alloc(n, 0);
    if (!q) return NULL;
    memcpy(q, ptr, n < cap ? n : cap);
    fj_mh_release(ptr);
    return q;
}

static void fj_mh_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx; (void)size;   /* the header knows the block's real capacity */
    fj_mh_release(ptr);
}

static PyDataMem_Handler fj_mh_handler = {
    "framejit_output_cache",
    1,
    {NULL, fj_mh_malloc, fj_mh_calloc, fj_mh_realloc, fj_mh_free},
};

static void *fj_mh_handler_addr(void) { return &fj_mh_handler; }

/* once, with the GIL held, before the handler is installed anywhere: 0 or -1 */
static int fj_mh_init(void)
{
    if (!fj_mh_lock) fj_mh_lock = PyThread_allocate_lock();
    return fj_mh_lock ? 0 : -1;
}

#endif /* FRAMEJIT_MEMHANDLER_H */
