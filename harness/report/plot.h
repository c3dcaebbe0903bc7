/*
 * harness/report/plot.h — the pieces the plots of `ptc plot` share (harness/report/plot.c
 * writes the plots, harness/report/plot_common.c holds these): the output folder and its
 * counters, series of rows along an x field, the caption, NAME.dat blocks and NAME.gp
 * lines, gnuplot runs, and one plot's prepare/finish. Internal to harness/report/.
 */
#ifndef PTC_HARNESS_REPORT_PLOT_H
#define PTC_HARNESS_REPORT_PLOT_H

#include "report/report.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct plot_ctx {
    const char *dir;
    const char *terminal;   /* gnuplot "set terminal" arguments */
    const char *ext;        /* png, svg, pdf */
    bool render;
    bool gnuplot_missing;
    int written, skipped, failed;
} plot_ctx;

typedef struct series {
    char name[256];
    const json_t **rows;
    size_t n;
} series;

typedef void (*series_name_fn)(const json_t *row, const char **dims, char *out, size_t len);

/* A column of a data block: the value of column `col` of a row. */
typedef double (*value_fn)(const json_t *row, int col);

/* What a plot needs from the rows. */
typedef struct plot_spec {
    const char *name;               /* NAME of NAME.gp, NAME.dat */
    const char *const *need;        /* rows without a number at one of these are left out */
    const char *x;                  /* x field: series run along it; left out of the caption */
    const char *one_x;              /* skip note when fewer than two values of x; NULL: no
                                       such requirement */
    const char *no_rows;            /* skip note when no row has the needed fields */
    /* makes the series of the selected rows (may reorder them) and fills `dims` (NULL-
     * terminated) with the dims the series names state, for the caption to leave out */
    size_t (*make)(const json_t **rows, size_t n, const char *x, series **out,
                   const char **dims);
    bool drop_single;               /* drop series with a single value of x (noted) */
} plot_spec;

/* A plot being written: its rows, series, caption and open files. */
typedef struct plot_job {
    const char *name;
    const json_t **rows;            /* the selected rows (owned; series point into it) */
    size_t n;
    series *s;                      /* owned */
    size_t ns;
    const char *dims[40];
    char cap[1024];
    FILE *dat, *gp;
    bool opened;                    /* the files were tried: plot_finish reports */
} plot_job;

/* a gnuplot double-quoted string body: escapes " and \ */
void plot_put_string(FILE *f, const char *s);

/* title: "what" on the first line, the caption wrapped at ~110 columns after commas */
void plot_put_title(FILE *f, const char *what, const char *caption);

/* stable-enough sort of rows by one field (insertion sort keeps ties in order) */
void plot_sort_by(const json_t **rows, size_t n, const char *field);

/* Dims that split series: vary over rows, not the x field, not implied by the label. */
size_t plot_series_dims(const json_t **rows, size_t n, const char *xfield, const char **dims);

void plot_series_name(const json_t *row, const char **dims, bool with_label, char *out,
                      size_t len);

/* Groups rows, already sorted so that each series is consecutive, into series: a new
 * series starts where the name changes. The series point into rows. */
size_t plot_group_series(const json_t **rows, size_t n, const char **dims,
                         series_name_fn name_of, series **out);

void plot_labelled_series_name(const json_t *row, const char **dims, char *out, size_t len);

/* Groups rows (sorted by label, then the series dims, then x) into series; `dims` gets
 * the series dims. */
size_t plot_make_series(const json_t **rows, size_t n, const char *xfield, series **out,
                        const char **dims);

void plot_script_head(const plot_ctx *pc, FILE *gp, const char *name);

/* Runs gnuplot on NAME.gp inside the output folder (when rendering and gnuplot was not
 * found missing before; its stderr's last line is shown on failure); false when gnuplot
 * failed (counted in pc->failed). */
bool plot_render(plot_ctx *pc, const char *name);
/* Renders NAME.gp, then says what was written and counts it (pc->written). */
void plot_done(plot_ctx *pc, const char *name);

void plot_put_num(FILE *f, double v);

double plot_num_or_nan(const json_t *row, const char *path);

/* Writes the data of one x-plot: per series a block "x col..." of `ncols` values from
 * `value(row, c)`. */
void plot_write_blocks(FILE *dat, const series *s, size_t ns, const char *xfield,
                       const char *header, value_fn value, int ncols);

/* plot command over all series: `using` spec and style per series */
void plot_series(FILE *gp, const char *name, const series *s, size_t ns,
                 const char *using, const char *style);

/* Selects the rows, makes the series, computes the caption and opens NAME.dat and
 * NAME.gp. Returns true when both files are open for writing; false after a skip note
 * (no data) or an open error. Call plot_finish in either case. */
bool plot_prepare(plot_ctx *pc, plot_job *j, const plot_spec *spec, const json_t **all,
                  size_t nall);

/* Closes the files, renders and notes the plot (or counts the failure), frees. */
void plot_finish(plot_ctx *pc, plot_job *j);

#endif /* PTC_HARNESS_REPORT_PLOT_H */
