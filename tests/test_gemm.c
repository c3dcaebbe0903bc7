/*
 * tests/test_gemm.c — sgemm: every table against ref, ref against a double oracle.
 *
 * For C = alpha*op(A)*op(B) + beta*C the oracle computes in double
 *   exact = sum_p a_ip b_pj,  S = sum_p |a_ip||b_pj|
 * and a float result is accepted when
 *   |got - want| <= (k + 4) * FLT_EPSILON * (|alpha| S + |beta c0|)  (+ a tiny floor)
 * (the classic bound for a k-term float dot product, plus the alpha and beta
 * roundings and slack for k blocking). Tables other than ref are checked against
 * ref with twice that bound, and against the oracle with the bound itself.
 *
 * Shapes cover the micro-kernel edges of every table (avx2 6x16, avx512 14x32,
 * neon 8x12): m around 1..2*MR+1, n over 1..2W+1 and around NR and 2NR, primes,
 * k = 0 and 1, k past KC (256/384), m past MC and n past NC (non-quick), all four
 * transpose combinations, leading dimensions past the row width (the gap holds
 * NaN: reading it would poison the result; writing it is caught), misaligned
 * pointers, guard zones, alpha in {1, -0.5, 0} x beta in {0, 1, 0.7}, and beta = 0
 * over a C full of NaN. Threads: bit-identical results for 1 and 2 OpenMP
 * threads, and when called from inside a parallel region on every thread.
 */
#include "ptc_test.h"

#include "ptc/cpu.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gemm_case {
    ptc_trans ta, tb;
    size_t m, n, k;
    float alpha, beta;
    size_t pad;        /* extra floats per row of A, B and C (leading dimension - width) */
    size_t misalign;   /* floats past a 64-byte boundary for A, B, C (varied per buffer) */
    bool nan_c;        /* fill C with NaN before the call (only meaningful with beta == 0) */
} gemm_case;

/* A stored matrix: rows x cols with leading dimension ld, in a guarded buffer
 * that ends right after the last element; gaps stay NaN. */
typedef struct stored {
    float *p;
    size_t rows, cols, ld, len;
} stored;

static stored stored_alloc(size_t rows, size_t cols, size_t pad, size_t misalign)
{
    stored s = {NULL, rows, cols, cols + pad, 0};
    s.len = rows ? (rows - 1) * s.ld + cols : 0;
    s.p = ptc_test_alloc(s.len ? s.len : 1, misalign);
    return s;
}

static void stored_fill(stored *s, ptc_rng *rng)
{
    for (size_t r = 0; r < s->rows; r++)
        ptc_rng_fill(rng, s->p + r * s->ld, s->cols, -1.0f, 1.0f);
}

static const char *trans_name(ptc_trans t) { return t == PTC_NO_TRANS ? "N" : "T"; }

/* Runs one case on ctx->ops, checks it (see the file header); returns false on failure. */
static bool gemm_check_case(ptc_test_ctx *ctx, const gemm_case *gc, uint64_t seed)
{
    const size_t m = gc->m, n = gc->n, k = gc->k;
    ptc_rng rng = ptc_rng_seeded(seed);
    stored a = gc->ta == PTC_NO_TRANS ? stored_alloc(m, k, gc->pad, gc->misalign)
                                      : stored_alloc(k, m, gc->pad, gc->misalign);
    stored b = gc->tb == PTC_NO_TRANS ? stored_alloc(k, n, gc->pad, gc->misalign + 1)
                                      : stored_alloc(n, k, gc->pad, gc->misalign + 1);
    stored c = stored_alloc(m, n, gc->pad, gc->misalign + 2);
    stored_fill(&a, &rng);
    stored_fill(&b, &rng);
    if (!gc->nan_c)
        stored_fill(&c, &rng);
    float *c0 = malloc((c.len ? c.len : 1) * sizeof(float));
    float *c_ref = ptc_test_alloc(c.len ? c.len : 1, 0);
    memcpy(c0, c.p, c.len * sizeof(float));
    memcpy(c_ref, c.p, c.len * sizeof(float));

    ctx->ops->sgemm(gc->ta, gc->tb, m, n, k, gc->alpha, a.p, a.ld, b.p, b.ld, gc->beta, c.p, c.ld);
    const bool vs_ref = ctx->ops != ctx->ref;
    if (vs_ref)
        ctx->ref->sgemm(gc->ta, gc->tb, m, n, k, gc->alpha, a.p, a.ld, b.p, b.ld, gc->beta,
                        c_ref, c.ld);

    char what[160];
    snprintf(what, sizeof what, "sgemm %s%s m=%zu n=%zu k=%zu alpha=%g beta=%g pad=%zu mis=%zu%s seed=%llu",
             trans_name(gc->ta), trans_name(gc->tb), m, n, k, gc->alpha, gc->beta, gc->pad,
             gc->misalign, gc->nan_c ? " nanC" : "", (unsigned long long)seed);
    bool ok = true;
    for (size_t i = 0; i < m && ok; i++) {
        for (size_t j = 0; j < n && ok; j++) {
            double exact = 0.0, scale = 0.0;
            for (size_t p = 0; p < k; p++) {
                const double x = gc->ta == PTC_NO_TRANS ? a.p[i * a.ld + p] : a.p[p * a.ld + i];
                const double y = gc->tb == PTC_NO_TRANS ? b.p[p * b.ld + j] : b.p[j * b.ld + p];
                exact += x * y;
                scale += fabs(x * y);
            }
            const double cij = c0[i * c.ld + j];
            double want = gc->alpha * exact, bound = fabs(gc->alpha) * scale;
            if (gc->beta != 0.0f) {
                want += gc->beta * cij;
                bound += fabs(gc->beta * cij);
            }
            const double tol = (double)(k + 4) * FLT_EPSILON * bound + 1e-30;
            const float got = c.p[i * c.ld + j];
            ok = ptc_check(ctx, fabs(got - want) <= tol,
                           "%s: C[%zu][%zu] = %.9g, oracle %.9g (tol %.3g)", what, i, j, got, want, tol);
            if (ok && vs_ref) {
                const float r = c_ref[i * c.ld + j];
                ok = ptc_check(ctx, fabs(got - r) <= 2.0 * tol,
                               "%s: C[%zu][%zu] = %.9g, ref %.9g (tol %.3g)", what, i, j, got, r, 2.0 * tol);
            }
        }
        /* the gap after row i (inside C) must be untouched */
        for (size_t j = n; j < c.ld && i + 1 < m && ok; j++)
            ok = ptc_check(ctx, memcmp(&c.p[i * c.ld + j], &c0[i * c.ld + j], sizeof(float)) == 0,
                           "%s: wrote C[%zu][%zu] in the leading-dimension gap", what, i, j);
    }
    ptc_test_free(ctx, a.p);
    ptc_test_free(ctx, b.p);
    ptc_test_free(ctx, c.p);
    ptc_test_free(ctx, c_ref);
    free(c0);
    return ok;
}

static const float alphas[] = {1.0f, -0.5f, 0.0f};
static const float betas[] = {0.0f, 1.0f, 0.7f};

/* Micro-kernel edges: m around MR multiples of every table (6, 8, 14), n over
 * 1..2W+1 and around NR multiples (12, 16, 32), k small, all transposes;
 * alpha, beta, padding and misalignment cycle with the case number. */
PTC_KERNEL_TEST(gemm_tile_edges)
{
    static const size_t ms_full[] = {1, 2, 3, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 28, 29, 31, 97, 113};
    static const size_t ms_quick[] = {1, 2, 3, 5, 6, 7, 8, 9, 13, 14, 15, 17, 29};
    static const size_t ns_extra[] = {11, 12, 13, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 65, 97, 113};
    static const size_t ks_full[] = {1, 2, 5, 16, 31};
    static const size_t ks_quick[] = {1, 3};
    const size_t *ms = ctx->quick ? ms_quick : ms_full;
    const size_t n_ms = ctx->quick ? sizeof ms_quick / sizeof *ms : sizeof ms_full / sizeof *ms;
    const size_t *ks = ctx->quick ? ks_quick : ks_full;
    const size_t n_ks = ctx->quick ? sizeof ks_quick / sizeof *ks : sizeof ks_full / sizeof *ks;
    const size_t w = ctx->ops->vector_floats;
    const size_t n_extra = ctx->quick ? 11 : sizeof ns_extra / sizeof *ns_extra;

    size_t ns[64], n_ns = 0;
    for (size_t n = 1; n <= 2 * w + 1; n++)
        ns[n_ns++] = n;
    for (size_t e = 0; e < n_extra; e++)
        if (ns_extra[e] > 2 * w + 1)
            ns[n_ns++] = ns_extra[e];

    uint64_t case_no = 0;
    for (int t = 0; t < 4; t++) {
        for (size_t mi = 0; mi < n_ms; mi++) {
            for (size_t ni = 0; ni < n_ns; ni++) {
                for (size_t ki = 0; ki < n_ks; ki++, case_no++) {
                    gemm_case gc = {
                        .ta = t & 1 ? PTC_TRANS : PTC_NO_TRANS,
                        .tb = t & 2 ? PTC_TRANS : PTC_NO_TRANS,
                        .m = ms[mi], .n = ns[ni], .k = ks[ki],
                        .alpha = case_no % 5 == 4 ? -0.5f : 1.0f,
                        .beta = betas[case_no % 3],
                        .pad = case_no % 4 == 1 ? 3 : 0,
                        .misalign = case_no % 7,
                    };
                    gc.nan_c = gc.beta == 0.0f;
                    if (!gemm_check_case(ctx, &gc, ctx->seed + case_no))
                        return;
                }
            }
        }
    }
}

/* alpha x beta grid, k = 0 and 1, padding and misalignment, NaN C under beta 0. */
PTC_KERNEL_TEST(gemm_alpha_beta_k0)
{
    static const size_t ks[] = {0, 1, 19};
    uint64_t case_no = 0;
    for (int t = 0; t < 4; t++)
        for (size_t ai = 0; ai < 3; ai++)
            for (size_t bi = 0; bi < 3; bi++)
                for (size_t ki = 0; ki < 3; ki++, case_no++) {
                    gemm_case gc = {
                        .ta = t & 1 ? PTC_TRANS : PTC_NO_TRANS,
                        .tb = t & 2 ? PTC_TRANS : PTC_NO_TRANS,
                        .m = 13, .n = 37, .k = ks[ki],
                        .alpha = alphas[ai], .beta = betas[bi],
                        .pad = 5, .misalign = 1 + case_no % 13,
                        .nan_c = betas[bi] == 0.0f,
                    };
                    if (!gemm_check_case(ctx, &gc, ctx->seed + 1000 + case_no))
                        return;
                }
    /* m == 0 or n == 0: nothing is touched (C is a guarded 1-float buffer of NaN) */
    float *c = ptc_test_alloc(1, 0);
    const float one = 1.0f;
    ctx->ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, 0, 1, 1, 1.0f, &one, 1, &one, 1, 0.0f, c, 1);
    ctx->ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, 1, 0, 1, 1.0f, &one, 1, &one, 1, 0.0f, c, 1);
    ptc_check(ctx, isnan(c[0]), "sgemm with m == 0 or n == 0 wrote C");
    ptc_test_free(ctx, c);
}

/* Crossing the cache blocks: k past KC (and uneven k blocks), m past MC, n past NC. */
PTC_KERNEL_TEST(gemm_blocking)
{
    gemm_case cases[] = {
        {PTC_NO_TRANS, PTC_NO_TRANS, 7, 19, 517, 1.0f, 0.7f, 1, 3, false},
        {PTC_TRANS, PTC_TRANS, 9, 21, 389, -0.5f, 0.0f, 0, 2, true},
        {PTC_NO_TRANS, PTC_TRANS, 300, 40, 30, 1.0f, 1.0f, 2, 1, false},   /* m > MC */
        {PTC_TRANS, PTC_NO_TRANS, 20, 3100, 24, 1.0f, 0.0f, 0, 5, true},   /* n > NC */
        {PTC_NO_TRANS, PTC_NO_TRANS, 150, 100, 800, 1.0f, 0.7f, 3, 0, false},
        {PTC_TRANS, PTC_TRANS, 151, 99, 521, -0.5f, 1.0f, 0, 7, false},
    };
    const size_t count = ctx->quick ? 2 : sizeof cases / sizeof *cases;
    for (size_t i = 0; i < count; i++)
        if (!gemm_check_case(ctx, &cases[i], ctx->seed + 2000 + i))
            return;
}

static void check_threads_bit_identical(ptc_test_ctx *ctx, size_t m, size_t n, size_t k,
                                        uint64_t seed);

/* Block sizes from other caches (ptc_cpu_set_caches): tiny L1d/L2/L3 make KC 32,
 * MC a few tiles and NC a few hundred columns, so every layout crosses all three
 * blocks at small shapes; results stay within the bound and bit-identical over
 * thread counts. The detected sizes are restored afterwards. */
PTC_KERNEL_TEST(gemm_blocking_other_caches)
{
    const ptc_cpu_caches detected = ptc_cpu_cache_sizes();
    ptc_check(ctx, detected.l1d >= 4096 && detected.l2 >= detected.l1d,
              "implausible caches: L1d %zu, L2 %zu", detected.l1d, detected.l2);
    const ptc_cpu_caches small = {.l1d = 4096, .l2 = 32768, .l3 = 65536};
    ptc_cpu_set_caches(&small);
    const ptc_cpu_caches got = ptc_cpu_cache_sizes();
    ptc_check(ctx, got.l1d == small.l1d && got.l2 == small.l2 && got.l3 == small.l3,
              "ptc_cpu_set_caches was not applied");
    uint64_t case_no = 0;
    for (int t = 0; t < 4; t++) {
        gemm_case gc = {
            .ta = t & 1 ? PTC_TRANS : PTC_NO_TRANS, .tb = t & 2 ? PTC_TRANS : PTC_NO_TRANS,
            .m = ctx->quick ? 45 : 97, .n = ctx->quick ? 300 : 613, .k = ctx->quick ? 75 : 203,
            .alpha = t == 3 ? -0.5f : 1.0f, .beta = t == 1 ? 0.0f : 0.7f,
            .pad = (size_t)t, .misalign = 1 + (size_t)t,
        };
        gc.nan_c = gc.beta == 0.0f;
        if (!gemm_check_case(ctx, &gc, ctx->seed + 2500 + case_no++))
            break;
    }
    check_threads_bit_identical(ctx, 97, 613, 203, ctx->seed + 2600);
    if (!ctx->quick) /* more rows than columns of tiles: row splits as well */
        check_threads_bit_identical(ctx, 301, 613, 203, ctx->seed + 2601);
    /* grids with rows (tall: 2x1 ... 4x1; square: 2x2 on 4 threads) whose threads
     * pack B panels together: 7 KC blocks and 2 NC blocks per grid column cycle the
     * two shared buffers many times */
    check_threads_bit_identical(ctx, 613, 97, 203, ctx->seed + 2602);
    check_threads_bit_identical(ctx, 613, 613, 203, ctx->seed + 2603);
    ptc_cpu_set_caches(NULL);
    const ptc_cpu_caches back = ptc_cpu_cache_sizes();
    ptc_check(ctx, back.l1d == detected.l1d && back.l2 == detected.l2 && back.l3 == detected.l3,
              "ptc_cpu_set_caches(NULL) did not restore the detected sizes");
}

/* Both AVX-512 tiles whatever this CPU is (ptc_cpu_set_fma512_class): the split-FMA
 * (Zen 4) and full-width (Intel) choices each pass tile edges, k past KC and the
 * thread check; detection is restored after. Other tables ignore the class. */
PTC_KERNEL_TEST(gemm_fma512_classes)
{
    static const ptc_fma512_class classes[] = {PTC_FMA512_SPLIT, PTC_FMA512_FULL};
    const ptc_fma512_class detected = ptc_cpu_fma512_class();
    uint64_t case_no = 0;
    for (size_t ci = 0; ci < 2; ci++) {
        ptc_cpu_set_fma512_class(&classes[ci]);
        ptc_check(ctx, ptc_cpu_fma512_class() == classes[ci],
                  "ptc_cpu_set_fma512_class was not applied");
        bool ok = true;
        for (int t = 0; t < 4 && ok; t++) {
            gemm_case gc = {
                .ta = t & 1 ? PTC_TRANS : PTC_NO_TRANS, .tb = t & 2 ? PTC_TRANS : PTC_NO_TRANS,
                .m = 29, .n = 65, .k = ctx->quick ? 37 : 300,
                .alpha = t == 3 ? -0.5f : 1.0f, .beta = t == 1 ? 0.0f : 0.7f,
                .pad = (size_t)t, .misalign = 1 + (size_t)t,
            };
            gc.nan_c = gc.beta == 0.0f;
            ok = gemm_check_case(ctx, &gc, ctx->seed + 2700 + case_no++);
        }
        if (ok)
            check_threads_bit_identical(ctx, 43, 97, ctx->quick ? 37 : 300, ctx->seed + 2800 + ci);
    }
    ptc_cpu_set_fma512_class(NULL);
    ptc_check(ctx, ptc_cpu_fma512_class() == detected,
              "ptc_cpu_set_fma512_class(NULL) did not restore detection");
}

/* m x n x k in every layout: bit-identical results for 1 and 2 threads, and on
 * each thread of a parallel region. */
static void check_threads_bit_identical(ptc_test_ctx *ctx, size_t m, size_t n, size_t k,
                                        uint64_t seed)
{
    ptc_rng rng = ptc_rng_seeded(seed);
    float *a = ptc_test_alloc(m * k, 1), *b = ptc_test_alloc(k * n, 2);
    float *c_init = ptc_test_alloc(m * n, 0);
    ptc_rng_fill(&rng, a, m * k, -1.0f, 1.0f);
    ptc_rng_fill(&rng, b, k * n, -1.0f, 1.0f);
    ptc_rng_fill(&rng, c_init, m * n, -1.0f, 1.0f);
    enum { threads = 2 };
    float *c1 = ptc_test_alloc(m * n, 3), *c2 = ptc_test_alloc(m * n, 5);
    float *c_in[threads];
    for (int t = 0; t < threads; t++)
        c_in[t] = ptc_test_alloc(m * n, (size_t)t);

    const int saved = omp_get_max_threads();
    for (int t = 0; t < 4; t++) {
        const ptc_trans ta = t & 1 ? PTC_TRANS : PTC_NO_TRANS, tb = t & 2 ? PTC_TRANS : PTC_NO_TRANS;
        const size_t lda = ta == PTC_NO_TRANS ? k : m, ldb = tb == PTC_NO_TRANS ? n : k;
        memcpy(c1, c_init, m * n * sizeof(float));
        memcpy(c2, c_init, m * n * sizeof(float));
        omp_set_num_threads(1);
        ctx->ops->sgemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.7f, c1, n);
        /* 2, 3 and 4 threads: grids of 2x1 ... 1x4 rectangles, whichever the grid
         * chooser takes for the shape */
        for (int nt = 2; nt <= 4; nt++) {
            memcpy(c2, c_init, m * n * sizeof(float));
            omp_set_num_threads(nt);
            ctx->ops->sgemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.7f, c2, n);
            omp_set_num_threads(saved);
            ptc_check(ctx, memcmp(c1, c2, m * n * sizeof(float)) == 0,
                      "sgemm %s%s %zux%zux%zu: 1 and %d threads differ", trans_name(ta),
                      trans_name(tb), m, n, k, nt);
        }
        for (int th = 0; th < threads; th++)
            memcpy(c_in[th], c_init, m * n * sizeof(float));
        int team = 0;
#pragma omp parallel num_threads(threads)
        {
            const int me = omp_get_thread_num();
            if (me == 0)
                team = omp_get_num_threads();
            ctx->ops->sgemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.7f, c_in[me], n);
        }
        for (int th = 0; th < team; th++)
            ptc_check(ctx, memcmp(c1, c_in[th], m * n * sizeof(float)) == 0,
                      "sgemm %s%s %zux%zux%zu: thread %d of a parallel region differs",
                      trans_name(ta), trans_name(tb), m, n, k, th);
    }
    ptc_check(ctx, omp_get_max_threads() == saved, "thread count not restored");
    for (int t = 0; t < threads; t++)
        ptc_test_free(ctx, c_in[t]);
    ptc_test_free(ctx, a);
    ptc_test_free(ctx, b);
    ptc_test_free(ctx, c_init);
    ptc_test_free(ctx, c1);
    ptc_test_free(ctx, c2);
}

PTC_KERNEL_TEST(gemm_threads_bit_identical)
{
    check_threads_bit_identical(ctx, ctx->quick ? 61 : 203, ctx->quick ? 67 : 301,
                                ctx->quick ? 270 : 650, ctx->seed + 3000);
    /* tall (a row split for any tile) and wide (a column split) */
    check_threads_bit_identical(ctx, ctx->quick ? 130 : 517, 37, ctx->quick ? 70 : 300,
                                ctx->seed + 3001);
    check_threads_bit_identical(ctx, 9, ctx->quick ? 400 : 1300, ctx->quick ? 70 : 300,
                                ctx->seed + 3002);
}

/* A product's columns do not depend on how many columns it has: the first n columns of
 * a product 1100 columns wide equal, bit for bit, the product with those n columns
 * alone. Narrow products read op(A) = A in place where a table has that kernel
 * (gemm_driver.c, a_in_place_pays: AVX2), wide ones pack it, so this compares the
 * two paths: NN and NT, 1 thread, tail rows (m % MR != 0), two k blocks, a leading
 * dimension past the row and a misaligned A. */
PTC_KERNEL_TEST(gemm_narrow_equals_wide_columns)
{
    enum { WIDE = 1100 };
    const size_t m = ctx->quick ? 61 : 127, k = 700, lda = k + 3;
    static const size_t narrow[] = {16, 100, 128, 509};
    ptc_rng rng = ptc_rng_seeded(ctx->seed + 3100);
    float *a = ptc_test_alloc(m * lda, 1), *b = ptc_test_alloc(k * WIDE, 0);
    float *b_narrow = ptc_test_alloc(k * WIDE, 2), *c_init = ptc_test_alloc(m * WIDE, 0);
    float *c_wide = ptc_test_alloc(m * WIDE, 0), *c_narrow = ptc_test_alloc(m * WIDE, 3);
    ptc_rng_fill(&rng, a, m * lda, -1.0f, 1.0f);
    ptc_rng_fill(&rng, b, k * WIDE, -1.0f, 1.0f);
    ptc_rng_fill(&rng, c_init, m * WIDE, -1.0f, 1.0f);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    for (int t = 0; t < 2; t++) {
        const ptc_trans tb = t ? PTC_TRANS : PTC_NO_TRANS;
        memcpy(c_wide, c_init, m * WIDE * sizeof(float));
        ctx->ops->sgemm(PTC_NO_TRANS, tb, m, WIDE, k, 0.5f, a, lda, b, tb ? k : WIDE, 0.7f,
                        c_wide, WIDE);
        for (size_t i = 0; i < sizeof narrow / sizeof *narrow; i++) {
            const size_t n = narrow[i];
            /* op(B)'s first n columns: B's first n columns (NN), B^T's first n rows (NT) */
            for (size_t p = 0; p < k; p++)
                for (size_t j = 0; j < n; j++)
                    if (tb)
                        b_narrow[j * k + p] = b[j * k + p];
                    else
                        b_narrow[p * n + j] = b[p * WIDE + j];
            for (size_t r = 0; r < m; r++)
                memcpy(c_narrow + r * n, c_init + r * WIDE, n * sizeof(float));
            ctx->ops->sgemm(PTC_NO_TRANS, tb, m, n, k, 0.5f, a, lda, b_narrow, tb ? k : n, 0.7f,
                            c_narrow, n);
            bool same = true;
            for (size_t r = 0; r < m && same; r++)
                same = memcmp(c_narrow + r * n, c_wide + r * WIDE, n * sizeof(float)) == 0;
            ptc_check(ctx, same, "sgemm N%s %zux%zux%zu: not the first %zu columns of %zux%dx%zu",
                      trans_name(tb), m, n, k, n, m, (int)WIDE, k);
        }
    }
    omp_set_num_threads(saved);
    ptc_test_free(ctx, a);
    ptc_test_free(ctx, b);
    ptc_test_free(ctx, b_narrow);
    ptc_test_free(ctx, c_init);
    ptc_test_free(ctx, c_wide);
    ptc_test_free(ctx, c_narrow);
}
