/*
 * harness/bench/bench.h — `ptc bench`: the sweep runner.
 *
 * Process model. The parent (ptc_bench_main) parses and validates the sweep,
 * writes the run folder and appends rows; it never calls OpenMP or a kernel, so
 * forking it is safe. Each GROUP of configurations (same level, model, seq,
 * batch, pad, isa, threads: they differ only in variant settings and are timed
 * against each other) runs in a forked child (ptc_bench_run_group), which sends
 * its rows back as JSON lines through a pipe. A child that crashes or fails
 * becomes error rows and the sweep goes on. Inside a group child, each
 * configuration's peak RSS is measured in its own short-lived grandchild (set
 * up, one forward, getrusage), forked before the group child touches OpenMP.
 *
 * Timing (inside the group child): Google Benchmark through harness/bench/gbench.h,
 * every configuration of the group in one suite with
 * --benchmark_enable_random_interleaving=true (repetitions of baseline and
 * variants run in random interleaved order), real time, `reps` repetitions of
 * at least min_time seconds each, preceded by one untimed call per
 * configuration (it checks the configuration, warms caches and gives the
 * accounting) and an optional GB warm-up.
 */
#ifndef PTC_HARNESS_BENCH_H
#define PTC_HARNESS_BENCH_H

#include "bench/calibrate.h"
#include "bench/sweep.h"
#include "bench/sweep_rows.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ptc_bench_ctx {
    ptc_row_identity id;
    ptc_calibration cal;   /* cal.root NULL: no calibration (pct_peak null) */
    char run_dir[1024];
    bool bind;             /* bind OpenMP thread i to hardware thread (PU) i */
    bool gbench_console;
    bool progress;         /* --progress: the progress line even when stderr is no terminal */
} ptc_bench_ctx;

/* Runs the configurations of one group in this process (a forked child) and
 * writes one JSON row line per configuration with write[i] to out_fd (the
 * others, e.g. a baseline already written by an earlier run, are timed as the
 * reference for speedups but not written). GB's JSON goes to
 * run_dir/gbench.json (harness/bench/gbench_json.h). Returns 0 (failed configurations are
 * error rows), -1 when nothing could run. */
int ptc_bench_run_group(const ptc_bench_ctx *ctx, const ptc_sweep_config *configs, size_t n,
                        const bool *write, int group_index, int out_fd);

/* `ptc bench [options]`; argv[0] = "bench". Exit codes: 0 ok (error rows may
 * exist: the summary says so), 1 a run failure (cannot write results), 2 bad
 * usage (nothing written), 130 interrupted (finished rows kept; resume with
 * --resume). */
int ptc_bench_main(int argc, char **argv);

#endif /* PTC_HARNESS_BENCH_H */
