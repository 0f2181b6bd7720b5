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


def test_generator_mixes_in_control_flow_and_scalars():
    """The newer constructs show up with realistic frequency (a census over seeds)."""
    import collections
    seen = collections.Counter()
    for s in range(300):
        prog = P.random_program(s)
        kinds = {st.kind for f in prog.functions() for st in P.walk(f.body)}
        texts = " ".join(st.text for f in prog.functions() for st in P.walk(f.body))
        seen.update(kinds)
        seen["scalars"] += bool(prog.scalars)
        seen["float32"] += any(c.dtype == "float32" for c in prog.call_list())
        seen["new values"] += len({c.scalars for c in prog.call_list()}) > 1
        seen["enumerate"] += "enumerate(" in texts
        seen["break/continue"] += any(st.kind == "loopctl" for f in prog.functions()
                                      for st in P.walk(f.body))
    for kind in ("try", "except", "ctx", "while", "forx", "closure", "acc", "tofloat",
                 "scalars", "float32", "new values", "enumerate", "break/continue"):
        assert seen[kind] >= 15, (kind, seen)


def _model_outcome(source_body, flags=()):
    """Run a hand-written root through the oracle's model (a check of the checker)."""
    import numpy as np
    src = P.HEADER.format(fj_import="_M = globals()['_M']", backend="eager", flag=True,
                          brk_enter="_M.brk(9001)", brk_exit="_M.brk(9002)")
    src += source_body + "\n\ndef entry(x, y):\n    return root(x, y)\n"
    model = P.Model()
    ns = {"_M": model}
    exec(compile(src, "<model>", "exec"), ns)
    x, y = np.ones((4, 5)), np.ones(5)
    model.ns, model.inputs = ns, (x, y)
    model.segment_start = model.snapshot()
    try:
        ns["entry"](x, y)
        kind = "return"
    except P.ModelBreak as mb:
        kind = ("break", mb.site)
    return kind, list(ns["LOG"])


def test_oracle_rolls_back_the_raising_segment_through_handlers():
    """A forbidden break raises before its segment runs: the finally bodies and
    __exit__s it passes through (in the compiled frame) leave no effects, also when one
    of them raises a user exception instead."""
    kind, log = _model_outcome('''
@_M.compile(False)
def root(x, y):
    LOG.append("before")
    _M.brk(1)                       # allowed
    LOG.append("seg2")
    try:
        with Ctx("c"):
            with _M.ctx("eogb", True):
                _M.brk(2)           # forbidden
    finally:
        LOG.append("finally")
        raise UserError("replaced")
    return x
''')
    assert kind == ("break", 2) and log == ["before"]


def test_oracle_lets_plain_frames_handle_an_escaped_graph_break_error():
    """Past the compiled frame that raised it, a GraphBreakError is an ordinary
    exception: the handlers of a disabled caller and of the traced frame around that
    call run (a new segment after the disabled call's break)."""
    kind, log = _model_outcome('''
@_M.compile(True)
def inner(a):
    LOG.append("inner")
    _M.brk(3)                       # forbidden: raised out of inner's call
    return a


def plain(a):
    try:
        return inner(a)
    finally:
        LOG.append("plain finally")


@_M.compile(False)
def root(x, y):
    try:
        _M.dcall(4, plain, x)       # allowed break: a disabled call
    finally:
        LOG.append("root finally")
    return x
''')
    assert kind == ("break", 3) and log == ["plain finally", "root finally"]
