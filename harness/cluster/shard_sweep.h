/*
 * harness/cluster/shard_sweep.h — a shard of a `ptc bench` sweep (shard.h applied to
 * the sweep's configurations, harness/bench/sweep.h).
 *
 * A configuration of another shard is not run here: it stops being pending. The
 * group's baseline may still be timed here as the reference of this shard's
 * speedups (bench.h: a group child times its baseline even when it is not written).
 */
#ifndef PTC_HARNESS_CLUSTER_SHARD_SWEEP_H
#define PTC_HARNESS_CLUSTER_SHARD_SWEEP_H

#include "bench/sweep.h"
#include "cluster/shard.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* mine[i] = configuration i belongs to shard s (all, unsharded); pending[i] is cleared
 * where it does not and *n_pending lowered to match. Returns how many are mine, or
 * (size_t)-1 when out of memory. */
size_t ptc_shard_sweep_select(const ptc_shard *s, const ptc_sweep_config *configs, size_t n,
                              bool *mine, bool *pending, size_t *n_pending);

/* --dry-run of a shard: "shard I/N (from SOURCE): K of the N configurations; ..."
 * then one "id CONFIG_ID" line per configuration of the shard. Nothing unsharded. */
void ptc_shard_sweep_print(const ptc_shard *s, const ptc_sweep_config *configs, size_t n,
                           const bool *mine, FILE *out);

/* The run folder name of a shard, "NAME-shard-I-of-N"; "" unsharded. */
void ptc_shard_sweep_run_name(const ptc_shard *s, const char *name, char *out, size_t len);

#endif /* PTC_HARNESS_CLUSTER_SHARD_SWEEP_H */
