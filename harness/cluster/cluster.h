/*
 * harness/cluster/cluster.h — running ptc on a cluster: the commands.
 *
 *   ptc merge RUN... --out DIR   shard folders (or any run folders) into one run
 *   ptc status RUN...            shards of a sharded run: done, running, missing
 *   ptc slurm bench|experiment [their options] [Slurm options] [--submit]
 *                                a Slurm job-array script, one task per shard
 *
 * Shards themselves (--shard I/N of ptc bench and ptc experiment) are in shard.h,
 * the one-writer lock of a run folder in lock.h. Exit codes: 0 ok, 1 a failed run
 * (unreadable input, a lock held, sbatch failed; for status: some shard not done),
 * 2 bad usage.
 */
#ifndef PTC_HARNESS_CLUSTER_H
#define PTC_HARNESS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

/* argv[0] is the subcommand name ("merge", "status", "slurm"). */
int ptc_merge_main(int argc, char **argv);
int ptc_status_main(int argc, char **argv);
int ptc_slurm_main(int argc, char **argv);

/* Run folders under `path`: `path` itself when it holds rows.jsonl or shard.json,
 * else its subfolders (4 levels deep at most) that do, in name order. `skip` (may be
 * NULL) is left out. Appends malloc'ed paths to *dirs (*n of them). Returns 0, or -1
 * when `path` cannot be read (errno set). */
int ptc_cluster_find_runs(const char *path, const char *skip, char ***dirs, size_t *n);
void ptc_cluster_free_runs(char **dirs, size_t n);

#endif /* PTC_HARNESS_CLUSTER_H */
