/*
 * tests/harness/test_table_paper.c — `ptc table --kind tests|table2|table4` on
 * hand-made accuracy rows and predictions files (issue 12 items 3-4):
 *
 *   table_paper_tests   bbc, 3 seeds, 100 test documents: BERT right on 70; PF right on
 *                       the same 70 and 20 more (the paper's direction: confirmed,
 *                       Δ +20 pp, McNemar p = 2 * 0.5^20 per seed); P wrong on 20 of
 *                       BERT's (the paper says P > BERT: not confirmed); "C L3" of a
 *                       4-layer model (the paper's C L11) equal to BERT: within noise;
 *                       accuracy intervals over seeds; predictions paths relative to
 *                       the rows file
 *   plot_paper_ci       `ptc plot` writes accuracy_vs_speedup-bbc with both intervals
 *   table_paper_layouts table2 has a row per variant and, with --paper, the published
 *                       BBC numbers beside; table4 lists p with the paper's columns;
 *                       LaTeX renders; no accuracy rows is a one-line error
 */
#include "../ptc_test.h"
#include "harness_util.h"
#include "report/report.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

/* writes rows (infer + train per run) and predictions: right[d] of each variant */
static void write_fixture(const char *dir)
{
    char path[700];
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/predictions", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/rows.jsonl", dir);
    FILE *rows = fopen(path, "w");
    static const struct {
        const char *label, *variant, *p, *lc, *m;
        int right_lo, right_hi, wrong_lo, wrong_hi; /* docs [lo, hi) right, then [wlo, whi) wrong within */
        double acc[3], time;
    } v[] = {
        {"BERT", "baseline", "null", "null", "null", 0, 70, 0, 0, {0.70, 0.70, 0.70}, 1.0},
        {"PF", "prune", "0.9", "null", "null", 0, 90, 0, 0, {0.90, 0.90, 0.90}, 0.8},
        {"P", "prune", "0.9", "null", "null", 0, 70, 0, 20, {0.50, 0.50, 0.50}, 0.9},
        {"C L3", "combine", "null", "3", "8", 0, 70, 0, 0, {0.70, 0.70, 0.70}, 0.5},
    };
    for (size_t k = 0; k < 4; k++)
        for (int seed = 1; seed <= 3; seed++) {
            char pred[700], rel[200];
            snprintf(rel, sizeof rel, "predictions/v%zu-s%d.tsv", k, seed);
            snprintf(pred, sizeof pred, "%s/%s", dir, rel);
            FILE *f = fopen(pred, "w");
            fprintf(f, "doc\tlabel\tpredicted\n");
            for (int d = 0; d < 100; d++) {
                const bool right = d >= v[k].right_lo && d < v[k].right_hi &&
                                   !(d >= v[k].wrong_lo && d < v[k].wrong_hi);
                fprintf(f, "%d\t%d\t%d\n", d, d % 3, right ? d % 3 : (d + 1) % 3);
            }
            fclose(f);
            for (int phase = 0; phase < 2; phase++)
                fprintf(rows,
                        "{\"schema\":\"ptc.row/1\",\"status\":\"ok\",\"run\":\"r\",\"config_id\":\"%s-%d;"
                        "phase=%s\",\"phase\":\"%s\",\"dataset\":\"bbc\",\"label\":\"%s\",\"variant\":\"%s\","
                        "\"p\":%s,\"lc\":%s,\"m\":%s,\"layers\":4,\"seed\":%d,\"accuracy\":%g,\"macro_f1\":%g,"
                        "\"time_s\":{\"median\":%g,\"cv\":0.01,\"n\":10},\"memory\":{\"activations\":100,"
                        "\"train_arena\":%g},\"predictions\":\"%s\",\"sweep\":\"train\"}\n",
                        v[k].label, seed, phase ? "infer" : "train", phase ? "infer" : "train", v[k].label,
                        v[k].variant, v[k].p, v[k].lc, v[k].m, seed, v[k].acc[seed - 1] + 0.001 * seed,
                        v[k].acc[seed - 1], v[k].time * (1 + 0.01 * seed), 1000 * v[k].time, rel);
        }
    fclose(rows);
}

/* the CSV line whose first fields start with `prefix` */
static bool csv_line(const char *path, const char *prefix, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(out, (int)len, f))
        found = strncmp(out, prefix, strlen(prefix)) == 0;
    if (f)
        fclose(f);
    return found;
}

PTC_TEST(table_paper_tests)
{
    char dir[512], csv[600], buf[8192], line[2048];
    ptc_test_tmp_dir(dir, sizeof dir, "table-paper");
    ptc_test_rm_rf(dir);
    write_fixture(dir);
    snprintf(csv, sizeof csv, "%s/tests.csv", dir);
    char *argv[] = {"table", "--kind", "tests", "--format", "csv", "--out", csv, dir, NULL};
    const int rc = ptc_test_run_captured(ptc_table_main, argv, buf, sizeof buf);
    if (!ptc_check(ctx, rc == 0, "table --kind tests: rc %d: %s", rc, buf))
        return;
    ptc_check(ctx, csv_line(csv, "bbc,PF,", line, sizeof line) && strstr(line, ",confirmed,"),
              "PF: '%s'", line);
    /* Δ = +20 pp exactly; McNemar (20, 0) per seed = 2^-19 */
    char want[64];
    snprintf(want, sizeof want, "%.3g %.3g %.3g", ldexp(1, -19), ldexp(1, -19), ldexp(1, -19));
    ptc_check(ctx, strstr(line, ",20,") && strstr(line, want), "PF: Δ 20 and McNemar %s: '%s'", want, line);
    ptc_check(ctx, csv_line(csv, "bbc,P,", line, sizeof line) && strstr(line, ",not confirmed,") &&
                   strstr(line, ",-20,"), "P: '%s'", line);
    ptc_check(ctx, csv_line(csv, "bbc,C L3,", line, sizeof line) && strstr(line, ",within noise,"),
              "C L3: '%s'", line);
    /* BERT's accuracy: 70.1, 70.2, 70.3: mean 70.2, sd 0.1, interval 70.2 ± 4.303 * 0.1 / sqrt 3 */
    ptc_check(ctx, csv_line(csv, "bbc,BERT,", line, sizeof line) && strstr(line, ",70.1999") &&
                   strstr(line, ",69.95"), "BERT: '%s'", line);
    ptc_test_rm_rf(dir);
}

PTC_TEST(table_paper_layouts)
{
    char dir[512], out[600], buf[8192], text[16384];
    ptc_test_tmp_dir(dir, sizeof dir, "table-paper-layouts");
    ptc_test_rm_rf(dir);
    write_fixture(dir);
    snprintf(out, sizeof out, "%s/t.md", dir);
    char *a2[] = {"table", "--kind", "table2", "--paper", "--out", out, dir, NULL};
    int rc = ptc_test_run_captured(ptc_table_main, a2, buf, sizeof buf);
    FILE *f = fopen(out, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    ptc_check(ctx, rc == 0 && strstr(text, "| BERT | 70.2 ± 0.1 | 96.2 |") &&
                   strstr(text, "| PF | 90.2 ± 0.1 | 97.9 |") && strstr(text, "| C L3 | 70.2 ± 0.1 | 96.8 |"),
              "table2: rc %d: %s", rc, text);
    char *a4[] = {"table", "--kind", "table4", "--paper", "--format", "latex", "--out", out, dir, NULL};
    rc = ptc_test_run_captured(ptc_table_main, a4, buf, sizeof buf);
    f = fopen(out, "r");
    n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    ptc_check(ctx, rc == 0 && strstr(text, "\\begin{table}") && strstr(text, "97.9") && strstr(text, "0.86"),
              "table4 latex: rc %d: %s", rc, text);
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty.jsonl", dir);
    f = fopen(empty, "w");
    fputs("{\"schema\":\"ptc.row/1\",\"status\":\"ok\",\"phase\":\"infer\",\"label\":\"x\"}\n", f);
    fclose(f);
    char *a5[] = {"table", "--kind", "table2", empty, NULL};
    rc = ptc_test_run_captured(ptc_table_main, a5, buf, sizeof buf);
    ptc_check(ctx, rc == 1 && strstr(buf, "no accuracy rows"), "no rows: rc %d: '%s'", rc, buf);
    ptc_test_rm_rf(dir);
}

/* `ptc plot` on the same rows writes accuracy_vs_speedup-bbc with both intervals per point
 * (PF: accuracy 90.2 with its t-interval, speedup 1.25 = BERT's median / PF's) and skips
 * the sweep plots that have one point */
PTC_TEST(plot_paper_ci)
{
    char dir[512], out[600], path[700], buf[8192], line[512];
    ptc_test_tmp_dir(dir, sizeof dir, "plot-paper");
    ptc_test_rm_rf(dir);
    write_fixture(dir);
    snprintf(out, sizeof out, "%s/plots", dir);
    char *argv[] = {"plot", "--no-render", "--out", out, dir, NULL};
    char sout[8192];
    const int rc = ptc_test_run_io(ptc_plot_main, argv, sout, sizeof sout, buf, sizeof buf);
    ptc_check(ctx, rc == 0 && strstr(sout, "skipped table4_p"), "plot: rc %d: %s %s", rc, sout, buf);
    snprintf(path, sizeof path, "%s/accuracy_vs_speedup-bbc.dat", out);
    FILE *f = fopen(path, "r");
    size_t points = 0;
    bool pf = false, in_pf = false;
    while (f && fgets(line, sizeof line, f)) {
        double sp, slo, shi, acc, alo, ahi;
        if (strncmp(line, "# series:", 9) == 0)
            in_pf = strcmp(line, "# series: PF\n") == 0;
        if (line[0] == '#' || sscanf(line, "%lf %lf %lf %lf %lf %lf", &sp, &slo, &shi, &acc, &alo, &ahi) != 6)
            continue;
        points++;
        if (in_pf)
            pf = fabs(sp - 1.25) < 0.01 && slo <= sp && shi >= sp && fabs(acc - 90.2) < 1e-9 &&
                 fabs(alo - (90.2 - 4.303 * 0.1 / sqrt(3.0))) < 1e-3 && ahi > acc;
    }
    if (f)
        fclose(f);
    /* BERT is the reference line, not a point: P, PF, C L3 */
    ptc_check(ctx, points == 3 && pf, "accuracy_vs_speedup-bbc.dat: %zu points, PF right %d", points, pf);
    ptc_test_rm_rf(dir);
}

/* issue 12: `ptc table --kind table4 --paper` on rows swept at inference only (no PF
 * trained with p) shows the paper's Table 4 numbers per p, not n/a */
PTC_TEST(table4_paper_inference_only)
{
    char dir[512], rows[600], out[600], buf[8192], line[2048];
    ptc_test_tmp_dir(dir, sizeof dir, "table4-infer");
    ptc_test_rm_rf(dir);
    mkdir(dir, 0777);
    snprintf(rows, sizeof rows, "%s/rows.jsonl", dir);
    FILE *f = fopen(rows, "w");
    static const double ps[] = {1.0, 0.8, 0.7};
    for (size_t i = 0; i < 3; i++)
        fprintf(f,
                "{\"schema\":\"ptc.row/1\",\"status\":\"ok\",\"run\":\"eval\",\"config_id\":\"PF-p%g;phase=infer\","
                "\"phase\":\"infer\",\"dataset\":\"bbc\",\"label\":\"PF\",\"variant\":\"prune\",\"rule\":\"clamp\","
                "\"p\":%g,\"lc\":null,\"m\":null,\"layers\":4,\"seed\":1,\"accuracy\":0.96,\"macro_f1\":0.95,"
                "\"sweep\":\"inference\",\"trained_variant\":\"baseline\"}\n",
                ps[i], ps[i]);
    fclose(f);
    snprintf(out, sizeof out, "%s/t4.csv", dir);
    char *argv[] = {"table", "--kind", "table4", "--paper", "--format", "csv", "--out", out, dir, NULL};
    const int rc = ptc_test_run_captured(ptc_table_main, argv, buf, sizeof buf);
    ptc_check(ctx, rc == 0, "table4: rc %d: %s", rc, buf);
    /* the paper at p 0.8: 97.2 %, memory 0.75, speedup 1.17; at p 0.7: 97.2, 0.69, 1.24 */
    ptc_check(ctx, csv_line(out, "0.8,", line, sizeof line) && strstr(line, ",97.2,0.75,1.17"), "p 0.8: '%s'",
              line);
    ptc_check(ctx, csv_line(out, "0.7,", line, sizeof line) && strstr(line, ",97.2,0.69,1.24"), "p 0.7: '%s'",
              line);
    ptc_test_rm_rf(dir);
}
