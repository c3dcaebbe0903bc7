/*
 * harness/report/report.c — the pieces `ptc table`, `ptc plot` and `ptc compare` share: the
 * rendered-table model and its Markdown/CSV/LaTeX renderers, cell formatting, and the
 * dimensions of a row (caption wording, order, variation). See report.h.
 */
#define _GNU_SOURCE
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

int ptc_fmt_parse(const char *s, ptc_fmt *out)
{
    if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0)
        *out = PTC_FMT_MD;
    else if (strcmp(s, "csv") == 0)
        *out = PTC_FMT_CSV;
    else if (strcmp(s, "latex") == 0 || strcmp(s, "tex") == 0)
        *out = PTC_FMT_LATEX;
    else
        return -1;
    return 0;
}

/* ---- table model ------------------------------------------------------------------------ */

void ptc_rtable_init(ptc_rtable *t)
{
    memset(t, 0, sizeof *t);
}

void ptc_rtable_free(ptc_rtable *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++) {
        free(t->cells[i].text);
        for (int s = 0; s < PTC_TSUB_MAX; s++)
            free(t->cells[i].sub[s]);
    }
    free(t->cells);
    for (size_t i = 0; i < t->nnotes; i++)
        free(t->notes[i]);
    free(t->notes);
    memset(t, 0, sizeof *t);
}

int ptc_rtable_col(ptc_rtable *t, const char *title, bool numeric, const char *csv1,
                   const char *csv2, const char *csv3, const char *csv4)
{
    if (t->ncols == PTC_TCOL_MAX || t->nrows > 0)
        return -1;
    ptc_tcol *c = &t->cols[t->ncols];
    memset(c, 0, sizeof *c);
    snprintf(c->title, sizeof c->title, "%s", title);
    const char *subs[PTC_TSUB_MAX] = {csv1, csv2, csv3, csv4};
    for (int s = 0; s < PTC_TSUB_MAX && subs[s]; s++)
        snprintf(c->sub[c->nsub++], sizeof c->sub[0], "%s", subs[s]);
    if (c->nsub == 0)
        snprintf(c->sub[c->nsub++], sizeof c->sub[0], "%s", title);
    c->numeric = numeric;
    return (int)t->ncols++;
}

size_t ptc_rtable_row(ptc_rtable *t)
{
    if (t->nrows == t->cap_rows) {
        t->cap_rows = t->cap_rows ? 2 * t->cap_rows : 16;
        t->cells = realloc(t->cells, t->cap_rows * t->ncols * sizeof *t->cells);
        if (!t->cells)
            abort();
    }
    memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof *t->cells);
    return t->nrows++;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void ptc_rtable_set(ptc_rtable *t, size_t r, size_t c, const char *text, const char *s1,
                    const char *s2, const char *s3, const char *s4)
{
    ptc_tcell *cell = &t->cells[r * t->ncols + c];
    free(cell->text);
    cell->text = dup_or_null(text);
    const char *subs[PTC_TSUB_MAX] = {s1, s2, s3, s4};
    for (int s = 0; s < PTC_TSUB_MAX; s++) {
        free(cell->sub[s]);
        cell->sub[s] = dup_or_null(subs[s]);
    }
}

void ptc_rtable_note(ptc_rtable *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (!s)
        return;
    t->notes = realloc(t->notes, (t->nnotes + 1) * sizeof *t->notes);
    t->notes[t->nnotes++] = s;
}

/* ---- renderers ------------------------------------------------------------------------------ */

static void put_md(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void put_latex(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (strncmp(s, "±", strlen("±")) == 0) {
            fputs("$\\pm$", out);
            s += strlen("±") - 1;
        } else if (strncmp(s, "µ", strlen("µ")) == 0) {
            fputs("$\\mu$", out);
            s += strlen("µ") - 1;
        } else if (strncmp(s, "×", strlen("×")) == 0) {
            fputs("$\\times$", out);
            s += strlen("×") - 1;
        } else if (strncmp(s, "–", strlen("–")) == 0) {
            fputs("--", out);
            s += strlen("–") - 1;
        } else if (ch == '\\') {
            fputs("\\textbackslash{}", out);
        } else if (ch == '~') {
            fputs("\\textasciitilde{}", out);
        } else if (ch == '^') {
            fputs("\\textasciicircum{}", out);
        } else if (strchr("_%&#${}", ch)) {
            fputc('\\', out);
            fputc(ch, out);
        } else if (ch == '\n') {
            fputc(' ', out);
        } else {
            fputc(ch, out);
        }
    }
}

static void put_csv(FILE *out, const char *s)
{
    if (!s)
        return;
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static const char *cell_text(const ptc_tcell *c)
{
    return c->text ? c->text : "n/a";
}

static void render_md(const ptc_rtable *t, FILE *out)
{
    if (t->title[0] || t->caption[0]) {
        if (t->title[0]) {
            fputs("**", out);
            put_md(out, t->title);
            fputs(".** ", out);
        }
        put_md(out, t->caption);
        fputs("\n\n", out);
    }
    fputc('|', out);
    for (size_t c = 0; c < t->ncols; c++) {
        fputc(' ', out);
        put_md(out, t->cols[c].title);
        fputs(" |", out);
    }
    fputs("\n|", out);
    for (size_t c = 0; c < t->ncols; c++)
        fputs(t->cols[c].numeric ? "---:|" : ":---|", out);
    fputc('\n', out);
    for (size_t r = 0; r < t->nrows; r++) {
        fputc('|', out);
        for (size_t c = 0; c < t->ncols; c++) {
            fputc(' ', out);
            put_md(out, cell_text(&t->cells[r * t->ncols + c]));
            fputs(" |", out);
        }
        fputc('\n', out);
    }
    if (t->nnotes)
        fputc('\n', out);
    for (size_t i = 0; i < t->nnotes; i++) {
        fputs("- ", out);
        put_md(out, t->notes[i]);
        fputc('\n', out);
    }
}

static void render_csv(const ptc_rtable *t, FILE *out, FILE *notes_out)
{
    bool first = true;
    for (size_t c = 0; c < t->ncols; c++)
        for (int s = 0; s < t->cols[c].nsub; s++) {
            if (!first)
                fputc(',', out);
            put_csv(out, t->cols[c].sub[s]);
            first = false;
        }
    fputc('\n', out);
    for (size_t r = 0; r < t->nrows; r++) {
        first = true;
        for (size_t c = 0; c < t->ncols; c++)
            for (int s = 0; s < t->cols[c].nsub; s++) {
                if (!first)
                    fputc(',', out);
                put_csv(out, t->cells[r * t->ncols + c].sub[s]);
                first = false;
            }
        fputc('\n', out);
    }
    for (size_t i = 0; notes_out && i < t->nnotes; i++)
        fprintf(notes_out, "note: %s\n", t->notes[i]);
}

static void render_latex(const ptc_rtable *t, FILE *out)
{
    fputs("\\begin{table}[t]\n\\centering\n\\small\n\\caption{", out);
    if (t->title[0]) {
        put_latex(out, t->title);
        fputs(". ", out);
    }
    put_latex(out, t->caption);
    fputs("}\n\\begin{tabular}{", out);
    for (size_t c = 0; c < t->ncols; c++)
        fputc(t->cols[c].numeric ? 'r' : 'l', out);
    fputs("}\n\\toprule\n", out);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            fputs(" & ", out);
        put_latex(out, t->cols[c].title);
    }
    fputs(" \\\\\n\\midrule\n", out);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                fputs(" & ", out);
            put_latex(out, cell_text(&t->cells[r * t->ncols + c]));
        }
        fputs(" \\\\\n", out);
    }
    fputs("\\bottomrule\n\\end{tabular}\n\\end{table}\n", out);
    for (size_t i = 0; i < t->nnotes; i++) {
        fputs("% ", out);
        fputs(t->notes[i], out);   /* a comment: no escaping needed, one line */
        fputc('\n', out);
    }
}

void ptc_rtable_render(const ptc_rtable *t, ptc_fmt f, FILE *out, FILE *notes_out)
{
    switch (f) {
    case PTC_FMT_MD:
        render_md(t, out);
        break;
    case PTC_FMT_CSV:
        render_csv(t, out, notes_out);
        break;
    case PTC_FMT_LATEX:
        render_latex(t, out);
        break;
    }
}

/* ---- cells ----------------------------------------------------------------------------------- */

static char *exact(double x, char *buf, size_t len)
{
    return ptc_fmt_double_exact(x, buf, len);
}

void ptc_cell_ratio(ptc_rtable *t, size_t r, size_t c, const json_t *row, const char *path)
{
    ptc_cell_num(t, r, c, row, path, "%.3f");
}

void ptc_cell_num(ptc_rtable *t, size_t r, size_t c, const json_t *row, const char *path,
                  const char *fmt)
{
    double v;
    if (!ptc_row_num(row, path, &v)) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    char text[64], csv[40];
    snprintf(text, sizeof text, fmt, v);
    ptc_rtable_set(t, r, c, text, exact(v, csv, sizeof csv), NULL, NULL, NULL);
}

void ptc_cell_speedup(ptc_rtable *t, size_t r, size_t c, const json_t *row)
{
    double med, lo, hi;
    if (!ptc_row_num(row, "speedup.median", &med)) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    char text[96], a[40], b[40], d[40];
    bool ci = ptc_row_num(row, "speedup.ci_low", &lo) && ptc_row_num(row, "speedup.ci_high", &hi);
    if (ci)
        snprintf(text, sizeof text, "%.2f [%.2f, %.2f]", med, lo, hi);
    else
        snprintf(text, sizeof text, "%.2f", med);
    ptc_rtable_set(t, r, c, text, exact(med, a, sizeof a), ci ? exact(lo, b, sizeof b) : NULL,
                   ci ? exact(hi, d, sizeof d) : NULL, NULL);
}

static int decimals_for(double v)
{
    v = fabs(v);
    return v >= 100 ? 1 : v >= 10 ? 2 : 3;
}

void ptc_cell_time(ptc_rtable *t, size_t r, size_t c, const json_t *row, double unit_s)
{
    double med, sd;
    if (!ptc_row_num(row, "time_s.median", &med)) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    bool has_sd = ptc_row_num(row, "time_s.stddev", &sd);
    int dec = decimals_for(med / unit_s);
    char text[96], a[40], b[40];
    if (has_sd)
        snprintf(text, sizeof text, "%.*f ± %.*f", dec, med / unit_s, dec, sd / unit_s);
    else
        snprintf(text, sizeof text, "%.*f", dec, med / unit_s);
    ptc_rtable_set(t, r, c, text, exact(med, a, sizeof a), has_sd ? exact(sd, b, sizeof b) : NULL,
                   NULL, NULL);
}

void ptc_cell_dim(ptc_rtable *t, size_t r, size_t c, const json_t *row, const char *field)
{
    char text[256], csv[256];
    ptc_dim_value_text(row, field, text, sizeof text);
    ptc_json_text(ptc_row_get(row, field), csv, sizeof csv);
    ptc_rtable_set(t, r, c, text[0] ? text : "-", csv, NULL, NULL, NULL);
}

double ptc_time_unit(const json_t *const *rows, size_t n, const char **name)
{
    double mx = 0, v;
    for (size_t i = 0; i < n; i++)
        if (ptc_row_num(rows[i], "time_s.median", &v) && v > mx)
            mx = v;
    if (mx >= 10) {
        *name = "s";
        return 1;
    }
    if (mx >= 0.01) {
        *name = "ms";
        return 1e-3;
    }
    *name = "µs";
    return 1e-6;
}

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
        snprintf(err, len, "unknown --format '%s' (md, csv, latex)", value);
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
        ptc_rtable_note(t, "%zu malformed line%s skipped (reported as file:line on stderr)",
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
