/*
 * harness/learn/experiment.c — `ptc experiment`: the paper's accuracy tables at a
 * chosen scale on one or several datasets, in one command that loses nothing.
 *
 *   ptc experiment --data bbc[,sst2,...] --model bert-mini --max-len 256 --epochs 3
 *                  [--seeds 1,2] [--p 0.9] [--lc N] [--m 8]
 *                  [--p-sweep 0.95,0.9,...] [--lc-sweep 2,3] [--m-sweep 4,8,16]
 *                  [--variants baseline,P,PF,C,PFC] [--out DIR] [--work DIR]
 *                  [--resume] [--checkpoints keep|remove] [every `ptc train` option]
 *
 * A run is one (dataset, variant, sweep point, seed): `ptc train` then `ptc eval`
 * on the test split, each in its own process (/proc/self/exe, so each has its own
 * peak RSS), handed its exact configuration (p as %.17g). The moment a run ends
 * its two ptc.row/1 rows (phase "train": time_s per training step; phase "infer":
 * time_s per inference batch; harness/SCHEMA.md "Accuracy rows") are appended to
 * OUT/rows.jsonl in one write, flushed and fsync'd, with ratios against the
 * baseline run of the same dataset and seed (which runs first; in a shard, when
 * that run is the shard's: `ptc merge` adds the others' ratios), and its
 * per-document test predictions go to OUT/predictions/<run>.tsv (the row's
 * "predictions", relative to OUT).
 *
 * OUT/experiment.json names the experiment (run name, work folder, the planned
 * runs). Without --resume an OUT that holds one is refused; with --resume the
 * runs whose rows are in OUT/rows.jsonl are kept, the others run again in the
 * same work folder (a training that was interrupted continues from its last
 * state), a torn last line or a run with one row of two is dropped first.
 * SIGINT/SIGTERM: the running child is told, the experiment stops after it
 * (nothing half-written), exit 130/143. Every sweep value and configuration is
 * checked before anything trains. Progress on stderr: a line as each run starts and ends
 * (runs done of total, the experiment's ETA from the mean time of the runs this
 * invocation ran); on a terminal also the running training's own epoch line.
 * Checkpoints stay in the work folder (default /tmp/ptc-experiment-<run>, with
 * -shard-I-of-N for a shard; a fresh experiment never shares one: "-2", "-3", ...
 * when the name is taken) unless --checkpoints remove. `ptc table --kind accuracy|table2|table4|... OUT` renders.
 */
#include "learn/experiment.h"


#include "common/sys.h"

#include "common/machine.h"
#include "common/rows.h" /* the unfinished marker */

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal = 0;
static volatile pid_t child_pid = 0;

static void on_stop(int sig)
{
    stop_signal = sig;
    if (child_pid > 0)
        kill(child_pid, sig);
}

static void install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* fork + exec /proc/self/exe with argv (stdout to out_path when non-NULL);
 * returns the exit status (128 + signal when killed) */
static int run_self(char **argv, const char *out_path)
{
    fflush(stdout);
    fflush(stderr);
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        /* a child never outlives a killed experiment (a resumed one would share its folder) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(128 + SIGKILL);
        if (out_path && !freopen(out_path, "w", stdout))
            _exit(126);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    child_pid = pid;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            child_pid = 0;
            return -1;
        }
    child_pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void run_folder(const exp_plan *pl, const exp_run *r, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", pl->runs_dir, r->id);
}

/* one `ptc train` of run r into dir (--resume: from its last state) */
static int train_attempt(const exp_plan *pl, const exp_run *r, const char *dir, bool resume)
{
    char pbuf[40], lcbuf[32], mbuf[32];
    char *av[200];
    size_t k = 0;
    av[k++] = "ptc";
    av[k++] = "train";
    for (size_t i = 0; i < pl->npass && k < 180; i++)
        av[k++] = pl->pass[i];
    av[k++] = "--data";
    av[k++] = (char *)r->dataset;
    av[k++] = "--variant";
    av[k++] = (char *)r->variant;
    av[k++] = "--seed";
    av[k++] = (char *)r->seed;
    if (r->p > 0) {
        snprintf(pbuf, sizeof pbuf, "%.17g", r->p);
        av[k++] = "--p";
        av[k++] = pbuf;
    }
    if (r->lc) {
        snprintf(lcbuf, sizeof lcbuf, "%zu", r->lc);
        snprintf(mbuf, sizeof mbuf, "%zu", r->m);
        av[k++] = "--lc";
        av[k++] = lcbuf;
        av[k++] = "--m";
        av[k++] = mbuf;
    }
    av[k++] = "--out";
    av[k++] = (char *)dir;
    if (!isatty(STDERR_FILENO)) /* on a terminal: the run's own epoch line, with its ETA */
        av[k++] = "--no-progress";
    if (resume)
        av[k++] = "--resume";
    av[k] = NULL;
    return run_self(av, NULL);
}

/* trains one run, continuing from its last state when an earlier attempt left one
 * (from scratch when that state cannot be resumed, e.g. a kill between the
 * weights and the state file) */
static int train_run(const exp_plan *pl, const exp_run *r)
{
    char dir[4600];
    run_folder(pl, r, dir, sizeof dir);
    if (ptc_checkpoint_exists(dir)) {
        const int rc = train_attempt(pl, r, dir, true);
        if (rc == 0 || stop_signal)
            return rc;
        fprintf(stderr, "ptc experiment: %s: cannot resume its training; training it again\n", r->id);
    }
    ptc_exp_remove_tree(dir);
    return train_attempt(pl, r, dir, false);
}

static int eval_run(const exp_plan *pl, const exp_run *r)
{
    char dir[4600], json[4700], txt[4700], pred[4700];
    run_folder(pl, r, dir, sizeof dir);
    snprintf(json, sizeof json, "%s/eval_test.json", dir);
    snprintf(txt, sizeof txt, "%s/eval_test.txt", dir);
    snprintf(pred, sizeof pred, "%s/predictions/%s.tsv", pl->out, r->id);
    char *ev[] = {"ptc", "eval", "--run", dir, "--split", "test", "--json", json, "--predictions", pred, NULL};
    return run_self(ev, txt);
}

static json_t *load_json(const char *dir, const char *file)
{
    char p[4800];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return json_load_file(p, 0, NULL);
}

/* The two rows of a finished run (a JSON array: train, infer), or NULL. */
static json_t *run_rows(const exp_plan *pl, const exp_run *r, const exp_run *base)
{
    char dir[4600], pred[300];
    run_folder(pl, r, dir, sizeof dir);
    snprintf(pred, sizeof pred, "predictions/%s.tsv", r->id);
    json_t *ev = load_json(dir, "eval_test.json"), *sum = load_json(dir, "summary.json"),
           *runj = load_json(dir, "run.json"), *rows = NULL;
    if (ev && sum && runj) {
        rows = json_array();
        for (int phase = 0; phase < 2; phase++) {
            ptc_accuracy_row_in in = {.ev = ev, .runj = runj, .sum = sum, .run = pl->run,
                                      .label = r->label, .config_id = r->config_id,
                                      .model = pl->model_name, .cpu = pl->cpu,
                                      .predictions = pred};
            json_t *row = ptc_accuracy_row(&in, phase == 1);
            json_t *b = base == r ? row : base ? (phase ? base->infer_row : base->train_row) : NULL;
            if (b)
                ptc_accuracy_row_ratios(row, b);
            json_array_append_new(rows, row);
        }
    }
    json_decref(ev);
    json_decref(sum);
    json_decref(runj);
    return rows;
}

/* the run's weights and training state (include/ptc/train.h, both layouts) */
static void remove_checkpoints(const exp_plan *pl, const exp_run *r)
{
    static const char *const files[] = {"best.safetensors", "last.safetensors", "last.state"},
                             *const dirs[] = {"last", "last.prev", ".last.tmp"};
    char dir[4600], p[4800];
    run_folder(pl, r, dir, sizeof dir);
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
        snprintf(p, sizeof p, "%s/%s", dir, dirs[i]);
        ptc_exp_remove_tree(p);
    }
}

static void hms(double s, char *out, size_t len)
{
    const long t = s > 0 && s < 1e8 ? (long)(s + 0.5) : 0;
    snprintf(out, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

/* Runs one (dataset, config, seed); on success its rows are in the file. */
static int do_run(exp_plan *pl, exp_run *r)
{
    fprintf(stderr, "== %s %s seed %s: train\n", r->dataset, r->label, r->seed);
    int rc = train_run(pl, r);
    if (rc == 0 && !stop_signal) {
        fprintf(stderr, "== %s %s seed %s: eval\n", r->dataset, r->label, r->seed);
        rc = eval_run(pl, r);
    }
    if (stop_signal)
        return -1;
    char dir[4600], err[512];
    run_folder(pl, r, dir, sizeof dir);
    json_t *rr = rc == 0 ? run_rows(pl, r, ptc_exp_base_of(pl, r)) : NULL;
    if (!rr) {
        fprintf(stderr, "ptc experiment: %s %s seed %s failed (exit %d); see %s\n", r->dataset,
                r->label, r->seed, rc, dir);
        return 1;
    }
    if (ptc_accuracy_rows_append(pl->rows_path, rr, err, sizeof err) != 0) {
        fprintf(stderr, "ptc experiment: %s\n", err);
        json_decref(rr);
        return -1;
    }
    r->train_row = json_incref(json_array_get(rr, 0));
    r->infer_row = json_incref(json_array_get(rr, 1));
    r->done = true;
    json_decref(rr);
    if (pl->remove_checkpoints)
        remove_checkpoints(pl, r);
    return 0;
}

static int run_all(exp_plan *pl)
{
    size_t done = 0, ran = 0;
    int failures = 0;
    size_t total = 0;
    for (size_t i = 0; i < pl->n; i++) {
        done += pl->runs[i].done && !pl->runs[i].skip;
        total += !pl->runs[i].skip;
    }
    fprintf(stderr, "ptc experiment: %zu runs (%zu done); rows -> %s; runs in %s\n", total, done,
            pl->rows_path, pl->runs_dir);
    const double t0 = ptc_now();
    ptc_run_mark_unfinished(pl->out); /* until every run has its rows (common/rows.h) */
    for (size_t i = 0; i < pl->n && !stop_signal; i++) {
        exp_run *r = &pl->runs[i];
        if (r->done && pl->remove_checkpoints) /* killed between its rows and the removal */
            remove_checkpoints(pl, r);
        if (r->done || r->skip)
            continue;
        const double t1 = ptc_now();
        char eta0[32] = "after the first run";
        if (ran)
            hms((t1 - t0) / (double)ran * (double)(total - done), eta0, sizeof eta0);
        fprintf(stderr, "[%zu/%zu] %s %s seed %s: starting; experiment ETA %s\n", done + 1, total,
                r->dataset, r->label, r->seed, eta0);
        const int rc = do_run(pl, r);
        if (rc < 0)
            break;
        failures += rc != 0;
        done++;
        ran++;
        const double el = ptc_now() - t0;
        char eta[32], took[32], acc[32] = "FAILED";
        hms(el / (double)ran * (double)(total - done), eta, sizeof eta);
        hms(ptc_now() - t1, took, sizeof took);
        if (rc == 0)
            snprintf(acc, sizeof acc, "accuracy %.4f", ptc_json_num(r->infer_row, "accuracy"));
        fprintf(stderr, "[%zu/%zu] %s %s seed %s: %s in %s; ETA %s\n", done, total, r->dataset,
                r->label, r->seed, acc, took, eta);
    }
    if (stop_signal) {
        fprintf(stderr, "ptc experiment: stopped by signal %d: %zu of %zu runs done; `--resume` continues\n",
                (int)stop_signal, done, total);
        return 128 + stop_signal;
    }
    if (done == total) /* every run has its rows (a failed one its failure) */
        ptc_run_mark_finished(pl->out);
    fprintf(stderr, "ptc experiment: done (%d failed); `ptc table --kind table2 %s`\n", failures, pl->out);
    return failures ? 1 : 0;
}

int ptc_experiment_main(int argc, char **argv)
{
    exp_plan pl;
    int rc = ptc_exp_plan_build(&pl, argc, argv);
    if (rc != 0)
        return rc == -1 ? 0 : rc;
    if (ptc_exp_shard(&pl) != 0 || (!pl.dry_run && ptc_exp_open(&pl) != 0)) {
        ptc_exp_plan_free(&pl);
        return 1;
    }
    if (pl.dry_run) {
        ptc_exp_plan_free(&pl);
        return 0;
    }
    size_t n_write = 0;
    for (size_t i = 0; i < pl.n; i++)
        n_write += !pl.runs[i].skip && !pl.runs[i].done;
    if (pl.shard.count)
        ptc_shard_record(pl.out, &pl.shard, "experiment", pl.shard_name, pl.cpu, n_write, "running");
    stop_signal = 0;
    install_stop_handlers();
    rc = run_all(&pl);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (pl.shard.count)
        ptc_shard_record(pl.out, &pl.shard, "experiment", pl.shard_name, pl.cpu, n_write,
                         rc == 0 ? "done" : stop_signal ? "stopped" : "failed");
    ptc_exp_plan_free(&pl);
    return rc;
}
