/*
 * variants/embed.c — BERT's embeddings as a forward/backward pair, one sample
 * at a time: x = dropout(LN(word[id_i] + position[i] + type[tt_i])).
 * The forward keeps the LayerNorm's input and statistics for its backward
 * when asked; the backward adds into the embedding tables' gradients
 * (rows of the ids and types, in row order). Contract: include/ptc/variants.h.
 */
#include "internal.h"

void ptc_embed_forward(const ptc_ops *ops, const ptc_embed_weights *w, size_t hidden, size_t rows,
                       const int32_t *ids, const int32_t *types, float *sum, float *mean,
                       float *rstd, float *x, const ptc_embed_dropout *drop)
{
    const size_t H = hidden;
    for (size_t i = 0; i < rows; i++) {
        const float *we = w->word + (size_t)ids[i] * H;
        const float *pe = w->pos + i * H;
        const float *te = w->type + (size_t)(types ? types[i] : 0) * H;
        for (size_t c = 0; c < H; c++)
            sum[i * H + c] = we[c] + pe[c] + te[c];
    }
    ptc_layernorm_rows(ops, rows, H, sum, H, w->ln_gamma, w->ln_beta, w->ln_eps, x, H, mean, rstd);
    if (drop)
        ptc_dropout(ops, drop->p, drop->seed, drop->site, drop->sample, 0, rows, H, x, H);
}

void ptc_embed_backward(const ptc_ops *ops, const ptc_embed_weights *w, const ptc_embed_grads *g,
                        size_t hidden, size_t rows, const int32_t *ids, const int32_t *types,
                        const float *sum, const float *mean, const float *rstd, float *dx,
                        float *dsum, const ptc_embed_dropout *drop)
{
    const size_t H = hidden;
    if (drop)
        ptc_dropout(ops, drop->p, drop->seed, drop->site, drop->sample, 0, rows, H, dx, H);
    ops->layernorm_bwd(rows, H, dx, H, sum, H, w->ln_gamma, mean, rstd, dsum, H, g->ln_gamma,
                       g->ln_beta);
    ops->segment_sum_rows(rows, H, dsum, H, ids, g->word, H);
    if (types)
        ops->segment_sum_rows(rows, H, dsum, H, types, g->type, H);
    else
        for (size_t i = 0; i < rows; i++)
            ptc_add_row(H, dsum + i * H, g->type);
    for (size_t i = 0; i < rows; i++)
        ptc_add_row(H, dsum + i * H, g->pos + i * H);
}
