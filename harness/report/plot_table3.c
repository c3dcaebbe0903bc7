/*
 * harness/report/plot_table3.c — the paper's Table 3 as a bar chart (plot.h):
 * per variant, the speedup and the memory ratio against BERT, ours beside the paper's
 * (harness/report/paper_tables.json: GPU, training-time) where the paper has the
 * variant; two panels, BERT = 1 as a reference line, our speedup's 95% interval as
 * error bars. Callers: plot_table3_bench here (bench rows of the encoder level, one
 * sequence length) and plot_paper.c (accuracy rows: the training step).
 *
 * NAME.dat: one line per variant: "label" speedup lo hi paper_speedup memory
 * paper_memory (NaN where absent).
 */
#include "report/paper.h"
#include "report/plot.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static bool any_finite(const plot_bar *bars, size_t nb, size_t offset)
{
    for (size_t i = 0; i < nb; i++)
        if (isfinite(*(const double *)((const char *)&bars[i] + offset)))
            return true;
    return false;
}

/* one panel: ours (with error bars when `errors`) and the paper's, then BERT = 1 */
static void bars_panel(FILE *gp, const char *name, const char *title, int ours_col, bool errors,
                       int paper_col, bool paper)
{
    char ours[96], theirs[96];
    plot_style(0, false, ours, sizeof ours);
    plot_style(1, false, theirs, sizeof theirs);
    fprintf(gp, "set title '%s'\n", title);
    if (errors)
        fprintf(gp, "set style histogram errorbars gap 1 lw 1\n"
                    "plot '%s.dat' using %d:%d:%d:xtic(1)%s title 'ours (95%% CI)'",
                name, ours_col, ours_col + 1, ours_col + 2, ours);
    else
        fprintf(gp, "set style histogram clustered gap 1\nplot '%s.dat' using %d:xtic(1)%s title 'ours'",
                name, ours_col, ours);
    if (paper && errors) /* the same histogram style: the paper's value, a zero-width interval */
        fprintf(gp, ", \\\n     '' using %d:%d:%d%s title 'paper (GPU, training)'", paper_col, paper_col,
                paper_col, theirs);
    else if (paper)
        fprintf(gp, ", \\\n     '' using %d%s title 'paper (GPU, training)'", paper_col, theirs);
    plot_ref_term(gp, 1.0, "BERT = 1");
    fputc('\n', gp);
}

void plot_table3_bars(plot_ctx *pc, const char *name, const char *what, const plot_bar *bars,
                      size_t nb, const json_t **rows, size_t n, const char *notes)
{
    FILE *dat, *gp;
    if (!plot_begin(pc, name, nb > 0, &dat, &gp, "no variant other than BERT with a speedup and a memory ratio"))
        return;
    const char **names = malloc(nb * sizeof *names);
    if (dat && gp) {
        fputs("# label speedup speedup_lo speedup_hi paper_speedup memory paper_memory\n", dat);
        for (size_t i = 0; i < nb; i++) {
            fputc('"', dat);
            plot_put_string(dat, bars[i].label);
            fputc('"', dat);
            plot_put_num(dat, bars[i].speedup);
            plot_put_num(dat, isfinite(bars[i].speedup_lo) ? bars[i].speedup_lo : bars[i].speedup);
            plot_put_num(dat, isfinite(bars[i].speedup_hi) ? bars[i].speedup_hi : bars[i].speedup);
            plot_put_num(dat, bars[i].paper_speedup);
            plot_put_num(dat, bars[i].memory);
            plot_put_num(dat, bars[i].paper_memory);
            fputc('\n', dat);
            names[i] = bars[i].label;
        }
        const bool paper_sp = any_finite(bars, nb, offsetof(plot_bar, paper_speedup));
        const bool paper_mem = any_finite(bars, nb, offsetof(plot_bar, paper_memory));
        plot_script_head(pc, gp, name, 1);
        fprintf(gp, "set style data histograms\nset style fill solid 0.85 border -1\nset boxwidth 0.9\n"
                    "set yrange [0:1.15<*]\nset grid noxtics ytics\nset xtics scale 0%s\n"
                    "set tmargin 5\nset multiplot layout 1,2\n",
                nb > 5 ? " rotate by 30 right" : "");
        bars_panel(gp, name, "speedup vs BERT", 2, true, 5, paper_sp);
        fputs("unset key\n", gp);
        bars_panel(gp, name, "memory vs BERT", 6, false, 7, paper_mem);
        fputs("unset multiplot\n", gp);
        plot_script_tail(gp);
    }
    plot_complete(pc, name, dat, gp, what, rows, n, names, nb, NULL, notes);
    free(names);
}

/* Table 3 bars of bench rows (encoder level): each variant at seq 512 (else the longest
 * sequence), the paper's Table 3 beside */
void plot_table3_bench(plot_ctx *pc, const json_t **all, size_t nall)
{
    if (!pc->level || strcmp(pc->level, "encoder") != 0)
        return;
    char name[128];
    snprintf(name, sizeof name, "table3_bars-%s", pc->level);
    const json_t **rows = malloc((nall + 1) * sizeof *rows);
    double seq = NAN, v;
    for (size_t i = 0; i < nall; i++)
        if (ptc_row_num(all[i], "speedup.median", &v) && ptc_row_num(all[i], "memory_ratio", &v) &&
            ptc_row_num(all[i], "seq", &v) && (isnan(seq) || (seq != 512 && (v == 512 || v > seq))))
            seq = v;
    size_t n = 0;
    for (size_t i = 0; i < nall; i++)
        if (ptc_row_num(all[i], "seq", &v) && v == seq && ptc_row_num(all[i], "speedup.median", &v) &&
            ptc_row_num(all[i], "memory_ratio", &v))
            rows[n++] = all[i];
    series *s = NULL;
    const char *dims[40];
    const size_t ns = n ? plot_make_series(rows, n, "seq", &s, dims) : 0;
    plot_bar *bars = calloc(ns + 1, sizeof *bars);
    size_t nb = 0;
    for (size_t i = 0; i < ns; i++) {
        const json_t *r = s[i].rows[0];
        const char *variant = ptc_row_str(r, "variant"), *label = ptc_row_str(r, "label");
        if (!variant || !label || strcmp(variant, "baseline") == 0)
            continue;
        plot_bar *b = &bars[nb++];
        snprintf(b->label, sizeof b->label, "%s", s[i].name);
        b->speedup = plot_speedup_value(r, 0);
        b->speedup_lo = plot_speedup_value(r, 1);
        b->speedup_hi = plot_speedup_value(r, 2);
        b->memory = plot_num_or_nan(r, "memory_ratio");
        const double lc = plot_num_or_nan(r, "lc"), m = plot_num_or_nan(r, "m");
        const char *paper = ptc_paper_label(label, plot_num_or_nan(r, "p"), isnan(lc) ? -1 : (long)lc,
                                            isnan(m) ? -1 : (long)m, (long)plot_num_or_nan(r, "layers"));
        if (!paper || !ptc_paper_table3(paper, &b->paper_memory, &b->paper_speedup))
            b->paper_memory = b->paper_speedup = NAN;
    }
    char what[256], notes[1400], constant[900];
    snprintf(what, sizeof what, "Table 3 as bars: speedup (95%% CI) and activation-memory ratio vs BERT per "
                                "variant at sequence length %g; the paper's Table 3 beside", seq);
    ptc_caption(rows, n, (const char *const[]){"label", "variant", "rule", "p", "lc", NULL}, constant,
                sizeof constant);
    snprintf(notes, sizeof notes,
             "constant: %s\nnote: ours: this CPU, one forward pass of the rows' phase; the paper: GPU, "
             "training-time memory and speedup (%s); a combining layer one before the last is the paper's "
             "L11 of 12\n", constant, ptc_paper_source());
    plot_table3_bars(pc, name, what, bars, nb, rows, n, notes);
    free(bars);
    free(s);
    free(rows);
}
