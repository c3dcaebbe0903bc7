/*
 * variants/layer.c — the post-LN encoder layer (as BERT) on top of
 * ptc_mhsa_forward: x1 = LN1(x + MHSA(x)), y = LN2(x1 + FFN(x1)) on the rows
 * the layer sees, run by run (length-aware: real rows, then the combination
 * rows). The layer reuses the MHSA workspace after attention: per sample a
 * residual buffer and the FFN inner activations. No allocation.
 * Contract: include/ptc/variants.h.
 */
#include "internal.h"

#include <string.h>


/* The encoder layer reuses the MHSA region after attention: per sample, a
 * residual buffer (n_rows, hidden) and the FFN inner activations (n_rows, ffn). */
typedef struct encoder_ws { float *res, *inner; } encoder_ws;

static size_t encoder_layout(ptc_arena *a, encoder_ws *ws, size_t n_rows, size_t hidden, size_t ffn)
{
    encoder_ws w;
    w.res = ptc_arena_take(a, n_rows * hidden * sizeof(float));
    w.inner = ptc_arena_take(a, n_rows * (ffn ? ffn : 1) * sizeof(float));
    if (ws)
        *ws = w;
    return a->used;
}

size_t ptc_encoder_workspace_need(const ptc_tokens *tok, size_t hidden, size_t n_heads, size_t ffn)
{
    ptc_arena a = {NULL, 0};
    const size_t enc = encoder_layout(&a, NULL, ptc_tok_rows(tok), hidden, ffn);
    const size_t mhsa = ptc_mhsa_workspace_need(tok, hidden, n_heads);
    return enc > mhsa ? enc : mhsa;
}

/* ---- encoder layer ------------------------------------------------------------------------ */
int ptc_encoder_layer_forward(const ptc_ops *ops, const ptc_encoder_weights *w,
                              size_t hidden, size_t n_heads, size_t ffn,
                              const ptc_tokens *tok, const float *x, float *y,
                              ptc_prune_state *state, const ptc_mhsa_options *opt,
                              void *workspace, size_t workspace_bytes,
                              ptc_layer_stats *stats, char *err, size_t err_len)
{
    ptc_op_times *times = opt ? opt->times : NULL;
    const ptc_op_span span = ptc_op_span_begin(times);
    const int rc = ptc_layer_run(ops, w, hidden, n_heads, ffn, tok, x, y, state, opt, workspace,
                                 workspace_bytes, stats, NULL, err, err_len);
    ptc_op_span_end(times, span);
    return rc;
}

/* Inference computes run by run in the workspace (x1 in y, the residual and
 * the FFN inner rows in scratch); training (train != NULL) keeps the residual
 * sums, the FFN pre-activation and the LayerNorm statistics in the save area
 * at their sample rows (x1 = LN1(res1) in scratch: backward recomputes it),
 * and applies hidden dropout to the attention and FFN outputs before their
 * residual adds. */
int ptc_layer_run(const ptc_ops *ops, const ptc_encoder_weights *w, size_t hidden, size_t n_heads,
                  size_t ffn, const ptc_tokens *tok, const float *x, float *y,
                  ptc_prune_state *state, const ptc_mhsa_options *opt, void *workspace,
                  size_t workspace_bytes, ptc_layer_stats *stats, const ptc_step_train *train,
                  char *err, size_t err_len)
{
    if (!w || !w->ln1_gamma || !w->ln1_beta || !w->w1 || !w->w2 || !w->ln2_gamma || !w->ln2_beta)
        return ptc_fail(err, err_len, "encoder layer: NULL weights");
    if (ffn == 0)
        return ptc_fail(err, err_len, "encoder layer: ffn must be >= 1");
    if (x == y)
        return ptc_fail(err, err_len, "encoder layer: y may not alias x");
    if (ptc_tokens_check(tok, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    const size_t need = ptc_encoder_workspace_need(tok, hidden, n_heads, ffn);
    if (!workspace || workspace_bytes < need)
        return ptc_fail(err, err_len, "encoder layer: workspace of %zu bytes needed, %zu given",
                        need, workspace ? workspace_bytes : 0);
    ptc_layer_save *sv = train ? train->save : NULL;
    ptc_layer_stats local;
    int rc = ptc_mhsa_run(ops, &w->attn, hidden, n_heads, tok, x, y, state, opt, workspace,
                          workspace_bytes, stats ? stats : &local, sv ? &sv->attn : NULL, err,
                          err_len);
    if (rc != PTC_OK)
        return rc;
    encoder_ws ws;
    ptc_arena arena = {workspace, 0};
    const size_t n_rows = ptc_tok_rows(tok);
    encoder_layout(&arena, &ws, n_rows, hidden, ffn);
    const size_t sample = n_rows * hidden;
    const float p = train ? train->dropout : 0.0f;
    ptc_op_times *const times = opt ? opt->times : NULL;
    double t0;
    double lin = 0.0, norm = 0.0;
    size_t seen_total = 0;
    for (size_t b = 0; b < tok->batch; b++) {
        const ptc_seen_rows s = ptc_seen_of(tok, b);
        const size_t runs[2][2] = {{0, s.n_first}, {s.second_at, s.n_second}};
        for (int run = 0; run < 2; run++) {
            const size_t at = runs[run][0], n = runs[run][1];
            if (n == 0)
                continue;
            const size_t off = b * sample + at * hidden, row = b * n_rows + at;
            const float *xr = x + off;
            float *yr = y + off;
            /* training keeps res1 and res2; x1 is recomputed by backward (scratch here) */
            float *res1 = sv ? sv->res1 + off : ws.res, *x1 = sv ? ws.res : yr;
            float *u = sv ? sv->u + row * ffn : ws.inner, *res2 = sv ? sv->res2 + off : ws.res;
            if (sv)
                ptc_dropout(ops, p, train->seed, PTC_SITE_ATTN + 2 * train->step, b, at, n,
                            hidden, yr, hidden);
            /* x1 = LN1(x + attn), the sum kept only for training (fused: one pass) */
            t0 = ptc_op_tick(times);
            ptc_residual_layernorm_rows(ops, n, hidden, xr, hidden, yr, hidden, w->ln1_gamma,
                                        w->ln1_beta, w->ln_eps, x1, hidden, sv ? res1 : NULL,
                                        hidden, sv ? sv->mean1 + row : NULL,
                                        sv ? sv->rstd1 + row : NULL);
            ptc_op_tock(times, PTC_OPCAT_NORM, t0);
            /* y = LN2(x1 + W2 gelu(W1 x1 + b1) + b2) (GELU in the GEMM's store,
             * ops->linear with PTC_ACT_GELU, measured no faster here: not used) */
            t0 = ptc_op_tick(times);
            ptc_linear(ops, n, hidden, ffn, x1, hidden, w->w1, w->b1, u, ffn);
            ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
            t0 = ptc_op_tick(times);
            ptc_gelu_rows(ops, n, ffn, u, ws.inner);
            ptc_op_tock(times, PTC_OPCAT_ACTIVATION, t0);
            t0 = ptc_op_tick(times);
            ptc_linear(ops, n, ffn, hidden, ws.inner, ffn, w->w2, w->b2, res2, hidden);
            ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
            if (sv)
                ptc_dropout(ops, p, train->seed, PTC_SITE_FFN + 2 * train->step, b, at, n,
                            hidden, res2, hidden);
            t0 = ptc_op_tick(times);
            ptc_residual_layernorm_rows(ops, n, hidden, res2, hidden, x1, hidden, w->ln2_gamma,
                                        w->ln2_beta, w->ln_eps, yr, hidden, sv ? res2 : NULL,
                                        hidden, sv ? sv->mean2 + row : NULL,
                                        sv ? sv->rstd2 + row : NULL);
            ptc_op_tock(times, PTC_OPCAT_NORM, t0);
            lin += ptc_linear_flops(n, hidden, ffn, w->b1 != NULL) +
                   ptc_linear_flops(n, ffn, hidden, w->b2 != NULL);
            norm += (double)n * (2.0 * hidden + 2.0 * 8.0 * hidden + 8.0 * ffn);
            seen_total += n;
        }
    }
    if (stats) {
        stats->flops_linear += lin;
        stats->flops_norm += norm;
        /* residual sums (2), LN outputs (2), FFN inner */
        stats->bytes_activations += seen_total * (4 * hidden + ffn) * sizeof(float);
    }
    return PTC_OK;
}

/* Backward, run by run per sample (weight gradients in sample order): LN2,
 * the FFN (x1 and GELU recomputed from the saved res1 and pre-activation), LN1; the attention
 * output's gradient (after dropout) goes to ptc_mhsa_backward, which adds the
 * projections' input gradients into dx. */
void ptc_layer_backward(const ptc_ops *ops, const ptc_encoder_weights *w, const ptc_encoder_grads *g,
                        size_t hidden, size_t n_heads, size_t ffn, const ptc_tokens *tok,
                        const float *x, const float *dy, float *dx, const ptc_step_train *train,
                        const ptc_bwd_scratch *sc)
{
    const ptc_layer_save *sv = train->save;
    const size_t n_rows = ptc_tok_rows(tok), sample = n_rows * hidden;
    const size_t row_bytes = hidden * sizeof(float);
    const float p = train->dropout;
    ptc_op_times *const times = train->times;
    double t0;
    for (size_t b = 0; b < tok->batch; b++) {
        memset(dx + b * sample, 0, sample * sizeof(float));
        const ptc_seen_rows s = ptc_seen_of(tok, b);
        const size_t runs[2][2] = {{0, s.n_first}, {s.second_at, s.n_second}};
        for (int run = 0; run < 2; run++) {
            const size_t at = runs[run][0], n = runs[run][1];
            if (n == 0)
                continue;
            const size_t off = b * sample + at * hidden, row = b * n_rows + at;
            const float *u = sv->u + row * ffn;
            /* LN2: res2 = x1 + dropout(W2 gelu(u) + b2) */
            t0 = ptc_op_tick(times);
            ops->layernorm_bwd(n, hidden, dy + off, hidden, sv->res2 + off, hidden, w->ln2_gamma,
                               sv->mean2 + row, sv->rstd2 + row, sc->t1, hidden, g->ln2_gamma,
                               g->ln2_beta);
            ptc_op_tock(times, PTC_OPCAT_NORM, t0);
            memcpy(sc->t2, sc->t1, n * row_bytes); /* d x1 through the residual */
            ptc_dropout(ops, p, train->seed, PTC_SITE_FFN + 2 * train->step, b, at, n, hidden,
                        sc->t1, hidden);
            /* the FFN's second linear: its input gradient first, then GELU's value
             * (recomputed) and gradient in one pass, then the weight gradients from
             * the value: the same operations as value, weights, input, gradient */
            t0 = ptc_op_tick(times);
            ptc_linear_backward(ops, n, ffn, hidden, NULL, ffn, w->w2, sc->t1, hidden, NULL, NULL,
                                sc->du, ffn, false);
            ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
            t0 = ptc_op_tick(times);
            ptc_gelu_fwd_bwd_rows(ops, n, ffn, u, sc->du, sc->g, sc->du);
            ptc_op_tock(times, PTC_OPCAT_ACTIVATION, t0);
            t0 = ptc_op_tick(times);
            ptc_linear_backward(ops, n, ffn, hidden, sc->g, ffn, w->w2, sc->t1, hidden, g->w2,
                                g->b2, NULL, ffn, false);
            ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
            /* x1 again, bit for bit */
            t0 = ptc_op_tick(times);
            ptc_layernorm_rows(ops, n, hidden, sv->res1 + off, hidden, w->ln1_gamma, w->ln1_beta,
                               w->ln_eps, sc->gather, hidden, NULL, NULL);
            ptc_op_tock(times, PTC_OPCAT_NORM, t0);
            t0 = ptc_op_tick(times);
            ptc_linear_backward(ops, n, hidden, ffn, sc->gather, hidden, w->w1, sc->du, ffn, g->w1,
                                g->b1, sc->t2, hidden, true);
            ptc_op_tock(times, PTC_OPCAT_LINEAR, t0);
            /* LN1: res1 = x + dropout(attn) */
            t0 = ptc_op_tick(times);
            ops->layernorm_bwd(n, hidden, sc->t2, hidden, sv->res1 + off, hidden, w->ln1_gamma,
                               sv->mean1 + row, sv->rstd1 + row, dx + off, hidden, g->ln1_gamma,
                               g->ln1_beta);
            ptc_op_tock(times, PTC_OPCAT_NORM, t0);
            memcpy(sc->dattn + off, dx + off, n * row_bytes);
            ptc_dropout(ops, p, train->seed, PTC_SITE_ATTN + 2 * train->step, b, at, n, hidden,
                        sc->dattn + off, hidden);
        }
    }
    ptc_mhsa_backward(ops, &w->attn, &g->attn, hidden, n_heads, tok, x, sc->dattn, dx, &sv->attn,
                      sc, times);
}
