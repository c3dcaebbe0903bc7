/*
 * harness/report/table_accuracy.c — `ptc table --kind accuracy`: Table 2/3-style rows
 * of `ptc experiment` (accuracy rows, harness/SCHEMA.md): one line per
 * configuration (label, p, L_c, m, dataset, model, seq), pooling seeds:
 * accuracy, macro-F1 and micro-F1 as mean ± sample sd over seeds (n shown),
 * then FLOPs ratio, activation memory ratio and speedup of the inference rows
 * and the speedup of the training-step rows (means over seeds). Rows without
 * an `accuracy` field are ignored. Pure function of the rows.
 */
#include "report/report.h"
#include "learn/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const json_t *first;         /* a row of the group (for its key fields) */
    double acc[64], mf1[64], uf1[64];
    size_t n;                    /* infer rows pooled */
    double flops_r, mem_r, sp_inf, sp_train;
    size_t n_inf, n_train;
} acc_group;

static const char *const group_fields[] = {"dataset", "model", "seq", "label", "p", "lc", "m", NULL};

static bool same_group(const json_t *a, const json_t *b)
{
    for (const char *const *f = group_fields; *f; f++)
        if (ptc_dim_cmp(a, b, *f) != 0)
            return false;
    return true;
}

static int cmp_groups(const void *pa, const void *pb)
{
    const acc_group *a = pa, *b = pb;
    static const char *const order[] = {"dataset", "model", "seq", "label", "p", "lc", "m", NULL};
    for (const char *const *f = order; *f; f++) {
        const int d = ptc_dim_cmp(a->first, b->first, *f);
        if (d)
            return d;
    }
    return 0;
}

/* shortest of %.15g..%.17g that reads back to the same double */
static char *exact_num(double v, char *out, size_t len)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, len, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    return out;
}

static void mean_sd(const double *v, size_t n, double *mean, double *sd)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++)
        m += v[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        s += (v[i] - m) * (v[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(s / (double)(n - 1)) : 0.0;
}

static void cell_mean_sd(ptc_rtable *t, size_t r, size_t c, const double *v, size_t n, double scale)
{
    if (n == 0) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    double m, sd;
    mean_sd(v, n, &m, &sd);
    char text[64], a[40], b[40], k[24];
    if (n > 1)
        snprintf(text, sizeof text, "%.1f ± %.1f", scale * m, scale * sd);
    else
        snprintf(text, sizeof text, "%.1f", scale * m);
    exact_num(m, a, sizeof a);
    exact_num(sd, b, sizeof b);
    snprintf(k, sizeof k, "%zu", n);
    ptc_rtable_set(t, r, c, text, a, b, k, NULL);
}

static void cell_num(ptc_rtable *t, size_t r, size_t c, double sum, size_t n, const char *fmt)
{
    if (n == 0 || !isfinite(sum)) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    char text[40], a[40];
    snprintf(text, sizeof text, fmt, sum / (double)n);
    exact_num(sum / (double)n, a, sizeof a);
    ptc_rtable_set(t, r, c, text, a, NULL, NULL, NULL);
}

int ptc_table_build_accuracy(ptc_rtable *t, const json_t **rows, size_t *pn)
{
    const size_t n = *pn;
    acc_group *g = calloc(n + 1, sizeof *g);
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        double acc;
        if (!ptc_row_num(rows[i], "accuracy", &acc))
            continue;
        size_t k = 0;
        while (k < ng && !same_group(g[k].first, rows[i]))
            k++;
        if (k == ng)
            g[ng++].first = rows[i];
        const char *phase = ptc_row_str(rows[i], "phase");
        const bool train = phase && strcmp(phase, "train") == 0;
        double v;
        if (train) {
            if (ptc_row_num(rows[i], "speedup.median", &v)) {
                g[k].sp_train += v;
                g[k].n_train++;
            }
            continue;
        }
        if (g[k].n < 64) {
            g[k].acc[g[k].n] = acc;
            g[k].mf1[g[k].n] = ptc_row_num(rows[i], "macro_f1", &v) ? v : NAN;
            g[k].uf1[g[k].n] = ptc_row_num(rows[i], "micro_f1", &v) ? v : NAN;
            g[k].n++;
        }
        if (ptc_row_num(rows[i], "speedup.median", &v)) {
            g[k].sp_inf += v;
            g[k].flops_r += ptc_row_num(rows[i], "flops_ratio", &v) ? v : NAN;
            g[k].mem_r += ptc_row_num(rows[i], "memory_ratio", &v) ? v : NAN;
            g[k].n_inf++;
        }
    }
    if (ng == 0) {
        free(g);
        fprintf(stderr, "ptc table: --kind accuracy: no selected row has an accuracy "
                        "(rows of `ptc experiment`)\n");
        return -1;
    }
    qsort(g, ng, sizeof *g, cmp_groups);
    const json_t **firsts = malloc(ng * sizeof *firsts);
    for (size_t i = 0; i < ng; i++)
        firsts[i] = g[i].first;
    static const char *const skip[] = {"label", "p", "lc", "m", "variant", "rule", "run", NULL};
    snprintf(t->title, sizeof t->title, "Accuracy and efficiency against BERT (cf. paper Tables 2 and 3)");
    ptc_caption(firsts, ng, skip, t->caption, sizeof t->caption);
    const char *keys[8];
    size_t nk = 0;
    for (const char *const *f = group_fields; *f; f++)
        if (strcmp(*f, "label") == 0 || ptc_dim_varies(firsts, ng, *f))
            keys[nk++] = *f;
    for (size_t k = 0; k < nk; k++)
        ptc_rtable_col(t, ptc_dim_title(keys[k]), false, keys[k], NULL, NULL, NULL);
    ptc_rtable_col(t, "accuracy %", true, "accuracy_mean", "accuracy_sd", "seeds", NULL);
    ptc_rtable_col(t, "macro-F1 %", true, "macro_f1_mean", "macro_f1_sd", "seeds_f1", NULL);
    ptc_rtable_col(t, "micro-F1 %", true, "micro_f1_mean", "micro_f1_sd", "seeds_f1u", NULL);
    ptc_rtable_col(t, "FLOPs ratio", true, "flops_ratio", NULL, NULL, NULL);
    ptc_rtable_col(t, "memory ratio (act.)", true, "memory_ratio", NULL, NULL, NULL);
    ptc_rtable_col(t, "speedup (inference)", true, "speedup_infer", NULL, NULL, NULL);
    ptc_rtable_col(t, "speedup (train step)", true, "speedup_train", NULL, NULL, NULL);
    size_t max_seeds = 0;
    for (size_t i = 0; i < ng; i++) {
        const size_t r = ptc_rtable_row(t);
        size_t c = 0;
        for (size_t k = 0; k < nk; k++)
            ptc_cell_dim(t, r, c++, g[i].first, keys[k]);
        cell_mean_sd(t, r, c++, g[i].acc, g[i].n, 100.0);
        cell_mean_sd(t, r, c++, g[i].mf1, g[i].n, 100.0);
        cell_mean_sd(t, r, c++, g[i].uf1, g[i].n, 100.0);
        cell_num(t, r, c++, g[i].flops_r, g[i].n_inf, "%.3f");
        cell_num(t, r, c++, g[i].mem_r, g[i].n_inf, "%.3f");
        cell_num(t, r, c++, g[i].sp_inf, g[i].n_inf, "%.2f");
        cell_num(t, r, c++, g[i].sp_train, g[i].n_train, "%.2f");
        if (g[i].n > max_seeds)
            max_seeds = g[i].n;
    }
    ptc_rtable_note(t, "accuracy and F1 on the test split: mean%s over %zu seed%s; ratios and "
                       "speedups against BERT of the same seed, averaged over seeds",
                    max_seeds > 1 ? " ± sample sd" : "", max_seeds, max_seeds == 1 ? "" : "s");
    ptc_rtable_note(t, "memory ratio: activations + K/V + scores bytes per inference batch (what "
                       "training stores), from the forwards' accounting; speedups: median seconds per "
                       "inference batch / per training step");
    free(firsts);
    free(g);
    return 0;
}
