/*
 * tests/test_token_merge.c — ToMe's bipartite matching (variants/token_merge.c)
 * bit for bit against the one-pair-at-a-time loop it replaced, kept here as the
 * oracle: cosine similarity of every A row (even, [CLS] excluded) with every B row
 * (odd) summed in double over the columns in order, the best B row per A row
 * (ties: the lower row), the r most similar A rows merged (ties: the lower row).
 *
 *   token_merge_matching_bits  random rows (hidden 129, 64 and 768; lengths 300,
 *                              257, 18 and 3) with repeated rows for exact ties:
 *                              the destinations of ptc_token_merge equal the
 *                              oracle's for every row of every sample, and the
 *                              merged rows are the size-weighted averages.
 */
#include "ptc_test.h"
#include "ptc/variants.h"
#include "../variants/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The oracle: the matching as one loop per (A, B) pair; dest as ptc_token_merge's. */
static size_t oracle_match(size_t len, size_t hidden, size_t r_want, const float *x, int32_t *dest)
{
    double *norm = malloc(len * sizeof *norm), *sim = malloc(len * sizeof *sim);
    int32_t *best = calloc(len, sizeof *best);
    size_t *order = malloc(len * sizeof *order), n_order = 0;
    const size_t n_a = (len + 1) / 2, n_b = len / 2;
    const size_t r = n_b == 0 ? 0 : (r_want < n_a - 1 ? r_want : n_a - 1);
    for (size_t i = 0; i < len; i++) {
        double s = 0.0;
        for (size_t c = 0; c < hidden; c++)
            s += (double)x[i * hidden + c] * (double)x[i * hidden + c];
        norm[i] = sqrt(s) + 1e-12;
        dest[i] = 0;
    }
    for (size_t a = 2; a < len && r > 0; a += 2) {
        double top = -INFINITY;
        for (size_t b = 1; b < len; b += 2) {
            double s = 0.0;
            for (size_t c = 0; c < hidden; c++)
                s += (double)x[a * hidden + c] * (double)x[b * hidden + c];
            s /= norm[a] * norm[b];
            if (s > top) {
                top = s;
                best[a] = (int32_t)b;
            }
        }
        sim[a] = (float)top; /* the order compares the similarity as a float */
        size_t j = n_order++;
        for (; j > 0 && (sim[order[j - 1]] < sim[a] ||
                         (sim[order[j - 1]] == sim[a] && order[j - 1] > a)); j--)
            order[j] = order[j - 1];
        order[j] = a;
    }
    for (size_t i = 0; i < r; i++)
        dest[order[i]] = -1;
    size_t n_out = 0;
    for (size_t i = 0; i < len; i++)
        if (dest[i] == 0)
            dest[i] = (int32_t)n_out++;
    for (size_t i = 0; i < len; i++)
        if (dest[i] == -1)
            dest[i] = dest[best[i]];
    free(norm);
    free(sim);
    free(best);
    free(order);
    return n_out;
}

static void matching_case(ptc_test_ctx *ctx, size_t hidden, const int32_t *lengths, size_t batch,
                          size_t n_rows, size_t r, uint64_t seed)
{
    ptc_variant_config cfg;
    ptc_variant_config_default(&cfg, PTC_VARIANT_TOKEN_TOME);
    cfg.hidden = hidden;
    cfg.token.merge_r = r;
    const ptc_tokens tok = {batch, n_rows, 0, lengths, PTC_PAD_LENGTH_AWARE};
    const size_t n = batch * n_rows;
    float *x = malloc(n * hidden * sizeof *x), *y = malloc(n * hidden * sizeof *y);
    float *size = malloc(n * sizeof *size), *size_out = malloc(n * sizeof *size_out);
    float *weight = malloc(n * sizeof *weight);
    int32_t *dest = malloc(n * sizeof *dest), *want = malloc(n_rows * sizeof *want);
    int32_t count[8];
    void *scratch = malloc(ptc_token_merge_scratch_bytes(n_rows, hidden));
    ptc_rng rng = ptc_rng_seeded(seed);
    ptc_rng_fill(&rng, x, n * hidden, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++)
        size[i] = 1.0f + (float)(i % 3);
    for (size_t b = 0; b < batch; b++) /* exact ties: some rows repeat an earlier one */
        for (size_t i = 5; i < (size_t)lengths[b]; i += 7)
            memcpy(x + (b * n_rows + i) * hidden, x + (b * n_rows + i - 4) * hidden,
                   hidden * sizeof *x);
    double flops = 0;
    const size_t n_out = ptc_token_merge(&cfg, &tok, hidden, x, size, dest, weight, count, y,
                                         size_out, scratch, &flops);
    for (size_t b = 0; b < batch; b++) {
        const size_t len = (size_t)lengths[b];
        const size_t want_out = oracle_match(len, hidden, r, x + b * n_rows * hidden, want);
        ptc_check(ctx, (size_t)count[b] == want_out &&
                       memcmp(dest + b * n_rows, want, len * sizeof *want) == 0,
                  "hidden %zu sample %zu (len %zu): destinations differ from the one-pair loop",
                  hidden, b, len);
        /* merged rows: the size-weighted average of their sources */
        for (size_t j = 0; j < (size_t)count[b] && j < n_out; j += 17) {
            double wsum = 0, v = 0;
            for (size_t i = 0; i < len; i++)
                if (dest[b * n_rows + i] == (int32_t)j) {
                    wsum += size[b * n_rows + i];
                    v += size[b * n_rows + i] * x[(b * n_rows + i) * hidden];
                }
            ptc_check(ctx, fabs(y[(b * n_out + j) * hidden] - v / wsum) <= 1e-5,
                      "sample %zu row %zu: merged value %g, weighted average %g", b, j,
                      (double)y[(b * n_out + j) * hidden], v / wsum);
        }
    }
    free(x);
    free(y);
    free(size);
    free(size_out);
    free(weight);
    free(dest);
    free(want);
    free(scratch);
}

PTC_TEST(token_merge_matching_bits)
{
    const int32_t l1[4] = {300, 257, 18, 3};
    matching_case(ctx, 129, l1, 4, 300, 44, ctx->seed + 1);
    matching_case(ctx, 64, l1, 4, 300, 8, ctx->seed + 2);
    const int32_t l2[2] = {ctx->quick ? 64 : 512, 37};
    matching_case(ctx, 768, l2, 2, l2[0], 8, ctx->seed + 3);
}
