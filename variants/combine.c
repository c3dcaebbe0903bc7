/*
 * variants/combine.c — the token combining module (TCM).
 *
 * ref: Yun, Kim, Kim, EMNLP Findings 2023, Sec. "Token combining module"
 * (PAPER.md); hard assignment with eps 1 in the denominator as GroupViT
 * (Xu et al., CVPR 2022).
 *
 * Per sample, with m combination tokens and len real text tokens (pads never
 * take part), shapes in rows x hidden:
 *   c  (m)      = LN_c(combination rows)       e (len) = LN_e(text rows)
 *   qc (m)      = c Wq^T + bq
 *   qk (m)      = qc Wk                        qb (m) = qc . bk
 *   logit (m, len) = (qk e^T + qb) / sqrt(hidden)   (= (Wq c_i + bq).(Wk e_j + bk) / sqrt(hidden))
 *   g(j)        = ops->col_argmax over i (Gumbel(0,1) added first in training)
 *   es (m)      = ops->segment_sum_rows(e, g)  n_i = |{j : g(j) = i}|
 *   u  (m)      = (es Wv^T + n_i bv) / (n_i + 1)     (= sum_{g(j)=i} (Wv e_j + bv) / (n_i + 1))
 *   out (m)     = c + u Wo^T + bo               (c_raw instead of c with residual_raw)
 * Linear algebra moves the projections of Wk and Wv from the len text tokens to
 * the m combination tokens: the same values (up to rounding), O(m hidden^2)
 * instead of O(len hidden^2). Samples run one after another with ops->sgemm
 * threading itself; the Gumbel noise is a hash of (seed, sample, i, j), so the
 * result is identical for any thread count. No allocation.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

typedef struct combine_ws {
    float *c, *e, *qc, *qk, *qb, *logits, *es, *u, *cnt;
    int32_t *assign;
} combine_ws;

static size_t combine_layout(ptc_arena *a, combine_ws *ws, size_t n_text, size_t m, size_t hidden)
{
    combine_ws w;
    const size_t mh = m * hidden * sizeof(float);
    w.c = ptc_arena_take(a, mh);
    w.e = ptc_arena_take(a, n_text * hidden * sizeof(float));
    w.qc = ptc_arena_take(a, mh);
    w.qk = ptc_arena_take(a, mh);
    w.qb = ptc_arena_take(a, m * sizeof(float));
    w.logits = ptc_arena_take(a, m * n_text * sizeof(float));
    w.es = ptc_arena_take(a, mh);
    w.u = ptc_arena_take(a, mh);
    w.cnt = ptc_arena_take(a, m * sizeof(float));
    w.assign = ptc_arena_take(a, n_text * sizeof(int32_t));
    if (ws)
        *ws = w;
    return a->used;
}

size_t ptc_combine_workspace_need(const ptc_tokens *tok, size_t hidden)
{
    ptc_arena a = {NULL, 0};
    return combine_layout(&a, NULL, tok->n_text, tok->n_comb, hidden);
}

/* Gumbel(0, 1) sample for (seed, sample, i, j): -log(-log(u)), u in (0, 1). */
static float gumbel_noise(uint64_t seed, size_t b, size_t i, size_t j)
{
    return (float)(-log(-log(ptc_hash_u01(seed, b, i, j))));
}

int ptc_combine_forward(const ptc_ops *ops, const ptc_combine_weights *w, size_t hidden,
                        const ptc_tokens *tok, const float *x, float *out,
                        int32_t *assign, const ptc_combine_options *opt,
                        void *workspace, size_t workspace_bytes,
                        ptc_layer_stats *stats, char *err, size_t err_len)
{
    ptc_op_times *times = opt ? opt->times : NULL;
    const double t0 = ptc_op_tick(times);
    const int rc = ptc_combine_run(ops, w, hidden, tok, x, out, assign, opt, workspace,
                                   workspace_bytes, stats, NULL, err, err_len);
    ptc_op_tock(times, PTC_OPCAT_COMBINING, t0);
    return rc;
}

/* softmax over i (m rows) of each column j of logits (m, len) into soft */
static void softmax_columns(size_t m, size_t len, const float *logits, float *soft)
{
    for (size_t j = 0; j < len; j++) {
        float mx = logits[j];
        for (size_t i = 1; i < m; i++)
            mx = logits[i * len + j] > mx ? logits[i * len + j] : mx;
        double sum = 0.0;
        for (size_t i = 0; i < m; i++) {
            soft[i * len + j] = expf(logits[i * len + j] - mx);
            sum += soft[i * len + j];
        }
        for (size_t i = 0; i < m; i++)
            soft[i * len + j] = (float)(soft[i * len + j] / sum);
    }
}

/* Training (train != NULL) keeps c, e (and their LayerNorm statistics), qc,
 * qk, the softmax over i of the logits, the grouped sums, counts and u in the
 * save area; with soft_assign the value uses the softmax instead of the
 * one-hot argmax (es = soft e, n_i = sum_j soft). */
int ptc_combine_run(const ptc_ops *ops, const ptc_combine_weights *w, size_t hidden,
                    const ptc_tokens *tok, const float *x, float *out, int32_t *assign,
                    const ptc_combine_options *opt, void *workspace, size_t workspace_bytes,
                    ptc_layer_stats *stats, const ptc_step_train *train, char *err, size_t err_len)
{
    const ptc_combine_options defaults = {false, 0, false, NULL};
    if (!opt)
        opt = &defaults;
    if (!ops || !w || !x || !out)
        return ptc_fail(err, err_len, "combine: NULL ops, weights, x or out");
    if (!w->wq || !w->wk || !w->wv || !w->wo || !w->ln_c_gamma || !w->ln_c_beta ||
        !w->ln_e_gamma || !w->ln_e_beta)
        return ptc_fail(err, err_len, "combine: a projection or LayerNorm weight is NULL");
    if (hidden == 0)
        return ptc_fail(err, err_len, "combine: hidden must be >= 1");
    if (ptc_tokens_check(tok, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    const size_t m = tok->n_comb, n_text = tok->n_text;
    if (m < 1)
        return ptc_fail(err, err_len, "combine: m = %zu combination tokens, need m >= 1", m);
    const size_t need = ptc_combine_workspace_need(tok, hidden);
    if (!workspace || workspace_bytes < need || (uintptr_t)workspace % 64 != 0)
        return ptc_fail(err, err_len, "combine: workspace of %zu bytes (64-byte aligned) needed, "
                        "%zu given", need, workspace ? workspace_bytes : 0);
    combine_ws ws;
    ptc_arena arena = {workspace, 0};
    combine_layout(&arena, &ws, n_text, m, hidden);
    const size_t n_rows = ptc_tok_rows(tok);
    const float scale = 1.0f / sqrtf((float)hidden);
    double flops = 0.0;
    size_t text_total = 0;

    ptc_combine_save *sv = train ? train->save : NULL;
    for (size_t b = 0; b < tok->batch; b++) {
        const size_t len = ptc_tok_len(tok, b);
        const float *xb = x + b * n_rows * hidden;
        const float *c_raw = xb + n_text * hidden;
        float *ob = out + b * m * hidden;
        if (sv) { /* training: the values backward reads live in the save area */
            ws.c = sv->c + b * m * hidden;
            ws.e = sv->e + b * n_text * hidden;
            ws.qc = sv->qc + b * m * hidden;
            ws.qk = sv->qk + b * m * hidden;
            ws.es = sv->es + b * m * hidden;
            ws.u = sv->u + b * m * hidden;
            ws.cnt = sv->cnt + b * m;
            ws.assign = sv->assign + b * n_text;
        }
        float *mean_c = sv ? sv->mc + b * m : NULL, *rstd_c = sv ? sv->rc + b * m : NULL;
        float *mean_e = sv ? sv->me + b * n_text : NULL, *rstd_e = sv ? sv->re + b * n_text : NULL;

        ptc_layernorm_rows(ops, m, hidden, c_raw, hidden, w->ln_c_gamma, w->ln_c_beta,
                           w->ln_eps, ws.c, hidden, mean_c, rstd_c);
        ptc_linear(ops, m, hidden, hidden, ws.c, hidden, w->wq, w->bq, ws.qc, hidden);
        for (size_t i = 0; i < m; i++)
            ws.cnt[i] = 0.0f;
        memset(ws.es, 0, m * hidden * sizeof(float));
        if (len > 0) {
            ptc_layernorm_rows(ops, len, hidden, xb, hidden, w->ln_e_gamma, w->ln_e_beta,
                               w->ln_eps, ws.e, hidden, mean_e, rstd_e);
            /* qk = qc Wk (Wk stored [out, in]: qk[i][in] = sum_out qc[i][out] Wk[out][in]) */
            ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, m, hidden, hidden, 1.0f, ws.qc, hidden,
                       w->wk, hidden, 0.0f, ws.qk, hidden);
            for (size_t i = 0; i < m; i++) {
                float dot = 0.0f;
                if (w->bk)
                    for (size_t o = 0; o < hidden; o++)
                        dot += ws.qc[i * hidden + o] * w->bk[o];
                ws.qb[i] = scale * dot;
                for (size_t j = 0; j < len; j++)
                    ws.logits[i * len + j] = ws.qb[i];
            }
            ops->sgemm(PTC_NO_TRANS, PTC_TRANS, m, len, hidden, scale, ws.qk, hidden, ws.e, hidden,
                       1.0f, ws.logits, len);
            if (opt->training)
                for (size_t i = 0; i < m; i++)
                    for (size_t j = 0; j < len; j++)
                        ws.logits[i * len + j] += gumbel_noise(opt->seed, b, i, j);
            ops->col_argmax(m, len, ws.logits, len, ws.assign);
            float *soft = sv ? sv->soft + b * m * n_text : NULL;
            if (sv)
                softmax_columns(m, len, ws.logits, soft);
            if (sv && train->soft_assign) {
                for (size_t i = 0; i < m; i++) {
                    double sum = 0.0;
                    for (size_t j = 0; j < len; j++)
                        sum += soft[i * len + j];
                    ws.cnt[i] = (float)sum;
                }
                ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, m, hidden, len, 1.0f, soft, len, ws.e,
                           hidden, 0.0f, ws.es, hidden);
            } else {
                for (size_t j = 0; j < len; j++)
                    ws.cnt[ws.assign[j]] += 1.0f;
                ops->segment_sum_rows(len, hidden, ws.e, hidden, ws.assign, ws.es, hidden);
            }
            flops += 2.0 * (double)m * hidden * hidden + (w->bk ? 2.0 * m * hidden : 0.0) +
                     2.0 * (double)m * len * hidden + 2.0 * (double)m * len + (double)len * hidden +
                     8.0 * (double)len * hidden;
        }
        /* u = (es Wv^T + n_i bv) / (n_i + 1) */
        for (size_t i = 0; i < m; i++)
            for (size_t o = 0; o < hidden; o++)
                ws.u[i * hidden + o] = w->bv ? ws.cnt[i] * w->bv[o] : 0.0f;
        ops->sgemm(PTC_NO_TRANS, PTC_TRANS, m, hidden, hidden, 1.0f, ws.es, hidden, w->wv, hidden,
                   1.0f, ws.u, hidden);
        for (size_t i = 0; i < m; i++) {
            const float inv = 1.0f / (ws.cnt[i] + 1.0f);
            for (size_t o = 0; o < hidden; o++)
                ws.u[i * hidden + o] *= inv;
        }
        /* out = c + u Wo^T + bo */
        const float *res = opt->residual_raw ? c_raw : ws.c;
        for (size_t i = 0; i < m; i++)
            for (size_t o = 0; o < hidden; o++)
                ob[i * hidden + o] = res[i * hidden + o] + (w->bo ? w->bo[o] : 0.0f);
        ops->sgemm(PTC_NO_TRANS, PTC_TRANS, m, hidden, hidden, 1.0f, ws.u, hidden, w->wo, hidden,
                   1.0f, ob, hidden);
        if (assign) {
            int32_t *ab = assign + b * n_text;
            for (size_t j = 0; j < n_text; j++)
                ab[j] = j < len ? ws.assign[j] : -1;
        }
        flops += 8.0 * (double)m * hidden + ptc_linear_flops(m, hidden, hidden, w->bq != NULL) +
                 2.0 * ptc_linear_flops(m, hidden, hidden, true) + 3.0 * (double)m * hidden;
        text_total += len;
    }
    if (stats) {
        memset(stats, 0, sizeof *stats);
        ptc_stat_acc tokens = ptc_stat_begin();
        for (size_t b = 0; b < tok->batch; b++)
            ptc_stat_add(&tokens, (double)(ptc_tok_len(tok, b) + m));
        stats->tokens = ptc_stat_end(&tokens);
        stats->n_tokens = 1;
        stats->flops_combining = flops;
        stats->bytes_activations = (text_total * 2 + tok->batch * m * 7) * hidden * sizeof(float);
        stats->bytes_scores = tok->batch * (m * n_text) * sizeof(float) + text_total * sizeof(int32_t);
        stats->bytes_workspace = workspace_bytes;
    }
    return PTC_OK;
}

/* Backward, sample by sample (ref: the forward above; the straight-through
 * estimator A = onehot + soft - stopgrad(soft) gives the value onehot and the
 * gradient of soft):
 *   out = res + u Wo^T + bo            du = dout Wo
 *   u = num / den, den = n + 1         dnum = du / den, dn = -sum(du * u) / den + dnum . bv
 *   num = es Wv^T + n bv               des = dnum Wv, dbv += sum_i n_i dnum_i
 *   es = A e, n = rowsum A             dA = des e^T + dn, de = A^T des
 *   A -> soft (straight-through)       dlogit = soft * (dA - sum_i soft dA)
 *   logit = scale (qk e^T + qc . bk)   dqk = scale dlogit e, de += scale dlogit^T qk
 *   qk = qc Wk                         dWk += qc^T dqk, dqc = dqk Wk^T (+ scale rowsum(dlogit) bk)
 *   qc = c Wq^T + bq                   dc = dqc Wq (+ dout when res = c)
 * then LN_e and LN_c backward into the text and combination rows of dx. */
void ptc_combine_backward(const ptc_ops *ops, const ptc_combine_weights *w,
                          const ptc_combine_grads *g, size_t hidden, const ptc_tokens *tok,
                          const float *x, const float *dout, float *dx, const ptc_combine_options *opt,
                          const ptc_step_train *train, const ptc_bwd_scratch *sc)
{
    const ptc_combine_save *sv = train->save;
    const size_t m = tok->n_comb, n_text = tok->n_text, n_rows = ptc_tok_rows(tok);
    const size_t mh = m * hidden;
    const float scale = 1.0f / sqrtf((float)hidden);
    const bool raw = opt && opt->residual_raw;
    for (size_t b = 0; b < tok->batch; b++) {
        const size_t len = ptc_tok_len(tok, b);
        const float *xb = x + b * n_rows * hidden, *db = dout + b * mh;
        float *dxb = dx + b * n_rows * hidden;
        const float *c = sv->c + b * mh, *e = sv->e + b * n_text * hidden;
        const float *qc = sv->qc + b * mh, *qk = sv->qk + b * mh, *es = sv->es + b * mh;
        const float *cnt = sv->cnt + b * m, *u = sv->u + b * mh;
        const float *soft = sv->soft + b * m * n_text;
        const int32_t *assign = sv->assign + b * n_text;
        memset(dxb, 0, n_rows * hidden * sizeof(float));
        /* out = res + u Wo^T + bo */
        ptc_linear_backward(ops, m, hidden, hidden, u, hidden, w->wo, db, hidden, g->wo, g->bo,
                            sc->dnum, hidden, false);
        for (size_t i = 0; i < m; i++) {
            const float den = cnt[i] + 1.0f;
            double dot = 0.0, dbias = 0.0;
            float *dn = sc->dnum + i * hidden;
            for (size_t o = 0; o < hidden; o++)
                dot += (double)dn[o] * (double)u[i * hidden + o];
            for (size_t o = 0; o < hidden; o++)
                dn[o] /= den;
            if (w->bv)
                for (size_t o = 0; o < hidden; o++)
                    dbias += (double)dn[o] * (double)w->bv[o];
            sc->dcnt[i] = (float)(-dot / (double)den + dbias);
        }
        /* num = es Wv^T + n bv */
        ptc_linear_backward(ops, m, hidden, hidden, es, hidden, w->wv, sc->dnum, hidden, g->wv, NULL,
                            sc->des, hidden, false);
        if (g->bv)
            for (size_t i = 0; i < m; i++)
                for (size_t o = 0; o < hidden; o++)
                    g->bv[o] += cnt[i] * sc->dnum[i * hidden + o];
        memset(sc->dqc, 0, mh * sizeof(float));
        if (len > 0) {
            float *dl = sc->dlogit;
            /* dA = des e^T + dn; de = A^T des */
            ops->sgemm(PTC_NO_TRANS, PTC_TRANS, m, len, hidden, 1.0f, sc->des, hidden, e, hidden,
                       0.0f, dl, len);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < len; j++)
                    dl[i * len + j] += sc->dcnt[i];
            if (train->soft_assign)
                ops->sgemm(PTC_TRANS, PTC_NO_TRANS, len, hidden, m, 1.0f, soft, len, sc->des, hidden,
                           0.0f, sc->de, hidden);
            else
                ops->gather_rows(len, hidden, sc->des, hidden, assign, sc->de, hidden);
            /* straight-through: through the softmax over i */
            for (size_t j = 0; j < len; j++) {
                double dot = 0.0;
                for (size_t i = 0; i < m; i++)
                    dot += (double)soft[i * len + j] * (double)dl[i * len + j];
                for (size_t i = 0; i < m; i++)
                    dl[i * len + j] = soft[i * len + j] * (dl[i * len + j] - (float)dot);
            }
            /* logits = scale (qk e^T + qc . bk) */
            ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, m, hidden, len, scale, dl, len, e, hidden, 0.0f,
                       sc->dqk, hidden);
            ops->sgemm(PTC_TRANS, PTC_NO_TRANS, len, hidden, m, scale, dl, len, qk, hidden, 1.0f,
                       sc->de, hidden);
            /* qk = qc Wk */
            ops->sgemm(PTC_TRANS, PTC_NO_TRANS, hidden, hidden, m, 1.0f, qc, hidden, sc->dqk, hidden,
                       1.0f, g->wk, hidden);
            ops->sgemm(PTC_NO_TRANS, PTC_TRANS, m, hidden, hidden, 1.0f, sc->dqk, hidden, w->wk,
                       hidden, 0.0f, sc->dqc, hidden);
            if (w->bk)
                for (size_t i = 0; i < m; i++) {
                    double rs = 0.0;
                    for (size_t j = 0; j < len; j++)
                        rs += dl[i * len + j];
                    const float f = scale * (float)rs;
                    for (size_t o = 0; o < hidden; o++) {
                        sc->dqc[i * hidden + o] += f * w->bk[o];
                        if (g->bk)
                            g->bk[o] += f * qc[i * hidden + o];
                    }
                }
            ops->layernorm_bwd(len, hidden, sc->de, hidden, xb, hidden, w->ln_e_gamma,
                               sv->me + b * n_text, sv->re + b * n_text, dxb, hidden,
                               g->ln_e_gamma, g->ln_e_beta);
        }
        /* qc = c Wq^T + bq; dc also gets dout through the residual */
        if (raw)
            memset(sc->dc, 0, mh * sizeof(float));
        else
            memcpy(sc->dc, db, mh * sizeof(float));
        ptc_linear_backward(ops, m, hidden, hidden, c, hidden, w->wq, sc->dqc, hidden, g->wq, g->bq,
                            sc->dc, hidden, true);
        float *dcomb = dxb + n_text * hidden;
        ops->layernorm_bwd(m, hidden, sc->dc, hidden, xb + n_text * hidden, hidden, w->ln_c_gamma,
                           sv->mc + b * m, sv->rc + b * m, dcomb, hidden, g->ln_c_gamma,
                           g->ln_c_beta);
        if (raw)
            for (size_t i = 0; i < mh; i++)
                dcomb[i] += db[i];
    }
}
