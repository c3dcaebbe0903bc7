/*
 * harness/bench/bench_kernels.c — build/ptc-bench-kernels: GFLOP/s of ptc's kernels
 * against OpenBLAS and against the machine's measured peak.
 *
 * For every ops table the CPU supports (or the one given by --isa) and every
 * thread count (--threads, default 1,2) it times, through Google Benchmark
 * (harness/bench/gbench.h):
 *   sgemm      C (M, N) = A (M, K) B (K, N) (NN) and A B^T with B stored (N, K)
 *              (NT: the encoder's x W^T; its shape reads "... NT") at the BERT-base
 *              shapes 512x768x768, 512x3072x768, 512x768x3072 (M x N x K), 2MNK
 *              flops; threads via omp_set_num_threads (ops->sgemm splits over OpenMP).
 *   attention  ops->attention, one head, n queries x n keys, d = 64, 4 n^2 d flops,
 *              n = 128 .. 4096; the op is single-threaded, so T threads each run
 *              it on their own 1/T of the query rows (same keys).
 * and the peers, OpenBLAS cblas_sgemm (openblas_set_num_threads) and oneDNN
 * dnnl_sgemm (OpenMP threads), on the same shapes and layouts in the same run (both
 * are linked into this program only). Each figure is also a % of the measured peak
 * FMA rate (include/ptc/peak.h) of that table's ISA at that thread count (of the
 * best ISA for ref and the peers).
 *
 * Not re-measured by default (said in the output's notes):
 *   - a table entry that is the same function as one measured before (tables
 *     start from the ref kernels): --no-dedup measures it again;
 *   - the ref table beyond 1 thread, sgemm 512x768x768 and attention n <= 1024
 *     (it is the scalar specification, seconds per call): --ref-full.
 *
 * Output: a table on stdout, progress on stderr, and under --out DIR (results):
 *   DIR/kernels/<cpu-slug>/bench_kernels.{json,md,csv} and gbench.json (Google
 *   Benchmark's own JSON, for its compare.py). Exit 0 ok, 1 failure, 2 bad usage.
 */
#define _GNU_SOURCE
#include "bench/bench_kernels.h"
#include "bench/gbench.h"
#include "common/machine.h"
#include "common/options.h"
#include "common/rows.h"
#include "common/sys.h"
#include "ptc/peak.h"

#include "ptc/cpu.h"
#include "ptc/ops.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const sgemm_shape sgemm_shapes[] = {{512, 768, 768}, {512, 3072, 768}, {512, 768, 3072}};
static const size_t attention_lengths[] = {128, 256, 512, 1024, 2048, 4096};

/* ---- the timed work ----------------------------------------------------------- */

/* Query rows [row0, row1) against all seq keys. */
static void attention_rows(const bench_case *bc, size_t row0, size_t row1)
{
    const buffers *b = bc->buf;
    const ptc_attention_args args = {
        .n_q = row1 - row0, .n_kv = bc->seq, .d = ATTN_D,
        .q = b->q + row0 * ATTN_D, .ldq = ATTN_D,
        .k = b->k, .ldk = ATTN_D, .v = b->v, .ldv = ATTN_D,
        .kv_rows = NULL, .key_bias = NULL, .scale = 1.0f / sqrtf((float)ATTN_D),
        .o = b->o + row0 * ATTN_D, .ldo = ATTN_D, .lse = b->lse + row0,
    };
    bc->ops->attention(&args);
}

/* Thread count for the next calls of the case's op. */
static void set_threads(const bench_case *bc)
{
    if (bc->peer == PEER_OPENBLAS)
        openblas_set_num_threads(bc->threads);
    else /* ptc and oneDNN: OpenMP */
        omp_set_num_threads(bc->threads);
}

/* C = A op(B), row-major: B (K, N), ldb N (NN), or B stored (N, K), ldb K (NT) */
static void sgemm_once(const bench_case *bc)
{
    const buffers *b = bc->buf;
    const bool nt = bc->tb == PTC_TRANS;
    const size_t ldb = nt ? bc->k : bc->n;
    switch (bc->peer) {
    case PEER_OPENBLAS:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, nt ? CblasTrans : CblasNoTrans, (int)bc->m,
                    (int)bc->n, (int)bc->k, 1.0f, b->a, (int)bc->k, b->b, (int)ldb, 0.0f, b->c,
                    (int)bc->n);
        break;
    case PEER_ONEDNN:
        dnnl_sgemm('N', nt ? 'T' : 'N', (dnnl_dim_t)bc->m, (dnnl_dim_t)bc->n, (dnnl_dim_t)bc->k,
                   1.0f, b->a, (dnnl_dim_t)bc->k, b->b, (dnnl_dim_t)ldb, 0.0f, b->c,
                   (dnnl_dim_t)bc->n);
        break;
    case PEER_NONE:
        bc->ops->sgemm(PTC_NO_TRANS, bc->tb, bc->m, bc->n, bc->k, 1.0f, b->a, bc->k, b->b, ldb,
                       0.0f, b->c, bc->n);
        break;
    }
}

/* One call of the case's work (one benchmark iteration). */
static void call_once(const bench_case *bc)
{
    const buffers *b = bc->buf;
    if (bc->op == OP_SGEMM) {
        sgemm_once(bc);
    } else if (bc->threads == 1) {
        attention_rows(bc, 0, bc->seq);
    } else {
        /* the op is single-threaded: each thread takes its share of query rows */
#pragma omp parallel num_threads(bc->threads)
        {
            const size_t i = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
            attention_rows(bc, bc->seq * i / nt, bc->seq * (i + 1) / nt);
        }
    }
    ptc_gbench_do_not_optimize(bc->op == OP_SGEMM ? b->c : b->o);
}

static void run_case(ptc_gbench_state *state, void *user)
{
    const bench_case *bc = user;
    set_threads(bc);
    while (ptc_gbench_keep_running(state))
        call_once(bc);
}

/* ---- small helpers ------------------------------------------------------------- */

static float *alloc_floats(size_t n, unsigned *seed)
{
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "ptc-bench-kernels: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        p[i] = (float)(*seed >> 8) * (2.0f / 16777216.0f) - 1.0f; /* [-1, 1) */
    }
    return p;
}

/* The 1-minute load average, -1 when unreadable. */
static double load_average(void)
{
    double v[3];
    ptc_load_averages(v);
    return v[0];
}

/* ---- options -------------------------------------------------------------------- */

/* What the command line gives; parse_options turns it into `options`. */
typedef struct cli_options {
    bool quick, no_dedup, ref_full, no_openblas, no_onednn, gbench_console;
    const char *isa, *out;
    ptc_opt_list threads;
    double min_time_s, case_budget_s;
    int reps;
} cli_options;

#define O(field) offsetof(cli_options, field)
static const ptc_option kernel_rows[] = {
    {"quick", PTC_OPT_FLAG, O(quick), NULL, "fewer shapes and repetitions (< 30 s)"},
    {"isa", PTC_OPT_ISA, O(isa), "NAME", "only this ops table (every one this CPU runs)"},
    {"threads", PTC_OPT_SIZES, O(threads), "LIST", "thread counts, at most 8", "1,2", 1, 1024},
    {"out", PTC_OPT_STR, O(out), "DIR", "output folder", "results"},
    {"min-time", PTC_OPT_DOUBLE, O(min_time_s), "S", "seconds per repetition at least (0.2; quick 0.05)", NULL, 0, 60, true},
    {"reps", PTC_OPT_INT, O(reps), "N", "repetitions per case (5; quick 3)", NULL, 1, 1000},
    {"case-budget", PTC_OPT_DOUBLE, O(case_budget_s), "S", "seconds per case: a slower case gets fewer "
     "repetitions of 1 call, at least 1 (4; quick 1)", NULL, 0, 3600, true},
    {"no-dedup", PTC_OPT_FLAG, O(no_dedup), NULL, "also time table entries that are a kernel timed before"},
    {"ref-full", PTC_OPT_FLAG, O(ref_full), NULL, "time the ref table at every shape and thread count"},
    {"no-openblas", PTC_OPT_FLAG, O(no_openblas), NULL, "skip the OpenBLAS peer"},
    {"no-onednn", PTC_OPT_FLAG, O(no_onednn), NULL, "skip the oneDNN peer"},
    {"gbench-console", PTC_OPT_FLAG, O(gbench_console), NULL, "also print Google Benchmark's console table"},
    {NULL},
};
#undef O

static options parse_options(int argc, char **argv)
{
    cli_options c = {0};
    const char *prog = "ptc bench kernels";
    const int rc = ptc_opts_parse_group(prog, "ptc bench kernels [options]   (the program ptc-bench-kernels)",
                                        "kernel benchmark", kernel_rows, &c, 0, argc, argv, 1, NULL);
    if (rc != 0)
        exit(rc == 1 ? 0 : rc);
    if (c.threads.n > MAX_THREAD_COUNTS) {
        fprintf(stderr, "%s: --threads: at most %d counts\n", prog, MAX_THREAD_COUNTS);
        exit(2);
    }
    options o = {.quick = c.quick, .dedup = !c.no_dedup, .ref_full = c.ref_full,
                 .openblas = !c.no_openblas, .onednn = !c.no_onednn, .gbench_console = c.gbench_console, .isa = c.isa,
                 .out = c.out, .n_threads = (int)c.threads.n, .min_time_s = c.min_time_s,
                 .reps = c.reps, .case_budget_s = c.case_budget_s};
    for (size_t i = 0; i < c.threads.n; i++)
        o.threads[i] = (int)c.threads.v[i];
    if (o.min_time_s == 0)
        o.min_time_s = o.quick ? 0.05 : 0.2;
    if (o.reps == 0)
        o.reps = o.quick ? 3 : 5;
    if (o.case_budget_s == 0)
        o.case_budget_s = o.quick ? 1 : 4;
    return o;
}

/* ---- the benchmark --------------------------------------------------------------- */

typedef struct run_info {
    const options *opt;
    int total;
    int done;
} run_info;

static void on_case_done(const ptc_gbench_stats *s, void *user)
{
    run_info *ri = user;
    ri->done++;
    if (s->error)
        fprintf(stderr, "  [%d/%d] %-36s FAILED: %s\n", ri->done, ri->total, s->name, s->error_message);
    else
        fprintf(stderr, "  [%d/%d] %-36s %8.2f GFLOP/s  (cv %.1f%%, n=%d)\n", ri->done, ri->total,
                s->name, s->gflops_median, 100 * s->cv, s->n);
}

/* The pointer of `op` in a table (to spot entries that are one kernel). */
static const void *op_pointer(const ptc_ops *ops, op_kind op)
{
    return op == OP_SGEMM ? (const void *)ops->sgemm : (const void *)ops->attention;
}

/* ---- main's steps ----------------------------------------------------------------- */

/* The tables to measure, ref first (so dedup names the ref kernel). 0, or 2 after a message. */
static int select_tables(const options *opt, const ptc_ops *tables[8], size_t *n_tables)
{
    *n_tables = 0;
    if (opt->isa) {
        char err[256];
        const ptc_ops *t = ptc_ops_select(opt->isa, err, sizeof err);
        if (!t) {
            fprintf(stderr, "ptc-bench-kernels: %s\n", err);
            return 2;
        }
        tables[(*n_tables)++] = t;
        return 0;
    }
    size_t n_all;
    const ptc_ops *const *all = ptc_ops_all(&n_all);
    for (size_t i = n_all; i-- > 0;)
        if (ptc_ops_supported(all[i]) && *n_tables < 8)
            tables[(*n_tables)++] = all[i];
    return 0;
}

/* Peak FMA per vector ISA and triad bandwidth per thread count (ceilings first,
 * on an idle process), with notes when they look disturbed. */
static void measure_peaks(const options *opt, double load_start, peaks *pk)
{
    *pk = (peaks){.best = ptc_peak_best_isa()};
    static const char *const peak_isas[] = {"avx512", "avx2", "neon"};
    for (size_t i = 0; i < sizeof peak_isas / sizeof peak_isas[0]; i++) {
        if (ptc_peak_fma_gflops(peak_isas[i], 1, 0.001) == 0)
            continue;
        pk->isa[pk->n_isa] = peak_isas[i];
        for (int t = 0; t < opt->n_threads; t++)
            pk->gflops[pk->n_isa][t] = ptc_peak_fma_gflops(peak_isas[i], opt->threads[t], opt->quick ? 0.1 : 0.3);
        pk->n_isa++;
    }
    for (int t = 0; t < opt->n_threads; t++)
        pk->triad_gbps[t] = ptc_peak_triad_gbps(opt->threads[t], 0, opt->quick ? 3 : 5);
    for (int i = 0; i < pk->n_isa; i++)
        for (int t = 0; t < opt->n_threads; t++)
            fprintf(stderr, "  peak FMA %-6s %d thread(s): %8.1f GFLOP/s\n", pk->isa[i], opt->threads[t],
                    pk->gflops[i][t]);
    for (int t = 0; t < opt->n_threads; t++)
        fprintf(stderr, "  triad bandwidth %d thread(s): %.1f GB/s\n", opt->threads[t], pk->triad_gbps[t]);
    /* a T-thread peak well below T x the 1-thread peak: the cores are shared or busy */
    for (int i = 0; i < pk->n_isa; i++) {
        double one = 0;
        for (int t = 0; t < opt->n_threads; t++)
            if (opt->threads[t] == 1)
                one = pk->gflops[i][t];
        for (int t = 0; t < opt->n_threads; t++) {
            const int nt = opt->threads[t];
            if (one > 0 && nt > 1 && pk->gflops[i][t] < 0.75 * nt * one)
                bk_add_note("%s peak at %d threads is %.2fx the 1-thread peak (ideal %dx): cores shared or "
                         "busy (load average %.2f), so %d-thread figures and their %% of peak are unreliable",
                         pk->isa[i], nt, pk->gflops[i][t] / one, nt, load_start, nt);
        }
    }
    if (load_start > 0.5)
        bk_add_note("load average %.2f at start: other work was running, timings are noisy", load_start);
}

/* The shapes of this run. */
static void shape_lists(const options *opt, size_t *n_sgemm, const size_t **lengths, size_t *n_lengths)
{
    static const size_t quick_lengths[] = {128, 512};
    *n_sgemm = opt->quick ? 1 : sizeof sgemm_shapes / sizeof sgemm_shapes[0];
    *lengths = opt->quick ? quick_lengths : attention_lengths;
    *n_lengths = opt->quick ? 2 : sizeof attention_lengths / sizeof attention_lengths[0];
}

/* Inputs for the largest shape of each op. */
static void alloc_buffers(const options *opt, buffers *buf)
{
    size_t n_sgemm, n_lengths;
    const size_t *lengths;
    shape_lists(opt, &n_sgemm, &lengths, &n_lengths);
    unsigned seed = 12345;
    size_t max_a = 0, max_b = 0, max_c = 0, max_seq = 0;
    for (size_t s = 0; s < n_sgemm; s++) {
        const sgemm_shape g = sgemm_shapes[s];
        max_a = g.m * g.k > max_a ? g.m * g.k : max_a;
        max_b = g.k * g.n > max_b ? g.k * g.n : max_b;
        max_c = g.m * g.n > max_c ? g.m * g.n : max_c;
    }
    for (size_t i = 0; i < n_lengths; i++)
        max_seq = lengths[i] > max_seq ? lengths[i] : max_seq;
    buf->a = alloc_floats(max_a, &seed);
    buf->b = alloc_floats(max_b, &seed);
    buf->c = alloc_floats(max_c, &seed);
    buf->q = alloc_floats(max_seq * ATTN_D, &seed);
    buf->k = alloc_floats(max_seq * ATTN_D, &seed);
    buf->v = alloc_floats(max_seq * ATTN_D, &seed);
    buf->o = alloc_floats(max_seq * ATTN_D, &seed);
    buf->lse = alloc_floats(max_seq, &seed);
}

/* An sgemm case of shape g, NN or (nt) NT; its shape string names NT only. */
static void set_sgemm_case(bench_case *bc, sgemm_shape g, bool nt)
{
    bc->m = g.m, bc->n = g.n, bc->k = g.k;
    bc->tb = nt ? PTC_TRANS : PTC_NO_TRANS;
    bc->flops = 2.0 * bc->m * bc->n * bc->k;
    snprintf(bc->shape, sizeof bc->shape, "%zux%zux%zu%s", bc->m, bc->n, bc->k, nt ? " NT" : "");
}

/* The cases into cases[MAX_CASES]; returns their count. */
static int build_cases(const options *opt_in, const ptc_ops *const *tables, size_t n_tables,
                       buffers *buffer, bench_case *cases)
{
    const options opt = *opt_in;
    buffers *const bufp = buffer;
    size_t n_sgemm, n_lengths;
    const size_t *lengths;
    shape_lists(opt_in, &n_sgemm, &lengths, &n_lengths);
    /* the cases: ptc tables (ref first), then oneDNN, then OpenBLAS last (its worker
     * threads spin after a call and would steal cores from the cases after it) */
    int n_cases = 0;
    bool ref_limited = false, deduped = false;
    for (size_t ti = 0; ti < n_tables; ti++) {
        const ptc_ops *ops = tables[ti];
        const bool is_ref = strcmp(ops->name, "ref") == 0;
        const bool limit = is_ref && !opt.ref_full && n_tables > 1;
        for (int op = OP_SGEMM; op <= OP_ATTENTION; op++) {
            if (opt.dedup) {
                const ptc_ops *same = NULL;
                for (size_t tj = 0; tj < ti && !same; tj++)
                    if (op_pointer(tables[tj], (op_kind)op) == op_pointer(ops, (op_kind)op))
                        same = tables[tj];
                if (same) {
                    bk_add_note("%s %s is the %s kernel: not timed again (--no-dedup times it)", ops->name,
                             op == OP_SGEMM ? "sgemm" : "attention", same->name);
                    deduped = true;
                    continue;
                }
            }
            for (int t = 0; t < opt.n_threads; t++) {
                if (limit && opt.threads[t] != 1) {
                    ref_limited = true;
                    continue;
                }
                /* sgemm: every shape in NN, then in NT */
                const size_t n_shapes = op == OP_SGEMM ? 2 * n_sgemm : n_lengths;
                for (size_t s = 0; s < n_shapes; s++) {
                    bench_case *bc = &cases[n_cases];
                    *bc = (bench_case){.op = (op_kind)op, .impl = ops->name, .ops = ops,
                                       .threads = opt.threads[t], .buf = bufp};
                    if (op == OP_SGEMM) {
                        if (limit && s > 0) {
                            ref_limited = true;
                            continue;
                        }
                        set_sgemm_case(bc, sgemm_shapes[s % n_sgemm], s >= n_sgemm);
                    } else {
                        if (limit && lengths[s] > 1024) {
                            ref_limited = true;
                            continue;
                        }
                        bc->seq = lengths[s];
                        bc->flops = 4.0 * bc->seq * bc->seq * ATTN_D;
                        snprintf(bc->shape, sizeof bc->shape, "n=%zu d=%d", bc->seq, ATTN_D);
                    }
                    if (n_cases + 1 < MAX_CASES)
                        n_cases++;
                }
            }
        }
    }
    static const struct { peer_kind peer; const char *name; } peers[] = {
        {PEER_ONEDNN, "onednn"}, {PEER_OPENBLAS, "openblas"}};
    for (size_t p = 0; p < sizeof peers / sizeof peers[0]; p++) {
        if (!(peers[p].peer == PEER_OPENBLAS ? opt.openblas : opt.onednn))
            continue;
        for (int t = 0; t < opt.n_threads; t++)
            for (size_t s = 0; s < 2 * n_sgemm; s++) {
                bench_case *bc = &cases[n_cases];
                *bc = (bench_case){.op = OP_SGEMM, .impl = peers[p].name, .peer = peers[p].peer,
                                   .threads = opt.threads[t], .buf = bufp};
                set_sgemm_case(bc, sgemm_shapes[s % n_sgemm], s >= n_sgemm);
                if (n_cases + 1 < MAX_CASES)
                    n_cases++;
            }
    }
    if (ref_limited)
        bk_add_note("ref table (the scalar specification) timed at 1 thread, sgemm 512x768x768 and "
                 "attention n <= 1024 only (--ref-full times all)");
    (void)deduped;

    return n_cases;
}

/* A suite of the cases, each fitted into --case-budget by one untimed call;
 * NULL after a message. */
static ptc_gbench *make_suite(const options *opt_in, const char *json_path, run_info *ri,
                              bench_case *cases, int n_cases)
{
    const options opt = *opt_in;
    ptc_gbench_options gopt = {.repetitions = opt.reps, .min_time_s = opt.min_time_s,
                               .warmup_s = opt.quick ? 0 : 0.05, .json_path = json_path,
                               .console = opt.gbench_console, .on_case_done = on_case_done,
                               .on_case_done_user = ri};
    ptc_gbench *suite = ptc_gbench_create(&gopt);
    if (!suite) {
        fprintf(stderr, "ptc-bench-kernels: out of memory\n");
        return NULL;
    }
    fprintf(stderr, "ptc-bench-kernels: one untimed call per case (warm-up, and fits slow cases into "
                    "--case-budget %g s)\n", opt.case_budget_s);
    for (int i = 0; i < n_cases; i++) {
        bench_case *bc = &cases[i];
        char name[128];
        snprintf(name, sizeof name, "%s/%s/t%d/%s", bc->op == OP_SGEMM ? "sgemm" : "attention",
                 bc->impl, bc->threads, bc->shape);
        ptc_gbench_case gc = {.name = name, .run_loop = run_case, .user = bc, .flops_per_iter = bc->flops};
        if (bc->ops) {
            /* One untimed call: a case slower than the budget allows for the usual
             * repetitions gets budget / call repetitions (at least 1) of exactly
             * 1 call each, no warm-up beyond this call. */
            set_threads(bc);
            const double t0 = ptc_now();
            call_once(bc);
            const double t_call = ptc_now() - t0;
            if (t_call * opt.reps > opt.case_budget_s) {
                int reps = (int)(opt.case_budget_s / t_call);
                reps = reps < 1 ? 1 : reps;
                gc.repetitions = reps;
                gc.iterations = 1;
                bk_add_note("%s: %.2f s per call, timed with %d repetition%s of 1 call (--case-budget %g)", name,
                         t_call, reps, reps == 1 ? "" : "s", opt.case_budget_s);
            }
        }
        bc->gbench_index = ptc_gbench_add(suite, &gc);
        if (bc->gbench_index < 0) {
            fprintf(stderr, "ptc-bench-kernels: %s\n", ptc_gbench_error(suite));
            ptc_gbench_destroy(suite);
            return NULL;
        }
    }
    fprintf(stderr, "ptc-bench-kernels: %d cases, %d repetitions of >= %.2f s each\n", n_cases, opt.reps,
            opt.min_time_s);
    return suite;
}

/* The stdout table, after a note when a figure beat its measured peak. */
static void print_summary(const run_context *r, ptc_gbench *suite, const bench_case *cases,
                          int n_cases)
{
    const options opt = *r->opt;
    const peaks pk = *r->pk;
    /* a figure above its measured peak means the peak run was disturbed */
    for (int i = 0; i < n_cases; i++) {
        const ptc_gbench_stats *s = ptc_gbench_result(suite, (size_t)cases[i].gbench_index);
        const char *peak_isa;
        const double peak = bk_peak_for(&pk, &opt, cases[i].ops ? cases[i].impl : "", cases[i].threads, &peak_isa);
        if (!s->error && peak > 0 && s->gflops_median > peak) {
            bk_add_note("%s reached %.0f%% of the measured %s peak: the peak measurement was disturbed "
                     "(busy machine), %% of peak is unreliable in this run",
                     s->name, 100 * s->gflops_median / peak, peak_isa);
            break;
        }
    }

    /* stdout table */
    printf("\nptc kernel benchmark — %s (%s), %s, commit %s\n", r->cpu, r->features, r->date, r->commit);
    printf("%-9s %-9s %2s  %-16s %10s %7s  %-19s %6s %3s\n", "impl", "op", "t", "shape", "GFLOP/s",
           "%peak", "min..max GFLOP/s", "cv%", "n");
    for (int i = 0; i < n_cases; i++) {
        const bench_case *bc = &cases[i];
        const ptc_gbench_stats *s = ptc_gbench_result(suite, (size_t)bc->gbench_index);
        const char *peak_isa;
        const double peak = bk_peak_for(&pk, &opt, bc->ops ? bc->impl : "", bc->threads, &peak_isa);
        const char *op = bc->op == OP_SGEMM ? "sgemm" : "attention";
        if (s->error || s->n == 0) {
            printf("%-9s %-9s %2d  %-16s %10s  (%s)\n", bc->impl, op, bc->threads, bc->shape, "-", s->error_message);
            continue;
        }
        char range[40];
        snprintf(range, sizeof range, "%.2f..%.2f", s->gflops_min, s->gflops_max);
        printf("%-9s %-9s %2d  %-16s %10.2f %6.1f%%  %-19s %6.2f %3d\n", bc->impl, op, bc->threads, bc->shape,
               s->gflops_median, peak > 0 ? 100 * s->gflops_median / peak : 0, range, 100 * s->cv, s->n);
    }
    for (int i = 0; i < pk.n_isa; i++)
        for (int t = 0; t < opt.n_threads; t++)
            printf("peak FMA %s, %d thread(s): %.1f GFLOP/s\n", pk.isa[i], opt.threads[t], pk.gflops[i][t]);
    for (int t = 0; t < opt.n_threads; t++)
        printf("triad bandwidth, %d thread(s): %.1f GB/s\n", opt.threads[t], pk.triad_gbps[t]);
    for (int i = 0; i < bk_note_count(); i++)
        printf("note: %s\n", bk_note(i));
    printf("elapsed %.1f s, load average %.2f -> %.2f\n", r->elapsed, r->load_start, r->load_end);
}

int main(int argc, char **argv)
{
    const options opt = parse_options(argc, argv);
    const ptc_ops *tables[8];
    size_t n_tables;
    if (select_tables(&opt, tables, &n_tables) != 0)
        return 2;

    const double t_start = ptc_now();
    const double load_start = load_average();
    char cpu[256], slug[256], features[256], commit[64], date[32];
    ptc_machine machine;
    char merr[128];
    ptc_machine_describe(&machine, merr, sizeof merr); /* "unknown" when unreadable */
    snprintf(cpu, sizeof cpu, "%s", machine.cpu_model);
    ptc_machine_slug(&machine, slug, sizeof slug);
    ptc_cpu_feature_string(ptc_cpu_features(), features, sizeof features);
    bool dirty;
    ptc_git_describe(commit, sizeof commit - 8, &dirty);
    if (dirty)
        strcat(commit, "-dirty");
    const time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));

    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/kernels/%s", opt.out, slug);
    if (ptc_mkdir_p(dir) != 0) {
        fprintf(stderr, "ptc-bench-kernels: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    fprintf(stderr, "ptc-bench-kernels: %s [%s], tables:", cpu, features);
    for (size_t i = 0; i < n_tables; i++)
        fprintf(stderr, " %s", tables[i]->name);
    fprintf(stderr, "%s%s; load average %.2f\n", opt.onednn ? " + onednn" : "",
            opt.openblas ? " + openblas" : "", load_start);

    peaks pk;
    measure_peaks(&opt, load_start, &pk);
    buffers buf;
    alloc_buffers(&opt, &buf);
    static bench_case cases[MAX_CASES];
    const int n_cases = build_cases(&opt, tables, n_tables, &buf, cases);
    snprintf(path, sizeof path, "%s/gbench.json", dir);
    run_info ri = {.opt = &opt, .total = n_cases};
    ptc_gbench *suite = make_suite(&opt, path, &ri, cases, n_cases);
    if (!suite)
        return 1;
    fprintf(stderr, "ptc-bench-kernels: %d cases, %d repetitions of >= %.2f s each\n", n_cases, opt.reps,
            opt.min_time_s);
    const int run_rc = ptc_gbench_run(suite);
    if (run_rc != 0)
        fprintf(stderr, "ptc-bench-kernels: %s\n", ptc_gbench_error(suite));

    /* the peers as they describe themselves */
    char peer_config[384] = "", part[256];
    if (opt.onednn) {
        const dnnl_version_t *v = dnnl_version();
        snprintf(part, sizeof part, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch,
                 v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other threading");
        strcat(peer_config, part);
    }
    if (opt.openblas) {
        snprintf(part, sizeof part, "%s%s", *peer_config ? "; " : "", openblas_get_config());
        part[strcspn(part, "\n")] = '\0';
        strcat(peer_config, part);
    }
#ifdef PTC_BUILD_FLAGS
    const char *flags = PTC_BUILD_FLAGS;
#else
    const char *flags = "not recorded by this build (kernels: per-folder ISA flags, see Makefile)";
#endif
    const run_context rc_ctx = {.opt = &opt, .pk = &pk, .tables = tables, .n_tables = n_tables,
                                .cpu = cpu, .slug = slug, .features = features, .commit = commit,
                                .date = date, .flags = flags, .peer = peer_config,
                                .load_start = load_start, .load_end = load_average(),
                                .elapsed = ptc_now() - t_start};
    print_summary(&rc_ctx, suite, cases, n_cases);
    const int wrc = bk_write_results(dir, &rc_ctx, suite, cases, n_cases);
    if (wrc == 0)
        printf("wrote %s/{bench_kernels.json,bench_kernels.md,bench_kernels.csv,gbench.json}\n", dir);
    ptc_gbench_destroy(suite);
    float *owned[] = {buf.a, buf.b, buf.c, buf.q, buf.k, buf.v, buf.o, buf.lse};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    bk_free_notes();
    return wrc != 0 || run_rc != 0 ? 1 : 0;
}
