/*
 * harness/bench/bench_train.h — the training phase of `ptc bench` (--phase
 * train): one repetition is one training step of the classifier (forward with
 * saved activations, backward, AdamW) at the configuration's model shape,
 * variant, batch and length, on random token ids. Encoder level only.
 */
#ifndef PTC_HARNESS_BENCH_TRAIN_H
#define PTC_HARNESS_BENCH_TRAIN_H

#include "bench/sweep.h"
#include "ptc/ops.h"
#include "ptc/variants.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ptc_train_work ptc_train_work;

/* The model (vcfg: the variant as the encoder level sets it up, its mhsa.times,
 * when set, receiving each step's per-op time), its training plan and a random
 * batch. NULL with a message on failure. */
ptc_train_work *ptc_train_work_create(const ptc_sweep_config *c, const ptc_variant_config *vcfg,
                                      const ptc_ops *ops, uint64_t seed, char *err, size_t err_len);
/* One training step (the timed unit). 0, or -1 with a message. */
int ptc_train_work_step(ptc_train_work *t, char *err, size_t err_len);
/* Accounting of a step: the forward's statistics with every FLOP field
 * tripled (backward about twice the forward) and the activation bytes
 * replaced by what the last training forward saved (bytes_kv and
 * bytes_scores 0); *arena_bytes: the planned activation arena. LTP trains
 * with the soft mask (no token removed), so its forward is counted with every
 * token kept. */
int ptc_train_work_stats(ptc_train_work *t, ptc_layer_stats *total, size_t *arena_bytes,
                         char *err, size_t err_len);
void ptc_train_work_free(ptc_train_work *t);

#endif /* PTC_HARNESS_BENCH_TRAIN_H */
