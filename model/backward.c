/*
 * model/backward.c — backward of the training forward (model/forward.c): the
 * classifier and mean pooling here, the encoder through ptc_encoder_backward
 * (variants/: every layer's backward beside its forward), then the
 * combination tokens and the embeddings. Weight gradients accumulate (+=) into
 * m->grads in a fixed order, so results do not depend on the thread count.
 * Pruned keys get no gradient; the selection itself has none; the combining
 * module uses the straight-through estimator (variants/combine.c).
 */
#include "internal.h"

#include <string.h>

void ptc_model_stack_grads(ptc_model *m, ptc_encoder_grads *layers, ptc_combine_grads *comb,
                           ptc_encoder_stack_grads *grads)
{
    ptc_params *G = &m->grads;
    for (size_t l = 0; l < m->cfg.n_layers; l++)
        ptc_model_layer_slices(G, &m->cfg, l, &layers[l]);
    const ptc_combine_grads cg = {G->tcm_lnc_g, G->tcm_lnc_b, G->tcm_lne_g, G->tcm_lne_b,
                                  G->tcm_wq, G->tcm_bq, G->tcm_wk, G->tcm_bk,
                                  G->tcm_wv, G->tcm_bv, G->tcm_wo, G->tcm_bo};
    *comb = cg;
    grads->layers = layers;
    grads->combine = ptc_model_has_combine(&m->cfg) ? comb : NULL;
}

int ptc_model_backward(ptc_model *m, char *err, size_t err_len)
{
    if (!m || !m->backward_ready)
        return ptc_model_fail(err, err_len, "backward: no training forward with labels to "
                              "differentiate");
    ptc_model_acts *A = m->acts;
    const ptc_ops *ops = m->ops;
    const ptc_model_config *cfg = &m->cfg;
    const ptc_params *P = &m->params;
    ptc_params *G = &m->grads;
    const size_t B = m->last_batch, n = m->last_n, H = cfg->hidden, C = cfg->n_classes;
    const size_t mc = ptc_model_has_combine(cfg) ? cfg->variant.n_comb : 0, R0 = n + mc;
    const float p = A->train_dropout;
    const uint64_t seed = A->train_seed;

    /* loss = mean_b CE: dlogits = (probs - onehot) / B */
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            A->dlogits[b * C + c] = (A->probs[b * C + c] -
                                     (c == (size_t)A->labels[b] ? 1.0f : 0.0f)) / (float)B;
    ptc_linear_backward(ops, B, H, C, A->pooled_in, H, P->cls_w, A->dlogits, C, G->cls_w, G->cls_b,
                        A->dpooled, H, false);
    for (size_t b = 0; b < B; b++)
        ptc_dropout(p, seed, PTC_SITE_CLS, b, 0, 1, H, A->dpooled + b * H, H);
    /* mean pooling over the final real tokens (or the m combination tokens) */
    const size_t Rf = A->enc_out_rows;
    memset(A->dout, 0, B * Rf * H * sizeof(float));
    for (size_t b = 0; b < B; b++) {
        const size_t rows = A->enc_combined ? mc : (size_t)A->lengths[b];
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < H; c++)
                A->dout[(b * Rf + r) * H + c] = A->dpooled[b * H + c] / (float)rows;
    }
    ptc_encoder_weights layers[PTC_MAX_LAYERS];
    ptc_combine_weights cw;
    ptc_encoder_stack stack;
    ptc_model_stack(m, layers, &cw, &stack);
    ptc_encoder_grads glayers[PTC_MAX_LAYERS];
    ptc_combine_grads gc;
    ptc_encoder_stack_grads grads;
    ptc_model_stack_grads(m, glayers, &gc, &grads);
    char sub[256];
    if (ptc_encoder_backward(ops, &cfg->variant, &stack, &grads, A->dout, A->dx, A->train,
                             A->train_bytes, sub, sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "backward: %s", sub);
    /* combination tokens and embeddings */
    const ptc_embed_weights ew = {P->word_emb, P->pos_emb, P->type_emb, P->emb_ln_g, P->emb_ln_b,
                                  cfg->ln_eps};
    const ptc_embed_grads eg = {G->word_emb, G->pos_emb, G->type_emb, G->emb_ln_g, G->emb_ln_b};
    for (size_t b = 0; b < B; b++) {
        const size_t T = ptc_model_text_rows(m, b);
        float *d0 = A->dx + b * R0 * H;
        for (size_t i = 0; i < mc * H; i++)
            G->comb_tokens[i] += d0[n * H + i];
        const ptc_embed_dropout drop = {p, seed, PTC_SITE_EMB, b};
        ptc_embed_backward(ops, &ew, &eg, H, T, A->ids + b * n, A->types + b * n,
                           A->emb_sum + b * n * H, A->emb_mean + b * n, A->emb_rstd + b * n, d0,
                           A->demb, &drop);
    }
    return PTC_OK;
}
