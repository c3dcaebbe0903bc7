/*
 * harness/report/plot_paper.c — the plots of the paper's tables (paper.h), written by
 * `ptc plot` beside its other plots when the rows are accuracy rows:
 *   table4_p             accuracy (95% interval over seeds) vs p of PF trained with
 *                        each p, and of p applied at inference when there are such
 *                        rows; training speedup and memory on the right axis
 *   table5_lc            accuracy and training speedup vs the combining layer L_c (PFC)
 *   table6_m             accuracy and training speedup vs m (PFC), log2 axis
 *   accuracy_vs_speedup_ci  one point per configuration: inference speedup (x) and
 *                        accuracy (y) with their 95% intervals on both axes
 * One dataset per plot (bbc when it has the rows, else the first that has). Each
 * writes NAME.gp and NAME.dat; a plot without data is skipped with a note.
 */
#include "report/paper.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *dir, *terminal, *ext;
    bool render;
    int *written, *skipped, *failed;
} pp_ctx;

typedef bool (*pp_member)(const pgroup *g);

static bool pf_trained(const pgroup *g)
{
    return strcmp(g->label, "PF") == 0 && strcmp(g->sweep, "train") == 0;
}

static bool pf_inference(const pgroup *g)
{
    return strcmp(g->label, "PF") == 0 && strcmp(g->sweep, "inference") == 0;
}

static bool pfc_default_m(const pgroup *g)
{
    return strncmp(g->label, "PFC L", 5) == 0 && strcmp(g->sweep, "train") == 0 && (g->m < 0 || g->m == 8);
}

static long m_sweep_lc = -1; /* the L_c of the m sweep (set by ptc_plot_paper) */

static bool pfc_m_sweep(const pgroup *g)
{
    return strncmp(g->label, "PFC L", 5) == 0 && strcmp(g->sweep, "train") == 0 && g->lc == m_sweep_lc;
}

/* the dataset: bbc when it has members, else the first that has */
static const char *pick_dataset(const pgroups *gs, pp_member member)
{
    const char *first = NULL;
    for (size_t i = 0; i < gs->n; i++)
        if (member(&gs->g[i])) {
            if (strcmp(gs->g[i].dataset, "bbc") == 0)
                return "bbc";
            first = first ? first : gs->g[i].dataset;
        }
    return first;
}

static double x_of(const pgroup *g, char axis)
{
    return axis == 'p' ? g->p : axis == 'l' ? (double)g->lc : (double)g->m;
}

/* one data block: x, accuracy mean, lo, hi, speedup (train), lo, hi, memory (train), seeds;
 * ascending x; returns the points written */
static size_t write_block(FILE *dat, const pgroups *gs, const char *ds, pp_member member, char axis,
                          const char *title)
{
    fprintf(dat, "# series: %s\n# x accuracy lo hi speedup_train lo hi memory_train seeds\n", title);
    size_t n = 0;
    double last = -INFINITY;
    for (;;) {
        const pgroup *best = NULL;
        for (size_t i = 0; i < gs->n; i++) {
            const pgroup *g = &gs->g[i];
            if (member(g) && strcmp(g->dataset, ds) == 0 && x_of(g, axis) > last &&
                (!best || x_of(g, axis) < x_of(best, axis)))
                best = g;
        }
        if (!best)
            break;
        last = x_of(best, axis);
        fprintf(dat, "%.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %zu\n", last, best->acc.mean, best->acc.lo,
                best->acc.hi, best->sp_train.mean, best->sp_train.lo, best->sp_train.hi, best->mem_train.mean,
                best->n);
        n++;
    }
    return n;
}

static void close_plot(const pp_ctx *c, const char *name, FILE *dat, FILE *gp)
{
    if (ptc_plot_close(dat, gp))
        ptc_plot_finish(c->dir, name, c->ext, c->render, c->written, c->failed);
    else
        (*c->failed)++;
}

/* accuracy (left) with speedup and memory (right) against p, L_c or m */
static void sweep_plot(const pp_ctx *c, const pgroups *gs, const char *name, pp_member member,
                       pp_member second, char axis, const char *what, const char *xlabel)
{
    const char *ds = pick_dataset(gs, member);
    size_t n = 0;
    for (size_t i = 0; ds && i < gs->n; i++)
        n += member(&gs->g[i]) && strcmp(gs->g[i].dataset, ds) == 0;
    if (n < 2) {
        printf("skipped %s: fewer than two %s points\n", name, what);
        (*c->skipped)++;
        return;
    }
    FILE *dat = ptc_plot_open(c->dir, name, "dat"), *gp = ptc_plot_open(c->dir, name, "gp");
    if (dat && gp) {
        write_block(dat, gs, ds, member, axis, "trained");
        const bool two = second && ds && write_block((fprintf(dat, "\n\n"), dat), gs, ds, second, axis,
                                                     "at inference") > 0;
        const pgroup *bert = ptc_paper_bert(gs, ds);
        fprintf(gp,
                "# %s.gp — written by `ptc plot` from accuracy rows; data in %s.dat.\n"
                "set terminal %s\nset output '%s.%s'\n"
                "set key outside right top box\nset grid\nset offsets graph 0.03, graph 0.03, 0, 0\n"
                "set title '%s on %s: accuracy (95%% interval over seeds), training speedup and memory vs BERT' noenhanced\n"
                "set xlabel '%s' noenhanced\nset ylabel 'accuracy %%'\nset y2label 'ratio vs BERT'\n"
                "set ytics nomirror\nset y2tics\n%s",
                name, name, c->terminal, name, c->ext, what, ds, xlabel,
                axis == 'm' ? "set logscale x 2\n" : axis == 'l' ? "set xtics 1\n" : "");
        if (axis == 'p')
            fprintf(gp, "set xrange [*:*] reverse\n");
        fprintf(gp, "plot '%s.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 title 'accuracy (trained)'", name);
        if (two)
            fprintf(gp, ", \\\n     '%s.dat' index 1 using 1:2:3:4 with yerrorlines dashtype 3 title 'accuracy (at inference)'",
                    name);
        fprintf(gp, ", \\\n     '%s.dat' index 0 using 1:5:6:7 axes x1y2 with yerrorlines title 'speedup (train step)'"
                    ", \\\n     '%s.dat' index 0 using 1:8 axes x1y2 with linespoints title 'memory (train arena)'",
                name, name);
        if (bert && isfinite(bert->acc.mean))
            fprintf(gp, ", \\\n     %.6g with lines dashtype 2 title 'BERT (%.1f)'", bert->acc.mean, bert->acc.mean);
        fprintf(gp, "\n");
    }
    close_plot(c, name, dat, gp);
}

/* accuracy vs inference speedup with 95% intervals on both axes, one dataset */
static void speedup_plot(const pp_ctx *c, const pgroups *gs)
{
    const char *name = "accuracy_vs_speedup_ci";
    const char *ds = NULL;
    size_t n = 0;
    for (size_t i = 0; i < gs->n; i++) {
        const pgroup *g = &gs->g[i];
        if (isfinite(g->sp_infer.mean) && strcmp(g->sweep, "train") == 0) {
            ds = ds ? ds : g->dataset;
            if (strcmp(g->dataset, "bbc") == 0)
                ds = "bbc";
        }
    }
    for (size_t i = 0; ds && i < gs->n; i++)
        n += isfinite(gs->g[i].sp_infer.mean) && strcmp(gs->g[i].dataset, ds) == 0 &&
             strcmp(gs->g[i].sweep, "train") == 0;
    if (n < 2) {
        printf("skipped %s: fewer than two configurations with accuracy and inference speedup\n", name);
        (*c->skipped)++;
        return;
    }
    FILE *dat = ptc_plot_open(c->dir, name, "dat"), *gp = ptc_plot_open(c->dir, name, "gp");
    if (dat && gp) {
        fprintf(dat, "# speedup lo hi accuracy lo hi seeds label\n");
        for (size_t i = 0; i < gs->n; i++) {
            const pgroup *g = &gs->g[i];
            if (!isfinite(g->sp_infer.mean) || strcmp(g->dataset, ds) || strcmp(g->sweep, "train"))
                continue;
            char lab[80];
            if (!isnan(g->p) && strncmp(g->label, "C ", 2) && fabs(g->p - 0.9) > 1e-9)
                snprintf(lab, sizeof lab, "%s p%g", g->label, g->p);
            else if (g->m >= 0 && g->m != 8)
                snprintf(lab, sizeof lab, "%s m%ld", g->label, g->m);
            else
                snprintf(lab, sizeof lab, "%s", g->label);
            fprintf(dat, "%.6g %.6g %.6g %.6g %.6g %.6g %zu \"%s\"\n", g->sp_infer.mean, g->sp_infer.lo,
                    g->sp_infer.hi, g->acc.mean, g->acc.lo, g->acc.hi, g->n, lab);
        }
        fprintf(gp,
                "# %s.gp — written by `ptc plot` from accuracy rows; data in %s.dat.\n"
                "set terminal %s\nset output '%s.%s'\nset grid\nset key off\n"
                "set title 'Accuracy vs inference speedup on %s (95%% intervals on both axes)' noenhanced\n"
                "set xlabel 'speedup vs BERT (median time per inference batch)'\nset ylabel 'accuracy %%'\n"
                "set logscale x 2\nset offsets graph 0.05, graph 0.15, graph 0.05, graph 0.05\n"
                "plot '%s.dat' using 1:4:2:3:5:6 with xyerrorbars pt 7, \\\n"
                "     '' using 1:4:8 with labels offset 1,1 left noenhanced\n",
                name, name, c->terminal, name, c->ext, ds, name);
    }
    close_plot(c, name, dat, gp);
}

void ptc_plot_paper(const char *dir, const char *terminal, const char *ext, bool render,
                    const json_t **rows, size_t n, int *written, int *skipped, int *failed)
{
    pgroups gs;
    if (ptc_paper_group(rows, n, &gs) != 0) { /* no accuracy rows: nothing to plot here */
        ptc_paper_free(&gs);
        return;
    }
    ptc_paper_compute(&gs);
    const pp_ctx c = {dir, terminal, ext, render, written, skipped, failed};
    sweep_plot(&c, &gs, "table4_p", pf_trained, pf_inference, 'p', "PF by p", "preservation ratio p");
    sweep_plot(&c, &gs, "table5_lc", pfc_default_m, NULL, 'l', "PFC by L_c", "combining layer L_c");
    m_sweep_lc = -1;
    for (size_t i = 0; i < gs.n && m_sweep_lc < 0; i++)
        if (strncmp(gs.g[i].label, "PFC L", 5) == 0 && gs.g[i].m >= 0 && gs.g[i].m != 8)
            m_sweep_lc = gs.g[i].lc;
    sweep_plot(&c, &gs, "table6_m", pfc_m_sweep, NULL, 'm', "PFC by m", "combination tokens m");
    speedup_plot(&c, &gs);
    ptc_paper_free(&gs);
}
