/*
 * harness/learn/experiment.h — the plan of `ptc experiment` (harness/learn/
 * experiment.c runs it; experiment_plan.c builds, checks and resumes it).
 * A run is one (dataset, configuration, seed); the baseline of each (dataset,
 * seed) comes first, since the other runs' ratios are against it (a shard's run
 * whose baseline is another shard's gets its ratios from `ptc merge`).
 */
#ifndef PTC_HARNESS_EXPERIMENT_H
#define PTC_HARNESS_EXPERIMENT_H

#include "learn/train.h"

#include "cluster/experiment_shard.h"

typedef struct exp_run {
    const char *dataset;    /* name, or "files" for --train/--test files */
    char variant[16];       /* baseline P PF C PFC */
    double p;               /* 0: the variant does not prune */
    size_t lc, m;           /* 0: the variant does not combine */
    char label[32];         /* BERT, P, PF, C L4, PFC L4 */
    char seed[32];
    char id[200];           /* folder and predictions name: dataset-config-sSEED */
    char config_id[400];    /* the rows' config_id without ";phase=..." */
    bool done;              /* its two rows are in the rows file */
    bool skip;              /* another shard's (harness/cluster/experiment_shard.h) */
    json_t *train_row, *infer_row; /* when done */
} exp_run;

typedef struct exp_plan {
    exp_run *runs;
    size_t n;
    char **pass;            /* options handed to every `ptc train` */
    size_t npass;
    bool files_mode;        /* data from --train/--test files: no --data per run */
    bool resume, remove_checkpoints;
    char run[128];          /* experiment name */
    char out[4096];         /* OUT: rows.jsonl, experiment.json, predictions/ */
    char runs_dir[4400];    /* work folder of the run folders, this experiment's (shard's) own */
    char rows_path[4200];   /* OUT/rows.jsonl */
    const char *model_name;
    char cpu[256];
    char *data_list;        /* owns the dataset names */
    ptc_shard shard;        /* --shard I/N, a Slurm array task, or none (count 0) */
    char shard_name[256];   /* the name of OUT before the shard's folder */
    bool dry_run;
    int lock_fd;            /* OUT's run lock while the experiment runs */
} exp_plan;

/* Parses the command line, builds and checks every run. Returns 0, -1 after
 * printing the usage (--help), 2 on bad usage (message printed). */
int ptc_exp_plan_build(exp_plan *pl, int argc, char **argv);
void ptc_exp_plan_free(exp_plan *pl);
/* Creates OUT, writes or (with --resume) checks OUT/experiment.json, drops a torn
 * last line of OUT/rows.jsonl and (with --resume) marks the runs already in it
 * done. 0, or -1 after a message. */
int ptc_exp_open(exp_plan *pl);
/* Marks the runs of other shards skip (harness/cluster/experiment_shard.h); with
 * --dry-run prints the keys of this shard. 0, or -1 after a message. */
int ptc_exp_shard(exp_plan *pl);
/* the baseline run of r's dataset and seed (r itself for a baseline), or NULL */
exp_run *ptc_exp_base_of(exp_plan *pl, const exp_run *r);
/* rm -r of a folder (no shell) */
void ptc_exp_remove_tree(const char *dir);

#endif /* PTC_HARNESS_EXPERIMENT_H */
