/*
 * harness/bench/bench_parts.h — the steps of `ptc bench` (harness/bench/bench.c) that live
 * in files of their own; internal to harness/bench/. The process model and the public
 * entry points: harness/bench/bench.h.
 *   bench_plan.c    the plan (configurations, pending, estimated cost) and --dry-run
 *   bench_folder.c  --resume, sweep.txt and context.json of the run folder
 *   bench_groups.c  the loop over groups (a forked child each), rows, progress, summary
 */
#ifndef PTC_HARNESS_BENCH_PARTS_H
#define PTC_HARNESS_BENCH_PARTS_H

#include "bench/bench_work.h"
#include "common/machine.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Set by the SIGINT/SIGTERM handler of ptc_bench_main; the loop over groups kills the
 * running child and stops (exit 130). */
extern volatile sig_atomic_t bench_interrupted;
/* The run folder's lock (harness/cluster/lock.h) while ptc_bench_main holds it, else -1;
 * forked children close their copy. */
extern int bench_lock_fd;

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


/* Frees what p owns and zeroes it. */
void bench_plan_free(bench_plan *p);
/* Estimated seconds of every configuration (p->cost) and of the pending ones together
 * (p->total_cost), from the calibrated peak when cal has one. */
void bench_plan_costs(bench_plan *p, const ptc_calibration *cal, const ptc_sweep_opts *o);
/* --dry-run: the configurations of this shard, their count and the estimated time. */
void bench_print_dry_run(const bench_plan *p, const ptc_sweep_opts *o, bool calibrated);
/* "42 s", "3 min 07 s", "1.5 h". */
void bench_format_duration(double s, char *out, size_t len);

/* --resume: the run folder (run_dir, under slug_dir unless a path) and its name (run);
 * unless sweep options are given, its sweep.txt's sections and measurement go to o.
 * 0, or 2 after a message. */
int bench_resolve_resume(ptc_sweep_opts *o, const char *slug_dir, char *run_dir, size_t run_len,
                         char *run, size_t run_name_len);
/* sweep.txt (unless resuming without sweep options) and context.json (context-resume-K.json
 * when resuming) of the run folder; prints the context's warnings. 0, or 1 after a message. */
int bench_write_run_files(const ptc_sweep_opts *op, const ptc_machine *mp, const ptc_bench_ctx *cp,
                          int argc, char **argv, const bench_plan *plan, const char *run_dir,
                          bool resuming);

/* A quick calibration (threads 1..max_threads) written to path, measured in a forked
 * child so this process never starts OpenMP. 0 or -1. */
int bench_calibrate_in_child(const char *path, int max_threads);
/* Runs the pending groups of plan into rows_path (appending) and prints the summary
 * (not when interrupted). 0, 130 when interrupted, or 1 after a message. */
int bench_run_and_summarize(ptc_bench_ctx *ctx, const bench_plan *plan, const char *rows_path,
                            const char *run_dir, bool resuming);

#endif /* PTC_HARNESS_BENCH_PARTS_H */
