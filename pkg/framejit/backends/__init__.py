"""framejit.backends: backend callables ``backend(graph, example_inputs) -> callable``.

``eager`` runs the graph node by node with NumPy (the reference). ``kernels`` (the
default) runs fusible groups as programs of the C kernel library and everything else
with NumPy in between (``backends/fused.py``).
"""
from . import reference
from . import fused

eager = reference.eager
kernels = fused.kernels

_BY_NAME = {"eager": eager, "kernels": kernels}


def by_name(name):
    """The built-in backend called ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown framejit backend {name!r}; built in: {sorted(_BY_NAME)}") from None


__all__ = ["eager", "kernels", "by_name"]
