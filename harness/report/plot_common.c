/*
 * harness/report/plot_common.c — what the plots of `ptc plot` share: gnuplot strings and
 * titles, series of rows along an x field, captions, data blocks, running gnuplot in the
 * output folder, and one plot's prepare/finish. Contract: harness/report/plot.h.
 */
#define _GNU_SOURCE
#include "report/plot.h"

#include <errno.h>
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

/* title: "what" on the first line, the caption wrapped at ~110 columns after commas */
void plot_put_title(FILE *f, const char *what, const char *caption)
{
    fputs("set title \"", f);
    plot_put_string(f, what);
    size_t col = 0;
    const char *p = caption;
    if (*p)
        fputs("\\n", f);
    while (*p) {
        size_t n = strcspn(p, ",");
        char piece[512];
        snprintf(piece, sizeof piece, "%.*s", (int)n, p);
        if (col > 0 && col + n > 110) {
            fputs("\\n", f);
            col = 0;
            while (piece[0] == ' ')
                memmove(piece, piece + 1, strlen(piece));
        }
        plot_put_string(f, piece);
        col += strlen(piece);
        p += n;
        if (*p == ',') {
            fputc(',', f);
            col++;
            p++;
        }
    }
    fputs("\"\n", f);
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


void plot_script_head(const plot_ctx *pc, FILE *gp, const char *name)
{
    fprintf(gp, "# %s.gp — written by `ptc plot` from result rows; data in %s.dat.\n"
                "# Re-run inside this folder: gnuplot %s.gp\n", name, name, name);
    fprintf(gp, "set terminal %s\nset output '%s.%s'\n", pc->terminal, name, pc->ext);
    fputs("set key outside right top box\nset grid\nset datafile missing 'NaN'\n", gp);
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

static void skip_note(plot_ctx *pc, const char *name, const char *why)
{
    printf("skipped %s: %s\n", name, why);
    pc->skipped++;
}

void plot_done(plot_ctx *pc, const char *name)
{
    if (!plot_render(pc, name))
        return;
    if (pc->render && !pc->gnuplot_missing)
        printf("wrote %s/%s.gp, %s.dat, %s.%s\n", pc->dir, name, name, name, pc->ext);
    else
        printf("wrote %s/%s.gp, %s.dat\n", pc->dir, name, name);
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

/* plot command over all series: `using` spec and style per series */
void plot_series(FILE *gp, const char *name, const series *s, size_t ns,
                 const char *using, const char *style)
{
    fputs("plot ", gp);
    for (size_t i = 0; i < ns; i++) {
        fprintf(gp, "%s'%s.dat' index %zu using %s with %s lw 1.5 title \"", i ? ", \\\n     " : "",
                name, i, using, style);
        plot_put_string(gp, s[i].name);
        fputs("\"", gp);
    }
    fputc('\n', gp);
}

/* ---- one plot: select rows, make series, caption, files; then close, plot_render, free -------- */



/* Selects the rows, makes the series, computes the caption and opens NAME.dat and
 * NAME.gp. Returns true when both files are open for writing; false after a skip note
 * (no data) or an open error. Call plot_finish in either case. */
bool plot_prepare(plot_ctx *pc, plot_job *j, const plot_spec *spec, const json_t **all,
                  size_t nall)
{
    memset(j, 0, sizeof *j);
    j->name = spec->name;
    j->rows = malloc((nall + 1) * sizeof *j->rows);
    memcpy(j->rows, all, nall * sizeof *j->rows);
    j->n = keep_with(j->rows, nall, spec->need);
    if (j->n == 0 || (spec->one_x && distinct_values(j->rows, j->n, spec->x) < 2)) {
        skip_note(pc, j->name, j->n ? spec->one_x : spec->no_rows);
        return false;
    }
    j->ns = spec->make(j->rows, j->n, spec->x, &j->s, j->dims);
    if (spec->drop_single) {
        size_t dropped;
        j->ns = drop_single_points(j->s, j->ns, spec->x, &dropped);
        if (j->ns == 0) {
            char why[128];
            snprintf(why, sizeof why, "no series has two or more values of %s", spec->x);
            skip_note(pc, j->name, why);
            return false;
        }
        if (dropped)
            printf("note: %s: %zu series with a single %s left out\n", j->name, dropped,
                   spec->x);
    }
    plot_caption(j->rows, j->n, spec->x, j->dims, j->cap, sizeof j->cap);
    j->dat = ptc_plot_open(pc->dir, j->name, "dat");
    j->gp = ptc_plot_open(pc->dir, j->name, "gp");
    j->opened = true;
    return j->dat && j->gp;
}

/* Closes the files, renders and notes the plot (or counts the failure), frees. */
void plot_finish(plot_ctx *pc, plot_job *j)
{
    if (j->opened) {
        if (ptc_plot_close(j->dat, j->gp))
            plot_done(pc, j->name);
        else
            pc->failed++;
    }
    free(j->s);
    free(j->rows);
}

/* report.h: plot_done for plots that keep their own counters (plot_accuracy.c, plot_paper.c). */
void ptc_plot_finish(const char *dir, const char *name, const char *ext, bool render, int *written,
                     int *failed)
{
    plot_ctx pc = {.dir = dir, .ext = ext, .render = render};
    fflush(stdout);
    plot_done(&pc, name);
    *written += pc.written;
    *failed += pc.failed;
}
