"""Resume functions (trace/resume.py) and break runners (trace/breakgen.py) as code.

Resume functions are copies of the original code with a prologue: called with the live
values they continue the frame exactly; they keep the user's filename, name and lines;
they are cached per Level so converging paths and loop iterations share one code object.
"""
import dis
import sys

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
    assert fn(3, 10, 2, False) == 10 + 2 + 3
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


# ---------------------------------------------------------------- handler bodies


def _in_handler(x):
    try:
        raise ValueError("h")
    except ValueError:
        y = len([x])          # resume right after this CALL, inside the handler
        return sys.exc_info()[1], y


def test_resume_function_re_enters_the_handler():
    """Layout: the handler's slot (``except E:`` popped the exception itself) and a
    value. The prologue raises the handled exception into PUSH_EXC_INFO, so
    sys.exc_info() and the saved slot are CPython's own (the caller's handled exception
    is back after the return); the exception's traceback and context are kept."""
    from framejit.trace import excstate
    code = _in_handler.__code__
    target = _after(code, "CALL", 1)     # after len([x]) (CALL 0 is ValueError("h"))
    level = Level(code, target.offset, (excstate.PREV, False), ("x",))
    rc = resume_code(level)
    assert rc.co_varnames[:3] == ("x", "__fj_s1", "__fj_e0")
    fn = type(_in_handler)(rc, _in_handler.__globals__)
    try:
        raise KeyError("real")
    except KeyError as e:
        exc = e
        tb, ctx = exc.__traceback__, exc.__context__
        caller = RuntimeError("caller's")
        try:
            raise caller
        except RuntimeError:
            seen, y = fn(1, 7, exc, False)
            assert sys.exc_info()[1] is caller      # left as the caller had it
    assert seen is exc and y == 7
    assert exc.__traceback__ is tb and exc.__context__ is ctx
    assert sys.exc_info() == (None, None, None)


def test_target_layout_keeps_the_handler_slot_at_a_branch():
    """A data-dependent branch inside a handler pops only its condition: the handler
    slot below stays a slot on both edges (not a value)."""
    from framejit.trace import excstate
    from framejit.trace.breakgen import targets_of
    from framejit.trace.result import FrameState, RConst, RExcPrev

    def f(x):
        try:
            raise ValueError
        except ValueError:
            if x:
                return 1
            return 2

    jump = next(i for i in decode(f.__code__).instructions if i.opname.startswith("POP_JUMP"))
    fs = FrameState(f.__code__, jump.offset, jump.lineno, (RExcPrev(), RConst(True)), (), (),
                    ())
    _, _, targets = targets_of(fs)
    assert len(targets) == 2
    assert all(t.layout == (excstate.PREV,) for t in targets)


_BIG_SRC = """
import framejit as fj

def big(x):
    try:
        raise ValueError("big")
    except ValueError:
        if x is not None:
            a = [%s]
        fj.graph_break()
        x = x + len(a)
    return x
""" % ", ".join(["x"] * 300)
_BIG_NS = {}
exec(compile(_BIG_SRC, "<big>", "exec"), _BIG_NS)
_big = _BIG_NS["big"]


def test_code_with_extended_args_resumes():
    """dis keeps EXTENDED_ARG as an instruction: the copies drop it (the assembler
    re-derives it), and origins map through the longer generated code."""
    assert any(i.opname == "EXTENDED_ARG" for i in dis.get_instructions(_big.__code__))
    f = fj.compile(_big, backend="eager")
    for _ in range(2):
        np.testing.assert_array_equal(f(np.ones(2)), _big(np.ones(2)))
    assert all(e["info"].kind == "break" for e in ef.cache_entries(_big.__code__))
