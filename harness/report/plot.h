/*
 * harness/report/plot.h — the pieces the plots of `ptc plot` share (harness/report/plot.c
 * writes the bench plots, plot_accuracy.c and plot_paper.c those of accuracy rows,
 * plot_table3.c the Table 3 bars; plot_common.c holds these): the output folder and its
 * counters, series of rows along an x field, the palette, reference lines, caption files,
 * NAME.dat blocks and NAME.gp scripts that loop over the image formats, gnuplot runs, and
 * one plot's prepare/finish. Internal to harness/report/.
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
    const char *formats;    /* the images each script writes: "png svg pdf" or one of them */
    const char *level;      /* bench plots: the level of the rows (names get "-LEVEL"); or NULL */
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
    bool baseline_ref;              /* BERT's series (variant baseline) go to ref, not s: the
                                       plot draws BERT as a reference (a line at 1) */
    const char *what;               /* the caption's sentence of what the plot shows */
} plot_spec;

/* A plot being written: its rows, series, caption and open files. */
typedef struct plot_job {
    const char *name;               /* namebuf: the spec's name, "-LEVEL" when pc->level */
    char namebuf[128];
    const json_t **rows;            /* the selected rows (owned; series point into it) */
    size_t n;
    series *s;                      /* owned */
    size_t ns;
    series *ref;                    /* spec->baseline_ref: BERT's series (owned), else NULL */
    size_t nref;
    const char *what;
    char notes[1024];               /* caption notes the plot adds ("note: ..." lines) */
    const char *dims[40];
    char cap[1024];
    FILE *dat, *gp;
    bool opened;                    /* the files were tried: plot_finish reports */
} plot_job;

/* a gnuplot double-quoted string body: escapes " and \ */
void plot_put_string(FILE *f, const char *s);

/* a short title: `set title "TEXT"` (the metadata goes to the caption file) */
void plot_put_title(FILE *f, const char *text);


/* speedup of a bench row: c = 0 median, 1 ci_low, 2 ci_high (the median when absent) */
double plot_speedup_value(const json_t *row, int c);

/* The style of series k of a plot: " lc rgb '#RRGGBB' dt D" (+ " pt P" when points):
 * 8 colours x 5 dash types, so the first 40 series of a plot never share a colour and
 * dash pair; black is left to the reference lines (plot_ref_term). */
void plot_style(size_t k, bool points, char *out, size_t len);
#define PLOT_DISTINCT_STYLES 40

/* the plot term of a horizontal reference line at y: ", Y with lines lc rgb 'black' dt 2
 * ... title \"TITLE\"" (a plot command's continuation) */
void plot_ref_term(FILE *gp, double y, const char *title);

/* NAME.caption.txt: "key: value" lines: plot, what, then the rows' dataset, level,
 * model, sequence length, batch, CPU, ISA, threads, binding, commit, date, run (one value,
 * or "varies: a, b" with the series naming them, or "not recorded"), the series, the
 * remaining constant dimensions in words ("constant: ..."), and `notes` (lines). False
 * after a "cannot write" message. */
bool plot_write_caption(const plot_ctx *pc, const char *name, const char *what, const json_t **rows,
                        size_t n, const char *const *series_names, size_t ns, const char *constant,
                        const char *notes);

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

/* The script's head: a comment, then a loop over the formats of pc->formats (a
 * format whose gnuplot terminal is missing is skipped with a printed note), each
 * iteration a reset, the terminal, NAME.FORMAT as output, a grid and the compact key
 * (above the plot, horizontal, small font); `panels` stacked plots make the canvas
 * taller. plot_script_tail closes the loop. */
void plot_script_head(const plot_ctx *pc, FILE *gp, const char *name, int panels);
void plot_script_tail(FILE *gp);
/* A bench plot's script head (plot_script_head of j's script), `setup` (gnuplot lines,
 * may be "") and its title: "TITLE (LEVEL level)" when pc->level, else TITLE. */
void plot_job_head(const plot_ctx *pc, const struct plot_job *j, int panels, const char *setup,
                   const char *title);

/* Runs gnuplot on NAME.gp inside the output folder (when rendering and gnuplot was not
 * found missing before; its stderr's last line is shown on failure); false when gnuplot
 * failed (counted in pc->failed). */
bool plot_render(plot_ctx *pc, const char *name);
/* Renders NAME.gp, then says what was written and counts it (pc->written). */
void plot_done(plot_ctx *pc, const char *name);
/* Closes NAME's .dat and .gp, writes NAME.caption.txt (plot_write_caption's arguments), then
 * plot_done; a failure of closing or of the caption counts in pc->failed instead. */
void plot_complete(plot_ctx *pc, const char *name, FILE *dat, FILE *gp, const char *what,
                   const json_t **rows, size_t n, const char *const *series_names, size_t ns,
                   const char *constant, const char *notes);

void plot_put_num(FILE *f, double v);

double plot_num_or_nan(const json_t *row, const char *path);

/* Writes the data of one x-plot: per series a block "x col..." of `ncols` values from
 * `value(row, c)`. */
void plot_write_blocks(FILE *dat, const series *s, size_t ns, const char *xfield,
                       const char *header, value_fn value, int ncols);

/* plot command over all series: `using` spec, style ("yerrorlines", ...) and
 * plot_style(k) per series k; `first` = the index of the first series' data block.
 * Leaves the command open (no newline): add plot_ref_term, then end it with "\n". */
void plot_series(FILE *gp, const char *name, const series *s, size_t ns, size_t first,
                 const char *using, const char *style, bool points);

/* Begins plot NAME: when `drawable`, opens NAME.dat and NAME.gp in the output folder
 * (*dat, *gp: NULL where one cannot be opened) and returns true; else prints "skipped
 * NAME: WHY" (why_fmt: printf's) on stdout, counts it and returns false. */
bool plot_begin(plot_ctx *pc, const char *name, bool drawable, FILE **dat, FILE **gp,
                const char *why_fmt, ...) __attribute__((format(printf, 6, 7)));

/* Selects the rows, makes the series, computes the caption and opens NAME.dat and
 * NAME.gp. Returns true when both files are open for writing; false after a skip note
 * (no data) or an open error. Call plot_finish in either case. */
bool plot_prepare(plot_ctx *pc, plot_job *j, const plot_spec *spec, const json_t **all,
                  size_t nall);

/* Closes the files, writes the caption file, renders and notes the plot (or counts
 * the failure), frees. */
void plot_finish(plot_ctx *pc, plot_job *j);

/* The plots of accuracy rows (harness/report/plot_paper.c, plot_accuracy.c):
 * accuracy_vs_p, accuracy_vs_speedup, table4_p, table5_lc, table6_m, the Table 3 bars. */
void ptc_plot_paper(plot_ctx *pc, const json_t **rows, size_t n);

/* Table 3 as bars: per variant, speedup and memory ratio against BERT (ours with its
 * interval, the paper's beside when it has the variant), two panels, BERT = 1 as a
 * reference line. Written by plot.c (bench rows, encoder level) and plot_paper.c
 * (accuracy rows: training step). */
typedef struct plot_bar {
    char label[256];
    double speedup, speedup_lo, speedup_hi, memory; /* ours; NAN when absent */
    double paper_speedup, paper_memory;             /* NAN when the paper has none */
} plot_bar;
/* table3_bars-encoder of bench rows (plot_table3.c); nothing at other levels */
void plot_table3_bench(plot_ctx *pc, const json_t **rows, size_t n);
/* roofline-LEVEL of bench rows (plot_roofline.c) */
void plot_roofline(plot_ctx *pc, const json_t **rows, size_t n);

void plot_table3_bars(plot_ctx *pc, const char *name, const char *what, const plot_bar *bars,
                      size_t nb, const json_t **rows, size_t n, const char *notes);

#endif /* PTC_HARNESS_REPORT_PLOT_H */
