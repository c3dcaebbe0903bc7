/*
 * tests/test_variants_prune.c — the selection logic of fuzzy token pruning, the
 * variant plan and parameter validation (no kernels: PTC_TEST, run once).
 *
 *   quartiles   ptc_quantile_linear against numpy "linear" values derived by
 *               hand (ties, n = 1, a == b) and an independent formula on
 *               random vectors;
 *   candidates  the threshold a + (1 - alpha_U)(b - a), the alpha_I branch and
 *               the a == b case;
 *   rules       topk keeps exactly floor(t p) (the highest scores, lower index
 *               on ties); clamp keeps t - min(t - k, |C|), only candidates are
 *               pruned, lowest first; within prunes ceil((1 - p)|C|); protected
 *               keys are never pruned; p = 1 prunes nothing — all checked
 *               against integer arithmetic and an O(t^2) ranking;
 *   plan        the layer roles of P, PF, C, PFC (replace and insert);
 *   bad params  rejected with a message naming the parameter.
 */
#include "ptc_test.h"
#include "ptc/variants.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_f(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

PTC_TEST(variants_quantile_numpy_linear)
{
    /* numpy.quantile(x, [0.25, 0.5, 0.75]) (method "linear"), derived by hand:
     * h = q (n - 1), value = x[floor h] + frac(h) (x[floor h + 1] - x[floor h]) */
    static const struct { size_t n; float x[8]; double q25, q50, q75; } cases[] = {
        {4, {1, 2, 3, 4}, 1.75, 2.5, 3.25},
        {1, {7}, 7, 7, 7},
        {4, {1, 1, 1, 2}, 1.0, 1.0, 1.25},           /* ties */
        {4, {3, 3, 3, 3}, 3, 3, 3},                  /* a == b */
        {2, {0, 10}, 2.5, 5, 7.5},
        {5, {1, 2, 3, 4, 5}, 2, 3, 4},
        {8, {0, 0, 0, 0, 0, 0, 1, 1}, 0, 0, 0.25},   /* h = 1.75, 3.5, 5.25 */
        {3, {-2, 0.5f, 4}, -0.75, 0.5, 2.25},        /* h = 0.5, 1, 1.5 */
        {6, {0.25f, 0.25f, 0.5f, 0.5f, 0.5f, 2}, 0.3125, 0.5, 0.5}, /* h = 1.25, 2.5, 3.75 */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const double got[3] = {ptc_quantile_linear(cases[c].x, cases[c].n, 0.25),
                               ptc_quantile_linear(cases[c].x, cases[c].n, 0.5),
                               ptc_quantile_linear(cases[c].x, cases[c].n, 0.75)};
        const double want[3] = {cases[c].q25, cases[c].q50, cases[c].q75};
        for (int i = 0; i < 3; i++)
            ptc_check(ctx, fabs(got[i] - want[i]) <= 1e-12, "quantile case %zu q%d: got %.17g want %.17g",
                      c, i, got[i], want[i]);
    }
    /* float inputs: 0.1f, 0.2f, 0.4f, q = 0.25: h = 0.5 -> midpoint of 0.1f and 0.2f */
    const float f3[3] = {0.1f, 0.2f, 0.4f};
    ptc_check(ctx, fabs(ptc_quantile_linear(f3, 3, 0.25) - 0.5 * ((double)0.1f + (double)0.2f)) < 1e-15,
              "quantile of 0.1f, 0.2f, 0.4f at 0.25");
    /* random vectors with ties against the plain formula */
    ptc_rng rng = ptc_rng_seeded(ctx->seed + 1);
    float v[97];
    for (size_t n = 1; n <= 97; n += 6) {
        for (size_t i = 0; i < n; i++)
            v[i] = (float)(ptc_rng_next(&rng) % 9) * 0.125f; /* many ties */
        qsort(v, n, sizeof(float), cmp_f);
        for (double q = 0.0; q <= 1.0; q += 0.125) {
            const double h = q * (double)(n - 1);
            const size_t lo = (size_t)h;
            const double want = lo + 1 < n ? v[lo] + (h - (double)lo) * ((double)v[lo + 1] - v[lo]) : v[n - 1];
            const double got = ptc_quantile_linear(v, n, q);
            ptc_check(ctx, fabs(got - want) <= 1e-12, "quantile n=%zu q=%g: got %.17g want %.17g",
                      n, q, got, want);
        }
    }
}

PTC_TEST(variants_prune_candidates)
{
    ptc_prune_config cfg;
    ptc_prune_config_default(&cfg);
    /* a = 0, b = 4: thr = 0.4 */
    ptc_check(ctx, ptc_prune_is_candidate(&cfg, 0.0, 4.0, 0.0f), "S = a is a candidate");
    ptc_check(ctx, ptc_prune_is_candidate(&cfg, 0.0, 4.0, 0.39f), "S = 0.39 < thr 0.4");
    ptc_check(ctx, !ptc_prune_is_candidate(&cfg, 0.0, 4.0, 0.41f), "S = 0.41 > thr 0.4");
    ptc_check(ctx, !ptc_prune_is_candidate(&cfg, 0.0, 4.0, 4.0f), "S = b is no candidate");
    ptc_check(ctx, ptc_prune_is_candidate(&cfg, 1.0, 2.0, 1.0625f), "a=1 b=2: 1.0625 < 1.1");
    ptc_check(ctx, !ptc_prune_is_candidate(&cfg, 1.0, 2.0, 1.125f), "a=1 b=2: 1.125 > 1.1");
    ptc_check(ctx, ptc_prune_is_candidate(&cfg, 1.0, 2.0, -5.0f), "below a");
    /* a == b: candidates are exactly S <= a */
    ptc_check(ctx, ptc_prune_is_candidate(&cfg, 0.5, 0.5, 0.5f), "a == b: S = a");
    ptc_check(ctx, ptc_prune_is_candidate(&cfg, 0.5, 0.5, 0.25f), "a == b: S < a");
    ptc_check(ctx, !ptc_prune_is_candidate(&cfg, 0.5, 0.5, 0.5000001f), "a == b: S > a");
    /* the alpha_I branch: I^c = {S < a + alpha_I (b - a)} joins U when wider */
    cfg.alpha_important = 0.5;
    ptc_check(ctx, ptc_prune_is_candidate(&cfg, 0.0, 4.0, 1.9f), "alpha_I 0.5: 1.9 < 2");
    ptc_check(ctx, !ptc_prune_is_candidate(&cfg, 0.0, 4.0, 2.0f), "alpha_I 0.5: 2 not < 2");
    cfg.alpha_important = 0.01;
    cfg.alpha_unimportant = 0.5; /* thr = a + 0.5 (b - a) */
    ptc_check(ctx, ptc_prune_is_candidate(&cfg, 0.0, 4.0, 2.0f), "alpha_U 0.5: 2 <= 2");
    ptc_check(ctx, !ptc_prune_is_candidate(&cfg, 0.0, 4.0, 2.01f), "alpha_U 0.5: 2.01 > 2");
    /* keep counts for decimal p */
    ptc_check(ctx, ptc_prune_keep_count(0.9, 10) == 9, "floor(10 * 0.9) = 9");
    ptc_check(ctx, ptc_prune_keep_count(0.9, 30) == 27, "floor(30 * 0.9) = 27");
    ptc_check(ctx, ptc_prune_keep_count(0.7, 10) == 7, "floor(10 * 0.7) = 7");
    ptc_check(ctx, ptc_prune_keep_count(0.9, 1) == 0, "floor(0.9) = 0");
    ptc_check(ctx, ptc_prune_keep_count(1.0, 13) == 13, "p = 1 keeps all");
}

/* rank of j: keys strictly before j in pruning order (lower score, or equal score
 * and higher index) */
static size_t prune_rank(const float *s, const uint8_t *eligible, size_t t, size_t j)
{
    size_t r = 0;
    for (size_t i = 0; i < t; i++)
        if (eligible[i] && i != j && (s[i] < s[j] || (s[i] == s[j] && i > j)))
            r++;
    return r;
}

PTC_TEST(variants_prune_rules)
{
    /* p as a fraction num/10 so that the expected counts are integer arithmetic */
    static const int p_tenths[] = {10, 9, 7, 5, 3, 1};
    ptc_rng rng = ptc_rng_seeded(ctx->seed + 2);
    float score[64];
    uint8_t protect[64], eligible[64], pruned[64];
    int32_t keep[64];
    uint64_t scratch[64];
    for (int rule = 0; rule < 3; rule++) {
        for (size_t pi = 0; pi < sizeof p_tenths / sizeof p_tenths[0]; pi++) {
            for (size_t t = 1; t <= (ctx->quick ? 20u : 64u); t += (t < 20 ? 1 : 7)) {
                for (int variant = 0; variant < 3; variant++) {
                    ptc_prune_config cfg;
                    ptc_prune_config_default(&cfg);
                    cfg.rule = (ptc_prune_rule)rule;
                    cfg.p = p_tenths[pi] / 10.0;
                    /* variant 0: distinct scores; 1: heavy ties; 2: protected keys */
                    size_t n_prot = 0;
                    for (size_t j = 0; j < t; j++) {
                        score[j] = variant == 1 ? (float)(ptc_rng_next(&rng) % 4) * 0.25f
                                                : ptc_rng_uniform(&rng, 0.0f, 1.0f);
                        protect[j] = variant == 2 && (j == 0 || j % 5 == 3);
                        n_prot += protect[j];
                    }
                    const double a = 0.25, b = 0.75; /* fixed quartiles: thr = 0.3 */
                    const size_t n_keep = ptc_prune_head(&cfg, a, b, t, score, protect, keep, scratch);
                    const size_t t_eff = t - n_prot;
                    const size_t k = (t_eff * (size_t)p_tenths[pi]) / 10;
                    size_t n_cand = 0;
                    for (size_t j = 0; j < t; j++) {
                        const bool cand = !protect[j] && (double)score[j] <= a + 0.1 * (b - a) + 1e-12;
                        eligible[j] = rule == PTC_PRUNE_TOPK ? !protect[j] : cand;
                        n_cand += cand;
                    }
                    size_t want_prune;
                    if (rule == PTC_PRUNE_TOPK)
                        want_prune = t_eff - k;
                    else if (rule == PTC_PRUNE_CLAMP)
                        want_prune = t_eff - k < n_cand ? t_eff - k : n_cand;
                    else
                        want_prune = (n_cand * (size_t)(10 - p_tenths[pi]) + 9) / 10;
                    if (!ptc_check(ctx, n_keep == t - want_prune,
                                   "rule %d p %.1f t %zu variant %d: kept %zu want %zu (k %zu, |C| %zu)",
                                   rule, cfg.p, t, variant, n_keep, t - want_prune, k, n_cand))
                        continue;
                    if (rule == PTC_PRUNE_TOPK)
                        ptc_check(ctx, n_keep - n_prot == k, "topk keeps exactly floor(t p)");
                    if (rule == PTC_PRUNE_CLAMP)
                        ptc_check(ctx, n_keep - n_prot >= k && n_keep <= t, "clamp keeps in [k, t]");
                    /* the pruned set: exactly the want_prune first eligible keys in pruning order */
                    memset(pruned, 1, t);
                    for (size_t i = 0; i < n_keep; i++) {
                        ptc_check(ctx, i == 0 || keep[i] > keep[i - 1], "kept positions ascending");
                        pruned[keep[i]] = 0;
                    }
                    for (size_t j = 0; j < t; j++) {
                        const bool want = eligible[j] && prune_rank(score, eligible, t, j) < want_prune;
                        if (!ptc_check(ctx, pruned[j] == want, "rule %d p %.1f t %zu variant %d: key %zu "
                                       "(score %g) pruned %d want %d", rule, cfg.p, t, variant, j,
                                       score[j], pruned[j], want))
                            break;
                    }
                }
            }
        }
    }
    /* degenerate quartiles: all scores equal, a == b == score: every key is a
     * candidate; clamp prunes the t - k highest indices */
    ptc_prune_config cfg;
    ptc_prune_config_default(&cfg);
    for (size_t j = 0; j < 10; j++)
        score[j] = 0.5f;
    const float sorted[10] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    const double qa = ptc_quantile_linear(sorted, 10, 0.25), qb = ptc_quantile_linear(sorted, 10, 0.75);
    ptc_check(ctx, qa == 0.5 && qb == 0.5, "a == b == 0.5");
    size_t n_keep = ptc_prune_head(&cfg, qa, qb, 10, score, NULL, keep, scratch);
    ptc_check(ctx, n_keep == 9 && keep[8] == 8, "a == b clamp: keeps 0..8 (got %zu, last %d)",
              n_keep, (int)keep[n_keep ? n_keep - 1 : 0]);
}

/* ptc_prune_select_head = quartiles of the head's own sorted scores + ptc_prune_head */
PTC_TEST(variants_prune_select_head)
{
    ptc_rng rng = ptc_rng_seeded(ctx->seed + 5);
    float score[97], sorted[97];
    int32_t keep[97], want[97];
    uint64_t keys[97];
    void *scratch = malloc(ptc_prune_select_head_scratch_bytes(97));
    for (int rule = 0; rule < 3; rule++)
        for (size_t t = 1; t <= 97; t += 8) {
            ptc_prune_config cfg;
            ptc_prune_config_default(&cfg);
            cfg.rule = (ptc_prune_rule)rule;
            cfg.p = 0.7;
            for (size_t j = 0; j < t; j++)
                score[j] = ptc_rng_uniform(&rng, 0.0f, 1.0f);
            memcpy(sorted, score, t * sizeof(float));
            qsort(sorted, t, sizeof(float), cmp_f);
            const double a = ptc_quantile_linear(sorted, t, 0.25), b = ptc_quantile_linear(sorted, t, 0.75);
            const size_t n_want = ptc_prune_head(&cfg, a, b, t, score, NULL, want, keys);
            const float before = score[0];
            const size_t n = ptc_prune_select_head(&cfg, t, score, keep, scratch);
            ptc_check(ctx, n == n_want && memcmp(keep, want, n * sizeof(int32_t)) == 0 &&
                      score[0] == before, "rule %d t %zu: kept %zu want %zu", rule, t, n, n_want);
            if (rule == PTC_PRUNE_TOPK)
                ptc_check(ctx, n == ptc_prune_keep_count(0.7, t), "topk t %zu keeps floor(0.7 t)", t);
        }
    free(scratch);
}

/* The plan's layer rules as functions agree with the plan itself. */
PTC_TEST(variants_plan_layer_rules)
{
    char err[256] = "";
    for (int v = 0; v < 4; v++)
        for (size_t lc = 1; lc <= 6; lc++)
            for (int replaces = 0; replaces < 2; replaces++) {
                ptc_variant_config cfg;
                ptc_variant_config_default(&cfg, (ptc_variant)v);
                cfg.n_layers = 6;
                cfg.combine_layer = lc;
                cfg.combine_replaces = replaces;
                ptc_variant_plan plan;
                if (!ptc_check(ctx, ptc_variant_plan_make(&cfg, &plan, err, sizeof err) == PTC_OK,
                               "plan: %s", err))
                    return;
                size_t last_text = 0;
                for (size_t i = 0; i < plan.n_steps; i++) {
                    const ptc_step *s = &plan.steps[i];
                    if (s->kind == PTC_STEP_ENCODER && !s->comb_only) {
                        last_text = s->layer;
                        ptc_check(ctx, s->select == ptc_plan_layer_selects(&cfg, s->layer),
                                  "variant %d lc %zu replaces %d layer %zu: select", v, lc, replaces,
                                  s->layer);
                    }
                }
                ptc_check(ctx, last_text == ptc_plan_last_text_layer(&cfg),
                          "variant %d lc %zu replaces %d: last text layer %zu, rule says %zu", v, lc,
                          replaces, last_text, ptc_plan_last_text_layer(&cfg));
            }
    ptc_check(ctx, ptc_variant_combines(PTC_VARIANT_PRUNE_COMBINE) && !ptc_variant_combines(PTC_VARIANT_PRUNE) &&
              ptc_variant_prunes(PTC_VARIANT_PRUNE) && !ptc_variant_prunes(PTC_VARIANT_COMBINE),
              "variant kinds");
}

PTC_TEST(variants_plan_roles)
{
    char err[256] = "";
    ptc_variant_config cfg;
    ptc_variant_plan plan;
    /* PFC, L_c = 11 replacing: 1..10 encoder (select 2..9, pruned keys 3..10), combine, 12 on m */
    ptc_variant_config_default(&cfg, PTC_VARIANT_PRUNE_COMBINE);
    if (!ptc_check(ctx, ptc_variant_plan_make(&cfg, &plan, err, sizeof err) == PTC_OK, "PFC plan: %s", err))
        return;
    ptc_check(ctx, plan.n_steps == 12, "PFC: 12 steps, got %zu", plan.n_steps);
    for (size_t i = 0; i < 10; i++) {
        const ptc_step *s = &plan.steps[i];
        ptc_check(ctx, s->kind == PTC_STEP_ENCODER && s->layer == i + 1 && s->n_comb == 8 &&
                  s->select == (i + 1 >= 2 && i + 1 <= 9) && s->keys_pruned == (i + 1 >= 3) &&
                  !s->comb_only, "PFC step %zu", i + 1);
    }
    ptc_check(ctx, plan.steps[10].kind == PTC_STEP_COMBINE && plan.steps[10].layer == 11, "PFC combine at 11");
    ptc_check(ctx, plan.steps[11].kind == PTC_STEP_ENCODER && plan.steps[11].comb_only &&
              plan.steps[11].layer == 12 && !plan.steps[11].select, "PFC layer 12 on m tokens");
    /* PF: select 2..11, pruned keys 3..12 */
    ptc_variant_config_default(&cfg, PTC_VARIANT_PRUNE);
    ptc_variant_plan_make(&cfg, &plan, err, sizeof err);
    ptc_check(ctx, plan.n_steps == 12, "PF: 12 steps");
    for (size_t i = 0; i < 12; i++)
        ptc_check(ctx, plan.steps[i].select == (i + 1 >= 2 && i + 1 <= 11) &&
                  plan.steps[i].keys_pruned == (i + 1 >= 3) && plan.steps[i].n_comb == 0,
                  "PF step %zu", i + 1);
    /* C inserted after L_c = 7: 1..7, combine, 8..12 on m tokens; nothing selects */
    ptc_variant_config_default(&cfg, PTC_VARIANT_COMBINE);
    cfg.combine_layer = 7;
    cfg.combine_replaces = false;
    ptc_variant_plan_make(&cfg, &plan, err, sizeof err);
    ptc_check(ctx, plan.n_steps == 13 && plan.steps[7].kind == PTC_STEP_COMBINE &&
              plan.steps[6].layer == 7 && plan.steps[8].layer == 8 && plan.steps[8].comb_only,
              "C insert at 7: %zu steps", plan.n_steps);
    for (size_t i = 0; i < plan.n_steps; i++)
        ptc_check(ctx, !plan.steps[i].select && !plan.steps[i].keys_pruned, "C: no pruning");
    /* baseline */
    ptc_variant_config_default(&cfg, PTC_VARIANT_BASELINE);
    ptc_variant_plan_make(&cfg, &plan, err, sizeof err);
    ptc_check(ctx, plan.n_steps == 12 && !plan.steps[5].select && plan.steps[5].n_comb == 0, "baseline");
    char text[1024];
    ptc_check(ctx, ptc_variant_plan_describe(&plan, text, sizeof text) > 0 && strstr(text, "12 encoder L12"),
              "describe: %s", text);
}

#define EXPECT_REJECT(call, needle)                                                          \
    do {                                                                                     \
        err[0] = '\0';                                                                       \
        const int rc_ = (call);                                                              \
        ptc_check(ctx, rc_ == PTC_EINVAL && strstr(err, needle) != NULL,                     \
                  "%s: rc %d, message '%s' should mention '%s'", #call, rc_, err, needle);   \
    } while (0)

PTC_TEST(variants_bad_params_rejected)
{
    char err[256];
    ptc_prune_config pc;
    ptc_prune_config_default(&pc);
    ptc_check(ctx, ptc_prune_config_check(&pc, err, sizeof err) == PTC_OK, "defaults valid");
    pc.p = 0.0;
    EXPECT_REJECT(ptc_prune_config_check(&pc, err, sizeof err), "p = 0");
    pc.p = 1.5;
    EXPECT_REJECT(ptc_prune_config_check(&pc, err, sizeof err), "(0, 1]");
    pc.p = NAN;
    EXPECT_REJECT(ptc_prune_config_check(&pc, err, sizeof err), "preservation ratio");
    pc.p = -0.1;
    EXPECT_REJECT(ptc_prune_config_check(&pc, err, sizeof err), "preservation ratio");
    ptc_prune_config_default(&pc);
    pc.q_low = 0.8;
    EXPECT_REJECT(ptc_prune_config_check(&pc, err, sizeof err), "q_low");
    ptc_prune_config_default(&pc);
    pc.alpha_unimportant = 0.0;
    EXPECT_REJECT(ptc_prune_config_check(&pc, err, sizeof err), "alpha_unimportant");

    ptc_variant_config vc;
    ptc_variant_config_default(&vc, PTC_VARIANT_PRUNE_COMBINE);
    ptc_check(ctx, ptc_variant_config_check(&vc, err, sizeof err) == PTC_OK, "PFC defaults valid: %s", err);
    vc.n_comb = 0;
    EXPECT_REJECT(ptc_variant_config_check(&vc, err, sizeof err), "m = 0");
    ptc_variant_config_default(&vc, PTC_VARIANT_COMBINE);
    vc.combine_layer = 0;
    EXPECT_REJECT(ptc_variant_config_check(&vc, err, sizeof err), "L_c = 0");
    vc.combine_layer = 13;
    EXPECT_REJECT(ptc_variant_config_check(&vc, err, sizeof err), "outside the layer range");
    ptc_variant_config_default(&vc, PTC_VARIANT_BASELINE);
    vc.n_heads = 7;
    EXPECT_REJECT(ptc_variant_config_check(&vc, err, sizeof err), "does not divide");
    ptc_variant_config_default(&vc, PTC_VARIANT_PRUNE);
    vc.prune.p = 2.0;
    EXPECT_REJECT(ptc_variant_config_check(&vc, err, sizeof err), "preservation ratio");
    ptc_variant_config_default(&vc, PTC_VARIANT_PRUNE);
    vc.prune_first = 1;
    EXPECT_REJECT(ptc_variant_config_check(&vc, err, sizeof err), "layer 1 prunes nothing");
    ptc_variant_plan plan;
    EXPECT_REJECT(ptc_variant_plan_make(&vc, &plan, err, sizeof err), "prune_first");

    ptc_dims dims = {2, 16, 0, 96, 5, 128};
    err[0] = '\0';
    ptc_check(ctx, ptc_workspace_bytes(&dims, err, sizeof err) == 0 && strstr(err, "does not divide"),
              "workspace plan rejects 5 heads of 96: '%s'", err);

    /* forwards reject before touching anything */
    const ptc_ops *ops = ptc_ops_find("ref");
    static float w[4 * 4], xbuf[2 * 3 * 4], ybuf[2 * 3 * 4];
    static _Alignas(64) char ws[1 << 16];
    const ptc_mhsa_weights mw = {w, NULL, w, NULL, w, NULL, w, NULL, NULL, NULL};
    ptc_tokens tok = {2, 3, 0, NULL, PTC_PAD_LENGTH_AWARE};
    EXPECT_REJECT(ptc_mhsa_forward(ops, &mw, 4, 3, &tok, xbuf, ybuf, NULL, NULL, ws, sizeof ws,
                                   NULL, err, sizeof err), "does not divide");
    const int32_t bad_len[2] = {2, 4};
    tok.lengths = bad_len;
    EXPECT_REJECT(ptc_mhsa_forward(ops, &mw, 4, 2, &tok, xbuf, ybuf, NULL, NULL, ws, sizeof ws,
                                   NULL, err, sizeof err), "length 4");
    const int32_t zero_len[2] = {2, 0};
    tok.lengths = zero_len;
    EXPECT_REJECT(ptc_mhsa_forward(ops, &mw, 4, 2, &tok, xbuf, ybuf, NULL, NULL, ws, sizeof ws,
                                   NULL, err, sizeof err), "no token");
    tok.lengths = NULL;
    EXPECT_REJECT(ptc_mhsa_forward(ops, &mw, 4, 2, &tok, xbuf, ybuf, NULL, NULL, ws, 64,
                                   NULL, err, sizeof err), "workspace");
    const ptc_combine_weights cw = {w, w, w, w, w, NULL, w, NULL, w, NULL, w, NULL, 1e-5f};
    EXPECT_REJECT(ptc_combine_forward(ops, &cw, 4, &tok, xbuf, ybuf, NULL, NULL, ws, sizeof ws,
                                      NULL, err, sizeof err), "m = 0");
}

PTC_TEST(variants_stats_accumulate)
{
    ptc_layer_stats total, l1, l2, comb;
    memset(&total, 0, sizeof total);
    memset(&l1, 0, sizeof l1);
    memset(&l2, 0, sizeof l2);
    memset(&comb, 0, sizeof comb);
    l1.tokens = (ptc_stat3){8, 10, 12};
    l1.keys = (ptc_stat3){4, 6, 8};
    l1.n_tokens = l1.n_keys = 1;
    l1.flops_linear = 100;
    l1.bytes_workspace = 64;
    l2.tokens = (ptc_stat3){6, 20, 30};
    l2.keys = (ptc_stat3){2, 9, 9};
    l2.n_tokens = l2.n_keys = 1;
    l2.flops_attention = 50;
    l2.bytes_workspace = 128;
    comb.tokens = (ptc_stat3){40, 40, 40};
    comb.n_tokens = 1; /* reports tokens, no keys */
    comb.flops_combining = 7;
    ptc_stats_accumulate(&total, &l1);
    ptc_stats_accumulate(&total, &l2);
    ptc_stats_accumulate(&total, &comb);
    ptc_check(ctx, total.tokens.min == 6 && total.tokens.max == 40 && fabs(total.tokens.mean - 70.0 / 3) < 1e-12,
              "tokens pooled: %g %g %g", total.tokens.min, total.tokens.mean, total.tokens.max);
    ptc_check(ctx, total.keys.min == 2 && total.keys.max == 9 && total.keys.mean == 7.5 && total.n_keys == 2,
              "keys pooled over the layers that report them: %g %g %g", total.keys.min, total.keys.mean,
              total.keys.max);
    ptc_check(ctx, ptc_stats_flops_total(&total) == 157 && total.bytes_workspace == 128, "sums");
}
