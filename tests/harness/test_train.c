/*
 * tests/harness/test_train.c — `ptc train`, `ptc eval`, `ptc predict` at the
 * command level (the entry functions of harness/learn/train.h, in process).
 *
 *   train_synthetic_learns   a short seeded run on the built-in synthetic dataset
 *                            (4 classes, chance 0.25) reaches test accuracy > 0.6
 *                            for baseline and for PFC (pruning in layer 2 and the
 *                            combining module at L_c = 4); eval's JSON has the
 *                            metrics, a confusion matrix summing to the split size
 *                            and keys kept per step (fewer in PFC's pruned layer
 *                            3 than in layer 1); --out's missing parents are created
 *   train_resume_identical   16 steps straight vs 5 steps (--max-steps, mid-epoch)
 *                            + --resume: byte-identical last and best checkpoints
 *                            (dropout and Gumbel noise on)
 *   train_errors             missing file, bad dataset line (file:line: reason),
 *                            eval with a mismatched shape, --resume without state,
 *                            unknown option: non-zero exits and one-line messages
 *   predict_tsv              predict writes a header and one row per input line
 * Run folders go to $TMPDIR (default /tmp).
 */
#include "../ptc_test.h"
#include "learn/train.h"
#include "report/report.h"
#include "harness_util.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TINY_MODEL "--model", "bert-tiny", "--hidden", "32", "--heads", "2", "--ffn", "64"
#define SYNTH "--data", "synthetic", "--synthetic-train", "256", "--synthetic-dev", "64", \
              "--synthetic-test", "128", "--max-len", "128"

/* keys[0..*steps): eval's keys_mean, keys attended per (sample, head) by step */
static double eval_accuracy(ptc_test_ctx *ctx, const char *dir, size_t *steps, double *keys)
{
    char json[700], buf[4096];
    snprintf(json, sizeof json, "%s/eval.json", dir);
    char *argv[] = {"eval", "--run", (char *)dir, "--json", json, "--threads", "1", NULL};
    fflush(stdout);
    const int saved = dup(1), nul = open("/dev/null", O_WRONLY);
    dup2(nul, 1);
    close(nul);
    const int rc = ptc_test_run_captured(ptc_eval_main, argv, buf, sizeof buf);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    if (!ptc_check(ctx, rc == 0, "eval %s: rc %d: %s", dir, rc, buf))
        return 0;
    json_error_t je;
    json_t *j = json_load_file(json, 0, &je);
    if (!ptc_check(ctx, j != NULL, "eval json: %s", je.text))
        return 0;
    const double acc = json_number_value(json_object_get(j, "accuracy"));
    json_t *conf = json_object_get(j, "confusion");
    size_t total = 0;
    for (size_t i = 0; i < json_array_size(conf); i++)
        for (size_t k = 0; k < json_array_size(json_array_get(conf, i)); k++)
            total += (size_t)json_integer_value(json_array_get(json_array_get(conf, i), k));
    ptc_check(ctx, total == 128 && json_array_size(conf) == 4, "confusion sums to %zu", total);
    ptc_check(ctx, json_number_value(json_object_get(j, "macro_f1")) > 0 &&
                   fabs(json_number_value(json_object_get(j, "micro_f1")) - acc) < 1e-9,
              "F1 fields");
    json_t *km = json_object_get(j, "keys_mean");
    *steps = json_array_size(km);
    for (size_t i = 0; i < *steps && i <= PTC_MAX_LAYERS; i++)
        keys[i] = json_number_value(json_array_get(km, i));
    json_decref(j);
    return acc;
}

PTC_TEST(train_synthetic_learns)
{
    static const struct {
        const char *variant, *layers, *lc;
    } runs[] = {{"baseline", "2", NULL}, {"PFC", "4", "4"}};
    for (size_t k = 0; k < 2; k++) {
        char top[512], dir[600], buf[8192];
        ptc_test_tmp_dir(top, sizeof top, runs[k].variant);
        ptc_test_rm_rf(top);
        snprintf(dir, sizeof dir, "%s/runs/demo", top); /* parents created by train */
        char *argv[64] = {"train", SYNTH, TINY_MODEL, "--layers", (char *)runs[k].layers,
                          "--variant", (char *)runs[k].variant, "--epochs", k ? "12" : "8",
                          "--lr", k ? "5e-3" : "3e-3", "--dropout", "0", "--p", "0.7",
                          "--batch", "16", "--seed", "3", "--threads", "1", "--no-progress",
                          "--out", dir, NULL};
        int a = 0;
        while (argv[a])
            a++;
        if (runs[k].lc) {
            argv[a++] = "--lc";
            argv[a++] = (char *)runs[k].lc;
        }
        argv[a] = NULL;
        const int rc = ptc_test_run_captured(ptc_train_main, argv, buf, sizeof buf);
        if (!ptc_check(ctx, rc == 0, "train %s: rc %d: %s", runs[k].variant, rc, buf))
            continue;
        ptc_check(ctx, strstr(buf, "epoch 1/") && strstr(buf, "dev loss"), "%s: no epoch lines: %s",
                  runs[k].variant, buf);
        size_t steps = 0;
        double keys[PTC_MAX_LAYERS + 1] = {0};
        const double acc = eval_accuracy(ctx, dir, &steps, keys);
        ptc_check(ctx, acc > 0.6, "%s: test accuracy %.3f (chance 0.25)", runs[k].variant, acc);
        ptc_check(ctx, steps == (k ? 4u : 2u), "%s: %zu steps of kept keys", runs[k].variant, steps);
        /* baseline attends every key in both layers; PFC (L1, L2 selects, L3 pruned, C) fewer
         * in layer 3 than in layer 1, none in the combining step */
        if (k == 0)
            ptc_check(ctx, keys[0] > 1 && keys[1] == keys[0], "baseline keys by step %.2f %.2f",
                      keys[0], keys[1]);
        else
            ptc_check(ctx, keys[0] > 1 && keys[1] == keys[0] && keys[2] < keys[0] &&
                               keys[2] >= 0.7 * keys[0] - 1 && keys[3] == 0,
                      "PFC keys by step %.2f %.2f %.2f %.2f", keys[0], keys[1], keys[2], keys[3]);
        char path[700];
        snprintf(path, sizeof path, "%s/train_log.jsonl", dir);
        FILE *f = fopen(path, "r");
        size_t vals = 0, lines = 0;
        char line[1024];
        while (f && fgets(line, sizeof line, f)) {
            lines++;
            vals += strstr(line, "\"type\":\"val\"") != NULL;
        }
        if (f)
            fclose(f);
        ptc_check(ctx, vals == (k ? 12u : 8u) && lines > vals, "%s: log has %zu lines, %zu validations",
                  runs[k].variant, lines, vals);
        if (getenv("PTC_TEST_VERBOSE"))
            printf("  %s: test accuracy %.4f\n", runs[k].variant, acc);
        ptc_test_rm_rf(top);
    }
}

static bool same_file(const char *a, const char *b)
{
    FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
    bool same = x && y;
    while (same) {
        const int c = fgetc(x), d = fgetc(y);
        if (c != d)
            same = false;
        if (c == EOF || d == EOF)
            break;
    }
    if (x)
        fclose(x);
    if (y)
        fclose(y);
    return same;
}

PTC_TEST(train_resume_identical)
{
    char straight[512], resumed[512], buf[8192];
    ptc_test_tmp_dir(straight, sizeof straight, "straight");
    ptc_test_tmp_dir(resumed, sizeof resumed, "resumed");
    ptc_test_rm_rf(straight);
    ptc_test_rm_rf(resumed);
#define RESUME_ARGS "train", "--data", "synthetic", "--synthetic-train", "120", "--synthetic-dev", "32", \
                    "--synthetic-test", "32", "--max-len", "64", TINY_MODEL, "--layers", "4",           \
                    "--variant", "PFC", "--lc", "4", "--p", "0.7", "--epochs", "2", "--batch", "16",    \
                    "--lr", "3e-3", "--seed", "5", "--threads", "1", "--no-progress"
    char *a1[] = {RESUME_ARGS, "--out", straight, NULL};
    int rc = ptc_test_run_captured(ptc_train_main, a1, buf, sizeof buf);
    ptc_check(ctx, rc == 0, "straight: rc %d: %s", rc, buf);
    char *a2[] = {RESUME_ARGS, "--out", resumed, "--max-steps", "5", NULL};
    rc = ptc_test_run_captured(ptc_train_main, a2, buf, sizeof buf);
    ptc_check(ctx, rc == 0 && strstr(buf, "stopped at step 5"), "first half: rc %d: %s", rc, buf);
    char *a3[] = {RESUME_ARGS, "--out", resumed, "--resume", NULL};
    rc = ptc_test_run_captured(ptc_train_main, a3, buf, sizeof buf);
    ptc_check(ctx, rc == 0 && strstr(buf, "resuming"), "resume: rc %d: %s", rc, buf);
    static const char *const files[] = {"last/model.safetensors", "best.safetensors"};
    for (size_t i = 0; i < 2; i++) {
        char p1[600], p2[600];
        snprintf(p1, sizeof p1, "%s/%s", straight, files[i]);
        snprintf(p2, sizeof p2, "%s/%s", resumed, files[i]);
        ptc_check(ctx, same_file(p1, p2), "%s differs after --resume", files[i]);
    }
    /* a different seed is refused on resume */
    char *a4[] = {RESUME_ARGS, "--out", resumed, "--resume", "--seed", "6", NULL};
    rc = ptc_test_run_captured(ptc_train_main, a4, buf, sizeof buf);
    ptc_check(ctx, rc != 0 && strstr(buf, "--seed"), "resume with another seed: rc %d: %s", rc, buf);
    ptc_test_rm_rf(straight);
    ptc_test_rm_rf(resumed);
#undef RESUME_ARGS
}

PTC_TEST(train_errors)
{
    char dir[512], tsv[600], labels[600], buf[8192];
    ptc_test_tmp_dir(dir, sizeof dir, "errors");
    ptc_test_rm_rf(dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0)
        return;
    snprintf(tsv, sizeof tsv, "%s/bad.tsv", dir);
    snprintf(labels, sizeof labels, "%s/labels.txt", dir);
    FILE *f = fopen(tsv, "w");
    fputs("0\tfiller1 core0x1\n7\tfiller2 core1x0\n", f);
    fclose(f);
    f = fopen(labels, "w");
    fputs("a\nb\n", f);
    fclose(f);
    char out[600];
    snprintf(out, sizeof out, "%s/run", dir);
    /* the synthetic vocabulary stands in for a vocab file: --data synthetic with --train */
    char *a1[] = {"train", "--train", tsv, "--labels", labels, "--vocab", "tests/data/vocab_tiny.txt",
                  "--out", out, "--no-progress", NULL};
    int rc = ptc_test_run_captured(ptc_train_main, a1, buf, sizeof buf);
    char want[700];
    snprintf(want, sizeof want, "%s:2: label 7 out of range", tsv);
    ptc_check(ctx, rc == 1 && strstr(buf, want), "bad line: rc %d: '%s'", rc, buf);
    char *a2[] = {"train", "--train", "/nonexistent/train.tsv", "--labels", labels, "--vocab",
                  "tests/data/vocab_tiny.txt", "--out", out, NULL};
    rc = ptc_test_run_captured(ptc_train_main, a2, buf, sizeof buf);
    ptc_check(ctx, rc == 1 && strstr(buf, "/nonexistent/train.tsv: cannot open") &&
                   strchr(buf, '\n') == buf + strlen(buf) - 1,
              "missing file: rc %d: '%s'", rc, buf);
    char *a3[] = {"train", SYNTH, "--out", out, "--frobnicate", NULL};
    rc = ptc_test_run_captured(ptc_train_main, a3, buf, sizeof buf);
    ptc_check(ctx, rc == 2 && strstr(buf, "--frobnicate"), "unknown option: rc %d: '%s'", rc, buf);
    char *a4[] = {"train", SYNTH, TINY_MODEL, "--layers", "2", "--out", out, "--resume", NULL};
    rc = ptc_test_run_captured(ptc_train_main, a4, buf, sizeof buf);
    ptc_check(ctx, rc == 1 && strstr(buf, "nothing to resume"), "resume without state: rc %d: '%s'", rc, buf);
    /* a real run, then eval with a shape that does not match its checkpoint */
    char *a5[] = {"train", SYNTH, TINY_MODEL, "--layers", "2", "--epochs", "1", "--out", out,
                  "--threads", "1", "--quiet", NULL};
    rc = ptc_test_run_captured(ptc_train_main, a5, buf, sizeof buf);
    ptc_check(ctx, rc == 0, "train: rc %d: '%s'", rc, buf);
    char *a6[] = {"eval", "--run", out, "--hidden", "64", NULL};
    rc = ptc_test_run_captured(ptc_eval_main, a6, buf, sizeof buf);
    ptc_check(ctx, rc == 1 && strstr(buf, "config mismatch") && strstr(buf, "hidden 32"),
              "mismatched eval: rc %d: '%s'", rc, buf);
    char *a7[] = {"eval", "--checkpoint", "/nonexistent/x.safetensors", SYNTH, NULL};
    rc = ptc_test_run_captured(ptc_eval_main, a7, buf, sizeof buf);
    ptc_check(ctx, rc == 1 && strstr(buf, "/nonexistent/x.safetensors"), "missing checkpoint: rc %d: '%s'",
              rc, buf);
    ptc_test_rm_rf(dir);
}

PTC_TEST(predict_tsv)
{
    char dir[512], in[600], outp[600], buf[8192];
    ptc_test_tmp_dir(dir, sizeof dir, "predict");
    ptc_test_rm_rf(dir);
    char *a1[] = {"train", SYNTH, TINY_MODEL, "--layers", "2", "--epochs", "1", "--out", dir,
                  "--threads", "1", "--quiet", NULL};
    int rc = ptc_test_run_captured(ptc_train_main, a1, buf, sizeof buf);
    if (!ptc_check(ctx, rc == 0, "train: rc %d: '%s'", rc, buf))
        return;
    snprintf(in, sizeof in, "%s/in.tsv", dir);
    snprintf(outp, sizeof outp, "%s/out.tsv", dir);
    FILE *f = fopen(in, "w");
    fputs("filler1 core2x0 filler7\n1\tcore0x1 filler3\nunknown words here\n", f);
    fclose(f);
    char *a2[] = {"predict", "--run", dir, "--input", in, "--output", outp, NULL};
    rc = ptc_test_run_captured(ptc_predict_main, a2, buf, sizeof buf);
    ptc_check(ctx, rc == 0, "predict: rc %d: '%s'", rc, buf);
    f = fopen(outp, "r");
    char line[1024];
    size_t lines = 0;
    bool header = false;
    while (f && fgets(line, sizeof line, f)) {
        if (lines == 0)
            header = strncmp(line, "line\tpredicted\tlabel\tlogit_class0", 33) == 0;
        lines++;
    }
    if (f)
        fclose(f);
    ptc_check(ctx, lines == 4 && header, "predict output: %zu lines, header %d", lines, header);
    ptc_test_rm_rf(dir);
}

/* `ptc table --kind accuracy` on experiment-style rows: two seeds of BERT and PF
 * pool into mean ± sd; train rows give the training speedup. */
PTC_TEST(table_accuracy_kind)
{
    char dir[512], rows[600], out[600], buf[4096];
    ptc_test_tmp_dir(dir, sizeof dir, "table");
    ptc_test_rm_rf(dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0)
        return;
    snprintf(rows, sizeof rows, "%s/rows.jsonl", dir);
    snprintf(out, sizeof out, "%s/table.csv", dir);
    FILE *f = fopen(rows, "w");
    static const char *const fmt =
        "{\"schema\":\"ptc.row/1\",\"status\":\"ok\",\"run\":\"r\",\"dataset\":\"bbc\",\"model\":\"bert-tiny\","
        "\"seq\":256,\"label\":\"%s\",\"variant\":\"%s\",\"p\":%s,\"seed\":%d,\"phase\":\"%s\","
        "\"accuracy\":%g,\"macro_f1\":%g,\"micro_f1\":%g,\"flops_ratio\":%g,\"memory_ratio\":%g,"
        "\"speedup\":{\"median\":%g}}\n";
    fprintf(f, fmt, "BERT", "baseline", "null", 1, "infer", 0.90, 0.89, 0.90, 1.0, 1.0, 1.0);
    fprintf(f, fmt, "BERT", "baseline", "null", 2, "infer", 0.94, 0.93, 0.94, 1.0, 1.0, 1.0);
    fprintf(f, fmt, "PF", "prune", "0.9", 1, "infer", 0.92, 0.91, 0.92, 0.8, 0.7, 1.2);
    fprintf(f, fmt, "PF", "prune", "0.9", 2, "infer", 0.96, 0.95, 0.96, 0.8, 0.7, 1.4);
    fprintf(f, fmt, "PF", "prune", "0.9", 1, "train", 0.92, 0.91, 0.92, 0.8, 0.7, 1.1);
    fclose(f);
    char *argv[] = {"table", "--kind", "accuracy", "--format", "csv", "--out", out, rows, NULL};
    int rc = ptc_test_run_captured(ptc_table_main, argv, buf, sizeof buf);
    ptc_check(ctx, rc == 0, "table: rc %d: %s", rc, buf);
    f = fopen(out, "r");
    char line[3][512] = {"", "", ""};
    for (int i = 0; f && i < 3 && fgets(line[i], sizeof line[i], f); i++)
        ;
    if (f)
        fclose(f);
    ptc_check(ctx, strncmp(line[0], "label,accuracy_mean,accuracy_sd,seeds", 37) == 0, "header '%s'", line[0]);
    /* label, acc mean, sd, n, mF1 mean, sd, n, uF1 mean, sd, n, flops, memory, speedup inf, train */
    double v[2][13];
    int got[2];
    for (int k = 0; k < 2; k++) {
        char *c = strchr(line[k + 1], ',');
        got[k] = 0;
        while (c && got[k] < 13) {
            v[k][got[k]++] = c[1] == ',' || c[1] == '\n' ? NAN : strtod(c + 1, NULL);
            c = strchr(c + 1, ',');
        }
    }
    ptc_check(ctx, strncmp(line[1], "BERT,", 5) == 0 && got[0] == 13 && fabs(v[0][0] - 0.92) < 1e-12 &&
                   fabs(v[0][1] - 0.0282842712474619) < 1e-12 && v[0][2] == 2 && v[0][11] == 1 &&
                   isnan(v[0][12]),
              "BERT line '%s'", line[1]);
    ptc_check(ctx, strncmp(line[2], "PF,", 3) == 0 && got[1] == 13 && fabs(v[1][0] - 0.94) < 1e-12 &&
                   fabs(v[1][9] - 0.8) < 1e-12 && fabs(v[1][10] - 0.7) < 1e-12 &&
                   fabs(v[1][11] - 1.3) < 1e-12 && fabs(v[1][12] - 1.1) < 1e-12,
              "PF line '%s'", line[2]);
    ptc_test_rm_rf(dir);
}

/* `ptc plot` on experiment-style rows writes the two accuracy plots' scripts and data. */
PTC_TEST(plot_accuracy)
{
    char dir[512], rows[600], out[600], buf[4096];
    ptc_test_tmp_dir(dir, sizeof dir, "plot");
    ptc_test_rm_rf(dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0)
        return;
    snprintf(rows, sizeof rows, "%s/rows.jsonl", dir);
    snprintf(out, sizeof out, "%s/plots", dir);
    FILE *f = fopen(rows, "w");
    static const char *const fmt =
        "{\"schema\":\"ptc.row/1\",\"status\":\"ok\",\"run\":\"r\",\"dataset\":\"bbc\",\"label\":\"%s\","
        "\"variant\":\"%s\",\"p\":%s,\"seed\":%d,\"phase\":\"infer\",\"accuracy\":%g,"
        "\"speedup\":{\"median\":%g}}\n";
    fprintf(f, fmt, "BERT", "baseline", "null", 1, 0.90, 1.0);
    fprintf(f, fmt, "PF", "prune", "0.9", 1, 0.92, 1.1);
    fprintf(f, fmt, "PF", "prune", "0.7", 1, 0.91, 1.3);
    fprintf(f, fmt, "PF", "prune", "0.7", 2, 0.93, 1.3);
    fclose(f);
    char *argv[] = {"plot", "--no-render", "--out", out, rows, NULL};
    fflush(stdout);
    const int saved = dup(1), nul = open("/dev/null", O_WRONLY);
    dup2(nul, 1);
    close(nul);
    int rc = ptc_test_run_captured(ptc_plot_main, argv, buf, sizeof buf);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    ptc_check(ctx, rc == 0, "plot: rc %d: %s", rc, buf);
    char path[700], line[256];
    snprintf(path, sizeof path, "%s/accuracy_vs_p-bbc.dat", out);
    f = fopen(path, "r");
    size_t data = 0;
    bool p07 = false;
    while (f && fgets(line, sizeof line, f))
        if (line[0] != '#' && line[0] != '\n') {
            data++; /* p 0.7: seeds 91 and 93 pooled: mean 92, 95% t-interval 92 -+ 12.706 */
            p07 |= strncmp(line, "0.7 92 79.29", 12) == 0;
        }
    if (f)
        fclose(f);
    ptc_check(ctx, data == 2 && p07, "accuracy_vs_p-bbc.dat: %zu points, p 0.7 pooled %d", data, p07);
    snprintf(path, sizeof path, "%s/accuracy_vs_speedup-bbc.gp", out);
    ptc_check(ctx, access(path, R_OK) == 0, "no %s", path);
    ptc_test_rm_rf(dir);
}
