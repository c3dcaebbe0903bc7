/*
 * harness/report/report.c — the pieces `ptc table`, `ptc plot` and `ptc compare` share: the
 * dimensions of a row (caption wording, order, variation), the options and loading of
 * rows, and plot files. (The rendered table and its cells: harness/report/rtable.c.)
 * See report.h.
 */
#define _GNU_SOURCE
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

/* ---- dimensions ---------------------------------------------------------------------------- */

const char *const ptc_report_dims[] = {"phase", "model", "level",  "seq",     "batch", "pad_mode",
                                "project_kept",    "label",   "variant", "rule",
                                "p",     "lc",     "m",       "isa",   "threads",
                                "binding", "cpu",  "commit",  "dirty", "run",
                                NULL};

const char *ptc_dim_title(const char *field)
{
    static const char *const names[][2] = {
        {"phase", "phase"},   {"model", "model"},     {"level", "level"},     {"seq", "seq"},
        {"batch", "batch"},   {"pad_mode", "padding"}, {"project_kept", "K/V kept only"},
        {"label", "Variant"}, {"variant", "variant"}, {"rule", "rule"},
        {"p", "p"},           {"lc", "L_c"},          {"m", "m"},
        {"isa", "ISA"},       {"threads", "threads"}, {"binding", "binding"},
        {"cpu", "CPU"},       {"commit", "commit"},   {"dirty", "dirty"},
        {"run", "run"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i][0], field) == 0)
            return names[i][1];
    return field;
}

char *ptc_dim_value_text(const json_t *row, const char *field, char *out, size_t len)
{
    ptc_json_text(ptc_row_get(row, field), out, len);
    if (strcmp(field, "commit") == 0 && strlen(out) > 12)
        out[12] = '\0';
    return out;
}

bool ptc_field_in(const char *field, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(field, *list) == 0)
            return true;
    return false;
}

static bool has_value(const json_t *row, const char *field)
{
    json_t *v = ptc_row_get(row, field);
    return v && !json_is_null(v);
}

bool ptc_dim_varies(const json_t *const *rows, size_t n, const char *field)
{
    char first[256], other[256];
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        if (!has_value(rows[i], field))
            continue;
        ptc_json_text(ptc_row_get(rows[i], field), seen ? other : first, sizeof first);
        if (seen && strcmp(first, other) != 0)
            return true;
        seen = true;
    }
    return false;
}

static int rank_of(const char *s, const char *const *order)
{
    if (!s)
        return -1;
    for (int i = 0; order[i]; i++)
        if (strcmp(s, order[i]) == 0)
            return i;
    return 100;
}

static int cmp_num_field(const json_t *a, const json_t *b, const char *field, bool desc)
{
    double x, y;
    bool hx = ptc_row_num(a, field, &x), hy = ptc_row_num(b, field, &y);
    if (hx != hy)
        return hx ? 1 : -1; /* absent first */
    if (!hx || x == y)
        return 0;
    return ((x < y) != desc) ? -1 : 1;
}

int ptc_dim_cmp(const json_t *a, const json_t *b, const char *field)
{
    static const char *const variants[] = {"baseline", "prune", "combine", "combined", NULL};
    static const char *const rules[] = {"topk", "clamp", "within", NULL};
    if (strcmp(field, "variant") == 0) {
        int d = rank_of(ptc_row_str(a, "variant"), variants) -
                rank_of(ptc_row_str(b, "variant"), variants);
        return d ? d : 0;
    }
    if (strcmp(field, "rule") == 0)
        return rank_of(ptc_row_str(a, "rule"), rules) - rank_of(ptc_row_str(b, "rule"), rules);
    if (strcmp(field, "p") == 0 || strcmp(field, "lc") == 0)
        return cmp_num_field(a, b, field, true);
    if (strcmp(field, "label") == 0) {
        int d;
        if ((d = ptc_dim_cmp(a, b, "variant")) || (d = ptc_dim_cmp(a, b, "rule")) ||
            (d = ptc_dim_cmp(a, b, "lc")) || (d = ptc_dim_cmp(a, b, "p")))
            return d;
    }
    json_t *x = ptc_row_get(a, field), *y = ptc_row_get(b, field);
    bool hx = x && !json_is_null(x), hy = y && !json_is_null(y);
    if (hx != hy)
        return hx ? 1 : -1;
    if (!hx)
        return 0;
    if (json_is_number(x) && json_is_number(y)) {
        double u = json_number_value(x), v = json_number_value(y);
        return u < v ? -1 : u > v;
    }
    char s[256], t[256];
    ptc_json_text(x, s, sizeof s);
    ptc_json_text(y, t, sizeof t);
    return strcmp(s, t);
}

/* One constant dimension in words; empty when it says nothing. */
static void dim_words(const json_t *row, const char *field, char *out, size_t len)
{
    json_t *v = ptc_row_get(row, field);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return;
    char s[256];
    ptc_dim_value_text(row, field, s, sizeof s);
    if (strcmp(field, "level") == 0)
        snprintf(out, len, "%s level", s);
    else if (strcmp(field, "seq") == 0 || strcmp(field, "batch") == 0 ||
             strcmp(field, "variant") == 0 || strcmp(field, "rule") == 0 ||
             strcmp(field, "p") == 0 || strcmp(field, "m") == 0 ||
             strcmp(field, "commit") == 0 || strcmp(field, "run") == 0)
        snprintf(out, len, "%s %s", field, s);
    else if (strcmp(field, "lc") == 0)
        snprintf(out, len, "L_c %s", s);
    else if (strcmp(field, "project_kept") == 0)
        snprintf(out, len, "%s", json_is_true(v) ? "K/V of kept rows only" : "K/V of all rows");
    else if (strcmp(field, "threads") == 0)
        snprintf(out, len, "%s thread%s", s, strcmp(s, "1") == 0 ? "" : "s");
    else if (strcmp(field, "binding") == 0)
        snprintf(out, len, strcmp(s, "none") == 0 ? "threads unbound" : "bound to %s", s);
    else if (strcmp(field, "dirty") == 0)
        snprintf(out, len, "%s", json_is_true(v) ? "dirty tree" : "");
    else
        snprintf(out, len, "%s", s);
}

void ptc_caption(const json_t *const *rows, size_t n, const char *const *skip, char *out,
                 size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    if (n == 0)
        return;
    for (const char *const *d = ptc_report_dims; *d; d++) {
        if (ptc_field_in(*d, skip) || ptc_dim_varies(rows, n, *d))
            continue;
        size_t i = 0;
        while (i + 1 < n && !has_value(rows[i], *d))
            i++;
        char words[300];
        dim_words(rows[i], *d, words, sizeof words);
        if (!words[0])
            continue;
        int k = snprintf(out + used, len - used, "%s%s", used ? ", " : "", words);
        if (k < 0 || (size_t)k >= len - used)
            break;
        used += (size_t)k;
    }
}

/* ---- CLI -------------------------------------------------------------------------------------- */

int ptc_report_set_format(void *field, const char *value, char *err, size_t len)
{
    if (ptc_fmt_parse(value, field) != 0) {
        snprintf(err, len, "unknown --format '%s' (md, csv, latex, tidy, sql)", value);
        return -1;
    }
    return 0;
}

static int add_where(void *field, const char *value, char *err, size_t len)
{
    char sub[256];
    if (ptc_filters_parse(field, value, sub, sizeof sub) != 0) {
        snprintf(err, len, "--where: %s", sub);
        return -1;
    }
    return 0;
}

const ptc_option ptc_report_load_rows[] = {
    {"strict", PTC_OPT_FLAG, offsetof(ptc_load_opts, strict), NULL, "a malformed row is an error"},
    {"all-runs", PTC_OPT_FLAG, offsetof(ptc_load_opts, all_runs), NULL, "every run of a results/<cpu>/ folder"},
    {NULL},
};
const ptc_option ptc_report_filter_rows[] = {
    {"where", PTC_OPT_CUSTOM, 0, "F=V,...", "keep the rows whose fields match (repeatable)", .set = add_where},
    {NULL},
};

int ptc_report_parse(ptc_report_cli *cli, const char *prog, const char *usage, const char *title,
                     const ptc_option *own, void *own_base, size_t max_args, int argc, char **argv)
{
    memset(cli, 0, sizeof *cli);
    cli->lo.prog = prog;
    const ptc_opt_group groups[] = {
        {title, own, own_base},
        {"rows", ptc_report_load_rows, &cli->lo},
        {"filter", ptc_report_filter_rows, &cli->filters},
    };
    const ptc_command_spec spec = {.prog = prog, .usage = usage, .groups = groups, .n_groups = 3,
                                   .max_args = max_args};
    ptc_opts_defaults(&spec);
    return ptc_opts_parse(&spec, argc, argv, 1, &cli->seen);
}

/* ---- loading ------------------------------------------------------------------------------------ */

int ptc_report_load(ptc_rowset *set, const char *const *paths, size_t npaths,
                    const ptc_load_opts *opts, const ptc_filters *filters)
{
    for (size_t i = 0; i < npaths; i++)
        if (ptc_rows_load(set, paths[i], opts) != 0)
            return 1;
    ptc_rows_drop_errors(set);
    if (filters && filters->n)
        ptc_rows_filter(set, filters);
    return 0;
}

int ptc_report_load_all(ptc_rowset *set, const char *const *paths, size_t npaths,
                        const ptc_load_opts *opts, const ptc_filters *filters,
                        const json_t ***rows)
{
    int rc;
    if (npaths == 0) {
        fprintf(stderr, "%s: no input: give rows.jsonl files or run folders\n", opts->prog);
        return 2;
    }
    if ((rc = ptc_report_load(set, paths, npaths, opts, filters)) != 0)
        return rc;
    if (set->n == 0) {
        fprintf(stderr, "%s: no rows selected (%zu error row%s excluded%s)\n", opts->prog,
                set->errors, set->errors == 1 ? "" : "s", filters->n ? ", --where applied" : "");
        return 1;
    }
    *rows = ptc_rows_objs(set);
    return 0;
}

const json_t **ptc_rows_objs(const ptc_rowset *set)
{
    const json_t **objs = malloc((set->n + 1) * sizeof *objs);
    if (!objs)
        abort();
    for (size_t i = 0; i < set->n; i++)
        objs[i] = set->rows[i].obj;
    return objs;
}

void ptc_note_excluded(ptc_rtable *t, const ptc_rowset *set)
{
    if (set->errors)
        ptc_rtable_note(t, "%zu row%s with status \"error\" excluded (first: %s)", set->errors,
                        set->errors == 1 ? "" : "s", set->first_error[0] ? set->first_error : "?");
    if (set->malformed)
        ptc_rtable_note(t, "%zu malformed line%s skipped (reported on stderr)",
                        set->malformed, set->malformed == 1 ? "" : "s");
}

/* ---- plot files ------------------------------------------------------------------------------- */

FILE *ptc_plot_open(const char *dir, const char *name, const char *ext)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "ptc plot: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

bool ptc_plot_close(FILE *dat, FILE *gp)
{
    if (dat)
        fclose(dat);
    if (gp)
        fclose(gp);
    return dat && gp;
}

