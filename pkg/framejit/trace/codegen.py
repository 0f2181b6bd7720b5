"""Replacement bytecode for a traced frame, generated from a ``TraceResult``.

The generated code takes the frame's argument slots positionally (CPython's localsplus
order: positional, keyword-only, ``*args`` tuple, ``**kwargs`` dict) under their original
names, keeps the frame's free variables (so closure sources and nonlocal stores work with
whichever closure the function is built with), and the user's filename, name and line
numbers (so tracebacks point at user lines). Its body:

1. preload every non-local source that later steps reload (side effects may rebind them);
2. call the compiled graph on the graph inputs (if there is a graph) and unpack outputs;
   if the graph raises an ``Exception`` (``np.linalg.inv`` of a singular matrix, a
   FloatingPointError under ``np.errstate(all="raise")``, a warning turned into an error)
   and it mutates nothing (no in-place op, no custom op), nothing of the segment has
   happened yet: the frame's own code then runs unoptimized for this call
   (``slot_code``), so the exception is raised at its program point, after the
   effects before it and inside the user's try/with handlers, as in Python;
3. replay the recorded side effects in program order;
4. raise the traced exception, or rebuild and return the traced return value.

Recon trees become instructions through ``_EMIT`` (one emitter per Recon type); shared
objects (``ident``) are built once and kept in a temporary. Version-specific sequences
come from bytecode/compat.py; encoding is bytecode/assemble.py's.
"""
from __future__ import annotations

import weakref

from ..bytecode import compat
from ..bytecode.assemble import assemble
from ..bytecode.identity import IdentityWeakKeyDict
from ..bytecode.instructions import ExceptionEntry, Instruction
from .result import RCall, RConst, RDict, RGraphOut, RList, RNull, RSource, RTuple
from .sources import LocalSource

CO_OPTIMIZED, CO_NEWLOCALS = 0x01, 0x02
CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08

#: Code objects made here, by id (the frame hook must never trace them): ``is_generated``.
_GENERATED: dict = {}


def _remember(code):
    key = id(code)
    _GENERATED[key] = weakref.ref(code, lambda _ref, key=key: _GENERATED.pop(key, None))


def is_generated(code) -> bool:
    ref = _GENERATED.get(id(code))
    return ref is not None and ref() is code


def slot_names(code) -> list:
    n = code.co_argcount + code.co_kwonlyargcount
    n += bool(code.co_flags & CO_VARARGS) + bool(code.co_flags & CO_VARKEYWORDS)
    return list(code.co_varnames[:n])


class Emitter:
    def __init__(self, result, lineno):
        self.result = result
        self.out = []
        self.lineno = lineno
        self.temps = {}          # key -> temp local name
        self.ntemps = 0

    def emit(self, pairs):
        for opname, argval in pairs:
            self.out.append(Instruction(opname, argval, lineno=self.lineno))

    def op(self, opname, argval=None):
        self.out.append(Instruction(opname, argval, lineno=self.lineno))

    def temp(self, key) -> str:
        name = f"__fj_t{self.ntemps}"
        self.ntemps += 1
        self.temps[key] = name
        return name

    # ------------------------------------------------------------ recon -> code
    def load(self, r):
        _EMIT[type(r)](self, r)

    def _shared(self, key, build):
        name = self.temps.get(key)
        if name is not None:
            self.op("LOAD_FAST", name)
            return
        build()
        self.op("COPY", 1)
        self.op("STORE_FAST", self.temp(key))

    def _source(self, r):
        name = self.temps.get(("src", r.source))
        if name is not None:
            self.op("LOAD_FAST", name)
        else:
            self.emit(r.source.reload())

    def _tuple(self, r):
        for item in r.items:
            self.load(item)
        self.op("BUILD_TUPLE", len(r.items))

    def _list(self, r):
        def build():
            for item in r.items:
                self.load(item)
            self.op("BUILD_LIST", len(r.items))
        self._shared(("obj", r.ident), build)

    def _dict(self, r):
        def build():
            for key, value in zip(r.keys, r.values):
                self.op("LOAD_CONST", key)
                self.load(value)
            self.op("BUILD_MAP", len(r.keys))
        self._shared(("obj", r.ident), build)

    def _call(self, r):
        def build():
            self.emit(compat.emit_push_null())
            self.load(r.fn)
            for a in r.args:
                self.load(a)
            for _name, a in r.kwargs:
                self.load(a)
            self.emit(compat.emit_call(len(r.args) + len(r.kwargs),
                                       tuple(name for name, _ in r.kwargs)))
        if r.ident is None:
            build()
        else:
            self._shared(("obj", r.ident), build)


_EMIT = {
    RConst: lambda e, r: e.op("LOAD_CONST", r.value),
    RSource: Emitter._source,
    RGraphOut: lambda e, r: e.op("LOAD_FAST", f"__fj_out{r.index}"),
    RTuple: Emitter._tuple,
    RList: Emitter._list,
    RDict: Emitter._dict,
    RCall: Emitter._call,
    RNull: lambda e, r: e.emit(compat.emit_push_null()),
}


def _sources_in(r, acc):
    """Every source reloaded by a Recon tree."""
    t = type(r)
    if t is RSource:
        acc.append(r.source)
    elif t in (RTuple, RList):
        for i in r.items:
            _sources_in(i, acc)
    elif t is RDict:
        for i in r.values:
            _sources_in(i, acc)
    elif t is RCall:
        _sources_in(r.fn, acc)
        for i in r.args:
            _sources_in(i, acc)
        for _n, i in r.kwargs:
            _sources_in(i, acc)
    return acc


# ---------------------------------------------------------------- side effects


def _setattr(e, se):
    e.load(se.args[0])
    e.load(se.target)
    e.op("STORE_ATTR", se.name)


def _delattr(e, se):
    e.load(se.target)
    e.op("DELETE_ATTR", se.name)


def _setitem(e, se):
    e.load(se.args[1])
    e.load(se.target)
    e.load(se.args[0])
    e.op("STORE_SUBSCR")


def _delitem(e, se):
    e.load(se.target)
    e.load(se.args[0])
    e.op("DELETE_SUBSCR")


def _call_method(e, se):
    e.load(se.target)
    e.emit(compat.emit_load_method(se.name))
    for a in se.args:
        e.load(a)
    e.emit(compat.emit_call(len(se.args)))
    e.op("POP_TOP")


def _store_global(e, se):
    e.load(se.args[0])
    if se.target is None:
        e.op("STORE_GLOBAL", se.name)
        return
    e.load(se.target)
    e.op("LOAD_CONST", se.name)
    e.op("STORE_SUBSCR")


def _delete_global(e, se):
    if se.target is None:
        e.op("DELETE_GLOBAL", se.name)
        return
    e.load(se.target)
    e.op("LOAD_CONST", se.name)
    e.op("DELETE_SUBSCR")


def _store_deref(e, se):
    e.load(se.args[0])
    e.op("STORE_DEREF", se.name)


_SIDE_EFFECTS = {
    "setattr": _setattr, "delattr": _delattr, "setitem": _setitem, "delitem": _delitem,
    "call_method": _call_method, "store_global": _store_global,
    "delete_global": _delete_global, "store_deref": _store_deref,
}


# ---------------------------------------------------------------- the code object


def emit_prefix(e, result, compiled_graph, recons):
    """Steps 1-3 of the module docstring: preload the non-local sources that ``recons``
    (and the side effects) reload, call the graph and unpack its outputs, replay the
    side effects. Shared by complete traces and breaks (trace/breakgen.py). Returns the
    graph call's range ``(first, last)`` when a failing graph falls back to the frame's
    code (``emit_fallback``), else None."""
    recons = [r for se in result.side_effects for r in (se.target, *se.args)
              if r is not None] + list(recons)
    for src in dict.fromkeys(s for r in recons for s in _sources_in(r, [])):
        if type(src) is not LocalSource:
            e.emit(src.reload())
            e.op("STORE_FAST", e.temp(("src", src)))
    call_range = None
    if result.graph is not None:
        first = result.graph.nodes[0].loc if result.graph.nodes else None
        e.lineno = first.lineno if first is not None else e.lineno
        start = len(e.out)
        e.emit(compat.emit_push_null())
        e.op("LOAD_CONST", compiled_graph)
        for src in result.graph_inputs:
            e.emit(src.reload())
        e.emit(compat.emit_call(len(result.graph_inputs)))
        if not _mutates(result.graph):
            call_range = (e.out[start], e.out[-1])
        n = len(result.graph.outputs)
        if n:
            e.op("UNPACK_SEQUENCE", n)
            for i in range(n):
                e.op("STORE_FAST", f"__fj_out{i}")
        else:
            e.op("POP_TOP")
    for se in result.side_effects:
        e.lineno = se.lineno or e.lineno
        _SIDE_EFFECTS[se.kind](e, se)
    return call_range


def _mutates(graph) -> bool:
    """True when running the graph changes something before it may fail (an in-place
    op or ``out=`` into an input, a custom op's body): it cannot be run again."""
    from ..graph.passes import effectful
    return any(effectful(n) for n in graph.nodes)


#: traced code -> the same code taking the slots positionally, run plainly: a failing
#: graph's fallback, and the entry of a frame that runs unoptimized (the runtime marks
#: it SKIP: the hook never traces it, its callees are compiled as usual)
_SLOT_CODES = IdentityWeakKeyDict()


def slot_code(code):
    """``code`` taking the frame's argument slots positionally (localsplus order)."""
    hit = _SLOT_CODES.get(code)
    if hit is None:
        nslots = len(slot_names(code))
        hit = code.replace(co_argcount=nslots, co_posonlyargcount=0, co_kwonlyargcount=0,
                           co_flags=code.co_flags & ~(CO_VARARGS | CO_VARKEYWORDS))
        _SLOT_CODES[code] = hit
    return hit


def emit_fallback(e, code, call_range) -> list:
    """Append the handler of a failing graph call (``emit_prefix``'s range): an
    ``Exception`` drops the partial call and returns ``slot_code(code)(*slots)``
    (made with the frame's closure); anything else (KeyboardInterrupt ...) propagates.
    Returns the exception-table entries; the graph call must run at stack depth 0."""
    if call_range is None:
        return []
    handler = Instruction("PUSH_EXC_INFO", lineno=e.lineno)
    e.out.append(handler)
    check = len(e.out)
    e.op("LOAD_CONST", Exception)
    e.op("CHECK_EXC_MATCH")
    reraise = Instruction("RERAISE", 0, lineno=e.lineno)
    e.out.append(Instruction("POP_JUMP_FORWARD_IF_FALSE", lineno=e.lineno, target=reraise))
    check_end = e.out[-1]
    e.op("POP_TOP")
    e.op("POP_EXCEPT")
    e.emit(compat.emit_push_null())
    free = list(code.co_freevars)
    for name in free:
        e.op("LOAD_CLOSURE", name)
    if free:
        e.op("BUILD_TUPLE", len(free))
    e.op("LOAD_CONST", slot_code(code))
    e.op("MAKE_FUNCTION", 0x08 if free else 0)
    names = slot_names(code)
    for name in names:
        e.op("LOAD_FAST", name)
    e.emit(compat.emit_call(len(names)))
    e.emit(compat.emit_return_value())
    e.out.append(reraise)
    cleanup = Instruction("COPY", 3, lineno=e.lineno)
    e.out.append(cleanup)
    e.op("POP_EXCEPT")
    e.op("RERAISE", 1)
    first, last = call_range
    return [ExceptionEntry(first, last, handler, 0, False),
            ExceptionEntry(e.out[check], check_end, cleanup, 1, True),
            ExceptionEntry(reraise, reraise, cleanup, 1, True)]


def generate_code(result, compiled_graph=None):
    """The replacement code object for a complete (break-free) trace."""
    if result.break_at is not None:
        raise ValueError("generate_code needs a complete trace; breaks are "
                         "trace/breakgen.py's")
    code = result.code
    e = Emitter(result, code.co_firstlineno)
    e.emit(compat.emit_copy_free_vars(len(code.co_freevars)))
    e.emit(compat.emit_resume())
    recons = [x for x in (result.output,) if x is not None]
    if result.exception is not None:
        recons.append(result.exception.exception)
    call_range = emit_prefix(e, result, compiled_graph, recons)
    if result.exception is not None:
        e.lineno = result.exception.lineno or e.lineno
        e.load(result.exception.exception)
        e.emit(compat.emit_raise())
    else:
        e.lineno = result.return_lineno or e.lineno
        e.load(result.output if result.output is not None else RConst(None))
        e.emit(compat.emit_return_value())
    table = emit_fallback(e, code, call_range)
    names = slot_names(code)
    new = assemble(e.out, table, like=code, argcount=len(names), posonlyargcount=0,
                   kwonlyargcount=0, argnames=names, cellvars=[],
                   freevars=list(code.co_freevars), flags=CO_OPTIMIZED | CO_NEWLOCALS)
    _remember(new)
    return new
