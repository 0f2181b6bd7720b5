"""A long fuzzing campaign without pytest: random programs by seed, over all cores.

    PYTHONPATH=pkg python tests/fuzz/campaign.py --programs 100000 --jobs 2 --start 0

Mixes (--mix): "default" is what tests/fuzz draws; "calls" makes 3-12 compiled calls per
program, every root with int/float parameters (recompiles, automatic dynamic ints/floats,
cache_size_limit 8); "flow" leans on
the control-flow constructs (try/except/finally, context managers, while loops,
closures) with 3-12 calls; "dyn" is "calls" with mostly lenient roots, the control
flow twice as often and cache_size_limit 8 (long runs of recompiles and resumes);
"legacy" switches the newer constructs off.

Each seed is a program from framejit.testing.programs.random_program (the same
generator the hypothesis strategies drive). Failures that a known bug does not explain
(tests/fuzz/known_bugs.py) are shrunk by delta debugging on the program AST and written
as standalone Python files to --out (default tests/fuzz/failures/). Prints progress and
a summary; the exit status is 1 when something failed.
"""
import argparse
import collections
import multiprocessing
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))          # tests.fuzz.known_bugs
sys.path.insert(0, os.path.join(HERE, "..", "..", "pkg"))   # framejit (in-place build)


MIXES = {
    "default": {},
    "calls": {"max_calls": 12, "cache_limits": (8, 64), "scalar_chance": 100,
              "bound_chance": 60},
    "flow": {"max_calls": 12, "cache_limits": (8,), "max_nesting": 3, "flow_weight": 3},
    "dyn": {"max_calls": 12, "cache_limits": (8,), "scalar_chance": 100, "bound_chance": 60,
            "strict_chance": 10, "flow_weight": 2},
    "legacy": {"handlers": False, "loops": False, "scalars": False, "closures": False,
               "max_calls": 3, "dtypes": ("float64",), "cache_limits": (64,)},
}


def _work(args):
    start, stop, out, shrink, sizes = args
    from framejit.testing.programs import (InvalidProgram, check_program, random_program,
                                           shrink_program, standalone)
    from tests.fuzz.known_bugs import GENERATOR_OPTIONS, known_bug
    stats = collections.Counter()
    for seed in range(start, stop):
        prog = random_program(seed, **sizes, **GENERATOR_OPTIONS)
        try:
            problems, info = check_program(prog)
        except InvalidProgram as exc:
            stats["invalid (fuzzer bug)"] += 1
            with open(os.path.join(out, f"invalid_{seed}.txt"), "w") as fh:
                fh.write(str(exc))
            continue
        except Exception:
            stats["harness crash"] += 1
            with open(os.path.join(out, f"crash_{seed}.txt"), "w") as fh:
                fh.write(traceback.format_exc())
            continue
        stats["programs"] += 1
        if info.get("kernels_rounding"):
            stats["excused: kernels rounding (eager exact)"] += 1
        if not problems:
            continue
        bug = known_bug(prog, problems, info)
        if bug:
            stats[f"known: {bug}"] += 1
            with open(os.path.join(out, "known.txt"), "a") as fh:   # for spot checks
                fh.write(f"{seed}\t{bug}\t{problems[0].splitlines()[0][:200]}\n")
            continue
        stats["FAILED"] += 1
        if shrink:
            prog, problems = shrink_program(prog, problems)
            _, info = check_program(prog)
        with open(os.path.join(out, f"program_seed{seed}.py"), "w") as fh:
            fh.write(standalone(prog, problems, info))
        print(f"seed {seed}: FAILED -> {out}/program_seed{seed}.py: {problems[0][:160]}",
              flush=True)
    return stats


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--programs", type=int, default=10_000)
    ap.add_argument("--start", type=int, default=0, help="first seed")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--chunk", type=int, default=500)
    ap.add_argument("--out", default=os.path.join(HERE, "failures"))
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--big", action="store_true",
                    help="larger programs (6 statements per block, nesting 3)")
    ap.add_argument("--mix", choices=sorted(MIXES), default="default")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    sizes = {"max_stmts": 6, "max_nesting": 3} if a.big else {}
    sizes.update(MIXES[a.mix])
    chunks = [(s, min(s + a.chunk, a.start + a.programs), a.out, not a.no_shrink, sizes)
              for s in range(a.start, a.start + a.programs, a.chunk)]
    total = collections.Counter()
    t0 = time.time()
    with multiprocessing.get_context("spawn").Pool(a.jobs) as pool:
        for stats in pool.imap_unordered(_work, chunks):
            total.update(stats)
            print(f"[{time.time() - t0:7.0f}s] {dict(total)}", flush=True)
    print("summary:", dict(total))
    return 1 if total["FAILED"] or total["invalid (fuzzer bug)"] else 0


if __name__ == "__main__":
    sys.exit(main())
