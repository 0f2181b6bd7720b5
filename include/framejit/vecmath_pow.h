/* vecmath_pow.h: branch-free power, float64 and float32, that GCC auto-vectorizes.
 * Included at the end of vecmath.h, once per instruction-set region; no include guard.
 *
 * float64: pow(x, y) = exp(y log x) with log x in double-double (relative error ~2^-63,
 * so that y log x keeps ~10 more bits than a double when it is as large as 709) and exp
 * taking the low part as a correction: within ~0.7 ulp of the exact value. float32: a
 * plain float64 exp(y log x), rounded once, with lanes near a rounding tie sent to libm.
 * Fast path: x positive normal finite, y finite, y log x within exp's normal range;
 * every other lane (x <= 0, NaN, inf, subnormal or overflowing results, pow(1, nan),
 * negative bases with integer exponents, ...) is recomputed by libm pow, so special
 * cases are exactly C99's (and NumPy's). Failed lanes are marked NaN by the vector loop
 * (the fast path itself never returns NaN) and redone by a scalar loop. Needs FMA (the
 * AVX2 and AVX-512 regions); the baseline region calls libm pow element by element.
 */

#if defined(__FMA__)

/* p + *e = a * b exactly (finite, non-overflowing a, b) */
FJ_VAI double FJ_ISA(fj_two_prod)(double a, double b, double *e)
{
    double p = a * b;
    *e = __builtin_fma(a, b, -p);
    return p;
}

/* log(x) = hi + *lo for x positive, normal, finite, relative error ~2^-66. x = 2^k m,
 * m in [sqrt(2)/2, sqrt(2)), log m = 2 atanh(s) = 2s + 2/3 s^3 + 2/5 s^5 + s^7 R(s^2)
 * with s = (m - 1)/(m + 1) (one division: 1/(m + 1) = (1 - s)/2 gives the low part),
 * the first three terms in double-double, R a degree-6 fit (relative error 2^-50; the
 * term is below 2^-18 of the total). */
FJ_VAI double FJ_ISA(fj_log_dd)(double x, double *lo)
{
    const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
    /* the offset moves sqrt(2)/2 to 1.0: the exponent field is then k + 1023 (unsigned
     * shift and the 2^52 trick: no 64-bit arithmetic shift or int64 -> double needed) */
    uint64_t u = FJ_ISA(fj_asu)(x) + (0x3ff0000000000000ull - 0x3fe6a09e667f3bcdull);
    double dk = FJ_ISA(fj_asd)(0x4330000000000000ull | (u >> 52)) - (0x1p52 + 1023.0);
    double m = FJ_ISA(fj_asd)((u & 0x000fffffffffffffull) + 0x3fe6a09e667f3bcdull);
    double num = m - 1.0;                       /* exact */
    double dh = m + 1.0, dl = m - (dh - 1.0);   /* m + 1 = dh + dl exactly */
    double sh = num / dh, pe;
    double pp = FJ_ISA(fj_two_prod)(sh, dh, &pe);
    double sl = (((num - pp) - pe) - sh * dl) * (0.5 - 0.5 * sh);
    double wl, w = FJ_ISA(fj_two_prod)(sh, sh, &wl);            /* s^2 */
    wl += 2.0 * sh * sl;
    double c3l, c3 = FJ_ISA(fj_two_prod)(w, sh, &c3l);          /* s^3 */
    c3l += wl * sh + w * sl;
    double c5l, c5 = FJ_ISA(fj_two_prod)(c3, w, &c5l);          /* s^5 */
    c5l += c3l * w + c3 * wl;
    double t3l, t3 = FJ_ISA(fj_two_prod)(0.66666666666666663, c3, &t3l);
    t3l += 0.66666666666666663 * c3l + 3.7007434154171883e-17 * c3;
    double t5l, t5 = FJ_ISA(fj_two_prod)(0.4, c5, &t5l);
    t5l += 0.4 * c5l - 2.2204460492503132e-17 * c5;
    double r = 0.11566360418810438;
    r = FJ_FMA(r, w, 0.11721811990546963);
    r = FJ_FMA(r, w, 0.13334202049145272);
    r = FJ_FMA(r, w, 0.15384606389061298);
    r = FJ_FMA(r, w, 0.1818181822608058);
    r = FJ_FMA(r, w, 0.22222222222140664);
    r = FJ_FMA(r, w, 0.285714285714286);
    /* sum, largest first, each step error-free (Fast2Sum: a = 0 or |a| > |b|, and
     * every later term is far smaller than the partial sum) */
    double a = dk * ln2hi, b = 2.0 * sh;        /* both exact */
    double h1 = a + b, e1 = (a - h1) + b;
    double h2 = h1 + t3, e2 = (h1 - h2) + t3;
    double h3 = h2 + t5, e3 = (h2 - h3) + t5;
    double low = ((e1 + e2) + e3) + ((((2.0 * sl + t3l) + t5l) + (c5 * w) * r) + dk * ln2lo);
    double hi = h3 + low;
    *lo = (h3 - hi) + low;
    return hi;
}

/* e^(th + tl) for th in [-708, 709] (FJ_EXP_OK), |tl| <~ 2^-50 |th| */
FJ_VAI double FJ_ISA(fj_exp_dd)(double th, double tl)
{
    double kd = th * fj_invln2 + FJ_MAGIC;
    double fn = kd - FJ_MAGIC;
    double hi = th - fn * fj_ln2hi;             /* exact */
    double lo = tl - fn * fj_ln2lo;
    double r = hi + lo, bb = r - hi;            /* TwoSum: r + rerr = hi + lo */
    double rerr = (hi - (r - bb)) + (lo - bb);
    double q = FJ_ISA(fj_exp_q)(r);             /* fj_exp_core's polynomial */
    /* e^r = (1 + r) + r^2 q: 1 + r as an exact sum, so the only large rounding is the
     * last one; rerr e^(r) ~ rerr (1 + r) */
    double s1 = 1.0 + r, e = (1.0 - s1) + r;
    double y = s1 + FJ_FMA(r * r, q, FJ_FMA(rerr, s1, e));
    double scale = FJ_ISA(fj_asd)((FJ_ISA(fj_asu)(kd) + 1023) << 52);
    return y * scale;
}

static void FJ_ISA(fj_vpow)(fj_index n, double *y, const double *a, const double *b)
{
    double t[FJ_VCHUNK];
    for (fj_index c = 0; c < n; c += FJ_VCHUNK) {
        fj_index m = n - c < FJ_VCHUNK ? n - c : FJ_VCHUNK;
        const double *ac = a + c, *bc = b + c;
        int bad = 0;
        for (fj_index i = 0; i < m; i++) {
            double x = ac[i], e = bc[i];
            int ok = (x >= 0x1p-1022) & (x < INFINITY) & (fabs(e) < INFINITY);
            x = ok ? x : 1.0;
            e = ok ? e : 0.0;
            double lo, hi = FJ_ISA(fj_log_dd)(x, &lo);
            double tl, th = FJ_ISA(fj_two_prod)(e, hi, &tl);
            ok &= (th >= -708.0) & (th <= 709.0);      /* FJ_EXP_OK */
            tl = FJ_FMA(e, lo, tl);
            double v = FJ_ISA(fj_exp_dd)(ok ? th : 0.0, ok ? tl : 0.0);
            bad |= !ok;
            t[i] = ok ? v : NAN;
        }
        if (bad) {
            for (fj_index i = 0; i < m; i++)
                if (t[i] != t[i]) t[i] = pow(ac[i], bc[i]);
        }
        memcpy(y + c, t, (size_t)m * sizeof(double));
    }
}

/* float32: exp(y log x) in float64 (msun-style log and exp, relative error < 2^-42),
 * rounded once: the correctly rounded result unless the float64 value lies within its
 * error of a rounding boundary (a tie between two floats, or the overflow threshold);
 * such lanes (~1 in 10^4 of random inputs, but every exact tie such as pow(2, -150),
 * which must round to 0) go to libm with the other special lanes. Sanitizing in float
 * first (failed lanes get x = 1, y = NaN, so that the float64 loop marks them NaN by
 * itself) keeps float-width masks out of the float64 loop: GCC cannot mix the two. */
static void FJ_ISA(fj_vpowf)(fj_index n, float *y, const float *a, const float *b)
{
    float t[FJ_VCHUNK], xs[FJ_VCHUNK], es[FJ_VCHUNK];
    for (fj_index c = 0; c < n; c += FJ_VCHUNK) {
        fj_index m = n - c < FJ_VCHUNK ? n - c : FJ_VCHUNK;
        const float *ac = a + c, *bc = b + c;
        for (fj_index i = 0; i < m; i++) {
            float x = ac[i], e = bc[i];
            int ok = (x > 0.0f) & (x < INFINITY) & (__builtin_fabsf(e) < INFINITY);
            xs[i] = ok ? x : 1.0f;
            es[i] = ok ? e : NAN;
        }
        int bad = 0;
        for (fj_index i = 0; i < m; i++) {
            double te = (double)es[i] * FJ_ISA(fj_log1)((double)xs[i]);
            int ok = (te >= -708.0) & (te <= 709.0);      /* FJ_EXP_OK; false for NaN */
            double v = FJ_ISA(fj_exp1)(ok ? te : 0.0);
            /* float spacing at v (2^-149 for subnormal results) and v's distance to the
             * nearest float: a tie when that is half the spacing */
            uint64_t ev = FJ_ISA(fj_asu)(v) >> 52;
            double sp = FJ_ISA(fj_asd)((ev > 897 ? ev - 23 : 874) << 52);
            double r = fabs(v - (double)(float)v);
            double tol = v * 0x1p-38;
            ok &= (fabs(r - 0.5 * sp) > tol) & (fabs(v - 0x1.ffffffp127) > tol);
            bad |= !ok;
            t[i] = (float)(ok ? v : NAN);
        }
        if (bad) {
            for (fj_index i = 0; i < m; i++)
                if (t[i] != t[i]) t[i] = (float)pow((double)ac[i], (double)bc[i]);
        }
        memcpy(y + c, t, (size_t)m * sizeof(float));
    }
}

#else  /* no FMA: the error-free products would cost more than libm's pow itself */

static void FJ_ISA(fj_vpow)(fj_index n, double *y, const double *a, const double *b)
{
    for (fj_index i = 0; i < n; i++) y[i] = pow(a[i], b[i]);
}

static void FJ_ISA(fj_vpowf)(fj_index n, float *y, const float *a, const float *b)
{
    for (fj_index i = 0; i < n; i++) y[i] = (float)pow((double)a[i], (double)b[i]);
}

#endif
