/*
 * harness/report/plot_accuracy.c — the accuracy plots of `ptc plot` (rows of `ptc
 * experiment`, harness/SCHEMA.md "Accuracy rows"; inference rows only):
 *   accuracy_vs_p         test accuracy (mean, sd error bars over seeds) of the
 *                         pruning rows against p, one series per label family
 *                         (P, PF, PFC L<lc>), BERT's mean as a dashed line
 *   accuracy_vs_speedup   one point per configuration: inference speedup against
 *                         BERT (x) and accuracy (y), labelled
 * Each plot writes NAME.gp and NAME.dat into the output folder and runs gnuplot
 * there (when rendering); skipped with a note when the rows lack the data.
 */
#include "report/plot.h"
#include "learn/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const json_t *first;
    double x_sum, acc[64];
    size_t n;
} point;

static void mean_sd(const double *v, size_t n, double *m, double *sd)
{
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    *m = s / (double)n;
    for (size_t i = 0; i < n; i++)
        q += (v[i] - *m) * (v[i] - *m);
    *sd = n > 1 ? sqrt(q / (double)(n - 1)) : 0.0;
}

/* family of a row for the p plot: its label without the p (labels do not carry p) */
static bool same_point(const json_t *a, const json_t *b, bool by_p)
{
    static const char *const f[] = {"dataset", "model", "seq", "label", "lc", "m", NULL};
    for (const char *const *k = f; *k; k++)
        if (ptc_dim_cmp(a, b, *k) != 0)
            return false;
    return !by_p || ptc_dim_cmp(a, b, "p") == 0;
}

/* label text equality (ptc_dim_cmp on "label" also orders by p) */
static bool same_label(const json_t *a, const json_t *b)
{
    const char *x = ptc_row_str(a, "label"), *y = ptc_row_str(b, "label");
    return x && y && strcmp(x, y) == 0;
}

static size_t collect(const json_t **rows, size_t n, bool need_p, point *pts)
{
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        double acc, x;
        const char *phase = ptc_row_str(rows[i], "phase");
        if (!ptc_row_num(rows[i], "accuracy", &acc) || !phase || strcmp(phase, "infer") != 0)
            continue;
        if (need_p ? !ptc_row_num(rows[i], "p", &x) : !ptc_row_num(rows[i], "speedup.median", &x))
            continue;
        size_t k = 0;
        while (k < np && !same_point(pts[k].first, rows[i], need_p))
            k++;
        if (k == np) {
            memset(&pts[np], 0, sizeof pts[np]);
            pts[np++].first = rows[i];
        }
        if (pts[k].n < 64) {
            pts[k].acc[pts[k].n++] = acc;
            pts[k].x_sum += x;
        }
    }
    return np;
}

/* BERT's mean accuracy over its inference rows (the reference line); NAN when none. */
static double bert_mean_accuracy(const json_t **rows, size_t n)
{
    double bert[64];
    size_t nb = 0;
    for (size_t i = 0; i < n && nb < 64; i++) {
        const char *v = ptc_row_str(rows[i], "variant"), *ph = ptc_row_str(rows[i], "phase");
        double acc;
        if (v && ph && strcmp(v, "baseline") == 0 && strcmp(ph, "infer") == 0 &&
            ptc_row_num(rows[i], "accuracy", &acc))
            bert[nb++] = acc;
    }
    double bm = NAN, bsd = 0;
    if (nb)
        mean_sd(bert, nb, &bm, &bsd);
    return bm;
}

/* accuracy_vs_p: one series per label, BERT's mean (bm) dashed. pts: scratch for n + 1. */
static void plot_accuracy_vs_p(const char *dir, const char *terminal, const char *ext, bool render,
                               const json_t **rows, size_t n, point *pts, double bm, int *written,
                               int *skipped, int *failed)
{
    size_t np = collect(rows, n, true, pts);
    size_t n_multi = 0;
    for (size_t i = 0; i < np; i++)
        for (size_t k = i + 1; k < np; k++)
            if (same_label(pts[i].first, pts[k].first))
                n_multi++;
    if (np == 0 || n_multi == 0) {
        printf("skipped accuracy_vs_p: no label has accuracy rows at two values of p\n");
        (*skipped)++;
    } else {
        FILE *dat = ptc_plot_open(dir, "accuracy_vs_p", "dat"), *gp = ptc_plot_open(dir, "accuracy_vs_p", "gp");
        if (dat && gp) {
            /* one index block per label, points ascending in p */
            size_t blocks = 0;
            char labels[64][96];
            for (size_t i = 0; i < np && blocks < 64; i++) {
                char lab[96];
                ptc_dim_value_text(pts[i].first, "label", lab, sizeof lab);
                bool seen = false;
                for (size_t b = 0; b < blocks; b++)
                    seen |= strcmp(labels[b], lab) == 0;
                if (seen)
                    continue;
                snprintf(labels[blocks], sizeof labels[blocks], "%s", lab);
                fprintf(dat, "%s# series: %s\n# p accuracy_mean accuracy_sd seeds\n", blocks ? "\n\n" : "",
                        lab);
                for (;;) { /* selection by ascending p */
                    double best = INFINITY;
                    size_t bi = np;
                    for (size_t k = 0; k < np; k++) {
                        char l2[96];
                        ptc_dim_value_text(pts[k].first, "label", l2, sizeof l2);
                        const double p = pts[k].x_sum / (double)pts[k].n;
                        if (strcmp(l2, lab) == 0 && pts[k].n && p < best) {
                            best = p;
                            bi = k;
                        }
                    }
                    if (bi == np)
                        break;
                    double m, sd;
                    mean_sd(pts[bi].acc, pts[bi].n, &m, &sd);
                    fprintf(dat, "%.6g %.6g %.6g %zu\n", best, 100 * m, 100 * sd, pts[bi].n);
                    pts[bi].n = 0; /* consumed */
                }
                blocks++;
            }
            fprintf(gp, "# accuracy_vs_p.gp — written by `ptc plot` from result rows; data in accuracy_vs_p.dat.\n"
                        "set terminal %s\nset output 'accuracy_vs_p.%s'\n"
                        "set key outside right top box\nset grid\n"
                        "set title 'Test accuracy vs preservation ratio p (cf. paper Table 4)' noenhanced\n"
                        "set xlabel 'p'\nset ylabel 'accuracy %%'\n",
                    terminal, ext);
            fprintf(gp, "plot ");
            for (size_t b = 0; b < blocks; b++)
                fprintf(gp, "%s'accuracy_vs_p.dat' index %zu using 1:2:3 with yerrorlines title '%s'",
                        b ? ", \\\n     " : "", b, labels[b]);
            if (isfinite(bm))
                fprintf(gp, ", \\\n     %.6g with lines dashtype 2 title 'BERT (%.1f)'", 100 * bm, 100 * bm);
            fprintf(gp, "\n");
        }
        if (ptc_plot_close(dat, gp))
            ptc_plot_finish(dir, "accuracy_vs_p", ext, render, written, failed);
        else
            (*failed)++;
    }

}

/* accuracy_vs_speedup: one labelled point per configuration. pts: scratch for n + 1. */
static void plot_accuracy_vs_speedup(const char *dir, const char *terminal, const char *ext,
                                     bool render, const json_t **rows, size_t n, point *pts,
                                     int *written, int *skipped, int *failed)
{
    const size_t np = collect(rows, n, false, pts);
    if (np < 2) {
        printf("skipped accuracy_vs_speedup: fewer than two configurations with accuracy and speedup\n");
        (*skipped)++;
    } else {
        FILE *dat = ptc_plot_open(dir, "accuracy_vs_speedup", "dat"),
             *gp = ptc_plot_open(dir, "accuracy_vs_speedup", "gp");
        if (dat && gp) {
            fprintf(dat, "# speedup accuracy_mean accuracy_sd seeds label\n");
            for (size_t i = 0; i < np; i++) {
                char lab[96], p[32] = "";
                ptc_dim_value_text(pts[i].first, "label", lab, sizeof lab);
                double pv;
                if (ptc_row_num(pts[i].first, "p", &pv) && strncmp(lab, "C ", 2) != 0)
                    snprintf(p, sizeof p, " p%g", pv);
                double m, sd;
                mean_sd(pts[i].acc, pts[i].n, &m, &sd);
                fprintf(dat, "%.6g %.6g %.6g %zu \"%s%s\"\n", pts[i].x_sum / (double)pts[i].n, 100 * m,
                        100 * sd, pts[i].n, lab, p);
            }
            fprintf(gp, "# accuracy_vs_speedup.gp — written by `ptc plot` from result rows; data in accuracy_vs_speedup.dat.\n"
                        "set terminal %s\nset output 'accuracy_vs_speedup.%s'\n"
                        "set grid\nset key off\n"
                        "set title 'Test accuracy vs inference speedup against BERT' noenhanced\n"
                        "set xlabel 'speedup (median time per batch, BERT = 1)'\nset ylabel 'accuracy %%'\n"
                        "set offsets 0.05, 0.15, 1, 1\n"
                        "plot 'accuracy_vs_speedup.dat' using 1:2:3 with yerrorbars pt 7, \\\n"
                        "     '' using 1:2:5 with labels offset 1,1 left noenhanced\n",
                    terminal, ext);
        }
        if (ptc_plot_close(dat, gp))
            ptc_plot_finish(dir, "accuracy_vs_speedup", ext, render, written, failed);
        else
            (*failed)++;
    }
}

void ptc_plot_accuracy(const char *dir, const char *terminal, const char *ext, bool render,
                       const json_t **rows, size_t n, int *written, int *skipped, int *failed)
{
    point *pts = calloc(n + 1, sizeof *pts);
    const double bm = bert_mean_accuracy(rows, n);
    plot_accuracy_vs_p(dir, terminal, ext, render, rows, n, pts, bm, written, skipped, failed);
    plot_accuracy_vs_speedup(dir, terminal, ext, render, rows, n, pts, written, skipped, failed);
    free(pts);
}
