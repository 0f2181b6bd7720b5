/* vecmath.h: branch-free float64 elementary functions that GCC auto-vectorizes.
 *
 * Included by kernels.h once per instruction-set region (baseline, AVX2+FMA, AVX-512),
 * with FJ_ISA(name) appending that region's suffix, so every helper is compiled, inlined
 * and vectorized for the ISA of the loop that calls it. No include guard on purpose.
 *
 * Scheme: each block function runs one loop over the whole block computing the fast
 * path for every element (no branches, selects only) and ORs a "needs libm" flag for
 * elements outside the fast path's range (NaN, inf, huge arguments, subnormal or
 * overflowing results); if the flag is set a second, scalar loop recomputes just those
 * elements with libm. Algorithms and coefficients are FreeBSD msun's (e_exp.c, e_log.c,
 * e_log2.c, e_log10.c, k_sin.c, k_cos.c, e_rem_pio2.c), made branch-free; expm1 uses a
 * degree-14 Taylor kernel on |r| <= ln2/2. float32 has its own functions (vecmath_f32.h)
 * and power both (vecmath_pow.h), included at the end. The block functions of exp are
 * vector code (vecmath_vec.h), shared with chains.
 * Invariant: fast-path results are within ~1 ulp (tan, tanh ~2 ulp) of the exact value.
 */

#define FJ_VAI static inline __attribute__((always_inline))

#undef FJ_FMA
#if defined(__FMA__)
#define FJ_FMA(a, b, c) __builtin_fma((a), (b), (c))
#else
#define FJ_FMA(a, b, c) ((a) * (b) + (c))
#endif

FJ_VAI uint64_t FJ_ISA(fj_asu)(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
FJ_VAI double FJ_ISA(fj_asd)(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
/* round-to-nearest through the 1.5*2^52 trick: valid for |x| < 2^51 */
#define FJ_MAGIC 0x1.8p52

/* ---- sin / cos / tan ------------------------------------------------------------ */

#define FJ_TRIG_MAX 0x1p19   /* beyond this n*pio2_1 is no longer exact: use libm */

FJ_VAI double FJ_ISA(fj_ksin)(double x, double y)
{
    const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
                 S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
                 S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
    double z = x * x, w = z * z;
    double r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    double v = z * x;
    return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

FJ_VAI double FJ_ISA(fj_kcos)(double x, double y)
{
    const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
                 C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
                 C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
    double z = x * x, w = z * z;
    double r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    double hz = 0.5 * z;
    w = 1.0 - hz;
    return w + (((1.0 - w) - hz) + (z * r - x * y));
}

/* x = n*pi/2 + (hi + lo), |hi + lo| <= ~pi/4; returns n mod 4. Exact steps: n*pio2_k
 * products are exact for |n| < 2^20, the differences are error-free TwoSums. */
FJ_VAI uint64_t FJ_ISA(fj_rem_pio2)(double x, double *hi, double *lo)
{
    const double invpio2 = 6.36619772367581382433e-01;
    double kd = x * invpio2 + FJ_MAGIC;
    double fn = kd - FJ_MAGIC;
#if defined(__FMA__)
    /* pi/2 = c1 + c2 + c3 (53 bits each); each fused step rounds once, and the first is
     * exact where it cancels, so r carries < ~1 ulp of error: no tail needed */
    const double c1 = 1.5707963267948966, c2 = 6.123233995736766e-17,
                 c3 = -1.4973849048591698e-33;
    double r = FJ_FMA(-fn, c1, x);
    r = FJ_FMA(-fn, c2, r);
    *hi = FJ_FMA(-fn, c3, r);
    *lo = 0.0;
#else
    const double p1 = 1.57079632673412561417e+00, p2 = 6.07710050630396597660e-11,
                 p3 = 2.02226624871116645580e-21, p3t = 8.47842766036889956997e-32;
    double t = x - fn * p1;
    double b = -(fn * p2);
    double s = t + b, bb = s - t, e1 = (t - (s - bb)) + (b - bb);
    double b2 = -(fn * p3);
    double s2 = s + b2, bb2 = s2 - s, e2 = (s - (s2 - bb2)) + (b2 - bb2);
    double e = (e1 + e2) - fn * p3t;
    double h = s2 + e;
    *hi = h;
    *lo = e - (h - s2);
#endif
    return FJ_ISA(fj_asu)(kd) & 3;
}

FJ_VAI double FJ_ISA(fj_flipsign)(double v, uint64_t neg) /* neg: 0 or 1 */
{
    return FJ_ISA(fj_asd)(FJ_ISA(fj_asu)(v) ^ (neg << 63));
}

#if defined(__FMA__)
/* With FMA: reduce by multiples of pi (q even for sin, odd for cos, in units of pi/2) so
 * one odd polynomial on [-pi/2, pi/2] serves every lane: sin(r) = r + r z P(z), z = r^2,
 * P a degree-8 Chebyshev fit (coefficient rounding costs < 0.3 ulp). */
FJ_VAI double FJ_ISA(fj_sinpoly)(double r)
{
    double z = r * r;
    double p = -8.006048703469621e-18;
    p = FJ_FMA(p, z, 2.810468581681568e-15);
    p = FJ_FMA(p, z, -7.647139114646649e-13);
    p = FJ_FMA(p, z, 1.605904347927675e-10);
    p = FJ_FMA(p, z, -2.5052108382389887e-08);
    p = FJ_FMA(p, z, 2.7557319223971256e-06);
    p = FJ_FMA(p, z, -0.00019841269841269806);
    p = FJ_FMA(p, z, 0.008333333333333333);
    p = FJ_FMA(p, z, -0.16666666666666666);
    return FJ_FMA(r * z, p, r);
}

/* x = q pi/2 + r with q = 2n + odd; returns sin(r) with the sign of (-1)^n applied */
FJ_VAI double FJ_ISA(fj_sin_by_pi)(double x, int odd)
{
    const double invpi = 0.31830988618379067154, c1 = 1.5707963267948966,
                 c2 = 6.123233995736766e-17, c3 = -1.4973849048591698e-33;
    double kd = (x * invpi - (odd ? 0.5 : 0.0)) + FJ_MAGIC;
    double n = kd - FJ_MAGIC;
    double q = 2.0 * n + (odd ? 1.0 : 0.0);
    double r = FJ_FMA(-q, c1, x);
    r = FJ_FMA(-q, c2, r);
    r = FJ_FMA(-q, c3, r);
    return FJ_ISA(fj_flipsign)(FJ_ISA(fj_sinpoly)(r), (FJ_ISA(fj_asu)(kd) & 1) ^ (uint64_t)odd);
}

FJ_VAI double FJ_ISA(fj_sin1)(double x)
{
    double v = FJ_ISA(fj_sin_by_pi)(x, 0);
    return fabs(x) < 0x1p-26 ? x : v;
}

FJ_VAI double FJ_ISA(fj_cos1)(double x)
{
    return FJ_ISA(fj_sin_by_pi)(x, 1);
}
#else
FJ_VAI double FJ_ISA(fj_sin1)(double x)
{
    double hi, lo;
    uint64_t q = FJ_ISA(fj_rem_pio2)(x, &hi, &lo);
    double s = FJ_ISA(fj_ksin)(hi, lo), c = FJ_ISA(fj_kcos)(hi, lo);
    double v = (q & 1) ? c : s;
    v = FJ_ISA(fj_flipsign)(v, q >> 1);
    return fabs(x) < 0x1p-26 ? x : v;
}

FJ_VAI double FJ_ISA(fj_cos1)(double x)
{
    double hi, lo;
    uint64_t q = FJ_ISA(fj_rem_pio2)(x, &hi, &lo);
    double s = FJ_ISA(fj_ksin)(hi, lo), c = FJ_ISA(fj_kcos)(hi, lo);
    double v = (q & 1) ? s : c;
    return FJ_ISA(fj_flipsign)(v, ((q + 1) >> 1) & 1);
}
#endif

FJ_VAI double FJ_ISA(fj_tan1)(double x)
{
    double hi, lo;
    uint64_t q = FJ_ISA(fj_rem_pio2)(x, &hi, &lo);
    double s = FJ_ISA(fj_ksin)(hi, lo), c = FJ_ISA(fj_kcos)(hi, lo);
    double num = (q & 1) ? -c : s, den = (q & 1) ? s : c;
    double v = num / den;
    return fabs(x) < 0x1p-27 ? x : v;
}

/* ---- exp family ----------------------------------------------------------------- */

#define fj_ln2hi 6.93147180369123816490e-01
#define fj_ln2lo 1.90821492927058770002e-10
#define fj_invln2 1.44269504088896338700e+00

/* 2^k * exp(hi - lo) for |hi - lo| <= ~0.35, k + 1023 in [1, 2046]. Division-free:
 * exp(r) = 1 + (r + r^2 Q(r)), Q a degree-9 Chebyshev fit of (e^r - 1 - r) / r^2
 * (< 0.2 ulp from the fit and coefficient rounding). */
FJ_VAI double FJ_ISA(fj_exp_q)(double r)
{
    double q = 2.5100472505694996e-08;
    q = FJ_FMA(q, r, 2.7620201591031547e-07);
    q = FJ_FMA(q, r, 2.7557268276905696e-06);
    q = FJ_FMA(q, r, 2.4801521057868204e-05);
    q = FJ_FMA(q, r, 0.00019841269863171557);
    q = FJ_FMA(q, r, 0.0013888888917367081);
    q = FJ_FMA(q, r, 0.008333333333330039);
    q = FJ_FMA(q, r, 0.041666666666623824);
    q = FJ_FMA(q, r, 0.16666666666666669);
    return FJ_FMA(q, r, 0.5000000000000001);
}

FJ_VAI double FJ_ISA(fj_exp_core)(double hi, double lo, uint64_t kbits)
{
    double r = hi - lo;
    double q = FJ_ISA(fj_exp_q)(r);
    double y = 1.0 + FJ_FMA(r * r, q, r);
    double scale = FJ_ISA(fj_asd)((kbits + 1023) << 52);
    return y * scale;
}

FJ_VAI double FJ_ISA(fj_exp1)(double x)
{
    double kd = x * fj_invln2 + FJ_MAGIC;
    double fn = kd - FJ_MAGIC;
    return FJ_ISA(fj_exp_core)(x - fn * fj_ln2hi, fn * fj_ln2lo, FJ_ISA(fj_asu)(kd));
}
#define FJ_EXP_OK(x) ((x) >= -708.0 && (x) <= 709.0)

FJ_VAI double FJ_ISA(fj_exp2_1)(double x)
{
    const double ln2 = 6.93147180559945286227e-01, ln2lo = 2.319046813846299558e-17;
    double kd = x + FJ_MAGIC;
    double r = x - (kd - FJ_MAGIC);                 /* exact, |r| <= 0.5 */
    double a = r * ln2;
#if defined(__FMA__)
    double alo = FJ_FMA(r, ln2, -a) + r * ln2lo;
#else
    double alo = r * ln2lo;
#endif
    return FJ_ISA(fj_exp_core)(a, -alo, FJ_ISA(fj_asu)(kd));
}
#define FJ_EXP2_OK(x) ((x) >= -1020.0 && (x) <= 1023.0)

/* expm1 on |r| <= ~0.35: r + r^2 (1/2 + r/6 + ... ), Taylor to degree 14 */
FJ_VAI double FJ_ISA(fj_expm1_poly)(double r)
{
    double q = 1.0 / 87178291200.0;
    q = 1.0 / 6227020800.0 + r * q;
    q = 1.0 / 479001600.0 + r * q;
    q = 1.0 / 39916800.0 + r * q;
    q = 1.0 / 3628800.0 + r * q;
    q = 1.0 / 362880.0 + r * q;
    q = 1.0 / 40320.0 + r * q;
    q = 1.0 / 5040.0 + r * q;
    q = 1.0 / 720.0 + r * q;
    q = 1.0 / 120.0 + r * q;
    q = 1.0 / 24.0 + r * q;
    q = 1.0 / 6.0 + r * q;
    q = 0.5 + r * q;
    return r + (r * r) * q;
}

FJ_VAI double FJ_ISA(fj_expm1_1)(double x)
{
    double kd = x * fj_invln2 + FJ_MAGIC;
    double fn = kd - FJ_MAGIC;
    double hi = x - fn * fj_ln2hi, lo = fn * fj_ln2lo;
    double r = hi - lo;
    double rerr = (hi - r) - lo;
    double p = FJ_ISA(fj_expm1_poly)(r);
    p = p + rerr * (1.0 + p);
    uint64_t kb = FJ_ISA(fj_asu)(kd);
    double scale = FJ_ISA(fj_asd)((kb + 1023) << 52);
    double v = FJ_FMA(scale, p, scale - 1.0);
    v = fn == 0.0 ? p : v;
    return x == 0.0 ? x : v;
}
#define FJ_EXPM1_OK(x) ((x) >= -700.0 && (x) <= 709.0)

FJ_VAI double FJ_ISA(fj_tanh1)(double x)
{
    double ax = fabs(x);
    int big = ax >= 1.0;
    double t = FJ_ISA(fj_expm1_1)(big ? 2.0 * ax : -2.0 * ax);
    double q = (big ? 2.0 : -t) / (t + 2.0);
    double z = big ? 1.0 - q : q;
    z = ax > 22.0 ? 1.0 : z;
    z = copysign(z, x);
    return ax < 0x1p-28 ? x : z;
}
#define FJ_TANH_OK(x) ((x) == (x))

/* ---- log family ----------------------------------------------------------------- */

/* x = 2^k (1 + f), 1 + f in [sqrt(2)/2, sqrt(2)); x positive, normal, finite */
typedef struct { double f, dk, s, R, hfsq; uint64_t hx; } FJ_ISA(fj_logparts);

FJ_VAI FJ_ISA(fj_logparts) FJ_ISA(fj_log_split)(double x)
{
    const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
                 Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                 Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                 Lg7 = 1.479819860511658591e-01;
    FJ_ISA(fj_logparts) P;
    uint64_t u = FJ_ISA(fj_asu)(x);
    uint64_t hx = u >> 32;
    uint64_t k = (hx >> 20) + 1;                 /* biased by 1024 */
    hx &= 0x000fffff;
    uint64_t i = (hx + 0x95f64) & 0x100000;
    uint64_t hw = hx | (i ^ 0x3ff00000);
    double xn = FJ_ISA(fj_asd)((hw << 32) | (u & 0xffffffffu));
    k += i >> 20;
    P.hx = hx;
    P.dk = FJ_ISA(fj_asd)(0x4330000000000000ull | k) - (0x1p52 + 1024.0);
    P.f = xn - 1.0;
    P.s = P.f / (2.0 + P.f);
    double z = P.s * P.s, w = z * z;
    double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    P.R = t2 + t1;
    P.hfsq = 0.5 * P.f * P.f;
    return P;
}

FJ_VAI double FJ_ISA(fj_log1)(double x)
{
    FJ_ISA(fj_logparts) P = FJ_ISA(fj_log_split)(x);
    double f = P.f, s = P.s, R = P.R, dk = P.dk, hfsq = P.hfsq;
    int64_t sel = ((int64_t)P.hx - 0x6147a) | (0x6b851 - (int64_t)P.hx);
    double a = dk * fj_ln2hi - ((hfsq - (s * (hfsq + R) + dk * fj_ln2lo)) - f);
    double b = dk * fj_ln2hi - ((s * (f - R) - dk * fj_ln2lo) - f);
    return sel > 0 ? a : b;
}
#define FJ_LOG_OK(x) ((x) >= 0x1p-1022 && (x) < INFINITY)

/* msun e_log2.c / e_log10.c: hi/lo split of log(1+f) so that k + log(1+f)/ln(b) is
 * accurate to < 1 ulp */
FJ_VAI double FJ_ISA(fj_log2_1)(double x)
{
    const double ivln2hi = 1.44269504072144627571e+00, ivln2lo = 1.67517131648865118353e-10;
    FJ_ISA(fj_logparts) P = FJ_ISA(fj_log_split)(x);
    double r = P.s * (P.hfsq + P.R);
    double hi = FJ_ISA(fj_asd)(FJ_ISA(fj_asu)(P.f - P.hfsq) & 0xffffffff00000000ull);
    double lo = (P.f - hi) - P.hfsq + r;
    double vhi = hi * ivln2hi;
    double vlo = (lo + hi) * ivln2lo + lo * ivln2hi;
    double w = P.dk + vhi;
    vlo += (P.dk - w) + vhi;
    return vlo + w;
}

FJ_VAI double FJ_ISA(fj_log10_1)(double x)
{
    const double ivln10hi = 4.34294481878168880939e-01, ivln10lo = 2.50829467116452752298e-11,
                 log10_2hi = 3.01029995663611771306e-01, log10_2lo = 3.69423907715893078616e-13;
    FJ_ISA(fj_logparts) P = FJ_ISA(fj_log_split)(x);
    double r = P.s * (P.hfsq + P.R);
    double hi = FJ_ISA(fj_asd)(FJ_ISA(fj_asu)(P.f - P.hfsq) & 0xffffffff00000000ull);
    double lo = (P.f - hi) - P.hfsq + r;
    double vhi = hi * ivln10hi;
    double y2 = P.dk * log10_2hi;
    double vlo = P.dk * log10_2lo + (lo + hi) * ivln10lo + lo * ivln10hi;
    double w = y2 + vhi;
    vlo += (y2 - w) + vhi;
    return vlo + w;
}

FJ_VAI double FJ_ISA(fj_log1p1)(double x)
{
    double u = 1.0 + x;
    double c = (x - (u - 1.0)) / u;
    double v = FJ_ISA(fj_log1)(u) + c;
    return x == 0.0 ? x : v;
}
#define FJ_LOG1P_OK(x) ((x) > -1.0 && (x) < 0x1p1020)

/* ---- block functions -------------------------------------------------------------- */

/* y[i] = F(x[i]) on the fast path, (T)LIBM((double)x[i]) where OK(x[i]) fails (for
 * float32: NumPy's float64 result rounded). Works in chunks; y may be x (registers are
 * reused in place): then each chunk goes through a local buffer, otherwise straight
 * into y (the fix-up loop reads x, which is intact). One body for both float types. */
#define FJ_VCHUNK 256
#define FJ_VEC_UNARY_T(NAME, T, F, OK, LIBM)                                           \
static void FJ_ISA(NAME)(fj_index n, T *y, const T *x)                                \
{                                                                                      \
    T buf[FJ_VCHUNK];                                                                  \
    for (fj_index c = 0; c < n; c += FJ_VCHUNK) {                                      \
        fj_index m = n - c < FJ_VCHUNK ? n - c : FJ_VCHUNK;                           \
        const T *xc = x + c;                                                           \
        T *t = y == x ? buf : y + c;                                                   \
        int bad = 0;                                                                   \
        for (fj_index i = 0; i < m; i++) {                                             \
            T v = xc[i];                                                               \
            int ok = OK(v);                                                            \
            bad |= !ok;                                                                \
            t[i] = FJ_ISA(F)(ok ? v : (T)0.5);                                         \
        }                                                                              \
        if (bad) {                                                                     \
            for (fj_index i = 0; i < m; i++)                                           \
                if (!OK(xc[i])) t[i] = (T)LIBM((double)xc[i]);                         \
        }                                                                              \
        if (t == buf) memcpy(y + c, buf, (size_t)m * sizeof(T));                       \
    }                                                                                  \
}
#define FJ_VEC_UNARY(NAME, F, OK, LIBM) FJ_VEC_UNARY_T(NAME, double, F, OK, LIBM)

#define FJ_TRIG_OK(x) (fabs(x) <= FJ_TRIG_MAX)
FJ_VEC_UNARY(fj_vsin, fj_sin1, FJ_TRIG_OK, sin)
FJ_VEC_UNARY(fj_vcos, fj_cos1, FJ_TRIG_OK, cos)
FJ_VEC_UNARY(fj_vtan, fj_tan1, FJ_TRIG_OK, tan)
FJ_VEC_UNARY(fj_vexp2, fj_exp2_1, FJ_EXP2_OK, exp2)
FJ_VEC_UNARY(fj_vexpm1, fj_expm1_1, FJ_EXPM1_OK, expm1)
FJ_VEC_UNARY(fj_vtanh, fj_tanh1, FJ_TANH_OK, tanh)
FJ_VEC_UNARY(fj_vlog, fj_log1, FJ_LOG_OK, log)
FJ_VEC_UNARY(fj_vlog2, fj_log2_1, FJ_LOG_OK, log2)
FJ_VEC_UNARY(fj_vlog10, fj_log10_1, FJ_LOG_OK, log10)
FJ_VEC_UNARY(fj_vlog1p, fj_log1p1, FJ_LOG1P_OK, log1p)

static void FJ_ISA(fj_vsqrt)(fj_index n, double *restrict y, const double *restrict x)
{
    fj_index i = 0;
#if defined(__AVX512F__)
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _mm512_sqrt_pd(_mm512_loadu_pd(x + i)));
#elif defined(__AVX__)
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
#elif defined(__SSE2__)
    for (; i + 2 <= n; i += 2) _mm_storeu_pd(y + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
#endif
    for (; i < n; i++) y[i] = sqrt(x[i]);
}

static void FJ_ISA(fj_vsqrtf)(fj_index n, float *restrict y, const float *restrict x)
{
    fj_index i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
#elif defined(__AVX__)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#elif defined(__SSE2__)
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
    for (; i < n; i++) y[i] = sqrtf(x[i]);
}

/* atan(t) for t >= 0 (msun s_atan.c, branch-free: the four reduction intervals become
 * selects, one division for all of them) */
FJ_VAI double FJ_ISA(fj_atan_pos)(double t)
{
    const double a0 = 3.33333333333329318027e-01, a1 = -1.99999999998764832476e-01,
                 a2 = 1.42857142725034663711e-01, a3 = -1.11111104054623557880e-01,
                 a4 = 9.09088713343650656196e-02, a5 = -7.69187620504482999495e-02,
                 a6 = 6.66107313738753120669e-02, a7 = -5.83357013379057348645e-02,
                 a8 = 4.97687799461593236017e-02, a9 = -3.65315727442169155270e-02,
                 a10 = 1.62858201153657823623e-02;
    double num = t >= 2.4375 ? -1.0 : t >= 1.1875 ? t - 1.5 : t >= 0.6875 ? t - 1.0
               : t >= 0.4375 ? 2.0 * t - 1.0 : t;
    double den = t >= 2.4375 ? t : t >= 1.1875 ? 1.0 + 1.5 * t : t >= 0.6875 ? t + 1.0
               : t >= 0.4375 ? 2.0 + t : 1.0;
    double hi = t >= 2.4375 ? 1.57079632679489655800e+00 : t >= 1.1875 ? 9.82793723247329054082e-01
              : t >= 0.6875 ? 7.85398163397448278999e-01 : 4.63647609000806093515e-01;
    double lo = t >= 2.4375 ? 6.12323399573676603587e-17 : t >= 1.1875 ? 1.39033110312309984516e-17
              : t >= 0.6875 ? 3.06161699786838301793e-17 : 2.26987774529616870924e-17;
    double x = num / den;
    double z = x * x, w = z * z;
    double s1 = z * (a0 + w * (a2 + w * (a4 + w * (a6 + w * (a8 + w * a10)))));
    double s2 = w * (a1 + w * (a3 + w * (a5 + w * (a7 + w * a9))));
    double small = x - x * (s1 + s2);
    double big = hi - ((x * (s1 + s2) - lo) - x);
    double v = t >= 0.4375 ? big : small;
    v = t >= 0x1p66 ? 1.57079632679489655800e+00 : v;
    return t < 0x1p-27 ? t : v;
}

/* atan2 (msun e_atan2.c) for finite, nonzero y and x; the rest goes to libm */
FJ_VAI double FJ_ISA(fj_atan2_1)(double y, double x)
{
    const double pi = 3.1415926535897931160E+00, pi_lo = 1.2246467991473531772E-16;
    double t = fabs(y / x);
    double z = FJ_ISA(fj_atan_pos)(t);
    z = (x < 0 ? t : 1.0) < 0x1p-60 ? 0.0 : z;
    z = t > 0x1p60 ? 1.57079632679489655800e+00 + 0.5 * pi_lo : z;
    double pos = x < 0 ? pi - (z - pi_lo) : z;
    return y < 0 ? -pos : pos;
}
/* finite and nonzero operands (a product overflowing or underflowing just means libm) */
#define FJ_ATAN2_OK(y, x) (fabs((y) * (x)) < INFINITY && (y) * (x) != 0)

static void FJ_ISA(fj_vatan2)(fj_index n, double *y, const double *a, const double *b)
{
    double t[FJ_VCHUNK], ya[FJ_VCHUNK], xa[FJ_VCHUNK];
    for (fj_index c = 0; c < n; c += FJ_VCHUNK) {
        fj_index m = n - c < FJ_VCHUNK ? n - c : FJ_VCHUNK;
        const double *ac = a + c, *bc = b + c;
        int bad = 0;
        for (fj_index i = 0; i < m; i++) {     /* sanitize: the fast path sees 1, 1 */
            int ok = FJ_ATAN2_OK(ac[i], bc[i]);
            bad |= !ok;
            ya[i] = ok ? ac[i] : 1.0;
            xa[i] = ok ? bc[i] : 1.0;
        }
        for (fj_index i = 0; i < m; i++) t[i] = FJ_ISA(fj_atan2_1)(ya[i], xa[i]);
        if (bad) {
            for (fj_index i = 0; i < m; i++)
                if (!FJ_ATAN2_OK(ac[i], bc[i])) t[i] = atan2(ac[i], bc[i]);
        }
        memcpy(y + c, t, (size_t)m * sizeof(double));
    }
}

#include "vecmath_f32.h"
#include "vecmath_pow.h"
