/*
 * tests/test_model.c — the model end to end.
 *
 *   model_config            presets valid for every variant; bert-base baseline has
 *                           BertForSequenceClassification's parameter count minus the
 *                           pooler (108,893,186); bad configs refused with a message.
 *   model_batch_errors      bad ids / lengths / labels / plans refused with messages.
 *   model_arena             the reported arena size is the layout's exact byte count;
 *                           training needs more than inference; a plan is kept for
 *                           smaller batches.
 *   model_adamw             schedule (warm-up, decay), decoupled decay only on weights,
 *                           the first step moves each weight by ~lr.
 *   model_adamw_threads     an AdamW step over tensors past the parallel cut (64 x 1100)
 *                           is bit-identical for 1, 2 and 3 threads and within float
 *                           rounding (2e-7 of |p| + |p'|) of the update computed here
 *                           in double, element by element.
 *   model_forward_paths     (every table) the training forward without dropout and
 *                           noise equals the inference forward through variants/
 *                           (hard combining value included) for every variant and
 *                           both pad modes; logits and gradients agree with the ref
 *                           table.
 *   model_threads           logits and gradients bit-identical for 1 and 2 threads.
 *   model_init_threads      the initial weights (filled in parallel) bit-identical for 1
 *                           and 2 threads, and a different seed gives different ones.
 *   model_fused_adamw       (every table) the fused backward + AdamW (2 threads) gives the
 *                           weights and moments of zero-grad + backward + AdamW (1
 *                           thread) bit for bit over steps with dropout, for every
 *                           variant and both pad modes, with no gradient slab.
 *   model_train_op_time     (every table) per-op time of training steps (forward, backward,
 *                           AdamW; baseline, PF, PFC): the steps' weights and moments bit for
 *                           bit those of untimed steps (timed on 2 threads, untimed on 1, with
 *                           5000 embedding rows whose AdamW forks); every category
 *                           non-negative, their sum within the step's wall time and most of
 *                           it; the categories each variant runs (optimizer included) are
 *                           non-zero, the others zero.
 *   model_grad_scratch      the fused step's gradient scratch of bert-base at batch 8 x
 *                           512 is one group (an encoder layer): under a tenth of the
 *                           parameters.
 *   model_train_loss        a few hundred AdamW steps on a synthetic task drive the
 *                           loss well below its start for every variant.
 */
#include "test_model_util.h"
#include "../model/internal.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PTC_TEST(model_config)
{
    static const char *presets[] = {"bert-base", "bert-small", "bert-mini", "bert-tiny"};
    char err[256];
    for (int p = 0; p < 4; p++)
        for (int v = 0; v <= PTC_VARIANT_PRUNE_COMBINE; v++) {
            ptc_model_config cfg;
            ptc_check(ctx, ptc_model_config_preset(&cfg, presets[p], (ptc_variant)v, err, sizeof err) == PTC_OK &&
                           ptc_model_config_check(&cfg, err, sizeof err) == PTC_OK,
                      "%s variant %d: %s", presets[p], v, err);
        }
    ptc_model_config cfg;
    ptc_model_config_preset(&cfg, "bert-base", PTC_VARIANT_BASELINE, NULL, 0);
    size_t sizes[PTC_NUM_PARAM_TENSORS];
    const size_t total = ptc_param_sizes(&cfg, sizes);
    ptc_check(ctx, total == 108893186, "bert-base parameters %zu, want 108893186", total);
    ptc_check(ctx, cfg.hidden == 768 && cfg.n_layers == 12 && cfg.n_heads == 12 && cfg.ffn == 3072 &&
                   cfg.ln_eps == 1e-12f && cfg.vocab_size == 30522, "bert-base shape");
    ptc_model_config_preset(&cfg, "bert-tiny", PTC_VARIANT_PRUNE_COMBINE, NULL, 0);
    ptc_check(ctx, cfg.variant.combine_layer == 2 && cfg.variant.n_comb == 8, "tiny PFC: L_c clamped to 2");

    ptc_check(ctx, ptc_model_config_preset(&cfg, "bert-huge", PTC_VARIANT_BASELINE, err, sizeof err) != PTC_OK &&
                   strstr(err, "bert-huge"), "unknown preset: %s", err);
    struct { const char *what, *needle; } bad[] = {
        {"heads", "n_heads"}, {"dropout", "dropout"}, {"sync", "ptc_model_config_sync"},
        {"comb", "n_comb"}, {"eps", "layer_norm_eps"}, {"p", "preservation"}};
    for (int i = 0; i < 6; i++) {
        ptc_model_config c;
        ptc_model_config_preset(&c, "bert-mini", i == 3 ? PTC_VARIANT_PRUNE : PTC_VARIANT_PRUNE, NULL, 0);
        switch (i) {
        case 0: c.n_heads = 5; ptc_model_config_sync(&c); break;
        case 1: c.dropout = 1.0f; break;
        case 2: c.hidden = 128; break;
        case 3: c.variant.n_comb = 4; break;
        case 4: c.ln_eps = 0.0f; break;
        default: c.variant.prune.p = 1.5; break;
        }
        err[0] = '\0';
        ptc_check(ctx, ptc_model_config_check(&c, err, sizeof err) != PTC_OK && strstr(err, bad[i].needle),
                  "bad %s: \"%s\"", bad[i].what, err);
    }
}

PTC_TEST(model_batch_errors)
{
    char err[256];
    ptc_model_config cfg;
    tm_config(&cfg, TM_PRUNE_CLAMP, 2);
    ptc_model m;
    ptc_model_init(&m, &cfg, ctx->ref, 1, err, sizeof err);
    tm_batch tb;
    tm_batch_random(&tb, 2, 6, cfg.vocab_size, cfg.n_classes, 2);
    ptc_check(ctx, ptc_model_forward(&m, &tb.b, NULL, NULL, err, sizeof err) != PTC_OK && strstr(err, "plan"),
              "no plan: %s", err);
    ptc_check(ctx, ptc_model_plan(&m, 2, 17, false, err, sizeof err) != PTC_OK && strstr(err, "max_positions"),
              "too long: %s", err);
    ptc_model_plan(&m, 2, 6, false, err, sizeof err);
    tb.ids[3] = 50;
    ptc_check(ctx, ptc_model_forward(&m, &tb.b, NULL, NULL, err, sizeof err) != PTC_OK && strstr(err, "token id 50"),
              "bad id: %s", err);
    tb.ids[3] = 1;
    tb.lengths[1] = 0;
    ptc_check(ctx, ptc_model_forward(&m, &tb.b, NULL, NULL, err, sizeof err) != PTC_OK && strstr(err, "length 0"),
              "length 0: %s", err);
    tb.lengths[1] = 3;
    tb.labels[0] = 3;
    ptc_check(ctx, ptc_model_forward(&m, &tb.b, NULL, NULL, err, sizeof err) != PTC_OK && strstr(err, "label 3"),
              "bad label: %s", err);
    tb.labels[0] = 1;
    ptc_check(ctx, ptc_model_forward_train(&m, &tb.b, NULL, NULL, err, sizeof err) != PTC_OK &&
                   strstr(err, "inference"), "training forward on an inference plan: %s", err);
    ptc_check(ctx, ptc_model_backward(&m, err, sizeof err) != PTC_OK, "backward without forward");
    tb.b.batch = 3;
    ptc_check(ctx, ptc_model_forward(&m, &tb.b, NULL, NULL, err, sizeof err) != PTC_OK && strstr(err, "plan"),
              "batch above the plan: %s", err);
    ptc_model_free(&m);
}

PTC_TEST(model_arena)
{
    char err[256];
    for (int which = 0; which < TM_NVAR; which++) {
        ptc_model_config cfg;
        tm_config(&cfg, which, 3);
        ptc_model m;
        ptc_model_init(&m, &cfg, ctx->ref, 1, err, sizeof err);
        ptc_model_plan(&m, 4, 12, false, err, sizeof err);
        const size_t inf = ptc_model_activation_bytes(&m);
        ptc_check(ctx, inf == ptc_model_layout(&m, NULL, NULL, 4, 12, false) && inf > 0,
                  "%s: inference arena %zu", tm_variant_names[which], inf);
        ptc_model_plan(&m, 4, 12, true, err, sizeof err);
        const size_t tr = ptc_model_activation_bytes(&m);
        ptc_check(ctx, tr == ptc_model_layout(&m, NULL, NULL, 4, 12, true) && tr > inf,
                  "%s: training arena %zu vs inference %zu", tm_variant_names[which], tr, inf);
        void *arena = m.arena;
        ptc_model_plan(&m, 2, 8, false, err, sizeof err);
        ptc_check(ctx, m.arena == arena && ptc_model_activation_bytes(&m) == tr, "smaller plan keeps the arena");
        ptc_model_plan(&m, 4, 16, true, err, sizeof err);
        ptc_check(ctx, ptc_model_activation_bytes(&m) > tr, "longer plan grows the arena");
        ptc_model_free(&m);
    }
}

PTC_TEST(model_adamw)
{
    ptc_adamw_config a;
    ptc_adamw_config_default(&a);
    a.lr = 1e-3f;
    a.warmup_steps = 10;
    a.total_steps = 110;
    ptc_check(ctx, fabsf(ptc_adamw_lr(&a, 0) - 1e-4f) < 1e-9f && fabsf(ptc_adamw_lr(&a, 9) - 1e-3f) < 1e-9f &&
                   fabsf(ptc_adamw_lr(&a, 60) - 5e-4f) < 1e-9f && ptc_adamw_lr(&a, 110) == 0.0f,
              "schedule %g %g %g %g", (double)ptc_adamw_lr(&a, 0), (double)ptc_adamw_lr(&a, 9),
              (double)ptc_adamw_lr(&a, 60), (double)ptc_adamw_lr(&a, 110));
    char err[256];
    ptc_model_config cfg;
    tm_config(&cfg, TM_PFC, 2);
    ptc_model m;
    ptc_model_init(&m, &cfg, ctx->ref, 1, err, sizeof err);
    ptc_model_plan(&m, 1, 4, true, err, sizeof err);
    ptc_rng rng = ptc_rng_seeded(3);
    ptc_rng_fill(&rng, m.params_memory, m.n_params, -1.0f, 1.0f);
    float *before = malloc(m.n_params * sizeof(float));
    memcpy(before, m.params_memory, m.n_params * sizeof(float));
    /* zero gradients: only decoupled weight decay moves parameters */
    ptc_model_zero_grad(&m);
    a.weight_decay = 0.1f;
    ptc_check(ctx, ptc_model_adamw_step(&m, &a, 1e-2f, err, sizeof err) == PTC_OK, "adamw: %s", err);
    memcpy(m.params_memory, before, m.n_params * sizeof(float));
    memset(m.adam_m, 0, m.n_params * sizeof(float)); /* as if fresh (t = 0) */
    memset(m.adam_v, 0, m.n_params * sizeof(float));
    m.adam_t = 0;
    ptc_model_adamw_step(&m, &a, 1e-2f, err, sizeof err);
    size_t off = 0, bad = 0;
    for (size_t t = 0; t < PTC_NUM_PARAM_TENSORS; off += m.param_sizes[t], t++)
        for (size_t i = 0; i < m.param_sizes[t]; i++) {
            const float want = ptc_param_tensor_decays(t) ? before[off + i] * (1.0f - 1e-3f) : before[off + i];
            bad += fabsf(m.params_memory[off + i] - want) > 1e-6f;
        }
    ptc_check(ctx, bad == 0, "weight decay: %zu parameters off (biases/LayerNorm must not decay)", bad);
    /* a gradient of +-1 moves each parameter by lr against its sign on the first step */
    memcpy(m.params_memory, before, m.n_params * sizeof(float));
    for (size_t i = 0; i < m.n_params; i++)
        m.grads_memory[i] = (i % 3 == 0) ? -2.0f : 0.5f;
    a.weight_decay = 0.0f;
    memset(m.adam_m, 0, m.n_params * sizeof(float));
    memset(m.adam_v, 0, m.n_params * sizeof(float));
    m.adam_t = 0;
    ptc_model_adamw_step(&m, &a, 1e-2f, err, sizeof err);
    bad = 0;
    for (size_t i = 0; i < m.n_params; i++) {
        const float want = before[i] + ((i % 3 == 0) ? 1e-2f : -1e-2f);
        bad += fabsf(m.params_memory[i] - want) > 1e-5f;
    }
    ptc_check(ctx, bad == 0 && m.adam_t == 1, "first step off for %zu parameters", bad);
    free(before);
    ptc_model_free(&m);
}

PTC_TEST(model_adamw_threads)
{
    char err[256];
    ptc_model_config cfg;
    tm_config(&cfg, TM_BASELINE, 1);
    cfg.hidden = 64;
    cfg.ffn = 1100; /* the FFN weights: 70400 floats, past ptc_adamw_apply's parallel cut */
    ptc_model_config_sync(&cfg);
    ptc_model m;
    ptc_check(ctx, ptc_model_init(&m, &cfg, ctx->ref, 1, err, sizeof err) == PTC_OK &&
                   ptc_model_plan(&m, 1, 4, true, err, sizeof err) == PTC_OK, "model: %s", err);
    ptc_adamw_config a;
    ptc_adamw_config_default(&a);
    a.weight_decay = 0.01f;
    const size_t np = m.n_params;
    ptc_model_zero_grad(&m);
    ptc_model_adamw_step(&m, &a, 1e-3f, err, sizeof err); /* allocates the moments, t = 1 */
    ptc_rng rng = ptc_rng_seeded(11);
    ptc_rng_fill(&rng, m.params_memory, np, -1.0f, 1.0f);
    ptc_rng_fill(&rng, m.grads_memory, np, -0.1f, 0.1f);
    ptc_rng_fill(&rng, m.adam_m, np, -0.01f, 0.01f);
    ptc_rng_fill(&rng, m.adam_v, np, 0.0f, 1e-4f);
    float *start = malloc(3 * np * sizeof(float)), *first = malloc(3 * np * sizeof(float));
    memcpy(start, m.params_memory, np * sizeof(float));
    memcpy(start + np, m.adam_m, np * sizeof(float));
    memcpy(start + 2 * np, m.adam_v, np * sizeof(float));
    const int saved = omp_get_max_threads();
    for (int threads = 1; threads <= 3; threads++) {
        memcpy(m.params_memory, start, np * sizeof(float));
        memcpy(m.adam_m, start + np, np * sizeof(float));
        memcpy(m.adam_v, start + 2 * np, np * sizeof(float));
        m.adam_t = 1;
        omp_set_num_threads(threads);
        ptc_model_adamw_step(&m, &a, 1e-3f, err, sizeof err);
        if (threads == 1) {
            memcpy(first, m.params_memory, np * sizeof(float));
            memcpy(first + np, m.adam_m, np * sizeof(float));
            memcpy(first + 2 * np, m.adam_v, np * sizeof(float));
            continue;
        }
        ptc_check(ctx, memcmp(first, m.params_memory, np * sizeof(float)) == 0 &&
                       memcmp(first + np, m.adam_m, np * sizeof(float)) == 0 &&
                       memcmp(first + 2 * np, m.adam_v, np * sizeof(float)) == 0,
                  "adamw with %d threads differs from 1 thread", threads);
    }
    omp_set_num_threads(saved);
    /* the 1-thread result against the update element by element, in double (the
     * bias corrections 1 - beta^t as the step takes them: powf in float, with t a
     * run-time value, so no compiler folds powf(b, 2) into b * b and an FMA) */
    const double b1 = a.beta1, b2 = a.beta2;
    const float step = (float)m.adam_t; /* 2 */
    const double c1 = 1.0f - powf(a.beta1, step), c2 = 1.0f - powf(a.beta2, step);
    size_t bad = 0, off = 0;
    for (size_t t = 0; t < PTC_NUM_PARAM_TENSORS; off += m.param_sizes[t], t++)
        for (size_t i = off; i < off + m.param_sizes[t]; i++) {
            const double g = m.grads_memory[i], p = start[i];
            const double mm = b1 * start[np + i] + (1.0 - b1) * g;
            const double vv = b2 * start[2 * np + i] + (1.0 - b2) * g * g;
            const double wd = ptc_param_tensor_decays(t) ? (double)a.weight_decay : 0.0;
            const double want = p - 1e-3 * ((mm / c1) / (sqrt(vv / c2) + (double)a.eps) + wd * p);
            bad += fabs(first[i] - want) > 2e-7 * (fabs(p) + fabs(want)) + 1e-10;
        }
    ptc_check(ctx, bad == 0, "adamw: %zu of %zu parameters off the update", bad, np);
    free(start);
    free(first);
    ptc_model_free(&m);
}

static void train_forward_backward(ptc_test_ctx *ctx, ptc_model *m, const ptc_batch *b,
                                   const ptc_train_options *opt, float *loss)
{
    char err[256];
    ptc_model_zero_grad(m);
    ptc_check(ctx, ptc_model_forward_train(m, b, opt, loss, err, sizeof err) == PTC_OK, "train fwd: %s", err);
    ptc_check(ctx, ptc_model_backward(m, err, sizeof err) == PTC_OK, "backward: %s", err);
}

PTC_KERNEL_TEST(model_forward_paths)
{
    char err[256];
    const size_t batch = 3, n = ctx->quick ? 9 : 14;
    for (int which = 0; which < TM_NVAR; which++)
        for (int pad = 0; pad < 2; pad++) {
            ptc_model_config cfg;
            tm_config(&cfg, which, 4);
            cfg.variant.pad_mode = (ptc_pad_mode)pad;
            cfg.init_std = 0.2f;
            ptc_model m, r;
            ptc_model_init(&m, &cfg, ctx->ops, 21, err, sizeof err);
            ptc_model_init(&r, &cfg, ctx->ref, 21, err, sizeof err);
            ptc_model_plan(&m, batch, n, true, err, sizeof err);
            ptc_model_plan(&r, batch, n, true, err, sizeof err);
            tm_batch tb;
            tm_batch_random(&tb, batch, n, cfg.vocab_size, cfg.n_classes, 22 + (uint64_t)which);
            float l_inf = NAN, l_tr = NAN, l_ref = NAN;
            ptc_check(ctx, ptc_model_forward(&m, &tb.b, &l_inf, NULL, err, sizeof err) == PTC_OK, "fwd: %s", err);
            float logits[64 * 3];
            memcpy(logits, m.logits, batch * cfg.n_classes * sizeof(float));
            ptc_train_options opt;
            ptc_train_options_default(&opt, 5);
            opt.dropout = false;
            opt.gumbel = false;
            train_forward_backward(ctx, &m, &tb.b, &opt, &l_tr);
            const char *name = tm_variant_names[which];
            /* LTP trains with its soft mask and removes tokens at inference: they differ by design */
            if (which != TM_TOKEN_LTP) {
                ptc_check_close(ctx, name, m.logits, logits, batch * cfg.n_classes, 2e-5f, 2e-4f);
                ptc_check(ctx, fabsf(l_tr - l_inf) <= 1e-5f + 1e-4f * fabsf(l_inf),
                          "%s pad %d: training forward loss %.8g, inference %.8g", name, pad,
                          (double)l_tr, (double)l_inf);
            }
            /* this table vs ref, with dropout and Gumbel noise on */
            ptc_train_options_default(&opt, 6);
            train_forward_backward(ctx, &m, &tb.b, &opt, &l_tr);
            train_forward_backward(ctx, &r, &tb.b, &opt, &l_ref);
            ptc_check(ctx, fabsf(l_tr - l_ref) <= 1e-5f + 1e-4f * fabsf(l_ref), "%s pad %d: loss %.8g vs ref %.8g",
                      name, pad, (double)l_tr, (double)l_ref);
            if (m.selection_hash == r.selection_hash) { /* near-ties may select differently */
                char what[96];
                snprintf(what, sizeof what, "%s pad %d: gradients vs ref", name, pad);
                ptc_check_nmse(ctx, what, m.grads_memory, r.grads_memory, m.n_params, 1e-8);
            }
            ptc_model_free(&m);
            ptc_model_free(&r);
        }
}

PTC_KERNEL_TEST(model_threads)
{
    char err[256];
    const size_t batch = 3, n = ctx->quick ? 9 : 16;
    const int saved = omp_get_max_threads();
    for (int which = 0; which < TM_NVAR; which++) {
        ptc_model_config cfg;
        tm_config(&cfg, which, 3);
        cfg.hidden = ctx->quick ? 16 : 64;
        cfg.ffn = 2 * cfg.hidden;
        ptc_model_config_sync(&cfg);
        ptc_model m;
        ptc_model_init(&m, &cfg, ctx->ops, 31, err, sizeof err);
        ptc_model_plan(&m, batch, n, true, err, sizeof err);
        tm_batch tb;
        tm_batch_random(&tb, batch, n, cfg.vocab_size, cfg.n_classes, 32);
        float *grads[2], logits[2][64 * 3], loss[2];
        for (int t = 0; t < 2; t++) {
            omp_set_num_threads(t + 1);
            ptc_model_forward(&m, &tb.b, &loss[t], NULL, err, sizeof err);
            memcpy(logits[t], m.logits, batch * cfg.n_classes * sizeof(float));
            ptc_train_options opt;
            ptc_train_options_default(&opt, 33);
            train_forward_backward(ctx, &m, &tb.b, &opt, &loss[t]);
            grads[t] = malloc(m.n_params * sizeof(float));
            memcpy(grads[t], m.grads_memory, m.n_params * sizeof(float));
        }
        omp_set_num_threads(saved);
        ptc_check(ctx, memcmp(logits[0], logits[1], batch * cfg.n_classes * sizeof(float)) == 0,
                  "%s: logits differ between 1 and 2 threads", tm_variant_names[which]);
        ptc_check(ctx, memcmp(grads[0], grads[1], m.n_params * sizeof(float)) == 0 && loss[0] == loss[1],
                  "%s: training step differs between 1 and 2 threads", tm_variant_names[which]);
        free(grads[0]);
        free(grads[1]);
        ptc_model_free(&m);
    }
}

PTC_TEST(model_init_threads)
{
    char err[256];
    ptc_model_config cfg;
    tm_config(&cfg, 0, 2);
    cfg.vocab_size = 8192; /* word embeddings 8192 x 16 = 2^17 values: filled in parallel */
    ptc_model_config_sync(&cfg);
    const int saved = omp_get_max_threads();
    ptc_model m[3];
    const uint64_t seeds[3] = {71, 71, 72};
    for (int t = 0; t < 3; t++) {
        omp_set_num_threads(t == 1 ? 2 : 1);
        if (!ptc_check(ctx, ptc_model_init(&m[t], &cfg, ctx->ref, seeds[t], err, sizeof err) == PTC_OK,
                       "init: %s", err)) {
            omp_set_num_threads(saved);
            for (int u = 0; u < t; u++)
                ptc_model_free(&m[u]);
            return;
        }
    }
    omp_set_num_threads(saved);
    size_t largest = 0;
    for (int t = 0; t < PTC_NUM_PARAM_TENSORS; t++)
        largest = m[0].param_sizes[t] > largest ? m[0].param_sizes[t] : largest;
    ptc_check(ctx, largest >= 65536, "largest tensor %zu values: the parallel fill is not exercised",
              largest);
    const size_t bytes = m[0].n_params * sizeof(float);
    ptc_check(ctx, memcmp(m[0].params_memory, m[1].params_memory, bytes) == 0,
              "initial weights differ between 1 and 2 threads");
    ptc_check(ctx, memcmp(m[0].params_memory, m[2].params_memory, bytes) != 0,
              "seeds 71 and 72 give the same initial weights");
    for (int t = 0; t < 3; t++)
        ptc_model_free(&m[t]);
}

PTC_KERNEL_TEST(model_fused_adamw)
{
    char err[256];
    const size_t batch = 3, n = 12, steps = 3;
    const int saved = omp_get_max_threads();
    for (int which = 0; which < TM_NVAR; which++)
        for (int pad = 0; pad < 2; pad++) {
            ptc_model_config cfg;
            tm_config(&cfg, which, 3);
            cfg.dropout = 0.1f;
            cfg.variant.pad_mode = pad ? PTC_PAD_PADDED : PTC_PAD_LENGTH_AWARE;
            ptc_model sep, fus;
            ptc_model_init(&sep, &cfg, ctx->ops, 61, err, sizeof err);
            ptc_model_init(&fus, &cfg, ctx->ops, 61, err, sizeof err);
            ptc_model_plan(&sep, batch, n, true, err, sizeof err);
            ptc_model_plan(&fus, batch, n, true, err, sizeof err);
            ptc_adamw_config a;
            ptc_adamw_config_default(&a);
            a.lr = 1e-2f;
            ptc_check(ctx, ptc_model_backward_adamw(&fus, &a, a.lr, err, sizeof err) != PTC_OK &&
                           fus.adam_t == 0, "a fused step without a training forward is refused");
            for (size_t step = 0; step < steps; step++) {
                tm_batch tb;
                tm_batch_random(&tb, batch, n, cfg.vocab_size, cfg.n_classes, 70 + step);
                ptc_train_options opt;
                ptc_train_options_default(&opt, 80 + step);
                float loss[2];
                omp_set_num_threads(1);
                train_forward_backward(ctx, &sep, &tb.b, &opt, &loss[0]);
                ptc_model_adamw_step(&sep, &a, a.lr, err, sizeof err);
                omp_set_num_threads(2);
                ptc_check(ctx, ptc_model_forward_train(&fus, &tb.b, &opt, &loss[1], err, sizeof err) == PTC_OK &&
                               ptc_model_backward_adamw(&fus, &a, a.lr, err, sizeof err) == PTC_OK,
                          "fused step: %s", err);
                ptc_check(ctx, loss[0] == loss[1], "%s: losses differ", tm_variant_names[which]);
            }
            omp_set_num_threads(saved);
            const size_t bytes = sep.n_params * sizeof(float);
            ptc_check(ctx, memcmp(sep.params_memory, fus.params_memory, bytes) == 0 &&
                           memcmp(sep.adam_m, fus.adam_m, bytes) == 0 &&
                           memcmp(sep.adam_v, fus.adam_v, bytes) == 0 && sep.adam_t == fus.adam_t,
                      "%s (%s): fused AdamW differs from the separate step", tm_variant_names[which],
                      pad ? "padded" : "length-aware");
            ptc_check(ctx, fus.grads_memory == NULL, "%s: the fused step allocated a gradient slab",
                      tm_variant_names[which]);
            ptc_model_free(&sep);
            ptc_model_free(&fus);
        }
}

/* A wall-clock interval (the test's own clock: ptc_op_clock). */
static double since(double t0) { return ptc_op_clock() - t0; }

PTC_KERNEL_TEST(model_train_op_time)
{
    char err[256];
    const size_t batch = 3, n = 12;
    static const int which[] = {TM_BASELINE, TM_PRUNE_CLAMP, TM_PFC};
    const int saved = omp_get_max_threads();
    for (size_t w = 0; w < sizeof which / sizeof which[0]; w++) {
        ptc_model_config cfg;
        tm_config(&cfg, which[w], 4); /* PFC: selections in layers 2-3, the module at 4 */
        cfg.dropout = 0.1f;
        cfg.vocab_size = 5000; /* 5000 x 16 embedding rows: their AdamW forks */
        ptc_model plain, timed;
        ptc_model_init(&plain, &cfg, ctx->ops, 91, err, sizeof err);
        ptc_model_init(&timed, &cfg, ctx->ops, 91, err, sizeof err);
        ptc_model_plan(&plain, batch, n, true, err, sizeof err);
        ptc_model_plan(&timed, batch, n, true, err, sizeof err);
        ptc_op_times t;
        timed.cfg.variant.mhsa.times = &t;
        ptc_adamw_config a;
        ptc_adamw_config_default(&a);
        const char *name = tm_variant_names[which[w]];
        double wall = 0;
        for (size_t step = 0; step < 2; step++) {
            tm_batch tb;
            tm_batch_random(&tb, batch, n, cfg.vocab_size, cfg.n_classes, 90 + step);
            ptc_train_options opt;
            ptc_train_options_default(&opt, 95 + step);
            float loss[2];
            omp_set_num_threads(1);
            ptc_check(ctx, ptc_model_forward_train(&plain, &tb.b, &opt, &loss[0], err,
                                                   sizeof err) == PTC_OK &&
                           ptc_model_backward_adamw(&plain, &a, 1e-3f, err, sizeof err) == PTC_OK,
                      "%s: untimed step: %s", name, err);
            omp_set_num_threads(2);
            /* the categories are the step's own time: nearly all of its wall time; a
             * preemption between the two clocks can break that once: the last step counts */
            memset(&t, 0, sizeof t);
            const double t0 = ptc_op_clock();
            ptc_check(ctx, ptc_model_forward_train(&timed, &tb.b, &opt, &loss[1], err,
                                                   sizeof err) == PTC_OK &&
                           ptc_model_backward_adamw(&timed, &a, 1e-3f, err, sizeof err) == PTC_OK,
                      "%s: timed step: %s", name, err);
            wall = since(t0);
            ptc_check(ctx, loss[0] == loss[1], "%s: the timed step's loss differs", name);
        }
        omp_set_num_threads(saved);
        const size_t bytes = plain.n_params * sizeof(float);
        ptc_check(ctx, memcmp(plain.params_memory, timed.params_memory, bytes) == 0 &&
                       memcmp(plain.adam_m, timed.adam_m, bytes) == 0 &&
                       memcmp(plain.adam_v, timed.adam_v, bytes) == 0,
                  "%s: timed steps on 2 threads differ from untimed ones on 1", name);
        double sum = 0;
        for (int k = 0; k < PTC_OPCAT_COUNT; k++) {
            ptc_check(ctx, t.s[k] >= 0 && isfinite(t.s[k]), "%s: %s time %g", name,
                      ptc_op_category_name(k), t.s[k]);
            sum += t.s[k];
        }
        ptc_check(ctx, sum <= wall + 1e-6 && sum >= 0.5 * wall,
                  "%s: categories sum to %g s, the step took %g s", name, sum, wall);
        const bool prunes = which[w] != TM_BASELINE, combines = which[w] == TM_PFC;
        const struct { ptc_op_category k; bool ran; } expect[] = {
            {PTC_OPCAT_LINEAR, true}, {PTC_OPCAT_ATTENTION, true}, {PTC_OPCAT_SCORING, prunes},
            {PTC_OPCAT_SELECTION, prunes}, {PTC_OPCAT_COMBINING, combines},
            {PTC_OPCAT_NORM, true}, {PTC_OPCAT_ACTIVATION, true}, {PTC_OPCAT_OPTIMIZER, true},
            {PTC_OPCAT_OTHER, true}};
        for (size_t e = 0; e < sizeof expect / sizeof expect[0]; e++)
            ptc_check(ctx, (t.s[expect[e].k] > 0) == expect[e].ran, "%s: %s time %g (%s expected)",
                      name, ptc_op_category_name(expect[e].k), t.s[expect[e].k],
                      expect[e].ran ? "some" : "none");
        ptc_model_free(&plain);
        ptc_model_free(&timed);
    }
}

PTC_TEST(model_grad_scratch)
{
    for (int v = PTC_VARIANT_BASELINE; v <= PTC_VARIANT_PRUNE_COMBINE; v++) {
        ptc_model m;
        memset(&m, 0, sizeof m);
        ptc_model_config_preset(&m.cfg, "bert-base", (ptc_variant)v, NULL, 0);
        m.n_params = ptc_param_sizes(&m.cfg, m.param_sizes);
        const size_t H = 768, layer = 4 * H * H + 4 * H + 2 * 3072 * H + 3072 + 5 * H;
        const size_t floats = ptc_model_grad_scratch_floats(&m, 8, 512);
        const size_t head = m.cfg.n_classes * (H + 1);
        ptc_check(ctx, floats >= layer && floats <= layer + head + H && floats < m.n_params / 10,
                  "variant %d: gradient scratch %zu floats (a layer %zu, the model %zu)", v, floats,
                  layer, m.n_params);
    }
}

/* Synthetic task: each sample holds one key token (1, 2 or 3 = its class) at a
 * random position among filler tokens 4..49. */
static void synthetic_batch(tm_batch *tb, size_t batch, size_t n, uint64_t seed)
{
    tm_batch_random(tb, batch, n, 50, 3, seed);
    ptc_rng rng = ptc_rng_seeded(seed + 100);
    for (size_t b = 0; b < batch; b++) {
        const size_t len = (size_t)tb->lengths[b];
        for (size_t i = 0; i < len; i++)
            tb->ids[b * n + i] = 4 + (int32_t)(ptc_rng_next(&rng) % 46);
        tb->labels[b] = (int32_t)(ptc_rng_next(&rng) % 3);
        tb->ids[b * n + ptc_rng_next(&rng) % len] = 1 + tb->labels[b];
    }
}

PTC_TEST(model_train_loss)
{
    char err[256];
    const size_t batch = ctx->quick ? 4 : 8, n = 10, n_batches = 3, steps = ctx->quick ? 30 : 300;
    for (int which = 0; which < TM_NVAR; which++) {
        ptc_model_config cfg;
        tm_config(&cfg, which, 4); /* PFC selects in layer 2 */
        cfg.dropout = 0.0f;
        ptc_model m;
        ptc_model_init(&m, &cfg, ctx->ref, 41, err, sizeof err);
        ptc_model_plan(&m, batch, n, true, err, sizeof err);
        tm_batch data[3];
        for (size_t i = 0; i < n_batches; i++)
            synthetic_batch(&data[i], batch, n, 50 + i);
        ptc_adamw_config a;
        ptc_adamw_config_default(&a);
        a.lr = 5e-3f;
        a.warmup_steps = steps / 10;
        a.total_steps = steps;
        double first = 0.0, last = 0.0;
        for (size_t step = 0; step < steps; step++) {
            ptc_train_options opt;
            ptc_train_options_default(&opt, 1000 + step);
            float loss;
            train_forward_backward(ctx, &m, &data[step % n_batches].b, &opt, &loss);
            ptc_model_adamw_step(&m, &a, ptc_adamw_lr(&a, step), err, sizeof err);
            if (step < n_batches)
                first += loss / n_batches;
            if (step >= steps - n_batches)
                last += loss / n_batches;
        }
        const double want = ctx->quick ? 0.75 * first : 0.3 * first;
        ptc_check(ctx, last < want, "%s: loss %.4f -> %.4f after %zu steps (want < %.4f)",
                  tm_variant_names[which], first, last, steps, want);
        if (getenv("PTC_TEST_VERBOSE"))
            printf("  %s: loss %.8f -> %.8f\n", tm_variant_names[which], first, last);
        ptc_model_free(&m);
    }
}

/* LTP's thresholds start as a linear rise over the removing layers (2..L-1) to
 * threshold_init, 0 elsewhere. */
PTC_TEST(model_ltp_threshold_init)
{
    char err[256];
    ptc_model_config cfg;
    tm_config(&cfg, TM_TOKEN_LTP, 5);
    cfg.variant.token.threshold_init = 0.9;
    ptc_model m;
    if (!ptc_check(ctx, ptc_model_init(&m, &cfg, ctx->ref, 3, err, sizeof err) == PTC_OK, "%s", err))
        return;
    const float want[5] = {0.0f, 0.3f, 0.6f, 0.9f, 0.0f};
    ptc_check(ctx, m.param_sizes[36] == 5, "ltp_threshold has %zu values", m.param_sizes[36]);
    ptc_check_close(ctx, "ltp thresholds", m.params.ltp_threshold, want, 5, 1e-7f, 1e-6f);
    ptc_model_free(&m);
}
