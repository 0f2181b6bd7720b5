"""Timing helpers for framejit's benchmarks: medians of repeats (after warm-up), with the
number of inner calls chosen so one sample lasts long enough to time, and a markdown
table printer. No framejit imports: benchmarks pass plain callables."""
import statistics
import time

MIN_SAMPLE_S = 0.02


def measure(fn, repeats=7, warmup=2, min_sample_s=MIN_SAMPLE_S):
    """Median seconds per call of fn() over `repeats` samples."""
    for _ in range(warmup):
        fn()
    number = 1
    while True:
        t = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t
        if dt >= min_sample_s or number >= 1 << 20:
            break
        number *= 2 if dt <= 0 else max(2, min(10, int(min_sample_s / dt) + 1))
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t) / number)
    return statistics.median(samples)


def fmt_time(s):
    if s is None:
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    return f"{s * 1e3:.3f} ms"


def markdown_table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)
