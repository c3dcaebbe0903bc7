/*
 * harness/cluster/experiment_shard.h — which trainings a shard of `ptc experiment` runs.
 *
 * An experiment's unit is one training: a configuration and a seed, keyed
 * "<config>;seed=<s>" (the tail of its rows' config_id before ";phase="). Keys are
 * partitioned like a sweep's configurations (ptc_shard_select). A key is WRITTEN by
 * this process when it is in this shard and its two rows (phase train and infer,
 * status ok) are not already in OUT/rows.jsonl (a requeued or restarted shard resumes;
 * nothing is written twice). A baseline is also RUN, without being written, when
 * another key of its seed is written here: the ratios of a row (speedup, flops_ratio,
 * memory_ratio) are against the baseline of the same seed, measured on the same host.
 */
#ifndef PTC_HARNESS_CLUSTER_EXPERIMENT_SHARD_H
#define PTC_HARNESS_CLUSTER_EXPERIMENT_SHARD_H

#include "cluster/shard.h"

#include <stdbool.h>
#include <stddef.h>

/* keys[c * ns + s] for configuration c of nc and seed s of ns; baseline[c]: c is the
 * baseline. rows_path: the rows already written (a torn last line is dropped first),
 * NULL: none count as done. Fills run[] and write[] (nc * ns each). Returns how many
 * keys are written here, or -1 when rows_path exists and cannot be read. */
long ptc_experiment_shard_plan(const char *rows_path, const char *const *keys, const bool *baseline,
                               size_t nc, size_t ns, const ptc_shard *shard, bool *run, bool *write);

#endif /* PTC_HARNESS_CLUSTER_EXPERIMENT_SHARD_H */
