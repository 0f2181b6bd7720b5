/* kernel_vec.h: 64-byte vector types (GCC vector extensions) for the kernels that GCC's
 * auto-vectorizer does not vectorize on its own (chains held in registers, float min/max
 * reductions), and the table of chain steps (kernel_chain.h).
 *
 * One fj_vd holds 8 doubles, one fj_vf 16 floats, whatever the instruction set: GCC
 * lowers a 64-byte vector to one AVX-512 register, two AVX2 or four SSE2 registers.
 * The types are ISA-independent (the ISA regions of kernels.h only change the code
 * generated for them) and may be loaded from any element-aligned address. Arithmetic
 * on them rounds every operation exactly as the scalar operation does; kernel_chain.h
 * turns FMA contraction off for its functions, so `a * b + c` stays two roundings.
 */
#ifndef FRAMEJIT_KERNEL_VEC_H
#define FRAMEJIT_KERNEL_VEC_H

#if defined(__GNUC__)
#define FJ_HAVE_VEC 1
typedef double fj_vd __attribute__((vector_size(64), aligned(8), may_alias));
typedef float fj_vf __attribute__((vector_size(64), aligned(4), may_alias));
typedef int64_t fj_vmd __attribute__((vector_size(64), aligned(8), may_alias));  /* fj_vd masks */
typedef int32_t fj_vmf __attribute__((vector_size(64), aligned(4), may_alias));  /* fj_vf masks */
#endif

/* ---- chain steps ---------------------------------------------------------------------
 * A chain (op "chain") evaluates a run of float arithmetic in registers: one running
 * value t per element, a list of steps X(NAME, "python name", SHAPE, COST):
 *   LOAD    t = operand
 *   STORE   register = t (the only step that writes memory)
 *   BIN     t = t op operand (the R* forms: t = operand op t)
 *   UN      t = op(t)
 *   CMP     t = (t op operand) ? 1 : 0, a quiet comparison (NaN: false, != true; no flag)
 *   SEL     where: t = (c != 0) ? operand : t; rwhere: t = (c != 0) ? t : operand, for
 *           the condition register c in reg2 (a vector) and the operand in reg
 *   VFN     t = f(t) for a transcendental f, vecmath_vec.h's vector code in registers
 *   FN      t = f(t) through the op's own block function on the tile
 *           both: the values, FP flags and software checks of the op (kernel_fpe.h)
 * An operand is a vector (the register's block) or a scalar (a const or acc register:
 * its one value for every element); the step code is FJ_STEP_<NAME> * 2 + (scalar). */
#define FJ_STEP_LIST(X)                               \
    X(LOAD,      "load",      LOAD,  0)               \
    X(STORE,     "store",     STORE, 0)               \
    X(ADD,       "add",       BIN,   1)               \
    X(SUBTRACT,  "subtract",  BIN,   1)               \
    X(RSUBTRACT, "rsubtract", BIN,   1)               \
    X(MULTIPLY,  "multiply",  BIN,   1)               \
    X(DIVIDE,    "divide",    BIN,   2)               \
    X(RDIVIDE,   "rdivide",   BIN,   2)               \
    X(NEGATIVE,  "negative",  UN,    1)               \
    X(ABSOLUTE,  "absolute",  UN,    1)               \
    X(SQUARE,    "square",    UN,    1)               \
    X(SQRT,      "sqrt",      UN,    3)               \
    X(GREATER,   "greater",   CMP,   1)               \
    X(GREATER_EQUAL, "greater_equal", CMP, 1)         \
    X(LESS,      "less",      CMP,   1)               \
    X(LESS_EQUAL, "less_equal", CMP, 1)               \
    X(EQUAL,     "equal",     CMP,   1)               \
    X(NOT_EQUAL, "not_equal", CMP,   1)               \
    X(WHERE,     "where",     SEL,   1)               \
    X(RWHERE,    "rwhere",    SEL,   1)               \
    X(EXP,       "exp",       VFN,   8)               \
    X(EXP2,      "exp2",      FN,    8)               \
    X(EXPM1,     "expm1",     FN,   10)               \
    X(LOG,       "log",       FN,    8)               \
    X(LOG2,      "log2",      FN,   10)               \
    X(LOG10,     "log10",     FN,   10)               \
    X(LOG1P,     "log1p",     FN,   10)               \
    X(SIN,       "sin",       FN,   10)               \
    X(COS,       "cos",       FN,   10)               \
    X(TAN,       "tan",       FN,   12)               \
    X(TANH,      "tanh",      FN,   12)

enum {
#define FJ_STEP_ENUM(NAME, PYNAME, SHAPE, COST) FJ_STEP_##NAME,
    FJ_STEP_LIST(FJ_STEP_ENUM)
#undef FJ_STEP_ENUM
    FJ_NSTEPS
};
enum { FJ_STEP_SHAPE_LOAD, FJ_STEP_SHAPE_STORE, FJ_STEP_SHAPE_BIN, FJ_STEP_SHAPE_UN,
       FJ_STEP_SHAPE_VFN, FJ_STEP_SHAPE_FN, FJ_STEP_SHAPE_CMP, FJ_STEP_SHAPE_SEL };

typedef struct { const char *name; int shape, cost; } fj_stepinfo;
static const fj_stepinfo fj_steps[FJ_NSTEPS] = {
#define FJ_STEP_INFO(NAME, PYNAME, SHAPE, COST) {PYNAME, FJ_STEP_SHAPE_##SHAPE, COST},
    FJ_STEP_LIST(FJ_STEP_INFO)
#undef FJ_STEP_INFO
};

/* one step of a chain: code = FJ_STEP_* * 2 + 1 when the operand is a scalar; reg is the
 * operand (or STORE's destination) register, -1 for unary steps; reg2: SEL's condition
 * register, else -1; stream: reg is an array
 * operand (kernel_chain.h prefetches it ahead) */
typedef struct { int code, reg, stream, reg2; } fj_step;

#endif /* FRAMEJIT_KERNEL_VEC_H */
