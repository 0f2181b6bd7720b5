"""``python -m framejit demo`` and ``python -m framejit info``."""
import sys


def demo():
    import time
    import numpy as np
    import framejit as fj
    from framejit import _native

    ef = _native._evalframe

    def softmax_rows(x):
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    compiled = fj.compile(softmax_rows)
    x = np.random.default_rng(0).standard_normal((256, 1024))
    print("framejit demo -", fj.build_info())
    print(f"hook installed before the call: {ef.is_installed()}")
    t0 = time.perf_counter()
    out = compiled(x)
    t1 = time.perf_counter()
    out2 = compiled(x)
    t2 = time.perf_counter()
    print(f"hook installed after the call:  {ef.is_installed()} (only while compiled code runs)")
    ok = np.array_equal(out, softmax_rows(x)) and np.array_equal(out2, out)
    print(f"results equal plain NumPy: {ok}")
    for i, entry in enumerate(ef.cache_entries(softmax_rows.__code__)):
        print(f"cache entry {i}: {entry['info']}, hits={entry['hits']}, mode_key={entry['mode_key']}")
    print(f"first call (miss, convert): {1e3 * (t1 - t0):.2f} ms; second call (hit): {1e3 * (t2 - t1):.2f} ms")
    print(f"counters: {ef.stats()}")
    return 0 if ok else 1


def info():
    import framejit as fj
    for k, v in fj.build_info().items():
        print(f"{k}: {v}")
    return 0


COMMANDS = {"demo": demo, "info": info}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m framejit {{{','.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]]()


if __name__ == "__main__":
    sys.exit(main())
