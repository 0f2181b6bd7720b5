"""``python -m framejit demo``, ``python -m framejit info`` and
``python -m framejit run script.py [args...]``.

Every command is ``name(args) -> exit status`` in COMMANDS, ``args`` being the words
after its name.
"""
import os
import sys

USAGE = "usage: python -m framejit {demo | info | run script.py [args...]}"


def demo(args=()):
    """Intercept, trace, cache, break and explain: framejit end to end in one screen."""
    import time

    import numpy as np

    import framejit as fj
    from framejit import _native

    ef = _native._evalframe
    graphs = []

    def show(graph, example_inputs):
        graphs.append(graph)
        return fj.backends.by_name("kernels")(graph, example_inputs)

    def softmax_rows(x):
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    compiled = fj.compile(softmax_rows, fullgraph=True, backend=show)
    x = np.random.default_rng(0).standard_normal((256, 1024))
    print("framejit demo -", {k: v for k, v in fj.build_info().items() if k != "hook_installed"})
    t0 = time.perf_counter()
    out = compiled(x)
    t1 = time.perf_counter()
    out2 = compiled(x)
    t2 = time.perf_counter()
    ref = softmax_rows(x)
    ok = np.allclose(out, ref, rtol=1e-12, atol=0) and np.array_equal(out2, out)
    print(f"\n1. softmax_rows traced into {len(graphs)} graph:\n{graphs[0]}")
    entry = ef.cache_entries(softmax_rows.__code__)[0]
    print(f"\n2. cached with {len(entry['info'].guards)} guards: {', '.join(entry['info'].guards)}")
    print(f"   first call (trace + compile + run): {1e3 * (t1 - t0):.2f} ms; "
          f"second call (cache hit): {1e3 * (t2 - t1):.2f} ms; hits={entry['hits']}")
    print(f"   results equal plain NumPy: {ok}; hook installed now: {ef.is_installed()}")

    log = []

    def with_io(x):
        y = np.tanh(x) * 2
        log.append(float(y.sum()))          # float(array): a data-dependent graph break
        return y - 1

    report = fj.explain(with_io)(x)
    print(f"\n3. a graph break, explained: {report.graph_count} graphs, "
          f"{report.graph_break_count} break")
    for reason in report.break_reasons:
        print(f"   {reason}")
    try:
        fj.compile(with_io, fullgraph=True)(x)
    except fj.GraphBreakError as err:
        print(f"\n4. under fullgraph=True the same break raises GraphBreakError:\n{err}")
    return 0 if ok else 1


def info(args=()):
    import framejit as fj
    for k, v in fj.build_info().items():
        print(f"{k}: {v}")
    return 0


def run(args):
    """Run a script as ``python script.py args...`` would -- ``sys.argv``, ``__main__``,
    ``__file__`` and ``sys.path[0]`` (the script's directory) set as usual -- with
    ``framejit.install()`` in force. The module body itself runs as plain Python (module
    bodies are never compiled); the functions it calls are compiled. The script's
    ``sys.exit`` status and uncaught exceptions end the process as they would."""
    if not args:
        print(USAGE, file=sys.stderr)
        return 2
    import runpy

    import framejit as fj
    path = args[0]
    if not os.path.isfile(path):
        print(f"python -m framejit run: can't open file {path!r}", file=sys.stderr)
        return 2
    sys.argv = list(args)
    sys.path[:1] = [os.path.dirname(os.path.abspath(path))]
    fj.install()
    runpy.run_path(path, run_name="__main__")
    return 0


COMMANDS = {"demo": demo, "info": info, "run": run}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
