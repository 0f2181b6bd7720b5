"""framejit.testing: helpers for testing code compiled with framejit, and the fuzzers.

Importing this package needs only NumPy. ``framejit.testing.strategies`` (hypothesis
strategies producing random programs and expression DAGs) needs hypothesis.

- ``CountingBackend(base="eager")``: a backend that counts the graphs it compiles and the
  graphs it runs (its wrappers live in framejit's own package, so the frame hook never
  traces them).
- ``programs``: the random-program model (``Program``), its renderings to Python source,
  the oracle written from SEMANTICS.md, and ``check_program(program)``.
- ``numerics``: random expression DAGs over dtypes/shapes/strides and
  ``check_expression(expr, backend)`` against NumPy within DESIGN.md's tolerances.
"""
from .counting import CountingBackend
from .compare import ulp_distance, values_equal

__all__ = ["CountingBackend", "ulp_distance", "values_equal"]
