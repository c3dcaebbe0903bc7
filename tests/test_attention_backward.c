/*
 * tests/test_attention_backward.c — `attention_backward`, the fused (flash-attention)
 * backward of one head.
 *
 * Every case builds one head's inputs (tests/attention_data.h: NaN outside what is
 * kept, guard zones, misaligned buffers), a random dO, and o and lse from the ref
 * forward; it runs the table under test and compares dq, dk, dv:
 *   - for the ref table: against a double-precision direct computation written here
 *     (full score matrix, softmax, dP = dO V^T, dS = P (dP - D), the three products),
 *     which tests the specification itself;
 *   - for every other table: against the ref table.
 * And on every table:
 *   - the outputs touch nothing else: rows of dk, dv that are not kept, and padding
 *     columns past d of dq, dk, dv, are still NaN afterwards (guard zones catch
 *     writes past the buffers);
 *   - keys masked by a -INFINITY bias get dk = dv = 0 exactly; query rows whose lse
 *     is -INFINITY ("dead" rows: every key masked, or marked so by the caller) get
 *     dq = 0 exactly and contribute nothing to dk, dv;
 *   - finite differences of the table's own forward (`attention`): for the loss
 *     L = sum_i dO_i . o_i, central differences in a few coordinates of q, k and v
 *     agree with dq, dk, dv.
 *
 * Tolerances (why):
 *   dq, dk, dv: NMSE <= 1e-9 (1e-8 near overflow). For dq and dk the squared error
 *        is normalised by max(sum want^2, 1e-2 sum mag^2), mag the same sums over
 *        absolute values of the terms: dq and dk cancel (sum_j dS[i][j] = 0 for every
 *        row; with one kept key they are 0 in exact arithmetic, and a table gets
 *        rounding noise of the size of eps * mag), so near-zero gradients are
 *        compared with the size of what cancelled. Measured at seed 20231: ref vs
 *        oracle <= 1e-12, avx512 vs ref <= 2.2e-11 (one kept key; 2.3e-13 otherwise);
 *        near overflow (scores ~85: the absolute rounding error of a score, ~1e-5,
 *        becomes a relative error of p) ref vs oracle <= 3.2e-10, avx512 vs ref
 *        <= 1.9e-10. Bugs give far more: dv scaled by 1.0001 gives 1e-8, a wrong D or
 *        a dropped key tile >= 1e-3.
 *   finite differences: h = 2e-3, |fd - grad| <= 1e-3 + 2e-2 |grad|: the float
 *        forward's rounding (~1e-7 relative per o, summed over the loss) divided by
 *        2h gives ~1e-4 of noise; the truncation error is ~h^2.
 */
#include "attention_data.h"
#include "ptc_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bwd_inputs {
    attn_data a;
    float *dout, *o, *lse; /* dO and the ref forward's o (leading dimension a.ldo), lse */
    size_t n_dead;         /* rows whose lse was set to -INFINITY by the test */
} bwd_inputs;

static void make_inputs(ptc_test_ctx *ctx, bwd_inputs *in, const attn_case *cs, bool dead_rows,
                        uint64_t seed)
{
    attn_make_data(&in->a, cs, seed);
    const attn_data *a = &in->a;
    ptc_rng rng = ptc_rng_seeded(seed ^ 0xBAC4u);
    in->dout = ptc_test_alloc(cs->n_q * a->ldo + 1, cs->misalign + 4);
    in->o = ptc_test_alloc(cs->n_q * a->ldo + 1, cs->misalign + 6);
    in->lse = ptc_test_alloc(cs->n_q + 1, 2);
    for (size_t i = 0; i < cs->n_q; i++)
        ptc_rng_fill(&rng, in->dout + i * a->ldo, cs->d, -1.0f, 1.0f);
    ptc_attention_args args = attn_make_args(a, in->o, in->lse);
    ctx->ref->attention(&args);
    in->n_dead = 0;
    if (dead_rows)
        for (size_t i = 1; i < cs->n_q; i += 3) {
            in->lse[i] = -INFINITY;
            in->n_dead++;
        }
}

static void free_inputs(ptc_test_ctx *ctx, bwd_inputs *in)
{
    ptc_test_free(ctx, in->dout);
    ptc_test_free(ctx, in->o);
    ptc_test_free(ctx, in->lse);
    attn_free_data(ctx, &in->a);
}

static ptc_attention_bwd_args make_bwd_args(const bwd_inputs *in, float *dq, float *dk, float *dv)
{
    const attn_data *a = &in->a;
    ptc_attention_bwd_args b = {
        .fwd = attn_make_args(a, in->o, in->lse),
        .dout = in->dout, .lddout = a->ldo,
        .dq = dq, .lddq = a->ldq, .dk = dk, .lddk = a->ldk, .dv = dv, .lddv = a->ldv,
    };
    return b;
}

/* The direct computation in double: dq (n_q, d), dk and dv (n_kv, d) in kept-key
 * order, all packed. Rows whose given lse is -INFINITY are left out. mag_q, mag_k:
 * the same sums with every term's absolute value, |dS| taken as p (|dP| + |D|):
 * the size of what cancels in dq and dk. */
static void oracle_backward(const bwd_inputs *in, float *dq, float *dk, float *dv,
                            double *mag_q, double *mag_k)
{
    const attn_data *a = &in->a;
    const size_t nq = a->cs.n_q, nkv = a->cs.n_kv, d = a->cs.d;
    double *s = malloc((nq * nkv + 1) * sizeof *s), *p = malloc((nkv + 1) * sizeof *p);
    double *gq = calloc(nq * d + 1, sizeof *gq), *gk = calloc(nkv * d + 1, sizeof *gk);
    double *gv = calloc(nkv * d + 1, sizeof *gv), *o = malloc((d + 1) * sizeof *o);
    memset(mag_q, 0, nq * d * sizeof *mag_q);
    memset(mag_k, 0, nkv * d * sizeof *mag_k);
    attn_scores_double(a, s);
    for (size_t i = 0; i < nq; i++) {
        const float *dout = in->dout + i * a->ldo, *q = a->q + i * a->ldq;
        double delta = 0.0;
        if (attn_softmax_row_double(a, s + i * nkv, p, o) == -INFINITY || in->lse[i] == -INFINITY)
            continue;
        for (size_t c = 0; c < d; c++)
            delta += (double)dout[c] * o[c];
        for (size_t j = 0; j < nkv; j++) {
            const size_t r = attn_key_row(a, j);
            const float *k = a->k + r * a->ldk, *v = a->v + r * a->ldv;
            double dp = 0.0;
            for (size_t c = 0; c < d; c++)
                dp += (double)dout[c] * v[c];
            const double ds = (double)a->scale * p[j] * (dp - delta);
            const double ds_mag = (double)a->scale * p[j] * (fabs(dp) + fabs(delta));
            for (size_t c = 0; c < d; c++) {
                gq[i * d + c] += ds * k[c];
                gk[j * d + c] += ds * q[c];
                gv[j * d + c] += p[j] * dout[c];
                mag_q[i * d + c] += ds_mag * fabs(k[c]);
                mag_k[j * d + c] += ds_mag * fabs(q[c]);
            }
        }
    }
    for (size_t x = 0; x < nq * d; x++)
        dq[x] = (float)gq[x];
    for (size_t x = 0; x < nkv * d; x++) {
        dk[x] = (float)gk[x];
        dv[x] = (float)gv[x];
    }
    free(s); free(p); free(gq); free(gk); free(gv); free(o);
}

/* packed[j] = row r_j of x (leading dimension ld), kept-key order */
static void gather_kept(const attn_data *a, const float *x, size_t ld, float *packed)
{
    for (size_t j = 0; j < a->cs.n_kv; j++) {
        const size_t r = attn_key_row(a, j);
        memcpy(packed + j * a->cs.d, x + r * ld, a->cs.d * sizeof(float));
    }
}

/* Every element outside the written block (rows not kept, columns past d) is
 * still NaN. `kept_rows`: only kept rows are written (dk, dv), else all rows. */
static void check_untouched(ptc_test_ctx *ctx, const char *what, const attn_data *a,
                            const float *x, size_t rows, size_t ld, bool kept_rows,
                            const char *desc)
{
    bool *kept = calloc(rows + 1, sizeof *kept); /* rows that are some key's row */
    for (size_t j = 0; j < a->cs.n_kv; j++)
        if (attn_key_row(a, j) < rows)
            kept[attn_key_row(a, j)] = true;
    for (size_t r = 0; r < rows; r++) {
        const bool written = !kept_rows || kept[r];
        for (size_t c = 0; c < ld; c++) {
            const bool inside = written && c < a->cs.d;
            if (!inside && !isnan(x[r * ld + c])) {
                ptc_check(ctx, false, "%s: row %zu col %zu written (%g) outside the output [%s]",
                          what, r, c, x[r * ld + c], desc);
                free(kept);
                return;
            }
        }
    }
    free(kept);
}

/* NMSE of got vs want, normalised by max(sum want^2, 1e-2 sum mag^2) when mag is
 * given (dq, dk: see the tolerances above); `zero`: got must equal want exactly */
static void check_grad(ptc_test_ctx *ctx, const char *name, const float *got, const float *want,
                       const double *mag, size_t n, bool zero, double bound, const char *vs,
                       const char *desc)
{
    char what[320];
    snprintf(what, sizeof what, "attention_backward %s vs %s [%s]", name, vs, desc);
    if (zero) {
        ptc_check_close(ctx, what, got, want, n, 0.0f, 0.0f);
        return;
    }
    double err = 0.0, norm = 0.0, floor = 1e-30;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i])) {
            ptc_check(ctx, false, "%s: non-finite %g at [%zu]", what, got[i], i);
            return;
        }
        err += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        norm += (double)want[i] * want[i];
        floor += mag ? 1e-2 * mag[i] * mag[i] : 0.0;
    }
    const double nmse = err / (norm > floor ? norm : floor);
    ptc_check(ctx, nmse <= bound, "%s: NMSE %.3g > %.3g", what, nmse, bound);
}

/* Masked keys get exactly zero dk, dv; dead rows get exactly zero dq. */
static void check_exact_zeros(ptc_test_ctx *ctx, const bwd_inputs *in, const float *dq,
                              const float *dk, const float *dv, const char *desc)
{
    const attn_data *a = &in->a;
    const size_t d = a->cs.d;
    for (size_t j = 0; j < a->cs.n_kv && a->bias; j++) {
        const size_t r = attn_key_row(a, j);
        if (a->bias[r] != -INFINITY)
            continue;
        for (size_t c = 0; c < d; c++)
            if (dk[j * d + c] != 0.0f || dv[j * d + c] != 0.0f) {
                ptc_check(ctx, false, "masked key %zu: dk %g dv %g, not 0 [%s]", j, dk[j * d + c],
                          dv[j * d + c], desc);
                return;
            }
    }
    for (size_t i = 0; i < a->cs.n_q; i++) {
        if (in->lse[i] != -INFINITY)
            continue;
        for (size_t c = 0; c < d; c++)
            if (dq[i * d + c] != 0.0f) {
                ptc_check(ctx, false, "dead row %zu: dq %g, not 0 [%s]", i, dq[i * d + c], desc);
                return;
            }
    }
}

static void run_case(ptc_test_ctx *ctx, const attn_case *cs, bool dead_rows, uint64_t salt)
{
    const ptc_ops *ops = ctx->ops;
    const bool is_ref = strcmp(ops->name, "ref") == 0;
    bwd_inputs in;
    make_inputs(ctx, &in, cs, dead_rows, ctx->seed * 6151u + salt);
    const attn_data *a = &in.a;
    const size_t nq = cs->n_q, nkv = cs->n_kv, d = cs->d;
    char desc[280], base[200];
    attn_describe(cs, base, sizeof base);
    snprintf(desc, sizeof desc, "%s dead=%zu", base, in.n_dead);

    float *dq = ptc_test_alloc(nq * a->ldq + 1, cs->misalign + 1);
    float *dk = ptc_test_alloc(a->n_rows * a->ldk + 1, cs->misalign + 2);
    float *dv = ptc_test_alloc(a->n_rows * a->ldv + 1, cs->misalign + 3);
    ptc_attention_bwd_args args = make_bwd_args(&in, dq, dk, dv);
    ops->attention_backward(&args);

    float *got_q = malloc((nq * d + 1) * sizeof(float));
    float *got_k = malloc((nkv * d + 1) * sizeof(float)), *got_v = malloc((nkv * d + 1) * sizeof(float));
    float *want_q = malloc((nq * d + 1) * sizeof(float));
    float *want_k = malloc((nkv * d + 1) * sizeof(float)), *want_v = malloc((nkv * d + 1) * sizeof(float));
    attn_unpad(dq, a->ldq, nq, d, got_q);
    gather_kept(a, dk, a->ldk, got_k);
    gather_kept(a, dv, a->ldv, got_v);
    double *mag_q = malloc((nq * d + 1) * sizeof(double));
    double *mag_k = malloc((nkv * d + 1) * sizeof(double));
    oracle_backward(&in, want_q, want_k, want_v, mag_q, mag_k);
    if (!is_ref) {
        float *rq = malloc((nq * a->ldq + 1) * sizeof(float));
        float *rk = malloc((a->n_rows * a->ldk + 1) * sizeof(float));
        float *rv = malloc((a->n_rows * a->ldv + 1) * sizeof(float));
        ptc_attention_bwd_args ra = make_bwd_args(&in, rq, rk, rv);
        ctx->ref->attention_backward(&ra);
        attn_unpad(rq, a->ldq, nq, d, want_q);
        gather_kept(a, rk, a->ldk, want_k);
        gather_kept(a, rv, a->ldv, want_v);
        free(rq); free(rk); free(rv);
    }

    const char *vs = is_ref ? "oracle" : "ref";
    const double bound = cs->overflow ? 1e-8 : 1e-9;
    const bool no_live_row = cs->mask == MASK_ALL || nkv == 0 || in.n_dead == nq;
    check_grad(ctx, "dq", got_q, want_q, mag_q, nq * d, no_live_row, bound, vs, desc);
    check_grad(ctx, "dk", got_k, want_k, mag_k, nkv * d, no_live_row, bound, vs, desc);
    check_grad(ctx, "dv", got_v, want_v, NULL, nkv * d, no_live_row, bound, vs, desc);
    check_exact_zeros(ctx, &in, got_q, got_k, got_v, desc);
    check_untouched(ctx, "dq", a, dq, nq, a->ldq, false, desc);
    check_untouched(ctx, "dk", a, dk, a->n_rows, a->ldk, true, desc);
    check_untouched(ctx, "dv", a, dv, a->n_rows, a->ldv, true, desc);

    free(got_q); free(got_k); free(got_v); free(want_q); free(want_k); free(want_v);
    free(mag_q); free(mag_k);
    ptc_test_free(ctx, dq); ptc_test_free(ctx, dk); ptc_test_free(ctx, dv);
    free_inputs(ctx, &in);
}

/* head dims: 32 / 64 and their odd neighbours, dims that are not multiples of any
 * vector width, dims above the ISA kernels' per-chunk limits */
PTC_KERNEL_TEST(attention_backward_head_dims)
{
    static const size_t full_dims[] = {1, 2, 3, 5, 7, 16, 31, 32, 33, 40, 63, 64, 65, 72, 127,
                                       128, 200, 257};
    static const size_t quick_dims[] = {1, 3, 32, 33, 64, 257};
    static const size_t shapes[][2] = {{1, 1}, {3, 17}, {17, 3}, {17, 113}, {40, 50}};
    const size_t *dims = ctx->quick ? quick_dims : full_dims;
    const size_t n_dims = ctx->quick ? sizeof quick_dims / sizeof *dims : sizeof full_dims / sizeof *dims;
    uint64_t salt = 0;
    for (size_t di = 0; di < n_dims; di++)
        for (size_t s = 0; s < (ctx->quick ? 2u : 5u); s++) {
            attn_case cs = attn_plain(shapes[s][0], shapes[s][1], dims[di]);
            cs.kv = (enum kv_mode)(salt % 3);
            cs.bias = salt % 2 == 0;
            cs.misalign = salt % 5;
            run_case(ctx, &cs, false, ++salt);
        }
}

/* sequence lengths: pairs from {1, 3, 17, 113, 512} (n_q != n_kv included) at d = 64
 * and d = 32; vector-width tails 1..2W+1 of n_q, n_kv and d; several query blocks
 * and key tiles with odd everything */
PTC_KERNEL_TEST(attention_backward_lengths)
{
    static const size_t full_lens[] = {1, 3, 17, 113, 512};
    static const size_t quick_lens[] = {1, 3, 17, 50};
    const size_t *lens = ctx->quick ? quick_lens : full_lens;
    const size_t n_lens = ctx->quick ? 4 : 5;
    uint64_t salt = 1000;
    for (size_t x = 0; x < n_lens; x++)
        for (size_t y = 0; y < n_lens; y++) {
            attn_case cs = attn_plain(lens[x], lens[y], (x + y) % 2 ? 32 : 64);
            cs.kv = (enum kv_mode)((x + 2 * y) % 3);
            cs.bias = (x + y) % 3 != 0;
            cs.misalign = (x * 3 + y) % 7;
            run_case(ctx, &cs, false, ++salt);
        }
    const size_t w = ctx->ops->vector_floats;
    for (size_t n = 1; n <= 2 * w + 1; n++) {
        attn_case cs = attn_plain(n, ctx->quick ? 9 : 37, n);
        cs.kv = (enum kv_mode)(n % 3);
        cs.bias = true;
        run_case(ctx, &cs, false, ++salt);
        cs = attn_plain(2 * n + 1, n, ctx->quick ? 5 : 24);
        cs.mask = n % 2 ? MASK_RANDOM : MASK_NONE;
        run_case(ctx, &cs, false, ++salt);
    }
    if (!ctx->quick)
        for (size_t i = 0; i < 3; i++) {
            attn_case cs = attn_plain(97 + 64 * i, 301 - 90 * i, 72 + 8 * i);
            cs.kv = KV_SHUFFLED;
            cs.bias = true;
            cs.mask = MASK_RANDOM;
            run_case(ctx, &cs, i == 1, ++salt);
        }
}

/* masks: random -inf keys, a masked run of whole tiles, every key masked, no keys;
 * kept-key lists of 1, 2 and a few keys; dead query rows (lse = -inf) */
PTC_KERNEL_TEST(attention_backward_masks)
{
    static const size_t full_shapes[][3] = {{17, 113, 64}, {113, 512, 40}, {5, 200, 3}, {64, 64, 80}};
    static const size_t quick_shapes[][3] = {{5, 60, 7}, {17, 113, 32}};
    const size_t (*shapes)[3] = ctx->quick ? quick_shapes : full_shapes;
    const size_t n_shapes = ctx->quick ? 2 : 4;
    uint64_t salt = 2000;
    for (size_t s = 0; s < n_shapes; s++)
        for (int m = MASK_RANDOM; m <= MASK_ALL; m++)
            for (int kv = KV_DIRECT; kv <= KV_SHUFFLED; kv += 2) {
                attn_case cs = attn_plain(shapes[s][0], shapes[s][1], shapes[s][2]);
                cs.mask = (enum mask_mode)m;
                cs.kv = (enum kv_mode)kv;
                run_case(ctx, &cs, m == MASK_RANDOM, ++salt);
            }
    static const size_t few[] = {1, 2, 5};
    for (size_t f = 0; f < 3; f++) { /* short kept-key lists */
        attn_case cs = attn_plain(ctx->quick ? 9 : 40, few[f], 64);
        cs.kv = KV_SHUFFLED;
        cs.bias = true;
        run_case(ctx, &cs, f == 2, ++salt);
    }
    for (size_t nq = 1; nq <= 17; nq += 16) { /* no keys at all */
        attn_case cs = attn_plain(nq, 0, 40);
        run_case(ctx, &cs, false, ++salt);
        cs.kv = KV_SORTED;
        cs.bias = true;
        run_case(ctx, &cs, false, ++salt);
    }
    attn_case cs = attn_plain(7, 20, 16); /* every row dead */
    cs.kv = KV_SORTED;
    attn_case one = cs;
    one.n_q = 1;
    run_case(ctx, &one, false, ++salt);
    cs.bias = true;
    run_case(ctx, &cs, true, ++salt);
}

/* raw scores ~80..100 before the lse subtraction: p must neither overflow nor lose
 * its scale */
PTC_KERNEL_TEST(attention_backward_near_overflow)
{
    attn_case cases[4];
    const size_t n = attn_overflow_cases(ctx->quick, cases);
    uint64_t salt = 3000;
    for (size_t s = 0; s < n; s++)
        run_case(ctx, &cases[s], false, ++salt);
}

/* leading dimensions larger than d (NaN padding must not leak or be written) and
 * misaligned pointers; the last case per d has training's leading dimension, 768
 * floats (3 KiB), where the vector tables stage the row operands dense
 * (ptc_attn_bwd_stage, kernels/attention_driver.h): with masked keys and dead rows,
 * so the staged dk, dv, dq must reach exactly the rows they belong to */
PTC_KERNEL_TEST(attention_backward_strides)
{
    static const size_t full_dims[] = {1, 16, 33, 64, 129};
    static const size_t quick_dims[] = {3, 16};
    const size_t *dims = ctx->quick ? quick_dims : full_dims;
    const size_t n_dims = ctx->quick ? 2 : 5;
    static const size_t small_pads[] = {1, 5, 9};
    const size_t training_ld = 768;
    uint64_t salt = 4000;
    for (size_t di = 0; di < n_dims; di++)
        for (size_t s = 0; s <= 3; s++) {
            const bool wide = s == 3;
            const size_t pad = wide ? training_ld - dims[di] : small_pads[s];
            attn_case cs = attn_stride_case(ctx->quick, dims[di], pad, di);
            cs.mask = pad == 5 || wide ? MASK_RANDOM : MASK_NONE;
            run_case(ctx, &cs, pad == 9 || wide, ++salt);
        }
    /* past 512 keys at that stride (tiles listed once, rows copied and staged dense
     * for any length), shuffled and masked keys, dead query rows */
    attn_case cs = attn_plain(ctx->quick ? 9 : 40, ctx->quick ? 700 : 1100, ctx->quick ? 16 : 64);
    cs.pad = training_ld - cs.d;
    cs.kv = KV_SHUFFLED;
    cs.bias = true;
    cs.mask = MASK_RANDOM;
    run_case(ctx, &cs, true, ++salt);
    /* more keys than the kernels list at once (PTC_ATTN_LIST_MAX_KEYS = 65536 in
     * kernels/attention_common.h): tiles built per query block, rows in place */
    cs = attn_plain(3, ((size_t)1 << 16) + 1, 2);
    cs.pad = 3;
    cs.bias = true;
    cs.mask = MASK_RANDOM;
    run_case(ctx, &cs, false, ++salt);
}

/* L = sum_i dO_i . o_i from the table's own forward, in double */
static double loss(const ptc_ops *ops, const bwd_inputs *in, float *o)
{
    const attn_data *a = &in->a;
    ptc_attention_args args = attn_make_args(a, o, NULL);
    ops->attention(&args);
    double l = 0.0;
    for (size_t i = 0; i < a->cs.n_q; i++)
        for (size_t c = 0; c < a->cs.d; c++)
            l += (double)in->dout[i * a->ldo + c] * (double)o[i * a->ldo + c];
    return l;
}

/* central difference of the loss in x[0] (an element of q, k or v) vs `grad` */
static void check_fd(ptc_test_ctx *ctx, const bwd_inputs *in, float *x, float grad, float *o,
                     const char *what)
{
    const float h = 2e-3f, x0 = *x;
    *x = x0 + h;
    const double up = loss(ctx->ops, in, o);
    *x = x0 - h;
    const double down = loss(ctx->ops, in, o);
    *x = x0;
    const double fd = (up - down) / (2.0 * (double)h);
    ptc_check(ctx, fabs(fd - grad) <= 1e-3 + 2e-2 * fabs(grad),
              "attention_backward %s = %.7g, finite difference of attention %.7g", what, grad, fd);
}

/* the gradient is the derivative of the forward: a few coordinates of q, k, v each */
PTC_KERNEL_TEST(attention_backward_finite_differences)
{
    static const size_t shapes[][3] = {{1, 1, 3}, {5, 17, 16}, {17, 40, 33}, {33, 9, 64}};
    uint64_t salt = 5000;
    for (size_t s = 0; s < (ctx->quick ? 2u : 4u); s++) {
        attn_case cs = attn_plain(shapes[s][0], shapes[s][1], shapes[s][2]);
        cs.kv = (enum kv_mode)(s % 3);
        cs.bias = true;
        cs.mask = s == 2 ? MASK_RANDOM : MASK_NONE;
        bwd_inputs in;
        make_inputs(ctx, &in, &cs, false, ctx->seed * 6151u + ++salt);
        attn_data *a = &in.a;
        const size_t nq = cs.n_q, d = cs.d;
        float *dq = ptc_test_alloc(nq * a->ldq + 1, 0);
        float *dk = ptc_test_alloc(a->n_rows * a->ldk + 1, 1);
        float *dv = ptc_test_alloc(a->n_rows * a->ldv + 1, 2);
        float *o = ptc_test_alloc(nq * a->ldo + 1, 3);
        ptc_attention_bwd_args args = make_bwd_args(&in, dq, dk, dv);
        ctx->ops->attention_backward(&args);
        ptc_rng rng = ptc_rng_seeded(salt);
        char what[320], base[200];
        attn_describe(&cs, base, sizeof base);
        for (int t = 0; t < 6; t++) {
            const size_t i = ptc_rng_next(&rng) % nq, c = ptc_rng_next(&rng) % d;
            const size_t j = ptc_rng_next(&rng) % cs.n_kv;
            const size_t r = attn_key_row(a, j);
            snprintf(what, sizeof what, "dq[%zu][%zu] [%s]", i, c, base);
            check_fd(ctx, &in, &a->q[i * a->ldq + c], dq[i * a->ldq + c], o, what);
            snprintf(what, sizeof what, "dk[%zu][%zu] [%s]", r, c, base);
            check_fd(ctx, &in, &a->k[r * a->ldk + c], dk[r * a->ldk + c], o, what);
            snprintf(what, sizeof what, "dv[%zu][%zu] [%s]", r, c, base);
            check_fd(ctx, &in, &a->v[r * a->ldv + c], dv[r * a->ldv + c], o, what);
        }
        ptc_test_free(ctx, dq); ptc_test_free(ctx, dk); ptc_test_free(ctx, dv);
        ptc_test_free(ctx, o);
        free_inputs(ctx, &in);
    }
}
