/*
 * tests/harness/test_eval_sweep.c — variants applied at inference by `ptc eval`
 * and `ptc predict` on a checkpoint trained as BERT (issue 12 item 1).
 *
 *   eval_inference_sweep   --variant PF --p 0.9,0.7 gives two points whose kept
 *                          keys per step are all positive (the old count printed
 *                          a total then zeros), equal to the query rows in layer 1
 *                          and 2, fewer at p 0.7 than at 0.9 in the last layer; the
 *                          baseline point keeps every key in every step (and eval
 *                          notes a run whose lock is held: still training); --rows
 *                          gets one row per point with its predictions file (one
 *                          line per test document)
 *   eval_inference_refused C/PFC on a checkpoint without combining tensors, a p
 *                          outside (0, 1], --lc with PF: one-line errors, nothing run
 *   predict_variant        predict --variant PF --p 0.5 runs (and a sweep is refused)
 *   eval_token_sweep       TopK and ToMe at inference on the same BERT checkpoint
 *                          (issue 17): --keep-ratios '0.9,0.5;0.7' and --tome-r 2,8
 *                          give two points each whose query rows per layer shrink
 *                          after layer 2 as asked (fewer at r 8 than at r 2); rows
 *                          labelled "TopK k0.9,0.5", "TopK k0.7", "ToMe r2", "ToMe r8"
 *                          with distinct config ids and the keep ratios by layer;
 *                          predict --variant ToMe --tome-r 4 runs; LTP on a
 *                          checkpoint without thresholds, --keep-ratios with PF,
 *                          --tome-r with TopK, a ratio past 1: one-line errors
 */
#include "../ptc_test.h"
#include "harness_util.h"
#include "learn/train.h"
#include "cluster/lock.h"

#include <jansson.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#define TINY_MODEL "--model", "bert-tiny", "--hidden", "32", "--heads", "2", "--ffn", "64"
#define SYNTH "--data", "synthetic", "--synthetic-train", "256", "--synthetic-dev", "64", \
              "--synthetic-test", "128", "--max-len", "128"

/* trains a 4-layer baseline for one epoch into dir; false on failure */
static bool train_baseline(ptc_test_ctx *ctx, const char *dir)
{
    char buf[8192];
    ptc_test_rm_rf(dir);
    char *argv[] = {"train", SYNTH, TINY_MODEL, "--layers", "4", "--epochs", "1", "--out",
                    (char *)dir, "--threads", "1", "--quiet", NULL};
    const int rc = ptc_test_run_captured(ptc_train_main, argv, buf, sizeof buf);
    return ptc_check(ctx, rc == 0, "train: rc %d: %s", rc, buf);
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    char line[4096];
    while (f && fgets(line, sizeof line, f))
        n++;
    if (f)
        fclose(f);
    return n;
}

PTC_TEST(eval_inference_sweep)
{
    char dir[512], json[600], rows[600], pred[600], buf[8192];
    ptc_test_tmp_dir(dir, sizeof dir, "sweep");
    if (!train_baseline(ctx, dir))
        return;
    snprintf(json, sizeof json, "%s/sweep.json", dir);
    snprintf(rows, sizeof rows, "%s/rows.jsonl", dir);
    snprintf(pred, sizeof pred, "%s/pred.tsv", dir);
    char *argv[] = {"eval", "--run", dir, "--variant", "PF", "--p", "0.9,0.7", "--json", json,
                    "--rows", rows, "--predictions", pred, "--threads", "1", NULL};
    int rc = ptc_test_run_io(ptc_eval_main, argv, NULL, 0, buf, sizeof buf);
    if (!ptc_check(ctx, rc == 0, "eval sweep: rc %d: %s", rc, buf))
        return;
    json_t *all = json_load_file(json, 0, NULL);
    ptc_check(ctx, json_is_array(all) && json_array_size(all) == 2, "sweep JSON: 2 points");
    double last[2] = {0, 0};
    for (size_t k = 0; k < json_array_size(all) && k < 2; k++) {
        json_t *pt = json_array_get(all, k), *keys = json_object_get(pt, "keys_mean"),
               *toks = json_object_get(pt, "tokens_mean");
        ptc_check(ctx, json_array_size(keys) == 4, "point %zu: %zu steps", k, json_array_size(keys));
        for (size_t s = 0; s < json_array_size(keys); s++)
            ptc_check(ctx, json_number_value(json_array_get(keys, s)) > 1.0,
                      "point %zu step %zu: %.2f keys attended", k, s,
                      json_number_value(json_array_get(keys, s)));
        for (size_t s = 0; s < 2 && s < json_array_size(keys); s++)
            ptc_check(ctx, fabs(json_number_value(json_array_get(keys, s)) -
                                json_number_value(json_array_get(toks, s))) < 1e-9,
                      "point %zu step %zu: keys = query rows before pruning", k, s);
        last[k] = json_number_value(json_array_get(keys, 3));
        ptc_check(ctx, last[k] < json_number_value(json_array_get(keys, 0)),
                  "point %zu: the last layer attends fewer keys than the first", k);
        const char *p = json_string_value(json_object_get(pt, "predictions"));
        ptc_check(ctx, p && count_lines(p) == 129, "point %zu: predictions file %s", k, p ? p : "-");
    }
    ptc_check(ctx, last[1] < last[0], "p 0.7 keeps fewer keys (%.2f) than p 0.9 (%.2f)", last[1], last[0]);
    json_decref(all);
    ptc_check(ctx, count_lines(rows) == 2, "rows: %zu lines", count_lines(rows));
    /* the baseline point keeps every key in every step; evaluated while the run's
     * lock is held (a training still running), eval says so and still evaluates */
    char lock_err[256];
    const int lock_fd = ptc_run_lock(dir, lock_err, sizeof lock_err);
    ptc_check(ctx, lock_fd >= 0, "lock %s: %s", dir, lock_err);
    char *a2[] = {"eval", "--run", dir, "--json", json, "--threads", "1", NULL};
    rc = ptc_test_run_io(ptc_eval_main, a2, NULL, 0, buf, sizeof buf);
    ptc_run_unlock(lock_fd);
    ptc_check(ctx, strstr(buf, "is still training (pid ") != NULL, "no note of the held lock: %s", buf);
    json_t *b = json_load_file(json, 0, NULL);
    json_t *keys = json_object_get(b, "keys_mean"), *toks = json_object_get(b, "tokens_mean");
    ptc_check(ctx, rc == 0 && json_array_size(keys) == 4, "baseline eval: rc %d", rc);
    for (size_t s = 0; s < json_array_size(keys); s++)
        ptc_check(ctx, fabs(json_number_value(json_array_get(keys, s)) -
                            json_number_value(json_array_get(toks, 0))) < 1e-9,
                  "baseline step %zu: %.2f keys, %.2f tokens", s,
                  json_number_value(json_array_get(keys, s)), json_number_value(json_array_get(toks, 0)));
    json_decref(b);
    ptc_test_rm_rf(dir);
}

PTC_TEST(eval_inference_refused)
{
    char dir[512], rows[600], buf[8192];
    ptc_test_tmp_dir(dir, sizeof dir, "refused");
    if (!train_baseline(ctx, dir))
        return;
    snprintf(rows, sizeof rows, "%s/rows.jsonl", dir);
    static const char *const cases[][4] = {
        {"--variant", "PFC", "combining", NULL},
        {"--variant", "C", "combining", NULL},
        {"--p", "0.9,1.5", "(0, 1]", NULL},
        {"--lc", "2", "--lc", NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char *argv[] = {"eval", "--run", dir, "--variant", "PF", (char *)cases[k][0],
                        (char *)cases[k][1], "--rows", rows, "--threads", "1", NULL};
        const int rc = ptc_test_run_io(ptc_eval_main, argv, NULL, 0, buf, sizeof buf);
        ptc_check(ctx, rc != 0 && strstr(buf, cases[k][2]) && strchr(buf, '\n') == buf + strlen(buf) - 1,
                  "%s %s: rc %d: '%s'", cases[k][0], cases[k][1], rc, buf);
    }
    ptc_check(ctx, count_lines(rows) == 0, "a refused sweep wrote rows");
    ptc_test_rm_rf(dir);
}

PTC_TEST(predict_variant)
{
    char dir[512], in[600], outp[600], buf[8192];
    ptc_test_tmp_dir(dir, sizeof dir, "predict-variant");
    if (!train_baseline(ctx, dir))
        return;
    snprintf(in, sizeof in, "%s/in.tsv", dir);
    snprintf(outp, sizeof outp, "%s/out.tsv", dir);
    FILE *f = fopen(in, "w");
    fputs("filler1 core2x0 filler7 filler3 filler9\ncore0x1 filler3\n", f);
    fclose(f);
    char *a1[] = {"predict", "--run", dir, "--input", in, "--output", outp, "--variant", "PF",
                  "--p", "0.5", NULL};
    int rc = ptc_test_run_captured(ptc_predict_main, a1, buf, sizeof buf);
    ptc_check(ctx, rc == 0 && count_lines(outp) == 3, "predict PF: rc %d: '%s'", rc, buf);
    char *a2[] = {"predict", "--run", dir, "--input", in, "--output", outp, "--variant", "PF",
                  "--p", "0.5,0.7", NULL};
    rc = ptc_test_run_captured(ptc_predict_main, a2, buf, sizeof buf);
    ptc_check(ctx, rc != 0 && strstr(buf, "point"), "predict sweep refused: rc %d: '%s'", rc, buf);
    char *a3[] = {"predict", "--run", dir, "--input", in, "--variant", "C", NULL};
    rc = ptc_test_run_captured(ptc_predict_main, a3, buf, sizeof buf);
    ptc_check(ctx, rc != 0 && strstr(buf, "combining"), "predict C refused: rc %d: '%s'", rc, buf);
    ptc_test_rm_rf(dir);
}

/* the kept rows per layer (tokens_mean) of point k of a sweep JSON into t[4] */
static bool point_tokens(json_t *all, size_t k, double t[4])
{
    json_t *toks = json_object_get(json_array_get(all, k), "tokens_mean");
    for (size_t s = 0; s < 4; s++)
        t[s] = json_number_value(json_array_get(toks, s));
    return json_array_size(toks) == 4;
}

/* the labels of the rows file into labels[n] and their distinct config ids */
static size_t row_labels(const char *path, char labels[][64], size_t max, bool *ids_distinct)
{
    FILE *f = fopen(path, "r");
    char line[16384], ids[8][512];
    size_t n = 0;
    *ids_distinct = true;
    while (f && n < max && fgets(line, sizeof line, f)) {
        json_t *row = json_loads(line, 0, NULL);
        snprintf(labels[n], 64, "%s", json_string_value(json_object_get(row, "label")) ?: "?");
        snprintf(ids[n], sizeof ids[n], "%s", json_string_value(json_object_get(row, "config_id")) ?: "?");
        for (size_t i = 0; i < n; i++)
            *ids_distinct &= strcmp(ids[i], ids[n]) != 0;
        json_decref(row);
        n++;
    }
    if (f)
        fclose(f);
    return n;
}

PTC_TEST(eval_token_sweep)
{
    char dir[512], json[600], rows[600], in[600], buf[8192], labels[8][64];
    ptc_test_tmp_dir(dir, sizeof dir, "token-sweep");
    if (!train_baseline(ctx, dir))
        return;
    snprintf(json, sizeof json, "%s/sweep.json", dir);
    snprintf(rows, sizeof rows, "%s/rows.jsonl", dir);
    char *a1[] = {"eval", "--run", dir, "--variant", "TopK", "--keep-ratios", "0.9,0.5;0.7",
                  "--json", json, "--rows", rows, "--threads", "1", NULL};
    int rc = ptc_test_run_io(ptc_eval_main, a1, NULL, 0, buf, sizeof buf);
    if (!ptc_check(ctx, rc == 0, "eval TopK sweep: rc %d: %s", rc, buf))
        return;
    json_t *all = json_load_file(json, 0, NULL);
    double t0[4], t1[4];
    if (ptc_check(ctx, json_array_size(all) == 2 && point_tokens(all, 0, t0) && point_tokens(all, 1, t1),
                  "TopK: 2 points of 4 layers")) {
        ptc_check(ctx, t0[1] == t0[0] && t0[2] < t0[1] && t0[3] < t0[2] && t0[3] < 0.6 * t0[2] + 1,
                  "k0.9,0.5: %.2f %.2f %.2f %.2f", t0[0], t0[1], t0[2], t0[3]);
        ptc_check(ctx, t1[2] < t0[2] && t1[3] < t1[2] && t1[3] > t0[3],
                  "k0.7: %.2f %.2f %.2f %.2f", t1[0], t1[1], t1[2], t1[3]);
        json_t *k = json_object_get(json_array_get(all, 0), "keep_ratios");
        ptc_check(ctx, json_array_size(k) == 2 && json_number_value(json_array_get(k, 1)) == 0.5,
                  "keep_ratios by removing layer");
    }
    json_decref(all);
    char *a2[] = {"eval", "--run", dir, "--variant", "ToMe", "--tome-r", "2,8", "--json", json,
                  "--rows", rows, "--threads", "1", NULL};
    rc = ptc_test_run_io(ptc_eval_main, a2, NULL, 0, buf, sizeof buf);
    all = json_load_file(json, 0, NULL);
    if (ptc_check(ctx, rc == 0 && json_array_size(all) == 2 && point_tokens(all, 0, t0) &&
                       point_tokens(all, 1, t1), "eval ToMe sweep: rc %d: %s", rc, buf))
        ptc_check(ctx, t0[2] < t0[1] && t1[2] < t0[2] && t1[3] < t0[3],
                  "r 2 then 8: last layer %.2f then %.2f rows", t0[3], t1[3]);
    json_decref(all);
    bool distinct;
    const size_t n = row_labels(rows, labels, 8, &distinct);
    ptc_check(ctx, n == 4 && strcmp(labels[0], "TopK k0.9,0.5") == 0 && strcmp(labels[1], "TopK k0.7") == 0 &&
                   strcmp(labels[2], "ToMe r2") == 0 && strcmp(labels[3], "ToMe r8") == 0 && distinct,
              "rows: %zu, labels '%s' '%s' '%s' '%s', ids distinct %d", n, labels[0], labels[1],
              labels[2], labels[3], distinct);
    snprintf(in, sizeof in, "%s/in.tsv", dir);
    FILE *f = fopen(in, "w");
    fputs("filler1 core2x0 filler7 filler3 filler9 filler2 filler4 filler8\n", f);
    fclose(f);
    char outp[600];
    snprintf(outp, sizeof outp, "%s/out.tsv", dir);
    char *a3[] = {"predict", "--run", dir, "--input", in, "--output", outp, "--variant", "ToMe",
                  "--tome-r", "4", NULL};
    rc = ptc_test_run_captured(ptc_predict_main, a3, buf, sizeof buf);
    ptc_check(ctx, rc == 0 && count_lines(outp) == 2, "predict ToMe: rc %d: '%.200s'", rc, buf);
    static const char *const refused[][5] = {
        {"--variant", "LTP", NULL, NULL, "learned thresholds"},
        {"--variant", "PF", "--keep-ratios", "0.8", "TopK"},
        {"--variant", "TopK", "--tome-r", "4", "ToMe"},
        {"--variant", "TopK", "--keep-ratios", "0.9;1.5", "(0, 1]"},
    };
    for (size_t k = 0; k < sizeof refused / sizeof *refused; k++) {
        char *argv[] = {"eval", "--run", dir, "--rows", rows, "--threads", "1", (char *)refused[k][0],
                        (char *)refused[k][1], (char *)refused[k][2], (char *)refused[k][3], NULL};
        rc = ptc_test_run_io(ptc_eval_main, argv, NULL, 0, buf, sizeof buf);
        ptc_check(ctx, rc != 0 && strstr(buf, refused[k][4]) && strchr(buf, '\n') == buf + strlen(buf) - 1,
                  "%s %s: rc %d: '%s'", refused[k][1], refused[k][2] ? refused[k][2] : "", rc, buf);
    }
    ptc_check(ctx, count_lines(rows) == 4, "refused runs wrote no rows: %zu lines", count_lines(rows));
    ptc_test_rm_rf(dir);
}
