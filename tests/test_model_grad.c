/*
 * tests/test_model_grad.c — finite-difference gradient checks of the whole
 * model, every parameter tensor, every variant (ref table, tiny config).
 *
 * The loss is a deterministic function of the parameters for a fixed training
 * seed (dropout masks and Gumbel noise are hashes of the seed), so dropout stays
 * on. Each tensor is checked at its largest-gradient coordinates and at random
 * ones with a 4-point central difference (h = 1e-2, O(h^4) truncation).
 * Pruning: a coordinate is skipped when any perturbed forward keeps different
 * keys (selection hash differs): the loss is then not differentiable there.
 * Token removal and merging (TopK, ToMe): the same skip when the selection or
 * matching flips; LTP holds its importance constant (frozen_token_scores), as
 * its backward does.
 * Combining: the hard forward is piecewise constant in the assignment, so the
 * check runs the module with the soft assignment as its value (soft_assign),
 * whose exact gradient has the straight-through formula's form; the hard
 * forward's value is checked in test_model.c against the variants' module.
 */
#include "test_model_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float loss_at(ptc_model *m, const ptc_batch *b, const ptc_train_options *opt, uint64_t *hash)
{
    float loss = NAN;
    char err[256];
    if (ptc_model_forward_train(m, b, opt, &loss, err, sizeof err) != PTC_OK)
        fprintf(stderr, "forward_train: %s\n", err);
    *hash = m->selection_hash;
    return loss;
}

static void jitter_params(ptc_model *m, uint64_t seed)
{
    ptc_rng rng = ptc_rng_seeded(seed);
    float *p = m->params_memory;
    for (size_t t = 0; t < PTC_NUM_PARAM_TENSORS; t++) {
        const bool decays = ptc_param_tensor_decays(t);
        for (size_t i = 0; i < m->param_sizes[t]; i++, p++)
            if (!decays) /* biases and LayerNorm: away from 0 / 1 */
                *p += ptc_rng_uniform(&rng, -0.2f, 0.2f);
    }
}

static void grad_check_variant(ptc_test_ctx *ctx, int which, ptc_pad_mode pad)
{
    char err[256];
    ptc_model_config cfg;
    const size_t layers = 4; /* PFC selects in layer 2 (2..L_c-2) */
    tm_config(&cfg, which, layers);
    cfg.init_std = 0.3f;
    cfg.dropout = 0.1f;
    cfg.variant.pad_mode = pad;
    ptc_model m;
    if (!ptc_check(ctx, ptc_model_init(&m, &cfg, ctx->ref, 11, err, sizeof err) == PTC_OK, "init: %s", err))
        return;
    jitter_params(&m, 12);
    for (size_t l = 0; l < m.param_sizes[36]; l++) /* LTP: thresholds near the mean importance */
        m.params.ltp_threshold[l] = 1.0f + 0.1f * (float)l;
    const size_t batch = 2, n = ctx->quick ? 8 : 12;
    tm_batch tb;
    tm_batch_random(&tb, batch, n, cfg.vocab_size, cfg.n_classes, 13 + (uint64_t)which);
    ptc_check(ctx, ptc_model_plan(&m, batch, n, true, err, sizeof err) == PTC_OK, "plan: %s", err);
    ptc_train_options opt;
    ptc_train_options_default(&opt, 99);
    opt.soft_assign = true;
    uint64_t hash0, hash;
    const float l0 = loss_at(&m, &tb.b, &opt, &hash0);
    opt.frozen_token_scores = true; /* LTP: s held at l0's (backward's constant) */
    ptc_model_zero_grad(&m);
    ptc_check(ctx, ptc_model_backward(&m, err, sizeof err) == PTC_OK, "backward: %s", err);
    ptc_check(ctx, isfinite(l0), "%s: loss %g", tm_variant_names[which], (double)l0);

    if (ptc_variant_prunes(cfg.variant.variant) || ptc_variant_prunes_tokens(cfg.variant.variant)) {
        ptc_layer_stats st;
        float l_inf;
        ptc_check(ctx, ptc_model_forward(&m, &tb.b, &l_inf, &st, err, sizeof err) == PTC_OK, "%s", err);
        ptc_check(ctx, st.keys_next.min < st.keys.max, "%s: pruning happened (keys %g..%g, next %g..%g)",
                  tm_variant_names[which], st.keys.min, st.keys.max, st.keys_next.min, st.keys_next.max);
    }
    const float h = 1e-2f;
    const size_t n_top = ctx->quick ? 1 : 3, n_rand = ctx->quick ? 1 : 4;
    ptc_rng rng = ptc_rng_seeded(17 + (uint64_t)which);
    size_t off = 0, checked = 0, skipped = 0;
    double worst = 0.0;
    for (size_t t = 0; t < PTC_NUM_PARAM_TENSORS; off += m.param_sizes[t], t++) {
        const size_t size = m.param_sizes[t];
        if (size == 0)
            continue;
        float *p = m.params_memory + off, *g = m.grads_memory + off;
        size_t coords[16], nc = 0;
        for (size_t k = 0; k < n_top && k < size; k++) { /* largest |g| not yet taken */
            size_t best = SIZE_MAX;
            for (size_t i = 0; i < size; i++) {
                bool taken = false;
                for (size_t c = 0; c < nc; c++)
                    taken = taken || coords[c] == i;
                if (!taken && (best == SIZE_MAX || fabsf(g[i]) > fabsf(g[best])))
                    best = i;
            }
            coords[nc++] = best;
        }
        for (size_t k = 0; k < n_rand; k++)
            coords[nc++] = (size_t)(ptc_rng_next(&rng) % size);
        double gmax = 0.0;
        for (size_t c = 0; c < nc; c++)
            gmax = fmax(gmax, fabs(g[coords[c]]));
        for (size_t c = 0; c < nc; c++) {
            const size_t i = coords[c];
            const float saved = p[i];
            float f[4], hh = h;
            bool same = false;
            /* a flipped selection: retry closer (h / 8), then skip */
            for (int attempt = 0; attempt < 2 && !same; attempt++) {
                hh = attempt == 0 ? h : h / 8;
                const float steps[4] = {2 * hh, hh, -hh, -2 * hh};
                same = true;
                for (int s = 0; s < 4; s++) {
                    p[i] = saved + steps[s];
                    f[s] = loss_at(&m, &tb.b, &opt, &hash);
                    same = same && hash == hash0;
                }
            }
            p[i] = saved;
            if (!same) {
                skipped++;
                continue;
            }
            const double fd = (-(double)f[0] + 8.0 * f[1] - 8.0 * f[2] + (double)f[3]) / (12.0 * hh);
            const double an = g[i];
            const double tol = 1e-4 + 2e-3 * gmax + 2e-2 * fabs(an);
            ptc_check(ctx, fabs(fd - an) <= tol,
                      "%s: d loss / d %s[%zu]: backward %.6g, finite difference %.6g (tol %.3g)",
                      tm_variant_names[which], ptc_param_tensor_name(t), i, an, fd, tol);
            checked++;
            if (gmax > 1e-3)
                worst = fmax(worst, fabs(fd - an) / (1e-2 * gmax + fabs(an)));
            if (getenv("PTC_TEST_VERBOSE") && getenv("PTC_TEST_VERBOSE")[0] == '2')
                printf("    %s[%zu] an %.6g fd %.6g\n", ptc_param_tensor_name(t), i, an, fd);
        }
    }
    ptc_check(ctx, checked > 4 * skipped && checked > (ctx->quick ? 30u : 80u), "%s: %zu coordinates checked, %zu skipped "
              "(selection flipped)", tm_variant_names[which], checked, skipped);
    if (getenv("PTC_TEST_VERBOSE"))
        printf("  %s: %zu checked, %zu skipped, worst relative error %.3g\n", tm_variant_names[which],
               checked, skipped, worst);
    ptc_model_free(&m);
}

PTC_TEST(model_grad_baseline) { grad_check_variant(ctx, TM_BASELINE, PTC_PAD_LENGTH_AWARE); }
PTC_TEST(model_grad_prune_topk) { grad_check_variant(ctx, TM_PRUNE_TOPK, PTC_PAD_LENGTH_AWARE); }
PTC_TEST(model_grad_prune_clamp) { grad_check_variant(ctx, TM_PRUNE_CLAMP, PTC_PAD_LENGTH_AWARE); }
PTC_TEST(model_grad_combine) { grad_check_variant(ctx, TM_COMBINE, PTC_PAD_LENGTH_AWARE); }
PTC_TEST(model_grad_pfc) { grad_check_variant(ctx, TM_PFC, PTC_PAD_LENGTH_AWARE); }
PTC_TEST(model_grad_combine_inserted) { grad_check_variant(ctx, TM_COMBINE_INSERT, PTC_PAD_LENGTH_AWARE); }
PTC_TEST(model_grad_pfc_padded) { grad_check_variant(ctx, TM_PFC, PTC_PAD_PADDED); }
PTC_TEST(model_grad_token_topk) { grad_check_variant(ctx, TM_TOKEN_TOPK, PTC_PAD_LENGTH_AWARE); }
PTC_TEST(model_grad_token_topk_padded) { grad_check_variant(ctx, TM_TOKEN_TOPK, PTC_PAD_PADDED); }
PTC_TEST(model_grad_token_ltp) { grad_check_variant(ctx, TM_TOKEN_LTP, PTC_PAD_LENGTH_AWARE); }
PTC_TEST(model_grad_token_ltp_padded) { grad_check_variant(ctx, TM_TOKEN_LTP, PTC_PAD_PADDED); }
PTC_TEST(model_grad_token_tome) { grad_check_variant(ctx, TM_TOKEN_TOME, PTC_PAD_LENGTH_AWARE); }
PTC_TEST(model_grad_token_tome_padded) { grad_check_variant(ctx, TM_TOKEN_TOME, PTC_PAD_PADDED); }
