/*
 * tests/test_tokenops.c — gather_rows, col_sum, col_argmax, segment_sum_rows.
 *
 * The spec fixes the order of every float operation (sums in row order), so
 * every non-ref table must equal ref bit for bit. Each table is also checked
 * against an oracle written here: exact for gather and argmax (an independent
 * formulation: first index of the maximum over the non-NaN entries, 0 when
 * there is none), and in double with the bound of a float sum of k terms,
 * (k + 1) eps sum|terms|, for col_sum and segment_sum_rows.
 *
 * Shapes: column counts 1..2W+1 (W = the table's vector_floats, at least 8),
 * primes and 768; several rows with ld > cols; misaligned pointers; guard zones;
 * output padding that must survive; empty inputs (no rows, no columns, no index).
 */
#include "ptc_test.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double EPS = FLT_EPSILON;
static const float SENTINEL = -7777.25f;

static bool is_ref(const ptc_test_ctx *ctx)
{
    return ctx->ops == ctx->ref;
}

/* Column counts to test: 1..2W+1, primes, BERT width. Returns the count. */
static size_t test_lengths(const ptc_test_ctx *ctx, size_t *len)
{
    size_t n = 0, w = ctx->ops->vector_floats < 8 ? 8 : ctx->ops->vector_floats;
    for (size_t i = 1; i <= 2 * w + 1; i++)
        len[n++] = i;
    static const size_t quick_extra[] = {37, 131};
    static const size_t full_extra[] = {37, 61, 97, 131, 257, 768};
    const size_t *extra = ctx->quick ? quick_extra : full_extra;
    const size_t n_extra = ctx->quick ? sizeof quick_extra / sizeof *quick_extra
                                      : sizeof full_extra / sizeof *full_extra;
    for (size_t i = 0; i < n_extra; i++)
        len[n++] = extra[i];
    return n;
}

static size_t mat_size(size_t rows, size_t cols, size_t ld)
{
    return rows ? (rows - 1) * ld + cols : 0;
}

/* a (rows, cols) matrix with leading dimension ld; guard zone right after the
 * last element; every element NaN */
static float *mat_alloc(size_t rows, size_t cols, size_t ld, size_t misalign)
{
    return ptc_test_alloc(mat_size(rows, cols, ld), misalign);
}

static void fill_sentinel(float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = SENTINEL;
}

/* bit-for-bit equality of two (rows, cols) float matrices */
static bool check_bits(ptc_test_ctx *ctx, const char *what, const float *got, size_t ldg,
                       const float *want, size_t ldw, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            if (memcmp(got + r * ldg + c, want + r * ldw + c, sizeof(float)) != 0)
                return ptc_check(ctx, false, "%s: at (%zu, %zu) got %.9g want %.9g (bitwise)",
                                 what, r, c, got[r * ldg + c], want[r * ldw + c]);
    return true;
}

/* the padding columns cols..ld-1 of an output must still hold the sentinel */
static bool check_padding(ptc_test_ctx *ctx, const char *what, const float *y, size_t rows,
                          size_t cols, size_t ld)
{
    for (size_t r = 0; r + 1 < rows; r++)
        for (size_t c = cols; c < ld; c++)
            if (y[r * ld + c] != SENTINEL)
                return ptc_check(ctx, false, "%s: wrote padding at (%zu, %zu)", what, r, c);
    return true;
}

/* |got[i] - want[i]| <= rtol * scale[i] */
static bool check_bound(ptc_test_ctx *ctx, const char *what, const float *got, size_t ldg,
                        const double *want, const double *scale, size_t rows, size_t cols,
                        double rtol)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            const double g = got[r * ldg + c], w = want[r * cols + c];
            const double tol = rtol * scale[r * cols + c];
            if (!(fabs(g - w) <= tol))
                return ptc_check(ctx, false, "%s: at (%zu, %zu) got %.9g want %.9g (tol %.3g)",
                                 what, r, c, g, w, tol);
        }
    return true;
}

/* ---- gather_rows ---------------------------------------------------------------- */

PTC_KERNEL_TEST(tokenops_gather_rows)
{
    size_t len[64];
    const size_t n_len = test_lengths(ctx, len);
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ 0x6a7);
    for (size_t i = 0; i < n_len; i++) {
        const size_t cols = len[i], n_src = 9, n_idx = 6;
        const size_t lds = cols + (i % 2 ? 3 : 0), ldd = cols + (i % 3 ? 5 : 0);
        float *src = mat_alloc(n_src, cols, lds, i);
        float *dst = mat_alloc(n_idx, cols, ldd, i + 3);
        float *dst_ref = mat_alloc(n_idx, cols, ldd, 0);
        int32_t *rows = ptc_test_alloc_i32(n_idx);
        for (size_t r = 0; r < n_src; r++)
            for (size_t c = 0; c < cols; c++)
                src[r * lds + c] = ptc_rng_uniform(&rng, -5.0f, 5.0f);
        src[1 * lds] = NAN; /* copied, never computed with */
        src[2 * lds + cols - 1] = -0.0f;
        /* last row, repeats, reversed order, first row */
        const int32_t pick[] = {8, 2, 2, 5, 1, 0};
        memcpy(rows, pick, sizeof pick);
        char what[96];
        snprintf(what, sizeof what, "gather_rows n_idx %zu cols %zu lds %zu ldd %zu", n_idx, cols,
                 lds, ldd);

        fill_sentinel(dst, mat_size(n_idx, cols, ldd));
        ctx->ops->gather_rows(n_idx, cols, src, lds, rows, dst, ldd);
        check_padding(ctx, what, dst, n_idx, cols, ldd);
        for (size_t k = 0; k < n_idx; k++) /* oracle: the picked source row */
            check_bits(ctx, what, dst + k * ldd, ldd, src + (size_t)pick[k] * lds, lds, 1, cols);
        if (!is_ref(ctx)) {
            fill_sentinel(dst_ref, mat_size(n_idx, cols, ldd));
            ctx->ref->gather_rows(n_idx, cols, src, lds, rows, dst_ref, ldd);
            check_bits(ctx, what, dst, ldd, dst_ref, ldd, n_idx, cols);
        }
        /* n_idx == 0 and cols == 0 write nothing */
        fill_sentinel(dst, mat_size(n_idx, cols, ldd));
        ctx->ops->gather_rows(0, cols, src, lds, rows, dst, ldd);
        ctx->ops->gather_rows(n_idx, 0, src, lds, rows, dst, ldd);
        ptc_check(ctx, dst[0] == SENTINEL && dst[mat_size(n_idx, cols, ldd) - 1] == SENTINEL,
                  "%s: empty gather wrote", what);
        ptc_test_free(ctx, src);
        ptc_test_free(ctx, dst);
        ptc_test_free(ctx, dst_ref);
        ptc_test_free(ctx, rows);
    }
}

/* ---- col_sum -------------------------------------------------------------------- */

PTC_KERNEL_TEST(tokenops_col_sum)
{
    size_t len[64];
    const size_t n_len = test_lengths(ctx, len);
    static const size_t rows_list[] = {0, 1, 3, 17, 113};
    const size_t n_rows = ctx->quick ? 4 : 5;
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ 0xc5);
    for (size_t i = 0; i < n_len; i++)
        for (size_t k = 0; k < n_rows; k++) {
            const size_t cols = len[i], rows = rows_list[k], ldx = cols + (i + k) % 4 * 3;
            float *x = mat_alloc(rows, cols, ldx, i + k);
            float *out = ptc_test_alloc(cols, i + 1), *out_ref = ptc_test_alloc(cols, 0);
            double *want = malloc((cols + 1) * sizeof *want);
            double *scale = malloc((cols + 1) * sizeof *scale);
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < cols; c++) /* mixed magnitudes: rounding matters */
                    x[r * ldx + c] = ptc_rng_uniform(&rng, -1.0f, 1.0f) *
                                     ((r + c) % 5 == 0 ? 1000.0f : 1.0f);
            char what[96];
            snprintf(what, sizeof what, "col_sum rows %zu cols %zu ldx %zu", rows, cols, ldx);

            ctx->ops->col_sum(rows, cols, x, ldx, out); /* out starts NaN: overwritten */
            for (size_t c = 0; c < cols; c++) {
                want[c] = scale[c] = 0.0;
                for (size_t r = 0; r < rows; r++) {
                    want[c] += x[r * ldx + c];
                    scale[c] += fabs((double)x[r * ldx + c]);
                }
            }
            check_bound(ctx, what, out, cols, want, scale, 1, cols, (double)(rows + 1) * EPS);
            if (!is_ref(ctx)) {
                ctx->ref->col_sum(rows, cols, x, ldx, out_ref);
                check_bits(ctx, what, out, cols, out_ref, cols, 1, cols);
            }
            free(want);
            free(scale);
            ptc_test_free(ctx, x);
            ptc_test_free(ctx, out);
            ptc_test_free(ctx, out_ref);
        }
}

/* ---- col_argmax ----------------------------------------------------------------- */

/* oracle: the first row holding the maximum of the column's non-NaN entries;
 * 0 when every entry is NaN */
static int32_t argmax_oracle(size_t rows, const float *x, size_t ldx, size_t c)
{
    bool any = false;
    float max = 0.0f;
    for (size_t r = 0; r < rows; r++) {
        const float v = x[r * ldx + c];
        if (!isnan(v) && (!any || v > max)) {
            max = v;
            any = true;
        }
    }
    if (!any)
        return 0;
    for (size_t r = 0; r < rows; r++)
        if (x[r * ldx + c] == max)
            return (int32_t)r;
    return -1; /* unreachable */
}

PTC_KERNEL_TEST(tokenops_col_argmax)
{
    size_t len[64];
    const size_t n_len = test_lengths(ctx, len);
    static const size_t rows_list[] = {1, 2, 5, 17, 113};
    const size_t n_rows = ctx->quick ? 4 : 5;
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ 0xa3);
    for (size_t i = 0; i < n_len; i++)
        for (size_t k = 0; k < n_rows; k++) {
            const size_t cols = len[i], rows = rows_list[k], ldx = cols + (i + k) % 3 * 2;
            float *x = mat_alloc(rows, cols, ldx, i + 2 * k);
            int32_t *out = ptc_test_alloc_i32(cols + 1), *want = ptc_test_alloc_i32(cols + 1);
            int32_t *out_ref = ptc_test_alloc_i32(cols + 1);
            /* few distinct values (ties are common), NaN, +-0 and -inf sprinkled;
             * column kinds by c % 6: 0 mixed, 1 all NaN, 2 NaN first then values,
             * 3 all equal (first wins), 4 -inf and NaN only, 5 mixed */
            static const float values[] = {-1.0f, 0.0f, -0.0f, 2.0f, 2.0f, 3.5f, -INFINITY, NAN};
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < cols; c++) {
                    float v = values[ptc_rng_next(&rng) % 8];
                    switch (c % 6) {
                    case 1: v = NAN; break;
                    case 2: v = r == 0 ? NAN : v; break;
                    case 3: v = 1.25f; break;
                    case 4: v = (r % 2) ? -INFINITY : NAN; break;
                    default: break;
                    }
                    x[r * ldx + c] = v;
                }
            char what[96];
            snprintf(what, sizeof what, "col_argmax rows %zu cols %zu ldx %zu", rows, cols, ldx);

            out[cols] = want[cols] = -12345; /* one past the end stays untouched */
            ctx->ops->col_argmax(rows, cols, x, ldx, out);
            for (size_t c = 0; c < cols; c++)
                want[c] = argmax_oracle(rows, x, ldx, c);
            ptc_check_equal_i32(ctx, what, out, want, cols + 1);
            if (!is_ref(ctx)) {
                out_ref[cols] = -12345;
                ctx->ref->col_argmax(rows, cols, x, ldx, out_ref);
                ptc_check_equal_i32(ctx, what, out, out_ref, cols + 1);
            }
            ptc_test_free(ctx, x);
            ptc_test_free(ctx, out);
            ptc_test_free(ctx, want);
            ptc_test_free(ctx, out_ref);
        }
    /* cols == 0 writes nothing */
    int32_t *out = ptc_test_alloc_i32(1);
    float *x = ptc_test_alloc(1, 0);
    out[0] = -12345;
    ctx->ops->col_argmax(1, 0, x, 1, out);
    ptc_check(ctx, out[0] == -12345, "col_argmax: cols == 0 wrote");
    ptc_test_free(ctx, out);
    ptc_test_free(ctx, x);
}

/* ---- segment_sum_rows ----------------------------------------------------------- */

PTC_KERNEL_TEST(tokenops_segment_sum_rows)
{
    size_t len[64];
    const size_t n_len = test_lengths(ctx, len);
    static const size_t n_list[] = {0, 1, 5, 17, 64};
    const size_t n_n = ctx->quick ? 4 : 5;
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ 0x5e9);
    for (size_t i = 0; i < n_len; i++)
        for (size_t k = 0; k < n_n; k++) {
            const size_t cols = len[i], n = n_list[k], n_dst = 4;
            const size_t lds = cols + (i + k) % 3 * 4, ldd = cols + (i + k) % 2 * 3;
            float *src = mat_alloc(n, cols, lds, i + k);
            float *dst = mat_alloc(n_dst, cols, ldd, i + 5);
            float *dst_ref = mat_alloc(n_dst, cols, ldd, 0);
            int32_t *segment = ptc_test_alloc_i32(n + 1);
            double *want = malloc((n_dst * cols + 1) * sizeof *want);
            double *scale = malloc((n_dst * cols + 1) * sizeof *scale);
            size_t count[4] = {0};
            for (size_t r = 0; r < n; r++) {
                /* -1 (skipped), a negative other than -1, or a destination row;
                 * destination 3 gets nothing and must stay as it was */
                const uint64_t u = ptc_rng_next(&rng) % 8;
                segment[r] = u == 0 ? -1 : u == 1 ? -7 : (int32_t)(u % 3);
                if (segment[r] >= 0)
                    count[segment[r]]++;
                for (size_t c = 0; c < cols; c++)
                    src[r * lds + c] = ptc_rng_uniform(&rng, -1.0f, 1.0f) * (c % 7 ? 1.0f : 300.0f);
            }
            fill_sentinel(dst, mat_size(n_dst, cols, ldd));
            for (size_t d = 0; d < n_dst; d++)
                for (size_t c = 0; c < cols; c++)
                    dst[d * ldd + c] = ptc_rng_uniform(&rng, -2.0f, 2.0f);
            memcpy(dst_ref, dst, mat_size(n_dst, cols, ldd) * sizeof *dst);
            for (size_t d = 0; d < n_dst; d++)
                for (size_t c = 0; c < cols; c++) {
                    want[d * cols + c] = dst[d * ldd + c];
                    scale[d * cols + c] = fabs((double)dst[d * ldd + c]);
                }
            for (size_t r = 0; r < n; r++)
                if (segment[r] >= 0)
                    for (size_t c = 0; c < cols; c++) {
                        want[segment[r] * cols + c] += src[r * lds + c];
                        scale[segment[r] * cols + c] += fabs((double)src[r * lds + c]);
                    }
            char what[112];
            snprintf(what, sizeof what, "segment_sum_rows n %zu cols %zu lds %zu ldd %zu", n, cols,
                     lds, ldd);

            ctx->ops->segment_sum_rows(n, cols, src, lds, segment, dst, ldd);
            check_padding(ctx, what, dst, n_dst, cols, ldd);
            size_t max_count = count[0] > count[1] ? count[0] : count[1];
            max_count = max_count > count[2] ? max_count : count[2];
            check_bound(ctx, what, dst, ldd, want, scale, n_dst, cols,
                        (double)(max_count + 1) * EPS);
            for (size_t c = 0; c < cols; c++) /* untouched destination row: exact */
                if (!ptc_check(ctx, dst[3 * ldd + c] == dst_ref[3 * ldd + c],
                               "%s: row 3 changed at %zu", what, c))
                    break;
            if (!is_ref(ctx)) {
                ctx->ref->segment_sum_rows(n, cols, src, lds, segment, dst_ref, ldd);
                check_bits(ctx, what, dst, ldd, dst_ref, ldd, n_dst, cols);
            }
            free(want);
            free(scale);
            ptc_test_free(ctx, src);
            ptc_test_free(ctx, dst);
            ptc_test_free(ctx, dst_ref);
            ptc_test_free(ctx, segment);
        }
}
