/*
 * tests/perf/bench_layouts.c — ptc-bench-layouts: sgemm in every layout the encoder
 * and training call (NN, NT = x W^T, TN) at the three BERT-base shapes, ptc's tables
 * beside OpenBLAS (cblas_sgemm) and oneDNN (dnnl_sgemm); attention against
 * attention_importance (12 heads of d = 64 in the fused QKV layout, n = 512 and
 * 2048) per table; the fused
 * epilogues (linear with bias + GELU, residual_layernorm) against their unfused
 * compositions; Q, K, V of 512 rows by three linears (768 -> 768 each) against one
 * over the packed (2304, 768) weight (ptc_mhsa_options.fused_qkv).
 *
 * A benchmark, not a test: it asserts nothing. Each case runs `reps` times after
 * one warm-up; it prints the median GFLOP/s and the min..max over the repetitions.
 * OpenBLAS and oneDNN are linked into this program only (benchmark peers).
 *
 *   ptc-bench-layouts [THREADS [REPS]]     (default 1 thread, 7 repetitions)
 */
#include "ptc/ops.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void openblas_set_num_threads(int);

enum { MAX_REPS = 99 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Sleeps `seconds` without using the CPU. OpenBLAS's worker threads keep spinning
 * for a while after they start and after each call (its THREAD_TIMEOUT, about 2^28
 * cycles) before they sleep; a case measured in that window shares a core with
 * them (the first 2-thread ptc case ran at 75 GFLOP/s, below 1-thread speed). */
static void let_openblas_threads_sleep(void)
{
    const struct timespec pause = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef enum { PEER_PTC, PEER_OPENBLAS, PEER_ONEDNN } peer;

typedef struct gemm_call {
    peer who;
    const ptc_ops *ops;
    ptc_trans ta, tb;
    size_t m, n, k;
    const float *a, *b;
    float *c;
} gemm_call;

static void gemm_run(const gemm_call *g)
{
    const size_t lda = g->ta == PTC_NO_TRANS ? g->k : g->m;
    const size_t ldb = g->tb == PTC_NO_TRANS ? g->n : g->k;
    switch (g->who) {
    case PEER_PTC:
        g->ops->sgemm(g->ta, g->tb, g->m, g->n, g->k, 1.0f, g->a, lda, g->b, ldb, 0.0f, g->c, g->n);
        break;
    case PEER_OPENBLAS:
        cblas_sgemm(CblasRowMajor, g->ta == PTC_TRANS ? CblasTrans : CblasNoTrans,
                    g->tb == PTC_TRANS ? CblasTrans : CblasNoTrans, (int)g->m, (int)g->n,
                    (int)g->k, 1.0f, g->a, (int)lda, g->b, (int)ldb, 0.0f, g->c, (int)g->n);
        break;
    case PEER_ONEDNN:
        dnnl_sgemm(g->ta == PTC_TRANS ? 'T' : 'N', g->tb == PTC_TRANS ? 'T' : 'N', (dnnl_dim_t)g->m,
                   (dnnl_dim_t)g->n, (dnnl_dim_t)g->k, 1.0f, g->a, (dnnl_dim_t)lda, g->b,
                   (dnnl_dim_t)ldb, 0.0f, g->c, (dnnl_dim_t)g->n);
        break;
    }
}

/* median and range of `reps` GFLOP/s figures of `flops` per call */
static void report(const char *what, double flops, const double *secs, int reps)
{
    double g[MAX_REPS];
    for (int r = 0; r < reps; r++)
        g[r] = flops / secs[r] * 1e-9;
    qsort(g, (size_t)reps, sizeof *g, cmp_double);
    printf("%-40s %8.1f GFLOP/s  (min %.1f, max %.1f, %d reps)\n", what, g[reps / 2], g[0],
           g[reps - 1], reps);
}

static void bench_gemm(const gemm_call *g, const char *name, int reps)
{
    double secs[MAX_REPS];
    gemm_run(g); /* warm-up */
    for (int r = 0; r < reps; r++) {
        const double t0 = now();
        gemm_run(g);
        secs[r] = now() - t0;
    }
    char what[96];
    snprintf(what, sizeof what, "sgemm %s%s %zux%zux%zu %s", g->ta == PTC_TRANS ? "T" : "N",
             g->tb == PTC_TRANS ? "T" : "N", g->m, g->n, g->k, name);
    report(what, 2.0 * (double)g->m * (double)g->n * (double)g->k, secs, reps);
}

/* 12 heads of (n, d) in (n, 12 d) buffers, as the encoder calls it */
static void bench_attention(const ptc_ops *ops, int importance, size_t n, size_t d, int reps,
                            const float *qkv, float *o, float *imp)
{
    enum { HEADS = 12 };
    const size_t width = HEADS * d;
    double secs[MAX_REPS];
    for (int r = -1; r < reps; r++) {
        const double t0 = now();
        for (size_t h = 0; h < HEADS; h++) {
            const ptc_attention_args args = {
                .n_q = n, .n_kv = n, .d = d, .q = qkv + h * d, .ldq = 3 * width,
                .k = qkv + width + h * d, .ldk = 3 * width, .v = qkv + 2 * width + h * d,
                .ldv = 3 * width, .scale = 0.125f, .o = o + h * d, .ldo = width,
            };
            if (importance)
                ops->attention_importance(&args, NULL, imp);
            else
                ops->attention(&args);
        }
        if (r >= 0)
            secs[r] = now() - t0;
    }
    char what[96];
    snprintf(what, sizeof what, "%s n=%zu d=%zu x12 %s", importance ? "attention_importance" : "attention",
             n, d, ops->name);
    report(what, 12.0 * 4.0 * (double)n * (double)n * (double)d, secs, reps);
}

/* seconds of fn(ctx) per call: median and range over reps, after one warm-up */
typedef struct fused_ctx {
    const ptc_ops *ops;
    const float *x, *w, *bias, *res, *gamma, *beta;
    float *y, *tmp;
} fused_ctx;

static void linear_unfused(const fused_ctx *f)
{
    for (size_t r = 0; r < 512; r++)
        memcpy(f->y + r * 3072, f->bias, 3072 * sizeof(float));
    f->ops->sgemm(PTC_NO_TRANS, PTC_TRANS, 512, 3072, 768, 1.0f, f->x, 768, f->w, 768, 1.0f, f->y,
                  3072);
    f->ops->gelu_fwd(512 * 3072, f->y, f->y);
}

static void linear_fused(const fused_ctx *f)
{
    f->ops->linear(512, 768, 3072, f->x, 768, f->w, f->bias, PTC_ACT_GELU, f->y, 3072);
}

static void residual_ln_unfused(const fused_ctx *f)
{
    for (size_t i = 0; i < 512 * 768; i++)
        f->tmp[i] = f->x[i] + f->res[i];
    f->ops->layernorm_fwd(512, 768, f->tmp, 768, f->gamma, f->beta, 1e-12f, f->y, 768, NULL, NULL);
}

static void residual_ln_fused(const fused_ctx *f)
{
    f->ops->residual_layernorm(512, 768, f->x, 768, f->res, 768, f->gamma, f->beta, 1e-12f, f->y,
                               768, NULL, 0, NULL, NULL);
}

static void qkv_three(const fused_ctx *f)
{
    for (size_t i = 0; i < 3; i++)
        f->ops->linear(512, 768, 768, f->x, 768, f->w + i * 768 * 768, f->bias + i * 768,
                       PTC_ACT_NONE, f->y + i * 768, 3 * 768);
}

static void qkv_one(const fused_ctx *f)
{
    f->ops->linear(512, 768, 3 * 768, f->x, 768, f->w, f->bias, PTC_ACT_NONE, f->y, 3 * 768);
}

static void bench_fused(const char *what, void (*fn)(const fused_ctx *), const fused_ctx *f,
                        double flops, int reps)
{
    double secs[MAX_REPS];
    fn(f);
    for (int r = 0; r < reps; r++) {
        const double t0 = now();
        fn(f);
        secs[r] = now() - t0;
    }
    char name[96];
    snprintf(name, sizeof name, "%s %s", what, f->ops->name);
    report(name, flops, secs, reps);
}

static float *random_floats(size_t count, unsigned seed)
{
    float *x = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
    if (!x) {
        fprintf(stderr, "ptc-bench-layouts: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < count; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    return x;
}

int main(int argc, char **argv)
{
    const int threads = argc > 1 ? atoi(argv[1]) : 1;
    const int reps = argc > 2 ? atoi(argv[2]) : 7;
    if (argc > 3 || threads < 1 || reps < 1 || reps > MAX_REPS) {
        fprintf(stderr, "usage: ptc-bench-layouts [THREADS [REPS (1..%d)]]\n", MAX_REPS);
        return 2;
    }
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    printf("threads %d, reps %d (noisy where the machine is shared)\n", threads, reps);
    let_openblas_threads_sleep();

    static const size_t shapes[][3] = {{512, 768, 768}, {512, 3072, 768}, {512, 768, 3072}};
    const size_t most = 512 * 3072;
    float *a = random_floats(most, 1), *b = random_floats(3072 * 3072, 2);
    float *c = random_floats(most, 3);
    size_t n_tables = 0;
    const ptc_ops *const *tables = ptc_ops_all(&n_tables);
    static const ptc_trans layouts[][2] = {
        {PTC_NO_TRANS, PTC_NO_TRANS}, {PTC_NO_TRANS, PTC_TRANS}, {PTC_TRANS, PTC_NO_TRANS}};
    for (size_t s = 0; s < 3; s++)
        for (size_t l = 0; l < 3; l++) {
            gemm_call g = {.ta = layouts[l][0], .tb = layouts[l][1], .m = shapes[s][0],
                           .n = shapes[s][1], .k = shapes[s][2], .a = a, .b = b, .c = c};
            for (size_t t = 0; t < n_tables; t++) {
                if (!ptc_ops_supported(tables[t]) || !strcmp(tables[t]->name, "ref"))
                    continue;
                g.who = PEER_PTC;
                g.ops = tables[t];
                char name[32];
                snprintf(name, sizeof name, "ptc %s", tables[t]->name);
                bench_gemm(&g, name, reps);
            }
            g.who = PEER_OPENBLAS;
            bench_gemm(&g, "OpenBLAS", reps);
            let_openblas_threads_sleep();
            g.who = PEER_ONEDNN;
            bench_gemm(&g, "oneDNN", reps);
        }

    /* BERT's length and a long document's (past 512 keys the kernels list their tiles,
     * copy the rows and save importance's probabilities in scratch) */
    static const size_t attention_lengths[] = {512, 2048};
    const size_t longest = 2048;
    float *qkv = random_floats(longest * 3 * 768, 4), *o = random_floats(longest * 768, 5);
    float *imp = random_floats(longest, 6);
    for (size_t t = 0; t < n_tables; t++) {
        if (!ptc_ops_supported(tables[t]) || !strcmp(tables[t]->name, "ref"))
            continue;
        for (size_t i = 0; i < sizeof attention_lengths / sizeof attention_lengths[0]; i++) {
            bench_attention(tables[t], 0, attention_lengths[i], 64, reps, qkv, o, imp);
            bench_attention(tables[t], 1, attention_lengths[i], 64, reps, qkv, o, imp);
        }
    }
    /* fused epilogues: FFN up-projection with bias + GELU; residual + LayerNorm */
    float *w = random_floats(3072 * 768, 7), *y = random_floats(512 * 3072, 8);
    for (size_t t = 0; t < n_tables; t++) {
        if (!ptc_ops_supported(tables[t]) || !strcmp(tables[t]->name, "ref"))
            continue;
        const fused_ctx f = {.ops = tables[t], .x = a, .w = w, .bias = b, .res = c,
                             .gamma = b + 1024, .beta = b + 2048, .y = y, .tmp = o};
        const double lin_flops = 2.0 * 512 * 768 * 3072, ln_flops = 512.0 * 768 * 8;
        bench_fused("linear 512x768->3072 bias+gelu unfused", linear_unfused, &f, lin_flops, reps);
        bench_fused("linear 512x768->3072 bias+gelu fused", linear_fused, &f, lin_flops, reps);
        bench_fused("residual+layernorm 512x768 unfused", residual_ln_unfused, &f, ln_flops, reps);
        bench_fused("residual+layernorm 512x768 fused", residual_ln_fused, &f, ln_flops, reps);
        const double qkv_flops = 3 * 2.0 * 512 * 768 * 768;
        bench_fused("QKV 512x768->3x768 three linears", qkv_three, &f, qkv_flops, reps);
        bench_fused("QKV 512x768->2304 one linear", qkv_one, &f, qkv_flops, reps);
    }
    free(w), free(y);
    free(a), free(b), free(c), free(qkv), free(o), free(imp);
    return 0;
}
