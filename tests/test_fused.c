/*
 * tests/test_fused.c — the fused epilogues (ops.h): linear and residual_layernorm.
 *
 * Each table's fused op must be bit-identical to the same table's unfused
 * composition (for linear: bias copied into every row, sgemm N,T with beta 1, then
 * gelu_fwd row by row; for residual_layernorm: x + res, then layernorm_fwd), whose
 * parts test_gemm.c and the row-op tests check against ref with their tolerances;
 * so the fused ops inherit those tolerances unchanged. Shapes: rows and columns
 * over the vector-width and micro-tile tails 1..2W+1 and past them, in = 0 and
 * k past KC, bias and none, GELU and none, padded leading dimensions (gaps hold
 * NaN: a read would show), misaligned pointers, guard zones (ptc_test_free);
 * linear bit-identical over 1 and 2 threads; residual_layernorm with and without
 * the sum output, in place (y = x), and past the 4096-column stack row.
 */
#include "ptc_test.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* (rows, cols) with leading dimension cols + pad, gaps NaN, values in [-2, 2] */
static float *matrix(ptc_test_ctx *ctx, ptc_rng *rng, size_t rows, size_t cols, size_t pad,
                     size_t misalign)
{
    (void)ctx;
    const size_t ld = cols + pad;
    float *m = ptc_test_alloc(rows * ld + 1, misalign);
    for (size_t i = 0; i < rows * ld + 1; i++)
        m[i] = NAN;
    for (size_t r = 0; r < rows; r++)
        ptc_rng_fill(rng, m + r * ld, cols, -2.0f, 2.0f);
    return m;
}

static bool same_bits_2d(const float *a, const float *b, size_t rows, size_t cols, size_t ld)
{
    for (size_t r = 0; r < rows; r++)
        if (memcmp(a + r * ld, b + r * ld, cols * sizeof(float)) != 0)
            return false;
    return true;
}

/* one linear case on ctx->ops against the table's unfused composition */
static void linear_case(ptc_test_ctx *ctx, size_t rows, size_t in, size_t out, bool with_bias,
                        ptc_act act, size_t pad, uint64_t seed)
{
    const ptc_ops *ops = ctx->ops;
    ptc_rng rng = ptc_rng_seeded(seed);
    const size_t ldx = in + pad, ldy = out + pad;
    float *x = matrix(ctx, &rng, rows, in, pad, seed % 5);
    float *w = matrix(ctx, &rng, out, in, 0, seed % 3);
    float *bias = with_bias ? matrix(ctx, &rng, 1, out, 0, 1) : NULL;
    float *got = matrix(ctx, &rng, rows, out, pad, 2), *want = matrix(ctx, &rng, rows, out, pad, 3);
    for (size_t r = 0; r < rows; r++) { /* y is overwritten, never read: start from NaN */
        for (size_t c = 0; c < out; c++)
            got[r * ldy + c] = NAN;
        if (bias)
            memcpy(want + r * ldy, bias, out * sizeof(float));
    }
    ops->sgemm(PTC_NO_TRANS, PTC_TRANS, rows, out, in, 1.0f, x, ldx, w, in, bias ? 1.0f : 0.0f,
               want, ldy);
    if (act == PTC_ACT_GELU)
        for (size_t r = 0; r < rows; r++)
            ops->gelu_fwd(out, want + r * ldy, want + r * ldy);
    ops->linear(rows, in, out, x, ldx, w, bias, act, got, ldy);
    ptc_check(ctx, same_bits_2d(got, want, rows, out, ldy),
              "linear %zux%zu->%zu bias %d act %d pad %zu: differs from bias + sgemm + gelu",
              rows, in, out, with_bias, (int)act, pad);
    for (size_t r = 0; r + 1 < rows && pad; r++)
        ptc_check(ctx, isnan(got[r * ldy + out]), "linear wrote the gap past a row");
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, w);
    if (bias)
        ptc_test_free(ctx, bias);
    ptc_test_free(ctx, got);
    ptc_test_free(ctx, want);
}

PTC_KERNEL_TEST(fused_linear)
{
    const size_t wv = ctx->ops->vector_floats;
    static const size_t rows_list[] = {1, 5, 15, 29, 64};
    static const size_t in_list[] = {0, 1, 7, 64, 300};
    uint64_t seed = ctx->seed + 7000;
    for (size_t ri = 0; ri < (ctx->quick ? 3u : 5u); ri++)
        for (size_t ii = 0; ii < 5; ii++)
            for (size_t out = 1; out <= 2 * wv + 1 + (ctx->quick ? 0 : 40); out += ctx->quick ? 3 : 1) {
                seed++;
                linear_case(ctx, rows_list[ri], in_list[ii], out, seed % 2 == 0,
                            seed % 3 == 0 ? PTC_ACT_NONE : PTC_ACT_GELU, seed % 4 == 1 ? 3 : 0, seed);
            }
    /* BERT-like widths, k past KC (several k blocks) */
    linear_case(ctx, 33, 768, 100, true, PTC_ACT_GELU, 1, seed + 1);
    if (!ctx->quick)
        linear_case(ctx, 70, 1100, 3072 / 8 + 5, true, PTC_ACT_NONE, 0, seed + 2);
}

/* linear: 1 and 2 threads give the same bits */
PTC_KERNEL_TEST(fused_linear_threads)
{
    const size_t rows = 97, in = 300, out = 211;
    ptc_rng rng = ptc_rng_seeded(ctx->seed + 7500);
    float *x = matrix(ctx, &rng, rows, in, 0, 0), *w = matrix(ctx, &rng, out, in, 0, 1);
    float *bias = matrix(ctx, &rng, 1, out, 0, 2);
    float *y1 = matrix(ctx, &rng, rows, out, 0, 0), *y2 = matrix(ctx, &rng, rows, out, 0, 1);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    ctx->ops->linear(rows, in, out, x, in, w, bias, PTC_ACT_GELU, y1, out);
    omp_set_num_threads(2);
    ctx->ops->linear(rows, in, out, x, in, w, bias, PTC_ACT_GELU, y2, out);
    omp_set_num_threads(saved);
    ptc_check(ctx, memcmp(y1, y2, rows * out * sizeof(float)) == 0,
              "linear %zux%zu->%zu: 1 and 2 threads differ", rows, in, out);
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, w);
    ptc_test_free(ctx, bias);
    ptc_test_free(ctx, y1);
    ptc_test_free(ctx, y2);
}

/* one residual_layernorm case against the table's add + layernorm_fwd */
static void residual_ln_case(ptc_test_ctx *ctx, size_t rows, size_t cols, bool keep_sum,
                             bool in_place, size_t pad, uint64_t seed)
{
    const ptc_ops *ops = ctx->ops;
    ptc_rng rng = ptc_rng_seeded(seed);
    const size_t ld = cols + pad;
    float *x = matrix(ctx, &rng, rows, cols, pad, seed % 4);
    float *res = matrix(ctx, &rng, rows, cols, pad, 1 + seed % 3);
    float *gamma = matrix(ctx, &rng, 1, cols, 0, 0), *beta = matrix(ctx, &rng, 1, cols, 0, 1);
    float *want_s = matrix(ctx, &rng, rows, cols, pad, 0), *want_y = matrix(ctx, &rng, rows, cols, pad, 2);
    float *got_s = keep_sum ? matrix(ctx, &rng, rows, cols, pad, 3) : NULL;
    float *got_y = in_place ? x : matrix(ctx, &rng, rows, cols, pad, 1);
    float *mean = ptc_test_alloc(rows, 0), *rstd = ptc_test_alloc(rows, 1);
    float *want_mean = ptc_test_alloc(rows, 0), *want_rstd = ptc_test_alloc(rows, 1);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            want_s[r * ld + c] = x[r * ld + c] + res[r * ld + c];
    ops->layernorm_fwd(rows, cols, want_s, ld, gamma, beta, 1e-12f, want_y, ld, want_mean,
                       want_rstd);
    ops->residual_layernorm(rows, cols, x, ld, res, ld, gamma, beta, 1e-12f, got_y, ld, got_s, ld,
                            mean, rstd);
    ptc_check(ctx, same_bits_2d(got_y, want_y, rows, cols, ld),
              "residual_layernorm %zux%zu sum %d in-place %d: y differs from add + layernorm_fwd",
              rows, cols, keep_sum, in_place);
    ptc_check(ctx, !keep_sum || same_bits_2d(got_s, want_s, rows, cols, ld),
              "residual_layernorm %zux%zu: sum differs from x + res", rows, cols);
    ptc_check(ctx, memcmp(mean, want_mean, rows * sizeof(float)) == 0 &&
                   memcmp(rstd, want_rstd, rows * sizeof(float)) == 0,
              "residual_layernorm %zux%zu: mean/rstd differ", rows, cols);
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, res);
    ptc_test_free(ctx, gamma);
    ptc_test_free(ctx, beta);
    ptc_test_free(ctx, want_s);
    ptc_test_free(ctx, want_y);
    if (got_s)
        ptc_test_free(ctx, got_s);
    if (!in_place)
        ptc_test_free(ctx, got_y);
    ptc_test_free(ctx, mean);
    ptc_test_free(ctx, rstd);
    ptc_test_free(ctx, want_mean);
    ptc_test_free(ctx, want_rstd);
}

PTC_KERNEL_TEST(fused_residual_layernorm)
{
    const size_t wv = ctx->ops->vector_floats;
    uint64_t seed = ctx->seed + 8000;
    for (size_t cols = 1; cols <= 2 * wv + 1; cols++, seed++)
        residual_ln_case(ctx, 3, cols, seed % 2 == 0, seed % 3 == 0, seed % 4 == 1 ? 2 : 0, seed);
    residual_ln_case(ctx, 9, 768, true, false, 1, ++seed);
    residual_ln_case(ctx, 9, 768, false, true, 0, ++seed);
    residual_ln_case(ctx, 2, 5000, false, false, 3, ++seed); /* past the stack row */
}
