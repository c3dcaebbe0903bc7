/*
 * tests/attention_data.h — random inputs of one attention head, and the pieces of
 * the double-precision reference both attention tests build their oracles from
 * (the scores, one row's softmax and output), for test_attention.c and
 * test_attention_backward.c.
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

/* a case of (n_q, n_kv, d): direct keys, no mask or bias, no padding, aligned, no weights */
attn_case attn_plain(size_t n_q, size_t n_kv, size_t d);
/* raw scores ~80..100 before the max subtraction: 4 cases (2 when quick) into out;
 * returns how many */
size_t attn_overflow_cases(bool quick, attn_case out[4]);
/* leading dimensions d + pad and pointers misaligned by pad + di floats (the stride
 * tests: pad 1, 5, 9 over a list of head dims d, di its index), keys biased */
attn_case attn_stride_case(bool quick, size_t d, size_t pad, size_t di);
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
/* the row of k and v that kept key j reads (kv_rows[j], or j) */
size_t attn_key_row(const attn_data *a, size_t j);
/* Softmax of one query row's scores si (n_kv, from attn_scores_double) in double:
 * p[j] the probabilities, o (d) = sum_j p[j] v_{r_j}. Returns the row's log-sum-exp,
 * or -INFINITY when every key is masked (p and o are then 0). */
double attn_softmax_row_double(const attn_data *a, const double *si, double *p, double *o);
/* copies the (rows, d) block of o (leading dimension ldo) into a packed buffer */
void attn_unpad(const float *o, size_t ldo, size_t rows, size_t d, float *packed);

#endif /* PTC_TESTS_ATTENTION_DATA_H */
