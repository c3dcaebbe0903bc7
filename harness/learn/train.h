/*
 * harness/learn/train.h — `ptc train`, `ptc eval`, `ptc predict`, `ptc experiment`
 * (the accuracy side of the harness, issue #7), and the pieces they share:
 * command-line model/variant/data options, batching, evaluation metrics.
 *
 * Run folder of `ptc train --out DIR`:
 *   run.json          how the run was made (argv, dataset, vocab, model, variant,
 *                     optimiser, seed); `ptc eval/predict --run DIR` read it
 *   last.safetensors  weights after the last finished step (end of each epoch,
 *   last.state        --save-every, --max-steps or Ctrl-C) + AdamW moments, step,
 *                     best validation: what --resume continues from
 *   best.safetensors  weights of the epoch with the lowest validation loss
 *   train_log.jsonl   one line per step (loss, lr, seconds, tokens) and per
 *                     validation (loss, accuracy, peak RSS)
 *   summary.json      per-step time statistics, throughput, peak memory, best epoch
 * Determinism: the epoch order is a permutation drawn from (seed, epoch); the
 * dropout/Gumbel noise of step s from (seed, s); training is bit-identical for
 * any thread count (model.h), so an interrupted run resumed from last.* ends
 * with the same weights as an uninterrupted one.
 *
 * Exit codes: 0 ok, 1 failed run (unreadable file, bad line, shape mismatch,
 * ISA the CPU lacks), 2 bad usage. Errors are one line on stderr.
 */
#ifndef PTC_HARNESS_TRAIN_H
#define PTC_HARNESS_TRAIN_H

#include "ptc/dataset.h"
#include "ptc/model.h"
#include "ptc/tokenizer.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int ptc_train_main(int argc, char **argv);
int ptc_eval_main(int argc, char **argv);
int ptc_predict_main(int argc, char **argv);
int ptc_experiment_main(int argc, char **argv);

/* `ptc table --kind accuracy` (harness/report/table_accuracy.c); t and rows as in
 * harness/report/report.h; returns 0 or -1 after a message. */
struct ptc_rtable;
int ptc_table_build_accuracy(struct ptc_rtable *t, const json_t **rows, size_t n);
/* the accuracy plots of `ptc plot` (harness/report/plot_accuracy.c): accuracy_vs_p and
 * accuracy_vs_speedup in dir; counters as plot.c keeps them */
void ptc_plot_accuracy(const char *dir, const char *terminal, const char *ext, bool render,
                       const json_t **rows, size_t n, int *written, int *skipped, int *failed);

/* ---- shared options ------------------------------------------------------------------ */
typedef struct ptc_run_opts {
    /* data */
    const char *data, *data_dir, *train, *dev, *test, *labels, *vocab, *cache_dir;
    size_t max_len;            /* 512 */
    bool skip_bad_lines;
    uint64_t split_seed;
    size_t synth_train, synth_dev, synth_test, synth_classes; /* 0: defaults */
    /* model */
    const char *model;         /* preset, "bert-mini" */
    size_t hidden, layers, heads, ffn; /* 0: preset's */
    const char *variant;       /* baseline | P | PF | C | PFC */
    const char *rule;          /* NULL: topk for P, clamp otherwise */
    double p;                  /* 0: default 0.9 */
    size_t lc, m;              /* 0: defaults (L_c = layers - 1, at least 1; m = 8) */
    const char *pad_mode;      /* length-aware | padded */
    double dropout;            /* < 0: default */
    /* optimisation */
    size_t batch, epochs, max_steps, save_every, eval_batch;
    double lr, warmup, weight_decay; /* warmup: fraction of total steps if < 1, else steps */
    uint64_t seed;
    int threads;               /* 0: OpenMP default */
    const char *out;           /* run folder */
    bool resume, quiet, no_progress;
} ptc_run_opts;

void ptc_run_opts_default(ptc_run_opts *o);
/* Parses one option at argv[*i] (advancing *i past its value). Returns 1 when it
 * was one of the shared options, 0 when not, -1 on a bad value (message printed
 * with prog). */
int ptc_run_opts_parse(ptc_run_opts *o, int argc, char **argv, int *i, const char *prog);
/* usage lines of the shared options */
void ptc_run_opts_usage(FILE *out);

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

/* ---- batches --------------------------------------------------------------------------- */
typedef struct ptc_batcher {
    size_t cap_batch, cap_n;
    int32_t *ids, *lengths, *labels;
    ptc_batch b;
    size_t tokens; /* real tokens in the batch */
} ptc_batcher;
int ptc_batcher_init(ptc_batcher *bt, size_t batch, size_t n);
void ptc_batcher_free(ptc_batcher *bt);
/* Fills the batch with documents idx[0..count) of split s, padded with pad_id to
 * the longest of them (length-aware) or to cap_n (padded mode). */
void ptc_batcher_fill(ptc_batcher *bt, const ptc_split *s, const size_t *idx, size_t count,
                      int32_t pad_id, bool pad_full);

/* ---- evaluation -------------------------------------------------------------------------- */
typedef struct ptc_eval_result {
    size_t n, n_classes;
    double loss, accuracy, macro_f1, micro_f1;
    size_t *confusion;        /* (n_classes, n_classes): [true][predicted] */
    int32_t *predicted;       /* (n) */
    float *logits;            /* (n, n_classes) */
    double seconds;           /* forwards only */
    size_t tokens;            /* real tokens */
    size_t batches;
    double flops_per_sample;  /* ptc_stats_flops_total over the forwards / n */
    double act_bytes_per_batch; /* mean over batches of activations + K/V + scores bytes */
    size_t n_steps;           /* steps of the plan */
    double keys_mean[PTC_MAX_LAYERS + 1];   /* per step: keys attended per (sample, head) */
    double tokens_mean[PTC_MAX_LAYERS + 1]; /* per step: query rows per sample */
    double batch_time_median; /* seconds per full batch */
    double *batch_times;      /* (n_batch_times) seconds of each full batch */
    size_t n_batch_times;
} ptc_eval_result;

/* Runs the inference forward over split s in batches; kept-per-layer statistics
 * from the first batch. */
int ptc_evaluate(ptc_model *m, const ptc_split *s, size_t n_classes, size_t batch, int32_t pad_id,
                 ptc_eval_result *r, char *err, size_t err_len);
void ptc_eval_result_free(ptc_eval_result *r);

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
/* Appends a row (or a JSON array of rows), one line each, in one write, flushed
 * and fsync'd; 0 or -1 with a message. */
int ptc_rows_append(FILE *f, json_t *rows, char *err, size_t err_len);
/* number at a dotted path of o ("time_s.median"), NaN when absent */
double ptc_json_num(json_t *o, const char *path);

/* seconds of a monotonic clock */
double ptc_now(void);
/* peak resident set of this process, bytes */
size_t ptc_peak_rss(void);
/* summary statistics of v (n >= 1): median, mean, stddev, min, max as a JSON object
 * {"median","mean","stddev","min","max","cv","n"} */
json_t *ptc_time_stats(const double *v, size_t n);

#endif /* PTC_HARNESS_TRAIN_H */
