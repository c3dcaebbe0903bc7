/*
 * tests/harness/test_gbench.c — the Google Benchmark shim (harness/bench/gbench.h)
 * and the peak measurement (include/ptc/peak.h) that the kernel benchmark and
 * calibrate stand on: repetitions x iterations x threads callbacks, statistics
 * that agree with the per-repetition times, arguments, pause/resume, a failing
 * case that fails the run but not the next case, an unwritable JSON path, and
 * peak FMA / triad figures that are positive and finite (0 for an unknown ISA).
 * (Was `ptc-bench-kernels --self-test`.)
 */
#include "../ptc_test.h"
#include "bench/gbench.h"
#include "ptc/peak.h"
#include "common/sys.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static ptc_test_ctx *st_ctx;

static void st_check(bool ok, const char *what)
{
    ptc_check(st_ctx, ok, "%s", what);
}

static long st_calls;
static void st_count_once(void *user)
{
    (void)user;
    __atomic_add_fetch(&st_calls, 1, __ATOMIC_RELAXED);
}

static int64_t st_seen_args[2];
static void st_loop_with_args(ptc_gbench_state *state, void *user)
{
    volatile float *x = user;
    st_seen_args[0] = ptc_gbench_arg(state, 0);
    st_seen_args[1] = ptc_gbench_arg(state, 1);
    while (ptc_gbench_keep_running(state)) {
        ptc_gbench_pause(state);
        ptc_gbench_resume(state);
        for (int i = 0; i < 1000; i++)
            *x = *x * 0.5f + 1.0f;
    }
}

static void st_loop_fails(ptc_gbench_state *state, void *user)
{
    (void)user;
    ptc_gbench_skip_with_error(state, "deliberate failure");
}

static bool st_stats_consistent(const ptc_gbench_stats *s, int reps)
{
    if (s->error || s->n != reps || !s->rep_s || !s->rep_iterations)
        return false;
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    for (int i = 0; i < s->n; i++) {
        if (!(s->rep_s[i] >= 0) || s->rep_iterations[i] < 1)
            return false;
        sum += s->rep_s[i];
        mn = fmin(mn, s->rep_s[i]);
        mx = fmax(mx, s->rep_s[i]);
    }
    const double mean = sum / s->n;
    double ss = 0;
    for (int i = 0; i < s->n; i++)
        ss += (s->rep_s[i] - mean) * (s->rep_s[i] - mean);
    const double sd = s->n > 1 ? sqrt(ss / (s->n - 1)) : 0;
    const double tol = 1e-9 * (fabs(mean) + 1e-12);
    return s->min_s == mn && s->max_s == mx && s->min_s <= s->median_s &&
           s->median_s <= s->max_s && s->min_s <= s->mean_s && s->mean_s <= s->max_s &&
           fabs(s->mean_s - mean) <= tol && fabs(s->stddev_s - sd) <= tol &&
           (s->mean_s > 0 ? fabs(s->cv - s->stddev_s / s->mean_s) <= 1e-9 : s->cv == 0);
}

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    static char text[1 << 20];
    const size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return strstr(text, needle) != NULL;
}

PTC_TEST(gbench_shim_and_peak)
{
    st_ctx = ctx;
    const double t0 = ptc_now();
    char json_path[] = "/tmp/ptc-gbench-selftest-XXXXXX";
    const int fd = mkstemp(json_path);
    if (fd >= 0)
        close(fd);
    st_check(fd >= 0, "mkstemp for the JSON file");

    ptc_gbench_options opt = {.repetitions = 4, .json_path = json_path};
    ptc_gbench *suite = ptc_gbench_create(&opt);
    st_check(suite != NULL, "create a suite");
    if (!suite)
        return;

    /* invalid descriptions are refused */
    ptc_gbench_case bad = {.name = "selftest/bad"};
    st_check(ptc_gbench_add(suite, &bad) == -1 && ptc_gbench_error(suite)[0],
             "a case without a callback is refused with a message");
    bad.run_once = st_count_once;
    bad.run_loop = st_loop_with_args;
    st_check(ptc_gbench_add(suite, &bad) == -1, "a case with two callbacks is refused");

    ptc_gbench_case count = {.name = "selftest/count", .run_once = st_count_once,
                             .iterations = 3};
    const int i_count = ptc_gbench_add(suite, &count);
    st_check(i_count == 0, "first case gets index 0");
    st_check(ptc_gbench_add(suite, &count) == -1, "a duplicate name is refused");

    static float sink = 1.0f;
    const int64_t args[2] = {7, 11};
    ptc_gbench_case with_args = {.name = "selftest/args", .run_loop = st_loop_with_args,
                                 .user = &sink, .iterations = 10, .repetitions = 3,
                                 .flops_per_iter = 2000, .args = args, .n_args = 2};
    const int i_args = ptc_gbench_add(suite, &with_args);
    ptc_gbench_case threaded = {.name = "selftest/threads", .run_once = st_count_once,
                                .iterations = 5, .repetitions = 2, .threads = 2};
    const int i_threads = ptc_gbench_add(suite, &threaded);
    st_check(i_args == 1 && i_threads == 2 && ptc_gbench_count(suite) == 3, "case indices");

    st_calls = 0;
    const int rc = ptc_gbench_run(suite);
    st_check(rc == 0, "the suite runs without error");
    /* 4 x 3 calls of selftest/count, then 2 threads x 2 x 5 of selftest/threads */
    st_check(st_calls == 4 * 3 + 2 * 2 * 5, "callbacks ran exactly repetitions x iterations x threads times");

    const ptc_gbench_stats *s = ptc_gbench_result(suite, (size_t)i_count);
    st_check(s && strcmp(s->name, "selftest/count") == 0 && s->case_index == 0, "result name and index");
    st_check(s && st_stats_consistent(s, 4), "count: stats consistent with raw samples, n == 4");
    st_check(s && s->rep_iterations[0] == 3 && s->rep_iterations[3] == 3, "count: 3 iterations per repetition");
    st_check(s && s->gflops_median == 0, "no flops given: no GFLOP/s");

    s = ptc_gbench_result(suite, (size_t)i_args);
    st_check(s && st_stats_consistent(s, 3), "args: stats consistent, n == 3");
    st_check(st_seen_args[0] == 7 && st_seen_args[1] == 11, "args reach the callback");
    st_check(s && s->median_s > 0 && fabs(s->gflops_median - 2000e-9 / s->median_s) <= 1e-9 * s->gflops_median &&
                 s->gflops_min <= s->gflops_median && s->gflops_median <= s->gflops_max,
             "GFLOP/s = flops / time, min <= median <= max");

    s = ptc_gbench_result(suite, (size_t)i_threads);
    st_check(s && st_stats_consistent(s, 2) && s->threads == 2 && s->rep_iterations[0] == 10,
             "threads: n == 2, iterations of both threads counted");
    st_check(ptc_gbench_result(suite, 3) == NULL, "out-of-range result is NULL");

    st_check(file_contains(json_path, "\"benchmarks\"") && file_contains(json_path, "selftest/count") &&
                 file_contains(json_path, "selftest/args/7/11") && file_contains(json_path, "\"FLOP/s\""),
             "Google Benchmark JSON written with the case names and the FLOP/s counter");
    ptc_gbench_destroy(suite);
    remove(json_path);

    /* a failing case is reported as such, and the others still run */
    ptc_gbench_options quiet = {.repetitions = 2};
    suite = ptc_gbench_create(&quiet);
    ptc_gbench_case fails = {.name = "selftest/fails", .run_loop = st_loop_fails};
    ptc_gbench_add(suite, &fails);
    count.name = "selftest/after-failure";
    ptc_gbench_add(suite, &count);
    st_calls = 0;
    st_check(ptc_gbench_run(suite) == -1 && ptc_gbench_error(suite)[0], "a failing case fails the run");
    s = ptc_gbench_result(suite, 0);
    st_check(s->error && strstr(s->error_message, "deliberate failure"), "the failure's message is kept");
    s = ptc_gbench_result(suite, 1);
    st_check(!s->error && s->n == 2 && st_calls == 6, "the case after a failure still runs");
    ptc_gbench_destroy(suite);

    /* a JSON path that cannot be written is an error, not a crash */
    ptc_gbench_options unwritable = {.json_path = "/nonexistent-dir/x/gbench.json"};
    suite = ptc_gbench_create(&unwritable);
    ptc_gbench_add(suite, &count);
    st_check(ptc_gbench_run(suite) == -1 && strstr(ptc_gbench_error(suite), "cannot write"),
             "an unwritable JSON path is reported");
    ptc_gbench_destroy(suite);

    /* peak code: positive, finite, and no figure for an ISA this machine lacks */
    const char *best = ptc_peak_best_isa();
    if (best) {
        const double g1 = ptc_peak_fma_gflops(best, 1, 0.05);
        const double g2 = ptc_peak_fma_gflops(best, 2, 0.05);
        st_check(g1 > 0 && isfinite(g1) && g2 > 0 && isfinite(g2), "peak FMA rate is positive and finite");
    }
    st_check(ptc_peak_fma_gflops("no-such-isa", 1, 0.01) == 0, "peak of an unknown ISA is 0");
    const double bw = ptc_peak_triad_gbps(1, (size_t)24 << 20, 2);
    st_check(bw > 0 && isfinite(bw), "triad bandwidth is positive and finite");

    printf("  (gbench shim and peak checks took %.2f s)\n", ptc_now() - t0);
}
