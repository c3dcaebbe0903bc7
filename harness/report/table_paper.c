/*
 * harness/report/table_paper.c — `ptc table --kind table2|table4|table5|table6|tests
 * [--paper]`: the paper's tables in its layouts from accuracy rows (paper.h).
 *
 *   table2  variants x datasets, accuracy % mean ± sd over seeds (the paper's
 *           settings: p 0.9, m 8); --paper puts the published number beside each
 *   table4  PF by p (trained with each p) on one dataset (bbc when present):
 *           accuracy, its difference from BERT with the bootstrap p-value, the
 *           accuracy of the same p applied at inference (`ptc eval --rows` rows),
 *           training memory, training and inference speedup; --paper: published
 *   table5  PFC by L_c: the same columns; --paper adds the paper's rows (12 layers)
 *   table6  PFC by m, per dataset; the paper's claim (best m) in a note
 *   tests   every configuration against BERT: intervals over seeds, the paired
 *           bootstrap over documents and seeds, exact McNemar per seed, the
 *           paper's difference and the verdict (confirmed / not confirmed /
 *           within noise at 5%), speed ratios with their intervals
 * Markdown/LaTeX show "mean ± sd" and "ratio [95% interval]"; CSV has each value.
 */
#include "report/paper.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void exact(double v, char *out, size_t len)
{
    if (isnan(v))
        out[0] = '\0';
    else
        ptc_fmt_double_exact(v, out, len);
}

/* "96.2 ± 0.4" (sd over seeds) or with_ci: "96.2 [95.1, 97.3]"; CSV mean, sd, lo, hi */
static void cell_summary(ptc_rtable *t, size_t r, size_t c, const ptc_summary *s, bool with_ci)
{
    if (s->n == 0 || isnan(s->mean)) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    char text[96], a[40], b[40], lo[40], hi[40];
    if (with_ci && s->n > 1)
        snprintf(text, sizeof text, "%.1f [%.1f, %.1f]", s->mean, s->lo, s->hi);
    else if (s->n > 1)
        snprintf(text, sizeof text, "%.1f ± %.1f", s->mean, s->sd);
    else
        snprintf(text, sizeof text, "%.1f", s->mean);
    exact(s->mean, a, sizeof a);
    exact(s->sd, b, sizeof b);
    exact(s->lo, lo, sizeof lo);
    exact(s->hi, hi, sizeof hi);
    ptc_rtable_set(t, r, c, text, a, b, lo, hi);
}

/* "1.23 [1.20, 1.26]"; CSV ratio, lo, hi */
static void cell_ratio(ptc_rtable *t, size_t r, size_t c, const ptc_summary *s)
{
    if (s->n == 0 || !isfinite(s->mean)) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    char text[96], a[40], lo[40], hi[40];
    if (s->lo != s->hi)
        snprintf(text, sizeof text, "%.2f [%.2f, %.2f]", s->mean, s->lo, s->hi);
    else
        snprintf(text, sizeof text, "%.2f", s->mean);
    exact(s->mean, a, sizeof a);
    exact(s->lo, lo, sizeof lo);
    exact(s->hi, hi, sizeof hi);
    ptc_rtable_set(t, r, c, text, a, lo, hi, NULL);
}

static void cell_num(ptc_rtable *t, size_t r, size_t c, double v, const char *fmt)
{
    if (!isfinite(v)) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    char text[64], a[40];
    snprintf(text, sizeof text, fmt, v);
    exact(v, a, sizeof a);
    ptc_rtable_set(t, r, c, text, a, NULL, NULL, NULL);
}

static void cell_text(ptc_rtable *t, size_t r, size_t c, const char *s)
{
    ptc_rtable_set(t, r, c, s && *s ? s : NULL, s, NULL, NULL, NULL);
}

/* "+1.2 [0.3, 2.1], p 0.012"; CSV diff, lo, hi, p */
static void cell_diff(ptc_rtable *t, size_t r, size_t c, const pgroup *g)
{
    if (!g->tested) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    char text[96], a[40], lo[40], hi[40], p[40];
    snprintf(text, sizeof text, "%+.1f [%+.1f, %+.1f], p %.3g", g->boot.diff, g->boot.lo, g->boot.hi,
             g->boot.p);
    exact(g->boot.diff, a, sizeof a);
    exact(g->boot.lo, lo, sizeof lo);
    exact(g->boot.hi, hi, sizeof hi);
    exact(g->boot.p, p, sizeof p);
    ptc_rtable_set(t, r, c, text, a, lo, hi, p);
}

static void common_notes(ptc_rtable *t, bool paper)
{
    ptc_rtable_note(t, "accuracy: test split, %% mean ± sample sd over seeds; Δ vs BERT: paired bootstrap over "
                       "documents and seeds (4000 replicates), 95%% percentile interval and two-sided p");
    ptc_rtable_note(t, "ratios vs BERT of the same dataset and seed: geometric mean over seeds [95%% t-interval "
                       "of the log]; memory: training arena bytes; speedup: median seconds per training step "
                       "or per inference batch");
    if (paper)
        ptc_rtable_note(t, "paper: %s", ptc_paper_source());
}

/* the caption: the dimensions constant over the rows, without those the table shows */
static void paper_caption(ptc_rtable *t, const pgroups *gs)
{
    const json_t **firsts = malloc(gs->n * sizeof *firsts);
    for (size_t i = 0; i < gs->n; i++)
        firsts[i] = gs->g[i].first;
    static const char *const skip[] = {"label", "p", "lc", "m", "variant", "rule", "run", "dataset", NULL};
    ptc_caption(firsts, gs->n, skip, t->caption, sizeof t->caption);
    free(firsts);
}

/* ---- table 2 ------------------------------------------------------------------------------------ */
/* trained with p 0.9 and m 8 (token variants: at any keep ratio, in their label) */
static bool paper_setting(const pgroup *g)
{
    return strcmp(g->sweep, "train") == 0 &&
           (isnan(g->p) || fabs(g->p - 0.9) < 1e-9 || ptc_paper_is_token(g)) && (g->m < 0 || g->m == 8);
}

static int build_table2(ptc_rtable *t, const pgroups *gs, bool paper)
{
    const char *datasets[16], *labels[32];
    size_t nd = 0, nl = 0;
    for (size_t i = 0; i < gs->n; i++) {
        const pgroup *g = &gs->g[i];
        if (!paper_setting(g))
            continue;
        size_t k = 0;
        while (k < nd && strcmp(datasets[k], g->dataset))
            k++;
        if (k == nd && nd < 16)
            datasets[nd++] = g->dataset;
        k = 0;
        while (k < nl && strcmp(labels[k], g->label))
            k++;
        if (k == nl && nl < 32)
            labels[nl++] = g->label;
    }
    snprintf(t->title, sizeof t->title, "Table 2: accuracy %% by variant and dataset");
    paper_caption(t, gs);
    ptc_rtable_col(t, "Variant", false, "label", NULL, NULL, NULL);
    for (size_t d = 0; d < nd; d++) {
        char title[64], s1[64], s2[64], s3[64], s4[64];
        snprintf(title, sizeof title, "%s", datasets[d]);
        snprintf(s1, sizeof s1, "%s_mean", datasets[d]);
        snprintf(s2, sizeof s2, "%s_sd", datasets[d]);
        snprintf(s3, sizeof s3, "%s_ci_low", datasets[d]);
        snprintf(s4, sizeof s4, "%s_ci_high", datasets[d]);
        ptc_rtable_col(t, title, true, s1, s2, s3, s4);
        if (paper) {
            snprintf(title, sizeof title, "%s (paper)", datasets[d]);
            snprintf(s1, sizeof s1, "%s_paper", datasets[d]);
            ptc_rtable_col(t, title, true, s1, NULL, NULL, NULL);
        }
    }
    size_t max_seeds = 0;
    for (size_t l = 0; l < nl; l++) {
        const size_t r = ptc_rtable_row(t);
        cell_text(t, r, 0, labels[l]);
        size_t c = 1;
        for (size_t d = 0; d < nd; d++) {
            const pgroup *g = NULL;
            for (size_t i = 0; i < gs->n && !g; i++)
                if (paper_setting(&gs->g[i]) && strcmp(gs->g[i].label, labels[l]) == 0 &&
                    strcmp(gs->g[i].dataset, datasets[d]) == 0)
                    g = &gs->g[i];
            const ptc_summary none = {0};
            cell_summary(t, r, c++, g ? &g->acc : &none, false);
            if (paper)
                cell_num(t, r, c++, g ? g->paper_acc : NAN, "%.1f");
            if (g && g->n > max_seeds)
                max_seeds = g->n;
        }
    }
    ptc_rtable_note(t, "p 0.9, m 8 (the paper's settings); up to %zu seeds per cell; differences, "
                       "p-values and verdicts: --kind tests", max_seeds);
    if (paper)
        ptc_rtable_note(t, "the paper's C/PFC L11 (of 12 layers) is compared with L_c = layers - 1; the "
                           "paper's PFC L7 with none");
    common_notes(t, paper);
    return 0;
}

/* ---- tables 4 and 5 --------------------------------------------------------------------------------- */
/* the dataset of a sweep table: bbc when it has such groups, else the first that has */
static const char *sweep_dataset(const pgroups *gs, bool (*member)(const pgroup *))
{
    const char *first = NULL;
    for (size_t i = 0; i < gs->n; i++)
        if (member(&gs->g[i])) {
            if (strcmp(gs->g[i].dataset, "bbc") == 0)
                return "bbc";
            if (!first)
                first = gs->g[i].dataset;
        }
    return first;
}

static bool is_pf(const pgroup *g)
{
    return strcmp(g->label, "PF") == 0;
}

static bool is_pfc(const pgroup *g)
{
    return strncmp(g->label, "PFC L", 5) == 0 && strcmp(g->sweep, "train") == 0;
}

static void sweep_columns(ptc_rtable *t, const char *key, const char *key_csv)
{
    ptc_rtable_col(t, key, true, key_csv, NULL, NULL, NULL);
    ptc_rtable_col(t, "accuracy %", true, "accuracy_mean", "accuracy_sd", "accuracy_ci_low", "accuracy_ci_high");
    ptc_rtable_col(t, "Δ vs BERT (pp)", true, "diff", "diff_ci_low", "diff_ci_high", "diff_p");
    ptc_rtable_col(t, "memory (train)", true, "memory_train", "memory_train_ci_low", "memory_train_ci_high", NULL);
    ptc_rtable_col(t, "speedup (train)", true, "speedup_train", "speedup_train_ci_low", "speedup_train_ci_high", NULL);
    ptc_rtable_col(t, "speedup (infer)", true, "speedup_infer", "speedup_infer_ci_low", "speedup_infer_ci_high", NULL);
}

/* the dataset, title, caption and leading columns of a sweep table; NULL after a message */
static const char *sweep_table_start(ptc_rtable *t, const pgroups *gs, bool (*member)(const pgroup *),
                                     const char *kind, const char *what, const char *key, const char *key_csv)
{
    const char *ds = sweep_dataset(gs, member);
    if (!ds) {
        fprintf(stderr, "ptc table: --kind %s: no rows of its variant\n", kind);
        return NULL;
    }
    snprintf(t->title, sizeof t->title, "%s on %s", what, ds);
    paper_caption(t, gs);
    sweep_columns(t, key, key_csv);
    return ds;
}

static void sweep_cells(ptc_rtable *t, size_t r, size_t c, const pgroup *g)
{
    cell_summary(t, r, c++, &g->acc, false);
    cell_diff(t, r, c++, g);
    cell_ratio(t, r, c++, &g->mem_train);
    cell_ratio(t, r, c++, &g->sp_train);
    cell_ratio(t, r, c++, &g->sp_infer);
}

static void bert_row(ptc_rtable *t, const pgroup *bert, size_t ncols)
{
    if (!bert)
        return;
    const size_t r = ptc_rtable_row(t);
    cell_text(t, r, 0, "BERT");
    cell_summary(t, r, 1, &bert->acc, false);
    for (size_t c = 2; c < ncols; c++)
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
}

static int build_table4(ptc_rtable *t, const pgroups *gs, bool paper)
{
    const char *ds = sweep_table_start(t, gs, is_pf, "table4", "Table 4: PF by preservation ratio p", "p", "p");
    if (!ds)
        return -1;
    ptc_rtable_col(t, "accuracy % (p at inference)", true, "infer_accuracy_mean", "infer_accuracy_sd",
                   "infer_accuracy_ci_low", "infer_accuracy_ci_high");
    if (paper) {
        ptc_rtable_col(t, "accuracy % (paper)", true, "paper_accuracy", NULL, NULL, NULL);
        ptc_rtable_col(t, "memory (paper)", true, "paper_memory", NULL, NULL, NULL);
        ptc_rtable_col(t, "speedup (paper)", true, "paper_speedup", NULL, NULL, NULL);
    }
    /* one line per p of the trained rows, then p values only swept at inference */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < gs->n; i++) {
            const pgroup *g = &gs->g[i];
            if (!is_pf(g) || strcmp(g->dataset, ds) || strcmp(g->sweep, pass ? "inference" : "train"))
                continue;
            const pgroup *trained = NULL, *inferred = NULL;
            for (size_t k = 0; k < gs->n; k++) {
                const pgroup *h = &gs->g[k];
                if (is_pf(h) && strcmp(h->dataset, ds) == 0 && fabs(h->p - g->p) < 1e-9)
                    *(strcmp(h->sweep, "train") == 0 ? &trained : &inferred) = h;
            }
            if (pass == 1 && trained)
                continue;
            const size_t r = ptc_rtable_row(t);
            cell_num(t, r, 0, g->p, "%.2f");
            const pgroup empty = {0};
            sweep_cells(t, r, 1, trained ? trained : &empty);
            const ptc_summary none = {0};
            cell_summary(t, r, 6, inferred ? &inferred->acc : &none, false);
            double pacc, pmem, psp; /* the paper's row at this p, with or without trained rows */
            if (paper) {
                ptc_paper_table4_at(ds, g->p, &pacc, &pmem, &psp);
                cell_num(t, r, 7, pacc, "%.1f");
                cell_num(t, r, 8, pmem, "%.2f");
                cell_num(t, r, 9, psp, "%.2f");
            }
        }
    bert_row(t, ptc_paper_bert(gs, ds), t->ncols);
    ptc_rtable_note(t, "p at inference: `ptc eval --rows` on a trained checkpoint (its rows say which)");
    common_notes(t, paper);
    return 0;
}

static int build_table5(ptc_rtable *t, const pgroups *gs, bool paper)
{
    const char *ds = sweep_table_start(t, gs, is_pfc, "table5", "Table 5: PFC by combining layer L_c", "L_c", "lc");
    if (!ds)
        return -1;
    if (paper)
        ptc_rtable_col(t, "source", false, "source", NULL, NULL, NULL);
    for (size_t i = 0; i < gs->n; i++) {
        const pgroup *g = &gs->g[i];
        if (!is_pfc(g) || strcmp(g->dataset, ds) || !(g->m < 0 || g->m == 8) ||
            !(isnan(g->p) || fabs(g->p - 0.9) < 1e-9))
            continue;
        const size_t r = ptc_rtable_row(t);
        char lc[48];
        snprintf(lc, sizeof lc, "%ld of %ld", g->lc, g->layers);
        cell_text(t, r, 0, lc);
        sweep_cells(t, r, 1, g);
        if (paper)
            cell_text(t, r, 6, "ours");
    }
    bert_row(t, ptc_paper_bert(gs, ds), t->ncols);
    if (paper) {
        if (t->nrows)
            cell_text(t, t->nrows - 1, 6, "ours");
        long lc;
        double acc, mem, sp;
        for (size_t i = 0; ptc_paper_table5_row(i, &lc, &acc, &mem, &sp); i++) {
            const size_t r = ptc_rtable_row(t);
            char s[48];
            snprintf(s, sizeof s, "%ld of 12", lc);
            cell_text(t, r, 0, s);
            cell_num(t, r, 1, acc, "%.1f");
            ptc_rtable_set(t, r, 2, NULL, NULL, NULL, NULL, NULL);
            cell_num(t, r, 3, mem, "%.2f");
            cell_num(t, r, 4, sp, "%.2f");
            ptc_rtable_set(t, r, 5, NULL, NULL, NULL, NULL, NULL);
            cell_text(t, r, 6, "paper");
        }
    }
    common_notes(t, paper);
    return 0;
}

/* ---- table 6 ---------------------------------------------------------------------------------------- */
static int build_table6(ptc_rtable *t, const pgroups *gs, bool paper)
{
    snprintf(t->title, sizeof t->title, "Table 6: PFC by the number m of combination tokens");
    paper_caption(t, gs);
    ptc_rtable_col(t, "dataset", false, "dataset", NULL, NULL, NULL);
    sweep_columns(t, "m", "m");
    for (size_t i = 0; i < gs->n; i++) {
        const pgroup *g = &gs->g[i];
        if (!is_pfc(g))
            continue;
        const size_t r = ptc_rtable_row(t);
        cell_text(t, r, 0, g->dataset);
        char m[48];
        snprintf(m, sizeof m, "%ld (L_c %ld)", g->m, g->lc);
        cell_text(t, r, 1, m);
        sweep_cells(t, r, 2, g);
    }
    if (t->nrows == 0) {
        fprintf(stderr, "ptc table: --kind table6: no PFC rows\n");
        return -1;
    }
    /* the best m per (dataset, L_c) against the paper's claim */
    for (size_t i = 0; i < gs->n; i++) {
        const pgroup *g = &gs->g[i], *best = NULL;
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = !(is_pfc(&gs->g[k]) && strcmp(gs->g[k].dataset, g->dataset) == 0 && gs->g[k].lc == g->lc);
        if (!is_pfc(g) || !first)
            continue;
        size_t nm = 0;
        for (size_t k = 0; k < gs->n; k++) {
            const pgroup *h = &gs->g[k];
            if (is_pfc(h) && strcmp(h->dataset, g->dataset) == 0 && h->lc == g->lc) {
                nm++;
                if (!best || h->acc.mean > best->acc.mean)
                    best = h;
            }
        }
        if (nm > 1)
            ptc_rtable_note(t, "%s, L_c %ld: best m = %ld (%.1f%%); the paper: best m = %ld on every dataset",
                            g->dataset, g->lc, best->m, best->acc.mean, ptc_paper_best_m());
    }
    common_notes(t, paper);
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------------------ */
static int build_tests(ptc_rtable *t, const pgroups *gs, bool paper)
{
    snprintf(t->title, sizeof t->title, "Every configuration against BERT on the same test documents");
    paper_caption(t, gs);
    ptc_rtable_col(t, "dataset", false, "dataset", NULL, NULL, NULL);
    ptc_rtable_col(t, "Variant", false, "label", NULL, NULL, NULL);
    ptc_rtable_col(t, "p", true, "p", NULL, NULL, NULL);
    ptc_rtable_col(t, "m", true, "m", NULL, NULL, NULL);
    ptc_rtable_col(t, "variant set", false, "sweep", NULL, NULL, NULL);
    ptc_rtable_col(t, "seeds", true, "seeds", NULL, NULL, NULL);
    ptc_rtable_col(t, "accuracy % [95% CI]", true, "accuracy_mean", "accuracy_sd", "accuracy_ci_low", "accuracy_ci_high");
    ptc_rtable_col(t, "macro-F1 % [95% CI]", true, "macro_f1_mean", "macro_f1_sd", "macro_f1_ci_low", "macro_f1_ci_high");
    ptc_rtable_col(t, "Δ vs BERT (pp) [95%], p", true, "diff", "diff_ci_low", "diff_ci_high", "diff_p");
    ptc_rtable_col(t, "McNemar p per seed", false, "mcnemar_p", NULL, NULL, NULL);
    ptc_rtable_col(t, "paper Δ (pp)", true, "paper_diff", NULL, NULL, NULL);
    ptc_rtable_col(t, "verdict", false, "verdict", NULL, NULL, NULL);
    ptc_rtable_col(t, "speedup (infer)", true, "speedup_infer", "speedup_infer_ci_low", "speedup_infer_ci_high", NULL);
    ptc_rtable_col(t, "speedup (train)", true, "speedup_train", "speedup_train_ci_low", "speedup_train_ci_high", NULL);
    for (size_t i = 0; i < gs->n; i++) {
        const pgroup *g = &gs->g[i];
        const size_t r = ptc_rtable_row(t);
        size_t c = 0;
        cell_text(t, r, c++, g->dataset);
        cell_text(t, r, c++, g->label);
        cell_num(t, r, c++, g->p, "%.2f");
        cell_num(t, r, c++, g->m >= 0 ? (double)g->m : NAN, "%.0f");
        char set[48];
        snprintf(set, sizeof set, "at inference on %s", g->trained[0] ? g->trained : "?");
        cell_text(t, r, c++, strcmp(g->sweep, "train") == 0 ? "trained" : set);
        cell_num(t, r, c++, (double)g->n, "%.0f");
        cell_summary(t, r, c++, &g->acc, true);
        cell_summary(t, r, c++, &g->f1, true);
        cell_diff(t, r, c++, g);
        char mc[256] = "";
        for (size_t s = 0; s < g->n_tested; s++) {
            const size_t l = strlen(mc);
            snprintf(mc + l, sizeof mc - l, "%s%.3g", s ? " " : "", g->mcnemar[s]);
        }
        cell_text(t, r, c++, mc);
        cell_num(t, r, c++, strcmp(g->label, "BERT") ? g->paper_acc - g->paper_bert : NAN, "%+.1f");
        cell_text(t, r, c++, ptc_paper_verdict(g));
        cell_ratio(t, r, c++, &g->sp_infer);
        cell_ratio(t, r, c++, &g->sp_train);
    }
    ptc_rtable_note(t, "verdict: the paper's direction vs BERT (its Tables 2 and 4) at the 5%% level of the "
                       "bootstrap: confirmed (same direction, p < 0.05), not confirmed (opposite, p < 0.05), "
                       "within noise (p >= 0.05)");
    common_notes(t, true);
    (void)paper;
    return 0;
}

int ptc_table_build_paper(ptc_rtable *t, const json_t **rows, size_t n, const char *kind, bool paper)
{
    pgroups gs;
    if (ptc_paper_group(rows, n, &gs) != 0) {
        fprintf(stderr, "ptc table: no accuracy rows (rows of `ptc experiment` or `ptc eval --rows`)\n");
        ptc_paper_free(&gs);
        return -1;
    }
    ptc_paper_compute(&gs);
    int rc = strcmp(kind, "table2") == 0   ? build_table2(t, &gs, paper)
             : strcmp(kind, "table4") == 0 ? build_table4(t, &gs, paper)
             : strcmp(kind, "table5") == 0 ? build_table5(t, &gs, paper)
             : strcmp(kind, "table6") == 0 ? build_table6(t, &gs, paper)
                                           : build_tests(t, &gs, paper);
    ptc_paper_free(&gs);
    return rc;
}
