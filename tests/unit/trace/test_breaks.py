"""Graph breaks: structured kinds, the SEMANTICS.md §2 decision, messages with the user
stack, and the break point data an allowed break returns (the seam for resume functions)."""
import os

import numpy as np
import pytest

import framejit as fj
from framejit.trace.breaks import BreakKind, catalogue_markdown, would_raise
from framejit.trace.errors import GraphBreakError

from tracehelp import trace

X = np.arange(6.0)
STRICT = (("compile", True),)
LENIENT = (("compile", False),)


def _kind(fn, *args, modes=LENIENT):
    r = trace(fn, *args, modes=modes)
    assert r.break_at is not None, r.describe()
    return r.break_at.graph_break.kind


@pytest.mark.parametrize("stack, raises", [
    ((("compile", True),), True),
    ((("compile", True), ("error_on_graph_break", False)), True),
    ((("compile", True), ("set_fullgraph", False)), False),
    ((("compile", True), ("compile", False)), True),
    ((("compile", False), ("compile", True)), True),
    ((("error_on_graph_break", True), ("compile", False), ("error_on_graph_break", False)), False),
    ((("error_on_graph_break", True), ("compile", False), ("compile", False)), True),
    ((("error_on_graph_break", True), ("compile", False)), True),
    ((("compile", False),), False),
    ((("compile", False), ("set_fullgraph", True)), True),
])
def test_would_raise_follows_semantics_table(stack, raises):
    assert would_raise(stack) is raises


def _explicit(x):
    x = x + 1
    fj.graph_break("stop here")
    return x * 2


def test_graph_break_raises_under_fullgraph_with_full_message():
    with pytest.raises(GraphBreakError) as info:
        trace(_explicit, X, modes=STRICT)
    err = info.value
    text = str(err)
    assert err.kind == "graph_break_call" and "graph_break" in text and "stop here" in text
    assert os.path.basename(__file__) in text and 'fj.graph_break("stop here")' in text
    assert err.hint and err.user_stack[-1].function == "_explicit"
    assert isinstance(err, fj.GraphBreakError) and isinstance(err, RuntimeError)


def test_allowed_break_returns_graph_so_far_and_frames():
    r = trace(_explicit, X, modes=LENIENT)
    bp = r.break_at
    assert bp.graph_break.kind is BreakKind.GRAPH_BREAK_CALL and "CALL" in bp.instruction
    assert [n.op for n in r.graph.nodes] == ["add"]
    (frame,) = bp.frames
    assert frame.code is _explicit.__code__
    assert dict(frame.locals).keys() == {"x"}, "only live locals are kept"
    assert r.describe().startswith("break at CALL")


def _leaf(x):
    np.save("/nonexistent/never.npy", x)
    return x


def _middle(x):
    return _leaf(x * 3) - 1


def test_nested_user_stack_and_frames():
    with pytest.raises(GraphBreakError) as info:
        trace(lambda x: _middle(x + 5), X, modes=STRICT)
    stack = info.value.user_stack
    assert [f.function for f in stack] == ["<lambda>", "_middle", "_leaf"]
    assert stack[-1].line == 'np.save("/nonexistent/never.npy", x)'
    assert info.value.kind == "unsupported_call" and "np.save" in str(info.value)
    r = trace(lambda x: _middle(x + 5), X, modes=LENIENT)
    assert len(r.break_at.frames) == 3 and [n.op for n in r.graph.nodes] == ["add", "multiply"]


def _print(x):
    print(x)


def _float(x):
    return float(x.sum())


def _branch(x):
    if x.sum() > 0:
        return x
    return -x


@fj.disable
def _disabled(x):
    return x


def _gen(x):
    yield from (x,)          # yield from: not inlined (a plain yield is, trace/generators.py)


def _class_stmt(x):
    class Local:
        pass
    return x


@pytest.mark.parametrize("fn, kind", [
    (_print, BreakKind.UNSUPPORTED_CALL),
    (lambda x: open("/dev/null"), BreakKind.UNSUPPORTED_CALL),
    (_float, BreakKind.DATA_DEPENDENT),
    (lambda x: x.item() if False else x.tolist(), BreakKind.DATA_DEPENDENT),
    (lambda x: x[0].item(), BreakKind.DATA_DEPENDENT),
    (lambda x: bool(x[0]), BreakKind.DATA_DEPENDENT),
    (_branch, BreakKind.DATA_DEPENDENT),
    (lambda x: f"{x}", BreakKind.DATA_DEPENDENT),
    (lambda x: _disabled(x), BreakKind.DISABLED_CALL),
    (lambda x: list(_gen(x)), BreakKind.GENERATOR),
    (_class_stmt, BreakKind.UNSUPPORTED_BYTECODE),
    (lambda x: np.unique(x), BreakKind.UNSUPPORTED_CALL),
    (lambda x: x[x > 0].shape, BreakKind.DATA_DEPENDENT_SHAPE),
    (lambda x: len(x[x > 0]), BreakKind.DATA_DEPENDENT_SHAPE),
    (lambda x: x[x > 0].reshape(2, -1), BreakKind.DATA_DEPENDENT_SHAPE),
    (lambda x: [v for v in x[x > 0]], BreakKind.DATA_DEPENDENT_SHAPE),
])
def test_structured_break_kinds(fn, kind):
    assert _kind(fn, X) is kind


def test_unsupported_bytecode_names_opname():
    r = trace(_class_stmt, X, modes=LENIENT)
    assert "LOAD_BUILD_CLASS" in r.break_at.graph_break.detail


def test_custom_op_without_fake():
    @fj.custom_op("tests::noisy", mutates_args=())
    def noisy(x):
        return x.copy()
    assert _kind(lambda x: noisy(x + 1), X) is BreakKind.CUSTOM_OP_NO_FAKE


# ---------------------------------------------------------------- the symbolic mode stack
def _relaxed(x):
    x = x + 1
    with fj.error_on_graph_break(False):
        fj.graph_break()
    return x


def _strict_inside(x):
    with fj.error_on_graph_break(True):
        fj.graph_break()
    return x


def test_with_blocks_push_and_pop_modes():
    eogb = (("error_on_graph_break", True), ("compile", False))
    r = trace(_relaxed, X, modes=eogb)
    assert r.break_at is not None
    assert r.break_at.frames[0].modes == (("error_on_graph_break", False),)
    with pytest.raises(GraphBreakError):
        trace(_strict_inside, X, modes=LENIENT)


@fj.set_fullgraph(False)
def _relaxed_callee(x):
    fj.graph_break()
    return x


@fj.error_on_graph_break(False)
def _eogb_false_callee(x):
    fj.graph_break()
    return x


@fj.compile(fullgraph=True)
def _compiled_strict(x):
    fj.graph_break()
    return x


def test_decorated_callees_push_their_modes():
    assert trace(lambda x: _relaxed_callee(x), X, modes=STRICT).break_at is not None
    with pytest.raises(GraphBreakError):
        trace(lambda x: _eogb_false_callee(x), X, modes=STRICT)
    with pytest.raises(GraphBreakError):
        trace(lambda x: _compiled_strict(x), X, modes=LENIENT)


def test_modes_popped_after_with_block():
    def f(x):
        with fj.error_on_graph_break(True):
            y = x + 1
        fj.graph_break()
        return y
    assert trace(f, X, modes=LENIENT).break_at is not None


def test_catalogue_documents_every_kind():
    table = catalogue_markdown()
    assert all(k.value in table for k in BreakKind)
    assert all(k.explanation and k.default_hint for k in BreakKind)


def _data_branch(x, k):
    y = x * k
    if y.sum() > 0:
        return y
    return -y


def test_break_snapshot_keeps_operands_of_the_breaking_instruction():
    r = trace(_data_branch, X, 2.0, modes=LENIENT)
    (frame,) = r.break_at.frames
    assert frame.pending.startswith("POP_JUMP")
    assert len(frame.stack) == 1, "the condition is kept for the jump to re-run"
    outputs = [n.op for n in r.graph.outputs]
    assert sorted(outputs) == ["greater", "multiply"], "the condition and y are outputs"
    assert dict(frame.locals).keys() == {"y"}


def test_nested_break_frames_pending_calls():
    r = trace(lambda x: _middle(x + 5), X, modes=LENIENT)
    pend = [f.pending for f in r.break_at.frames]
    assert pend[0] == "CALL" and pend[1] == "CALL" and pend[2] == "CALL"
    # the breaking np.save call keeps NULL, callable and arguments on its stack
    assert len(r.break_at.frames[2].stack) == 4


def _loop_break(x, ws):
    for i, w in enumerate(ws):
        x = x * w
        fj.graph_break()
    return x


def test_break_inside_loop_records_iterators():
    from framejit.trace.result import RCall
    r = trace(_loop_break, X, [1.0, 2.0], modes=LENIENT)
    (frame,) = r.break_at.frames
    iterator = frame.stack[0]
    # rebuilt readable (trace/cursor.py), so the resumed trace iterates it on
    from framejit.trace.cursor import EnumerateCursor, SeqCursor
    assert isinstance(iterator, RCall) and iterator.fn.value is EnumerateCursor
    inner, count = iterator.args
    assert inner.fn.value is SeqCursor and inner.args[1].value == 1 and count.value == 1
    assert dict(frame.locals).keys() >= {"x"}
