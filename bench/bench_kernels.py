"""framejit's kernel library against NumPy, numexpr, numba (serial and parallel) and
torch.compile (when importable), on hand-lowered programs, with a STREAM-like triad for
the memory-bandwidth bound. One command:

    PYTHONPATH=pkg python bench/bench_kernels.py [--sizes 1e3,1e5,1e6,1e7] [--dtypes float64,float32]

Prints one markdown table: median time per call for each implementation, framejit's
speed-up over NumPy and over the best peer, and time / bandwidth bound (bytes of inputs
read once + outputs written once, at the 2-thread triad rate). The programs are lowered
by hand with the small expression builder below, the way the kernels backend will
lower graphs (temps register-allocated by liveness).
"""
import argparse
import math
import os
import sys

# nothing here uses BLAS: keep OpenBLAS's spinning server threads off the two cores
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import fmt_time, markdown_table, measure  # noqa: E402

try:
    from framejit import _kernels as K  # noqa: E402
except ImportError:   # the package __init__ is broken: load the extension by path
    import glob
    import importlib.util
    _so = glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pkg",
                                 "framejit", "_kernels.*.so"))[0]
    _spec = importlib.util.spec_from_file_location("framejit._kernels", _so)
    K = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(K)

try:
    import numexpr as ne
except ImportError:
    ne = None
try:
    import numba
except ImportError:
    numba = None
try:
    import torch
except ImportError:
    torch = None


# ---- a tiny lowering: expressions -> Program -------------------------------------------

class Builder:
    """Records ops on virtual registers; build() allocates temps by liveness per pass."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.regs, self.code, self.consts, self.cse = [], [], {}, {}

    def _reg(self, spec):
        self.regs.append(spec)
        return len(self.regs) - 1

    def input(self, k):
        return Val(self, self._reg(("array", k, self.dtype)))

    def const(self, v):
        if v not in self.consts:
            self.consts[v] = Val(self, self._reg(("const", float(v), self.dtype)))
        return self.consts[v]

    def op(self, name, *args, dtype=None, imm=None):
        args = [a if isinstance(a, Val) else self.const(a) for a in args]
        key = (name, tuple(a.reg for a in args), dtype, imm)
        if key in self.cse:                     # common subexpressions computed once
            return self.cse[key]
        # ops on accs and constants only run once per segment (scalar instructions)
        scalar = all(self.regs[a.reg][0] in ("acc", "const") for a in args)
        dst = self._reg(("acc" if scalar else "temp", dtype or self.dtype))
        self.code.append((name, dst, *[a.reg for a in args]) + ((imm,) if imm is not None else ()))
        self.cse[key] = Val(self, dst)
        return self.cse[key]

    def reduce(self, name, v, out=None, dtype=None):
        dst = self._reg(("acc", dtype or self.dtype) + ((out,) if out is not None else ()))
        self.code.append((name, dst, v.reg))
        return Val(self, dst)

    def new_pass(self):
        self.code.append(("pass",))
        self.cse = {}                           # temps do not survive a pass

    def output(self, k, v):
        """Make v's defining instruction write operand k directly (rename its register)."""
        out = self._reg(("array", k, self.dtype))

        def rename(ins):
            nreg = len(ins) - (1 if ins[0] == "powi" else 0)
            return tuple(out if 0 < j < nreg and x == v.reg else x for j, x in enumerate(ins))

        self.code = [rename(ins) for ins in self.code]
        v.reg = out             # later uses read the output operand

    def build(self, reduce=None):
        """Linear-scan allocation of temps within each pass; returns a Program."""
        last_use = {}
        for i, ins in enumerate(self.code):
            for r in ins[1:len(ins) - (1 if ins[0] == "powi" else 0)]:
                last_use[r] = i
        phys, free, mapping, code = [], {}, {}, []
        for i, ins in enumerate(self.code):
            if ins[0] == "pass":
                code.append(ins)
                continue
            nsrc = len(ins) - 2 - (1 if ins[0] == "powi" else 0)
            srcs = [mapping.get(r, r) for r in ins[2:2 + nsrc]]
            for r in ins[2:2 + nsrc]:           # free sources that die here
                if self.regs[r][0] == "temp" and last_use.get(r) == i and r in mapping:
                    free.setdefault(self.regs[r][1], []).append(mapping[r])
            dst = ins[1]
            if self.regs[dst][0] == "temp":
                pool = free.get(self.regs[dst][1], [])
                if pool:
                    mapping[dst] = pool.pop()
                else:
                    phys.append(("temp", self.regs[dst][1]))
                    mapping[dst] = ("phys", len(phys) - 1)
            code.append((ins[0], mapping.get(dst, dst), *srcs) + tuple(ins[2 + nsrc:]))
        # final register list: non-temps keep their ids, physical temps appended
        keep = [r for r, spec in enumerate(self.regs) if spec[0] != "temp"]
        new_id = {r: i for i, r in enumerate(keep)}
        regs = [self.regs[r] for r in keep] + phys
        fix = lambda x: (len(keep) + x[1]) if isinstance(x, tuple) else new_id[x]
        out = []
        for ins in code:
            if ins[0] == "pass":
                out.append(ins)
                continue
            nsrc = len(ins) - 2 - (1 if ins[0] == "powi" else 0)
            out.append((ins[0],) + tuple(fix(x) for x in ins[1:2 + nsrc]) + tuple(ins[2 + nsrc:]))
        return K.Program(regs, out, reduce=reduce)


class Val:
    def __init__(self, b, reg):
        self.b, self.reg = b, reg

    def _bin(self, name, o, rev=False):
        return self.b.op(name, o, self) if rev else self.b.op(name, self, o)

    __add__ = lambda s, o: s._bin("add", o)
    __radd__ = lambda s, o: s._bin("add", o, True)
    __sub__ = lambda s, o: s._bin("subtract", o)
    __rsub__ = lambda s, o: s._bin("subtract", o, True)
    __mul__ = lambda s, o: s._bin("multiply", o)
    __rmul__ = lambda s, o: s._bin("multiply", o, True)
    __truediv__ = lambda s, o: s._bin("divide", o)
    __rtruediv__ = lambda s, o: s._bin("divide", o, True)
    __gt__ = lambda s, o: s.b.op("greater", s, o, dtype="bool")
    __neg__ = lambda s: s.b.op("negative", s)

    def __pow__(self, k):
        return self.b.op("powi", self, imm=k)


def F(name):
    return lambda *a: a[0].b.op(name, *a)


sin, exp, log, sqrt, tanh, absolute = map(F, ["sin", "exp", "log", "sqrt", "tanh", "absolute"])


def where(c, a, b):
    return c.b.op("where", c, a, b)


# ---- workloads: NumPy source (also the numexpr/torch source) and hand lowering -----------

def np_axpy_sin(a, b, c, d):
    return a * b + c * np.sin(d)


def lower_axpy_sin(dt):
    B = Builder(dt)
    a, b, c, d = (B.input(i) for i in range(4))
    B.output(4, a * b + c * sin(d))
    return B.build()


def np_gelu(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def lower_gelu(dt):
    B = Builder(dt)
    x = B.input(0)
    B.output(1, 0.5 * x * (1.0 + tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))))
    return B.build()


RISKFREE, VOLATILITY = 0.02, 0.30
A1, A2, A3, A4, A5 = 0.31938153, -0.356563782, 1.781477937, -1.821255978, 1.330274429
RSQRT2PI = 0.39894228040143267794


def _cnd(d, npmod):
    K_ = 1.0 / (1.0 + 0.2316419 * npmod.absolute(d))
    ret = RSQRT2PI * npmod.exp(-0.5 * d * d) * (K_ * (A1 + K_ * (A2 + K_ * (A3 + K_ * (A4 + K_ * A5)))))
    return npmod.where(d > 0, 1.0 - ret, ret)


def np_black_scholes(S, X, T):
    R, V = RISKFREE, VOLATILITY
    sqrtT = np.sqrt(T)
    d1 = (np.log(S / X) + (R + 0.5 * V * V) * T) / (V * sqrtT)
    d2 = d1 - V * sqrtT
    c1, c2 = _cnd(d1, np), _cnd(d2, np)
    expRT = np.exp(-R * T)
    call = S * c1 - X * expRT * c2
    put = X * expRT * (1.0 - c2) - S * (1.0 - c1)
    return call, put


class _KMod:
    absolute, exp = staticmethod(absolute), staticmethod(exp)
    where = staticmethod(where)


def lower_black_scholes(dt):
    B = Builder(dt)
    S, X, T = (B.input(i) for i in range(3))
    R, V = RISKFREE, VOLATILITY
    sqrtT = sqrt(T)
    d1 = (log(S / X) + (R + 0.5 * V * V) * T) / (V * sqrtT)
    d2 = d1 - V * sqrtT
    c1, c2 = _cnd(d1, _KMod), _cnd(d2, _KMod)
    expRT = exp(-R * T)
    B.output(3, S * c1 - X * expRT * c2)
    B.output(4, X * expRT * (1.0 - c2) - S * (1.0 - c1))
    return B.build()


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def lower_softmax(dt):
    B = Builder(dt)
    x = B.input(0)
    m = B.reduce("max", x)
    B.new_pass()
    e = exp(x - m)
    B.output(1, e)
    s = B.reduce("sum", e)
    B.new_pass()
    out = B.regs.index(("array", 1, dt))
    B.code.append(("divide", out, out, s.reg))
    return B.build(reduce="last")


def np_layer_norm(x, g, b):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * g + b


def lower_layer_norm(dt):
    B = Builder(dt)
    x, g, b = (B.input(i) for i in range(3))
    mu = B.reduce("mean", x)
    B.new_pass()
    var = B.reduce("mean", (x - mu) ** 2)
    B.new_pass()
    # sqrt(var + eps) reads accs only: the builder makes it a scalar (once per row) op
    B.output(3, (x - mu) / sqrt(var + 1e-5) * g + b)
    return B.build(reduce="last")


def np_sumsq(a, b):
    return np.sum(a * a + b)


def lower_sumsq(dt):
    B = Builder(dt)
    a, b = B.input(0), B.input(1)
    B.reduce("sum", a * a + b, out=2)
    return B.build(reduce="all")


def lower_triad(dt):
    B = Builder(dt)
    b, c = B.input(0), B.input(1)
    B.output(2, b + 3.0 * c)
    return B.build()


# ---- peers ------------------------------------------------------------------------------

NE_EXPR = {
    "axpy_sin": "a*b + c*sin(d)",
    "gelu": "0.5*x*(1.0 + tanh(0.7978845608028654*(x + 0.044715*x*x*x)))",
    "sumsq": "sum(a*a + b)",
}


def numba_impls(which=("numba", "numba par")):
    if numba is None:
        return {}
    from numba import njit, prange

    def make(par):
        rng = prange if par else range

        @njit(parallel=par, fastmath=False, cache=False)
        def axpy_sin(a, b, c, d, out):
            for i in rng(a.size):
                out[i] = a[i] * b[i] + c[i] * np.sin(d[i])

        @njit(parallel=par)
        def gelu(x, out):
            k = math.sqrt(2.0 / math.pi)
            for i in rng(x.size):
                v = x[i]
                out[i] = 0.5 * v * (1.0 + np.tanh(k * (v + 0.044715 * v * v * v)))

        @njit(parallel=par)
        def bs(S, X, T, call, put):
            R, V = RISKFREE, VOLATILITY
            for i in rng(S.size):
                sqrtT = math.sqrt(T[i])
                d1 = (math.log(S[i] / X[i]) + (R + 0.5 * V * V) * T[i]) / (V * sqrtT)
                d2 = d1 - V * sqrtT
                k1 = 1.0 / (1.0 + 0.2316419 * abs(d1))
                r1 = RSQRT2PI * math.exp(-0.5 * d1 * d1) * (k1 * (A1 + k1 * (A2 + k1 * (A3 + k1 * (A4 + k1 * A5)))))
                c1 = 1.0 - r1 if d1 > 0 else r1
                k2 = 1.0 / (1.0 + 0.2316419 * abs(d2))
                r2 = RSQRT2PI * math.exp(-0.5 * d2 * d2) * (k2 * (A1 + k2 * (A2 + k2 * (A3 + k2 * (A4 + k2 * A5)))))
                c2 = 1.0 - r2 if d2 > 0 else r2
                e = math.exp(-R * T[i])
                call[i] = S[i] * c1 - X[i] * e * c2
                put[i] = X[i] * e * (1.0 - c2) - S[i] * (1.0 - c1)

        @njit(parallel=par)
        def softmax(x, out):
            for r in rng(x.shape[0]):
                m = x[r, 0]
                for j in range(x.shape[1]):
                    m = max(m, x[r, j])
                s = 0.0
                for j in range(x.shape[1]):
                    out[r, j] = math.exp(x[r, j] - m)
                    s += out[r, j]
                for j in range(x.shape[1]):
                    out[r, j] /= s

        @njit(parallel=par)
        def layer_norm(x, g, b, out):
            n = x.shape[1]
            for r in rng(x.shape[0]):
                mu = 0.0
                for j in range(n):
                    mu += x[r, j]
                mu /= n
                var = 0.0
                for j in range(n):
                    var += (x[r, j] - mu) ** 2
                var /= n
                inv = math.sqrt(var + 1e-5)
                for j in range(n):
                    out[r, j] = (x[r, j] - mu) / inv * g[j] + b[j]

        @njit(parallel=par)
        def sumsq(a, b):
            s = 0.0
            for i in rng(a.size):
                s += a[i] * a[i] + b[i]
            return s

        return dict(axpy_sin=axpy_sin, gelu=gelu, black_scholes=bs, softmax=softmax,
                    layer_norm=layer_norm, sumsq=sumsq)

    return {label: make(label == "numba par") for label in which}


# ---- the run --------------------------------------------------------------------------

def make_case(name, n, dt, rng):
    """inputs, outputs, nbytes (read once + written once), callables per implementation"""
    f = lambda *s: rng.uniform(0.5, 2.0, s).astype(dt)
    if name in ("softmax", "layer_norm"):
        rows = max(1, n // 1024)
        x = rng.standard_normal((rows, 1024)).astype(dt)
        ins = [x] + ([f(1024), f(1024)] if name == "layer_norm" else [])
        outs = [np.empty_like(x)]
    elif name == "axpy_sin":
        ins, outs = [f(n) for _ in range(4)], [np.empty(n, dt)]
    elif name == "gelu":
        ins, outs = [rng.standard_normal(n).astype(dt)], [np.empty(n, dt)]
    elif name == "black_scholes":
        ins = [rng.uniform(5, 30, n).astype(dt), rng.uniform(1, 100, n).astype(dt),
               rng.uniform(0.25, 10, n).astype(dt)]
        outs = [np.empty(n, dt), np.empty(n, dt)]
    elif name == "sumsq":
        ins, outs = [f(n), f(n)], [np.zeros((), dt)]
    nbytes = sum(a.nbytes for a in ins + outs)
    return ins, outs, nbytes


NP_FUNCS = dict(axpy_sin=np_axpy_sin, gelu=np_gelu, black_scholes=np_black_scholes,
                softmax=np_softmax, layer_norm=np_layer_norm, sumsq=np_sumsq)
LOWER = dict(axpy_sin=lower_axpy_sin, gelu=lower_gelu, black_scholes=lower_black_scholes,
             softmax=lower_softmax, layer_norm=lower_layer_norm, sumsq=lower_sumsq)
NE_NAMES = dict(axpy_sin="abcd", gelu="x", sumsq="ab")


def check(name, ins, outs, prog, dt):
    prog(ins + outs)
    with np.errstate(all="ignore"):
        want = NP_FUNCS[name](*ins)
    want = want if isinstance(want, tuple) else (want,)
    tol = 1e-9 if dt == "float64" else 2e-3
    for o, w in zip(outs, want):
        np.testing.assert_allclose(o, w, rtol=tol, atol=tol)


def numba_parallel_times(sizes, dtypes, repeats, workloads):
    """numba parallel=True in a child process: two thread pools (numba's and OpenMP's)
    spinning on two shared cores would wreck both measurements."""
    import json
    import subprocess
    cmd = [sys.executable, os.path.abspath(__file__), "--numba-par-only",
           "--sizes", ",".join(map(str, sizes)), "--dtypes", ",".join(dtypes),
           "--workloads", ",".join(workloads), "--repeats", str(repeats)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=3600)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError) as exc:
        print(f"numba parallel run failed: {exc}", file=sys.stderr)
        return {}


def numba_par_only(sizes, dtypes, repeats, workloads):
    import json
    rng = np.random.default_rng(0)
    impls = numba_impls(("numba par",)).get("numba par")
    res = {}
    for name in workloads if impls else []:
        for dt in dtypes:
            for n in sizes:
                ins, outs, _ = make_case(name, n, dt, rng)
                fn = impls[name]
                args = ins + ([] if name == "sumsq" else outs)
                fn(*args)
                res[f"{name}|{dt}|{n}"] = measure(lambda: fn(*args), repeats=repeats)
    print(json.dumps(res))


def run(sizes, dtypes, repeats, workloads, threads):
    rng = np.random.default_rng(0)
    par_times = numba_parallel_times(sizes, dtypes, repeats, workloads) if numba else {}
    nb = numba_impls(("numba",))
    rows, notes = [], []
    triad_rate = {}
    for dt in dtypes:
        tri = lower_triad(dt)
        n = 10**7
        b_, c_, o_ = (rng.standard_normal(n).astype(dt) for _ in range(3))
        t = measure(lambda: tri([b_, c_, o_], num_threads=threads), repeats=repeats)
        triad_rate[dt] = 3 * b_.nbytes / t
        notes.append(f"triad {dt} 1e7, {threads} threads: {triad_rate[dt] / 1e9:.1f} GB/s")
        t1 = measure(lambda: tri([b_, c_, o_], num_threads=1), repeats=repeats)
        notes.append(f"triad {dt} 1e7, 1 thread: {3 * b_.nbytes / t1 / 1e9:.1f} GB/s")
    for name in workloads:
        for dt in dtypes:
            prog = LOWER[name](dt)
            for n in sizes:
                ins, outs, nbytes = make_case(name, n, dt, rng)
                check(name, ins, outs, prog, dt)
                res = {}
                with np.errstate(all="ignore"):
                    res["numpy"] = measure(lambda: NP_FUNCS[name](*ins), repeats=repeats)
                if ne is not None and name in NE_EXPR:
                    env = dict(zip(NE_NAMES[name], ins))
                    ex = NE_EXPR[name]
                    res["numexpr"] = measure(lambda: ne.evaluate(ex, local_dict=env), repeats=repeats)
                for label, impls in nb.items():
                    fn = impls[name]
                    args = ins + ([] if name == "sumsq" else outs)
                    fn(*args)
                    res[label] = measure(lambda: fn(*args), repeats=repeats)
                if f"{name}|{dt}|{n}" in par_times:
                    res["numba par"] = par_times[f"{name}|{dt}|{n}"]
                res["framejit 1t"] = measure(lambda: prog(ins + outs, num_threads=1),
                                             repeats=repeats)
                res["framejit"] = measure(lambda: prog(ins + outs, num_threads=threads),
                                          repeats=repeats)
                peers = {k: v for k, v in res.items() if k not in ("numpy", "framejit", "framejit 1t")}
                best_peer = min(peers, key=peers.get) if peers else None
                bound = nbytes / triad_rate[dt]
                rows.append([name, dt, f"{n:.0e}", *(fmt_time(res.get(k)) for k in
                             ("numpy", "numexpr", "numba", "numba par", "framejit 1t", "framejit")),
                             f"{res['numpy'] / res['framejit']:.1f}x",
                             f"{peers[best_peer] / res['framejit']:.2f}x ({best_peer})" if best_peer else "n/a",
                             f"{res['framejit'] / bound:.2f}"])
                print(" | ".join(map(str, rows[-1])), file=sys.stderr, flush=True)
    # per-call time at 16 elements
    for dt in dtypes[:1]:
        ins, outs, _ = make_case("axpy_sin", 16, dt, rng)
        prog = LOWER["axpy_sin"](dt)
        tnp = measure(lambda: np_axpy_sin(*ins), repeats=repeats)
        tfj = measure(lambda: prog(ins + outs), repeats=repeats)
        notes.append(f"a*b+c*sin(d) at 16 elements, {dt}: numpy {fmt_time(tnp)}, "
                     f"framejit {fmt_time(tfj)} per call")
    headers = ["workload", "dtype", "n", "numpy", "numexpr", "numba", "numba par", "framejit 1t",
               "framejit",
               "vs numpy", "vs best peer", "time/bw bound"]
    print(markdown_table(headers, rows))
    print()
    for line in notes:
        print("- " + line)
    print(f"- load average at the end: {os.getloadavg()}")
    print(f"- framejit ISA: {K.isa()}, threads: {threads}, OpenMP: {K.HAVE_OPENMP}"
          + ("" if torch is not None else "; torch not installed (torch.compile column omitted)"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e3,1e5,1e6,1e7")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--workloads", default=",".join(LOWER))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=K.max_threads())
    ap.add_argument("--numba-par-only", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.numba_par_only:
        return numba_par_only([int(float(s)) for s in a.sizes.split(",")], a.dtypes.split(","),
                              a.repeats, a.workloads.split(","))
    run([int(float(s)) for s in a.sizes.split(",")], a.dtypes.split(","), a.repeats,
        a.workloads.split(","), a.threads)


if __name__ == "__main__":
    main()
