"""Known framejit bugs the fuzzers would otherwise find again and again.

Each one has a minimal regression test in tests/e2e/test_fuzz_regressions.py (xfail
strict). While a bug is open, the program fuzz either avoids generating it (a generator
switch) or recognises its failures here and discards the example (hypothesis.reject).
Set FRAMEJIT_FUZZ_KNOWN_BUGS=1 to stop avoiding them (e.g. to check a fix).
"""
import os

from framejit.testing.programs import walk

INCLUDE_KNOWN = os.environ.get("FRAMEJIT_FUZZ_KNOWN_BUGS") == "1"

# Generator switches that avoid open bugs (none at the moment).
GENERATOR_OPTIONS = {}

# Intermittent, not minimised: when two programs in one process have code objects that
# compare equal (code objects compare by value, not filename), the second one sometimes
# fails inside framejit (KeyError in trace/modeops.pop_mode) and every later compiled
# call in the process resolves modes wrongly (fullgraph roots run no graph, forbidden
# breaks stop raising). check_program(unique_code=True) avoids equal code objects.

_BREAKING = ("break", "print", "ifarr")


def _relaxing(prog):
    """Some error_on_graph_break(False) / set_fullgraph(False) region in the program."""
    relax = {("eogb", False), ("setfg", False)}
    if prog.outer and (prog.outer[1], prog.outer[2]) in relax:
        return True
    for f in prog.functions():
        if f.deco in relax or any(s.kind == "with" and s.value in relax for s in walk(f.body)):
            return True
    return False


def known_bug(prog, problems, info):
    """The name of the known bug that explains `problems`, or None."""
    if INCLUDE_KNOWN:
        return None
    expected = list(info.get("expected", {}).values())
    # test_effects_after_a_relaxed_break_run_before_a_forbidden_break,
    # test_effects_after_a_nested_relaxed_break_run_before_a_forbidden_break
    if _relaxing(prog) and any(o.kind == "break" for o in expected):
        return "relaxed-region-effects-before-forbidden-break"
    return None
