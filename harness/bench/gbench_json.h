/*
 * harness/bench/gbench_json.h — a `ptc bench` run's one `gbench.json` and its benchmark
 * names (harness/bench/gbench_json.c).
 *
 * gbench.json is in Google Benchmark's JSON schema ("context" + "benchmarks": name,
 * run_name, run_type, repetitions, repetition_index, threads, iterations, real_time,
 * cpu_time, time_unit, and GB's aggregates NAME_mean/_median/_stddev/_cv/_min/_max),
 * one entry per repetition of each configuration the run wrote a row for, so that
 * GB's tools/compare.py compares two runs configuration by configuration.
 */
#ifndef PTC_HARNESS_GBENCH_JSON_H
#define PTC_HARNESS_GBENCH_JSON_H

#include "bench/sweep.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The benchmark name of c from its own values (level, variant, p, lc, m, model,
 * seq, batch, isa, threads, and pad, project_kept, phase where not the default);
 * unique per config_id, stable across sweeps, CPUs and commits. */
void ptc_gbench_config_name(const ptc_sweep_config *c, char *out, size_t len);

/* Merges GB's JSON of one suite (`part`, its cases named names[0..n)) into `dest`
 * (created when missing): the entries of the cases with keep[i], renamed to the
 * case's name, replacing dest's entries of those cases. dest keeps its first
 * context. 0, or -1 with a one-line reason in err (dest is then unchanged). */
int ptc_gbench_json_merge(const char *dest, const char *part, const char *const *names,
                          const bool *keep, size_t n, char *err, size_t errlen);

#endif /* PTC_HARNESS_GBENCH_JSON_H */
