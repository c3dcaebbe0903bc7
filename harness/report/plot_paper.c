/*
 * harness/report/plot_paper.c — the plots of the paper's tables (paper.h), written by
 * `ptc plot` beside its other plots when the rows are accuracy rows:
 *   table4_p             accuracy (95% interval over seeds) vs p of PF trained with
 *                        each p, and of p applied at inference when there are such
 *                        rows, the paper's Table 4 accuracy beside (BBC); training
 *                        speedup and memory on the right axis when the rows have them
 *   table5_lc            accuracy and training speedup vs the combining layer L_c (PFC)
 *   table6_m             accuracy and training speedup vs m (PFC), log2 axis
 *   table3_bars-DATASET  Table 3 as bars: training-step speedup and memory ratio per
 *                        variant, the paper's beside (plot_table3.c)
 * and the accuracy plots (plot_accuracy.c). One dataset per sweep plot (bbc when it
 * has the rows, else the first that has). Each writes NAME.gp, NAME.dat and
 * NAME.caption.txt; a plot without data is skipped with a note.
 */
#include "report/paper.h"
#include "report/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * ascending x; returns the points written; *ratios counts those with a speedup, *ratio_max is
 * raised to the largest speedup or memory point (not interval end) */
static size_t write_block(FILE *dat, const pgroups *gs, const char *ds, pp_member member, char axis,
                          const char *title, size_t *ratios, double *ratio_max)
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
        fprintf(dat, "%.6g", last);
        plot_put_num(dat, best->acc.mean);
        plot_put_num(dat, best->acc.lo);
        plot_put_num(dat, best->acc.hi);
        plot_put_num(dat, best->sp_train.mean);
        plot_put_num(dat, best->sp_train.lo);
        plot_put_num(dat, best->sp_train.hi);
        plot_put_num(dat, best->mem_train.mean);
        fprintf(dat, " %zu\n", best->n);
        *ratios += isfinite(best->sp_train.mean);
        if (isfinite(best->sp_train.mean) && best->sp_train.mean > *ratio_max)
            *ratio_max = best->sp_train.mean;
        if (isfinite(best->mem_train.mean) && best->mem_train.mean > *ratio_max)
            *ratio_max = best->mem_train.mean;
        n++;
    }
    return n;
}

static size_t count_members(const pgroups *gs, const char *ds, pp_member member)
{
    size_t n = 0;
    for (size_t i = 0; member && ds && i < gs->n; i++)
        n += member(&gs->g[i]) && strcmp(gs->g[i].dataset, ds) == 0;
    return n;
}

/* the paper's Table 4 accuracy by p, as a data block; its points */
static size_t paper_table4_block(FILE *dat, const char *ds)
{
    fputs("\n\n# series: paper (PF trained, GPU)\n# p accuracy memory speedup\n", dat);
    size_t n = 0;
    double p, acc, mem, sp;
    while (ptc_paper_table4_row(n, ds, &p, &acc, &mem, &sp)) {
        fprintf(dat, "%.6g %.6g %.6g %.6g\n", p, acc, mem, sp);
        n++;
    }
    return n;
}

/* accuracy (left) with speedup and memory (right) against p, L_c or m: `member` trained,
 * `second` (may be NULL) at inference */
static void sweep_plot(plot_ctx *pc, const pgroups *gs, const char *name, pp_member member, pp_member second,
                       char axis, const char *what, const char *xlabel, const json_t **rows)
{
    const char *ds = pick_dataset(gs, member);
    if (!ds && second)
        ds = pick_dataset(gs, second);
    FILE *dat, *gp;
    const bool two = count_members(gs, ds, member) >= 2 || count_members(gs, ds, second) >= 2;
    if (!plot_begin(pc, name, two, &dat, &gp, "fewer than two %s points", what))
        return;
    const char *names[6];
    size_t ns = 0;
    if (dat && gp) {
        size_t ratios = 0, unused = 0;
        double ratio_max = 0, unused_max = 0;
        const size_t trained = write_block(dat, gs, ds, member, axis, "trained", &ratios, &ratio_max);
        fputs("\n\n", dat);
        const size_t inferred =
            second ? write_block(dat, gs, ds, second, axis, "at inference", &unused, &unused_max) : 0;
        const size_t paper = axis == 'p' ? paper_table4_block(dat, ds) : 0;
        const pgroup *bert = ptc_paper_bert(gs, ds);
        plot_script_head(pc, gp, name, 1);
        fprintf(gp, "set title '%s on %s'\nset xlabel '%s'\nset ylabel 'test accuracy %% (95%% CI)'\n"
                    "set offsets graph 0.03, graph 0.03, graph 0.08, graph 0.08\n%s",
                what, ds, xlabel, axis == 'm' ? "set logscale x 2\n" : axis == 'l' ? "set xtics 1\n" : "");
        if (ratios) /* the ratio axis ranges on the points: wide intervals (few seeds) are clipped */
            fprintf(gp, "set y2label 'ratio vs BERT (training step)'\nset ytics nomirror\nset y2tics\n"
                        "set y2range [*<0.9:1.1<*<%.3g]\n", ratio_max * 1.5 > 1.1 ? ratio_max * 1.5 : 1.1);
        char st[96];
        const char *sep = "plot ";
        if (trained) {
            plot_style(0, true, st, sizeof st);
            fprintf(gp, "%s'%s.dat' index 0 using 1:2:3:4 with yerrorlines%s lw 2 title 'accuracy (trained)'", sep,
                    name, st);
            names[ns++] = "accuracy (trained)";
            sep = ", \\\n     ";
        }
        if (inferred) {
            plot_style(1, true, st, sizeof st);
            fprintf(gp, "%s'%s.dat' index 1 using 1:2:3:4 with yerrorlines%s lw 2 title 'accuracy (p at inference)'",
                    sep, name, st);
            names[ns++] = "accuracy (p at inference)";
            sep = ", \\\n     ";
        }
        if (paper) {
            plot_style(2, true, st, sizeof st);
            fprintf(gp, "%s'%s.dat' index 2 using 1:2 with linespoints%s lw 1.5 title 'accuracy (paper, GPU)'", sep,
                    name, st);
            names[ns++] = "accuracy (paper, GPU)";
        }
        if (ratios) {
            char st2[96];
            plot_style(3, true, st, sizeof st);
            plot_style(4, true, st2, sizeof st2);
            fprintf(gp, ", \\\n     '%s.dat' index 0 using 1:5:6:7 axes x1y2 with yerrorlines%s lw 1.5 title 'speedup (train step)'"
                        ", \\\n     '%s.dat' index 0 using 1:8 axes x1y2 with linespoints%s lw 1.5 title 'memory (train arena)'",
                    name, st, name, st2);
            names[ns++] = "speedup (train step)";
            names[ns++] = "memory (train arena)";
        }
        plot_bert_reference_end(gp, bert, "");
    }
    const json_t **dsrows = rows;
    const size_t n = plot_dataset_rows(gs, ds, dsrows);
    char cap[300];
    snprintf(cap, sizeof cap, "%s on %s: test accuracy (mean over seeds, 95%% t-interval)%s; BERT dashed", what,
             ds, axis == 'p' ? "; p at inference: `ptc eval --rows` on a trained checkpoint; the paper's Table 4 "
                               "(GPU, BERT-base) beside" : "; training-step speedup and memory vs BERT on the right");
    plot_complete(pc, name, dat, gp, cap, dsrows, n, names, ns, NULL, NULL);
}

/* Table 3 bars of the accuracy rows of a dataset: training-step speedup and memory */
static void table3_bars(plot_ctx *pc, const pgroups *gs, const char *ds, const json_t **rows)
{
    char name[96];
    snprintf(name, sizeof name, "table3_bars-%s", ds);
    plot_bar *bars = calloc(gs->n + 1, sizeof *bars);
    size_t nb = 0;
    for (size_t i = 0; i < gs->n; i++) {
        const pgroup *g = &gs->g[i];
        if (strcmp(g->dataset, ds) || strcmp(g->sweep, "train") || strcmp(g->label, "BERT") == 0 ||
            !(isfinite(g->sp_train.mean) || isfinite(g->mem_train.mean)))
            continue;
        plot_bar *b = &bars[nb++];
        plot_group_name(g, true, b->label, sizeof b->label);
        b->speedup = g->sp_train.mean;
        b->speedup_lo = g->sp_train.lo;
        b->speedup_hi = g->sp_train.hi;
        b->memory = g->mem_train.mean;
        const char *paper = ptc_paper_label(g->label, g->p, g->lc, g->m, g->layers);
        if (!paper || !ptc_paper_table3(paper, &b->paper_memory, &b->paper_speedup))
            b->paper_memory = b->paper_speedup = NAN;
    }
    const size_t n = plot_dataset_rows(gs, ds, rows);
    char what[200], notes[700];
    snprintf(what, sizeof what, "Table 3 as bars on %s: training-step speedup (95%% CI over seeds) and "
                                "training-arena memory ratio vs BERT per variant; the paper's Table 3 beside", ds);
    snprintf(notes, sizeof notes, "note: the paper: %s; a combining layer one before the last is the paper's L11 "
                                  "of 12\n", ptc_paper_source());
    if (nb)
        plot_table3_bars(pc, name, what, bars, nb, rows, n, notes);
    free(bars);
}

void ptc_plot_paper(plot_ctx *pc, const json_t **rows, size_t n)
{
    pgroups gs;
    if (ptc_paper_group(rows, n, &gs) != 0) { /* no accuracy rows: nothing to plot here */
        ptc_paper_free(&gs);
        return;
    }
    ptc_paper_compute(&gs);
    const json_t **scratch = malloc((2 * n + 1) * sizeof *scratch);
    plot_accuracy(pc, &gs);
    sweep_plot(pc, &gs, "table4_p", pf_trained, pf_inference, 'p', "PF by p", "preservation ratio p", scratch);
    sweep_plot(pc, &gs, "table5_lc", pfc_default_m, NULL, 'l', "PFC by L_c", "combining layer L_c", scratch);
    m_sweep_lc = -1;
    for (size_t i = 0; i < gs.n && m_sweep_lc < 0; i++)
        if (strncmp(gs.g[i].label, "PFC L", 5) == 0 && gs.g[i].m >= 0 && gs.g[i].m != 8)
            m_sweep_lc = gs.g[i].lc;
    sweep_plot(pc, &gs, "table6_m", pfc_m_sweep, NULL, 'm', "PFC by m", "combination tokens m", scratch);
    for (size_t i = 0; i < gs.n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(gs.g[k].dataset, gs.g[i].dataset) == 0;
        if (!seen)
            table3_bars(pc, &gs, gs.g[i].dataset, scratch);
    }
    free(scratch);
    ptc_paper_free(&gs);
}
