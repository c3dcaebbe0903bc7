/*
 * harness/report/report.h — `ptc table`, `ptc plot`, `ptc compare`: pure functions of result
 * rows (ptc.row/1, harness/SCHEMA.md) to tables, plots and comparisons. They select
 * fields by schema name and never parse logs.
 *
 * Shared here: the rendered-table model (a caption, columns, cells; each cell has a
 * display text for Markdown/LaTeX and one or more full-precision values for CSV),
 * its three renderers, and the "dimensions" of a row (the fields that say which
 * configuration and machine it measured) with their caption wording, ordering and
 * variation test. Single-threaded; output goes to the FILE given.
 */
#ifndef PTC_HARNESS_REPORT_H
#define PTC_HARNESS_REPORT_H

#include "common/options.h"
#include "common/rows_read.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The program entry points (argv[0] is the subcommand name). Exit codes: 0 ok,
 * 1 no usable data / failed gate / unreadable input, 2 bad usage. */
int ptc_table_main(int argc, char **argv);
int ptc_plot_main(int argc, char **argv);
int ptc_compare_main(int argc, char **argv);

/* ---- output formats ---------------------------------------------------------------- */
typedef enum { PTC_FMT_MD, PTC_FMT_CSV, PTC_FMT_LATEX, PTC_FMT_TIDY, PTC_FMT_SQL } ptc_fmt;
/* "md"/"markdown", "csv", "latex"/"tex", "tidy", "sql"; returns 0 or -1. */
int ptc_fmt_parse(const char *s, ptc_fmt *out);
/* tidy and sql are exports of the rows themselves (harness/report/export.c), not of a
 * rendered table */
#define PTC_FMT_IS_EXPORT(f) ((f) == PTC_FMT_TIDY || (f) == PTC_FMT_SQL)
/* `ptc table --format tidy|sql`: the rows into out_path (NULL: stdout): tidy CSV, one
 * measurement per line (configuration columns, metric, rep, value), or SQL (CREATE
 * TABLE IF NOT EXISTS ptc_rows / ptc_reps and INSERTs) for sqlite3. 0, or 1 after a
 * "prog: cannot write PATH" message. */
int ptc_export_rows(const json_t *const *rows, size_t n, ptc_fmt f, const char *out_path,
                    const char *prog);

/* ---- rendered table -------------------------------------------------------------------- */
#define PTC_TSUB_MAX 4   /* CSV values per cell (median, ci_low, ci_high, ...) */
#define PTC_TCOL_MAX 48

typedef struct ptc_tcol {
    char title[96];                 /* display header (UTF-8; escaped per format) */
    int nsub;                       /* CSV columns this column becomes (>= 1) */
    char sub[PTC_TSUB_MAX][64];     /* their CSV header names */
    bool numeric;                   /* right-aligned */
} ptc_tcol;

typedef struct ptc_tcell {
    char *text;                     /* display; NULL = "n/a" */
    char *sub[PTC_TSUB_MAX];        /* CSV values; NULL = empty */
} ptc_tcell;

typedef struct ptc_rtable {
    char caption[1024];             /* constant dimensions, in words */
    char title[160];                /* "Table 3-style: variants vs BERT" */
    size_t ncols, nrows, cap_rows;
    ptc_tcol cols[PTC_TCOL_MAX];
    ptc_tcell *cells;               /* nrows x ncols, row-major */
    char **notes;                   /* lines after the table (CSV: to stderr) */
    size_t nnotes;
    unsigned marks;                 /* PTC_MARK_* used in cells (each explained once in a note) */
} ptc_rtable;

/* Cell marks, appended to a cell's display text (not to CSV values), each explained by
 * one note the first time a cell gets it:
 *   NOISY   † the row's repetitions vary: time_s.cv above PTC_NOISY_CV
 *   UNLIKE  ‡ a ratio between unlike things: at layer level, C times the combining module
 *           alone (it replaces a layer) against a whole BERT layer */
#define PTC_MARK_NOISY 1u
#define PTC_MARK_UNLIKE 2u
#define PTC_NOISY_CV 0.10
/* Marks cell (r, c) (its text must be set) with `mark`, adding its note once. */
void ptc_rtable_mark(ptc_rtable *t, size_t r, size_t c, unsigned mark);
/* The marks a row's ratio and speedup cells get (time cells: NOISY only). */
unsigned ptc_row_marks(const json_t *row);
/* A note when rows hold training-step speedups of `ptc experiment` (timed one run
 * after another, not interleaved: a load change between runs enters them). */
void ptc_note_train_speedups(ptc_rtable *t, const json_t *const *rows, size_t n);

void ptc_rtable_init(ptc_rtable *t);
void ptc_rtable_free(ptc_rtable *t);
/* Adds a column with `nsub` CSV names (sub may be NULL when nsub == 1: the CSV
 * name is then `csv1`). Returns its index, or -1 when full. */
int ptc_rtable_col(ptc_rtable *t, const char *title, bool numeric, const char *csv1,
                   const char *csv2, const char *csv3, const char *csv4);
size_t ptc_rtable_row(ptc_rtable *t);
/* Sets a cell: display text and up to PTC_TSUB_MAX CSV values (NULL: empty). */
void ptc_rtable_set(ptc_rtable *t, size_t r, size_t c, const char *text, const char *s1,
                    const char *s2, const char *s3, const char *s4);
__attribute__((format(printf, 2, 3))) void ptc_rtable_note(ptc_rtable *t, const char *fmt, ...);
/* Writes the table: md (GitHub Markdown: caption line, pipe table, notes), csv (header
 * row, one line per row, no preamble; notes to `notes_out`), latex (a first comment line
 * naming the packages it needs, booktabs and adjustbox; \small, \tabcolsep 3pt, the
 * tabular shrunk to \columnwidth when wider; \caption; notes as % comments). tidy/sql
 * are not renderings of a table (ptc_export_rows): given here, they write csv. */
void ptc_rtable_render(const ptc_rtable *t, ptc_fmt f, FILE *out, FILE *notes_out);
/* Renders the table into out_path (NULL: stdout), notes to stderr. 0, or 1 after a
 * message "prog: cannot write PATH" / "prog: error writing PATH". */
int ptc_rtable_write(const ptc_rtable *t, ptc_fmt f, const char *out_path, const char *prog);

/* ---- cell helpers: each fills (r, c) from a row; missing data -> n/a ------------------- */
/* a ratio with 3 decimals ("0.877"), CSV exact */
void ptc_cell_ratio(ptc_rtable *t, size_t r, size_t c, const json_t *row, const char *path);
/* speedup object: "1.33 [1.30, 1.36]"; CSV median, ci_low, ci_high */
void ptc_cell_speedup(ptc_rtable *t, size_t r, size_t c, const json_t *row);
/* time_s: "12.3 ± 0.4" in `unit_s` (1e-3 = ms); CSV median and stddev in seconds */
void ptc_cell_time(ptc_rtable *t, size_t r, size_t c, const json_t *row, double unit_s);
/* a number at `path` with printf format `fmt`; CSV exact */
void ptc_cell_num(ptc_rtable *t, size_t r, size_t c, const json_t *row, const char *path,
                  const char *fmt);
/* a dimension's value (see ptc_dim_value_text) */
void ptc_cell_dim(ptc_rtable *t, size_t r, size_t c, const json_t *row, const char *field);
/* `ptc compare`'s cell: the p-value of the two-sided Mann-Whitney U test (ptc/stats.h, as
 * Google Benchmark's compare.py) on the raw repetitions time_s.reps of rows a and b,
 * "(few reps)" below PTC_UTEST_OPTIMAL_REPS a side; counts the pairs with too few
 * repetitions for a test (*few_min: the cell stays n/a) or for a reliable one (*few_optimal). */
#define PTC_UTEST_MIN_REPS 2
#define PTC_UTEST_OPTIMAL_REPS 9
void ptc_cell_utest(ptc_rtable *t, size_t r, size_t c, const json_t *a, const json_t *b,
                    size_t *few_min, size_t *few_optimal);
/* time unit for a set of rows: 1 (s), 1e-3 (ms) or 1e-6 (us), from the largest median;
 * *name gets "s", "ms" or "µs". */
double ptc_time_unit(const json_t *const *rows, size_t n, const char **name);

/* ---- table kinds in files of their own ------------------------------------------------------- */
/* The common head of a kind (harness/report/table.c): key columns (the dimensions that
 * vary, `primary` last; variant, rule and lc shown through the label), rows sorted by
 * them, the title and the caption of what does not vary. Returns the number of keys
 * written to keys (room for 24). */
size_t ptc_table_head(ptc_rtable *t, const json_t **rows, size_t n, const char *primary,
                      const char *title, const char **keys);
/* --kind ops (harness/report/table_ops.c): the per-op time shares of rows with
 * op_time_s; *n becomes the rows kept. 0, or -1 after a message (no such row). */
int ptc_table_build_ops(ptc_rtable *t, const json_t **rows, size_t *n);

/* ---- dimensions ---------------------------------------------------------------------------- */
/* Dimension fields in caption/column order: model, level, seq, batch, pad_mode,
 * project_kept, label, variant, rule, p, lc, m, isa, threads, binding, cpu, commit,
 * dirty, run. NULL-terminated. */
extern const char *const ptc_report_dims[];
/* Column header of a dimension ("seq", "ISA", "Variant", "L_c"). */
const char *ptc_dim_title(const char *field);
/* The value as shown in a column (commit shortened to 12 characters). */
char *ptc_dim_value_text(const json_t *row, const char *field, char *out, size_t len);
/* true when rows have two different values of the field; rows where it is null or
 * absent are ignored (the label says that BERT has no p). */
bool ptc_dim_varies(const json_t *const *rows, size_t n, const char *field);
/* Orders two rows by one dimension: variant baseline < prune < combine < combined, rule
 * topk < clamp < within, p and lc descending, label by (variant, rule, lc desc, p desc,
 * text), numbers ascending, strings by strcmp; absent/null first. */
int ptc_dim_cmp(const json_t *a, const json_t *b, const char *field);
/* Caption of the dimensions constant over the rows, in words ("bert-base, encoder level,
 * seq 512, batch 1, avx2, 1 thread, AMD EPYC 9R14, commit abc123"), skipping the
 * fields listed in `skip` (NULL-terminated, may be NULL) and dimensions that vary;
 * a field null in some rows is worded from the first row that has it ("p 0.9"). */
void ptc_caption(const json_t *const *rows, size_t n, const char *const *skip, char *out,
                 size_t len);
bool ptc_field_in(const char *field, const char *const *list);

/* ---- loading for all three commands ---------------------------------------------------------- */
/* Loads every path into `set`, drops rows whose status is "error" (counted in
 * set->errors) and keeps the rows `filters` match (may be NULL). Returns 0, or 1 after
 * a one-line message (unreadable input; --strict and a malformed line). */
int ptc_report_load(ptc_rowset *set, const char *const *paths, size_t npaths,
                    const ptc_load_opts *opts, const ptc_filters *filters);
/* `ptc table` and `ptc plot`: "no input" when npaths is 0 (returns 2), then
 * ptc_report_load (its 1), then "no rows selected" when none is left (1), each after a
 * one-line message prefixed with opts->prog; 0 with *rows = ptc_rows_objs(set). */
int ptc_report_load_all(ptc_rowset *set, const char *const *paths, size_t npaths,
                        const ptc_load_opts *opts, const ptc_filters *filters,
                        const json_t ***rows);
/* The JSON objects of the rows (malloc'd array; the rowset keeps ownership). */
const json_t **ptc_rows_objs(const ptc_rowset *set);
/* Adds the standard notes: error rows excluded, malformed lines skipped. */
void ptc_note_excluded(ptc_rtable *t, const ptc_rowset *set);

/* ---- shared CLI pieces ------------------------------------------------------------------- */
/* Option rows every report command takes: --strict and --all-runs over a
 * ptc_load_opts, --where F=V,... (repeatable) over a ptc_filters. */
extern const ptc_option ptc_report_load_rows[], ptc_report_filter_rows[];
/* What a report command parses besides its own rows. */
typedef struct ptc_report_cli {
    ptc_filters filters;
    ptc_load_opts lo;
    ptc_opt_seen seen; /* seen.args: the inputs */
} ptc_report_cli;
/* Parses argv over the command's own rows (title, own over own_base), then the
 * shared --strict/--all-runs/--where rows, with --help from them all. 0 (go on),
 * 1 (--help printed: exit 0) or 2 (a one-line message printed). */
int ptc_report_parse(ptc_report_cli *cli, const char *prog, const char *usage, const char *title,
                     const ptc_option *own, void *own_base, size_t max_args, int argc, char **argv);
/* CUSTOM setter of --format md|csv|latex into a ptc_fmt */
int ptc_report_set_format(void *field, const char *value, char *err, size_t len);

/* ---- plot files (harness/report/plot.c, harness/report/plot_accuracy.c) ---------------------------------- */
/* Opens DIR/NAME.EXT for writing; NULL after a "cannot write" message on stderr. */
FILE *ptc_plot_open(const char *dir, const char *name, const char *ext);
/* Closes the files of one plot that are open; true when both had opened. */
bool ptc_plot_close(FILE *dat, FILE *gp);

#endif /* PTC_HARNESS_REPORT_H */
