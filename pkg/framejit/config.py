"""framejit.config: the one object of user-settable options, validated on assignment.

Environment variables are read here and nowhere else: ``FRAMEJIT_DISABLE=1`` sets
``disable``; ``FRAMEJIT_LOGS`` (comma-separated log names) is kept in ``env_logs`` for
``debug.py`` to apply at import; ``OMP_NUM_THREADS`` bounds the default thread count.
Options that live in an extension (the output cache's bounds) are mirrored into it by
``_native`` through ``_bind_mirror``.
"""
import os


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"framejit.config.{name} must be a positive int, got {value!r}")
    return value


def _boolean(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"framejit.config.{name} must be True or False, got {value!r}")
    return value


def _nonnegative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"framejit.config.{name} must be an int >= 0, got {value!r}")
    return value


def _threads(name, value):
    return None if value is None else _positive_int(name, value)


def _default_threads():
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


_FIELDS = {
    # name: (validator, default factory, doc)
    "cache_size_limit": (_positive_int, lambda: 8,
                         "compiled entries per code object before it runs unoptimized"),
    "num_threads": (_threads, _default_threads,
                    "threads the kernel library may use (None: what OpenMP reports)"),
    "output_cache_bytes": (_nonnegative_int, lambda: 256 << 20,
                           "bytes of freed large kernel outputs kept for reuse (0: none)"),
    "output_cache_per_size": (_nonnegative_int, lambda: 4,
                              "freed kernel outputs of one size class kept for reuse"),
    "disable": (_boolean, lambda: os.environ.get("FRAMEJIT_DISABLE", "") == "1",
                "True turns compile and every marker into a no-op: plain Python"),
}


class Config:
    """Validated options; assign attributes to change them (``config.disable = True``)."""
    __slots__ = tuple(_FIELDS) + ("env_logs",)

    def __init__(self):
        for name, (_, default, _doc) in _FIELDS.items():
            object.__setattr__(self, name, default())
        object.__setattr__(self, "env_logs", tuple(
            s.strip() for s in os.environ.get("FRAMEJIT_LOGS", "").split(",") if s.strip()))

    def __setattr__(self, name, value):
        if name not in _FIELDS:
            raise AttributeError(f"framejit.config has no option {name!r}; options: {sorted(_FIELDS)}")
        object.__setattr__(self, name, _FIELDS[name][0](name, value))
        if name == "disable":
            for listener in _on_disable:
                listener(value)
        if name in _mirrors:
            _mirrors[name](value)

    def __repr__(self):
        body = ", ".join(f"{k}={getattr(self, k)!r}" for k in _FIELDS)
        return f"framejit.config({body})"

    def describe(self):
        return {k: (getattr(self, k), doc) for k, (_, _, doc) in _FIELDS.items()}


_on_disable = []     # callbacks(value): the C wrappers' mirror (framejit._native) and
                     # framejit.install()'s global entry (wholeprogram.py)
_mirrors = {}        # option name -> callback(value) that mirrors it into an extension


def _bind_disable_mirror(callback):
    """Call ``callback(value)`` now and whenever ``disable`` is set."""
    _on_disable.append(callback)
    callback(config.disable)


def _bind_mirror(name, callback):
    """Call ``callback(value)`` now and whenever option ``name`` is set."""
    _mirrors[name] = callback
    callback(getattr(config, name))


config = Config()
