"""A readable range iterator for values carried across graph breaks."""


class RangeCursor:
    """The iterator of a ``range`` rebuilt at a graph break: unlike CPython's
    range_iterator its position is readable, so a resume function that receives it (a
    ``for`` loop paused at a break) traces the rest of the loop instead of meeting an
    opaque object (trace/wrap.py guards ``seq`` and ``index``)."""
    __slots__ = ("seq", "index")

    def __init__(self, seq, index):
        self.seq = seq
        self.index = index

    def __iter__(self):
        return self

    def __next__(self):
        i = self.index
        if i >= len(self.seq):
            raise StopIteration
        self.index = i + 1
        return self.seq[i]

    def __length_hint__(self):
        return max(len(self.seq) - self.index, 0)

    def __reduce__(self):
        return (RangeCursor, (self.seq, self.index))


def cursor_advance(cursor, k):
    """The cursor ``k`` iterations further on (a new object: the one a resume function
    received is never changed, so every path that reloads it sees the entry position)."""
    return RangeCursor(cursor.seq, cursor.index + k)
