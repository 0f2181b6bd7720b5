"""Lower a trace's guards (``trace/guards.py``: kind, source, expected) to a C program.

Each distinct source path is loaded once into its own register (parents before
children, so ``x.w`` reuses the register of ``x``), then checked. The program's
``descriptions`` are the guards' own descriptions, so the evaluator can say which guard
failed (recompile logs, the cache-limit warning). One lowering function per guard kind.
"""
from .. import _native
from ..trace.guards import GuardKind

_g = _native._guards


class _Lowering:
    def __init__(self):
        self.instructions = []
        self.descriptions = []
        self.registers = {}

    def begin_guard(self):
        """Registers are reused from scratch when a program outgrows them: values are
        simply loaded again (a path is never deeper than the register file)."""
        if len(self.registers) >= _g.MAX_REGISTERS - 8:
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


def _key(path):
    """A hashable key for a path: constants are keyed by identity."""
    kind = path[0]
    if kind == "const":
        return ("const", id(path[1]))
    if kind in ("attr", "item"):
        return (kind, _key(path[1]), path[2] if kind == "attr" else _hashable(path[2]))
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
        return f"<const {type(path[1]).__name__}>"
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
        lw.begin_guard()
        reg = lw.load(g.source.guard_path())
        _LOWER[g.kind](lw, reg, g)
    return _g.GuardProgram(lw.instructions, lw.descriptions)
