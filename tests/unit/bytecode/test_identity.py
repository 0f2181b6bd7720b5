"""Identity-keyed weak caches: equal code objects never share per-code state."""
import gc

from framejit.bytecode.identity import IdRef, IdentityWeakKeyDict, IdentityWeakSet


def _twin_codes():
    src = "def f(x):\n    return x + 1\n"
    a, b = {}, {}
    exec(compile(src, "<a>", "exec"), a)
    exec(compile(src, "<b>", "exec"), b)
    return a["f"].__code__, b["f"].__code__


def test_equal_codes_are_distinct_keys():
    ca, cb = _twin_codes()
    assert ca == cb and ca is not cb       # the trap: code objects compare by value
    d = IdentityWeakKeyDict()
    d[ca] = "a"
    assert cb not in d and d.get(cb) is None
    d[cb] = "b"
    assert d[ca] == "a" and d[cb] == "b" and len(d) == 2
    assert IdRef(ca) != IdRef(cb) and IdRef(ca) == IdRef(ca)
    s = IdentityWeakSet()
    s.add(ca)
    assert ca in s and cb not in s


def test_entries_die_with_their_key():
    ca, cb = _twin_codes()
    d = IdentityWeakKeyDict()
    d[ca] = [1]
    d.setdefault(cb, []).append(2)
    ref = IdRef(ca)
    del ca
    gc.collect()
    assert len(d) == 1 and d[cb] == [2]
    assert ref() is None and ref != IdRef(cb)
