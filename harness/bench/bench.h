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

#include "bench/bench_work.h"

/* `ptc bench [options]`; argv[0] = "bench". Exit codes: 0 ok (error rows may
 * exist: the summary says so), 1 a run failure (cannot write results), 2 bad
 * usage (nothing written), 130 interrupted (finished rows kept; resume with
 * --resume). */
int ptc_bench_main(int argc, char **argv);

#endif /* PTC_HARNESS_BENCH_H */
