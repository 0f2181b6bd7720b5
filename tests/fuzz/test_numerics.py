"""Numerics fuzz: random expression DAGs compiled vs NumPy, on both backends.

eager: bit-identical to NumPy. kernels (the default backend): within DESIGN.md's
tolerances (arithmetic bitwise, transcendentals 4 ulp, reductions rtol 1e-12 / 1e-5 of
the sum of magnitudes). Inputs include NaN/inf/signed zeros/subnormals, zero-size and
non-contiguous arrays. See framejit.testing.numerics.
"""
from hypothesis import given, seed

from framejit.testing import numerics as N
from framejit.testing.strategies import expressions

from .budget import EXPRESSIONS, EXPRESSION_SHARDS, SEED, fuzz_settings, report_failure


def check(expr):
    for backend in ("eager", "kernels"):
        problems = N.check_expression(expr, backend)
        if problems:
            text = N.standalone(expr, backend, problems)
            raise AssertionError(report_failure(f"numerics_{backend}", text) + "\n"
                                 + "\n".join(problems))


def _make_shard(k):
    @seed(2_000_029 * (SEED + 1) + k)
    @fuzz_settings(EXPRESSIONS // EXPRESSION_SHARDS + (k < EXPRESSIONS % EXPRESSION_SHARDS))
    @given(expr=expressions())
    def test(expr):
        check(expr)

    test.__name__ = f"test_expressions_shard_{k}"
    return test


for _k in range(EXPRESSION_SHARDS):
    globals()[f"test_expressions_shard_{_k}"] = _make_shard(_k)


def test_ulp_distance_basics():
    import numpy as np
    assert N.ulp_distance(np.float64(1.0), np.nextafter(1.0, 2.0)) == 1
    assert N.ulp_distance(np.array([np.nan]), np.array([np.nan]))[0] == 0
    assert N.ulp_distance(np.array([np.inf]), np.array([np.finfo(np.float64).max]))[0] == 1
    assert N.ulp_distance(np.array([0.0]), np.array([-0.0]))[0] == 0
    assert N.ulp_distance(np.array([1.0], np.float32), np.array([np.nan], np.float32))[0] == np.inf
