"""Floating-point errors of fused groups: NumPy's warnings and exceptions, from NumPy.

A kernel run reports the FP exception flags its threads raised (``Runner`` returns them,
include/framejit/kernel_run.h collects them). They are a filter, never the answer: when a
flag is set whose category ``np.geterr()`` does not ignore, the group is replayed with
NumPy (``Replay``) on the same inputs, under the caller's errstate, so NumPy itself
emits exactly the warnings it would have (messages, categories, counts, order within the
group), calls the ``np.seterrcall`` handler, or raises ``FloatingPointError``. The
kernel's results are kept when the replay returns; when it raises, the exception leaves
the compiled function at the group, before anything after it ran. A spurious flag (a
SIMD lane whose value is replaced later) only costs a replay that stays silent.

Each replayed op runs in a frame whose code has the user's file and line and whose
globals are the user's module's, as a NumPy call in the user's code would: warnings are
attributed to the user's line, and the ``default`` filter shows them once per location.

Kernels never write arrays the caller can see (in-place ops, ``out=`` and ``setitem``
run eagerly, as NumPy), so a replay never has to undo or redo a write: NumPy's own
"``out`` is already written when ``raise`` fires" happens in those eager nodes.
"""
from __future__ import annotations

import sys

import numpy as np

from framejit.graph.ir import Node
from framejit.graph.ops import OPS

from . import lower as _lower

_K = _lower.K
#: (kernel flag, np.geterr() key) in NumPy's order of reporting
_CATEGORIES = ((_K.FPE_DIVIDE, "divide"), (_K.FPE_OVERFLOW, "over"),
               (_K.FPE_UNDERFLOW, "under"), (_K.FPE_INVALID, "invalid"))


def needs_replay(flags: int) -> bool:
    """Would NumPy do anything (warn, raise, call, log, print) for these flags?"""
    err = np.geterr()
    return any(flags & bit and err[key] != "ignore" for bit, key in _CATEGORIES)


def _user_globals(filename):
    """The globals of the module whose file is ``filename`` (where NumPy's warning would
    be registered), else ``__main__``'s (a REPL, a notebook cell, exec'd code)."""
    for mod in list(sys.modules.values()):
        if getattr(mod, "__file__", None) == filename:
            return mod.__dict__
    main = sys.modules.get("__main__")
    return main.__dict__ if main is not None else {"__name__": "__main__"}


def _call_site(loc):
    """(code, globals) of a one-call frame at the user's source location."""
    filename = loc.filename if loc is not None else "<framejit.kernels>"
    code = compile("f(*a, **k)", filename, "eval")
    if loc is not None and loc.lineno and loc.lineno > 0:
        code = code.replace(co_firstlineno=loc.lineno)
    return code, (_user_globals(filename) if loc is not None else {"__name__": "framejit"})


def _resolve(value, env):
    if isinstance(value, Node):
        return env[value]
    if isinstance(value, tuple):
        return tuple(_resolve(v, env) for v in value)
    if isinstance(value, list):
        return [_resolve(v, env) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, env) for k, v in value.items()}
    if isinstance(value, slice):
        return slice(*(_resolve(v, env) for v in (value.start, value.stop, value.step)))
    return value


class Replay:
    """The members of a group, run one by one with NumPy: ``replay(*input values)``
    returns the values of the ``post`` members (those the caller binds from it)."""

    def __init__(self, members, inputs, post=()):
        self.members = list(members)
        self.inputs = list(inputs)
        self.post = list(post)
        self.steps = None             # built on the first replay: replays are rare

    def __call__(self, *values):
        if self.steps is None:
            self.steps = [(n, OPS[n.op].impl, *_call_site(n.loc)) for n in self.members]
        env = dict(zip(self.inputs, values))
        for node, impl, code, glb in self.steps:
            args = _resolve(node.args, env)
            kwargs = _resolve(node.kwargs, env)
            env[node] = eval(code, glb, {"f": impl, "a": args, "k": kwargs})  # noqa: S307
        return tuple(env[n] for n in self.post)


__all__ = ["needs_replay", "Replay"]
