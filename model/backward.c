/*
 * model/backward.c — backward of the training forward (model/forward.c), step
 * by step in reverse plan order, sample by sample; weight gradients accumulate
 * (+=) into m->grads in a fixed order, so results do not depend on the thread
 * count (ops->sgemm threads itself, bit-identically).
 *
 * Linear y = x W^T + b (W [out, in]):  dW += dy^T x,  db += colsum(dy),  dx = dy W.
 * Attention over a head's kept keys (ref: the standard softmax-attention
 * backward, as FlashAttention's, with P recomputed from the saved lse):
 *   P = exp(scale Q K_kept^T + bias - lse)      (n_q, n_kv) materialised per head
 *   dV_kept = P^T dO      dP = dO V_kept^T      D_i = rowsum(dO_i * O_i)
 *   dS = P * (dP - D)     dQ = scale dS K_kept  dK_kept = scale dS^T Q
 * Pruned keys and values get no gradient; the selection itself has none.
 * Combining module, straight-through: A = onehot + soft - stopgrad(soft), so the
 * value uses onehot (saved as aval) and dsoft = dA; soft = softmax over the m
 * tokens of each text token's logits.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

/* db[c] += sum_r dy[r][c] */
static void bias_grad(size_t rows, size_t cols, const float *dy, float *db)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            db[c] += dy[r * cols + c];
}

/* Linear backward: dW += dy^T x, db += colsum dy, dx = dy W (+ dx when accumulate). */
static void linear_bwd(const ptc_ops *ops, size_t rows, size_t in, size_t out, const float *x,
                       const float *w, const float *dy, float *dw, float *db, float *dx,
                       bool accumulate)
{
    if (rows == 0) {
        return;
    }
    ops->sgemm(PTC_TRANS, PTC_NO_TRANS, out, in, rows, 1.0f, dy, out, x, in, 1.0f, dw, in);
    if (db)
        bias_grad(rows, out, dy, db);
    if (dx)
        ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, rows, in, out, 1.0f, dy, out, w, in,
                   accumulate ? 1.0f : 0.0f, dx, in);
}

static void dropout_bwd(const ptc_model *m, uint64_t site, size_t b, size_t rows, size_t cols,
                        float *dx)
{
    ptc_model_dropout(m->cfg.dropout * (m->acts->training_dropout ? 1.0f : 0.0f),
                      m->acts->train_seed, site, b, rows, cols, dx, cols);
}

/* Attention backward for sample b of encoder step s: from dctx (na, H) to
 * dq, dk, dv (na, H) (dk and dv only on kept rows; others 0). */
static void attention_bwd(const ptc_model *m, const ptc_step_save *v, size_t b, size_t na,
                          const float *kbias)
{
    const ptc_model_acts *A = m->acts;
    const ptc_ops *ops = m->ops;
    const size_t H = m->cfg.hidden, nh = m->cfg.n_heads, d = H / nh, R = v->rows;
    const float scale = 1.0f / sqrtf((float)d);
    const size_t so = b * R * H;
    const float *q = v->q + so, *k = v->k + so, *vv = v->v + so, *ctx = v->ctx + so;
    memset(A->dk, 0, na * H * sizeof(float));
    memset(A->dv, 0, na * H * sizeof(float));
    for (size_t h = 0; h < nh; h++) {
        const int32_t *idx = v->idx + (b * nh + h) * R;
        const size_t cnt = (size_t)v->cnt[b * nh + h];
        const float *lse = v->lse + (b * nh + h) * R;
        float *P = A->att_p, *dP = A->att_dp;
        if (cnt == 0) {
            for (size_t i = 0; i < na; i++)
                memset(A->dq + i * H + h * d, 0, d * sizeof(float));
            continue;
        }
        ops->gather_rows(cnt, d, k + h * d, H, idx, A->kh, d);
        ops->gather_rows(cnt, d, vv + h * d, H, idx, A->vh, d);
        ops->sgemm(PTC_NO_TRANS, PTC_TRANS, na, cnt, d, scale, q + h * d, H, A->kh, d, 0.0f, P, cnt);
        for (size_t i = 0; i < na; i++) {
            float *pr = P + i * cnt;
            if (lse[i] == -INFINITY) {
                memset(pr, 0, cnt * sizeof(float));
                continue;
            }
            for (size_t j = 0; j < cnt; j++)
                pr[j] = expf(pr[j] + (kbias ? kbias[idx[j]] : 0.0f) - lse[i]);
        }
        const float *dO = A->dctx + h * d;
        ops->sgemm(PTC_NO_TRANS, PTC_TRANS, na, cnt, d, 1.0f, dO, H, A->vh, d, 0.0f, dP, cnt);
        for (size_t i = 0; i < na; i++) {
            double Di = 0.0;
            for (size_t c = 0; c < d; c++)
                Di += (double)dO[i * H + c] * (double)ctx[i * H + h * d + c];
            float *dpr = dP + i * cnt;
            const float *pr = P + i * cnt;
            for (size_t j = 0; j < cnt; j++)
                dpr[j] = pr[j] * (dpr[j] - (float)Di);
        }
        /* dQ_h = scale dS K; dK_kept = scale dS^T Q; dV_kept = P^T dO */
        ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, na, d, cnt, scale, dP, cnt, A->kh, d, 0.0f,
                   A->dq + h * d, H);
        ops->sgemm(PTC_TRANS, PTC_NO_TRANS, cnt, d, na, scale, dP, cnt, q + h * d, H, 0.0f, A->dkh, d);
        ops->sgemm(PTC_TRANS, PTC_NO_TRANS, cnt, d, na, 1.0f, P, cnt, dO, H, 0.0f, A->dvh, d);
        ops->segment_sum_rows(cnt, d, A->dkh, d, idx, A->dk + h * d, H);
        ops->segment_sum_rows(cnt, d, A->dvh, d, idx, A->dv + h * d, H);
    }
}

/* Encoder step s: dy = gradient wrt its output (B, R, H), dx = wrt its input. */
static void encoder_bwd(ptc_model *m, size_t s, const float *dy_all, float *dx_all)
{
    ptc_model_acts *A = m->acts;
    const ptc_step *step = &m->plan.steps[s];
    const ptc_step_save *v = &A->save[s];
    const ptc_ops *ops = m->ops;
    const ptc_params *P = &m->params;
    ptc_params *G = &m->grads;
    const size_t B = m->last_batch, H = m->cfg.hidden, F = m->cfg.ffn, R = v->rows;
    const size_t l = step->layer - 1, mc = step->n_comb;
    const float *wq = P->wq + l * H * H, *wk = P->wk + l * H * H, *wv = P->wv + l * H * H;
    const float *wo = P->wo + l * H * H, *w1 = P->w1 + l * F * H, *w2 = P->w2 + l * H * F;
    float kbias[R > 0 ? R : 1];
    for (size_t b = 0; b < B; b++) {
        const size_t T = step->comb_only ? 0 : ptc_model_text_rows(m, b), na = T + mc;
        const size_t len = (size_t)A->lengths[b];
        const size_t so = b * R * H, sf = b * R * F;
        const float *dy = dy_all + so, *x = A->xs[s] + so;
        float *dx = dx_all + so;
        memset(dx, 0, R * H * sizeof(float));
        /* LN2: res2 = x1 + dropout(g W2^T + b2) */
        ops->layernorm_bwd(na, H, dy, H, v->res2 + so, H, P->ln2_g + l * H, v->mean2 + b * R,
                           v->rstd2 + b * R, A->dt1, H, G->ln2_g + l * H, G->ln2_b + l * H);
        memcpy(A->dt2, A->dt1, na * H * sizeof(float)); /* dx1 */
        dropout_bwd(m, PTC_SITE_FFN + 2 * s, b, na, H, A->dt1);
        linear_bwd(ops, na, F, H, v->g + sf, w2, A->dt1, G->w2 + l * H * F, G->b2 + l * H, A->du,
                   false);
        ops->gelu_bwd(na * F, v->u + sf, A->du, A->du);
        linear_bwd(ops, na, H, F, v->x1 + so, w1, A->du, G->w1 + l * F * H, G->b1 + l * F, A->dt2,
                   true);
        /* LN1: res1 = x + dropout(ctx Wo^T + bo) */
        ops->layernorm_bwd(na, H, A->dt2, H, v->res1 + so, H, P->ln1_g + l * H, v->mean1 + b * R,
                           v->rstd1 + b * R, A->dt1, H, G->ln1_g + l * H, G->ln1_b + l * H);
        memcpy(dx, A->dt1, na * H * sizeof(float));
        dropout_bwd(m, PTC_SITE_ATTN + 2 * s, b, na, H, A->dt1);
        linear_bwd(ops, na, H, H, v->ctx + so, wo, A->dt1, G->wo + l * H * H, G->bo + l * H, A->dctx,
                   false);
        const bool pads = !step->comb_only && T > len;
        for (size_t r = 0; r < na; r++)
            kbias[r] = (pads && r >= len && r < T) ? -INFINITY : 0.0f;
        attention_bwd(m, v, b, na, pads ? kbias : NULL);
        linear_bwd(ops, na, H, H, x, wq, A->dq, G->wq + l * H * H, G->bq + l * H, dx, true);
        linear_bwd(ops, na, H, H, x, wk, A->dk, G->wk + l * H * H, G->bk + l * H, dx, true);
        linear_bwd(ops, na, H, H, x, wv, A->dv, G->wv + l * H * H, G->bv + l * H, dx, true);
    }
}

/* Combining module step s: dy (B, m, H) -> dx (B, R, H). */
static void combine_bwd(ptc_model *m, size_t s, const float *dy_all, float *dx_all)
{
    ptc_model_acts *A = m->acts;
    const ptc_step_save *v = &A->save[s];
    const ptc_ops *ops = m->ops;
    const ptc_params *P = &m->params;
    ptc_params *G = &m->grads;
    const size_t B = m->last_batch, n = m->last_n, H = m->cfg.hidden, R = v->rows;
    const size_t mc = m->cfg.variant.n_comb;
    const float scale = 1.0f / sqrtf((float)H);
    for (size_t b = 0; b < B; b++) {
        const size_t T = ptc_model_text_rows(m, b), len = (size_t)A->lengths[b];
        const float *dout = dy_all + b * mc * H, *x = A->xs[s] + b * R * H;
        float *dx = dx_all + b * R * H;
        const float *c = v->c + b * mc * H, *e = v->e + b * n * H, *qc = v->qc + b * mc * H;
        const float *ke = v->ke + b * n * H, *ve = v->ve + b * n * H;
        const float *soft = v->soft + b * mc * n, *aval = v->aval + b * mc * n;
        const float *num = v->num + b * mc * H, *den = v->den + b * mc;
        float *dnum = A->dt1, *dc = A->dt2, *dve = A->dv, *dqc = A->dq, *dke = A->dk, *de = A->dctx;
        float *dA = A->dlogit;
        memset(dx, 0, R * H * sizeof(float));
        /* out = c + uu Wo^T + bo */
        linear_bwd(ops, mc, H, H, v->uu + b * mc * H, P->tcm_wo, dout, G->tcm_wo, G->tcm_bo, dnum,
                   false);
        memcpy(dc, dout, mc * H * sizeof(float));
        /* uu = num / den */
        for (size_t i = 0; i < mc; i++) {
            double s2 = 0.0;
            for (size_t o = 0; o < H; o++)
                s2 += (double)dnum[i * H + o] * (double)num[i * H + o];
            A->dden[i] = (float)(-s2 / ((double)den[i] * (double)den[i]));
            for (size_t o = 0; o < H; o++)
                dnum[i * H + o] /= den[i];
        }
        /* num = A ve, den = rowsum(A) + 1: dA = dnum ve^T + dden; dve = A^T dnum */
        ops->sgemm(PTC_NO_TRANS, PTC_TRANS, mc, len, H, 1.0f, dnum, H, ve, H, 0.0f, dA, len);
        for (size_t i = 0; i < mc; i++)
            for (size_t j = 0; j < len; j++)
                dA[i * len + j] += A->dden[i];
        ops->sgemm(PTC_TRANS, PTC_NO_TRANS, len, H, mc, 1.0f, aval, len, dnum, H, 0.0f, dve, H);
        /* straight-through: dsoft = dA; softmax over i per token j */
        for (size_t j = 0; j < len; j++) {
            double dot = 0.0;
            for (size_t i = 0; i < mc; i++)
                dot += (double)soft[i * len + j] * (double)dA[i * len + j];
            for (size_t i = 0; i < mc; i++)
                dA[i * len + j] = soft[i * len + j] * (dA[i * len + j] - (float)dot);
        }
        /* logits = scale qc ke^T */
        ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, mc, H, len, scale, dA, len, ke, H, 0.0f, dqc, H);
        ops->sgemm(PTC_TRANS, PTC_NO_TRANS, len, H, mc, scale, dA, len, qc, H, 0.0f, dke, H);
        linear_bwd(ops, len, H, H, e, P->tcm_wv, dve, G->tcm_wv, G->tcm_bv, de, false);
        linear_bwd(ops, len, H, H, e, P->tcm_wk, dke, G->tcm_wk, G->tcm_bk, de, true);
        linear_bwd(ops, mc, H, H, c, P->tcm_wq, dqc, G->tcm_wq, G->tcm_bq, dc, true);
        ops->layernorm_bwd(len, H, de, H, x, H, P->tcm_lne_g, v->me + b * n, v->re + b * n, dx, H,
                           G->tcm_lne_g, G->tcm_lne_b);
        ops->layernorm_bwd(mc, H, dc, H, x + T * H, H, P->tcm_lnc_g, v->mc + b * mc, v->rc + b * mc,
                           dx + T * H, H, G->tcm_lnc_g, G->tcm_lnc_b);
    }
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
    const bool comb = ptc_model_has_combine(cfg);
    const size_t mc = comb ? cfg->variant.n_comb : 0, R0 = n + mc;

    /* loss = mean_b CE: dlogits = (probs - onehot) / B, staged in dt1 */
    float *dlogits = A->dt1;
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            dlogits[b * C + c] = (A->probs[b * C + c] - (c == (size_t)A->labels[b] ? 1.0f : 0.0f)) /
                                 (float)B;
    linear_bwd(ops, B, H, C, A->pooled_in, P->cls_w, dlogits, G->cls_w, G->cls_b, A->dpooled, false);
    for (size_t b = 0; b < B; b++)
        dropout_bwd(m, PTC_SITE_CLS, b, 1, H, A->dpooled + b * H);
    /* mean pooling */
    const size_t Rf = comb ? mc : R0;
    float *dy = A->dxa, *dx = A->dxb;
    memset(dy, 0, B * Rf * H * sizeof(float));
    for (size_t b = 0; b < B; b++) {
        const size_t rows = comb ? mc : (size_t)A->lengths[b];
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < H; c++)
                dy[(b * Rf + r) * H + c] = A->dpooled[b * H + c] / (float)rows;
    }
    for (size_t s = m->plan.n_steps; s-- > 0;) {
        if (m->plan.steps[s].kind == PTC_STEP_COMBINE)
            combine_bwd(m, s, dy, dx);
        else
            encoder_bwd(m, s, dy, dx);
        float *t = dy;
        dy = dx;
        dx = t;
    }
    /* embeddings: dy = d(xs[0]) */
    for (size_t b = 0; b < B; b++) {
        const size_t T = ptc_model_text_rows(m, b);
        float *d0 = dy + b * R0 * H;
        for (size_t i = 0; i < mc * H; i++)
            G->comb_tokens[i] += d0[T * H + i];
        dropout_bwd(m, PTC_SITE_EMB, b, T, H, d0);
        ops->layernorm_bwd(T, H, d0, H, A->emb_sum + b * n * H, H, P->emb_ln_g, A->emb_mean + b * n,
                           A->emb_rstd + b * n, A->dt1, H, G->emb_ln_g, G->emb_ln_b);
        ops->segment_sum_rows(T, H, A->dt1, H, A->ids + b * n, G->word_emb, H);
        ops->segment_sum_rows(T, H, A->dt1, H, A->types + b * n, G->type_emb, H);
        for (size_t i = 0; i < T; i++)
            for (size_t c = 0; c < H; c++)
                G->pos_emb[i * H + c] += A->dt1[i * H + c];
    }
    return PTC_OK;
}
