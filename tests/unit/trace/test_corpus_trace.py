"""Every case of the e2e corpus traces into exactly one graph and matches NumPy bit for bit
(or within the case's tolerance), through trace_frame + build_callable + the eager backend."""
import importlib.util
import os
import sys

import numpy as np
import pytest

from tracehelp import Counting, build_callable, same, slots_for, trace

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "e2e", "corpus")


def _corpus():
    name = "framejit_e2e_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(CORPUS, "__init__.py"), submodule_search_locations=[CORPUS])
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


CASES = _corpus().CASES if os.path.isdir(CORPUS) else []


def _close(a, b, rtol):
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(
            _close(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rtol) for k in a)
    if rtol is None or hasattr(a, "__dict__"):
        return same(a, b)
    return type(a) is type(b) and np.allclose(a, b, rtol=rtol, equal_nan=True)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_corpus_case_one_graph(case):
    rng = lambda: np.random.default_rng(1234)  # noqa: E731
    result = trace(case.fn, *case.make_args(rng()))
    if result.break_at is not None:
        gb = result.break_at.graph_break
        if gb.kind.value == "data_dependent_shape" or "not in the op registry" in gb.detail:
            pytest.xfail(f"graph layer: {gb.detail}")  # registry / meta gaps, not the tracer
    assert result.break_at is None, result.break_at.graph_break.format()
    assert result.exception is None, result.describe()
    backend = Counting()
    fn = build_callable(result, backend)
    plain_args = case.make_args(rng())
    comp_args = case.make_args(rng())
    want = case.fn(*plain_args)
    got = fn(*slots_for(case.fn, comp_args, {}))
    assert _close(want, got, case.rtol), (want, got)
    assert _close(list(plain_args), list(comp_args), case.rtol)
    assert len(backend.graphs) == (1 if result.graph is not None else 0)
    assert result.graph is not None
