/*
 * harness/bench/bench_groups.c — the parent's loop of `ptc bench` over groups: one forked
 * child per group (ptc_bench_run_group, harness/bench/bench_work.c) whose JSON row lines
 * come back through a pipe and are appended durably to rows.jsonl; a child that dies
 * becomes error rows; the progress line, the summary table, and the quick calibration
 * in a child. This process never calls OpenMP or a kernel. Contract: harness/bench/bench_parts.h.
 */
#define _GNU_SOURCE
#include "bench/bench_parts.h"
#include "common/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t bench_interrupted;
int bench_lock_fd = -1;

/* In a forked child: die with the parent, and let go of the run folder's lock (flock is
 * shared across fork; only the parent writes rows). A child still holding it after a
 * killed `ptc bench` (even the milliseconds its own SIGKILL takes to land) would make
 * the --resume that follows fail as "in use". */
static void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    if (bench_lock_fd >= 0)
        close(bench_lock_fd);
}


/* ---- quick calibration in a child -------------------------------------------------------- */

int bench_calibrate_in_child(const char *path, int max_threads)
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
        if (bench_interrupted)
            kill(pid, SIGKILL);
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}


/* ---- progress -------------------------------------------------------------------------- */

/* not a terminal (--progress): one line this often at most; PTC_PROGRESS_EVERY (seconds)
 * overrides it (0: every change, as the tests want) */
#define PROGRESS_LINE_EVERY_S 10.0

static double progress_every(void)
{
    const char *e = getenv("PTC_PROGRESS_EVERY");
    char *end;
    const double v = e ? strtod(e, &end) : -1;
    return e && end != e && v >= 0 ? v : PROGRESS_LINE_EVERY_S;
}

typedef struct progress {
    bool tty;             /* stderr is a terminal: one line redrawn in place */
    bool show;            /* draw at all: a terminal, or --progress */
    double t0, total_cost, done_cost;
    size_t total, done;
    double group_cost, group_t0;
    char current[160];
    /* inside the running group, from its child's progress lines (bench_work.c) */
    char stage[16];       /* "memory" (configurations probed), "timing" (repetitions), "" */
    size_t stage_done, stage_total, group_configs;
    double last_line, every;
    char last_text[400];
} progress;

/* The running group's stage in words: "timing 14/27 repetitions (~4 of 9 configurations)". */
static void stage_text(const progress *p, char *out, size_t len)
{
    out[0] = '\0';
    if (strcmp(p->stage, "memory") == 0)
        snprintf(out, len, ": memory of configuration %zu/%zu", p->stage_done, p->stage_total);
    else if (strcmp(p->stage, "timing") == 0 && p->stage_total > 0)
        snprintf(out, len, ": timing, %zu/%zu repetitions (~%zu of %zu configurations)",
                 p->stage_done, p->stage_total, p->stage_done * p->group_configs / p->stage_total,
                 p->group_configs);
}

static void progress_draw(progress *p)
{
    const double now = ptc_now();
    if (!p->show || (!p->tty && p->last_line > 0 && now - p->last_line < p->every))
        return;
    p->last_line = now;
    const double el = now - p->t0;
    /* the running group's part done: the share of its repetitions timed (its child
     * says; the memory probes before them count as nothing); seconds per unit of cost
     * (estimated seconds) from what is done, 1 before anything is */
    double running = 0;
    if (strcmp(p->stage, "timing") == 0 && p->stage_total > 0)
        running = p->group_cost * (double)p->stage_done / (double)p->stage_total;
    const double done = p->done_cost + running;
    const double rate = done > 0 ? el / done : 1.0;
    double eta = (p->total_cost - done) * rate;
    if (eta < 0)
        eta = 0;
    char e1[32], e2[32], st[160], line[sizeof p->last_text];
    bench_format_duration(el, e1, sizeof e1);
    bench_format_duration(eta, e2, sizeof e2);
    stage_text(p, st, sizeof st);
    snprintf(line, sizeof line, "[%zu/%zu] %3.0f%% %s elapsed, ETA %s  %s%s", p->done, p->total,
             p->total_cost > 0 ? 100 * done / p->total_cost : 0, e1, e2, p->current, st);
    if (p->tty)
        fprintf(stderr, "\r\033[K%s", line);
    else if (strcmp(line, p->last_text) != 0) /* a log: only what changed */
        fprintf(stderr, "%s\n", line);
    snprintf(p->last_text, sizeof p->last_text, "%s", line);
    fflush(stderr);
}

/* A progress line of the group's child ({"progress": {...}}) into p; false when the
 * line is something else (a row). */
static bool progress_line(progress *p, const json_t *line)
{
    const json_t *pr = json_object_get(line, "progress");
    if (!json_is_object(pr))
        return false;
    const char *stage = json_string_value(json_object_get(pr, "stage"));
    snprintf(p->stage, sizeof p->stage, "%s", stage ? stage : "");
    p->stage_done = (size_t)json_integer_value(json_object_get(pr, "done"));
    p->stage_total = (size_t)json_integer_value(json_object_get(pr, "total"));
    p->group_configs = (size_t)json_integer_value(json_object_get(pr, "configs"));
    return true;
}

static void progress_clear(const progress *p)
{
    if (p->tty && p->show) {
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

/* The parent's side of a group: reads the child's JSON row lines from fd until it closes
 * (or SIGINT) and appends each expected one (write[i], not yet got[i]) to the rows,
 * advancing the progress. 0, or 1 when a row cannot be written. */
static int read_group_rows(int fd, const ptc_sweep_config *sub, size_t n_sub, const bool *write,
                           bool *got, run_state *rs, progress *pg, const double *cost)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int result = 0;
    for (;;) {
        if (bench_interrupted)
            break;
        struct pollfd pfd = {fd, POLLIN, 0};
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
        const ssize_t r = read(fd, buf + len, 65536);
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
            if (row && progress_line(pg, row))
                progress_draw(pg);
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
    free(buf);
    return result;
}

/* An error row, saying why (the child's signal or exit status), for every expected row
 * the child of a group did not send. 0, or 1 when a row cannot be written. */
static int error_rows_for_missing(const ptc_bench_ctx *ctx, int status, const ptc_sweep_config *sub,
                                  size_t n_sub, const bool *write, const bool *got, run_state *rs,
                                  progress *pg, const double *cost)
{
    int result = 0;
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
    return result;
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
    int result = read_group_rows(fds[0], sub, n_sub, write, got, rs, pg, cost);
    close(fds[0]);
    if (bench_interrupted || result) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        free(got);
        return bench_interrupted ? 130 : result;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            break;
        if (bench_interrupted) {
            kill(pid, SIGKILL);
        }
    }
    if (bench_interrupted) {
        free(got);
        return 130;
    }
    result = error_rows_for_missing(ctx, status, sub, n_sub, write, got, rs, pg, cost);
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
            pg->stage[0] = '\0';
            pg->last_line = 0; /* a line at each group's start */
            snprintf(pg->current, sizeof pg->current, "group %zu/%zu: %s %s n=%d %s t%d", group_index,
                     n_groups, ptc_level_name(sub[0].level), sub[0].model.name, sub[0].seq,
                     sub[0].isa, sub[0].threads);
            progress_draw(pg);
            const size_t before_ok = rs->n_ok, before_err = rs->n_error;
            rc = run_group_child(ctx, sub, n_sub, write, (int)group_index, rs, pg, sub_cost);
            progress_clear(pg);
            if (!pg->tty && rc == 0) /* a log line per group (not progress: always) */
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
int bench_run_and_summarize(ptc_bench_ctx *ctx, const bench_plan *plan, const char *rows_path,
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
    bench_format_duration(plan->total_cost, d, sizeof d);
    fprintf(stderr, "ptc bench: run %s: %zu configurations in %zu groups, %zu pending%s, estimated %s\n",
            run_dir, plan->n_configs, plan->n_groups, plan->n_pending, resuming ? " (resumed)" : "", d);
    const bool tty = isatty(STDERR_FILENO) != 0;
    progress pg = {.tty = tty, .show = tty || ctx->progress, .t0 = ptc_now(),
                   .total_cost = plan->total_cost, .total = plan->n_pending, .every = progress_every()};
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

