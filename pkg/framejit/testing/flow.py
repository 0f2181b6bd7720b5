"""Control flow and Python scalars for the program generator (framejit.testing.programs).

A mixin of ``Builder``: ``try``/``except``/``finally`` with raised user exceptions, user
context managers (``Ctx``, logging to ``LOG``, some suppressing ``UserError``), ``while``
loops with int counters, ``for`` loops over lists, ``enumerate`` and array rows, loop
``break``/``continue``, Python ints and floats (loop counters, accumulators, the root's
``n``/``s`` parameters, ``float(array)``) used in array arithmetic, as indices of arrays
and of the global list ``WS`` / tuple ``WT``, in comparisons (with constants, with each
other, with None); closures defined in a frame and called later (across breaks), early
``return``. Every choice shrinks towards the plainer option (Chooser).
"""
from .programs import ARRAYS, CLASSES, COLS, MIN_ROWS, Stmt, _Scope, constructible

INT_CONSTS = ("2", "1", "3", "0", "-1")
FLOAT_CONSTS = ("0.5", "1.5", "-2.0", "0.25")
FLOAT_LISTS = ("[0.5, -1.0, 2.0]", "[1.5, 0.25]", "[-0.5]", "(2.0, -1.5, 0.5, 1.0)")
INT_LISTS = (("[1, 3, 2]", 3), ("[0, 2]", 2), ("(3,)", 3))
EXCEPTIONS = ((5, "UserError"), (2, "OtherError"), (2, "(UserError, OtherError)"),
              (1, "ZeroDivisionError"), (1, "IndexError"))


class FlowMixin:
    FLOW_KINDS = frozenset(["try", "ctx", "while", "forx", "brkif", "acc", "store",
                            "tofloat", "closure", "ccall", "return"])

    def flow_table(self, scope, fn_ctx, nesting):
        """Weights of the statement kinds of this module in this context."""
        t = []
        nest = nesting < self.max_nesting
        if self.handlers and nest:
            t += [(5, "try"), (3, "ctx")]
        if self.loops:
            t += [(3, "acc"), (2, "tofloat")]
            if nest:
                t += [(3, "while"), (3, "forx")]
            if scope.ctl:
                t += [(5, "brkif")]
            if scope.arrays(ARRAYS):
                t += [(3, "store")]
            if nesting > 0 and scope.exits:
                t += [(1, "return")]
        if self.closures:
            if nest and not fn_ctx["closure"]:
                t += [(3, "closure")]
            if scope.closures:
                t += [(8, "ccall")]
        return [(w * self.flow_weight, k) for w, k in t]

    # ---------------------------------------------------------------- Python scalars
    @staticmethod
    def ints(scope):
        return list(scope.loops) + scope.of("I")

    def scalar_expr(self, cls, scope):
        """A Python int ("I") or float ("F") expression."""
        ch = self.ch
        ints = self.ints(scope)
        if cls == "I":
            if not ints or ch.chance(25):
                return ch.pick(INT_CONSTS)
            forms = ["{0}", "({0} + 1)", "(2 * {0} - 1)", "({0} - 2)", "({0} * {1})",
                     "({0} + {1})"]
            return ch.pick(forms).format(ch.pick(ints), ch.pick(ints))
        floats = scope.of("F")
        pool = floats + ints
        if not pool or ch.chance(25):
            return ch.pick(FLOAT_CONSTS)
        if ints and ch.chance(30):            # a global list or tuple at a loop index
            seq, n = ch.pick([("WS", 6), ("WT", 4)])
            i = self.index(scope, n)
            return f"{seq}[{i if i is not None else f'{ch.pick(ints)} % {n}'}]"
        a = ch.pick(pool)
        if a in floats:
            forms = ["{0}", "({0} * 0.5)", "({0} + 1.0)", "({0} - {1})"]
        else:
            forms = ["({0} * 0.5)", "({0} + 0.5)", "float({0})"]
        return ch.pick(forms).format(a, ch.pick(pool))

    def scalar_conds(self, scope, rare=False):
        ch = self.ch
        out = []
        ints = self.ints(scope)
        if ints:
            a, b = ch.pick(ints), ch.pick(ints)
            out += [f"{a} > {'3' if rare else '1'}", f"{a} >= {b}", f"{a} == {b} + 1"]
            if not rare:
                out.append(f"{a} is not None")
        floats = scope.of("F")
        if floats:
            f = ch.pick(floats)
            out += [f"{f} > {'2.0' if rare else '0.5'}", f"{f} < 0"]
        return out

    def int_bound(self, scope):
        """An int with a small known maximum, usable as a loop bound (None if none);
        the root's `n` more often than others."""
        cands = [n for n in self.ints(scope) if scope.bounds.get(n) is not None
                 and scope.bounds[n] <= 5]
        if "n" in cands and self.ch.chance(50):
            return "n"
        return self.ch.pick(cands) if cands else None

    # ---------------------------------------------------------------- indexing
    def index(self, scope, limit):
        """An int expression indexing an axis of length >= `limit`; now and then one that
        may be out of bounds for some calls (IndexError, as in Python). None if none."""
        ch = self.ch
        known = [n for n in self.ints(scope) if scope.bounds.get(n) is not None]
        safe = [n for n in known if scope.bounds[n] < limit]
        risky = [n for n in known if n not in safe]
        if risky and (not safe and ch.chance(30) or ch.chance(10)):
            return ch.pick(risky)
        if not safe:
            return None
        i = ch.pick(safe)
        forms = ["{}", "-1 - {}"] + (["{} + 1"] if scope.bounds[i] + 1 < limit else [])
        return ch.pick(forms).format(i)

    def index_productions(self, cls, scope):
        classes = scope.classes()
        prods = []
        if cls == "M" and "M" in classes:
            prods.append("zeros")
        if not any(scope.bounds.get(n) is not None for n in self.ints(scope)):
            return prods
        if cls == "V" and "M" in classes:
            prods.append("ixrow")
        if cls == "S":
            if "V" in classes:
                prods.append("ixv")
            if "R" in classes:
                prods.append("ixr")
            if "M" in classes:
                prods += ["ixelem", "ixtail"]
        return prods

    def index_expr(self, p, cls, scope, d):
        if p == "zeros":
            return f"np.zeros_like({self.atom('M', scope, d)})"
        limit = COLS if p == "ixv" else MIN_ROWS
        i = self.index(scope, limit)
        if i is None:                      # no usable int: a plain expression instead
            return self.expr(cls, scope, 0)
        src = {"ixrow": "M", "ixv": "V", "ixr": "R", "ixelem": "M", "ixtail": "M"}[p]
        a = self.atom(src, scope, d)
        if p == "ixelem":
            j = self.index(scope, COLS) or "1"
            return f"{a}[{i}, {j}]"
        if p == "ixtail":
            return f"{a}[{i}, 1:].{self.ch.pick(['sum', 'max'])}()"
        return f"{a}[{i}]"

    def gen_store(self, scope, fn_ctx, nesting):
        """out[i] = ..., x[i, 1:] += ..., r[i] -= ...: a store at a (loop) index."""
        ch = self.ch
        name, cls = ch.pick([(n, c) for n, c in scope.vars if c in ARRAYS])
        i = self.index(scope, COLS if cls == "V" else MIN_ROWS)
        if i is None:
            return self.stmt_assign_fallback(scope)
        op = ch.pick(["=", "+=", "*=", "-="])
        classes = scope.classes()
        scalar = self.const(scope) if ch.chance(50) or not constructible("S", classes) \
            else self.expr("S", scope, 1)
        if cls == "M":
            form = ch.pick(["row", "tail", "elem"])
            if form == "row":
                rhs = self.expr(ch.pick(["V", "S"]), scope, 1) if constructible("V", classes) \
                    else scalar
                return Stmt("inplace", text=f"{name}[{i}] {op} {rhs}")
            j = "1:" if form == "tail" else (self.index(scope, COLS) or "0")
            return Stmt("inplace", text=f"{name}[{i}, {j}] {op} {scalar}")
        return Stmt("inplace", text=f"{name}[{i}] {op} {scalar}")

    # ---------------------------------------------------------------- simple statements
    def gen_acc(self, scope, fn_ctx, nesting):
        """Python int/float variables: declare (t = 0), accumulate (t += i), divide."""
        ch = self.ch
        cls = ch.pick(["I", "F"])
        params = {p for p, _ in fn_ctx["params"]}
        olds = [n for n, c in scope.vars if c == cls and n not in params
                and (n not in scope.frozen or fn_ctx["closure"])]
        if not olds or ch.chance(40):
            target = self.new_var()
            text = f"{target} = " + (ch.pick(["0", self.scalar_expr("I", scope)]) if cls == "I"
                                     else ch.pick(["0.0", self.scalar_expr("F", scope)]))
            scope.vars.append((target, cls))
            return Stmt("acc", text=text, target=target)
        t = ch.pick(olds)
        if t in scope.frozen:
            fn_ctx["nonlocals"].add(t)
        e = self.scalar_expr(cls, scope)
        if cls == "I":
            text = ch.pick([f"{t} += {e}", f"{t} -= 1", f"{t} = {t} + {e}"])
        else:
            div = ch.pick(scope.of("F") + ["2.0"])
            text = ch.pick([f"{t} += {e}", f"{t} = {t} * 0.5 + {e}", f"{t} = {e} / {div}"])
        return Stmt("acc", text=text, target=t)

    def gen_tofloat(self, scope, fn_ctx, nesting):
        """f = float(<array value>): a data-dependent break; f is a Python float."""
        site = self.new_site()
        src = self.expr("S", scope, 1)
        target = self.new_var()
        scope.vars.append((target, "F"))
        return Stmt("tofloat", text=src, target=target, site=site,
                    value=self.ch.pick(["float", "item"]))

    def raise_stmt(self, scope):
        ch = self.ch
        site = self.new_site()
        cls = ch.weighted([(4, "UserError"), (2, "OtherError")])
        ints = self.ints(scope)
        msg = f'f"r{site} {{{ch.pick(ints)}}}"' if ints and ch.chance(30) else f'"r{site}"'
        return Stmt("raise", site=site, text=msg, value=cls)

    def maybe_raise(self, body, scope, percent):
        """Insert a (usually conditional) raise of a user exception into `body`."""
        ch = self.ch
        if not self.allow_raise or not ch.chance(percent):
            return body
        r = self.raise_stmt(scope)
        if ch.chance(60):
            r = Stmt("ifpy", text=self.pycond(scope), body=[r])
        body.insert(ch.below(len(body) + 1), r)
        return body

    def gen_return(self, scope, fn_ctx, nesting):
        if fn_ctx["closure"] or not fn_ctx["root"]:
            text = self.expr(fn_ctx["ret"], scope, 1)
        else:
            text = f"({fn_ctx['first']},)"
        return Stmt("ifpy", text=self.pycond(scope), body=[Stmt("return", text=text)])

    def gen_brkif(self, scope, fn_ctx, nesting):
        """if <cond>: break / continue (continue only in for loops)."""
        ch = self.ch
        word = "continue" if scope.ctl[-1] == "for" and ch.chance(35) else "break"
        body = [Stmt("loopctl", text=word)]
        srcs = scope.arrays(ARRAYS)
        if srcs and ch.chance(30):
            site = self.new_site()
            cond = f"{ch.pick(srcs)}.{ch.pick(['sum', 'max'])}() > {ch.pick(['0', '1'])}"
            return Stmt("ifarr", text=cond, site=site, body=body)
        return Stmt("ifpy", text=self.pycond(scope), body=body)

    # ---------------------------------------------------------------- blocks
    def gen_try(self, scope, fn_ctx, nesting):
        ch = self.ch
        body = self.maybe_raise(self.block(scope.child(), fn_ctx, nesting + 1, 1), scope, 50)
        handlers = []
        for _ in range(ch.weighted([(6, 1), (2, 0), (2, 2)])):
            exc = ch.weighted(EXCEPTIONS)
            site = self.new_site()
            name = f"e{nesting}" if ch.chance(60) else ""
            hbody = []
            if name and ch.chance(70):
                hbody.append(Stmt("effect", text=f'LOG.append(("c{site}", '
                                  f'type({name}).__name__, str({name})))'))
            hbody += self.block(scope.child(), fn_ctx, nesting + 1, 0)
            if ch.chance(15):
                hbody.append(Stmt("raise", text="", value="") if not name or ch.chance(50)
                             else Stmt("raise", text=f'"o{site}"', value="OtherError",
                                       target=name))
            handlers.append(Stmt("except", text=exc, target=name, body=hbody))
        final = []
        if not handlers or ch.chance(40):
            fscope = scope.child()
            fscope.ctl, fscope.exits = [], False     # no break/return out of a finally
            final = self.block(fscope, fn_ctx, nesting + 1, 1)
        return Stmt("try", body=body, orelse=handlers, final=final)

    def gen_ctx(self, scope, fn_ctx, nesting):
        """with Ctx("c5"[, True]): a user context manager (suppresses UserError if True);
        BCtx also breaks the graph in __enter__ and __exit__."""
        site = self.new_site()
        suppress = self.ch.chance(30)
        cls = "BCtx" if self.ch.chance(20) else "Ctx"     # BCtx: breaks on enter and exit
        body = self.maybe_raise(self.block(scope.child(), fn_ctx, nesting + 1, 1), scope, 25)
        return Stmt("ctx", value=(f"c{site}", suppress, cls), body=body)

    def gen_while(self, scope, fn_ctx, nesting):
        """w = 0; while w < k|n: ...; w += 1 (the counter is part of the statement)."""
        ch = self.ch
        var = f"w{nesting}"
        k = 1 + ch.below(3)
        bound = self.int_bound(scope) if ch.chance(self.bound_chance + 10) else None
        child = scope.child(loop=var, ctl="while")
        child.bounds[var] = (k if bound is None else scope.bounds[bound]) - 1
        body = self.block(child, fn_ctx, nesting + 1, 1)
        return Stmt("while", target=var, value=k if bound is None else bound, body=body)

    def gen_forx(self, scope, fn_ctx, nesting):
        """for over a list, enumerate(list), enumerate(rows of an array), array rows."""
        ch = self.ch
        i, v, r = f"i{nesting}", f"v{nesting}", f"r{nesting}"
        mats = scope.of("M")
        form = ch.pick(["enum", "list", "ilist"] + (["enumrows", "rows"] if mats else []))
        child = scope.child(loop=i if form in ("enum", "enumrows") else None, ctl="for")
        if form == "enum":
            vals = ch.pick(FLOAT_LISTS)
            head = f"{i}, {v} in enumerate({vals})"
            child.bounds[i] = vals.count(",")
            child.vars.append((v, "F"))
        elif form == "list":
            head = f"{v} in {ch.pick(FLOAT_LISTS)}"
            child.vars.append((v, "F"))
        elif form == "ilist":
            vals, top = ch.pick(INT_LISTS)
            head = f"{i} in {vals}"
            child.loops.append(i)
            child.bounds[i] = top
        elif form == "enumrows":
            k = 1 + ch.below(3)
            head = f"{i}, {r} in enumerate({ch.pick(mats)}[:{k}])"
            child.bounds[i] = k - 1
            child.vars.append((r, "V"))
        else:
            head = f"{r} in {ch.pick(mats)}{ch.pick(['[::2]', '[:2]', '', '[1:3]'])}"
            child.vars.append((r, "V"))
        return Stmt("forx", text=head, body=self.block(child, fn_ctx, nesting + 1, 1))

    # ---------------------------------------------------------------- closures
    def gen_closure(self, scope, fn_ctx, nesting):
        """def cl5(q5): ... a function of the frame, capturing its variables."""
        ch = self.ch
        site = self.new_site()
        name, q = f"cl{site}", f"q{site}"
        pcls = ch.pick([c for c in CLASSES if constructible(c, scope.classes())] + ["I", "F"])
        cscope = _Scope([(q, pcls)] + scope.vars, loops=scope.loops, level=scope.level)
        cscope.bounds = dict(scope.bounds)
        cscope.frozen = {n for n, _ in scope.vars} | set(scope.loops)
        cscope.closures = list(scope.closures)
        ret = ch.pick([c for c in CLASSES if constructible(c, cscope.classes())])
        cctx = dict(fn_ctx, closure=True, nonlocals=set(), ret=ret)
        body = self.block(cscope, cctx, nesting + 1, 1)
        text = self.expr(ret, cscope, 1)
        scope.closures.append((name, pcls, ret))
        if ch.chance(75):         # call it later in this block (maybe after a break)
            arg = self.expr(pcls, scope, 1)
            scope.deferred.append([Stmt("call", target="", value=name, args=(arg,)), ret, 0])
        return Stmt("closure", target=name, args=(q,), body=body, text=text,
                    value=tuple(sorted(cctx["nonlocals"])))

    def deferred_calls(self, scope, final=False):
        """Calls of closures defined in this block, placed a statement or more later."""
        out, keep = [], []
        for entry in scope.deferred:
            call, ret, age = entry
            if final or (age > 0 and self.ch.chance(40)):
                call.target = self.new_var()
                scope.vars.append((call.target, ret))
                out.append(call)
            else:
                entry[2] += 1
                keep.append(entry)
        scope.deferred = keep
        return out

    def callable_class(self):
        """The class "C<param class><return class>" of a function argument."""
        pcls = self.ch.pick(["M", "V", "R", "S"])
        ret = self.ch.pick({"M": "MVRS", "V": "VS", "R": "RS", "S": "S"}[pcls])
        return f"C{pcls}{ret}"

    def callable_arg(self, pcls, ret, scope):
        """A closure of the scope with that signature, or a lambda capturing the scope."""
        same = [n for n, p, r in scope.closures if (p, r) == (pcls, ret)]
        if same and self.ch.chance(60):
            return self.ch.pick(same)
        lscope = _Scope([("q", pcls)] + scope.vars, loops=scope.loops, level=scope.level)
        lscope.bounds = dict(scope.bounds)
        return f"(lambda q: {self.expr(ret, lscope, 1)})"

    def gen_ccall(self, scope, fn_ctx, nesting):
        ch = self.ch
        cands = [c for c in scope.closures if constructible(c[1], scope.classes())]
        if not cands:
            return self.stmt_assign_fallback(scope)
        name, pcls, ret = ch.pick(cands)
        have = scope.of(pcls)
        arg = ch.pick(have) if have and ch.chance(60) else self.expr(pcls, scope, 1)
        same = scope.targets(ret)
        target = ch.pick(same) if same and ch.chance(30) else None
        if target is None:
            target = self.new_var()
            scope.vars.append((target, ret))
        return Stmt("call", target=target, value=name, args=(arg,))
