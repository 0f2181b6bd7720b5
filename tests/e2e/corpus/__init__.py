"""A corpus of realistic NumPy functions for framejit's end-to-end tests.

Every entry is a :class:`Case` whose function is fully traceable into one graph: no
data-dependent Python control flow, no ``float(x)``/``.item()``, no printing.  Branches
depend only on shapes, dtypes, ``is None``/``isinstance`` and Python constants.

``CASES`` lists every entry (names are unique); ``COVERAGE`` maps each NumPy construct
listed in issue 3 item 1 (and a few more from the same item) to the cases using it.
"""
from . import finance, linalg, misc, ml, physics, signal_image, stats
from .case import Case
from .coverage import COVERAGE, EXTRA_CONSTRUCTS, REQUIRED_CONSTRUCTS

CASES = [
    *stats.CASES,
    *ml.CASES,
    *physics.CASES,
    *finance.CASES,
    *linalg.CASES,
    *signal_image.CASES,
    *misc.CASES,
]

CASES_BY_NAME = {c.name: c for c in CASES}
assert len(CASES_BY_NAME) == len(CASES), "corpus case names must be unique"

__all__ = ["Case", "CASES", "CASES_BY_NAME", "COVERAGE", "REQUIRED_CONSTRUCTS", "EXTRA_CONSTRUCTS"]
