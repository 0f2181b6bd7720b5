"""A backend that counts graphs compiled and graphs run.

The wrapper it returns is defined here, inside framejit's package, on purpose: code of
framejit itself is never traced by the frame hook, so counting does not change what is
compiled.
"""
from .. import backends as _backends


class CountingBackend:
    """``backend(graph, example_inputs)`` that records graphs and counts their runs.

    ``base`` is a backend name ("eager", "kernels") or a backend callable.
    """

    def __init__(self, base="eager"):
        self.base_name = base if isinstance(base, str) else getattr(base, "__name__", repr(base))
        self.base = _backends.by_name(base) if isinstance(base, str) else base
        self.graphs = []
        self.runs = 0

    def reset_runs(self):
        self.runs = 0

    def __call__(self, graph, example_inputs):
        self.graphs.append(graph)
        fn = self.base(graph, example_inputs)
        counter = self

        def run(*args, **kwargs):
            counter.runs += 1
            return fn(*args, **kwargs)

        return run

    def __repr__(self):
        return f"CountingBackend({self.base_name!r}, graphs={len(self.graphs)}, runs={self.runs})"
