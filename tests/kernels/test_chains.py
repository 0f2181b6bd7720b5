"""Chains (op "chain", include/framejit/kernel_chain.h) and chain fusion
(backends/chains.py): float arithmetic kept in vector registers must give NumPy's values
bit for bit (one rounding per op, no FMA contraction), the FP flags of the unfused
program, and work for every length (tiles, single vectors, scalar tail), layout, block
size, thread count, instruction set, with NaN, inf, -0.0 and subnormals.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import K
from framejit.backends import chains

FLOATS = ["float64", "float32"]
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -5e-324, 1e-40, 1e300, -1e300, 1.0,
           -1.0, 3.0, 0.1]
LENGTHS = [0, 1, 5, 8, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 1000, 2100]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))

# NumPy's op for each step: t is the running value, s the operand
NUMPY_STEP = {
    "add": lambda t, s: np.add(t, s), "subtract": lambda t, s: np.subtract(t, s),
    "rsubtract": lambda t, s: np.subtract(s, t), "multiply": lambda t, s: np.multiply(t, s),
    "divide": lambda t, s: np.divide(t, s), "rdivide": lambda t, s: np.divide(s, t),
    "negative": lambda t, s: np.negative(t), "absolute": lambda t, s: np.absolute(t),
    "square": lambda t, s: np.square(t), "sqrt": lambda t, s: np.sqrt(t),
}
TRANSCENDENTAL_STEPS = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos",
                        "tan", "tanh"]
# within 4 ulp of NumPy (test_vecmath*.py): the reference is the kernel op itself
NUMPY_STEP.update({f: (lambda f: lambda t, s: _block_op(f, t))(f) for f in TRANSCENDENTAL_STEPS})
COMPARE_STEPS = ["greater", "greater_equal", "less", "less_equal", "equal", "not_equal"]
# comparisons give 1 or 0 in the chain's dtype
NUMPY_STEP.update({f: (lambda f: lambda t, s: getattr(np, f)(t, s).astype(t.dtype))(f)
                   for f in COMPARE_STEPS})
# selects (c: the condition register's values)
NUMPY_STEP["where"] = lambda t, s, c: np.where(c != 0, s, t)
NUMPY_STEP["rwhere"] = lambda t, s, c: np.where(c != 0, t, s)


def _block_op(op, t):
    """The kernel op itself on one block after another: a chain's transcendental step
    gives the same bits (both run vecmath_vec.h's vector code)."""
    out = np.empty_like(t)
    K.Program([("array", 0, t.dtype.name), ("array", 1, t.dtype.name)], [(op, 1, 0)])(
        [t, out], num_threads=1)
    return out
BINARY = [k for k, v in K.STEPS.items() if v[1] == "binary"]
UNARY = [k for k, v in K.STEPS.items() if v[1] == "unary"]
SELECT = [k for k, v in K.STEPS.items() if v[1] == "select"]


def test_step_table_matches_numpy_steps():
    assert set(K.STEPS) == set(NUMPY_STEP) | {"load", "store"}


def _values(rng, dt, n, special):
    v = rng.standard_normal(n) * rng.choice([1.0, 1e3, 1e-3, 1e150])
    if special and n:
        k = max(1, n // 6)
        v[rng.integers(0, n, k)] = rng.choice(SPECIAL, k)
    return v.astype(dt)


def _layout(draw, v):
    kind = draw(st.sampled_from(["contig", "strided", "reversed", "bcast"]))
    if kind == "strided" and len(v):
        big = np.zeros(2 * len(v), v.dtype)
        big[::2] = v
        return big[::2]
    if kind == "reversed":
        return v[::-1].copy()[::-1]
    if kind == "bcast" and len(v):
        return np.broadcast_to(v[:1], v.shape)
    return v.copy()


@st.composite
def chain_programs(draw):
    """A chain over arrays 0..2, two consts, a temp; output: operand 3. Returns the
    program, the step list, the inputs and the consts."""
    dt = draw(st.sampled_from(FLOATS))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.sampled_from(LENGTHS))
    special = draw(st.booleans())
    ins = [_layout(draw, _values(rng, dt, n, special)) for _ in range(3)]
    consts = [draw(st.sampled_from(SPECIAL + [2.0, -0.5, 7.25])) for _ in range(2)]
    regs = [("array", i, dt) for i in range(3)] + [("array", 3, dt)] + \
        [("const", c, dt) for c in consts] + [("temp", dt)]
    operands = [0, 1, 2, 4, 5]
    steps = [("load", draw(st.sampled_from(operands)))]
    temp_written = False
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["bin", "bin", "un", "store", "load", "sel"]))
        srcs = operands + ([6] if temp_written else [])
        if kind == "bin":
            steps.append((draw(st.sampled_from(BINARY)), draw(st.sampled_from(srcs))))
        elif kind == "sel":               # a condition: an array or the temp (vectors)
            cond = draw(st.sampled_from([0, 1, 2] + ([6] if temp_written else [])))
            steps.append((draw(st.sampled_from(SELECT)), cond, draw(st.sampled_from(srcs))))
        elif kind == "un":
            steps.append((draw(st.sampled_from(UNARY)),))
        elif kind == "store":
            steps.append(("store", 6))
            temp_written = True
        else:
            steps.append(("load", draw(st.sampled_from(srcs))))
    steps.append(("store", 3))
    prog = K.Program(regs, [("chain", tuple(steps))])
    return prog, steps, ins, [np.asarray(c, dt)[()] for c in consts], dt, n


def _reference(steps, ins, consts, dt, n):
    """The steps evaluated op by op with NumPy (the oracle)."""
    regs = {0: ins[0], 1: ins[1], 2: ins[2], 4: consts[0], 5: consts[1]}
    t, out = None, None
    with np.errstate(all="ignore"):
        for st_ in steps:
            name = st_[0]
            if name == "load":
                t = np.broadcast_to(np.asarray(regs[st_[1]], dt), (n,)).copy()
            elif name == "store":
                regs[st_[1]] = t.copy()
                out = t.copy()
            elif len(st_) == 3:
                c = np.broadcast_to(np.asarray(regs[st_[1]], dt), (n,))
                t = np.asarray(NUMPY_STEP[name](t, np.asarray(regs[st_[2]], dt), c), dt)
            else:
                s = regs[st_[1]] if len(st_) == 2 else None
                t = np.asarray(NUMPY_STEP[name](t, s), dt)
    return out


def assert_bits(got, want):
    """Equal values with equal signs of zero; NaN where NumPy has NaN (a NaN's payload
    depends on operand order, which commuted adds and products do not keep)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), (got, want)
    assert np.array_equal(got[~nan], want[~nan]), (got[~nan][:8], want[~nan][:8])
    assert np.array_equal(np.signbit(got[~nan]), np.signbit(want[~nan]))


@pytest.fixture(params=K.supported_isas())
def isa(request):
    prev = K.set_isa(request.param)
    yield request.param
    K.set_isa(prev)


@SETTINGS
@given(case=chain_programs(), threads=st.sampled_from([1, 2]),
       block=st.sampled_from([0, 16, 100, 64]))
def test_chain_matches_numpy_bit_for_bit(isa, case, threads, block):
    prog, steps, ins, consts, dt, n = case
    out = np.full(n, 12345, dt)
    prev = K.parallel_threshold(0)
    try:
        prog(ins + [out], num_threads=threads, block=block)
    finally:
        K.parallel_threshold(prev)
    assert_bits(out, _reference(steps, ins, consts, dt, n))


def _unchained(steps, dt):
    """The same computation as one instruction per step (registers: t in a temp; 9 a bool
    temp, 10 and 11 the consts 1 and 0)."""
    code, t, tmp, b, one, zero = [], 7, 8, 9, 10, 11
    for st_ in steps:
        name = st_[0]
        if name == "load":
            code.append(("copy", t, st_[1]))
        elif name == "store":
            code.append(("copy", st_[1], t))
        elif name in COMPARE_STEPS:
            code += [(name, b, t, st_[1]), ("where", t, b, one, zero)]
        elif name in ("where", "rwhere"):
            code.append(("not_equal", b, st_[1], zero))
            code.append(("where", t, b, st_[2], t) if name == "where"
                        else ("where", t, b, t, st_[2]))
        elif name in ("rsubtract", "rdivide"):
            code.append((name[1:], tmp, st_[1], t))
            code.append(("copy", t, tmp))
        elif len(st_) == 2:
            code.append((name, t, t, st_[1]))
        else:
            code.append((name, t, t))
    return code


@SETTINGS
@given(case=chain_programs())
def test_chain_raises_the_flags_of_its_ops(case):
    """The FP flags (what decides a NumPy replay) are those of the ops one by one."""
    prog, steps, ins, consts, dt, n = case
    regs = list(prog.reg_spec) + [("temp", dt), ("temp", dt), ("temp", "bool"),
                                  ("const", 1.0, dt), ("const", 0.0, dt)]
    plain = K.Program(regs, _unchained(steps, dt))
    out1, out2 = np.zeros(n, dt), np.zeros(n, dt)
    got = prog(ins + [out1], num_threads=1)
    want = plain(ins + [out2], num_threads=1)
    assert got == want, (got, want, steps)


@pytest.mark.parametrize("dt", FLOATS)
def test_chain_flags_each_kind(dt):
    regs = [("array", 0, dt), ("array", 1, dt), ("array", 2, dt)]
    big, tiny = (1e200, 1e-200) if dt == "float64" else (1e30, 1e-30)
    cases = {K.FPE_OVERFLOW: (big, big, "multiply"), K.FPE_INVALID: (np.inf, np.inf, "subtract"),
             K.FPE_DIVIDE: (1.0, 0.0, "divide"), K.FPE_UNDERFLOW: (tiny, tiny, "multiply")}
    for flag, (a, b, op) in cases.items():
        prog = K.Program(regs, [("chain", (("load", 0), (op, 1), ("store", 2)))])
        x, y = np.full(100, a, dt), np.full(100, b, dt)
        assert prog([x, y, np.zeros(100, dt)], num_threads=1) & flag, op
    prog = K.Program(regs, [("chain", (("load", 0), ("sqrt",), ("store", 2)))])
    assert prog([np.full(70, -1.0, dt), np.zeros(70, dt), np.zeros(70, dt)]) & K.FPE_INVALID
    quiet = K.Program(regs, [("chain", (("load", 0), ("negative",), ("absolute",), ("store", 2)))])
    assert quiet([np.full(70, np.nan, dt), np.zeros(70, dt), np.zeros(70, dt)]) == 0


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("shape", [(3, 7), (5, 64), (4, 1000), (2, 2049)])
def test_chain_with_acc_scalars(dt, shape, nthreads):
    """acc operands are one value per row (softmax's x - max, e / sum)."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 5).astype(dt)
    x[0, :2] = [np.inf, -0.0]
    regs = [("array", 0, dt), ("acc", dt), ("acc", dt), ("array", 1, dt), ("temp", dt)]
    code = [("max", 1, 0), ("pass",),
            ("chain", (("load", 0), ("subtract", 1), ("store", 4))), ("exp", 3, 4),
            ("sum", 2, 3), ("pass",),
            ("chain", (("load", 3), ("divide", 2), ("store", 3)))]
    prog = K.Program(regs, code, reduce="last")
    out = np.zeros(shape, dt)
    prog([x, out], num_threads=nthreads)
    with np.errstate(all="ignore"):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        want = e / e.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(out, want, rtol=1e-13 if dt == "float64" else 2e-6)


BAD_CHAINS = [
    ((("multiply", 0), ("store", 2)), ValueError),            # no load first
    ((("load", 0), ("multiply", 1)), ValueError),             # no store last
    ((("load", 0),), ValueError),                             # too short
    ((("load", 0), ("store", 3)), ValueError),                # store into a const
    ((("load", 0), ("nope", 1), ("store", 2)), ValueError),
    ((("load", 0), ("negative", 1), ("store", 2)), ValueError),   # unary with an operand
    ((("load", 0), ("add",), ("store", 2)), ValueError),          # binary without one
    ((("load", 0), ("add", 4), ("store", 2)), TypeError),         # float32 operand
    ((("load", 5), ("store", 6)), TypeError),                     # int64 chain
    ((("load", 7), ("store", 2)), ValueError),                    # temp read before write
    ((("load", 0), ("add", 99), ("store", 2)), ValueError),       # no such register
]


@pytest.mark.parametrize("steps,exc", BAD_CHAINS)
def test_bad_chains_raise(steps, exc):
    regs = [("array", 0, "float64"), ("array", 1, "float64"), ("array", 2, "float64"),
            ("const", 1.0, "float64"), ("array", 3, "float32"), ("array", 4, "int64"),
            ("array", 5, "int64"), ("temp", "float64")]
    with pytest.raises(exc):
        K.Program(regs, [("chain", steps)])


def test_chain_disassembles():
    p = K.Program([("array", 0, "float64"), ("array", 1, "float64")],
                  [("chain", (("load", 0), ("sqrt",), ("multiply", 0), ("store", 1)))])
    assert "chain(load r0, sqrt, multiply r0, store r1)" in K.disassemble(p)


# ---- chain fusion (backends/chains.py) ----------------------------------------------------

OPS = {"add": 2, "subtract": 2, "multiply": 2, "divide": 2, "negative": 1, "absolute": 1,
       "square": 1, "sqrt": 1, "exp": 1, "log": 1, "sin": 1, "floor": 1, "maximum": 2,
       "powi2": 1, "powi3": 1, "powi4": 1,
       "powi-1": 1}


@st.composite
def allocated_programs(draw):
    """Straight-line register-allocated programs like lower.py's: inputs 0-1, a const,
    outputs 2-3, temps 5-8 reused at random (a temp is read only after a write)."""
    dt = draw(st.sampled_from(FLOATS))
    regs = [("array", 0, dt), ("array", 1, dt), ("array", 2, dt), ("array", 3, dt),
            ("const", draw(st.sampled_from([2.0, -0.0, 0.5, np.inf])), dt)] + \
        [("temp", dt)] * 4
    written = {0, 1, 4}
    code = []
    for _ in range(draw(st.integers(1, 14))):
        op = draw(st.sampled_from(sorted(OPS)))
        srcs = [draw(st.sampled_from(sorted(written))) for _ in range(OPS[op])]
        dst = draw(st.sampled_from([2, 3, 5, 6, 7, 8]))
        if op.startswith("powi"):
            code.append(("powi", dst, srcs[0], int(op[4:])))
        else:
            code.append((op, dst, *srcs))
        written.add(dst)
    code.append(("add", 2, draw(st.sampled_from(sorted(written))), 4))
    return regs, code, dt


@SETTINGS
@given(case=allocated_programs(), n=st.sampled_from([1, 7, 64, 100, 333, 2500]),
       seed=st.integers(0, 2**32 - 1))
def test_fusion_keeps_values_and_flags(case, n, seed):
    regs, code, dt = case
    fregs, fcode = chains.fuse(regs, code)
    rng = np.random.default_rng(seed)
    ins = [_values(rng, dt, n, True) for _ in range(2)]
    results = []
    for r, c in ((regs, code), (fregs, fcode)):
        outs = [np.zeros(n, dt), np.zeros(n, dt)]
        fpe = K.Program(r, c)(ins + outs, num_threads=1)
        results.append((outs, fpe))
    (want, wfpe), (got, gfpe) = results
    for g, w in zip(got, want):
        assert_bits(g, w)
    assert gfpe == wfpe


def test_fusion_keeps_what_later_instructions_read():
    dt = "float64"
    regs = [("array", 0, dt), ("array", 1, dt), ("temp", dt), ("temp", dt)]
    code = [("multiply", 2, 0, 0), ("add", 3, 2, 0), ("floor", 3, 3), ("add", 1, 3, 2)]
    fregs, fcode = chains.fuse(regs, code)
    assert fcode[0] == ("chain", (("load", 0), ("multiply", 0), ("store", 2),
                                  ("add", 0), ("store", 3)))
    # r2 is read again after the floor: stored; a lone op after it: not a chain
    assert fcode[1:] == [("floor", 3, 3), ("add", 1, 3, 2)]


def test_fusion_elides_single_use_temps_and_drops_them():
    dt = "float32"
    regs = [("array", 0, dt), ("array", 1, dt), ("const", 1.0, dt), ("temp", dt),
            ("temp", dt)]
    code = [("absolute", 3, 0), ("add", 4, 3, 2), ("divide", 3, 2, 4), ("powi", 1, 3, 3)]
    fregs, fcode = chains.fuse(regs, code)
    assert fcode == [("chain", (("load", 0), ("absolute",), ("add", 2), ("rdivide", 2),
                                ("store", 3), ("square",), ("multiply", 3), ("store", 1)))]
    assert fregs == regs[:4]


def test_fusion_hoists_scalar_instructions():
    dt = "float64"
    regs = [("array", 0, dt), ("acc", dt), ("acc", dt), ("array", 1, dt), ("temp", dt),
            ("const", 1e-5, dt)]
    code = [("sum", 1, 0), ("pass",), ("subtract", 4, 0, 1), ("add", 2, 1, 5),
            ("divide", 3, 4, 2)]
    _, fcode = chains.fuse(regs, code)
    assert fcode == [("sum", 1, 0), ("pass",), ("add", 2, 1, 4),   # temp 4 dropped
                     ("chain", (("load", 0), ("subtract", 1), ("divide", 2), ("store", 3)))]


# ---- values kept for a later pass (lower.py _spills) ----------------------------------------

def _programs_of(fn, *args):
    import framejit as fj
    from framejit.backends import fused
    programs = []

    def backend(graph, ex):
        run = fused.kernels(graph, ex)
        programs.extend(run.__framejit_programs__)
        return run

    fj.reset()
    got = fj.compile(fn, backend=backend)(*args)
    return got, programs


def _count(prog, op):
    """Instructions and chain steps doing `op`."""
    return sum(1 for ins in prog.code_spec if ins[0] == op) + \
        sum(1 for ins in prog.code_spec if ins[0] == "chain" for st_ in ins[1] if st_[0] == op)


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("shape", [(3, 5), (40, 1024), (2, 3, 300)])
def test_softmax_keeps_exp_in_the_output(dt, shape):
    """exp(x - max) is computed once: pass 2 writes it into the output buffer, pass 3
    divides that buffer in place by the row sum."""
    def softmax(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    x = (np.random.default_rng(2).standard_normal(shape) * 4).astype(dt)
    x.flat[::7] = -np.inf
    got, programs = _programs_of(softmax, x)
    assert len(programs) == 1 and _count(programs[0], "exp") == 1
    with np.errstate(all="ignore"):
        want = softmax(x)
    np.testing.assert_allclose(got, want, rtol=1e-13 if dt == "float64" else 2e-6)


def test_values_with_two_later_readers_are_recomputed():
    """Keeping e in one output would lose it for the other reader: recompute instead."""
    def f(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        s = e.sum(axis=-1, keepdims=True)
        return e / s, e * s

    x = np.random.default_rng(3).standard_normal((20, 300))
    (a, b), programs = _programs_of(f, x)
    assert _count(programs[0], "exp") == 2
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    s = e.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(a, e / s, rtol=1e-13)
    np.testing.assert_allclose(b, e * s, rtol=1e-13)


def test_cheap_values_are_recomputed():
    """x - mean costs less to recompute in the last pass than to keep."""
    def layer(x):
        mu = x.mean(axis=-1, keepdims=True)
        return (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + 1e-5)

    x = np.random.default_rng(4).standard_normal((10, 500)).astype(np.float32)
    got, programs = _programs_of(layer, x)
    assert _count(programs[0], "subtract") == 2         # in the variance and the last pass
    np.testing.assert_allclose(got, layer(x), rtol=1e-5, atol=1e-6)


def test_kept_values_are_computed_in_their_own_pass():
    """A kept value that its own pass does not otherwise need (here the float64 cast of
    e, which only the division reads) is still computed and stored there."""
    def mixed(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e.astype(np.float64) / e.sum(axis=-1, keepdims=True, dtype=np.float64)

    x = np.random.default_rng(4).standard_normal((10, 500)).astype(np.float32)
    got, programs = _programs_of(mixed, x)
    assert _count(programs[0], "exp") == 1
    np.testing.assert_allclose(got, mixed(x), rtol=1e-6)


@pytest.mark.parametrize("fn", TRANSCENDENTAL_STEPS)
@pytest.mark.parametrize("dt", FLOATS)
def test_transcendental_steps_are_their_ops(fn, dt, isa):
    """A transcendental step gives its op's bits (exp: both run vecmath_vec.h's vector
    code; the others: the op's block function on the tile), also where libm takes over
    (NaN, +-inf, overflow, underflow, domain errors), and the op's FP flags."""
    rng = np.random.default_rng(9)
    special = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 709.0, 709.5, 710.0,
                        -708.0, -708.5, -745.5, -800.0, 88.0, 88.5, 89.0, -87.0, -104.0,
                        -104.5, -110.0, 1e-310, -5e-324, -1.0, -2.0, 1e6, 1e22, 2.0**19])
    for n in (1, 7, 16, 63, 64, 127, 128, 129, 1000):
        x = np.concatenate([special, rng.uniform(-750, 750, n), rng.uniform(-110, 90, n),
                            rng.uniform(-3, 3, n)]).astype(dt)
        regs = [("array", 0, dt), ("array", 1, dt)]
        a, b = np.empty_like(x), np.empty_like(x)
        with np.errstate(all="ignore"):
            f1 = K.Program(regs, [("chain", (("load", 0), (fn,), ("store", 1)))])([x, a])
            f2 = K.Program(regs, [(fn, 1, 0)])([x, b])
        assert_bits(a, b)
        assert f1 == f2, (fn, n, f1, f2)


# ---- comparisons and wheres in chains (chains.prepare) --------------------------------------

@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("n", [1, 33, 64, 1000, 4099])
def test_compare_where_patterns_are_chained_and_exact(dt, n):
    """where(x > c, a, b) with float conditions runs in one chain (the comparison a 1/0
    float in a temp), bit-identical to NumPy, NaN conditions included; a comparison whose
    bool is also returned stays an op."""
    rng = np.random.default_rng(n)
    x, y = (rng.standard_normal(n).astype(dt) for _ in range(2))
    x[::5] = np.nan
    y[::7] = -0.0

    def cnd(x, y):
        r = 1.0 / (1.0 + 0.25 * np.abs(x)) * y    # arithmetic only: bit-identical
        return np.where(x > 0, 1.0 - r, r), np.where(x <= y, x, y * 2.0)

    def escaping(x, y):
        m = x < y
        return np.where(m, x, y), m

    for fn, chained in ((cnd, True), (escaping, False)):
        got, programs = _programs_of(fn, x, y)
        with np.errstate(all="ignore"):
            want = fn(x, y)
        for g, w in zip(got, want):
            if np.asarray(w).dtype == bool:
                np.testing.assert_array_equal(g, w)
            else:
                assert_bits(g, w)
        code = programs[0].code_spec
        assert (not any(ins[0] == "where" for ins in code)) == chained, code
        if chained:
            assert [ins[0] for ins in code] == ["chain"], code
