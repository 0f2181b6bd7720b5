/* kernels.h: framejit's fused kernel library (header-only, compiled into _kernels.pyx).
 *
 * A program is a list of registers and a list of instructions (opcode, dst, a, b, c,
 * imm) from ops.def; a CHAIN instruction carries its own steps instead (kernel_vec.h,
 * kernel_chain.h: float arithmetic and exp kept in vector registers). It runs over an iteration space of `nseg` segments of `seg_len`
 * elements each (one segment for elementwise work and full reductions, one per row for
 * last-axis reductions), in blocks of at most `block` elements that never cross a
 * segment. PASS instructions split the program into passes: a pass runs over every block
 * of a segment before the next pass starts, so a later pass can read what the reductions
 * of an earlier one produced (row max -> exp -> row sum -> divide). TEMP registers live
 * for one block of one pass; ACC registers hold one reduction result per segment.
 *
 * Determinism: a block's reduction partial depends only on the block's data, and the
 * partials of a segment are folded pairwise in block order by one thread, so results do
 * not depend on the thread count at all. Kernels are compiled three times (baseline,
 * AVX2+FMA, AVX-512) and one table is chosen at import from the CPU.
 * Threading: OpenMP over blocks (one segment) or over segments (many rows) when the
 * estimated work is above FJ_PAR_MIN_WORK; fj_run never touches Python objects.
 * Floating-point errors: every thread that runs blocks clears the FP exception flags
 * first and reads them after (fj_fe_get); fj_run reports their union in *fpe for the
 * binding, which replays the group with NumPy when NumPy would warn or raise. The flags
 * are a filter only: a spurious one (a SIMD lane whose result is replaced later) costs
 * a replay, never a warning.
 */
#ifndef FRAMEJIT_KERNELS_H
#define FRAMEJIT_KERNELS_H

#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include "omp_compat.h"

typedef int64_t fj_index;

#if defined(_MSC_VER)
#define FJ_THREAD_LOCAL __declspec(thread)
#else
#define FJ_THREAD_LOCAL _Thread_local
#endif

enum { FJ_F64, FJ_F32, FJ_I64, FJ_I32, FJ_BOOL, FJ_NDTYPES };
static const int fj_itemsize[FJ_NDTYPES] = {8, 4, 8, 4, 1};

enum {
#define FJ_OP(NAME, NARGS, KIND, NPNAME, SIG, COST) FJ_OP_##NAME,
#include "ops.def"
#undef FJ_OP
    FJ_NOPS
};
enum { FJ_KIND_CONTROL, FJ_KIND_ELEMENTWISE, FJ_KIND_REDUCTION };
enum { FJ_SIG_NONE, FJ_SIG_SAME, FJ_SIG_CMP, FJ_SIG_WHERE, FJ_SIG_CAST, FJ_SIG_ARG };

typedef struct { const char *name; int nargs, kind, sig, cost; } fj_opinfo;
static const fj_opinfo fj_ops[FJ_NOPS] = {
#define FJ_OP(NAME, NARGS, KIND, NPNAME, SIG, COST) \
    {NPNAME, NARGS, FJ_KIND_##KIND, FJ_SIG_##SIG, COST},
#include "ops.def"
#undef FJ_OP
};

enum {
    FJ_OK = 0,
    FJ_ERR_NOMEM = 1,
    FJ_ERR_NEG_INT_POWER = 2,
    FJ_ERR_EMPTY_REDUCE = 3,
    FJ_ERR_UNSUPPORTED = 4,
};

/* floating-point exceptions a run raised (fj_run's *fpe), NumPy's NPY_FPE_* values */
enum { FJ_FPE_DIVIDE = 1, FJ_FPE_OVERFLOW = 2, FJ_FPE_UNDERFLOW = 4, FJ_FPE_INVALID = 8 };

/* one block's (or a fold of blocks') reduction result: float results in d, integer and
 * bool results in i, arg-reductions' index in idx (offset within the segment) */
typedef struct { double d; int64_t i; int64_t idx; } fj_partial;

typedef void (*fj_ew_fn)(fj_index n, void *dst, const void *a, const void *b, const void *c,
                         int64_t imm, int *err);
typedef void (*fj_red_fn)(fj_index n, const void *src, fj_index base, fj_partial *out);

#include "kernel_vec.h"
typedef void (*fj_chain_fn)(fj_index n, const fj_step *steps, int nsteps, void *const *ptr,
                            int *fpe);

typedef struct {
    fj_ew_fn ew[FJ_NOPS][FJ_NDTYPES];        /* keyed by the op's SIG dtype */
    fj_ew_fn cast[FJ_NDTYPES][FJ_NDTYPES];   /* [dst][src] */
    fj_red_fn red[FJ_NOPS][FJ_NDTYPES];      /* keyed by the source dtype */
    fj_chain_fn chain[FJ_NDTYPES];           /* float dtypes only */
} fj_table;

#include "kernel_fpe.h"

/* ---- the kernels, once per instruction set ---------------------------------------- */

#define FJ_CAT2(a, b) a##b
#define FJ_CAT(a, b) FJ_CAT2(a, b)
#define FJ_ISA(name) FJ_CAT(name, FJ_ISA_SUFFIX)

#if defined(__GNUC__) && !defined(__clang__)
#define FJ_GCC_REGIONS 1
#endif

#ifdef FJ_GCC_REGIONS
#pragma GCC push_options
/* lets GCC vectorize floor/ceil and if-convert selects; NaN/inf semantics unchanged */
#pragma GCC optimize("no-trapping-math")
#endif
#define FJ_ISA_SUFFIX _base
#include "vecmath.h"
#include "vecmath_vec.h"
#include "kernel_chain.h"
#include "kernel_body.h"
#undef FJ_ISA_SUFFIX
#ifdef FJ_GCC_REGIONS
#pragma GCC pop_options
#endif

#if defined(FJ_GCC_REGIONS) && defined(__x86_64__)
#define FJ_X86_VARIANTS 1
#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi,bmi2,popcnt,f16c")
#pragma GCC optimize("no-trapping-math")
#define FJ_ISA_SUFFIX _avx2
#include "vecmath.h"
#include "vecmath_vec.h"
#include "kernel_chain.h"
#include "kernel_body.h"
#undef FJ_ISA_SUFFIX
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,bmi,bmi2,popcnt,f16c,prefer-vector-width=512")
#pragma GCC optimize("no-trapping-math")
#define FJ_ISA_SUFFIX _avx512
#include "vecmath.h"
#include "vecmath_vec.h"
#include "kernel_chain.h"
#include "kernel_body.h"
#undef FJ_ISA_SUFFIX
#pragma GCC pop_options
#endif

/* ---- instruction-set selection ------------------------------------------------------ */

enum { FJ_ISA_BASE, FJ_ISA_AVX2, FJ_ISA_AVX512, FJ_NISA };
static const char *const fj_isa_names[FJ_NISA] = {"baseline", "avx2", "avx512"};
static fj_table fj_tables[FJ_NISA];
static int fj_isa_supported = FJ_ISA_BASE;   /* best level this CPU runs */
static int fj_isa_current = FJ_ISA_BASE;     /* level in use */

static void fj_init_tables(void)
{
    memset(fj_tables, 0, sizeof(fj_tables));
    fj_fill_table_base(&fj_tables[FJ_ISA_BASE]);
#ifdef FJ_X86_VARIANTS
    fj_fill_table_avx2(&fj_tables[FJ_ISA_AVX2]);
    fj_fill_table_avx512(&fj_tables[FJ_ISA_AVX512]);
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        fj_isa_supported = FJ_ISA_AVX2;
    if (fj_isa_supported == FJ_ISA_AVX2 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw"))
        fj_isa_supported = FJ_ISA_AVX512;
#endif
    fj_isa_current = fj_isa_supported;
}

/* returns 0 and switches when the CPU supports `level`, else -1 (tests use this) */
static int fj_set_isa(int level)
{
    if (level < 0 || level > fj_isa_supported) return -1;
    fj_isa_current = level;
    return 0;
}

/* table lookups for the binding (validation of programs) */
static fj_ew_fn fj_lookup_ew(int op, int dtype) { return fj_tables[fj_isa_current].ew[op][dtype]; }
static fj_ew_fn fj_lookup_cast(int dst, int src) { return fj_tables[fj_isa_current].cast[dst][src]; }
static fj_red_fn fj_lookup_red(int op, int dtype) { return fj_tables[fj_isa_current].red[op][dtype]; }
static fj_chain_fn fj_lookup_chain(int dtype) { return fj_tables[fj_isa_current].chain[dtype]; }

/* ---- programs ----------------------------------------------------------------------- */

#define FJ_MAXDIM 64
#define FJ_BLOCK_DEFAULT 2048   /* largest default block (elements) */
#define FJ_BLOCK_MIN 256
#define FJ_BLOCK_BYTES 65536     /* default block x 8 bytes x registers stays below this */
#define FJ_STACK_BYTES 32768   /* fj_run's stack arena for small calls */
#define FJ_PAR_MIN_WORK 65536   /* elements x op cost below which one thread runs */
static double fj_par_min_work = FJ_PAR_MIN_WORK;   /* tests lower it to force threads */
/* Shared cores: when another process keeps our worker threads off the CPU, every
 * parallel region waits a scheduler quantum for them (measured here: 47 us of work took
 * 13 ms on 2 threads). Results never depend on the thread count, so after a run in which
 * the calling thread had to do nearly all the work itself, calls stay serial for
 * FJ_BACKOFF_S seconds and then try threads again. */
#define FJ_BACKOFF_S 0.25
#define FJ_BACKOFF_MIN_WAIT_S 1e-3   /* a scheduler quantum, not a wake-up */
static double fj_backoff_until = 0.0;
static int fj_adaptive = 1;                     /* tests switch it off */

enum { FJ_REG_ARRAY, FJ_REG_CONST, FJ_REG_TEMP, FJ_REG_ACC };
enum { FJ_REDUCE_NONE, FJ_REDUCE_ALL, FJ_REDUCE_LAST };

typedef union { double f64; float f32; int64_t i64; int32_t i32; uint8_t b; } fj_scalar;

typedef struct {
    int kind, dtype;
    int array;          /* ARRAY: operand index; ACC: output operand index or -1 */
    fj_scalar value;    /* CONST */
} fj_reg;

/* chains (op CHAIN): `steps` (nsteps of them, kernel_vec.h) read and store registers
 * themselves; dst is the register of the last step, a STORE, and a, b, c are -1 */
typedef struct {
    int op, dst, a, b, c;
    int64_t imm;
    const fj_step *steps;
    int nsteps;
} fj_instr;

typedef struct {
    int nregs;
    const fj_reg *regs;
    int ninstr;
    const fj_instr *code;
    int reduce;         /* FJ_REDUCE_*; informational, the launch gives the segments */
} fj_program;

typedef struct {
    char *data;
    fj_index strides[FJ_MAXDIM];   /* bytes per step of each iteration dim, 0 = broadcast */
} fj_operand;

typedef struct {
    int ndim;                      /* iteration space (coalesced), ndim >= 1 */
    fj_index dims[FJ_MAXDIM];
    fj_index nseg, seg_len;        /* nseg * seg_len == product of dims */
    fj_operand *ops;               /* one per ARRAY operand */
    char **acc_out;                /* per register: contiguous nseg-element output, or NULL */
    int nthreads;                  /* >= 1 */
    fj_index block;                /* 0 = FJ_BLOCK_DEFAULT */
} fj_launch;

/* ---- run-time plan ------------------------------------------------------------------ */

enum { FJ_RP_FIXED, FJ_RP_DIRECT, FJ_RP_LINEAR, FJ_RP_ND };

typedef struct {
    int mode, isz, read, written;
    int inner_contig;              /* ND: innermost stride == itemsize */
    fj_index fstride;              /* LINEAR/DIRECT: bytes per flat index */
} fj_regplan;

typedef struct {
    const fj_program *P;
    const fj_launch *L;
    const fj_table *T;
    fj_regplan *rp;
    int npasses;
    int *pass_lo, *pass_hi;        /* instruction ranges (PASS markers excluded) */
    unsigned char *pass_use;       /* [npasses][nregs] bit 1 read, bit 2 written */
    int *slot;                     /* per register: ACC slot or -1 */
    int *prod;                     /* per register: index of the instruction writing an ACC */
    int *ins_pass;                 /* per instruction: its pass */
    unsigned char *scalar;         /* per instruction: 1 = runs once per segment on accs */
    unsigned char *soft;           /* per instruction: fj_soft_kind of its result, or 0 */
    unsigned char *hwkeep;         /* per instruction: fj_hw_keep, the FE_* flags it reports */
    fj_ew_fn *efn;                 /* per instruction: resolved elementwise kernel */
    fj_red_fn *rfn;                /* per instruction: resolved reduction kernel */
    fj_chain_fn *cfn;              /* per instruction: resolved chain kernel */
    int *arr_list, *arr_cnt;       /* per pass: ARRAY registers with per-block work */
    int nacc;
    fj_index B, nblk;
    int err;
    int plan_heap;                 /* the plan's arrays were calloc'ed */
} fj_ctx;

typedef struct {
    char *mem;
    void **ptr;                    /* per register: this block's data */
    void **own;                    /* per register: its own block buffer */
    char *saved;                   /* one block: a source the soft FP check must see */
    fj_partial *parts;             /* [nacc][nblk] */
    fj_partial *accval;            /* [nacc] */
    fj_index units;                /* segments or blocks this thread ran */
    int fpe;                       /* FJ_FPE_* raised by the blocks this thread ran */
    double busy;                   /* seconds this thread spent running them */
} fj_tstate;

static void fj_store_scalar(void *dst, int dtype, double d, int64_t i, int isfloat)
{
    switch (dtype) {
    case FJ_F64: *(double *)dst = isfloat ? d : (double)i; break;
    case FJ_F32: *(float *)dst = isfloat ? (float)d : (float)i; break;
    case FJ_I64: *(int64_t *)dst = isfloat ? (int64_t)d : i; break;
    case FJ_I32: *(int32_t *)dst = isfloat ? (int32_t)d : (int32_t)i; break;
    default: *(uint8_t *)dst = isfloat ? (d != 0) : (i != 0); break;
    }
}

static void fj_fill(void *dst, const void *val, int isz, fj_index n)
{
    switch (isz) {
    case 8: { uint64_t v; memcpy(&v, val, 8); for (fj_index i = 0; i < n; i++) ((uint64_t *)dst)[i] = v; break; }
    case 4: { uint32_t v; memcpy(&v, val, 4); for (fj_index i = 0; i < n; i++) ((uint32_t *)dst)[i] = v; break; }
    default: memset(dst, *(const uint8_t *)val, (size_t)n); break;
    }
}

/* ---- gather / scatter of non-contiguous operands ------------------------------------ */

#define FJ_COPY_STRIDED(T, dst, dstep, src, sstep, n)                                      \
    for (fj_index k_ = 0; k_ < (n); k_++)                                                  \
        *(T *)((char *)(dst) + k_ * (dstep)) = *(const T *)((const char *)(src) + k_ * (sstep));

static void fj_copy_strided(char *dst, fj_index dstep, const char *src, fj_index sstep,
                            fj_index n, int isz)
{
    switch (isz) {
    case 8: FJ_COPY_STRIDED(uint64_t, dst, dstep, src, sstep, n); break;
    case 4: FJ_COPY_STRIDED(uint32_t, dst, dstep, src, sstep, n); break;
    default: FJ_COPY_STRIDED(uint8_t, dst, dstep, src, sstep, n); break;
    }
}

/* copy n elements starting at flat index `flat` between a block buffer and an operand
 * laid out with arbitrary strides over the iteration dims; to_block selects direction */
static void fj_move_nd(const fj_launch *L, const fj_operand *o, fj_index flat, fj_index n,
                       char *buf, int isz, int to_block)
{
    fj_index idx[FJ_MAXDIM];
    int nd = L->ndim, last = nd - 1;
    fj_index rem = flat;
    for (int d = last; d >= 0; d--) { idx[d] = rem % L->dims[d]; rem /= L->dims[d]; }
    fj_index done = 0;
    while (done < n) {
        char *p = o->data;
        for (int d = 0; d < nd; d++) p += idx[d] * o->strides[d];
        fj_index run = L->dims[last] - idx[last];
        if (run > n - done) run = n - done;
        if (to_block) fj_copy_strided(buf + done * isz, isz, p, o->strides[last], run, isz);
        else fj_copy_strided(p, o->strides[last], buf + done * isz, isz, run, isz);
        done += run;
        idx[last] += run;
        for (int d = last; d > 0 && idx[d] >= L->dims[d]; d--) { idx[d] = 0; idx[d - 1]++; }
    }
}

static char *fj_nd_address(const fj_launch *L, const fj_operand *o, fj_index flat)
{
    char *p = o->data;
    for (int d = L->ndim - 1; d >= 0; d--) { p += (flat % L->dims[d]) * o->strides[d]; flat /= L->dims[d]; }
    return p;
}

static void fj_move(const fj_ctx *C, int r, fj_index flat, fj_index n, char *buf, int to_block)
{
    const fj_regplan *rp = &C->rp[r];
    const fj_operand *o = &C->L->ops[C->P->regs[r].array];
    if (rp->mode == FJ_RP_LINEAR) {
        char *p = o->data + flat * rp->fstride;
        if (to_block) fj_copy_strided(buf, rp->isz, p, rp->fstride, n, rp->isz);
        else fj_copy_strided(p, rp->fstride, buf, rp->isz, n, rp->isz);
    } else {
        fj_move_nd(C->L, o, flat, n, buf, rp->isz, to_block);
    }
}

/* ---- reductions: fold partials, finalize ---------------------------------------- */

static int fj_red_isfloat(int op, int src_dtype)
{
    (void)op;
    return src_dtype == FJ_F64 || src_dtype == FJ_F32;
}

/* quiet comparisons (islessequal, ...): a NaN must not raise FE_INVALID here */
static void fj_combine(fj_partial *a, const fj_partial *b, int op, int isfloat)
{
    switch (op) {
    case FJ_OP_SUM: case FJ_OP_MEAN:
        if (isfloat) a->d += b->d; else a->i = (int64_t)((uint64_t)a->i + (uint64_t)b->i);
        break;
    case FJ_OP_PROD:
        if (isfloat) a->d *= b->d; else a->i = (int64_t)((uint64_t)a->i * (uint64_t)b->i);
        break;
    case FJ_OP_MIN:
        if (isfloat) { if (!(islessequal(a->d, b->d) || a->d != a->d)) a->d = b->d; }
        else if (b->i < a->i) a->i = b->i;
        break;
    case FJ_OP_MAX:
        if (isfloat) { if (!(isgreaterequal(a->d, b->d) || a->d != a->d)) a->d = b->d; }
        else if (b->i > a->i) a->i = b->i;
        break;
    case FJ_OP_ANY: a->i |= b->i; break;
    case FJ_OP_ALL: a->i &= b->i; break;
    case FJ_OP_ARGMIN:   /* a precedes b: ties and later NaNs keep a */
        if (isfloat) { if (a->d == a->d && (isless(b->d, a->d) || b->d != b->d)) *a = *b; }
        else if (b->i < a->i) *a = *b;
        break;
    case FJ_OP_ARGMAX:
        if (isfloat) { if (a->d == a->d && (isgreater(b->d, a->d) || b->d != b->d)) *a = *b; }
        else if (b->i > a->i) *a = *b;
        break;
    }
}

/* pairwise, in block order; the result is left in p[0] */
static void fj_fold(fj_partial *p, fj_index n, int op, int isfloat)
{
    for (fj_index step = 1; step < n; step *= 2)
        for (fj_index i = 0; i + step < n; i += 2 * step) fj_combine(&p[i], &p[i + step], op, isfloat);
}

/* fold the partials of reduction instruction `ins` for segment `seg` into *val and write
 * the output; returns an error code for empty min/max/arg reductions */
static int fj_finalize(const fj_ctx *C, const fj_instr *ins, fj_partial *parts, fj_index seg,
                       fj_partial *val)
{
    int op = ins->op, sdt = C->P->regs[ins->a].dtype;
    int isfloat = fj_red_isfloat(op, sdt);
    fj_index nb = C->nblk;
    if (nb == 0) {
        memset(val, 0, sizeof(*val));
        switch (op) {
        case FJ_OP_SUM: break;
        case FJ_OP_MEAN: val->d = NAN; break;
        case FJ_OP_PROD: val->d = 1.0; val->i = 1; break;
        case FJ_OP_ANY: break;
        case FJ_OP_ALL: val->i = 1; break;
        default: return FJ_ERR_EMPTY_REDUCE;
        }
    } else {
        fj_fold(parts, nb, op, isfloat);
        *val = parts[0];
        if (op == FJ_OP_MEAN) {
            /* mean in the result dtype: float32 sums round to float32 first, as NumPy */
            double s = C->P->regs[ins->dst].dtype == FJ_F32 ? (double)(float)val->d : val->d;
            val->d = s / (double)C->L->seg_len;
        }
    }
    int dt = C->P->regs[ins->dst].dtype;
    char *out = C->L->acc_out ? C->L->acc_out[ins->dst] : NULL;
    if (out) {
        char *dst = out + seg * fj_itemsize[dt];
        if (op == FJ_OP_ARGMIN || op == FJ_OP_ARGMAX) *(int64_t *)dst = val->idx;
        else if (op == FJ_OP_MEAN && dt == FJ_F32) *(float *)dst = (float)val->d;
        else fj_store_scalar(dst, dt, val->d, val->i, isfloat);
    }
    return FJ_OK;
}

/* ---- executing blocks ----------------------------------------------------------------- */

/* the ACC value of register r from its reduction's folded partial */
static void fj_acc_scalar(const fj_ctx *C, int r, const fj_partial *v, fj_scalar *s)
{
    const fj_program *P = C->P;
    const fj_instr *in = &P->code[C->prod[r]];
    int dt = P->regs[r].dtype, op = in->op;
    if (op == FJ_OP_ARGMIN || op == FJ_OP_ARGMAX) fj_store_scalar(s, dt, 0, v->idx, 0);
    else if (op == FJ_OP_MEAN && dt == FJ_F32) s->f32 = (float)v->d;
    else fj_store_scalar(s, dt, v->d, v->i, fj_red_isfloat(op, P->regs[in->a].dtype));
}

/* At the start of pass `pass` of a segment: fill the buffers of the accs reduced in
 * earlier passes, then run the scalar instructions (acc op acc/const, once per segment)
 * of this and earlier passes in program order. Buffers read elementwise in this pass are
 * filled to a whole block, the others to one element. */
static void fj_fill_acc_reads(const fj_ctx *C, fj_tstate *ts, int pass, const fj_partial *accval)
{
    const fj_program *P = C->P;
    const unsigned char *use = C->pass_use + pass * P->nregs;
    for (int r = 0; r < P->nregs; r++) {
        if (P->regs[r].kind != FJ_REG_ACC || C->scalar[C->prod[r]] ||
            C->ins_pass[C->prod[r]] >= pass)
            continue;
        fj_scalar s;
        fj_acc_scalar(C, r, &accval[C->slot[r]], &s);
        fj_fill(ts->ptr[r], &s, fj_itemsize[P->regs[r].dtype], (use[r] & 1) ? C->B : 1);
    }
    for (int i = 0; i < P->ninstr && C->ins_pass[i] <= pass; i++) {
        const fj_instr *in = &P->code[i];
        if (!C->scalar[i]) continue;
        int err = 0;
        fj_ew_fn f = in->op == FJ_OP_CAST
            ? C->T->cast[P->regs[in->dst].dtype][P->regs[in->a].dtype]
            : C->T->ew[in->op][P->regs[fj_ops[in->op].sig == FJ_SIG_CMP ? in->a : in->dst].dtype];
        int drop = FJ_FE_ALL & ~fj_hw_keep(in->op), before = drop ? fj_fe_get(drop) : 0;
        int kind = fj_soft_kind(in->op);
        fj_scalar sa, sb;                /* the sources as they were, for the soft check */
        memcpy(&sa, ts->ptr[in->a], fj_itemsize[P->regs[in->a].dtype]);
        if (in->b >= 0) memcpy(&sb, ts->ptr[in->b], fj_itemsize[P->regs[in->b].dtype]);
        f(1, ts->ptr[in->dst], in->a >= 0 ? ts->ptr[in->a] : NULL,
          in->b >= 0 ? ts->ptr[in->b] : NULL, in->c >= 0 ? ts->ptr[in->c] : NULL, in->imm, &err);
        if (kind)
            ts->fpe |= fj_soft_fpe(kind, P->regs[in->dst].dtype, 1, ts->ptr[in->dst], &sa,
                                   in->b >= 0 ? &sb : NULL);
        if (drop) fj_fe_drop(before, drop);
        if (use[in->dst] & 1)
            fj_fill(ts->ptr[in->dst], ts->ptr[in->dst], fj_itemsize[P->regs[in->dst].dtype], C->B);
    }
}

static void fj_exec_block(fj_ctx *C, fj_tstate *ts, int pass, fj_index seg, fj_index b)
{
    const fj_program *P = C->P;
    const fj_launch *L = C->L;
    fj_index off = b * C->B;
    fj_index n = L->seg_len - off < C->B ? L->seg_len - off : C->B;
    fj_index flat = seg * L->seg_len + off;
    const unsigned char *use = C->pass_use + pass * P->nregs;
    const int *arrs = C->arr_list + pass * P->nregs;
    int narr = C->arr_cnt[pass];
    int err = 0;
    for (int k = 0; k < narr; k++) {
        int r = arrs[k];
        const fj_regplan *rp = &C->rp[r];
        if (rp->mode == FJ_RP_DIRECT) {
            ts->ptr[r] = L->ops[P->regs[r].array].data + flat * rp->fstride;
        } else if (rp->mode == FJ_RP_ND && rp->inner_contig && !(use[r] & 2) &&
                   flat % L->dims[L->ndim - 1] + n <= L->dims[L->ndim - 1]) {
            /* the block lies inside one contiguous innermost row (e.g. a bias vector
             * broadcast over rows): read it in place */
            ts->ptr[r] = fj_nd_address(L, &L->ops[P->regs[r].array], flat);
        } else {
            ts->ptr[r] = ts->own[r];
            if (use[r] & 1) fj_move(C, r, flat, n, (char *)ts->ptr[r], 1);
        }
    }
    void **ptr = ts->ptr;
    for (int i = C->pass_lo[pass]; i < C->pass_hi[pass]; i++) {
        const fj_instr *in = &P->code[i];
        int drop = FJ_FE_ALL & ~C->hwkeep[i], before = drop ? fj_fe_get(drop) : 0;
        if (C->efn[i]) {
            const void *sa = in->a >= 0 ? ptr[in->a] : NULL, *sb = in->b >= 0 ? ptr[in->b] : NULL;
            if (C->soft[i] && (sa == ptr[in->dst] || sb == ptr[in->dst])) {
                /* the result overwrites a source (register reuse): check against a copy */
                size_t bytes = (size_t)n * (size_t)fj_itemsize[P->regs[in->dst].dtype];
                memcpy(ts->saved, ptr[in->dst], bytes);
                if (sa == ptr[in->dst]) sa = ts->saved;
                if (sb == ptr[in->dst]) sb = ts->saved;
            }
            C->efn[i](n, ptr[in->dst], in->a >= 0 ? ptr[in->a] : NULL,
                      in->b >= 0 ? ptr[in->b] : NULL, in->c >= 0 ? ptr[in->c] : NULL, in->imm,
                      &err);
            if (C->soft[i])
                ts->fpe |= fj_soft_fpe(C->soft[i], P->regs[in->dst].dtype, n, ptr[in->dst],
                                       sa, sb);
        } else if (C->cfn[i]) {
            C->cfn[i](n, in->steps, in->nsteps, ptr, &ts->fpe);
        } else if (C->rfn[i]) {
            C->rfn[i](n, ptr[in->a], off, &ts->parts[C->slot[in->dst] * C->nblk + b]);
        }
        if (drop) fj_fe_drop(before, drop);
    }
    for (int k = 0; k < narr; k++) {
        int r = arrs[k];
        const fj_regplan *rp = &C->rp[r];
        if ((use[r] & 2) && (rp->mode == FJ_RP_LINEAR || rp->mode == FJ_RP_ND))
            fj_move(C, r, flat, n, (char *)ts->ptr[r], 0);
    }
    if (err) C->err = err;
}

/* per-thread buffers: one block per register; constants and broadcast operands filled once */
static size_t fj_tstate_bytes(const fj_ctx *C, int own_partials)
{
    size_t per = ((size_t)C->B * 8 + 63) & ~(size_t)63;
    size_t nparts = own_partials ? (size_t)C->nacc * (size_t)(C->nblk ? C->nblk : 1) : 0;
    return per * (size_t)(C->P->nregs + 1) + 64 + 2 * sizeof(void *) * (size_t)C->P->nregs +
           sizeof(fj_partial) * (nparts + (size_t)C->nacc + 1);
}

/* per-thread buffers: one block per register; constants and broadcast operands filled
 * once. Uses `mem` (fj_tstate_bytes long) when given, else the heap (ts->mem). */
static int fj_tstate_init(const fj_ctx *C, fj_tstate *ts, int own_partials, char *mem)
{
    const fj_program *P = C->P;
    size_t per = ((size_t)C->B * 8 + 63) & ~(size_t)63;
    size_t nparts = own_partials ? (size_t)C->nacc * (size_t)(C->nblk ? C->nblk : 1) : 0;
    ts->mem = NULL;
    if (!mem) {
        /* reuse this thread's scratch across calls: fresh pages cost page faults */
        static FJ_THREAD_LOCAL char *tls_buf = NULL;
        static FJ_THREAD_LOCAL size_t tls_cap = 0;
        size_t need = fj_tstate_bytes(C, own_partials);
        if (need > tls_cap) {
            free(tls_buf);
            tls_cap = 0;
            tls_buf = (char *)malloc(need);
            if (!tls_buf) return FJ_ERR_NOMEM;
            tls_cap = need;
        }
        mem = tls_buf;
    }
    char *base = (char *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
    ts->saved = base + per * (size_t)P->nregs;
    char *tail = ts->saved + per;
    ts->ptr = (void **)tail;
    ts->own = ts->ptr + P->nregs;
    ts->parts = (fj_partial *)(tail + 2 * sizeof(void *) * (size_t)P->nregs);
    ts->accval = ts->parts + nparts;
    for (int r = 0; r < P->nregs; r++) {
        const fj_reg *g = &P->regs[r];
        ts->ptr[r] = ts->own[r] = base + per * (size_t)r;
        if (g->kind == FJ_REG_CONST) fj_fill(ts->ptr[r], &g->value, fj_itemsize[g->dtype], C->B);
        if (g->kind == FJ_REG_ARRAY && C->rp[r].mode == FJ_RP_FIXED)
            fj_fill(ts->ptr[r], C->L->ops[g->array].data, fj_itemsize[g->dtype], C->B);
    }
    return FJ_OK;
}

static int fj_finish_pass(fj_ctx *C, int pass, fj_index seg, fj_partial *parts, fj_partial *accval)
{
    int rc = FJ_OK;
    for (int i = C->pass_lo[pass]; i < C->pass_hi[pass]; i++) {
        const fj_instr *in = &C->P->code[i];
        if (fj_ops[in->op].kind != FJ_KIND_REDUCTION) continue;
        int s = C->slot[in->dst];
        int e = fj_finalize(C, in, parts + (fj_index)s * C->nblk, seg, &accval[s]);
        if (e) rc = e;
    }
    return rc;
}

#include "kernel_run.h"

#endif /* FRAMEJIT_KERNELS_H */
