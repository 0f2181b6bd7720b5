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
 * FN steps (exp) run vecmath_vec.h's vector code on the tile, two vectors side by side,
 * the very code of the op's block function: same bits; lanes out of its range go to
 * fj_ch_fix_*, which does what the op does for them (libm, then the op's hardware flags
 * and its software FP check, kernel_fpe.h).
 */

#if defined(__AVX512F__)
#define FJ_CH_NV 8
#elif defined(__AVX2__)
#define FJ_CH_NV 4
#else
#define FJ_CH_NV 2
#endif

/* Array operands stream from memory one tile at a time, with a long run of steps (a
 * few thousand instructions) between two tiles: far more than the core looks ahead, so
 * a tile's misses were waited for one burst after the other. Reading an array operand
 * also requests the same tile FJ_CH_PF_BYTES further on (a prefetch never faults). */
#define FJ_CH_PF_BYTES 2048

#ifdef FJ_GCC_REGIONS
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"     /* as in vecmath_vec.h: inlined, no ABI use */
#endif

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
/* comparisons: 1 or 0 in the chain's dtype; quiet (FJ_CH_CMP: a vector or scalar form) */
#define FJ_CH_E_GREATER(t, s) FJ_CH_CMP(t, s, _CMP_GT_OQ, >, 0, gt)
#define FJ_CH_E_GREATER_EQUAL(t, s) FJ_CH_CMP(t, s, _CMP_GE_OQ, >=, 0, ge)
#define FJ_CH_E_LESS(t, s) FJ_CH_CMP(t, s, _CMP_LT_OQ, <, 0, lt)
#define FJ_CH_E_LESS_EQUAL(t, s) FJ_CH_CMP(t, s, _CMP_LE_OQ, <=, 0, le)
#define FJ_CH_E_EQUAL(t, s) FJ_CH_CMP(t, s, _CMP_EQ_OQ, ==, 0, eq)
#define FJ_CH_E_NOT_EQUAL(t, s) FJ_CH_CMP(t, s, _CMP_NEQ_UQ, !=, 1, neq)
/* scalar quiet compares: UCOMISD/UCOMISS (with trapping math off GCC may compile C's
 * relational operators, even isgreater, to the signaling COMISD) */
#if defined(__SSE2__)
/* GCC's _mm_ucomilt/le/eq/neq ignore the unordered flag: swapped gt/ge, and the quiet
 * packed eq/neq predicates */
#define FJ_CH_QS_gt(S, a, b) FJ_CAT(_mm_ucomigt_, S)(FJ_CAT(_mm_set_, S)(a), FJ_CAT(_mm_set_, S)(b))
#define FJ_CH_QS_ge(S, a, b) FJ_CAT(_mm_ucomige_, S)(FJ_CAT(_mm_set_, S)(a), FJ_CAT(_mm_set_, S)(b))
#define FJ_CH_QS_lt(S, a, b) FJ_CH_QS_gt(S, b, a)
#define FJ_CH_QS_le(S, a, b) FJ_CH_QS_ge(S, b, a)
#define FJ_CH_QS_MASK_sd _mm_movemask_pd
#define FJ_CH_QS_MASK_ss _mm_movemask_ps
#define FJ_CH_QS_eq(S, a, b) \
    (FJ_CH_QS_MASK_##S(FJ_CAT(_mm_cmpeq_, S)(FJ_CAT(_mm_set_, S)(a), FJ_CAT(_mm_set_, S)(b))) & 1)
#define FJ_CH_QS_neq(S, a, b) \
    (FJ_CH_QS_MASK_##S(FJ_CAT(_mm_cmpneq_, S)(FJ_CAT(_mm_set_, S)(a), FJ_CAT(_mm_set_, S)(b))) & 1)
#define FJ_CH_QCMP_f64(a, b, SFX) FJ_CH_QS_##SFX(sd, a, b)
#define FJ_CH_QCMP_f32(a, b, SFX) FJ_CH_QS_##SFX(ss, a, b)
#else
#define FJ_CH_QC_gt isgreater
#define FJ_CH_QC_ge isgreaterequal
#define FJ_CH_QC_lt isless
#define FJ_CH_QC_le islessequal
#define FJ_CH_QC_eq(a, b) ((a) == (b))
#define FJ_CH_QC_neq(a, b) ((a) != (b))
#define FJ_CH_QCMP_f64(a, b, SFX) FJ_CH_QC_##SFX(a, b)
#define FJ_CH_QCMP_f32(a, b, SFX) FJ_CH_QC_##SFX(a, b)
#endif
/* selects, c the condition: where keeps t where c is 0, rwhere where it is not */
#define FJ_CH_E_WHERE(t, s, c) FJ_CH_SEL(c, s, t)
#define FJ_CH_E_RWHERE(t, s, c) FJ_CH_SEL(c, t, s)

/* switch cases of one step list; FJ_CH_APPLY_* say what a step does at the current
 * level (tile, one vector, one element) */
#define FJ_CH_CASE_LOAD(NAME)                                                           \
    case FJ_STEP_##NAME * 2: FJ_CH_APPLY_V(NAME) break;                                \
    case FJ_STEP_##NAME * 2 + 1: FJ_CH_APPLY_S(NAME) break;
#define FJ_CH_CASE_BIN FJ_CH_CASE_LOAD
#define FJ_CH_CASE_CMP FJ_CH_CASE_LOAD
#define FJ_CH_CASE_SEL(NAME)                                                            \
    case FJ_STEP_##NAME * 2: FJ_CH_APPLY_CV(NAME) break;                               \
    case FJ_STEP_##NAME * 2 + 1: FJ_CH_APPLY_CS(NAME) break;
#define FJ_CH_CASE_UN(NAME) case FJ_STEP_##NAME * 2: FJ_CH_APPLY_U(NAME) break;
#define FJ_CH_CASE_STORE(NAME) case FJ_STEP_##NAME * 2: FJ_CH_APPLY_ST break;
#define FJ_CH_CASE_VFN(NAME) case FJ_STEP_##NAME * 2: FJ_CH_APPLY_FN(NAME) break;
#define FJ_CH_CASE_FN(NAME) case FJ_STEP_##NAME * 2: FJ_CH_APPLY_CALL(NAME) break;
/* FN steps: the op and the block function (vecmath.h; float32: name##f) */
#define FJ_CH_FN_LIST(X) X(EXP2, fj_vexp2) X(EXPM1, fj_vexpm1) X(LOG, fj_vlog)             \
    X(LOG2, fj_vlog2) X(LOG10, fj_vlog10) X(LOG1P, fj_vlog1p) X(SIN, fj_vsin)          \
    X(COS, fj_vcos) X(TAN, fj_vtan) X(TANH, fj_vtanh)
#define FJ_CH_CASE(NAME, PYNAME, SHAPE, COST) FJ_CH_CASE_##SHAPE(NAME)

/* t_j = E(t_j, operand) for every vector j of the level */
#define FJ_CH_VJ(j, NAME) t##j = FJ_CH_E_##NAME(t##j, *(const FJ_CH_V *)(p + (j) * FJ_CH_W));
#define FJ_CH_SJ(j, NAME) t##j = FJ_CH_E_##NAME(t##j, s);
#define FJ_CH_UJ(j, NAME) t##j = FJ_CH_E_##NAME(t##j, t##j);
#define FJ_CH_CVJ(j, NAME) t##j = FJ_CH_E_##NAME(t##j, *(const FJ_CH_V *)(p + (j) * FJ_CH_W), \
                                                 *(const FJ_CH_V *)(cp + (j) * FJ_CH_W));
#define FJ_CH_CSJ(j, NAME) t##j = FJ_CH_E_##NAME(t##j, s, *(const FJ_CH_V *)(cp + (j) * FJ_CH_W));
#define FJ_CH_STJ(j, NAME) *(FJ_CH_V *)(q + (j) * FJ_CH_W) = t##j;
/* FN steps: the sources go to memory (only the rare fix-up reads them back: kept in
 * registers they made the vector function spill), the vector function runs, the lanes it
 * left are fixed from the saved sources */
#define FJ_CH_FSRC(j, NAME) memcpy(src + (j) * FJ_CH_W, &t##j, 64);
#define FJ_CH_FIN(j, NAME) fv[j] = t##j;
#define FJ_CH_FOUT(j, NAME) t##j = fv[j]; bad |= ~ok[j];
#define FJ_CH_FSAVE(j, NAME) memcpy(res + (j) * FJ_CH_W, &t##j, 64);
#define FJ_CH_FLOAD(j, NAME) memcpy(&t##j, res + (j) * FJ_CH_W, 64);
#define FJ_CH_CALL(NAME, cnt) \
    FJ_ISA(FJ_CAT(fj_ch_call_, FJ_CH_TN))(FJ_OP_##NAME, cnt, res, src, fpe)
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
#define FJ_CH_VSQRT FJ_ISA(fj_vsqrt_d)
#define FJ_CH_SABS __builtin_fabs
#define FJ_CH_SSQRT sqrt
#define FJ_CH_VCMP(a, b, IMM, OP, UNORD) FJ_VCMPQ_D(a, b, IMM, OP, UNORD)
#define FJ_CH_VFN_EXP FJ_ISA(fj_exp_vd)
#define FJ_CH_LANE_OK_EXP FJ_EXP_OK
#define FJ_CH_LIBM(x) (x)
#define FJ_CH_BLOCKFN(FN) FJ_ISA(FN)
#include "kernel_chain_t.h"

#define FJ_CH_TN f32
#define FJ_CH_T float
#define FJ_CH_V fj_vf
#define FJ_CH_M fj_vmf
#define FJ_CH_W 16
#define FJ_CH_BCAST(c) ((fj_vf){c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c})
#define FJ_CH_VABS(t) ((fj_vf)((fj_vmf)(t) & INT32_MAX))
#define FJ_CH_VSQRT FJ_ISA(fj_vsqrt_f)
#define FJ_CH_SABS __builtin_fabsf
#define FJ_CH_SSQRT sqrtf
#define FJ_CH_VCMP(a, b, IMM, OP, UNORD) FJ_VCMPQ_F(a, b, IMM, OP, UNORD)
#define FJ_CH_VFN_EXP FJ_ISA(fj_exp_vf)
#define FJ_CH_LANE_OK_EXP FJ_EXPF_OK
#define FJ_CH_LIBM(x) ((float)(x))
#define FJ_CH_BLOCKFN(FN) FJ_ISA(FN##f)
#include "kernel_chain_t.h"

#undef FJ_CH_NV
#undef FJ_CH_TILE
#undef FJ_CH_TILE_DECL
#ifdef FJ_GCC_REGIONS
#pragma GCC diagnostic pop
#pragma GCC pop_options
#endif
