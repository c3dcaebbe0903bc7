/*
 * tests/test_attention.c — the attention family: `attention` and `attention_importance`.
 *
 * Every case runs on the table under test and is compared:
 *   - for the ref table: against an independent double-precision oracle written
 *     here (the full score matrix in double, softmax per row, o = P V, lse, column
 *     sums of w_i * P), which tests the specification itself;
 *   - for every other table: against the ref table (NMSE for o, element-wise for
 *     lse and importance).
 * Plus properties on every table: attention and attention_importance agree on o and
 * lse; with uniform weights and at least one live key, sum_j importance[j] ~ 1;
 * a fully masked key set (or n_kv = 0) gives o = 0 exactly and lse = -INFINITY.
 *
 * Inputs (tests/attention_data.h) are built so that a kernel that reads what it
 * must not is caught (NaN outside what is kept, guard zones, misalignment).
 *
 * Tolerances (why):
 *   o:   NMSE <= 1e-10 (5e-9 for the near-overflow cases). Measured at seed 20231:
 *        ref vs oracle <= 3.6e-13, avx2 vs ref <= 2.6e-13 (float rounding, a 1-ulp
 *        exp, another summation order); near overflow the scores are ~85, their
 *        absolute rounding error (~1e-5) becomes a relative error of p: ref vs
 *        oracle <= 1.5e-10, avx2 vs ref <= 2.5e-11. Margins ~300x and ~30x. Bugs
 *        give far more: skipping the rescale gives NMSE >= 1e-4, and perturbing one
 *        exp coefficient by 2e-4 relative already exceeds 1e-10.
 *   lse: |a-b| <= 2e-5 + 2e-6|b| (lse is up to ~90 near overflow: a few ulps).
 *   importance: |a-b| <= 1e-7 + 1e-4|b|: a sum of n_q terms in float in a different
 *        order (the ref adds row by row) and p carrying the score error above.
 */
#include "attention_data.h"
#include "ptc_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The oracle: the full score matrix in double, then softmax per row. Writes o
 * (n_q x d, packed), lse (n_q) and importance (n_kv). */
static void oracle(const attn_data *a, float *o, float *lse, float *importance)
{
    const attn_case *cs = &a->cs;
    const size_t nq = cs->n_q, nkv = cs->n_kv, d = cs->d;
    double *s = malloc((nq * nkv + 1) * sizeof *s);
    double *imp = calloc(nkv + 1, sizeof *imp), *p = malloc((nkv + 1) * sizeof *p);
    double *acc = malloc((d + 1) * sizeof *acc);
    attn_scores_double(a, s);
    for (size_t i = 0; i < nq; i++) {
        const double row_lse = attn_softmax_row_double(a, s + i * nkv, p, acc);
        const double w = a->qw ? (double)a->qw[i] : 1.0 / (double)nq;
        for (size_t j = 0; j < nkv; j++)
            imp[j] += w * p[j];
        for (size_t c = 0; c < d; c++)
            o[i * d + c] = (float)acc[c];
        lse[i] = (float)row_lse;
    }
    for (size_t j = 0; j < nkv; j++)
        importance[j] = (float)imp[j];
    free(s);
    free(imp);
    free(p);
    free(acc);
}

static void run_case(ptc_test_ctx *ctx, const attn_case *cs, uint64_t salt)
{
    const ptc_ops *ops = ctx->ops;
    const bool is_ref = strcmp(ops->name, "ref") == 0;
    attn_data a;
    attn_make_data(&a, cs, ctx->seed * 7919u + salt);
    char what[256], buf[200];
    attn_describe(cs, buf, sizeof buf);
    const size_t nq = cs->n_q, nkv = cs->n_kv, d = cs->d;

    /* outputs under test: o from attention and from attention_importance */
    float *o1 = ptc_test_alloc(nq * a.ldo + 1, cs->misalign + 3);
    float *o2 = ptc_test_alloc(nq * a.ldo + 1, cs->misalign + 5);
    float *lse1 = ptc_test_alloc(nq + 1, 1), *lse2 = ptc_test_alloc(nq + 1, 2);
    float *imp = ptc_test_alloc(nkv + 1, 7);
    ptc_attention_args args = attn_make_args(&a, o1, lse1);
    ops->attention(&args);
    args.o = o2;
    args.lse = (salt & 1) ? NULL : lse2; /* importance must work without an lse output */
    ops->attention_importance(&args, a.qw, imp);
    const bool have_lse2 = args.lse != NULL;

    /* the expected values: ref table for ISA tables, the oracle for ref */
    float *want_o = malloc((nq * d + 1) * sizeof(float));
    float *want_lse = malloc((nq + 1) * sizeof(float));
    float *want_imp = malloc((nkv + 1) * sizeof(float));
    if (is_ref) {
        oracle(&a, want_o, want_lse, want_imp);
    } else {
        float *ro = malloc((nq * a.ldo + 1) * sizeof(float));
        ptc_attention_args ra = attn_make_args(&a, ro, want_lse);
        ctx->ref->attention_importance(&ra, a.qw, want_imp);
        attn_unpad(ro, a.ldo, nq, d, want_o);
        free(ro);
    }
    float *got1 = malloc((nq * d + 1) * sizeof(float)), *got2 = malloc((nq * d + 1) * sizeof(float));
    attn_unpad(o1, a.ldo, nq, d, got1);
    attn_unpad(o2, a.ldo, nq, d, got2);

    /* float sums over n_kv keys drift as a random walk, NMSE ~ n_kv eps^2 (eps^2 =
     * 3.6e-15): past 10k keys the bound grows with n_kv (x3 margin; heads of 65537
     * and 200001 keys: 6.6e-10, 2.0e-9), below it stays 1e-10 */
    const double drift = 1e-14 * (double)nkv;
    const double nmse_bound = cs->overflow ? 5e-9 : (drift > 1e-10 ? drift : 1e-10);
    const bool all_masked = cs->mask == MASK_ALL || nkv == 0;
    snprintf(what, sizeof what, "attention o vs %s [%s]", is_ref ? "oracle" : "ref", buf);
    if (all_masked)
        ptc_check_close(ctx, what, got1, want_o, nq * d, 0.0f, 0.0f);
    else
        ptc_check_nmse(ctx, what, got1, want_o, nq * d, nmse_bound);
    snprintf(what, sizeof what, "attention lse [%s]", buf);
    ptc_check_close(ctx, what, lse1, want_lse, nq, 2e-5f, 2e-6f);
    snprintf(what, sizeof what, "attention_importance o vs attention o [%s]", buf);
    ptc_check_close(ctx, what, got2, got1, nq * d, 1e-6f, 1e-5f);
    if (have_lse2) {
        snprintf(what, sizeof what, "attention_importance lse [%s]", buf);
        ptc_check_close(ctx, what, lse2, want_lse, nq, 2e-5f, 2e-6f);
    }
    snprintf(what, sizeof what, "importance [%s]", buf);
    ptc_check_close(ctx, what, imp, want_imp, nkv, 1e-7f, 1e-4f);
    if (all_masked) {
        for (size_t i = 0; i < nq; i++)
            ptc_check(ctx, lse1[i] == -INFINITY, "fully masked: lse[%zu] = %g [%s]", i, lse1[i], buf);
        for (size_t j = 0; j < nkv; j++)
            ptc_check(ctx, imp[j] == 0.0f, "fully masked: importance[%zu] = %g [%s]", j, imp[j], buf);
    } else if (!cs->weights && nq > 0) { /* property: columns of a row-stochastic mean */
        double total = 0.0;
        for (size_t j = 0; j < nkv; j++)
            total += imp[j];
        ptc_check(ctx, fabs(total - 1.0) <= 1e-4, "sum of importance %.9g != 1 [%s]", total, buf);
    }
    /* masked keys get exactly zero importance */
    if (a.bias && !all_masked)
        for (size_t j = 0; j < nkv; j++) {
            const size_t r = attn_key_row(&a, j);
            if (a.bias[r] == -INFINITY && imp[j] != 0.0f) {
                ptc_check(ctx, false, "masked key %zu has importance %g [%s]", j, imp[j], buf);
                break;
            }
        }

    free(want_o); free(want_lse); free(want_imp); free(got1); free(got2);
    ptc_test_free(ctx, o1); ptc_test_free(ctx, o2);
    ptc_test_free(ctx, lse1); ptc_test_free(ctx, lse2); ptc_test_free(ctx, imp);
    attn_free_data(ctx, &a);
}

/* head dims, including dims that are not multiples of any vector width, and dims
 * above the ISA kernels' per-chunk limits (192 / 256) */
PTC_KERNEL_TEST(attention_head_dims)
{
    static const size_t full_dims[] = {1, 2, 3, 5, 7, 16, 31, 40, 64, 72, 80, 96, 127, 128, 200, 257, 300};
    static const size_t quick_dims[] = {1, 3, 16, 40, 72, 257};
    static const size_t shapes[][2] = {{1, 1}, {3, 17}, {17, 3}, {17, 113}, {40, 50}};
    const size_t *dims = ctx->quick ? quick_dims : full_dims;
    const size_t n_dims = ctx->quick ? sizeof quick_dims / sizeof *dims : sizeof full_dims / sizeof *dims;
    uint64_t salt = 0;
    for (size_t di = 0; di < n_dims; di++)
        for (size_t s = 0; s < (ctx->quick ? 2u : 5u); s++) {
            attn_case cs = attn_plain(shapes[s][0], shapes[s][1], dims[di]);
            cs.kv = (enum kv_mode)(salt % 3);
            cs.bias = salt % 2 == 0;
            cs.weights = salt % 4 == 1;
            cs.misalign = salt % 5;
            run_case(ctx, &cs, ++salt);
        }
}

/* Key counts around 512 (BERT's length; the x86 kernels' former limit of importance
 * from pass 1's probabilities, which every ISA now saves up to ~82k keys or more),
 * with shuffled and masked keys, several query blocks, weights and without. */
PTC_KERNEL_TEST(attention_importance_key_counts)
{
    static const size_t counts[] = {511, 512, 513, 700};
    uint64_t salt = 5000;
    for (size_t c = 0; c < (ctx->quick ? 2u : 4u); c++) {
        attn_case cs = attn_plain(ctx->quick ? 40 : 70, counts[ctx->quick ? 2 * c + 1 : c], 64);
        cs.kv = (enum kv_mode)(c % 3);
        cs.bias = true;
        cs.mask = c % 2 ? MASK_RANDOM : MASK_NONE;
        cs.weights = c % 2 == 0;
        run_case(ctx, &cs, ++salt);
    }
}

/* sequence lengths: every pair from {1, 3, 17, 113, 512} (n_q != n_kv included),
 * at d = 64 and d = 16; vector-width tails 1..2W+1 of n_q and of d */
PTC_KERNEL_TEST(attention_lengths)
{
    static const size_t full_lens[] = {1, 3, 17, 113, 512};
    static const size_t quick_lens[] = {1, 3, 17, 50};
    const size_t *lens = ctx->quick ? quick_lens : full_lens;
    const size_t n_lens = ctx->quick ? 4 : 5;
    uint64_t salt = 1000;
    for (size_t a = 0; a < n_lens; a++)
        for (size_t b = 0; b < n_lens; b++) {
            attn_case cs = attn_plain(lens[a], lens[b], (a + b) % 2 ? 16 : 64);
            cs.kv = (enum kv_mode)((a + 2 * b) % 3);
            cs.bias = (a + b) % 3 != 0;
            cs.weights = b % 2 == 1;
            cs.misalign = (a * 3 + b) % 7;
            run_case(ctx, &cs, ++salt);
        }
    const size_t w = ctx->ops->vector_floats;
    for (size_t n = 1; n <= 2 * w + 1; n++) {
        attn_case cs = attn_plain(n, ctx->quick ? 9 : 37, n);
        cs.kv = (enum kv_mode)(n % 3);
        cs.bias = true;
        run_case(ctx, &cs, ++salt);
        cs = attn_plain(2 * n + 1, n, ctx->quick ? 5 : 24);
        cs.mask = n % 2 ? MASK_RANDOM : MASK_NONE;
        run_case(ctx, &cs, ++salt);
    }
    if (!ctx->quick) /* several query blocks and key tiles, odd everything */
        for (size_t i = 0; i < 3; i++) {
            attn_case cs = attn_plain(97 + 64 * i, 301 - 90 * i, 72 + 8 * i);
            cs.kv = KV_SHUFFLED;
            cs.bias = true;
            cs.mask = MASK_RANDOM;
            run_case(ctx, &cs, ++salt);
        }
}

/* masks: random -inf keys, a masked run of whole tiles in the middle, every key
 * masked (o = 0, lse = -inf, importance = 0), n_kv = 0 */
PTC_KERNEL_TEST(attention_masks)
{
    static const size_t full_shapes[][3] = {{17, 113, 64}, {113, 512, 40}, {5, 200, 3}, {64, 64, 80}};
    static const size_t quick_shapes[][3] = {{5, 60, 7}, {17, 113, 16}};
    const size_t (*shapes)[3] = ctx->quick ? quick_shapes : full_shapes;
    const size_t n_shapes = ctx->quick ? 2 : 4;
    uint64_t salt = 2000;
    for (size_t s = 0; s < n_shapes; s++)
        for (int m = MASK_RANDOM; m <= MASK_ALL; m++)
            for (int kv = KV_DIRECT; kv <= KV_SHUFFLED; kv += 2) {
                attn_case cs = attn_plain(shapes[s][0], shapes[s][1], shapes[s][2]);
                cs.mask = (enum mask_mode)m;
                cs.kv = (enum kv_mode)kv;
                cs.weights = m == MASK_RANDOM;
                run_case(ctx, &cs, ++salt);
            }
    for (size_t nq = 1; nq <= 17; nq += 16) { /* no keys at all */
        attn_case cs = attn_plain(nq, 0, 40);
        run_case(ctx, &cs, ++salt);
        cs.kv = KV_SORTED;
        cs.bias = true;
        run_case(ctx, &cs, ++salt);
    }
}

/* raw scores ~80..100 before the max subtraction: exp must never overflow */
PTC_KERNEL_TEST(attention_near_overflow)
{
    attn_case cases[4];
    const size_t n = attn_overflow_cases(ctx->quick, cases);
    uint64_t salt = 3000;
    for (size_t s = 0; s < n; s++)
        run_case(ctx, &cases[s], ++salt);
}

/* leading dimensions larger than d (NaN padding must not leak) and misaligned pointers;
 * the last stride is BERT's fused QKV row (2304 floats, 9 KiB), where the x86 kernels
 * copy the kept K and V rows dense (ptc_attn_copy_listed_rows), the others read in
 * place; then that stride past 512 keys, and a head longer than the forwards list */
PTC_KERNEL_TEST(attention_strides)
{
    static const size_t full_dims[] = {1, 16, 40, 64, 129};
    static const size_t quick_dims[] = {3, 16};
    const size_t *dims = ctx->quick ? quick_dims : full_dims;
    const size_t n_dims = ctx->quick ? 2 : 5;
    static const size_t small_pads[] = {1, 5, 9};
    const size_t wide_ld = 2304;
    uint64_t salt = 4000;
    for (size_t di = 0; di < n_dims; di++)
        for (size_t s = 0; s <= 3; s++) {
            const bool wide = s == 3; /* the last case: ld = wide_ld */
            const size_t pad = wide ? wide_ld - dims[di] : small_pads[s];
            attn_case cs = attn_stride_case(ctx->quick, dims[di], pad, di);
            cs.weights = pad == 5 || wide;
            run_case(ctx, &cs, ++salt);
        }
    /* past 512 keys at that stride: the x86 forwards list the head's tiles once (in
     * scratch) and copy their rows dense for any length, importance then computes
     * the scores again over the listed tiles; masked and shuffled keys */
    attn_case cs = attn_plain(ctx->quick ? 9 : 40, ctx->quick ? 700 : 1100, ctx->quick ? 16 : 64);
    cs.pad = wide_ld - cs.d;
    cs.kv = KV_SHUFFLED;
    cs.bias = true;
    cs.mask = MASK_RANDOM;
    cs.weights = true;
    run_case(ctx, &cs, ++salt);
    /* more keys than the forwards list at once (PTC_ATTN_LIST_MAX_KEYS = 65536 in
     * kernels/attention_common.h): tiles built per query block; then more than
     * importance saves probabilities for (PTC_ATTN_SAVED_MAX_FLOATS / (QB + W + 3):
     * ~155k keys on AVX2, ~82k on AVX-512, ~180k on NEON): pass 2 computes the
     * scores again */
    static const size_t long_heads[] = {((size_t)1 << 16) + 1, 200001};
    for (size_t h = 0; h < 2; h++) {
        cs = attn_plain(3, long_heads[h], 2);
        cs.pad = 3;
        cs.bias = true;
        cs.mask = MASK_RANDOM;
        run_case(ctx, &cs, ++salt);
    }
}
