/*
 * tests/test_model_util.h — shared helpers of the model tests (test_model*.c):
 * tiny configurations of every variant and random batches.
 */
#ifndef PTC_TEST_MODEL_UTIL_H
#define PTC_TEST_MODEL_UTIL_H

#include "ptc_test.h"
#include "ptc/model.h"

enum { TM_BASELINE, TM_PRUNE_TOPK, TM_PRUNE_CLAMP, TM_COMBINE, TM_PFC, TM_COMBINE_INSERT, TM_TOKEN_TOPK,
       TM_TOKEN_LTP, TM_TOKEN_TOME, TM_NVAR };
extern const char *const tm_variant_names[TM_NVAR];

/* vocab 50, hidden 16, heads 2, ffn 32, positions 16, 3 classes, `layers`
 * layers; prune p 0.7 from layer 2; m = 3 combination tokens at L_c = layers
 * (replacing; TM_COMBINE_INSERT: inserted after it); TM_TOKEN_TOPK removes tokens
 * (keep 0.7) after layers 2..layers-1, TM_TOKEN_LTP by threshold there (T 1,
 * lambda 0.1: the soft mask away from saturation), TM_TOKEN_TOME merges r = 2
 * tokens there. */
void tm_config(ptc_model_config *cfg, int which, size_t layers);

typedef struct tm_batch {
    ptc_batch b;
    int32_t ids[64 * 16], types[64 * 16], lengths[64], labels[64];
} tm_batch;
/* batch x n random tokens, lengths n, n-3, n-1, ... (>= 1); labels random */
void tm_batch_random(tm_batch *tb, size_t batch, size_t n, size_t vocab, size_t classes,
                     uint64_t seed);

#endif
