"""Sources: where a traced value came from, and how to get it again.

A ``Source`` is a frozen, hashable description of a path from the frame's entry state to
a value: an argument slot, a global, a closure cell, an attribute or an item of another
source, or a constant object baked into the generated code. Each source can

- ``guard_path()``: a nested tuple naming the path for guard lowering, e.g.
  ``("attr", ("local", 0), "w")``; ``value_path()`` is the same for a value the guard
  program may compute but never guards itself (a dynamic int expression used as an
  index: ``("binop", "+", ("local", 0), ("const", 1))``);
- ``reload()``: the instructions (``(opname, argval)`` pairs through ``compat``) that load
  the value in generated code whose argument slots are the frame's slots (for resume
  functions: whose arguments are the live values);
- ``fetch(env)``: the value itself, given a ``FrameEnv`` (slots, globals, builtins,
  closure) — the reference evaluation used by Python-side guard checks and tests.

Invariant: sources hold no tracer objects; two equal sources denote the same path.
"""
from __future__ import annotations

from dataclasses import dataclass

import operator

from ..bytecode import compat


@dataclass(frozen=True)
class FrameEnv:
    """What a frame is entered with: argument slots, globals, builtins, closure cells."""
    slots: tuple
    globals: dict
    builtins: dict
    closure: tuple = ()


class Source:
    __slots__ = ()

    def guard_path(self) -> tuple:
        raise NotImplementedError

    def value_path(self) -> tuple:
        return self.guard_path()

    def reload(self) -> list:
        raise NotImplementedError

    def fetch(self, env: FrameEnv):
        raise NotImplementedError

    @property
    def root(self) -> "Source":
        return self


@dataclass(frozen=True)
class LocalSource(Source):
    index: int
    name: str

    def guard_path(self):
        return ("local", self.index)

    def reload(self):
        return [("LOAD_FAST", self.name)]

    def fetch(self, env):
        return env.slots[self.index]

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class GlobalSource(Source):
    name: str

    def guard_path(self):
        return ("global", self.name)

    def reload(self):
        return compat.emit_load_global(self.name, False)

    def fetch(self, env):
        try:
            return env.globals[self.name]
        except KeyError:
            return env.builtins[self.name]

    def __str__(self):
        return f"G[{self.name!r}]"


@dataclass(frozen=True)
class ClosureSource(Source):
    """The contents of the frame function's closure cell ``index`` (free var ``name``)."""
    index: int
    name: str

    def guard_path(self):
        return ("closure", self.index)

    def reload(self):
        return [("LOAD_DEREF", self.name)]

    def fetch(self, env):
        return env.closure[self.index].cell_contents

    def __str__(self):
        return f"<closure {self.name}>"


@dataclass(frozen=True)
class CellSource(Source):
    """The closure cell object ``index`` itself (free var ``name``) of the frame's function."""
    index: int
    name: str

    def guard_path(self):
        return ("cell", self.index)

    def reload(self):
        return [("LOAD_CLOSURE", self.name)]

    def fetch(self, env):
        return env.closure[self.index]

    def __str__(self):
        return f"<cell {self.name}>"


@dataclass(frozen=True)
class AttrSource(Source):
    base: Source
    name: str

    def guard_path(self):
        return ("attr", self.base.guard_path(), self.name)

    def reload(self):
        return self.base.reload() + compat.emit_load_attr(self.name)

    def fetch(self, env):
        return getattr(self.base.fetch(env), self.name)

    @property
    def root(self):
        return self.base.root

    def __str__(self):
        return f"{self.base}.{self.name}"


@dataclass(frozen=True)
class ItemSource(Source):
    base: Source
    key: object

    def guard_path(self):
        return ("item", self.base.guard_path(), self.key)

    def reload(self):
        return self.base.reload() + [("LOAD_CONST", self.key)] + compat.emit_binary_subscr()

    def fetch(self, env):
        return self.base.fetch(env)[self.key]

    @property
    def root(self):
        return self.base.root

    def __str__(self):
        return f"{self.base}[{self.key!r}]"


class ConstSource(Source):
    """A fixed object (a module's globals dict, a builtin): compared by identity."""
    __slots__ = ("value",)

    def __init__(self, value):
        object.__setattr__(self, "value", value)

    def __setattr__(self, name, value):
        raise AttributeError("ConstSource is immutable")

    def __eq__(self, other):
        return type(other) is ConstSource and other.value is self.value

    def __hash__(self):
        return id(self.value)

    def guard_path(self):
        return ("const", self.value)

    def reload(self):
        return [("LOAD_CONST", self.value)]

    def fetch(self, env):
        return self.value

    def __repr__(self):
        return f"ConstSource({type(self.value).__name__}@{id(self.value):#x})"

    __str__ = __repr__


def _call_reload(fn, *parts) -> list:
    """Instructions that call ``fn`` on the values the ``parts`` (instruction lists) load."""
    out = compat.emit_push_null() + [("LOAD_CONST", fn)]
    for p in parts:
        out += p
    return out + compat.emit_call(len(parts))


#: the operators of dynamic number expressions (trace/dynamic.py), as Python applies them
#: ``**`` only as a float power that cannot raise (trace/dynamic.py ``_safe_power``), never
#: in a guard's value path (float expressions index nothing)
NUMBER_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
            "%": operator.mod, "//": operator.floordiv, "**": operator.pow}


@dataclass(frozen=True)
class AffineSource(Source):
    """``add + mul * base``: a dynamic int derived from one dynamic int source (a loop
    variable ``start + step * (cursor.index + k)``, a counter after ``i += 1``). Never
    guarded itself (no guard path): its root is (trace/dynamic.py)."""
    base: Source
    mul: int
    add: int

    def guard_path(self):
        raise TypeError("a derived int is guarded through its root")

    def value_path(self):
        path = self.base.value_path()
        if self.mul != 1:
            path = ("binop", "*", path, ("const", self.mul))
        return ("binop", "+", path, ("const", self.add)) if self.add else path

    def reload(self):
        out = self.base.reload()
        if self.mul != 1:
            out += [("LOAD_CONST", self.mul), ("BINARY_OP", "*")]
        if self.add:
            out += [("LOAD_CONST", self.add), ("BINARY_OP", "+")]
        return out

    def fetch(self, env):
        return self.add + self.mul * self.base.fetch(env)

    @property
    def root(self):
        return self.base.root

    def __str__(self):
        body = str(self.base) if self.mul == 1 else f"{self.mul}*{self.base}"
        return f"({body} + {self.add})" if self.add else body


@dataclass(frozen=True)
class IntExprSource(Source):
    """``left <sym> right`` over dynamic int/float sources and constants (``i * j`` in
    nested loops, ``1 - alpha``), evaluated at run time exactly as Python would."""
    sym: str
    left: Source
    right: Source

    def guard_path(self):
        raise TypeError("a derived int is guarded through its roots")

    def value_path(self):
        return ("binop", self.sym, self.left.value_path(), self.right.value_path())

    def reload(self):
        return self.left.reload() + self.right.reload() + [("BINARY_OP", self.sym)]

    def fetch(self, env):
        return NUMBER_OPS[self.sym](self.left.fetch(env), self.right.fetch(env))

    @property
    def root(self):
        return self.left.root

    def __str__(self):
        def show(side):
            return repr(side.value) if type(side) is ConstSource else str(side)
        return f"({show(self.left)} {self.sym} {show(self.right)})"


def format_pieces(template, *values):
    """An f-string at run time: ``template`` holds its constant parts (str) and, for each
    formatted value in order, ``(conversion, spec)`` (conversion 0 none, 1 str, 2 repr,
    3 ascii), as FORMAT_VALUE and BUILD_STRING compute it."""
    out, it = [], iter(values)
    for piece in template:
        if type(piece) is str:
            out.append(piece)
            continue
        conv, spec = piece
        value = next(it)
        if conv:
            value = (str, repr, ascii)[conv - 1](value)
        out.append(format(value, spec))
    return "".join(out)


@dataclass(frozen=True)
class FormatSource(Source):
    """An f-string over dynamic numbers (``f"it={i:3d}"`` in a loop whose body breaks):
    ``template`` as ``format_pieces`` takes it, ``values`` the sources of the formatted
    dynamic values. Computed at run time where it is rebuilt (a break's argument, a
    side effect), so the numbers stay dynamic; a use that needs the text itself
    specializes them (trace/dynamic.py ``roots_of``)."""
    template: tuple
    values: tuple

    def guard_path(self):
        raise TypeError("a formatted string is guarded through its roots")

    def value_path(self):
        raise TypeError("a formatted string has no guard path")

    def reload(self):
        return _call_reload(format_pieces, [("LOAD_CONST", self.template)],
                            *[v.reload() for v in self.values])

    def fetch(self, env):
        return format_pieces(self.template, *[v.fetch(env) for v in self.values])

    @property
    def root(self):
        return self.values[0].root

    def __str__(self):
        return f"format({', '.join(map(str, self.values))})"


@dataclass(frozen=True)
class ScalarSource(Source):
    """A dynamic Python number as a graph takes it: a NumPy scalar of ``dtype`` (the
    dtype NumPy's weak-scalar promotion gives it beside the array it meets; intp for an
    index, where scalar ints index as views like a Python int)."""
    base: Source
    dtype: object

    def guard_path(self):
        raise TypeError("a scalar made from a dynamic number is guarded through its base")

    def reload(self):
        return _call_reload(self.dtype.type, self.base.reload())

    def fetch(self, env):
        return self.dtype.type(self.base.fetch(env))

    @property
    def root(self):
        return self.base.root

    def __str__(self):
        return f"{self.dtype}({self.base})"


@dataclass(frozen=True)
class DynItemSource(Source):
    """``base[index]`` where ``index`` is a dynamic int expression (``lst[i]``,
    ``lst[i - 1]``, ``tup[-1 - i]`` with a loop variable ``i``): the item at whatever
    position the run picks, read where the trace read it (trace/dyn_items.py). Its guard
    path computes the index from the roots' registers (``value_path``)."""
    base: Source
    index: Source

    def guard_path(self):
        return ("item_at", self.base.guard_path(), self.index.value_path())

    def reload(self):
        return self.base.reload() + self.index.reload() + compat.emit_binary_subscr()

    def fetch(self, env):
        return self.base.fetch(env)[self.index.fetch(env)]

    @property
    def root(self):
        return self.base.root

    def __str__(self):
        return f"{self.base}[{self.index}]"


@dataclass(frozen=True)
class RangeSource(Source):
    """``range(start, stop, step)`` over dynamic int sources (or ConstSource): a range
    with a dynamic bound (trace/dyn_ranges.py), rebuilt at run time. Guarded through
    the roots of its bounds."""
    start: Source
    stop: Source
    step: Source

    def guard_path(self):
        raise TypeError("a range of dynamic ints is guarded through its roots")

    def reload(self):
        return _call_reload(range, self.start.reload(), self.stop.reload(),
                            self.step.reload())

    def fetch(self, env):
        return range(self.start.fetch(env), self.stop.fetch(env), self.step.fetch(env))

    @property
    def root(self):
        return self.stop.root

    def __str__(self):
        def show(side):
            return repr(side.value) if type(side) is ConstSource else str(side)
        return f"range({show(self.start)}, {show(self.stop)}, {show(self.step)})"


@dataclass(frozen=True)
class LenSource(Source):
    """``len(base)``: a list's length at entry as a dynamic int root, so bounds of an
    index into a list that grows from iteration to iteration are guarded as a relation
    (``i < len(lst)``, trace/dyn_items.py) instead of by the length's value."""
    base: Source

    def guard_path(self):
        return ("len", self.base.guard_path())

    def reload(self):
        return _call_reload(len, self.base.reload())

    def fetch(self, env):
        return len(self.base.fetch(env))

    @property
    def root(self):
        return self.base.root

    def __str__(self):
        return f"len({self.base})"


@dataclass(frozen=True)
class RootsSource(Source):
    """The tuple of the values of several dynamic int roots: what a predicate over them
    (``i < j``, ``i == n - 5``; trace/dynamic.Predicate) is guarded on. Guards only."""
    roots: tuple

    def guard_path(self):
        return ("pack", tuple(r.guard_path() for r in self.roots))

    def reload(self):
        raise TypeError("a tuple of roots exists only in guards")

    def fetch(self, env):
        return tuple(r.fetch(env) for r in self.roots)

    def __str__(self):
        return "(" + ", ".join(map(str, self.roots)) + ")"
