# cdef extern declarations of include/framejit/kernels.h (the fused kernel library).
# Only pyx/_kernels.pyx cimports this; kernels.h is header-only and compiled into it.
from libc.stdint cimport int64_t, uint8_t, int32_t

cdef extern from "framejit/kernels.h" nogil:
    ctypedef int64_t fj_index

    int FJ_F64, FJ_F32, FJ_I64, FJ_I32, FJ_BOOL, FJ_NDTYPES
    int FJ_NOPS
    int FJ_OP_PASS, FJ_OP_CAST, FJ_OP_POWI, FJ_OP_ARGMIN, FJ_OP_ARGMAX, FJ_OP_CHAIN
    int FJ_NSTEPS, FJ_STEP_LOAD, FJ_STEP_STORE
    int FJ_STEP_SHAPE_LOAD, FJ_STEP_SHAPE_STORE, FJ_STEP_SHAPE_BIN, FJ_STEP_SHAPE_UN
    int FJ_STEP_SHAPE_VFN, FJ_STEP_SHAPE_FN, FJ_STEP_SHAPE_CMP, FJ_STEP_SHAPE_SEL
    int FJ_KIND_CONTROL, FJ_KIND_ELEMENTWISE, FJ_KIND_REDUCTION
    int FJ_SIG_NONE, FJ_SIG_SAME, FJ_SIG_CMP, FJ_SIG_WHERE, FJ_SIG_CAST, FJ_SIG_ARG
    int FJ_FPE_DIVIDE, FJ_FPE_OVERFLOW, FJ_FPE_UNDERFLOW, FJ_FPE_INVALID
    int FJ_OK, FJ_ERR_NOMEM, FJ_ERR_NEG_INT_POWER, FJ_ERR_EMPTY_REDUCE, FJ_ERR_UNSUPPORTED
    int FJ_REG_ARRAY, FJ_REG_CONST, FJ_REG_TEMP, FJ_REG_ACC
    int FJ_REDUCE_NONE, FJ_REDUCE_ALL, FJ_REDUCE_LAST
    int FJ_MAXDIM, FJ_BLOCK_DEFAULT, FJ_HAVE_OPENMP
    int FJ_ISA_BASE, FJ_ISA_AVX2, FJ_ISA_AVX512, FJ_NISA

    ctypedef struct fj_opinfo:
        const char *name
        int nargs, kind, sig, cost
    const fj_opinfo fj_ops[]
    ctypedef struct fj_stepinfo:
        const char *name
        int shape, cost
    const fj_stepinfo fj_steps[]
    ctypedef struct fj_step:
        int code, reg, stream, reg2
    const int fj_itemsize[]
    const char *const fj_isa_names[]
    int fj_isa_supported, fj_isa_current

    ctypedef void (*fj_ew_fn)(fj_index, void *, const void *, const void *, const void *,
                              int64_t, int *)
    ctypedef struct fj_partial:
        double d
        int64_t i
        int64_t idx
    ctypedef void (*fj_red_fn)(fj_index, const void *, fj_index, fj_partial *)

    ctypedef union fj_scalar:
        double f64
        float f32
        int64_t i64
        int32_t i32
        uint8_t b
    ctypedef struct fj_reg:
        int kind, dtype, array
        fj_scalar value
    ctypedef struct fj_instr:
        int op, dst, a, b, c
        int64_t imm
        const fj_step *steps
        int nsteps
    ctypedef struct fj_program:
        int nregs
        const fj_reg *regs
        int ninstr
        const fj_instr *code
        int reduce
    ctypedef struct fj_operand:
        char *data
        fj_index strides[64]
    ctypedef struct fj_launch:
        int ndim
        fj_index dims[64]
        fj_index nseg, seg_len
        fj_operand *ops
        char **acc_out
        int nthreads
        fj_index block

    double fj_par_min_work
    int fj_soft_on
    int fj_adaptive
    void fj_init_tables()
    int fj_set_isa(int level)
    int fj_run(const fj_program *P, const fj_launch *L, int *fpe)
    int fj_max_threads()
    # typed table lookups (the 2-D arrays are declared through these helpers)
    fj_ew_fn fj_lookup_ew(int op, int dtype)
    fj_ew_fn fj_lookup_cast(int dst, int src)
    fj_red_fn fj_lookup_red(int op, int dtype)
    ctypedef void (*fj_chain_fn)(fj_index, const fj_step *, int, void *const *)
    fj_chain_fn fj_lookup_chain(int dtype)


cdef extern from "framejit/memhandler.h":
    void *fj_mh_handler_addr()
    size_t fj_mh_min, fj_mh_max_bytes, fj_mh_bytes
    int fj_mh_per_class, fj_mh_n
    unsigned long long fj_mh_hits, fj_mh_misses, fj_mh_released
    int fj_mh_init()
    size_t fj_mh_trim(size_t keep) nogil
    size_t fj_mh_class(size_t n)
