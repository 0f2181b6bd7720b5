"""The ``Case`` record shared by every corpus module."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass(frozen=True)
class Case:
    """One corpus entry.

    ``fn`` is the function to compile (a plain function, closure or lambda).
    ``make_args(rng)`` returns a tuple of *fresh* inputs, deterministic given the
    ``numpy.random.Generator``; calling it twice with equally seeded generators gives
    equal, independent inputs.  ``mutates`` marks functions that write to their inputs
    (the tests then compare the inputs after the call too).  ``rtol`` is ``None`` for
    bit-exact comparison (the default), otherwise a relative tolerance.
    """

    name: str
    fn: Callable[..., Any]
    make_args: Callable[[Any], tuple]
    mutates: bool = False
    rtol: Optional[float] = None

    def __repr__(self):  # keeps pytest ids and failure messages short
        return f"Case({self.name!r})"
