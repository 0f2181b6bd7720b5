"""Logs and reports: ``set_logs`` and the ``framejit`` loggers.

Records go to child loggers of ``framejit`` (``framejit.graph_breaks``,
``framejit.recompiles``, ``framejit.guards``, ``framejit.graph``, ``framejit.bytecode``)
and propagate to the root logger like any library's, so users' handlers and pytest's
``caplog`` see them. ``set_logs`` changes only the flags it is given, sets the loggers'
levels, and adds a stderr handler only when no handler is configured anywhere.
``FRAMEJIT_LOGS=graph_breaks,recompiles`` is applied at import (read by config).
"""
import logging

from .config import config

LOG_NAMES = ("graph_breaks", "recompiles", "guards", "graph", "bytecode")
_root = logging.getLogger("framejit")
_loggers = {name: logging.getLogger(f"framejit.{name}") for name in LOG_NAMES}
_enabled = dict.fromkeys(LOG_NAMES, False)
_stderr_handler = None


def set_logs(**flags):
    """Turn framejit's logs on or off: ``set_logs(graph_breaks=True, recompiles=True)``."""
    global _stderr_handler
    unknown = set(flags) - set(LOG_NAMES)
    if unknown:
        raise TypeError(f"set_logs() got unknown log names {sorted(unknown)}; "
                        f"known: {', '.join(LOG_NAMES)}")
    for name, on in flags.items():
        if not isinstance(on, bool):
            raise TypeError(f"set_logs({name}=...) expects True or False, got {on!r}")
        _enabled[name] = on
        _loggers[name].setLevel(logging.DEBUG if on else logging.NOTSET)
    if any(_enabled.values()):
        _root.setLevel(logging.DEBUG)
        if _stderr_handler is None and not _has_handlers():
            _stderr_handler = logging.StreamHandler()
            _stderr_handler.setFormatter(logging.Formatter("[%(name)s] %(message)s"))
            _root.addHandler(_stderr_handler)
    else:
        _root.setLevel(logging.NOTSET)


def _has_handlers():
    return bool(_root.handlers or logging.getLogger().handlers)


def enabled(name):
    return _enabled[name]


def log_break(graph_break, raised):
    if _enabled["graph_breaks"]:
        what = "raised" if raised else "graph_break"
        _loggers["graph_breaks"].debug("%s (%s):\n%s", what.replace("_", " "),
                                       graph_break.kind.value, graph_break.format())


def log_trace(result):
    for gb in result.breaks:
        log_break(gb, raised=False)
    if _enabled["graph"] and result.graph is not None:
        _loggers["graph"].debug("graph of %s:\n%s", result.code.co_name, result.graph)


def log_recompile(code, entries):
    if _enabled["recompiles"]:
        reasons = []
        for e in entries:
            g = e["guard"]
            failed = g.failed_description() if g is not None else None
            reasons.append(failed or "compiled under another mode or backend")
        _loggers["recompiles"].debug(
            "recompiling %s (%s:%d): %d entr%s failed: %s", code.co_name, code.co_filename,
            code.co_firstlineno, len(entries), "y" if len(entries) == 1 else "ies",
            "; ".join(reasons))


def log_dynamic(code, sources):
    if _enabled["recompiles"]:
        _loggers["recompiles"].debug(
            "%s (%s:%d): %s changed between calls; traced as dynamic from now on",
            code.co_name, code.co_filename, code.co_firstlineno,
            ", ".join(str(s) for s in sources))


def log_guards(code, guards):
    if _enabled["guards"]:
        body = "\n".join(f"  {g}" for g in guards) or "  (none)"
        _loggers["guards"].debug("guards of %s:\n%s", code.co_name, body)


if config.env_logs:
    set_logs(**{name: True for name in config.env_logs if name in LOG_NAMES})
