"""Resume functions (trace/resume.py) and break runners (trace/breakgen.py) as code.

Resume functions are copies of the original code with a prologue: called with the live
values they continue the frame exactly; they keep the user's filename, name and lines;
they are cached per Level so converging paths and loop iterations share one code object.
"""
import dis

import numpy as np

import framejit as fj
from framejit._native import _evalframe as ef
from framejit.bytecode.instructions import decode
from framejit.trace import resume
from framejit.trace.breakgen import is_runner
from framejit.trace.resume import Level, resume_code


def _after(code, opname, nth=0):
    hits = [i for i in decode(code).instructions if i.opname == opname]
    return decode(code).instructions[hits[nth].index + 1]


def _fn(x, k):
    y = x * k
    z = len([y])            # resume right after this CALL, with z on the stack
    return y + z + k


def test_resume_function_continues_the_frame():
    code = _fn.__code__
    target = _after(code, "CALL", 0)     # STORE_FAST z, the call's result on the stack
    level = Level(code, target.offset, (False,), ("k", "y"))
    rc = resume_code(level)
    fn = type(_fn)(rc, _fn.__globals__)
    assert fn(3, 10, 2) == 10 + 2 + 3
    assert rc.co_filename == code.co_filename and rc.co_name == code.co_name
    assert rc.co_varnames[:3] == ("k", "y", "__fj_s0")
    assert resume_code(Level(code, target.offset, (False,), ("k", "y"))) is rc


def test_resume_keeps_line_numbers():
    code = _fn.__code__
    target = _after(code, "CALL", 0)
    rc = resume_code(Level(code, target.offset, (False,), ("k", "y")))
    lines = {i.positions.lineno for i in dis.get_instructions(rc) if i.positions}
    assert set(l for _, _, l in code.co_lines() if l) <= lines


def _loop(x):
    for i in range(4):
        x = x + i
        fj.graph_break()
        x = x * 2
    return x


def test_loop_iterations_share_resume_functions():
    before = sum(len(v) for v in resume._CACHE.values())
    f = fj.compile(_loop, backend="eager")
    x = np.ones(3)
    expected = x.copy()
    for i in range(4):
        expected = (expected + i) * 2
    np.testing.assert_array_equal(f(x), expected)
    made = sum(len(v) for v in resume._CACHE.values()) - before
    assert 1 <= made <= 3, made  # one per break site and loop head, not per iteration


def test_break_runner_is_never_traced():
    def g(x):
        y = x + 1
        fj.graph_break()
        return y

    fj.compile(g)(np.ones(2))
    # only this test's runners: reset() also clears markers of other tests' dead entries
    runners = [c for c in ef.cached_codes() if is_runner(c) and c.co_name == "g"
               and c.co_filename == g.__code__.co_filename
               and c.co_firstlineno == g.__code__.co_firstlineno]
    assert runners and all(ef.cache_action(c) == "skip" for c in runners)


def _with_try(x):
    total = 0
    try:
        with open(__file__) as fh:
            fj.graph_break()
            total += len(fh.readline())
    finally:
        total += 1
    return x + total


def test_resume_inside_with_and_try_ranges_assembles_and_runs():
    np.testing.assert_array_equal(fj.compile(_with_try)(np.ones(2)), _with_try(np.ones(2)))
