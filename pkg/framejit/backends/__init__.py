"""framejit.backends: backend callables ``backend(graph, example_inputs) -> callable``."""
from . import reference

eager = reference.eager

__all__ = ["eager"]
