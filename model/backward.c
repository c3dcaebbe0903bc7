/*
 * model/backward.c — backward of the training forward (model/forward.c): the
 * classifier and mean pooling here, the encoder through ptc_encoder_backward
 * (variants/: every layer's backward beside its forward), then the
 * combination tokens and the embeddings. Pruned keys get no gradient; the
 * selection itself has none; the combining module uses the straight-through
 * estimator (variants/combine.c).
 *
 * Two ways to run it, the same arithmetic in the same order:
 * - ptc_model_backward: weight gradients accumulate (+=) into m->grads (the
 *   finite-difference checks read them; gradient accumulation over batches);
 * - ptc_model_backward_adamw, the training step: each group of tensors (the
 *   classifier, one encoder layer, the combining module, the embeddings, LTP's
 *   thresholds) gets its gradients in one scratch of the arena (A->grad) and
 *   its AdamW update as soon as they are final, so no full-model gradient is
 *   ever alive; the word embedding's gradient holds only the batch's ids (the
 *   other rows' is 0, and AdamW updates them with 0). AdamW's update of an
 *   element depends only on its own gradient and moments, so the weights and
 *   moments equal zero-grad + ptc_model_backward + ptc_model_adamw_step bit for
 *   bit. One batch per update: the fused step does not accumulate.
 * Results do not depend on the thread count.
 */
#include "internal.h"

#include <omp.h>
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
    *grads = (ptc_encoder_stack_grads){
        .layers = layers,
        .combine = ptc_model_has_combine(&m->cfg) ? comb : NULL,
        .token_threshold = m->param_sizes[PTC_TENSOR(ltp_threshold)] ? G->ltp_threshold : NULL,
    };
}

/* ---- the groups of the fused step ------------------------------------------------------ */
enum { FIRST_LAYER_TENSOR = PTC_TENSOR(wq), LAST_LAYER_TENSOR = PTC_TENSOR(ln2_b),
       FIRST_TCM_TENSOR = PTC_TENSOR(tcm_lnc_g), LAST_TCM_TENSOR = PTC_TENSOR(tcm_bo) };

/* Points tensors [first, last] of a ptc_params view at consecutive pieces of
 * mem, `per` = their sizes divided by div (one layer's slices: div = L). */
static size_t point_group(const ptc_model *m, ptc_params *view, size_t first, size_t last,
                          size_t div, float *mem)
{
    float **ptrs = (float **)view;
    size_t used = 0;
    for (size_t t = first; t <= last; t++) {
        ptrs[t] = mem ? mem + used : NULL;
        used += m->param_sizes[t] / div;
    }
    return used;
}

/* floats of the embedding group: the combination tokens, the position and type
 * tables, the LayerNorm, the word rows of up to `rows` distinct ids */
static size_t embed_group_floats(const ptc_model *m, size_t rows)
{
    const size_t vocab = m->cfg.vocab_size;
    return point_group(m, &(ptc_params){0}, PTC_TENSOR(pos_emb), PTC_TENSOR(emb_ln_b), 1, NULL) +
           m->param_sizes[PTC_TENSOR(comb_tokens)] + (rows < vocab ? rows : vocab) * m->cfg.hidden;
}

/* floats of the classifier's gradients (kept until the encoder's backward ran) */
static size_t head_floats(const ptc_model *m)
{
    return m->param_sizes[PTC_TENSOR(cls_w)] + m->param_sizes[PTC_TENSOR(cls_b)];
}

size_t ptc_model_grad_scratch_floats(const ptc_model *m, size_t batch, size_t n)
{
    ptc_params v;
    size_t need = 0;
    const size_t layer = point_group(m, &v, FIRST_LAYER_TENSOR, LAST_LAYER_TENSOR,
                                     m->cfg.n_layers, NULL);
    const size_t tcm = point_group(m, &v, FIRST_TCM_TENSOR, LAST_TCM_TENSOR, 1, NULL);
    const size_t emb = embed_group_floats(m, batch * n);
    need = layer > need ? layer : need;
    need = tcm > need ? tcm : need;
    need = emb > need ? emb : need;
    /* then, alive through the encoder, the classifier's gradients and LTP's
     * thresholds, and a row of zeros */
    return need + head_floats(m) + m->param_sizes[PTC_TENSOR(ltp_threshold)] + m->cfg.hidden;
}

typedef struct fused {
    ptc_model *m;
    ptc_adamw_run run;
    ptc_encoder_grads *layers;  /* the encoder's view of the gradients */
    ptc_combine_grads *combine;
    float *threshold;           /* LTP: (L) after the group area and the head's; else NULL */
    bool visited[PTC_MAX_LAYERS]; /* layers whose weights a step used */
    ptc_op_times *times;        /* per-op time (NULL: not timed) */
} fused;

/* AdamW of tensors [first, last], part `part` of `div` of each (per-op time:
 * optimizer) */
static void apply_group(fused *f, size_t first, size_t last, size_t part, size_t div,
                        const ptc_params *view)
{
    const double t0 = ptc_op_tick(f->times);
    for (size_t t = first; t <= last; t++) {
        const size_t count = f->m->param_sizes[t] / div;
        if (count)
            ptc_adamw_apply(f->m, &f->run, t, part * count, count, ((float *const *)view)[t]);
    }
    ptc_op_tock(f->times, PTC_OPCAT_OPTIMIZER, t0);
}

/* The encoder's hook: a step's gradients into the zeroed scratch before its
 * backward, its weights' AdamW update after it. */
static void fused_step(void *ctx, const ptc_step *step, bool done)
{
    fused *f = ctx;
    ptc_model *m = f->m;
    ptc_params v;
    const bool layer = step->kind == PTC_STEP_ENCODER;
    const size_t first = layer ? FIRST_LAYER_TENSOR : FIRST_TCM_TENSOR;
    const size_t last = layer ? LAST_LAYER_TENSOR : LAST_TCM_TENSOR;
    const size_t div = layer ? m->cfg.n_layers : 1;
    const size_t used = point_group(m, &v, first, last, div, m->acts->grad);
    if (done) {
        apply_group(f, first, last, layer ? step->layer - 1 : 0, div, &v);
        return;
    }
    memset(m->acts->grad, 0, used * sizeof(float));
    if (layer)
        f->visited[step->layer - 1] = true;
    if (layer) {
        ptc_model_layer_slices(&v, &m->cfg, 0, &f->layers[step->layer - 1]);
    } else {
        const ptc_combine_grads cg = {v.tcm_lnc_g, v.tcm_lnc_b, v.tcm_lne_g, v.tcm_lne_b,
                                      v.tcm_wq, v.tcm_bq, v.tcm_wk, v.tcm_bk,
                                      v.tcm_wv, v.tcm_bv, v.tcm_wo, v.tcm_bo};
        *f->combine = cg;
    }
}

/* The word rows of the batch's ids in first-use order: A->word_ids (B, n) the
 * row of each token, A->word_rows the id of each row. Returns the rows. */
static size_t word_rows(ptc_model *m, size_t B)
{
    ptc_model_acts *A = m->acts;
    const size_t n = m->last_n;
    size_t rows = 0;
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0, T = ptc_model_text_rows(m, b); i < T; i++) {
            const int32_t id = A->ids[b * n + i];
            if (A->word_slot[id] < 0) {
                A->word_slot[id] = (int32_t)rows;
                A->word_rows[rows++] = id;
            }
            A->word_ids[b * n + i] = A->word_slot[id];
        }
    return rows;
}

/* AdamW of the embedding group from its gradients (view) and the word rows; the
 * word slots are reset for the next step. */
static void apply_embed(fused *f, const ptc_params *view, size_t rows, const float *zeros)
{
    ptc_model *m = f->m;
    ptc_model_acts *A = m->acts;
    const size_t H = m->cfg.hidden, word = PTC_TENSOR(word_emb);
    apply_group(f, PTC_TENSOR(pos_emb), PTC_TENSOR(emb_ln_b), 0, 1, view);
    apply_group(f, PTC_TENSOR(comb_tokens), PTC_TENSOR(comb_tokens), 0, 1, view);
    const double t0 = ptc_op_tick(f->times);
    /* the vocabulary's rows over the threads (each row on its own: any split
     * gives the same bits) */
    const long vocab = (long)m->cfg.vocab_size;
#pragma omp parallel for schedule(static) if (vocab * (long)H >= 65536 && !omp_in_parallel())
    for (long id = 0; id < vocab; id++) {
        const int32_t r = A->word_slot[id];
        ptc_adamw_apply(m, &f->run, word, (size_t)id * H, H,
                        r >= 0 ? view->word_emb + (size_t)r * H : zeros);
    }
    ptc_op_tock(f->times, PTC_OPCAT_OPTIMIZER, t0);
    for (size_t r = 0; r < rows; r++)
        A->word_slot[A->word_rows[r]] = -1;
}

/* ---- the backward --------------------------------------------------------------------- */
/* The classifier and pooling: dlogits, the head's gradients into (gw, gb), dout. */
static void head_backward(ptc_model *m, float *gw, float *gb)
{
    ptc_model_acts *A = m->acts;
    const size_t B = m->last_batch, H = m->cfg.hidden, C = m->cfg.n_classes;
    const size_t mc = ptc_model_has_combine(&m->cfg) ? m->cfg.variant.n_comb : 0;
    /* loss = mean_b CE: dlogits = (probs - onehot) / B */
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            A->dlogits[b * C + c] = (A->probs[b * C + c] -
                                     (c == (size_t)A->labels[b] ? 1.0f : 0.0f)) / (float)B;
    ptc_linear_backward(m->ops, B, H, C, A->pooled_in, H, m->params.cls_w, A->dlogits, C, gw, gb,
                        A->dpooled, H, false);
    for (size_t b = 0; b < B; b++)
        ptc_dropout(m->ops, A->train_dropout, A->train_seed, PTC_SITE_CLS, b, 0, 1, H,
                    A->dpooled + b * H, H);
    /* mean pooling over the final real tokens (or the m combination tokens) */
    const size_t Rf = A->enc_out_rows;
    memset(A->dout, 0, B * Rf * H * sizeof(float));
    for (size_t b = 0; b < B; b++) {
        const size_t rows = A->enc_combined ? mc
                            : (size_t)(A->enc_out_lengths ? A->enc_out_lengths : A->lengths)[b];
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < H; c++)
                A->dout[(b * Rf + r) * H + c] = A->dpooled[b * H + c] / (float)rows;
    }
}

/* The combination tokens' and the embeddings' gradients into G (word rows by
 * word_ids when not NULL, else by the ids). */
static void embed_backward(ptc_model *m, const ptc_params *G, const int32_t *word_ids)
{
    ptc_model_acts *A = m->acts;
    const ptc_params *P = &m->params;
    const size_t B = m->last_batch, n = m->last_n, H = m->cfg.hidden;
    const size_t mc = ptc_model_has_combine(&m->cfg) ? m->cfg.variant.n_comb : 0, R0 = n + mc;
    const ptc_embed_weights ew = {P->word_emb, P->pos_emb, P->type_emb, P->emb_ln_g, P->emb_ln_b,
                                  m->cfg.ln_eps};
    const ptc_embed_grads eg = {G->word_emb, G->pos_emb, G->type_emb, G->emb_ln_g, G->emb_ln_b};
    for (size_t b = 0; b < B; b++) {
        const size_t T = ptc_model_text_rows(m, b);
        float *d0 = A->dx + b * R0 * H;
        for (size_t i = 0; i < mc * H; i++)
            G->comb_tokens[i] += d0[n * H + i];
        const ptc_embed_dropout drop = {A->train_dropout, A->train_seed, PTC_SITE_EMB, b};
        ptc_embed_backward(m->ops, &ew, &eg, H, T, (word_ids ? word_ids : A->ids) + b * n,
                           A->types + b * n, A->emb_sum + b * n * H, A->emb_mean + b * n,
                           A->emb_rstd + b * n, d0, A->demb, &drop);
    }
}

static int encoder_backward(ptc_model *m, ptc_encoder_stack_grads *grads, char *err, size_t err_len)
{
    ptc_model_acts *A = m->acts;
    ptc_encoder_weights layers[PTC_MAX_LAYERS];
    ptc_combine_weights cw;
    ptc_encoder_stack stack;
    ptc_model_stack(m, layers, &cw, &stack);
    char sub[256];
    if (ptc_encoder_backward(m->ops, &m->cfg.variant, &stack, grads, A->dout, A->dx, A->train,
                             A->train_bytes, sub, sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "backward: %s", sub);
    return PTC_OK;
}

static int check_ready(const ptc_model *m, char *err, size_t err_len)
{
    if (!m || !m->backward_ready)
        return ptc_model_fail(err, err_len, "backward: no training forward with labels to "
                              "differentiate");
    return PTC_OK;
}

int ptc_model_backward(ptc_model *m, char *err, size_t err_len)
{
    if (check_ready(m, err, err_len) != PTC_OK || ptc_model_alloc_grads(m, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    head_backward(m, m->grads.cls_w, m->grads.cls_b);
    ptc_encoder_grads glayers[PTC_MAX_LAYERS];
    ptc_combine_grads gc;
    ptc_encoder_stack_grads grads;
    ptc_model_stack_grads(m, glayers, &gc, &grads);
    if (encoder_backward(m, &grads, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    embed_backward(m, &m->grads, NULL);
    return PTC_OK;
}

int ptc_model_backward_adamw(ptc_model *m, const ptc_adamw_config *a, float lr, char *err,
                             size_t err_len)
{
    if (check_ready(m, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    ptc_model_acts *A = m->acts;
    fused f = {.m = m, .times = m->cfg.variant.mhsa.times};
    const ptc_op_span span = ptc_op_span_begin(f.times); /* classifier, embeddings: other */
    if (ptc_adamw_begin(m, a, lr, &f.run, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    const size_t H = m->cfg.hidden, C = m->cfg.n_classes;
    const size_t L_thr = m->param_sizes[PTC_TENSOR(ltp_threshold)];
    float *const zeros = A->grad + A->grad_floats - H;
    float *const gw = zeros - L_thr - head_floats(m), *const gb = gw + C * H;
    memset(gw, 0, (head_floats(m) + L_thr + H) * sizeof(float));
    /* the classifier (updated once the encoder's backward ran: a refused
     * backward updates nothing) */
    head_backward(m, gw, gb);
    /* the encoder, step by step (fused_step) */
    ptc_encoder_grads glayers[PTC_MAX_LAYERS];
    ptc_combine_grads gc;
    ptc_encoder_stack_grads grads;
    ptc_model_stack_grads(m, glayers, &gc, &grads); /* overridden step by step */
    f.layers = glayers;
    f.combine = &gc;
    f.threshold = L_thr ? zeros - L_thr : NULL;
    grads.token_threshold = f.threshold;
    grads.on_step = fused_step;
    grads.ctx = &f;
    if (encoder_backward(m, &grads, err, err_len) != PTC_OK) {
        m->adam_t--; /* refused before its first step: no update happened */
        return PTC_EINVAL;
    }
    double t0 = ptc_op_tick(f.times);
    ptc_adamw_apply(m, &f.run, PTC_TENSOR(cls_w), 0, C * H, gw);
    ptc_adamw_apply(m, &f.run, PTC_TENSOR(cls_b), 0, C, gb);
    if (f.threshold)
        ptc_adamw_apply(m, &f.run, PTC_TENSOR(ltp_threshold), 0, L_thr, f.threshold);
    ptc_op_tock(f.times, PTC_OPCAT_OPTIMIZER, t0);
    /* a layer no step used (the one the combining module replaces): gradient 0 */
    for (size_t l = 0; l < m->cfg.n_layers; l++)
        if (!f.visited[l]) {
            ptc_params v;
            const size_t used = point_group(m, &v, FIRST_LAYER_TENSOR, LAST_LAYER_TENSOR,
                                            m->cfg.n_layers, A->grad);
            memset(A->grad, 0, used * sizeof(float));
            apply_group(&f, FIRST_LAYER_TENSOR, LAST_LAYER_TENSOR, l, m->cfg.n_layers, &v);
        }
    /* the combination tokens and the embeddings */
    const size_t rows = word_rows(m, m->last_batch);
    ptc_params v = {0};
    size_t used = point_group(m, &v, PTC_TENSOR(pos_emb), PTC_TENSOR(emb_ln_b), 1, A->grad);
    v.comb_tokens = A->grad + used;
    used += m->param_sizes[PTC_TENSOR(comb_tokens)];
    v.word_emb = A->grad + used;
    memset(A->grad, 0, (used + rows * H) * sizeof(float));
    embed_backward(m, &v, A->word_ids);
    apply_embed(&f, &v, rows, zeros);
    ptc_op_span_end(f.times, span);
    return PTC_OK;
}
