/*
 * variants/plan.c — the variants as a per-layer plan: which step is an
 * encoder layer or the combining module, which layers select keys for the next,
 * which attend over pruned keys, and where only the m combination tokens remain;
 * for the whole-token pruning variants (TopK, LTP) which layers score their
 * tokens and which remove tokens for the next layer.
 * ref: PAPER.md "Variants"; variants/token_prune.c. Pure bookkeeping, no ops.
 * Contracts: include/ptc/variants.h.
 */
#include "internal.h"

#include <string.h>

void ptc_variant_config_default(ptc_variant_config *cfg, ptc_variant variant)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->variant = variant;
    cfg->n_layers = 12;
    cfg->hidden = 768;
    cfg->n_heads = 12;
    cfg->n_comb = (variant == PTC_VARIANT_COMBINE || variant == PTC_VARIANT_PRUNE_COMBINE) ? 8 : 0;
    cfg->combine_layer = 11;
    cfg->combine_replaces = true;
    cfg->prune_first = 2;
    ptc_prune_config_default(&cfg->prune);
    ptc_mhsa_options_default(&cfg->mhsa);
    cfg->pad_mode = PTC_PAD_LENGTH_AWARE;
    cfg->token.temperature = 0.05;
    cfg->token.lambda = 0.01;
    cfg->token.threshold_init = 0.5;
    cfg->token.merge_r = 8;
}

bool ptc_variant_combines(ptc_variant v)
{
    return v == PTC_VARIANT_COMBINE || v == PTC_VARIANT_PRUNE_COMBINE;
}

bool ptc_variant_prunes(ptc_variant v)
{
    return v == PTC_VARIANT_PRUNE || v == PTC_VARIANT_PRUNE_COMBINE;
}

bool ptc_variant_prunes_tokens(ptc_variant v)
{
    return v == PTC_VARIANT_TOKEN_TOPK || v == PTC_VARIANT_TOKEN_LTP || v == PTC_VARIANT_TOKEN_TOME;
}

size_t ptc_plan_last_text_layer(const ptc_variant_config *cfg)
{
    if (!ptc_variant_combines(cfg->variant))
        return cfg->n_layers;
    return cfg->combine_replaces ? cfg->combine_layer - 1 : cfg->combine_layer;
}

bool ptc_plan_layer_selects(const ptc_variant_config *cfg, size_t layer)
{
    return (ptc_variant_prunes(cfg->variant) || ptc_variant_prunes_tokens(cfg->variant)) &&
           layer >= cfg->prune_first && layer + 1 <= ptc_plan_last_text_layer(cfg);
}

static int token_config_check(const ptc_variant_config *cfg, char *err, size_t err_len)
{
    if (!(cfg->prune.p > 0.0 && cfg->prune.p <= 1.0))
        return ptc_fail(err, err_len, "keep ratio p = %g must lie in (0, 1]", cfg->prune.p);
    for (size_t l = 0; l <= PTC_MAX_LAYERS; l++)
        if (!(cfg->token.keep[l] >= 0.0 && cfg->token.keep[l] <= 1.0))
            return ptc_fail(err, err_len, "keep ratio of layer %zu = %g must lie in (0, 1] "
                            "(0: p)", l, cfg->token.keep[l]);
    if (cfg->variant == PTC_VARIANT_TOKEN_LTP) {
        if (!(cfg->token.temperature > 0.0 && cfg->token.temperature < 1e6))
            return ptc_fail(err, err_len, "LTP temperature T = %g must be > 0",
                            cfg->token.temperature);
        if (!(cfg->token.lambda >= 0.0 && cfg->token.lambda < 1e6))
            return ptc_fail(err, err_len, "LTP regularizer weight lambda = %g must be >= 0",
                            cfg->token.lambda);
        if (!(cfg->token.threshold_init >= 0.0 && cfg->token.threshold_init < 1e6))
            return ptc_fail(err, err_len, "LTP initial threshold = %g must be >= 0",
                            cfg->token.threshold_init);
    }
    if (cfg->prune_first < 1)
        return ptc_fail(err, err_len, "prune_first = 0: layers are numbered from 1");
    return PTC_OK;
}

int ptc_variant_config_check(const ptc_variant_config *cfg, char *err, size_t err_len)
{
    if (!cfg)
        return ptc_fail(err, err_len, "variant config is NULL");
    if ((unsigned)cfg->variant > PTC_VARIANT_LAST)
        return ptc_fail(err, err_len, "variant %d unknown", (int)cfg->variant);
    if (cfg->n_layers < 1 || cfg->n_layers > PTC_MAX_LAYERS)
        return ptc_fail(err, err_len, "n_layers = %zu must lie in [1, %d]", cfg->n_layers,
                        PTC_MAX_LAYERS);
    if (ptc_heads_check(cfg->hidden, cfg->n_heads, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    if (cfg->pad_mode != PTC_PAD_LENGTH_AWARE && cfg->pad_mode != PTC_PAD_PADDED)
        return ptc_fail(err, err_len, "pad mode %d unknown", (int)cfg->pad_mode);
    if (ptc_variant_combines(cfg->variant)) {
        if (cfg->n_comb < 1)
            return ptc_fail(err, err_len, "combination tokens: m = %zu, need m >= 1", cfg->n_comb);
        if (cfg->combine_layer < 1 || cfg->combine_layer > cfg->n_layers)
            return ptc_fail(err, err_len, "combining layer L_c = %zu outside the layer range "
                            "[1, %zu]", cfg->combine_layer, cfg->n_layers);
    } else if (cfg->n_comb != 0) {
        return ptc_fail(err, err_len, "variant without combining needs n_comb = 0 (got %zu)",
                        cfg->n_comb);
    }
    if (ptc_variant_prunes(cfg->variant)) {
        if (ptc_prune_config_check(&cfg->prune, err, err_len) != PTC_OK)
            return PTC_EINVAL;
        if (cfg->prune_first < 2)
            return ptc_fail(err, err_len, "prune_first = %zu: layer 1 prunes nothing, need >= 2",
                            cfg->prune_first);
    }
    if (ptc_variant_prunes_tokens(cfg->variant) &&
        token_config_check(cfg, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    return PTC_OK;
}

int ptc_variant_plan_make(const ptc_variant_config *cfg, ptc_variant_plan *plan,
                          char *err, size_t err_len)
{
    if (!plan)
        return ptc_fail(err, err_len, "plan is NULL");
    if (ptc_variant_config_check(cfg, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    memset(plan, 0, sizeof *plan);
    const size_t L = cfg->n_layers;
    const bool combine = ptc_variant_combines(cfg->variant);
    /* encoder layers that see the text tokens: 1..last_text */
    const size_t last_text = ptc_plan_last_text_layer(cfg);
    const size_t m = combine ? cfg->n_comb : 0;
    const bool tokens = ptc_variant_prunes_tokens(cfg->variant);
    /* TopK's importance is cumulative: every layer up to the last removal scores */
    size_t last_removal = 0;
    for (size_t l = 1; l <= last_text; l++)
        if (tokens && ptc_plan_layer_selects(cfg, l))
            last_removal = l;
    bool selected_before = false;
    for (size_t l = 1; l <= last_text; l++) {
        ptc_step *s = &plan->steps[plan->n_steps++];
        s->kind = PTC_STEP_ENCODER;
        s->layer = l;
        s->n_comb = m;
        if (tokens) { /* ToMe matches by similarity: no importance */
            s->token_remove = ptc_plan_layer_selects(cfg, l);
            s->token_score = cfg->variant != PTC_VARIANT_TOKEN_TOME &&
                             (s->token_remove ||
                              (cfg->variant == PTC_VARIANT_TOKEN_TOPK && l < last_removal));
            continue;
        }
        s->keys_pruned = selected_before;
        s->select = ptc_plan_layer_selects(cfg, l);
        selected_before = selected_before || s->select;
    }
    if (combine) {
        ptc_step *s = &plan->steps[plan->n_steps++];
        s->kind = PTC_STEP_COMBINE;
        s->layer = cfg->combine_layer;
        s->n_comb = m;
        for (size_t l = cfg->combine_layer + 1; l <= L; l++) {
            s = &plan->steps[plan->n_steps++];
            s->kind = PTC_STEP_ENCODER;
            s->layer = l;
            s->comb_only = true;
            s->n_comb = m;
        }
    }
    return PTC_OK;
}

size_t ptc_variant_plan_describe(const ptc_variant_plan *plan, char *buf, size_t buf_len)
{
    size_t used = 0;
    if (buf_len)
        buf[0] = '\0';
    for (size_t i = 0; i < plan->n_steps; i++) {
        const ptc_step *s = &plan->steps[i];
        char line[160];
        int n = snprintf(line, sizeof line, "%zu %s L%zu%s%s%s%s%s%s\n", i + 1,
                         s->kind == PTC_STEP_COMBINE ? "combine" : "encoder", s->layer,
                         s->kind == PTC_STEP_ENCODER ? (s->keys_pruned ? " keys=kept" : " keys=all") : "",
                         s->select ? " select" : "",
                         s->comb_only ? " tokens=comb" : "",
                         (!s->comb_only && s->n_comb) ? " +comb" : "",
                         s->token_score ? " score-tokens" : "",
                         s->token_remove ? " remove-tokens" : "");
        if (n < 0)
            n = 0;
        if (used + (size_t)n < buf_len)
            memcpy(buf + used, line, (size_t)n + 1);
        used += (size_t)n;
    }
    return used;
}
