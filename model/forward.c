/*
 * model/forward.c — the activation arena plan, the embeddings, the classifier
 * head, and the two forwards: inference through ptc_encoder_forward, training
 * through ptc_encoder_forward_train (the same layers of variants/, saving what
 * backward needs in the encoder's training arena). The model adds only the
 * embeddings, mean pooling and the classifier around the encoder.
 *
 * Layout (B samples, n padded length, m combination tokens, R0 = n + m):
 * hidden states as variants.h: sample rows [0, len) text, [len, n) pads
 * (zeroed, never read in length-aware mode), [n, n + m) the combination
 * tokens; after the combining module (B, m, H).
 * Every buffer comes from the arena; nothing is allocated per call.
 * Threading: ops->sgemm threads itself; the variants' forwards thread over
 * (sample, head); results do not depend on the thread count.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool ptc_model_has_combine(const ptc_model_config *cfg)
{
    return cfg->variant.variant == PTC_VARIANT_COMBINE ||
           cfg->variant.variant == PTC_VARIANT_PRUNE_COMBINE;
}

static size_t n_comb_of(const ptc_model *m)
{
    return ptc_model_has_combine(&m->cfg) ? m->cfg.variant.n_comb : 0;
}

/* ---- the arena ------------------------------------------------------------------------ */
size_t ptc_model_layout(const ptc_model *m, ptc_model_acts *A, void *base, size_t B, size_t n,
                        bool training)
{
    ptc_model_acts local;
    if (!A)
        A = &local;
    memset(A, 0, sizeof *A);
    ptc_marena a = {base, 0};
    const ptc_model_config *cfg = &m->cfg;
    const size_t H = cfg->hidden, C = cfg->n_classes, F = cfg->ffn;
    const size_t mc = n_comb_of(m), R0 = n + mc;
    A->batch = B;
    A->n = n;
    A->r0 = R0;
    A->training = training;
    A->pooled = PTC_TAKE_F(&a, B * H);
    A->pooled_in = PTC_TAKE_F(&a, B * H);
    A->logits = PTC_TAKE_F(&a, B * C);
    A->probs = PTC_TAKE_F(&a, B * C);
    A->losses = PTC_TAKE_F(&a, B);
    A->ids = PTC_TAKE_I(&a, B * n);
    A->types = PTC_TAKE_I(&a, B * n);
    A->lengths = PTC_TAKE_I(&a, B);
    A->labels = PTC_TAKE_I(&a, B);
    /* inference runs ptc_encoder_forward in its own arena (embedded into its
     * act[0]); training its training forward (embedded into its input). An
     * inference forward never overlaps the training step it would have to
     * keep, so in a training plan the inference arena lies in the end of the
     * training one (never over its header: the saved bytes stay readable). */
    A->enc_bytes = ptc_encoder_arena_bytes(&cfg->variant, B, n, F, NULL, 0);
    ptc_marena count = {NULL, 0};
    ptc_marena_take(&count, A->enc_bytes);
    PTC_TAKE_F(&count, n * H);
    const size_t inf_bytes = count.used;
    A->train_bytes = training ? ptc_encoder_train_bytes(&cfg->variant, B, n, F, NULL, 0) : 0;
    const size_t region = A->train_bytes > inf_bytes ? A->train_bytes : inf_bytes;
    char *inf = ptc_marena_take(&a, training ? region : inf_bytes);
    if (training) {
        A->train = inf;
        inf = inf ? inf + (region - inf_bytes) : NULL;
    }
    ptc_marena in_region = {inf, 0};
    A->enc = ptc_marena_take(&in_region, A->enc_bytes);
    A->emb_tmp = PTC_TAKE_F(&in_region, n * H);
    if (!training)
        return a.used;
    A->emb_sum = PTC_TAKE_F(&a, B * n * H);
    A->emb_mean = PTC_TAKE_F(&a, B * n);
    A->emb_rstd = PTC_TAKE_F(&a, B * n);
    A->dout = PTC_TAKE_F(&a, B * R0 * H);
    A->dx = PTC_TAKE_F(&a, B * R0 * H);
    A->demb = PTC_TAKE_F(&a, n * H);
    A->dpooled = PTC_TAKE_F(&a, B * H);
    A->dlogits = PTC_TAKE_F(&a, B * C);
    /* the fused step's gradients (model/backward.c): one group at a time */
    A->grad_floats = ptc_model_grad_scratch_floats(m, B, n);
    A->grad = PTC_TAKE_F(&a, A->grad_floats);
    A->word_slot = PTC_TAKE_I(&a, cfg->vocab_size);
    A->word_ids = PTC_TAKE_I(&a, B * n);
    A->word_rows = PTC_TAKE_I(&a, B * n);
    if (A->word_slot)
        for (size_t i = 0; i < cfg->vocab_size; i++)
            A->word_slot[i] = -1;
    return a.used;
}

int ptc_model_plan(ptc_model *m, size_t batch, size_t n, bool training, char *err, size_t err_len)
{
    if (!m || !m->params_memory)
        return ptc_model_fail(err, err_len, "plan: model not initialised");
    if (batch < 1 || n < 1)
        return ptc_model_fail(err, err_len, "plan: batch = %zu and length = %zu must be >= 1", batch, n);
    if (n > m->cfg.max_positions)
        return ptc_model_fail(err, err_len, "plan: length %zu exceeds max_positions %zu", n,
                              m->cfg.max_positions);
    if (m->arena && batch <= m->plan_batch && n <= m->plan_n && (m->plan_training || !training))
        return PTC_OK;
    if (!m->acts && !(m->acts = calloc(1, sizeof *m->acts)))
        return ptc_model_fail(err, err_len, "plan: out of memory");
    const size_t bytes = ptc_model_layout(m, NULL, NULL, batch, n, training);
    void *mem = aligned_alloc(64, bytes);
    if (!mem)
        return ptc_model_fail(err, err_len, "plan: out of memory for a %zu-byte activation arena", bytes);
    free(m->arena);
    m->arena = mem;
    m->arena_bytes = bytes;
    m->plan_batch = batch;
    m->plan_n = n;
    m->plan_training = training;
    ptc_model_layout(m, m->acts, mem, batch, n, training);
    m->backward_ready = false;
    return PTC_OK;
}

size_t ptc_model_activation_bytes(const ptc_model *m)
{
    return m->arena_bytes;
}

size_t ptc_model_saved_bytes(const ptc_model *m)
{
    return m->acts && m->acts->train ? ptc_encoder_saved_bytes(m->acts->train) : 0;
}

/* ---- shared pieces ---------------------------------------------------------------------- */
size_t ptc_model_text_rows(const ptc_model *m, size_t b)
{
    const ptc_model_acts *A = m->acts;
    return m->cfg.variant.pad_mode == PTC_PAD_PADDED ? m->last_n : (size_t)A->lengths[b];
}

static int check_batch(ptc_model *m, const ptc_batch *in, char *err, size_t err_len)
{
    if (!in || !in->ids)
        return ptc_model_fail(err, err_len, "batch: NULL batch or ids");
    if (!m->arena)
        return ptc_model_fail(err, err_len, "batch: no plan (call ptc_model_plan)");
    if (in->batch < 1 || in->n < 1 || in->batch > m->plan_batch || in->n > m->plan_n)
        return ptc_model_fail(err, err_len, "batch (%zu x %zu) outside the plan (%zu x %zu)",
                              in->batch, in->n, m->plan_batch, m->plan_n);
    const ptc_model_config *cfg = &m->cfg;
    for (size_t b = 0; b < in->batch; b++) {
        const int32_t len = in->lengths ? in->lengths[b] : (int32_t)in->n;
        if (len < 1 || (size_t)len > in->n)
            return ptc_model_fail(err, err_len, "batch: length %d of sample %zu outside [1, %zu]",
                                  (int)len, b, in->n);
        if (in->labels && (in->labels[b] < 0 || (size_t)in->labels[b] >= cfg->n_classes))
            return ptc_model_fail(err, err_len, "batch: label %d of sample %zu outside [0, %zu)",
                                  (int)in->labels[b], b, cfg->n_classes);
        for (size_t i = 0; i < in->n; i++) {
            const int32_t id = in->ids[b * in->n + i];
            if (id < 0 || (size_t)id >= cfg->vocab_size)
                return ptc_model_fail(err, err_len, "batch: token id %d at (%zu, %zu) outside the "
                                      "vocabulary [0, %zu)", (int)id, b, i, cfg->vocab_size);
            const int32_t tt = in->type_ids ? in->type_ids[b * in->n + i] : 0;
            if (tt < 0 || (size_t)tt >= cfg->type_vocab)
                return ptc_model_fail(err, err_len, "batch: token type %d at (%zu, %zu) outside "
                                      "[0, %zu)", (int)tt, b, i, cfg->type_vocab);
        }
    }
    /* copy the batch into the arena (backward reads it later) */
    ptc_model_acts *A = m->acts;
    for (size_t b = 0; b < in->batch; b++) {
        A->lengths[b] = in->lengths ? in->lengths[b] : (int32_t)in->n;
        A->labels[b] = in->labels ? in->labels[b] : 0;
        for (size_t i = 0; i < in->n; i++) {
            A->ids[b * in->n + i] = in->ids[b * in->n + i];
            A->types[b * in->n + i] = in->type_ids ? in->type_ids[b * in->n + i] : 0;
        }
    }
    m->last_batch = in->batch;
    m->last_n = in->n;
    return PTC_OK;
}

/* Embeddings of sample b: rows [0, T) = LN(word + position + type) (then
 * dropout when p > 0) into x, combination tokens at rows [comb_at, comb_at + m).
 * sum (T, H) receives the pre-LN sums; mean/rstd (may be NULL) the statistics. */
static void embed_sample(ptc_model *m, size_t b, size_t T, float *x, size_t comb_at, float *sum,
                         float *mean, float *rstd, float p, uint64_t seed)
{
    const ptc_params *P = &m->params;
    const ptc_model_acts *A = m->acts;
    const size_t H = m->cfg.hidden, n = m->last_n;
    const ptc_embed_weights w = {P->word_emb, P->pos_emb, P->type_emb, P->emb_ln_g, P->emb_ln_b,
                                 m->cfg.ln_eps};
    const ptc_embed_dropout drop = {p, seed, PTC_SITE_EMB, b};
    ptc_embed_forward(m->ops, &w, H, T, A->ids + b * n, A->types + b * n, sum, mean, rstd, x, &drop);
    const size_t mc = n_comb_of(m);
    if (mc)
        memcpy(x + comb_at * H, P->comb_tokens, mc * H * sizeof(float));
}

/* Mean pooling, classifier, softmax, cross-entropy over the batch (pooled is
 * already filled). Returns the mean loss. */
static float classify(ptc_model *m, size_t B, bool with_labels, float p, uint64_t seed)
{
    ptc_model_acts *A = m->acts;
    const size_t H = m->cfg.hidden, C = m->cfg.n_classes;
    memcpy(A->pooled_in, A->pooled, B * H * sizeof(float));
    for (size_t b = 0; b < B; b++)
        ptc_dropout(m->ops, p, seed, PTC_SITE_CLS, b, 0, 1, H, A->pooled_in + b * H, H);
    ptc_linear(m->ops, B, H, C, A->pooled_in, H, m->params.cls_w, m->params.cls_b, A->logits, C);
    double total = 0.0;
    for (size_t b = 0; b < B; b++) {
        const float *z = A->logits + b * C;
        double mx = z[0];
        for (size_t c = 1; c < C; c++)
            mx = z[c] > mx ? z[c] : mx;
        double s = 0.0;
        for (size_t c = 0; c < C; c++)
            s += exp((double)z[c] - mx);
        const double lse = mx + log(s);
        for (size_t c = 0; c < C; c++)
            A->probs[b * C + c] = (float)exp((double)z[c] - lse);
        A->losses[b] = with_labels ? (float)(lse - (double)z[A->labels[b]]) : 0.0f;
        total += A->losses[b];
    }
    m->logits = A->logits;
    m->probs = A->probs;
    m->loss = with_labels ? (float)(total / (double)B) : 0.0f;
    return m->loss;
}

static void mean_rows(size_t rows, size_t H, const float *x, float *out)
{
    for (size_t c = 0; c < H; c++) {
        double s = 0.0;
        for (size_t r = 0; r < rows; r++)
            s += x[r * H + c];
        out[c] = (float)(s / (double)rows);
    }
}

void ptc_model_layer_slices(const ptc_params *S, const ptc_model_config *cfg, size_t l,
                            ptc_encoder_grads *out)
{
    const size_t H = cfg->hidden, F = cfg->ffn;
    *out = (ptc_encoder_grads){
        .attn = {S->wq + l * H * H, S->bq + l * H, S->wk + l * H * H, S->bk + l * H,
                 S->wv + l * H * H, S->bv + l * H, S->wo + l * H * H, S->bo + l * H},
        .ln1_gamma = S->ln1_g + l * H, .ln1_beta = S->ln1_b + l * H,
        .w1 = S->w1 + l * F * H, .b1 = S->b1 + l * F,
        .w2 = S->w2 + l * H * F, .b2 = S->b2 + l * H,
        .ln2_gamma = S->ln2_g + l * H, .ln2_beta = S->ln2_b + l * H,
    };
}

/* layer (1-based) of the parameters as the encoder's weights */
static void layer_weights(const ptc_model *m, size_t layer, ptc_encoder_weights *w)
{
    ptc_encoder_grads s; /* the same slices as mutable pointers */
    ptc_model_layer_slices(&m->params, &m->cfg, layer - 1, &s);
    *w = (ptc_encoder_weights){
        .attn = {s.attn.wq, s.attn.bq, s.attn.wk, s.attn.bk, s.attn.wv, s.attn.bv, s.attn.wo, s.attn.bo},
        .ln1_gamma = s.ln1_gamma, .ln1_beta = s.ln1_beta, .w1 = s.w1, .b1 = s.b1, .w2 = s.w2, .b2 = s.b2,
        .ln2_gamma = s.ln2_gamma, .ln2_beta = s.ln2_beta, .ln_eps = m->cfg.ln_eps,
    };
}

void ptc_model_stack(const ptc_model *m, ptc_encoder_weights *layers, ptc_combine_weights *comb,
                     ptc_encoder_stack *stack)
{
    const ptc_params *P = &m->params;
    for (size_t l = 1; l <= m->cfg.n_layers; l++)
        layer_weights(m, l, &layers[l - 1]);
    const ptc_combine_weights cw = {P->tcm_lnc_g, P->tcm_lnc_b, P->tcm_lne_g, P->tcm_lne_b,
                                    P->tcm_wq, P->tcm_bq, P->tcm_wk, P->tcm_bk,
                                    P->tcm_wv, P->tcm_bv, P->tcm_wo, P->tcm_bo, m->cfg.ln_eps};
    *comb = cw;
    stack->layers = layers;
    stack->combine = ptc_model_has_combine(&m->cfg) ? comb : NULL;
    stack->ffn = m->cfg.ffn;
    stack->token_threshold = m->param_sizes[36] ? P->ltp_threshold : NULL;
}

/* The encoder input of the batch into x (B, R0, H): embeddings of the real
 * rows (with dropout p; the LayerNorm's input and statistics kept when save),
 * pads zero, the combination tokens in the last m rows. */
static void embed_batch(ptc_model *m, size_t B, float *x, float p, uint64_t seed, bool save)
{
    ptc_model_acts *A = m->acts;
    const size_t n = m->last_n, H = m->cfg.hidden, R0 = n + n_comb_of(m);
    for (size_t b = 0; b < B; b++) {
        float *xb = x + b * R0 * H;
        const size_t T = ptc_model_text_rows(m, b);
        memset(xb + T * H, 0, (n - T) * H * sizeof(float)); /* length-aware pads */
        embed_sample(m, b, T, xb, n, save ? A->emb_sum + b * n * H : A->emb_tmp,
                     save ? A->emb_mean + b * n : NULL, save ? A->emb_rstd + b * n : NULL, p, seed);
    }
}

/* Mean of the final real tokens (or of the m combination tokens) into pooled;
 * out_lengths: the real rows left after token removal (NULL: none removed). */
static void pool(ptc_model *m, size_t B, const float *out, size_t rows_out, bool combined,
                 const int32_t *out_lengths)
{
    ptc_model_acts *A = m->acts;
    const size_t H = m->cfg.hidden;
    const int32_t *lengths = out_lengths ? out_lengths : A->lengths;
    for (size_t b = 0; b < B; b++) {
        const size_t rows = combined ? n_comb_of(m) : (size_t)lengths[b];
        mean_rows(rows, H, out + b * rows_out * H, A->pooled + b * H);
    }
}

/* ---- inference ------------------------------------------------------------------------- */
int ptc_model_forward(ptc_model *m, const ptc_batch *in, float *loss, ptc_layer_stats *stats,
                      char *err, size_t err_len)
{
    if (!m)
        return ptc_model_fail(err, err_len, "forward: NULL model");
    if (check_batch(m, in, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    m->backward_ready = false;
    ptc_model_acts *A = m->acts;
    const ptc_model_config *cfg = &m->cfg;
    const size_t B = in->batch, n = in->n;
    ptc_encoder_arena_parts parts;
    char sub[256];
    if (ptc_encoder_arena_split(&cfg->variant, B, n, cfg->ffn, A->enc, &parts, sub,
                                sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "forward: %s", sub);
    embed_batch(m, B, parts.act[0], 0.0f, 0, false);
    ptc_encoder_weights layers[PTC_MAX_LAYERS];
    ptc_combine_weights cw;
    ptc_encoder_stack stack;
    ptc_model_stack(m, layers, &cw, &stack);
    const ptc_tokens tok = {B, n, n_comb_of(m), A->lengths, cfg->variant.pad_mode};
    ptc_encoder_result res;
    if (ptc_encoder_forward(m->ops, &cfg->variant, &stack, &tok, parts.act[0], NULL, A->enc,
                            A->enc_bytes, &res, sub, sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "forward: %s", sub);
    if (stats)
        *stats = res.total;
    memcpy(m->step_stats, res.steps, res.n_steps * sizeof *res.steps);
    m->n_step_stats = res.n_steps;
    pool(m, B, res.out, res.out_rows, res.combined, res.out_lengths);
    const float l = classify(m, B, in->labels != NULL, 0.0f, 0);
    if (loss)
        *loss = l;
    return PTC_OK;
}

/* ---- training forward -------------------------------------------------------------------- */
void ptc_train_options_default(ptc_train_options *opt, uint64_t seed)
{
    opt->seed = seed;
    opt->dropout = true;
    opt->gumbel = true;
    opt->soft_assign = false;
    opt->frozen_token_scores = false;
}

int ptc_model_forward_train(ptc_model *m, const ptc_batch *in, const ptc_train_options *opt,
                            float *loss, char *err, size_t err_len)
{
    ptc_train_options defaults;
    ptc_train_options_default(&defaults, 0);
    if (!opt)
        opt = &defaults;
    if (!m)
        return ptc_model_fail(err, err_len, "training forward: NULL model");
    if (!m->plan_training)
        return ptc_model_fail(err, err_len, "training forward: the plan is for inference "
                              "(ptc_model_plan(..., training = true))");
    if (check_batch(m, in, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    m->backward_ready = false;
    ptc_model_acts *A = m->acts;
    const ptc_model_config *cfg = &m->cfg;
    /* per-op time when cfg->variant.mhsa.times is set: embeddings, pooling and the
     * classifier go to other */
    const ptc_op_span span = ptc_op_span_begin(cfg->variant.mhsa.times);
    const size_t B = in->batch, n = in->n;
    const float p = opt->dropout ? cfg->dropout : 0.0f;
    A->train_dropout = p;
    A->train_seed = opt->seed;
    float *x = ptc_encoder_train_input(&cfg->variant, B, n, cfg->ffn, A->train);
    if (!x)
        return ptc_model_fail(err, err_len, "training forward: invalid variant config");
    embed_batch(m, B, x, p, opt->seed, true);
    ptc_encoder_weights layers[PTC_MAX_LAYERS];
    ptc_combine_weights cw;
    ptc_encoder_stack stack;
    ptc_model_stack(m, layers, &cw, &stack);
    const ptc_tokens tok = {B, n, n_comb_of(m), A->lengths, cfg->variant.pad_mode};
    const ptc_train_noise noise = {p, opt->seed, opt->gumbel, opt->soft_assign,
                                   opt->frozen_token_scores};
    ptc_encoder_result res;
    char sub[256];
    if (ptc_encoder_forward_train(m->ops, &cfg->variant, &stack, &tok, x, &noise, A->train,
                                  A->train_bytes, &res, sub, sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "training forward: %s", sub);
    m->selection_hash = res.selection_hash;
    A->enc_out = res.out;
    A->enc_out_rows = res.out_rows;
    A->enc_combined = res.combined;
    A->enc_out_lengths = res.out_lengths;
    pool(m, B, res.out, res.out_rows, res.combined, res.out_lengths);
    /* LTP's mask regularizer joins the training loss (its gradient is the encoder's) */
    const float l = classify(m, B, in->labels != NULL, p, opt->seed) + (float)res.aux_loss;
    m->backward_ready = in->labels != NULL;
    if (loss)
        *loss = l;
    ptc_op_span_end(cfg->variant.mhsa.times, span);
    return PTC_OK;
}
