"""From the tracer's final state to a ``TraceResult``: values become ``Recon`` data.

``Finisher.recon(value)`` describes how generated code obtains each Python value the
trace hands back (the return value, side-effect arguments, the raised exception, the
live values at a break): by reloading its source, from a graph output, as a constant, or
by building it (containers, new plain-class instances, closures, partials, exceptions).
Arrays made by the graph become graph outputs, once each. ``finish(...)`` then builds the
graph and the result. Dispatch is by value type through ``_RECON``.
"""
from __future__ import annotations

import functools
import time
import types

from ..bytecode.analysis import implicit_reads, live_locals
from ..bytecode.instructions import decode
from .handlers import Lazy
from .resume import origin
from .sites import catch_of, post_code
from .result import (BreakPoint, FrameState, ModeSpec, RCall, RConst, RDict, RExcPrev,
                     RExcValue, RGraphOut, RList, RNull, RSource, RTuple, RaiseRecord,
                     SideEffect, TraceResult)
from .sources import AttrSource, CellSource, ClosureSource
from .generators import rebuild as rebuild_generator
from .cursor import EnumerateCursor, FilterCursor, MapCursor, SeqCursor, ZipCursor
from .values import (ArrayVal, BuiltinMethodVal, CellVal, ClassInstanceVal, ClosureVal,
                     ConstVal, CursorVal, DictVal, EnumerateVal, ExceptionVal, FunctionVal, IteratorVal,
                     ListVal, MethodVal, ModeCtxVal, ModeExitVal, ModuleVal, NullVal,
                     OpaqueVal, PartialVal, SuperVal, TupleVal, ZipVal, MapVal, FilterVal,
                     SetVal, GenVal)


def new_object(cls, attrs):
    """Rebuild a plain-class instance made while tracing (no ``__init__`` re-run)."""
    obj = cls.__new__(cls)
    obj.__dict__.update(attrs)
    return obj


def make_function(code, globals_, name, defaults, kwdefaults, closure):
    fn = types.FunctionType(code, globals_, name, defaults or None, closure or None)
    fn.__kwdefaults__ = kwdefaults or None
    fn.__qualname__ = getattr(code, "co_qualname", name)
    return fn


def with_cause(exc, cause):
    exc.__cause__ = cause
    return exc


def iter_from(seq, index):
    """A CPython iterator over ``seq`` at ``index`` (None: an exhausted one)."""
    it = iter(() if seq is None else seq)
    for _ in range(index):
        next(it)
    return it


class Finisher:
    """``readable``: iterators are rebuilt as the cursors of trace/cursor.py (the live
    values at a break, which a resume function traces on), else as CPython's own
    (a returned or stored iterator)."""

    def __init__(self, tx):
        self.tx = tx
        self.outputs = []
        self.out_index = {}
        self.readable = False

    def recon(self, v):
        rule = _RECON.get(type(v))
        if rule is None:
            raise TypeError(f"cannot rebuild a {type(v).__name__}")
        return rule(self, v)

    def recon_all(self, values):
        return tuple(self.recon(v) for v in values)

    def _array(self, v):
        if v.source is not None:
            return RSource(v.source)
        i = self.out_index.get(v.node)
        if i is None:
            i = self.out_index[v.node] = len(self.outputs)
            self.outputs.append(v.node)
        return RGraphOut(i)

    def _sourced(self, v, build):
        return RSource(v.source) if v.source is not None else build(v)

    def _instance(self, v):
        attrs = {k: a for k, a in v.attrs.items()}
        return RCall(RConst(new_object), (RConst(v.cls), RDict(
            tuple(attrs), self.recon_all(attrs.values()), -v.ident - 1)), ident=v.ident)

    def _closure(self, v):
        cells = RTuple(self.recon_all(v.closure))
        kw = RDict(tuple(v.kwdefaults), self.recon_all(v.kwdefaults.values()), -v.ident - 1)
        return RCall(RConst(make_function), (
            RConst(v.code), RConst(v.globals), RConst(v.code.co_name),
            RTuple(self.recon_all(v.defaults)), kw, cells), ident=v.ident)

    def _cell(self, v):
        if type(v.source) is ClosureSource:
            return RSource(CellSource(v.source.index, v.source.name))
        if type(v.source) is AttrSource:
            return RSource(v.source.base)
        contents = () if v.contents is None else (self.recon(v.contents),)
        return RCall(RConst(types.CellType), contents, ident=v.ident)

    def _exception(self, v):
        if v.source is not None:
            return RSource(v.source)
        if v.cause is None:
            return RCall(RConst(v.cls), self.recon_all(v.args), ident=v.ident)
        exc = RCall(RConst(v.cls), self.recon_all(v.args))
        return RCall(RConst(with_cause), (exc, self.recon(v.cause)), ident=v.ident)

    def _iterator(self, v):
        seq = RConst(None) if v.seq is None else self.recon(v.seq)
        if self.readable:
            return RCall(RConst(SeqCursor), (seq, RConst(v.index)), ident=v.ident)
        return RCall(RConst(iter_from), (seq, RConst(v.index)))

    def _enumerate(self, v):
        if v.source is not None:          # a resumed cursor, advanced in place
            return RSource(v.source)
        parts = (self.recon(v.inner), self.recon(v.count))
        if self.readable:
            return RCall(RConst(EnumerateCursor), parts, ident=v.ident)
        return RCall(RConst(enumerate), parts)

    def _map(self, v):
        if v.source is not None:          # a resumed cursor: its inners moved in place
            return RSource(v.source)
        fn, inners = self.recon(v.fn), self.recon_all(v.inners)
        if self.readable:
            return RCall(RConst(MapCursor), (fn, RTuple(inners)), ident=v.ident)
        return RCall(RConst(map), (fn, *inners), ident=v.ident)

    def _filter(self, v):
        if v.source is not None:
            return RSource(v.source)
        fn, inner = RConst(None) if v.fn is None else self.recon(v.fn), self.recon(v.inner)
        if self.readable:
            return RCall(RConst(FilterCursor), (fn, inner), ident=v.ident)
        return RCall(RConst(filter), (fn, inner), ident=v.ident)

    def _zip(self, v):
        if v.source is not None:
            return RSource(v.source)
        if self.readable:
            return RCall(RConst(ZipCursor), (RTuple(self.recon_all(v.inners)),
                                             RConst(v.strict)), ident=v.ident)
        kwargs = (("strict", RConst(True)),) if v.strict else ()
        return RCall(RConst(zip), self.recon_all(v.inners), kwargs)


_RECON = {
    ConstVal: lambda f, v: RSource(v.source) if v.source is not None else RConst(v.value),
    ArrayVal: Finisher._array,
    TupleVal: lambda f, v: f._sourced(v, lambda v: RTuple(f.recon_all(v.items))),
    ListVal: lambda f, v: f._sourced(v, lambda v: RList(f.recon_all(v.items), v.ident)),
    DictVal: lambda f, v: f._sourced(v, lambda v: RDict(tuple(v.items), f.recon_all(
        v.items.values()), v.ident)),
    FunctionVal: lambda f, v: f._sourced(v, lambda v: RConst(v.fn)),
    ModuleVal: lambda f, v: f._sourced(v, lambda v: RConst(v.module)),
    OpaqueVal: lambda f, v: f._sourced(v, lambda v: RConst(v.obj)),
    ModeCtxVal: lambda f, v: f._sourced(v, lambda v: RConst(v.obj)),
    ClassInstanceVal: lambda f, v: f._sourced(v, f._instance),
    ClosureVal: Finisher._closure,
    CellVal: Finisher._cell,
    MethodVal: lambda f, v: RCall(RConst(types.MethodType), (f.recon(v.func),
                                                             f.recon(v.self_val))),
    PartialVal: lambda f, v: f._sourced(v, lambda v: RCall(
        RConst(functools.partial), (f.recon(v.func), *f.recon_all(v.args)),
        tuple((k, f.recon(a)) for k, a in v.kwargs.items()))),
    BuiltinMethodVal: lambda f, v: RCall(RConst(getattr), (f.recon(v.obj), RConst(v.name))),
    ExceptionVal: Finisher._exception,
    IteratorVal: Finisher._iterator,
    CursorVal: lambda f, v: RSource(v.source),     # advanced in place (resumed_iter)
    EnumerateVal: Finisher._enumerate,
    ZipVal: Finisher._zip,
    MapVal: Finisher._map,
    GenVal: rebuild_generator,          # cannot: the trace runs again (generators.py)
    SetVal: lambda f, v: RCall(RConst(set), (RTuple(tuple(RConst(x) for x in v.real)),),
                               ident=v.ident),
    FilterVal: Finisher._filter,
    ModeExitVal: lambda f, v: RCall(RConst(getattr), (f.recon(v.ctx), RConst("__exit__"))),
    SuperVal: lambda f, v: RCall(RConst(super), (RConst(v.cls), f.recon(v.obj))),
    NullVal: lambda f, v: RNull(),
    Lazy: lambda f, v: RSource(v.source),
}


def _side_effect(fin, kind, target, name, args, lineno):
    if kind == "store_cell":
        if type(target) is ClosureSource:
            return SideEffect("store_deref", None, target.name, fin.recon_all(args), lineno)
        return SideEffect("setattr", RSource(target.base), "cell_contents",
                          fin.recon_all(args), lineno)
    if kind in ("store_global", "delete_global"):
        tgt = None if target is None else RSource(target)
        return SideEffect(kind, tgt, name, fin.recon_all(args), lineno)
    return SideEffect(kind, RSource(target.source), name, fin.recon_all(args), lineno)


def _mode_specs(fin, snap):
    out = []
    for (kind, flag), origin in zip(snap.modes, snap.mode_origins):
        if type(origin) is ModeCtxVal:
            out.append(ModeSpec(kind, flag, ctx=fin.recon(origin)))
        else:
            out.append(ModeSpec(kind, flag, payload=origin))
    return tuple(out)


def _stack_recons(fin, snap, handled):
    """The value stack's Recons; the slots of the handlers the frame is inside become
    markers (generated code re-establishes them at run time, trace/excstate.py)."""
    marks = {}
    for pos, exc in zip(snap.exc_slots, handled):
        marks[pos] = RExcPrev()
        if pos + 1 < len(snap.stack) and snap.stack[pos + 1] is exc:
            marks[pos + 1] = RExcValue()
    return tuple(marks.get(p) or fin.recon(v) for p, v in enumerate(snap.stack))


def _frame_state(fin, snap, innermost, handled=()):
    # a resumed trace runs resume functions: describe the frame in the ORIGINAL code
    code, where = origin(snap.code, snap.offset)
    if where is None or (innermost and where.after):
        raise TypeError("the break is in generated prologue code")
    decoded = decode(code)
    inst = decoded.by_offset[where.offset]
    insts = decoded.instructions
    # live before the breaking instruction, or, for an outer frame, before its pending
    # call: after the call and on the call's exception path (a handler around it)
    at = inst.index - 1 if where.after and not where.at_pending else inst.index
    live = live_locals(insts, implicit_reads(code))[at]
    names = snap.code.co_varnames
    local_recons = tuple((names[i], fin.recon(v)) for i, v in enumerate(snap.locals)
                         if v is not None and names[i] in live)
    cell_recons = tuple((n, fin.recon(c.contents)) for n, c in snap.cells.items()
                        if c.contents is not None)
    cell_objs = []
    for name in code.co_freevars + code.co_cellvars:
        cell = snap.cells.get(name)
        if cell is None:
            raise TypeError(f"cell {name!r} of {code.co_name} is not known")
        cell_objs.append(fin.recon(cell))
    if where.after:       # paused in a resume level's prologue: the level says how
        resume_at, post, at_pending = where.offset, where.post, where.at_pending
        catch = where.catch
    else:                 # paused at the instruction: its site says how (trace/sites.py)
        at_pending = snap.site is not None and snap.site.at_inst
        resume_at, post = (where.offset if at_pending else -1), post_code(snap.site)
        catch = catch_of(snap.site)
    return FrameState(code, where.offset, snap.lineno, _stack_recons(fin, snap, handled),
                      local_recons, cell_recons, tuple(snap.modes), inst.opname,
                      tuple(snap.kw_names), _mode_specs(fin, snap), tuple(cell_objs),
                      resume_at, where.pops, fin.recon_all(handled), snap.globals,
                      post, at_pending, catch)


def _break_point(fin, tx, signal):
    snap = signal.snapshot
    why = ""
    # the handled exceptions of every frame, in order (each frame re-enters its own)
    counts = [len(s.exc_slots) for s in snap]
    if sum(counts) != len(tx.exc_info):
        why = "the handled exceptions do not match the handlers the frames are in"
    frames = ()
    if not why:
        fin.readable = True       # the frames' iterators are traced on by resume functions
        starts = [sum(counts[:i]) for i in range(len(snap))]
        try:
            frames = tuple(_frame_state(fin, s, i == len(snap) - 1,
                                        tuple(tx.exc_info[starts[i]:starts[i] + counts[i]]))
                           for i, s in enumerate(snap))
        except TypeError as exc:  # a live value that cannot be rebuilt
            why = str(exc)
    return BreakPoint(signal.graph_break, frames, signal.graph_break.instruction,
                      resumable=not why, why_not=why)


def finish(tx, *, retval=None, raised=None, signal=None, start=0.0) -> TraceResult:
    fin = Finisher(tx)
    side_effects = tuple(_side_effect(fin, *se) for se in tx.side_effects)
    output = fin.recon(retval) if retval is not None else None
    exception = None
    if raised is not None:
        exc = raised.exc
        message = ", ".join(str(a.value) for a in exc.args if type(a) is ConstVal)
        exception = RaiseRecord(fin.recon(exc), tx.raise_lineno, exc.cls.__name__, message)
    break_at = None
    breaks = ()
    if signal is not None:
        break_at = _break_point(fin, tx, signal)
        breaks = (signal.graph_break,)
    graph = tx.builder.build(fin.outputs) if tx.builder.nodes else None
    return TraceResult(
        code=tx.code, f_globals=tx.f_globals, closure=tx.closure, graph=graph,
        graph_inputs=tuple(tx.input_sources) if graph is not None else (),
        example_inputs=tuple(tx.example_inputs) if graph is not None else (),
        side_effects=side_effects, output=output, exception=exception,
        guards=tuple(tx.guards.values()), breaks=breaks, break_at=break_at,
        mode_stack=tx.entry_modes, return_lineno=tx.return_lineno,
        trace_time=time.perf_counter() - start,
        ops_per_graph=(len(graph.nodes),) if graph is not None else ())
