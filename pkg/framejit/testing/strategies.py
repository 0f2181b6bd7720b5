"""Hypothesis strategies for fuzzing framejit (and code compiled with it).

    from framejit.testing.strategies import programs, expressions
    from framejit.testing.programs import check_program

    @given(programs())
    def test_semantics(prog):
        problems, info = check_program(prog)
        assert not problems, "\\n".join(problems)

``programs()`` draws random programs over NumPy arrays (framejit.testing.programs
describes them); ``expressions()`` draws random expression DAGs with their inputs
(framejit.testing.numerics). Both shrink towards smaller, plainer cases.
"""
try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "framejit.testing.strategies needs the 'hypothesis' package "
        "(pip install hypothesis, or pip install 'framejit[test]')") from exc

from .programs import Builder, Chooser
from .numerics import ExprBuilder


def programs(**options):
    """Random valid programs (``framejit.testing.programs.Program``); ``options`` are
    ``Builder``'s (sizes, backends, and switches for the newer constructs: handlers,
    loops, scalars, closures, max_calls, dtypes, cache_limits, flow_weight)."""
    @st.composite
    def _programs(draw):
        return Builder(Chooser(draw=draw), **options).program()
    return _programs()


def expressions(*, max_nodes=8, max_inputs=3, dtypes=None):
    """Random expression DAGs with inputs (``framejit.testing.numerics.Expression``)."""
    @st.composite
    def _expressions(draw):
        return ExprBuilder(Chooser(draw=draw), max_nodes=max_nodes, max_inputs=max_inputs,
                           dtypes=dtypes).expression()
    return _expressions()


__all__ = ["programs", "expressions"]
