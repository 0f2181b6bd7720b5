"""Lower a trace's guards (``trace/guards.py``: kind, source, expected) to a C program.

Each distinct source path is loaded once into its own register (parents before
children, so ``x.w`` reuses the register of ``x``), then checked. The program's
``descriptions`` are the guards' own descriptions, so the evaluator can say which guard
failed (recompile logs, the cache-limit warning). One lowering function per guard kind.
Computed paths (``binop``, ``item_at``, ``pack``, ``len``: a dynamic int index, the roots
of a predicate, a list's run-time length; trace/sources.py ``value_path``) load their operands first, like parents.
"""
from .. import _native
from ..trace.guards import GuardKind

_g = _native._guards


class _Lowering:
    def __init__(self):
        self.instructions = []
        self.descriptions = []
        self.registers = {}

    def begin_guard(self, need):
        """Registers are reused from scratch when the ``need`` registers of a guard's
        paths would not fit in the rest of the register file: values are simply loaded
        again (one guard never needs more than the register file)."""
        if len(self.registers) + need > _g.MAX_REGISTERS:
            self.registers.clear()

    def load(self, path):
        """Register holding the value at ``path``, emitting its loads on first use."""
        key = _key(path)
        reg = self.registers.get(key)
        if reg is not None:
            return reg
        kind = path[0]
        if kind in ("attr", "item"):
            base = self.load(path[1])
            reg = len(self.registers)
            self.emit((f"load_{kind}", reg, base, path[2]), f"load {_fmt(path)}")
        elif kind in _COMPUTED:
            operands = [self.load(p) for p in _COMPUTED[kind](path)]
            reg = len(self.registers)
            extra = (path[1],) if kind == "binop" else ()
            args = (tuple(operands),) if kind == "pack" else tuple(operands)
            self.emit((f"load_{kind}", reg) + args + extra, f"load {_fmt(path)}")
        else:
            reg = len(self.registers)
            self.emit((_ROOT_LOADS[kind], reg, path[1]), f"load {_fmt(path)}")
        self.registers[key] = reg
        return reg

    def emit(self, instruction, description):
        self.instructions.append(instruction)
        self.descriptions.append(description)


_ROOT_LOADS = {"local": "load_slot", "global": "load_global", "closure": "load_cell",
               "const": "load_const"}

# computed values (dynamic ints, trace/sources.py ``value_path``): kind -> operand paths
_COMPUTED = {
    "binop": lambda path: path[2:4],          # ("binop", sym, left, right)
    "item_at": lambda path: path[1:3],        # ("item_at", seq, index)
    "pack": lambda path: path[1],             # ("pack", (root, ...))
    "len": lambda path: path[1:2],            # ("len", seq)
}


def _size(path) -> int:
    """How many registers loading ``path`` takes at most."""
    kind = path[0]
    if kind in ("attr", "item"):
        return 1 + _size(path[1])
    if kind in _COMPUTED:
        return 1 + sum(_size(p) for p in _COMPUTED[kind](path))
    return 1


def _key(path):
    """A hashable key for a path: constants are keyed by identity."""
    kind = path[0]
    if kind == "const":
        return ("const", id(path[1]))
    if kind in ("attr", "item"):
        return (kind, _key(path[1]), path[2] if kind == "attr" else _hashable(path[2]))
    if kind in _COMPUTED:
        return (kind, path[1] if kind == "binop" else None,
                tuple(_key(p) for p in _COMPUTED[kind](path)))
    return path


def _hashable(key):
    try:
        hash(key)
        return key
    except TypeError:
        return ("id", id(key))


def _fmt(path):
    kind = path[0]
    if kind == "attr":
        return f"{_fmt(path[1])}.{path[2]}"
    if kind == "item":
        return f"{_fmt(path[1])}[{path[2]!r}]"
    if kind == "const":
        value = path[1]
        return repr(value) if type(value) in (int, float) else f"<const {type(value).__name__}>"
    if kind == "binop":
        return f"({_fmt(path[2])} {path[1]} {_fmt(path[3])})"
    if kind == "item_at":
        return f"{_fmt(path[1])}[{_fmt(path[2])}]"
    if kind == "pack":
        return "(" + ", ".join(_fmt(p) for p in path[1]) + ")"
    if kind == "len":
        return f"len({_fmt(path[1])})"
    return f"{kind} {path[1]}"


def _array_flags(expect):
    if expect.c_contiguous is None:
        return 0
    return _g.ARRAY_C_CONTIGUOUS if expect.c_contiguous else _g.ARRAY_NOT_C_CONTIGUOUS


_LOWER = {
    GuardKind.TYPE: lambda lw, r, g: lw.emit(("check_type", r, g.expected), str(g)),
    GuardKind.ID: lambda lw, r, g: lw.emit(("check_id", r, g.expected), str(g)),
    GuardKind.VALUE: lambda lw, r, g: lw.emit(("check_eq", r, g.expected), str(g)),
    GuardKind.LEN: lambda lw, r, g: lw.emit(("check_len", r, int(g.expected)), str(g)),
    GuardKind.KEYS: lambda lw, r, g: lw.emit(("check_keys", r, tuple(g.expected)), str(g)),
    GuardKind.ARRAY: lambda lw, r, g: lw.emit(
        ("check_array", r, g.expected.dtype, tuple(g.expected.shape), _array_flags(g.expected)),
        str(g)),
    GuardKind.PRED: lambda lw, r, g: lw.emit(("check_pred", r, g.expected), str(g)),
    GuardKind.RANGE: lambda lw, r, g: lw.emit(("check_range", r, tuple(g.expected)), str(g)),
    GuardKind.ALIAS: lambda lw, r, g: lw.emit(
        ("check_alias", r, lw.load(g.expected.guard_path())), str(g)),
}


def lower(guards):
    """A ``GuardProgram`` checking every guard, in the given order."""
    lw = _Lowering()
    for g in guards:
        path = g.source.guard_path()
        other = g.expected.guard_path() if g.kind is GuardKind.ALIAS else None
        lw.begin_guard(_size(path) + (_size(other) if other is not None else 0))
        reg = lw.load(path)
        _LOWER[g.kind](lw, reg, g)
    return _g.GuardProgram(lw.instructions, lw.descriptions)
