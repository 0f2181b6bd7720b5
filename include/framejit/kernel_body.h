/* kernel_body.h: the per-block kernels of every (opcode, dtype) pair, and the function
 * that fills one dispatch table with them.
 *
 * Included by kernels.h once per instruction-set region (FJ_ISA(name) appends the
 * region's suffix); no include guard on purpose. Dtype variants are generated from the
 * type lists below, never pasted: an op row in FJ_EW_LIST names its dtype class, operand
 * shape and one C expression (operands x, y, z; element type fj_T, its unsigned twin
 * fj_U; the instruction immediate imm). Integer arithmetic goes through fj_U so that it
 * wraps like NumPy's instead of being undefined. A kernel is called with n <= block size
 * elements; dst may be the very same buffer as a source (in-place register reuse) but
 * never a partial overlap.
 */

/* ---- helpers ------------------------------------------------------------------------ */

#define FJ_FABS(v) _Generic((v), float: __builtin_fabsf, default: __builtin_fabs)(v)
#define FJ_FLOOR(v) _Generic((v), float: __builtin_floorf, default: __builtin_floor)(v)
#define FJ_CEIL(v) _Generic((v), float: __builtin_ceilf, default: __builtin_ceil)(v)
/* NumPy's maximum/minimum: NaN in either operand gives NaN; ties give b (+-0) */
#define FJ_FMAXNAN(a, b) (((a) > (b) || (a) != (a)) ? (a) : (b))
#define FJ_FMINNAN(a, b) (((a) < (b) || (a) != (a)) ? (a) : (b))
/* NumPy's clip: NaN in any operand gives NaN; ties keep x */
#define FJ_FCLIP_LO(x, lo) (((x) >= (lo) || (x) != (x)) ? (x) : (lo))
#define FJ_FCLIP_HI(x, hi) (((x) <= (hi) || (x) != (x)) ? (x) : (hi))

/* VUN / VBIN block functions: FN for float64, FN##f (native float32) for float32 */
#define FJ_VCALL1_f64(FN, n, d, a) FJ_ISA(FN)(n, (double *)(d), (const double *)(a))
#define FJ_VCALL1_f32(FN, n, d, a) FJ_ISA(FN##f)(n, (float *)(d), (const float *)(a))
#define FJ_VCALL2_f64(FN, n, d, a, b) \
    FJ_ISA(FN)(n, (double *)(d), (const double *)(a), (const double *)(b))
#define FJ_VCALL2_f32(FN, n, d, a, b) \
    FJ_ISA(FN##f)(n, (float *)(d), (const float *)(a), (const float *)(b))

static void FJ_ISA(fj_sqrt_blk_f64)(fj_index n, void *d, const void *a)
{
    FJ_ISA(fj_vsqrt)(n, (double *)d, (const double *)a);
}

static void FJ_ISA(fj_sqrt_blk_f32)(fj_index n, void *d, const void *a)
{
    FJ_ISA(fj_vsqrtf)(n, (float *)d, (const float *)a);
}

/* integer power by squaring; negative exponents are an error as in NumPy */
#define FJ_GEN_IPOW(TN, T, U)                                                           \
static inline T FJ_ISA(fj_ipow_##TN)(T x, T e, int *err)                               \
{                                                                                       \
    if (e < 0) { *err = FJ_ERR_NEG_INT_POWER; return 0; }                              \
    U r = 1, b = (U)x;                                                                  \
    while (e) { if (e & 1) r *= b; b *= b; e >>= 1; }                                   \
    return (T)r;                                                                        \
}
FJ_GEN_IPOW(i64, int64_t, uint64_t)
FJ_GEN_IPOW(i32, int32_t, uint32_t)
#define FJ_IPOW(x, y, err) \
    _Generic((x), int64_t: FJ_ISA(fj_ipow_i64), default: FJ_ISA(fj_ipow_i32))(x, y, err)

/* x ** imm by left-to-right binary powering (imm = 3 gives (x*x)*x, i.e. x*x*x), block
 * at a time so every step vectorizes; imm < 0 gives 1 / x**|imm| (floats only). */
#define FJ_GEN_POWI(TN, T, U, ISFLOAT)                                                  \
static void FJ_ISA(fj_powi_##TN)(fj_index n, void *dv, const void *av, int64_t imm,    \
                                 int *err)                                              \
{                                                                                       \
    T base[FJ_VCHUNK], acc[FJ_VCHUNK];                                                  \
    T *d = (T *)dv;                                                                     \
    const T *a = (const T *)av;                                                         \
    uint64_t m = imm < 0 ? (uint64_t)0 - (uint64_t)imm : (uint64_t)imm;                 \
    int top = 63;                                                                       \
    if (imm < 0 && !(ISFLOAT)) { *err = FJ_ERR_NEG_INT_POWER; return; }                 \
    while (top > 0 && !((m >> top) & 1)) top--;                                         \
    if (imm == 2) { for (fj_index i = 0; i < n; i++) d[i] = (T)((U)a[i] * (U)a[i]); return; } \
    if (imm == 3) {                                                                     \
        for (fj_index i = 0; i < n; i++) d[i] = (T)((U)(T)((U)a[i] * (U)a[i]) * (U)a[i]); \
        return;                                                                         \
    }                                                                                   \
    for (fj_index c = 0; c < n; c += FJ_VCHUNK) {                                       \
        fj_index k = n - c < FJ_VCHUNK ? n - c : FJ_VCHUNK;                             \
        for (fj_index i = 0; i < k; i++) { base[i] = a[c + i]; acc[i] = m ? base[i] : 1; } \
        for (int bit = top - 1; bit >= 0 && m; bit--) {                                 \
            for (fj_index i = 0; i < k; i++) acc[i] = (T)((U)acc[i] * (U)acc[i]);       \
            if ((m >> bit) & 1)                                                         \
                for (fj_index i = 0; i < k; i++) acc[i] = (T)((U)acc[i] * (U)base[i]);  \
        }                                                                               \
        if (imm < 0)                                                                    \
            for (fj_index i = 0; i < k; i++) acc[i] = (T)(1 / (U)acc[i]);               \
        memcpy(d + c, acc, (size_t)k * sizeof(T));                                      \
    }                                                                                   \
}
FJ_GEN_POWI(f64, double, double, 1)
FJ_GEN_POWI(f32, float, float, 1)
FJ_GEN_POWI(i64, int64_t, uint64_t, 0)
FJ_GEN_POWI(i32, int32_t, uint32_t, 0)

/* ---- dtype lists: X(type-name, C type, unsigned twin, dtype enum, ...) ---------------- */

#define FJ_T_F64(X, ...) X(f64, double, double, FJ_F64, __VA_ARGS__)
#define FJ_T_F32(X, ...) X(f32, float, float, FJ_F32, __VA_ARGS__)
#define FJ_T_I64(X, ...) X(i64, int64_t, uint64_t, FJ_I64, __VA_ARGS__)
#define FJ_T_I32(X, ...) X(i32, int32_t, uint32_t, FJ_I32, __VA_ARGS__)
#define FJ_T_B(X, ...) X(b, uint8_t, uint8_t, FJ_BOOL, __VA_ARGS__)
#define FJ_T_F(X, ...) FJ_T_F64(X, __VA_ARGS__) FJ_T_F32(X, __VA_ARGS__)
#define FJ_T_I(X, ...) FJ_T_I64(X, __VA_ARGS__) FJ_T_I32(X, __VA_ARGS__)
#define FJ_T_FI(X, ...) FJ_T_F(X, __VA_ARGS__) FJ_T_I(X, __VA_ARGS__)
#define FJ_T_ALL(X, ...) FJ_T_FI(X, __VA_ARGS__) FJ_T_B(X, __VA_ARGS__)
/* the same list again, for the inner loop of a pair of nested expansions (casts) */
#define FJ_T2_ALL(X, ...) X(f64, double, double, FJ_F64, __VA_ARGS__)                    \
    X(f32, float, float, FJ_F32, __VA_ARGS__) X(i64, int64_t, uint64_t, FJ_I64, __VA_ARGS__) \
    X(i32, int32_t, uint32_t, FJ_I32, __VA_ARGS__) X(b, uint8_t, uint8_t, FJ_BOOL, __VA_ARGS__)

/* ---- elementwise kernels: X(OP, dtype class, operand shape, expression) ----------------
 * shapes: UN d=f(x); BIN d=f(x,y); TER d=f(x,y,z); CMP like BIN with a bool dst;
 * WHERE d = x ? y : z with x bool; VUN / VBIN call a vecmath block function (FN for
 * float64, FN##f for float32); BLK calls a block function (n, d, a); POWI calls
 * fj_powi_<type>. */
#define FJ_WRAP(op) ((fj_T)((fj_U)x op (fj_U)y))
#define FJ_EW_LIST(X)                                                                   \
    X(COPY, ALL, UN, x)                                                                 \
    X(ADD, F, BIN, x + y)                                                               \
    X(ADD, I, BIN, FJ_WRAP(+))                                                          \
    X(ADD, B, BIN, (uint8_t)((x != 0) | (y != 0)))                                      \
    X(SUBTRACT, F, BIN, x - y)                                                          \
    X(SUBTRACT, I, BIN, FJ_WRAP(-))                                                     \
    X(MULTIPLY, F, BIN, x * y)                                                          \
    X(MULTIPLY, I, BIN, FJ_WRAP(*))                                                     \
    X(MULTIPLY, B, BIN, (uint8_t)((x != 0) & (y != 0)))                                 \
    X(DIVIDE, F, BIN, x / y)                                                            \
    X(POWER, F, VBIN, fj_vpow)                                                          \
    X(POWER, I, BIN, FJ_IPOW(x, y, err))                                   \
    X(POWI, FI, POWI, 0)                                                                \
    X(NEGATIVE, F, UN, -x)                                                              \
    X(NEGATIVE, I, UN, (fj_T)((fj_U)0 - (fj_U)x))                                       \
    X(ABSOLUTE, F, UN, FJ_FABS(x))                                                      \
    X(ABSOLUTE, I, UN, x < 0 ? (fj_T)((fj_U)0 - (fj_U)x) : x)                           \
    X(ABSOLUTE, B, UN, x)                                                               \
    X(SQUARE, F, UN, x * x)                                                             \
    X(SQUARE, I, UN, (fj_T)((fj_U)x * (fj_U)x))                                         \
    X(RECIPROCAL, F, UN, (fj_T)1 / x)                                                   \
    X(SIGN, F, UN, x > 0 ? (fj_T)1 : (x < 0 ? (fj_T)-1 : (x == 0 ? (fj_T)0 : x)))         \
    X(SIGN, I, UN, (fj_T)((x > 0) - (x < 0)))                                           \
    X(SQRT, F, BLK, fj_sqrt_blk)                                                   \
    X(FLOOR, F, UN, FJ_FLOOR(x))                                                        \
    X(CEIL, F, UN, FJ_CEIL(x))                                                          \
    X(EXP, F, VUN, fj_vexp)                                                             \
    X(EXP2, F, VUN, fj_vexp2)                                                           \
    X(EXPM1, F, VUN, fj_vexpm1)                                                         \
    X(LOG, F, VUN, fj_vlog)                                                             \
    X(LOG2, F, VUN, fj_vlog2)                                                           \
    X(LOG10, F, VUN, fj_vlog10)                                                         \
    X(LOG1P, F, VUN, fj_vlog1p)                                                         \
    X(SIN, F, VUN, fj_vsin)                                                             \
    X(COS, F, VUN, fj_vcos)                                                             \
    X(TAN, F, VUN, fj_vtan)                                                             \
    X(TANH, F, VUN, fj_vtanh)                                                           \
    X(ARCTAN2, F, VBIN, fj_vatan2)                                                      \
    X(MAXIMUM, F, BIN, FJ_FMAXNAN(x, y))                                                \
    X(MAXIMUM, I, BIN, x > y ? x : y)                                                   \
    X(MAXIMUM, B, BIN, (uint8_t)((x != 0) | (y != 0)))                                  \
    X(MINIMUM, F, BIN, FJ_FMINNAN(x, y))                                                \
    X(MINIMUM, I, BIN, x < y ? x : y)                                                   \
    X(MINIMUM, B, BIN, (uint8_t)((x != 0) & (y != 0)))                                  \
    X(LESS, ALL, CMP, x < y)                                                            \
    X(LESS_EQUAL, ALL, CMP, x <= y)                                                     \
    X(GREATER, ALL, CMP, x > y)                                                         \
    X(GREATER_EQUAL, ALL, CMP, x >= y)                                                  \
    X(EQUAL, ALL, CMP, x == y)                                                          \
    X(NOT_EQUAL, ALL, CMP, x != y)                                                      \
    X(LOGICAL_AND, B, BIN, (uint8_t)((x != 0) & (y != 0)))                              \
    X(LOGICAL_OR, B, BIN, (uint8_t)((x != 0) | (y != 0)))                               \
    X(LOGICAL_NOT, B, UN, (uint8_t)(x == 0))                                            \
    X(WHERE, ALL, WHERE, 0)                                                             \
    X(CLIP, F, TER, FJ_FCLIP_HI(FJ_FCLIP_LO(x, y), z))                                  \
    X(CLIP, I, TER, (x > y ? x : y) < z ? (x > y ? x : y) : z)                          \
    X(CLIP, B, TER, (uint8_t)((((x != 0) | (y != 0))) & (z != 0)))

#define FJ_KSIG(OP, TN)                                                                 \
    static void FJ_ISA(fj_k_##OP##_##TN)(fj_index n, void *dv, const void *av,          \
                                         const void *bv, const void *cv, int64_t imm,   \
                                         int *err)

#define FJ_DEF_UN(TN, T, U, DT, OP, EXPR)                                               \
FJ_KSIG(OP, TN)                                                                         \
{                                                                                       \
    typedef T fj_T; typedef U fj_U;                                                     \
    fj_T *restrict d = (fj_T *)dv; const fj_T *restrict a = (const fj_T *)av;          \
    (void)bv; (void)cv; (void)imm; (void)err;                                           \
    for (fj_index i = 0; i < n; i++) { fj_T x = a[i]; d[i] = (fj_T)(EXPR); }            \
}
#define FJ_DEF_BIN(TN, T, U, DT, OP, EXPR)                                              \
FJ_KSIG(OP, TN)                                                                         \
{                                                                                       \
    typedef T fj_T; typedef U fj_U;                                                     \
    fj_T *restrict d = (fj_T *)dv;                                                      \
    const fj_T *restrict a = (const fj_T *)av, *restrict b = (const fj_T *)bv;         \
    (void)cv; (void)imm; (void)err;                                                     \
    for (fj_index i = 0; i < n; i++) { fj_T x = a[i], y = b[i]; d[i] = (fj_T)(EXPR); }  \
}
#define FJ_DEF_TER(TN, T, U, DT, OP, EXPR)                                              \
FJ_KSIG(OP, TN)                                                                         \
{                                                                                       \
    typedef T fj_T; typedef U fj_U;                                                     \
    fj_T *restrict d = (fj_T *)dv;                                                      \
    const fj_T *restrict a = (const fj_T *)av, *restrict b = (const fj_T *)bv,         \
               *restrict c = (const fj_T *)cv;                                          \
    (void)imm; (void)err;                                                               \
    for (fj_index i = 0; i < n; i++) {                                                  \
        fj_T x = a[i], y = b[i], z = c[i];                                              \
        d[i] = (fj_T)(EXPR);                                                            \
    }                                                                                   \
}
#define FJ_DEF_CMP(TN, T, U, DT, OP, EXPR)                                              \
FJ_KSIG(OP, TN)                                                                         \
{                                                                                       \
    typedef T fj_T;                                                                     \
    uint8_t *restrict d = (uint8_t *)dv;                                                \
    const fj_T *restrict a = (const fj_T *)av, *restrict b = (const fj_T *)bv;         \
    (void)cv; (void)imm; (void)err;                                                     \
    for (fj_index i = 0; i < n; i++) { fj_T x = a[i], y = b[i]; d[i] = (uint8_t)(EXPR); } \
}
#define FJ_DEF_WHERE(TN, T, U, DT, OP, EXPR)                                            \
FJ_KSIG(OP, TN)                                                                         \
{                                                                                       \
    typedef T fj_T;                                                                     \
    fj_T *restrict d = (fj_T *)dv;                                                      \
    const uint8_t *restrict a = (const uint8_t *)av;                                    \
    const fj_T *restrict b = (const fj_T *)bv, *restrict c = (const fj_T *)cv;         \
    (void)imm; (void)err;                                                               \
    for (fj_index i = 0; i < n; i++) d[i] = a[i] ? b[i] : c[i];                         \
}
#define FJ_DEF_VUN(TN, T, U, DT, OP, FN)                                                \
FJ_KSIG(OP, TN)                                                                         \
{                                                                                       \
    (void)bv; (void)cv; (void)imm; (void)err;                                           \
    FJ_VCALL1_##TN(FN, n, dv, av);                                                      \
}
#define FJ_DEF_VBIN(TN, T, U, DT, OP, FN)                                               \
FJ_KSIG(OP, TN)                                                                         \
{                                                                                       \
    (void)cv; (void)imm; (void)err;                                                     \
    FJ_VCALL2_##TN(FN, n, dv, av, bv);                                                  \
}
#define FJ_DEF_BLK(TN, T, U, DT, OP, FN)                                                \
FJ_KSIG(OP, TN)                                                                         \
{                                                                                       \
    (void)bv; (void)cv; (void)imm; (void)err;                                           \
    FJ_ISA(FN##_##TN)(n, dv, av);                                                       \
}
#define FJ_DEF_POWI_K(TN, T, U, DT, OP, EXPR)                                           \
FJ_KSIG(OP, TN)                                                                         \
{                                                                                       \
    (void)bv; (void)cv;                                                                 \
    FJ_ISA(fj_powi_##TN)(n, dv, av, imm, err);                                          \
}
#define FJ_DEF_POWI FJ_DEF_POWI_K

#define FJ_DEF_ROW(OP, TYPES, SHAPE, EXPR) FJ_T_##TYPES(FJ_DEF_##SHAPE, OP, EXPR)
FJ_EW_LIST(FJ_DEF_ROW)
#undef FJ_DEF_POWI

/* ---- casts: every (dst, src) pair; to bool means != 0 ------------------------------- */

#define FJ_CAST_EXPR_f64(x) (x)
#define FJ_CAST_EXPR_f32(x) (x)
#define FJ_CAST_EXPR_i64(x) (x)
#define FJ_CAST_EXPR_i32(x) (x)
#define FJ_CAST_EXPR_b(x) ((x) != 0)
#define FJ_DEF_CAST2(STN, ST, SU, SDT, DTN, DT_)                                        \
static void FJ_ISA(fj_cast_##DTN##_##STN)(fj_index n, void *dv, const void *av,        \
                                          const void *bv, const void *cv, int64_t imm,  \
                                          int *err)                                     \
{                                                                                       \
    DT_ *restrict d = (DT_ *)dv; const ST *restrict a = (const ST *)av;                \
    (void)bv; (void)cv; (void)imm; (void)err;                                           \
    for (fj_index i = 0; i < n; i++) d[i] = (DT_)FJ_CAST_EXPR_##DTN(a[i]);              \
}
#define FJ_DEF_CAST1(DTN, DT_, DU, DDT, unused) FJ_T2_ALL(FJ_DEF_CAST2, DTN, DT_)
FJ_T_ALL(FJ_DEF_CAST1, 0)

/* ---- reductions: per block partial results ------------------------------------------
 * A block's partial is a deterministic function of the block's contents: 32 explicit
 * lanes (vectorizable without reassociation), then a fixed pairwise fold of the lanes.
 * float32 sums and products accumulate in float64. 32 lanes are four AVX-512 (eight
 * AVX2) accumulators of doubles: enough independent adds to hide their latency (with
 * two, a cache-resident sum ran at half the speed of its loads). */
#define FJ_LANES 32
#define FJ_FOLD_LANES(acc, COMBINE)                                                     \
    for (int w = FJ_LANES / 2; w >= 1; w /= 2)                                          \
        for (int j = 0; j < w; j++) COMBINE(acc[j], acc[j + w]);

#define FJ_ACC_ADD(a, b) a = a + b
#define FJ_ACC_MUL(a, b) a = a * b
#define FJ_ACC_UADD(a, b) a = (uint64_t)a + (uint64_t)b
#define FJ_ACC_UMUL(a, b) a = (uint64_t)a * (uint64_t)b
#define FJ_ACC_IMIN(a, b) a = (b < a ? b : a)
#define FJ_ACC_IMAX(a, b) a = (b > a ? b : a)
#define FJ_ACC_OR(a, b) a = a | b
#define FJ_ACC_AND(a, b) a = a & b

/* RED(name, dtype name, C type, accumulator type, partial field, init, combine, conv) */
#define FJ_DEF_RED(NAME, TN, T, AT, FIELD, INIT, COMBINE, CONV)                        \
static void FJ_ISA(fj_r_##NAME##_##TN)(fj_index n, const void *av, fj_index base,      \
                                       fj_partial *out)                                 \
{                                                                                       \
    const T *restrict a = (const T *)av;                                                \
    AT acc[FJ_LANES];                                                                   \
    fj_index i = 0;                                                                     \
    (void)base;                                                                         \
    for (int j = 0; j < FJ_LANES; j++) acc[j] = INIT;                                   \
    for (; i + FJ_LANES <= n; i += FJ_LANES)                                            \
        for (int j = 0; j < FJ_LANES; j++) { AT v = CONV(a[i + j]); COMBINE(acc[j], v); } \
    for (int j = 0; i + j < n; j++) { AT v = CONV(a[i + j]); COMBINE(acc[j], v); }      \
    FJ_FOLD_LANES(acc, COMBINE)                                                         \
    out->FIELD = acc[0];                                                                \
}
#define FJ_CONV_D(v) ((double)(v))
#define FJ_CONV_I(v) ((int64_t)(v))
#define FJ_CONV_U(v) ((uint64_t)(int64_t)(v))
#define FJ_CONV_B(v) ((uint8_t)((v) != 0))
FJ_DEF_RED(SUM, f64, double, double, d, 0.0, FJ_ACC_ADD, FJ_CONV_D)
/* float32 sums: each lane first adds four floats in float32 (two roundings, within
 * 2^-23 of their magnitudes: far inside the 1e-5 budget), then accumulates in float64;
 * converting every element to float64 made a cache-resident sum 15 % slower than its
 * loads */
static void FJ_ISA(fj_r_SUM_f32)(fj_index n, const void *av, fj_index base, fj_partial *out)
{
    const float *restrict a = (const float *)av;
    double acc[FJ_LANES];
    fj_index i = 0;
    (void)base;
    for (int j = 0; j < FJ_LANES; j++) acc[j] = 0.0;
    for (; i + 4 * FJ_LANES <= n; i += 4 * FJ_LANES)
        for (int j = 0; j < FJ_LANES; j++) {
            float v = (a[i + j] + a[i + FJ_LANES + j]) +
                      (a[i + 2 * FJ_LANES + j] + a[i + 3 * FJ_LANES + j]);
            acc[j] += (double)v;
        }
    for (int j = 0; i + j < n; j++) acc[j % FJ_LANES] += (double)a[i + j];
    FJ_FOLD_LANES(acc, FJ_ACC_ADD)
    out->d = acc[0];
}
FJ_DEF_RED(SUM, i64, int64_t, uint64_t, i, 0, FJ_ACC_UADD, FJ_CONV_U)
FJ_DEF_RED(SUM, i32, int32_t, uint64_t, i, 0, FJ_ACC_UADD, FJ_CONV_U)
FJ_DEF_RED(PROD, f64, double, double, d, 1.0, FJ_ACC_MUL, FJ_CONV_D)
FJ_DEF_RED(PROD, f32, float, double, d, 1.0, FJ_ACC_MUL, FJ_CONV_D)
FJ_DEF_RED(PROD, i64, int64_t, uint64_t, i, 1, FJ_ACC_UMUL, FJ_CONV_U)
FJ_DEF_RED(PROD, i32, int32_t, uint64_t, i, 1, FJ_ACC_UMUL, FJ_CONV_U)
FJ_DEF_RED(MIN, i64, int64_t, int64_t, i, INT64_MAX, FJ_ACC_IMIN, FJ_CONV_I)
FJ_DEF_RED(MIN, i32, int32_t, int64_t, i, INT64_MAX, FJ_ACC_IMIN, FJ_CONV_I)
FJ_DEF_RED(MIN, b, uint8_t, uint8_t, i, 1, FJ_ACC_AND, FJ_CONV_B)
FJ_DEF_RED(MAX, i64, int64_t, int64_t, i, INT64_MIN, FJ_ACC_IMAX, FJ_CONV_I)
FJ_DEF_RED(MAX, i32, int32_t, int64_t, i, INT64_MIN, FJ_ACC_IMAX, FJ_CONV_I)
FJ_DEF_RED(MAX, b, uint8_t, uint8_t, i, 0, FJ_ACC_OR, FJ_CONV_B)
FJ_DEF_RED(ANY, b, uint8_t, uint8_t, i, 0, FJ_ACC_OR, FJ_CONV_B)
FJ_DEF_RED(ALL, b, uint8_t, uint8_t, i, 1, FJ_ACC_AND, FJ_CONV_B)

/* Float min/max: vector selects (a compare and a blend, which GCC's vectorizer does not
 * produce from the scalar form) with the lanes' NaNs counted beside them, because the
 * select alone drops a NaN; when the block has one, its first NaN is the block's result
 * (NumPy: any NaN gives NaN). The exact value is the same whatever the lane order; of
 * equal values (-0.0, 0.0) any may be kept. `v != v` is a quiet compare; the ordered
 * compare may raise FE_INVALID on a NaN, which fj_hw_keep drops for these ops. */
#define FJ_SELECT(V, M, k, x, y) ((V)(((M)(x) & (k)) | ((M)(y) & ~(k))))
#define FJ_DEF_FMINMAX(NAME, TN, T, V, M, W, INIT, BETTER)                              \
static void FJ_ISA(fj_r_##NAME##_##TN)(fj_index n, const void *av, fj_index base,      \
                                       fj_partial *out)                                 \
{                                                                                       \
    const T *a = (const T *)av;                                                         \
    T best = INIT;                                                                      \
    int nan = 0;                                                                        \
    fj_index i = 0;                                                                     \
    (void)base;                                                                         \
    if (n >= 2 * (W)) {                                                                 \
        V acc0 = *(const V *)a, acc1 = *(const V *)(a + (W));                          \
        M isnan = (acc0 != acc0) | (acc1 != acc1);                                      \
        for (i = 2 * (W); i + 2 * (W) <= n; i += 2 * (W)) {                             \
            V v0 = *(const V *)(a + i), v1 = *(const V *)(a + i + (W));                 \
            isnan |= (v0 != v0) | (v1 != v1);                                           \
            M k0 = BETTER(acc0, v0), k1 = BETTER(acc1, v1);                             \
            acc0 = FJ_SELECT(V, M, k0, acc0, v0);                                       \
            acc1 = FJ_SELECT(V, M, k1, acc1, v1);                                       \
        }                                                                               \
        M k = BETTER(acc0, acc1);                                                       \
        acc0 = FJ_SELECT(V, M, k, acc0, acc1);                                          \
        for (int w = (W) / 2; w >= 1; w /= 2) {       /* lanes halved by shuffles */   \
            M perm;                                                                     \
            for (int j = 0; j < (W); j++) perm[j] = j ^ w;                              \
            V other = __builtin_shuffle(acc0, perm);                                    \
            k = BETTER(acc0, other);                                                    \
            acc0 = FJ_SELECT(V, M, k, acc0, other);                                     \
            isnan |= __builtin_shuffle(isnan, perm);                                    \
        }                                                                               \
        nan = isnan[0] != 0;                                                            \
        best = acc0[0];                                                                 \
    }                                                                                   \
    for (; i < n; i++) {                                                                \
        T v = a[i];                                                                     \
        nan |= v != v;                                                                  \
        best = BETTER(best, v) ? best : v;                                              \
    }                                                                                   \
    out->d = best;                                                                      \
    if (nan)                                                                            \
        for (i = 0; i < n; i++)                                                         \
            if (a[i] != a[i]) { out->d = a[i]; break; }                                 \
}
#define FJ_BETTER_MIN(acc, v) ((acc) < (v))
#define FJ_BETTER_MAX(acc, v) ((acc) > (v))
FJ_DEF_FMINMAX(MIN, f64, double, fj_vd, fj_vmd, 8, INFINITY, FJ_BETTER_MIN)
FJ_DEF_FMINMAX(MIN, f32, float, fj_vf, fj_vmf, 16, INFINITY, FJ_BETTER_MIN)
FJ_DEF_FMINMAX(MAX, f64, double, fj_vd, fj_vmd, 8, -INFINITY, FJ_BETTER_MAX)
FJ_DEF_FMINMAX(MAX, f32, float, fj_vf, fj_vmf, 16, -INFINITY, FJ_BETTER_MAX)

/* argmin/argmax: the first occurrence of the extreme value, for floats the first NaN (as
 * NumPy). Two vectorizable passes over the (cache-resident) block: the extreme value and
 * whether there is a NaN, then the first element equal to it (or the first NaN), found a
 * chunk of FJ_LANES at a time. Equal means ==, so -0.0 and 0.0 tie: the first wins. */
#define FJ_DEF_ARG(NAME, TN, T, FIELD, BETTER)                                          \
static void FJ_ISA(fj_r_##NAME##_##TN)(fj_index n, const void *av, fj_index base,      \
                                       fj_partial *out)                                 \
{                                                                                       \
    const T *restrict a = (const T *)av;                                                \
    T acc[FJ_LANES];                                                                    \
    int nan = 0;                                                                        \
    fj_index i = 0, k = 0;                                                              \
    for (int j = 0; j < FJ_LANES; j++) acc[j] = a[0];                                   \
    for (; i + FJ_LANES <= n; i += FJ_LANES)                                            \
        for (int j = 0; j < FJ_LANES; j++) {                                            \
            T v = a[i + j];                                                             \
            nan |= v != v;                                                              \
            acc[j] = BETTER(acc[j], v) ? acc[j] : v;                                    \
        }                                                                               \
    for (int j = 0; i + j < n; j++) {                                                   \
        T v = a[i + j];                                                                 \
        nan |= v != v;                                                                  \
        acc[j] = BETTER(acc[j], v) ? acc[j] : v;                                        \
    }                                                                                   \
    for (int w = FJ_LANES / 2; w >= 1; w /= 2)                                          \
        for (int j = 0; j < w; j++) acc[j] = BETTER(acc[j], acc[j + w]) ? acc[j] : acc[j + w]; \
    T best = acc[0];                                                                    \
    for (k = 0; k + FJ_LANES <= n; k += FJ_LANES) {                                     \
        int hit = 0;                                                                    \
        for (int j = 0; j < FJ_LANES; j++) {                                            \
            T v = a[k + j];                                                             \
            hit |= nan ? v != v : v == best;                                            \
        }                                                                               \
        if (hit) break;                                                                 \
    }                                                                                   \
    for (; k < n; k++)                                                                  \
        if (nan ? a[k] != a[k] : a[k] == best) break;                                   \
    out->FIELD = a[k];                                                                  \
    out->idx = base + k;                                                                \
}
FJ_DEF_ARG(ARGMIN, f64, double, d, FJ_BETTER_MIN)
FJ_DEF_ARG(ARGMIN, f32, float, d, FJ_BETTER_MIN)
FJ_DEF_ARG(ARGMIN, i64, int64_t, i, FJ_BETTER_MIN)
FJ_DEF_ARG(ARGMIN, i32, int32_t, i, FJ_BETTER_MIN)
FJ_DEF_ARG(ARGMIN, b, uint8_t, i, FJ_BETTER_MIN)
FJ_DEF_ARG(ARGMAX, f64, double, d, FJ_BETTER_MAX)
FJ_DEF_ARG(ARGMAX, f32, float, d, FJ_BETTER_MAX)
FJ_DEF_ARG(ARGMAX, i64, int64_t, i, FJ_BETTER_MAX)
FJ_DEF_ARG(ARGMAX, i32, int32_t, i, FJ_BETTER_MAX)
FJ_DEF_ARG(ARGMAX, b, uint8_t, i, FJ_BETTER_MAX)

/* ---- the dispatch table ------------------------------------------------------------- */

static void FJ_ISA(fj_fill_table)(fj_table *t)
{
#define FJ_REG_EW1(TN, T, U, DT, OP, EXPR) t->ew[FJ_OP_##OP][DT] = FJ_ISA(fj_k_##OP##_##TN);
#define FJ_REG_EW(OP, TYPES, SHAPE, EXPR) FJ_T_##TYPES(FJ_REG_EW1, OP, EXPR)
    FJ_EW_LIST(FJ_REG_EW)
#define FJ_REG_CAST2(STN, ST, SU, SDT, DTN, DDT) t->cast[DDT][SDT] = FJ_ISA(fj_cast_##DTN##_##STN);
#define FJ_REG_CAST1(DTN, DT_, DU, DDT, unused) FJ_T2_ALL(FJ_REG_CAST2, DTN, DDT)
    FJ_T_ALL(FJ_REG_CAST1, 0)
#define FJ_REG_RED1(TN, T, U, DT, OP, unused) t->red[FJ_OP_##OP][DT] = FJ_ISA(fj_r_##OP##_##TN);
    FJ_T_FI(FJ_REG_RED1, SUM, 0)
    FJ_T_FI(FJ_REG_RED1, PROD, 0)
    FJ_T_ALL(FJ_REG_RED1, MIN, 0)
    FJ_T_ALL(FJ_REG_RED1, MAX, 0)
    FJ_T_ALL(FJ_REG_RED1, ARGMIN, 0)
    FJ_T_ALL(FJ_REG_RED1, ARGMAX, 0)
    FJ_T_B(FJ_REG_RED1, ANY, 0)
    FJ_T_B(FJ_REG_RED1, ALL, 0)
    t->chain[FJ_F64] = FJ_ISA(fj_chain_f64);
    t->chain[FJ_F32] = FJ_ISA(fj_chain_f32);
    /* mean is a sum finalized by a division (kernels.h) */
    t->red[FJ_OP_MEAN][FJ_F64] = FJ_ISA(fj_r_SUM_f64);
    t->red[FJ_OP_MEAN][FJ_F32] = FJ_ISA(fj_r_SUM_f32);
#undef FJ_REG_EW1
#undef FJ_REG_EW
#undef FJ_REG_CAST2
#undef FJ_REG_CAST1
#undef FJ_REG_RED1
}
