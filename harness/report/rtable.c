/*
 * harness/report/rtable.c — the rendered table of `ptc table` and `ptc compare`: the model
 * (caption, columns, cells with display text and full-precision CSV values, notes), its
 * Markdown/CSV/LaTeX renderers and the cell formatters. Contract: harness/report/report.h.
 */
#define _GNU_SOURCE
#include "report/report.h"
#include "common/rows.h"
#include "ptc/stats.h"

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
    else if (strcmp(s, "tidy") == 0)
        *out = PTC_FMT_TIDY;
    else if (strcmp(s, "sql") == 0)
        *out = PTC_FMT_SQL;
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

void ptc_rtable_mark(ptc_rtable *t, size_t r, size_t c, unsigned mark)
{
    ptc_tcell *cell = &t->cells[r * t->ncols + c];
    if (!cell->text)
        return;
    char *s = NULL;
    const char *sign = (mark & PTC_MARK_NOISY) && (mark & PTC_MARK_UNLIKE) ? " †‡"
                       : mark & PTC_MARK_NOISY                             ? " †"
                       : mark & PTC_MARK_UNLIKE                            ? " ‡" : "";
    if (!*sign || asprintf(&s, "%s%s", cell->text, sign) < 0)
        return;
    free(cell->text);
    cell->text = s;
    if ((mark & PTC_MARK_NOISY) && !(t->marks & PTC_MARK_NOISY))
        ptc_rtable_note(t, "† noisy: the repetitions vary by more than %.0f%% (coefficient of "
                        "variation time_s.cv); more --reps or a quieter machine", 100 * PTC_NOISY_CV);
    if ((mark & PTC_MARK_UNLIKE) && !(t->marks & PTC_MARK_UNLIKE))
        ptc_rtable_note(t, "‡ not like for like: at layer level C times the combining module alone "
                        "(which replaces a layer) against a whole BERT layer; the ratio is what the "
                        "module costs, not what C saves (see the encoder level)");
    t->marks |= mark;
}

unsigned ptc_row_marks(const json_t *row)
{
    unsigned m = 0;
    double cv;
    if (ptc_row_num(row, "time_s.cv", &cv) && cv > PTC_NOISY_CV)
        m |= PTC_MARK_NOISY;
    const char *level = ptc_row_str(row, "level"), *variant = ptc_row_str(row, "variant");
    if (level && variant && strcmp(level, "layer") == 0 && strcmp(variant, "combine") == 0)
        m |= PTC_MARK_UNLIKE;
    return m;
}

void ptc_note_train_speedups(ptc_rtable *t, const json_t *const *rows, size_t n)
{
    double v;
    for (size_t i = 0; i < n; i++) {
        const char *phase = ptc_row_str(rows[i], "phase");
        if (phase && strcmp(phase, "train") == 0 && ptc_row_get(rows[i], "dataset") &&
            ptc_row_num(rows[i], "speedup.median", &v)) {
            ptc_rtable_note(t, "caution: training-step speedups of `ptc experiment` compare runs "
                               "timed one after another, not interleaved: a change of load between "
                               "them enters the ratio (results/README.md found 1.6-1.9x that were "
                               "such an artefact); `ptc bench --phase train` times them interleaved");
            return;
        }
    }
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

/* the non-ASCII characters the tables use, in LaTeX */
static const struct {
    const char *utf8, *latex;
} latex_chars[] = {
    {"±", "$\\pm$"}, {"µ", "$\\mu$"}, {"×", "$\\times$"}, {"–", "--"},
    {"†", "\\textsuperscript{\\dag}"}, {"‡", "\\textsuperscript{\\ddag}"},
};

static void put_latex(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        size_t k = 0, nk = sizeof latex_chars / sizeof latex_chars[0];
        while (k < nk && strncmp(s, latex_chars[k].utf8, strlen(latex_chars[k].utf8)) != 0)
            k++;
        if (k < nk) {
            fputs(latex_chars[k].latex, out);
            s += strlen(latex_chars[k].utf8) - 1;
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

/* a CSV field (common/rows.h quoting); NULL: empty */
static void put_csv(FILE *out, const char *s)
{
    if (s)
        ptc_csv_field(out, s);
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
    fputs("% needs \\usepackage{booktabs} (the rules) and \\usepackage{adjustbox} (shrinks the "
          "tabular to \\columnwidth only when wider); \\dag, \\ddag: see the notes below\n", out);
    fputs("\\begin{table}[t]\n\\centering\n\\small\n\\setlength{\\tabcolsep}{3pt}\n\\caption{", out);
    if (t->title[0]) {
        put_latex(out, t->title);
        fputs(". ", out);
    }
    put_latex(out, t->caption);
    fputs("}\n\\begin{adjustbox}{max width=\\columnwidth}\n\\begin{tabular}{", out);
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
    fputs("\\bottomrule\n\\end{tabular}\n\\end{adjustbox}\n\\end{table}\n", out);
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
    case PTC_FMT_TIDY:
    case PTC_FMT_SQL:
        render_csv(t, out, notes_out);
        break;
    case PTC_FMT_LATEX:
        render_latex(t, out);
        break;
    }
}

int ptc_rtable_write(const ptc_rtable *t, ptc_fmt f, const char *out_path, const char *prog)
{
    FILE *out = stdout;
    if (out_path && !(out = fopen(out_path, "w"))) {
        fprintf(stderr, "%s: cannot write %s\n", prog, out_path);
        return 1;
    }
    ptc_rtable_render(t, f, out, stderr);
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "%s: error writing %s\n", prog, out_path);
        return 1;
    }
    return 0;
}

/* ---- cells ----------------------------------------------------------------------------------- */

static char *exact(double x, char *buf, size_t len)
{
    return ptc_fmt_double_exact(x, buf, len);
}

void ptc_cell_ratio(ptc_rtable *t, size_t r, size_t c, const json_t *row, const char *path)
{
    ptc_cell_num(t, r, c, row, path, "%.3f");
    ptc_rtable_mark(t, r, c, ptc_row_marks(row) & PTC_MARK_UNLIKE);
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
    const char *variant = ptc_row_str(row, "variant");
    const bool baseline = variant && strcmp(variant, "baseline") == 0; /* 1 by definition */
    ptc_rtable_mark(t, r, c, ptc_row_marks(row) & (baseline ? ~PTC_MARK_NOISY : ~0u));
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
    ptc_rtable_mark(t, r, c, ptc_row_marks(row) & PTC_MARK_NOISY);
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

/* The raw repetitions of row (time_s.reps) into a new array; their count (0: none). */
static size_t row_reps(const json_t *row, double **out)
{
    const json_t *reps = ptc_row_get(row, "time_s.reps");
    const size_t n = json_is_array(reps) ? json_array_size(reps) : 0;
    *out = n ? malloc(n * sizeof **out) : NULL;
    if (!*out)
        return 0;
    for (size_t i = 0; i < n; i++)
        (*out)[i] = json_number_value(json_array_get(reps, i));
    return n;
}

/* The U test's p-value of a pair into its cell; counts the pairs with too few
 * repetitions for the test (*few_min) or for a reliable one (*few_optimal). */
void ptc_cell_utest(ptc_rtable *t, size_t r, size_t c, const json_t *a, const json_t *b,
                    size_t *few_min, size_t *few_optimal)
{
    double *x, *y, u, p;
    const size_t nx = row_reps(a, &x), ny = row_reps(b, &y);
    const size_t n = nx < ny ? nx : ny;
    if (n < PTC_UTEST_MIN_REPS) {
        (*few_min)++;
    } else if (ptc_mann_whitney_u(x, nx, y, ny, &u, &p) == 0) {
        char text[64], csv[40];
        snprintf(text, sizeof text, "%.4f%s", p, n < PTC_UTEST_OPTIMAL_REPS ? " (few reps)" : "");
        ptc_rtable_set(t, r, c, text, ptc_fmt_double_exact(p, csv, sizeof csv), NULL, NULL, NULL);
        *few_optimal += n < PTC_UTEST_OPTIMAL_REPS;
    }
    free(x);
    free(y);
}
