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
    ptc_layer_stats local;
    int rc = ptc_mhsa_forward(ops, &w->attn, hidden, n_heads, tok, x, y, state, opt, workspace,
                              workspace_bytes, stats ? stats : &local, err, err_len);
    if (rc != PTC_OK)
        return rc;
    encoder_ws ws;
    ptc_arena arena = {workspace, 0};
    encoder_layout(&arena, &ws, ptc_tok_rows(tok), hidden, ffn);
    const size_t sample = ptc_tok_rows(tok) * hidden;
    double lin = 0.0, norm = 0.0;
    size_t seen_total = 0;
    for (size_t b = 0; b < tok->batch; b++) {
        const ptc_seen_rows s = ptc_seen_of(tok, b);
        const size_t runs[2][2] = {{0, s.n_first}, {s.second_at, s.n_second}};
        for (int run = 0; run < 2; run++) {
            const size_t at = runs[run][0], n = runs[run][1];
            if (n == 0)
                continue;
            const float *xr = x + b * sample + at * hidden;
            float *yr = y + b * sample + at * hidden;
            /* x1 = LN1(x + attn) into y */
            for (size_t i = 0; i < n * hidden; i++)
                ws.res[i] = xr[i] + yr[i];
            ops->layernorm_fwd(n, hidden, ws.res, hidden, w->ln1_gamma, w->ln1_beta, w->ln_eps,
                               yr, hidden, NULL, NULL);
            /* y = LN2(x1 + W2 gelu(W1 x1 + b1) + b2) */
            ptc_linear(ops, n, hidden, ffn, yr, hidden, w->w1, w->b1, ws.inner, ffn);
            ops->gelu_fwd(n * ffn, ws.inner, ws.inner);
            ptc_linear(ops, n, ffn, hidden, ws.inner, ffn, w->w2, w->b2, ws.res, hidden);
            for (size_t i = 0; i < n * hidden; i++)
                ws.res[i] += yr[i];
            ops->layernorm_fwd(n, hidden, ws.res, hidden, w->ln2_gamma, w->ln2_beta, w->ln_eps,
                               yr, hidden, NULL, NULL);
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
