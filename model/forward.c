/*
 * model/forward.c — the activation arena plan, the embeddings, the inference
 * forward (through the variants' kernels) and the training forward (the
 * model's own path on the ops table, saving what backward needs).
 *
 * Layouts (B samples, n padded length, m combination tokens, R0 = n + m):
 *   inference  hidden states as variants.h: sample rows [0, len) text, [len, n)
 *              pads (zeroed, never read in length-aware mode), [n, n + m) the
 *              combination tokens; after the combining module (B, m, H).
 *   training   compact rows per sample: [0, T_b) the text rows the layer sees
 *              (T_b = len_b length-aware, n padded), then the m combination
 *              rows; sample stride R_s rows. The prune state keeps the variants'
 *              row numbering (r >= n: combination row r - n); kept lists are
 *              mapped to compact rows when they are saved.
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
    const size_t H = cfg->hidden, C = cfg->n_classes, F = cfg->ffn, nh = cfg->n_heads;
    const size_t mc = n_comb_of(m), R0 = n + mc, d = H / nh;
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
    /* the encoder's own arena: inference runs ptc_encoder_forward in it, the
     * training path uses its ping-pong buffers, workspace and prune state */
    A->enc_bytes = ptc_encoder_arena_bytes(&cfg->variant, B, n, F, NULL, 0);
    A->enc = ptc_marena_take(&a, A->enc_bytes);
    ptc_encoder_arena_parts parts;
    memset(&parts, 0, sizeof parts);
    ptc_encoder_arena_split(&cfg->variant, B, n, F, A->enc, &parts, NULL, 0);
    A->state_bytes = parts.state_bytes;
    A->state_mem = parts.state_mem;
    A->ws_bytes = parts.workspace_bytes;
    A->ws = parts.workspace;
    A->xa = parts.act[0];
    A->xb = parts.act[1];
    if (!training)
        return a.used;

    A->emb_sum = PTC_TAKE_F(&a, B * n * H);
    A->emb_mean = PTC_TAKE_F(&a, B * n);
    A->emb_rstd = PTC_TAKE_F(&a, B * n);
    size_t R = R0;
    for (size_t s = 0; s < m->plan.n_steps; s++) {
        const ptc_step *st = &m->plan.steps[s];
        ptc_step_save *v = &A->save[s];
        A->xs[s] = PTC_TAKE_F(&a, B * R * H);
        v->rows = R;
        if (st->kind == PTC_STEP_ENCODER) {
            v->q = PTC_TAKE_F(&a, B * R * H);
            v->k = PTC_TAKE_F(&a, B * R * H);
            v->v = PTC_TAKE_F(&a, B * R * H);
            v->ctx = PTC_TAKE_F(&a, B * R * H);
            v->lse = PTC_TAKE_F(&a, B * nh * R);
            v->res1 = PTC_TAKE_F(&a, B * R * H);
            v->mean1 = PTC_TAKE_F(&a, B * R);
            v->rstd1 = PTC_TAKE_F(&a, B * R);
            v->x1 = PTC_TAKE_F(&a, B * R * H);
            v->u = PTC_TAKE_F(&a, B * R * F);
            v->g = PTC_TAKE_F(&a, B * R * F);
            v->res2 = PTC_TAKE_F(&a, B * R * H);
            v->mean2 = PTC_TAKE_F(&a, B * R);
            v->rstd2 = PTC_TAKE_F(&a, B * R);
            v->idx = PTC_TAKE_I(&a, B * nh * R);
            v->cnt = PTC_TAKE_I(&a, B * nh);
        } else {
            v->c = PTC_TAKE_F(&a, B * mc * H);
            v->mc = PTC_TAKE_F(&a, B * mc);
            v->rc = PTC_TAKE_F(&a, B * mc);
            v->e = PTC_TAKE_F(&a, B * n * H);
            v->me = PTC_TAKE_F(&a, B * n);
            v->re = PTC_TAKE_F(&a, B * n);
            v->qc = PTC_TAKE_F(&a, B * mc * H);
            v->ke = PTC_TAKE_F(&a, B * n * H);
            v->ve = PTC_TAKE_F(&a, B * n * H);
            v->soft = PTC_TAKE_F(&a, B * mc * n);
            v->aval = PTC_TAKE_F(&a, B * mc * n);
            v->assign = PTC_TAKE_I(&a, B * n);
            v->num = PTC_TAKE_F(&a, B * mc * H);
            v->den = PTC_TAKE_F(&a, B * mc);
            v->uu = PTC_TAKE_F(&a, B * mc * H);
            R = mc;
        }
    }
    A->xs[m->plan.n_steps] = PTC_TAKE_F(&a, B * R * H);
    A->dxa = PTC_TAKE_F(&a, B * R0 * H);
    A->dxb = PTC_TAKE_F(&a, B * R0 * H);
    A->dq = PTC_TAKE_F(&a, R0 * H);
    A->dk = PTC_TAKE_F(&a, R0 * H);
    A->dv = PTC_TAKE_F(&a, R0 * H);
    A->dctx = PTC_TAKE_F(&a, R0 * H);
    A->dt1 = PTC_TAKE_F(&a, R0 * H);
    A->dt2 = PTC_TAKE_F(&a, R0 * H);
    A->du = PTC_TAKE_F(&a, R0 * F);
    A->att_p = PTC_TAKE_F(&a, R0 * R0);
    A->att_dp = PTC_TAKE_F(&a, R0 * R0);
    A->kh = PTC_TAKE_F(&a, R0 * d);
    A->vh = PTC_TAKE_F(&a, R0 * d);
    A->dkh = PTC_TAKE_F(&a, R0 * d);
    A->dvh = PTC_TAKE_F(&a, R0 * d);
    A->dlogit = PTC_TAKE_F(&a, (mc ? mc : 1) * n);
    A->dden = PTC_TAKE_F(&a, mc ? mc : 1);
    A->dpooled = PTC_TAKE_F(&a, B * H);
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
    if (training && ptc_model_alloc_grads(m, err, err_len) != PTC_OK)
        return PTC_EINVAL;
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

/* ---- shared pieces ---------------------------------------------------------------------- */
void ptc_model_dropout(float p, uint64_t seed, uint64_t site, size_t b, size_t rows, size_t cols,
                       float *x, size_t ldx)
{
    if (p <= 0.0f)
        return;
    const float keep_scale = 1.0f / (1.0f - p);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            const double u = ptc_hash_u01(seed, site, b, r * cols + c);
            x[r * ldx + c] = u < (double)p ? 0.0f : x[r * ldx + c] * keep_scale;
        }
}

size_t ptc_model_text_rows(const ptc_model *m, size_t b)
{
    const ptc_model_acts *A = m->acts;
    return m->cfg.variant.pad_mode == PTC_PAD_PADDED ? m->last_n : (size_t)A->lengths[b];
}

/* y (rows, out) = x (rows, in) W^T + b, W stored [out, in]; b may be NULL. */
static void linear_fwd(const ptc_ops *ops, size_t rows, size_t in, size_t out, const float *x,
                       const float *w, const float *bias, float *y)
{
    if (rows == 0)
        return;
    if (bias)
        for (size_t r = 0; r < rows; r++)
            memcpy(y + r * out, bias, out * sizeof(float));
    ops->sgemm(PTC_NO_TRANS, PTC_TRANS, rows, out, in, 1.0f, x, in, w, in, bias ? 1.0f : 0.0f, y, out);
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
    for (size_t i = 0; i < T; i++) {
        const float *we = P->word_emb + (size_t)A->ids[b * n + i] * H;
        const float *pe = P->pos_emb + i * H;
        const float *te = P->type_emb + (size_t)A->types[b * n + i] * H;
        for (size_t c = 0; c < H; c++)
            sum[i * H + c] = we[c] + pe[c] + te[c];
    }
    m->ops->layernorm_fwd(T, H, sum, H, P->emb_ln_g, P->emb_ln_b, m->cfg.ln_eps, x, H, mean, rstd);
    ptc_model_dropout(p, seed, PTC_SITE_EMB, b, T, H, x, H);
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
        ptc_model_dropout(p, seed, PTC_SITE_CLS, b, 1, H, A->pooled_in + b * H, H);
    linear_fwd(m->ops, B, H, C, A->pooled_in, m->params.cls_w, m->params.cls_b, A->logits);
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

static void encoder_weights(const ptc_model *m, size_t layer, ptc_encoder_weights *w)
{
    const ptc_params *P = &m->params;
    const size_t H = m->cfg.hidden, F = m->cfg.ffn, l = layer - 1;
    w->attn.wq = P->wq + l * H * H;
    w->attn.bq = P->bq + l * H;
    w->attn.wk = P->wk + l * H * H;
    w->attn.bk = P->bk + l * H;
    w->attn.wv = P->wv + l * H * H;
    w->attn.bv = P->bv + l * H;
    w->attn.wo = P->wo + l * H * H;
    w->attn.bo = P->bo + l * H;
    w->ln1_gamma = P->ln1_g + l * H;
    w->ln1_beta = P->ln1_b + l * H;
    w->w1 = P->w1 + l * F * H;
    w->b1 = P->b1 + l * F;
    w->w2 = P->w2 + l * H * F;
    w->b2 = P->b2 + l * H;
    w->ln2_gamma = P->ln2_g + l * H;
    w->ln2_beta = P->ln2_b + l * H;
    w->ln_eps = m->cfg.ln_eps;
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
    const size_t B = in->batch, n = in->n, H = cfg->hidden, mc = n_comb_of(m), R0 = n + mc;
    ptc_tokens tok = {B, n, mc, A->lengths, cfg->variant.pad_mode};
    float *x = A->xa, *y = A->xb;
    for (size_t b = 0; b < B; b++) {
        float *xb = x + b * R0 * H;
        const size_t T = ptc_model_text_rows(m, b);
        memset(xb + T * H, 0, (n - T) * H * sizeof(float)); /* length-aware pads */
        embed_sample(m, b, T, xb, n, y + b * R0 * H, NULL, NULL, 0.0f, 0);
    }
    ptc_encoder_weights layers[PTC_MAX_LAYERS];
    for (size_t l = 1; l <= cfg->n_layers; l++)
        encoder_weights(m, l, &layers[l - 1]);
    const ptc_params *P = &m->params;
    const ptc_combine_weights cw = {P->tcm_lnc_g, P->tcm_lnc_b, P->tcm_lne_g, P->tcm_lne_b,
                                    P->tcm_wq, P->tcm_bq, P->tcm_wk, P->tcm_bk,
                                    P->tcm_wv, P->tcm_bv, P->tcm_wo, P->tcm_bo, cfg->ln_eps};
    const ptc_encoder_stack stack = {layers, ptc_model_has_combine(cfg) ? &cw : NULL, cfg->ffn};
    ptc_encoder_result res;
    char sub[256];
    if (ptc_encoder_forward(m->ops, &cfg->variant, &stack, &tok, x, NULL, A->enc, A->enc_bytes,
                            &res, sub, sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "forward: %s", sub);
    if (stats)
        *stats = res.total;
    m->last_n_steps = res.n_steps;
    memcpy(m->last_steps, res.steps, res.n_steps * sizeof *res.steps);
    const size_t R = res.out_rows;
    for (size_t b = 0; b < B; b++) {
        const size_t rows = res.combined ? mc : (size_t)A->lengths[b];
        mean_rows(rows, H, res.out + b * R * H, A->pooled + b * H);
    }
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
}

static uint64_t fnv_add(uint64_t h, const int32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (uint32_t)v[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

/* One encoder step on every sample (compact rows). */
static int encoder_train(ptc_model *m, size_t s, const ptc_tokens *tok, ptc_prune_state *st,
                         float p, uint64_t seed, char *err, size_t err_len)
{
    ptc_model_acts *A = m->acts;
    const ptc_step *step = &m->plan.steps[s];
    ptc_step_save *v = &A->save[s];
    const ptc_ops *ops = m->ops;
    const size_t B = tok->batch, n = m->last_n, H = m->cfg.hidden, F = m->cfg.ffn;
    const size_t nh = m->cfg.n_heads, d = H / nh, R = v->rows, mc = n_comb_of(m);
    ptc_encoder_weights w;
    encoder_weights(m, step->layer, &w);
    const float scale = 1.0f / sqrtf((float)d);
    float *kbias = A->dt2; /* free in the forward */

    for (size_t b = 0; b < B; b++) {
        const size_t T = step->comb_only ? 0 : ptc_model_text_rows(m, b), na = T + mc;
        const size_t len = (size_t)A->lengths[b];
        const size_t so = b * R * H;
        const float *x = A->xs[s] + so;
        float *q = v->q + so, *k = v->k + so, *vv = v->v + so, *ctx = v->ctx + so;
        linear_fwd(ops, na, H, H, x, w.attn.wq, w.attn.bq, q);
        linear_fwd(ops, na, H, H, x, w.attn.wk, w.attn.bk, k);
        linear_fwd(ops, na, H, H, x, w.attn.wv, w.attn.bv, vv);
        const bool pads = !step->comb_only && T > len;
        for (size_t r = 0; r < na; r++)
            kbias[r] = (pads && r >= len && r < T) ? -INFINITY : 0.0f;
        for (size_t h = 0; h < nh; h++) {
            int32_t *idx = v->idx + (b * nh + h) * R;
            size_t cnt;
            if (step->comb_only) {
                cnt = na;
                for (size_t j = 0; j < na; j++)
                    idx[j] = (int32_t)j;
            } else {
                cnt = (size_t)st->count[b * nh + h];
                const int32_t *kept = st->kept + (b * nh + h) * st->n_rows;
                for (size_t j = 0; j < cnt; j++) {
                    const size_t r = (size_t)kept[j];
                    idx[j] = (int32_t)(r < n ? r : T + (r - n));
                }
            }
            v->cnt[b * nh + h] = (int32_t)cnt;
            ptc_attention_args args = {
                .n_q = na, .n_kv = cnt, .d = d,
                .q = q + h * d, .ldq = H, .k = k + h * d, .ldk = H, .v = vv + h * d, .ldv = H,
                .kv_rows = idx, .key_bias = pads ? kbias : NULL, .scale = scale,
                .o = ctx + h * d, .ldo = H, .lse = v->lse + (b * nh + h) * R,
            };
            if (step->select)
                ops->attention_importance(&args, NULL, st->importance + (b * nh + h) * st->n_rows);
            else
                ops->attention(&args);
        }
        /* x1 = LN1(x + dropout(ctx Wo^T + bo)) */
        float *res1 = v->res1 + so, *x1 = v->x1 + so, *res2 = v->res2 + so;
        float *u = v->u + b * R * F, *g = v->g + b * R * F;
        linear_fwd(ops, na, H, H, ctx, w.attn.wo, w.attn.bo, res1);
        ptc_model_dropout(p, seed, PTC_SITE_ATTN + 2 * s, b, na, H, res1, H);
        for (size_t i = 0; i < na * H; i++)
            res1[i] += x[i];
        ops->layernorm_fwd(na, H, res1, H, w.ln1_gamma, w.ln1_beta, w.ln_eps, x1, H,
                           v->mean1 + b * R, v->rstd1 + b * R);
        /* y = LN2(x1 + dropout(gelu(x1 W1^T + b1) W2^T + b2)) */
        linear_fwd(ops, na, H, F, x1, w.w1, w.b1, u);
        ops->gelu_fwd(na * F, u, g);
        linear_fwd(ops, na, F, H, g, w.w2, w.b2, res2);
        ptc_model_dropout(p, seed, PTC_SITE_FFN + 2 * s, b, na, H, res2, H);
        for (size_t i = 0; i < na * H; i++)
            res2[i] += x1[i];
        ops->layernorm_fwd(na, H, res2, H, w.ln2_gamma, w.ln2_beta, w.ln_eps, A->xs[s + 1] + so, H,
                           v->mean2 + b * R, v->rstd2 + b * R);
    }
    if (step->select) {
        char sub[200];
        st->has_importance = true;
        if (ptc_prune_select(&m->cfg.variant.prune, tok, st, A->ws, A->ws_bytes, NULL, sub,
                             sizeof sub) != PTC_OK)
            return ptc_model_fail(err, err_len, "training step %zu: %s", s + 1, sub);
    }
    return PTC_OK;
}

/* The combining module on every sample (training, straight-through). */
static void combine_train(ptc_model *m, size_t s, const ptc_train_options *opt)
{
    ptc_model_acts *A = m->acts;
    ptc_step_save *v = &A->save[s];
    const ptc_ops *ops = m->ops;
    const ptc_params *P = &m->params;
    const size_t B = m->last_batch, n = m->last_n, H = m->cfg.hidden, mc = n_comb_of(m);
    const size_t R = v->rows;
    const float eps = m->cfg.ln_eps, scale = 1.0f / sqrtf((float)H);
    for (size_t b = 0; b < B; b++) {
        const size_t T = ptc_model_text_rows(m, b), len = (size_t)A->lengths[b];
        const float *x = A->xs[s] + b * R * H;
        float *c = v->c + b * mc * H, *e = v->e + b * n * H, *qc = v->qc + b * mc * H;
        float *ke = v->ke + b * n * H, *ve = v->ve + b * n * H;
        float *soft = v->soft + b * mc * n, *aval = v->aval + b * mc * n;
        int32_t *assign = v->assign + b * n;
        float *num = v->num + b * mc * H, *den = v->den + b * mc, *uu = v->uu + b * mc * H;
        ops->layernorm_fwd(mc, H, x + T * H, H, P->tcm_lnc_g, P->tcm_lnc_b, eps, c, H,
                           v->mc + b * mc, v->rc + b * mc);
        ops->layernorm_fwd(len, H, x, H, P->tcm_lne_g, P->tcm_lne_b, eps, e, H, v->me + b * n,
                           v->re + b * n);
        linear_fwd(ops, mc, H, H, c, P->tcm_wq, P->tcm_bq, qc);
        linear_fwd(ops, len, H, H, e, P->tcm_wk, P->tcm_bk, ke);
        linear_fwd(ops, len, H, H, e, P->tcm_wv, P->tcm_bv, ve);
        /* logits (mc, len) = qc ke^T / sqrt(H) (+ Gumbel) into soft */
        ops->sgemm(PTC_NO_TRANS, PTC_TRANS, mc, len, H, scale, qc, H, ke, H, 0.0f, soft, len);
        if (opt->gumbel)
            for (size_t i = 0; i < mc; i++)
                for (size_t j = 0; j < len; j++) {
                    const double uni = ptc_hash_u01(opt->seed, 5000 + s, b, i * n + j);
                    soft[i * len + j] += (float)(-log(-log(uni)));
                }
        ops->col_argmax(mc, len, soft, len, assign);
        for (size_t j = 0; j < len; j++) { /* softmax over i */
            float mx = soft[j];
            for (size_t i = 1; i < mc; i++)
                mx = soft[i * len + j] > mx ? soft[i * len + j] : mx;
            double sum = 0.0;
            for (size_t i = 0; i < mc; i++) {
                soft[i * len + j] = expf(soft[i * len + j] - mx);
                sum += soft[i * len + j];
            }
            for (size_t i = 0; i < mc; i++)
                soft[i * len + j] = (float)(soft[i * len + j] / sum);
        }
        for (size_t i = 0; i < mc; i++)
            for (size_t j = 0; j < len; j++)
                aval[i * len + j] = opt->soft_assign ? soft[i * len + j]
                                                     : (assign[j] == (int32_t)i ? 1.0f : 0.0f);
        /* num = aval ve, den = rowsum(aval) + 1, uu = num / den */
        ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, mc, H, len, 1.0f, aval, len, ve, H, 0.0f, num, H);
        for (size_t i = 0; i < mc; i++) {
            double sum = 1.0;
            for (size_t j = 0; j < len; j++)
                sum += aval[i * len + j];
            den[i] = (float)sum;
            for (size_t o = 0; o < H; o++)
                uu[i * H + o] = num[i * H + o] / den[i];
        }
        /* out = c + uu Wo^T + bo */
        float *out = A->xs[s + 1] + b * mc * H;
        linear_fwd(ops, mc, H, H, uu, P->tcm_wo, P->tcm_bo, out);
        for (size_t i = 0; i < mc * H; i++)
            out[i] += c[i];
    }
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
    const size_t B = in->batch, n = in->n, H = cfg->hidden, mc = n_comb_of(m), R0 = n + mc;
    const float p = opt->dropout ? cfg->dropout : 0.0f;
    A->training_dropout = opt->dropout;
    A->train_seed = opt->seed;
    /* strides follow this batch's length */
    size_t R = R0;
    for (size_t s = 0; s < m->plan.n_steps; s++) {
        A->save[s].rows = R;
        if (m->plan.steps[s].kind == PTC_STEP_COMBINE)
            R = mc;
    }
    for (size_t b = 0; b < B; b++) {
        const size_t T = ptc_model_text_rows(m, b);
        embed_sample(m, b, T, A->xs[0] + b * R0 * H, T, A->emb_sum + b * n * H,
                     A->emb_mean + b * n, A->emb_rstd + b * n, p, opt->seed);
    }
    ptc_tokens tok = {B, n, mc, A->lengths, cfg->variant.pad_mode};
    char sub[256];
    ptc_prune_state st;
    if (ptc_prune_state_init(&st, A->state_mem, A->state_bytes, &tok, cfg->n_heads, sub,
                             sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "training forward: %s", sub);
    uint64_t hash = 0xCBF29CE484222325ull;
    for (size_t s = 0; s < m->plan.n_steps; s++) {
        const ptc_step *step = &m->plan.steps[s];
        if (step->kind == PTC_STEP_COMBINE) {
            combine_train(m, s, opt);
            if (!opt->soft_assign)
                hash = fnv_add(hash, A->save[s].assign, B * n);
        } else {
            if (encoder_train(m, s, &tok, &st, p, opt->seed, err, err_len) != PTC_OK)
                return PTC_EINVAL;
            const ptc_step_save *v = &A->save[s];
            for (size_t i = 0; i < B * cfg->n_heads; i++) {
                hash = fnv_add(hash, &v->cnt[i], 1);
                hash = fnv_add(hash, v->idx + i * v->rows, (size_t)v->cnt[i]);
            }
        }
    }
    m->selection_hash = hash;
    const float *xf = A->xs[m->plan.n_steps];
    const size_t Rf = ptc_model_has_combine(cfg) ? mc : R0;
    for (size_t b = 0; b < B; b++) {
        const size_t rows = ptc_model_has_combine(cfg) ? mc : (size_t)A->lengths[b];
        mean_rows(rows, H, xf + b * Rf * H, A->pooled + b * H);
    }
    const float l = classify(m, B, in->labels != NULL, p, opt->seed);
    m->backward_ready = in->labels != NULL;
    if (loss)
        *loss = l;
    return PTC_OK;
}
