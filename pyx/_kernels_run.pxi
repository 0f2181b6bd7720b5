# Running a Program: bind and check the operands, broadcast, copy inputs that overlap an
# output, coalesce the iteration space (in the output's memory order for elementwise
# programs), run fj_run without the GIL, raise its errors. Included by _kernels.pyx.

# ---- running -------------------------------------------------------------------------

_ERRORS = {
    FJ_ERR_NEG_INT_POWER: (ValueError, "Integers to negative integer powers are not allowed."),
    FJ_ERR_EMPTY_REDUCE: (ValueError, "zero-size array to reduction operation which has no identity"),
    FJ_ERR_UNSUPPORTED: (TypeError, "unsupported kernel"),
}


cdef inline void _extent(cnp.ndarray a, uintptr_t *lo, uintptr_t *hi):
    cdef int d
    cdef Py_ssize_t s, n
    cdef uintptr_t base = <uintptr_t>cnp.PyArray_DATA(a)
    lo[0] = base
    hi[0] = base + <uintptr_t>cnp.PyArray_ITEMSIZE(a)
    for d in range(cnp.PyArray_NDIM(a)):
        n = cnp.PyArray_DIM(a, d)
        s = cnp.PyArray_STRIDE(a, d)
        if s < 0:
            lo[0] += (n - 1) * s
        else:
            hi[0] += (n - 1) * s


cdef void _memory_order(Program P, fj_operand *ops, int nops, Py_ssize_t *dims, int nd):
    """Elementwise programs may visit the iteration space in any order: visit it in the
    memory order of the first output (a stable sort of the dims by its |stride|), so that
    Fortran-ordered or transposed outputs coalesce as C-ordered ones do."""
    cdef int k, i, j, ref = -1, t
    cdef int perm[64]
    cdef Py_ssize_t tmp[64]
    cdef Py_ssize_t si, sj
    for k in range(nops):
        if ops[k].data != NULL and P.operand_written[k]:
            ref = k
            break
    if ref < 0:
        return
    for i in range(nd):
        perm[i] = i
    for i in range(1, nd):
        t = perm[i]
        si = ops[ref].strides[t] if ops[ref].strides[t] >= 0 else -ops[ref].strides[t]
        j = i - 1
        while j >= 0:
            sj = ops[ref].strides[perm[j]]
            if sj < 0:
                sj = -sj
            if sj >= si:
                break
            perm[j + 1] = perm[j]
            j -= 1
        perm[j + 1] = t
    for i in range(nd):
        if perm[i] != i:
            break
    else:
        return
    for i in range(nd):
        tmp[i] = dims[perm[i]]
    for i in range(nd):
        dims[i] = tmp[i]
    for k in range(nops):
        if ops[k].data == NULL:
            continue
        for i in range(nd):
            tmp[i] = ops[k].strides[perm[i]]
        for i in range(nd):
            ops[k].strides[i] = tmp[i]


cdef enum:
    _FLAT_MAX_OPS = 16         # fj_operand is ~520 bytes: 8 KB of stack at most
    _FLAT_MAX_REGS = 256
    _GIL_MIN_SIZE = 500        # NumPy's NPY_BEGIN_THREADS_THRESHOLDED: below, keep the GIL


cdef int _run_flat(Program P, tuple inputs, list outs, int nd, Py_ssize_t *dims,
                   Py_ssize_t size, object num_threads) except -2:
    """The common call of a group, without the general path's bookkeeping: every array
    operand C-contiguous and aligned with exactly the iteration shape (inputs may also be
    0-d: read as broadcast scalars), the outputs fresh (the Runner made them, so nothing
    overlaps), elementwise or reduce="all": one flat dimension. Returns the FP flags, or
    -1 when the call is not of that kind (the caller runs ``_run``)."""
    cdef int nops = P.noperands, nin = len(inputs), k, r, d, typenum, rc, nthreads
    cdef int fpe = 0
    cdef fj_operand ops[_FLAT_MAX_OPS]
    cdef char *acc_out[_FLAT_MAX_REGS]
    cdef fj_launch L
    cdef cnp.ndarray a
    cdef fj_reg *g
    if nops > _FLAT_MAX_OPS or P.nregs > _FLAT_MAX_REGS or size <= 0 \
            or nin + len(outs) != nops or P.prog.reduce == FJ_REDUCE_LAST:
        return -1
    for r in range(P.nregs):
        acc_out[r] = NULL
    for k in range(nops):
        ops[k].data = NULL
        r = P.operand_reg[k]
        if r < 0:
            continue
        x = inputs[k] if k < nin else outs[k - nin]
        if not cnp.PyArray_Check(x):
            return -1
        a = <cnp.ndarray>x
        g = &P.regs[r]
        typenum = cnp.PyArray_TYPE(a)
        if typenum >= 64 or _typenum_to_dt[typenum] != g.dtype \
                or not cnp.PyArray_ISNOTSWAPPED(a) or not cnp.PyArray_ISALIGNED(a) \
                or not cnp.PyArray_IS_C_CONTIGUOUS(a):
            return -1
        if P.operand_written[k] and not cnp.PyArray_ISWRITEABLE(a):
            return -1
        if g.kind == FJ_REG_ACC:
            if cnp.PyArray_SIZE(a) != 1:
                return -1
            acc_out[r] = <char *>cnp.PyArray_DATA(a)
            continue
        ops[k].data = <char *>cnp.PyArray_DATA(a)
        if cnp.PyArray_NDIM(a) == 0 and not P.operand_written[k]:
            ops[k].strides[0] = 0
            continue
        if cnp.PyArray_NDIM(a) != nd:
            return -1
        for d in range(nd):
            if cnp.PyArray_DIM(a, d) != dims[d]:
                return -1
        ops[k].strides[0] = cnp.PyArray_ITEMSIZE(a)
    if num_threads is None:
        nthreads = fj_max_threads()
    else:
        nthreads = num_threads
        if nthreads < 1:
            raise ValueError("num_threads must be >= 1")
    L.ndim = 1
    L.dims[0] = size
    L.nseg = 1
    L.seg_len = size
    L.ops = ops
    L.acc_out = acc_out
    L.nthreads = nthreads
    L.block = 0
    if size < _GIL_MIN_SIZE:
        rc = fj_run(&P.prog, &L, &fpe)
    else:
        with nogil:
            rc = fj_run(&P.prog, &L, &fpe)
    if rc != FJ_OK:
        if rc == FJ_ERR_NOMEM:
            raise MemoryError()
        exc, msg = _ERRORS.get(rc, (RuntimeError, f"kernel error {rc}"))
        raise exc(msg)
    return fpe


cdef int _run(Program P, object arrays, object shape, object num_threads, object block) except -1:
    cdef int k, d, r, nops = P.noperands, nd, it_nd = 0, od, m, written
    cdef Py_ssize_t dims[64]
    cdef Py_ssize_t n, size, ad
    cdef fj_launch L
    cdef fj_operand *ops = NULL
    cdef char **acc_out = NULL
    cdef cnp.ndarray a, b
    cdef uintptr_t lo1, hi1, lo2, hi2
    cdef int rc, nthreads, fpe = 0
    cdef fj_reg *g

    if len(arrays) < nops:
        raise ValueError(f"program uses {nops} operand(s), got {len(arrays)}")
    bound = [None] * nops
    for k in range(nops):
        r = P.operand_reg[k]
        if r < 0:
            continue
        x = arrays[k]
        if not cnp.PyArray_Check(x):
            raise TypeError(f"operand {k} must be a numpy.ndarray, not {type(x).__name__}")
        a = <cnp.ndarray>x
        g = &P.regs[r]
        if _typenum_to_dt[cnp.PyArray_TYPE(a) & 63] != g.dtype or cnp.PyArray_TYPE(a) >= 64 \
                or not cnp.PyArray_ISNOTSWAPPED(a):
            raise TypeError(f"operand {k} has dtype {a.dtype}, the program expects "
                            f"{DTYPE_NAMES[g.dtype]} (native byte order)")
        if cnp.PyArray_NDIM(a) > 64:
            raise ValueError(f"operand {k}: too many dimensions")
        if P.operand_written[k]:
            if not cnp.PyArray_ISWRITEABLE(a):
                raise ValueError(f"operand {k} is written by the program but is read-only")
            if not cnp.PyArray_ISALIGNED(a):
                raise ValueError(f"operand {k} is written by the program but is not aligned")
        bound[k] = a

    # iteration shape: given, or the broadcast of the array operands
    if shape is None:
        for k in range(nops):
            if bound[k] is None or P.regs[P.operand_reg[k]].kind != FJ_REG_ARRAY:
                continue
            a = bound[k]
            nd = cnp.PyArray_NDIM(a)
            if nd > it_nd:
                for d in range(it_nd - 1, -1, -1):
                    dims[d + nd - it_nd] = dims[d]
                for d in range(nd - it_nd):
                    dims[d] = 1
                it_nd = nd
            for d in range(nd):
                ad = cnp.PyArray_DIM(a, d)
                od = d + it_nd - nd
                if dims[od] == 1:
                    dims[od] = ad
                elif ad != 1 and ad != dims[od]:
                    raise ValueError("operands could not be broadcast together with shapes "
                                     + " ".join(str(bb.shape) for bb in bound if bb is not None))
    else:
        shape = tuple(shape)
        it_nd = len(shape)
        if it_nd > 64:
            raise ValueError("too many dimensions")
        for d in range(it_nd):
            dims[d] = shape[d]
            if dims[d] < 0:
                raise ValueError(f"negative dimension in shape {shape}")
    it_shape = tuple(dims[d] for d in range(it_nd))
    size = 1
    for d in range(it_nd):
        size *= dims[d]
    if P.prog.reduce == FJ_REDUCE_LAST and it_nd == 0:
        raise ValueError("reduce='last' needs at least one dimension")

    # operand checks; copies of inputs that overlap an output
    keep = []
    for k in range(nops):
        if bound[k] is None:
            continue
        a = bound[k]
        g = &P.regs[P.operand_reg[k]]
        if g.kind == FJ_REG_ACC:
            want = () if P.prog.reduce == FJ_REDUCE_ALL else it_shape[:it_nd - 1]
            if (P.prog.reduce == FJ_REDUCE_ALL and cnp.PyArray_SIZE(a) != 1) or \
                    (P.prog.reduce == FJ_REDUCE_LAST and (<object>a).shape != want):
                raise ValueError(f"reduction output operand {k} has shape {(<object>a).shape}, "
                                 f"expected {want}")
            continue
        nd = cnp.PyArray_NDIM(a)
        if nd > it_nd:
            raise ValueError(f"operand {k} with shape {(<object>a).shape} does not broadcast to {it_shape}")
        for d in range(nd):
            ad = cnp.PyArray_DIM(a, d)
            if ad != 1 and ad != dims[d + it_nd - nd]:
                raise ValueError(f"operand {k} with shape {(<object>a).shape} does not broadcast to {it_shape}")
        if P.operand_written[k]:
            if (<object>a).shape != it_shape:
                raise ValueError(f"output operand {k} has shape {(<object>a).shape}, expected {it_shape}")
        elif not cnp.PyArray_ISALIGNED(a):
            bound[k] = a = np.array(a, copy=True)
    if size > 0:
        for k in range(nops):
            if bound[k] is None or not P.operand_written[k] or cnp.PyArray_SIZE(bound[k]) == 0:
                continue
            _extent(bound[k], &lo1, &hi1)
            for m in range(nops):
                if m == k or bound[m] is None or cnp.PyArray_SIZE(bound[m]) == 0:
                    continue
                _extent(bound[m], &lo2, &hi2)
                if lo1 < hi2 and lo2 < hi1:
                    if P.operand_written[m]:
                        raise ValueError(f"output operands {k} and {m} overlap in memory")
                    bound[m] = np.array(bound[m], copy=True)

    # row-wise programs run row by row: an output whose rows are not contiguous (a
    # Fortran-ordered result, NumPy's layout for Fortran inputs) is written through a
    # C-ordered buffer and copied after the run, instead of element by element
    row_back = []
    if P.prog.reduce == FJ_REDUCE_LAST and it_nd > 1 and size > 0:
        for k in range(nops):
            if bound[k] is None or not P.operand_written[k] or \
                    P.regs[P.operand_reg[k]].kind != FJ_REG_ARRAY:
                continue
            a = bound[k]
            if cnp.PyArray_DIM(a, it_nd - 1) > 1 and \
                    cnp.PyArray_STRIDE(a, it_nd - 1) != cnp.PyArray_ITEMSIZE(a):
                b = _alloc(it_shape, a.dtype, None)
                row_back.append((a, b))
                bound[k] = b

    # segments
    if P.prog.reduce == FJ_REDUCE_LAST:
        L.seg_len = dims[it_nd - 1]
        L.nseg = 1
        for d in range(it_nd - 1):
            L.nseg *= dims[d]
    else:
        L.nseg = 1
        L.seg_len = size
    if P.prog.reduce == FJ_REDUCE_NONE and size == 0:
        return 0
    if L.nseg == 0:
        return 0

    if num_threads is None:
        nthreads = fj_max_threads()
    else:
        nthreads = int(num_threads)
        if nthreads < 1:
            raise ValueError("num_threads must be >= 1")
    L.nthreads = nthreads
    L.block = int(block)
    if L.block < 0:
        raise ValueError("block must be >= 0")

    ops = <fj_operand *>PyMem_Malloc(sizeof(fj_operand) * max(nops, 1))
    acc_out = <char **>PyMem_Malloc(sizeof(char *) * max(P.nregs, 1))
    if ops == NULL or acc_out == NULL:
        PyMem_Free(ops)
        PyMem_Free(acc_out)
        raise MemoryError()
    try:
        for r in range(P.nregs):
            acc_out[r] = NULL
        # broadcast strides over the iteration dims, then coalesce dims
        for k in range(nops):
            ops[k].data = NULL
            if bound[k] is None or P.regs[P.operand_reg[k]].kind != FJ_REG_ARRAY:
                continue
            a = bound[k]
            ops[k].data = <char *>cnp.PyArray_DATA(a)
            nd = cnp.PyArray_NDIM(a)
            for d in range(it_nd):
                od = d - (it_nd - nd)
                if od < 0 or cnp.PyArray_DIM(a, od) != dims[d]:
                    ops[k].strides[d] = 0
                else:
                    ops[k].strides[d] = cnp.PyArray_STRIDE(a, od)
        if P.prog.reduce == FJ_REDUCE_NONE and it_nd > 1:
            _memory_order(P, ops, nops, dims, it_nd)
        L.ndim = 0
        for d in range(it_nd):
            if dims[d] == 1:
                continue
            m = L.ndim
            if m > 0:
                mergeable = True
                for k in range(nops):
                    if ops[k].data != NULL and \
                            ops[k].strides[m - 1] != ops[k].strides[d] * dims[d]:
                        mergeable = False
                        break
                if mergeable:
                    L.dims[m - 1] *= dims[d]
                    for k in range(nops):
                        if ops[k].data != NULL:
                            ops[k].strides[m - 1] = ops[k].strides[d]
                    continue
            L.dims[m] = dims[d]
            for k in range(nops):
                if ops[k].data != NULL:
                    ops[k].strides[m] = ops[k].strides[d]
            L.ndim += 1
        if L.ndim == 0:
            L.ndim = 1
            L.dims[0] = 1
            for k in range(nops):
                ops[k].strides[0] = 0
        L.ops = ops

        # reduction outputs: write directly when contiguous, else through a buffer
        copy_back = []
        for r in range(P.nregs):
            g = &P.regs[r]
            if g.kind != FJ_REG_ACC or g.array < 0 or bound[g.array] is None:
                continue
            a = bound[g.array]
            if cnp.PyArray_IS_C_CONTIGUOUS(a) and cnp.PyArray_ISALIGNED(a) and \
                    cnp.PyArray_ISWRITEABLE(a):
                acc_out[r] = <char *>cnp.PyArray_DATA(a)
            else:
                if not cnp.PyArray_ISWRITEABLE(a):
                    raise ValueError(f"reduction output operand {g.array} is read-only")
                b = np.empty(L.nseg, dtype=a.dtype)
                copy_back.append((a, b))
                acc_out[r] = <char *>cnp.PyArray_DATA(b)
        L.acc_out = acc_out
        keep.append(bound)
        with nogil:
            rc = fj_run(&P.prog, &L, &fpe)
        if rc != FJ_OK:
            if rc == FJ_ERR_NOMEM:
                raise MemoryError()
            exc, msg = _ERRORS.get(rc, (RuntimeError, f"kernel error {rc}"))
            raise exc(msg)
        for a, b in row_back:
            a[...] = b
        for a, b in copy_back:
            a[...] = b.reshape((<object>a).shape)
    finally:
        PyMem_Free(ops)
        PyMem_Free(acc_out)
    return fpe
