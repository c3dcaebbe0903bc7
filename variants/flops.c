/*
 * variants/flops.c — analytic FLOPs of an encoder layer and of a whole encoder
 * under a variant's plan, from shapes alone (estimates before running; the
 * counts of a run are ptc_layer_stats). Contract: include/ptc/variants.h.
 */
#include "internal.h"

#include <math.h>

double ptc_flops_encoder_layer(double n_q, double n_kv, double kv_rows, double h, double ffn)
{
    return 2 * n_q * h * 2 * h + 2 * kv_rows * h * 2 * h + 4 * n_q * h * ffn + 4 * n_q * n_kv * h +
           5 * n_q * n_kv * (h / 64) + 20 * n_q * h + 8 * n_q * ffn;
}

double ptc_flops_attention_head(double n_q, double n_kv, double d)
{
    return 4 * n_q * n_kv * d + 5 * n_q * n_kv + n_q * d;
}

double ptc_flops_combine(double n, double m, double h)
{
    return 4 * 2 * m * h * h + 2 * m * n * h + 18 * n * h;
}

double ptc_flops_encoder(const ptc_variant_config *cfg, double n, double ffn, double p, bool project_all)
{
    const double h = (double)cfg->hidden;
    const bool comb = ptc_variant_combines(cfg->variant);
    const double m = comb ? (double)cfg->n_comb : 0;
    const int last_text = (int)ptc_plan_last_text_layer(cfg);
    /* TopK and ToMe remove tokens at known rates; LTP's depend on its learned
     * thresholds (estimated as none removed) */
    const bool shrinks = cfg->variant == PTC_VARIANT_TOKEN_TOPK || cfg->variant == PTC_VARIANT_TOKEN_TOME;
    double f = 0, kv = n + m, tokens = n;
    for (int l = 1; l <= last_text; l++) {
        const double rows = project_all ? n + m : kv;
        f += shrinks ? ptc_flops_encoder_layer(tokens, tokens, tokens, h, ffn)
                     : ptc_flops_encoder_layer(n + m, kv, rows, h, ffn);
        if (!ptc_plan_layer_selects(cfg, (size_t)l))
            continue;
        if (ptc_variant_prunes(cfg->variant))
            kv = (double)ptc_prune_keep_count(p, (size_t)(kv - m)) + m;
        if (cfg->variant == PTC_VARIANT_TOKEN_TOPK)
            tokens = (double)ptc_token_keep_count(cfg->token.keep[l] > 0 ? cfg->token.keep[l] : p,
                                                  (size_t)tokens);
        if (cfg->variant == PTC_VARIANT_TOKEN_TOME)
            tokens -= fmin((double)cfg->token.merge_r, floor((tokens - 1) / 2));
    }
    if (comb) {
        f += ptc_flops_combine(n, m, h);
        for (size_t l = cfg->combine_layer + 1; l <= cfg->n_layers; l++)
            f += ptc_flops_encoder_layer(m, m, m, h, ffn);
    }
    return f;
}
