"""The public decorators and context managers; they translate user options into modes.

Every wrapper here pushes a real entry on the thread's C mode stack for the duration of
a call and pops it in a ``finally`` (also on exceptions), with the token that proves the
pop is balanced. The tracer recognises these objects by the attributes documented in
docs/internals.md ("Markers"), never by name. With ``config.disable`` set, every wrapper
calls straight through: plain Python.
"""
import functools
import inspect
import threading

from . import _native
from .config import config

_modes = _native._modes
_push = _modes.push
_ModeCall = _modes.ModeCall
_pop = _modes.pop

BACKEND_NAMES = ("kernels", "eager")


class CompileOptions:
    """What one ``framejit.compile`` call asked for; the payload of its mode entry."""
    __slots__ = ("fullgraph", "backend", "fn", "code", "key")
    installed = False     # True for framejit.install()'s options (wholeprogram.py)

    def __init__(self, fn, fullgraph, backend):
        self.fn = fn
        self.fullgraph = fullgraph
        self.backend = backend
        target = getattr(fn, "__func__", fn)
        self.code = getattr(target, "__code__", None)
        # The mode-entry payload: the hook keys cache entries on item 0, the backend.
        self.key = (backend, self)

    def __repr__(self):
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"CompileOptions({name}, fullgraph={self.fullgraph}, backend={self.backend!r})"


def _check_backend(backend):
    if isinstance(backend, str):
        if backend not in BACKEND_NAMES:
            raise ValueError(f"unknown framejit backend {backend!r}; built in: {BACKEND_NAMES}, "
                             "or pass a callable backend(graph, example_inputs) -> callable")
    elif not callable(backend):
        raise TypeError(f"backend must be a name or a callable, got {type(backend).__name__}")


def _check_callable(fn, what):
    if not callable(fn):
        raise TypeError(f"framejit.{what} expects a function or callable, got {type(fn).__name__}")


def compile(fn=None, *, fullgraph=False, backend="kernels"):
    """Compile ``fn``: as ``@compile``, ``@compile(fullgraph=True)`` or ``compile(fn)``."""
    if not isinstance(fullgraph, bool):
        raise TypeError(f"fullgraph must be True or False, got {fullgraph!r}")
    _check_backend(backend)
    if fn is None:
        return functools.partial(compile, fullgraph=fullgraph, backend=backend)
    _check_callable(fn, "compile")
    options = CompileOptions(fn, fullgraph, backend)
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn) or inspect.iscoroutinefunction(fn):
        return _compile_generator_like(fn, options)

    compiled = functools.update_wrapper(_ModeCall(fn, "compile", fullgraph, options.key), fn)
    compiled.__framejit_compile__ = options
    return compiled


def _compile_generator_like(fn, options):
    """Generator-like functions are never compiled as frames (DESIGN.md): they run as
    plain Python, and under fullgraph=True their first call raises."""

    @functools.wraps(fn)
    def compiled(*args, **kwargs):
        if options.fullgraph and not config.disable:
            from .errors import generator_error
            raise generator_error(fn)
        return fn(*args, **kwargs)

    compiled.__framejit_compile__ = options
    return compiled


class ModeContext:
    """``error_on_graph_break(flag)`` / ``set_fullgraph(flag)``: context manager and decorator.

    As a context manager it pushes on ``__enter__`` and pops on ``__exit__``; the tokens
    are kept per thread so one object can be entered on several threads, or re-entered.
    """
    __slots__ = ("kind", "flag", "_tokens")

    def __init__(self, kind, flag):
        if not isinstance(flag, bool):
            raise TypeError(f"framejit.{kind} expects True or False, got {flag!r}")
        self.kind = kind
        self.flag = flag
        self._tokens = {}

    def __enter__(self):
        if config.disable:
            return self
        token = _push(self.kind, self.flag)
        self._tokens.setdefault(threading.get_ident(), []).append(token)
        return self

    def __exit__(self, *exc):
        tokens = self._tokens.get(threading.get_ident())
        if tokens:
            _pop(tokens.pop())
        return False

    def __call__(self, fn):
        _check_callable(fn, self.kind)
        with_mode = functools.update_wrapper(_ModeCall(fn, self.kind, self.flag), fn)
        with_mode.__framejit_mode__ = (self.kind, self.flag)
        return with_mode

    def __repr__(self):
        return f"framejit.{self.kind}({self.flag})"


def error_on_graph_break(flag):
    """Make graph breaks in this region raise (True) or break (False); innermost wins."""
    return ModeContext("error_on_graph_break", flag)


def set_fullgraph(flag):
    """The older toggle: set the fullgraph level (it can also relax a fullgraph region)."""
    return ModeContext("set_fullgraph", flag)


def disable(fn=None):
    """Never trace ``fn``; calling it from compiled code is a graph break."""
    if fn is None:
        return disable
    _check_callable(fn, "disable")

    disabled = functools.update_wrapper(_ModeCall(fn, "disable", False), fn)
    disabled.__framejit_disable__ = True
    return disabled


def graph_break(msg=None):
    """Break the graph here (a no-op when not compiling)."""
    if msg is not None and not isinstance(msg, str):
        raise TypeError(f"graph_break(msg) expects a string message, got {type(msg).__name__}")


def nonstrict_trace(fn):
    """Run ``fn`` natively while tracing, recording its NumPy calls into the graph."""
    _check_callable(fn, "nonstrict_trace")
    # Called at run time (its caller runs in plain Python: a break, an unoptimized or a
    # raising frame), the body runs under a `disable` entry, as if it were still inside
    # the trace: its frame is not compiled on its own, so a graph_break() in it stays a
    # no-op (SEMANTICS §1). A compiled function it calls pushes a newer compile entry.
    body = _ModeCall(fn, "disable", False)

    @functools.wraps(fn)
    def nonstrict(*args, **kwargs):
        return body(*args, **kwargs)

    nonstrict.__framejit_nonstrict__ = True
    return nonstrict


class CustomOp:
    """An opaque op: its body runs at run time; ``register_fake`` gives shape and dtype."""

    def __init__(self, name, fn, mutates_args):
        self.name = name
        self.fn = fn
        self.mutates_args = tuple(mutates_args)
        self.fake = None
        # The body is opaque: it runs under a `disable` entry, so the frame hook never
        # traces it, whether it runs inside a graph or at a graph break.
        self._body = _ModeCall(fn, "disable", False)
        functools.update_wrapper(self, fn)

    def register_fake(self, fake):
        _check_callable(fake, "custom_op(...).register_fake")
        self.fake = fake
        return fake

    def __call__(self, *args, **kwargs):
        return self._body(*args, **kwargs)

    def __repr__(self):
        return f"<framejit.custom_op {self.name!r}>"


def custom_op(name, *, mutates_args=()):
    """Declare an opaque op: ``@custom_op("lib::name", mutates_args=("out",))``."""
    if not isinstance(name, str) or not name:
        raise TypeError("custom_op needs a non-empty string name such as 'mylib::op'")
    if isinstance(mutates_args, str):
        mutates_args = (mutates_args,)

    def decorate(fn):
        _check_callable(fn, "custom_op")
        params = inspect.signature(fn).parameters
        unknown = [a for a in mutates_args if a not in params]
        if unknown:
            raise ValueError(f"custom_op {name!r}: mutates_args names {unknown} "
                             f"that are not parameters of {fn.__qualname__}")
        return CustomOp(name, fn, mutates_args)

    return decorate
