/* kernel_fpe.h: floating-point exception flags of the kernel library: which hardware
 * flags an op may report (fj_hw_keep), cheap reads and drops of the flags (fj_fe_get,
 * fj_fe_drop), and the software checks of the vectorized transcendentals (fj_soft_fpe).
 * Included by kernels.h before the kernels, which use them (chains check the
 * transcendental steps they evaluate in registers). */
#ifndef FRAMEJIT_KERNEL_FPE_H
#define FRAMEJIT_KERNEL_FPE_H

/* Software FP checks of the vectorized transcendentals (exp, log, sin, ..., power,
 * arctan2), whose branch-free code need not raise the hardware flags that NumPy's loops
 * raise: a non-finite result from finite operands (overflow, divide by zero, invalid), a
 * NaN from non-NaN operands (invalid), and for power an infinite result from a finite
 * base (0 ** -inf, 1e300 ** inf). */
static int fj_soft_on = 1;   /* tests and benchmarks switch the checks off */

static int fj_soft_kind(int op)
{
    if (!fj_soft_on) return 0;
    switch (op) {
    case FJ_OP_EXP: case FJ_OP_EXP2: case FJ_OP_EXPM1: case FJ_OP_LOG: case FJ_OP_LOG2:
    case FJ_OP_LOG10: case FJ_OP_LOG1P: case FJ_OP_SIN: case FJ_OP_COS: case FJ_OP_TAN:
    case FJ_OP_TANH: return 1;
    case FJ_OP_ARCTAN2: return 2;
    case FJ_OP_POWER: return 3;
    default: return 0;
    }
}

/* one pass over a block, branch-free so that it vectorizes; the comparisons may raise
 * FE_INVALID on NaNs: callers run it before dropping the instruction's hardware flags */
#define FJ_SOFT_ABS(v) _Generic((v), float: __builtin_fabsf, default: __builtin_fabs)(v)
#define FJ_SOFT_LOOP(T, HUGE_)                                                          \
    {                                                                                   \
        const T *D = (const T *)d, *A = (const T *)a, *Bv = (const T *)b;               \
        if (!b) {                                                                       \
            for (fj_index i = 0; i < n; i++) {                                          \
                T r = D[i], x = A[i];                                                   \
                inv |= (r != r) & (x == x);                                             \
                ovf |= (FJ_SOFT_ABS(r) == HUGE_) & (FJ_SOFT_ABS(x) < HUGE_);                    \
            }                                                                           \
        } else {                                                                        \
            int pw = kind == 3;                                                         \
            for (fj_index i = 0; i < n; i++) {                                          \
                T r = D[i], x = A[i], y = Bv[i];                                        \
                inv |= (r != r) & (x == x) & (y == y);                                  \
                ovf |= (FJ_SOFT_ABS(r) == HUGE_) & (FJ_SOFT_ABS(x) < HUGE_) &                   \
                       ((FJ_SOFT_ABS(y) < HUGE_) | pw);                                     \
            }                                                                           \
        }                                                                               \
    }

#ifdef FJ_GCC_REGIONS
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif
#ifdef FJ_X86_VARIANTS
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static int fj_soft_fpe(int kind, int dtype, fj_index n, const void *d, const void *a,
                       const void *b)
{
    /* fast path: all results finite (an exponent field of all ones carries into the
     * sign bit when one is added to it); integer ops only, read the result block only */
    if (dtype == FJ_F64) {
        const uint64_t *u = (const uint64_t *)d;
        uint64_t acc = 0;
        for (fj_index i = 0; i < n; i++) acc |= (u[i] & 0x7ff0000000000000ULL) + (1ULL << 52);
        if (!(acc >> 63)) return 0;
    } else if (dtype == FJ_F32) {
        const uint32_t *u = (const uint32_t *)d;
        uint32_t acc = 0;
        for (fj_index i = 0; i < n; i++) acc |= (u[i] & 0x7f800000u) + (1u << 23);
        if (!(acc >> 31)) return 0;
    }
    int inv = 0, ovf = 0;
    if (dtype == FJ_F64) FJ_SOFT_LOOP(double, (double)INFINITY)
    else if (dtype == FJ_F32) FJ_SOFT_LOOP(float, (float)INFINITY)
    return (inv ? FJ_FPE_INVALID : 0) | (ovf ? FJ_FPE_OVERFLOW | FJ_FPE_DIVIDE : 0);
}
#ifdef FJ_GCC_REGIONS
#pragma GCC pop_options
#endif
#undef FJ_SOFT_LOOP
#undef FJ_SOFT_ABS

/* The hardware flags an instruction may report (FE_* bits); the others it raised are
 * dropped right after it ran. NumPy never warns for comparisons, maximum/minimum, clip,
 * sign, where, min/max/arg reductions or the exact ops (their NaN compares raise
 * FE_INVALID here); the soft-checked transcendentals keep only underflow, the software
 * check reports the rest (vecmath's own flags are not NumPy's). */
#define FJ_FE_ALL (FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID)
static int fj_hw_keep(int op)
{
    switch (op) {
    case FJ_OP_LESS: case FJ_OP_LESS_EQUAL: case FJ_OP_GREATER: case FJ_OP_GREATER_EQUAL:
    case FJ_OP_EQUAL: case FJ_OP_NOT_EQUAL: case FJ_OP_MAXIMUM: case FJ_OP_MINIMUM:
    case FJ_OP_CLIP: case FJ_OP_SIGN: case FJ_OP_WHERE: case FJ_OP_FLOOR: case FJ_OP_CEIL:
    case FJ_OP_ABSOLUTE: case FJ_OP_NEGATIVE: case FJ_OP_COPY: case FJ_OP_LOGICAL_AND:
    case FJ_OP_LOGICAL_OR: case FJ_OP_LOGICAL_NOT: case FJ_OP_MIN: case FJ_OP_MAX:
    case FJ_OP_ARGMIN: case FJ_OP_ARGMAX:
        return 0;
    default:
        return fj_soft_kind(op) ? FE_UNDERFLOW : FJ_FE_ALL;
    }
}

/* The flags of `mask` this thread has raised, and dropping some of them: once or twice
 * per instruction of every block, so on x86-64 they read and write the SSE control and
 * status register directly (a few cycles) instead of fetestexcept/feclearexcept, which
 * also save (feclearexcept: rewrite) the x87 environment (~10x the cost). Every kernel
 * computes with SSE/AVX, glibc's double and float libm functions included, so the
 * per-call fj_fpe_clear/fj_fpe_test use them too (feclearexcept was 3 % of a 16-element
 * call). glibc's FE_* values are the MXCSR status bits on x86. */
#if defined(__x86_64__) && defined(__GLIBC__)
_Static_assert(FE_INVALID == 1 && FE_DIVBYZERO == 4 && FE_OVERFLOW == 8 && FE_UNDERFLOW == 16,
               "FE_* are the MXCSR status bits");
static inline int fj_fe_get(int mask) { return (int)_mm_getcsr() & mask; }
static inline void fj_fe_clear(int flags) { _mm_setcsr(_mm_getcsr() & ~(unsigned)flags); }
#else
static inline int fj_fe_get(int mask) { return fetestexcept(mask); }
static inline void fj_fe_clear(int flags) { feclearexcept(flags); }
#endif

/* drop the flags in `drop` that were not set before (`before`) */
static inline void fj_fe_drop(int before, int drop)
{
    int raised = fj_fe_get(drop) & ~before;
    if (raised) fj_fe_clear(raised);
}

#endif /* FRAMEJIT_KERNEL_FPE_H */
