/* kernel_run.h: the entry point of the kernel library, fj_run: plans a program over a
 * launch (register modes, passes, resolved kernels), picks the thread count and the
 * schedule, runs the blocks and collects the floating-point exception flags the
 * blocks raised. Included once by kernels.h, after everything it uses. */
#ifndef FRAMEJIT_KERNEL_RUN_H
#define FRAMEJIT_KERNEL_RUN_H

/* ---- floating-point exception flags ---------------------------------------------------- */

static void fj_fpe_clear(void) { fj_fe_clear(FJ_FE_ALL); }

/* the flags this thread raised since fj_fpe_clear, as FJ_FPE_* bits */
static int fj_fpe_test(void)
{
    int f = fj_fe_get(FJ_FE_ALL), r = 0;
    if (!f) return 0;
    if (f & FE_DIVBYZERO) r |= FJ_FPE_DIVIDE;
    if (f & FE_OVERFLOW) r |= FJ_FPE_OVERFLOW;
    if (f & FE_UNDERFLOW) r |= FJ_FPE_UNDERFLOW;
    if (f & FE_INVALID) r |= FJ_FPE_INVALID;
    return r;
}

/* ---- the entry point ------------------------------------------------------------------ */

static int fj_plan(fj_ctx *C, char *buf, size_t cap)
{
    const fj_program *P = C->P;
    const fj_launch *L = C->L;
    int nr = P->nregs;
    C->npasses = 1;
    for (int i = 0; i < P->ninstr; i++) C->npasses += P->code[i].op == FJ_OP_PASS;
    int ni = P->ninstr;
    size_t need = sizeof(fj_regplan) * nr + 3 * sizeof(void *) * (size_t)ni +
                  sizeof(int) * (3 * C->npasses + 2 * nr + ni + (size_t)C->npasses * nr) +
                  (size_t)C->npasses * nr + 3 * (size_t)ni;
    char *m;
    C->plan_heap = need + 16 > cap;
    if (C->plan_heap) {
        m = (char *)calloc(1, need + 16);
        if (!m) return FJ_ERR_NOMEM;
    } else {
        m = buf;
        memset(m, 0, need + 16);
    }
    C->rp = (fj_regplan *)m;
    C->efn = (fj_ew_fn *)(m + sizeof(fj_regplan) * nr);
    C->rfn = (fj_red_fn *)(C->efn + ni);
    C->cfn = (fj_chain_fn *)(C->rfn + ni);
    C->pass_lo = (int *)(C->cfn + ni);
    C->pass_hi = C->pass_lo + C->npasses;
    C->slot = C->pass_hi + C->npasses;
    C->prod = C->slot + nr;
    C->ins_pass = C->prod + nr;
    C->arr_cnt = C->ins_pass + ni;
    C->arr_list = C->arr_cnt + C->npasses;
    C->pass_use = (unsigned char *)(C->arr_list + (size_t)C->npasses * nr);
    C->scalar = C->pass_use + (size_t)C->npasses * nr;
    C->soft = C->scalar + ni;
    C->hwkeep = C->soft + ni;
    int p = 0;
    C->pass_lo[0] = 0;
    for (int i = 0; i < ni; i++) {
        const fj_instr *in = &P->code[i];
        C->ins_pass[i] = p;
        if (in->op == FJ_OP_PASS) { C->pass_hi[p] = i; C->pass_lo[++p] = i + 1; continue; }
        if (in->op == FJ_OP_CHAIN) {
            /* reads: bit 1 (a vector operand) or bit 4 (a scalar one, whose buffer
             * fj_fill_acc_reads fills to one element); stores: bit 2 */
            C->cfn[i] = C->T->chain[P->regs[in->dst].dtype];
            C->hwkeep[i] = FJ_FE_ALL;
            for (int k = 0; k < in->nsteps; k++) {
                const fj_step *st = &in->steps[k];
                int shape = fj_steps[st->code >> 1].shape;
                if (st->reg2 >= 0) C->pass_use[p * nr + st->reg2] |= 1;
                if (shape == FJ_STEP_SHAPE_STORE) C->pass_use[p * nr + st->reg] |= 2;
                else if (shape != FJ_STEP_SHAPE_UN && shape != FJ_STEP_SHAPE_VFN &&
                         shape != FJ_STEP_SHAPE_FN)
                    C->pass_use[p * nr + st->reg] |= (st->code & 1) ? 4 : 1;
            }
            continue;
        }
        if (P->regs[in->dst].kind == FJ_REG_ACC) C->prod[in->dst] = i;
        C->scalar[i] = fj_ops[in->op].kind == FJ_KIND_ELEMENTWISE &&
                       P->regs[in->dst].kind == FJ_REG_ACC;
        C->hwkeep[i] = (unsigned char)fj_hw_keep(in->op);
        if (C->scalar[i]) continue;      /* its operands are not block data */
        if (fj_ops[in->op].kind == FJ_KIND_REDUCTION)
            C->rfn[i] = C->T->red[in->op][P->regs[in->a].dtype];
        else {
            C->efn[i] = in->op == FJ_OP_CAST
                ? C->T->cast[P->regs[in->dst].dtype][P->regs[in->a].dtype]
                : C->T->ew[in->op][P->regs[fj_ops[in->op].sig == FJ_SIG_CMP ? in->a : in->dst].dtype];
            C->soft[i] = (unsigned char)fj_soft_kind(in->op);
        }
        int na = fj_ops[in->op].nargs;
        const int src[3] = {in->a, in->b, in->c};
        for (int k = 0; k < na; k++) C->pass_use[p * nr + src[k]] |= 1;
        C->pass_use[p * nr + in->dst] |= 2;
    }
    C->pass_hi[p] = P->ninstr;
    C->nacc = 0;
    for (int r = 0; r < nr; r++) {
        const fj_reg *g = &P->regs[r];
        fj_regplan *rp = &C->rp[r];
        C->slot[r] = g->kind == FJ_REG_ACC ? C->nacc++ : -1;
        rp->isz = fj_itemsize[g->dtype];
        rp->mode = FJ_RP_FIXED;
        for (int q = 0; q < C->npasses; q++) {
            rp->read |= C->pass_use[q * nr + r] & 1;
            rp->written |= (C->pass_use[q * nr + r] & 2) != 0;
        }
        if (g->kind != FJ_REG_ARRAY) continue;
        const fj_operand *o = &L->ops[g->array];
        int linear = 1, zero = 1;
        for (int d = 0; d < L->ndim; d++) {
            if (o->strides[d] != 0 && L->dims[d] > 1) zero = 0;
            if (d + 1 < L->ndim && o->strides[d] != o->strides[d + 1] * L->dims[d + 1] &&
                L->dims[d] > 1)
                linear = 0;
        }
        rp->fstride = o->strides[L->ndim - 1];
        if (zero && !rp->written) rp->mode = FJ_RP_FIXED;
        else if (linear && rp->fstride == rp->isz) rp->mode = FJ_RP_DIRECT;
        else if (linear) rp->mode = FJ_RP_LINEAR;
        else rp->mode = FJ_RP_ND;
        rp->inner_contig = rp->fstride == rp->isz;
    }
    for (int q = 0; q < C->npasses; q++) {   /* arrays needing per-block work, per pass */
        C->arr_cnt[q] = 0;
        for (int r = 0; r < nr; r++)
            if (P->regs[r].kind == FJ_REG_ARRAY && C->rp[r].mode != FJ_RP_FIXED &&
                C->pass_use[q * nr + r])
                C->arr_list[q * nr + C->arr_cnt[q]++] = r;
    }
    return FJ_OK;
}

/* run P over L; 0 or an FJ_ERR_* code. *fpe (when not NULL) receives the FJ_FPE_* flags
 * that the threads running blocks raised, also when the run failed. */
static int fj_run(const fj_program *P, const fj_launch *L, int *fpe)
{
    fj_ctx C;
    /* small calls (the per-call overhead matters there) run out of the stack */
    _Alignas(64) char stack[FJ_STACK_BYTES];
    size_t plan_cap = FJ_STACK_BYTES / 4;
    memset(&C, 0, sizeof(C));
    C.P = P; C.L = L; C.T = &fj_tables[fj_isa_current];
    if (fpe) *fpe = 0;
    int rc = fj_plan(&C, stack, plan_cap);
    if (rc) return rc;
#define FJ_FREE_PLAN() do { if (C.plan_heap) free(C.rp); } while (0)
    /* default block: keep every register's block within ~64 KB (L1/L2), a whole number of
     * chain tiles (kernel_chain.h: 128 float32 elements on AVX-512; a partial tile at the
     * end of every block ran one vector at a time, 20 % of black_scholes float32) */
    fj_index B = L->block;
    if (B <= 0) {
        B = (FJ_BLOCK_BYTES / (8 * (fj_index)(P->nregs > 0 ? P->nregs : 1))) & ~(fj_index)127;
        B = B < FJ_BLOCK_MIN ? FJ_BLOCK_MIN : B > FJ_BLOCK_DEFAULT ? FJ_BLOCK_DEFAULT : B;
    }
    if (L->seg_len < B) B = L->seg_len > 0 ? L->seg_len : 1;
    C.B = B;
    C.nblk = (L->seg_len + B - 1) / B;
    long cost = 0;
    for (int i = 0; i < P->ninstr; i++) {
        cost += fj_ops[P->code[i].op].cost;
        for (int k = 0; k < P->code[i].nsteps; k++)
            cost += fj_steps[P->code[i].steps[k].code >> 1].cost;
    }
    double work = (double)L->nseg * (double)L->seg_len * (double)cost;
    int nt = L->nthreads > 0 ? L->nthreads : 1;
    if (!FJ_HAVE_OPENMP || work < fj_par_min_work) nt = 1;
    if (nt > 1 && fj_adaptive && fj_omp_wtime() < fj_backoff_until) nt = 1;
    /* many segments: one thread per segment; few long ones: threads share each segment */
    int by_segment = L->nseg > 1 && !(L->nseg < 2 * nt && C.nblk >= 2 * nt);
    if (L->nseg == 0) { FJ_FREE_PLAN(); return FJ_OK; }

    if (nt == 1) {
        /* serial: no OpenMP runtime involved, thread state on the stack when it fits */
        fj_tstate t;
        memset(&t, 0, sizeof(t));
        size_t need = fj_tstate_bytes(&C, 1);
        rc = fj_tstate_init(&C, &t, 1, need <= FJ_STACK_BYTES - plan_cap ? stack + plan_cap : NULL);
        if (rc) { FJ_FREE_PLAN(); return rc; }
        fj_fpe_clear();
        for (fj_index s = 0; s < L->nseg && !rc; s++) {
            for (int p = 0; p < C.npasses; p++) {
                fj_fill_acc_reads(&C, &t, p, t.accval);
                for (fj_index b = 0; b < C.nblk; b++) fj_exec_block(&C, &t, p, s, b);
                int e = fj_finish_pass(&C, p, s, t.parts, t.accval);
                if (e) { rc = e; break; }
            }
        }
        if (fpe) *fpe = fj_fpe_test() | t.fpe;
        free(t.mem);
        FJ_FREE_PLAN();
        return rc ? rc : C.err;
    }

    fj_tstate *ts = (fj_tstate *)calloc((size_t)nt, sizeof(fj_tstate));
    fj_partial *parts = NULL, *accval = NULL;
    if (!by_segment)
        parts = (fj_partial *)calloc((size_t)C.nacc * (size_t)(C.nblk ? C.nblk : 1) + C.nacc + 1,
                                     sizeof(fj_partial));
    if (!ts || (!by_segment && !parts)) { free(ts); free(parts); FJ_FREE_PLAN(); return FJ_ERR_NOMEM; }
    if (!by_segment) accval = parts + (size_t)C.nacc * (size_t)(C.nblk ? C.nblk : 1);
    int alloc_err = 0;
    double t_start = fj_omp_wtime();

    if (by_segment) {
        #pragma omp parallel num_threads(nt) if (nt > 1)
        {
            fj_tstate *t = &ts[fj_omp_thread_num()];
            int ok = fj_tstate_init(&C, t, 1, NULL) == FJ_OK;
            if (!ok) alloc_err = 1;
            fj_fpe_clear();
            /* dynamic: a core shared with another process must not stall the rest;
             * results do not depend on which thread runs a segment. The thread's busy
             * time is its time in the loop (a clock read per segment cost ~5 % of a
             * 1024-element row) */
            double t0 = fj_omp_wtime();
            #pragma omp for schedule(dynamic, 4) nowait
            for (fj_index s = 0; s < L->nseg; s++) {
                if (!ok) continue;
                t->units++;
                for (int p = 0; p < C.npasses; p++) {
                    fj_fill_acc_reads(&C, t, p, t->accval);
                    for (fj_index b = 0; b < C.nblk; b++) fj_exec_block(&C, t, p, s, b);
                    int e = fj_finish_pass(&C, p, s, t->parts, t->accval);
                    if (e) C.err = e;
                }
            }
            t->busy += fj_omp_wtime() - t0;
            t->fpe |= fj_fpe_test();
        }
    } else {
        for (fj_index s = 0; s < L->nseg; s++) {
            #pragma omp parallel num_threads(nt) if (nt > 1)
            {
                fj_tstate *t = &ts[fj_omp_thread_num()];
                int ok = fj_tstate_init(&C, t, 0, NULL) == FJ_OK;
                if (!ok) alloc_err = 1;
                t->parts = parts;
                fj_fpe_clear();
                for (int p = 0; p < C.npasses; p++) {
                    if (ok) fj_fill_acc_reads(&C, t, p, accval);
                    /* chunks of 8 blocks: each thread streams runs of consecutive memory
                     * (its prefetches stay its own; with 2 the threads' runs interleaved
                     * every other block), still hundreds of chunks to balance a busy
                     * core (2 threads, 1e6 elements: 5-15 % faster) */
                    double t0 = fj_omp_wtime();    /* busy: the thread's time in the loop */
                    #pragma omp for schedule(dynamic, 8) nowait
                    for (fj_index b = 0; b < C.nblk; b++)
                        if (ok) {
                            fj_exec_block(&C, t, p, s, b);
                            t->units++;
                        }
                    t->busy += fj_omp_wtime() - t0;
                    #pragma omp barrier
                    #pragma omp single
                    {
                        int e = fj_finish_pass(&C, p, s, parts, accval);
                        if (e) C.err = e;
                    }
                }
                t->fpe |= fj_fpe_test();
                free(t->mem);
                t->mem = NULL;
            }
        }
    }
    fj_index total = 0;
    double elapsed = fj_omp_wtime() - t_start;
    for (int i = 0; i < nt; i++) {
        free(ts[i].mem);
        total += ts[i].units;
        if (fpe) *fpe |= ts[i].fpe;
    }
    /* the threads did not pay off when the call took about as long as the calling
     * thread alone would have needed, and it mostly waited */
    if (fj_adaptive && ts[0].units > 0) {
        double serial_estimate = ts[0].busy / (double)ts[0].units * (double)total;
        if (elapsed > 0.9 * serial_estimate && elapsed - ts[0].busy > FJ_BACKOFF_MIN_WAIT_S)
            fj_backoff_until = fj_omp_wtime() + FJ_BACKOFF_S;
    }
    free(ts);
    free(parts);
    FJ_FREE_PLAN();
#undef FJ_FREE_PLAN
    if (alloc_err) return FJ_ERR_NOMEM;
    return C.err;
}

static int fj_max_threads(void) { return fj_omp_max_threads(); }

#endif /* FRAMEJIT_KERNEL_RUN_H */
