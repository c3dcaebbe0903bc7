/*
 * harness/learn/train.h — `ptc train`, `ptc eval`, `ptc predict`, `ptc experiment`
 * (the accuracy side of the harness, issue #7), and the pieces they share:
 * command-line model/variant/data options and accuracy rows. The commands call
 * the library for batches, evaluation, the training loop and its checkpoints
 * (include/ptc/train.h).
 *
 * Run folder of `ptc train --out DIR`:
 *   run.json          how the run was made (argv, dataset, vocab, model, variant,
 *                     optimiser, seed); `ptc eval/predict --run DIR` read it
 *   last/             the checkpoint --resume continues from, one unit
 *                     (include/ptc/train.h): model.safetensors (weights
 *                     after the last finished step: end of each epoch,
 *                     --save-every, --max-steps or Ctrl-C) and state (AdamW
 *                     moments, step, best validation); last.prev/ for a moment
 *                     while a save commits
 *   best.safetensors  weights of the epoch with the lowest validation loss
 *   train_log.jsonl   one line per step (loss, lr, seconds, tokens) and per
 *                     validation (loss, accuracy, peak RSS), flushed as written;
 *                     --resume drops the lines past its checkpoint first
 *   summary.json      per-step time statistics, throughput, peak memory, best epoch
 * Determinism (include/ptc/train.h): an interrupted run resumed from last/ ends
 * with the same weights as an uninterrupted one, for any thread count.
 *
 * Exit codes: 0 ok, 1 failed run (unreadable file, bad line, shape mismatch,
 * ISA the CPU lacks), 2 bad usage. Errors are one line on stderr.
 */
#ifndef PTC_HARNESS_TRAIN_H
#define PTC_HARNESS_TRAIN_H

#include "common/options.h"
#include "common/sys.h"
#include "ptc/dataset.h"
#include "ptc/model.h"
#include "ptc/tokenizer.h"
#include "ptc/train.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int ptc_train_main(int argc, char **argv);
int ptc_eval_main(int argc, char **argv);
int ptc_predict_main(int argc, char **argv);
int ptc_experiment_main(int argc, char **argv);

/* `ptc table --kind accuracy` (harness/report/table_accuracy.c); t and rows: (*pn) as in
 * harness/report/report.h; returns 0 or -1 after a message. */
struct ptc_rtable;
int ptc_table_build_accuracy(struct ptc_rtable *t, const json_t **rows, size_t *pn);

/* ---- shared options ------------------------------------------------------------------ */
typedef struct ptc_run_opts {
    /* data */
    const char *data, *data_dir, *train, *dev, *test, *labels, *vocab, *cache_dir;
    size_t max_len;
    bool skip_bad_lines;
    uint64_t split_seed;
    size_t synth_train, synth_dev, synth_test, synth_classes; /* 0: defaults */
    /* model */
    const char *model;         /* preset */
    size_t hidden, layers, heads, ffn; /* 0: preset's */
    const char *variant;       /* learn name: baseline | P | PF | C | PFC */
    const char *rule;          /* NULL: topk for P, clamp otherwise */
    double p;                  /* in (0, 1] */
    size_t lc, m;              /* 0: defaults (L_c = layers - 1, at least 1; m = 8) */
    const char *pad_mode;      /* length-aware | padded */
    double dropout;            /* < 0: the preset's */
    ptc_opt_list keep_ratios;  /* TopK: keep ratio of each removing layer in order (empty: p) */
    double ltp_temperature, ltp_lambda; /* LTP: soft-mask temperature T, regularizer weight */
    double ltp_threshold_init;          /* LTP: the last removing layer's initial threshold */
    size_t tome_r;                      /* ToMe: tokens merged away per merging layer */
    /* optimisation */
    size_t batch, epochs, max_steps, save_every, eval_batch;
    double lr, warmup, weight_decay; /* warmup: fraction of total steps if < 1, else steps */
    uint64_t seed;
    /* computation: --isa (NULL: best, or PTC_ISA) and --threads (0: OpenMP's default) */
    const char *isa;
    int threads;
    const char *out;           /* run folder */
    bool resume, quiet, no_progress;
} ptc_run_opts;

/* Option groups of the learn commands, rows over a ptc_run_opts
 * (harness/learn/learn_options.c); the defaults are in the rows. */
typedef enum ptc_learn_group {
    PTC_LEARN_DATA,    /* --data, --train/--dev/--test, --data-dir, synthetic sizes ... */
    PTC_LEARN_TEXT,    /* --vocab, --labels, --max-len */
    PTC_LEARN_SHAPE,   /* --model, --hidden, --layers, --heads, --ffn */
    PTC_LEARN_VARIANT, /* --variant, --rule, --p, --lc, --m, --pad-mode, --dropout */
    PTC_LEARN_TRAIN,   /* --epochs, --lr, --warmup, --seed, --out, --resume ... */
    PTC_LEARN_BATCH,   /* --batch, --eval-batch */
    PTC_LEARN_COMPUTE, /* --isa, --threads */
    PTC_LEARN_NGROUPS
} ptc_learn_group;
/* zero, then every group's defaults */
void ptc_run_opts_default(ptc_run_opts *o);
ptc_opt_group ptc_learn_group_of(ptc_learn_group which, ptc_run_opts *o);
/* All the learn groups over o (for the spec's `others`, and to read a stored argv). */
void ptc_learn_groups_all(ptc_opt_group g[PTC_LEARN_NGROUPS], ptc_run_opts *o);
/* Options of eval, predict and experiment themselves (their rows: learn_options.c). */
typedef struct ptc_experiment_opts {
    ptc_opt_list seeds, p_sweep, lc_sweep, m_sweep;
    ptc_opt_names variants;
    const char *work;
    int checkpoints;   /* 0 keep, 1 remove (after the run's rows are written) */
    const char *shard;   /* --shard I/N (harness/cluster/shard.h) */
    size_t shards;       /* --shards N, with JOB_COMPLETION_INDEX */
    bool dry_run;
} ptc_experiment_opts;
extern const ptc_option ptc_eval_rows[], ptc_predict_rows[], ptc_experiment_rows[];
/* Every learn command's rows (bases unset): a spec's `others`, so that an option
 * of a sibling command is named as one that does not apply. */
enum { PTC_LEARN_NOTHERS = PTC_LEARN_NGROUPS + 3 };
void ptc_learn_others(ptc_opt_group g[PTC_LEARN_NOTHERS]);
/* Checks between options after a parse: conflicting sources of data (--data
 * with --train/--dev/--test). 0, or 2 after a one-line message. */
int ptc_run_opts_check(const ptc_run_opts *o, const ptc_opt_seen *seen, const char *prog);
/* Reads a stored train argv (run.json "argv") into o, over o's current values.
 * 0, or -1 with a reason. */
int ptc_run_opts_from_argv(ptc_run_opts *o, int argc, char **argv, char *err, size_t err_len);

/* One warning line on stderr when a pruning variant's plan prunes nothing (PFC
 * with L_c too early: it computes what C computes). */
void ptc_warn_if_nothing_pruned(const ptc_model_config *cfg);
/* Model config from the options (preset, shape overrides, variant) for a
 * dataset of n_classes and a vocabulary of vocab_size. */
int ptc_run_model_config(const ptc_run_opts *o, size_t vocab_size, size_t n_classes,
                         ptc_model_config *cfg, char *err, size_t err_len);
/* Tokenizer for the options' data (synthetic: its own vocabulary; otherwise
 * --vocab, $PTC_VOCAB, or ../shared/models/bert-base-uncased-vocab/vocab.txt);
 * *vocab_path gets the path used ("synthetic" for the built-in one). */
ptc_tokenizer *ptc_run_tokenizer(const ptc_run_opts *o, const char **vocab_path, char *err,
                                 size_t err_len);
int ptc_run_dataset(const ptc_run_opts *o, const ptc_tokenizer *tok, ptc_dataset *ds, char *err,
                    size_t err_len);

/* ---- accuracy rows (harness/learn/accuracy_row.c) ---------------------------------------- */
typedef struct ptc_accuracy_row_in {
    json_t *ev;                 /* eval JSON (ptc.eval/1) of the test split */
    json_t *runj, *sum;         /* run.json and summary.json of the training, or NULL */
    const char *run, *label, *config_id, *model, *cpu, *timestamp, *predictions; /* NULL: derived */
    bool infer_only;            /* the variant was applied at inference (sweep "inference") */
} ptc_accuracy_row_in;
/* The ptc.row/1 row of phase train or infer (new JSON object). */
json_t *ptc_accuracy_row(const ptc_accuracy_row_in *in, bool infer);
/* speedup {median}, flops_ratio, memory_ratio, rss_ratio of row against base (same phase) */
void ptc_accuracy_row_ratios(json_t *row, json_t *base);
/* Appends a row (or a JSON array of rows) to the rows file at path, one line each
 * (common/rows.h ptc_row_line), in one write, fsync'd; 0 or -1 with a message. */
int ptc_accuracy_rows_append(const char *path, json_t *rows, char *err, size_t err_len);
/* number at a dotted path of o ("time_s.median"), NaN when absent */
double ptc_json_num(json_t *o, const char *path);

/* summary statistics of v (n >= 1): median, mean, stddev, min, max as a JSON object
 * {"median","mean","stddev","min","max","cv","n"} */
json_t *ptc_time_stats(const double *v, size_t n);

#endif /* PTC_HARNESS_TRAIN_H */
