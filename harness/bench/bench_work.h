/*
 * harness/bench/bench_work.h — one group of `ptc bench` configurations measured in a
 * forked child (harness/bench/bench_work.c; the process model: harness/bench/bench.h).
 */
#ifndef PTC_HARNESS_BENCH_WORK_H
#define PTC_HARNESS_BENCH_WORK_H

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

#endif /* PTC_HARNESS_BENCH_WORK_H */
