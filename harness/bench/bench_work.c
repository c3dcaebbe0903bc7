/*
 * harness/bench/bench_work.c — one group of `ptc bench` configurations, in a child
 * process: the workloads of the three levels, thread binding, per-configuration
 * peak RSS (grandchildren), timing through Google Benchmark, and the rows.
 * Contract: harness/bench/bench_work.h.
 *
 * Workloads (random weights uniform with standard deviation 0.02, seeded; text
 * inputs uniform with standard deviation 1; combination tokens std 0.02; every
 * sample has the full length seq, so no pads exist and both pad modes compute
 * the same tokens):
 *   kernel   one head per sample: ops->attention of seq queries over all seq
 *            keys (baseline) or over the keys a rule keeps (prune), chosen once,
 *            untimed, from the importance of a full attention of the same head
 *            (quartiles over that head's scores). Threads split query rows.
 *   layer    one encoder layer (ptc_encoder_layer_forward): baseline over all
 *            keys; prune over the keys of one earlier selection (made untimed
 *            by the same layer), scoring and selecting for the next layer (the
 *            prune state is restored before each call: a 2-array memcpy, timed);
 *            combine = the combining module that replaces a layer
 *            (ptc_combine_forward, m tokens).
 *   encoder  ptc_encoder_forward of the variant's plan over the whole model, in
 *            one planned arena; pruning decisions come from the attention it
 *            computes.
 */
#define _GNU_SOURCE
#include "bench/bench_work.h"
#include "bench/bench_workload.h"
#include "bench/bench_train.h"

#include "bench/gbench.h"
#include "bench/gbench_json.h"
#include "ptc/cpu.h"
#include "common/sys.h"

#include "ptc/ops.h"
#include "ptc/variants.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if PTC_WITH_HWLOC
#include <hwloc.h>
#endif

#define BOOTSTRAP_RESAMPLES 2000

/* ---- threads and binding ---------------------------------------------------------------- */

typedef struct binding_info {
    char text[256];   /* "pu:0,1" or "none" */
    bool verified;
    unsigned os_index[256];
    int n;
} binding_info;

static bool check_binding(const binding_info *b, int threads)
{
    if (b->n != threads)
        return false;
    int ok = 1;
#pragma omp parallel num_threads(threads) reduction(&& : ok)
    {
        const int i = omp_get_thread_num();
        ok = sched_getcpu() == (int)b->os_index[i];
    }
    return ok != 0;
}

/* Binds OpenMP thread i to the i-th PU, in hwloc logical order, of those this
 * process may use (ptc/cpu.h), and checks each thread runs there. */
static void bind_threads(int threads, bool bind, binding_info *b)
{
    memset(b, 0, sizeof *b);
    snprintf(b->text, sizeof b->text, "none");
    omp_set_num_threads(threads);
#if PTC_WITH_HWLOC
    if (!bind || threads > 256)
        return;
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return;
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return;
    }
    const unsigned *cpus;
    const int n_allowed = ptc_cpus_allowed(&cpus);
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    for (int k = 0; k < n_allowed; k++)
        hwloc_bitmap_set(allowed, cpus[k]);
    for (hwloc_obj_t pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, NULL); pu && b->n < threads;
         pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu))
        if (hwloc_bitmap_isset(allowed, pu->os_index))
            b->os_index[b->n++] = pu->os_index;
    hwloc_bitmap_free(allowed);
    int ok = b->n == threads;
    if (ok) {
#pragma omp parallel num_threads(threads) reduction(&& : ok)
        {
            hwloc_bitmap_t one = hwloc_bitmap_alloc();
            hwloc_bitmap_only(one, b->os_index[omp_get_thread_num()]);
            ok = hwloc_set_cpubind(topo, one, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) == 0;
            hwloc_bitmap_free(one);
        }
    }
    hwloc_topology_destroy(topo);
    if (!ok) {
        b->n = 0;
        return;
    }
    size_t used = (size_t)snprintf(b->text, sizeof b->text, "pu:");
    for (int i = 0; i < threads; i++)
        used += (size_t)snprintf(b->text + used, used < sizeof b->text ? sizeof b->text - used : 0,
                                 "%s%u", i ? "," : "", b->os_index[i]);
    b->verified = check_binding(b, threads);
#else
    (void)bind;
#endif
}

/* ---- peak RSS per configuration (grandchild) --------------------------------------------- */

typedef struct probe_result {
    int ok;
    long peak_rss;     /* bytes, ru_maxrss of the probe process */
    long rss_before;   /* bytes resident just before the forward (weights, inputs) */
    char err[320];
} probe_result;

static long current_rss(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

static void probe_child(const ptc_bench_ctx *ctx, const ptc_sweep_config *c, int fd)
{
    probe_result r;
    memset(&r, 0, sizeof r);
    model_weights mw;
    memset(&mw, 0, sizeof mw);
    const int layers = bench_layers_needed(c);
    if (layers > 0 && bench_model_init(&mw, &c->model, layers, bench_qkv_fused() == 1,
                                       ctx->id.seed) != 0) {
        snprintf(r.err, sizeof r.err, "out of memory for the weights");
    } else {
        binding_info b;
        bind_threads(c->threads, ctx->bind, &b);
        workload *w = calloc(1, sizeof *w);
        if (!w || bench_workload_setup(w, c, &mw, ctx->id.seed) != 0) {
            snprintf(r.err, sizeof r.err, "%s", w ? w->err : "out of memory");
        } else {
            r.rss_before = current_rss();
            bench_work_once(w);
            if (w->rc != PTC_OK) {
                snprintf(r.err, sizeof r.err, "%s", w->err);
            } else {
                struct rusage ru;
                getrusage(RUSAGE_SELF, &ru);
                r.peak_rss = ru.ru_maxrss * 1024L;
                r.ok = 1;
            }
        }
        if (w)
            bench_workload_free(w);
        free(w);
    }
    bench_model_free(&mw);
    ssize_t unused = write(fd, &r, sizeof r);
    (void)unused;
    _exit(0);
}

static probe_result probe_rss(const ptc_bench_ctx *ctx, const ptc_sweep_config *c)
{
    probe_result r;
    memset(&r, 0, sizeof r);
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(r.err, sizeof r.err, "pipe: %s", strerror(errno));
        return r;
    }
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0) {
        snprintf(r.err, sizeof r.err, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return r;
    }
    if (pid == 0) {
        close(fds[0]);
        probe_child(ctx, c, fds[1]);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < sizeof r) {
        const ssize_t n = read(fds[0], (char *)&r + got, sizeof r - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got < sizeof r) {
        memset(&r, 0, sizeof r);
        if (WIFSIGNALED(status))
            snprintf(r.err, sizeof r.err, "memory probe killed by signal %d", WTERMSIG(status));
        else
            snprintf(r.err, sizeof r.err, "memory probe exited with status %d", WEXITSTATUS(status));
    }
    return r;
}

/* ---- timing -------------------------------------------------------------------------------- */

/* One Google Benchmark run of a configuration. Its per-op time is recorded per run:
 * GB reports the last `repetitions` runs of a case as its repetitions (earlier
 * runs, warm-up and the search for an iteration count, are not reported), so the
 * last runs recorded are the repetitions. */
static void run_case(ptc_gbench_state *state, void *user)
{
    workload *w = user;
    memset(&w->times, 0, sizeof w->times);
    int64_t iterations = 0;
    const double t0 = ptc_op_clock();
    while (ptc_gbench_keep_running(state)) {
        bench_work_once(w);
        if (w->rc != PTC_OK) {
            ptc_gbench_skip_with_error(state, w->err);
            return;
        }
        iterations++;
    }
    bench_op_run_record(w, iterations, ptc_op_clock() - t0);
}

static bool gbench_initialized;

static void init_gbench(void)
{
    if (gbench_initialized)
        return;
    static char arg0[] = "ptc";
    static char arg1[] = "--benchmark_enable_random_interleaving=true";
    static char *argv[] = {arg0, arg1, NULL};
    int argc = 2;
    ptc_gbench_init(&argc, argv);
    gbench_initialized = true;
}

/* The group's GB JSON (json_path) into the run's one gbench.json: the timed cases
 * (case_of[i] >= 0) named names[i], those with write[i] kept. A failure is a warning:
 * the rows are what the run is. */
static void merge_gbench_json(const ptc_bench_ctx *ctx, const char *json_path,
                              char (*names)[256], const int *case_of, const bool *write, size_t n)
{
    const char **timed = malloc((n + 1) * sizeof *timed);
    bool *keep = malloc((n + 1) * sizeof *keep);
    size_t k = 0;
    for (size_t i = 0; timed && keep && i < n; i++)
        if (case_of[i] >= 0) {
            timed[k] = names[i];
            keep[k++] = write[i];
        }
    char dest[1100], err[1300];
    snprintf(dest, sizeof dest, "%s/gbench.json", ctx->run_dir);
    if (timed && keep && ptc_path_exists(json_path)) {
        if (ptc_gbench_json_merge(dest, json_path, timed, keep, k, err, sizeof err) == 0)
            unlink(json_path);
        else
            fprintf(stderr, "ptc bench: warning: %s\n", err);
    }
    free(timed);
    free(keep);
}

/* ---- rows ------------------------------------------------------------------------------------ */

static json_t *stats3_array(const workload *w, int which)
{
    json_t *a = json_array();
    for (size_t i = 0; i < w->n_steps; i++) {
        const ptc_layer_stats *s = &w->steps[i];
        double v = 0;
        bool has = false;
        switch (which) {
        case 0: has = s->n_tokens > 0; v = s->tokens.mean; break;
        case 1: has = s->n_keys > 0; v = s->keys.min; break;
        case 2: has = s->n_keys > 0; v = s->keys.mean; break;
        case 3: has = s->n_keys > 0; v = s->keys.max; break;
        }
        json_array_append_new(a, has ? json_real(v) : json_null());
    }
    return a;
}

/* op_time_s: the per-op time per forward (training: per step) of the median
 * repetition (the one whose wall time per forward is the median; the lower middle
 * of an even count), so the categories and the total come from the same runs and
 * add up. Medians taken per category would not add up under noise: a preemption
 * lands in one category of one repetition. */
static json_t *op_time_object(const workload *w, int reps)
{
    const size_t n = w->n_op_runs < w->op_runs_cap ? w->n_op_runs : w->op_runs_cap;
    const size_t use = reps > 0 && (size_t)reps < n ? (size_t)reps : n;
    if (use == 0)
        return json_null();
    const op_run *run[use]; /* the newest `use` runs, sorted by wall time */
    for (size_t i = 0; i < use; i++) {
        const op_run *r = &w->op_runs[(w->n_op_runs - 1 - i) % w->op_runs_cap];
        size_t j = i;
        for (; j > 0 && run[j - 1]->total_s > r->total_s; j--)
            run[j] = run[j - 1];
        run[j] = r;
    }
    const op_run *median = run[(use - 1) / 2];
    json_t *o = json_object();
    for (int k = 0; k < PTC_OPCAT_COUNT; k++)
        json_object_set_new(o, ptc_op_category_name(k), json_real(median->per_iter.s[k]));
    json_object_set_new(o, "total", json_real(median->total_s));
    json_object_set_new(o, "n", json_integer((json_int_t)use));
    return o;
}

static double activation_bytes(const workload *w)
{
    return (double)w->total.bytes_activations + (double)w->total.bytes_kv +
           (double)w->total.bytes_scores;
}

static json_t *ratio_or_null(double a, double b, bool have)
{
    return have && b > 0 ? json_real(a / b) : json_null();
}

static void fill_row(json_t *row, const ptc_bench_ctx *ctx, const workload *w,
                     const ptc_gbench_stats *s, const probe_result *probe, const workload *base,
                     const ptc_gbench_stats *bs, const probe_result *bprobe,
                     const binding_info *bind)
{
    const ptc_sweep_config *c = w->cfg;
    json_object_set_new(row, "binding", json_string(bind->text));
    const unsigned *cpus;
    const int n_cpus = ptc_cpus_allowed(&cpus);
    char allowed[256];
    json_object_set_new(row, "cpus_allowed", json_string(ptc_cpus_format(cpus, n_cpus, allowed, sizeof allowed)));
    json_object_set_new(row, "binding_verified", json_boolean(bind->verified));

    json_t *t = json_object();
    json_object_set_new(t, "median", json_real(s->median_s));
    json_object_set_new(t, "mean", json_real(s->mean_s));
    json_object_set_new(t, "stddev", json_real(s->stddev_s));
    json_object_set_new(t, "min", json_real(s->min_s));
    json_object_set_new(t, "max", json_real(s->max_s));
    json_object_set_new(t, "cv", json_real(s->cv));
    json_object_set_new(t, "n", json_integer(s->n));
    json_t *reps = json_array(), *iters = json_array();
    for (int i = 0; i < s->n; i++) {
        json_array_append_new(reps, json_real(s->rep_s[i]));
        json_array_append_new(iters, json_integer(s->rep_iterations[i]));
    }
    json_object_set_new(t, "reps", reps);
    json_object_set_new(t, "iterations", iters); /* added: GB iterations per repetition */
    json_object_set_new(row, "time_s", t);
    json_object_set_new(row, "op_time_s", op_time_object(w, s->n)); /* added */
    /* added: Q, K, V by one GEMM or three (PTC_QKV); null where no layer runs */
    const bool has_qkv = !w->train && (c->level == PTC_LEVEL_ENCODER ||
                                       (c->level == PTC_LEVEL_LAYER && c->variant != PTC_VARIANT_COMBINE));
    json_object_set_new(row, "qkv", has_qkv ? json_string(w->mw->fused_qkv ? "fused" : "separate")
                                            : json_null());

    const bool have_base = base && bs && !bs->error && bs->n > 0;
    if (have_base) {
        json_t *sp = json_object();
        double lo, hi, med;
        if (base == w) {
            med = lo = hi = 1.0;
        } else {
            med = ptc_bootstrap_speedup(bs->rep_s, (size_t)bs->n, s->rep_s, (size_t)s->n,
                                        ptc_hash_string(c->id) ^ ctx->id.seed, BOOTSTRAP_RESAMPLES,
                                        &lo, &hi);
        }
        json_object_set_new(sp, "median", json_real(med));
        json_object_set_new(sp, "ci_low", json_real(lo));
        json_object_set_new(sp, "ci_high", json_real(hi));
        json_object_set_new(sp, "baseline_config_id", json_string(base->cfg->id));
        json_object_set_new(row, "speedup", sp);
    } else {
        json_object_set_new(row, "speedup", json_null());
    }

    const ptc_layer_stats *T = &w->total;
    const double total = ptc_stats_flops_total(T);
    json_t *f = json_object();
    json_object_set_new(f, "total", json_real(total));
    json_object_set_new(f, "linear", json_real(T->flops_linear));
    json_object_set_new(f, "attention", json_real(T->flops_attention));
    json_object_set_new(f, "softmax", json_real(T->flops_softmax));
    json_object_set_new(f, "norm", json_real(T->flops_norm));
    json_object_set_new(f, "scoring", json_real(T->flops_scoring));
    json_object_set_new(f, "selection", json_real(T->flops_selection));
    json_object_set_new(f, "combining", json_real(T->flops_combining));
    json_object_set_new(f, "total_no_attention", json_real(total - T->flops_attention));
    json_object_set_new(row, "flops", f);
    const bool base_ok = base != NULL && base->rc == PTC_OK;
    json_object_set_new(row, "flops_ratio",
                        ratio_or_null(total, base_ok ? ptc_stats_flops_total(&base->total) : 0, base_ok));
    const double gflops = s->median_s > 0 ? total / s->median_s * 1e-9 : 0;
    json_object_set_new(row, "gflops", json_real(gflops));
    const char *peak_isa = NULL;
    const double peak = ptc_calibration_peak(&ctx->cal, c->isa, c->threads, &peak_isa);
    json_object_set_new(row, "pct_peak", peak > 0 ? json_real(100 * gflops / peak) : json_null());

    json_t *mem = json_object();
    json_object_set_new(mem, "activations", json_real(activation_bytes(w)));
    json_object_set_new(mem, "kv", json_real((double)T->bytes_kv));
    json_object_set_new(mem, "scores", json_real((double)T->bytes_scores));
    json_object_set_new(mem, "workspace", json_real((double)w->arena_bytes));
    json_object_set_new(mem, "peak_rss", probe->ok ? json_real((double)probe->peak_rss) : json_null());
    /* added: what the forward itself made resident (peak minus the resident set
     * just before it: weights and inputs were in place) */
    json_object_set_new(mem, "peak_rss_forward",
                        probe->ok ? json_real((double)(probe->peak_rss - probe->rss_before)) : json_null());
    json_object_set_new(row, "memory", mem);
    json_object_set_new(row, "memory_ratio",
                        ratio_or_null(activation_bytes(w), base_ok ? activation_bytes(base) : 0, base_ok));
    json_object_set_new(row, "rss_ratio",
                        ratio_or_null((double)probe->peak_rss, bprobe ? (double)bprobe->peak_rss : 0,
                                      base_ok && probe->ok && bprobe && bprobe->ok));

    json_t *kept = json_object();
    json_object_set_new(kept, "tokens_mean", stats3_array(w, 0));
    json_object_set_new(kept, "keys_min", stats3_array(w, 1));
    json_object_set_new(kept, "keys_mean", stats3_array(w, 2));
    json_object_set_new(kept, "keys_max", stats3_array(w, 3));
    json_object_set_new(row, "kept", kept);

    if (ctx->cal.root) {
        json_t *cal = json_object();
        json_object_set_new(cal, "peak_gflops", peak > 0 ? json_real(peak) : json_null());
        const double bw = ptc_calibration_bandwidth(&ctx->cal, c->threads);
        json_object_set_new(cal, "bandwidth_gbps", bw > 0 ? json_real(bw) : json_null());
        json_object_set_new(cal, "file", json_string(ctx->cal.path));
        json_object_set_new(cal, "peak_isa", peak_isa ? json_string(peak_isa) : json_null()); /* added */
        json_object_set_new(row, "calibration", cal);
    } else {
        json_object_set_new(row, "calibration", json_null());
    }
}

/* The group's progress to the parent (bench_groups.c draws it), one short JSON line on
 * the rows' pipe: {"progress":{"stage":"memory"|"timing","done":K,"total":N,"configs":C}}
 * (memory: configurations probed; timing: repetitions of all configurations). */
typedef struct progress_sink {
    int fd;
    size_t configs;
} progress_sink;

static void send_progress(const progress_sink *p, const char *stage, size_t done, size_t total)
{
    char line[160];
    const int len = snprintf(line, sizeof line,
                             "{\"progress\":{\"stage\":\"%s\",\"done\":%zu,\"total\":%zu,\"configs\":%zu}}\n",
                             stage, done, total, p->configs);
    if (len > 0 && write(p->fd, line, (size_t)len) < 0) {
        /* the parent reads rows, not progress: a lost line is harmless */
    }
}

static void on_timing_progress(size_t done, size_t total, void *user)
{
    send_progress(user, "timing", done, total);
}

static void emit(int fd, json_t *row)
{
    char *line = ptc_row_line(row);
    if (line) {
        size_t left = strlen(line);
        const char *p = line;
        while (left > 0) {
            const ssize_t n = write(fd, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            p += n;
            left -= (size_t)n;
        }
        free(line);
    }
    json_decref(row);
}

static void emit_error(int fd, const ptc_bench_ctx *ctx, const ptc_sweep_config *c, const char *msg)
{
    json_t *row = ptc_row_new(c, &ctx->id);
    if (!row)
        return;
    ptc_row_set_error(row, msg);
    emit(fd, row);
}

/* A group that cannot run: an error row (msg) for every configuration to write, and the
 * group's buffers freed. Returns -1. */
static int fail_group(int fd, const ptc_bench_ctx *ctx, const ptc_sweep_config *configs, size_t n,
                      const bool *write, const char *msg, void *probes, void *w, void *case_of)
{
    for (size_t i = 0; i < n; i++)
        if (write[i])
            emit_error(fd, ctx, &configs[i], msg);
    free(probes);
    free(w);
    free(case_of);
    return -1;
}

/* ---- the group ---------------------------------------------------------------------------------- */

/* Bytes the kernel says can still be allocated (MemAvailable), or -1 when unknown.
 * PTC_BENCH_MEM_AVAILABLE_MB replaces the reading (tests). */
static double memory_available(void)
{
    const char *v = getenv("PTC_BENCH_MEM_AVAILABLE_MB");
    if (v && *v)
        return atof(v) * 1048576.0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return -1.0;
    char line[256];
    double kb = -1.0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
            break;
    fclose(f);
    return kb < 0.0 ? -1.0 : kb * 1024.0;
}

/* A group keeps the workloads of all its configurations alive together (they are
 * timed interleaved), so it needs about the sum of their probed peaks. 0 when
 * that fits in what is available (or either is unknown); else -1 with a message:
 * a group the kernel's OOM killer would end mid-run (taking other processes'
 * memory with it) is refused before it allocates. */
static int group_fits_memory(const probe_result *probes, size_t n, char *msg, size_t len)
{
    double need = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!probes[i].ok)
            return 0;
        need += (double)probes[i].peak_rss;
    }
    const double available = memory_available();
    if (n < 2 || available < 0.0 || need <= available)
        return 0;
    snprintf(msg, len,
             "the group's %zu configurations need about %.0f MB together (they are timed "
             "interleaved, each keeping its workspace), %.0f MB is available: run fewer "
             "variants per ptc bench or a smaller batch",
             n, need / 1048576.0, available / 1048576.0);
    return -1;
}

int ptc_bench_run_group(const ptc_bench_ctx *ctx, const ptc_sweep_config *configs, size_t n,
                        const bool *write, int group_index, int out_fd)
{
    if (n == 0)
        return 0;
    /* 1. peak RSS per configuration, before this process touches OpenMP */
    probe_result *probes = calloc(n, sizeof *probes);
    workload *w = calloc(n, sizeof *w);
    int *case_of = malloc(n * sizeof *case_of);
    char (*names)[256] = calloc(n, sizeof *names);
    if (!probes || !w || !case_of || !names) {
        free(names);
        return fail_group(out_fd, ctx, configs, n, write, "out of memory", probes, w, case_of);
    }
    progress_sink sink = {out_fd, n};
    for (size_t i = 0; i < n; i++) {
        probes[i] = probe_rss(ctx, &configs[i]);
        send_progress(&sink, "memory", i + 1, n);
    }
    char too_big[400];
    if (group_fits_memory(probes, n, too_big, sizeof too_big) != 0) {
        free(names);
        return fail_group(out_fd, ctx, configs, n, write, too_big, probes, w, case_of);
    }

    /* 2. shared weights, one workload per configuration */
    const ptc_sweep_config *c0 = &configs[0];
    model_weights mw;
    memset(&mw, 0, sizeof mw);
    int layers = 0;
    for (size_t i = 0; i < n; i++)
        layers = bench_layers_needed(&configs[i]) > layers ? bench_layers_needed(&configs[i]) : layers;
    const int fused_qkv = bench_qkv_fused();
    if (fused_qkv < 0) {
        free(names);
        return fail_group(out_fd, ctx, configs, n, write, "PTC_QKV must be fused or separate",
                          probes, w, case_of);
    }
    if (layers > 0 && bench_model_init(&mw, &c0->model, layers, fused_qkv == 1, ctx->id.seed) != 0) {
        free(names);
        return fail_group(out_fd, ctx, configs, n, write, "out of memory for the weights", probes, w, case_of);
    }
    binding_info bind;
    bind_threads(c0->threads, ctx->bind, &bind);
    int base_index = -1;
    for (size_t i = 0; i < n; i++) {
        if (bench_workload_setup(&w[i], &configs[i], &mw, ctx->id.seed) == 0 &&
            bench_op_runs_init(&w[i], (size_t)(ctx->id.reps > 0 ? ctx->id.reps : 5)) != 0) {
            snprintf(w[i].err, sizeof w[i].err, "out of memory");
            w[i].rc = PTC_EINVAL;
        }
        if (w[i].rc == PTC_OK) {
            bench_work_once(&w[i]); /* untimed: checks, warms, and gives the accounting */
            if (w[i].rc == PTC_OK)
                bench_collect_stats(&w[i]);
        }
        if (configs[i].variant == PTC_VARIANT_BASELINE && w[i].rc == PTC_OK && base_index < 0)
            base_index = (int)i;
    }

    /* 3. time every working configuration in one interleaved suite */
    char json_path[1100];
    snprintf(json_path, sizeof json_path, "%s/gbench.part-%d.json", ctx->run_dir, group_index);
    init_gbench();
    ptc_gbench_options gopt = {.repetitions = ctx->id.reps, .min_time_s = ctx->id.min_time_s,
                               .warmup_s = ctx->id.warmup_s > 0 ? ctx->id.warmup_s : -1,
                               .json_path = json_path, .console = ctx->gbench_console,
                               .on_progress = on_timing_progress, .on_progress_user = &sink};
    ptc_gbench *suite = ptc_gbench_create(&gopt);
    for (size_t i = 0; i < n; i++) {
        case_of[i] = -1;
        if (!suite || w[i].rc != PTC_OK)
            continue;
        ptc_gbench_config_name(&configs[i], names[i], sizeof names[i]);
        ptc_gbench_case gc = {.name = names[i], .run_loop = run_case, .user = &w[i],
                              .flops_per_iter = ptc_stats_flops_total(&w[i].total),
                              .warmup_s = gopt.warmup_s};
        case_of[i] = ptc_gbench_add(suite, &gc);
    }
    if (suite) {
        ptc_gbench_run(suite);
        merge_gbench_json(ctx, json_path, names, case_of, write, n);
    }
    if (bind.n > 0 && bind.verified)
        bind.verified = check_binding(&bind, c0->threads);

    /* 4. rows */
    const workload *base = base_index >= 0 ? &w[base_index] : NULL;
    const ptc_gbench_stats *bs = base && case_of[base_index] >= 0
                                     ? ptc_gbench_result(suite, (size_t)case_of[base_index]) : NULL;
    const probe_result *bprobe = base ? &probes[base_index] : NULL;
    for (size_t i = 0; i < n; i++) {
        if (!write[i])
            continue;
        const ptc_sweep_config *c = &configs[i];
        if (w[i].rc != PTC_OK) {
            emit_error(out_fd, ctx, c, w[i].err[0] ? w[i].err : "setup failed");
            continue;
        }
        const ptc_gbench_stats *s = case_of[i] >= 0 ? ptc_gbench_result(suite, (size_t)case_of[i]) : NULL;
        if (!s || s->error || s->n == 0) {
            emit_error(out_fd, ctx, c, s && s->error_message[0] ? s->error_message
                                       : suite ? ptc_gbench_error(suite) : "benchmark not run");
            continue;
        }
        json_t *row = ptc_row_new(c, &ctx->id);
        if (!row)
            continue;
        fill_row(row, ctx, &w[i], s, &probes[i], base, bs, bprobe, &bind);
        if (!probes[i].ok)
            json_object_set_new(row, "memory_probe_error", json_string(probes[i].err)); /* added */
        emit(out_fd, row);
    }
    ptc_gbench_destroy(suite);
    for (size_t i = 0; i < n; i++)
        bench_workload_free(&w[i]);
    bench_model_free(&mw);
    free(probes);
    free(w);
    free(case_of);
    free(names);
    return 0;
}

