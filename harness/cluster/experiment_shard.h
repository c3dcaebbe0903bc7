/*
 * harness/cluster/experiment_shard.h — which trainings a shard of `ptc experiment` runs.
 *
 * An experiment's unit is one training: a configuration and a seed, keyed
 * "<config>;seed=<s>" (the tail of its rows' config_id before ";phase="). Keys are
 * partitioned like a sweep's configurations (ptc_shard_select). A key is WRITTEN by
 * this process when it is in this shard and its two rows (phase train and infer,
 * status ok) are not already in OUT/rows.jsonl (a requeued or restarted shard resumes;
 * nothing is written twice). A shard trains only the keys it writes: a row whose
 * baseline (same dataset and seed) is another shard's has no ratios (speedup,
 * flops_ratio, memory_ratio, rss_ratio) until `ptc merge` adds them from the merged
 * baseline rows (harness/cluster/merge.c).
 */
#ifndef PTC_HARNESS_CLUSTER_EXPERIMENT_SHARD_H
#define PTC_HARNESS_CLUSTER_EXPERIMENT_SHARD_H

#include "cluster/shard.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PTC_EXPERIMENT_KEY_LEN 160

/* nc configurations x ns seeds; index i = c * ns + s. */
typedef struct ptc_experiment_plan {
    size_t nc, ns;
    char (*key)[PTC_EXPERIMENT_KEY_LEN]; /* key[i] */
    bool *write;                         /* write[i] (ptc_experiment_plan_decide) */
    long n_write;
} ptc_experiment_plan;

/* Allocates the plan. 0, or -1 when out of memory (the plan is then empty). */
int ptc_experiment_plan_init(ptc_experiment_plan *p, size_t nc, size_t ns);
void ptc_experiment_plan_free(ptc_experiment_plan *p);
/* The key of configuration c (id `config`) and seed s. */
void ptc_experiment_plan_set(ptc_experiment_plan *p, size_t c, size_t s, const char *config,
                             const char *seed);
/* Fills write[] for `shard`. rows_path: the rows already written (a torn last
 * line is dropped first), NULL: none count as done. Returns n_write, or -1 when
 * rows_path exists and cannot be read (or out of memory). */
long ptc_experiment_plan_decide(ptc_experiment_plan *p, const char *rows_path, const ptc_shard *shard);
/* --dry-run: the count, then "id KEY" per training written here. */
void ptc_experiment_plan_print(const ptc_experiment_plan *p, const ptc_shard *shard, FILE *out);

#endif /* PTC_HARNESS_CLUSTER_EXPERIMENT_SHARD_H */
