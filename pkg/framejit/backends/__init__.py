"""framejit.backends: backend callables ``backend(graph, example_inputs) -> callable``.

``eager`` runs the graph node by node with NumPy (the reference). ``kernels`` (the
default) maps to the fused kernel library once it lands; until then it is ``eager``.
"""
from . import reference

eager = reference.eager
kernels = reference.eager

_BY_NAME = {"eager": eager, "kernels": kernels}


def by_name(name):
    """The built-in backend called ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown framejit backend {name!r}; built in: {sorted(_BY_NAME)}") from None


__all__ = ["eager", "kernels", "by_name"]
