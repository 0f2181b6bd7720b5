"""Caches keyed by the identity of code objects, held weakly.

Code objects compare by value (CPython compares name, bytecode, constants, line table —
not the file name), so ``WeakKeyDictionary`` and ``weakref.ref`` equality would let two
distinct but equal code objects (two ``exec``'d copies of one function, say) share
per-code state. Everything here compares by identity and drops an entry when its code
object dies.
"""
import weakref


class IdRef:
    """A weak reference that is equal only to a reference to the very same object."""
    __slots__ = ("ref", "key", "__weakref__")

    def __init__(self, obj, callback=None):
        self.ref = weakref.ref(obj, callback)
        self.key = id(obj)

    def __call__(self):
        return self.ref()

    def __hash__(self):
        return self.key

    def __eq__(self, other):
        if type(other) is not IdRef or other.key != self.key:
            return False
        mine = self.ref()
        return mine is not None and mine is other.ref()


class IdentityWeakKeyDict:
    """``{obj: value}`` by identity, holding ``obj`` weakly (entry gone when it dies)."""
    __slots__ = ("_data",)

    def __init__(self):
        self._data = {}

    def _live(self, obj):
        hit = self._data.get(id(obj))
        if hit is not None and hit[0]() is obj:
            return hit
        return None

    def get(self, obj, default=None):
        hit = self._live(obj)
        return default if hit is None else hit[1]

    def __contains__(self, obj):
        return self._live(obj) is not None

    def __getitem__(self, obj):
        hit = self._live(obj)
        if hit is None:
            raise KeyError(obj)
        return hit[1]

    def __setitem__(self, obj, value):
        key = id(obj)
        data = self._data

        def drop(_ref, key=key, data=data):
            entry = data.get(key)
            if entry is not None and entry[0] is _ref:
                del data[key]

        self._data[key] = (weakref.ref(obj, drop), value)

    def setdefault(self, obj, default):
        hit = self._live(obj)
        if hit is not None:
            return hit[1]
        self[obj] = default
        return default

    def values(self):
        return [v for r, v in list(self._data.values()) if r() is not None]

    def clear(self):
        self._data.clear()

    def __len__(self):
        return sum(1 for r, _ in list(self._data.values()) if r() is not None)


class IdentityWeakSet:
    """A set of objects by identity, held weakly."""
    __slots__ = ("_d",)

    def __init__(self):
        self._d = IdentityWeakKeyDict()

    def add(self, obj):
        self._d[obj] = True

    def __contains__(self, obj):
        return obj in self._d

    def __len__(self):
        return len(self._d)
