/*
 * tests/harness/test_plot.c — `ptc plot` writes publication plots (issue 16 item 4,
 * issue 12's plot bugs), checked on the scripts, data and caption files it writes (not on
 * pixels), from hand-made rows:
 *
 *   plot_styles_distinct     plot_style gives 40 distinct colour/dash pairs, never black
 *   plot_publication_bench   bench rows of two levels: one plot per level (no kernel number
 *                            in an encoder plot), a label's rows one series along p, BERT a reference line and not a series,
 *                            no colour/dash pair twice in any plot command, as many titles
 *                            as series (+ the reference), a caption file with the metadata
 *                            beside each plot, SVG and PDF beside PNG where gnuplot has the
 *                            terminals, a kernel point above the memory roof ringed and
 *                            explained, Table 3 bars with the paper's values
 *   plot_publication_accuracy  accuracy rows: accuracy_vs_p keeps trained and at-inference
 *                            points in separate series (both rules), accuracy_vs_speedup has
 *                            both intervals and a legend instead of point labels, the
 *                            dataset named
 */
#include "../ptc_test.h"
#include "harness_util.h"
#include "report/plot.h"
#include "report/report.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return ptc_test_read_file(path);
}

static bool exists(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && st.st_size > 0;
}

PTC_TEST(plot_styles_distinct)
{
    char a[96], b[96];
    size_t same = 0, bad = 0;
    for (size_t i = 0; i < PLOT_DISTINCT_STYLES; i++) {
        plot_style(i, true, a, sizeof a);
        bad += !(strstr(a, " lc rgb '#") && strstr(a, " dt ") && strstr(a, " pt ") && !strstr(a, "black"));
        plot_style(i, false, a, sizeof a);
        for (size_t k = 0; k < i; k++) {
            plot_style(k, false, b, sizeof b);
            same += strcmp(a, b) == 0;
        }
    }
    ptc_check(ctx, same == 0 && bad == 0, "%zu pairs of the first %d styles alike, %zu malformed", same,
              PLOT_DISTINCT_STYLES, bad);
}

/* The colour/dash pairs of each plot command of a script: none twice within one command;
 * returns the number of titled terms of the first plot command. */
static size_t check_plot_commands(ptc_test_ctx *ctx, const char *name, const char *gp)
{
    size_t first_titles = 0, commands = 0;
    for (const char *p = strstr(gp, "\nplot "); p; p = strstr(p + 1, "\nplot ")) {
        /* the command: up to the first line that does not end in a backslash */
        const char *end = p + 1;
        for (;;) {
            const char *nl = strchr(end, '\n');
            if (!nl || nl[-1] != '\\') {
                end = nl ? nl : end + strlen(end);
                break;
            }
            end = nl + 1;
        }
        char pairs[64][64];
        size_t np = 0, titles = 0;
        for (const char *q = p; q && q < end; q = strstr(q + 1, " title ")) {
            if (q != p)
                titles++;
        }
        for (const char *q = strstr(p, "lc rgb '"); q && q < end && np < 64; q = strstr(q + 1, "lc rgb '")) {
            const char *dt = strstr(q, " dt ");
            const int n = dt ? (int)strcspn(dt + 4, " ,\n\\") : 0;
            snprintf(pairs[np], sizeof pairs[np], "%.*s|%.*s", (int)strcspn(q + 8, "'"), q + 8, n, dt ? dt + 4 : "");
            for (size_t k = 0; k < np; k++)
                ptc_check(ctx, strcmp(pairs[k], pairs[np]) != 0, "%s: colour and dash '%s' twice in one plot",
                          name, pairs[np]);
            np++;
        }
        if (commands++ == 0)
            first_titles = titles;
    }
    ptc_check(ctx, commands > 0, "%s: no plot command", name);
    return first_titles;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s ? strstr(s, what) : NULL; p; p = strstr(p + 1, what))
        n++;
    return n;
}

static bool gnuplot_has(const char *terminal)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "gnuplot -e \"exit (strstrt(GPVAL_TERMINALS, '%s') > 0 ? 0 : 1)\" 2>/dev/null",
             terminal);
    return system(cmd) == 0;
}

/* bench rows: levels encoder and kernel, seq 128 and 256, BERT, P and C L3 */
static void write_bench_rows(const char *path)
{
    FILE *f = fopen(path, "w");
    static const struct {
        const char *level, *label, *variant, *p, *lc;
        double speedup, memory;
    } v[] = {
        {"encoder", "BERT", "baseline", "null", "null", 1.0, 1.0},
        {"encoder", "P", "prune", "0.9", "null", 1.05, 0.95},
        {"encoder", "C L3", "combine", "null", "3", 1.20, 0.80},
        {"kernel", "BERT", "baseline", "null", "null", 1.0, 1.0},
        {"kernel", "P", "prune", "0.9", "null", 1.11, 0.90},
        {"kernel", "P", "prune", "0.7", "null", 1.31, 0.70},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        for (int seq = 128; seq <= 256; seq *= 2) {
            const bool kernel = strcmp(v[i].level, "kernel") == 0;
            /* the kernel P row at 256: 50 GFLOP/s at intensity 1 flop/byte, above the 20 GB/s roof */
            const double act = kernel && seq == 256 && strcmp(v[i].p, "0.9") == 0 ? 1e9 : 1e7;
            fprintf(f,
                    "{\"schema\":\"ptc.row/1\",\"status\":\"ok\",\"run\":\"r1\",\"level\":\"%s\",\"label\":\"%s\","
                    "\"variant\":\"%s\",\"p\":%s,\"lc\":%s,\"m\":8,\"model\":\"bert-base\",\"hidden\":768,"
                    "\"ffn\":3072,\"layers\":4,\"seq\":%d,\"batch\":1,\"isa\":\"avx2\",\"threads\":1,"
                    "\"binding\":\"pu:0\",\"cpu\":\"Test CPU\",\"commit\":\"abcdef123456\","
                    "\"timestamp\":\"2026-12-01T10:00:00Z\",\"speedup\":{\"median\":%.17g,\"ci_low\":%.17g,"
                    "\"ci_high\":%.17g},\"memory_ratio\":%g,\"memory\":{\"activations\":%g},"
                    "\"flops\":{\"total\":1e9},\"gflops\":%g,\"time_s\":{\"median\":0.02},"
                    "\"calibration\":{\"peak_gflops\":100,\"bandwidth_gbps\":20}}\n",
                    v[i].level, v[i].label, v[i].variant, v[i].p, v[i].lc, seq, v[i].speedup * (seq == 256 ? 1.01 : 1),
                    v[i].speedup * 0.95, v[i].speedup * 1.05, v[i].memory, act, kernel ? 50.0 : 60.0);
        }
    fclose(f);
}

PTC_TEST(plot_publication_bench)
{
    char dir[512], rows[700], out[700], sout[16384], serr[4096];
    ptc_test_tmp_dir(dir, sizeof dir, "plot-pub");
    ptc_test_rm_rf(dir);
    mkdir(dir, 0777);
    snprintf(rows, sizeof rows, "%s/rows.jsonl", dir);
    snprintf(out, sizeof out, "%s/plots", dir);
    write_bench_rows(rows);
    const bool gnuplot = system("command -v gnuplot >/dev/null 2>&1") == 0;
    char *argv[] = {"plot", "--out", out, rows, gnuplot ? NULL : "--no-render", NULL};
    const int rc = ptc_test_run_io(ptc_plot_main, argv, sout, sizeof sout, serr, sizeof serr);
    if (!ptc_check(ctx, rc == 0, "plot: rc %d: %s %s", rc, sout, serr))
        return;
    /* one plot per level */
    char *enc = slurp_file(out, "speedup_vs_seq-encoder.dat"), *ker = slurp_file(out, "speedup_vs_seq-kernel.dat");
    ptc_check(ctx, enc && ker && count(enc, "# series:") == 2 && count(ker, "# series:") == 2,
              "series per level: encoder\n%s\nkernel\n%s", enc ? enc : "-", ker ? ker : "-");
    ptc_check(ctx, enc && ker && strstr(ker, " 1.11") && !strstr(enc, " 1.11") && !strstr(ker, " 1.2 "),
              "a kernel number in the encoder plot or the reverse:\n%s\n%s", enc ? enc : "-", ker ? ker : "-");
    /* along p, a label's rows stay one series (the label order also sorts by p) */
    char *kp = slurp_file(out, "speedup_memory_kept_vs_p-kernel.dat");
    const char *p128 = kp ? strstr(kp, "# series: P seq=128\n") : NULL;
    ptc_check(ctx, p128 && count(kp, "# series:") == 2 && strstr(p128, "\n 0.9 ") && strstr(p128, "\n 0.7 ") &&
                       (!strstr(p128, "\n 0.7 ") || !strstr(p128, "# series: P seq=256") ||
                        strstr(p128, "\n 0.7 ") < strstr(p128, "# series: P seq=256")),
              "p sweep series:\n%s", kp ? kp : "-");
    free(kp);
    /* BERT: a reference line, not a series */
    ptc_check(ctx, enc && !strstr(enc, "# series: BERT"), "BERT a series:\n%s", enc ? enc : "-");
    char *gp = slurp_file(out, "speedup_vs_seq-encoder.gp");
    ptc_check(ctx, gp && strstr(gp, "1 with lines lc rgb 'black' dt 2") && strstr(gp, "BERT = 1"),
              "no reference line:\n%s", gp ? gp : "-");
    /* a title per series and one for the reference line; no metadata in the title */
    ptc_check(ctx, gp && check_plot_commands(ctx, "speedup_vs_seq-encoder.gp", gp) == 3 && !strstr(gp, "Test CPU"),
              "titles:\n%s", gp ? gp : "-");
    free(gp);
    free(enc);
    free(ker);
    /* every plot: distinct styles, a caption file with the metadata, the images */
    const bool svg = gnuplot && gnuplot_has("svg"), pdf = gnuplot && gnuplot_has("pdfcairo"),
               png = gnuplot && gnuplot_has("pngcairo");
    DIR *d = opendir(out);
    size_t scripts = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        const size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".gp") != 0)
            continue;
        scripts++;
        char base[256], name[300];
        snprintf(base, sizeof base, "%.*s", (int)(len - 3), e->d_name);
        char *script = slurp_file(out, e->d_name);
        check_plot_commands(ctx, e->d_name, script ? script : "");
        free(script);
        snprintf(name, sizeof name, "%s.caption.txt", base);
        char *cap = slurp_file(out, name);
        ptc_check(ctx, cap && strstr(cap, "\nCPU: Test CPU\n") && strstr(cap, "\nISA: avx2\n") &&
                           strstr(cap, "\nthreads: 1\n") && strstr(cap, "\nbinding: pu:0\n") &&
                           strstr(cap, "\ncommit: abcdef123456\n") && strstr(cap, "\ndate: 2026-12-01\n") &&
                           strstr(cap, "\nmodel: bert-base\n") && strstr(cap, "\nsequence length: ") &&
                           strstr(cap, "\nseries: "),
                  "%s: caption:\n%s", name, cap ? cap : "(none)");
        free(cap);
        static const char *const ext[] = {"png", "svg", "pdf"};
        const bool want[] = {png, svg, pdf};
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "%s.%s", base, ext[k]);
            if (want[k])
                ptc_check(ctx, exists(out, name), "no %s", name);
        }
    }
    if (d)
        closedir(d);
    ptc_check(ctx, scripts >= 6, "%zu scripts:\n%s", scripts, sout);
    /* the roofline of the kernel level: the point above the memory roof, ringed, explained */
    char *cap = slurp_file(out, "roofline-kernel.caption.txt"), *rgp = slurp_file(out, "roofline-kernel.gp");
    ptc_check(ctx, cap && strstr(cap, "note: 1 point lies above the memory roof") && strstr(cap, "caches") && rgp &&
                       strstr(rgp, "title 'above the memory roof'"),
              "roofline note:\n%s\n%s", cap ? cap : "-", rgp ? rgp : "-");
    free(cap);
    free(rgp);
    /* Table 3 bars at the encoder level: P beside the paper's 1.33 / 0.88 */
    char *bars = slurp_file(out, "table3_bars-encoder.dat");
    ptc_check(ctx, bars && strstr(bars, "\"P\" ") && strstr(strstr(bars, "\"P\" "), " 1.33 ") &&
                       strstr(strstr(bars, "\"P\" "), " 0.88\n") && !strstr(bars, "\"BERT\""),
              "table3 bars:\n%s", bars ? bars : "-");
    free(bars);
    ptc_test_rm_rf(dir);
}

/* accuracy rows on bbc: BERT, P, PF trained (2 seeds), and P/PF at inference on BERT's checkpoint */
static void write_accuracy_rows(const char *path)
{
    FILE *f = fopen(path, "w");
    static const char *const fmt =
        "{\"schema\":\"ptc.row/1\",\"status\":\"ok\",\"run\":\"r\",\"config_id\":\"%s-%s-%g-s%d;phase=%s\","
        "\"phase\":\"%s\",\"dataset\":\"bbc\",\"label\":\"%s\",\"variant\":\"%s\",\"rule\":%s,\"p\":%s,"
        "\"lc\":null,\"m\":null,\"layers\":4,\"seed\":%d,\"accuracy\":%g,\"macro_f1\":%g,\"model\":\"bert-tiny\","
        "\"seq\":256,\"isa\":\"avx512\",\"threads\":1,\"cpu\":\"Test CPU\",\"time_s\":{\"median\":%g},"
        "\"memory\":{\"activations\":100,\"train_arena\":%g},\"sweep\":\"%s\",\"trained_variant\":\"%s\"}\n";
    static const struct {
        const char *label, *variant, *rule, *p;
        double acc, time;
    } t[] = {{"BERT", "baseline", "null", "null", 0.90, 1.0},
             {"P", "prune", "\"topk\"", "0.9", 0.91, 0.9},
             {"PF", "prune", "\"clamp\"", "0.9", 0.92, 0.8}};
    for (size_t i = 0; i < 3; i++)
        for (int seed = 1; seed <= 2; seed++)
            for (int ph = 0; ph < 2; ph++)
                fprintf(f, fmt, t[i].label, "train", 0.9, seed, ph ? "infer" : "train", ph ? "infer" : "train",
                        t[i].label, t[i].variant, t[i].rule, t[i].p, seed, t[i].acc + 0.01 * seed, t[i].acc,
                        t[i].time, 1000 * t[i].time, "train", "");
    static const double ps[] = {1.0, 0.8, 0.6};
    for (int r = 0; r < 2; r++)
        for (size_t k = 0; k < 3; k++) {
            char p[16];
            snprintf(p, sizeof p, "%g", ps[k]);
            fprintf(f, fmt, r ? "PF" : "P", "inf", ps[k], 1, "infer", "infer", r ? "PF" : "P", "prune",
                    r ? "\"clamp\"" : "\"topk\"", p, 1, 0.95 - 0.01 * (double)k - 0.005 * r, 0.9, 1.0, 1000.0,
                    "inference", "baseline");
        }
    fclose(f);
}

PTC_TEST(plot_publication_accuracy)
{
    char dir[512], rows[700], out[700], sout[16384], serr[4096];
    ptc_test_tmp_dir(dir, sizeof dir, "plot-pub-acc");
    ptc_test_rm_rf(dir);
    mkdir(dir, 0777);
    snprintf(rows, sizeof rows, "%s/rows.jsonl", dir);
    snprintf(out, sizeof out, "%s/plots", dir);
    write_accuracy_rows(rows);
    char *argv[] = {"plot", "--no-render", "--out", out, rows, NULL};
    const int rc = ptc_test_run_io(ptc_plot_main, argv, sout, sizeof sout, serr, sizeof serr);
    if (!ptc_check(ctx, rc == 0, "plot: rc %d: %s %s", rc, sout, serr))
        return;
    /* issue 12: trained and at-inference points never in one series; both rules */
    char *dat = slurp_file(out, "accuracy_vs_p-bbc.dat");
    ptc_check(ctx, dat && strstr(dat, "# series: P trained\n") && strstr(dat, "# series: PF trained\n") &&
                       strstr(dat, "# series: P at inference (BERT checkpoint)\n") &&
                       strstr(dat, "# series: PF at inference (BERT checkpoint)\n") && count(dat, "# series:") == 4,
              "accuracy_vs_p series:\n%s", dat ? dat : "-");
    /* the at-inference series of PF: its three p, nothing trained in it */
    const char *pf = dat ? strstr(dat, "# series: PF at inference") : NULL;
    const char *next = pf ? strstr(pf + 1, "# series:") : NULL;
    size_t lines = 0;
    for (const char *l = pf; l && (!next || l < next); l = strchr(l + 1, '\n'))
        lines += l[1] >= '0' && l[1] <= '9';
    ptc_check(ctx, lines == 3, "PF at inference: %zu points:\n%s", lines, dat ? dat : "-");
    free(dat);
    char *gp = slurp_file(out, "accuracy_vs_p-bbc.gp");
    ptc_check(ctx, gp && check_plot_commands(ctx, "accuracy_vs_p-bbc.gp", gp) == 5, "titles:\n%s", gp ? gp : "-");
    free(gp);
    /* issue 12: accuracy vs speedup: a legend, no labels on the points; both intervals; the dataset */
    gp = slurp_file(out, "accuracy_vs_speedup-bbc.gp");
    ptc_check(ctx, gp && !strstr(gp, "with labels") && strstr(gp, "xyerrorbars") && strstr(gp, "on bbc") &&
                       check_plot_commands(ctx, "accuracy_vs_speedup-bbc.gp", gp) == 3,
              "accuracy_vs_speedup:\n%s", gp ? gp : "-");
    free(gp);
    char *cap = slurp_file(out, "accuracy_vs_speedup-bbc.caption.txt");
    ptc_check(ctx, cap && strstr(cap, "\ndataset: bbc\n") && strstr(cap, "\nCPU: Test CPU\n"), "caption:\n%s",
              cap ? cap : "-");
    free(cap);
    ptc_test_rm_rf(dir);
}
