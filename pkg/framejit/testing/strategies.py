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


def programs(*, max_helpers=5, max_stmts=5, max_nesting=2, allow_raise=True,
             backends=("eager", "kernels"), scalar_branches=True, nonstrict_breaks=True):
    """Random valid programs (``framejit.testing.programs.Program``)."""
    @st.composite
    def _programs(draw):
        return Builder(Chooser(draw=draw), max_helpers=max_helpers, max_stmts=max_stmts,
                       max_nesting=max_nesting, allow_raise=allow_raise,
                       backends=backends, scalar_branches=scalar_branches,
                       nonstrict_breaks=nonstrict_breaks).program()
    return _programs()


def expressions(*, max_nodes=8, max_inputs=3, dtypes=None):
    """Random expression DAGs with inputs (``framejit.testing.numerics.Expression``)."""
    @st.composite
    def _expressions(draw):
        return ExprBuilder(Chooser(draw=draw), max_nodes=max_nodes, max_inputs=max_inputs,
                           dtypes=dtypes).expression()
    return _expressions()


__all__ = ["programs", "expressions"]
