/*
 * tests/test_model_util.c — helpers of the model tests (see test_model_util.h).
 */
#include "test_model_util.h"

#include <string.h>

const char *const tm_variant_names[TM_NVAR] = {"baseline", "P(topk)", "PF(clamp)", "C", "PFC",
                                               "C(inserted)", "TopK", "LTP", "ToMe"};

void tm_config(ptc_model_config *cfg, int which, size_t layers)
{
    static const ptc_variant v[TM_NVAR] = {PTC_VARIANT_BASELINE, PTC_VARIANT_PRUNE, PTC_VARIANT_PRUNE,
                                           PTC_VARIANT_COMBINE, PTC_VARIANT_PRUNE_COMBINE,
                                           PTC_VARIANT_COMBINE, PTC_VARIANT_TOKEN_TOPK,
                                           PTC_VARIANT_TOKEN_LTP, PTC_VARIANT_TOKEN_TOME};
    ptc_model_config_preset(cfg, "bert-tiny", v[which], NULL, 0);
    cfg->vocab_size = 50;
    cfg->hidden = 16;
    cfg->n_layers = layers;
    cfg->n_heads = 2;
    cfg->ffn = 32;
    cfg->max_positions = 16;
    cfg->n_classes = 3;
    ptc_model_config_sync(cfg);
    cfg->variant.prune.p = 0.7;
    cfg->variant.token.temperature = 1.0;
    cfg->variant.token.lambda = 0.1;
    cfg->variant.token.merge_r = 2;
    cfg->variant.prune.rule = which == TM_PRUNE_TOPK ? PTC_PRUNE_TOPK : PTC_PRUNE_CLAMP;
    if (which == TM_COMBINE || which == TM_PFC || which == TM_COMBINE_INSERT) {
        cfg->variant.n_comb = 3;
        cfg->variant.combine_layer = which == TM_COMBINE_INSERT ? layers - 1 : layers;
        cfg->variant.combine_replaces = which != TM_COMBINE_INSERT;
    }
}

void tm_batch_random(tm_batch *tb, size_t batch, size_t n, size_t vocab, size_t classes,
                     uint64_t seed)
{
    memset(tb, 0, sizeof *tb);
    ptc_rng rng = ptc_rng_seeded(seed);
    for (size_t b = 0; b < batch; b++) {
        const size_t len = b == 0 ? n : (n > 3 ? n - 1 - (b % 3) : 1);
        tb->lengths[b] = (int32_t)len;
        tb->labels[b] = (int32_t)(ptc_rng_next(&rng) % classes);
        for (size_t i = 0; i < n; i++) {
            tb->ids[b * n + i] = i < len ? (int32_t)(ptc_rng_next(&rng) % vocab) : 0;
            tb->types[b * n + i] = i < len / 2 ? 0 : 1;
        }
    }
    tb->b.batch = batch;
    tb->b.n = n;
    tb->b.ids = tb->ids;
    tb->b.type_ids = tb->types;
    tb->b.lengths = tb->lengths;
    tb->b.labels = tb->labels;
}
