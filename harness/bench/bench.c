/*
 * harness/bench/bench.c — `ptc bench`, the sweep runner's parent process: options,
 * validation, dry run, the run folder (rows.jsonl, context.json, sweep.txt,
 * gbench-<n>.json), automatic quick calibration, one forked child per group of
 * configurations (harness/bench/bench_work.c), durable rows, --resume, SIGINT, the
 * progress line and the summary. Contract: harness/bench/bench.h. This process never
 * calls OpenMP or a kernel (forking it is safe).
 */
#define _GNU_SOURCE
#include "bench/bench.h"
#include "cluster/lock.h"
#include "cluster/shard_sweep.h"
#include "common/sys.h"

#include "common/cpus.h"
#include "common/machine.h"

#include "ptc/cpu.h"
#include "ptc/ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef PTC_BUILD_FLAGS
static const char build_flags[] = PTC_BUILD_FLAGS;
#else
static const char build_flags[] = "unknown";
#endif

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    ptc_sweep_usage(f);
    fprintf(f,
        "  --shard I/N        run shard I of N (configurations split by config id) into\n"
        "                     <out>/<cpu-slug>/NAME-shard-I-of-N/, resumed when it exists;\n"
        "                     default from SLURM_ARRAY_TASK_ID/COUNT, or JOB_COMPLETION_INDEX\n"
        "                     with --shards N (harness/cluster/shard.h)\n"
        "Levels: kernel = one head's attention (baseline, prune); layer = one encoder layer\n"
        "(baseline, prune) or the combining module (combine); encoder = the whole encoder\n"
        "(all four). Other combinations are skipped and counted. Inapplicable dimensions\n"
        "collapse (p and rule for baseline/combine, lc and m for baseline/prune).\n");
}

/* ---- identity ---------------------------------------------------------------------- */

static void load_averages(double v[3])
{
    v[0] = v[1] = v[2] = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &v[0], &v[1], &v[2]) != 3)
            v[0] = v[1] = v[2] = -1;
        fclose(f);
    }
}

static void governor(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "r");
    if (!f)
        return;
    if (fgets(out, (int)len, f))
        out[strcspn(out, "\r\n")] = '\0';
    fclose(f);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- estimates ------------------------------------------------------------------------ */

/* Seconds of one forward: FLOPs at a fraction of the (calibrated or default) peak. */
static double forward_seconds(const ptc_sweep_config *c, const ptc_calibration *cal)
{
    if (strcmp(c->isa, "ref") == 0)
        return c->est_flops / (2e9 * c->threads);
    const char *peak_isa;
    double peak = ptc_calibration_peak(cal, c->isa, c->threads, &peak_isa);
    if (peak <= 0) /* defaults per thread: AVX-512 ~ 2 x 16 x 2 x 3 GHz, AVX2 half */
        peak = (strcmp(c->isa, "avx512") == 0 ? 150e0 : strcmp(c->isa, "avx2") == 0 ? 75 : 30) *
               c->threads;
    const double efficiency = c->level == PTC_LEVEL_KERNEL ? 0.3 : 0.6;
    return c->est_flops / (efficiency * peak * 1e9);
}

/* Seconds the whole measurement of c takes: memory probe and check call (one
 * forward each, plus weight set-up), warm-up, and the repetitions (GB runs
 * iterations until min_time; its iteration search costs about one more). */
static double config_seconds(const ptc_sweep_config *c, const ptc_calibration *cal,
                             const ptc_sweep_opts *o)
{
    const double f = forward_seconds(c, cal);
    const double params = c->level == PTC_LEVEL_ENCODER ? (double)c->model.layers : 1.0;
    const double setup = c->level == PTC_LEVEL_KERNEL ? 0.01
                         : params * 12.0 * c->model.hidden * c->model.hidden * 4 / 1e9 + 0.01;
    const double rep = f >= o->min_time_s ? f : 2 * o->min_time_s;
    return setup + 2 * f + (o->warmup_s > f ? o->warmup_s : 0) + o->reps * rep;
}

static void format_duration(double s, char *out, size_t len)
{
    const long r = lround(s);
    if (r < 90)
        snprintf(out, len, "%ld s", r);
    else if (r < 5400)
        snprintf(out, len, "%ld min %02ld s", r / 60, r % 60);
    else
        snprintf(out, len, "%.1f h", s / 3600);
}

/* ---- context.json ----------------------------------------------------------------------- */

static json_t *context_json(const ptc_sweep_opts *o, const ptc_machine *m, const ptc_bench_ctx *ctx,
                            int argc, char **argv, const ptc_sweep_config *configs, size_t n,
                            json_t **warnings_out)
{
    json_t *c = json_object();
    json_object_set_new(c, "schema", json_string("ptc.context/1"));
    json_object_set_new(c, "run", json_string(ctx->id.run));
    json_t *args = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(args, json_string(argv[i]));
    json_object_set_new(c, "argv", args);
    json_t *cpu = json_object();
    json_object_set_new(cpu, "model", json_string(m->cpu_model));
    json_object_set_new(cpu, "slug", json_string(ctx->id.cpu_slug));
    json_object_set_new(cpu, "packages", json_integer(m->packages));
    json_object_set_new(cpu, "cores", json_integer(m->cores));
    json_object_set_new(cpu, "hardware_threads", json_integer(m->pus));
    json_object_set_new(cpu, "l1d_bytes", json_integer((json_int_t)m->l1d_bytes));
    json_object_set_new(cpu, "l2_bytes", json_integer((json_int_t)m->l2_bytes));
    json_object_set_new(cpu, "l3_bytes", json_integer((json_int_t)m->l3_bytes));
    json_object_set_new(cpu, "source", json_string(m->source));
    json_object_set_new(c, "cpu", cpu);
    char features[160];
    ptc_cpu_feature_string(ptc_cpu_features(), features, sizeof features);
    json_object_set_new(c, "features", json_string(features));
    json_t *tables = json_array();
    size_t nt;
    const ptc_ops *const *all = ptc_ops_all(&nt);
    for (size_t i = 0; i < nt; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "name", json_string(all[i]->name));
        json_object_set_new(t, "runs", json_boolean(ptc_ops_supported(all[i])));
        bool used = false;
        for (size_t k = 0; k < n; k++)
            used |= strcmp(configs[k].isa, all[i]->name) == 0;
        json_object_set_new(t, "used", json_boolean(used)); /* added */
        json_array_append_new(tables, t);
    }
    json_object_set_new(c, "tables", tables);
    json_object_set_new(c, "compiler", json_string("gcc " __VERSION__));
    json_object_set_new(c, "flags", json_string(build_flags));
    json_object_set_new(c, "commit", json_string(ctx->id.commit));
    json_object_set_new(c, "dirty", json_boolean(ctx->id.dirty));
    char date[32];
    const time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(c, "date", json_string(date));
    double load[3];
    load_averages(load);
    json_t *la = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(la, json_real(load[i]));
    json_object_set_new(c, "load_average", la);
    json_object_set_new(c, "binding", json_string(ctx->bind ? "OpenMP thread i on PU i (hwloc, strict)" : "none"));

    json_t *warnings = json_array();
    char gov[64];
    governor(gov, sizeof gov);
    char line[256];
    if (strcmp(gov, "performance") != 0) {
        snprintf(line, sizeof line, "CPU frequency scaling governor is %s (not performance)%s", gov,
                 strcmp(gov, "unknown") == 0 ? ": cpufreq not exposed (VM or container)" : "");
        json_array_append_new(warnings, json_string(line));
    }
    if (strstr(build_flags, "-O0") || !strstr(build_flags, "-O")) {
        snprintf(line, sizeof line, "debug build (flags: %s): timings are not representative", build_flags);
        json_array_append_new(warnings, json_string(line));
    }
    if (strstr(build_flags, "-fsanitize")) {
        json_array_append_new(warnings, json_string("sanitizer build: timings are not representative"));
    }
    if (load[0] >= 0.5) {
        snprintf(line, sizeof line, "load average %.2f at start (%u hardware threads): other work "
                 "competes for the CPU", load[0], m->pus);
        json_array_append_new(warnings, json_string(line));
    }
    if (!ctx->cal.root)
        json_array_append_new(warnings, json_string("no calibration: pct_peak is null"));
    json_object_set_new(c, "warnings", warnings);
    *warnings_out = warnings;
    if (ctx->cal.root) {
        json_t *cal = json_deep_copy(ctx->cal.root);
        json_object_set_new(cal, "file", json_string(ctx->cal.path));
        json_object_set_new(c, "calibration", cal);
    } else {
        json_object_set_new(c, "calibration", json_null());
    }
    json_t *meas = json_object();
    json_object_set_new(meas, "reps", json_integer(o->reps));
    json_object_set_new(meas, "min_time_s", json_real(o->min_time_s));
    json_object_set_new(meas, "warmup_s", json_real(o->warmup_s));
    json_object_set_new(meas, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(meas, "interleaving", json_string("Google Benchmark random interleaving of the repetitions of a group"));
    json_object_set_new(meas, "bootstrap_resamples", json_integer(2000));
    json_object_set_new(c, "measurement", meas); /* added */
    return c;
}

/* ---- run folder -------------------------------------------------------------------------- */

/* The latest folder under root named NAME or ending in "-NAME". */
static int find_latest(const char *root, const char *name, char *out, size_t len)
{
    DIR *d = opendir(root);
    if (!d)
        return -1;
    struct dirent *e;
    out[0] = '\0';
    const size_t nl = strlen(name);
    while ((e = readdir(d))) {
        const size_t el = strlen(e->d_name);
        const bool match = strcmp(e->d_name, name) == 0 ||
                           (el > nl + 1 && e->d_name[el - nl - 1] == '-' &&
                            strcmp(e->d_name + el - nl, name) == 0);
        if (match && strcmp(e->d_name, out) > 0)
            snprintf(out, len, "%s", e->d_name);
    }
    closedir(d);
    return out[0] ? 0 : -1;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    const int bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* In a forked child: die with the parent. A child outliving a killed `ptc bench`
 * would hold the run folder's lock (flock is shared across fork) and make the
 * --resume that follows fail as "in use". */
static void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
}

/* ---- quick calibration in a child -------------------------------------------------------- */

static int calibrate_in_child(const char *path, int max_threads)
{
    fflush(NULL);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        die_with_parent(parent);
        signal(SIGINT, SIG_DFL);
        char err[300];
        int threads[64], n = max_threads > 64 ? 64 : max_threads;
        for (int i = 0; i < n; i++)
            threads[i] = i + 1;
        const int rc = ptc_calibrate_measure(path, true, threads, n, NULL, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "ptc bench: calibration failed: %s\n", err);
        fflush(NULL);
        _exit(rc == 0 ? 0 : 1);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
        if (interrupted)
            kill(pid, SIGKILL);
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- progress -------------------------------------------------------------------------- */

typedef struct progress {
    bool tty;
    double t0, total_cost, done_cost;
    size_t total, done;
    double group_cost, group_t0;
    char current[160];
} progress;

static void progress_draw(const progress *p)
{
    if (!p->tty)
        return;
    const double el = ptc_now() - p->t0;
    /* cost-weighted: the part of the running group its elapsed time suggests, at
     * most its whole cost */
    const double rate = p->done_cost > 0 ? el / p->done_cost : 1.0;
    double running = p->group_cost > 0 ? (ptc_now() - p->group_t0) / rate : 0;
    if (running > p->group_cost)
        running = p->group_cost;
    const double done = p->done_cost + running;
    double eta = (p->total_cost - done) * rate;
    if (eta < 0)
        eta = 0;
    char e1[32], e2[32];
    format_duration(el, e1, sizeof e1);
    format_duration(eta, e2, sizeof e2);
    fprintf(stderr, "\r\033[K[%zu/%zu] %3.0f%% %s elapsed, ETA %s  %s", p->done, p->total,
            p->total_cost > 0 ? 100 * done / p->total_cost : 0, e1, e2, p->current);
    fflush(stderr);
}

static void progress_clear(const progress *p)
{
    if (p->tty) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}

/* ---- the parent's loop over groups ------------------------------------------------------------- */

typedef struct run_state {
    int rows_fd;
    json_t *written;      /* array of rows written by this invocation (summary) */
    size_t n_ok, n_error;
} run_state;

static int append_row(run_state *rs, json_t *row)
{
    char *line = ptc_row_line(row);
    if (!line)
        return -1;
    const int rc = ptc_rows_append_line(rs->rows_fd, line);
    free(line);
    if (rc == 0) {
        const char *st = json_string_value(json_object_get(row, "status"));
        if (st && strcmp(st, "ok") == 0)
            rs->n_ok++;
        else
            rs->n_error++;
        json_array_append(rs->written, row);
    }
    return rc;
}

/* Runs one group in a child; appends its rows. Returns 0, 130 on SIGINT, 1 when
 * rows cannot be written. */
static int run_group_child(const ptc_bench_ctx *ctx, const ptc_sweep_config *sub, size_t n_sub,
                           const bool *write, int group_index, run_state *rs, progress *pg,
                           const double *cost)
{
    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(stderr, "ptc bench: pipe: %s\n", strerror(errno));
        return 1;
    }
    fflush(NULL);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "ptc bench: fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return 1;
    }
    if (pid == 0) {
        die_with_parent(parent);
        signal(SIGINT, SIG_DFL);
        close(fds[0]);
        close(rs->rows_fd);
        const int rc = ptc_bench_run_group(ctx, sub, n_sub, write, group_index, fds[1]);
        /* the caller's buffers, copied into this process that never returns to it */
        free((void *)sub);
        free((void *)write);
        free((void *)cost);
        close(fds[1]);
        fflush(NULL);
        _exit(rc == 0 ? 0 : 3);
    }
    close(fds[1]);
    bool *got = calloc(n_sub, sizeof *got);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int result = 0;
    for (;;) {
        if (interrupted)
            break;
        struct pollfd pfd = {fds[0], POLLIN, 0};
        const int pr = poll(&pfd, 1, 1000);
        if (pr < 0 && errno == EINTR)
            continue;
        progress_draw(pg);
        if (pr == 0)
            continue;
        if (len + 65536 + 1 > cap) {
            cap = cap ? 2 * cap + 65536 : 262144;
            char *t = realloc(buf, cap);
            if (!t)
                break;
            buf = t;
        }
        const ssize_t r = read(fds[0], buf + len, 65536);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', len - (size_t)(start - buf)))) {
            *nl = '\0';
            json_error_t e;
            json_t *row = json_loads(start, 0, &e);
            const char *id = row ? json_string_value(json_object_get(row, "config_id")) : NULL;
            for (size_t i = 0; id && i < n_sub; i++) {
                if (!write[i] || got[i] || strcmp(sub[i].id, id) != 0)
                    continue;
                if (append_row(rs, row) != 0) {
                    fprintf(stderr, "ptc bench: cannot append to rows.jsonl: %s\n", strerror(errno));
                    result = 1;
                }
                got[i] = true;
                pg->done++;
                pg->done_cost += cost[i];
                pg->group_cost -= cost[i];
                pg->group_t0 = ptc_now();
                break;
            }
            json_decref(row);
            start = nl + 1;
        }
        len -= (size_t)(start - buf);
        memmove(buf, start, len);
        if (result)
            break;
    }
    close(fds[0]);
    free(buf);
    if (interrupted || result) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        free(got);
        return interrupted ? 130 : result;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            break;
        if (interrupted) {
            kill(pid, SIGKILL);
        }
    }
    if (interrupted) {
        free(got);
        return 130;
    }
    char why[128];
    if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "the group's process was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof why, "the group's process exited with status %d before reporting",
                 WEXITSTATUS(status));
    for (size_t i = 0; i < n_sub; i++) {
        if (!write[i] || got[i])
            continue;
        json_t *row = ptc_row_new(&sub[i], &ctx->id);
        ptc_row_set_error(row, why);
        if (append_row(rs, row) != 0)
            result = 1;
        json_decref(row);
        pg->done++;
        pg->done_cost += cost[i];
    }
    pg->group_cost = 0;
    free(got);
    return result;
}

static void print_summary(const run_state *rs)
{
    const size_t n = json_array_size(rs->written);
    if (n == 0)
        return;
    printf("%-16s %-7s %-9s %5s %-6s %2s %11s %8s %-17s %7s %7s %6s\n", "label", "level", "model",
           "seq", "isa", "t", "median ms", "cv%", "speedup [95% CI]", "act.mem", "GFLOP/s", "%peak");
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(rs->written, i);
        char label[48];
        snprintf(label, sizeof label, "%s", json_string_value(json_object_get(r, "label")));
        if (json_is_number(json_object_get(r, "p")))
            snprintf(label + strlen(label), sizeof label - strlen(label), " p=%g",
                     json_number_value(json_object_get(r, "p")));
        const char *level = json_string_value(json_object_get(r, "level"));
        const char *model = json_string_value(json_object_get(r, "model"));
        const char *isa = json_string_value(json_object_get(r, "isa"));
        const long long seq = json_integer_value(json_object_get(r, "seq"));
        const long long t = json_integer_value(json_object_get(r, "threads"));
        const char *status = json_string_value(json_object_get(r, "status"));
        if (strcmp(status, "ok") != 0) {
            printf("%-16s %-7s %-9s %5lld %-6s %2lld  error: %s\n", label, level, model, seq, isa, t,
                   json_string_value(json_object_get(r, "error")));
            continue;
        }
        json_t *ts = json_object_get(r, "time_s"), *sp = json_object_get(r, "speedup");
        char spd[40] = "-", mem[16] = "-", pk[16] = "-";
        if (json_is_object(sp))
            snprintf(spd, sizeof spd, "%.2f [%.2f,%.2f]", json_number_value(json_object_get(sp, "median")),
                     json_number_value(json_object_get(sp, "ci_low")),
                     json_number_value(json_object_get(sp, "ci_high")));
        if (json_is_number(json_object_get(r, "memory_ratio")))
            snprintf(mem, sizeof mem, "%.3f", json_number_value(json_object_get(r, "memory_ratio")));
        if (json_is_number(json_object_get(r, "pct_peak")))
            snprintf(pk, sizeof pk, "%.1f", json_number_value(json_object_get(r, "pct_peak")));
        printf("%-16s %-7s %-9s %5lld %-6s %2lld %11.3f %8.2f %-17s %7s %7.1f %6s\n", label, level, model,
               seq, isa, t, 1e3 * json_number_value(json_object_get(ts, "median")),
               100 * json_number_value(json_object_get(ts, "cv")), spd, mem,
               json_number_value(json_object_get(r, "gflops")), pk);
    }
}

/* ---- main ------------------------------------------------------------------------------------- */

/* ---- the steps of ptc bench ------------------------------------------------------------- */

/* The configurations of a run and what is left of them. */
typedef struct bench_plan {
    ptc_sweep_config *configs;
    size_t n_configs, skipped, n_groups, n_pending;
    bool *pending;
    double *cost, total_cost;
    char **done_ids;
    size_t n_done;
    bool *mine;          /* in this shard (harness/cluster/shard_sweep.h); all when unsharded */
    size_t n_mine;
} bench_plan;

static void plan_free(bench_plan *p)
{
    ptc_rows_free_ids(p->done_ids, p->n_done);
    free(p->configs);
    free(p->pending);
    free(p->cost);
    free(p->mine);
    memset(p, 0, sizeof *p);
}

/* Estimated seconds of every configuration and of the pending ones together. */
static void plan_costs(bench_plan *p, const ptc_calibration *cal, const ptc_sweep_opts *o)
{
    p->total_cost = 0;
    for (size_t i = 0; i < p->n_configs; i++) {
        p->cost[i] = config_seconds(&p->configs[i], cal, o);
        p->total_cost += p->pending[i] ? p->cost[i] : 0;
    }
}

/* --resume: the run folder (run_dir) and, unless sweep options are given, its
 * sweep.txt's sections and measurement. 0, or 2 after a message. */
static int resolve_resume(ptc_sweep_opts *o, const char *slug_dir, char *run_dir, size_t run_len,
                          char *run, size_t run_name_len)
{
    char err[512];
    char name[256];
    if (o->resume_latest) {
        if (find_latest(slug_dir, o->name, name, sizeof name) != 0) {
            fprintf(stderr, "ptc bench: --resume: no run named '%s' under %s\n", o->name, slug_dir);
            return 2;
        }
    } else {
        snprintf(name, sizeof name, "%s", o->resume);
    }
    if (strchr(name, '/'))
        snprintf(run_dir, run_len, "%s", name);
    else
        snprintf(run_dir, run_len, "%s/%s", slug_dir, name);
    char spec[1100];
    snprintf(spec, sizeof spec, "%s/sweep.txt", run_dir);
    if (!exists(spec)) {
        fprintf(stderr, "ptc bench: --resume: %s is not a run folder (no sweep.txt)\n", run_dir);
        return 2;
    }
    if (!o->sweep_given) {
        static ptc_sweep_opts saved;
        ptc_sweep_opts_init(&saved);
        if (ptc_sweep_parse_spec_file(&saved, spec, err, sizeof err) != 0) {
            fprintf(stderr, "ptc bench: %s\n", err);
            return 2;
        }
        memcpy(o->sections, saved.sections, sizeof o->sections);
        o->n_sections = saved.n_sections;
        if (!o->measurement_given) {
            o->reps = saved.reps;
            o->min_time_s = saved.min_time_s;
            o->warmup_s = saved.warmup_s;
            o->seed = saved.seed;
        }
    }
    const char *slash = strrchr(run_dir, '/');
    snprintf(run, run_name_len, "%s", slash ? slash + 1 : run_dir);
    return 0;
}

/* --dry-run: the configurations, their count and the estimated time. */
static void print_dry_run(const bench_plan *p, const ptc_sweep_opts *o, bool calibrated)
{
    printf("%5s %5s  %-14s %-7s %-9s %5s %5s %-12s %-6s %2s %-7s %10s %9s\n", "#", "group", "label",
           "level", "model", "seq", "batch", "pad", "isa", "t", "status", "GFLOP", "est s");
    size_t g = 0;
    for (size_t i = 0; i < p->n_configs; i++) {
        g += i == 0 || strcmp(p->configs[i].group, p->configs[i - 1].group) != 0;
        if (!p->mine[i])
            continue;
        const ptc_sweep_config *c = &p->configs[i];
        char label[64];
        snprintf(label, sizeof label, "%s", c->label);
        if (c->has_p)
            snprintf(label + strlen(label), sizeof label - strlen(label), " p=%g", c->p);
        if (c->has_project && !c->project_kept)
            snprintf(label + strlen(label), sizeof label - strlen(label), " all-kv");
        printf("%5zu %5zu  %-14s %-7s %-9s %5d %5d %-12s %-6s %2d %-7s %10.2f %9.2f\n", i + 1, g,
               label, ptc_level_name(c->level), c->model.name, c->seq, c->batch,
               c->level == PTC_LEVEL_KERNEL ? "-" : ptc_pad_name(c->pad), c->isa, c->threads,
               p->pending[i] ? "pending" : "done", c->est_flops * 1e-9, p->cost[i]);
    }
    char d[32];
    format_duration(p->total_cost, d, sizeof d);
    printf("%zu configurations in %zu groups (%zu pending), %zu combinations skipped (they do not "
           "exist at their level)\nestimated time %s (%d repetitions of >= %g s; FLOPs at %s)\n",
           p->n_configs, p->n_groups, p->n_pending, p->skipped, d, o->reps, o->min_time_s,
           calibrated ? "60% of the calibrated peak (30% at kernel level)"
                        : "60% of a default peak (no calibration yet: ptc calibrate)");
}

/* sweep.txt (unless resuming without sweep options) and context.json of the run
 * folder. 0, or 1 after a message. */
static int write_run_files(const ptc_sweep_opts *op, const ptc_machine *mp, const ptc_bench_ctx *cp,
                           int argc, char **argv, const bench_plan *plan, const char *run_dir,
                           bool resuming)
{
    int rc = 0;
    size_t need = ptc_sweep_spec_format(op, NULL, 0) + 1;
    char *spec = malloc(need);
    ptc_sweep_spec_format(op, spec, need);
    char path[1100];
    snprintf(path, sizeof path, "%s/sweep.txt", run_dir);
    if (!resuming || op->sweep_given) {
        size_t hl = 64;
        for (int i = 0; i < argc; i++)
            hl += strlen(argv[i]) + 1;
        char *text = malloc(hl + need);
        size_t u = (size_t)sprintf(text, "# ptc bench");
        for (int i = 1; i < argc; i++)
            u += (size_t)sprintf(text + u, " %s", argv[i]);
        sprintf(text + u, "\n%s", spec);
        if (write_text(path, text) != 0) {
            fprintf(stderr, "ptc bench: cannot write %s\n", path);
            rc = 1;
        }
        free(text);
    }
    free(spec);
    json_t *warnings;
    json_t *context = context_json(op, mp, cp, argc, argv, plan->configs, plan->n_configs, &warnings);
    snprintf(path, sizeof path, "%s/context.json", run_dir);
    for (int k = 1; resuming && exists(path) && k < 1000; k++)
        snprintf(path, sizeof path, "%s/context-resume-%d.json", run_dir, k);
    if (ptc_json_write_file(path, context, 0) != 0) {
        fprintf(stderr, "ptc bench: cannot write %s\n", path);
        rc = 1;
    }
    for (size_t i = 0; i < json_array_size(warnings); i++)
        fprintf(stderr, "ptc bench: warning: %s\n", json_string_value(json_array_get(warnings, i)));
    json_decref(context);
    return rc;
}

/* One child per group with pending configurations (and the group's baseline as
 * the reference). 0, 130 when interrupted, or the first failure. */
static int run_groups(ptc_bench_ctx *ctx, const bench_plan *plan, run_state *rs, progress *pg)
{
    const ptc_sweep_config *configs = plan->configs;
    const size_t n_configs = plan->n_configs, n_groups = plan->n_groups;
    const bool *pending = plan->pending;
    const double *cost = plan->cost;
    const double t_start = ptc_now();
    int rc = 0;
    size_t group_index = 0;
    for (size_t i = 0; i < n_configs && !rc;) {
        size_t j = i;
        while (j < n_configs && strcmp(configs[j].group, configs[i].group) == 0)
            j++;
        group_index++;
        bool any = false;
        for (size_t k = i; k < j; k++)
            any |= pending[k];
        if (any) {
            /* the pending configurations, and the group's baseline as the reference */
            ptc_sweep_config *sub = malloc((j - i) * sizeof *sub);
            bool *write = malloc((j - i) * sizeof *write);
            double *sub_cost = malloc((j - i) * sizeof *sub_cost);
            size_t n_sub = 0;
            double gc = 0;
            for (size_t k = i; k < j; k++) {
                if (!pending[k] && configs[k].variant != PTC_VARIANT_BASELINE)
                    continue;
                sub[n_sub] = configs[k];
                write[n_sub] = pending[k];
                sub_cost[n_sub] = pending[k] ? cost[k] : 0;
                gc += sub_cost[n_sub];
                n_sub++;
            }
            pg->group_cost = gc;
            pg->group_t0 = ptc_now();
            snprintf(pg->current, sizeof pg->current, "group %zu/%zu: %s %s n=%d %s t%d", group_index,
                     n_groups, ptc_level_name(sub[0].level), sub[0].model.name, sub[0].seq,
                     sub[0].isa, sub[0].threads);
            progress_draw(pg);
            const size_t before_ok = rs->n_ok, before_err = rs->n_error;
            rc = run_group_child(ctx, sub, n_sub, write, (int)group_index, rs, pg, sub_cost);
            progress_clear(pg);
            if (!pg->tty && rc == 0)
                fprintf(stderr, "ptc bench: group %zu/%zu done (%zu ok, %zu error rows), %.0f s elapsed\n",
                        group_index, n_groups, rs->n_ok - before_ok, rs->n_error - before_err,
                        ptc_now() - t_start);
            free(sub);
            free(write);
            free(sub_cost);
        }
        i = j;
    }
    return rc;
}

/* Runs the pending groups into rows_path and prints the summary (not when
 * interrupted). 0, 130 when interrupted, or 1 after a message. */
static int run_and_summarize(ptc_bench_ctx *ctx, const bench_plan *plan, const char *rows_path,
                             const char *run_dir, bool resuming)
{
    run_state rs = {.written = json_array()};
    rs.rows_fd = open(rows_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (rs.rows_fd < 0) {
        fprintf(stderr, "ptc bench: cannot open %s: %s\n", rows_path, strerror(errno));
        json_decref(rs.written);
        return 1;
    }
    char d[32];
    format_duration(plan->total_cost, d, sizeof d);
    fprintf(stderr, "ptc bench: run %s: %zu configurations in %zu groups, %zu pending%s, estimated %s\n",
            run_dir, plan->n_configs, plan->n_groups, plan->n_pending, resuming ? " (resumed)" : "", d);
    progress pg = {.tty = isatty(STDERR_FILENO) != 0, .t0 = ptc_now(), .total_cost = plan->total_cost,
                   .total = plan->n_pending};
    const double t_start = ptc_now();
    const int rc = run_groups(ctx, plan, &rs, &pg);
    close(rs.rows_fd);
    if (rc != 130) {
        print_summary(&rs);
        printf("%zu rows written (%zu ok, %zu error) to %s in %.0f s\n", rs.n_ok + rs.n_error, rs.n_ok,
               rs.n_error, rows_path, ptc_now() - t_start);
    }
    json_decref(rs.written);
    return rc;
}

int ptc_bench_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    interrupted = 0;
    static ptc_sweep_opts o; /* large: not on the stack */
    char err[512];
    ptc_shard shard; /* --shard I/N or a Slurm array task (harness/cluster/shard.h) */
    if (ptc_shard_take_args(&argc, argv, &shard, err, sizeof err) != 0) {
        fprintf(stderr, "ptc bench: %s\n", err);
        return 2;
    }
    ptc_sweep_opts_init(&o);
    if (ptc_sweep_parse_args(&o, argc, argv, 1, err, sizeof err) != 0) {
        fprintf(stderr, "ptc bench: %s\n", err);
        return 2;
    }
    ptc_machine m;
    if (ptc_machine_describe(&m, err, sizeof err) != 0) {
        memset(&m, 0, sizeof m);
        snprintf(m.cpu_model, sizeof m.cpu_model, "unknown");
        m.pus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
        m.source = "none";
    }
    static ptc_bench_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    snprintf(ctx.id.cpu, sizeof ctx.id.cpu, "%s", m.cpu_model);
    ptc_machine_slug(&m, ctx.id.cpu_slug, sizeof ctx.id.cpu_slug);
    char slug_dir[700];
    snprintf(slug_dir, sizeof slug_dir, "%s/%s", o.out, ctx.id.cpu_slug);

    /* a shard's run folder has a fixed name, so a requeued task resumes it */
    const char *shard_name = o.name[0] ? o.name : o.sweep_given ? "sweep" : "default";
    char shard_run[128], shard_spec[1100];
    ptc_shard_sweep_run_name(&shard, shard_name, shard_run, sizeof shard_run);
    snprintf(shard_spec, sizeof shard_spec, "%s/%s/sweep.txt", slug_dir, shard_run);
    if (shard.count && !o.resume[0] && !o.resume_latest && exists(shard_spec))
        snprintf(o.resume, sizeof o.resume, "%s", shard_run);
    int lock_fd = -1;

    /* the run folder to resume and its spec, or the default sweep */
    char run_dir[1024] = "";
    const bool resuming = o.resume[0] || o.resume_latest;
    if (resuming) {
        const int r = resolve_resume(&o, slug_dir, run_dir, sizeof run_dir, ctx.id.run, sizeof ctx.id.run);
        if (r != 0)
            return r;
    } else if (!o.sweep_given) {
        if (ptc_sweep_parse_spec_text(&o, ptc_default_sweep_text, "default.sweep", err, sizeof err) != 0) {
            fprintf(stderr, "ptc bench: %s\n", err);
            return 2;
        }
        if (!o.name[0])
            snprintf(o.name, sizeof o.name, "default");
    }

    /* every check before anything runs or is written */
    bench_plan plan = {0};
    const int n_cpus = ptc_cpus_allowed(NULL); /* read before any thread is bound */
    if (ptc_sweep_expand(&o, n_cpus, &plan.configs, &plan.n_configs, &plan.skipped, err,
                         sizeof err) != 0) {
        fprintf(stderr, "ptc bench: %s\n", err);
        return 2;
    }
    char cal_path[800];
    ptc_calibration_path(o.out, ctx.id.cpu_slug, cal_path, sizeof cal_path);
    char cal_err[300];
    const bool have_cal = ptc_calibration_load(cal_path, &ctx.cal, cal_err, sizeof cal_err) == 0;
    if (!have_cal && exists(cal_path))
        fprintf(stderr, "ptc bench: ignoring %s\n", cal_err);

    /* groups (contiguous) and what is pending */
    int rc = 0;
    plan.pending = malloc(plan.n_configs * sizeof *plan.pending);
    plan.cost = malloc(plan.n_configs * sizeof *plan.cost);
    if (!plan.pending || !plan.cost) {
        fprintf(stderr, "ptc bench: out of memory\n");
        rc = 1;
        goto free_plan;
    }
    char rows_path[1100];
    if (resuming) {
        snprintf(rows_path, sizeof rows_path, "%s/rows.jsonl", run_dir);
        if (!o.dry_run && (lock_fd = ptc_run_lock(run_dir, err, sizeof err)) < 0) {
            fprintf(stderr, "ptc bench: %s\n", err);
            rc = 1;
            goto free_plan;
        }
        if (!o.dry_run && ptc_rows_repair_tail(rows_path) < 0) {
            fprintf(stderr, "ptc bench: cannot repair %s: %s\n", rows_path, strerror(errno));
            rc = 1;
            goto free_plan;
        }
        if (ptc_rows_ok_ids(rows_path, &plan.done_ids, &plan.n_done) != 0) {
            fprintf(stderr, "ptc bench: cannot read %s\n", rows_path);
            rc = 1;
            goto free_plan;
        }
    }
    plan.n_pending = ptc_rows_pending(plan.configs, plan.n_configs, plan.done_ids, plan.n_done,
                                      plan.pending);
    plan.mine = malloc(plan.n_configs * sizeof *plan.mine);
    plan.n_mine = plan.mine ? ptc_shard_sweep_select(&shard, plan.configs, plan.n_configs, plan.mine,
                                                     plan.pending, &plan.n_pending)
                            : (size_t)-1;
    if (plan.n_mine == (size_t)-1) {
        fprintf(stderr, "ptc bench: out of memory\n");
        rc = 1;
        goto free_plan;
    }
    plan_costs(&plan, &ctx.cal, &o);
    for (size_t i = 0; i < plan.n_configs; i++)
        plan.n_groups += i == 0 || strcmp(plan.configs[i].group, plan.configs[i - 1].group) != 0;
    if (o.dry_run) {
        print_dry_run(&plan, &o, ctx.cal.root != NULL);
        ptc_shard_sweep_print(&shard, plan.configs, plan.n_configs, plan.mine, stdout);
        goto free_plan;
    }

    /* the run folder */
    ptc_git_describe(ctx.id.commit, sizeof ctx.id.commit, &ctx.id.dirty);
    ctx.id.seed = o.seed;
    ctx.id.reps = o.reps;
    ctx.id.min_time_s = o.min_time_s;
    ctx.id.warmup_s = o.warmup_s;
    ctx.bind = o.bind;
    ctx.gbench_console = o.gbench_console;
    if (!resuming) {
        char stamp[32];
        const time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(ctx.id.run, sizeof ctx.id.run, "%s-%s", stamp, o.name[0] ? o.name : "sweep");
        if (shard.count)
            snprintf(ctx.id.run, sizeof ctx.id.run, "%s", shard_run);
        snprintf(run_dir, sizeof run_dir, "%s/%s", slug_dir, ctx.id.run);
        for (int k = 2; !shard.count && exists(run_dir) && k < 100; k++) {
            snprintf(ctx.id.run, sizeof ctx.id.run, "%s-%s-%d", stamp, o.name[0] ? o.name : "sweep", k);
            snprintf(run_dir, sizeof run_dir, "%s/%s", slug_dir, ctx.id.run);
        }
        snprintf(rows_path, sizeof rows_path, "%s/rows.jsonl", run_dir);
    }
    if (ptc_mkdir_p(run_dir) != 0) {
        fprintf(stderr, "ptc bench: cannot create %s: %s\n", run_dir, strerror(errno));
        rc = 1;
        goto free_plan;
    }
    snprintf(ctx.run_dir, sizeof ctx.run_dir, "%s", run_dir);
    if (lock_fd < 0 && (lock_fd = ptc_run_lock(run_dir, err, sizeof err)) < 0) {
        fprintf(stderr, "ptc bench: %s\n", err);
        rc = 1;
        goto free_plan;
    }
    if (shard.count && ptc_shard_record(run_dir, &shard, "bench", shard_name, ctx.id.cpu, plan.n_mine,
                                        "running") != 0)
        fprintf(stderr, "ptc bench: cannot write %s/shard.json: %s\n", run_dir, strerror(errno));

    /* signals: Ctrl-C stops after killing the running group, losing no written row */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    if (!ctx.cal.root && !o.no_calibrate) {
        fprintf(stderr, "ptc bench: no calibration for this machine (%s): measuring a quick one "
                        "(`ptc calibrate` measures a full one)\n", cal_path);
        if (calibrate_in_child(cal_path, n_cpus) != 0 ||
            ptc_calibration_load(cal_path, &ctx.cal, cal_err, sizeof cal_err) != 0)
            fprintf(stderr, "ptc bench: calibration failed: rows carry no pct_peak\n");
        plan_costs(&plan, &ctx.cal, &o); /* estimates from the calibrated peak now */
    }
    if (interrupted)
        goto interrupted_exit;
    if ((rc = write_run_files(&o, &m, &ctx, argc, argv, &plan, run_dir, resuming)) != 0)
        goto done;

    rc = run_and_summarize(&ctx, &plan, rows_path, run_dir, resuming);
    if (rc == 130)
        goto interrupted_exit;
    goto done;

interrupted_exit:
    fprintf(stderr, "\nptc bench: interrupted; finished rows are in %s; continue with: ptc bench "
                    "--out %s --resume %s\n", run_dir, o.out, ctx.id.run);
    rc = 130;
done:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
free_plan:
    if (shard.count && lock_fd >= 0)
        ptc_shard_record(run_dir, &shard, "bench", shard_name, ctx.id.cpu, plan.n_mine,
                         rc == 0 ? "done" : rc == 130 ? "stopped" : "failed");
    ptc_run_unlock(lock_fd);
    plan_free(&plan);
    ptc_calibration_free(&ctx.cal);
    return rc;
}
