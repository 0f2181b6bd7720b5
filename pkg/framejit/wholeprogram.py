"""Whole-program mode: ``framejit.install()`` / ``framejit.uninstall()``.

``install(fullgraph=, backend=, include=, exclude=)`` makes the *global entry* of the C
mode stack (include/framejit/modes.h) a ``compile(fullgraph)`` entry whose payload is an
``InstallOptions``. It is the outermost entry of every thread's stack, also of threads
started later, without being pushed on any (``_modes.depth()`` does not count it;
``_modes.stack()`` lists it first), and it keeps the frame hook installed. So every
function the hook sees is converted as if wrapped by ``compile(fn, fullgraph=,
backend=)``: same cache, guards, breaks and resume functions, same mode rules
(SEMANTICS.md §2; explicit ``compile``/``disable``/mode wrappers nest inside it).

Invariants:
- Without install() nothing here runs: the hook keeps its install-on-demand policy.
- install()'s rules apply only to frames whose innermost compile entry is the global
  one: which modules count as user code (``Scope``) and the install-skip policy of
  ``runtime.convert_installed`` (a frame whose trace has no graph runs as it is from
  then on under that mode). Explicitly compiled functions, and what runs under them,
  behave exactly as without install().
- install() replaces the settings of an earlier install(); when its include/exclude
  differ from the last ones it forgets every install-skip mark (marks made because a
  module was left out must not outlive the rule). uninstall() is idempotent and leaves
  compiled entries and marks in place (they act only under the global entry);
  ``framejit.reset()`` clears them but does not uninstall.
- ``config.disable`` (or ``FRAMEJIT_DISABLE=1``) suspends the global entry: install()
  then only records its settings, which take effect when ``disable`` is set to False.
- At interpreter exit (atexit) the global entry is removed, so that the hook does not
  call the converter while modules are being torn down.
- Each install()'s payload stays referenced for good (mode entries pushed while it was
  installed borrow it): a few hundred bytes per install() call.
"""
import atexit
import re
import sys

from . import _native
from .api import CompileOptions, _check_backend
from .config import _bind_disable_mirror, config
from .runtime import _library_module, is_user_code
from .trace.wrap import is_library_path

_modes = _native._modes
_ef = _native._evalframe

_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_NEVER_TRACED = ("framejit", "numpy")


def _matches(prefix, module):
    return module == prefix or module.startswith(prefix + ".")


class Scope:
    """Which functions install() compiles as frames of their own, by module name.

    A function's module is its globals' ``__name__``. A prefix matches that module and
    its submodules (``"pkg"`` matches ``pkg`` and ``pkg.sub``, not ``pkgx``). The
    longest prefix of ``include`` or ``exclude`` that matches decides (traced /
    not traced); with none matching, a function is traced when ``include`` is empty and
    it is user code by the default rule (``runtime.is_user_code``: not framejit, NumPy,
    the standard library or site-packages), where code compiled from a string (its file
    name ``<...>``) belongs to the file of its module: it is left out when that module
    is a library's or is not a loaded module at all (``namedtuple``'s generated
    ``__new__``, throwaway ``exec`` namespaces), traced for a user file or an
    interactive ``__main__``. framejit and NumPy are never traced.
    Functions inlined into a traced frame follow the tracer's own rule, whatever the
    scope: to keep a function out of every trace, use ``framejit.disable``.
    """
    __slots__ = ("include", "exclude", "_rules")

    def __init__(self, include, exclude):
        self.include = include
        self.exclude = exclude
        rules = [(p, True) for p in include] + [(p, False) for p in exclude]
        self._rules = sorted(rules, key=lambda rule: -len(rule[0]))

    def traces(self, code, module):
        """True when a frame of ``code`` running in module ``module`` is traced."""
        if _library_module(module):
            return False
        if isinstance(module, str):
            for prefix, traced in self._rules:
                if _matches(prefix, module):
                    return traced
        return not self.include and _default_user_code(code, module)

    def __repr__(self):
        return f"Scope(include={self.include!r}, exclude={self.exclude!r})"


def _default_user_code(code, module):
    """``Scope``'s default rule: ``is_user_code``, with code from a string judged by the
    file of the loaded module whose globals it runs in."""
    if not code.co_filename.startswith("<"):
        return is_user_code(code, module)
    loaded = sys.modules.get(module) if isinstance(module, str) else None
    if loaded is None:
        return False
    path = getattr(loaded, "__file__", None)
    if not isinstance(path, str):          # an interactive __main__: the user's
        return is_user_code(code, module)
    return not is_library_path(path)


class InstallOptions(CompileOptions):
    """install()'s settings: the payload of the global compile entry."""
    __slots__ = ("scope",)
    installed = True

    def __init__(self, fullgraph, backend, scope):
        super().__init__(None, fullgraph, backend)
        self.scope = scope

    def __repr__(self):
        return (f"InstallOptions(fullgraph={self.fullgraph}, backend={self.backend!r}, "
                f"include={self.scope.include!r}, exclude={self.scope.exclude!r})")


def _prefixes(name, value):
    """``include``/``exclude`` as a tuple of module-name prefixes."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"framejit.install({name}=...) expects a module name or a tuple of "
                        f"module names, got {value!r}")
    for prefix in value:
        if not _MODULE_NAME.match(prefix):
            raise ValueError(f"framejit.install({name}=...): {prefix!r} is not a dotted "
                             "module name such as 'mypkg' or 'mypkg.sub'")
    return tuple(dict.fromkeys(value))


def _options(fullgraph, backend, include, exclude):
    if not isinstance(fullgraph, bool):
        raise TypeError(f"fullgraph must be True or False, got {fullgraph!r}")
    _check_backend(backend)
    include, exclude = _prefixes("include", include), _prefixes("exclude", exclude)
    never = [p for p in include if any(_matches(n, p) for n in _NEVER_TRACED)]
    if never:
        raise ValueError(f"framejit.install(include=...): {never} cannot be traced; framejit "
                         "never traces its own or NumPy's Python code")
    both = sorted(set(include) & set(exclude))
    if both:
        raise ValueError(f"framejit.install(): {both} both included and excluded")
    return InstallOptions(fullgraph, backend, Scope(include, exclude))


_requested = None     # the InstallOptions of the last install(), None after uninstall()
_marked_under = None  # (include, exclude) that the install-skip marks were made under


def _apply(disabled=None):
    """Make the global entry match the request and config.disable."""
    disabled = config.disable if disabled is None else disabled
    if _requested is None or disabled:
        _modes.uninstall_global()
        return
    current = _modes.installed_global()
    if current is None or current[1] is not _requested.key:
        _modes.install_global(_requested.fullgraph, _requested.key)


def install(*, fullgraph=False, backend="kernels", include=None, exclude=None):
    """Compile every user function called from now on, as ``compile(fn, fullgraph=,
    backend=)`` would, on every thread. ``include``/``exclude``: module-name prefixes
    (a str or a tuple of str) that narrow or widen what counts as user code (``Scope``).
    Calling it again replaces the settings. A no-op while ``config.disable`` is set."""
    global _requested, _marked_under
    options = _options(fullgraph, backend, include, exclude)
    rule = (options.scope.include, options.scope.exclude)
    if rule != _marked_under:
        _ef.clear_install_skips()
        _marked_under = rule
    _requested = options
    _apply()


def uninstall():
    """Undo install() (idempotent). Compiled entries stay cached; explicitly compiled
    functions keep working."""
    global _requested
    _requested = None
    _apply()


def installed():
    """The settings in force (an ``InstallOptions``), or None when not installed or
    suspended by ``config.disable``."""
    current = _modes.installed_global()
    return None if current is None else current[1][1]


_bind_disable_mirror(lambda value: _apply(disabled=value))
atexit.register(_modes.uninstall_global)
