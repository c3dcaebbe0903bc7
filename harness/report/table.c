/*
 * harness/report/table.c — `ptc table`: paper-style tables from result rows (ptc.row/1).
 *
 *   ptc table [options] PATH...
 *     PATH              rows.jsonl, a run folder (its rows.jsonl), or a CPU folder
 *                       results/<cpu>/ (its latest run; --all-runs for every run)
 *     --kind K          table3 | seq | p | lc | isa | raw | ops (per-op time) (default: table3 when the rows
 *                       have several variant labels, else p, lc or isa when that varies)
 *     --format F        md (default) | csv | latex | tidy | sql (the last two: the
 *                       selected rows themselves, harness/report/export.c)
 *     --where F=V,...   keep rows whose field equals the value (dotted paths; != too;
 *                       repeatable; p=0.9 compares numerically; F=null for null)
 *     --columns A,B     raw: the fields to show (dotted paths, e.g. time_s.median)
 *     --out FILE        write there instead of stdout
 *     --strict          refuse input with a malformed line (default: report and skip)
 *
 * Pure function of the rows. Rows with status "error" are excluded and counted in a
 * note. Dimensions (model, seq, isa, threads, CPU, commit, ...) that do not vary over
 * the selected rows are folded into the caption; those that vary become leading
 * columns. Markdown/LaTeX show each number with its spread (time median ± stddev,
 * speedup median [95% CI]); CSV has one column per value at full precision
 * (the shortest decimal that reads back to the same double).
 */
#include "report/report.h"
#include "learn/train.h" /* ptc_table_build_accuracy (harness/report/table_accuracy.c) */
#include "report/paper.h"  /* the paper's kinds (harness/report/table_paper.c) */

#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

typedef enum { KIND_AUTO, KIND_TABLE3, KIND_SEQ, KIND_P, KIND_LC, KIND_ISA, KIND_RAW, KIND_ACCURACY,
               KIND_OPS /* harness/report/table_ops.c */,
               KIND_PAPER /* table2 table4 table5 table6 tests: harness/report/table_paper.c */ } kind_t;

static const char *const kind_names_list[] = {"auto", "table3", "seq", "p", "lc", "isa", "raw", "accuracy",
                                              "ops", "table2", "table4", "table5", "table6", "tests", NULL};

/* dims shown through the label ("PFC L7" says variant, rule and L_c) */
static const char *const implied_by_label[] = {"variant", "rule", "lc", NULL};

#define MAX_KEYS 24

/* ---- row ordering ------------------------------------------------------------------------- */
typedef struct {
    const json_t *row;
    size_t index;
} ordered_row;

static const char *const *g_sort_keys;
static size_t g_sort_nkeys;
static const char *g_ascending_field; /* overrides the descending order of p or lc */

static int cmp_rows(const void *pa, const void *pb)
{
    const ordered_row *a = pa, *b = pb;
    for (size_t k = 0; k < g_sort_nkeys; k++) {
        int d = ptc_dim_cmp(a->row, b->row, g_sort_keys[k]);
        if (g_ascending_field && strcmp(g_sort_keys[k], g_ascending_field) == 0)
            d = -d;
        if (d)
            return d;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Sorts rows in place by keys (stable). */
static void sort_rows(const json_t **rows, size_t n, const char *const *keys, size_t nkeys,
                      const char *ascending)
{
    ordered_row *tmp = malloc((n + 1) * sizeof *tmp);
    for (size_t i = 0; i < n; i++)
        tmp[i] = (ordered_row){rows[i], i};
    g_sort_keys = keys;
    g_sort_nkeys = nkeys;
    g_ascending_field = ascending;
    qsort(tmp, n, sizeof *tmp, cmp_rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = tmp[i].row;
    free(tmp);
}

/* Key fields of a table: the dimensions that vary over rows (minus `hidden` and the
 * primaries), cpu/commit/run first, then in ptc_report_dims order, then the primaries. Returns the count. */
static size_t key_fields(const json_t **rows, size_t n, const char *const *hidden,
                         const char *const *primaries, const char **keys)
{
    /* machine and build first (coarsest grouping), then the configuration */
    static const char *const front[] = {"cpu", "commit", "dirty", "run", NULL};
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (const char *const *d = ptc_report_dims; *d && k < MAX_KEYS; d++)
            if (ptc_field_in(*d, front) == (pass == 0) && !ptc_field_in(*d, hidden) &&
                !ptc_field_in(*d, primaries) && ptc_dim_varies(rows, n, *d))
                keys[k++] = *d;
    for (const char *const *p = primaries; p && *p && k < MAX_KEYS; p++)
        keys[k++] = *p;
    return k;
}

static void key_columns(ptc_rtable *t, const char *const *keys, size_t nkeys)
{
    for (size_t k = 0; k < nkeys; k++) {
        bool numeric = strcmp(keys[k], "seq") == 0 || strcmp(keys[k], "batch") == 0 ||
                       strcmp(keys[k], "p") == 0 || strcmp(keys[k], "lc") == 0 ||
                       strcmp(keys[k], "m") == 0 || strcmp(keys[k], "threads") == 0;
        ptc_rtable_col(t, ptc_dim_title(keys[k]), numeric, keys[k], NULL, NULL, NULL);
    }
}

static void key_cells(ptc_rtable *t, size_t r, const json_t *row, const char *const *keys,
                      size_t nkeys)
{
    for (size_t k = 0; k < nkeys; k++)
        ptc_cell_dim(t, r, k, row, keys[k]);
}

/* Caption skip list: the keys (shown as columns) and the dims implied by the label. */
static void caption_for(ptc_rtable *t, const json_t **rows, size_t n, const char *const *keys,
                        size_t nkeys, const char *const *also_skip)
{
    const char *skip[MAX_KEYS + 8];
    size_t s = 0;
    for (size_t k = 0; k < nkeys; k++)
        skip[s++] = keys[k];
    for (; also_skip && *also_skip && s < MAX_KEYS + 7; also_skip++)
        skip[s++] = *also_skip;
    skip[s] = NULL;
    ptc_caption(rows, n, skip, t->caption, sizeof t->caption);
}

/* mean over layers of kept.keys_mean; false when absent */
static bool keys_kept_mean(const json_t *row, double *out)
{
    json_t *a = ptc_row_get(row, "kept.keys_mean");
    if (!json_is_array(a) || json_array_size(a) == 0)
        return false;
    double sum = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_number(v))
            return false;
        sum += json_number_value(v);
    }
    *out = sum / (double)json_array_size(a);
    return true;
}

static void cell_keys_kept(ptc_rtable *t, size_t r, size_t c, const json_t *row)
{
    double mean, seq;
    if (!keys_kept_mean(row, &mean) || !ptc_row_num(row, "seq", &seq) || seq <= 0) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    char text[64], a[40], b[40];
    snprintf(text, sizeof text, "%.1f (%.0f%%)", mean, 100 * mean / seq);
    ptc_rtable_set(t, r, c, text, ptc_fmt_double_exact(mean, a, sizeof a),
                   ptc_fmt_double_exact(mean / seq, b, sizeof b), NULL, NULL);
}

static void time_column(ptc_rtable *t, const json_t **rows, size_t n, double *unit)
{
    const char *uname;
    *unit = ptc_time_unit(rows, n, &uname);
    char title[64];
    snprintf(title, sizeof title, "time %s (median ± sd)", uname);
    ptc_rtable_col(t, title, true, "time_median_s", "time_stddev_s", NULL, NULL);
}

static int col_speedup(ptc_rtable *t)
{
    return ptc_rtable_col(t, "speedup [95% CI]", true, "speedup_median", "speedup_ci_low",
                          "speedup_ci_high", NULL);
}

/* The common head of a table kind: the key fields (machine, build, then configuration;
 * the primary last, the hidden ones left out), the rows sorted by them (`ascending`:
 * a key sorted ascending, may be NULL), the title, the caption and the key columns.
 * Returns the number of keys. */
static size_t table_head(ptc_rtable *t, const json_t **rows, size_t n, const char *const *hidden,
                         const char *primary, const char *ascending, const char *title,
                         const char **keys)
{
    const char *const primaries[] = {primary, NULL};
    const size_t nk = key_fields(rows, n, hidden, primaries, keys);
    sort_rows(rows, n, keys, nk, ascending);
    snprintf(t->title, sizeof t->title, "%s", title);
    caption_for(t, rows, n, keys, nk, hidden);
    key_columns(t, keys, nk);
    return nk;
}

size_t ptc_table_head(ptc_rtable *t, const json_t **rows, size_t n, const char *primary,
                      const char *title, const char **keys)
{
    return table_head(t, rows, n, implied_by_label, primary, NULL, title, keys);
}

/* ---- kinds ------------------------------------------------------------------------------------ */

static int build_table3(ptc_rtable *t, const json_t **rows, size_t *pn)
{
    const size_t n = *pn;
    const char *keys[MAX_KEYS];
    const size_t nk = table_head(t, rows, n, implied_by_label, "label", NULL,
                                 "Variants against BERT (cf. paper Table 3)", keys);
    ptc_rtable_col(t, "FLOPs ratio", true, "flops_ratio", NULL, NULL, NULL);
    ptc_rtable_col(t, "memory ratio (act.)", true, "memory_ratio", NULL, NULL, NULL);
    col_speedup(t);
    double unit;
    time_column(t, rows, n, &unit);
    ptc_rtable_col(t, "GFLOP/s", true, "gflops", NULL, NULL, NULL);
    ptc_rtable_col(t, "% of peak", true, "pct_peak", NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        size_t r = ptc_rtable_row(t), c = nk;
        key_cells(t, r, rows[i], keys, nk);
        ptc_cell_ratio(t, r, c++, rows[i], "flops_ratio");
        ptc_cell_ratio(t, r, c++, rows[i], "memory_ratio");
        ptc_cell_speedup(t, r, c++, rows[i]);
        ptc_cell_time(t, r, c++, rows[i], unit);
        ptc_cell_num(t, r, c++, rows[i], "gflops", "%.1f");
        ptc_cell_num(t, r, c++, rows[i], "pct_peak", "%.1f");
    }
    ptc_rtable_note(t, "ratios and speedups are against BERT (baseline) at the same level, ISA, "
                       "threads, model, seq, batch and padding");
    return 0;
}

/* keep rows where `field` is a number */
static size_t keep_numeric(const json_t **rows, size_t n, const char *field)
{
    size_t k = 0;
    double v;
    for (size_t i = 0; i < n; i++)
        if (ptc_row_num(rows[i], field, &v))
            rows[k++] = rows[i];
    return k;
}

/* --kind p and --kind lc: the rows with a number in `field` (*pn: how many), one line per
 * configuration with its memory ratio, speedup, keys kept (with_kept), FLOPs ratio and
 * time; `what` names the field in the error when no row has it. */
static int build_sweep_kind(ptc_rtable *t, const json_t **rows, size_t *pn, const char *field,
                            const char *const *hidden, const char *group, const char *title,
                            const char *what, bool with_kept)
{
    size_t n = *pn = keep_numeric(rows, *pn, field);
    if (n == 0) {
        fprintf(stderr, "ptc table: --kind %s: no selected row has %s\n", field, what);
        return -1;
    }
    const char *keys[MAX_KEYS];
    const size_t nk = table_head(t, rows, n, hidden, field, group, title, keys);
    ptc_rtable_col(t, "memory ratio (act.)", true, "memory_ratio", NULL, NULL, NULL);
    col_speedup(t);
    if (with_kept)
        ptc_rtable_col(t, "keys kept (mean of layers)", true, "keys_kept_mean", "keys_kept_frac",
                       NULL, NULL);
    ptc_rtable_col(t, "FLOPs ratio", true, "flops_ratio", NULL, NULL, NULL);
    double unit;
    time_column(t, rows, n, &unit);
    for (size_t i = 0; i < n; i++) {
        size_t r = ptc_rtable_row(t), c = nk;
        key_cells(t, r, rows[i], keys, nk);
        ptc_cell_ratio(t, r, c++, rows[i], "memory_ratio");
        ptc_cell_speedup(t, r, c++, rows[i]);
        if (with_kept)
            cell_keys_kept(t, r, c++, rows[i]);
        ptc_cell_ratio(t, r, c++, rows[i], "flops_ratio");
        ptc_cell_time(t, r, c++, rows[i], unit);
    }
    if (with_kept)
        ptc_rtable_note(t, "keys kept: mean over layers of kept.keys_mean (in %% of seq)");
    return 0;
}

static int build_p(ptc_rtable *t, const json_t **rows, size_t *pn)
{
    return build_sweep_kind(t, rows, pn, "p", implied_by_label, NULL,
                            "Threshold sweep (cf. paper Table 4)", "a threshold p (pruning rows)", true);
}

static int build_lc(ptc_rtable *t, const json_t **rows, size_t *pn)
{
    static const char *const hidden[] = {"label", NULL};
    return build_sweep_kind(t, rows, pn, "lc", hidden, "lc", "Combining layer (cf. paper Table 5)",
                            "a combining layer lc", false);
}

/* Same configuration as `row` except the ISA, with isa == "ref". */
static const json_t *find_ref(const json_t **rows, size_t n, const json_t *row)
{
    for (size_t i = 0; i < n; i++) {
        const char *isa = ptc_row_str(rows[i], "isa");
        if (!isa || strcmp(isa, "ref") != 0)
            continue;
        bool same = true;
        for (const char *const *d = ptc_report_dims; *d && same; d++)
            if (strcmp(*d, "isa") != 0 && ptc_dim_cmp(rows[i], row, *d) != 0)
                same = false;
        if (same)
            return rows[i];
    }
    return NULL;
}

static int build_isa(ptc_rtable *t, const json_t **rows, size_t *pn)
{
    const size_t n = *pn;
    const char *keys[MAX_KEYS];
    const size_t nk = table_head(t, rows, n, implied_by_label, "isa", NULL,
                                 "Per-ISA comparison", keys);
    double unit;
    time_column(t, rows, n, &unit);
    ptc_rtable_col(t, "GFLOP/s", true, "gflops", NULL, NULL, NULL);
    ptc_rtable_col(t, "% of peak", true, "pct_peak", NULL, NULL, NULL);
    bool any_ref = false;
    for (size_t i = 0; i < n && !any_ref; i++)
        any_ref = find_ref(rows, n, rows[i]) != NULL;
    if (any_ref)
        ptc_rtable_col(t, "speedup vs ref", true, "speedup_vs_ref", NULL, NULL, NULL);
    ptc_rtable_col(t, "speedup vs BERT [95% CI]", true, "speedup_median", "speedup_ci_low",
                   "speedup_ci_high", NULL);
    for (size_t i = 0; i < n; i++) {
        size_t r = ptc_rtable_row(t), c = nk;
        key_cells(t, r, rows[i], keys, nk);
        ptc_cell_time(t, r, c++, rows[i], unit);
        ptc_cell_num(t, r, c++, rows[i], "gflops", "%.1f");
        ptc_cell_num(t, r, c++, rows[i], "pct_peak", "%.1f");
        if (any_ref) {
            const json_t *ref = find_ref(rows, n, rows[i]);
            double tr, tt;
            if (ref && ptc_row_num(ref, "time_s.median", &tr) &&
                ptc_row_num(rows[i], "time_s.median", &tt) && tt > 0) {
                char text[32], csv[40];
                snprintf(text, sizeof text, "%.2f", tr / tt);
                ptc_rtable_set(t, r, c, text, ptc_fmt_double_exact(tr / tt, csv, sizeof csv),
                               NULL, NULL, NULL);
            }
            c++;
        }
        ptc_cell_speedup(t, r, c++, rows[i]);
    }
    return 0;
}

/* Speedup pivot: rows = seq (and other varying dims), columns = series (label, plus
 * p and m when they vary). */
static void series_name(const json_t *row, bool p_varies, bool m_varies, char *out, size_t len)
{
    char lab[96] = "", v[48];
    ptc_dim_value_text(row, "label", lab, sizeof lab);
    size_t k = (size_t)snprintf(out, len, "%s", lab[0] ? lab : "?");
    if (p_varies && ptc_row_get(row, "p") && !json_is_null(ptc_row_get(row, "p")) && k < len)
        k += (size_t)snprintf(out + k, len - k, " p=%s", ptc_dim_value_text(row, "p", v, sizeof v));
    if (m_varies && ptc_row_get(row, "m") && !json_is_null(ptc_row_get(row, "m")) && k < len)
        snprintf(out + k, len - k, " m=%s", ptc_dim_value_text(row, "m", v, sizeof v));
}

static int build_seq(ptc_rtable *t, const json_t **rows, size_t *pn)
{
    size_t n = *pn = keep_numeric(rows, *pn, "seq");
    if (n == 0) {
        fprintf(stderr, "ptc table: --kind seq: no selected row has a sequence length\n");
        return -1;
    }
    static const char *const hidden[] = {"label", "variant", "rule", "lc", "p", "m", NULL};
    static const char *const primaries[] = {"seq", NULL};
    static const char *const series_order[] = {"label", "p", "m"};
    const char *keys[MAX_KEYS];
    size_t nk = key_fields(rows, n, hidden, primaries, keys);
    bool p_varies = ptc_dim_varies(rows, n, "p"), m_varies = ptc_dim_varies(rows, n, "m");

    /* series, in label order */
    sort_rows(rows, n, series_order, 3, NULL);
    char(*series)[128] = malloc(n * sizeof *series);
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        char s[128];
        series_name(rows[i], p_varies, m_varies, s, sizeof s);
        size_t j = 0;
        while (j < ns && strcmp(series[j], s) != 0)
            j++;
        if (j == ns && ns + nk < PTC_TCOL_MAX)
            snprintf(series[ns++], sizeof series[0], "%s", s);
    }
    sort_rows(rows, n, keys, nk, NULL);
    snprintf(t->title, sizeof t->title, "Speedup against BERT by sequence length (median [95%% CI])");
    caption_for(t, rows, n, keys, nk, implied_by_label);
    key_columns(t, keys, nk);
    for (size_t s = 0; s < ns; s++) {
        char a[160], b[160], c[160];
        snprintf(a, sizeof a, "%s:speedup_median", series[s]);
        snprintf(b, sizeof b, "%s:ci_low", series[s]);
        snprintf(c, sizeof c, "%s:ci_high", series[s]);
        ptc_rtable_col(t, series[s], true, a, b, c, NULL);
    }
    /* one table row per distinct key tuple */
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n) {
            bool same = true;
            for (size_t k = 0; k < nk && same; k++)
                same = ptc_dim_cmp(rows[i], rows[j], keys[k]) == 0;
            if (!same)
                break;
            j++;
        }
        size_t r = ptc_rtable_row(t);
        key_cells(t, r, rows[i], keys, nk);
        for (size_t x = i; x < j; x++) {
            char s[128];
            series_name(rows[x], p_varies, m_varies, s, sizeof s);
            for (size_t c = 0; c < ns; c++)
                if (strcmp(series[c], s) == 0)
                    ptc_cell_speedup(t, r, nk + c, rows[x]);
        }
        i = j;
    }
    free(series);
    return 0;
}

static int build_raw(ptc_rtable *t, const json_t **rows, size_t n, const char *columns)
{
    const char *spec = columns ? columns
                               : "label,seq,isa,threads,time_s.median,speedup.median,"
                                 "memory_ratio,gflops";
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    const char *fields[PTC_TCOL_MAX + 1]; /* NULL-terminated: ptc_caption's skip list */
    size_t nf = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && nf < PTC_TCOL_MAX;
         tok = strtok_r(NULL, ",", &save))
        fields[nf++] = tok;
    fields[nf] = NULL;
    if (nf == 0) {
        fprintf(stderr, "ptc table: --columns: no field named\n");
        return -1;
    }
    snprintf(t->title, sizeof t->title, "Rows");
    ptc_caption(rows, n, fields, t->caption, sizeof t->caption);
    for (size_t f = 0; f < nf; f++)
        ptc_rtable_col(t, fields[f], false, fields[f], NULL, NULL, NULL);
    for (size_t f = 0; f < nf; f++) {
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = ptc_row_get(rows[i], fields[f]) != NULL;
        if (!any) {
            ptc_rtable_note(t, "field '%s' is in no selected row", fields[f]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = ptc_rtable_row(t);
        for (size_t f = 0; f < nf; f++) {
            json_t *v = ptc_row_get(rows[i], fields[f]);
            if (!v || json_is_null(v))
                continue;
            char csv[512], text[512];
            ptc_json_text(v, csv, sizeof csv);
            if (json_is_real(v))
                snprintf(text, sizeof text, "%.6g", json_real_value(v));
            else
                snprintf(text, sizeof text, "%s", csv);
            ptc_rtable_set(t, r, f, text, csv, NULL, NULL, NULL);
        }
    }
    for (size_t f = 0; f < nf; f++) {
        bool numeric = true;
        for (size_t i = 0; i < n && numeric; i++) {
            json_t *v = ptc_row_get(rows[i], fields[f]);
            numeric = !v || json_is_null(v) || json_is_number(v);
        }
        t->cols[f].numeric = numeric;
    }
    return 0;
}

/* ---- main ---------------------------------------------------------------------------------------- */

typedef struct {
    int kind; /* kind_t, or KIND_PAPER + i for the paper's kinds */
    ptc_fmt fmt;
    bool paper;
    const char *out_path, *columns;
} table_opts;

#define T(field) offsetof(table_opts, field)
static const ptc_option table_rows[] = {
    {"kind", PTC_OPT_CHOICE, T(kind), "KIND", "table3 seq p lc isa raw accuracy ops table2 table4 table5 table6 tests (auto: from what varies)", "auto", .choices = kind_names_list},
    {"paper", PTC_OPT_FLAG, T(paper), NULL, "table2/4/5: the paper's published numbers beside ours"},
    {"format", PTC_OPT_CUSTOM, T(fmt), "FMT", "md csv latex; tidy (CSV, one measurement per line) and sql "
     "(for sqlite3): the selected rows, whatever --kind", "md", .set = ptc_report_set_format},
    {"columns", PTC_OPT_STR, T(columns), "A,B,...", "the fields of --kind raw"},
    {"out", PTC_OPT_STR, T(out_path), "FILE", "write the table there (stdout)"},
    {NULL},
};
#undef T

int ptc_table_main(int argc, char **argv)
{
    table_opts to = {0};
    static ptc_report_cli cli;
    int rc = ptc_report_parse(&cli, "ptc table",
                              "ptc table [options] PATH...\n"
                              "  PATH: rows.jsonl, a run folder, or results/<cpu>/ (its latest run)",
                              "table", table_rows, &to, PTC_OPT_ARGS_MAX, argc, argv);
    ptc_rowset set;
    ptc_rows_init(&set);
    ptc_rtable t;
    ptc_rtable_init(&t);
    const json_t **rows = NULL;
    const char **paths = cli.seen.args;
    const size_t npaths = cli.seen.n_args;
    kind_t kind = to.kind < KIND_PAPER ? (kind_t)to.kind : KIND_PAPER;
    const ptc_fmt fmt = to.fmt;
    const char *out_path = to.out_path, *columns = to.columns;
    if (rc != 0) {
        rc = rc == 1 ? 0 : rc;
        goto done;
    }
    if ((rc = ptc_report_load_all(&set, paths, npaths, &cli.lo, &cli.filters, &rows)) != 0)
        goto done;
    ptc_paper_resolve_paths(&set);
    size_t n = set.n;
    if (PTC_FMT_IS_EXPORT(fmt)) { /* the rows themselves, whatever the kind */
        rc = ptc_export_rows(rows, n, fmt, out_path, "ptc table");
        goto done;
    }
    if (kind == KIND_AUTO) {
        kind = ptc_dim_varies(rows, n, "label") ? KIND_TABLE3
               : ptc_dim_varies(rows, n, "p")   ? KIND_P
               : ptc_dim_varies(rows, n, "lc")  ? KIND_LC
               : ptc_dim_varies(rows, n, "isa") ? KIND_ISA
                                                : KIND_TABLE3;
    }
    /* the builders of the kinds that need nothing but the rows (they may drop some: *n) */
    static int (*const build[])(ptc_rtable *, const json_t **, size_t *) = {
        [KIND_AUTO] = build_table3, [KIND_TABLE3] = build_table3, [KIND_SEQ] = build_seq,
        [KIND_P] = build_p,         [KIND_LC] = build_lc,         [KIND_ISA] = build_isa,
        [KIND_ACCURACY] = ptc_table_build_accuracy,               [KIND_OPS] = ptc_table_build_ops,
    };
    const int built = kind == KIND_RAW     ? build_raw(&t, rows, n, columns)
                      : kind == KIND_PAPER ? ptc_table_build_paper(&t, rows, n, kind_names_list[to.kind], to.paper)
                                           : build[kind](&t, rows, &n);
    if (built != 0) {
        rc = 1;
        goto done;
    }
    if (kind != KIND_RAW && strcmp(kind_names_list[to.kind], "tests") != 0)
        ptc_note_train_speedups(&t, rows, n);
    ptc_note_excluded(&t, &set);
    if (ptc_rtable_write(&t, fmt, out_path, "ptc table") != 0)
        rc = 1;
done:
    fflush(stdout);
    free(rows);
    ptc_rtable_free(&t);
    ptc_rows_free(&set);
    ptc_filters_free(&cli.filters);
    return rc;
}
