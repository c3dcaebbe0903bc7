/*
 * harness/report/paper_groups.c — accuracy rows gathered per configuration, with
 * their statistics against BERT and the paper's published numbers (paper.h).
 */
#include "report/paper.h"

#include <libgen.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the paper's tables (harness/report/paper_tables.json, embedded at build time) */
static const char paper_text[] =
#include "paper_tables.inc"
    ;

static json_t *paper_data(void)
{
    static json_t *data;
    if (!data)
        data = json_loads(paper_text, 0, NULL);
    return data;
}

const char *ptc_paper_source(void)
{
    const char *s = json_string_value(json_object_get(paper_data(), "source"));
    return s ? s : "?";
}

static double jget(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

bool ptc_paper_table5_row(size_t i, long *lc, double *acc, double *mem, double *speedup)
{
    json_t *r = json_array_get(json_object_get(json_object_get(paper_data(), "table5"), "rows"), i);
    if (!r)
        return false;
    *lc = (long)jget(r, "lc");
    *acc = jget(r, "accuracy");
    *mem = jget(r, "memory");
    *speedup = jget(r, "speedup");
    return true;
}

long ptc_paper_best_m(void)
{
    return (long)jget(json_object_get(paper_data(), "table6"), "best_m");
}

/* Table 2 accuracy of a paper label on a dataset, NAN when absent */
static double paper_t2(const char *dataset, const char *label)
{
    json_t *t2 = json_object_get(paper_data(), "table2"), *ds = json_object_get(t2, "datasets");
    for (size_t i = 0; i < json_array_size(ds); i++)
        if (strcmp(json_string_value(json_array_get(ds, i)), dataset) == 0) {
            json_t *v = json_array_get(json_object_get(json_object_get(t2, "rows"), label), i);
            return json_is_number(v) ? json_number_value(v) : NAN;
        }
    return NAN;
}

/* The paper's numbers for a group: Table 2 for the default settings (p 0.9, m 8; a
 * combining layer one before the last is the paper's L11 of 12), Table 4 for PF at
 * other p on BBC. */
static void paper_lookup(pgroup *g)
{
    g->paper_acc = g->paper_bert = g->paper_mem = g->paper_speedup = NAN;
    if (strcmp(g->sweep, "train") != 0)
        return;
    g->paper_bert = paper_t2(g->dataset, "BERT");
    const char *paper_label = ptc_paper_label(g->label, g->p, g->lc, g->m, g->layers);
    if (paper_label)
        g->paper_acc = paper_t2(g->dataset, paper_label);
    double acc, mem, speedup;
    if (strcmp(g->label, "PF") == 0 && ptc_paper_table4_at(g->dataset, g->p, &acc, &mem, &speedup)) {
        g->paper_acc = acc;
        g->paper_mem = mem;
        g->paper_speedup = speedup;
    }
}

const char *ptc_paper_label(const char *label, double p, long lc, long m, long layers)
{
    const bool p_default = isnan(p) || fabs(p - 0.9) < 1e-9, m_default = m < 0 || m == 8;
    const bool lc_last = lc >= 0 && lc == layers - 1;
    if (strcmp(label, "BERT") == 0)
        return "BERT";
    if ((strcmp(label, "P") == 0 || strcmp(label, "PF") == 0) && p_default)
        return label[1] ? "PF" : "P";
    if (strncmp(label, "C L", 3) == 0 && lc_last && m_default)
        return "C L11";
    if (strncmp(label, "PFC L", 5) == 0 && m_default && p_default)
        return lc_last ? "PFC L11" : layers == 12 && lc == 7 ? "PFC L7" : NULL;
    return NULL;
}

bool ptc_paper_table4_at(const char *dataset, double p, double *acc, double *mem, double *speedup)
{
    json_t *t4 = json_object_get(paper_data(), "table4");
    const char *ds = json_string_value(json_object_get(t4, "dataset"));
    json_t *rows = json_object_get(t4, "rows");
    for (size_t i = 0; ds && strcmp(ds, dataset) == 0 && i < json_array_size(rows); i++) {
        json_t *r = json_array_get(rows, i);
        if (fabs(jget(r, "p") - p) < 1e-9) {
            *acc = jget(r, "accuracy");
            *mem = jget(r, "memory");
            *speedup = jget(r, "speedup");
            return true;
        }
    }
    *acc = *mem = *speedup = NAN;
    return false;
}

bool ptc_paper_table4_row(size_t i, const char *dataset, double *p, double *acc, double *mem, double *speedup)
{
    json_t *t4 = json_object_get(paper_data(), "table4");
    const char *ds = json_string_value(json_object_get(t4, "dataset"));
    json_t *r = json_array_get(json_object_get(t4, "rows"), i);
    if (!ds || strcmp(ds, dataset) != 0 || !r)
        return false;
    *p = jget(r, "p");
    *acc = jget(r, "accuracy");
    *mem = jget(r, "memory");
    *speedup = jget(r, "speedup");
    return true;
}

bool ptc_paper_table3(const char *label, double *mem, double *speedup)
{
    json_t *t3 = json_object_get(paper_data(), "table3");
    json_t *row = json_object_get(json_object_get(t3, "rows"), label);
    json_t *cols = json_object_get(t3, "columns");
    *mem = *speedup = NAN;
    for (size_t i = 0; row && i < json_array_size(cols); i++) {
        const char *c = json_string_value(json_array_get(cols, i));
        json_t *v = json_array_get(row, i);
        if (c && json_is_number(v))
            *(strcmp(c, "memory") == 0 ? mem : strcmp(c, "speedup") == 0 ? speedup : &(double){0}) =
                json_number_value(v);
    }
    return row != NULL;
}

/* ---- grouping ---------------------------------------------------------------------------------- */
void ptc_paper_resolve_paths(ptc_rowset *set)
{
    for (size_t i = 0; i < set->n; i++) {
        json_t *row = set->rows[i].obj;
        const char *p = ptc_row_str(row, "predictions");
        if ((p && p[0] == '/') || !set->rows[i].file)
            continue;
        char file[4096], path[8300];
        snprintf(file, sizeof file, "%s", set->rows[i].file);
        const char *dir = dirname(file);
        if (p) {
            snprintf(path, sizeof path, "%s/%s", dir, p);
            json_object_set_new(row, "predictions", json_string(path));
            continue;
        }
        /* rows written before predictions were recorded: predictions/<config>-s<seed>.tsv
         * beside the rows (the run folder's name; `ptc eval --run RUN --predictions F` writes it) */
        const char *cid = ptc_row_str(row, "config_id");
        double seed;
        const char *c3 = cid;
        for (int k = 0; k < 3 && c3; k++)
            c3 = strchr(c3, ';') ? strchr(c3, ';') + 1 : NULL;
        const char *end = c3 ? strchr(c3, ';') : NULL;
        if (!end || !ptc_row_num(row, "seed", &seed))
            continue;
        snprintf(path, sizeof path, "%s/predictions/%.*s-s%.0f.tsv", dir, (int)(end - c3), c3, seed);
        if (access(path, R_OK) == 0)
            json_object_set_new(row, "predictions", json_string(path));
    }
}

static double num_or_nan(const json_t *row, const char *path)
{
    double v;
    return ptc_row_num(row, path, &v) ? v : NAN;
}

static long int_or_neg(const json_t *row, const char *path)
{
    double v;
    return ptc_row_num(row, path, &v) ? (long)v : -1;
}

static int dataset_rank(const char *d)
{
    static const char *const order[] = {"sst2", "imdb", "bbc", "20ng", "ledgar", "arxiv"};
    for (int i = 0; i < 6; i++)
        if (strcmp(order[i], d) == 0)
            return i;
    return 6;
}

static bool label_is(const char *label, const char *variant)
{
    const size_t n = strlen(variant);
    return strncmp(label, variant, n) == 0 && (label[n] == '\0' || label[n] == ' ');
}

bool ptc_paper_is_token(const pgroup *g)
{
    return label_is(g->label, "TopK") || label_is(g->label, "LTP") || label_is(g->label, "ToMe");
}

/* the paper's variants first, then TopK, LTP, ToMe */
static int label_rank(const char *l)
{
    return strcmp(l, "BERT") == 0 ? 0 : strcmp(l, "P") == 0 ? 1 : strcmp(l, "PF") == 0 ? 2
           : strncmp(l, "C ", 2) == 0 ? 3 : label_is(l, "TopK") ? 5 : label_is(l, "LTP") ? 6
           : label_is(l, "ToMe") ? 7 : 4;
}

static int cmp_group(const void *pa, const void *pb)
{
    const pgroup *a = pa, *b = pb;
    int d = dataset_rank(a->dataset) - dataset_rank(b->dataset);
    if (!d)
        d = strcmp(a->dataset, b->dataset);
    if (!d)
        d = strcmp(a->sweep, b->sweep) * -1; /* train before inference */
    if (!d)
        d = label_rank(a->label) - label_rank(b->label);
    if (!d)
        d = (isnan(b->p) ? 2.0 : b->p) > (isnan(a->p) ? 2.0 : a->p) ? 1
            : (isnan(b->p) ? 2.0 : b->p) < (isnan(a->p) ? 2.0 : a->p) ? -1 : 0;
    if (!d)
        d = (a->lc > b->lc) - (a->lc < b->lc);
    if (!d)
        d = (a->m > b->m) - (a->m < b->m);
    if (!d)
        d = strcmp(a->label, b->label);
    return d;
}

static bool same_key(const pgroup *g, const char *dataset, const char *label, double p, long lc, long m,
                     const char *sweep, const char *trained)
{
    return strcmp(g->dataset, dataset) == 0 && strcmp(g->trained, trained) == 0 && strcmp(g->label, label) == 0 &&
           ((isnan(g->p) && isnan(p)) || fabs(g->p - p) < 1e-12) && g->lc == lc && g->m == m &&
           strcmp(g->sweep, sweep) == 0;
}

/* the row of `phase` with the same config_id (up to the phase) and run as `row` */
static const json_t *sibling(const json_t **rows, size_t n, const json_t *row, const char *phase)
{
    const char *cid = ptc_row_str(row, "config_id"), *run = ptc_row_str(row, "run");
    const char *ph = cid ? strstr(cid, ";phase=") : NULL;
    if (!ph)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *c = ptc_row_str(rows[i], "config_id"), *r = ptc_row_str(rows[i], "run"),
                   *p = ptc_row_str(rows[i], "phase");
        if (c && p && strcmp(p, phase) == 0 && strncmp(c, cid, (size_t)(ph - cid)) == 0 &&
            strncmp(c + (ph - cid), ";phase=", 7) == 0 && (!run || (r && strcmp(r, run) == 0)))
            return rows[i];
    }
    return NULL;
}

/* BERT's row of a dataset, seed and phase, from the same run when there is one */
static const json_t *base_row(const json_t **rows, size_t n, const char *dataset, double seed,
                              const char *phase, const char *run)
{
    const json_t *any = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *l = ptc_row_str(rows[i], "label"), *d = ptc_row_str(rows[i], "dataset"),
                   *p = ptc_row_str(rows[i], "phase"), *r = ptc_row_str(rows[i], "run");
        const char *sw = ptc_row_str(rows[i], "sweep");
        if (!l || !d || !p || strcmp(l, "BERT") || strcmp(d, dataset) || strcmp(p, phase) ||
            num_or_nan(rows[i], "seed") != seed || (sw && strcmp(sw, "train")))
            continue;
        if (run && r && strcmp(run, r) == 0)
            return rows[i];
        if (!any)
            any = rows[i];
    }
    return any;
}

/* A group's seeds in ascending order, so the statistics (the bootstrap draws seeds and
 * documents in order) do not depend on the order of the rows: a merged run's rows come
 * shard by shard, an unsharded experiment's seed by seed. */
static void sort_seeds(pgroup *g)
{
    for (size_t i = 1; i < g->n; i++)
        for (size_t j = i; j > 0 && g->seed[j - 1] > g->seed[j]; j--) {
#define SWAP(a) do { __typeof__(a[0]) t_ = a[j]; a[j] = a[j - 1]; a[j - 1] = t_; } while (0)
            SWAP(g->seed);
            SWAP(g->infer);
            SWAP(g->train);
            SWAP(g->base_infer);
            SWAP(g->base_train);
#undef SWAP
        }
}

int ptc_paper_group(const json_t **rows, size_t n, pgroups *out)
{
    out->g = calloc(n + 1, sizeof *out->g);
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *row = rows[i];
        const char *phase = ptc_row_str(row, "phase"), *label = ptc_row_str(row, "label"),
                   *dataset = ptc_row_str(row, "dataset"), *sweep = ptc_row_str(row, "sweep");
        double acc;
        if (!phase || strcmp(phase, "infer") || !label || !dataset || !ptc_row_num(row, "accuracy", &acc))
            continue;
        sweep = sweep ? sweep : "train";
        const char *trained = ptc_row_str(row, "trained_variant");
        trained = trained && strcmp(sweep, "train") ? trained : "";
        const double p = num_or_nan(row, "p"), seed = num_or_nan(row, "seed");
        const long lc = int_or_neg(row, "lc"), m = int_or_neg(row, "m");
        size_t k = 0;
        while (k < out->n && !same_key(&out->g[k], dataset, label, p, lc, m, sweep, trained))
            k++;
        pgroup *g = &out->g[k];
        if (k == out->n) {
            out->n++;
            g->first = row;
            snprintf(g->dataset, sizeof g->dataset, "%s", dataset);
            snprintf(g->label, sizeof g->label, "%s", label);
            snprintf(g->sweep, sizeof g->sweep, "%s", sweep);
            snprintf(g->trained, sizeof g->trained, "%s", trained);
            g->p = p;
            g->lc = lc;
            g->m = m;
            g->layers = int_or_neg(row, "layers");
        }
        bool seen = false;
        for (size_t s = 0; s < g->n; s++)
            seen |= g->seed[s] == seed;
        if (seen || g->n == PAPER_MAX_SEEDS) /* a second BERT of the same seed (another run) */
            continue;
        const char *run = ptc_row_str(row, "run");
        g->seed[g->n] = seed;
        g->infer[g->n] = row;
        g->train[g->n] = sibling(rows, n, row, "train");
        g->base_infer[g->n] = base_row(rows, n, dataset, seed, "infer", run);
        g->base_train[g->n] = base_row(rows, n, dataset, seed, "train", run);
        g->n++;
    }
    if (out->n == 0)
        return -1;
    for (size_t k = 0; k < out->n; k++)
        sort_seeds(&out->g[k]);
    qsort(out->g, out->n, sizeof *out->g, cmp_group);
    return 0;
}

void ptc_paper_free(pgroups *gs)
{
    free(gs->g);
    gs->g = NULL;
    gs->n = 0;
}

const pgroup *ptc_paper_bert(const pgroups *gs, const char *dataset)
{
    for (size_t i = 0; i < gs->n; i++)
        if (strcmp(gs->g[i].label, "BERT") == 0 && strcmp(gs->g[i].dataset, dataset) == 0 &&
            strcmp(gs->g[i].sweep, "train") == 0)
            return &gs->g[i];
    return NULL;
}

/* ---- statistics ---------------------------------------------------------------------------------- */
/* ratio a/b of the field at path in two rows, NAN when either is missing */
static double ratio(const json_t *a, const json_t *b, const char *path)
{
    return a && b ? num_or_nan(a, path) / num_or_nan(b, path) : NAN;
}

/* speedup of row vs base over seeds (median time ratio), with its interval */
static void speedups(const json_t *const *row, const json_t *const *base, size_t n, ptc_summary *s)
{
    double r[PAPER_MAX_SEEDS];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double v = ratio(base[i], row[i], "time_s.median");
        if (!isfinite(v) && row[i])
            v = num_or_nan(row[i], "speedup.median");
        if (isfinite(v) && v > 0)
            r[k++] = v;
    }
    const json_t *a = k == 1 ? row[0] : NULL, *b = k == 1 ? base[0] : NULL;
    ptc_ratio_interval(r, k, a ? num_or_nan(a, "time_s.cv") : 0, a ? (size_t)int_or_neg(a, "time_s.n") : 0,
                       b ? num_or_nan(b, "time_s.cv") : 0, b ? (size_t)int_or_neg(b, "time_s.n") : 0, s);
}

static void ratios(const json_t *const *row, const json_t *const *base, size_t n, const char *path,
                   ptc_summary *s)
{
    double r[PAPER_MAX_SEEDS];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const double v = ratio(row[i], base[i], path);
        if (isfinite(v) && v > 0)
            r[k++] = v;
    }
    ptc_ratio_interval(r, k, 0, 0, 0, 0, s);
}

/* Reads a predictions TSV (doc, label, predicted): correct[d] for d < *n. */
static uint8_t *read_correct(const char *path, size_t *n)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return NULL;
    size_t cap = 1024, k = 0;
    uint8_t *c = malloc(cap);
    char line[256];
    if (!fgets(line, sizeof line, f)) { /* header */
        fclose(f);
        free(c);
        return NULL;
    }
    size_t doc;
    int label, pred;
    while (fgets(line, sizeof line, f) && sscanf(line, "%zu\t%d\t%d", &doc, &label, &pred) == 3 && doc == k) {
        if (k == cap)
            c = realloc(c, cap *= 2);
        c[k++] = label == pred;
    }
    fclose(f);
    *n = k;
    return c;
}

/* McNemar per paired seed and the bootstrap over paired seeds and documents */
static void test_against(pgroup *g, const pgroup *bert)
{
    uint8_t *a = NULL, *b = NULL;
    size_t docs = 0, paired = 0;
    for (size_t s = 0; s < g->n; s++) {
        size_t j = 0;
        while (j < bert->n && bert->seed[j] != g->seed[s])
            j++;
        if (j == bert->n)
            continue;
        size_t na = 0, nb = 0;
        uint8_t *ca = read_correct(ptc_row_str(g->infer[s], "predictions"), &na);
        uint8_t *cb = read_correct(ptc_row_str(bert->infer[j], "predictions"), &nb);
        if (ca && cb && na == nb && na > 0 && (docs == 0 || na == docs)) {
            docs = na;
            a = realloc(a, (paired + 1) * docs);
            b = realloc(b, (paired + 1) * docs);
            memcpy(a + paired * docs, ca, docs);
            memcpy(b + paired * docs, cb, docs);
            size_t only_a = 0, only_b = 0;
            for (size_t d = 0; d < docs; d++) {
                only_a += ca[d] && !cb[d];
                only_b += !ca[d] && cb[d];
            }
            g->mcnemar[paired++] = ptc_mcnemar_exact(only_a, only_b);
        }
        free(ca);
        free(cb);
    }
    g->n_tested = paired;
    g->tested = paired > 0 && ptc_paired_bootstrap(a, b, paired, docs, 4000, 20231, &g->boot) == 0;
    if (g->tested) {
        g->boot.diff *= 100;
        g->boot.lo *= 100;
        g->boot.hi *= 100;
    }
    free(a);
    free(b);
}

void ptc_paper_compute(pgroups *gs)
{
    for (size_t i = 0; i < gs->n; i++) {
        pgroup *g = &gs->g[i];
        double acc[PAPER_MAX_SEEDS], f1[PAPER_MAX_SEEDS];
        for (size_t s = 0; s < g->n; s++) {
            acc[s] = 100 * num_or_nan(g->infer[s], "accuracy");
            f1[s] = 100 * num_or_nan(g->infer[s], "macro_f1");
        }
        ptc_summarize(acc, g->n, &g->acc);
        ptc_summarize(f1, g->n, &g->f1);
        g->acc.lo = fmax(g->acc.lo, 0), g->acc.hi = fmin(g->acc.hi, 100); /* the feasible range */
        g->f1.lo = fmax(g->f1.lo, 0), g->f1.hi = fmin(g->f1.hi, 100);
        speedups(g->infer, g->base_infer, g->n, &g->sp_infer);
        speedups(g->train, g->base_train, g->n, &g->sp_train);
        ratios(g->train, g->base_train, g->n, "memory.train_arena", &g->mem_train);
        ratios(g->infer, g->base_infer, g->n, "memory.activations", &g->mem_infer);
        paper_lookup(g);
    }
    for (size_t i = 0; i < gs->n; i++) {
        const pgroup *bert = ptc_paper_bert(gs, gs->g[i].dataset);
        if (bert && bert != &gs->g[i])
            test_against(&gs->g[i], bert);
    }
}

const char *ptc_paper_verdict(const pgroup *g)
{
    if (!g->tested || isnan(g->paper_acc) || isnan(g->paper_bert) || g->paper_acc == g->paper_bert)
        return "";
    if (g->boot.p >= 0.05)
        return "within noise";
    return (g->boot.diff > 0) == (g->paper_acc > g->paper_bert) ? "confirmed" : "not confirmed";
}
