/*
 * variants/common.c — helpers every variants/ source uses: the checks of a
 * batch's tokens and of the head split, the linear projection y = x W^T + b on
 * the ops table, and the accounting (FLOP total, pooling of layer statistics).
 * Depends on nothing else in variants/. Contracts: include/ptc/variants.h and
 * variants/internal.h.
 */
#include "internal.h"

#include <string.h>

int ptc_tokens_check(const ptc_tokens *tok, char *err, size_t err_len)
{
    if (!tok)
        return ptc_fail(err, err_len, "tokens: NULL");
    if (tok->batch == 0)
        return ptc_fail(err, err_len, "tokens: batch must be >= 1");
    if (tok->pad_mode != PTC_PAD_LENGTH_AWARE && tok->pad_mode != PTC_PAD_PADDED)
        return ptc_fail(err, err_len, "tokens: pad mode %d unknown", (int)tok->pad_mode);
    if (ptc_tok_rows(tok) > INT32_MAX)
        return ptc_fail(err, err_len, "tokens: %zu rows per sample exceed int32", ptc_tok_rows(tok));
    for (size_t b = 0; b < tok->batch; b++) {
        if (tok->lengths && (tok->lengths[b] < 0 || (size_t)tok->lengths[b] > tok->n_text))
            return ptc_fail(err, err_len, "tokens: length %d of sample %zu outside [0, n_text = %zu]",
                            (int)tok->lengths[b], b, tok->n_text);
        if (ptc_tok_active(tok, b) == 0)
            return ptc_fail(err, err_len, "tokens: sample %zu has no token (length 0, no "
                            "combination tokens)", b);
    }
    return PTC_OK;
}

int ptc_heads_check(size_t hidden, size_t n_heads, char *err, size_t err_len)
{
    if (hidden == 0 || n_heads == 0)
        return ptc_fail(err, err_len, "hidden = %zu and n_heads = %zu must be >= 1", hidden, n_heads);
    if (hidden % n_heads != 0)
        return ptc_fail(err, err_len, "head size: n_heads = %zu does not divide hidden = %zu",
                        n_heads, hidden);
    return PTC_OK;
}

void ptc_linear(const ptc_ops *ops, size_t rows, size_t in, size_t out,
                const float *x, size_t ldx, const float *w, const float *b,
                float *y, size_t ldy)
{
    if (rows == 0)
        return;
    if (b)
        for (size_t r = 0; r < rows; r++)
            memcpy(y + r * ldy, b, out * sizeof(float));
    ops->sgemm(PTC_NO_TRANS, PTC_TRANS, rows, out, in, 1.0f, x, ldx, w, in,
               b ? 1.0f : 0.0f, y, ldy);
}

double ptc_stats_flops_total(const ptc_layer_stats *s)
{
    return s->flops_linear + s->flops_attention + s->flops_softmax + s->flops_norm +
           s->flops_scoring + s->flops_selection + s->flops_combining;
}

static void stat3_pool(ptc_stat3 *a, size_t *na, ptc_stat3 b, size_t nb)
{
    if (nb == 0)
        return;
    if (*na == 0) {
        *a = b;
    } else {
        a->min = a->min < b.min ? a->min : b.min;
        a->max = a->max > b.max ? a->max : b.max;
        a->mean = (a->mean * (double)*na + b.mean * (double)nb) / (double)(*na + nb);
    }
    *na += nb;
}

void ptc_stats_accumulate(ptc_layer_stats *a, const ptc_layer_stats *b)
{
    stat3_pool(&a->tokens, &a->n_tokens, b->tokens, b->n_tokens);
    stat3_pool(&a->keys, &a->n_keys, b->keys, b->n_keys);
    stat3_pool(&a->keys_next, &a->n_keys_next, b->keys_next, b->n_keys_next);
    a->kv_rows += b->kv_rows;
    a->flops_linear += b->flops_linear;
    a->flops_attention += b->flops_attention;
    a->flops_softmax += b->flops_softmax;
    a->flops_norm += b->flops_norm;
    a->flops_scoring += b->flops_scoring;
    a->flops_selection += b->flops_selection;
    a->flops_combining += b->flops_combining;
    a->bytes_activations += b->bytes_activations;
    a->bytes_kv += b->bytes_kv;
    a->bytes_scores += b->bytes_scores;
    if (b->bytes_workspace > a->bytes_workspace)
        a->bytes_workspace = b->bytes_workspace;
}
