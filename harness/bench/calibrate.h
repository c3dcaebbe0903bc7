/*
 * harness/bench/calibrate.h — `ptc calibrate`: the machine's measured ceilings, once
 * per machine, in results/<cpu-slug>/calibration.json (schema ptc.calibration/1):
 *
 *   {"schema": "ptc.calibration/1", "cpu", "cpu_slug", "date", "quick",
 *    "load_average", "seconds_per_figure", "best_isa",
 *    "peak_gflops": {"avx512": {"1": 123.4, "2": 246.1}, "avx2": {...}},
 *    "bandwidth_gbps": {"1": 30.2, "2": 41.0}}
 *
 * Peak FMA per vector ISA (include/ptc/peak.h: best of many ~10 ms runs of 12 FMA
 * chains) and triad bandwidth, for 1..N threads (N = hardware threads, or
 * --threads). `ptc bench` cites the figure of a row's ISA and thread count; the
 * ref table (scalar specification) is cited against the best vector ISA's peak.
 *
 * Measuring uses OpenMP: in `ptc bench` it runs in a child process.
 */
#ifndef PTC_HARNESS_CALIBRATE_H
#define PTC_HARNESS_CALIBRATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ptc_calibration {
    json_t *root;     /* the parsed file (owned), NULL when none */
    char path[600];
} ptc_calibration;

/* results_root/<slug>/calibration.json */
void ptc_calibration_path(const char *results_root, const char *slug, char *out, size_t len);

/* Loads a calibration file. 0 ok; -1 with a message (missing file: errno ENOENT). */
int ptc_calibration_load(const char *path, ptc_calibration *cal, char *err, size_t len);
void ptc_calibration_free(ptc_calibration *cal);

/* Peak GFLOP/s for an ops table name and thread count: the table's own ISA, or
 * the best vector ISA for "ref" (*peak_isa says which); 0 when not calibrated. */
double ptc_calibration_peak(const ptc_calibration *cal, const char *isa, int threads,
                            const char **peak_isa);
double ptc_calibration_bandwidth(const ptc_calibration *cal, int threads);

/* Measures and writes the calibration file (path out). quick: ~0.1 s per
 * figure and 2 triad passes; else 0.5 s and 5 passes. threads: the counts
 * (n_threads 0: 1..hardware threads). Returns 0, or -1 with a message. */
int ptc_calibrate_measure(const char *path, bool quick, const int *threads, int n_threads,
                          const char *isa, /* NULL or "best": every vector ISA; else only it */
                          char *err, size_t len);

/* `ptc calibrate [--quick] [--threads LIST] [--isa NAME] [--out DIR]`; argv[0] = "calibrate". */
int ptc_calibrate_main(int argc, char **argv);

#endif /* PTC_HARNESS_CALIBRATE_H */
