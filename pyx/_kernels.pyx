"""Binding of framejit's fused kernel library (include/framejit/kernels.h) to NumPy.

A `Program` is built once from plain data (registers and instructions, opcodes from
ops.def through `OPCODES`) and validated completely; calling it binds NumPy arrays to its
operands, checks dtypes, shapes, writability and alignment, broadcasts and coalesces the
iteration space, copies any input that overlaps an output, then runs the C interpreter
with the GIL released. Errors are Python exceptions (TypeError for dtypes, ValueError for
shapes, programs and NumPy's own run-time errors); nothing here can crash the process on
bad input. The program format is documented in `Program.__init__`.
Invariant: after construction a Program never changes, so one Program may run on many
threads at once (every call allocates its own launch state).
A call returns the floating-point exception flags the run raised (FPE_* bits). Running
a Program is in _kernels_run.pxi; kernel outputs (NumPy's memory-handler API, layouts)
and the per-group `Runner` of the kernels backend are in _kernels_out.pxi.
"""
cimport numpy as cnp
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.stdint cimport int64_t, uint8_t, int32_t, uintptr_t
from libc.string cimport memset

from kernels cimport *

import numpy as np

cnp.import_array()
fj_init_tables()

# ---- tables exported at import --------------------------------------------------------

cdef dict _KIND_NAMES = {FJ_KIND_CONTROL: "control", FJ_KIND_ELEMENTWISE: "elementwise",
                         FJ_KIND_REDUCTION: "reduction"}
cdef dict _SIG_NAMES = {FJ_SIG_NONE: "none", FJ_SIG_SAME: "same", FJ_SIG_CMP: "cmp",
                        FJ_SIG_WHERE: "where", FJ_SIG_CAST: "cast", FJ_SIG_ARG: "arg"}


def _make_opcodes():
    cdef int i
    codes, info = {}, {}
    for i in range(FJ_NOPS):
        name = fj_ops[i].name.decode()
        codes[name] = i
        info[name] = (i, fj_ops[i].nargs, _KIND_NAMES[fj_ops[i].kind],
                      _SIG_NAMES[fj_ops[i].sig], fj_ops[i].cost)
    return codes, info


OPCODES, OPINFO = _make_opcodes()
"""OPCODES: op name -> kernel opcode. OPINFO: op name -> (opcode, nargs, kind, sig, cost)."""
OPNAMES = {v: k for k, v in OPCODES.items()}

cdef dict _STEP_SHAPES = {FJ_STEP_SHAPE_LOAD: "load", FJ_STEP_SHAPE_STORE: "store",
                          FJ_STEP_SHAPE_BIN: "binary", FJ_STEP_SHAPE_UN: "unary",
                          FJ_STEP_SHAPE_VFN: "unary", FJ_STEP_SHAPE_FN: "unary",
                          FJ_STEP_SHAPE_CMP: "binary", FJ_STEP_SHAPE_SEL: "select"}
STEPS = {fj_steps[_i].name.decode(): (_i, _STEP_SHAPES[fj_steps[_i].shape], fj_steps[_i].cost)
         for _i in range(FJ_NSTEPS)}
"""Chain steps: name -> (step id, shape, cost); shapes "load" (t = operand), "store"
(register = t), "binary" (t = t op operand), "unary" (t = op(t)), "select" (two registers:
condition, operand); see Program."""
STEP_NAMES = {v[0]: k for k, v in STEPS.items()}

DTYPES = {"float64": FJ_F64, "float32": FJ_F32, "int64": FJ_I64, "int32": FJ_I32,
          "bool": FJ_BOOL}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
HAVE_OPENMP = bool(FJ_HAVE_OPENMP)
BLOCK_DEFAULT = FJ_BLOCK_DEFAULT
REDUCE_MODES = {None: FJ_REDUCE_NONE, "all": FJ_REDUCE_ALL, "last": FJ_REDUCE_LAST}

# NumPy type number -> kernel dtype (int64 is both 'l' and 'q' on LP64)
cdef int _typenum_to_dt[64]
for _i in range(64):
    _typenum_to_dt[_i] = -1
for _ch, _dt in (("d", FJ_F64), ("f", FJ_F32), ("l", FJ_I64), ("q", FJ_I64), ("i", FJ_I32),
                 ("?", FJ_BOOL)):
    _d = np.dtype(_ch)
    if _d.itemsize == (8 if _dt in (FJ_F64, FJ_I64) else 4 if _dt != FJ_BOOL else 1):
        _typenum_to_dt[_d.num] = _dt


def max_threads():
    """Threads OpenMP would use by default (respects OMP_NUM_THREADS); 1 without OpenMP."""
    return fj_max_threads()


def parallel_threshold(value=None):
    """Work (elements x op cost) below which a call runs on one thread; with `value`,
    set it (tests use 0 to force threads on tiny inputs). Returns the previous value."""
    global fj_par_min_work
    prev = fj_par_min_work
    if value is not None:
        if value < 0:
            raise ValueError("threshold must be >= 0")
        fj_par_min_work = float(value)
    return prev


def adaptive_threads(flag=None):
    """Whether calls fall back to one thread for a moment after a run in which the other
    threads could not get a core (shared machines); with `flag`, set it. Results never
    depend on the thread count. Returns the previous setting."""
    global fj_adaptive
    prev = bool(fj_adaptive)
    if flag is not None:
        fj_adaptive = 1 if flag else 0
    return prev


def isa():
    """Name of the instruction-set variant of the kernels in use."""
    return fj_isa_names[fj_isa_current].decode()


def supported_isas():
    """Variants this CPU can run, from baseline up."""
    return [fj_isa_names[i].decode() for i in range(fj_isa_supported + 1)]


def set_isa(name):
    """Switch kernel variant (for tests and benchmarks); returns the previous name."""
    names = [fj_isa_names[i].decode() for i in range(FJ_NISA)]
    if name not in names:
        raise ValueError(f"unknown ISA {name!r}; known: {names}")
    prev = isa()
    if fj_set_isa(names.index(name)) != 0:
        raise ValueError(f"this CPU does not support ISA {name!r}; supported: {supported_isas()}")
    return prev


cdef int _dtype_code(object dt) except -2:
    if isinstance(dt, int) and 0 <= dt < FJ_NDTYPES:
        return dt
    try:
        name = np.dtype(dt).name
    except TypeError:
        raise TypeError(f"not a dtype: {dt!r}") from None
    if name not in DTYPES:
        raise TypeError(f"unsupported kernel dtype {name!r}; supported: {sorted(DTYPES)}")
    return DTYPES[name]


cdef int _opcode(object op) except -1:
    if isinstance(op, str):
        if op not in OPCODES:
            raise ValueError(f"unknown kernel op {op!r}")
        return OPCODES[op]
    if isinstance(op, int) and 0 <= op < FJ_NOPS:
        return op
    raise ValueError(f"bad opcode {op!r}")


_REG_KINDS = {"array": FJ_REG_ARRAY, "const": FJ_REG_CONST, "temp": FJ_REG_TEMP,
              "acc": FJ_REG_ACC}


def _check_read(i, r, kind, temps, acc_ready, p):
    """Instruction ``i`` of pass ``p`` may read register ``r``: a temp written earlier in
    this pass, an accumulator reduced in an earlier pass (Program validation)."""
    if kind == FJ_REG_TEMP and r not in temps:
        raise ValueError(f"instruction {i}: temp register {r} read before it is written in "
                         f"this pass")
    if kind == FJ_REG_ACC and acc_ready.get(r, p + 1) > p:
        raise ValueError(f"instruction {i}: acc register {r} read before a previous pass "
                         f"reduced into it")


cdef class Program:
    """A validated fused-kernel program.

    Program(regs, code, reduce=None)

    regs: a sequence, register id = position:
        ("array", k, dtype)      operand k of the call (an ndarray of exactly that dtype),
                                 broadcast to the iteration shape when read; written
                                 operands must have the iteration shape itself
        ("const", value, dtype)  a scalar constant
        ("temp", dtype)          a block temporary, valid within one pass only
        ("acc", dtype[, k])      one reduction result per segment (the whole iteration
                                 space for reduce="all", each row for reduce="last");
                                 readable as a broadcast scalar by later passes; with k,
                                 stored into operand k (shape () / size 1 for "all",
                                 shape[:-1] for "last")
    code: a sequence of instructions (op, dst, *srcs), op a name or id from OPCODES:
        elementwise ops   (op, dst, a[, b[, c]]), dst an array or temp register
        ("astype", dst, src)      conversion between any two dtypes (to bool: != 0)
        ("powi", dst, src, k)     src ** k for a Python int k by repeated squaring
                                  (k=3 computes (x*x)*x); k < 0 gives 1/x**|k|, floats only
        ("where", dst, cond, a, b) cond a bool register
        reductions        (op, acc, src): sum prod min max mean any all argmin argmax;
                                  dst dtype = src dtype (argmin/argmax: int64;
                                  any/all: bool in and out)
        scalar ops        (op, acc, a[, b, c]) an elementwise op whose dst is an acc and
                                  whose sources are accs/consts runs once per segment
                                  (e.g. sqrt(var + eps) in layer norm); readable after it
        ("chain", steps)          float arithmetic kept in registers (see STEPS): a running
                                  value t, steps ("load", r) t = r, ("store", r) r = t,
                                  (op, r) t = t op r for add subtract multiply divide and
                                  rsubtract/rdivide (t = r - t, r / t), (op,) t = op(t) for
                                  negative absolute square sqrt and the transcendentals
                                  exp exp2 expm1 log log2 log10 log1p sin cos tan tanh
                                  (each with the values and FP checks of its op);
                                  comparisons (greater ... not_equal, r) t = t op r as 1/0,
                                  quiet (no FP flag); ("where", c, r) t = r where c != 0,
                                  ("rwhere", c, r) t = r where c == 0 (c a vector register
                                  of the chain's dtype). One float dtype for all
                                  its registers; const and acc operands are scalars; the
                                  first step loads, the last stores (into a temp or array
                                  register); each step rounds as the NumPy op.
        ("pass",)                 ends a pass: the next pass runs over every block of
                                  the segment again and may read the accs made before
    Dtype rules (the lowering inserts "astype" for NumPy's promotion): 'same' ops take and
    give one dtype; comparisons take one dtype and give bool; where takes a bool
    condition. Which (op, dtype) pairs exist is in `supported(op, dtype)`.
    reduce: None (elementwise only), "all" (reduce over every element) or "last"
    (reduce each row over the last axis).
    """
    cdef fj_reg *regs
    cdef fj_instr *code
    cdef fj_step *steps            # every chain's steps, one after the other
    cdef fj_program prog
    cdef int nregs, ninstr, noperands, nwritten_ops
    cdef int *operand_reg          # operand index -> register id, -1 if unused
    cdef uint8_t *operand_written  # operand index -> 1 when the program writes it
    cdef readonly object reduce
    cdef readonly tuple reg_spec, code_spec

    def __cinit__(self):
        self.regs = NULL
        self.code = NULL
        self.steps = NULL
        self.operand_reg = NULL
        self.operand_written = NULL

    def __dealloc__(self):
        PyMem_Free(self.regs)
        PyMem_Free(self.code)
        PyMem_Free(self.steps)
        PyMem_Free(self.operand_reg)
        PyMem_Free(self.operand_written)

    def __init__(self, regs, code, reduce=None):
        if reduce not in REDUCE_MODES:
            raise ValueError(f"reduce must be None, 'all' or 'last', not {reduce!r}")
        self.reduce = reduce
        self.reg_spec = tuple(tuple(r) for r in regs)
        self.code_spec = tuple(tuple(i) for i in code)
        self.nregs = len(self.reg_spec)
        self.ninstr = len(self.code_spec)
        self.regs = <fj_reg *>PyMem_Malloc(sizeof(fj_reg) * max(self.nregs, 1))
        self.code = <fj_instr *>PyMem_Malloc(sizeof(fj_instr) * max(self.ninstr, 1))
        if self.regs == NULL or self.code == NULL:
            raise MemoryError()
        self._build_regs()
        self._build_code()
        self._check_dataflow()
        self.prog.nregs = self.nregs
        self.prog.regs = self.regs
        self.prog.ninstr = self.ninstr
        self.prog.code = self.code
        self.prog.reduce = REDUCE_MODES[reduce]

    cdef _build_regs(self):
        cdef int r, k
        cdef fj_reg *g
        operands = {}
        for r, spec in enumerate(self.reg_spec):
            g = &self.regs[r]
            memset(g, 0, sizeof(fj_reg))
            if not spec or spec[0] not in _REG_KINDS:
                raise ValueError(f"register {r}: kind must be one of {sorted(_REG_KINDS)}, got {spec!r}")
            g.kind = _REG_KINDS[spec[0]]
            g.array = -1
            if g.kind == FJ_REG_ARRAY:
                if len(spec) != 3:
                    raise ValueError(f"register {r}: expected ('array', index, dtype)")
                k = _operand_index(spec[1], r)
                g.array = k
                g.dtype = _dtype_code(spec[2])
            elif g.kind == FJ_REG_CONST:
                if len(spec) != 3:
                    raise ValueError(f"register {r}: expected ('const', value, dtype)")
                g.dtype = _dtype_code(spec[2])
                _set_scalar(g, spec[1])
            elif g.kind == FJ_REG_TEMP:
                if len(spec) != 2:
                    raise ValueError(f"register {r}: expected ('temp', dtype)")
                g.dtype = _dtype_code(spec[1])
            else:
                if len(spec) not in (2, 3):
                    raise ValueError(f"register {r}: expected ('acc', dtype[, index])")
                if self.reduce is None:
                    raise ValueError(f"register {r}: acc registers need reduce='all' or 'last'")
                g.dtype = _dtype_code(spec[1])
                if len(spec) == 3 and spec[2] is not None:
                    g.array = _operand_index(spec[2], r)
            if g.array >= 0:
                if g.array in operands:
                    raise ValueError(f"operand {g.array} is bound to registers {operands[g.array]} and {r}")
                operands[g.array] = r
        self.noperands = max(operands) + 1 if operands else 0
        self.operand_reg = <int *>PyMem_Malloc(sizeof(int) * max(self.noperands, 1))
        self.operand_written = <uint8_t *>PyMem_Malloc(max(self.noperands, 1))
        if self.operand_reg == NULL or self.operand_written == NULL:
            raise MemoryError()
        for k in range(self.noperands):
            self.operand_reg[k] = operands.get(k, -1)
            self.operand_written[k] = 0
        for k, r in operands.items():
            if self.regs[r].kind == FJ_REG_ACC:
                self.operand_written[k] = 1

    cdef _build_code(self):
        cdef int i, op, nargs, r, nsteps = 0
        cdef fj_instr *ins
        for spec in self.code_spec:
            if spec and spec[0] in ("chain", FJ_OP_CHAIN) and len(spec) == 2:
                try:
                    nsteps += len(spec[1])
                except TypeError:
                    pass
        self.steps = <fj_step *>PyMem_Malloc(sizeof(fj_step) * max(nsteps, 1))
        if self.steps == NULL:
            raise MemoryError()
        nsteps = 0
        for i, spec in enumerate(self.code_spec):
            ins = &self.code[i]
            memset(ins, 0, sizeof(fj_instr))
            ins.dst = ins.a = ins.b = ins.c = -1
            if not spec:
                raise ValueError(f"instruction {i}: empty")
            op = _opcode(spec[0])
            ins.op = op
            nargs = fj_ops[op].nargs
            where = f"instruction {i} {spec!r}"
            if op == FJ_OP_PASS:
                if len(spec) != 1:
                    raise ValueError(f"{where}: 'pass' takes no operands")
                continue
            if op == FJ_OP_CHAIN:
                nsteps += self._build_chain(ins, spec, nsteps, where)
                continue
            nimm = 1 if op == FJ_OP_POWI else 0
            if len(spec) != 2 + nargs + nimm:
                raise ValueError(f"{where}: {OPNAMES[op]} takes dst + {nargs} source(s)"
                                 + (" + an int exponent" if nimm else ""))
            regs = [self._reg_id(x, where) for x in spec[1:2 + nargs]]
            ins.dst = regs[0]
            if nargs > 0: ins.a = regs[1]
            if nargs > 1: ins.b = regs[2]
            if nargs > 2: ins.c = regs[3]
            if nimm:
                k = spec[len(spec) - 1]
                if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
                    raise ValueError(f"{where}: powi exponent must be an int")
                if not -(1 << 62) < int(k) < (1 << 62):
                    raise ValueError(f"{where}: powi exponent out of range")
                ins.imm = int(k)
            self._check_types(ins, where)
            if fj_ops[op].kind == FJ_KIND_ELEMENTWISE:
                if self.regs[ins.dst].kind == FJ_REG_ACC:
                    # a scalar instruction: once per segment, on accs and constants only
                    if any(self.regs[r].kind not in (FJ_REG_ACC, FJ_REG_CONST)
                           for r in regs[1:]):
                        raise ValueError(f"{where}: an elementwise op writing an acc register "
                                         f"may read only acc and const registers")
                    if self.regs[ins.dst].array >= 0:
                        raise ValueError(f"{where}: an acc computed by an elementwise op "
                                         f"cannot be stored to an operand")
                elif self.regs[ins.dst].kind != FJ_REG_ARRAY and \
                        self.regs[ins.dst].kind != FJ_REG_TEMP:
                    raise ValueError(f"{where}: destination must be an array or temp register")
                if self.regs[ins.dst].kind == FJ_REG_ARRAY:
                    self.operand_written[self.regs[ins.dst].array] = 1
            else:
                if self.regs[ins.dst].kind != FJ_REG_ACC:
                    raise ValueError(f"{where}: a reduction writes an acc register")
                if self.regs[ins.a].kind == FJ_REG_ACC:
                    raise ValueError(f"{where}: cannot reduce an acc register")

    cdef int _build_chain(self, fj_instr *ins, tuple spec, int first, str where) except -1:
        """Steps of a chain into self.steps[first:]; returns their number."""
        cdef int k, r, sid, dt = -1
        cdef fj_step *st
        if len(spec) != 2 or not isinstance(spec[1], (tuple, list)) or len(spec[1]) < 2:
            raise ValueError(f"{where}: a chain is ('chain', steps) with at least a load "
                             f"and a store")
        steps = spec[1]
        for k, step in enumerate(steps):
            if not isinstance(step, (tuple, list)) or not step or step[0] not in STEPS:
                raise ValueError(f"{where}: step {k} {step!r}: unknown step; known: "
                                 f"{sorted(STEPS)}")
            sid, shape, _ = STEPS[step[0]]
            nreg = {"unary": 0, "select": 2}.get(shape, 1)
            if len(step) != 1 + nreg:
                raise ValueError(f"{where}: step {k} {step!r}: {step[0]} takes {nreg} "
                                 f"register(s)")
            if k == 0 and shape != "load":
                raise ValueError(f"{where}: a chain starts with a load")
            if k == len(steps) - 1 and shape != "store":
                raise ValueError(f"{where}: a chain ends with a store")
            st = &self.steps[first + k]
            st.code = sid * 2
            st.reg = -1
            st.stream = 0
            st.reg2 = -1
            if shape == "unary":
                continue
            if shape == "select":
                r = self._reg_id(step[1], where)
                if self.regs[r].kind not in (FJ_REG_ARRAY, FJ_REG_TEMP):
                    raise ValueError(f"{where}: step {k}: a where condition is a vector "
                                     f"(temp or array) register")
                if dt >= 0 and self.regs[r].dtype != dt:
                    raise TypeError(f"{where}: step {k}: condition r{r} is not of the "
                                    f"chain's dtype")
                st.reg2 = r
                step = (step[0], step[2])
            r = self._reg_id(step[1], where)
            st.reg = r
            if dt < 0:
                dt = self.regs[r].dtype
            if self.regs[r].dtype != dt or fj_lookup_chain(dt) == NULL:
                raise TypeError(f"{where}: step {k} {step!r}: a chain computes in one float "
                                f"dtype; r{r} is {DTYPE_NAMES[self.regs[r].dtype]}")
            if shape == "store":
                if self.regs[r].kind not in (FJ_REG_ARRAY, FJ_REG_TEMP):
                    raise ValueError(f"{where}: step {k}: a chain stores into temp or array "
                                     f"registers only")
                if self.regs[r].kind == FJ_REG_ARRAY:
                    self.operand_written[self.regs[r].array] = 1
                    st.stream = 1
            elif self.regs[r].kind in (FJ_REG_CONST, FJ_REG_ACC):
                st.code += 1                     # a scalar operand
            elif self.regs[r].kind == FJ_REG_ARRAY:
                st.stream = 1
        ins.steps = &self.steps[first]
        ins.nsteps = len(steps)
        ins.dst = self.steps[first + len(steps) - 1].reg
        return len(steps)

    cdef int _reg_id(self, object x, str where) except -1:
        if not isinstance(x, (int, np.integer)) or isinstance(x, bool) or not 0 <= x < self.nregs:
            raise ValueError(f"{where}: {x!r} is not a register id (0..{self.nregs - 1})")
        return int(x)

    cdef _check_types(self, fj_instr *ins, str where):
        cdef int op = ins.op, sig = fj_ops[ins.op].sig, nargs = fj_ops[ins.op].nargs
        cdef int dt = self.regs[ins.dst].dtype
        srcs = [self.regs[r].dtype for r in (ins.a, ins.b, ins.c)[:nargs]]
        name = OPNAMES[op]

        def fail(msg):
            raise TypeError(f"{where}: {msg} (dst {DTYPE_NAMES[dt]}, sources "
                            f"{[DTYPE_NAMES[s] for s in srcs]})")

        if sig == FJ_SIG_CAST:
            if fj_lookup_cast(dt, srcs[0]) == NULL:
                fail("no such conversion")
            return
        if sig == FJ_SIG_SAME:
            if any(s != dt for s in srcs):
                fail(f"{name} needs all operands of one dtype")
            key = dt
        elif sig == FJ_SIG_CMP:
            if dt != FJ_BOOL or srcs[0] != srcs[1]:
                fail(f"{name} compares two operands of one dtype into bool")
            key = srcs[0]
        elif sig == FJ_SIG_WHERE:
            if srcs[0] != FJ_BOOL or srcs[1] != dt or srcs[2] != dt:
                fail("where takes a bool condition and two operands of the result dtype")
            key = dt
        elif sig == FJ_SIG_ARG:
            if dt != FJ_I64:
                fail(f"{name} gives int64")
            key = srcs[0]
        else:
            fail("bad signature")
        if fj_ops[op].kind == FJ_KIND_REDUCTION:
            if fj_lookup_red(op, key) == NULL:
                fail(f"no {name} kernel for {DTYPE_NAMES[key]}")
        elif fj_lookup_ew(op, key) == NULL:
            fail(f"no {name} kernel for {DTYPE_NAMES[key]}")

    cdef _check_dataflow(self):
        """Temps are read only after a write in the same pass; an acc made by a reduction
        only in later passes, one made by a scalar instruction after it; every acc has
        exactly one producing instruction."""
        cdef int i, p = 0, r, k
        cdef fj_instr *ins
        acc_ready = {}     # acc register -> first pass where it may be read
        temps = set()
        for i in range(self.ninstr):
            ins = &self.code[i]
            if ins.op == FJ_OP_PASS:
                p += 1
                temps = set()
                continue
            if ins.op == FJ_OP_CHAIN:
                for k in range(ins.nsteps):
                    for r in (ins.steps[k].reg2, ins.steps[k].reg):
                        if r < 0:
                            continue
                        kind = self.regs[r].kind
                        if ins.steps[k].code == FJ_STEP_STORE * 2:
                            if kind == FJ_REG_TEMP:
                                temps.add(r)
                        else:
                            _check_read(i, r, kind, temps, acc_ready, p)
                continue
            for r in (ins.a, ins.b, ins.c)[:fj_ops[ins.op].nargs]:
                _check_read(i, r, self.regs[r].kind, temps, acc_ready, p)
            if self.regs[ins.dst].kind == FJ_REG_ACC:
                if ins.dst in acc_ready:
                    raise ValueError(f"instruction {i}: acc register {ins.dst} written twice")
                acc_ready[ins.dst] = p + 1 if fj_ops[ins.op].kind == FJ_KIND_REDUCTION else p
            elif self.regs[ins.dst].kind == FJ_REG_TEMP:
                temps.add(ins.dst)
        for r in range(self.nregs):
            if self.regs[r].kind == FJ_REG_ACC and r not in acc_ready:
                raise ValueError(f"acc register {r} is never reduced into")

    def __repr__(self):
        return f"<framejit._kernels.Program reduce={self.reduce!r}\n{disassemble(self)}>"

    @property
    def noperands(self):
        return self.noperands

    def __call__(self, arrays, shape=None, num_threads=None, block=0):
        """Run on `arrays` (operand k = arrays[k]); writes the program's outputs in place.
        Returns the floating-point exception flags the run raised (FPE_* bits, 0 if none).

        shape: the iteration shape (default: broadcast of the array operands);
        num_threads: None = max_threads(); block: elements per block (0 = default)."""
        return _run(self, arrays, shape, num_threads, block)


cdef int _operand_index(object k, int r) except -1:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0 or k > 4096:
        raise ValueError(f"register {r}: operand index must be an int in [0, 4096], got {k!r}")
    return int(k)


cdef _set_scalar(fj_reg *g, object v):
    """Store a constant as NumPy would convert it to the register dtype."""
    try:
        if g.dtype == FJ_F64: g.value.f64 = float(v)
        elif g.dtype == FJ_F32: g.value.f32 = float(np.float32(v))
        elif g.dtype == FJ_I64: g.value.i64 = int(np.int64(v))
        elif g.dtype == FJ_I32: g.value.i32 = int(np.int32(v))
        else: g.value.b = 1 if v else 0
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"constant {v!r} does not fit {DTYPE_NAMES[g.dtype]}: {exc}") from None


def disassemble(Program p):
    """The program as readable text, one register or instruction per line."""
    lines = []
    for r, spec in enumerate(p.reg_spec):
        lines.append(f"  r{r} = {spec[0]} " + " ".join(map(repr, spec[1:])))
    for i, spec in enumerate(p.code_spec):
        name = spec[0] if isinstance(spec[0], str) else OPNAMES[spec[0]]
        if name == "pass":
            lines.append(f"  {i:3d}  ---- pass ----")
            continue
        if name == "chain":
            steps = ", ".join(" ".join([st[0]] + [f"r{x}" for x in st[1:]]) for st in spec[1])
            lines.append(f"  {i:3d}  chain({steps})")
            continue
        nargs = OPINFO[name][1]
        srcs = ", ".join(f"r{x}" for x in spec[2:2 + nargs])
        extra = f", {spec[len(spec) - 1]}" if name == "powi" else ""
        lines.append(f"  {i:3d}  r{spec[1]} = {name}({srcs}{extra})")
    return "\n".join(lines)


def supported(op, dtype):
    """True when the kernel table has `op` for `dtype` (the SIG key dtype of ops.def)."""
    cdef int o = _opcode(op), d = _dtype_code(dtype)
    if fj_ops[o].kind == FJ_KIND_REDUCTION:
        return fj_lookup_red(o, d) != NULL
    if o == FJ_OP_CAST:
        return True
    return fj_lookup_ew(o, d) != NULL


def run_program(regs, code, arrays, reduce=None, shape=None, num_threads=None, block=0):
    """Build a Program and run it once (convenience for tests; backends keep Programs)."""
    return Program(regs, code, reduce)(arrays, shape=shape, num_threads=num_threads, block=block)


include "_kernels_run.pxi"
include "_kernels_out.pxi"
