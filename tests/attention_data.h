/*
 * tests/attention_data.h — random inputs of one attention head for the attention
 * tests (test_attention.c, test_attention_backward.c).
 *
 * Inputs are built so that a kernel that reads what it must not is caught: K/V
 * rows that are not kept, bias entries of those rows, and the padding columns of
 * ldq/ldk/ldv/ldo > d are NaN; buffers are misaligned and sit between guard zones
 * (ptc_test_alloc).
 */
#ifndef PTC_TESTS_ATTENTION_DATA_H
#define PTC_TESTS_ATTENTION_DATA_H

#include "ptc_test.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kv_mode { KV_DIRECT, KV_SORTED, KV_SHUFFLED };
enum mask_mode { MASK_NONE, MASK_RANDOM, MASK_MIDDLE, MASK_ALL };

typedef struct attn_case {
    size_t n_q, n_kv, d;
    enum kv_mode kv;
    enum mask_mode mask;
    bool overflow;      /* q, k large: raw scores ~80..100 */
    bool bias;          /* key_bias present (always true when mask != MASK_NONE) */
    size_t pad;         /* ld = d + pad for q, k, v, o */
    size_t misalign;    /* floats past a 64-byte boundary */
    bool weights;       /* query_weight non-NULL */
} attn_case;

typedef struct attn_data {
    attn_case cs;
    size_t n_rows;      /* rows of k and v (>= n_kv) */
    size_t ldq, ldk, ldv, ldo;
    float *q, *k, *v, *bias, *qw;
    int32_t *rows;      /* kv_rows or NULL */
    float scale;
} attn_data;

/* one line naming the case, for failure messages */
void attn_describe(const attn_case *cs, char *buf, size_t size);
/* fills *a with the inputs of `cs` (buffers from ptc_test_alloc) */
void attn_make_data(attn_data *a, const attn_case *cs, uint64_t seed);
/* frees them, checking their guard zones */
void attn_free_data(ptc_test_ctx *ctx, attn_data *a);
/* the forward's arguments on a's inputs, writing o (leading dimension a->ldo) and lse */
ptc_attention_args attn_make_args(const attn_data *a, float *o, float *lse);
/* s[i * n_kv + j] = scale * q_i . k_{r_j} + bias[r_j] in double ((n_q, n_kv), -inf where masked) */
void attn_scores_double(const attn_data *a, double *s);
/* copies the (rows, d) block of o (leading dimension ldo) into a packed buffer */
void attn_unpad(const float *o, size_t ldo, size_t rows, size_t d, float *packed);

#endif /* PTC_TESTS_ATTENTION_DATA_H */
