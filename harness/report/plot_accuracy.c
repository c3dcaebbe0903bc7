/*
 * harness/report/plot_accuracy.c — the accuracy plots of `ptc plot`, one per dataset
 * (NAME-DATASET), from the accuracy rows gathered per configuration (paper.h):
 *   accuracy_vs_p        test accuracy (mean over seeds, 95% interval) vs p: one series
 *                        per label and sweep, so that the variants trained with p and p
 *                        applied at inference to a trained checkpoint (`ptc eval --rows`)
 *                        never share a line, with both rules (P = top-k, PF = fuzzy);
 *                        BERT's accuracy as a dashed reference line
 *   accuracy_vs_speedup  one point per trained configuration: inference speedup vs BERT (x) and
 *                        accuracy (y), 95% intervals on both axes, named in the legend
 *                        (no labels on the points, which overlapped); BERT: a dashed
 *                        line at its accuracy over its interval's band, and x = 1
 * Each writes NAME.gp, NAME.dat and NAME.caption.txt (plot.h); a dataset without the
 * data is skipped with a note.
 */
#include "report/paper.h"
#include "report/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t plot_dataset_rows(const pgroups *gs, const char *ds, const json_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < gs->n; i++)
        if (strcmp(gs->g[i].dataset, ds) == 0)
            for (size_t k = 0; k < gs->g[i].n; k++) {
                out[n++] = gs->g[i].infer[k];
                if (gs->g[i].train[k])
                    out[n++] = gs->g[i].train[k];
            }
    return n;
}

/* the name of a configuration: its label, p (when with_p) and m when not the defaults,
 * the sweep */
void plot_bert_reference_end(FILE *gp, const pgroup *bert, const char *suffix)
{
    if (bert && isfinite(bert->acc.mean)) {
        char t[96];
        snprintf(t, sizeof t, "BERT (%.1f%s)", bert->acc.mean, suffix);
        plot_ref_term(gp, bert->acc.mean, t);
    }
    fputc('\n', gp);
    plot_script_tail(gp);
}

void plot_group_name(const pgroup *g, bool with_p, char *out, size_t len)
{
    int k = snprintf(out, len, "%s", g->label);
    if (with_p && !isnan(g->p) && strncmp(g->label, "C ", 2) != 0 && !ptc_paper_is_token(g) &&
        fabs(g->p - 0.9) > 1e-9 && k > 0)
        k += snprintf(out + k, len - (size_t)k, " p %g", g->p);
    if (g->m >= 0 && g->m != 8 && k > 0)
        k += snprintf(out + k, len - (size_t)k, " m %ld", g->m);
    if (strcmp(g->sweep, "inference") == 0 && k > 0)
        snprintf(out + k, len - (size_t)k, " at inference (%s checkpoint)",
                 strcmp(g->trained, "baseline") == 0 ? "BERT" : g->trained);
}

/* a value, or `fallback` when it is not a number (an interval of one seed) */
static double or_value(double v, double fallback)
{
    return isfinite(v) ? v : fallback;
}

/* one accuracy_vs_p series: the groups of a label and sweep on a dataset */
static bool same_series(const pgroup *a, const pgroup *b)
{
    return strcmp(a->dataset, b->dataset) == 0 && strcmp(a->label, b->label) == 0 &&
           strcmp(a->sweep, b->sweep) == 0 && strcmp(a->trained, b->trained) == 0 && a->m == b->m;
}

#define P_DODGE 0.003 /* the shift in p between two series' points */

static void accuracy_vs_p(plot_ctx *pc, const pgroups *gs, const char *ds, const json_t **rows)
{
    char name[96];
    snprintf(name, sizeof name, "accuracy_vs_p-%s", ds);
    /* series: the first group of each (label, sweep) with a p; points: ascending p */
    const pgroup *first[64];
    size_t ns = 0, points = 0;
    for (size_t i = 0; i < gs->n && ns < 64; i++) {
        const pgroup *g = &gs->g[i];
        if (strcmp(g->dataset, ds) || isnan(g->p) || !isfinite(g->acc.mean))
            continue;
        points++;
        size_t k = 0;
        while (k < ns && !same_series(first[k], g))
            k++;
        if (k == ns)
            first[ns++] = g;
    }
    FILE *dat, *gp;
    if (!plot_begin(pc, name, points >= 2 && points != ns, &dat, &gp,
                    "no variant has accuracy at two values of p"))
        return;
    char names[64][128];
    const char *namep[64];
    if (dat && gp) {
        for (size_t k = 0; k < ns; k++) {
            plot_group_name(first[k], false, names[k], sizeof names[k]); /* the series spans p */
            if (strcmp(first[k]->sweep, "train") == 0)
                strncat(names[k], " trained", sizeof names[k] - strlen(names[k]) - 1);
            namep[k] = names[k];
            fprintf(dat, "%s# series: %s\n# p accuracy_mean accuracy_ci_low accuracy_ci_high seeds\n",
                    k ? "\n\n" : "", names[k]);
            double last = -1;
            for (;;) { /* the series' groups by ascending p */
                const pgroup *best = NULL;
                for (size_t i = 0; i < gs->n; i++) {
                    const pgroup *g = &gs->g[i];
                    if (same_series(g, first[k]) && !isnan(g->p) && isfinite(g->acc.mean) && g->p > last &&
                        (!best || g->p < best->p))
                        best = g;
                }
                if (!best)
                    break;
                last = best->p;
                fprintf(dat, "%.6g %.6g %.6g %.6g %zu\n", best->p, best->acc.mean,
                        or_value(best->acc.lo, best->acc.mean), or_value(best->acc.hi, best->acc.mean), best->n);
            }
        }
        plot_script_head(pc, gp, name, 1);
        fprintf(gp, "set title 'Accuracy vs p on %s'\nset xlabel 'preservation ratio p'\n"
                    "set ylabel 'test accuracy %% (95%% CI over seeds)'\n"
                    "set offsets graph 0.03, graph 0.03, graph 0.08, graph 0.08\n",
                ds);
        fputs("plot ", gp);
        for (size_t k = 0; k < ns; k++) {
            char st[96];
            plot_style(k, true, st, sizeof st);
            /* dodged in p, so that points at the same p keep their error bars apart */
            fprintf(gp, "%s'%s.dat' index %zu using ($1%+.4f):2:3:4 with yerrorlines%s lw 1.5 pointsize 0.9 "
                        "title \"", k ? ", \\\n     " : "", name, k, P_DODGE * ((double)k - (double)(ns - 1) / 2), st);
            plot_put_string(gp, names[k]);
            fputc('"', gp);
        }
        const pgroup *bert = ptc_paper_bert(gs, ds);
        plot_bert_reference_end(gp, bert, "");
    }
    const size_t n = plot_dataset_rows(gs, ds, rows);
    char what[256];
    snprintf(what, sizeof what, "test accuracy on %s vs the preservation ratio p: mean over seeds with its "
                                "95%% t-interval; 'trained' = trained with that p, 'at inference' = p applied "
                                "by `ptc eval` to a checkpoint trained without it; BERT dashed", ds);
    char notes[200];
    snprintf(notes, sizeof notes, "note: each series is drawn shifted by a multiple of %g in p (at most %g), "
                                  "so that points at the same p do not hide each other's error bars\n",
             P_DODGE, P_DODGE * (double)(ns - 1) / 2);
    plot_complete(pc, name, dat, gp, what, rows, n, namep, ns, NULL, notes);
}

static void accuracy_vs_speedup(plot_ctx *pc, const pgroups *gs, const char *ds, const json_t **rows)
{
    char name[96];
    snprintf(name, sizeof name, "accuracy_vs_speedup-%s", ds);
    const pgroup *pts[64];
    size_t np = 0;
    for (size_t i = 0; i < gs->n && np < 64; i++) {
        const pgroup *g = &gs->g[i];
        if (strcmp(g->dataset, ds) == 0 && strcmp(g->label, "BERT") != 0 && strcmp(g->sweep, "train") == 0 &&
            isfinite(g->sp_infer.mean) && isfinite(g->acc.mean))
            pts[np++] = g;
    }
    FILE *dat, *gp;
    if (!plot_begin(pc, name, np > 0, &dat, &gp,
                    "no trained configuration with accuracy and inference speedup"))
        return;
    char names[64][128];
    const char *namep[64];
    const pgroup *bert = ptc_paper_bert(gs, ds);
    if (dat && gp) {
        for (size_t k = 0; k < np; k++) {
            const pgroup *g = pts[k];
            plot_group_name(g, true, names[k], sizeof names[k]);
            namep[k] = names[k];
            fprintf(dat, "%s# series: %s\n# speedup lo hi accuracy lo hi seeds\n", k ? "\n\n" : "", names[k]);
            fprintf(dat, "%.6g %.6g %.6g %.6g %.6g %.6g %zu\n", g->sp_infer.mean,
                    or_value(g->sp_infer.lo, g->sp_infer.mean), or_value(g->sp_infer.hi, g->sp_infer.mean),
                    g->acc.mean, or_value(g->acc.lo, g->acc.mean), or_value(g->acc.hi, g->acc.mean), g->n);
        }
        plot_script_head(pc, gp, name, 1);
        fprintf(gp, "set title 'Accuracy vs inference speedup on %s'\n"
                    "set xlabel 'inference speedup vs BERT (95%% CI over seeds)'\n"
                    "set ylabel 'test accuracy %% (95%% CI over seeds)'\nset logscale x 2\n"
                    "set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08\n"
                    "set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb 'black' dt 2 lw 1.2\n",
                ds);
        /* the x axis ranges on the points (and 1), not on interval ends: timings under load with
         * few seeds give intervals over decades, which would squeeze every point together */
        double xlo = 1, xhi = 1;
        for (size_t k = 0; k < np; k++) {
            xlo = pts[k]->sp_infer.mean < xlo ? pts[k]->sp_infer.mean : xlo;
            xhi = pts[k]->sp_infer.mean > xhi ? pts[k]->sp_infer.mean : xhi;
        }
        fprintf(gp, "set xrange [%.4g:%.4g]\n", xlo / 1.5, xhi * 1.5);
        const bool band = bert && isfinite(bert->acc.lo) && bert->acc.hi > bert->acc.lo;
        if (band)
            fprintf(gp, "set object 1 rectangle from graph 0, first %.6g to graph 1, first %.6g "
                        "fc rgb '#f0f0f0' fillstyle solid 1.0 noborder behind\n",
                    bert->acc.lo, bert->acc.hi);
        fputs("plot ", gp);
        for (size_t k = 0; k < np; k++) {
            char st[96];
            plot_style(k, true, st, sizeof st);
            fprintf(gp, "%s'%s.dat' index %zu using 1:4:2:3:5:6 with xyerrorbars%s lw 1.5 pointsize 1.3 title \"",
                    k ? ", \\\n     " : "", name, k, st);
            plot_put_string(gp, names[k]);
            fputc('"', gp);
        }
        plot_bert_reference_end(gp, bert, band ? ", grey band: its 95% CI; speedup 1" : "; speedup 1");
    }
    const size_t n = plot_dataset_rows(gs, ds, rows);
    char what[256], notes[256] = "";
    snprintf(what, sizeof what, "test accuracy on %s vs inference speedup against BERT (median time per "
                                "inference batch): mean over seeds, 95%% intervals on both axes", ds);
    if (bert)
        snprintf(notes, sizeof notes, "note: BERT: %.2f%% [%.2f, %.2f] over %zu seed%s (dashed line, grey band)\n",
                 bert->acc.mean, bert->acc.lo, bert->acc.hi, bert->n, bert->n == 1 ? "" : "s");
    plot_complete(pc, name, dat, gp, what, rows, n, namep, np, NULL, notes);
}

void plot_accuracy(plot_ctx *pc, const pgroups *gs)
{
    size_t total = 0;
    for (size_t i = 0; i < gs->n; i++)
        total += 2 * gs->g[i].n;
    const json_t **rows = malloc((total + 1) * sizeof *rows);
    for (size_t i = 0; i < gs->n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(gs->g[k].dataset, gs->g[i].dataset) == 0;
        if (seen)
            continue;
        accuracy_vs_p(pc, gs, gs->g[i].dataset, rows);
        accuracy_vs_speedup(pc, gs, gs->g[i].dataset, rows);
    }
    free(rows);
}
