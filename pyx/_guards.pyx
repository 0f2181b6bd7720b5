# cython: language_level=3
"""Guard programs: flat C checks over a frame's argument slots, globals and closure.

A ``GuardProgram`` is built from a list of instructions (``framejit/guards/guards.py``
lowers Guard values into it) and evaluated by the frame evaluator before every cached
entry runs, with no Python frame in between. Instructions load values into registers
(owned references) and check them; the first failing check ends the program, and its
index names the guard that failed (for recompile logs and the cache-limit warning).

Instruction tuple formats (op names are the keys of ``OPS``):
  ("load_slot", dst, slot)        ("load_global", dst, name)   ("load_cell", dst, index)
  ("load_attr", dst, src, name)   ("load_item", dst, src, key)
  ("check_type", src, type)       ("check_id", src, obj)       ("check_eq", src, value)
  ("check_len", src, n)           ("check_array", src, dtype, shape, flags)
  ("load_const", dst, obj)        ("check_keys", src, keys_tuple) ("check_alias", src, other)
  ("check_range", src, (lo, hi))  exactly an int or float, lo <= v < hi (None: unbounded)
  ("check_pred", src, fn)         exactly an int, or a tuple (load_pack), and fn(v) is True
Computed loads (dynamic ints, trace/dynamic.py: an index or a predicate over roots;
evaluated in _guards_computed.pxi):
  ("load_binop", dst, left, right, sym)   Python's ``left <sym> right`` (+ - * / % //)
  ("load_item_at", dst, seq, index)       ``seq[index]`` with the index in a register
  ("load_pack", dst, (src, ...))          the tuple of those registers' values
  ("load_len", dst, src)                  ``len(src)``
Lookups that raise (a missing attribute, say) count as a failed check, never an error.
The exported C entry point is ``fj_guard_check`` (capsule ``fj_guards_api``).
"""
from cpython.object cimport PyObject, PyTypeObject, Py_TYPE
from cpython.ref cimport Py_INCREF, Py_XDECREF, Py_XINCREF
from cpython.pycapsule cimport PyCapsule_New
from libc.stdlib cimport malloc, free
cimport numpy as cnp
import numpy as np

cnp.import_array()

from cpython.weakref cimport PyWeakref_NewRef

cdef extern from "Python.h":
    PyObject *PyWeakref_GET_OBJECT(PyObject *ref)
    PyObject *PyDict_GetItemWithError(PyObject *d, PyObject *key)
    void Py_IncRef(PyObject *o)
    void Py_DecRef(PyObject *o)
    PyObject *PyTuple_GET_ITEM(PyObject *t, Py_ssize_t i)
    Py_ssize_t PyTuple_GET_SIZE(PyObject *t)
    PyObject *PyErr_Occurred()
    PyObject *PyObject_GetAttr(PyObject *o, PyObject *name)
    PyObject *PyObject_GetItem(PyObject *o, PyObject *key)
    int PyObject_RichCompareBool(PyObject *a, PyObject *b, int op)
    Py_ssize_t PyObject_Length(PyObject *o)
    PyObject *PyCell_GET(PyObject *cell)
    void PyErr_Clear()
    int Py_EQ

cdef enum GuardOp:
    G_LOAD_SLOT = 1
    G_LOAD_GLOBAL
    G_LOAD_CELL
    G_LOAD_ATTR
    G_LOAD_ITEM
    G_CHECK_TYPE
    G_CHECK_ID
    G_CHECK_EQ
    G_CHECK_LEN
    G_CHECK_ARRAY
    G_LOAD_CONST
    G_CHECK_KEYS
    G_CHECK_ALIAS
    G_CHECK_RANGE
    G_CHECK_PRED
    G_LOAD_BINOP
    G_LOAD_ITEM_AT
    G_LOAD_PACK
    G_LOAD_LEN

OPS = {
    "load_slot": G_LOAD_SLOT, "load_global": G_LOAD_GLOBAL, "load_cell": G_LOAD_CELL,
    "load_attr": G_LOAD_ATTR, "load_item": G_LOAD_ITEM, "check_type": G_CHECK_TYPE,
    "check_id": G_CHECK_ID, "check_eq": G_CHECK_EQ, "check_len": G_CHECK_LEN,
    "check_array": G_CHECK_ARRAY, "load_const": G_LOAD_CONST, "check_keys": G_CHECK_KEYS,
    "check_alias": G_CHECK_ALIAS, "check_range": G_CHECK_RANGE,
    "check_pred": G_CHECK_PRED, "load_binop": G_LOAD_BINOP, "load_item_at": G_LOAD_ITEM_AT,
    "load_pack": G_LOAD_PACK, "load_len": G_LOAD_LEN,
}
_LOADS = {G_LOAD_SLOT, G_LOAD_GLOBAL, G_LOAD_CELL, G_LOAD_ATTR, G_LOAD_ITEM, G_LOAD_CONST,
          G_LOAD_BINOP, G_LOAD_ITEM_AT, G_LOAD_PACK, G_LOAD_LEN}

# load_binop's operators, as Python applies them to numbers (trace/sources.NUMBER_OPS)
cdef enum BinOp:
    B_ADD = 0
    B_SUB
    B_MUL
    B_TRUEDIV
    B_MOD
    B_FLOORDIV

_BINOPS = {"+": B_ADD, "-": B_SUB, "*": B_MUL, "/": B_TRUEDIV, "%": B_MOD, "//": B_FLOORDIV}
MAX_REGISTERS = 64

# check_array flags: which layout facts the compiled code relies on.
ARRAY_C_CONTIGUOUS = 1
ARRAY_WRITEABLE = 2
ARRAY_ALIGNED = 4
ARRAY_NOT_C_CONTIGUOUS = 8

ctypedef struct ginstr:
    int op
    int dst          # load: destination register; check: source register
    int src          # load_attr/load_item: source register
    Py_ssize_t arg   # slot/closure index, length, index into consts, or a register
    Py_ssize_t arg2  # check_array: index of the shape tuple in consts (flags in `src`);
                     # load_binop: the BinOp


cdef class GuardProgram:
    """A compiled guard program; ``descriptions[i]`` says what instruction i checks."""
    cdef ginstr *code
    cdef Py_ssize_t n
    cdef int nregs
    cdef readonly tuple consts
    cdef readonly tuple descriptions
    cdef Py_ssize_t *shapes   # flattened expected shapes for check_array
    cdef readonly Py_ssize_t last_failed   # index of the check that failed last, or -1

    def __cinit__(self):
        self.code = NULL
        self.shapes = NULL
        self.n = 0
        self.last_failed = -1

    def __init__(self, instructions, descriptions=None):
        instructions = list(instructions)
        consts = []
        cdef Py_ssize_t i, nshape = 0
        for ins in instructions:
            if ins[0] == "check_array":
                nshape += len(ins[3]) + 1
        self.code = <ginstr *>malloc(sizeof(ginstr) * max(1, len(instructions)))
        self.shapes = <Py_ssize_t *>malloc(sizeof(Py_ssize_t) * max(1, nshape))
        if self.code == NULL or self.shapes == NULL:
            raise MemoryError()
        cdef Py_ssize_t shape_pos = 0
        cdef int nregs = 0
        for i, ins in enumerate(instructions):
            op = OPS.get(ins[0])
            if op is None:
                raise ValueError(f"unknown guard instruction {ins[0]!r}")
            self.code[i].op = op
            self.code[i].dst = ins[1]
            self.code[i].src = 0
            self.code[i].arg = 0
            self.code[i].arg2 = 0
            if op == G_LOAD_SLOT or op == G_LOAD_CELL or op == G_CHECK_LEN:
                self.code[i].arg = int(ins[2])
            elif op == G_CHECK_ALIAS:
                self.code[i].src = int(ins[2])
            elif op == G_CHECK_ID:
                # Held weakly where possible: a strong reference to a user function
                # would close a cycle through the code object's co_extra, which the
                # garbage collector cannot see. A dead referent fails the check.
                self.code[i].arg = len(consts)
                try:
                    consts.append(PyWeakref_NewRef(ins[2], None))
                    self.code[i].src = 1
                except TypeError:
                    consts.append(ins[2])
            elif op in (G_LOAD_GLOBAL, G_CHECK_TYPE, G_CHECK_EQ, G_LOAD_CONST, G_CHECK_KEYS,
                        G_CHECK_RANGE, G_CHECK_PRED):
                self.code[i].arg = len(consts)
                consts.append(ins[2])
            elif op == G_LOAD_ATTR or op == G_LOAD_ITEM:
                self.code[i].src = ins[2]
                self.code[i].arg = len(consts)
                consts.append(ins[3])
            elif op == G_LOAD_BINOP or op == G_LOAD_ITEM_AT:
                self.code[i].src = _register(ins[2])
                self.code[i].arg = _register(ins[3])
                if op == G_LOAD_BINOP:
                    self.code[i].arg2 = _BINOPS[ins[4]]
                nregs = max(nregs, self.code[i].src + 1, self.code[i].arg + 1)
            elif op == G_LOAD_LEN:
                self.code[i].src = _register(ins[2])
                nregs = max(nregs, self.code[i].src + 1)
            elif op == G_LOAD_PACK:
                self.code[i].arg = len(consts)
                packed = tuple(_register(r) for r in ins[2])
                consts.append(packed)
                nregs = max([nregs] + [r + 1 for r in packed])
            elif op == G_CHECK_ARRAY:
                self.code[i].arg = len(consts)
                consts.append(np.dtype(ins[2]))
                shape = tuple(ins[3])
                self.code[i].arg2 = shape_pos
                self.shapes[shape_pos] = len(shape)
                for d in shape:
                    shape_pos += 1
                    self.shapes[shape_pos] = d
                shape_pos += 1
                self.code[i].src = int(ins[4]) if len(ins) > 4 else 0
            nregs = max(nregs, ins[1] + 1)
        if nregs > MAX_REGISTERS:
            raise ValueError(f"guard program uses {nregs} registers; at most {MAX_REGISTERS}")
        self.n = len(instructions)
        self.nregs = nregs
        self.consts = tuple(consts)
        if descriptions is None:
            descriptions = [repr(ins) for ins in instructions]
        self.descriptions = tuple(descriptions)

    def __dealloc__(self):
        free(self.code)
        free(self.shapes)

    def __len__(self):
        return self.n

    def check(self, tuple slots, globals_=None, builtins=None, closure=None):
        """Run the program from Python (tests, explain): True when every check passes."""
        cdef Py_ssize_t i, n = len(slots)
        cdef PyObject **arr = <PyObject **>malloc(sizeof(PyObject *) * max(1, n))
        for i in range(n):
            arr[i] = <PyObject *>slots[i]
        try:
            r = fj_guard_check(<PyObject *>self, arr, n,
                               <PyObject *>globals_ if globals_ is not None else NULL,
                               <PyObject *>builtins if builtins is not None else NULL,
                               <PyObject *>closure if closure is not None else NULL)
        finally:
            free(arr)
        if r < 0:
            raise RuntimeError("guard program failed to run")
        return bool(r)

    def failed_description(self):
        """What the last failed check was about, or None."""
        if self.last_failed < 0:
            return None
        return self.descriptions[self.last_failed]


def _register(r):
    r = int(r)
    if not 0 <= r < MAX_REGISTERS:
        raise ValueError(f"guard program uses register {r}; at most {MAX_REGISTERS}")
    return r


cdef inline PyObject *_lookup_global(PyObject *name, PyObject *globals_, PyObject *builtins) noexcept:
    """New reference to globals[name] or builtins[name]; NULL (no error set) if absent."""
    cdef PyObject *v = NULL
    if globals_ != NULL:
        v = PyDict_GetItemWithError(globals_, name)
    if v == NULL and builtins != NULL and PyErr_Occurred() == NULL:
        v = PyDict_GetItemWithError(builtins, name)
    if v == NULL:
        PyErr_Clear()
        return NULL
    Py_IncRef(v)
    return v


cdef inline int _check_array(GuardProgram p, ginstr *ins, PyObject *o) noexcept:
    cdef cnp.ndarray a
    cdef Py_ssize_t k, nd
    cdef Py_ssize_t *shape
    if Py_TYPE(<object>o) != <PyTypeObject *>cnp.ndarray:
        return 0
    a = <cnp.ndarray>o
    cdef object expected = p.consts[ins.arg]
    cdef object actual = <object><PyObject *>cnp.PyArray_DESCR(a)
    if actual is not expected and not cnp.PyArray_EquivTypes(actual, expected):
        return 0
    shape = &p.shapes[ins.arg2]
    nd = shape[0]
    if cnp.PyArray_NDIM(a) != nd:
        return 0
    for k in range(nd):
        if cnp.PyArray_DIMS(a)[k] != shape[k + 1]:
            return 0
    if (ins.src & ARRAY_C_CONTIGUOUS) and not cnp.PyArray_IS_C_CONTIGUOUS(a):
        return 0
    if (ins.src & ARRAY_NOT_C_CONTIGUOUS) and cnp.PyArray_IS_C_CONTIGUOUS(a):
        return 0
    if (ins.src & ARRAY_WRITEABLE) and not cnp.PyArray_ISWRITEABLE(a):
        return 0
    if (ins.src & ARRAY_ALIGNED) and not cnp.PyArray_ISALIGNED(a):
        return 0
    return 1


cdef int fj_guard_check(PyObject *prog, PyObject **slots, Py_ssize_t nslots,
                        PyObject *globals_, PyObject *builtins, PyObject *closure) noexcept:
    """Run a guard program. All arguments borrowed; prog is a GuardProgram (or None:
    always passes). Returns 1 when every check passes, 0 when one fails (its index is
    kept in last_failed), -1 on an internal error (exception set). Never steals."""
    if prog == NULL or <object>prog is None:
        return 1
    cdef GuardProgram p = <GuardProgram>prog
    cdef PyObject *regs[64]
    cdef PyObject *v
    cdef PyObject *c
    cdef ginstr *ins
    cdef Py_ssize_t i, j
    cdef int ok = 1
    cdef int nregs = p.nregs
    cdef object t
    for j in range(nregs):
        regs[j] = NULL
    for i in range(p.n):
        ins = &p.code[i]
        if ins.op == G_LOAD_SLOT:
            v = slots[ins.arg] if ins.arg < nslots else NULL
            if v != NULL:
                Py_IncRef(v)
        elif ins.op == G_LOAD_GLOBAL:
            v = _lookup_global(<PyObject *>p.consts[ins.arg], globals_, builtins)
        elif ins.op == G_LOAD_CELL:
            v = NULL
            if closure != NULL and ins.arg < PyTuple_GET_SIZE(closure):
                c = PyCell_GET(PyTuple_GET_ITEM(closure, ins.arg))
                if c != NULL:
                    Py_IncRef(c)
                    v = c
        elif ins.op == G_LOAD_CONST:
            v = <PyObject *>p.consts[ins.arg]
            Py_IncRef(v)
        elif ins.op == G_LOAD_ATTR or ins.op == G_LOAD_ITEM:
            v = NULL
            if regs[ins.src] != NULL:
                if ins.op == G_LOAD_ATTR:
                    v = PyObject_GetAttr(regs[ins.src], <PyObject *>p.consts[ins.arg])
                else:
                    v = PyObject_GetItem(regs[ins.src], <PyObject *>p.consts[ins.arg])
                if v == NULL:
                    PyErr_Clear()
        elif (ins.op == G_LOAD_BINOP or ins.op == G_LOAD_ITEM_AT or ins.op == G_LOAD_PACK
              or ins.op == G_LOAD_LEN):
            v = _computed_load(p, ins, regs)
        else:
            v = regs[ins.dst]
            if v == NULL:
                ok = 0
            elif ins.op == G_CHECK_TYPE:
                ok = <PyObject *>Py_TYPE(<object>v) == <PyObject *>p.consts[ins.arg]
            elif ins.op == G_CHECK_ID:
                c = <PyObject *>p.consts[ins.arg]
                if ins.src:
                    c = PyWeakref_GET_OBJECT(c)
                ok = v == c
            elif ins.op == G_CHECK_EQ:
                ok = _check_eq(v, <PyObject *>p.consts[ins.arg])
            elif ins.op == G_CHECK_LEN:
                j = PyObject_Length(v)
                if j < 0:
                    PyErr_Clear()
                ok = j == ins.arg
            elif ins.op == G_CHECK_ARRAY:
                ok = _check_array(p, ins, v)
            elif ins.op == G_CHECK_ALIAS:
                ok = v == regs[ins.src]
            elif ins.op == G_CHECK_KEYS:
                ok = _check_keys(v, <PyObject *>p.consts[ins.arg])
            elif ins.op == G_CHECK_RANGE:
                ok = _check_range(v, <PyObject *>p.consts[ins.arg])
            elif ins.op == G_CHECK_PRED:
                ok = _check_pred(v, <PyObject *>p.consts[ins.arg])
            if not ok:
                break
            continue
        if v == NULL:
            ok = 0   # the value to guard is gone: a failed guard, not an error
            break
        if regs[ins.dst] != NULL:
            Py_DecRef(regs[ins.dst])
        regs[ins.dst] = v
    p.last_failed = -1 if ok else i
    for j in range(nregs):
        if regs[j] != NULL:
            Py_DecRef(regs[j])
    return 1 if ok else 0


include "_guards_computed.pxi"


cdef int _check_eq(PyObject *v, PyObject *expected) noexcept:
    """Same exact type and equal value, element-wise for tuples (so (1, 2.0) does not
    pass for (1, 2): an int and a float trace differently). NaN equals NaN, so a NaN
    constant still hits."""
    cdef int r
    cdef Py_ssize_t i, n
    if Py_TYPE(<object>v) != Py_TYPE(<object>expected):
        return 0
    if v == expected:
        return 1
    if Py_TYPE(<object>v) == <PyTypeObject *>tuple:
        n = PyTuple_GET_SIZE(v)
        if n != PyTuple_GET_SIZE(expected):
            return 0
        for i in range(n):
            if not _check_eq(PyTuple_GET_ITEM(v, i), PyTuple_GET_ITEM(expected, i)):
                return 0
        return 1
    r = PyObject_RichCompareBool(v, expected, Py_EQ)
    if r < 0:
        PyErr_Clear()
        return 0
    if r == 0 and Py_TYPE(<object>v) == <PyTypeObject *>float:
        return (<object>v != <object>v) and (<object>expected != <object>expected)
    return r


cdef int _check_range(PyObject *v, PyObject *bounds) noexcept:
    """v is exactly an int or float (not a bool) within [lo, hi); a None bound is open.
    Dynamic Python numbers (trace/dynamic.py) are guarded this way instead of by value."""
    if Py_TYPE(<object>v) != <PyTypeObject *>int and Py_TYPE(<object>v) != <PyTypeObject *>float:
        return 0
    lo = (<tuple>bounds)[0]
    hi = (<tuple>bounds)[1]
    try:
        return (lo is None or lo <= <object>v) and (hi is None or <object>v < hi)
    except BaseException:
        PyErr_Clear()
        return 0


cdef int _check_pred(PyObject *v, PyObject *pred) noexcept:
    """v is exactly an int or a float (one root) or a tuple (several roots, load_pack)
    and pred(v) is True (TYPE guards on the roots fix their types; trace/dynamic.Predicate
    never raises)."""
    if Py_TYPE(<object>v) != <PyTypeObject *>int and Py_TYPE(<object>v) != <PyTypeObject *>float \
            and Py_TYPE(<object>v) != <PyTypeObject *>tuple:
        return 0
    try:
        return (<object>pred)(<object>v) is True
    except BaseException:
        PyErr_Clear()
        return 0


cdef int _check_keys(PyObject *v, PyObject *expected) noexcept:
    """tuple(v) == expected (a dict's keys, in order); lookups that raise fail the check."""
    try:
        return tuple(<object>v) == <object>expected
    except BaseException:
        PyErr_Clear()
        return 0


ctypedef int (*fj_guard_check_t)(PyObject *, PyObject **, Py_ssize_t, PyObject *,
                                 PyObject *, PyObject *) noexcept

cdef fj_guard_check_t _check_ptr = fj_guard_check
fj_guards_api = PyCapsule_New(<void *>_check_ptr, b"framejit._guards.fj_guards_api", NULL)
