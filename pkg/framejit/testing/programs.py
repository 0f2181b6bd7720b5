"""Random programs over NumPy arrays, their oracle, and the differential check.

A ``Program`` is a small AST of our own: helper functions (a call tree up to four levels
deep, each possibly decorated with a mode decorator, ``disable``, ``nonstrict_trace`` or
``compile``), a root function compiled with a random ``fullgraph``, and an ``entry``
that calls the root, possibly under an outer mode context manager or decorator.
Statements are array work (elementwise, broadcasting, reductions, slicing, in-place
updates of locals and of the caller's arrays), ``graph_break()``, helper calls, ``with``
mode blocks, ``for`` loops, ``if`` on Python values and on array values, side effects
(a global log list, a global dict and int, ``print`` to a StringIO) and rare ``raise``.

It is rendered twice:

- ``render(prog, "real")``: ordinary Python using framejit's public API. Run once with
  ``framejit.config.disable = True`` (plain Python) and compiled.
- ``render(prog, "model")``: the same program where every framejit marker is replaced by
  the oracle's instrumentation (``_M``). Run as plain Python, it executes exactly the
  plain control flow while keeping a *model* mode stack (pushed/popped by the model's
  decorators and context managers) and, at every potential break site, applies the rules
  of SEMANTICS.md (written from that document alone, not from framejit's code):

  * a site is a break only when reached by traced code: some ``compile`` entry is on the
    stack and no ``disable`` (or ``nonstrict_trace``) entry is above the newest one
    (SEMANTICS §2 last paragraph, §1 "not graph breaks");
  * break sites: ``graph_break()``, a call of a ``disable``d function, ``print`` (I/O), an
    ``if`` on an array value (§1);
  * at a break, strictness is resolved outermost to innermost: ``compile(fullgraph=True)``
    sets strict, ``compile(fullgraph=False)`` leaves it, ``set_fullgraph(v)`` sets it to
    ``v``; if strict, raise; else the innermost ``error_on_graph_break`` decides,
    default False (§2);
  * the first raising break in execution order raises ``GraphBreakError``; the side
    effects seen afterwards are exactly those of the segments before the raising one
    (§3): the state at the end of the last allowed break (the construct itself ran), or at
    the entry of the compiled frame when that frame was entered from untraced code.
"""
import dataclasses
from typing import List, Optional, Tuple

CLASSES = ("M", "V", "R", "S")   # (R, C) matrix, (C,) row vector, (R,) column, scalar
COLS = 5                          # C: fixed, so that y broadcasts against every x
ROWS = (4, 7)                     # R of the first call and of the recompile call

UNARY = ("np.sin({})", "np.tanh({})", "np.abs({})", "(-{})", "np.sqrt(np.abs({}))",
         "np.exp(-np.abs({}))", "np.cos({})", "({} * 0.5)")
BINARY = ("({} + {})", "({} - {})", "({} * {})", "np.maximum({}, {})", "np.minimum({}, {})",
          "({} / (np.abs({}) + 1.0))")
CONSTS = ("1.5", "0.5", "-2.0", "3", "0.25", "-1")
REDUCE = ("sum", "max", "mean", "min")
ARRAYS = ("M", "V", "R")          # array classes; "I" / "F" are Python ints / floats
MIN_ROWS = 4                      # every call's x has at least this many rows
N_VALUES = (2, 3, 1, 0, 4, 5)     # values of the root's int parameter `n`
F_VALUES = (0.5, 1.5, -1.0, 0.0, 2.25, -0.125, 3.0)   # ... of its float parameter `s`


# ------------------------------------------------------------------ the AST

@dataclasses.dataclass
class Stmt:
    kind: str                      # see _render_stmt
    text: str = ""                 # expression / statement text (same in both renderings)
    target: str = ""
    site: int = -1
    value: object = None           # mode flag, loop count, helper name, ...
    args: Tuple[str, ...] = ()
    body: List["Stmt"] = dataclasses.field(default_factory=list)
    orelse: List["Stmt"] = dataclasses.field(default_factory=list)   # else / except clauses
    final: List["Stmt"] = dataclasses.field(default_factory=list)    # finally body


@dataclasses.dataclass
class Func:
    name: str
    params: List[Tuple[str, str]]   # (name, class)
    ret: str                        # class of the returned value ("T" for the root tuple)
    body: List[Stmt]
    ret_text: str
    deco: Optional[Tuple] = None    # None | ("eogb", v) | ("setfg", v) | ("disable",)
                                    # | ("nonstrict",) | ("compile", fullgraph)
    level: int = 0


@dataclasses.dataclass(frozen=True)
class Call:
    """One call of the compiled root: its inputs. ``None`` fields inherit the program's
    (so shrinking the program's layout/special still applies); ``seed`` is added to the
    program's seed; ``scalars`` are the values of ``Program.scalars``."""
    rows: int = ROWS[0]
    dtype: str = "float64"
    layout: Optional[str] = None
    seed: int = 0
    special: Optional[str] = None
    scalars: Tuple = ()


LEGACY_CALLS = (Call(ROWS[0]), Call(ROWS[0]), Call(ROWS[1]))


@dataclasses.dataclass
class Program:
    helpers: List[Func]
    root: Func
    root_fullgraph: bool
    outer: Optional[Tuple] = None   # None | ("with"|"deco", "eogb"|"setfg", v)
    flag: bool = True
    backend: str = "eager"
    buf_param: bool = False
    layout: str = "C"
    seed: int = 0
    special: str = ""               # "", "nan", "inf": a special value in x[0, 0]
    scalars: List[Tuple[str, str]] = dataclasses.field(default_factory=list)
                                    # root's Python int/float parameters: ("n", "I"), ("s", "F")
    calls: List[Call] = dataclasses.field(default_factory=list)   # [] = LEGACY_CALLS
    cache_limit: int = 64           # config.cache_size_limit for the compiled calls

    def call_list(self):
        return list(self.calls or LEGACY_CALLS)

    def functions(self):
        return list(self.helpers) + [self.root]

    def has_relax(self):
        """Some set_fullgraph(False) region anywhere (decorator, with block, outer)."""
        if self.outer and self.outer[1] == "setfg" and not self.outer[2]:
            return True
        for f in self.functions():
            if f.deco == ("setfg", False):
                return True
            if any(s.kind == "with" and s.value == ("setfg", False) for s in walk(f.body)):
                return True
        return False


def walk(stmts):
    for s in stmts:
        yield s
        yield from walk(s.body)
        yield from walk(s.orelse)
        yield from walk(s.final)


# ------------------------------------------------------------------ generation

_INTEGERS = {}      # n -> hypothesis strategy integers(0, n - 1), built once


class Chooser:
    """The source of choices: hypothesis ``draw`` or a ``random.Random``.

    Every choice is an integer in [0, n), and 0 is always the simplest option, so that
    hypothesis shrinks programs towards fewer and plainer statements.
    """

    def __init__(self, draw=None, rng=None):
        self._draw = draw
        self._rng = rng
        if draw is not None:
            from hypothesis import strategies as st
            self._st = st

    def below(self, n):
        if n <= 1:
            return 0
        if self._draw is not None:
            strategy = _INTEGERS.get(n)
            if strategy is None:
                strategy = _INTEGERS[n] = self._st.integers(0, n - 1)
            return self._draw(strategy)
        return self._rng.randrange(n)

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def chance(self, percent):
        """True with about `percent` % probability; shrinks to False."""
        return self.below(100) >= 100 - percent

    def weighted(self, table):
        """table: [(weight, value)]; the first entry is what it shrinks to."""
        total = sum(w for w, _ in table)
        r = self.below(total)
        for w, v in table:
            if r < w:
                return v
            r -= w
        return table[-1][1]


class _Scope:
    def __init__(self, vars_, loops=(), level=0):
        self.vars = list(vars_)      # [(name, class)]
        self.loops = list(loops)     # int loop variables (range / while / enumerate)
        self.level = level
        self.bounds = {}             # int name -> largest value it can take (None: unknown)
        self.ctl = []                # enclosing loops a `break` leaves: "for" | "while"
        self.frozen = set()          # names not to rebind here (a closure's captures)
        self.closures = []           # [(name, param class, return class)]
        self.exits = True            # return / break allowed (not in a finally body)
        self.deferred = []           # [[call Stmt, age]]: calls of closures defined here

    def child(self, loop=None, ctl=None):
        s = _Scope(self.vars, self.loops + ([loop] if loop else []), self.level)
        s.bounds = dict(self.bounds)
        s.ctl = self.ctl + ([ctl] if ctl else [])
        s.frozen = self.frozen
        s.closures = list(self.closures)
        s.exits = self.exits
        return s

    def of(self, cls):
        return [n for n, c in self.vars if c == cls]

    def arrays(self, classes=ARRAYS + ("S",)):
        return [n for n, c in self.vars if c in classes]

    def targets(self, cls):
        """Existing variables of class `cls` this function may rebind."""
        return [n for n, c in self.vars if c == cls and n not in self.frozen]

    def classes(self):
        """Array classes present (Python ints and floats are always constructible)."""
        return {c for _, c in self.vars if c in CLASSES}


def constructible(cls, classes):
    if cls in ("I", "F") or cls[0] == "C":     # "C<param><return>": a function argument
        return True
    if cls == "S":
        return bool(classes)
    if cls == "M":
        return "M" in classes or ("R" in classes and "V" in classes)
    if cls == "V":
        return "M" in classes or "V" in classes
    if cls == "R":
        return "M" in classes or "R" in classes
    return False


from .flow import FlowMixin  # noqa: E402  (flow.py builds on the AST above)


class Builder(FlowMixin):
    """Builds a Program from a Chooser. Sizes are kept small: the interesting part is the
    mix of breaks, modes and nesting, not long arithmetic.

    Switches for the newer constructs (docs/fuzzing.md): ``handlers`` (try/except/finally,
    user context managers, raised user exceptions), ``loops`` (while loops, loops over
    lists/enumerate/array rows, break/continue, loop counters as indices, in comparisons
    and accumulators), ``scalars`` (int/float parameters of the root), ``closures``
    (functions defined in a frame and called across breaks), ``max_calls`` (each program
    is called 3..max_calls times with different scalars/arrays), ``dtypes``,
    ``cache_limits`` (config.cache_size_limit values to draw from), ``flow_weight``
    (how much more often than by default those statements are drawn) and
    ``scalar_chance`` (% of roots with int/float parameters), ``bound_chance`` (% of
    loops bounded by an int variable, e.g. ``range(n)``, rather than a constant) and
    ``strict_chance`` (% of fullgraph=True roots; an outer mode: that + 5)."""

    def __init__(self, ch, *, max_helpers=5, max_stmts=5, max_nesting=2, allow_raise=True,
                 backends=("eager", "kernels"), scalar_branches=True, nonstrict_breaks=True,
                 handlers=True, loops=True, scalars=True, closures=True, max_calls=3,
                 dtypes=("float64", "float32"), cache_limits=(64, 8), flow_weight=1,
                 scalar_chance=60, bound_chance=25, strict_chance=40):
        self.ch = ch
        self.nonstrict_breaks = nonstrict_breaks  # graph_break() (a no-op) in nonstrict bodies
        self.scalar_branches = scalar_branches   # `if s > 0` on NumPy scalars (0-d results)
        self.max_helpers = max_helpers
        self.max_stmts = max_stmts
        self.max_nesting = max_nesting
        self.allow_raise = allow_raise
        self.backends = backends
        self.handlers = handlers
        self.loops = loops
        self.scalars = scalars
        self.closures = closures
        self.max_calls = max(3, max_calls)
        self.dtypes = dtypes
        self.cache_limits = cache_limits
        self.flow_weight = flow_weight       # multiplies the weights of flow.py's statements
        self.scalar_chance = scalar_chance   # % of roots with int/float parameters
        self.bound_chance = bound_chance     # % of loops bounded by an int variable (`n`)
        self.strict_chance = strict_chance   # % of fullgraph=True roots (outer modes: +5)
        self.site = 0
        self.counter = 0

    # --- helpers for names and sites
    def new_site(self):
        self.site += 1
        return self.site

    def new_var(self):
        self.counter += 1
        return f"a{self.counter}"

    # --- expressions
    def const(self, scope):
        if scope.loops and self.ch.chance(30):
            return self.ch.pick(scope.loops)
        if self.loops and self.ch.chance(35):
            return self.scalar_expr(self.ch.pick(["I", "F"]), scope)
        return self.ch.pick(CONSTS)

    def expr(self, cls, scope, depth=2):
        ch = self.ch
        if cls in ("I", "F"):
            return self.scalar_expr(cls, scope)
        classes = scope.classes()
        have = scope.of(cls)
        if have and (depth <= 0 or not ch.chance(60)):
            return ch.pick(have)
        if depth <= 0:
            depth = 1
        d = depth - 1
        prods = []
        if have or constructible(cls, classes):
            prods += ["un", "bin"]
        if cls == "M":
            if "M" in classes:
                prods += ["rev0", "rev1", "where", "clip"]
            if "R" in classes and "V" in classes:
                prods += ["outer"]
        elif cls == "V":
            if "M" in classes:
                prods += ["red0", "slicered0", "row"]
            if "V" in classes:
                prods += ["rev"]
        elif cls == "R":
            if "M" in classes:
                prods += ["red1", "slicered1", "col"]
            if "R" in classes:
                prods += ["rev"]
        elif cls == "S":
            prods += ["redall", "npred"]
            if "M" in classes:
                prods += ["elem"]
        if self.loops:
            prods += self.index_productions(cls, scope)
        if not prods:
            raise AssertionError(f"cannot build class {cls} from {classes}")
        p = ch.pick(prods)
        if p == "un":
            return ch.pick(UNARY).format(self.expr(cls, scope, d))
        if p == "bin":
            tmpl = ch.pick(BINARY)
            partner = {"M": ("M", "V", "S", "P"), "V": ("V", "S", "P"),
                       "R": ("R", "S", "P"), "S": ("S", "P")}[cls]
            partner = [c for c in partner if c == "P" or constructible(c, classes)]
            pc = ch.pick(partner)
            other = self.const(scope) if pc == "P" else self.expr(pc, scope, d)
            a = self.expr(cls, scope, d)
            if tmpl.startswith("({} /") or not ch.chance(30):
                return tmpl.format(a, other)
            return tmpl.format(other, a)
        if p == "rev0":
            return f"{self.atom('M', scope, d)}[::-1]"
        if p == "rev1":
            return f"{self.atom('M', scope, d)}[:, ::-1]"
        if p == "rev":
            return f"{self.atom(cls, scope, d)}[::-1]"
        if p == "where":
            m = self.atom("M", scope, d)
            alt = self.expr(ch.pick(["M", "V", "S"] if "V" in classes or "M" in classes else ["M"]),
                            scope, d)
            return f"np.where({m} > 0, {m}, {alt})"
        if p == "clip":
            return f"np.clip({self.expr('M', scope, d)}, -1.0, 1.0)"
        if p == "outer":
            return f"({self.atom('R', scope, d)}[:, None] * {self.expr('V', scope, d)})"
        if p in ("red0", "red1"):
            axis = p[-1]
            return f"{self.atom('M', scope, d)}.{ch.pick(REDUCE)}(axis={axis})"
        if p == "slicered0":
            return f"{self.atom('M', scope, d)}[{ch.pick(['1:', '::2', ':3'])}].sum(axis=0)"
        if p == "slicered1":
            return f"{self.atom('M', scope, d)}[:, {ch.pick(['1:3', '::2', '-2:'])}].sum(axis=1)"
        if p == "row":
            return f"{self.atom('M', scope, d)}[{ch.pick(['0', '-1', '1'])}]"
        if p == "col":
            return f"{self.atom('M', scope, d)}[:, {ch.pick(['0', '-1', '2'])}]"
        if p == "redall":
            src = ch.pick([c for c in ("M", "V", "R") if constructible(c, classes)] or ["S"])
            return f"{self.atom(src, scope, d)}.{ch.pick(REDUCE)}()"
        if p == "npred":
            src = ch.pick([c for c in ("M", "V", "R") if constructible(c, classes)] or ["S"])
            return f"np.{ch.pick(['sum', 'max', 'mean'])}({self.expr(src, scope, d)})"
        if p == "elem":
            return f"{self.atom('M', scope, d)}[{ch.pick(['0, 1', '-1, 0', '1, -1'])}]"
        return self.index_expr(p, cls, scope, d)

    def atom(self, cls, scope, depth):
        """An expression safe to subscript or call a method on."""
        e = self.expr(cls, scope, depth)
        if e.isidentifier():
            return e
        return f"({e})"

    # --- statements
    def block(self, scope, fn_ctx, nesting, n_min=0):
        n = n_min + self.ch.below(self.max_stmts - n_min + 1)
        out = []
        for _ in range(n):
            out.append(self.stmt(scope, fn_ctx, nesting))
            out += self.deferred_calls(scope)
        return out + self.deferred_calls(scope, final=True)

    def stmt(self, scope, fn_ctx, nesting):
        ch = self.ch
        pure = fn_ctx["pure"]
        table = [(30, "assign")]
        if pure:
            if self.nonstrict_breaks:
                table += [(4, "nsbreak")]    # no in-place work: views could alias params
        else:
            table += [(8, "inplace"), (5, "mutate"), (6, "log"), (3, "state"), (3, "count"), (5, "print"),
                      (9, "break")]
            if fn_ctx["callees"]:
                table += [(18, "call")]
            if nesting < self.max_nesting:
                table += [(6, "with"), (5, "for"), (5, "ifpy"), (5, "ifarr")]
            if self.allow_raise:
                table += [(1, "raise")]
            table += self.flow_table(scope, fn_ctx, nesting)
        kind = ch.weighted(table)
        if kind in self.FLOW_KINDS:
            return getattr(self, "gen_" + kind)(scope, fn_ctx, nesting)
        classes = scope.classes()
        if kind == "assign":
            cls = ch.pick([c for c in CLASSES if constructible(c, classes)])
            same = scope.targets(cls)
            target = ch.pick(same) if same and ch.chance(30) else None
            text = self.expr(cls, scope)
            if target is None:
                target = self.new_var()
                scope.vars.append((target, cls))
            return Stmt("assign", text=text, target=target)
        if kind == "inplace":
            cands = [(n, c) for n, c in scope.vars if c in ARRAYS and n not in scope.frozen
                     and (not pure or not any(n == p for p, _ in fn_ctx["params"]))]
            if not cands:
                return self.stmt_assign_fallback(scope)
            name, cls = ch.pick(cands)
            rhs_cls = ch.pick([c for c in {"M": ("S", "V", "M"), "V": ("S", "V"),
                                          "R": ("S", "R")}[cls] if constructible(c, classes)]
                              + ["P"])
            rhs = self.const(scope) if rhs_cls == "P" else self.expr(rhs_cls, scope, 1)
            op = ch.pick(["+=", "*=", "-="])
            return Stmt("inplace", text=f"{name} {op} {rhs}")
        if kind == "mutate":
            params = [(n, c) for n, c in fn_ctx["params"] if c in ("M", "V", "R")]
            if not params:
                return self.stmt_assign_fallback(scope)
            name, cls = ch.pick(params)
            if cls == "M":
                sl = ch.pick(["1:, :2", "::2", ":, 0", "0", "-1, 1:", ":"])
            else:
                sl = ch.pick(["::2", "1:", "0", ":"])
            rhs = self.const(scope) if ch.chance(60) or not constructible("S", classes) \
                else self.expr("S", scope, 1)
            op = ch.pick(["+=", "*=", "="])
            return Stmt("inplace", text=f"{name}[{sl}] {op} {rhs}")
        if kind == "log":
            what = ch.pick(["tag", "shape", "array", "loop"])
            if what == "tag":
                text = f'LOG.append("e{self.new_site()}")'
            elif what == "loop" and scope.loops:
                text = f'LOG.append(("l{self.new_site()}", {ch.pick(scope.loops)}))'
            elif what == "array":
                text = f"LOG.append({ch.pick([n for n, _ in scope.vars])})"
            else:
                arrs = scope.arrays(ARRAYS)
                text = (f"LOG.append({ch.pick(arrs)}.shape)" if arrs
                        else f'LOG.append("e{self.new_site()}")')
            return Stmt("effect", text=text)
        if kind == "state":
            if scope.loops and ch.chance(50):
                return Stmt("effect", text=f'STATE["k{self.new_site()}"] = {ch.pick(scope.loops)}')
            return Stmt("effect", text='STATE["n"] += 1')
        if kind == "count":
            return Stmt("effect", text=ch.pick(["COUNT += 1", "COUNT = COUNT * 2 + 1"]))
        if kind == "print":
            site = self.new_site()
            parts = [f'"p{site}"']
            if scope.loops and ch.chance(50):
                parts.append(ch.pick(scope.loops))
            arrs = scope.arrays(ARRAYS)
            if arrs and ch.chance(50):
                parts.append(f"{ch.pick(arrs)}.shape")
            if self.backend == "eager" and ch.chance(30) and scope.arrays():
                parts.append(f"{ch.pick(scope.arrays())}.sum()")
            buf = "out" if fn_ctx["root"] and self.buf_param else "BUF"
            return Stmt("print", text=", ".join(parts) + f", file={buf}", site=site)
        if kind == "break":
            site = self.new_site()
            return Stmt("break", site=site, text=f'"b{site}"' if ch.chance(30) else "")
        if kind == "nsbreak":
            return Stmt("nsbreak")
        if kind == "call":
            ok = [f for f in fn_ctx["callees"]
                  if all(constructible(c, classes) for _, c in f.params)]
            if not ok:
                return self.stmt_assign_fallback(scope)
            callee = ch.pick(ok)
            args = []
            for pname, pcls in callee.params:
                have = scope.of(pcls)
                if pcls[0] == "C":
                    args.append(self.callable_arg(pcls[1], pcls[2], scope))
                elif have and not ch.chance(25):
                    args.append(ch.pick(have))
                else:
                    args.append(self.expr(pcls, scope, 1))
            same = scope.targets(callee.ret)
            target = ch.pick(same) if same and ch.chance(30) else None
            if target is None:
                target = self.new_var()
                scope.vars.append((target, callee.ret))
            site = self.new_site() if callee.deco == ("disable",) else -1
            return Stmt("call", target=target, value=callee.name, args=tuple(args), site=site)
        if kind == "with":
            mode = (ch.pick(["eogb", "setfg"]), ch.pick([False, True]))
            return Stmt("with", value=mode, body=self.block(scope.child(), fn_ctx, nesting + 1, 1))
        if kind == "for":
            var = f"i{nesting}"
            n = 1 + ch.below(3)
            bound = self.int_bound(scope) if self.loops and ch.chance(self.bound_chance) else None
            child = scope.child(loop=var, ctl="for")
            child.bounds[var] = n - 1 if bound is None else scope.bounds[bound] - 1
            return Stmt("for", target=var, value=n if bound is None else bound,
                        body=self.block(child, fn_ctx, nesting + 1, 1))
        if kind == "ifpy":
            cond = self.pycond(scope)
            body = self.block(scope.child(), fn_ctx, nesting + 1, 1)
            orelse = self.block(scope.child(), fn_ctx, nesting + 1, 0) if ch.chance(50) else []
            return Stmt("ifpy", text=cond, body=body, orelse=orelse)
        if kind == "ifarr":
            site = self.new_site()
            srcs = scope.arrays(ARRAYS + (("S",) if self.scalar_branches else ()))
            if not srcs:
                return self.stmt_assign_fallback(scope)
            src = ch.pick(srcs)
            red = ch.pick(["sum", "max", "mean", "min"])
            cond = f"{src}.{red}() > {ch.pick(['0', '0.5', '-0.5', '1'])}"
            body = self.block(scope.child(), fn_ctx, nesting + 1, 1)
            orelse = self.block(scope.child(), fn_ctx, nesting + 1, 0) if ch.chance(50) else []
            return Stmt("ifarr", text=cond, site=site, body=body, orelse=orelse)
        if kind == "raise":
            return Stmt("ifpy", text=self.pycond(scope, rare=True), body=[self.raise_stmt(scope)])
        raise AssertionError(kind)

    def stmt_assign_fallback(self, scope, work=False):
        cls = self.ch.pick([c for c in CLASSES if constructible(c, scope.classes())])
        target = self.new_var()
        text = self.expr(cls, scope)
        if work and text.isidentifier():
            text = f"({text} + 0.5)"          # real array work, not an alias
        scope.vars.append((target, cls))
        return Stmt("assign", text=text, target=target)

    def pycond(self, scope, rare=False):
        ch = self.ch
        opts = ["FLAG", "not FLAG", 'STATE["n"] > 1', "len(LOG) % 2 == 0", "COUNT > 1"]
        shaped = [n for n, c in scope.vars if c in ("M", "R")]
        if shaped:
            opts.append(f"{ch.pick(shaped)}.shape[0] > 5")
        if scope.loops:
            loop = ch.pick(scope.loops)
            opts += [f"{loop} % 2 == 0", f"{loop} == {'2' if rare else '1'}"]
        if self.loops:
            opts += self.scalar_conds(scope, rare)
        return ch.pick(opts)

    # --- functions and the program
    def function(self, name, params, ret, level, callees, deco, root=False, bounds=None):
        pure = deco == ("nonstrict",)
        self.counter = 0
        scope = _Scope([p for p in params if p[1][0] != "C"], level=level)
        scope.closures = [(n, c[1], c[2]) for n, c in params if c[0] == "C"]
        scope.bounds.update(bounds or {})
        fn_ctx = {"pure": pure, "callees": [] if pure else callees, "params": params,
                  "root": root, "ret": ret, "closure": False}
        body = []
        if root or pure:
            # array work first: the root always has some (the one-graph check relies on it)
            body.append(self.stmt_assign_fallback(scope, work=True))
            fn_ctx["first"] = body[0].target
        body += self.block(scope, fn_ctx, 0)
        if root:
            first = body[0].target
            extra = [n for n, _ in scope.vars if n != first]
            rets = [first] + ([self.ch.pick(extra)] if extra and self.ch.chance(60) else [])
            ret_text = "(" + ", ".join(rets) + ",)"
        else:
            ret_text = self.expr(ret, scope, 1)
        return Func(name, list(params), ret, body, ret_text, deco, level)

    def program(self):
        ch = self.ch
        self.backend = ch.pick(list(self.backends))
        self.buf_param = ch.chance(30)
        n_helpers = ch.below(self.max_helpers + 1)
        helpers = []
        # build bottom-up: a helper may call helpers of a greater level (deeper)
        levels = sorted((1 + ch.below(4) for _ in range(n_helpers)), reverse=True)
        for k, level in enumerate(levels):
            name = f"h{len(levels) - k}"
            nparams = 1 + ch.below(2)
            params = []
            for j in range(nparams):
                params.append((("a", "b")[j] if j < 2 else f"p{j}", ch.pick(["M", "V", "S", "R"])))
            if self.scalars and ch.chance(25):
                params.append(ch.pick([("k", "I"), ("t", "F")]))
            classes = {c for _, c in params if c in CLASSES}
            ret = ch.pick([c for c in CLASSES if constructible(c, classes)])
            deco = ch.weighted([
                (10, None), (2, ("eogb", False)), (2, ("eogb", True)), (2, ("setfg", False)),
                (2, ("setfg", True)), (3, ("disable",)), (3, ("nonstrict",)),
                (2, ("compile", False)), (2, ("compile", True))])
            if self.closures and deco != ("nonstrict",) and ch.chance(12):
                params.append(("fn", self.callable_class()))   # a function argument
            callees = [h for h in helpers if h.level > level]
            helpers.append(self.function(name, params, ret, level, callees, deco))
        root_fg = ch.chance(self.strict_chance)
        callees = list(helpers)
        scalars = []
        if self.scalars and ch.chance(self.scalar_chance):
            scalars = ch.pick([[("n", "I")], [("s", "F")], [("n", "I"), ("s", "F")]])
        root = self.function("root", [("x", "M"), ("y", "V")] + scalars, "T", 0, callees,
                             ("compile", root_fg), root=True, bounds={"n": max(N_VALUES)})
        outer = None
        if ch.chance(self.strict_chance + 5):
            outer = (ch.pick(["with", "deco"]), ch.pick(["eogb", "setfg"]), ch.pick([True, False]))
        return Program(helpers=list(reversed(helpers)), root=root, root_fullgraph=root_fg,
                       outer=outer, flag=ch.pick([True, False]), backend=self.backend,
                       buf_param=self.buf_param, layout=ch.pick(["C", "F", "strided"]),
                       seed=ch.below(1000), special=ch.pick(["", "", "", "nan", "inf"])
                       if ch.chance(15) else "", scalars=scalars,
                       calls=self.call_sequence(scalars),
                       cache_limit=ch.pick(list(self.cache_limits)))

    def call_sequence(self, scalars):
        """The compiled calls: the first, then each a repeat or a variation of the one
        before (new scalar values, new data, another row count, dtype or layout)."""
        ch = self.ch

        def values():
            return tuple(ch.pick(N_VALUES if c == "I" else F_VALUES) for _, c in scalars)

        calls = [Call(ROWS[0], scalars=values())]
        n = 3 + ch.below(self.max_calls - 2)
        for k in range(1, n):
            prev = calls[-1]
            how = ch.weighted([(3, "repeat"), (4 if scalars else 0, "values"), (2, "rows"),
                               (2, "data"), (1, "dtype"), (1, "layout"), (1, "all")])
            if how == "repeat" and k == n - 1 and len(set(calls)) == 1:
                how = "rows"                 # at least one recompile, as before
            change = {"repeat": {}, "values": {"scalars": values()},
                      "rows": {"rows": ch.pick((ROWS[1], MIN_ROWS + 1, MIN_ROWS + 2, ROWS[0]))},
                      "data": {"seed": prev.seed + 1},
                      "dtype": {"dtype": ch.pick(list(self.dtypes))},
                      "layout": {"layout": ch.pick(["C", "F", "strided"])}}.get(how)
            if change is None:
                change = {"scalars": values(), "rows": ch.pick((ROWS[1], MIN_ROWS + 1)),
                          "dtype": ch.pick(list(self.dtypes)), "seed": prev.seed + 1}
            calls.append(dataclasses.replace(prev, **change))
        return calls


def random_program(seed, **kwargs):
    """A program from a plain ``random.Random(seed)`` (no hypothesis needed)."""
    import random
    return Builder(Chooser(rng=random.Random(seed)), **kwargs).program()


# The rest of the fuzzer, re-exported here as one namespace (imported last: those modules
# import the AST above).
from .render import HEADER, Rendered, render  # noqa: E402,F401
from .oracle import (Model, ModelBreak, Outcome, capture_state, inputs_for,  # noqa: E402,F401
                     make_inputs, reset_state)
from .harness import (InvalidProgram, check_program, compare_outcomes,  # noqa: E402,F401
                      describe_expected, mode_stack_leak, run_model, run_plain, standalone)
from .shrink import shrink_program  # noqa: E402,F401
