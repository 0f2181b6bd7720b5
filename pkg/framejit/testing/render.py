"""Rendering a Program to Python source: "real" (framejit API) or "model" (oracle)."""
from .programs import walk


_MODE_API = {"eogb": "error_on_graph_break", "setfg": "set_fullgraph"}

HEADER = '''\
import io
import numpy as np
{fj_import}
BACKEND = globals().get("BACKEND", {backend!r})
LOG = []
STATE = {{"n": 0}}
COUNT = 0
BUF = io.StringIO()
FLAG = {flag!r}
WS = [0.5, -1.0, 2.0, 1.5, -0.25, 3.0]   # read at loop indices (WS[i], WS[-1 - i])
WT = (2.0, -0.5, 1.0, 0.25)


class UserError(Exception):
    pass


class OtherError(Exception):
    pass


class Ctx:
    """A user context manager: logs enter/exit; suppress=True swallows UserError."""

    def __init__(self, tag, suppress=False):
        self.tag = tag
        self.suppress = suppress

    def __enter__(self):
        LOG.append(("enter", self.tag))
        return self

    def __exit__(self, typ, value, tb):
        LOG.append(("exit", self.tag, None if typ is None else typ.__name__))
        return self.suppress and typ is not None and issubclass(typ, UserError)


class BCtx(Ctx):
    """A context manager whose __enter__ and __exit__ break the graph."""

    def __enter__(self):
        {brk_enter}
        return Ctx.__enter__(self)

    def __exit__(self, typ, value, tb):
        {brk_exit}
        return Ctx.__exit__(self, typ, value, tb)

'''
CM_SITES = {"enter": 9001, "exit": 9002}    # break sites of BCtx (lines found in HEADER)


class Rendered:
    def __init__(self, source, site_lines, filename):
        self.source = source
        self.site_lines = site_lines        # site -> line number in source
        self.line_sites = {v: k for k, v in site_lines.items()}
        self.filename = filename


def render(prog, flavour="real", pad=0):
    """Python source of `prog`; flavour "real" (framejit API) or "model" (oracle).

    ``pad`` blank lines at the top shift every line number, which makes the code
    objects of two renderings of one program unequal (code objects compare by value)."""
    assert flavour in ("real", "model")
    real = flavour == "real"
    brk = {k: (f'fj.graph_break("cm-{k}")' if real else f"_M.brk({v})")
           for k, v in CM_SITES.items()}
    lines = [""] * pad + HEADER.format(
        fj_import="import framejit as fj" if real else "_M = globals()['_M']",
        backend=prog.backend, flag=prog.flag, brk_enter=brk["enter"],
        brk_exit=brk["exit"]).splitlines()
    sites = {v: 1 + next(i for i, line in enumerate(lines) if brk[k] in line)
             for k, v in CM_SITES.items()}
    disabled = {h.name for h in prog.helpers if h.deco == ("disable",)}

    def emit(depth, text, site=None):
        lines.append("    " * depth + text)
        if site is not None:
            sites[site] = len(lines)

    def deco_lines(deco):
        if deco is None:
            return []
        kind = deco[0]
        if real:
            if kind in _MODE_API:
                return [f"@fj.{_MODE_API[kind]}({deco[1]!r})"]
            if kind == "disable":
                return ["@fj.disable"]
            if kind == "nonstrict":
                return ["@fj.nonstrict_trace"]
            if kind == "compile":
                return [f"@fj.compile(fullgraph={deco[1]!r}, backend=BACKEND)"]
        else:
            if kind in _MODE_API:
                return [f"@_M.mode({kind!r}, {deco[1]!r})"]
            if kind == "disable":
                return []            # the model's call site does the disable push
            if kind == "nonstrict":
                return ["@_M.nonstrict"]
            if kind == "compile":
                return [f"@_M.compile({deco[1]!r})"]
        raise AssertionError(deco)

    def stmts(body, depth, fn):
        if not body:
            emit(depth, "pass")
        for s in body:
            stmt(s, depth, fn)

    def flow(s, depth, fn):
        """The statements of framejit.testing.flow (their markers: tofloat only)."""
        k = s.kind
        if k == "tofloat":
            conv = f"float({s.text})" if s.value == "float" else f"({s.text}).item()"
            if real:
                emit(depth, f"{s.target} = {conv}", s.site)
            else:
                fn = "float" if s.value == "float" else "_M.item"
                emit(depth, f"{s.target} = _M.call({s.site}, {fn}, {s.text})")
        elif k == "try":
            emit(depth, "try:")
            stmts(s.body, depth + 1, fn)
            for h in s.orelse:
                emit(depth, f"except {h.text}" + (f" as {h.target}:" if h.target else ":"))
                stmts(h.body, depth + 1, fn)
            if s.final or not s.orelse:
                emit(depth, "finally:")
                stmts(s.final, depth + 1, fn)
        elif k == "ctx":
            tag, suppress, cls = s.value
            emit(depth, f"with {cls}({tag!r}{', True' if suppress else ''}):")
            stmts(s.body, depth + 1, fn)
        elif k == "while":
            emit(depth, f"{s.target} = 0")
            emit(depth, f"while {s.target} < {s.value}:")
            stmts(s.body, depth + 1, fn)
            emit(depth + 1, f"{s.target} += 1")
        elif k == "forx":
            emit(depth, f"for {s.text}:")
            stmts(s.body, depth + 1, fn)
        elif k == "closure":
            emit(depth, f"def {s.target}({', '.join(s.args)}):")
            if s.value:
                emit(depth + 1, f"nonlocal {', '.join(s.value)}")
            if any(c.kind == "effect" and c.text.startswith("COUNT") for c in walk(s.body)):
                emit(depth + 1, "global COUNT")
            stmts(s.body, depth + 1, fn)
            emit(depth + 1, f"return {s.text}")
        elif k in ("acc", "loopctl"):
            emit(depth, s.text)
        elif k == "return":
            emit(depth, f"return {s.text}")
        else:
            raise AssertionError(k)

    def stmt(s, depth, fn):
        k = s.kind
        if k == "assign":
            emit(depth, f"{s.target} = {s.text}")
        elif k in ("inplace", "effect"):
            emit(depth, s.text)
        elif k == "break":
            if real:
                emit(depth, f"fj.graph_break({s.text})", s.site)
            else:
                emit(depth, f"_M.brk({s.site})")
        elif k == "nsbreak":
            emit(depth, "fj.graph_break()" if real else "pass  # graph_break(): no-op in nonstrict")
        elif k == "print":
            if real:
                emit(depth, f"print({s.text})", s.site)
            else:
                emit(depth, f"_M.call({s.site}, print, {s.text})")
        elif k == "call":
            args = ", ".join(s.args)
            if s.value in disabled and not real:
                emit(depth, f"{s.target} = _M.dcall({s.site}, {s.value}, {args})")
            else:
                emit(depth, f"{s.target} = {s.value}({args})", s.site if s.site >= 0 else None)
        elif k == "with":
            kind, v = s.value
            if real:
                emit(depth, f"with fj.{_MODE_API[kind]}({v!r}):")
            else:
                emit(depth, f"with _M.ctx({kind!r}, {v!r}):")
            stmts(s.body, depth + 1, fn)
        elif k == "for":
            emit(depth, f"for {s.target} in range({s.value}):")
            stmts(s.body, depth + 1, fn)
        elif k in ("ifpy", "ifarr"):
            if k == "ifarr":
                if real:
                    emit(depth, f"if {s.text}:", s.site)
                else:
                    emit(depth, f"if _M.call({s.site}, bool, {s.text}):")
            else:
                emit(depth, f"if {s.text}:")
            stmts(s.body, depth + 1, fn)
            if s.orelse:
                emit(depth, "else:")
                stmts(s.orelse, depth + 1, fn)
        elif k == "raise":
            if s.value == "":
                emit(depth, "raise")
            else:
                emit(depth, f"raise {s.value or 'UserError'}({s.text})"
                     + (f" from {s.target}" if s.target else ""))
        else:
            flow(s, depth, fn)

    def function(fn, extra_deco=()):
        lines.append("")
        lines.append("")
        for d in extra_deco:
            lines.append(d)
        for d in deco_lines(fn.deco):
            lines.append(d)
        params = [p for p, _ in fn.params]
        if fn.name == "root" and prog.buf_param:
            params.append("out")
        lines.append(f"def {fn.name}({', '.join(params)}):")
        if any(s.kind == "effect" and s.text.startswith("COUNT") for s in walk(fn.body)):
            emit(1, "global COUNT")
        stmts(fn.body, 1, fn)
        emit(1, f"return {fn.ret_text}")

    for h in prog.helpers:
        function(h)
    outer_deco = ()
    if prog.outer and prog.outer[0] == "deco":
        _, kind, v = prog.outer
        outer_deco = ([f"@fj.{_MODE_API[kind]}({v!r})"] if real
                      else [f"@_M.mode({kind!r}, {v!r})"])
    function(prog.root, outer_deco)
    lines += ["", ""]
    args = ", ".join(["x", "y"] + [n for n, _ in prog.scalars])
    call = f"root({args}, BUF)" if prog.buf_param else f"root({args})"
    lines.append(f"def entry({args}):")
    if prog.outer and prog.outer[0] == "with":
        _, kind, v = prog.outer
        if real:
            emit(1, f"with fj.{_MODE_API[kind]}({v!r}):")
        else:
            emit(1, f"with _M.ctx({kind!r}, {v!r}):")
        emit(2, f"return {call}")
    else:
        emit(1, f"return {call}")
    source = "\n".join(lines) + "\n"
    return source, sites


