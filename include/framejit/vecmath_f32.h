/* vecmath_f32.h: branch-free float32 elementary functions that GCC auto-vectorizes (8
 * lanes on AVX2, 16 on AVX-512). Included at the end of vecmath.h, so once per
 * instruction-set region like it (FJ_ISA appends the region's suffix); no include guard.
 *
 * Same scheme as the float64 functions: one loop computes the fast path for every
 * element (float polynomials, selects only) and flags elements outside the fast path's
 * range; those are recomputed by a scalar loop in float64 libm and rounded, which is
 * exactly NumPy's float64 result rounded to float32 (the accuracy reference), so NaN,
 * +-inf, overflow and underflow edges and huge trig arguments behave as NumPy. Fast-path
 * results stay within 1 ulp of that reference, sin and cos within 2 (on ~1 input in
 * 3e7; tests/kernels/test_vecmath_f32.py measures it). Polynomials are near-minimax
 * fits (Lawson) of the correction terms, rounded to float one coefficient at a time with
 * the rest refitted (bench/fit_vecmath.py).
 */

#undef FJ_FMAF
#undef FJ_FMAF_X
#if defined(__FMA__)
#define FJ_FMAF(a, b, c) __builtin_fmaf((a), (b), (c))
#define FJ_FMAF_X(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#define FJ_FMAF(a, b, c) ((a) * (b) + (c))
/* fused multiply-add where it must be exact (reduction steps, error terms): the product
 * of two floats is exact in double, and these results are representable in float */
#define FJ_FMAF_X(a, b, c) ((float)((double)(a) * (double)(b) + (double)(c)))
#endif

FJ_VAI uint32_t FJ_ISA(fj_asuf)(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
FJ_VAI float FJ_ISA(fj_asf)(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
/* round-to-nearest through 1.5*2^23: valid for |x| < 2^22; the bits of x + FJ_MAGICF
 * are 0x4b400000 + round(x) */
#define FJ_MAGICF 0x1.8p23f
#define FJ_MAGICF_BITS 0x4b400000u

FJ_VAI float FJ_ISA(fj_copysignf)(float v, float s)
{
    uint32_t sign = FJ_ISA(fj_asuf)(s) & 0x80000000u;
    return FJ_ISA(fj_asf)((FJ_ISA(fj_asuf)(v) & 0x7fffffffu) | sign);
}

/* 2^k for k in [-252, 254], as two factors so that y * s1 * s2 rounds once into the
 * subnormal range instead of overflowing the exponent field */
FJ_VAI float FJ_ISA(fj_scalef)(float y, int32_t k)
{
    int32_t k1 = k >> 1, k2 = k - k1;
    float s1 = FJ_ISA(fj_asf)((uint32_t)(k1 + 127) << 23);
    float s2 = FJ_ISA(fj_asf)((uint32_t)(k2 + 127) << 23);
    return y * s1 * s2;
}

/* ---- sin / cos / tan ------------------------------------------------------------ */

/* beyond this the three-part reduction below is no longer accurate: libm */
#define FJ_TRIGF_MAX 0x1p17f
#define FJ_TRIGF_OK(x) (__builtin_fabsf(x) <= FJ_TRIGF_MAX)

/* x - q * c for c = c1 + c2 + c3 (72 bits of pi/2 or pi), q an integer < 2^18. The first
 * step is exact (|result| < 2, a multiple of 2^-24 or of ulp(x)); without FMA the chain
 * runs in double, where every product is exact. */
FJ_VAI float FJ_ISA(fj_reducef)(float x, float q, float c1, float c2, float c3)
{
#if defined(__FMA__)
    float r = __builtin_fmaf(-q, c1, x);
    r = __builtin_fmaf(-q, c2, r);
    return __builtin_fmaf(-q, c3, r);
#else
    double qd = q;
    return (float)((((double)x - qd * c1) - qd * c2) - qd * c3);
#endif
}

/* x = n pi/2 + r, |r| <= pi/4: sin(r) = r + r z S(z) and cos(r) = 1 - z/2 + z^2 C(z),
 * z = r^2 (fit errors 2^-27.9, 2^-33); the quadrant n (+1 for cos) picks one and its
 * sign. Both polynomials are short: this beats one longer polynomial on [-pi/2, pi/2],
 * whose results near 1 carry ~2 ulp of rounding. */
FJ_VAI float FJ_ISA(fj_sincosf_q)(float x, uint32_t cos_shift)
{
    float kd = x * 0x1.45f306p-1f + FJ_MAGICF;
    float n = kd - FJ_MAGICF;
    float r = FJ_ISA(fj_reducef)(x, n, 0x1.921fb6p+0f, -0x1.777a5cp-25f, -0x1.ee59dap-50f);
    float z = r * r;
    float sp = -0.00019518292f;
    sp = FJ_FMAF(sp, z, 0.008332189f);
    sp = FJ_FMAF(sp, z, -0.16666655f);
    float s = FJ_FMAF(r * z, sp, r);
    float cp = 2.4432327e-05f;
    cp = FJ_FMAF(cp, z, -0.001388731f);
    cp = FJ_FMAF(cp, z, 0.041666646f);
    float c = FJ_FMAF(z, FJ_FMAF(z, cp, -0.5f), 1.0f);
    uint32_t q = FJ_ISA(fj_asuf)(kd) + cos_shift;
    float v = (q & 1) ? c : s;
    return FJ_ISA(fj_asf)(FJ_ISA(fj_asuf)(v) ^ ((q & 2) << 30));
}

FJ_VAI float FJ_ISA(fj_sinf1)(float x)
{
    float v = FJ_ISA(fj_sincosf_q)(x, 0);
    return __builtin_fabsf(x) < 0x1p-12f ? x : v;     /* also keeps the sign of zero */
}

FJ_VAI float FJ_ISA(fj_cosf1)(float x)
{
    return FJ_ISA(fj_sincosf_q)(x, 1);
}

/* tan in double (tan is sensitive to the rounding of r): x = n pi/2 + r, |r| <= pi/4,
 * pi/2 in three parts of 33 bits (n p1 exact), tan(r) = r + r z P(z) (fit error
 * 2^-29.6), -1/tan(r) for odd n, rounded once */
FJ_VAI float FJ_ISA(fj_tanf1)(float xf)
{
    const double p1 = 1.57079632673412561417e+00, p2 = 6.07710050630396597660e-11,
                 p3 = 2.02226624871116645580e-21;
    double x = xf;
    double kd = x * 0.63661977236758134308 + FJ_MAGIC;
    double n = kd - FJ_MAGIC;
    double r = ((x - n * p1) - n * p2) - n * p3;
    double z = r * r;
    double p = 0.004372363;
    p = FJ_FMA(p, z, 9.880046e-05);
    p = FJ_FMA(p, z, 0.010827112);
    p = FJ_FMA(p, z, 0.021286292);
    p = FJ_FMA(p, z, 0.054058906);
    p = FJ_FMA(p, z, 0.13332675);
    p = FJ_FMA(p, z, 0.3333335);
    double t = FJ_FMA(r * z, p, r);
    double v = (FJ_ISA(fj_asu)(kd) & 1) ? -1.0 / t : t;
    return __builtin_fabsf(xf) < 0x1p-12f ? xf : (float)v;
}

/* ---- exp family ----------------------------------------------------------------- */

/* ln2 = C1 + C2, C1 with 16 bits so that k * C1 is exact */
#define FJ_LN2HI_F 0x1.62e3p-1f
#define FJ_LN2LO_F 0x1.2fefa4p-17f

/* (e^r - 1 - r) / r^2 on |r| <= 0.35 (fit error 2^-31 relative to e^r - 1) */
FJ_VAI float FJ_ISA(fj_expm1_qf)(float r)
{
    float q = 0.00019766157f;
    q = FJ_FMAF(q, r, 0.0013933223f);
    q = FJ_FMAF(q, r, 0.008333542f);
    q = FJ_FMAF(q, r, 0.041666485f);
    q = FJ_FMAF(q, r, 0.16666666f);
    return FJ_FMAF(q, r, 0.5f);
}

/* e^x for x <= 88 (the fast range); x < -104 (also -inf) gives +0 like e^x rounded */
FJ_VAI float FJ_ISA(fj_expf1)(float x)
{
    x = x < -104.0f ? -104.0f : x;
    float kd = x * 0x1.715476p+0f + FJ_MAGICF;
    float k = kd - FJ_MAGICF;
    float r = FJ_FMAF(-k, FJ_LN2HI_F, x);      /* exact */
    r = FJ_FMAF(-k, FJ_LN2LO_F, r);
    float p = FJ_FMAF(r * r, FJ_ISA(fj_expm1_qf)(r), r);
    return FJ_ISA(fj_scalef)(1.0f + p, (int32_t)(FJ_ISA(fj_asuf)(kd) - FJ_MAGICF_BITS));
}
#define FJ_EXPF_OK(x) ((x) <= 88.0f)

/* 2^r on |r| <= 1/2: 1 + r P(r) (fit error 2^-28.3) */
FJ_VAI float FJ_ISA(fj_exp2f1)(float x)
{
    x = x < -151.0f ? -151.0f : x;
    float kd = x + FJ_MAGICF;
    float r = x - (kd - FJ_MAGICF);            /* exact */
    float p = 0.00015326471f;
    p = FJ_FMAF(p, r, 0.0013390807f);
    p = FJ_FMAF(p, r, 0.009618506f);
    p = FJ_FMAF(p, r, 0.0555036f);
    p = FJ_FMAF(p, r, 0.24022648f);
    p = FJ_FMAF(p, r, 0.6931472f);
    int32_t ki = (int32_t)(FJ_ISA(fj_asuf)(kd) - FJ_MAGICF_BITS);
    return FJ_ISA(fj_scalef)(FJ_FMAF(p, r, 1.0f), ki);
}
#define FJ_EXP2F_OK(x) ((x) < 128.0f)

/* e^x - 1: x = k ln2 + r, r carried with its rounding error, 2^k (1 + p) - 1 in one
 * fused step; x < -17.5 gives -1 (e^x below half an ulp of 1) */
FJ_VAI float FJ_ISA(fj_expm1f1)(float x)
{
    float xc = x < -17.5f ? -17.5f : x;
    float kd = xc * 0x1.715476p+0f + FJ_MAGICF;
    float k = kd - FJ_MAGICF;
    float hi = FJ_FMAF(-k, FJ_LN2HI_F, xc);   /* exact */
    float lo = k * FJ_LN2LO_F;
    float r = hi - lo;
    float rerr = (hi - r) - lo;
    float p = FJ_FMAF(r * r, FJ_ISA(fj_expm1_qf)(r), r);
    p = FJ_FMAF(rerr, 1.0f + p, p);
    int32_t ki = (int32_t)(FJ_ISA(fj_asuf)(kd) - FJ_MAGICF_BITS);
    float scale = FJ_ISA(fj_asf)((uint32_t)(ki + 127) << 23);
    float v = FJ_FMAF(scale, p, scale - 1.0f);
    v = ki == 0 ? p : v;
    v = x < -17.5f ? -1.0f : v;
    return x == 0.0f ? x : v;
}
#define FJ_EXPM1F_OK(x) ((x) <= 88.0f)

/* tanh: odd polynomial below 0.55 (fit error 2^-29.7), 1 - 2 / (e^2|x| + 1) above (no
 * cancellation there: e^2|x| > 3), 1 beyond 9.5 (1 - tanh < 2^-26) */
FJ_VAI float FJ_ISA(fj_tanhf1)(float x)
{
    float ax = __builtin_fabsf(x);
    float z = ax * ax;
    float p = -0.006242849f;
    p = FJ_FMAF(p, z, 0.021050714f);
    p = FJ_FMAF(p, z, -0.053847548f);
    p = FJ_FMAF(p, z, 0.13332544f);
    p = FJ_FMAF(p, z, -0.33333316f);
    float small = FJ_FMAF(ax * z, p, ax);
    float t = FJ_ISA(fj_expf1)(2.0f * (ax > 9.5f ? 9.5f : ax));
    float big = 1.0f - 2.0f / (t + 1.0f);
    float v = ax < 0.55f ? small : big;
    v = ax > 9.5f ? 1.0f : v;
    return FJ_ISA(fj_copysignf)(v, x);
}
#define FJ_TANHF_OK(x) ((x) == (x))

/* ---- log family ----------------------------------------------------------------- */

/* log_b(x) = k B + (f + f^2 Q(f)) C for x = 2^k (1 + f), 1 + f in [sqrt(2)/2, sqrt(2)),
 * with B = log_b(2) = bhi + blo (k bhi exact) and C = 1/ln(b) = chi + clo; the leading
 * sum is error-free (Fast2Sum), f C's rounding error is kept (exact FMA). `c` is a
 * correction added to log(1 + f) (log1p's rounding of 1 + x); x positive normal finite. */
FJ_VAI float FJ_ISA(fj_logf_core)(int32_t ki, float f, float c, float bhi, float blo,
                                   float chi, float clo)
{
    /* log1p(f) = f + f^2 Q(f) on [sqrt(2)/2 - 1, sqrt(2) - 1] (fit error 2^-27.8) */
    float q = -0.0762317f;
    q = FJ_FMAF(q, f, 0.12914729f);
    q = FJ_FMAF(q, f, -0.132475f);
    q = FJ_FMAF(q, f, 0.14180596f);
    q = FJ_FMAF(q, f, -0.1660843f);
    q = FJ_FMAF(q, f, 0.20002013f);
    q = FJ_FMAF(q, f, -0.2500161f);
    q = FJ_FMAF(q, f, 0.33333325f);
    q = FJ_FMAF(q, f, -0.49999988f);
    float t = FJ_FMAF(f * f, q, c);
    float k = (float)ki;
    float K = k * bhi;
    float hi = f * chi;
    float lo = FJ_FMAF_X(f, chi, -hi) + FJ_FMAF(f, clo, FJ_FMAF(t, chi, k * blo));
    float s = K + hi;
    float e = (K - s) + hi;
    return s + (e + lo);
}

/* x = 2^k m, m in [sqrt(2)/2, sqrt(2)) */
FJ_VAI float FJ_ISA(fj_logf_split)(float x, int32_t *k)
{
    uint32_t u = FJ_ISA(fj_asuf)(x) - 0x3f3504f3u;
    *k = (int32_t)u >> 23;
    return FJ_ISA(fj_asf)((u & 0x007fffffu) + 0x3f3504f3u);
}

FJ_VAI float FJ_ISA(fj_logf1)(float x)
{
    int32_t k;
    float m = FJ_ISA(fj_logf_split)(x, &k);
    return FJ_ISA(fj_logf_core)(k, m - 1.0f, 0.0f, FJ_LN2HI_F, FJ_LN2LO_F, 1.0f, 0.0f);
}

FJ_VAI float FJ_ISA(fj_log2f1)(float x)
{
    int32_t k;
    float m = FJ_ISA(fj_logf_split)(x, &k);
    return FJ_ISA(fj_logf_core)(k, m - 1.0f, 0.0f, 1.0f, 0.0f, 0x1.715476p+0f, 0x1.4ae0c0p-26f);
}

FJ_VAI float FJ_ISA(fj_log10f1)(float x)
{
    int32_t k;
    float m = FJ_ISA(fj_logf_split)(x, &k);
    return FJ_ISA(fj_logf_core)(k, m - 1.0f, 0.0f, 0x1.3441p-2f, 0x1.a84fbcp-21f,
                                0x1.bcb7b2p-2f, -0x1.5b235ep-27f);
}
#define FJ_LOGF_OK(x) ((x) >= 0x1p-126f && (x) < INFINITY)

/* log1p: for 1 + x in [sqrt(2)/2, sqrt(2)) f = x exactly; otherwise log(u), u = 1 + x
 * rounded, plus c / u with c = (1 + x) - u (msun's correction, zero once k >= 25) */
FJ_VAI float FJ_ISA(fj_log1pf1)(float x)
{
    float u = 1.0f + x;
    int32_t k;
    float m = FJ_ISA(fj_logf_split)(u, &k);
    float c = k >= 2 ? 1.0f - (u - x) : x - (u - 1.0f);
    c = (k == 0 || k >= 25) ? 0.0f : c / u;
    float f = k == 0 ? x : m - 1.0f;
    float v = FJ_ISA(fj_logf_core)(k, f, c, FJ_LN2HI_F, FJ_LN2LO_F, 1.0f, 0.0f);
    return x == 0.0f ? x : v;
}
#define FJ_LOG1PF_OK(x) ((x) > -1.0f && (x) < INFINITY)

/* ---- arctan2 ------------------------------------------------------------------------ */

/* finite, nonzero y and x: a = min/max of |y|, |x| in [0, 1], atan(a) = a + a z P(z)
 * (fit error 2^-28.5), then pi/2 - v when |y| > |x|, pi - v when x < 0, sign of y */
FJ_VAI float FJ_ISA(fj_atan2f1)(float y, float x)
{
    float ay = __builtin_fabsf(y), ax = __builtin_fabsf(x);
    int swap = ay > ax;
    float a = (swap ? ax : ay) / (swap ? ay : ax);
    float z = a * a;
    float p = -0.0017821442f;
    p = FJ_FMAF(p, z, 0.010866271f);
    p = FJ_FMAF(p, z, -0.031093534f);
    p = FJ_FMAF(p, z, 0.05787887f);
    p = FJ_FMAF(p, z, -0.08399208f);
    p = FJ_FMAF(p, z, 0.10950861f);
    p = FJ_FMAF(p, z, -0.14264014f);
    p = FJ_FMAF(p, z, 0.1999853f);
    p = FJ_FMAF(p, z, -0.333333f);
    float v = FJ_FMAF(a * z, p, a);
    v = swap ? (0x1.921fb6p+0f - v) + -0x1.777a5cp-25f : v;
    v = x < 0.0f ? (0x1.921fb6p+1f - v) + -0x1.777a5cp-24f : v;
    return FJ_ISA(fj_copysignf)(v, y);
}
#define FJ_ATAN2F_OK(y, x) (__builtin_fabsf(y) < INFINITY && (y) != 0.0f && \
                            __builtin_fabsf(x) < INFINITY && (x) != 0.0f)

/* ---- block functions -------------------------------------------------------------- */

/* the block loop is vecmath.h's FJ_VEC_UNARY_T */
#define FJ_VEC_UNARY_F32(NAME, F, OK, LIBM) FJ_VEC_UNARY_T(NAME, float, F, OK, LIBM)

FJ_VEC_UNARY_F32(fj_vsinf, fj_sinf1, FJ_TRIGF_OK, sin)
FJ_VEC_UNARY_F32(fj_vcosf, fj_cosf1, FJ_TRIGF_OK, cos)
FJ_VEC_UNARY_F32(fj_vtanf, fj_tanf1, FJ_TRIGF_OK, tan)
FJ_VEC_UNARY_F32(fj_vexp2f, fj_exp2f1, FJ_EXP2F_OK, exp2)
FJ_VEC_UNARY_F32(fj_vexpm1f, fj_expm1f1, FJ_EXPM1F_OK, expm1)
FJ_VEC_UNARY_F32(fj_vtanhf, fj_tanhf1, FJ_TANHF_OK, tanh)
FJ_VEC_UNARY_F32(fj_vlogf, fj_logf1, FJ_LOGF_OK, log)
FJ_VEC_UNARY_F32(fj_vlog2f, fj_log2f1, FJ_LOGF_OK, log2)
FJ_VEC_UNARY_F32(fj_vlog10f, fj_log10f1, FJ_LOGF_OK, log10)
FJ_VEC_UNARY_F32(fj_vlog1pf, fj_log1pf1, FJ_LOG1PF_OK, log1p)

static void FJ_ISA(fj_vatan2f)(fj_index n, float *y, const float *a, const float *b)
{
    float t[FJ_VCHUNK], ya[FJ_VCHUNK], xa[FJ_VCHUNK];
    for (fj_index c = 0; c < n; c += FJ_VCHUNK) {
        fj_index m = n - c < FJ_VCHUNK ? n - c : FJ_VCHUNK;
        const float *ac = a + c, *bc = b + c;
        int bad = 0;
        for (fj_index i = 0; i < m; i++) {     /* sanitize: the fast path sees 1, 1 */
            int ok = FJ_ATAN2F_OK(ac[i], bc[i]);
            bad |= !ok;
            ya[i] = ok ? ac[i] : 1.0f;
            xa[i] = ok ? bc[i] : 1.0f;
        }
        for (fj_index i = 0; i < m; i++) t[i] = FJ_ISA(fj_atan2f1)(ya[i], xa[i]);
        if (bad) {
            for (fj_index i = 0; i < m; i++)
                if (!FJ_ATAN2F_OK(ac[i], bc[i]))
                    t[i] = (float)atan2((double)ac[i], (double)bc[i]);
        }
        memcpy(y + c, t, (size_t)m * sizeof(float));
    }
}
