/*
 * harness/report/plot_common.c — what the plots of `ptc plot` share: gnuplot strings and
 * titles, series of rows along an x field, captions, data blocks, running gnuplot in the
 * output folder, and one plot's prepare/finish. Contract: harness/report/plot.h.
 */
#define _GNU_SOURCE
#include "report/plot.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* dims never used to split series: implied by the label */
static const char *const implied_by_label[] = {"variant", "rule", "lc", NULL};

/* ---- helpers -------------------------------------------------------------------------------- */

/* a gnuplot double-quoted string body: escapes " and \ */
void plot_put_string(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
}

/* a short title: `set title "TEXT"` (the metadata goes to the caption file) */
void plot_put_title(FILE *f, const char *text)
{
    fputs("set title \"", f);
    plot_put_string(f, text);
    fputs("\"\n", f);
}

double plot_speedup_value(const json_t *row, int c)
{
    double med = plot_num_or_nan(row, "speedup.median");
    if (c == 0)
        return med;
    double v = plot_num_or_nan(row, c == 1 ? "speedup.ci_low" : "speedup.ci_high");
    return isnan(v) ? med : v;
}

/* ---- styles: a fixed palette of distinct colours x dash types --------------------------------- */

/* colour-blind-safe first (Okabe-Ito without black and yellow), then two more; black is
 * the reference lines' colour */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#8C564B", "#6A3D9A"};
#define N_COLOURS (sizeof palette / sizeof palette[0])
#define N_DASHES 5 /* gnuplot's dash types 1 (solid) .. 5 */
static const int point_types[] = {7, 5, 9, 11, 13, 4, 6, 8, 10, 12, 1, 2, 3};

void plot_style(size_t k, bool points, char *out, size_t len)
{
    const size_t colour = k % N_COLOURS, dash = (k / N_COLOURS) % N_DASHES;
    int n = snprintf(out, len, " lc rgb '%s' dt %zu", palette[colour], dash + 1);
    if (points && n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, " pt %d",
                 point_types[k % (sizeof point_types / sizeof point_types[0])]);
}

void plot_ref_term(FILE *gp, double y, const char *title)
{
    char buf[40];
    fprintf(gp, ", \\\n     %s with lines lc rgb 'black' dt 2 lw 1.2 title \"",
            ptc_fmt_double_exact(y, buf, sizeof buf));
    plot_put_string(gp, title);
    fputc('"', gp);
}

/* ---- caption files ---------------------------------------------------------------------------- */

/* the metadata of a plot: row field and its name in the caption file */
static const struct {
    const char *field, *name;
} caption_fields[] = {
    {"dataset", "dataset"}, {"level", "level"},   {"phase", "phase"},     {"model", "model"},
    {"seq", "sequence length"}, {"batch", "batch"}, {"cpu", "CPU"},      {"isa", "ISA"},
    {"threads", "threads"}, {"binding", "binding"}, {"commit", "commit"}, {"timestamp", "date"},
    {"run", "run"},
};

/* the distinct values of a field over the rows, ", "-separated, the first 8 (dates: the
 * day); returns how many there are */
static size_t distinct_text(const json_t **rows, size_t n, const char *field, char *out, size_t len)
{
    char seen[9][160];
    size_t count = 0, used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && count < 9; i++) {
        json_t *v = ptc_row_get(rows[i], field);
        if (!v || json_is_null(v))
            continue;
        char text[160];
        ptc_dim_value_text(rows[i], field, text, sizeof text);
        if (strcmp(field, "timestamp") == 0)
            text[strcspn(text, "T")] = '\0';
        size_t k = 0;
        while (k < count && strcmp(seen[k], text) != 0)
            k++;
        if (k < count)
            continue;
        snprintf(seen[count++], sizeof seen[0], "%s", text);
        int w = snprintf(out + used, len - used, "%s%s", used ? ", " : "", count == 9 ? "..." : text);
        if (w > 0 && (size_t)w < len - used)
            used += (size_t)w;
    }
    return count;
}

bool plot_write_caption(const plot_ctx *pc, const char *name, const char *what, const json_t **rows,
                        size_t n, const char *const *series_names, size_t ns, const char *constant,
                        const char *notes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.caption.txt", pc->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "ptc plot: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    fprintf(f, "plot: %s (%s.png/.svg/.pdf; script %s.gp, data %s.dat)\nwhat: %s\n", name, name, name,
            name, what);
    for (size_t i = 0; i < sizeof caption_fields / sizeof caption_fields[0]; i++) {
        const char *field = caption_fields[i].field;
        char values[600];
        const size_t count = distinct_text(rows, n, field, values, sizeof values);
        const bool core = strcmp(field, "dataset") && strcmp(field, "phase") && strcmp(field, "level");
        if (count == 1)
            fprintf(f, "%s: %s\n", caption_fields[i].name, values);
        else if (count > 1)
            fprintf(f, "%s: varies: %s\n", caption_fields[i].name, values);
        else if (core)
            fprintf(f, "%s: not recorded in the rows\n", caption_fields[i].name);
    }
    fprintf(f, "series: %zu:", ns);
    for (size_t i = 0; i < ns; i++)
        fprintf(f, "%s %s", i ? ";" : "", series_names[i]);
    fputc('\n', f);
    if (constant && constant[0])
        fprintf(f, "constant: %s\n", constant);
    if (notes && notes[0])
        fprintf(f, "%s%s", notes, notes[strlen(notes) - 1] == '\n' ? "" : "\n");
    fprintf(f, "source: %zu result row%s (ptc.row/1, harness/SCHEMA.md), written by `ptc plot`\n", n,
            n == 1 ? "" : "s");
    return fclose(f) == 0;
}

static const char *g_cmp_field;
static int cmp_by_field(const void *a, const void *b)
{
    return ptc_dim_cmp(*(const json_t *const *)a, *(const json_t *const *)b, g_cmp_field);
}

/* stable-enough sort of rows by one field (insertion sort keeps ties in order) */
void plot_sort_by(const json_t **rows, size_t n, const char *field)
{
    g_cmp_field = field;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp_by_field(&rows[j - 1], &rows[j]) > 0; j--) {
            const json_t *x = rows[j];
            rows[j] = rows[j - 1];
            rows[j - 1] = x;
        }
}

/* Dims that split series: vary over rows, not the x field, not implied by the label. */
size_t plot_series_dims(const json_t **rows, size_t n, const char *xfield, const char **dims)
{
    size_t k = 0;
    for (const char *const *d = ptc_report_dims; *d; d++)
        if (strcmp(*d, "label") != 0 && strcmp(*d, xfield) != 0 &&
            !ptc_field_in(*d, implied_by_label) && ptc_dim_varies(rows, n, *d))
            dims[k++] = *d;
    dims[k] = NULL;
    return k;
}

void plot_series_name(const json_t *row, const char **dims, bool with_label, char *out,
                      size_t len)
{
    char v[160];
    size_t used = 0;
    out[0] = '\0';
    if (with_label)
        used = (size_t)snprintf(out, len, "%s", ptc_dim_value_text(row, "label", v, sizeof v));
    for (const char **d = dims; *d && used < len; d++) {
        json_t *x = ptc_row_get(row, *d);
        if (!x || json_is_null(x))
            continue;
        ptc_dim_value_text(row, *d, v, sizeof v);
        if (strcmp(*d, "isa") == 0 || strcmp(*d, "cpu") == 0 || strcmp(*d, "model") == 0)
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "", v);
        else if (strcmp(*d, "threads") == 0)
            used += (size_t)snprintf(out + used, len - used, "%s%st", used ? " " : "", v);
        else
            used += (size_t)snprintf(out + used, len - used, "%s%s=%s", used ? " " : "", *d, v);
    }
}

/* Groups rows (sorted by label, then the series dims, then x) into series. */
/* Names a series from its first row and the dims that split series. */

/* Groups rows, already sorted so that each series is consecutive, into series: a new
 * series starts where the name changes. The series point into rows. */
size_t plot_group_series(const json_t **rows, size_t n, const char **dims,
                         series_name_fn name_of, series **out)
{
    series *s = calloc(n + 1, sizeof *s);
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        char name[256];
        name_of(rows[i], dims, name, sizeof name);
        if (ns == 0 || strcmp(s[ns - 1].name, name) != 0) {
            snprintf(s[ns].name, sizeof s[ns].name, "%s", name);
            s[ns].rows = &rows[i];
            ns++;
        }
        s[ns - 1].n++;
    }
    *out = s;
    return ns;
}

void plot_labelled_series_name(const json_t *row, const char **dims, char *out, size_t len)
{
    plot_series_name(row, dims, true, out, len);
}

/* Makes the rows of each series consecutive, series in the order they first appear,
 * rows in their order (stable): the label order also sorts by p, which would split the
 * series of a label along a p axis ("P" at p 0.9, then at p 0.7). */
static void gather_by_name(const json_t **rows, size_t n, const char **dims)
{
    char(*names)[256] = malloc((n + 1) * sizeof *names);
    size_t *key = malloc((n + 1) * sizeof *key);
    for (size_t i = 0; i < n; i++) {
        plot_labelled_series_name(rows[i], dims, names[i], sizeof names[i]);
        key[i] = i;
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[k], names[i]) == 0) {
                key[i] = key[k];
                break;
            }
    }
    for (size_t i = 1; i < n; i++) /* stable insertion sort by key */
        for (size_t j = i; j > 0 && key[j - 1] > key[j]; j--) {
            const json_t *r = rows[j];
            rows[j] = rows[j - 1];
            rows[j - 1] = r;
            size_t t = key[j];
            key[j] = key[j - 1];
            key[j - 1] = t;
        }
    free(key);
    free(names);
}

/* Groups rows (sorted by label, then the series dims, then x) into series; `dims` gets
 * the series dims. */
size_t plot_make_series(const json_t **rows, size_t n, const char *xfield, series **out,
                        const char **dims)
{
    plot_series_dims(rows, n, xfield, dims);
    plot_sort_by(rows, n, xfield);
    size_t nd = 0;
    while (dims[nd])
        nd++;
    for (size_t d = nd; d-- > 0;)
        plot_sort_by(rows, n, dims[d]);
    plot_sort_by(rows, n, "label");
    gather_by_name(rows, n, dims);
    return plot_group_series(rows, n, dims, plot_labelled_series_name, out);
}

/* Drops series with fewer than two distinct x values (a lone point on a line plot says
 * nothing about the trend; the table has it). Returns the new count; *dropped counts. */
static size_t drop_single_points(series *s, size_t ns, const char *xfield, size_t *dropped)
{
    size_t k = 0;
    *dropped = 0;
    for (size_t i = 0; i < ns; i++) {
        bool two = false;
        for (size_t r = 1; r < s[i].n && !two; r++)
            two = ptc_dim_cmp(s[i].rows[0], s[i].rows[r], xfield) != 0;
        if (two)
            s[k++] = s[i];
        else
            ++*dropped;
    }
    return k;
}

/* keep rows that have numbers at all the paths */
static size_t keep_with(const json_t **rows, size_t n, const char *const *paths)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = true;
        double v;
        for (const char *const *p = paths; *p && ok; p++)
            ok = ptc_row_num(rows[i], *p, &v);
        if (ok)
            rows[k++] = rows[i];
    }
    return k;
}

static size_t distinct_values(const json_t **rows, size_t n, const char *field)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = ptc_dim_cmp(rows[i], rows[j], field) == 0;
        count += !seen;
    }
    return count;
}


void plot_script_head(const plot_ctx *pc, FILE *gp, const char *name, int panels)
{
    const int height = 640 + 160 * (panels - 1); /* pixels; a panel below another adds 160 */
    fprintf(gp, "# %s.gp — written by `ptc plot` from result rows; data in %s.dat, caption and\n"
                "# metadata in %s.caption.txt. Re-run inside this folder: gnuplot %s.gp\n",
            name, name, name, name);
    fprintf(gp, "do for [fmt in \"%s\"] {\n"
                "if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {\n"
                "    print '%s.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue\n}\n"
                "if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {\n"
                "    print '%s.gp: this gnuplot has no pngcairo terminal: no PNG'; continue\n}\n"
                "reset\n"
                "if (fmt eq 'png') { set terminal pngcairo size 1000,%d noenhanced font 'sans,10' }\n"
                "if (fmt eq 'svg') { set terminal svg size 1000,%d dynamic noenhanced font 'sans,11' }\n"
                "if (fmt eq 'pdf') { set terminal pdfcairo size 7in,%.2fin noenhanced font 'sans,9' }\n"
                "set output '%s.'.fmt\n"
                "set grid\nset datafile missing 'NaN'\n"
                "set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1\n",
            pc->formats, name, name, height, height, 4.5 * height / 640.0, name);
}

void plot_script_tail(FILE *gp)
{
    fputs("set output\n}\n", gp);
}

void plot_job_head(const plot_ctx *pc, const plot_job *j, int panels, const char *setup,
                   const char *title)
{
    plot_script_head(pc, j->gp, j->name, panels);
    fputs(setup, j->gp);
    char t[256];
    snprintf(t, sizeof t, "%s%s%s%s", title, pc->level ? " (" : "", pc->level ? pc->level : "",
             pc->level ? " level)" : "");
    plot_put_title(j->gp, t);
}

/* Runs gnuplot on NAME.gp inside the output folder; false when gnuplot failed. */
bool plot_render(plot_ctx *pc, const char *name)
{
    if (!pc->render || pc->gnuplot_missing)
        return true;
    char errpath[4096];
    snprintf(errpath, sizeof errpath, "%s/.%s.gnuplot-stderr", pc->dir, name);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "ptc plot: cannot start gnuplot: %s\n", strerror(errno));
        pc->failed++;
        return false;
    }
    if (pid == 0) {
        if (chdir(pc->dir) != 0)
            _exit(126);
        FILE *e = freopen(errpath + strlen(pc->dir) + 1, "w", stderr);
        (void)e;
        char script[512];
        snprintf(script, sizeof script, "%s.gp", name);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    if (code == 127) {
        pc->gnuplot_missing = true;
        printf("note: gnuplot not found: scripts and data written, no images "
               "(install gnuplot and run `gnuplot NAME.gp` in %s)\n", pc->dir);
    } else if (code != 0) {
        char line[512] = "", last[512] = "";
        FILE *e = fopen(errpath, "r");
        if (e) {
            while (fgets(line, sizeof line, e))
                if (line[0] != '\n')
                    snprintf(last, sizeof last, "%s", line);
            fclose(e);
        }
        last[strcspn(last, "\n")] = '\0';
        fprintf(stderr, "ptc plot: gnuplot failed on %s/%s.gp (exit %d): %s\n", pc->dir, name,
                code, last);
        pc->failed++;
        return false;
    }
    unlink(errpath);
    return true;
}

bool plot_begin(plot_ctx *pc, const char *name, bool drawable, FILE **dat, FILE **gp,
                const char *why_fmt, ...)
{
    *dat = *gp = NULL;
    if (!drawable) {
        va_list ap;
        va_start(ap, why_fmt);
        printf("skipped %s: ", name);
        vprintf(why_fmt, ap);
        putchar('\n');
        va_end(ap);
        pc->skipped++;
        return false;
    }
    *dat = ptc_plot_open(pc->dir, name, "dat");
    *gp = ptc_plot_open(pc->dir, name, "gp");
    return true;
}

void plot_complete(plot_ctx *pc, const char *name, FILE *dat, FILE *gp, const char *what,
                   const json_t **rows, size_t n, const char *const *series_names, size_t ns,
                   const char *constant, const char *notes)
{
    if (ptc_plot_close(dat, gp) &&
        plot_write_caption(pc, name, what, rows, n, series_names, ns, constant, notes))
        plot_done(pc, name);
    else
        pc->failed++;
}

void plot_done(plot_ctx *pc, const char *name)
{
    fflush(stdout);
    if (!plot_render(pc, name))
        return;
    if (pc->render && !pc->gnuplot_missing) {
        printf("wrote %s/%s.gp, %s.dat, %s.caption.txt", pc->dir, name, name, name);
        char fmts[64];
        snprintf(fmts, sizeof fmts, "%s", pc->formats);
        for (char *f = strtok(fmts, " "); f; f = strtok(NULL, " ")) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.%s", pc->dir, name, f);
            if (access(path, F_OK) == 0)
                printf(", %s.%s", name, f);
        }
        putchar('\n');
    } else {
        printf("wrote %s/%s.gp, %s.dat, %s.caption.txt\n", pc->dir, name, name, name);
    }
    pc->written++;
}

void plot_put_num(FILE *f, double v)
{
    char buf[40];
    if (isnan(v))
        fputs(" NaN", f);
    else
        fprintf(f, " %s", ptc_fmt_double_exact(v, buf, sizeof buf));
}

double plot_num_or_nan(const json_t *row, const char *path)
{
    double v;
    return ptc_row_num(row, path, &v) ? v : NAN;
}

/* caption of what is constant over rows, minus the x field and the series dims */
static void plot_caption(const json_t **rows, size_t n, const char *xfield, const char **dims,
                         char *out, size_t len)
{
    const char *skip[40];
    size_t k = 0;
    skip[k++] = xfield;
    skip[k++] = "label";
    for (const char *const *d = implied_by_label; *d; d++)
        skip[k++] = *d;
    for (const char **d = dims; *d && k < 38; d++)
        skip[k++] = *d;
    skip[k] = NULL;
    ptc_caption(rows, n, skip, out, len);
}

/* Writes the data of one x-plot: per series a block "x col..." of `ncols` values from
 * `value(row, c)`. */
void plot_write_blocks(FILE *dat, const series *s, size_t ns, const char *xfield,
                       const char *header, value_fn value, int ncols)
{
    for (size_t i = 0; i < ns; i++) {
        fprintf(dat, "%s# series: %s\n# %s\n", i ? "\n\n" : "", s[i].name, header);
        for (size_t r = 0; r < s[i].n; r++) {
            plot_put_num(dat, plot_num_or_nan(s[i].rows[r], xfield));
            for (int c = 0; c < ncols; c++)
                plot_put_num(dat, value(s[i].rows[r], c));
            fputc('\n', dat);
        }
    }
}

/* plot command over all series: `using` spec, style and plot_style per series */
void plot_series(FILE *gp, const char *name, const series *s, size_t ns, size_t first,
                 const char *using, const char *style, bool points)
{
    fputs("plot ", gp);
    for (size_t i = 0; i < ns; i++) {
        char st[96];
        plot_style(i, points, st, sizeof st);
        fprintf(gp, "%s'%s.dat' index %zu using %s with %s%s lw 1.5 title \"", i ? ", \\\n     " : "",
                name, first + i, using, style, st);
        plot_put_string(gp, s[i].name);
        fputs("\"", gp);
    }
}

/* ---- one plot: select rows, make series, caption, files; then close, plot_render, free -------- */



/* Selects the rows, makes the series, computes the caption and opens NAME.dat and
 * NAME.gp. Returns true when both files are open for writing; false after a skip note
 * (no data) or an open error. Call plot_finish in either case. */
bool plot_prepare(plot_ctx *pc, plot_job *j, const plot_spec *spec, const json_t **all,
                  size_t nall)
{
    memset(j, 0, sizeof *j);
    snprintf(j->namebuf, sizeof j->namebuf, "%s%s%s", spec->name, pc->level ? "-" : "",
             pc->level ? pc->level : "");
    j->name = j->namebuf;
    j->what = spec->what;
    j->rows = malloc((nall + 1) * sizeof *j->rows);
    memcpy(j->rows, all, nall * sizeof *j->rows);
    j->n = keep_with(j->rows, nall, spec->need);
    if (j->n == 0 || (spec->one_x && distinct_values(j->rows, j->n, spec->x) < 2))
        return plot_begin(pc, j->name, false, &j->dat, &j->gp, "%s", j->n ? spec->one_x : spec->no_rows);
    j->ns = spec->make(j->rows, j->n, spec->x, &j->s, j->dims);
    if (spec->baseline_ref) { /* BERT's series out of s, into ref */
        j->ref = calloc(j->ns + 1, sizeof *j->ref);
        size_t k = 0;
        for (size_t i = 0; i < j->ns; i++) {
            const char *v = ptc_row_str(j->s[i].rows[0], "variant");
            if (v && strcmp(v, "baseline") == 0)
                j->ref[j->nref++] = j->s[i];
            else
                j->s[k++] = j->s[i];
        }
        j->ns = k;
    }
    if (spec->drop_single) {
        size_t dropped;
        j->ns = drop_single_points(j->s, j->ns, spec->x, &dropped);
        if (dropped)
            printf("note: %s: %zu series with a single %s left out\n", j->name, dropped,
                   spec->x);
    }
    if (j->ns == 0)
        return plot_begin(pc, j->name, false, &j->dat, &j->gp,
                          "no series other than BERT has two or more values of %s", spec->x);
    plot_caption(j->rows, j->n, spec->x, j->dims, j->cap, sizeof j->cap);
    j->opened = plot_begin(pc, j->name, true, &j->dat, &j->gp, "%s", "");
    return j->dat && j->gp;
}

/* Closes the files, writes the caption, renders and notes the plot (or counts the failure), frees. */
void plot_finish(plot_ctx *pc, plot_job *j)
{
    if (j->opened) {
        const char **names = malloc((j->ns + 1) * sizeof *names);
        for (size_t i = 0; i < j->ns; i++)
            names[i] = j->s[i].name;
        plot_complete(pc, j->name, j->dat, j->gp, j->what, j->rows, j->n, names, j->ns, j->cap, j->notes);
        free(names);
    }
    free(j->s);
    free(j->ref);
    free(j->rows);
}
