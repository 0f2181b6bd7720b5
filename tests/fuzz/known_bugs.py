"""Known framejit bugs the fuzzers would otherwise find again and again.

Each one has a minimal regression test in tests/e2e/test_fuzz_regressions.py (xfail
strict). While a bug is open, the program fuzz either avoids generating it (a generator
switch) or recognises its failures here and discards the example (hypothesis.reject).
Set FRAMEJIT_FUZZ_KNOWN_BUGS=1 to stop avoiding them (e.g. to check a fix).
"""
import os

INCLUDE_KNOWN = os.environ.get("FRAMEJIT_FUZZ_KNOWN_BUGS") == "1"

# Generator switches that avoid open bugs (none at the moment).
GENERATOR_OPTIONS = {}

# Intermittent, not minimised: when two programs in one process have code objects that
# compare equal (code objects compare by value, not filename), the second one sometimes
# fails inside framejit (KeyError in trace/modeops.pop_mode) and every later compiled
# call in the process resolves modes wrongly (fullgraph roots run no graph, forbidden
# breaks stop raising). check_program(unique_code=True) avoids equal code objects.

# Open bugs recognised from the oracle's model run (Outcome.flags, set by
# framejit.testing.oracle.Model) -> the regression tests that pin them down.
KNOWN = {}    # none open at the moment


def known_bug(prog, problems, info):
    """The name of the known bug that explains `problems`, or None."""
    if INCLUDE_KNOWN:
        return None
    # the model's flags of the calls up to the failing one (each call is checked in turn
    # and the check stops at the first one with problems)
    calls = prog.call_list()[:max(1, len(info.get("got", ())))]
    expected = info.get("expected", {})
    flags = set()
    for call in calls:
        flags |= set(getattr(expected.get(call), "flags", ()) or ())
    for flag, name in KNOWN.items():
        if flag in flags:
            return name
    return None
