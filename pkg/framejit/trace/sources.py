"""Sources: where a traced value came from, and how to get it again.

A ``Source`` is a frozen, hashable description of a path from the frame's entry state to
a value: an argument slot, a global, a closure cell, an attribute or an item of another
source, or a constant object baked into the generated code. Each source can

- ``guard_path()``: a nested tuple naming the path for guard lowering, e.g.
  ``("attr", ("local", 0), "w")``;
- ``reload()``: the instructions (``(opname, argval)`` pairs through ``compat``) that load
  the value in generated code whose argument slots are the frame's slots (for resume
  functions: whose arguments are the live values);
- ``fetch(env)``: the value itself, given a ``FrameEnv`` (slots, globals, builtins,
  closure) — the reference evaluation used by Python-side guard checks and tests.

Invariant: sources hold no tracer objects; two equal sources denote the same path.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


@dataclass(frozen=True)
class CursorItemSource(Source):
    """The value a resumed ``for`` loop over a range gets ``k`` iterations after the
    position of the RangeCursor at ``cursor`` (trace/dynamic.py): ``seq[index + k]``. It is
    never guarded itself (no guard path): the cursor's index is."""
    cursor: Source
    k: int

    def guard_path(self):
        raise TypeError("a cursor item is guarded through its cursor's index")

    def reload(self):
        from .cursor import cursor_item
        return _call_reload(cursor_item, self.cursor.reload(), [("LOAD_CONST", self.k)])

    def fetch(self, env):
        from .cursor import cursor_item
        return cursor_item(self.cursor.fetch(env), self.k)

    @property
    def root(self):
        return self.cursor.root

    def __str__(self):
        return f"{self.cursor}.seq[{self.cursor}.index + {self.k}]"


@dataclass(frozen=True)
class AsArraySource(Source):
    """A dynamic Python int as the 0-d array of ``dtype`` a graph takes it as (the dtype
    NumPy's weak-scalar promotion gives it beside the array it meets)."""
    base: Source
    dtype: object

    def guard_path(self):
        raise TypeError("an array made from a dynamic int is guarded through its base")

    def reload(self):
        return _call_reload(_as_0d, self.base.reload(), [("LOAD_CONST", self.dtype)])

    def fetch(self, env):
        return _as_0d(self.base.fetch(env), self.dtype)

    @property
    def root(self):
        return self.base.root

    def __str__(self):
        return f"{self.dtype}({self.base})"


def _as_0d(value, dtype):
    return np.array(value, dtype)
