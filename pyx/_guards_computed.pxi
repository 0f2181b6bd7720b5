# Included by _guards.pyx: the computed loads of a guard program (dynamic ints,
# trace/dynamic.py): an index expression from its roots' registers (load_binop), an item
# at a computed index (load_item_at), a tuple of roots for a predicate (load_pack), a
# length (load_len). Each returns a new reference, or NULL with no error set when an
# operand is missing or the operation raises: the guard then fails, never errors.

cdef extern from "Python.h":
    PyObject *PyNumber_Add(PyObject *a, PyObject *b)
    PyObject *PyNumber_Subtract(PyObject *a, PyObject *b)
    PyObject *PyNumber_Multiply(PyObject *a, PyObject *b)
    PyObject *PyNumber_TrueDivide(PyObject *a, PyObject *b)
    PyObject *PyNumber_Remainder(PyObject *a, PyObject *b)
    PyObject *PyNumber_FloorDivide(PyObject *a, PyObject *b)
    PyObject *PyTuple_New(Py_ssize_t n)
    PyObject *PyLong_FromSsize_t(Py_ssize_t n)
    void PyTuple_SET_ITEM(PyObject *t, Py_ssize_t i, PyObject *o)


cdef PyObject *_computed_load(GuardProgram p, ginstr *ins, PyObject **regs) noexcept:
    """New reference to a computed value (an index expression, an item at it, a tuple of
    roots), or NULL (no error set) when an operand is missing or the operation raises."""
    cdef PyObject *v = NULL
    cdef PyObject *a
    cdef PyObject *b
    cdef Py_ssize_t k, n
    cdef tuple srcs
    if ins.op == G_LOAD_PACK:
        srcs = <tuple>p.consts[ins.arg]
        n = len(srcs)
        for k in range(n):
            if regs[<int>srcs[k]] == NULL:
                return NULL
        v = PyTuple_New(n)
        if v == NULL:
            PyErr_Clear()
            return NULL
        for k in range(n):
            a = regs[<int>srcs[k]]
            Py_IncRef(a)
            PyTuple_SET_ITEM(v, k, a)
        return v
    a = regs[ins.src]
    if ins.op == G_LOAD_LEN:
        if a == NULL:
            return NULL
        n = PyObject_Length(a)
        if n < 0:
            PyErr_Clear()
            return NULL
        v = PyLong_FromSsize_t(n)
        if v == NULL:
            PyErr_Clear()
        return v
    b = regs[ins.arg]
    if a == NULL or b == NULL:
        return NULL
    if ins.op == G_LOAD_ITEM_AT:
        v = PyObject_GetItem(a, b)
    elif ins.arg2 == B_ADD:
        v = PyNumber_Add(a, b)
    elif ins.arg2 == B_SUB:
        v = PyNumber_Subtract(a, b)
    elif ins.arg2 == B_MUL:
        v = PyNumber_Multiply(a, b)
    elif ins.arg2 == B_TRUEDIV:
        v = PyNumber_TrueDivide(a, b)
    elif ins.arg2 == B_MOD:
        v = PyNumber_Remainder(a, b)
    else:
        v = PyNumber_FloorDivide(a, b)
    if v == NULL:
        PyErr_Clear()
    return v
