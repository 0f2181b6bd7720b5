"""Readable iterators for loops carried across graph breaks.

At a break, an iterator the trace made (``iter(seq)``, ``enumerate``, ``zip``, ``map``,
``filter``; a ``for``
loop paused in its body) is rebuilt as one of these instead of CPython's opaque
iterators, so the resume function that receives it traces the rest of the loop
(trace/resumed_iter.py reads ``seq``, ``index``, ``inner``, ``count``, ``inners``, ``strict``,
``fn``).

Invariants:
- each behaves like the CPython iterator it stands for: a ``SeqCursor`` reads the
  sequence's length at every step and ``seq[index]`` for the item, so a list mutated
  during the loop is seen as CPython's list iterator sees it (it holds the list itself);
  once exhausted it drops the sequence and stays exhausted; ``ZipCursor`` raises zip's
  ``strict=True`` errors with zip's messages;
- a resumed trace advances the cursor it received in place, by side effects replayed
  after the segment's graph (so every reference to it is the one iterator); what the
  segment read of its entry position (``cursor[k]`` items, the dynamic loop variable) is
  loaded before those effects run (trace/codegen.py).
"""


class SeqCursor:
    """The iterator of a range, list, tuple, str, bytes or array (rows) at ``index``;
    ``seq`` None: exhausted. ``cursor[k]`` is the item ``k`` steps ahead (the path by
    which a resumed trace guards and reloads the items it takes)."""
    __slots__ = ("seq", "index")

    def __init__(self, seq, index):
        self.seq = seq
        self.index = index

    def __iter__(self):
        return self

    def __next__(self):
        seq = self.seq
        if seq is None:
            raise StopIteration
        i = self.index
        if i < len(seq):
            self.index = i + 1
            return seq[i]
        self.seq = None             # exhausted for good, as CPython's iterators
        raise StopIteration

    def __getitem__(self, k):
        return self.seq[self.index + k]

    def __length_hint__(self):
        return 0 if self.seq is None else max(len(self.seq) - self.index, 0)

    def __reduce__(self):
        return (SeqCursor, (self.seq, self.index))


class EnumerateCursor:
    """``enumerate(inner, count)`` with a readable inner iterator and count."""
    __slots__ = ("inner", "count")

    def __init__(self, inner, count):
        self.inner = inner
        self.count = count

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self.inner)
        count = self.count
        self.count = count + 1
        return (count, item)

    def __reduce__(self):
        return (EnumerateCursor, (self.inner, self.count))


def zip_shorter(k):
    """zip(strict=True)'s message when argument ``k`` (0-based, > 0) ran out first."""
    return f"zip() argument {k + 1} is shorter than argument{' ' if k == 1 else 's 1-'}{k}"


def zip_longer(k):
    """zip(strict=True)'s message when the first ran out and argument ``k`` did not."""
    return f"zip() argument {k + 1} is longer than argument{' ' if k == 1 else 's 1-'}{k}"


_END = object()


class MapCursor:
    """``map(fn, *inners)`` with readable inner iterators (its position is theirs)."""
    __slots__ = ("fn", "inners")

    def __init__(self, fn, inners):
        self.fn = fn
        self.inners = tuple(inners)

    def __iter__(self):
        return self

    def __next__(self):
        items = [next(inner) for inner in self.inners]   # StopIteration ends it
        return self.fn(*items)

    def __reduce__(self):
        return (MapCursor, (self.fn, self.inners))


class FilterCursor:
    """``filter(fn, inner)`` with a readable inner iterator; ``fn`` None: true items."""
    __slots__ = ("fn", "inner")

    def __init__(self, fn, inner):
        self.fn = fn
        self.inner = inner

    def __iter__(self):
        return self

    def __next__(self):
        for item in self.inner:
            if (item if self.fn is None else self.fn(item)):
                return item
        raise StopIteration

    def __reduce__(self):
        return (FilterCursor, (self.fn, self.inner))


class ZipCursor:
    """``zip(*inners, strict=strict)`` with readable inner iterators."""
    __slots__ = ("inners", "strict")

    def __init__(self, inners, strict):
        self.inners = tuple(inners)
        self.strict = strict

    def __iter__(self):
        return self

    def __next__(self):
        if not self.inners:
            raise StopIteration
        items = []
        for k, inner in enumerate(self.inners):
            item = next(inner, _END)
            if item is _END:
                if self.strict:       # outside any handler: no __context__, as zip's
                    self._strict_check(k)
                raise StopIteration
            items.append(item)
        return tuple(items)

    def _strict_check(self, k):
        if k:
            raise ValueError(zip_shorter(k))
        for j in range(1, len(self.inners)):
            if next(self.inners[j], _END) is not _END:
                raise ValueError(zip_longer(j))

    def __reduce__(self):
        return (ZipCursor, (self.inners, self.strict))
