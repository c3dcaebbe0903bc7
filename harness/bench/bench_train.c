/*
 * harness/bench/bench_train.c — one training step of the classifier as the
 * timed unit of `ptc bench --phase train` (contract: bench_train.h).
 * Everything is allocated in create; a step allocates nothing. The model's
 * variant config carries the encoder level's per-op time (vcfg->mhsa.times), so
 * each step adds its forward's, backward's and AdamW's time by op there.
 */
#include "bench/bench_train.h"

#include "ptc/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ptc_train_work {
    ptc_model model;
    int32_t *ids, *labels;
    ptc_batch batch;
    ptc_adamw_config adamw;
    uint64_t seed, steps;
};

void ptc_train_work_free(ptc_train_work *t)
{
    if (!t)
        return;
    ptc_model_free(&t->model);
    free(t->ids);
    free(t->labels);
    free(t);
}

ptc_train_work *ptc_train_work_create(const ptc_sweep_config *c, const ptc_variant_config *vcfg,
                                      const ptc_ops *ops, uint64_t seed, char *err, size_t err_len)
{
    ptc_train_work *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    ptc_model_config mc;
    if (ptc_model_config_preset(&mc, "bert-base", c->variant, err, err_len) != PTC_OK) {
        free(t);
        return NULL;
    }
    mc.hidden = (size_t)c->model.hidden;
    mc.n_layers = (size_t)c->model.layers;
    mc.n_heads = (size_t)c->model.heads;
    mc.ffn = (size_t)c->model.ffn;
    if (mc.max_positions < (size_t)c->seq)
        mc.max_positions = (size_t)c->seq;
    mc.variant = *vcfg;
    ptc_model_config_sync(&mc);
    const size_t B = (size_t)c->batch, n = (size_t)c->seq;
    t->ids = malloc(B * n * sizeof(int32_t));
    t->labels = malloc(B * sizeof(int32_t));
    if (!t->ids || !t->labels || ptc_model_init(&t->model, &mc, ops, seed, err, err_len) != PTC_OK) {
        if (!t->ids || !t->labels)
            snprintf(err, err_len, "out of memory");
        free(t->ids);
        free(t->labels);
        free(t);
        return NULL;
    }
    for (size_t l = 0; c->has_ltp && l < mc.n_layers; l++) /* LTP: the fixed thresholds */
        t->model.params.ltp_threshold[l] = (float)c->ltp_threshold;
    if (ptc_model_plan(&t->model, B, n, true, err, err_len) != PTC_OK) {
        ptc_train_work_free(t);
        return NULL;
    }
    uint64_t s = seed ^ 0x7472616e;
    for (size_t i = 0; i < B * n; i++) { /* ids past the special tokens */
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        t->ids[i] = 1000 + (int32_t)((s >> 33) % (mc.vocab_size - 1000));
    }
    for (size_t b = 0; b < B; b++)
        t->labels[b] = (int32_t)(b % mc.n_classes);
    t->batch = (ptc_batch){B, n, t->ids, NULL, NULL, t->labels};
    ptc_adamw_config_default(&t->adamw);
    t->seed = seed;
    return t;
}

int ptc_train_work_step(ptc_train_work *t, char *err, size_t err_len)
{
    ptc_train_options opt;
    ptc_train_options_default(&opt, t->seed + t->steps++);
    if (ptc_model_forward_train(&t->model, &t->batch, &opt, NULL, err, err_len) != PTC_OK ||
        ptc_model_backward_adamw(&t->model, &t->adamw, 1e-5f, err, err_len) != PTC_OK)
        return -1;
    return 0;
}

int ptc_train_work_stats(ptc_train_work *t, ptc_layer_stats *total, size_t *arena_bytes,
                         char *err, size_t err_len)
{
    const size_t saved = ptc_model_saved_bytes(&t->model);
    float *theta = t->model.params.ltp_threshold;
    const size_t n_theta = t->model.cfg.variant.variant == PTC_VARIANT_TOKEN_LTP ? t->model.cfg.n_layers : 0;
    float kept_theta[PTC_MAX_LAYERS + 1];
    for (size_t l = 0; l < n_theta; l++) { /* LTP: importance >= 0 keeps every token */
        kept_theta[l] = theta[l];
        theta[l] = 0.0f;
    }
    ptc_op_times *const times = t->model.cfg.variant.mhsa.times; /* not a step: untimed */
    t->model.cfg.variant.mhsa.times = NULL;
    const int rc = ptc_model_forward(&t->model, &t->batch, NULL, total, err, err_len);
    t->model.cfg.variant.mhsa.times = times;
    for (size_t l = 0; l < n_theta; l++)
        theta[l] = kept_theta[l];
    if (rc != PTC_OK)
        return -1;
    total->flops_linear *= 3.0;
    total->flops_attention *= 3.0;
    total->flops_softmax *= 3.0;
    total->flops_norm *= 3.0;
    total->flops_scoring *= 3.0;
    total->flops_selection *= 3.0;
    total->flops_combining *= 3.0;
    total->bytes_activations = saved;
    total->bytes_kv = 0;
    total->bytes_scores = 0;
    *arena_bytes = ptc_model_activation_bytes(&t->model);
    return 0;
}
