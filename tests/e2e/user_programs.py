"""The check shared by tests/e2e/test_user_programs_*.py: a user program, compiled, behaves
as plain Python on a sequence of calls.

``same_as_python(fn, calls, ...)`` runs ``fn`` on each argument tuple of ``calls`` in
plain Python and compiled (lenient ``framejit.compile``; also ``fullgraph=True`` when the
program has no break), each call on fresh deep copies of its arguments, and compares per
call: the result or the exception (type and message), the arguments afterwards (mutated
arrays, objects, ``__slots__`` objects and namedtuples field by field), and the *effects* — everything a user program can observe:

- ``LOG``: the module-level list the programs append to (this module's, shared);
- what the program printed to ``sys.stdout``;
- ``warnings.warn`` records (category and message, in order);
- ``logging`` records of the ``userprog`` logger (level and message, in order).

It also checks ``framejit._native._modes.depth() == 0`` after every call and that no
framejit warning (e.g. cache_size_limit) was emitted. Values compare with
``framejit.testing.values_equal`` (objects as their attribute dicts): bit for bit (NaN
equals NaN, signed zeros must match), or within ``tol`` where DESIGN's numerics allow it
(reductions, transcendentals) — then the eager backend is run as well, bit for bit.

Invariant: plain and compiled runs of one call see identical inputs and an emptied LOG,
so any difference is framejit's.
"""
import contextlib
import copy
import functools
import io
import logging
import types
import warnings

import numpy as np

import framejit as fj
from framejit import _native
from framejit.testing import CountingBackend, values_equal

LOG = []
logger = logging.getLogger("userprog")


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen = []

    def emit(self, record):
        self.seen.append((record.levelname, record.getMessage()))


@contextlib.contextmanager
def _effects():
    """Collects LOG, stdout, warnings and userprog log records of one run."""
    LOG.clear()
    out = io.StringIO()
    handler = _Records()
    logger.addHandler(handler)
    old_level, old_prop = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    got = {}
    try:
        with warnings.catch_warnings(record=True) as ws, contextlib.redirect_stdout(out):
            warnings.simplefilter("always")
            with np.errstate(all="ignore"):     # plain NumPy's own floating-point warnings
                yield got
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_prop
    got["LOG"] = copy.deepcopy(LOG)
    got["stdout"] = out.getvalue()
    got["warnings"] = [(w.category.__name__, str(w.message)) for w in ws]
    got["logging"] = handler.seen


def run(fn, args):
    """(kind, value, args afterwards, effects) of ``fn(*args)`` on copies of ``args``."""
    args = copy.deepcopy(args)
    with _effects() as eff:
        try:
            outcome = ("ok", fn(*args))
        except Exception as exc:                # the program's own exception
            outcome = ("raised", (type(exc), str(exc)))
    return outcome + (args, eff)


_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
              functools.partial, np.ufunc)


def _fields(value):
    """Objects as their attribute dicts (values_equal compares containers and arrays)."""
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):   # a namedtuple
        return type(value)(*(_fields(v) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_fields(v) for v in value)
    if isinstance(value, dict):
        return {k: _fields(v) for k, v in value.items()}
    if isinstance(value, _FUNCTIONS):   # deep copies of functions keep their repr
        return ("<function>", repr(value))
    if isinstance(value, np.random.Generator):   # compared by the state it advanced to
        return ("<Generator>", value.bit_generator.state)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {"<type>": type(value).__name__, **_fields(vars(value))}
    slots = _slot_names(type(value))
    if slots:
        return {"<type>": type(value).__name__,
                **{k: _fields(getattr(value, k)) for k in slots if hasattr(value, k)}}
    return value


def _slot_names(cls):
    """The ``__slots__`` attributes of a user class and its bases (none for built-ins)."""
    return [name for c in cls.__mro__ if c.__module__ != "builtins"
            for name in ((c.__dict__.get("__slots__", ())) if not isinstance(
                c.__dict__.get("__slots__", ()), str) else (c.__dict__["__slots__"],))]


def _framejit_warnings(eff):
    """Moves framejit's own warnings (cache_size_limit) out of the effects."""
    ours = [w for w in eff["warnings"] if w[1].startswith("framejit")]
    eff["warnings"] = [w for w in eff["warnings"] if w not in ours]
    return ours


def _compare(want, got, tol, what, quiet=True):
    ours = _framejit_warnings(got[3])
    assert not (quiet and ours), (what, ours)
    assert got[0] == want[0], (what, want[:2], got[:2])
    assert got[3] == want[3], (what, "effects differ", want[3], got[3])
    diffs = (values_equal(_fields(want[1]), _fields(got[1]), tol)
             + values_equal(_fields(want[2]), _fields(got[2]), tol, "args"))
    assert not diffs, (what, diffs)


def same_as_python(fn, calls, *, tol=None, fullgraph=False, graphs_at_most=None, quiet=True):
    """Compiled ``fn`` behaves as plain ``fn`` on every argument tuple in ``calls``.

    ``fullgraph=True`` also runs it under ``compile(fullgraph=True)`` (for programs with
    no break: one graph per call at most). ``graphs_at_most`` bounds the graphs the
    lenient run compiled over all calls. ``quiet=False`` tolerates framejit's own
    warnings (a program whose recompiles reach cache_size_limit: a known gap, not a
    difference of behaviour). Returns the lenient run's CountingBackend.
    """
    backends = [("kernels", tol)] + ([("eager", None)] if tol is not None else [])
    lenient = None
    for base, t in backends:
        cb = CountingBackend(base)
        cf = fj.compile(fn, backend=cb)
        for i, args in enumerate(calls):
            want = run(fn, args)
            cb.reset_runs()
            got = run(cf, args)
            assert _native._modes.depth() == 0
            _compare(want, got, t, f"{base} call {i}", quiet)
        lenient = lenient or cb
        fj.reset()
    if graphs_at_most is not None:
        assert len(lenient.graphs) <= graphs_at_most, len(lenient.graphs)
    if fullgraph:
        cb = CountingBackend("kernels")
        cf = fj.compile(fn, backend=cb, fullgraph=True)
        for i, args in enumerate(calls):
            want = run(fn, args)
            cb.reset_runs()
            got = run(cf, args)
            assert _native._modes.depth() == 0
            _compare(want, got, tol, f"fullgraph call {i}", quiet)
            assert cb.runs <= 1, f"fullgraph call {i} ran {cb.runs} graphs"
        fj.reset()
    return lenient


def same_under_install(fn, calls, *, tol=None, quiet=True):
    """``fn`` behaves as plain ``fn`` on every call under ``framejit.install()``
    (whole-program mode: ``fn`` and everything it calls compile as their own frames).

    The plain outcomes are computed first; this module is excluded from install() so
    that only the program is traced (``run`` calls ``fn``, it is not inlined).
    Uninstalls afterwards, also on failure.
    """
    wants = [run(fn, args) for args in calls]
    fj.reset()
    fj.install(exclude=(__name__,))
    try:
        gots = [run(fn, args) for args in calls]
    finally:
        fj.uninstall()
        fj.reset()
    for i, (want, got) in enumerate(zip(wants, gots)):
        assert _native._modes.depth() == 0
        _compare(want, got, tol, f"install call {i}", quiet)
