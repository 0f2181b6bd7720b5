/* kernel_chain.h: the chain kernels, fj_chain_f64 / fj_chain_f32: a run of float
 * arithmetic (steps from FJ_STEP_LIST, kernel_vec.h) evaluated with the running value in
 * vector registers instead of a block buffer per operation.
 *
 * Included by kernels.h once per instruction-set region, like kernel_body.h (FJ_ISA
 * appends the region's suffix); no include guard on purpose. The block is processed in
 * tiles of FJ_CH_NV 64-byte vectors (as many as the region has registers for), the steps
 * are interpreted once per tile (the step loop is outside the element loop, so the
 * dispatch costs one indirect jump per step per tile, not per element); the tail of a
 * block runs one vector, then one element at a time. Every step rounds like the NumPy
 * op it stands for: no FMA contraction in these functions (pragma below), sqrt and
 * division are the correctly rounded instructions, absolute/negative are bit operations.
 * Elementwise work touches element i of each register only, so running the steps tile by
 * tile gives the same values (and raises the same FP flags) as running them block by
 * block: registers that a chain both reads and stores need no care.
 */

#if defined(__AVX512F__)
#define FJ_CH_NV 8
#elif defined(__AVX2__)
#define FJ_CH_NV 4
#else
#define FJ_CH_NV 2
#endif

#ifdef FJ_GCC_REGIONS
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

/* correctly rounded square roots of whole vectors */
static inline fj_vd FJ_ISA(fj_ch_sqrt_vd)(fj_vd v)
{
#if defined(__AVX512F__)
    return (fj_vd)_mm512_sqrt_pd((__m512d)v);
#elif defined(__AVX__)
    __m256d h[2];
    memcpy(h, &v, 64);
    h[0] = _mm256_sqrt_pd(h[0]);
    h[1] = _mm256_sqrt_pd(h[1]);
    memcpy(&v, h, 64);
    return v;
#elif defined(__SSE2__)
    __m128d h[4];
    memcpy(h, &v, 64);
    for (int k = 0; k < 4; k++) h[k] = _mm_sqrt_pd(h[k]);
    memcpy(&v, h, 64);
    return v;
#else
    for (int k = 0; k < 8; k++) v[k] = sqrt(v[k]);
    return v;
#endif
}

static inline fj_vf FJ_ISA(fj_ch_sqrt_vf)(fj_vf v)
{
#if defined(__AVX512F__)
    return (fj_vf)_mm512_sqrt_ps((__m512)v);
#elif defined(__AVX__)
    __m256 h[2];
    memcpy(h, &v, 64);
    h[0] = _mm256_sqrt_ps(h[0]);
    h[1] = _mm256_sqrt_ps(h[1]);
    memcpy(&v, h, 64);
    return v;
#elif defined(__SSE2__)
    __m128 h[4];
    memcpy(h, &v, 64);
    for (int k = 0; k < 4; k++) h[k] = _mm_sqrt_ps(h[k]);
    memcpy(&v, h, 64);
    return v;
#else
    for (int k = 0; k < 16; k++) v[k] = sqrtf(v[k]);
    return v;
#endif
}

/* the value of each step, on vectors or scalars alike (t: running value, s: operand) */
#define FJ_CH_E_LOAD(t, s) (s)
#define FJ_CH_E_ADD(t, s) ((t) + (s))
#define FJ_CH_E_SUBTRACT(t, s) ((t) - (s))
#define FJ_CH_E_RSUBTRACT(t, s) ((s) - (t))
#define FJ_CH_E_MULTIPLY(t, s) ((t) * (s))
#define FJ_CH_E_DIVIDE(t, s) ((t) / (s))
#define FJ_CH_E_RDIVIDE(t, s) ((s) / (t))
#define FJ_CH_E_NEGATIVE(t, s) (-(t))
#define FJ_CH_E_ABSOLUTE(t, s) FJ_CH_ABS(t)
#define FJ_CH_E_SQUARE(t, s) ((t) * (t))
#define FJ_CH_E_SQRT(t, s) FJ_CH_SQRT(t)

/* switch cases of one step list; FJ_CH_APPLY_* say what a step does at the current
 * level (tile, one vector, one element) */
#define FJ_CH_CASE_LOAD(NAME)                                                           \
    case FJ_STEP_##NAME * 2: FJ_CH_APPLY_V(NAME) break;                                \
    case FJ_STEP_##NAME * 2 + 1: FJ_CH_APPLY_S(NAME) break;
#define FJ_CH_CASE_BIN FJ_CH_CASE_LOAD
#define FJ_CH_CASE_UN(NAME) case FJ_STEP_##NAME * 2: FJ_CH_APPLY_U(NAME) break;
#define FJ_CH_CASE_STORE(NAME) case FJ_STEP_##NAME * 2: FJ_CH_APPLY_ST break;
#define FJ_CH_CASE(NAME, PYNAME, SHAPE, COST) FJ_CH_CASE_##SHAPE(NAME)

/* t_j = E(t_j, operand) for every vector j of the level */
#define FJ_CH_VJ(j, NAME) t##j = FJ_CH_E_##NAME(t##j, *(const FJ_CH_V *)(p + (j) * FJ_CH_W));
#define FJ_CH_SJ(j, NAME) t##j = FJ_CH_E_##NAME(t##j, s);
#define FJ_CH_UJ(j, NAME) t##j = FJ_CH_E_##NAME(t##j, t##j);
#define FJ_CH_STJ(j, NAME) *(FJ_CH_V *)(q + (j) * FJ_CH_W) = t##j;
#if FJ_CH_NV == 8
#define FJ_CH_TILE(X, NAME) X(0, NAME) X(1, NAME) X(2, NAME) X(3, NAME) \
                            X(4, NAME) X(5, NAME) X(6, NAME) X(7, NAME)
#define FJ_CH_TILE_DECL(V) V t0 = {0}, t1 = {0}, t2 = {0}, t3 = {0}, \
                             t4 = {0}, t5 = {0}, t6 = {0}, t7 = {0}
#elif FJ_CH_NV == 4
#define FJ_CH_TILE(X, NAME) X(0, NAME) X(1, NAME) X(2, NAME) X(3, NAME)
#define FJ_CH_TILE_DECL(V) V t0 = {0}, t1 = {0}, t2 = {0}, t3 = {0}
#else
#define FJ_CH_TILE(X, NAME) X(0, NAME) X(1, NAME)
#define FJ_CH_TILE_DECL(V) V t0 = {0}, t1 = {0}
#endif

#define FJ_CH_TN f64
#define FJ_CH_T double
#define FJ_CH_V fj_vd
#define FJ_CH_M fj_vmd
#define FJ_CH_W 8
#define FJ_CH_BCAST(c) ((fj_vd){c, c, c, c, c, c, c, c})
#define FJ_CH_VABS(t) ((fj_vd)((fj_vmd)(t) & INT64_MAX))
#define FJ_CH_VSQRT FJ_ISA(fj_ch_sqrt_vd)
#define FJ_CH_SABS __builtin_fabs
#define FJ_CH_SSQRT sqrt
#include "kernel_chain_t.h"
#undef FJ_CH_TN
#undef FJ_CH_T
#undef FJ_CH_V
#undef FJ_CH_M
#undef FJ_CH_W
#undef FJ_CH_BCAST
#undef FJ_CH_VABS
#undef FJ_CH_VSQRT
#undef FJ_CH_SABS
#undef FJ_CH_SSQRT

#define FJ_CH_TN f32
#define FJ_CH_T float
#define FJ_CH_V fj_vf
#define FJ_CH_M fj_vmf
#define FJ_CH_W 16
#define FJ_CH_BCAST(c) ((fj_vf){c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c})
#define FJ_CH_VABS(t) ((fj_vf)((fj_vmf)(t) & INT32_MAX))
#define FJ_CH_VSQRT FJ_ISA(fj_ch_sqrt_vf)
#define FJ_CH_SABS __builtin_fabsf
#define FJ_CH_SSQRT sqrtf
#include "kernel_chain_t.h"
#undef FJ_CH_TN
#undef FJ_CH_T
#undef FJ_CH_V
#undef FJ_CH_M
#undef FJ_CH_W
#undef FJ_CH_BCAST
#undef FJ_CH_VABS
#undef FJ_CH_VSQRT
#undef FJ_CH_SABS
#undef FJ_CH_SSQRT

#undef FJ_CH_NV
#undef FJ_CH_TILE
#undef FJ_CH_TILE_DECL
#ifdef FJ_GCC_REGIONS
#pragma GCC pop_options
#endif
