"""The fuzzing budget and what to do with a failing case.

FRAMEJIT_FUZZ_EXAMPLES  number of generated programs (default 1600: with try/while/
                        closures/scalar parameters a program costs ~25% more than the
                        2000 of the older generator, which fit the same time); the
                        numerics fuzz draws half as many expression DAGs (each checked
                        on both backends), at least 1000 by default.
FRAMEJIT_FUZZ_SEED      shifts the seeds of every shard (default 0): a long campaign
                        uses a new seed per run to see new programs.
FRAMEJIT_FUZZ_SHARDS    number of test functions the budget is split over (default 8
                        for programs, 4 for expressions): xdist spreads them over cores.
FRAMEJIT_FUZZ_SAVE=1    write each minimised failure as a standalone Python file to
                        tests/fuzz/failures/ (it is always printed in the pytest report).
"""
import hashlib
import os

from hypothesis import HealthCheck, settings

HERE = os.path.dirname(os.path.abspath(__file__))
FAILURES = os.path.join(HERE, "failures")

PROGRAMS = int(os.environ.get("FRAMEJIT_FUZZ_EXAMPLES", "1600"))
EXPRESSIONS = max(PROGRAMS // 2, 1000 if "FRAMEJIT_FUZZ_EXAMPLES" not in os.environ else 1)
SEED = int(os.environ.get("FRAMEJIT_FUZZ_SEED", "0"))
PROGRAM_SHARDS = int(os.environ.get("FRAMEJIT_FUZZ_SHARDS", "8"))
EXPRESSION_SHARDS = max(1, PROGRAM_SHARDS // 2)


def fuzz_settings(examples):
    return settings(
        max_examples=max(1, examples),
        deadline=None,
        database=None,            # reproducible: no example database, a fixed @seed
        derandomize=False,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )


def is_final():
    """True while hypothesis replays the minimised failing example."""
    try:
        from hypothesis.control import current_build_context
        return bool(current_build_context().is_final)
    except Exception:
        return True


def report_failure(kind, text):
    """Print the standalone reproducer and, with FRAMEJIT_FUZZ_SAVE=1, write it to
    tests/fuzz/failures/. Returns the message for the assertion."""
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    where = ""
    if os.environ.get("FRAMEJIT_FUZZ_SAVE") == "1" and is_final():
        os.makedirs(FAILURES, exist_ok=True)
        path = os.path.join(FAILURES, f"{kind}_{digest}.py")
        with open(path, "w") as fh:
            fh.write(text)
        where = f"\n(written to {path})"
    return ("framejit fuzz failure; standalone reproducer follows" + where + "\n"
            + "=" * 70 + "\n" + text + "=" * 70)
