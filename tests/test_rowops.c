/*
 * tests/test_rowops.c — softmax_rows, layernorm_fwd/bwd, gelu_fwd/bwd, vexp,
 * verf, vtanh, dropout_rows (exact: its integer hash, bit for bit).
 *
 * Every table is compared with an independent double-precision oracle written
 * here (for ref this tests the spec itself), and every non-ref table also with
 * the ref table. Tolerances are error bounds, not fudge factors: each check is
 * |got - want| <= atol + rtol * scale, where `scale` is the magnitude the float
 * arithmetic of the op can lose precision against (e.g. |x| + |y| for GELU, where
 * 1 + erf(x/sqrt 2) cancels; the row's |mean| for LayerNorm, whose spec rounds the
 * mean to float before subtracting it), and rtol is a small multiple of
 * FLT_EPSILON (= 1 ulp at 1.0, so >= 1 ulp anywhere): SLEEF's u10 functions are
 * within 1.0 ulp, glibc's expf within 0.5 ulp, erff within 1 ulp and tanhf
 * within 2 ulp, and each float rounding adds 0.5 ulp.
 *
 * Shapes: lengths 1..2W+1 (W = the table's vector_floats, at least 8), primes,
 * BERT widths 768 and 3072 (full mode); leading dimensions > cols; misaligned
 * pointers; buffers inside guard zones (ptc_test_alloc), input padding NaN (a
 * kernel reading it poisons its result) and output padding a sentinel that
 * must survive. In-place calls (y == x) must equal out-of-place ones bit for bit.
 */
#include "ptc_test.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double EPS = FLT_EPSILON;
static const float SENTINEL = -7777.25f;

/* ---- helpers ---------------------------------------------------------------------- */

static bool is_ref(const ptc_test_ctx *ctx)
{
    return ctx->ops == ctx->ref;
}

/* Column counts to test: 1..2W+1, primes, BERT widths. Returns the count. */
static size_t test_lengths(const ptc_test_ctx *ctx, size_t *len)
{
    size_t n = 0, w = ctx->ops->vector_floats < 8 ? 8 : ctx->ops->vector_floats;
    for (size_t i = 1; i <= 2 * w + 1; i++)
        len[n++] = i;
    static const size_t quick_extra[] = {37, 131, 768};
    static const size_t full_extra[] = {37, 61, 97, 131, 257, 509, 768, 1021, 3072};
    const size_t *extra = ctx->quick ? quick_extra : full_extra;
    const size_t n_extra = ctx->quick ? sizeof quick_extra / sizeof *quick_extra
                                      : sizeof full_extra / sizeof *full_extra;
    for (size_t i = 0; i < n_extra; i++)
        len[n++] = extra[i];
    return n;
}

/* a (rows, cols) matrix with leading dimension ld, sized so the guard zone
 * starts right after the last element; every element NaN */
static float *mat_alloc(size_t rows, size_t cols, size_t ld, size_t misalign)
{
    return ptc_test_alloc(rows ? (rows - 1) * ld + cols : 0, misalign);
}

static size_t mat_size(size_t rows, size_t cols, size_t ld)
{
    return rows ? (rows - 1) * ld + cols : 0;
}

static void fill_sentinel(float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = SENTINEL;
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

static bool same_bits(const float *a, size_t lda, const float *b, size_t ldb, size_t rows,
                      size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        if (memcmp(a + r * lda, b + r * ldb, cols * sizeof(float)) != 0)
            return false;
    return true;
}

/* |got - want| <= atol + rtol * scale (scale = |want| when NULL); want and
 * scale are dense (rows, cols); NaN only where want is NaN; infinities exact. */
static bool check_near(ptc_test_ctx *ctx, const char *what, const float *got, size_t ldg,
                       const double *want, const double *scale, size_t rows, size_t cols,
                       double atol, double rtol)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            const double g = got[r * ldg + c], w = want[r * cols + c];
            const double s = scale ? scale[r * cols + c] : fabs(w);
            const double tol = atol + rtol * s;
            bool ok;
            if (isnan(w))
                ok = isnan(g);
            else if (isinf(w))
                ok = g == w;
            else
                ok = isfinite(g) && fabs(g - w) <= tol;
            if (!ok)
                return ptc_check(ctx, false, "%s: at (%zu, %zu) got %.9g want %.9g (tol %.3g)",
                                 what, r, c, g, w, tol);
        }
    return true;
}

/* a float (rows, cols) matrix with leading dimension ld, densely in double */
static double *to_double(const float *x, size_t rows, size_t cols, size_t ld)
{
    double *d = malloc((rows * cols + 1) * sizeof *d);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            d[r * cols + c] = x[r * ld + c];
    return d;
}

/* ---- softmax ---------------------------------------------------------------------- */

/* double oracle of softmax_rows; also the tolerance scale per element: the
 * error the spec's float (x + bias) and (- max) roundings put into exp's
 * argument, as a relative error of y */
static void softmax_oracle(size_t rows, size_t cols, const float *x, size_t ldx,
                           const float *bias, double *y, double *arg_err)
{
    for (size_t r = 0; r < rows; r++) {
        double max = -INFINITY, sum = 0.0;
        for (size_t c = 0; c < cols; c++) {
            const double v = (double)x[r * ldx + c] + (bias ? bias[c] : 0.0);
            if (v > max)
                max = v;
        }
        for (size_t c = 0; c < cols; c++) {
            const double v = (double)x[r * ldx + c] + (bias ? bias[c] : 0.0);
            if (max == -INFINITY) {
                y[r * cols + c] = 0.0;
                arg_err[r * cols + c] = 0.0;
                continue;
            }
            y[r * cols + c] = exp(v - max);
            arg_err[r * cols + c] =
                v == -INFINITY ? 0.0 : 0.5 * EPS * (fabs(v) + fabs(max) + fabs(v - max));
            sum += y[r * cols + c];
        }
        if (max != -INFINITY)
            for (size_t c = 0; c < cols; c++)
                y[r * cols + c] /= sum;
    }
}

/* rows: 0 random, 1 near overflow (values ~88 and ~-88), 2 partly -INFINITY,
 * 3 fully masked, 4 random again (a row after a masked one) */
static void softmax_case(ptc_test_ctx *ctx, ptc_rng *rng, size_t cols, size_t ld, size_t mis,
                         bool with_bias, bool bias_all_masked)
{
    const ptc_ops *ops = ctx->ops;
    const size_t rows = 5, n = mat_size(rows, cols, ld);
    float *x = mat_alloc(rows, cols, ld, mis);
    float *y = mat_alloc(rows, cols, ld, mis + 3);
    float *y_ref = mat_alloc(rows, cols, ld, 0);
    float *bias = with_bias ? ptc_test_alloc(cols, mis + 1) : NULL;
    for (size_t c = 0; c < cols; c++) {
        x[0 * ld + c] = ptc_rng_uniform(rng, -6.0f, 6.0f);
        x[1 * ld + c] = (ptc_rng_next(rng) & 3) ? ptc_rng_uniform(rng, 87.0f, 88.7f)
                                                : ptc_rng_uniform(rng, -88.7f, -87.0f);
        x[2 * ld + c] = (c % 3 == 1) ? -INFINITY : ptc_rng_uniform(rng, -10.0f, 10.0f);
        x[3 * ld + c] = -INFINITY;
        x[4 * ld + c] = ptc_rng_uniform(rng, -30.0f, 30.0f);
        if (bias)
            bias[c] = bias_all_masked ? -INFINITY
                      : (c % 4 == 2) ? -INFINITY : ptc_rng_uniform(rng, -2.0f, 2.0f);
    }
    if (cols == 1 && !bias_all_masked)
        x[2 * ld] = 1.5f; /* row 2 keeps one finite entry */

    char what[128];
    snprintf(what, sizeof what, "softmax_rows rows %zu cols %zu ld %zu bias %s", rows, cols, ld,
             !bias ? "NULL" : bias_all_masked ? "all -inf" : "yes");

    fill_sentinel(y, n);
    ops->softmax_rows(rows, cols, x, ld, bias, y, ld);
    check_padding(ctx, what, y, rows, cols, ld);

    /* vs the double oracle: exp's argument error (spec's float roundings),
     * exp 1 ulp + lib 0.5 ulp, 1/sum and the product 1 ulp, and the float sum
     * of the row (2 eps sqrt(cols): a random walk of roundings, ~12 sigma) */
    double *want = malloc((rows * cols + 1) * sizeof *want);
    double *scale = malloc((rows * cols + 1) * sizeof *scale);
    softmax_oracle(rows, cols, x, ld, bias, want, scale);
    const double rel = EPS * (4.0 + 2.0 * sqrt((double)cols));
    for (size_t i = 0; i < rows * cols; i++)
        scale[i] = fabs(want[i]) * (rel + scale[i]) / EPS;
    check_near(ctx, what, y, ld, want, scale, rows, cols, 1e-37, EPS);

    /* vs ref: the same float argument, so only exp, sum and scaling differ */
    if (!is_ref(ctx)) {
        fill_sentinel(y_ref, n);
        ctx->ref->softmax_rows(rows, cols, x, ld, bias, y_ref, ld);
        double *r = to_double(y_ref, rows, cols, ld);
        check_near(ctx, what, y, ld, r, NULL, rows, cols, 1e-37,
                   EPS * (6.0 + 4.0 * sqrt((double)cols)));
        free(r);
    }

    /* fully masked rows are exactly zero, never NaN */
    for (size_t c = 0; c < cols; c++)
        if (!ptc_check(ctx, y[3 * ld + c] == 0.0f, "%s: masked row at %zu is %g", what, c,
                       y[3 * ld + c]))
            break;

    /* in place: x is overwritten by y, bit-identical to the out-of-place call */
    memcpy(y_ref, x, n * sizeof *x);
    ops->softmax_rows(rows, cols, y_ref, ld, bias, y_ref, ld);
    ptc_check(ctx, same_bits(y_ref, ld, y, ld, rows, cols), "%s: in place differs", what);

    free(want);
    free(scale);
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, y);
    ptc_test_free(ctx, y_ref);
    ptc_test_free(ctx, bias);
}

PTC_KERNEL_TEST(rowops_softmax)
{
    size_t len[64];
    const size_t n_len = test_lengths(ctx, len);
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ 0x50f7);
    for (size_t i = 0; i < n_len; i++) {
        const size_t ld = len[i] + (i % 3 == 0 ? 0 : i % 3 == 1 ? 5 : 16);
        softmax_case(ctx, &rng, len[i], ld, i, false, false);
        softmax_case(ctx, &rng, len[i], ld, i + 7, true, false);
        if (len[i] <= 2 * ctx->ops->vector_floats + 1)
            softmax_case(ctx, &rng, len[i], ld, i + 2, true, true);
    }
    /* rows == 0 and cols == 0 touch nothing */
    float *y = ptc_test_alloc(4, 1);
    fill_sentinel(y, 4);
    ctx->ops->softmax_rows(0, 4, y, 4, NULL, y, 4);
    ctx->ops->softmax_rows(1, 0, y, 4, NULL, y, 4);
    ptc_check(ctx, y[0] == SENTINEL && y[3] == SENTINEL, "softmax_rows: empty call wrote");
    ptc_test_free(ctx, y);
}

/* ---- layernorm forward ------------------------------------------------------------ */

/* rows: 0 random, 1 constant (variance 0), 2 mean 1e3 spread +-1, 3 mean -1e3
 * spread +-1e-2, 4 random wide */
static void layernorm_fwd_case(ptc_test_ctx *ctx, ptc_rng *rng, size_t cols, size_t ld,
                               size_t mis)
{
    const ptc_ops *ops = ctx->ops;
    const size_t rows = 5, n = mat_size(rows, cols, ld);
    const float eps = 1e-5f;
    float *x = mat_alloc(rows, cols, ld, mis);
    float *y = mat_alloc(rows, cols, ld, mis + 5);
    float *y2 = mat_alloc(rows, cols, ld, mis + 2);
    float *gamma = ptc_test_alloc(cols, mis + 1), *beta = ptc_test_alloc(cols, mis + 2);
    float *mean = ptc_test_alloc(rows, 3), *rstd = ptc_test_alloc(rows, 1);
    float *mean_ref = ptc_test_alloc(rows, 0), *rstd_ref = ptc_test_alloc(rows, 0);
    const float constant = ptc_rng_uniform(rng, -3.0f, 3.0f);
    for (size_t c = 0; c < cols; c++) {
        x[0 * ld + c] = ptc_rng_uniform(rng, -2.0f, 2.0f);
        x[1 * ld + c] = constant;
        x[2 * ld + c] = 1000.0f + ptc_rng_uniform(rng, -1.0f, 1.0f);
        x[3 * ld + c] = -1000.0f + ptc_rng_uniform(rng, -0.01f, 0.01f);
        x[4 * ld + c] = ptc_rng_uniform(rng, -50.0f, 20.0f);
        gamma[c] = ptc_rng_uniform(rng, -1.5f, 1.5f);
        beta[c] = ptc_rng_uniform(rng, -1.0f, 1.0f);
    }
    char what[128];
    snprintf(what, sizeof what, "layernorm_fwd rows %zu cols %zu ld %zu", rows, cols, ld);

    fill_sentinel(y, n);
    ops->layernorm_fwd(rows, cols, x, ld, gamma, beta, eps, y, ld, mean, rstd);
    check_padding(ctx, what, y, rows, cols, ld);

    /* oracle: two-pass statistics in double */
    double *want = malloc((rows * cols + 1) * sizeof *want);
    double *scale = malloc((rows * cols + 1) * sizeof *scale);
    double mu_d[5], rs_d[5];
    for (size_t r = 0; r < rows; r++) {
        double s = 0.0, q = 0.0;
        for (size_t c = 0; c < cols; c++)
            s += x[r * ld + c];
        const double mu = s / (double)cols;
        for (size_t c = 0; c < cols; c++)
            q += (x[r * ld + c] - mu) * (x[r * ld + c] - mu);
        const double rs = 1.0 / sqrt(q / (double)cols + (double)eps);
        mu_d[r] = mu;
        rs_d[r] = rs;
        for (size_t c = 0; c < cols; c++) {
            const double d = x[r * ld + c] - mu, xhat = d * rs;
            want[r * cols + c] = xhat * gamma[c] + beta[c];
            /* the spec rounds mean to float (0.5 ulp of |mean|), x - mean, the
             * products and the sum: errors relative to these magnitudes */
            scale[r * cols + c] = fabs(gamma[c]) * rs * (fabs(mu) + fabs(d)) +
                                  fabs(xhat * gamma[c]) + fabs(beta[c]) +
                                  fabs(want[r * cols + c]);
        }
    }
    check_near(ctx, what, y, ld, want, scale, rows, cols, 0.0, 2.0 * EPS);
    for (size_t r = 0; r < rows; r++) {
        ptc_check(ctx, fabs(mean[r] - mu_d[r]) <= 0.5 * EPS * fabs(mu_d[r]) + 1e-30,
                  "%s: mean[%zu] %.9g want %.9g", what, r, mean[r], mu_d[r]);
        ptc_check(ctx, fabs(rstd[r] - rs_d[r]) <= 1.5 * EPS * rs_d[r],
                  "%s: rstd[%zu] %.9g want %.9g", what, r, rstd[r], rs_d[r]);
    }
    /* a constant row normalises to exactly beta */
    for (size_t c = 0; c < cols; c++)
        if (!ptc_check(ctx, y[1 * ld + c] == beta[c], "%s: constant row at %zu: %.9g != beta %.9g",
                       what, c, y[1 * ld + c], beta[c]))
            break;

    if (!is_ref(ctx)) { /* vs ref: the same bound; FMA and summation order differ */
        fill_sentinel(y2, n);
        ctx->ref->layernorm_fwd(rows, cols, x, ld, gamma, beta, eps, y2, ld, mean_ref, rstd_ref);
        double *r = to_double(y2, rows, cols, ld);
        check_near(ctx, what, y, ld, r, scale, rows, cols, 0.0, 3.0 * EPS);
        free(r);
        for (size_t r = 0; r < rows; r++)
            ptc_check(ctx, fabsf(mean[r] - mean_ref[r]) <= EPS * fabsf(mean_ref[r]) &&
                               fabsf(rstd[r] - rstd_ref[r]) <= EPS * rstd_ref[r],
                      "%s: row %zu mean/rstd %.9g/%.9g vs ref %.9g/%.9g", what, r, mean[r],
                      rstd[r], mean_ref[r], rstd_ref[r]);
    }

    /* NULL mean/rstd: same y */
    fill_sentinel(y2, n);
    ops->layernorm_fwd(rows, cols, x, ld, gamma, beta, eps, y2, ld, NULL, NULL);
    ptc_check(ctx, same_bits(y2, ld, y, ld, rows, cols), "%s: NULL mean/rstd changes y", what);
    /* in place */
    memcpy(y2, x, n * sizeof *x);
    ops->layernorm_fwd(rows, cols, y2, ld, gamma, beta, eps, y2, ld, NULL, NULL);
    ptc_check(ctx, same_bits(y2, ld, y, ld, rows, cols), "%s: in place differs", what);

    free(want);
    free(scale);
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, y);
    ptc_test_free(ctx, y2);
    ptc_test_free(ctx, gamma);
    ptc_test_free(ctx, beta);
    ptc_test_free(ctx, mean);
    ptc_test_free(ctx, rstd);
    ptc_test_free(ctx, mean_ref);
    ptc_test_free(ctx, rstd_ref);
}

PTC_KERNEL_TEST(rowops_layernorm_fwd)
{
    size_t len[64];
    const size_t n_len = test_lengths(ctx, len);
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ 0x1a7e);
    for (size_t i = 0; i < n_len; i++)
        layernorm_fwd_case(ctx, &rng, len[i], len[i] + (i % 2 ? 3 : 0), i);
}

/* ---- layernorm backward ----------------------------------------------------------- */

static void layernorm_bwd_case(ptc_test_ctx *ctx, ptc_rng *rng, size_t cols, size_t ld,
                               size_t mis)
{
    const ptc_ops *ops = ctx->ops;
    const size_t rows = 4, n = mat_size(rows, cols, ld);
    float *x = mat_alloc(rows, cols, ld, mis), *dy = mat_alloc(rows, cols, ld, mis + 1);
    float *dx = mat_alloc(rows, cols, ld, mis + 2), *dx2 = mat_alloc(rows, cols, ld, mis + 3);
    float *y = mat_alloc(rows, cols, ld, 0);
    float *gamma = ptc_test_alloc(cols, mis + 4), *beta = ptc_test_alloc(cols, 0);
    float *dgamma = ptc_test_alloc(cols, mis + 5), *dbeta = ptc_test_alloc(cols, mis + 6);
    float *dgamma_ref = ptc_test_alloc(cols, 0), *dbeta_ref = ptc_test_alloc(cols, 0);
    float *mean = ptc_test_alloc(rows, 0), *rstd = ptc_test_alloc(rows, 0);
    for (size_t c = 0; c < cols; c++) {
        x[0 * ld + c] = ptc_rng_uniform(rng, -2.0f, 2.0f);
        x[1 * ld + c] = 0.75f; /* constant row */
        x[2 * ld + c] = 1000.0f + ptc_rng_uniform(rng, -1.0f, 1.0f);
        x[3 * ld + c] = ptc_rng_uniform(rng, -20.0f, 5.0f);
        for (size_t r = 0; r < rows; r++)
            dy[r * ld + c] = ptc_rng_uniform(rng, -1.0f, 1.0f);
        gamma[c] = ptc_rng_uniform(rng, -1.5f, 1.5f);
        beta[c] = 0.0f;
        dgamma[c] = dgamma_ref[c] = ptc_rng_uniform(rng, -3.0f, 3.0f); /* accumulated into */
        dbeta[c] = dbeta_ref[c] = ptc_rng_uniform(rng, -3.0f, 3.0f);
    }
    /* the saved statistics the backward pass is given: ref's forward */
    ctx->ref->layernorm_fwd(rows, cols, x, ld, gamma, beta, 1e-5f, y, ld, mean, rstd);
    char what[128];
    snprintf(what, sizeof what, "layernorm_bwd rows %zu cols %zu ld %zu", rows, cols, ld);

    fill_sentinel(dx, n);
    ops->layernorm_bwd(rows, cols, dy, ld, x, ld, gamma, mean, rstd, dx, ld, dgamma, dbeta);
    check_padding(ctx, what, dx, rows, cols, ld);

    /* oracle in double, from the same saved mean/rstd */
    double *want = malloc((rows * cols + 1) * sizeof *want);
    double *scale = malloc((rows * cols + 1) * sizeof *scale);
    double *dg_want = malloc((cols + 1) * sizeof *dg_want), *db_want = malloc((cols + 1) * sizeof *db_want);
    double *dg_scale = malloc((cols + 1) * sizeof *dg_scale), *db_scale = malloc((cols + 1) * sizeof *db_scale);
    for (size_t c = 0; c < cols; c++) {
        dg_want[c] = dgamma_ref[c];
        db_want[c] = dbeta_ref[c];
        dg_scale[c] = fabs(dgamma_ref[c]);
        db_scale[c] = fabs(dbeta_ref[c]);
    }
    for (size_t r = 0; r < rows; r++) {
        const double m = mean[r], rs = rstd[r];
        double s1 = 0.0, s2 = 0.0, a1 = 0.0, a2 = 0.0;
        for (size_t c = 0; c < cols; c++) {
            const double xhat = (x[r * ld + c] - m) * rs, dxhat = (double)dy[r * ld + c] * gamma[c];
            s1 += dxhat;
            s2 += dxhat * xhat;
            a1 += fabs(dxhat);
            a2 += fabs(dxhat * xhat);
            dg_want[c] += dy[r * ld + c] * xhat;
            db_want[c] += dy[r * ld + c];
            dg_scale[c] += fabs(dy[r * ld + c] * xhat) + fabs(dg_want[c]);
            db_scale[c] += fabs((double)dy[r * ld + c]) + fabs(db_want[c]);
        }
        s1 /= (double)cols;
        s2 /= (double)cols;
        a1 /= (double)cols;
        a2 /= (double)cols;
        for (size_t c = 0; c < cols; c++) {
            const double xhat = (x[r * ld + c] - m) * rs, dxhat = (double)dy[r * ld + c] * gamma[c];
            want[r * cols + c] = rs * (dxhat - s1 - xhat * s2);
            /* float xhat carries ~eps relative to (|x| + |mean|) * rstd; each
             * term of the difference is rounded */
            const double xhat_mag = (fabs(x[r * ld + c]) + fabs(m)) * rs;
            scale[r * cols + c] = rs * (fabs(dxhat) + fabs(s1) + a1 + xhat_mag * (fabs(s2) + a2)) +
                                  fabs(want[r * cols + c]);
        }
    }
    check_near(ctx, what, dx, ld, want, scale, rows, cols, 0.0, 4.0 * EPS);
    /* dgamma/dbeta: a float sum over rows (plus the pre-filled value) */
    check_near(ctx, "layernorm_bwd dgamma", dgamma, 0, dg_want, dg_scale, 1, cols, 0.0,
               (rows + 2) * EPS);
    check_near(ctx, "layernorm_bwd dbeta", dbeta, 0, db_want, db_scale, 1, cols, 0.0,
               (rows + 2) * EPS);

    if (!is_ref(ctx)) {
        fill_sentinel(dx2, n);
        ctx->ref->layernorm_bwd(rows, cols, dy, ld, x, ld, gamma, mean, rstd, dx2, ld, dgamma_ref,
                                dbeta_ref);
        double *r = to_double(dx2, rows, cols, ld);
        check_near(ctx, what, dx, ld, r, scale, rows, cols, 0.0, 6.0 * EPS);
        free(r);
        r = to_double(dgamma_ref, 1, cols, cols);
        check_near(ctx, "layernorm_bwd dgamma vs ref", dgamma, 0, r, dg_scale, 1, cols, 0.0,
                   2.0 * (rows + 2) * EPS);
        free(r);
        r = to_double(dbeta_ref, 1, cols, cols);
        check_near(ctx, "layernorm_bwd dbeta vs ref", dbeta, 0, r, db_scale, 1, cols, 0.0,
                   2.0 * (rows + 2) * EPS);
        free(r);
    }

    /* dgamma/dbeta NULL: the same dx */
    fill_sentinel(dx2, n);
    ops->layernorm_bwd(rows, cols, dy, ld, x, ld, gamma, mean, rstd, dx2, ld, NULL, NULL);
    ptc_check(ctx, same_bits(dx2, ld, dx, ld, rows, cols), "%s: NULL dgamma/dbeta changes dx",
              what);

    free(want);
    free(scale);
    free(dg_want);
    free(db_want);
    free(dg_scale);
    free(db_scale);
    float *bufs[] = {x, dy, dx, dx2, y, gamma, beta, dgamma, dbeta, dgamma_ref, dbeta_ref,
                     mean, rstd};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        ptc_test_free(ctx, bufs[i]);
}

PTC_KERNEL_TEST(rowops_layernorm_bwd)
{
    size_t len[64];
    const size_t n_len = test_lengths(ctx, len);
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ 0xb3d);
    for (size_t i = 0; i < n_len; i++)
        layernorm_bwd_case(ctx, &rng, len[i], len[i] + (i % 2 ? 0 : 7), i);
}

/* loss(x) = sum dy * layernorm(x), in double, statistics recomputed from x */
static double layernorm_loss(size_t rows, size_t cols, const double *x, const float *gamma,
                             const float *beta, const float *dy, double eps)
{
    double loss = 0.0;
    for (size_t r = 0; r < rows; r++) {
        double s = 0.0, q = 0.0;
        for (size_t c = 0; c < cols; c++)
            s += x[r * cols + c];
        const double mu = s / (double)cols;
        for (size_t c = 0; c < cols; c++)
            q += (x[r * cols + c] - mu) * (x[r * cols + c] - mu);
        const double rs = 1.0 / sqrt(q / (double)cols + eps);
        for (size_t c = 0; c < cols; c++)
            loss += dy[r * cols + c] * ((x[r * cols + c] - mu) * rs * gamma[c] + beta[c]);
    }
    return loss;
}

/* layernorm_bwd against central differences of the double forward: checks the
 * spec's formula, not just agreement between tables */
PTC_KERNEL_TEST(rowops_layernorm_gradcheck)
{
    static const size_t cols_list[] = {1, 2, 3, 7, 17, 40};
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ 0x9c);
    const double eps = 1e-5;
    for (size_t k = 0; k < sizeof cols_list / sizeof *cols_list; k++) {
        const size_t rows = 2, cols = cols_list[k], n = rows * cols;
        float *x = ptc_test_alloc(n, 1), *dy = ptc_test_alloc(n, 2), *dx = ptc_test_alloc(n, 3);
        float *y = ptc_test_alloc(n, 0), *gamma = ptc_test_alloc(cols, 4);
        float *beta = ptc_test_alloc(cols, 5), *dgamma = ptc_test_alloc(cols, 6);
        float *dbeta = ptc_test_alloc(cols, 7), *mean = ptc_test_alloc(rows, 0);
        float *rstd = ptc_test_alloc(rows, 0);
        double *xd = malloc(n * sizeof *xd), *num = malloc(n * sizeof *num);
        double *scale = malloc(n * sizeof *scale);
        ptc_rng_fill(&rng, x, n, -2.0f, 2.0f);
        ptc_rng_fill(&rng, dy, n, -1.0f, 1.0f);
        ptc_rng_fill(&rng, gamma, cols, 0.5f, 1.5f);
        ptc_rng_fill(&rng, beta, cols, -0.5f, 0.5f);
        for (size_t c = 0; c < cols; c++)
            dgamma[c] = dbeta[c] = 0.0f;
        ctx->ops->layernorm_fwd(rows, cols, x, cols, gamma, beta, (float)eps, y, cols, mean, rstd);
        ctx->ops->layernorm_bwd(rows, cols, dy, cols, x, cols, gamma, mean, rstd, dx, cols,
                                dgamma, dbeta);
        for (size_t i = 0; i < n; i++)
            xd[i] = x[i];
        double max_num = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double h = 1e-4, keep = xd[i];
            xd[i] = keep + h;
            const double lp = layernorm_loss(rows, cols, xd, gamma, beta, dy, eps);
            xd[i] = keep - h;
            const double lm = layernorm_loss(rows, cols, xd, gamma, beta, dy, eps);
            xd[i] = keep;
            num[i] = (lp - lm) / (2.0 * h);
            max_num = fmax(max_num, fabs(num[i]));
        }
        for (size_t i = 0; i < n; i++)
            scale[i] = max_num + 1.0;
        char what[96];
        snprintf(what, sizeof what, "layernorm_bwd gradcheck dx rows %zu cols %zu", rows, cols);
        /* float saved statistics and float arithmetic vs h^2 ~ 1e-8 truncation */
        check_near(ctx, what, dx, cols, num, scale, rows, cols, 0.0, 1e-4);
        /* dgamma = sum_r dy * xhat, dbeta = sum_r dy: derivative of the loss in gamma, beta */
        for (size_t c = 0; c < cols; c++) {
            double g = 0.0, b = 0.0;
            for (size_t r = 0; r < rows; r++) {
                double s = 0.0, q = 0.0;
                for (size_t j = 0; j < cols; j++)
                    s += xd[r * cols + j];
                const double mu = s / (double)cols;
                for (size_t j = 0; j < cols; j++)
                    q += (xd[r * cols + j] - mu) * (xd[r * cols + j] - mu);
                g += dy[r * cols + c] * (xd[r * cols + c] - mu) / sqrt(q / (double)cols + eps);
                b += dy[r * cols + c];
            }
            ptc_check(ctx, fabs(dgamma[c] - g) <= 1e-4 * (1.0 + fabs(g)) &&
                               fabs(dbeta[c] - b) <= 1e-5 * (1.0 + fabs(b)),
                      "layernorm_bwd gradcheck cols %zu: dgamma/dbeta[%zu] %g/%g want %g/%g", cols,
                      c, dgamma[c], dbeta[c], g, b);
        }
        free(xd);
        free(num);
        free(scale);
        float *bufs[] = {x, dy, dx, y, gamma, beta, dgamma, dbeta, mean, rstd};
        for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
            ptc_test_free(ctx, bufs[i]);
    }
}

/* ---- element-wise ----------------------------------------------------------------- */

typedef enum { OP_EXP, OP_ERF, OP_TANH, OP_GELU, OP_GELU_BWD } eltwise_op;

static const char *op_name(eltwise_op op)
{
    static const char *names[] = {"vexp", "verf", "vtanh", "gelu_fwd", "gelu_bwd"};
    return names[op];
}

static double gelu_d(double x)
{
    return 0.5 * x * (1.0 + erf(x * M_SQRT1_2));
}

static double gelu_grad_d(double x)
{
    return 0.5 * (1.0 + erf(x * M_SQRT1_2)) + x * exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
}

/* Inputs: special values (each op's own set) at the start, then a mix of
 * uniform [-12, 12], log-uniform magnitudes 1e-40..1e2 (denormals included),
 * and uniform [-100, 89]. */
static void eltwise_inputs(ptc_rng *rng, eltwise_op op, float *x, size_t n)
{
    static const float common[] = {-100.0f, -88.0f, 0.0f, 1e-40f, -3e-42f, 1e-20f, 10.0f,
                                   88.7f,   -0.0f,  -9.5f, 0.5f,  -87.3f,  3.0f, -2.5f,
                                   5.0f,    -6.0f};
    static const float non_finite[] = {INFINITY, -INFINITY, NAN};
    size_t i = 0;
    for (size_t k = 0; k < sizeof common / sizeof *common && i < n; k++)
        x[i++] = common[k];
    /* GELU's erf form gives NaN at -inf (-inf * 0): not part of the tested contract */
    if (op != OP_GELU && op != OP_GELU_BWD)
        for (size_t k = 0; k < 3 && i < n; k++)
            x[i++] = non_finite[k];
    for (; i < n; i++) {
        const uint64_t kind = ptc_rng_next(rng) % 3;
        if (kind == 0) {
            x[i] = ptc_rng_uniform(rng, -12.0f, 12.0f);
        } else if (kind == 1) {
            const float mag = powf(10.0f, ptc_rng_uniform(rng, -40.0f, 2.0f));
            x[i] = (ptc_rng_next(rng) & 1) ? mag : -mag;
        } else {
            x[i] = ptc_rng_uniform(rng, -100.0f, 89.0f);
        }
    }
}

static void eltwise_run(const ptc_ops *ops, eltwise_op op, size_t n, const float *x,
                        const float *dy, float *y)
{
    switch (op) {
    case OP_EXP: ops->vexp(n, x, y); break;
    case OP_ERF: ops->verf(n, x, y); break;
    case OP_TANH: ops->vtanh(n, x, y); break;
    case OP_GELU: ops->gelu_fwd(n, x, y); break;
    case OP_GELU_BWD: ops->gelu_bwd(n, x, dy, y); break;
    }
}

/* oracle value and tolerance scale (what the float formula can lose against) */
static void eltwise_oracle(eltwise_op op, float xf, float dyf, double *want, double *scale)
{
    const double x = xf, dy = dyf;
    switch (op) {
    case OP_EXP:
        *want = exp(x);
        if (isinf((float)*want)) /* past FLT_MAX: the float result is +inf */
            *want = INFINITY;
        *scale = fabs(*want);
        break;
    case OP_ERF: *want = erf(x); *scale = fabs(*want); break;
    case OP_TANH: *want = tanh(x); *scale = fabs(*want); break;
    case OP_GELU:
        /* 1 + erf(x/sqrt 2) cancels for x < 0: absolute error ~ eps * |x| */
        *want = gelu_d(x);
        *scale = fabs(x) + fabs(*want);
        break;
    case OP_GELU_BWD: {
        /* cdf as above; the pdf's argument -x*x/2 is rounded (relative error
         * eps), which exp turns into a relative error eps * x^2/2 of the pdf */
        const double pdf = exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
        *want = dy * gelu_grad_d(x);
        *scale = fabs(dy) * (1.0 + fabs(x) * pdf * (1.0 + x * x)) + fabs(*want);
        break;
    }
    }
}

/* rtol (in eps) vs the oracle for ref and for a SLEEF table, and vs ref:
 * exp: glibc 0.5 ulp, SLEEF 1 ulp; erf: glibc 1, SLEEF 1; tanh: glibc 2, SLEEF 1;
 * gelu: the erf error plus 3 roundings, against the scale above */
static const double rtol_oracle[] = {1.0, 1.5, 2.0, 3.0, 4.0};
static const double rtol_vs_ref[] = {2.0, 2.5, 3.5, 4.0, 6.0};
/* results below FLT_MIN are denormals: an ulp there is FLT_TRUE_MIN */
static const double ATOL_DENORMAL = 4.0 * FLT_TRUE_MIN;

static void eltwise_case(ptc_test_ctx *ctx, ptc_rng *rng, eltwise_op op, size_t n, size_t mis)
{
    const ptc_ops *ops = ctx->ops;
    float *x = ptc_test_alloc(n, mis), *dy = ptc_test_alloc(n, mis + 1);
    float *y = ptc_test_alloc(n, mis + 2), *y2 = ptc_test_alloc(n, mis + 3);
    double *want = malloc((n + 1) * sizeof *want), *scale = malloc((n + 1) * sizeof *scale);
    eltwise_inputs(rng, op, x, n);
    ptc_rng_fill(rng, dy, n, -2.0f, 2.0f);
    char what[64];
    snprintf(what, sizeof what, "%s n %zu", op_name(op), n);

    eltwise_run(ops, op, n, x, dy, y);
    for (size_t i = 0; i < n; i++)
        eltwise_oracle(op, x[i], dy[i], &want[i], &scale[i]);
    check_near(ctx, what, y, n, want, scale, 1, n, ATOL_DENORMAL,
               (is_ref(ctx) ? rtol_oracle[op] : rtol_oracle[op] + 1.0) * EPS);

    if (!is_ref(ctx)) {
        eltwise_run(ctx->ref, op, n, x, dy, y2);
        for (size_t i = 0; i < n; i++) {
            want[i] = y2[i];
            double unused;
            eltwise_oracle(op, x[i], dy[i], &unused, &scale[i]);
        }
        check_near(ctx, what, y, n, want, scale, 1, n, ATOL_DENORMAL, rtol_vs_ref[op] * EPS);
    }

    /* in place: y == x (for gelu_bwd, dx == x and dx == dy) */
    memcpy(y2, x, n * sizeof *x);
    eltwise_run(ops, op, n, y2, dy, y2);
    ptc_check(ctx, same_bits(y2, n, y, n, 1, n), "%s: in place (y == x) differs", what);
    if (op == OP_GELU_BWD) {
        memcpy(y2, dy, n * sizeof *x);
        eltwise_run(ops, op, n, x, y2, y2);
        ptc_check(ctx, same_bits(y2, n, y, n, 1, n), "%s: in place (dx == dy) differs", what);
    }
    free(want);
    free(scale);
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, dy);
    ptc_test_free(ctx, y);
    ptc_test_free(ctx, y2);
}

static void eltwise_test(ptc_test_ctx *ctx, eltwise_op op, uint64_t salt)
{
    size_t len[64];
    const size_t n_len = test_lengths(ctx, len);
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ salt);
    for (size_t i = 0; i < n_len; i++)
        eltwise_case(ctx, &rng, op, len[i], i);
    /* n == 0 touches nothing */
    float *y = ptc_test_alloc(1, 0);
    y[0] = SENTINEL;
    eltwise_run(ctx->ops, op, 0, y, y, y);
    ptc_check(ctx, y[0] == SENTINEL, "%s: n == 0 wrote", op_name(op));
    ptc_test_free(ctx, y);
}

PTC_KERNEL_TEST(rowops_vexp) { eltwise_test(ctx, OP_EXP, 0xe1); }
PTC_KERNEL_TEST(rowops_verf) { eltwise_test(ctx, OP_ERF, 0xe2); }
PTC_KERNEL_TEST(rowops_vtanh) { eltwise_test(ctx, OP_TANH, 0xe3); }
PTC_KERNEL_TEST(rowops_gelu_fwd) { eltwise_test(ctx, OP_GELU, 0xe4); }
PTC_KERNEL_TEST(rowops_gelu_bwd) { eltwise_test(ctx, OP_GELU_BWD, 0xe5); }

/* gelu_bwd against central differences of the double erf-form GELU */
PTC_KERNEL_TEST(rowops_gelu_gradcheck)
{
    enum { n = 41 };
    float *x = ptc_test_alloc(n, 1), *dy = ptc_test_alloc(n, 2), *dx = ptc_test_alloc(n, 3);
    double num[n], scale[n];
    ptc_rng rng = ptc_rng_seeded(ctx->seed ^ 0x6e1);
    for (size_t i = 0; i < n; i++) {
        x[i] = -8.0f + 0.4f * (float)i + ptc_rng_uniform(&rng, -0.1f, 0.1f);
        dy[i] = ptc_rng_uniform(&rng, 0.5f, 2.0f);
    }
    ctx->ops->gelu_bwd(n, x, dy, dx);
    for (size_t i = 0; i < n; i++) {
        const double h = 1e-5;
        num[i] = dy[i] * (gelu_d((double)x[i] + h) - gelu_d((double)x[i] - h)) / (2.0 * h);
        scale[i] = fabs((double)dy[i]);
    }
    check_near(ctx, "gelu_bwd gradcheck", dx, n, num, scale, 1, n, 0.0, 1e-5);
    ptc_test_free(ctx, x);
    ptc_test_free(ctx, dy);
    ptc_test_free(ctx, dx);
}

/* dropout_rows on every table: bit for bit the mask of its definition
 * (ptc_dropout_draw(prefix, first + r * cols + c) < bound: 0, else x * keep_scale),
 * computed here element by element, at lengths 1..2W+1 and more (vector bodies and
 * scalar tails), rows of ldx > cols whose padding (a sentinel) survives, buffers in
 * guard zones, first indices near 2^40, and bounds 0 (nothing dropped), 2^52 (about
 * half) and 2^53 (everything). */
PTC_KERNEL_TEST(rowops_dropout_rows)
{
    size_t len[64];
    const size_t n_len = test_lengths(ctx, len);
    static const uint64_t bounds[] = {0, 1ull << 52, 1ull << 53, 900719925474099ull /* p 0.1 */};
    const size_t rows = 3;
    for (size_t li = 0; li < n_len; li++)
        for (size_t bi = 0; bi < sizeof bounds / sizeof *bounds; bi++) {
            const size_t cols = len[li], ld = cols + 3;
            const uint64_t prefix = 0x9E3779B97F4A7C15ull * (li + 1) ^ bi;
            const uint64_t first = bi == 3 ? (1ull << 40) + 12345 : li * 7;
            const float keep = bi == 3 ? 1.0f / 0.9f : 1.25f;
            float *x = mat_alloc(rows, cols, ld, li % 3);
            float *want = malloc(rows * ld * sizeof(float));
            ptc_rng rng = ptc_rng_seeded(ctx->seed + 0xd0 + li);
            size_t dropped = 0;
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < ld && r * ld + c < (rows - 1) * ld + cols; c++) {
                    float *e = &x[r * ld + c];
                    *e = c < cols ? ptc_rng_uniform(&rng, -2.0f, 2.0f) : SENTINEL;
                    const bool drop = c < cols &&
                                      ptc_dropout_draw(prefix, first + r * cols + c) < bounds[bi];
                    want[r * ld + c] = c >= cols ? SENTINEL : drop ? 0.0f : *e * keep;
                    dropped += drop;
                }
            ctx->ops->dropout_rows(rows, cols, x, ld, prefix, first, bounds[bi], keep);
            bool same = true;
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < ld && r * ld + c < (rows - 1) * ld + cols; c++)
                    same = same && memcmp(&x[r * ld + c], &want[r * ld + c], sizeof(float)) == 0;
            ptc_check(ctx, same, "dropout_rows cols %zu bound %llu: differs from its definition",
                      cols, (unsigned long long)bounds[bi]);
            if (bi == 0 || bi == 2)
                ptc_check(ctx, dropped == (bi == 0 ? 0 : rows * cols),
                          "bound %llu: %zu of %zu dropped", (unsigned long long)bounds[bi],
                          dropped, rows * cols);
            free(want);
            ptc_test_free(ctx, x);
        }
}
