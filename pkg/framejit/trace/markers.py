"""Recognition of framejit's own objects inside traced code (docs/internals.md, Markers).

By type or attribute, never by name: ``api.graph_break`` by identity, ``ModeContext`` and
``CustomOp`` by type, decorated wrappers by their ``__framejit_*__`` attribute. ``classify``
returns a ``Marker`` kind or None; ``api`` is imported lazily so that the trace layer
imports without the runtime. Classifying never runs user code: an object whose class
defines ``__getattribute__`` or ``__getattr__`` in Python (a proxy) has its ``__dict__``
read with ``object.__getattribute__`` (a user hook would be an effect of tracing).
"""
from __future__ import annotations

import enum
import types


class Marker(enum.Enum):
    GRAPH_BREAK = "graph_break"
    MODE_FACTORY = "mode_factory"          # error_on_graph_break / set_fullgraph
    MODE_DECORATED = "mode_decorated"      # wrapper with __framejit_mode__
    COMPILED = "compiled"                  # wrapper with __framejit_compile__
    DISABLED = "disabled"                  # wrapper with __framejit_disable__
    NONSTRICT = "nonstrict"                # wrapper with __framejit_nonstrict__
    NONSTRICT_FACTORY = "nonstrict_factory"  # framejit.nonstrict_trace itself
    CUSTOM_OP = "custom_op"
    MODE_CONTEXT = "mode_context"          # a ModeContext instance


_ATTRS = (
    ("__framejit_mode__", Marker.MODE_DECORATED),
    ("__framejit_compile__", Marker.COMPILED),
    ("__framejit_disable__", Marker.DISABLED),
    ("__framejit_nonstrict__", Marker.NONSTRICT),
)

_MISSING = object()
_by_identity: dict = {}
_by_type: dict = {}


def _load():
    if _by_identity or _by_type:
        return
    try:
        from .. import api
    except ImportError:  # the runtime is not built: nothing to recognise
        return
    _by_identity.update({
        id(api.graph_break): (api.graph_break, Marker.GRAPH_BREAK),
        id(api.error_on_graph_break): (api.error_on_graph_break, Marker.MODE_FACTORY),
        id(api.set_fullgraph): (api.set_fullgraph, Marker.MODE_FACTORY),
        id(api.nonstrict_trace): (api.nonstrict_trace, Marker.NONSTRICT_FACTORY),
    })
    _by_type.update({api.CustomOp: Marker.CUSTOM_OP, api.ModeContext: Marker.MODE_CONTEXT})


def _user_hooked(cls) -> bool:
    """``cls`` (or a base) defines attribute lookup in Python."""
    return any(isinstance(getattr(cls, hook, None), types.FunctionType)
               for hook in ("__getattribute__", "__getattr__"))


def _instance_dict(obj):
    """``obj.__dict__`` (None if it has none), read without running user code."""
    if _user_hooked(type(obj)):
        try:
            return object.__getattribute__(obj, "__dict__")
        except (AttributeError, TypeError):
            return None
    return getattr(obj, "__dict__", None)


def classify(obj):
    """The Marker for a framejit object, or None for anything else."""
    _load()
    hit = _by_identity.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    kind = _by_type.get(type(obj))
    if kind is not None:
        return kind
    d = _instance_dict(obj)
    if not d:
        return None
    present = [(attr, marker) for attr, marker in _ATTRS if attr in d]
    if not present:
        return None
    # functools.wraps copies the wrapped function's markers: the outermost wrapper's own
    # marker is the one whose value the wrapped object does not share.
    inner = getattr(d.get("__wrapped__"), "__dict__", {})
    for attr, marker in present:
        if inner.get(attr, _MISSING) is not d[attr]:
            return marker
    return present[0][1]


def mode_entry(obj):
    """The (kind, flag) mode entry a recognised wrapper pushes while it runs."""
    d = obj.__dict__
    if "__framejit_mode__" in d:
        return tuple(d["__framejit_mode__"])
    return ("compile", bool(d["__framejit_compile__"].fullgraph))
