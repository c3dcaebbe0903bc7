/*
 * tests/harness/test_bench_tokens.c — `ptc bench` with the token-reduction methods
 * (issue 17: TopK, LTP, ToMe) and their sweep dimensions --keep-ratios, --tome-r,
 * --ltp-thresholds.
 *
 *   bench_tokens_expand    --variant TopK,LTP,ToMe --keep-ratios '0.9,0.5;0.7'
 *                          --tome-r 2,8 --ltp-thresholds 0.5,1 --phase infer,train
 *                          at encoder level: 12 configurations with distinct ids
 *                          (keep=, r=, theta=), labels "TopK k0.9,0.5", "ToMe r8",
 *                          "LTP t1", row variants TopK/LTP/ToMe (the name table read
 *                          past its end before); TopK without lists sweeps p; the
 *                          normalized spec reads back to the same ids; bad values
 *                          (a ratio past 1, r 0, a negative threshold) are refused;
 *                          --help lists the three options and the variants
 *   bench_tokens_workload  one forward of bert-mini (4 layers) at 64 tokens: the query
 *                          rows per layer are 64 64 57 29 for TopK k0.9,0.5 (1 +
 *                          floor(k (len - 1)) per removing layer), 64 64 56 48 for
 *                          ToMe r8, all 64 for LTP t0 and [CLS] alone after layer 2
 *                          for LTP t100; FLOPs and activation bytes fall with them;
 *                          the training phase runs a step of each, LTP's counted
 *                          with every token (its soft mask removes none)
 */
#include "../ptc_test.h"
#include "bench/bench_workload.h"
#include "bench/sweep.h"
#include "bench/sweep_rows.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int expand(const char *const *args, size_t n_args, ptc_sweep_config **c, size_t *n, char *err,
                  size_t len)
{
    ptc_sweep_opts o;
    ptc_sweep_opts_init(&o);
    char *argv[32] = {"bench"};
    for (size_t i = 0; i < n_args; i++)
        argv[i + 1] = (char *)args[i];
    size_t skipped;
    if (ptc_sweep_parse_args(&o, (int)n_args + 1, argv, 1, err, len) != PTC_OK)
        return -1;
    return ptc_sweep_expand(&o, 0, c, n, &skipped, err, len) == PTC_OK ? 0 : -1;
}

static const ptc_sweep_config *find_label(const ptc_sweep_config *c, size_t n, const char *label,
                                          bool train)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].label, label) == 0 && c[i].train == train)
            return &c[i];
    return NULL;
}

PTC_TEST(bench_tokens_expand)
{
    static const char *const args[] = {"--level", "encoder", "--model", "bert-mini", "--seq", "64",
                                       "--variant", "TopK,LTP,ToMe", "--keep-ratios", "0.9,0.5;0.7",
                                       "--tome-r", "2,8", "--ltp-thresholds", "0.5,1", "--phase",
                                       "infer,train"};
    ptc_sweep_config *c = NULL;
    size_t n = 0;
    char err[256] = "";
    if (!ptc_check(ctx, expand(args, sizeof args / sizeof *args, &c, &n, err, sizeof err) == 0 && n == 12,
                   "12 configurations: %zu (%s)", n, err)) {
        free(c);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            ptc_check(ctx, strcmp(c[i].id, c[j].id) != 0, "ids %zu and %zu equal: %s", i, j, c[i].id);
    const ptc_sweep_config *topk = find_label(c, n, "TopK k0.9,0.5", false),
                           *tome = find_label(c, n, "ToMe r8", true), *ltp = find_label(c, n, "LTP t1", false);
    ptc_check(ctx, topk && strstr(topk->id, ";keep=0.9,0.5") && !topk->has_p && topk->keep.n == 2,
              "TopK k0.9,0.5: %s", topk ? topk->id : "missing");
    ptc_check(ctx, tome && strstr(tome->id, ";r=8") && tome->tome_r == 8, "ToMe r8 (train): %s",
              tome ? tome->id : "missing");
    ptc_check(ctx, ltp && strstr(ltp->id, ";theta=1") && ltp->ltp_threshold == 1.0, "LTP t1: %s",
              ltp ? ltp->id : "missing");
    if (ltp) {
        const ptc_row_identity id = {.run = "r", .cpu = "c", .cpu_slug = "c", .commit = "x"};
        json_t *row = ptc_row_new(ltp, &id);
        ptc_check(ctx, strcmp(json_string_value(json_object_get(row, "variant")), "LTP") == 0 &&
                       json_real_value(json_object_get(row, "ltp_threshold")) == 1.0,
                  "LTP row: variant and threshold");
        json_decref(row);
    }
    free(c);

    /* TopK without lists sweeps p */
    static const char *const by_p[] = {"--level", "encoder", "--model", "bert-mini", "--variant", "TopK",
                                       "--p", "0.9,0.7"};
    ptc_check(ctx, expand(by_p, 8, &c, &n, err, sizeof err) == 0 && n == 2 && c[0].has_p && !c[0].has_keep,
              "TopK --p 0.9,0.7: %zu (%s)", n, err);
    free(c);

    /* the normalized spec reads back to the same configurations */
    ptc_sweep_opts o, back;
    ptc_sweep_opts_init(&o);
    ptc_sweep_opts_init(&back);
    char *argv[32] = {"bench"};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++)
        argv[i + 1] = (char *)args[i];
    static char spec[8192];
    ptc_sweep_parse_args(&o, (int)(sizeof args / sizeof *args) + 1, argv, 1, err, sizeof err);
    ptc_sweep_spec_format(&o, spec, sizeof spec);
    ptc_sweep_config *c1 = NULL, *c2 = NULL;
    size_t n1 = 0, n2 = 0, sk;
    const int rc = ptc_sweep_parse_spec_text(&back, spec, "spec", err, sizeof err);
    ptc_sweep_expand(&o, 0, &c1, &n1, &sk, err, sizeof err);
    ptc_sweep_expand(&back, 0, &c2, &n2, &sk, err, sizeof err);
    bool same = rc == PTC_OK && n1 == n2 && n1 == 12;
    for (size_t i = 0; same && i < n1; i++)
        same = strcmp(c1[i].id, c2[i].id) == 0;
    ptc_check(ctx, same, "spec round trip: rc %d, %zu vs %zu (%s)\n%s", rc, n1, n2, err, spec);
    free(c1);
    free(c2);

    static const char *const bad[][2] = {
        {"--keep-ratios", "0.9,1.5"}, {"--tome-r", "0"}, {"--ltp-thresholds", "-1"}};
    for (size_t k = 0; k < 3; k++) {
        ptc_sweep_opts_init(&o);
        char *a[] = {"bench", "--variant", "TopK,LTP,ToMe", (char *)bad[k][0], (char *)bad[k][1]};
        err[0] = '\0';
        ptc_check(ctx, ptc_sweep_parse_args(&o, 5, a, 1, err, sizeof err) != PTC_OK && err[0] &&
                       strstr(err, bad[k][0] + 2), "%s %s refused: '%s'", bad[k][0], bad[k][1], err);
    }

    char *help = NULL;
    size_t help_len = 0;
    FILE *f = open_memstream(&help, &help_len);
    ptc_sweep_usage(f);
    fclose(f);
    ptc_check(ctx, strstr(help, "--keep-ratios") && strstr(help, "--tome-r") &&
                   strstr(help, "--ltp-thresholds") && strstr(help, "TopK LTP ToMe"),
              "--help lists the token options");
    free(help);
}

/* one forward (or training step) of config c; its query rows per step into tokens[] */
static bool run_once(ptc_test_ctx *ctx, const ptc_sweep_config *c, double tokens[4], ptc_layer_stats *total)
{
    model_weights mw;
    const int layers = bench_layers_needed(c);
    if (layers > 0 && !ptc_check(ctx, bench_model_init(&mw, &c->model, layers, false, 1) == 0, "weights"))
        return false;
    workload w;
    bool ok = bench_workload_setup(&w, c, &mw, 1) == 0;
    if (ok) {
        bench_work_once(&w);
        ok = w.rc == PTC_OK;
        if (ok)
            bench_collect_stats(&w);
        ok = ok && w.rc == PTC_OK;
    }
    ptc_check(ctx, ok, "%s: %s", c->label, w.err);
    for (size_t s = 0; ok && s < 4; s++)
        tokens[s] = s < w.n_steps ? w.steps[s].tokens.mean : -1;
    *total = w.total;
    bench_workload_free(&w);
    if (layers > 0)
        bench_model_free(&mw);
    return ok;
}

PTC_TEST(bench_tokens_workload)
{
    static const char *const args[] = {"--level", "encoder", "--model", "bert-mini", "--seq", "64",
                                       "--variant", "BERT,TopK,LTP,ToMe", "--keep-ratios", "0.9,0.5",
                                       "--tome-r", "8", "--ltp-thresholds", "0,100", "--phase", "infer,train",
                                       "--isa", "ref"};
    ptc_sweep_config *c = NULL;
    size_t n = 0;
    char err[256] = "";
    if (!ptc_check(ctx, expand(args, sizeof args / sizeof *args, &c, &n, err, sizeof err) == 0 && n == 10,
                   "10 configurations: %zu (%s)", n, err)) {
        free(c);
        return;
    }
    static const struct {
        const char *label;
        double tokens[4];
    } want[] = {
        {"BERT", {64, 64, 64, 64}},     {"TopK k0.9,0.5", {64, 64, 57, 29}},
        {"ToMe r8", {64, 64, 56, 48}}, {"LTP t0", {64, 64, 64, 64}},
        {"LTP t100", {64, 64, 1, 1}},
    };
    double bert_flops = 0, bert_bytes = 0;
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        const ptc_sweep_config *ci = find_label(c, n, want[k].label, false);
        double t[4];
        ptc_layer_stats total;
        if (!ptc_check(ctx, ci != NULL, "%s missing", want[k].label) || !run_once(ctx, ci, t, &total))
            continue;
        ptc_check(ctx, memcmp(t, want[k].tokens, sizeof t) == 0, "%s: rows %g %g %g %g", want[k].label,
                  t[0], t[1], t[2], t[3]);
        const double flops = total.flops_linear + total.flops_attention;
        const double bytes = (double)total.bytes_activations;
        if (k == 0) {
            bert_flops = flops;
            bert_bytes = bytes;
        } else if (want[k].tokens[3] < 64) {
            ptc_check(ctx, flops < bert_flops && bytes < bert_bytes, "%s: FLOPs %g / BERT %g, bytes %g / %g",
                      want[k].label, flops, bert_flops, bytes, bert_bytes);
        }
        const ptc_sweep_config *tr = find_label(c, n, want[k].label, true);
        if (ptc_check(ctx, tr != NULL, "%s train missing", want[k].label) && run_once(ctx, tr, t, &total) &&
            strncmp(want[k].label, "LTP", 3) == 0) /* the soft mask removes no token in training */
            ptc_check(ctx, t[0] == 64, "%s train: %g query rows per sample, not 64", want[k].label, t[0]);
    }
    free(c);
}
