/*
 * harness/common/rows.h — the one writer and reader of result rows and result
 * documents (jansson), for bench, the kernel benchmark, calibrate and experiment.
 *
 * Rows are JSON objects, one per line of a .jsonl file, in insertion order, reals
 * with 10 significant digits. Appending writes the whole line with one write(2)
 * to an O_APPEND descriptor, then fsync: a row is either entirely in the file or
 * not at all, except after a crash in the middle of write(2);
 * ptc_rows_repair_tail() drops such a torn last line. Documents (context.json,
 * calibration.json, bench_kernels.json) are written whole to a temporary file and
 * renamed over the target. CSV is RFC 4180: a field with a comma, quote or line
 * break is quoted and its quotes doubled.
 */
#ifndef PTC_HARNESS_ROWS_H
#define PTC_HARNESS_ROWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One line of compact JSON with a trailing newline (malloc'ed). */
char *ptc_row_line(const json_t *row);

/* Appends one complete line (ending in '\n') to fd (O_APPEND) and fsyncs.
 * Returns 0, or -1 with errno. */
int ptc_rows_append_line(int fd, const char *line);

/* Truncates a last line that does not end in '\n' (a torn write). Returns the
 * bytes dropped, 0 when none or no file, -1 on error. */
long ptc_rows_repair_tail(const char *path);

/* The config_ids of rows with status "ok" in a rows.jsonl, read by the one
 * reader (common/rows_read.h; lines that are not ptc.row/1 rows are ignored). *ids is malloc'ed: n strings, free with ptc_rows_free_ids. A missing
 * file gives n = 0 and returns 0; -1 on a read error. */
int ptc_rows_ok_ids(const char *path, char ***ids, size_t *n);
void ptc_rows_free_ids(char **ids, size_t n);
bool ptc_rows_contains(char *const *ids, size_t n, const char *id);

/* The marker of a run folder being written: DIR/unfinished exists from the moment a
 * writer (ptc bench, ptc experiment) starts until its run has finished, so a run
 * interrupted or killed keeps it. Readers choosing the latest run of a CPU folder skip
 * such runs (common/rows_read.h, which names the marker: PTC_RUN_UNFINISHED). 0, or -1
 * with errno. */
int ptc_run_mark_unfinished(const char *dir);
int ptc_run_mark_finished(const char *dir);

/* Appends row as one line to the file at path (created when missing). 0, or -1 with errno. */
int ptc_rows_append(const char *path, const json_t *row);

/* Writes doc (indented, insertion order, reals with `precision` digits, 0: 17) to
 * path through path.tmp and rename. 0, or -1 with errno. */
int ptc_json_write_file(const char *path, const json_t *doc, int precision);

/* CSV: the header line of columns, and one line of row's fields by column
 * (strings as they are, numbers with 10 significant digits, true/false, null or
 * absent empty), quoted where RFC 4180 needs it. */
void ptc_csv_header(FILE *f, const char *const *columns, size_t n);
void ptc_csv_row(FILE *f, const json_t *row, const char *const *columns, size_t n);
/* One field, quoted when it holds a comma, quote, CR or LF. */
void ptc_csv_field(FILE *f, const char *s);
/* s between two quote characters, each quote inside doubled (CSV '"', SQL '\''). */
void ptc_fput_quoted(FILE *f, const char *s, char quote);

#endif /* PTC_HARNESS_ROWS_H */
