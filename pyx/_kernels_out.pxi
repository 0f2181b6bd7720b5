# Kernel outputs: their memory (NumPy's memory-handler API, include/framejit/memhandler.h)
# and one call of a lowered group (`Runner`). Included by _kernels.pyx.
from cpython.pycapsule cimport PyCapsule_New
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF

cdef extern from "numpy/arrayobject.h":
    PyTypeObject PyArray_Type
    # steals the reference to descr; obj may be NULL
    object PyArray_NewFromDescr(PyTypeObject *subtype, cnp.PyArray_Descr *descr, int nd,
                                cnp.npy_intp *dims, cnp.npy_intp *strides, void *data,
                                int flags, PyObject *obj)

if fj_mh_init() != 0:
    raise MemoryError("framejit: cannot allocate the output cache's lock")
cdef object _HANDLER = PyCapsule_New(fj_mh_handler_addr(), "mem_handler", NULL)
HANDLER_NAME = "framejit_output_cache"
FPE_DIVIDE, FPE_OVERFLOW, FPE_UNDERFLOW, FPE_INVALID = (
    FJ_FPE_DIVIDE, FJ_FPE_OVERFLOW, FJ_FPE_UNDERFLOW, FJ_FPE_INVALID)


cdef object _alloc(tuple shape, cnp.dtype descr, object strides):
    """A fresh array that owns its data: np.empty(shape, descr) with the given strides (a
    permutation of C order, or None for C order). Large arrays come from framejit's memory
    handler, installed only for this one allocation."""
    cdef int nd = len(shape), d
    cdef cnp.npy_intp dims[64]
    cdef cnp.npy_intp st[64]
    cdef cnp.npy_intp *stp = NULL
    cdef size_t nbytes = descr.itemsize
    if nd > 64:
        raise ValueError("too many dimensions")
    for d in range(nd):
        dims[d] = shape[d]
        nbytes *= <size_t>dims[d]
    if strides is not None:
        for d in range(nd):
            st[d] = strides[d]
        stp = st
    if nbytes < fj_mh_min or fj_mh_max_bytes == 0:
        Py_INCREF(descr)
        return PyArray_NewFromDescr(&PyArray_Type, <cnp.PyArray_Descr *>descr, nd, dims,
                                    stp, NULL, 0, NULL)
    prev = cnp.PyDataMem_SetHandler(_HANDLER)
    try:
        Py_INCREF(descr)
        return PyArray_NewFromDescr(&PyArray_Type, <cnp.PyArray_Descr *>descr, nd, dims,
                                    stp, NULL, 0, NULL)
    finally:
        cnp.PyDataMem_SetHandler(prev)


def empty(shape, dtype, strides=None):
    """np.empty(shape, dtype) (C order, or the given strides: a permutation of C order);
    arrays of 128 KiB and more take their memory from framejit's output cache (blocks of
    arrays that died; no page faults on first touch). The result is a plain array that
    owns its data."""
    descr = np.dtype(dtype)
    if descr.hasobject or not descr.isnative or descr.names is not None \
            or descr.subdtype is not None:
        return np.empty(shape, descr)
    return _alloc(tuple(shape), descr, None if strides is None else tuple(strides))


def cache_limit(nbytes=None, per_size=None):
    """Bytes the output cache may keep (0 turns it off) and blocks of one size class it
    may keep; with arguments, set them (and free what is over). Returns the previous
    (nbytes, per_size)."""
    global fj_mh_max_bytes, fj_mh_per_class
    prev = (fj_mh_max_bytes, fj_mh_per_class)
    if nbytes is not None:
        if nbytes < 0:
            raise ValueError("cache limit must be >= 0")
        fj_mh_max_bytes = nbytes
    if per_size is not None:
        if per_size < 0:
            raise ValueError("blocks per size class must be >= 0")
        fj_mh_per_class = per_size
    if nbytes is not None or per_size is not None:
        with nogil:
            fj_mh_trim(0 if fj_mh_per_class == 0 else fj_mh_max_bytes)
    return prev


def cache_clear():
    """Free every block the output cache holds; returns the bytes freed."""
    cdef size_t freed
    with nogil:
        freed = fj_mh_trim(0)
    return freed


def cache_info():
    """(blocks, bytes) held by the output cache."""
    return fj_mh_n, fj_mh_bytes


def cache_stats():
    """Counters of the output cache: blocks served from it (hits), fresh blocks (misses),
    blocks freed by NumPy (released), what it holds now, and its bounds."""
    return {"hits": fj_mh_hits, "misses": fj_mh_misses, "released": fj_mh_released,
            "blocks": fj_mh_n, "bytes": fj_mh_bytes, "max_bytes": fj_mh_max_bytes,
            "per_size": fj_mh_per_class, "min_bytes": fj_mh_min}


def soft_fpe_checks(flag=None):
    """Whether the software FP checks of the vectorized transcendentals run (kernels.h);
    with `flag`, set it (tests, benchmarks). Returns the previous setting."""
    global fj_soft_on
    prev = bool(fj_soft_on)
    if flag is not None:
        fj_soft_on = 1 if flag else 0
    return prev


def size_class(nbytes):
    """The capacity a request of `nbytes` is served with (tests)."""
    return fj_mh_class(nbytes)


cdef class Runner:
    """One call of a lowered group: allocate its outputs in the layout NumPy would give
    them, run the Program, return (FP exception flags, output values).

    Runner(program, shape, outputs, layout): `outputs` lists (shape, kernel_shape or None,
    dtype, scalar) per output operand: the value's shape, the shape the Program writes
    (a keepdims reduction is written through a view without the kept dim), and whether
    the value is a NumPy scalar (`out[()]`). `layout(inputs)` gives every output's strides
    when some input is not C-contiguous (None: C order); with only C-contiguous inputs,
    NumPy's results are C-ordered too and it is not called."""
    cdef Program prog
    cdef tuple shape
    cdef list specs
    cdef object layout
    cdef bint flat                 # calls may take _run_flat (no output is reshaped)
    cdef int nd
    cdef Py_ssize_t dims[64]
    cdef Py_ssize_t size

    def __init__(self, Program program, shape, outputs, layout=None):
        cdef int d
        self.prog = program
        self.shape = tuple(shape)
        self.specs = [(tuple(s), None if k is None else tuple(k), np.dtype(dt), bool(sc))
                      for s, k, dt, sc in outputs]
        self.layout = layout
        self.nd = len(self.shape)
        if self.nd > 64:
            raise ValueError("too many dimensions")
        self.size = 1
        for d in range(self.nd):
            self.dims[d] = self.shape[d]
            self.size *= self.dims[d]
        self.flat = program.reduce != "last" and all(k is None for _, k, _, _ in self.specs)

    def __call__(self, tuple inputs, num_threads):
        cdef bint c_order = True
        cdef int j
        for x in inputs:
            if not cnp.PyArray_Check(x) or not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>x):
                c_order = False
                break
        strides = None if c_order or self.layout is None else self.layout(inputs)
        values = []
        for j in range(len(self.specs)):
            shape, kshape, descr, scalar = self.specs[j]
            values.append(_alloc(shape, descr, None if strides is None else strides[j]))
        fpe = -1
        if self.flat and c_order:
            fpe = _run_flat(self.prog, inputs, values, self.nd, self.dims, self.size,
                            num_threads)
        if fpe == -1:
            operands = list(inputs)
            for j in range(len(self.specs)):
                kshape = self.specs[j][1]
                operands.append(values[j] if kshape is None else values[j].reshape(kshape))
            fpe = _run(self.prog, operands, self.shape, num_threads, 0)
        for j in range(len(self.specs)):
            if self.specs[j][3]:
                values[j] = values[j][()]
        return fpe, values

