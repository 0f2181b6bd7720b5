/* kernel_chain_t.h: the body of one chain kernel, fj_chain_<FJ_CH_TN>, for the element
 * type FJ_CH_T and its 64-byte vector FJ_CH_V (FJ_CH_W lanes). Included by
 * kernel_chain.h once per float type and instruction-set region; no include guard.
 *
 * n elements; st[0..ns) the steps (the first is a LOAD, kernels.h validates programs);
 * ptr[r] is register r's block (vector operands and STORE targets: element 0 of this
 * block; scalar operands: their value in element 0).
 */
/* FN steps' lanes outside the vector code's range: libm, then the FP flags the block op
 * would report (kernel_fpe.h: hardware flags of the op kept, software checks) */
static void FJ_ISA(FJ_CAT(fj_ch_fix_, FJ_CH_TN))(int op, int n, FJ_CH_T *res,
                                                  const FJ_CH_T *src, int *fpe)
{
    int drop = FJ_FE_ALL & ~fj_hw_keep(op), before = drop ? fj_fe_get(drop) : 0;
    for (int l = 0; l < n; l++) {
        switch (op) {
        case FJ_OP_EXP:
            if (!FJ_CH_LANE_OK_EXP(src[l])) res[l] = FJ_CH_LIBM(exp((double)src[l]));
            break;
        }
    }
    int kind = fj_soft_kind(op);       /* before the drop: its compares may raise invalid */
    if (kind) *fpe |= fj_soft_fpe(kind, sizeof(FJ_CH_T) == 8 ? FJ_F64 : FJ_F32, n, res, src,
                                  NULL);
    if (drop) fj_fe_drop(before, drop);
}

/* FN steps: the op's block function on the tile, between the op's hardware flag drop
 * and its software check, exactly as fj_exec_block runs the op */
static void FJ_ISA(FJ_CAT(fj_ch_call_, FJ_CH_TN))(int op, fj_index n, FJ_CH_T *res,
                                                   const FJ_CH_T *src, int *fpe)
{
    int drop = FJ_FE_ALL & ~fj_hw_keep(op), before = drop ? fj_fe_get(drop) : 0;
    switch (op) {
#define FJ_CH_CALL_CASE(OP, FN) case FJ_OP_##OP: FJ_CH_BLOCKFN(FN)(n, res, src); break;
        FJ_CH_FN_LIST(FJ_CH_CALL_CASE)
#undef FJ_CH_CALL_CASE
    }
    int kind = fj_soft_kind(op);
    if (kind) *fpe |= fj_soft_fpe(kind, sizeof(FJ_CH_T) == 8 ? FJ_F64 : FJ_F32, n, res, src,
                                  NULL);
    if (drop) fj_fe_drop(before, drop);
}

static void FJ_ISA(FJ_CAT(fj_chain_, FJ_CH_TN))(fj_index n, const fj_step *st, int ns,
                                                 void *const *ptr, int *fpe)
{
    typedef FJ_CH_T T;
    fj_index i = 0;

    /* tiles of FJ_CH_NV vectors: the running values live in registers t0.. */
#define FJ_CH_ABS FJ_CH_VABS
#define FJ_CH_SQRT FJ_CH_VSQRT
#define FJ_CH_CMP(a, b, IMM, OP, UNORD, SFX) \
    FJ_VSEL(FJ_CH_V, FJ_CH_M, FJ_CH_VCMP(a, b, IMM, OP, UNORD), FJ_CH_BCAST(1), FJ_CH_BCAST(0))
#define FJ_CH_SEL(c, a, b) FJ_VSEL(FJ_CH_V, FJ_CH_M, (c) != 0, a, b)
#define FJ_CH_APPLY_V(NAME) {                                                            \
        const T *p = (const T *)ptr[st[k].reg] + i;                                     \
        if (st[k].stream)                                                               \
            for (int o = 0; o < FJ_CH_NV * 64; o += 64)                                 \
                __builtin_prefetch((const char *)p + FJ_CH_PF_BYTES + o, 0, 3);         \
        FJ_CH_TILE(FJ_CH_VJ, NAME)                                                      \
    }
#define FJ_CH_APPLY_S(NAME) \
    { FJ_CH_V s = FJ_CH_BCAST(*(const T *)ptr[st[k].reg]); FJ_CH_TILE(FJ_CH_SJ, NAME) }
#define FJ_CH_APPLY_U(NAME) { FJ_CH_TILE(FJ_CH_UJ, NAME) }
#define FJ_CH_APPLY_CV(NAME) { const T *p = (const T *)ptr[st[k].reg] + i,                  \
                                       *cp = (const T *)ptr[st[k].reg2] + i;            \
                               FJ_CH_TILE(FJ_CH_CVJ, NAME) }
#define FJ_CH_APPLY_CS(NAME) { FJ_CH_V s = FJ_CH_BCAST(*(const T *)ptr[st[k].reg]);         \
                               const T *cp = (const T *)ptr[st[k].reg2] + i;            \
                               FJ_CH_TILE(FJ_CH_CSJ, NAME) }
#define FJ_CH_APPLY_ST {                                                                  \
        T *q = (T *)ptr[st[k].reg] + i;                                                 \
        if (st[k].stream)                                                               \
            for (int o = 0; o < FJ_CH_NV * 64; o += 64)                                 \
                __builtin_prefetch((const char *)q + FJ_CH_PF_BYTES + o, 1, 3);         \
        FJ_CH_TILE(FJ_CH_STJ, _)                                                        \
    }
#define FJ_CH_APPLY_FN(NAME) {                                                          \
        FJ_CH_M bad = {0}, ok[FJ_CH_NV];                                                \
        FJ_CH_V fv[FJ_CH_NV];                                                           \
        int any = 0;                                                                    \
        T src[FJ_CH_NV * FJ_CH_W];                                                      \
        FJ_CH_TILE(FJ_CH_FSRC, _) FJ_CH_TILE(FJ_CH_FIN, _)                              \
        for (int p2 = 0; p2 < FJ_CH_NV; p2 += 2) FJ_CH_VFN_##NAME(fv + p2, ok + p2, 2); \
        FJ_CH_TILE(FJ_CH_FOUT, _)                                                       \
        for (int l = 0; l < FJ_CH_W; l++) any |= bad[l] != 0;                           \
        if (any) {                                                                      \
            T res[FJ_CH_NV * FJ_CH_W];                                                  \
            FJ_CH_TILE(FJ_CH_FSAVE, _)                                                  \
            FJ_ISA(FJ_CAT(fj_ch_fix_, FJ_CH_TN))(FJ_OP_##NAME, FJ_CH_NV * FJ_CH_W, res, src, fpe); \
            FJ_CH_TILE(FJ_CH_FLOAD, _)                                                  \
        }                                                                               \
    }
#define FJ_CH_APPLY_CALL(NAME) {                                                        \
        T src[FJ_CH_NV * FJ_CH_W], res[FJ_CH_NV * FJ_CH_W];                             \
        FJ_CH_TILE(FJ_CH_FSRC, _)                                                       \
        FJ_CH_CALL(NAME, FJ_CH_NV * FJ_CH_W);                                           \
        FJ_CH_TILE(FJ_CH_FLOAD, _)                                                      \
    }
    for (; i + FJ_CH_NV * FJ_CH_W <= n; i += FJ_CH_NV * FJ_CH_W) {
        FJ_CH_TILE_DECL(FJ_CH_V);
        for (int k = 0; k < ns; k++) {
            switch (st[k].code) {
                FJ_STEP_LIST(FJ_CH_CASE)
            }
        }
    }
#undef FJ_CH_APPLY_V
#undef FJ_CH_APPLY_S
#undef FJ_CH_APPLY_U
#undef FJ_CH_APPLY_ST
#undef FJ_CH_APPLY_FN
#undef FJ_CH_APPLY_CALL
#undef FJ_CH_APPLY_CV
#undef FJ_CH_APPLY_CS

    /* the rest of the block: one vector at a time */
#define FJ_CH_APPLY_V(NAME) { const T *p = (const T *)ptr[st[k].reg] + i; FJ_CH_VJ(0, NAME) }
#define FJ_CH_APPLY_S(NAME) \
    { FJ_CH_V s = FJ_CH_BCAST(*(const T *)ptr[st[k].reg]); FJ_CH_SJ(0, NAME) }
#define FJ_CH_APPLY_U(NAME) { FJ_CH_UJ(0, NAME) }
#define FJ_CH_APPLY_CV(NAME) { const T *p = (const T *)ptr[st[k].reg] + i,                  \
                                       *cp = (const T *)ptr[st[k].reg2] + i;            \
                               FJ_CH_CVJ(0, NAME) }
#define FJ_CH_APPLY_CS(NAME) { FJ_CH_V s = FJ_CH_BCAST(*(const T *)ptr[st[k].reg]);         \
                               const T *cp = (const T *)ptr[st[k].reg2] + i;            \
                               FJ_CH_CSJ(0, NAME) }
#define FJ_CH_APPLY_ST { T *q = (T *)ptr[st[k].reg] + i; FJ_CH_STJ(0, _) }
#define FJ_CH_APPLY_FN(NAME) {                                                          \
        FJ_CH_M bad = {0}, ok[1];                                                       \
        FJ_CH_V fv[1];                                                                  \
        int any = 0;                                                                    \
        T src[FJ_CH_W];                                                                 \
        FJ_CH_FSRC(0, _) FJ_CH_FIN(0, _)                                                \
        FJ_CH_VFN_##NAME(fv, ok, 1);                                                    \
        FJ_CH_FOUT(0, _)                                                                \
        for (int l = 0; l < FJ_CH_W; l++) any |= bad[l] != 0;                           \
        if (any) {                                                                      \
            T res[FJ_CH_W];                                                             \
            FJ_CH_FSAVE(0, _)                                                           \
            FJ_ISA(FJ_CAT(fj_ch_fix_, FJ_CH_TN))(FJ_OP_##NAME, FJ_CH_W, res, src, fpe); \
            FJ_CH_FLOAD(0, _)                                                           \
        }                                                                               \
    }
#define FJ_CH_APPLY_CALL(NAME) {                                                        \
        T src[FJ_CH_W], res[FJ_CH_W];                                                   \
        FJ_CH_FSRC(0, _)                                                                \
        FJ_CH_CALL(NAME, FJ_CH_W);                                                      \
        FJ_CH_FLOAD(0, _)                                                               \
    }
    for (; i + FJ_CH_W <= n; i += FJ_CH_W) {
        FJ_CH_V t0 = {0};
        for (int k = 0; k < ns; k++) {
            switch (st[k].code) {
                FJ_STEP_LIST(FJ_CH_CASE)
            }
        }
    }
#undef FJ_CH_APPLY_V
#undef FJ_CH_APPLY_S
#undef FJ_CH_APPLY_U
#undef FJ_CH_APPLY_ST
#undef FJ_CH_APPLY_FN
#undef FJ_CH_APPLY_CALL
#undef FJ_CH_APPLY_CV
#undef FJ_CH_APPLY_CS
#undef FJ_CH_ABS
#undef FJ_CH_SQRT

    /* then one element at a time */
#define FJ_CH_ABS FJ_CH_SABS
#define FJ_CH_SQRT FJ_CH_SSQRT
#undef FJ_CH_CMP
#undef FJ_CH_SEL
#define FJ_CH_CMP(a, b, IMM, OP, UNORD, SFX) \
    (FJ_CAT(FJ_CH_QCMP_, FJ_CH_TN)(a, b, SFX) ? (T)1 : (T)0)
#define FJ_CH_SEL(c, a, b) (FJ_CAT(FJ_CH_QCMP_, FJ_CH_TN)(c, (T)0, neq) ? (a) : (b))
#define FJ_CH_APPLY_V(NAME) { T s = ((const T *)ptr[st[k].reg])[i]; t0 = FJ_CH_E_##NAME(t0, s); }
#define FJ_CH_APPLY_S(NAME) { T s = *(const T *)ptr[st[k].reg]; t0 = FJ_CH_E_##NAME(t0, s); }
#define FJ_CH_APPLY_U(NAME) { t0 = FJ_CH_E_##NAME(t0, t0); }
#define FJ_CH_APPLY_CV(NAME) { T s = ((const T *)ptr[st[k].reg])[i];                        \
                               T c = ((const T *)ptr[st[k].reg2])[i];                   \
                               t0 = FJ_CH_E_##NAME(t0, s, c); }
#define FJ_CH_APPLY_CS(NAME) { T s = *(const T *)ptr[st[k].reg];                             \
                               T c = ((const T *)ptr[st[k].reg2])[i];                   \
                               t0 = FJ_CH_E_##NAME(t0, s, c); }
#define FJ_CH_APPLY_ST { ((T *)ptr[st[k].reg])[i] = t0; }
#define FJ_CH_APPLY_FN(NAME) {                 /* lane 0 of the vector code: same bits */ \
        FJ_CH_M ok[1];                                                                  \
        T src = t0;                                                                     \
        FJ_CH_V v[1] = {FJ_CH_BCAST(t0)};                                               \
        FJ_CH_VFN_##NAME(v, ok, 1);                                                     \
        t0 = v[0][0];                                                                   \
        if (!ok[0][0]) FJ_ISA(FJ_CAT(fj_ch_fix_, FJ_CH_TN))(FJ_OP_##NAME, 1, &t0, &src, fpe); \
    }
#define FJ_CH_APPLY_CALL(NAME) { T src[1] = {t0}, res[1]; FJ_CH_CALL(NAME, 1); t0 = res[0]; }
    for (; i < n; i++) {
        T t0 = 0;
        for (int k = 0; k < ns; k++) {
            switch (st[k].code) {
                FJ_STEP_LIST(FJ_CH_CASE)
            }
        }
    }
#undef FJ_CH_APPLY_V
#undef FJ_CH_APPLY_S
#undef FJ_CH_APPLY_U
#undef FJ_CH_APPLY_ST
#undef FJ_CH_APPLY_FN
#undef FJ_CH_APPLY_CALL
#undef FJ_CH_APPLY_CV
#undef FJ_CH_APPLY_CS
#undef FJ_CH_ABS
#undef FJ_CH_SQRT
#undef FJ_CH_CMP
#undef FJ_CH_SEL
}

/* the parameters of this expansion: the includer defines them afresh for the next one */
#undef FJ_CH_BLOCKFN
#undef FJ_CH_VFN_EXP
#undef FJ_CH_VCMP
#undef FJ_CH_LANE_OK_EXP
#undef FJ_CH_LIBM
#undef FJ_CH_TN
#undef FJ_CH_T
#undef FJ_CH_V
#undef FJ_CH_M
#undef FJ_CH_W
#undef FJ_CH_BCAST
#undef FJ_CH_VABS
#undef FJ_CH_VSQRT
#undef FJ_CH_SABS
#undef FJ_CH_SSQRT
