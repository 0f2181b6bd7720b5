"""Random expression DAGs over NumPy arrays, compiled vs NumPy.

An ``Expression`` has inputs (dtype, shape, memory layout — C, Fortran, strided,
reversed, broadcast — and values with NaN/inf/signed zeros/subnormals/extreme integers
mixed in, zero-size shapes included) and nodes ``t_k = <NumPy expression of earlier
nodes and inputs>``, rendered as the source of one function.

Every node has an *accuracy class*, which is what DESIGN.md promises for the kernels
backend (the eager backend must be bit-identical everywhere):

- ``exact``: arithmetic, comparisons, selection, casts, sqrt, max/min/argmax/any/all of
  exact values: bit-identical to NumPy (signed zeros included, NaN payloads aside);
- ``ulp``: a transcendental (exp, log, sin, tanh, power, ...) of exact values, or max/min
  of such: within 4 ulp of NumPy's float64 result (float32: of that result rounded);
- ``red``: sum/mean of exact or ulp values: within rtol 1e-12 (float64) / 1e-5 (float32)
  of the sum (mean) of magnitudes.

Nodes of class ulp only feed max/min/sum/mean; red nodes feed nothing: the tolerances do
not compose through further arithmetic, so the generator does not ask them to.
"""
import dataclasses
import linecache
import os
import traceback
from typing import List, Tuple

import numpy as np

from .compare import ulp_distance, values_equal

FLOAT = ("float64", "float32")
INT = ("int64", "int32")
DTYPES = FLOAT + INT + ("bool",)
BASE_SHAPES = ((5,), (3, 4), (), (0,), (1,), (2, 1, 3), (0, 3), (33,), (17, 9), (300, 257))
RTOL = {"float64": 1e-12, "float32": 1e-5}
ULP_BUDGET = 4

# name: (template, arity, dtype kinds of the args allowed, class)
ARITH = {
    "add": ("({} + {})", 2, "fib"), "subtract": ("({} - {})", 2, "fi"),
    "multiply": ("({} * {})", 2, "fib"), "divide": ("({} / {})", 2, "fi"),
    "negative": ("(-{})", 1, "fi"), "absolute": ("np.abs({})", 1, "fi"),
    "maximum": ("np.maximum({}, {})", 2, "fib"), "minimum": ("np.minimum({}, {})", 2, "fib"),
    "square": ("np.square({})", 1, "fi"), "sqrt": ("np.sqrt({})", 1, "f"),
    "floor": ("np.floor({})", 1, "f"), "ceil": ("np.ceil({})", 1, "f"),
    "sign": ("np.sign({})", 1, "fi"), "reciprocal": ("np.reciprocal({})", 1, "f"),
    "floor_divide": ("({} // {})", 2, "fi"), "remainder": ("({} % {})", 2, "fi"),
    "less": ("({} < {})", 2, "fib"), "less_equal": ("({} <= {})", 2, "fi"),
    "equal": ("({} == {})", 2, "fib"), "not_equal": ("({} != {})", 2, "fib"),
    "greater": ("({} > {})", 2, "fi"),
    "logical_and": ("np.logical_and({}, {})", 2, "b"), "logical_or": ("np.logical_or({}, {})", 2, "b"),
    "logical_not": ("np.logical_not({})", 1, "b"),
    "where": ("np.where({} > 0, {}, {})", 3, "fi"),
    "clip": ("np.clip({}, -1.5, 2.0)", 1, "fi"), "square_pow": ("({} ** 2)", 1, "f"),
    "addc": ("({} + 2.5)", 1, "fi"), "mulc": ("({} * -1.5)", 1, "fi"), "rsubc": ("(3 - {})", 1, "fi"),
    "divc": ("({} / 4.0)", 1, "f"), "to_f64": ("{}.astype(np.float64)", 1, "fib"),
    "to_f32": ("{}.astype(np.float32)", 1, "fib"), "transpose": ("{}.T", 1, "fib"),
    "copy": ("{}.copy()", 1, "fib"),
}
TRANS = {
    "exp": ("np.exp({})", 1), "expm1": ("np.expm1({})", 1), "log": ("np.log({})", 1),
    "log1p": ("np.log1p({})", 1), "log2": ("np.log2({})", 1), "log10": ("np.log10({})", 1),
    "exp2": ("np.exp2({})", 1), "sin": ("np.sin({})", 1), "cos": ("np.cos({})", 1),
    "tan": ("np.tan({})", 1), "tanh": ("np.tanh({})", 1), "arctan2": ("np.arctan2({}, {})", 2),
    "power": ("np.power({}, {})", 2), "cube": ("({} ** 3)", 1),
}
REDS = ("sum", "mean", "max", "min", "argmax", "argmin", "any", "all")


@dataclasses.dataclass
class InputSpec:
    dtype: str
    shape: Tuple[int, ...]
    layout: str        # C, F, strided, reversed, broadcast
    seed: int
    specials: int      # percent of special values
    scale: float = 1.0


@dataclasses.dataclass
class Node:
    text: str          # NumPy expression over earlier names
    op: str
    cls: str           # exact | ulp | red
    args: Tuple[str, ...] = ()
    dtype: str = ""
    shape: Tuple[int, ...] = ()


@dataclasses.dataclass
class Expression:
    inputs: List[InputSpec]
    nodes: List[Node]
    outputs: List[int]

    def source(self, name="f"):
        params = ", ".join(f"a{i}" for i in range(len(self.inputs)))
        lines = [f"def {name}({params}):"]
        for k, n in enumerate(self.nodes):
            lines.append(f"    t{k} = {n.text}")
        outs = ", ".join(f"t{k}" for k in self.outputs)
        lines.append(f"    return ({outs},)")
        return "import numpy as np\n\n\n" + "\n".join(lines) + "\n"


def _specials(dtype):
    if dtype in FLOAT:
        tiny = np.finfo(dtype).smallest_subnormal
        return [np.nan, np.inf, -np.inf, 0.0, -0.0, tiny, -tiny, 1e10, -1e10, 1.0]
    if dtype in INT:
        info = np.iinfo(dtype)
        return [0, -1, 1, info.min, info.max]
    return [True, False]


def make_array(spec):
    rng = np.random.default_rng(spec.seed)
    dt = np.dtype(spec.dtype)
    big = tuple(s * 2 for s in spec.shape) if spec.layout == "strided" else spec.shape
    if dt.kind == "f":
        v = (rng.standard_normal(big) * spec.scale).astype(dt)
    elif dt.kind == "i":
        v = rng.integers(-40, 40, size=big).astype(dt)
    else:
        v = rng.random(big) < 0.5
    v = np.asarray(v, dtype=dt)
    if spec.specials and v.size:
        mask = rng.random(big) * 100 < spec.specials
        choices = np.array(_specials(spec.dtype), dtype=dt)
        v[mask] = choices[rng.integers(0, len(choices), size=int(mask.sum()))]
    if spec.layout == "strided":
        return v[tuple(slice(None, None, 2) for _ in spec.shape)]
    if spec.layout == "F":
        return np.asfortranarray(v)
    if spec.layout == "reversed":
        return v[tuple(slice(None, None, -1) for _ in spec.shape)]
    if spec.layout == "broadcast" and v.ndim >= 1 and v.size:
        row = v[(0,) * (v.ndim - 1)]
        return np.broadcast_to(row, v.shape)
    return v


def _meta(shape, dtype):
    return np.zeros(shape, dtype=dtype)


class ExprBuilder:
    def __init__(self, ch, *, max_nodes=8, max_inputs=3, dtypes=None):
        self.ch = ch
        self.max_nodes = max_nodes
        self.max_inputs = max_inputs
        self.dtypes = tuple(dtypes or DTYPES)

    def input_shapes(self):
        ch = self.ch
        base = ch.pick(BASE_SHAPES)
        n = 1 + ch.below(self.max_inputs)
        shapes = []
        for _ in range(n):
            s = list(base)
            if s and ch.chance(25):
                s = s[ch.below(len(s)):]               # drop leading dims
            s = [1 if (d and ch.chance(15)) else d for d in s]
            shapes.append(tuple(s))
        return shapes

    def expression(self):
        ch = self.ch
        shapes = self.input_shapes()
        main_dtype = ch.pick(self.dtypes)
        inputs = []
        for shp in shapes:
            dt = main_dtype if not ch.chance(20) else ch.pick(self.dtypes)
            layout = ch.pick(["C", "strided", "F", "reversed", "broadcast"]) if ch.chance(50) else "C"
            specials = ch.pick([0, 5, 30]) if ch.chance(50) else 0
            scale = ch.pick([1.0, 1e3, 1e-3])
            inputs.append(InputSpec(dt, shp, layout, ch.below(10_000), specials, scale))
        # values: (name, dtype, shape, cls)
        pool = [(f"a{i}", s.dtype, s.shape, "exact") for i, s in enumerate(inputs)]
        nodes = []
        n_nodes = 1 + ch.below(self.max_nodes)
        for k in range(n_nodes):
            node = self.node(pool)
            if node is None:
                continue
            nodes.append(node)
            pool.append((f"t{len(nodes) - 1}", node.dtype, node.shape, node.cls))
        if not nodes:
            name, dt, shp, _ = pool[0]
            nodes.append(Node(f"({name} + 1)", "add1", "exact", (name,), *self._meta_of(f"({name} + 1)", pool)))
        outs = sorted({len(nodes) - 1} | {ch.below(len(nodes)) for _ in range(ch.below(3))})
        return Expression(inputs, nodes, outs)

    def _meta_of(self, text, pool):
        env = {name: _meta(shp, dt) for name, dt, shp, _ in pool}
        with np.errstate(all="ignore"):
            r = eval(text, {"np": np}, env)
        r = np.asarray(r)
        return str(r.dtype), r.shape

    def node(self, pool):
        ch = self.ch
        exact = [p for p in pool if p[3] == "exact"]
        ulp = [p for p in pool if p[3] == "ulp"]
        kind = ch.weighted([(6, "arith"), (3, "trans"), (3, "red")])
        if kind == "red":
            src = ch.pick(exact + ulp)
            name, dt, shp, cls = src
            choices = ["sum", "max", "min", "mean"]
            if cls == "exact":
                choices += ["argmax", "argmin"] + (["any", "all"] if dt == "bool" else [])
            red = ch.pick(choices)
            axis = None
            if shp and ch.chance(60):
                axis = ch.pick([0, -1] if len(shp) > 1 else [0])
            keep = axis is not None and ch.chance(30) and red not in ("argmax", "argmin")
            args = []
            if axis is not None:
                args.append(f"axis={axis}")
            if keep:
                args.append("keepdims=True")
            text = f"{name}.{red}({', '.join(args)})"
            if red in ("sum", "mean") and np.dtype(dt).kind == "f" or red == "mean":
                ncls = "red"       # integer sums wrap the same way in any order: exact
            else:
                ncls = cls
            try:
                dt2, shp2 = self._meta_of(text, pool)
            except (ValueError, TypeError):
                dt2, shp2 = dt, ()       # e.g. max of an empty array: raises, on purpose
            return Node(text, red, ncls, (name,), dt2, shp2)
        if kind == "trans":
            cands = [p for p in exact if p[1] in FLOAT + INT]
            if not cands:
                return None
            op = ch.pick(sorted(TRANS))
            tmpl, arity = TRANS[op]
            args = [ch.pick(cands)[0] for _ in range(arity)]
            text = tmpl.format(*args)
            try:
                dt2, shp2 = self._meta_of(text, pool)
            except (ValueError, TypeError):
                return None
            if dt2 not in FLOAT:
                return None
            return Node(text, op, "ulp", tuple(args), dt2, shp2)
        op = ch.pick(sorted(ARITH))
        tmpl, arity, kinds = ARITH[op]
        cands = [p for p in exact if np.dtype(p[1]).kind in kinds]
        if not cands:
            return None
        args = [ch.pick(cands)[0] for _ in range(arity)]
        text = tmpl.format(*args)
        try:
            dt2, shp2 = self._meta_of(text, pool)
        except (ValueError, TypeError):
            return None
        if dt2 == "float16":
            return None
        return Node(text, op, "exact", tuple(args), dt2, shp2)


# ------------------------------------------------------------------ checking

_n = [0]


def build_function(expr, name="f"):
    src = expr.source(name)
    _n[0] += 1
    filename = os.path.join(os.sep, "framejit_fuzz", f"expr_{os.getpid()}_{_n[0]}.py")
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    ns = {"__name__": "fjfuzz_expr"}
    exec(compile(src, filename, "exec"), ns)
    return ns[name], filename


def _run(fn, args):
    import warnings
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("return", fn(*args))
        except Exception as e:
            return ("raise", e)


def _reference(expr, arrays):
    """Per node: NumPy's own value, and for ulp/red nodes a float64 reference."""
    env = {f"a{i}": a for i, a in enumerate(arrays)}
    ref = dict(env)
    mag = {}
    with np.errstate(all="ignore"):
        for k, n in enumerate(expr.nodes):
            name = f"t{k}"
            try:
                env[name] = eval(n.text, {"np": np}, env)
            except Exception:
                return env, ref, mag       # plain NumPy raised: compared as an exception
            if n.cls == "exact":
                ref[name] = env[name]
                continue
            up = {}
            for a in n.args:
                v = ref.get(a, env[a])
                v = np.asarray(v)
                up[a] = v.astype(np.float64) if v.dtype.kind in "fiub" else v
            ref[name] = np.asarray(eval(n.text, {"np": np}, up))
            if n.cls == "red":
                absd = {a: np.abs(v) for a, v in up.items()}
                mag[name] = np.asarray(eval(n.text, {"np": np}, absd))
    return env, ref, mag


def _tolerance_problems(expr, k, got, env, ref, mag, where):
    n = expr.nodes[k]
    name = f"t{k}"
    want = env[name]
    head = values_equal(want, got, None, where)
    if not head or n.cls == "exact":
        return head
    # shape, dtype and type must still match exactly
    if type(want) is not type(got) or np.asarray(want).dtype != np.asarray(got).dtype \
            or np.asarray(want).shape != np.asarray(got).shape:
        return head
    g = np.asarray(got)
    if n.cls == "ulp":
        r = np.asarray(ref[name]).astype(g.dtype)
        d = ulp_distance(g, r)
        bad = d > ULP_BUDGET
        if np.any(bad):
            i = tuple(int(v) for v in np.argwhere(bad)[0])
            return [f"{where}: {int(bad.sum())} element(s) beyond {ULP_BUDGET} ulp of the float64 "
                    f"reference; first at {i}: got {g[i]!r}, reference {r[i]!r} "
                    f"({d[i]} ulp), NumPy {np.asarray(want)[i]!r}"]
        return []
    # red
    r = np.asarray(ref[name], dtype=np.float64)
    m = np.asarray(mag[name], dtype=np.float64)
    gg = g.astype(np.float64)
    rtol = RTOL.get(str(g.dtype), 1e-12) + ULP_BUDGET * np.finfo(g.dtype).eps \
        if g.dtype.kind == "f" else 1e-12
    with np.errstate(all="ignore"):
        finite = np.isfinite(r) & np.isfinite(m)
        overflowish = m > np.finfo(g.dtype if g.dtype.kind == "f" else np.float64).max / 8
        ok_fin = np.abs(gg - r) <= rtol * m + np.finfo(np.float64).tiny
        same_nonfinite = (np.isnan(gg) & np.isnan(r)) | (gg == r)
        # a non-finite float64 reference (NaN/inf among the inputs): NumPy's own result
        # decides (both NaN, or the same infinity)
        ok_nonfin = (np.isnan(gg) & np.isnan(np.asarray(want, dtype=np.float64))) | \
            (gg == np.asarray(want, dtype=np.float64))
    ok = np.where(finite & ~overflowish, ok_fin | same_nonfinite, ok_nonfin | overflowish)
    if not np.all(ok):
        i = tuple(int(v) for v in np.argwhere(~ok)[0]) if g.ndim else ()
        return [f"{where}: {int((~ok).sum())} element(s) beyond rtol={rtol:.3g} of the sum of "
                f"magnitudes; first at {i}: got {g[i]!r}, reference {r[i]!r}, magnitudes "
                f"{m[i]!r}, NumPy {np.asarray(want)[i]!r}"]
    return []


def check_expression(expr, backend="eager"):
    """Compile `expr` with `backend` and compare with NumPy. Returns a list of problems."""
    import framejit as fj
    plain_fn, fname = build_function(expr)
    try:
        arrays = [make_array(s) for s in expr.inputs]
        plain = _run(plain_fn, arrays)
        compiled_fn = fj.compile(plain_fn, backend=backend)
        problems = []
        results = []
        for call in (1, 2):
            arrays = [make_array(s) for s in expr.inputs]
            got = _run(compiled_fn, arrays)
            results.append(got)
            label = f"{backend} call {call}"
            from .programs import mode_stack_leak
            leak = mode_stack_leak()
            if leak:
                problems.append(f"{label}: {leak}")
            if plain[0] == "raise" or got[0] == "raise":
                if plain[0] != got[0] or type(plain[1]) is not type(got[1]):
                    detail = ""
                    if got[0] == "raise":
                        detail = "".join(traceback.format_exception(got[1]))[-1500:]
                    problems.append(f"{label}: {got[0]} {got[1]!r:.300} != NumPy {plain[0]} "
                                    f"{plain[1]!r:.300}\n{detail}")
                continue
            want, have = plain[1], got[1]
            if backend == "eager" or not isinstance(have, tuple) or len(have) != len(want):
                problems += values_equal(want, have, None, label)
                continue
            env, ref, mag = _reference(expr, [make_array(s) for s in expr.inputs])
            for j, k in enumerate(expr.outputs):
                problems += _tolerance_problems(expr, k, have[j], env, ref, mag,
                                                f"{label}: t{k} = {expr.nodes[k].text}")
        if results[0][0] == "return" and results[1][0] == "return":
            problems += [f"{backend}: not deterministic across two calls: " + p
                         for p in values_equal(results[0][1], results[1][1], None, "call 2 vs 1")]
        return problems
    finally:
        linecache.cache.pop(fname, None)


def standalone(expr, backend, problems=()):
    """A standalone Python file reproducing a failing expression."""
    head = ["# framejit numerics fuzz failure (minimised by hypothesis).",
            "# Run: PYTHONPATH=pkg python this_file.py", "# Problems:"]
    head += ["#   " + line for p in problems for line in p.splitlines()][:30]
    specs = ",\n    ".join(repr(s) for s in expr.inputs)
    return "\n".join(head) + "\n" + expr.source() + f'''
import framejit as fj
from framejit.testing.numerics import InputSpec, make_array

INPUTS = [
    {specs},
]

if __name__ == "__main__":
    np.set_printoptions(precision=17)
    args = [make_array(s) for s in INPUTS]
    for a in args:
        print("input", a.dtype, a.shape, a.strides, a.ravel()[:8])
    with np.errstate(all="ignore"):
        want = f(*[make_array(s) for s in INPUTS])
        got = fj.compile(f, backend={backend!r})(*[make_array(s) for s in INPUTS])
    print("numpy   ", want)
    print("compiled", got)
'''
