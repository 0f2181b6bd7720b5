"""Bytecode layer: decode -> assemble round trip, jump targets, liveness, stack depth."""
import dis
import json
import textwrap
import types

import pytest

from framejit.bytecode import compat
from framejit.bytecode.analysis import jump_targets, live_locals, stack_depths
from framejit.bytecode.assemble import assemble
from framejit.bytecode.instructions import Instruction, copy_instructions, decode


def loops(xs, n=3, *rest, k=1, **kw):
    total = 0
    for i, x in enumerate(xs):
        if i % 2 and x:
            total += x * k
        elif x is None:
            continue
        else:
            break
    while n > 0:
        n -= 1
    return total, [y for y in rest if y], {a: b for a, b in kw.items()}


def handlers(path):
    def inner():
        return path
    try:
        with open(path) as fh:
            data = fh.read()
    except (OSError, ValueError) as e:
        data = str(e)
    finally:
        path = None
    return data, inner


def closures(a):
    b = a + 1

    def f(c):
        nonlocal b
        b += c
        return a + b
    return f(2), (lambda: b)()


def calls(obj, *a, **k):
    obj.m(*a, **k)
    import math
    from os import path
    return max(a, key=lambda v: -v, default=0), math.pi, path.sep, f"{obj!r:>10}"


SAMPLES = [loops, handlers, closures, calls, json.dumps, textwrap.dedent, dis.dis]


def _stream(code):
    return [(i.opname, i.argval, i.positions) for i in dis.get_instructions(code)]


@pytest.mark.parametrize("fn", SAMPLES, ids=lambda f: f.__name__)
def test_round_trip(fn):
    """Same instructions, arguments, positions and exception table; byte-identical when the
    compiler's constant order is the order of first use (our own samples)."""
    code = fn.__code__
    insts, table = copy_instructions(decode(code))
    new = assemble(insts, table, like=code)
    assert _stream(new) == _stream(code)
    assert [(e.start, e.end, e.target, e.depth, e.lasti) for e in dis.Bytecode(new).exception_entries] \
        == [(e.start, e.end, e.target, e.depth, e.lasti) for e in dis.Bytecode(code).exception_entries]
    if fn.__module__ == __name__:
        assert new.co_code == code.co_code and new.co_exceptiontable == code.co_exceptiontable
    assert (new.co_filename, new.co_name, new.co_firstlineno, new.co_qualname) == (
        code.co_filename, code.co_name, code.co_firstlineno, code.co_qualname)
    assert new.co_stacksize == code.co_stacksize
    # the library keeps the arguments and every local the instructions use
    assert set(new.co_varnames) <= set(code.co_varnames)
    assert new.co_varnames[:code.co_argcount] == code.co_varnames[:code.co_argcount]


def test_round_tripped_code_runs():
    code = assemble(*copy_instructions(decode(loops.__code__)), like=loops.__code__)
    fn = types.FunctionType(code, loops.__globals__, "loops", loops.__defaults__)
    fn.__kwdefaults__ = loops.__kwdefaults__
    assert fn([1, 2, 3, 0], 2, 1, 0, k=2, z=1) == loops([1, 2, 3, 0], 2, 1, 0, k=2, z=1)


def test_decode_targets_and_handlers():
    d = decode(handlers.__code__)
    by_offset = d.by_offset
    for inst in d.instructions:
        if inst.is_jump:
            assert inst.target is by_offset[inst.argval]
    assert d.exception_table and all(e.target in d.instructions for e in d.exception_table)
    covered = [i for i in d.instructions if i.handler is not None]
    assert covered and all(i.handler.start.index <= i.index <= i.handler.end.index
                           for i in covered)
    targets = jump_targets(d.instructions, d.exception_table)
    assert {e.target for e in d.exception_table} <= targets
    assert decode(handlers.__code__) is d, "decoding is cached per code object"


def test_kw_names_and_load_global_are_normalised():
    def f(x):
        return g(x, axis=0)  # noqa: F821
    ops = {i.opname: i.argval for i in decode(f.__code__).instructions}
    assert ops["LOAD_GLOBAL"] == (True, "g")
    assert ops.get("KW_NAMES", ("axis",)) == ("axis",)


def test_liveness():
    def f(a, b, c):
        x = a + 1
        if b:
            y = x
        else:
            y = c
        del a
        return y
    insts = decode(f.__code__).instructions
    live = live_locals(insts)
    assert live[0] == {"a", "b", "c"}
    at = {i.offset: l for i, l in zip(insts, live)}
    stores = [i for i in insts if i.opname == "STORE_FAST" and i.argval == "x"]
    after_x = insts[stores[0].index + 1]
    assert at[after_x.offset] == {"x", "b", "c", "a"}, "del a needs a bound a"
    ret = [i for i in insts if i.opname == "RETURN_VALUE"][0]
    assert at[ret.offset] == frozenset()
    loads_y = [i for i in insts if i.opname == "LOAD_FAST" and i.argval == "y"][0]
    assert at[loads_y.offset] == {"y"}


@pytest.mark.parametrize("fn", SAMPLES, ids=lambda f: f.__name__)
def test_stack_depths_within_stacksize(fn):
    d = decode(fn.__code__)
    depths = stack_depths(d.instructions, d.exception_table)
    reached = [x for x in depths if x is not None]
    assert reached and max(reached) <= fn.__code__.co_stacksize
    assert depths[0] == 0


def test_generated_instructions_assemble():
    insts = [Instruction(op, arg) for op, arg in (
        *compat.emit_resume(), *compat.emit_push_null(), *compat.emit_load_global("len"),
        ("LOAD_FAST", "x"), *compat.emit_call(1), ("LOAD_CONST", 2), ("BINARY_OP", "*"),
        *compat.emit_return_value())]
    code = assemble(insts, (), like=loops.__code__, argcount=1, kwonlyargcount=0,
                    posonlyargcount=0, argnames=["x"], flags=0x3, cellvars=[], freevars=[])
    fn = types.FunctionType(code, {"len": len})
    assert fn([1, 2, 3]) == 6
    assert code.co_filename == loops.__code__.co_filename


def test_compat_flags_and_symbols():
    assert compat.PY311 or compat.PY312
    assert compat.NB_SYMBOLS[0] == "+" and "+=" in compat.NB_SYMBOLS
    assert compat.CMP_SYMBOLS == tuple(dis.cmp_op)
