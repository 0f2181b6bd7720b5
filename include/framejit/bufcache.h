/* bufcache.h: a small cache of large, aligned memory blocks for kernel outputs.
 *
 * Writing into freshly mapped memory costs as much as the traffic itself for large
 * arrays (every page faults in on first touch), so _kernels.empty() takes its buffers
 * from blocks that earlier arrays released. A block is released (fj_cache_release) only
 * when its array and every view of it died, so no caller can observe the reuse. At most
 * FJ_CACHE_BLOCKS blocks and fj_cache_max bytes are kept; the rest is freed. Not
 * thread-safe by itself: callers hold the GIL.
 */
#ifndef FRAMEJIT_BUFCACHE_H
#define FRAMEJIT_BUFCACHE_H

#include <stddef.h>
#include <stdlib.h>

#define FJ_CACHE_BLOCKS 16
#define FJ_CACHE_ALIGN 64                 /* bytes: a cache line, any SIMD width */
static size_t fj_cache_min = (size_t)1 << 20;     /* smaller arrays: np.empty */
static size_t fj_cache_max = (size_t)512 << 20;   /* bytes kept at most */
static size_t fj_cache_bytes = 0;
static int fj_cache_n = 0;
static void *fj_cache_raw[FJ_CACHE_BLOCKS];
static size_t fj_cache_size[FJ_CACHE_BLOCKS];

static void fj_cache_drop(int i)
{
    fj_cache_bytes -= fj_cache_size[i];
    for (int j = i; j < fj_cache_n - 1; j++) {
        fj_cache_raw[j] = fj_cache_raw[j + 1];
        fj_cache_size[j] = fj_cache_size[j + 1];
    }
    fj_cache_n--;
}

/* a block of at least n usable bytes (its usable size in *got), or NULL: the most
 * recently released block of n..2n bytes, else fresh memory */
static void *fj_cache_take(size_t n, size_t *got)
{
    for (int i = fj_cache_n - 1; i >= 0; i--) {
        if (n <= fj_cache_size[i] && fj_cache_size[i] <= 2 * n) {
            void *raw = fj_cache_raw[i];
            *got = fj_cache_size[i];
            fj_cache_drop(i);
            return raw;
        }
    }
    *got = n;
    return malloc(n + FJ_CACHE_ALIGN);
}

static char *fj_cache_data(void *raw)
{
    return (char *)(((size_t)raw + FJ_CACHE_ALIGN - 1) & ~(size_t)(FJ_CACHE_ALIGN - 1));
}

static void fj_cache_release(void *raw, size_t n)
{
    if (fj_cache_n < FJ_CACHE_BLOCKS && fj_cache_bytes + n <= fj_cache_max) {
        fj_cache_raw[fj_cache_n] = raw;
        fj_cache_size[fj_cache_n++] = n;
        fj_cache_bytes += n;
    } else {
        free(raw);
    }
}

/* free the oldest blocks until at most `keep` bytes stay; returns bytes freed */
static size_t fj_cache_clear(size_t keep)
{
    size_t freed = 0;
    while (fj_cache_n > 0 && fj_cache_bytes > keep) {
        freed += fj_cache_size[0];
        free(fj_cache_raw[0]);
        fj_cache_drop(0);
    }
    return freed;
}

#endif
