"""Helpers for the kernel-library tests: the reference table (NumPy itself), ulp distance,
and builders of one-op programs. Imports framejit._kernels directly (not the package)."""
import glob
import importlib.util
import os
import sys

import numpy as np
import pytest


def _import_kernels():
    """framejit._kernels; when the package's own __init__ cannot be imported (it is
    written in parallel), load the extension file directly so these tests still run."""
    try:
        from framejit import _kernels
        return _kernels
    except ImportError as exc:
        here = os.path.dirname(os.path.abspath(__file__))
        found = glob.glob(os.path.join(here, "..", "..", "pkg", "framejit", "_kernels.*.so"))
        if not found:
            pytest.skip(f"framejit._kernels is not built: {exc}", allow_module_level=True)
        spec = importlib.util.spec_from_file_location("framejit._kernels", found[0])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules.setdefault("framejit._kernels", mod)
        return mod


K = _import_kernels()

DTYPES = ["float64", "float32", "int64", "int32", "bool"]
FLOATS = ["float64", "float32"]

# ops whose float results may differ from NumPy's within the ulp budget
TRANSCENDENTAL = {"exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos",
                  "tan", "tanh", "arctan2", "power"}
ULP_BUDGET = 4


def reference(op, *args, imm=None, dtype=None):
    """NumPy's answer for one kernel op (the test oracle)."""
    if op == "copy":
        return args[0].copy()
    if op == "astype":
        return args[0].astype(dtype)
    if op == "powi":
        x = args[0]
        if imm == 0:
            return np.ones_like(x)
        r = x
        m = abs(imm)
        for bit in range(m.bit_length() - 2, -1, -1):
            r = r * r
            if (m >> bit) & 1:
                r = r * x
        return (1 / r).astype(x.dtype) if imm < 0 else r
    if op == "where":
        return np.where(*args)
    if op == "clip":
        return np.clip(*args)
    return getattr(np, op)(*args)


def ulp_distance(got, want):
    """|got - want| in units of the last place of `want` (in got's dtype); NaN==NaN and
    equal infinities are 0, a NaN/finite mismatch is inf."""
    got = np.asarray(got)
    dt = got.dtype
    want = np.asarray(want).astype(dt)
    both_nan = np.isnan(got) & np.isnan(want)
    same = (got == want) | both_nan
    info = np.finfo(dt)
    spacing = np.spacing(np.abs(want).astype(dt))
    spacing = np.maximum(spacing, info.smallest_subnormal)
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(got.astype(np.float64) - want.astype(np.float64)) / spacing.astype(np.float64)
    d = np.where(same, 0.0, d)
    d = np.where(np.isnan(d) | (np.isinf(got) != np.isinf(want)) & ~same, np.inf, d)
    return d


def one_op_program(op, dst_dtype, src_dtypes, imm=None):
    regs = [("array", i, dt) for i, dt in enumerate(src_dtypes)]
    regs.append(("array", len(src_dtypes), dst_dtype))
    ins = (op, len(src_dtypes)) + tuple(range(len(src_dtypes)))
    if imm is not None:
        ins = ins + (imm,)
    return K.Program(regs, [ins])


@pytest.fixture(autouse=True)
def _threads_really_run():
    """Tests ask for 2 threads to exercise the parallel paths: no serial fallback."""
    prev = K.adaptive_threads(False)
    yield
    K.adaptive_threads(prev)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def nthreads(request):
    return request.param
