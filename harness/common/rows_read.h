/*
 * harness/common/rows_read.h — reading result rows (schema ptc.row/1, harness/SCHEMA.md)
 * for `ptc table`, `ptc plot` and `ptc compare`.
 *
 * Input paths: a file is read as JSON lines; a directory holding rows.jsonl means
 * that file (a run folder, results/<cpu>/<run>/); a directory without rows.jsonl
 * whose subfolders hold rows.jsonl (a CPU folder, results/<cpu>/) means the LATEST
 * FINISHED run in it: of the subfolders without an `unfinished` marker (common/rows.h)
 * and whose lock no writer holds now (cluster/lock.h), the one whose name sorts last
 * (run ids start with a UTC timestamp, YYYYMMDD-HHMMSS-...); the latest of all, with a
 * warning, when none has finished; or every run with `all_runs`.
 *
 * A line that is not a JSON object, or whose "schema" is not "ptc.row/1", is
 * reported as `file:line: reason` on the diagnostics stream, counted and skipped
 * (or, in strict mode, the load fails). Blank lines are skipped silently.
 * Rows whose status is "error" are kept by the loader; ptc_rows_drop_errors()
 * removes and counts them.
 *
 * Fields are looked up by dotted path ("time_s.median", "kept.keys_mean.0": a
 * numeric segment indexes an array). Everything is single-threaded; a rowset
 * owns its JSON values and file names.
 */
#ifndef PTC_HARNESS_ROWS_READ_H
#define PTC_HARNESS_ROWS_READ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The marker file of a run folder still being written (common/rows.h:
 * ptc_run_mark_unfinished); a run folder that has it is skipped as the latest. */
#define PTC_RUN_UNFINISHED "unfinished"

#define PTC_ROW_SCHEMA "ptc.row/1"

typedef struct ptc_row {
    json_t *obj;        /* the row (owned reference) */
    const char *file;   /* file it came from (owned by the rowset) */
    int line;           /* 1-based line in that file */
} ptc_row;

typedef struct ptc_rowset {
    ptc_row *rows;
    size_t n, cap;
    char **files;            /* every file read, in order */
    size_t n_files;
    size_t malformed;        /* lines skipped: not JSON, not an object, wrong schema */
    size_t errors;           /* rows dropped by ptc_rows_drop_errors */
    char first_error[256];   /* the "error" field of the first dropped row */
} ptc_rowset;

typedef struct ptc_load_opts {
    bool strict;      /* a malformed line fails the load */
    bool all_runs;    /* a CPU folder means all its runs, not the latest */
    FILE *diag;       /* where file:line messages go (NULL: stderr) */
    const char *prog; /* prefix of one-line messages ("ptc table") */
} ptc_load_opts;

void ptc_rows_init(ptc_rowset *set);
void ptc_rows_free(ptc_rowset *set);

/* Adds the rows of `path` (file, run folder or CPU folder). Returns 0, or -1 after
 * printing a one-line reason (unreadable path, strict mode and a malformed line). */
int ptc_rows_load(ptc_rowset *set, const char *path, const ptc_load_opts *opts);

/* Removes rows whose status is "error"; returns how many (also added to set->errors). */
size_t ptc_rows_drop_errors(ptc_rowset *set);

/* The value at a dotted path, or NULL (borrowed reference). */
json_t *ptc_row_get(const json_t *row, const char *path);
/* true and *out when the value at `path` is a number (integer or real). */
bool ptc_row_num(const json_t *row, const char *path, double *out);
/* The string at `path`, or NULL. */
const char *ptc_row_str(const json_t *row, const char *path);

/* A value as text for display and equality: strings as they are, integers in
 * decimal, reals in the shortest form that reads back to the same double, true,
 * false; null or absent -> "". Objects/arrays -> compact JSON. Returns out. */
char *ptc_json_text(const json_t *v, char *out, size_t len);
/* Shortest "%.{15,16,17}g" that reads back to exactly x. Returns out. */
char *ptc_fmt_double_exact(double x, char *out, size_t len);

/* ---- equality filters: "--where key=value,key!=value" ---------------------------- */
typedef struct ptc_filter {
    char path[96];
    char value[96];
    bool negate;
} ptc_filter;

typedef struct ptc_filters {
    ptc_filter *items;
    size_t n, cap;
} ptc_filters;

/* Parses "a=b,c!=d" and appends. Returns 0, or -1 with a one-line reason in err. */
int ptc_filters_parse(ptc_filters *f, const char *spec, char *err, size_t errlen);
/* Every filter holds for the row. Numbers compare numerically (p=0.90 matches 0.9);
 * "null" or an empty value matches a null or absent field. */
bool ptc_filters_match(const ptc_filters *f, const json_t *row);
/* Keeps only matching rows; returns how many remain. */
size_t ptc_rows_filter(ptc_rowset *set, const ptc_filters *f);
void ptc_filters_free(ptc_filters *f);

#endif /* PTC_HARNESS_ROWS_READ_H */
