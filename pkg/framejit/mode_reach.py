"""Which frames past ``config.cache_size_limit`` must still be traced on every call.

Past the limit a frame runs unoptimized (DESIGN.md). That is only sound while no break
that the frame could reach would *raise*: SEMANTICS.md §3 says a forbidden break raises
before any code of its segment runs, and the segment of a callee's forbidden break
starts in its lenient caller (at the caller's last allowed break). A caller that ran
unoptimized would already have had those effects. So a frame is still traced, uncached,
on every call past the limit when its entry mode would raise at a break, or when its code
may reach a mode entry that can forbid one: a ``with error_on_graph_break(...)`` /
``set_fullgraph(...)`` block of its own, or a callee wrapped by ``compile(fullgraph=True)``,
``set_fullgraph(True)`` or ``error_on_graph_break(True)``.

The reach is a static over-approximation: the functions, classes and user modules named
by the code (globals, closure cells, attributes of user modules, nested code objects) and
the frame's own argument values, followed transitively through user code. A ``disable``d
callee is a barrier (calling it is an allowed break of the caller). What a call reaches
only through values built at run time (a method of an object created inside the frame
whose class the code never names) is not seen; such a frame runs unoptimized.
"""
import sys
import types

from . import _native
from .trace.wrap import is_library_code, is_library_path

_ModeCall = _native._modes.ModeCall
_KINDS = _native._modes.KINDS
_MODE_NAMES = frozenset(("error_on_graph_break", "set_fullgraph"))
_VISIT_BUDGET = 400          # objects examined before giving up (and answering True)


def _mode_kind(wrapper):
    return _KINDS[wrapper.kind - 1]


def _forbids(wrapper):
    """A wrapper whose entry can make a break raise: ``compile(fullgraph=True)``,
    ``set_fullgraph(True)``, ``error_on_graph_break(True)``. (``compile(fullgraph=False)``
    cannot: it never turns fullgraph off and leaves error_on_graph_break as it is.)"""
    return wrapper.flag and _mode_kind(wrapper) != "disable"


class _Reach:
    """One walk: objects seen by identity, and a budget."""

    def __init__(self):
        from . import api
        self.api = api
        self.seen = set()
        self.budget = _VISIT_BUDGET

    def object(self, obj):
        """True when calling / entering ``obj`` may push a forbidding mode entry."""
        if id(obj) in self.seen:
            return False
        self.seen.add(id(obj))
        self.budget -= 1
        if self.budget < 0:
            raise _OverBudget
        if isinstance(obj, _ModeCall):
            if _mode_kind(obj) == "disable":
                return False
            return _forbids(obj) or self.object(obj.fn)
        if isinstance(obj, self.api.ModeContext):
            return obj.flag
        if obj is self.api.compile or obj is self.api.error_on_graph_break \
                or obj is self.api.set_fullgraph:
            return True     # a mode made inline: its flag is only known at run time
        if isinstance(obj, types.MethodType):
            return self.object(obj.__func__) or self.object(obj.__self__)
        if isinstance(obj, types.FunctionType):
            return self.function(obj)
        if isinstance(obj, types.ModuleType):
            return False    # its attributes are followed where the code names them
        if isinstance(obj, type):
            return self.class_(obj)
        if isinstance(obj, (staticmethod, classmethod)):
            return self.object(obj.__func__)
        if isinstance(obj, property):
            return any(self.object(f) for f in (obj.fget, obj.fset, obj.fdel) if f is not None)
        if isinstance(obj, (list, tuple, dict)) or type(obj).__module__ in ("builtins", "numpy"):
            return False
        return self.class_(type(obj))          # an instance: what its methods reach

    def class_(self, cls):
        if _library_class(cls):
            return False
        return any(self.object(v) for klass in cls.__mro__[:-1]
                   for v in list(vars(klass).values())
                   if isinstance(v, (types.FunctionType, staticmethod, classmethod,
                                     property, _ModeCall)))

    def function(self, fn):
        code = fn.__code__
        if is_library_code(code):
            return False
        cells = tuple(c.cell_contents for c in (fn.__closure__ or ())
                      if _cell_filled(c))
        return self.code(code, fn.__globals__, cells)

    def code(self, code, globals_, cells=()):
        if _MODE_NAMES.intersection(code.co_names):
            return True
        modules = []
        for name in code.co_names:
            value = globals_.get(name, _MISSING)
            if value is _MISSING:
                continue
            if isinstance(value, types.ModuleType):
                modules.append(value)
            elif self.object(value):
                return True
        for module in modules:       # `helpers.step(x)`: the attributes the code names
            if _library_module(module):
                continue
            attrs = vars(module)      # not getattr: a module __getattr__ may import
            for name in code.co_names:
                value = attrs.get(name, _MISSING)
                if value is not _MISSING and not isinstance(value, types.ModuleType) \
                        and self.object(value):
                    return True
        if any(self.object(v) for v in cells):
            return True
        return any(self.code(c, globals_) for c in code.co_consts
                   if isinstance(c, types.CodeType))


class _OverBudget(Exception):
    pass


_MISSING = object()


def _cell_filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _library_module(module):
    """NumPy, framejit, the standard library, site-packages, builtin modules: their
    functions are never traced, so nothing they name is followed."""
    name = getattr(module, "__name__", None) or ""
    path = getattr(module, "__file__", None)
    if name.split(".", 1)[0] in ("framejit", "numpy") or not isinstance(path, str):
        return True
    return is_library_path(path)


_HEAPTYPE = 1 << 9


def _library_class(cls):
    """A static (C) type, or a class of a library module. A class whose module is not
    imported (made by ``exec``) is the user's."""
    if not cls.__flags__ & _HEAPTYPE:
        return True
    if cls.__module__ == "builtins":   # exec'd without a __name__ in its globals
        return False
    module = sys.modules.get(cls.__module__)
    return module is not None and _library_module(module)


def pushes_modes(code, func):
    """True when the frame's own code may enter a mode (``with error_on_graph_break(v)``
    / ``set_fullgraph(v)``, also under an alias of the module's globals): a break in
    that block can raise although the mode at frame entry would not."""
    from . import api
    if _MODE_NAMES.intersection(code.co_names):
        return True
    g = func.__globals__
    return any(g.get(n) is api.error_on_graph_break or g.get(n) is api.set_fullgraph
               for n in code.co_names)


def may_reach_forbidding_mode(code, func, slots):
    """True when a call of this frame may reach a mode entry that can make a break raise
    (module docstring): its own mode blocks, callees it names, its argument values."""
    if pushes_modes(code, func):
        return True
    walk = _Reach()
    try:
        if walk.function(func) if func.__code__ is code else walk.code(
                code, func.__globals__, ()):
            return True
        return any(walk.object(v) for v in slots if v is not None)
    except _OverBudget:
        return True              # too much to look at: trace rather than guess
