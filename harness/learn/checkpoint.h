/*
 * harness/learn/checkpoint.h — the resumable state of `ptc train`, committed as
 * one unit.
 *
 * A checkpoint is a folder RUN/last/ with model.safetensors (the weights) and
 * state (step, AdamW moments, best validation; format in checkpoint.c). Saving
 * writes RUN/.last.tmp/, fsyncs both files and the folder, then renames
 * last -> last.prev and .last.tmp -> last (fsync of RUN after each) and removes
 * last.prev. A kill at any point leaves last/ complete, or no last/ and a
 * complete last.prev/ (the checkpoint before); loading takes last/, else
 * last.prev/, never files of two checkpoints. Runs of the older layout
 * (RUN/last.safetensors + RUN/last.state) still load.
 */
#ifndef PTC_HARNESS_CHECKPOINT_H
#define PTC_HARNESS_CHECKPOINT_H

#include "ptc/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ptc_train_state {
    uint64_t next_step;  /* the first step not yet done */
    double best_loss;    /* lowest validation loss so far (INFINITY: none) */
    uint64_t best_epoch; /* 1-based epoch of best_loss; 0: none */
    uint64_t seed;       /* the run's --seed */
} ptc_train_state;

/* Commits m's weights and moments with s as RUN/last. 0, or -1 with a message. */
int ptc_checkpoint_save(const ptc_model *m, const char *run, const ptc_train_state *s, char *err,
                        size_t err_len);
/* Whether RUN holds a checkpoint to resume from (either layout). */
bool ptc_checkpoint_exists(const char *run);
/* Loads the newest complete checkpoint of RUN into m (initialised with the run's
 * config) and s; refuses a state that does not belong to its weights or to a run
 * of total_steps steps and epochs epochs. 0, or -1 with a message. */
int ptc_checkpoint_load(ptc_model *m, const char *run, size_t total_steps, size_t epochs,
                        ptc_train_state *s, char *err, size_t err_len);

/* Keeps of the training log at path only the complete lines a run resumed at
 * next_step has not yet to write again: step lines of steps < next_step and
 * validation lines of steps <= next_step (rewritten atomically; a missing log
 * is fine). Lines past a checkpoint come back, once, as the run redoes them.
 * 0, or -1 with a message. */
int ptc_train_log_trim(const char *path, size_t next_step, char *err, size_t err_len);

#endif
