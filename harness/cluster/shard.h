/*
 * harness/cluster/shard.h — splitting a sweep or an experiment across machines.
 *
 * A shard is "I of N" (1 <= I <= N). The configurations are partitioned by their
 * config ids alone: the ids are sorted (strcmp) and the k-th id (0-based) belongs to
 * shard (k mod N) + 1. The partition therefore depends only on the SET of ids, never
 * on the order in which a sweep lists its values, and the N shards are disjoint,
 * cover every configuration and differ in size by at most one.
 *
 * Where the shard comes from, first match wins:
 *   --shard I/N                     on the command line
 *   SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT (and SLURM_ARRAY_TASK_MIN, default 0):
 *                                   I = ID - MIN + 1, N = COUNT (a Slurm job array)
 *   JOB_COMPLETION_INDEX with --shards N:  I = INDEX + 1 (a Kubernetes Indexed Job)
 * and none of them: not sharded (count 0). `--shard 1/1` runs everything even in an
 * array task.
 *
 * A shard writes its own run folder, named after the run and the shard
 * (ptc_shard_suffix: "-shard-2-of-4"), and records itself in that folder's
 * shard.json (schema ptc.shard/1: name, shard, count, host, cpu, command,
 * configurations, Slurm job, state "running" | "done" | "failed", times), which
 * `ptc status` and `ptc merge` read.
 */
#ifndef PTC_HARNESS_CLUSTER_SHARD_H
#define PTC_HARNESS_CLUSTER_SHARD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ptc_shard {
    int index;          /* 1..count */
    int count;          /* 0: not sharded */
    char source[64];    /* "--shard", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX" */
} ptc_shard;

/* "I/N" -> shard. Returns 0, or -1 with a one-line reason. */
int ptc_shard_parse(const char *text, ptc_shard *out, char *err, size_t err_len);

/* The shard from `given` ("I/N", or NULL: not given) or else from the environment
 * (above); `shards` is --shards N (0: not given). Returns 0 (out->count 0: not
 * sharded), or -1 with a one-line reason. */
int ptc_shard_resolve(const char *given, long shards, ptc_shard *out, char *err, size_t err_len);

/* For commands whose parser is not table-driven (ptc bench): removes "--shard I/N" and "--shards N" (also "--opt=value") from argv (argv[*argc]
 * stays NULL-terminated when it was), then fills *out from them like
 * ptc_shard_resolve. Returns 0, or -1 with a one-line reason (bad value, an
 * out-of-range environment). */
int ptc_shard_take_args(int *argc, char **argv, ptc_shard *out, char *err, size_t err_len);

/* mine[i] = configuration i (of ids[0..n)) belongs to shard s; all true when s is not
 * sharded. Equal ids fall into the same shard. Returns how many are mine, or
 * (size_t)-1 when out of memory. */
size_t ptc_shard_select(const char *const *ids, size_t n, const ptc_shard *s, bool *mine);

/* A string and its position; sorted with ptc_id_ref_cmp (by string, then position),
 * equal strings are adjacent in their original order. */
typedef struct ptc_id_ref {
    const char *id;
    size_t index;
} ptc_id_ref;
int ptc_id_ref_cmp(const void *a, const void *b);

/* "-shard-I-of-N", or "" when not sharded. */
void ptc_shard_suffix(const ptc_shard *s, char *out, size_t len);

/* Writes DIR/shard.json (atomically: a temporary file renamed over it) with the
 * given state ("running", "done", "failed"); `started` is kept from an existing
 * shard.json of the same shard. Returns 0, or -1 with errno set. */
int ptc_shard_record(const char *dir, const ptc_shard *s, const char *command, const char *name,
                     const char *cpu, size_t n_configs, const char *state);

#endif /* PTC_HARNESS_CLUSTER_SHARD_H */
