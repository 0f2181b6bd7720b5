/* vecmath_vec.h: elementary functions on whole 64-byte vectors (fj_vd: 8 doubles, fj_vf:
 * 16 floats; kernel_vec.h), for code that keeps values in registers (chains,
 * kernel_chain.h) and for the block functions built on the same code (fj_vexp,
 * fj_vexpf), so that an element gets the same bits whichever of the two computes it.
 *
 * Included by kernels.h once per instruction-set region, after vecmath.h (FJ_ISA appends
 * the region's suffix); no include guard on purpose. Compiled with FMA contraction off:
 * every fused multiply-add is explicit (fj_vfma_*), the other operations round one by
 * one, so a function inlined into different callers computes the same thing.
 *
 * exp: the algorithm of vecmath.h's fj_exp1 / vecmath_f32.h's fj_expf1 (same reduction,
 * polynomials and range), on vectors. fj_exp_v*(x, &ok) returns e^x in the lanes where ok
 * is set (-708 <= x <= 709, float32: x <= 88) and raises no flag but inexact and, for
 * float32 results below 2^-126, underflow: NaN lanes are set aside by a quiet compare
 * before anything else looks at them. Other lanes are for the caller to fix (libm).
 */

#ifdef FJ_GCC_REGIONS
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
/* 64-byte vectors passed by value below AVX-512: these functions are always inlined, no
 * call ever uses the ABI GCC warns about */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#define FJ_VD1(c) ((fj_vd){c, c, c, c, c, c, c, c})
#define FJ_VF1(c) ((fj_vf){c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c})
#define FJ_VSEL(V, M, k, a, b) ((V)(((M)(a) & (k)) | ((M)(b) & ~(k))))   /* k ? a : b */

/* a * b + c with one rounding where the instruction set has FMA (as FJ_FMA does) */
FJ_VAI fj_vd FJ_ISA(fj_vfma_d)(fj_vd a, fj_vd b, fj_vd c)
{
#if defined(__AVX512F__)
    return (fj_vd)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
#elif defined(__FMA__)
    __m256d x[2], y[2], z[2];
    memcpy(x, &a, 64); memcpy(y, &b, 64); memcpy(z, &c, 64);
    x[0] = _mm256_fmadd_pd(x[0], y[0], z[0]);
    x[1] = _mm256_fmadd_pd(x[1], y[1], z[1]);
    memcpy(&a, x, 64);
    return a;
#else
    return a * b + c;
#endif
}

FJ_VAI fj_vf FJ_ISA(fj_vfma_f)(fj_vf a, fj_vf b, fj_vf c)
{
#if defined(__AVX512F__)
    return (fj_vf)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__FMA__)
    __m256 x[2], y[2], z[2];
    memcpy(x, &a, 64); memcpy(y, &b, 64); memcpy(z, &c, 64);
    x[0] = _mm256_fmadd_ps(x[0], y[0], z[0]);
    x[1] = _mm256_fmadd_ps(x[1], y[1], z[1]);
    memcpy(&a, x, 64);
    return a;
#else
    return a * b + c;
#endif
}

/* correctly rounded square roots */
FJ_VAI fj_vd FJ_ISA(fj_vsqrt_d)(fj_vd v)
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

FJ_VAI fj_vf FJ_ISA(fj_vsqrt_f)(fj_vf v)
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

/* lo <= x <= hi per lane, false for NaN, by quiet compares (no FE_INVALID for a quiet
 * NaN: GCC's own vector compares are the signaling ones) */
FJ_VAI fj_vmd FJ_ISA(fj_vrange_d)(fj_vd x, double lo, double hi)
{
#if defined(__AVX512F__)
    __mmask8 k = _mm512_cmp_pd_mask((__m512d)x, _mm512_set1_pd(lo), _CMP_GE_OQ) &
                 _mm512_cmp_pd_mask((__m512d)x, _mm512_set1_pd(hi), _CMP_LE_OQ);
    return (fj_vmd)_mm512_movm_epi64(k);
#elif defined(__AVX__)
    __m256d h[2], m[2];
    memcpy(h, &x, 64);
    for (int j = 0; j < 2; j++)
        m[j] = _mm256_and_pd(_mm256_cmp_pd(h[j], _mm256_set1_pd(lo), _CMP_GE_OQ),
                             _mm256_cmp_pd(h[j], _mm256_set1_pd(hi), _CMP_LE_OQ));
    fj_vmd r;
    memcpy(&r, m, 64);
    return r;
#else
    fj_vmd good = x == x;                                   /* quiet: NaN lanes out */
    fj_vd xs = FJ_VSEL(fj_vd, fj_vmd, good, x, FJ_VD1(lo));
    return good & (xs >= lo) & (xs <= hi);
#endif
}

FJ_VAI fj_vmf FJ_ISA(fj_vrange_f)(fj_vf x, float lo, float hi)
{
#if defined(__AVX512F__)
    __mmask16 k = _mm512_cmp_ps_mask((__m512)x, _mm512_set1_ps(lo), _CMP_GE_OQ) &
                  _mm512_cmp_ps_mask((__m512)x, _mm512_set1_ps(hi), _CMP_LE_OQ);
    return (fj_vmf)_mm512_movm_epi32(k);
#elif defined(__AVX__)
    __m256 h[2], m[2];
    memcpy(h, &x, 64);
    for (int j = 0; j < 2; j++)
        m[j] = _mm256_and_ps(_mm256_cmp_ps(h[j], _mm256_set1_ps(lo), _CMP_GE_OQ),
                             _mm256_cmp_ps(h[j], _mm256_set1_ps(hi), _CMP_LE_OQ));
    fj_vmf r;
    memcpy(&r, m, 64);
    return r;
#else
    fj_vmf good = x == x;
    fj_vf xs = FJ_VSEL(fj_vf, fj_vmf, good, x, FJ_VF1(lo));
    return good & (xs >= lo) & (xs <= hi);
#endif
}

/* quiet comparisons of whole vectors as lane masks: IMM a _CMP_*_OQ predicate (NEQ_UQ
 * for !=), OP its C operator, UNORD the result for NaN lanes (1 for != only); a NaN lane
 * raises no flag (GCC's own vector compares use the signaling predicates) */
#undef FJ_VCMPQ_D
#undef FJ_VCMPQ_F
#if defined(__AVX512F__)
#define FJ_VCMPQ_D(a, b, IMM, OP, UNORD) \
    ((fj_vmd)_mm512_movm_epi64(_mm512_cmp_pd_mask((__m512d)(a), (__m512d)(b), IMM)))
#define FJ_VCMPQ_F(a, b, IMM, OP, UNORD) \
    ((fj_vmf)_mm512_movm_epi32(_mm512_cmp_ps_mask((__m512)(a), (__m512)(b), IMM)))
#elif defined(__AVX__)
#define FJ_VCMPQ_H(V, H, M, CMP, a, b, IMM)                                             \
    ({ V a_ = (a), b_ = (b); H ha_[2], hb_[2]; M r_;                                    \
       memcpy(ha_, &a_, 64); memcpy(hb_, &b_, 64);                                      \
       ha_[0] = CMP(ha_[0], hb_[0], IMM); ha_[1] = CMP(ha_[1], hb_[1], IMM);            \
       memcpy(&r_, ha_, 64); r_; })
#define FJ_VCMPQ_D(a, b, IMM, OP, UNORD) \
    FJ_VCMPQ_H(fj_vd, __m256d, fj_vmd, _mm256_cmp_pd, a, b, IMM)
#define FJ_VCMPQ_F(a, b, IMM, OP, UNORD) \
    FJ_VCMPQ_H(fj_vf, __m256, fj_vmf, _mm256_cmp_ps, a, b, IMM)
#else
/* NaN lanes set to 0 first, so the (signaling) compare sees no NaN */
#define FJ_VCMPQ_G(V, M, a, b, OP, UNORD)                                               \
    ({ V a_ = (a), b_ = (b); M o_ = (a_ == a_) & (b_ == b_);                            \
       a_ = (V)((M)a_ & o_); b_ = (V)((M)b_ & o_);                                      \
       ((a_ OP b_) & o_) | (UNORD ? ~o_ : (M){0}); })
#define FJ_VCMPQ_D(a, b, IMM, OP, UNORD) FJ_VCMPQ_G(fj_vd, fj_vmd, a, b, OP, UNORD)
#define FJ_VCMPQ_F(a, b, IMM, OP, UNORD) FJ_VCMPQ_G(fj_vf, fj_vmf, a, b, OP, UNORD)
#endif

/* ---- exp ------------------------------------------------------------------------- */

/* the lanes' ranges are vecmath.h's FJ_EXP_OK and vecmath_f32.h's FJ_EXPF_OK */
#define FJ_EXP_LO -708.0
#define FJ_EXP_HI 709.0

/* P vectors at once, statement by statement (the loops over j unroll): P independent
 * dependency chains side by side, which the out-of-order core overlaps; one vector after
 * the other it had to find them in a window too short for this long a chain */
#define FJ_PW(stmt) for (int j = 0; j < P; j++) { stmt; }

FJ_VAI void FJ_ISA(fj_exp_vd)(fj_vd *x, fj_vmd *ok, const int P)
{
    fj_vd xs[4], kd[4], fn[4], r[4], q[4];
    FJ_PW(ok[j] = FJ_ISA(fj_vrange_d)(x[j], FJ_EXP_LO, FJ_EXP_HI))
    FJ_PW(xs[j] = FJ_VSEL(fj_vd, fj_vmd, ok[j], x[j], FJ_VD1(0.5)))
    FJ_PW(kd[j] = FJ_ISA(fj_vfma_d)(xs[j], FJ_VD1(fj_invln2), FJ_VD1(FJ_MAGIC)))
    FJ_PW(fn[j] = kd[j] - FJ_MAGIC)
    FJ_PW(r[j] = FJ_ISA(fj_vfma_d)(-fn[j], FJ_VD1(fj_ln2hi), xs[j]))      /* exact */
    FJ_PW(r[j] = FJ_ISA(fj_vfma_d)(-fn[j], FJ_VD1(fj_ln2lo), r[j]))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_d)(FJ_VD1(2.5100472505694996e-08), r[j],
                                   FJ_VD1(2.7620201591031547e-07)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_d)(q[j], r[j], FJ_VD1(2.7557268276905696e-06)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_d)(q[j], r[j], FJ_VD1(2.4801521057868204e-05)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_d)(q[j], r[j], FJ_VD1(0.00019841269863171557)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_d)(q[j], r[j], FJ_VD1(0.0013888888917367081)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_d)(q[j], r[j], FJ_VD1(0.008333333333330039)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_d)(q[j], r[j], FJ_VD1(0.041666666666623824)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_d)(q[j], r[j], FJ_VD1(0.16666666666666669)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_d)(q[j], r[j], FJ_VD1(0.5000000000000001)))
    FJ_PW(q[j] = 1.0 + FJ_ISA(fj_vfma_d)(r[j] * r[j], q[j], r[j]))
    FJ_PW(x[j] = q[j] * (fj_vd)(((fj_vmd)kd[j] + 1023) << 52))
}

FJ_VAI void FJ_ISA(fj_exp_vf)(fj_vf *x, fj_vmf *ok, const int P)
{
    fj_vf xs[4], kd[4], k[4], r[4], q[4];
    FJ_PW(ok[j] = FJ_ISA(fj_vrange_f)(x[j], -INFINITY, 88.0f))
    FJ_PW(xs[j] = FJ_VSEL(fj_vf, fj_vmf, ok[j], x[j], FJ_VF1(0.5f)))
    FJ_PW(xs[j] = FJ_VSEL(fj_vf, fj_vmf, xs[j] < -104.0f, FJ_VF1(-104.0f), xs[j]))  /* +0 */
    FJ_PW(kd[j] = FJ_ISA(fj_vfma_f)(xs[j], FJ_VF1(0x1.715476p+0f), FJ_VF1(FJ_MAGICF)))
    FJ_PW(k[j] = kd[j] - FJ_MAGICF)
    FJ_PW(r[j] = FJ_ISA(fj_vfma_f)(-k[j], FJ_VF1(FJ_LN2HI_F), xs[j]))      /* exact */
    FJ_PW(r[j] = FJ_ISA(fj_vfma_f)(-k[j], FJ_VF1(FJ_LN2LO_F), r[j]))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_f)(FJ_VF1(0.00019766157f), r[j], FJ_VF1(0.0013933223f)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_f)(q[j], r[j], FJ_VF1(0.008333542f)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_f)(q[j], r[j], FJ_VF1(0.041666485f)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_f)(q[j], r[j], FJ_VF1(0.16666666f)))
    FJ_PW(q[j] = FJ_ISA(fj_vfma_f)(q[j], r[j], FJ_VF1(0.5f)))
    FJ_PW(q[j] = 1.0f + FJ_ISA(fj_vfma_f)(r[j] * r[j], q[j], r[j]))
#if defined(__AVX512F__)
    /* y * 2^k rounded once, also into the subnormal range */
    FJ_PW(x[j] = (fj_vf)_mm512_scalef_ps((__m512)q[j], (__m512)k[j]))
#else
    /* the same as two exact-or-once-rounded products (vecmath_f32.h fj_scalef) */
    FJ_PW(fj_vmf ki = (fj_vmf)kd[j] - (int32_t)FJ_MAGICF_BITS; fj_vmf k1 = ki >> 1;
          x[j] = q[j] * (fj_vf)((k1 + 127) << 23) * (fj_vf)((ki - k1 + 127) << 23))
#endif
}

/* Block functions: y[i] = e^x[i] through the vector code, lanes outside its range from
 * libm (float32: NumPy's float64 result rounded), in chunks of FJ_VCHUNK so that the
 * rare fix-up rescans a chunk only; y may be x. The tail runs one padded vector. */
#define FJ_VEC_BLOCK(NAME, T, V, M, W, VFN, LANE_OK, LIBM, PAD)                         \
static void FJ_ISA(NAME)(fj_index n, T *y, const T *x)                                 \
{                                                                                       \
    for (fj_index c = 0; c < n; c += FJ_VCHUNK) {                                       \
        fj_index m = n - c < FJ_VCHUNK ? n - c : FJ_VCHUNK, i = 0;                     \
        M bad = {0}, ok[2];                                                             \
        V v[2];                                                                         \
        T src[FJ_VCHUNK];                                                               \
        if (y == x) memcpy(src, x + c, (size_t)m * sizeof(T));                          \
        const T *xs = y == x ? src : x + c;                                             \
        for (; i + 2 * (W) <= m; i += 2 * (W)) {                                        \
            v[0] = *(const V *)(xs + i);                                                \
            v[1] = *(const V *)(xs + i + (W));                                          \
            VFN(v, ok, 2);                                                              \
            bad |= ~ok[0] | ~ok[1];                                                     \
            *(V *)(y + c + i) = v[0];                                                   \
            *(V *)(y + c + i + (W)) = v[1];                                             \
        }                                                                               \
        for (; i < m; i += (W)) {                   /* the rest, padded to a vector */  \
            T in[W];                                                                    \
            for (int l = 0; l < (W); l++) in[l] = i + l < m ? xs[i + l] : (T)(PAD);     \
            memcpy(v, in, sizeof(in));                                                  \
            VFN(v, ok, 1);                                                              \
            bad |= ~ok[0];                                                              \
            memcpy(in, v, sizeof(in));                                                  \
            memcpy(y + c + i, in, (size_t)(m - i < (W) ? m - i : (W)) * sizeof(T));    \
        }                                                                               \
        int any = 0;                                                                    \
        for (int l = 0; l < (W); l++) any |= bad[l] != 0;                               \
        if (any)                                                                        \
            for (i = 0; i < m; i++)                                                     \
                if (!LANE_OK(xs[i])) y[c + i] = (T)LIBM((double)xs[i]);                 \
    }                                                                                   \
}
FJ_VEC_BLOCK(fj_vexp, double, fj_vd, fj_vmd, 8, FJ_ISA(fj_exp_vd), FJ_EXP_OK, exp, 0.5)
FJ_VEC_BLOCK(fj_vexpf, float, fj_vf, fj_vmf, 16, FJ_ISA(fj_exp_vf), FJ_EXPF_OK, exp,
             0.5f)

#ifdef FJ_GCC_REGIONS
#pragma GCC diagnostic pop
#pragma GCC pop_options
#endif
