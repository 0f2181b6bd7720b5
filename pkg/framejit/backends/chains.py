"""Chain fusion: runs of float arithmetic in a lowered program -> ``chain`` instructions,
which the kernel library evaluates with the running value in vector registers
(include/framejit/kernel_chain.h) instead of loading and storing a block buffer per op.

``schedule(regs, code)`` reorders each pass of an unallocated program (lower.py, before
register allocation) so that chainable instructions stand together: the others run as
early as their operands allow, chainable ones only when an other instruction or the end
of the pass needs them, so the arithmetic between two transcendentals (or reductions,
comparisons) becomes one run. Only data dependencies order instructions (a register's
reads and writes keep their relative order), so the program computes the same.

``prepare(regs, code)`` (before scheduling) turns a float comparison whose bool result
only serves as the condition of wheres of the same dtype into pseudo-ops through a float
temp holding 1/0 (``CMP``, ``WHERE``), which chains evaluate with quiet comparisons and
selects: the same values and no FP flag, as the ops give.

``fuse(regs, code)`` works on a register-allocated program (lower.py) and returns an
equivalent one. A run is a maximal sequence of consecutive instructions of one pass whose
op has a chain step (``STEP_OF``, or a pseudo-op of ``prepare``), whose result is a
float64/float32 temp or array register, all of one dtype. Each run becomes one chain when
it has two instructions or more, holds a pseudo-op, or reads an acc (a per-row scalar that
a lone op would read as a filled block).

Invariants (why the result is the same program):
- Elementwise instructions touch element i of every register only, so running a chain's
  steps tile by tile gives the values, stores and FP flags of running its instructions
  block by block, in the same order, even when registers are reused in place.
- A value stays in the running value t, unstored, only when nothing reads its register
  later except the next instruction of the run, once (``x * x`` reads it twice: square).
  Every other value is stored where it is computed, so every later read (in the chain or
  after it) sees what the unfused program would have stored. Array registers (outputs)
  are always stored. Registers no instruction references any more are dropped.
- Each step rounds exactly as the op it replaces: a + b, a * b and friends are the same
  IEEE operation with the operands swapped (add and multiply commute bit for bit), and
  ``x - t`` / ``x / t`` have their own steps (rsubtract, rdivide).
"""
from __future__ import annotations

from framejit._native import _kernels as K

#: op -> chain step for the running value as the first operand; unary ops have no operand
STEP_OF = {"add": "add", "subtract": "subtract", "multiply": "multiply", "divide": "divide",
           "negative": "negative", "absolute": "absolute", "square": "square", "sqrt": "sqrt",
           **{f: f for f in ("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin",
                             "cos", "tan", "tanh")}}
#: the step when the running value is the second operand
REVERSED = {"add": "add", "multiply": "multiply", "subtract": "rsubtract", "divide": "rdivide",
            "greater": "less", "greater_equal": "less_equal", "less": "greater",
            "less_equal": "greater_equal", "equal": "equal", "not_equal": "not_equal"}
COMPARISONS = ("greater", "greater_equal", "less", "less_equal", "equal", "not_equal")
FLOATS = frozenset({"float64", "float32"})
#: pseudo-ops of comparisons and wheres that chains evaluate (``prepare``): "cmp:<op>"
#: writes 1/0 into a float temp, "where:" reads such a temp as its condition; only chains
#: run them (``fuse`` puts every one into a chain)
CMP, WHERE = "cmp:", "where:"


def _nsrc(ins):
    """Source registers of an instruction (pseudo-ops included)."""
    if ins[0].startswith(CMP):
        return 2
    if ins[0] == WHERE:
        return 3
    return K.OPINFO[ins[0]][1]


def _pseudo(ins):
    return ins[0].startswith(CMP) or ins[0] == WHERE


def _srcs(ins):
    return ins[2:2 + _nsrc(ins)]


def _as_chainable(ins, regs):
    """The instruction as (op, dst, *srcs) with a chain step, or None."""
    op = ins[0]
    if op not in STEP_OF and not _pseudo(ins):
        return None
    dst = regs[ins[1]]
    if dst[0] not in ("temp", "array") or _dtype(dst) not in FLOATS:
        return None
    return ins


def _dtype(spec):
    return spec[1] if spec[0] in ("temp", "acc") else spec[2]


def _later_reads(code, j, reg):
    """How many times instructions after j (in its pass) read `reg` before one writes it."""
    n = 0
    for ins in code[j + 1:]:
        if ins[0] == "pass":
            break
        n += sum(1 for r in _srcs(ins) if r == reg)
        if ins[1] == reg:
            break
    return n


def _via_t(nxt, dst):
    """How many of nxt's reads of dst the running value serves (a where's condition is
    always read from memory)."""
    if nxt is None or dst not in nxt[2:]:
        return 0
    if nxt[0] == WHERE:
        return 1 if dst in nxt[3:] else 0
    return 2 if nxt[0] == "multiply" and nxt[2] == nxt[3] == dst else 1


def _chain(run, code, start, regs):
    """Steps for the instructions run[k] = code[start + k] (already made chainable)."""
    steps, cur = [], None
    for k, ins in enumerate(run):
        op, dst, srcs = ins[0], ins[1], list(ins[2:])
        if op.startswith(CMP):
            op = op[len(CMP):]
        if op == WHERE:                                   # dst = c ? p : q
            c, p, q = srcs
            if q == cur:
                steps.append(("where", c, p))
            elif p == cur:
                steps.append(("rwhere", c, q))
            else:
                steps.extend([("load", q), ("where", c, p)])
        elif len(srcs) == 1:
            if srcs[0] != cur:
                steps.append(("load", srcs[0]))
            steps.append((STEP_OF[op],))
        elif srcs[0] == cur and srcs[1] == cur and op == "multiply":
            steps.append(("square",))
        elif srcs[0] == cur:
            steps.append((STEP_OF.get(op, op), srcs[1]))
        elif srcs[1] == cur:
            steps.append((REVERSED[op], srcs[0]))
        else:
            steps.extend([("load", srcs[0]), (STEP_OF.get(op, op), srcs[1])])
        cur = dst
        nxt = run[k + 1] if k + 1 < len(run) else None
        via_t = _via_t(nxt, dst)
        if (regs[dst][0] == "array" or nxt is None
                or _later_reads(code, start + k, dst) > via_t):
            steps.append(("store", dst))
    return ("chain", tuple(steps))


def prepare(regs, code):
    """Comparisons of floats whose bool results only serve as the conditions of wheres of
    the same float dtype -> pseudo-ops through a float temp (1/0), so that chains can
    evaluate both: (regs, code) of an unallocated program (a temp is written once per
    pass) -> the same with pseudo-ops and new temps."""
    regs, out = list(regs), list(code)
    start = 0
    for end in [i for i, ins in enumerate(code) if ins[0] == "pass"] + [len(code)]:
        block = range(start, end)
        for i in block:
            ins = code[i]
            if ins[0] not in COMPARISONS or regs[ins[1]][0] != "temp":
                continue
            dt = _dtype(regs[ins[2]])
            readers = [j for j in block if j != i and ins[1] in _srcs(code[j])]
            if dt not in FLOATS or not readers or not all(
                    code[j][0] == "where" and code[j][2] == ins[1]
                    and ins[1] not in code[j][3:] and _dtype(regs[code[j][1]]) == dt
                    and regs[code[j][1]][0] in ("temp", "array") for j in readers):
                continue
            regs.append(("temp", dt))
            out[i] = (CMP + ins[0], len(regs) - 1) + tuple(ins[2:])
            for j in readers:
                out[j] = (WHERE, code[j][1], len(regs) - 1) + tuple(code[j][3:])
        start = end + 1
    return regs, out


def _chainable_unallocated(ins, regs):
    if ins[0] == "powi":
        return ins[-1] in (2, 3, 4) and regs[ins[1]][0] in ("temp", "array") \
            and _dtype(regs[ins[1]]) in FLOATS
    return _as_chainable(ins, regs) is not None


def _dependencies(block):
    """preds[i]: the instructions of ``block`` (one pass) that must run before i."""
    preds = [set() for _ in block]
    writer, readers = {}, {}
    for i, ins in enumerate(block):
        for r in _srcs(ins):
            if r in writer:
                preds[i].add(writer[r])             # read after write
            readers.setdefault(r, []).append(i)
        d = ins[1]
        preds[i].update(j for j in readers.get(d, ()) if j != i)   # write after read
        if d in writer:
            preds[i].add(writer[d])                 # write after write
        writer[d], readers[d] = i, []
    return preds


def _schedule_pass(block, regs):
    chainable = [_chainable_unallocated(ins, regs) for ins in block]
    preds = _dependencies(block)
    done, order = set(), []

    def ready(i):
        return i not in done and preds[i] <= done

    def emit(i):
        done.add(i)
        order.append(i)

    while len(done) < len(block):
        progress = True
        while progress:                             # others: as early as possible
            progress = False
            for i in range(len(block)):
                if not chainable[i] and ready(i):
                    emit(i)
                    progress = True
        needed, todo = set(), [i for i in range(len(block)) if not chainable[i] and i not in done]
        while todo:                                 # chainable work the others wait for
            for j in preds[todo.pop()]:
                if j not in done and j not in needed and chainable[j]:
                    needed.add(j)
                    todo.append(j)
        pick = needed or {i for i in range(len(block)) if i not in done}
        progress = True
        while progress:                             # ... as one run
            progress = False
            for i in sorted(pick):
                if ready(i):
                    emit(i)
                    progress = True
    return [block[i] for i in order]


def schedule(regs, code):
    """The passes of ``code`` with chainable instructions grouped; see the module doc."""
    out, block = [], []
    for ins in code + [("pass",)]:
        if ins[0] == "pass":
            out.extend(_schedule_pass(block, regs))
            out.append(ins)
            block = []
        else:
            block.append(ins)
    return out[:-1]


def _worth_it(run, regs):
    """Two instructions or more, a pseudo-op (nothing else runs those) or an acc read."""
    return len(run) >= 2 or _pseudo(run[0]) or \
        any(regs[r][0] == "acc" for ins in run for r in ins[2:])


def _powers(regs, code):
    """powi of a float by 2, 3 or 4 as the squarings and products the powi kernel does
    (x*x, (x*x)*x, (x*x)*(x*x)), through fresh temps that chains keep in registers."""
    regs, out = list(regs), []
    for ins in code:
        k = ins[-1] if ins[0] == "powi" else None
        if k not in (2, 3, 4) or _dtype(regs[ins[1]]) not in FLOATS:
            out.append(ins)
            continue
        dst, x = ins[1], ins[2]
        if k == 2:
            out.append(("square", dst, x))
            continue
        regs.append(("temp", _dtype(regs[dst])))
        sq = len(regs) - 1
        out.append(("square", sq, x))
        out.append(("multiply", dst, sq, x) if k == 3 else ("square", dst, sq))
    return regs, out


def _hoist_scalars(regs, code):
    """Scalar instructions (acc results of accs and consts) to the start of their pass:
    the kernels run them once per segment before the pass's blocks wherever they stand,
    so they need not split a run of block work."""
    out, start = [], 0
    for ins in code:
        if ins[0] == "pass":
            out.append(ins)
            start = len(out)
        elif ins[0] != "chain" and not _pseudo(ins) and \
                K.OPINFO[ins[0]][2] == "elementwise" and regs[ins[1]][0] == "acc":
            out.insert(start, ins)
            start += 1
        else:
            out.append(ins)
    return out


def fuse(regs, code):
    """(regs, code) of a lowered program -> the same with chains; see the module doc."""
    regs, code = _powers(regs, code)
    code = _hoist_scalars(regs, code)
    out, k = [], 0
    while k < len(code):
        first = _as_chainable(code[k], regs) if code[k][0] != "pass" else None
        if first is None:
            out.append(code[k])
            k += 1
            continue
        dt = _dtype(regs[first[1]])
        run = [first]
        while k + len(run) < len(code):
            nxt = code[k + len(run)]
            c = _as_chainable(nxt, regs) if nxt[0] != "pass" else None
            if c is None or _dtype(regs[c[1]]) != dt:
                break
            run.append(c)
        if _worth_it(run, regs):
            out.append(_chain(run, code, k, regs))
        else:
            out.extend(code[k:k + len(run)])
        k += len(run)
    return _prune(regs, out)


def _refs(ins):
    if ins[0] == "pass":
        return ()
    if ins[0] == "chain":
        return tuple(r for st in ins[1] for r in st[1:])
    return (ins[1],) + tuple(_srcs(ins))


def _prune(regs, code):
    """Drop the registers nothing references any more (elided temps), renumbering."""
    used = {r for ins in code for r in _refs(ins)}
    keep = [r for r, spec in enumerate(regs) if r in used or spec[0] not in ("temp",)]
    new = {r: i for i, r in enumerate(keep)}

    def remap(ins):
        if ins[0] == "pass":
            return ins
        if ins[0] == "chain":
            return ("chain", tuple((st[0],) + tuple(new[r] for r in st[1:]) for st in ins[1]))
        n = _nsrc(ins)
        return (ins[0],) + tuple(new[r] for r in ins[1:2 + n]) + tuple(ins[2 + n:])

    return [regs[r] for r in keep], [remap(ins) for ins in code]
