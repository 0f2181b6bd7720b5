"""How the polynomial coefficients of include/framejit/vecmath_f32.h and vecmath_pow.h
were obtained (not needed at build time). Needs mpmath. One command:

    python bench/fit_vecmath.py [sin cos tan exp2 expm1 log1p tanh atan powlog]

float32 kernels: f(x) ~ lead(x) + mult(x) P(var(x)), P near-minimax for the relative
error (Lawson's iteratively reweighted least squares on a Chebyshev grid, targets in
40-digit mpmath), then rounded to float one coefficient at a time, lowest order first,
refitting the rest after each rounding. powlog: R(w) of the double-double log in
vecmath_pow.h, Chebyshev interpolation in high precision rounded to double. Prints each
fit's error before and after rounding and the coefficients, highest order first (the
Horner order of the C code).
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40


def fit(name, lo, hi, target, lead, mult, var, deg, npts=4000, iters=200):
    t = np.cos(np.linspace(np.pi, 0, npts))
    xs = [mp.mpf(lo) + (mp.mpf(hi) - mp.mpf(lo)) * (mp.mpf(float(v)) + 1) / 2 for v in t]
    xs = [x for x in xs if x != 0]
    F = [target(x) for x in xs]
    M = [mult(x) for x in xs]
    V = np.array([float(var(x)) for x in xs])
    y = np.array([float((f - lead(x)) / m) for x, f, m in zip(xs, F, M)])
    scale = np.array([float(abs(m / f)) for f, m in zip(F, M)])
    A = np.vander(V, deg + 1, increasing=True)
    fixed, err0 = [], None
    for nfix in range(deg + 1):
        yy = y - (A[:, :nfix] @ np.array(fixed) if nfix else 0)
        B = A[:, nfix:]
        w = np.ones(len(V)) / len(V)
        for _ in range(iters):
            sw = np.sqrt(w) * scale
            c, *_ = np.linalg.lstsq(B * sw[:, None], yy * sw, rcond=None)
            e = np.abs((B @ c - yy) * scale)
            w = w * e
            w /= w.sum()
        err0 = e.max() if err0 is None else err0
        fixed.append(float(np.float32(c[0])))
    err = max(abs((lead(x) + m * sum(mp.mpf(ci) * mp.mpf(float(v)) ** i
                                     for i, ci in enumerate(fixed)) - f) / f)
              for x, f, m, v in list(zip(xs, F, M, V))[::5])
    print(f"{name}: degree {deg} on [{lo}, {hi}]: relative error 2^{np.log2(err0):.1f}, "
          f"2^{float(mp.log(err, 2)):.1f} with float coefficients")
    print("    " + ", ".join(f"{np.float32(c)!r}f".replace("np.float32(", "").replace(")", "")
                             for c in fixed[::-1]))


def powlog(deg=6):
    a = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
    W = a * a * mp.mpf("1.0001")

    def g(w):
        if w == 0:
            return mp.mpf(2) / 7
        s = mp.sqrt(w)
        return (mp.log((1 + s) / (1 - s)) - 2 * s - mp.mpf(2) / 3 * s ** 3
                - mp.mpf(2) / 5 * s ** 5) / s ** 7

    n = deg + 1
    nodes = [W / 2 * (1 + mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n)) for k in range(n)]
    c = mp.lu_solve(mp.matrix([[x ** j for j in range(n)] for x in nodes]),
                    mp.matrix([g(x) for x in nodes]))
    cd = [float(c[j]) for j in range(n)]
    err = max(abs((sum(mp.mpf(cd[j]) * x ** j for j in range(n)) - g(x)) / g(x))
              for x in [W * i / 400 for i in range(401)])
    print(f"powlog R: degree {deg}: relative error 2^{float(mp.log(err, 2)):.1f}")
    print("    " + ", ".join(repr(v) for v in cd[::-1]))


def main(which):
    q = float(mp.pi / 4)
    s2 = float(mp.sqrt(2))
    r = lambda x: x
    jobs = {
        "sin": lambda: fit("sin on [-pi/4, pi/4]", -q, q, mp.sin, r, lambda x: x ** 3,
                           lambda x: x * x, 2),
        "cos": lambda: fit("cos on [-pi/4, pi/4]", -q, q, mp.cos, lambda x: 1 - x * x / 2,
                           lambda x: x ** 4, lambda x: x * x, 2),
        "tan": lambda: fit("tan on [-pi/4, pi/4]", -q, q, mp.tan, r, lambda x: x ** 3,
                           lambda x: x * x, 6),
        "exp2": lambda: fit("2^x on [-1/2, 1/2]", -0.5, 0.5, lambda x: 2 ** x, lambda x: 1,
                            r, r, 5),
        "expm1": lambda: fit("expm1 on [-0.35, 0.35]", -0.35, 0.35, mp.expm1, r,
                             lambda x: x * x, r, 5),
        "log1p": lambda: fit("log1p on [sqrt2/2 - 1, sqrt2 - 1]", s2 / 2 - 1, s2 - 1,
                             mp.log1p, r, lambda x: x * x, r, 8),
        "tanh": lambda: fit("tanh on [-0.55, 0.55]", -0.55, 0.55, mp.tanh, r,
                            lambda x: x ** 3, lambda x: x * x, 4),
        "atan": lambda: fit("atan on [0, 1]", 0, 1, mp.atan, r, lambda x: x ** 3,
                            lambda x: x * x, 8),
        "powlog": powlog,
    }
    for name in which or list(jobs):
        jobs[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
