"""Helpers for tracer tests: trace a plain function through trace_frame + build_callable.

``compiled(fn, *args, **kwargs)`` traces ``fn`` for these arguments (as the frame hook
would: argument slots in localsplus order, the function's closure, a mode stack) and
returns ``(result, replacement)``; ``run_both`` runs the plain function and the replacement
on equal, independent copies of the arguments and returns both outcomes (value or
exception) plus the arguments after the call, for comparisons.
"""
from __future__ import annotations

import copy
import inspect

import numpy as np

from framejit.backends.reference import eager
from framejit.trace.api import build_callable, trace_frame
from framejit.trace.tracer import builtins_dict


def slots_for(fn, args, kwargs):
    sig = inspect.signature(fn)
    ba = sig.bind(*args, **kwargs)
    ba.apply_defaults()
    params = list(sig.parameters.values())
    kinds = [(inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD),
             (inspect.Parameter.KEYWORD_ONLY,), (inspect.Parameter.VAR_POSITIONAL,),
             (inspect.Parameter.VAR_KEYWORD,)]
    out = []
    for group in kinds:
        out += [ba.arguments.get(p.name, () if p.kind == p.VAR_POSITIONAL else {})
                for p in params if p.kind in group]
    return tuple(out)


class Counting:
    def __init__(self):
        self.graphs = []

    def __call__(self, graph, example_inputs):
        self.graphs.append(graph)
        return eager(graph, example_inputs)


def trace(fn, *args, modes=(), **kwargs):
    slots = slots_for(fn, args, kwargs)
    return trace_frame(fn.__code__, fn.__globals__, builtins_dict(fn.__globals__),
                       fn.__closure__, slots, modes)


def compiled(fn, *args, modes=(), backend=None, **kwargs):
    result = trace(fn, *args, modes=modes, **kwargs)
    assert result.break_at is None, result.break_at.graph_break.format()
    return result, build_callable(result, backend or eager)


def outcome(call):
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - compared by type and message
        return ("raise", (type(exc), str(exc)))


def run_both(fn, make_args, *, backend=None, modes=()):
    """(plain outcome, compiled outcome, plain args after, compiled args after, result)."""
    plain_args = make_args()
    comp_args = make_args()
    trace_args = make_args()
    result = trace(fn, *trace_args, modes=modes)
    assert result.break_at is None, result.break_at.graph_break.format()
    replacement = build_callable(result, backend or eager)
    slots = slots_for(fn, comp_args, {})
    want = outcome(lambda: fn(*plain_args))
    got = outcome(lambda: replacement(*slots))
    return want, got, plain_args, comp_args, result


def same(a, b) -> bool:
    """Bit-identical values with identical Python/NumPy types and structure."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(
            a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and (a == b or (a != a and b != b))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if hasattr(a, "__dict__") and not inspect.isroutine(a) and not isinstance(a, type):
        return same(vars(a), vars(b))
    return a == b


def check(fn, make_args, *, graphs=None, backend=None):
    """Plain and compiled agree on results, exceptions and argument mutation."""
    counting = backend or Counting()
    want, got, pa, ca, result = run_both(fn, make_args, backend=counting)
    assert want[0] == got[0], (want, got)
    if want[0] == "raise":
        assert want[1] == got[1], (want, got)
    else:
        assert same(want[1], got[1]), (want[1], got[1])
    assert same(list(pa), list(ca)), "inputs must be mutated exactly as plain Python does"
    if graphs is not None:
        assert len(counting.graphs) == graphs, [str(g) for g in counting.graphs]
    return result, got


def deep(x):
    return copy.deepcopy(x)
