/*
 * harness/bench/gbench_fallback.c — the ptc_gbench API (gbench.h) without Google Benchmark.
 *
 * Builds without Google Benchmark (PTC_WITH_BENCHMARK=0, e.g. the aarch64 cross
 * build, where Debian's libbenchmark is not installable) still time with the same
 * contract: per case an iteration count chosen so that one repetition lasts at
 * least min_time_s, an untimed warm-up, `repetitions` samples of real time per
 * iteration (CLOCK_MONOTONIC), and the same statistics. Repetitions run in rounds
 * (repetition r of every case before repetition r + 1 of any), which interleaves
 * the cases as Google Benchmark's random interleaving does. JSON output follows
 * Google Benchmark's format (one "iteration" entry per repetition, times in
 * microseconds). Limits: one thread per case (threads > 1 is refused); the
 * --benchmark_* flags are ignored.
 */
#include "bench/gbench.h"
#include "common/sys.h"
#include "ptc/stats.h"

#if !PTC_WITH_BENCHMARK

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct fallback_case {
    ptc_gbench_case c;
    char *name, *label;
    int64_t *args;
    int64_t iterations;   /* per repetition, fixed after calibration */
    double *rep_s;
    int64_t *rep_iterations;
    ptc_gbench_stats stats;
    char error_message[256];
} fallback_case;

struct ptc_gbench {
    ptc_gbench_options options;
    char *json_path;
    fallback_case *cases;
    size_t n_cases, cap_cases;
    char error[256];
};

struct ptc_gbench_state {
    fallback_case *fc;
    int64_t remaining;
    double started, paused_at, excluded;
    int running, failed;
};

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    char *d = malloc(strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

void ptc_gbench_init(int *argc, char **argv) { (void)argc, (void)argv; }

ptc_gbench *ptc_gbench_create(const ptc_gbench_options *options)
{
    ptc_gbench *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (options)
        g->options = *options;
    g->json_path = dup_or_null(g->options.json_path);
    g->options.json_path = g->json_path;
    return g;
}

void ptc_gbench_destroy(ptc_gbench *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_cases; i++) {
        fallback_case *fc = &g->cases[i];
        free(fc->name), free(fc->label), free(fc->args), free(fc->rep_s), free(fc->rep_iterations);
    }
    free(g->cases);
    free(g->json_path);
    free(g);
}

int ptc_gbench_add(ptc_gbench *g, const ptc_gbench_case *c)
{
    if (!c->name || !*c->name)
        return snprintf(g->error, sizeof g->error, "a case needs a name"), -1;
    if (!c->run_once == !c->run_loop)
        return snprintf(g->error, sizeof g->error, "%s: exactly one of run_once and run_loop",
                        c->name), -1;
    if (c->repetitions < 0 || c->iterations < 0 || c->threads < 0 || c->min_time_s < 0)
        return snprintf(g->error, sizeof g->error, "%s: negative count", c->name), -1;
    if (c->threads > 1)
        return snprintf(g->error, sizeof g->error,
                        "%s: %d benchmark threads need Google Benchmark (this build has none)",
                        c->name, c->threads), -1;
    for (size_t i = 0; i < g->n_cases; i++)
        if (strcmp(g->cases[i].name, c->name) == 0)
            return snprintf(g->error, sizeof g->error, "duplicate case name %s", c->name), -1;
    if (g->n_cases == g->cap_cases) {
        const size_t cap = g->cap_cases ? 2 * g->cap_cases : 16;
        fallback_case *grown = realloc(g->cases, cap * sizeof *grown);
        if (!grown)
            return snprintf(g->error, sizeof g->error, "out of memory"), -1;
        g->cases = grown;
        g->cap_cases = cap;
    }
    fallback_case *fc = &g->cases[g->n_cases];
    memset(fc, 0, sizeof *fc);
    fc->c = *c;
    fc->name = dup_or_null(c->name);
    fc->label = dup_or_null(c->label);
    if (c->n_args) {
        fc->args = malloc(c->n_args * sizeof *fc->args);
        if (fc->args)
            memcpy(fc->args, c->args, c->n_args * sizeof *fc->args);
    }
    fc->c.name = fc->name;
    fc->c.label = fc->label;
    fc->c.args = fc->args;
    return (int)g->n_cases++;
}

/* ---- inside run_loop callbacks ---------------------------------------------------- */
int ptc_gbench_keep_running(ptc_gbench_state *s)
{
    if (s->failed)
        return 0;
    if (!s->running) {
        s->running = 1;
        s->started = ptc_now();
    }
    if (s->remaining-- > 0)
        return 1;
    return 0;
}
void ptc_gbench_pause(ptc_gbench_state *s) { s->paused_at = ptc_now(); }
void ptc_gbench_resume(ptc_gbench_state *s) { s->excluded += ptc_now() - s->paused_at; }
int64_t ptc_gbench_arg(const ptc_gbench_state *s, size_t i)
{
    return i < s->fc->c.n_args ? s->fc->args[i] : 0;
}
int ptc_gbench_thread_index(const ptc_gbench_state *s) { (void)s; return 0; }
int ptc_gbench_threads(const ptc_gbench_state *s) { (void)s; return 1; }
void ptc_gbench_skip_with_error(ptc_gbench_state *s, const char *message)
{
    s->failed = 1;
    snprintf(s->fc->error_message, sizeof s->fc->error_message, "%s", message);
}
void ptc_gbench_do_not_optimize(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

/* Runs `iterations` iterations of the case; returns seconds, or < 0 on error. */
static double run_iterations(fallback_case *fc, int64_t iterations)
{
    ptc_gbench_state s = {fc, iterations, 0, 0, 0, 0, 0};
    double t;
    if (fc->c.run_once) {
        s.started = ptc_now();
        for (int64_t i = 0; i < iterations; i++)
            fc->c.run_once(fc->c.user);
        t = ptc_now() - s.started;
    } else {
        fc->c.run_loop(&s, fc->c.user);
        if (s.failed)
            return -1;
        t = s.running ? ptc_now() - s.started - s.excluded : 0;
    }
    return t;
}

static void finish_stats(fallback_case *fc)
{
    ptc_gbench_stats *st = &fc->stats;
    const int n = st->n;
    st->rep_s = fc->rep_s;
    st->rep_iterations = fc->rep_iterations;
    st->error_message = fc->error_message;
    st->flops_per_iter = fc->c.flops_per_iter;
    st->threads = 1;
    if (n == 0) {
        st->error = 1;
        return;
    }
    ptc_sample_desc d;
    ptc_describe(fc->rep_s, (size_t)n, &d);
    st->mean_s = d.mean, st->stddev_s = d.sd, st->cv = d.cv;
    st->min_s = d.min, st->max_s = d.max, st->median_s = d.median;
    if (st->flops_per_iter > 0 && st->median_s > 0) {
        st->gflops_median = st->flops_per_iter / st->median_s * 1e-9;
        st->gflops_min = st->max_s > 0 ? st->flops_per_iter / st->max_s * 1e-9 : 0;
        st->gflops_max = st->min_s > 0 ? st->flops_per_iter / st->min_s * 1e-9 : 0;
    }
}

static int write_json(const ptc_gbench *g)
{
    FILE *f = fopen(g->json_path, "w");
    if (!f)
        return -1;
    char date[64];
    const time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S+00:00", gmtime(&t));
    fprintf(f, "{\n  \"context\": {\"date\": \"%s\", \"library_build_type\": \"ptc-fallback\"},\n"
               "  \"benchmarks\": [\n", date);
    int first = 1;
    for (size_t i = 0; i < g->n_cases; i++) {
        const fallback_case *fc = &g->cases[i];
        for (int r = 0; r < fc->stats.n; r++) {
            const double us = fc->rep_s[r] * 1e6;
            fprintf(f, "%s    {\"name\": \"%s\", \"run_name\": \"%s\", \"run_type\": \"iteration\", "
                       "\"repetitions\": %d, \"repetition_index\": %d, \"threads\": 1, "
                       "\"iterations\": %lld, \"real_time\": %.9g, \"cpu_time\": %.9g, "
                       "\"time_unit\": \"us\"}",
                    first ? "" : ",\n", fc->name, fc->name, fc->stats.n, r,
                    (long long)fc->rep_iterations[r], us, us);
            first = 0;
        }
    }
    fprintf(f, "\n  ]\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}

int ptc_gbench_run(ptc_gbench *g)
{
    const ptc_gbench_options *o = &g->options;
    int max_reps = 0, failed = 0;
    /* calibrate: warm-up, then the iteration count of one repetition */
    for (size_t i = 0; i < g->n_cases; i++) {
        fallback_case *fc = &g->cases[i];
        const int reps = fc->c.repetitions ? fc->c.repetitions : o->repetitions ? o->repetitions : 5;
        const double min_time = fc->c.min_time_s ? fc->c.min_time_s : o->min_time_s ? o->min_time_s : 0.5;
        const double warmup = fc->c.warmup_s ? fc->c.warmup_s : o->warmup_s;
        fc->rep_s = calloc((size_t)reps, sizeof *fc->rep_s);
        fc->rep_iterations = calloc((size_t)reps, sizeof *fc->rep_iterations);
        fc->stats.name = fc->name;
        fc->stats.case_index = i;
        fc->stats.rep_s = fc->rep_s;
        fc->stats.rep_iterations = fc->rep_iterations;
        fc->stats.error_message = fc->error_message;
        if (!fc->rep_s || !fc->rep_iterations) {
            snprintf(fc->error_message, sizeof fc->error_message, "out of memory");
            fc->stats.error = 1;
            continue;
        }
        if (reps > max_reps)
            max_reps = reps;
        if (fc->c.iterations > 0) {
            fc->iterations = fc->c.iterations;
            continue;
        }
        for (const double until = ptc_now() + (warmup > 0 ? warmup : 0); ptc_now() < until;)
            if (run_iterations(fc, 1) < 0)
                break;
        int64_t iters = 1;
        for (;;) {
            const double t = run_iterations(fc, iters);
            if (t < 0) {
                fc->stats.error = 1;
                break;
            }
            if (t >= min_time || iters >= ((int64_t)1 << 40))
                break;
            const double scale = t > 0 ? 1.4 * min_time / t : 10.0;
            iters = (int64_t)ceil((double)iters * (scale < 10.0 ? scale : 10.0));
        }
        fc->iterations = iters;
    }
    /* rounds: repetition r of every case, rotating the order each round */
    size_t reps_total = 0, reps_done = 0;
    for (size_t i = 0; i < g->n_cases; i++)
        reps_total += (size_t)(g->cases[i].c.repetitions ? g->cases[i].c.repetitions
                               : o->repetitions ? o->repetitions : 5);
    for (int r = 0; r < max_reps; r++) {
        for (size_t k = 0; k < g->n_cases; k++) {
            fallback_case *fc = &g->cases[(k + (size_t)r) % g->n_cases];
            const int reps = fc->c.repetitions ? fc->c.repetitions : o->repetitions ? o->repetitions : 5;
            if (fc->stats.error || r >= reps)
                continue;
            const double t = run_iterations(fc, fc->iterations);
            if (t < 0) {
                fc->stats.error = 1;
                continue;
            }
            fc->rep_s[fc->stats.n] = t / (double)fc->iterations;
            fc->rep_iterations[fc->stats.n] = fc->iterations;
            fc->stats.n++;
            if (o->on_progress)
                o->on_progress(++reps_done, reps_total, o->on_progress_user);
        }
    }
    for (size_t i = 0; i < g->n_cases; i++) {
        fallback_case *fc = &g->cases[i];
        const int had_error = fc->stats.error;
        finish_stats(fc);
        if (had_error || fc->stats.error) {
            fc->stats.error = 1;
            if (!fc->error_message[0])
                snprintf(fc->error_message, sizeof fc->error_message, "the case did not run");
            failed = 1;
            snprintf(g->error, sizeof g->error, "%s: %s", fc->name, fc->error_message);
        }
        if (o->on_case_done)
            o->on_case_done(&fc->stats, o->on_case_done_user);
    }
    if (g->json_path && write_json(g) != 0) {
        snprintf(g->error, sizeof g->error, "cannot write %s", g->json_path);
        failed = 1;
    }
    return failed ? -1 : 0;
}

size_t ptc_gbench_count(const ptc_gbench *g) { return g->n_cases; }
const ptc_gbench_stats *ptc_gbench_result(const ptc_gbench *g, size_t index)
{
    return index < g->n_cases ? &g->cases[index].stats : NULL;
}
const char *ptc_gbench_error(const ptc_gbench *g) { return g->error; }

#endif /* !PTC_WITH_BENCHMARK */
