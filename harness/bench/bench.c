/*
 * harness/bench/bench.c — `ptc bench`, the sweep runner's parent process: options,
 * validation, dry run, the run folder (rows.jsonl, context.json, sweep.txt,
 * gbench.json, the `unfinished` marker until the run finishes), automatic quick
 * calibration, one forked child per group of configurations
 * (harness/bench/bench_work.c), durable rows, --resume, SIGINT, the
 * progress line and the summary. Contract: harness/bench/bench.h. This process never
 * calls OpenMP or a kernel (forking it is safe).
 */
#define _GNU_SOURCE
#include "bench/bench.h"
#include "bench/bench_parts.h"
#include "cluster/lock.h"
#include "cluster/shard_sweep.h"
#include "common/sys.h"

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


static void on_sigint(int sig)
{
    (void)sig;
    bench_interrupted = 1;
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


/* ---- the steps of ptc_bench_main ------------------------------------------------------- */

/* What the steps share: the options, the shard, the machine and the run folder. */
typedef struct bench_run {
    ptc_sweep_opts o;
    ptc_shard shard;      /* --shard I/N or a Slurm array task (harness/cluster/shard.h) */
    ptc_machine m;
    ptc_bench_ctx ctx;
    char slug_dir[700];   /* <out>/<cpu-slug> */
    const char *shard_name;
    char shard_run[128];  /* a shard's fixed run folder name */
    char run_dir[1024], rows_path[1100], cal_path[800];
    bool resuming;
    int n_cpus, lock_fd;
    bench_plan plan;
} bench_run;

/* Options and --shard into r. 0, or 2 after a message. */
static int parse_options(bench_run *r, int *argc, char **argv)
{
    char err[512];
    if (ptc_shard_take_args(argc, argv, &r->shard, err, sizeof err) != 0) {
        fprintf(stderr, "ptc bench: %s\n", err);
        return 2;
    }
    ptc_sweep_opts_init(&r->o);
    if (ptc_sweep_parse_args(&r->o, *argc, argv, 1, err, sizeof err) != 0) {
        fprintf(stderr, "ptc bench: %s\n", err);
        return 2;
    }
    return 0;
}

/* The machine (or an "unknown" one) and its slug folder under --out. */
static void identify_machine(bench_run *r)
{
    char err[512];
    if (ptc_machine_describe(&r->m, err, sizeof err) != 0) {
        memset(&r->m, 0, sizeof r->m);
        snprintf(r->m.cpu_model, sizeof r->m.cpu_model, "unknown");
        r->m.pus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
        r->m.source = "none";
    }
    snprintf(r->ctx.id.cpu, sizeof r->ctx.id.cpu, "%s", r->m.cpu_model);
    ptc_machine_slug(&r->m, r->ctx.id.cpu_slug, sizeof r->ctx.id.cpu_slug);
    snprintf(r->slug_dir, sizeof r->slug_dir, "%s/%s", r->o.out, r->ctx.id.cpu_slug);
}

/* The sweep to run: the run folder to resume (a shard's existing folder resumes by
 * itself) and its spec, the given sweep, or the default sweep. 0, or 2 after a message. */
static int choose_sweep(bench_run *r)
{
    ptc_sweep_opts *o = &r->o;
    /* a shard's run folder has a fixed name, so a requeued task resumes it */
    r->shard_name = o->name[0] ? o->name : o->sweep_given ? "sweep" : "default";
    char shard_spec[1100];
    ptc_shard_sweep_run_name(&r->shard, r->shard_name, r->shard_run, sizeof r->shard_run);
    snprintf(shard_spec, sizeof shard_spec, "%s/%s/sweep.txt", r->slug_dir, r->shard_run);
    if (r->shard.count && !o->resume[0] && !o->resume_latest && ptc_path_exists(shard_spec))
        snprintf(o->resume, sizeof o->resume, "%s", r->shard_run);

    r->resuming = o->resume[0] || o->resume_latest;
    if (r->resuming)
        return bench_resolve_resume(o, r->slug_dir, r->run_dir, sizeof r->run_dir, r->ctx.id.run,
                                    sizeof r->ctx.id.run);
    if (!o->sweep_given) {
        char err[512];
        if (ptc_sweep_parse_spec_text(o, ptc_default_sweep_text, "default.sweep", err, sizeof err) != 0) {
            fprintf(stderr, "ptc bench: %s\n", err);
            return 2;
        }
        if (!o->name[0])
            snprintf(o->name, sizeof o->name, "default");
    }
    return 0;
}

/* Every check before anything runs or is written: the configurations, the calibration
 * (when there is one), and when resuming the run folder's lock, its repaired rows and
 * what is done; then what is pending in this shard, its cost and the groups. 0, 1 or 2
 * after a message. */
static int make_plan(bench_run *r)
{
    bench_plan *plan = &r->plan;
    char err[512];
    r->n_cpus = ptc_cpus_allowed(NULL); /* read before any thread is bound */
    if (ptc_sweep_expand(&r->o, r->n_cpus, &plan->configs, &plan->n_configs, &plan->skipped, err,
                         sizeof err) != 0) {
        fprintf(stderr, "ptc bench: %s\n", err);
        return 2;
    }
    ptc_calibration_path(r->o.out, r->ctx.id.cpu_slug, r->cal_path, sizeof r->cal_path);
    char cal_err[300];
    const bool have_cal = ptc_calibration_load(r->cal_path, &r->ctx.cal, cal_err, sizeof cal_err) == 0;
    if (!have_cal && ptc_path_exists(r->cal_path))
        fprintf(stderr, "ptc bench: ignoring %s\n", cal_err);

    /* groups (contiguous) and what is pending */
    plan->pending = malloc(plan->n_configs * sizeof *plan->pending);
    plan->cost = malloc(plan->n_configs * sizeof *plan->cost);
    if (!plan->pending || !plan->cost) {
        fprintf(stderr, "ptc bench: out of memory\n");
        return 1;
    }
    if (r->resuming) {
        const char *rows_path = r->rows_path;
        snprintf(r->rows_path, sizeof r->rows_path, "%s/rows.jsonl", r->run_dir);
        if (!r->o.dry_run && (r->lock_fd = ptc_run_lock(r->run_dir, err, sizeof err)) < 0) {
            fprintf(stderr, "ptc bench: %s\n", err);
            return 1;
        }
        if (!r->o.dry_run && ptc_rows_repair_tail(rows_path) < 0) {
            fprintf(stderr, "ptc bench: cannot repair %s: %s\n", rows_path, strerror(errno));
            return 1;
        }
        if (ptc_rows_ok_ids(rows_path, &plan->done_ids, &plan->n_done) != 0) {
            fprintf(stderr, "ptc bench: cannot read %s\n", rows_path);
            return 1;
        }
    }
    plan->n_pending = ptc_rows_pending(plan->configs, plan->n_configs, plan->done_ids, plan->n_done,
                                       plan->pending);
    plan->mine = malloc(plan->n_configs * sizeof *plan->mine);
    plan->n_mine = plan->mine ? ptc_shard_sweep_select(&r->shard, plan->configs, plan->n_configs,
                                                       plan->mine, plan->pending, &plan->n_pending)
                              : (size_t)-1;
    if (plan->n_mine == (size_t)-1) {
        fprintf(stderr, "ptc bench: out of memory\n");
        return 1;
    }
    bench_plan_costs(plan, &r->ctx.cal, &r->o);
    for (size_t i = 0; i < plan->n_configs; i++)
        plan->n_groups += i == 0 || strcmp(plan->configs[i].group, plan->configs[i - 1].group) != 0;
    return 0;
}

/* The run's identity (commit, measurement), a new run folder's name (a timestamp and the
 * sweep's name, or the shard's fixed name), the folder itself, its lock and the shard's
 * record. 0, or 1 after a message. */
static int make_run_folder(bench_run *r)
{
    ptc_bench_ctx *ctx = &r->ctx;
    const ptc_sweep_opts *o = &r->o;
    ptc_git_describe(ctx->id.commit, sizeof ctx->id.commit, &ctx->id.dirty);
    ctx->id.seed = o->seed;
    ctx->id.reps = o->reps;
    ctx->id.min_time_s = o->min_time_s;
    ctx->id.warmup_s = o->warmup_s;
    ctx->bind = o->bind;
    ctx->gbench_console = o->gbench_console;
    ctx->progress = o->progress;
    if (!r->resuming) {
        char stamp[32];
        const time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(ctx->id.run, sizeof ctx->id.run, "%s-%s", stamp, o->name[0] ? o->name : "sweep");
        if (r->shard.count)
            snprintf(ctx->id.run, sizeof ctx->id.run, "%s", r->shard_run);
        snprintf(r->run_dir, sizeof r->run_dir, "%s/%s", r->slug_dir, ctx->id.run);
        for (int k = 2; !r->shard.count && ptc_path_exists(r->run_dir) && k < 100; k++) {
            snprintf(ctx->id.run, sizeof ctx->id.run, "%s-%s-%d", stamp, o->name[0] ? o->name : "sweep", k);
            snprintf(r->run_dir, sizeof r->run_dir, "%s/%s", r->slug_dir, ctx->id.run);
        }
        snprintf(r->rows_path, sizeof r->rows_path, "%s/rows.jsonl", r->run_dir);
    }
    if (ptc_mkdir_p(r->run_dir) != 0) {
        fprintf(stderr, "ptc bench: cannot create %s: %s\n", r->run_dir, strerror(errno));
        return 1;
    }
    snprintf(ctx->run_dir, sizeof ctx->run_dir, "%s", r->run_dir);
    char err[512];
    if (r->lock_fd < 0 && (r->lock_fd = ptc_run_lock(r->run_dir, err, sizeof err)) < 0) {
        fprintf(stderr, "ptc bench: %s\n", err);
        return 1;
    }
    bench_lock_fd = r->lock_fd;
    if (r->shard.count && ptc_shard_record(r->run_dir, &r->shard, "bench", r->shard_name, ctx->id.cpu,
                                           r->plan.n_mine, "running") != 0)
        fprintf(stderr, "ptc bench: cannot write %s/shard.json: %s\n", r->run_dir, strerror(errno));
    return 0;
}

/* Under a SIGINT/SIGTERM handler (Ctrl-C stops after killing the running group, losing
 * no written row): a quick calibration when there is none, the run files, the groups and
 * the summary. 0, 130 when interrupted, or 1. */
static int run_sweep(bench_run *r, int argc, char **argv)
{
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    int rc = 0;
    if (!r->ctx.cal.root && !r->o.no_calibrate) {
        fprintf(stderr, "ptc bench: no calibration for this machine (%s): measuring a quick one "
                        "(`ptc calibrate` measures a full one)\n", r->cal_path);
        char cal_err[300];
        if (bench_calibrate_in_child(r->cal_path, r->n_cpus) != 0 ||
            ptc_calibration_load(r->cal_path, &r->ctx.cal, cal_err, sizeof cal_err) != 0)
            fprintf(stderr, "ptc bench: calibration failed: rows carry no pct_peak\n");
        bench_plan_costs(&r->plan, &r->ctx.cal, &r->o); /* estimates from the calibrated peak now */
    }
    if (bench_interrupted)
        rc = 130;
    else if ((rc = bench_write_run_files(&r->o, &r->m, &r->ctx, argc, argv, &r->plan, r->run_dir,
                                         r->resuming)) == 0) {
        ptc_run_mark_unfinished(r->run_dir); /* until every row is written (common/rows.h) */
        rc = bench_run_and_summarize(&r->ctx, &r->plan, r->rows_path, r->run_dir, r->resuming);
        if (rc == 0)
            ptc_run_mark_finished(r->run_dir);
    }
    if (rc == 130)
        fprintf(stderr, "\nptc bench: interrupted; finished rows are in %s; continue with: ptc bench "
                        "--out %s --resume %s\n", r->run_dir, r->o.out, r->ctx.id.run);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}

int ptc_bench_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    bench_interrupted = 0;
    static bench_run r; /* large: not on the stack */
    memset(&r, 0, sizeof r);
    r.lock_fd = -1;
    int rc = parse_options(&r, &argc, argv);
    if (rc != 0)
        return rc;
    identify_machine(&r);
    if ((rc = choose_sweep(&r)) != 0)
        return rc;

    rc = make_plan(&r);
    if (rc == 0 && r.o.dry_run) {
        bench_print_dry_run(&r.plan, &r.o, r.ctx.cal.root != NULL);
        ptc_shard_sweep_print(&r.shard, r.plan.configs, r.plan.n_configs, r.plan.mine, stdout);
    } else if (rc == 0 && (rc = make_run_folder(&r)) == 0) {
        rc = run_sweep(&r, argc, argv);
    }
    if (r.shard.count && r.lock_fd >= 0)
        ptc_shard_record(r.run_dir, &r.shard, "bench", r.shard_name, r.ctx.id.cpu, r.plan.n_mine,
                         rc == 0 ? "done" : rc == 130 ? "stopped" : "failed");
    bench_lock_fd = -1;
    ptc_run_unlock(r.lock_fd);
    bench_plan_free(&r.plan);
    ptc_calibration_free(&r.ctx.cal);
    return rc;
}
