"""Quantitative-finance kernels: option pricing, returns, risk, fixed income."""
import numpy as np

from .case import Case

A1, A2, A3, A4, A5 = 0.31938153, -0.356563782, 1.781477937, -1.821255978, 1.330274429
RSQRT2PI = 0.39894228040143267794


def cnd(d):
    """Cumulative normal distribution (Abramowitz & Stegun 26.2.17), as NumPy code writes it."""
    K = 1.0 / (1.0 + 0.2316419 * np.abs(d))
    ret = RSQRT2PI * np.exp(-0.5 * d * d) * (K * (A1 + K * (A2 + K * (A3 + K * (A4 + K * A5)))))
    return np.where(d > 0, 1.0 - ret, ret)


def black_scholes(S, X, T, r=0.02, v=0.3):
    sqrtT = np.sqrt(T)
    d1 = (np.log(S / X) + (r + 0.5 * v * v) * T) / (v * sqrtT)
    d2 = d1 - v * sqrtT
    expRT = np.exp(-r * T)
    call = S * cnd(d1) - X * expRT * cnd(d2)
    put = X * expRT * (1.0 - cnd(d2)) - S * (1.0 - cnd(d1))
    return call, put


def _npdf(x):
    return RSQRT2PI * np.exp(-0.5 * x ** 2)


def black_scholes_greeks(S, K, T, r, sigma):
    sqrtT = np.sqrt(T)
    d1 = (np.log(S / K) + (r + sigma ** 2 / 2) * T) / (sigma * sqrtT)
    d2 = d1 - sigma * sqrtT
    return {
        "delta": cnd(d1),
        "gamma": _npdf(d1) / (S * sigma * sqrtT),
        "vega": S * _npdf(d1) * sqrtT,
        "theta": -S * _npdf(d1) * sigma / (2 * sqrtT) - r * K * np.exp(-r * T) * cnd(d2),
        "rho": K * T * np.exp(-r * T) * cnd(d2),
    }


def implied_vol_newton(price, S, K, T, r=0.01, iters=6):
    sigma = np.full_like(price, 0.3)
    for _ in range(iters):
        call, _put = black_scholes(S, K, T, r, sigma)
        sqrtT = np.sqrt(T)
        d1 = (np.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * sqrtT)
        vega = S * _npdf(d1) * sqrtT
        sigma = np.clip(sigma - (call - price) / np.maximum(vega, 1e-8), 0.01, 3.0)
    return sigma


def log_returns_sharpe(prices, periods=252):
    rets = np.log(prices[:, 1:] / prices[:, :-1])
    mu = rets.mean(axis=1)
    sd = rets.std(axis=1, ddof=1)
    return rets, np.sqrt(periods) * mu / sd


def drawdown(prices):
    peak = np.maximum.accumulate(prices)
    dd = (prices - peak) / peak
    return dd, dd.min()


def discount_factors(rate, n=10):
    t = np.arange(1, n + 1)
    return (1.0 + rate) ** -t


def npv_matrix(cashflows, rates):
    t = np.arange(1, cashflows.shape[1] + 1)
    disc = np.power(1.0 + rates[:, None], -t[None, :])
    return cashflows @ disc.T


def portfolio_stats(w, mu, cov):
    ret = w @ mu
    var = w @ cov @ w
    return ret, np.sqrt(var), ret / np.sqrt(var)


def gbm_paths(z, s0=100.0, mu=0.05, sigma=0.2, dt=1.0 / 252):
    incr = (mu - 0.5 * sigma ** 2) * dt + sigma * np.sqrt(dt) * z
    logp = np.cumsum(incr, axis=1)
    paths = s0 * np.exp(logp)
    return np.hstack([np.full((z.shape[0], 1), s0), paths])


def binomial_european_call(S, K, T=1.0, r=0.03, sigma=0.25, N=8):
    dt = T / N
    u = np.exp(sigma * np.sqrt(dt))
    d = 1.0 / u
    p = (np.exp(r * dt) - d) / (u - d)
    disc = np.exp(-r * dt)
    j = np.arange(N + 1)
    ST = S[:, None] * u ** j[None, :] * d ** (N - j)[None, :]
    values = np.maximum(ST - K[:, None], 0.0)
    for _ in range(N):
        values = disc * (p * values[:, 1:] + (1 - p) * values[:, :-1])
    return values[:, 0]


def macd(prices, fast=0.3, slow=0.1):
    ema_f = np.empty_like(prices)
    ema_s = np.empty_like(prices)
    ema_f[0] = prices[0]
    ema_s[0] = prices[0]
    for t in range(1, prices.shape[0]):
        ema_f[t] = fast * prices[t] + (1 - fast) * ema_f[t - 1]
        ema_s[t] = slow * prices[t] + (1 - slow) * ema_s[t - 1]
    return ema_f - ema_s


def vwap(price, volume):
    return (price * volume).cumsum() / volume.cumsum()


def bond_price_duration(coupon, ytm, face=100.0, n=8):
    t = np.arange(1, n + 1, dtype=np.float64)
    cf = np.full(n, coupon * face)
    cf[-1] += face
    disc = (1 + ytm[:, np.newaxis]) ** -t
    pv = cf * disc
    price = pv.sum(axis=1)
    duration = (pv * t).sum(axis=1) / price
    return price, duration


def ma_crossover_signal(prices, short=3, long=8):
    c = np.cumsum(np.concatenate([np.zeros(1), prices]))
    ma_s = (c[short:] - c[:-short]) / short
    ma_l = (c[long:] - c[:-long]) / long
    ma_s = ma_s[long - short:]
    return np.where(ma_s > ma_l, 1, -1), ma_s - ma_l


def annuity_payment(principal, rate, n=360):
    r = rate / 12.0
    return principal * r / (1.0 - (1.0 + r) ** (-n))


def parametric_var(returns, z=1.6448536269514722, horizon=10):
    mu = returns.mean(axis=0)
    sd = returns.std(axis=0)
    return -(mu * horizon - z * sd * np.sqrt(horizon))


def ewma_volatility(returns, lam=0.94):
    var = returns[0] ** 2
    for i in range(1, len(returns)):
        var = lam * var + (1 - lam) * returns[i] ** 2
    return np.sqrt(var)


def _bs_args(rng):
    n = 64
    return (rng.uniform(5.0, 30.0, n), rng.uniform(1.0, 100.0, n), rng.uniform(0.25, 10.0, n))


CASES = [
    Case("black_scholes", black_scholes, _bs_args),
    Case("black_scholes_greeks", black_scholes_greeks,
         lambda rng: (rng.uniform(50, 150, 20), 100.0, rng.uniform(0.1, 2.0, 20), 0.03, 0.25)),
    Case("implied_vol_newton", implied_vol_newton,
         lambda rng: (np.array([8.0, 12.0, 5.5, 20.0]), np.array([100.0, 100.0, 95.0, 110.0]),
                      np.array([100.0, 95.0, 100.0, 100.0]), np.array([1.0, 0.5, 0.75, 2.0]))),
    Case("log_returns_sharpe", log_returns_sharpe,
         lambda rng: (100 * np.exp(np.cumsum(0.01 * rng.standard_normal((3, 40)), axis=1)),)),
    Case("drawdown", drawdown, lambda rng: (100 * np.exp(np.cumsum(0.02 * rng.standard_normal(50))),)),
    Case("discount_factors", discount_factors, lambda rng: (0.04,)),
    Case("npv_matrix", npv_matrix, lambda rng: (rng.uniform(-10, 20, (5, 12)), rng.uniform(0.01, 0.1, 3))),
    Case("portfolio_stats", portfolio_stats,
         lambda rng: (np.full(4, 0.25), rng.uniform(0.0, 0.1, 4),
                      (lambda a: a @ a.T / 4 + 0.01 * np.eye(4))(rng.standard_normal((4, 4))))),
    Case("gbm_paths", gbm_paths, lambda rng: (rng.standard_normal((4, 30)),)),
    Case("binomial_european_call", binomial_european_call,
         lambda rng: (rng.uniform(80, 120, 5), rng.uniform(90, 110, 5))),
    Case("macd", macd, lambda rng: (100 + np.cumsum(rng.standard_normal(20)),)),
    Case("vwap", vwap, lambda rng: (rng.uniform(99, 101, 30), rng.integers(1, 1000, 30).astype(np.float64))),
    Case("bond_price_duration", bond_price_duration, lambda rng: (0.05, rng.uniform(0.01, 0.08, 6))),
    Case("ma_crossover_signal", ma_crossover_signal, lambda rng: (100 + np.cumsum(rng.standard_normal(30)),)),
    Case("annuity_payment", annuity_payment, lambda rng: (rng.uniform(1e5, 5e5, 4), rng.uniform(0.02, 0.07, 4))),
    Case("parametric_var", parametric_var, lambda rng: (0.01 * rng.standard_normal((250, 3)),)),
    Case("ewma_volatility", ewma_volatility, lambda rng: (0.01 * rng.standard_normal((20, 3)),)),
]
