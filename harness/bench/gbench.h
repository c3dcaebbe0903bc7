/*
 * harness/bench/gbench.h — a C API over Google Benchmark (C++), for ptc's harness.
 *
 * A suite holds named cases. Each case is a C callback that Google Benchmark
 * (GB) times: either `run_once(user)` = one iteration (the shim loops), or
 * `run_loop(state, user)` that loops itself with ptc_gbench_keep_running()
 * (for per-case setup outside the timed loop, or for timing pauses).
 * ptc_gbench_run() registers the cases with GB, runs them in insertion order,
 * and captures every repetition through a custom GB reporter, so C gets back,
 * per case: the raw repetition times and median / mean / stddev / min / max /
 * CV over them. Optionally GB's own console table is printed, and GB's own JSON
 * is written (the format of --benchmark_out_format=json, readable by GB's
 * tools/compare.py).
 *
 * Time. Every figure is REAL (wall-clock) time per iteration, in seconds: the
 * cases are registered with UseRealTime(), so multi-threaded work inside a
 * callback (OpenMP) is timed correctly. With `threads` = T > 1, GB runs T
 * copies of the callback concurrently, and time per iteration is the wall time
 * divided by the iterations of all T copies together (GB's convention).
 *
 * Repetitions. GB picks an iteration count per case so that one repetition lasts
 * at least min_time_s (a slow case runs 1 iteration per repetition), then runs
 * `repetitions` repetitions of that count. Each repetition gives one sample.
 *
 * Threading / re-entrance. GB's registry is process-global: run one suite at a
 * time, from one thread. ptc_gbench_run() clears GB's registry before and after.
 * Callbacks run on GB's threads (the calling thread when threads <= 1).
 *
 * Units in GB's JSON: time in microseconds; counter "FLOP/s" (when
 * flops_per_iter > 0) and GB's bytes_per_second (when bytes_per_iter > 0);
 * extra aggregates "min" and "max" besides GB's mean/median/stddev/cv.
 */
#ifndef PTC_HARNESS_GBENCH_H
#define PTC_HARNESS_GBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ptc_gbench ptc_gbench;             /* a suite of cases and their results */
typedef struct ptc_gbench_state ptc_gbench_state; /* GB's per-run state, for run_loop */
typedef struct ptc_gbench_stats ptc_gbench_stats; /* results of one case (below) */

/* One iteration of the work; `user` is the case's user pointer. */
typedef void (*ptc_gbench_once_fn)(void *user);
/* A whole timed run: `while (ptc_gbench_keep_running(state)) work(user);` */
typedef void (*ptc_gbench_loop_fn)(ptc_gbench_state *state, void *user);

/* Per-case settings. Zero-initialise, then set what you need: a zero field
 * means "the suite's default" (ptc_gbench_options). */
typedef struct ptc_gbench_case {
    const char *name;            /* unique in the suite; GB's benchmark name (copied) */
    ptc_gbench_once_fn run_once; /* exactly one of run_once / run_loop */
    ptc_gbench_loop_fn run_loop;
    void *user;                  /* passed to the callback; owned by the caller */
    double flops_per_iter;       /* > 0: GB counter "FLOP/s" and gflops_* in the stats */
    double bytes_per_iter;       /* > 0: GB's bytes_per_second */
    int repetitions;             /* >= 1 samples; 0: suite default */
    double min_time_s;           /* seconds per repetition at least; 0: suite default */
    double warmup_s;             /* untimed warm-up before the first repetition; 0: suite default,
                                    < 0: none */
    int64_t iterations;          /* > 0: exactly this many iterations per repetition
                                    (min_time_s and warm-up are then ignored); 0: by min_time */
    int threads;                 /* GB threads: concurrent copies of the callback; 0/1: one */
    const int64_t *args;         /* n_args GB arguments (shown in GB's name, e.g. "name/512");
                                    read with ptc_gbench_arg(); copied */
    size_t n_args;
    const char *label;           /* GB's label for this case (copied), or NULL */
} ptc_gbench_case;

/* Suite-wide defaults and outputs. Zero-initialise for GB's own defaults. */
typedef struct ptc_gbench_options {
    int repetitions;        /* default samples per case; 0: 5 */
    double min_time_s;      /* default seconds per repetition; 0: GB's --benchmark_min_time (0.5) */
    double warmup_s;        /* default warm-up seconds; 0 or < 0: none */
    const char *json_path;  /* GB's own JSON written here (overwritten), or NULL */
    int console;            /* non-zero: GB's console table on stdout as cases finish */
    /* Called once per case as soon as its last repetition is reported (progress
     * output); the stats pointer stays valid until ptc_gbench_destroy(). */
    void (*on_case_done)(const ptc_gbench_stats *stats, void *user);
    void *on_case_done_user;
    /* Called after every repetition of any case (progress inside a suite): the
     * repetitions done and the total over all cases (failed cases count as done). */
    void (*on_progress)(size_t reps_done, size_t reps_total, void *user);
    void *on_progress_user;
} ptc_gbench_options;

/* Results of one case. Every time is real time per iteration, in seconds. */
struct ptc_gbench_stats {
    const char *name;             /* the case name */
    size_t case_index;            /* order of ptc_gbench_add() */
    int n;                        /* repetitions measured (== requested unless error) */
    const double *rep_s;          /* n raw samples, in the order they ran */
    const int64_t *rep_iterations;/* n iteration counts (all threads together) */
    double median_s, mean_s, stddev_s, min_s, max_s;
    double cv;                    /* stddev_s / mean_s (0 when n < 2) */
    /* flops_per_iter / time, in GFLOP/s; 0 when flops_per_iter == 0 */
    double flops_per_iter;
    double gflops_median;         /* at median_s */
    double gflops_min, gflops_max;/* at max_s and min_s */
    int threads;                  /* GB threads */
    int error;                    /* non-zero: the case failed or never ran */
    const char *error_message;    /* "" unless error */
};

/* Optional, before the first suite: hands GB its --benchmark_* flags (GB
 * consumes them from argv and updates *argc; others stay). Without this call
 * the first ptc_gbench_run() initialises GB with no flags. Note GB's
 * --benchmark_min_time takes a plain number of seconds in GB 1.7 ("0.5"). */
void ptc_gbench_init(int *argc, char **argv);

/* A new, empty suite (options copied; NULL = all defaults). NULL on no memory. */
ptc_gbench *ptc_gbench_create(const ptc_gbench_options *options);
void ptc_gbench_destroy(ptc_gbench *suite);

/* Adds a case; returns its index (>= 0), or -1 when the description is invalid
 * (no name, duplicate name, not exactly one callback, negative counts): then
 * ptc_gbench_error() says why in one line. */
int ptc_gbench_add(ptc_gbench *suite, const ptc_gbench_case *c);

/* Runs every case once (in insertion order). Returns 0 when every case ran,
 * -1 otherwise (JSON file not writable, a case skipped with an error, ...):
 * ptc_gbench_error() says why; results of cases that ran are still there. */
int ptc_gbench_run(ptc_gbench *suite);

size_t ptc_gbench_count(const ptc_gbench *suite);
/* Results of case `index` (after ptc_gbench_run), or NULL if out of range. */
const ptc_gbench_stats *ptc_gbench_result(const ptc_gbench *suite, size_t index);
const char *ptc_gbench_error(const ptc_gbench *suite);

/* ---- inside run_loop callbacks ------------------------------------------------- */
int ptc_gbench_keep_running(ptc_gbench_state *state); /* non-zero: do one more iteration */
void ptc_gbench_pause(ptc_gbench_state *state);       /* stop the clock (costly: ~1 us) */
void ptc_gbench_resume(ptc_gbench_state *state);
int64_t ptc_gbench_arg(const ptc_gbench_state *state, size_t i); /* case args[i] */
int ptc_gbench_thread_index(const ptc_gbench_state *state);     /* 0 .. threads-1 */
int ptc_gbench_threads(const ptc_gbench_state *state);
/* Marks this run failed (the case's error/error_message); then return from the
 * callback without calling ptc_gbench_keep_running() again. */
void ptc_gbench_skip_with_error(ptc_gbench_state *state, const char *message);

/* Keeps the compiler from deleting work whose result is otherwise unused:
 * the memory at p is considered read and written. */
void ptc_gbench_do_not_optimize(void *p);

#ifdef __cplusplus
}
#endif
#endif /* PTC_HARNESS_GBENCH_H */
