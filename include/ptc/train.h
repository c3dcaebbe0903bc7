/*
 * ptc/train.h — the classifier (ptc/model.h) trained and evaluated over a dataset
 * (ptc/dataset.h): documents into batches, evaluation (loss, accuracy, macro and
 * micro F1, confusion, FLOPs, keys kept per step, inference time), the training
 * loop (epochs, AdamW steps, validation each epoch, the best-validation weights,
 * checkpoints, a JSONL log) and the resumable checkpoint it commits.
 *
 *   model/evaluate.c     batches and evaluation
 *   model/train.c        the training loop
 *   model/checkpoint.c   checkpoints and the log a resume trims
 *
 * Determinism: the epoch order is a permutation drawn from (seed, epoch); the
 * dropout/Gumbel noise of step s from (seed, s); training is bit-identical for
 * any thread count (ptc/model.h), so a run stopped at a checkpoint and resumed
 * ends with the same weights as one that never stopped.
 *
 * Errors: functions return 0 or -1 and write one line into err (err_len bytes).
 * Threading: single-threaded around the model, which threads itself.
 */
#ifndef PTC_TRAIN_H
#define PTC_TRAIN_H

#include "ptc/dataset.h"
#include "ptc/model.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- batches (model/evaluate.c) ------------------------------------------------------- */
typedef struct ptc_batcher {
    size_t cap_batch, cap_n;
    int32_t *ids, *lengths, *labels;
    ptc_batch b;
    size_t tokens; /* real tokens in the batch */
} ptc_batcher;
/* Room for batches of up to batch documents of up to n tokens. 0, or -1 (memory). */
int ptc_batcher_init(ptc_batcher *bt, size_t batch, size_t n);
void ptc_batcher_free(ptc_batcher *bt);
/* Fills the batch with documents idx[0..count) of split s, padded with pad_id to
 * the longest of them (length-aware) or to cap_n (padded mode). */
void ptc_batcher_fill(ptc_batcher *bt, const ptc_split *s, const size_t *idx, size_t count,
                      int32_t pad_id, bool pad_full);

/* ---- evaluation (model/evaluate.c) ---------------------------------------------------- */
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

/* Runs the inference forward over split s in batches of `batch` documents (in
 * order; the last may be smaller); kept-per-step statistics from the first
 * batch. Macro F1 is the mean over the classes that occur (in truth or
 * prediction); micro F1 pools 2 TP / (2 TP + FP + FN), equal to the accuracy for
 * single-label data. Re-plans m for (batch, longest document) in m's mode. */
int ptc_evaluate(ptc_model *m, const ptc_split *s, size_t n_classes, size_t batch, int32_t pad_id,
                 ptc_eval_result *r, char *err, size_t err_len);
void ptc_eval_result_free(ptc_eval_result *r);

/* ---- checkpoints (model/checkpoint.c) --------------------------------------------------
 * A checkpoint is a folder RUN/last/ with model.safetensors (the weights) and
 * state (step, AdamW moments, best validation; format in checkpoint.c). Saving
 * writes RUN/.last.tmp/, fsyncs both files and the folder, then renames
 * last -> last.prev and .last.tmp -> last (fsync of RUN after each) and removes
 * last.prev. A kill at any point leaves last/ complete, or no last/ and a
 * complete last.prev/ (the checkpoint before); loading takes last/, else
 * last.prev/, never files of two checkpoints. Runs of the older layout
 * (RUN/last.safetensors + RUN/last.state) still load. */
typedef struct ptc_train_state {
    uint64_t next_step;  /* the first step not yet done */
    double best_loss;    /* lowest validation loss so far (INFINITY: none) */
    uint64_t best_epoch; /* 1-based epoch of best_loss; 0: none */
    uint64_t seed;       /* the run's seed */
} ptc_train_state;

/* Commits m's weights and moments with s as RUN/last. */
int ptc_checkpoint_save(const ptc_model *m, const char *run, const ptc_train_state *s, char *err,
                        size_t err_len);
/* Whether RUN holds a checkpoint to resume from (either layout). */
bool ptc_checkpoint_exists(const char *run);
/* Loads the newest complete checkpoint of RUN into m (initialised with the run's
 * config) and s; refuses a state that does not belong to its weights or to a run
 * of total_steps steps and epochs epochs. */
int ptc_checkpoint_load(ptc_model *m, const char *run, size_t total_steps, size_t epochs,
                        ptc_train_state *s, char *err, size_t err_len);
/* Keeps of the training log at path only the complete lines a run resumed at
 * next_step has not yet to write again: step lines of steps < next_step and
 * validation lines of steps <= next_step (rewritten atomically; a missing log
 * is fine). Lines past a checkpoint come back, once, as the run redoes them. */
int ptc_train_log_trim(const char *path, size_t next_step, char *err, size_t err_len);

/* ---- the training loop (model/train.c) -------------------------------------------------
 * The log (one JSON object a line, flushed as written, so a kill keeps every
 * line): {"type":"step", step, epoch, loss, lr, time_s, batch, seq, tokens} per
 * step and {"type":"val", epoch, step, loss, accuracy, macro_f1, train_loss,
 * train_tokens_per_s, peak_rss, best} per validation. */

/* Where the loop is, for the hooks: the epoch's figures so far. */
typedef struct ptc_train_progress {
    size_t step, epoch;          /* 0-based */
    size_t in_epoch;             /* steps of this epoch done (the step included) */
    size_t steps_per_epoch, epochs;
    double loss_mean;            /* mean training loss of the epoch's steps (0: none) */
    size_t tokens;               /* real tokens of the epoch's steps */
    double seconds;              /* since the epoch (or the resumed run) began, training only */
} ptc_train_progress;

typedef struct ptc_train_config {
    size_t batch;            /* documents per step */
    size_t max_len;          /* tokens per document at most: the training plan */
    size_t eval_batch;       /* documents per validation batch (0: batch) */
    size_t epochs;
    size_t max_steps;        /* stop, resumably, before this step (0: none) */
    size_t save_every;       /* also commit a checkpoint every N steps (0: only at epoch ends) */
    uint64_t seed;           /* the epoch orders and each step's dropout/Gumbel noise */
    ptc_adamw_config adamw;  /* its total_steps: steps_per_epoch * epochs */
    int32_t pad_id;
    const char *run;         /* run folder: last/ and best.safetensors */
    FILE *log;               /* the training log (may be NULL) */
    volatile sig_atomic_t *stop; /* set (a signal handler): stop before the next step (may be NULL) */
    /* after each step, and after each validation (dev: its result; best: a new
     * lowest loss); may be NULL */
    void (*on_step)(void *ctx, const ptc_train_progress *p);
    void (*on_epoch)(void *ctx, const ptc_train_progress *p, const ptc_eval_result *dev, bool best);
    void *ctx;
} ptc_train_config;

/* Documents per epoch / batch, rounded up. */
size_t ptc_train_steps_per_epoch(size_t n_train, size_t batch);

typedef struct ptc_train_result {
    size_t steps_done;       /* the next step: total when finished */
    bool stopped;            /* by max_steps or *stop; a checkpoint is committed */
    size_t best_epoch;       /* 1-based; 0: none */
    double best_loss;        /* INFINITY: none */
    size_t activation_bytes; /* the training plan's arena */
    double *step_times;      /* (n_step_times) seconds of each step this call ran */
    size_t n_step_times;
} ptc_train_result;

/* Trains m on train, validating on dev at the end of each epoch: the weights of
 * the lowest validation loss go to RUN/best.safetensors; a checkpoint
 * (ptc_checkpoint_save) is committed at each epoch's end, every save_every steps
 * and when stopped. from: where a resumed run continues (ptc_checkpoint_load),
 * or NULL for step 0. r->step_times is malloc'ed (free it, also after a
 * failure). 0 (finished or stopped), or -1 with err "step N: ...",
 * "validation: ..." or a file's error. */
int ptc_train_run(ptc_model *m, const ptc_split *train, const ptc_split *dev, size_t n_classes,
                  const ptc_train_config *c, const ptc_train_state *from, ptc_train_result *r,
                  char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif /* PTC_TRAIN_H */
