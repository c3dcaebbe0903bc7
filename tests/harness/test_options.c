/*
 * tests/harness/test_options.c — the options module (harness/common/options.h)
 * through the commands that use it.
 *
 *   options_refuse_bad_numbers  train --p 0 / -0.5 / 1.5, --threads 0, --batch 0,
 *                               --lr x: exit 2 and one line naming the option
 *   options_refuse_conflicts    train --data synthetic --train F; eval --run D
 *                               --checkpoint F: exit 2, "conflict"
 *   options_not_for_command     eval --epochs, predict --split: "does not apply",
 *                               naming the option; an unknown one is named too
 *   options_help_own_only       eval --help lists eval's options (the variant at inference too), not training's
 *   options_same_vocabulary     every preset and every variant name (paper's and
 *                               long) is accepted by train and by bench alike
 *   options_lists               lists and ranges; experiment --p-sweep 0 refused
 *   options_eval_isa            eval --isa avx2 runs on the AVX2 table (its JSON
 *                               says so); an unknown table is refused
 */
#include "../ptc_test.h"
#include "bench/sweep.h"
#include "common/options.h"
#include "harness_util.h"
#include "learn/train.h"

#include <jansson.h>
#include <string.h>

/* rc 2, exactly one line on stderr, containing `want` */
static void expect_usage_error(ptc_test_ctx *ctx, int (*fn)(int, char **), char **argv,
                               const char *want)
{
    char err[2048];
    const int rc = ptc_test_run_captured(fn, argv, err, sizeof err);
    const char *nl = strchr(err, '\n');
    ptc_check(ctx, rc == 2 && strstr(err, want) && nl && nl[1] == '\0',
              "%s %s: rc %d, stderr '%s', want one line with '%s'", argv[0], argv[1], rc, err, want);
}

PTC_TEST(options_refuse_bad_numbers)
{
    char *a1[] = {"train", "--data", "synthetic", "--out", "/nonexistent/x", "--p", "0", NULL};
    expect_usage_error(ctx, ptc_train_main, a1, "--p 0: must be in (0, 1]");
    char *a2[] = {"train", "--data", "synthetic", "--out", "/nonexistent/x", "--p=-0.5", NULL};
    expect_usage_error(ctx, ptc_train_main, a2, "--p -0.5: must be in (0, 1]");
    char *a3[] = {"train", "--p", "1.5", "--data", "synthetic", "--out", "/nonexistent/x", NULL};
    expect_usage_error(ctx, ptc_train_main, a3, "--p 1.5");
    char *a4[] = {"train", "--data", "synthetic", "--out", "/nonexistent/x", "--threads", "0", NULL};
    expect_usage_error(ctx, ptc_train_main, a4, "--threads 0: must be");
    char *a5[] = {"eval", "--checkpoint", "x.safetensors", "--threads", "0", NULL};
    expect_usage_error(ctx, ptc_eval_main, a5, "--threads 0: must be");
    char *a6[] = {"train", "--data", "synthetic", "--out", "/nonexistent/x", "--batch", "0", NULL};
    expect_usage_error(ctx, ptc_train_main, a6, "--batch 0");
    char *a7[] = {"train", "--data", "synthetic", "--out", "/nonexistent/x", "--lr", "x", NULL};
    expect_usage_error(ctx, ptc_train_main, a7, "--lr 'x': not a number");
    char *a8[] = {"train", "--data", "synthetic", "--out", "/nonexistent/x", "--epochs", "-1", NULL};
    expect_usage_error(ctx, ptc_train_main, a8, "--epochs '-1'");
    char *a9[] = {"train", "--data", "synthetic", "--out", "/nonexistent/x", "--p", NULL};
    expect_usage_error(ctx, ptc_train_main, a9, "--p needs a value");
}

PTC_TEST(options_refuse_conflicts)
{
    char *a1[] = {"train", "--data", "synthetic", "--train", "tests/harness/data/none.tsv", "--out",
                  "/nonexistent/x", NULL};
    expect_usage_error(ctx, ptc_train_main, a1, "--data synthetic and --train conflict");
    char *a2[] = {"eval", "--run", "/nonexistent/run", "--checkpoint", "x.safetensors", NULL};
    expect_usage_error(ctx, ptc_eval_main, a2, "--run and --checkpoint conflict");
    char *a3[] = {"experiment", "--data", "bbc", "--test", "t.tsv", NULL};
    expect_usage_error(ctx, ptc_experiment_main, a3, "conflict");
}

PTC_TEST(options_not_for_command)
{
    char *a1[] = {"eval", "--checkpoint", "x.safetensors", "--epochs", "3", NULL};
    expect_usage_error(ctx, ptc_eval_main, a1, "--epochs does not apply to `ptc eval`");
    char *a2[] = {"predict", "--checkpoint", "x.safetensors", "--split", "dev", NULL};
    expect_usage_error(ctx, ptc_predict_main, a2, "--split does not apply to `ptc predict`");
    char *a3[] = {"eval", "--checkpoint", "x.safetensors", "--lr=1", NULL};
    expect_usage_error(ctx, ptc_eval_main, a3, "--lr does not apply");
    char *a4[] = {"train", "--bogus", NULL};
    expect_usage_error(ctx, ptc_train_main, a4, "unknown option --bogus");
    char *a5[] = {"train", "--resume=yes", NULL};
    expect_usage_error(ctx, ptc_train_main, a5, "--resume takes no value");
    char *a6[] = {"train", "stray", NULL};
    expect_usage_error(ctx, ptc_train_main, a6, "unexpected argument 'stray'");
}

PTC_TEST(options_help_own_only)
{
    static char out[16384], err[1024];
    char *a1[] = {"eval", "--help", NULL};
    int rc = ptc_test_run_io(ptc_eval_main, a1, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 0 && strstr(out, "--split") && strstr(out, "--isa") &&
                   strstr(out, "--threads") && !strstr(out, "--epochs") && !strstr(out, "--lr ") &&
                   strstr(out, "--variant NAME") && !strstr(out, "--input"), /* variants apply at inference (issue 12) */
              "eval --help: rc %d:\n%s", rc, out);
    char *a2[] = {"train", "--help", NULL};
    rc = ptc_test_run_io(ptc_train_main, a2, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 0 && strstr(out, "--epochs") && strstr(out, "--p X") &&
                   strstr(out, "(default 0.9)") && !strstr(out, "--split NAME") && !strstr(out, "--input"),
              "train --help: rc %d:\n%s", rc, out);
    char *a3[] = {"predict", "--help", NULL};
    rc = ptc_test_run_io(ptc_predict_main, a3, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 0 && strstr(out, "--input") && !strstr(out, "--split NAME") &&
                   !strstr(out, "--epochs"),
              "predict --help: rc %d:\n%s", rc, out);
}

/* train's options from argv, then its model config (vocabulary 100, 2 classes) */
static int train_config(char **argv, int argc, ptc_model_config *cfg, char *err, size_t len)
{
    ptc_run_opts o;
    ptc_run_opts_default(&o);
    if (ptc_run_opts_from_argv(&o, argc, argv, err, len) != 0)
        return -1;
    return ptc_run_model_config(&o, 100, 2, cfg, err, len);
}

PTC_TEST(options_same_vocabulary)
{
    char err[512];
    size_t n;
    const ptc_model_preset *p = ptc_model_presets(&n);
    ptc_check(ctx, n >= 5, "%zu presets", n);
    for (size_t i = 0; i < n; i++) {
        ptc_model_shape shape;
        const int k = ptc_sweep_parse_models(p[i].name, &shape, 1, err, sizeof err);
        ptc_check(ctx, k == 1 && shape.hidden == (int)p[i].hidden && shape.layers == (int)p[i].layers,
                  "bench --model %s: %d %s", p[i].name, k, err);
        char *argv[] = {"train", "--model", (char *)p[i].name, NULL};
        ptc_model_config cfg;
        const int rc = train_config(argv, 3, &cfg, err, sizeof err);
        ptc_check(ctx, rc == 0 && cfg.hidden == p[i].hidden && cfg.n_layers == p[i].layers,
                  "train --model %s: %d %s", p[i].name, rc, err);
    }
    static const struct {
        const char *name;
        ptc_variant v;
        ptc_prune_rule rule;
    } names[] = {
        {"BERT", PTC_VARIANT_BASELINE, PTC_PRUNE_CLAMP},   {"baseline", PTC_VARIANT_BASELINE, PTC_PRUNE_CLAMP},
        {"P", PTC_VARIANT_PRUNE, PTC_PRUNE_TOPK},           {"PF", PTC_VARIANT_PRUNE, PTC_PRUNE_CLAMP},
        {"prune", PTC_VARIANT_PRUNE, PTC_PRUNE_CLAMP},      {"C", PTC_VARIANT_COMBINE, PTC_PRUNE_CLAMP},
        {"combine", PTC_VARIANT_COMBINE, PTC_PRUNE_CLAMP},  {"PFC", PTC_VARIANT_PRUNE_COMBINE, PTC_PRUNE_CLAMP},
        {"combined", PTC_VARIANT_PRUNE_COMBINE, PTC_PRUNE_CLAMP},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *argv[] = {"train", "--model", "bert-tiny", "--variant", (char *)names[i].name, NULL};
        ptc_model_config cfg;
        const int rc = train_config(argv, 5, &cfg, err, sizeof err);
        ptc_check(ctx, rc == 0 && cfg.variant.variant == names[i].v &&
                       (names[i].v != PTC_VARIANT_PRUNE || cfg.variant.prune.rule == names[i].rule),
                  "train --variant %s: %d %s", names[i].name, rc, err);
        ptc_sweep_opts so;
        ptc_sweep_opts_init(&so);
        char *bargv[] = {"bench", "--variant", (char *)names[i].name, "--model", "bert-tiny",
                         "--seq", "64", "--isa", "ref"};
        ptc_sweep_config *cf = NULL;
        size_t nc = 0, skipped = 0;
        int brc = ptc_sweep_parse_args(&so, 9, bargv, 1, err, sizeof err);
        if (brc == 0)
            brc = ptc_sweep_expand(&so, 0, &cf, &nc, &skipped, err, sizeof err);
        ptc_check(ctx, brc == 0 && nc == 1 && cf[0].variant == names[i].v &&
                       (!cf[0].has_rule || names[i].v != PTC_VARIANT_PRUNE || cf[0].rule == names[i].rule),
                  "bench --variant %s: %d %zu %s", names[i].name, brc, nc, err);
        free(cf);
    }
}

PTC_TEST(options_lists)
{
    double v[PTC_OPT_LIST_MAX];
    char err[256];
    int n = ptc_parse_list("0.9,0.7", v, PTC_OPT_LIST_MAX, false, "--p", err, sizeof err);
    ptc_check(ctx, n == 2 && v[0] == 0.9 && v[1] == 0.7, "0.9,0.7: %d", n);
    n = ptc_parse_list("128-512*2", v, PTC_OPT_LIST_MAX, true, "--seq", err, sizeof err);
    ptc_check(ctx, n == 3 && v[2] == 512, "128-512*2: %d", n);
    n = ptc_parse_list("1,,2", v, PTC_OPT_LIST_MAX, true, "--seq", err, sizeof err);
    ptc_check(ctx, n == -1 && strstr(err, "malformed"), "1,,2: %d %s", n, err);
    char *a1[] = {"experiment", "--data", "synthetic", "--p-sweep", "0.9,0", NULL};
    expect_usage_error(ctx, ptc_experiment_main, a1, "--p-sweep 0: must be in (0, 1]");
    char *a2[] = {"experiment", "--data", "synthetic", "--variants", "BERT,XL", NULL};
    expect_usage_error(ctx, ptc_experiment_main, a2, "unknown variant 'XL'");
}

PTC_TEST(options_eval_isa)
{
    const ptc_ops *avx2 = ptc_ops_find("avx2");
    char dir[512], json[600], err[4096];
    ptc_test_tmp_dir(dir, sizeof dir, "options-isa");
    ptc_test_rm_rf(dir);
    char *a0[] = {"eval", "--checkpoint", "x.safetensors", "--data", "synthetic", "--isa", "avx9", NULL};
    expect_usage_error(ctx, ptc_eval_main, a0, "--isa: this build has no table 'avx9'");
    if (!avx2 || !ptc_ops_supported(avx2)) {
        printf("  (no AVX2 here: eval --isa avx2 not run)\n");
        return;
    }
    char *a1[] = {"train", "--data", "synthetic", "--synthetic-train", "32", "--synthetic-dev", "8",
                  "--synthetic-test", "16", "--max-len", "64", "--model", "bert-tiny", "--hidden", "32",
                  "--ffn", "64", "--epochs", "1", "--threads", "1", "--quiet", "--no-progress",
                  "--isa", "ref", "--out", dir, NULL};
    int rc = ptc_test_run_captured(ptc_train_main, a1, err, sizeof err);
    if (!ptc_check(ctx, rc == 0, "train: rc %d: %s", rc, err))
        return;
    snprintf(json, sizeof json, "%s/eval.json", dir);
    char *a2[] = {"eval", "--run", dir, "--isa", "avx2", "--json", json, NULL};
    static char out[8192];
    rc = ptc_test_run_io(ptc_eval_main, a2, out, sizeof out, err, sizeof err);
    json_t *j = json_load_file(json, 0, NULL);
    ptc_check(ctx, rc == 0 && j && strcmp(json_string_value(json_object_get(j, "isa")), "avx2") == 0,
              "eval --isa avx2: rc %d, isa %s: %s", rc,
              j ? json_string_value(json_object_get(j, "isa")) : "?", err);
    json_decref(j);
    ptc_test_rm_rf(dir);
}
