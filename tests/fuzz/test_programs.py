"""Differential fuzzing of graph-break semantics: random programs vs SEMANTICS.md.

Each generated program is run in the oracle's model (plain Python with a model mode stack,
framejit.testing.programs), plainly with framejit.config.disable = True, and compiled:
twice (cache hit) and once with another input shape (recompile). See docs/fuzzing.md.
"""
from hypothesis import given, reject, seed

import framejit
from framejit.testing import programs as P
from framejit.testing.strategies import programs

from .budget import PROGRAMS, PROGRAM_SHARDS, SEED, fuzz_settings, report_failure
from .known_bugs import GENERATOR_OPTIONS, INCLUDE_KNOWN, known_bug


def check(prog):
    problems, info = P.check_program(prog, unique_code=not INCLUDE_KNOWN)
    if problems and known_bug(prog, problems, info):
        reject()
    if problems:
        text = P.standalone(prog, problems, info)
        raise AssertionError(report_failure("program", text) + "\n" + "\n".join(problems))


def _make_shard(k):
    @seed(1_000_003 * (SEED + 1) + k)
    @fuzz_settings(PROGRAMS // PROGRAM_SHARDS + (k < PROGRAMS % PROGRAM_SHARDS))
    @given(prog=programs(**GENERATOR_OPTIONS))
    def test(prog):
        check(prog)

    test.__name__ = f"test_programs_shard_{k}"
    return test


for _k in range(PROGRAM_SHARDS):
    globals()[f"test_programs_shard_{_k}"] = _make_shard(_k)


def test_oracle_examples_from_semantics():
    """The oracle reproduces SEMANTICS.md §2's table (a check of the checker)."""
    m = P.Model()
    cases = [
        ([("compile", True)], True),
        ([("compile", True), ("eogb", False)], True),
        ([("compile", True), ("setfg", False)], False),
        ([("compile", True), ("compile", False)], True),
        ([("compile", False), ("compile", True)], True),
        ([("eogb", True), ("compile", False), ("eogb", False)], False),
        ([("eogb", True), ("compile", False), ("compile", False)], True),
        ([("eogb", True), ("compile", False)], True),
        ([("compile", False)], False),
        ([("setfg", True), ("compile", False)], True),
        ([("compile", False), ("setfg", True), ("eogb", False)], True),
    ]
    for stack, raises in cases:
        m.stack = list(stack)
        assert m.traced()
        assert m.raises() == raises, stack
    m.stack = [("compile", True), ("disable",)]
    assert not m.traced()
    m.stack = [("compile", True), ("disable",), ("compile", False)]
    assert m.traced() and m.raises()


def test_generated_programs_are_valid_python():
    """A quick sanity pass without hypothesis: programs render and run plainly."""
    for s in range(40):
        prog = P.random_program(s)
        for flavour in ("real", "model"):
            src, _ = P.render(prog, flavour)
            compile(src, "<fuzz>", "exec")
        framejit.reset()
        out = P.run_model(prog, P.ROWS[0])
        assert out.kind != "error", out.detail
