/*
 * model/config.c — the model configuration: BERT presets, the tensor sizes it
 * implies, validation with messages (never aborts), a one-field-per-line description.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

/* The one preset table: `ptc bench`, `ptc train` and every other command read it. */
static const ptc_model_preset presets[] = {
    {"bert-base", 12, 768, 12, 3072},
    {"bert-medium", 8, 512, 8, 2048},
    {"bert-small", 4, 512, 8, 2048},
    {"bert-mini", 4, 256, 4, 1024},
    {"bert-tiny", 2, 128, 2, 512},
};

const ptc_model_preset *ptc_model_presets(size_t *count)
{
    *count = sizeof presets / sizeof presets[0];
    return presets;
}

const ptc_model_preset *ptc_parse_model_preset(const char *s, char *err, size_t len)
{
    size_t n;
    const ptc_model_preset *p = ptc_model_presets(&n);
    char known[160] = "";
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, p[i].name) == 0)
            return &p[i];
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 p[i].name);
    }
    ptc_model_fail(err, len, "unknown model '%s' (%s)", s, known);
    return NULL;
}

void ptc_model_config_sync(ptc_model_config *cfg)
{
    cfg->variant.n_layers = cfg->n_layers;
    cfg->variant.hidden = cfg->hidden;
    cfg->variant.n_heads = cfg->n_heads;
}

int ptc_model_config_preset(ptc_model_config *cfg, const char *name, ptc_variant variant,
                            char *err, size_t err_len)
{
    if (!cfg || !name)
        return ptc_model_fail(err, err_len, "config preset: NULL argument");
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (strcmp(presets[i].name, name) != 0)
            continue;
        memset(cfg, 0, sizeof *cfg);
        cfg->vocab_size = 30522;
        cfg->hidden = presets[i].hidden;
        cfg->n_layers = presets[i].layers;
        cfg->n_heads = presets[i].heads;
        cfg->ffn = presets[i].ffn;
        cfg->max_positions = 512;
        cfg->type_vocab = 2;
        cfg->n_classes = 2;
        cfg->dropout = 0.1f;
        cfg->ln_eps = 1e-12f;
        cfg->init_std = 0.02f;
        ptc_variant_config_default(&cfg->variant, variant);
        if (cfg->variant.combine_layer > cfg->n_layers)
            cfg->variant.combine_layer = cfg->n_layers;
        ptc_model_config_sync(cfg);
        return PTC_OK;
    }
    return ptc_model_fail(err, err_len, "config preset \"%s\" unknown (bert-base, bert-medium, "
                          "bert-small, bert-mini, bert-tiny)", name);
}

/* ---- the tensor sizes a config implies (in the slab order of model/params.c) ---------- */

/* a * b, or SIZE_MAX when it does not fit (SIZE_MAX stays SIZE_MAX) */
static size_t mul_or_max(size_t a, size_t b)
{
    size_t r;
    return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

size_t ptc_param_sizes(const ptc_model_config *cfg, size_t s[PTC_NUM_PARAM_TENSORS])
{
    const size_t H = cfg->hidden, L = cfg->n_layers, F = cfg->ffn, C = cfg->n_classes;
    const bool comb = cfg->variant.variant == PTC_VARIANT_COMBINE ||
                      cfg->variant.variant == PTC_VARIANT_PRUNE_COMBINE;
    const size_t m = comb ? cfg->variant.n_comb : 0, Hc = comb ? H : 0;
    const size_t LH = mul_or_max(L, H), LF = mul_or_max(L, F);
    size_t i = 0;
    s[i++] = mul_or_max(cfg->vocab_size, H);
    s[i++] = mul_or_max(cfg->max_positions, H);
    s[i++] = mul_or_max(cfg->type_vocab, H);
    s[i++] = H;
    s[i++] = H;
    for (int k = 0; k < 4; k++) { /* q, k, v, o */
        s[i++] = mul_or_max(LH, H);
        s[i++] = LH;
    }
    s[i++] = LH;
    s[i++] = LH;
    s[i++] = mul_or_max(LF, H);
    s[i++] = LF;
    s[i++] = mul_or_max(LH, F);
    s[i++] = LH;
    s[i++] = LH;
    s[i++] = LH;
    s[i++] = mul_or_max(C, H);
    s[i++] = C;
    s[i++] = mul_or_max(m, H);
    for (int k = 0; k < 4; k++)
        s[i++] = Hc;
    for (int k = 0; k < 4; k++) {
        s[i++] = mul_or_max(Hc, H);
        s[i++] = Hc;
    }
    s[i++] = cfg->variant.variant == PTC_VARIANT_TOKEN_LTP ? L : 0; /* LTP's thresholds */
    size_t total = 0;
    for (size_t t = 0; t < PTC_NUM_PARAM_TENSORS; t++)
        if (__builtin_add_overflow(total, s[t], &total))
            return SIZE_MAX;
    return total;
}

/* ---- validation ----------------------------------------------------------------------- */

int ptc_model_config_check(const ptc_model_config *cfg, char *err, size_t err_len)
{
    if (!cfg)
        return ptc_model_fail(err, err_len, "model config is NULL");
    if (cfg->vocab_size < 1 || cfg->vocab_size > INT32_MAX)
        return ptc_model_fail(err, err_len, "vocab_size = %zu must lie in [1, 2^31)", cfg->vocab_size);
    /* upper bounds no real model reaches (bert-large: hidden 1024, ffn 4096, 512
     * positions); they keep every size product of the model and its activations
     * far inside size_t */
    if (cfg->hidden < 1 || cfg->hidden > PTC_MAX_HIDDEN)
        return ptc_model_fail(err, err_len, "hidden = %zu must lie in [1, %d]", cfg->hidden,
                              PTC_MAX_HIDDEN);
    if (cfg->n_heads < 1 || cfg->hidden % cfg->n_heads != 0)
        return ptc_model_fail(err, err_len, "hidden = %zu must be a positive multiple of n_heads = %zu",
                              cfg->hidden, cfg->n_heads);
    if (cfg->n_layers < 1 || cfg->n_layers > PTC_MAX_LAYERS)
        return ptc_model_fail(err, err_len, "n_layers = %zu must lie in [1, %d]", cfg->n_layers,
                              PTC_MAX_LAYERS);
    if (cfg->ffn < 1 || cfg->ffn > PTC_MAX_FFN)
        return ptc_model_fail(err, err_len, "ffn (intermediate size) = %zu must lie in [1, %d]",
                              cfg->ffn, PTC_MAX_FFN);
    if (cfg->max_positions < 1 || cfg->max_positions > PTC_MAX_POSITIONS)
        return ptc_model_fail(err, err_len, "max_positions = %zu must lie in [1, %d]",
                              cfg->max_positions, PTC_MAX_POSITIONS);
    if (cfg->type_vocab < 1 || cfg->type_vocab > PTC_MAX_CLASSES)
        return ptc_model_fail(err, err_len, "type_vocab = %zu must lie in [1, %d]", cfg->type_vocab,
                              PTC_MAX_CLASSES);
    if (cfg->n_classes < 1 || cfg->n_classes > PTC_MAX_CLASSES)
        return ptc_model_fail(err, err_len, "n_classes = %zu must lie in [1, %d]", cfg->n_classes,
                              PTC_MAX_CLASSES);
    if (cfg->variant.n_comb > PTC_MAX_POSITIONS)
        return ptc_model_fail(err, err_len, "n_comb = %zu must be at most %d", cfg->variant.n_comb,
                              PTC_MAX_POSITIONS);
    size_t sizes[PTC_NUM_PARAM_TENSORS];
    const size_t n_params = ptc_param_sizes(cfg, sizes);
    if (n_params == SIZE_MAX)
        return ptc_model_fail(err, err_len, "the model's parameter count does not fit in 64 bits");
    if (n_params > PTC_MAX_PARAMS)
        return ptc_model_fail(err, err_len, "the model would have %zu parameters, more than 2^34",
                              n_params);
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f))
        return ptc_model_fail(err, err_len, "dropout = %g must lie in [0, 1)", (double)cfg->dropout);
    if (!(cfg->ln_eps > 0.0f) || !isfinite(cfg->ln_eps))
        return ptc_model_fail(err, err_len, "layer_norm_eps = %g must be a positive number",
                              (double)cfg->ln_eps);
    if (!(cfg->init_std >= 0.0f) || !isfinite(cfg->init_std))
        return ptc_model_fail(err, err_len, "init_std = %g must be >= 0", (double)cfg->init_std);
    const ptc_variant_config *v = &cfg->variant;
    if (v->n_layers != cfg->n_layers || v->hidden != cfg->hidden || v->n_heads != cfg->n_heads)
        return ptc_model_fail(err, err_len, "variant dims (layers %zu, hidden %zu, heads %zu) differ "
                              "from the model's (%zu, %zu, %zu): call ptc_model_config_sync",
                              v->n_layers, v->hidden, v->n_heads, cfg->n_layers, cfg->hidden,
                              cfg->n_heads);
    char sub[200];
    if (ptc_variant_config_check(v, sub, sizeof sub) != PTC_OK)
        return ptc_model_fail(err, err_len, "variant: %s", sub);
    return PTC_OK;
}

const char *ptc_variant_name(const ptc_variant_config *v)
{
    switch (v->variant) {
    case PTC_VARIANT_BASELINE: return "baseline";
    case PTC_VARIANT_PRUNE: return v->prune.rule == PTC_PRUNE_TOPK ? "P" : "PF";
    case PTC_VARIANT_COMBINE: return "C";
    case PTC_VARIANT_PRUNE_COMBINE: return v->prune.rule == PTC_PRUNE_TOPK ? "PC" : "PFC";
    case PTC_VARIANT_TOKEN_TOPK: return "TopK";
    case PTC_VARIANT_TOKEN_LTP: return "LTP";
    case PTC_VARIANT_TOKEN_TOME: return "ToMe";
    }
    return "?";
}

size_t ptc_model_config_describe(const ptc_model_config *cfg, char *buf, size_t buf_len)
{
    const ptc_variant_config *v = &cfg->variant;
    int n = snprintf(buf, buf_len,
                     "vocab_size %zu\nhidden %zu\nn_layers %zu\nn_heads %zu\nffn %zu\n"
                     "max_positions %zu\ntype_vocab %zu\nn_classes %zu\ndropout %g\nln_eps %g\n"
                     "variant %s\nn_comb %zu\ncombine_layer %zu\ncombine_replaces %d\n"
                     "prune_rule %s\nprune_p %g\nprune_first %zu\npad_mode %s\n",
                     cfg->vocab_size, cfg->hidden, cfg->n_layers, cfg->n_heads, cfg->ffn,
                     cfg->max_positions, cfg->type_vocab, cfg->n_classes, (double)cfg->dropout,
                     (double)cfg->ln_eps, ptc_variant_name(v), v->n_comb, v->combine_layer,
                     (int)v->combine_replaces, (unsigned)v->prune.rule < 3 ? ptc_rule_name(v->prune.rule) : "?",
                     v->prune.p, v->prune_first,
                     ptc_pad_name(v->pad_mode == PTC_PAD_PADDED ? PTC_PAD_PADDED : PTC_PAD_LENGTH_AWARE));
    return n < 0 ? 0 : (size_t)n;
}
