/*
 * tests/test_infer_config.c — inference config = checkpoint config + options
 * (model/infer_config.c, include/ptc/infer.h), on configs built here (no files).
 *
 *   infer_keep_ratios_parse  "0.9,0.8;0.7" is two lists (2 and 1 ratios); an empty
 *                            list, a ratio outside (0, 1], junk: -1 with a message
 *   infer_token_points       TopK on a BERT config: keep lists by layer (the last
 *                            repeats), one point each; p sets every removing layer;
 *                            ToMe r 2,8 two points; their tags "k0.9,0.5", "k0.7",
 *                            "r8"; a TopK checkpoint keeps its trained ratios
 *                            unless p or a list is given
 *   infer_refused            LTP without trained thresholds, C/PFC without
 *                            combining, --keep-ratios on PF, --tome-r on TopK,
 *                            --p with --keep-ratios, --max-len past the positions,
 *                            a sweep over the maximum: one-line errors
 *   infer_check_checkpoint   classes, vocabulary and shape mismatches are named
 */
#include "ptc_test.h"

#include "ptc/infer.h"

#include <string.h>

static ptc_model_config ck_of(ptc_variant v)
{
    ptc_model_config ck;
    ptc_model_config_preset(&ck, "bert-mini", v, NULL, 0); /* 4 layers: removing layers 2, 3 */
    ck.n_classes = 4;
    ptc_model_config_sync(&ck);
    return ck;
}

PTC_TEST(infer_keep_ratios_parse)
{
    ptc_keep_ratios k[4];
    char err[256] = "";
    const int n = ptc_infer_parse_keep_ratios("0.9,0.8;0.7", k, 4, err, sizeof err);
    ptc_check(ctx, n == 2 && k[0].n == 2 && k[0].v[0] == 0.9 && k[0].v[1] == 0.8 && k[1].n == 1 &&
                   k[1].v[0] == 0.7, "two lists: n %d (%s)", n, err);
    static const char *const bad[] = {"", "0.9;;0.8", "0.9,1.5", "0", "0.9x", "0.9;0.8;0.7;0.6;0.5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        ptc_check(ctx, ptc_infer_parse_keep_ratios(bad[i], k, 4, err, sizeof err) == -1 && err[0] &&
                       !strchr(err, '\n'), "'%s' refused: '%s'", bad[i], err);
    }
}

PTC_TEST(infer_token_points)
{
    const ptc_model_config bert = ck_of(PTC_VARIANT_BASELINE);
    ptc_model_config out[8];
    size_t n = 0;
    char err[256] = "", tag[64];
    ptc_keep_ratios keep[2] = {{2, {0.9, 0.5}}, {1, {0.7}}};
    ptc_infer_options o = {.variant = "TopK", .keep = keep, .n_keep = 2};
    int rc = ptc_infer_configs(&bert, &o, out, 8, &n, err, sizeof err);
    if (!ptc_check(ctx, rc == PTC_OK && n == 2, "TopK keep lists: rc %d n %zu (%s)", rc, n, err))
        return;
    ptc_check(ctx, out[0].variant.variant == PTC_VARIANT_TOKEN_TOPK && out[0].n_layers == 4 &&
                   ptc_token_keep_ratio(&out[0].variant, 2) == 0.9 &&
                   ptc_token_keep_ratio(&out[0].variant, 3) == 0.5 &&
                   ptc_token_keep_ratio(&out[1].variant, 2) == 0.7 &&
                   ptc_token_keep_ratio(&out[1].variant, 3) == 0.7, "keep ratios by layer");
    ptc_token_options_tag(&out[0].variant, tag, sizeof tag);
    ptc_check(ctx, strcmp(tag, "k0.9,0.5") == 0, "tag of the first point: '%s'", tag);
    ptc_token_options_tag(&out[1].variant, tag, sizeof tag);
    ptc_check(ctx, strcmp(tag, "k0.7") == 0, "tag of the second point: '%s'", tag);

    const double p[] = {0.6};
    o = (ptc_infer_options){.variant = "TopK", .p = p, .n_p = 1};
    rc = ptc_infer_configs(&bert, &o, out, 8, &n, err, sizeof err);
    ptc_check(ctx, rc == PTC_OK && n == 1 && ptc_token_keep_uniform(&out[0].variant) == 0.6,
              "TopK --p 0.6: every removing layer keeps 0.6 (%s)", err);

    const size_t r[] = {2, 8};
    o = (ptc_infer_options){.variant = "ToMe", .tome_r = r, .n_tome_r = 2};
    rc = ptc_infer_configs(&bert, &o, out, 8, &n, err, sizeof err);
    ptc_check(ctx, rc == PTC_OK && n == 2 && out[0].variant.token.merge_r == 2 &&
                   out[1].variant.token.merge_r == 8 &&
                   out[1].variant.variant == PTC_VARIANT_TOKEN_TOME, "ToMe r 2,8 (%s)", err);
    ptc_token_options_tag(&out[1].variant, tag, sizeof tag);
    ptc_check(ctx, strcmp(tag, "r8") == 0, "ToMe tag '%s'", tag);

    /* a TopK checkpoint: its trained ratios, unless p or a list replaces them */
    ptc_model_config topk = ck_of(PTC_VARIANT_TOKEN_TOPK);
    const double trained[] = {0.8, 0.4};
    ptc_token_set_keep_ratios(&topk.variant, trained, 2);
    o = (ptc_infer_options){0};
    rc = ptc_infer_configs(&topk, &o, out, 8, &n, err, sizeof err);
    ptc_check(ctx, rc == PTC_OK && n == 1 && ptc_token_keep_ratio(&out[0].variant, 2) == 0.8 &&
                   ptc_token_keep_ratio(&out[0].variant, 3) == 0.4, "trained ratios kept (%s)", err);
    o = (ptc_infer_options){.p = p, .n_p = 1};
    rc = ptc_infer_configs(&topk, &o, out, 8, &n, err, sizeof err);
    ptc_check(ctx, rc == PTC_OK && ptc_token_keep_uniform(&out[0].variant) == 0.6,
              "p replaces the trained ratios (%s)", err);
    /* an LTP checkpoint runs as LTP */
    const ptc_model_config ltp = ck_of(PTC_VARIANT_TOKEN_LTP);
    rc = ptc_infer_configs(&ltp, &o, out, 8, &n, err, sizeof err);
    ptc_check(ctx, rc != PTC_OK && strstr(err, "--p"), "LTP takes no p: '%s'", err);
    o = (ptc_infer_options){.variant = "LTP"};
    rc = ptc_infer_configs(&ltp, &o, out, 8, &n, err, sizeof err);
    ptc_check(ctx, rc == PTC_OK && out[0].variant.variant == PTC_VARIANT_TOKEN_LTP, "LTP on LTP (%s)",
              err);
}

PTC_TEST(infer_refused)
{
    const ptc_model_config bert = ck_of(PTC_VARIANT_BASELINE);
    ptc_model_config out[2];
    size_t n;
    ptc_keep_ratios keep[1] = {{1, {0.7}}};
    const double p[] = {0.9, 0.8, 0.7};
    const size_t r[] = {4};
    const struct {
        ptc_infer_options o;
        const char *says;
    } cases[] = {
        {{.variant = "LTP"}, "learned thresholds"},
        {{.variant = "PFC"}, "combining"},
        {{.variant = "C"}, "combining"},
        {{.variant = "PF", .keep = keep, .n_keep = 1}, "--keep-ratios"},
        {{.variant = "TopK", .tome_r = r, .n_tome_r = 1}, "--tome-r"},
        {{.variant = "TopK", .keep = keep, .n_keep = 1, .p = p, .n_p = 1}, "conflict"},
        {{.variant = "ToMe", .p = p, .n_p = 1}, "--p"},
        {{.variant = "TopK", .max_len = 4096}, "positions"},
        {{.variant = "PF", .p = p, .n_p = 3}, "at most 2"},
        {{.variant = "nonesuch"}, "nonesuch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[256] = "";
        const int rc = ptc_infer_configs(&bert, &cases[i].o, out, 2, &n, err, sizeof err);
        ptc_check(ctx, rc != PTC_OK && strstr(err, cases[i].says) && !strchr(err, '\n'),
                  "case %zu (%s): rc %d '%s'", i, cases[i].says, rc, err);
    }
}

PTC_TEST(infer_check_checkpoint)
{
    const ptc_model_config ck = ck_of(PTC_VARIANT_BASELINE);
    char err[256] = "";
    ptc_check(ctx, ptc_infer_check_checkpoint("m", &ck, &ck, ck.vocab_size, 4, err, sizeof err) == PTC_OK,
              "matching: %s", err);
    ptc_check(ctx, ptc_infer_check_checkpoint("m", &ck, NULL, ck.vocab_size, 3, err, sizeof err) != PTC_OK &&
                   strstr(err, "4 classes, the data has 3"), "classes: '%s'", err);
    ptc_check(ctx, ptc_infer_check_checkpoint("m", &ck, NULL, 100, 4, err, sizeof err) != PTC_OK &&
                   strstr(err, "vocabulary of 30522"), "vocabulary: '%s'", err);
    ptc_model_config other = ck;
    other.hidden = 512;
    ptc_check(ctx, ptc_infer_check_checkpoint("m", &ck, &other, ck.vocab_size, 4, err, sizeof err) != PTC_OK &&
                   strstr(err, "config mismatch") && strstr(err, "hidden 256"), "shape: '%s'", err);
}
