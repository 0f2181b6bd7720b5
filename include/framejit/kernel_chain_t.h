/* kernel_chain_t.h: the body of one chain kernel, fj_chain_<FJ_CH_TN>, for the element
 * type FJ_CH_T and its 64-byte vector FJ_CH_V (FJ_CH_W lanes). Included by
 * kernel_chain.h once per float type and instruction-set region; no include guard.
 *
 * n elements; st[0..ns) the steps (the first is a LOAD, kernels.h validates programs);
 * ptr[r] is register r's block (vector operands and STORE targets: element 0 of this
 * block; scalar operands: their value in element 0).
 */
static void FJ_ISA(FJ_CAT(fj_chain_, FJ_CH_TN))(fj_index n, const fj_step *st, int ns,
                                                 void *const *ptr)
{
    typedef FJ_CH_T T;
    fj_index i = 0;

    /* tiles of FJ_CH_NV vectors: the running values live in registers t0.. */
#define FJ_CH_ABS FJ_CH_VABS
#define FJ_CH_SQRT FJ_CH_VSQRT
#define FJ_CH_APPLY_V(NAME) { const T *p = (const T *)ptr[st[k].reg] + i; FJ_CH_TILE(FJ_CH_VJ, NAME) }
#define FJ_CH_APPLY_S(NAME) { FJ_CH_V s = FJ_CH_BCAST(*(const T *)ptr[st[k].reg]); FJ_CH_TILE(FJ_CH_SJ, NAME) }
#define FJ_CH_APPLY_U(NAME) { FJ_CH_TILE(FJ_CH_UJ, NAME) }
#define FJ_CH_APPLY_ST { T *q = (T *)ptr[st[k].reg] + i; FJ_CH_TILE(FJ_CH_STJ, _) }
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

    /* the rest of the block: one vector at a time */
#define FJ_CH_APPLY_V(NAME) { const T *p = (const T *)ptr[st[k].reg] + i; FJ_CH_VJ(0, NAME) }
#define FJ_CH_APPLY_S(NAME) { FJ_CH_V s = FJ_CH_BCAST(*(const T *)ptr[st[k].reg]); FJ_CH_SJ(0, NAME) }
#define FJ_CH_APPLY_U(NAME) { FJ_CH_UJ(0, NAME) }
#define FJ_CH_APPLY_ST { T *q = (T *)ptr[st[k].reg] + i; FJ_CH_STJ(0, _) }
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
#undef FJ_CH_ABS
#undef FJ_CH_SQRT

    /* then one element at a time */
#define FJ_CH_ABS FJ_CH_SABS
#define FJ_CH_SQRT FJ_CH_SSQRT
#define FJ_CH_APPLY_V(NAME) { T s = ((const T *)ptr[st[k].reg])[i]; t0 = FJ_CH_E_##NAME(t0, s); }
#define FJ_CH_APPLY_S(NAME) { T s = *(const T *)ptr[st[k].reg]; t0 = FJ_CH_E_##NAME(t0, s); }
#define FJ_CH_APPLY_U(NAME) { t0 = FJ_CH_E_##NAME(t0, t0); }
#define FJ_CH_APPLY_ST { ((T *)ptr[st[k].reg])[i] = t0; }
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
#undef FJ_CH_ABS
#undef FJ_CH_SQRT
}
