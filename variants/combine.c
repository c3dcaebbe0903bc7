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

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Gumbel(0, 1) sample for (seed, sample, i, j): -log(-log(u)), u in (0, 1). */
static float gumbel_noise(uint64_t seed, size_t b, size_t i, size_t j)
{
    uint64_t z = mix64(seed + 0x9E3779B97F4A7C15ull);
    z = mix64(z ^ ((uint64_t)b * 0xD1B54A32D192ED03ull));
    z = mix64(z ^ ((uint64_t)i * 0x8CB92BA72F3D8DD7ull));
    z = mix64(z ^ ((uint64_t)j * 0xABC98388FB8FAC03ull));
    const double u = ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    return (float)(-log(-log(u)));
}

int ptc_combine_forward(const ptc_ops *ops, const ptc_combine_weights *w, size_t hidden,
                        const ptc_tokens *tok, const float *x, float *out,
                        int32_t *assign, const ptc_combine_options *opt,
                        void *workspace, size_t workspace_bytes,
                        ptc_layer_stats *stats, char *err, size_t err_len)
{
    const ptc_combine_options defaults = {false, 0, false};
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

    for (size_t b = 0; b < tok->batch; b++) {
        const size_t len = ptc_tok_len(tok, b);
        const float *xb = x + b * n_rows * hidden;
        const float *c_raw = xb + n_text * hidden;
        float *ob = out + b * m * hidden;

        ops->layernorm_fwd(m, hidden, c_raw, hidden, w->ln_c_gamma, w->ln_c_beta, w->ln_eps,
                           ws.c, hidden, NULL, NULL);
        ptc_linear(ops, m, hidden, hidden, ws.c, hidden, w->wq, w->bq, ws.qc, hidden);
        for (size_t i = 0; i < m; i++)
            ws.cnt[i] = 0.0f;
        memset(ws.es, 0, m * hidden * sizeof(float));
        if (len > 0) {
            ops->layernorm_fwd(len, hidden, xb, hidden, w->ln_e_gamma, w->ln_e_beta, w->ln_eps,
                               ws.e, hidden, NULL, NULL);
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
            for (size_t j = 0; j < len; j++)
                ws.cnt[ws.assign[j]] += 1.0f;
            ops->segment_sum_rows(len, hidden, ws.e, hidden, ws.assign, ws.es, hidden);
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
