/*
 * harness/report/export.c — `ptc table --format tidy|sql`: the selected rows themselves,
 * for pandas, R and SQLite, whatever --kind says. Contract: harness/report/report.h.
 *
 * One list of columns serves both: the configuration and machine fields of a row
 * (run, config_id, level, phase, label, variant, rule, p, lc, m, model and its shape,
 * seq, batch, pad_mode, project_kept, isa, threads, binding, cpu, commit, dirty,
 * timestamp, dataset, seed) and its measurements (time_s.*, speedup.*, flops,
 * ratios, GFLOP/s, memory, accuracy), by their harness/SCHEMA.md names.
 *   tidy  CSV, one measurement per line: the configuration columns, `metric` (the
 *         schema's dotted name, e.g. time_s.median), `rep` (the repetition's index for
 *         metric time_s.rep, the raw repetitions; else empty) and `value`; a
 *         measurement a row lacks has no line. No composite header anywhere.
 *   sql   `CREATE TABLE IF NOT EXISTS ptc_rows` (one column per field, dots as
 *         underscores: time_s_median; names double-quoted, as "commit" must be) and `ptc_reps` (run, config_id, rep, time_s),
 *         then the INSERTs in one transaction, as llama-bench's `-o sql`:
 *         `ptc table --format sql RUN | sqlite3 results.db` (repeatable: the tables
 *         are created once, the rows of each run appended).
 * Numbers are exact (the shortest decimal that reads back to the same double);
 * absent and null are empty (tidy) or NULL (sql).
 */
#include "report/report.h"
#include "common/rows.h" /* ptc_csv_field, ptc_fput_quoted */

#include <string.h>

typedef enum { X_TEXT, X_INT, X_REAL, X_BOOL } xtype;
typedef struct xcol {
    const char *path;
    xtype type;
} xcol;

static const xcol config_cols[] = {
    {"run", X_TEXT},       {"config_id", X_TEXT}, {"level", X_TEXT},    {"phase", X_TEXT},
    {"label", X_TEXT},     {"variant", X_TEXT},   {"rule", X_TEXT},     {"p", X_REAL},
    {"lc", X_INT},         {"m", X_INT},          {"model", X_TEXT},    {"hidden", X_INT},
    {"layers", X_INT},     {"heads", X_INT},      {"ffn", X_INT},       {"seq", X_INT},
    {"batch", X_INT},      {"pad_mode", X_TEXT},  {"project_kept", X_BOOL}, {"isa", X_TEXT},
    {"threads", X_INT},    {"binding", X_TEXT},   {"cpu", X_TEXT},      {"commit", X_TEXT},
    {"dirty", X_BOOL},     {"timestamp", X_TEXT}, {"dataset", X_TEXT},  {"seed", X_INT},
};
#define N_CONFIG (sizeof config_cols / sizeof config_cols[0])

static const char *const metric_cols[] = {
    "time_s.median", "time_s.mean", "time_s.stddev", "time_s.min", "time_s.max", "time_s.cv",
    "time_s.n", "speedup.median", "speedup.ci_low", "speedup.ci_high", "flops.total",
    "flops_ratio", "gflops", "pct_peak", "memory.activations", "memory.workspace",
    "memory.peak_rss", "memory_ratio", "rss_ratio", "accuracy", "macro_f1", "micro_f1",
};
#define N_METRIC (sizeof metric_cols / sizeof metric_cols[0])

/* A value as text: numbers exact, booleans true/false, strings as they are; NULL for
 * absent or null (and for objects and arrays, which no column holds). */
static const char *value_text(const json_t *v, char *buf, size_t len)
{
    if (!v || json_is_null(v) || json_is_object(v) || json_is_array(v))
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return ptc_fmt_double_exact(json_number_value(v), buf, len);
}

/* ---- tidy CSV ------------------------------------------------------------------------- */

static void tidy_line(FILE *out, const json_t *row, const char *metric, const char *rep,
                      const char *value)
{
    char buf[64];
    for (size_t c = 0; c < N_CONFIG; c++) {
        const char *v = value_text(ptc_row_get(row, config_cols[c].path), buf, sizeof buf);
        if (v)
            ptc_csv_field(out, v);
        fputc(',', out);
    }
    ptc_csv_field(out, metric);
    fprintf(out, ",%s,%s\n", rep, value);
}

static void export_tidy(const json_t *const *rows, size_t n, FILE *out)
{
    for (size_t c = 0; c < N_CONFIG; c++)
        fprintf(out, "%s,", config_cols[c].path);
    fputs("metric,rep,value\n", out);
    char buf[64], idx[32];
    for (size_t i = 0; i < n; i++) {
        for (size_t m = 0; m < N_METRIC; m++) {
            const char *v = value_text(ptc_row_get(rows[i], metric_cols[m]), buf, sizeof buf);
            if (v)
                tidy_line(out, rows[i], metric_cols[m], "", v);
        }
        const json_t *reps = ptc_row_get(rows[i], "time_s.reps");
        for (size_t r = 0; json_is_array(reps) && r < json_array_size(reps); r++) {
            const char *v = value_text(json_array_get(reps, r), buf, sizeof buf);
            snprintf(idx, sizeof idx, "%zu", r);
            if (v)
                tidy_line(out, rows[i], "time_s.rep", idx, v);
        }
    }
}

/* ---- SQL ----------------------------------------------------------------------------- */

/* a column name: the dotted path with underscores, quoted (commit is an SQL keyword) */
static void sql_name(FILE *out, const char *path)
{
    fputc('"', out);
    for (; *path; path++)
        fputc(*path == '.' ? '_' : *path, out);
    fputc('"', out);
}

static void sql_value(FILE *out, const json_t *v, xtype type)
{
    char buf[64];
    if (json_is_boolean(v)) {
        fputs(json_is_true(v) ? "1" : "0", out);
        return;
    }
    const char *s = value_text(v, buf, sizeof buf);
    if (!s) {
        fputs("NULL", out);
    } else if (json_is_number(v) && type != X_TEXT) {
        fputs(s, out);
    } else {
        ptc_fput_quoted(out, s, '\''); /* SQL: '' inside */
    }
}

static void export_sql(const json_t *const *rows, size_t n, FILE *out)
{
    static const char *const type_name[] = {"TEXT", "INTEGER", "REAL", "INTEGER"};
    fputs("-- ptc table --format sql: ptc.row/1 rows (harness/SCHEMA.md); "
          "load with: sqlite3 results.db < FILE\n", out);
    fputs("CREATE TABLE IF NOT EXISTS ptc_rows (\n", out);
    for (size_t c = 0; c < N_CONFIG; c++) {
        fputs("  ", out);
        sql_name(out, config_cols[c].path);
        fprintf(out, " %s,\n", type_name[config_cols[c].type]);
    }
    for (size_t m = 0; m < N_METRIC; m++) {
        fputs("  ", out);
        sql_name(out, metric_cols[m]);
        fprintf(out, " REAL%s\n", m + 1 < N_METRIC ? "," : "");
    }
    fputs(");\n", out);
    fputs("CREATE TABLE IF NOT EXISTS ptc_reps (run TEXT, config_id TEXT, rep INTEGER, "
          "time_s REAL);\n", out);
    fputs("BEGIN TRANSACTION;\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs("INSERT INTO ptc_rows (", out);
        for (size_t c = 0; c < N_CONFIG; c++) {
            sql_name(out, config_cols[c].path);
            fputs(", ", out);
        }
        for (size_t m = 0; m < N_METRIC; m++) {
            sql_name(out, metric_cols[m]);
            fputs(m + 1 < N_METRIC ? ", " : ") VALUES (", out);
        }
        for (size_t c = 0; c < N_CONFIG; c++) {
            sql_value(out, ptc_row_get(rows[i], config_cols[c].path), config_cols[c].type);
            fputs(", ", out);
        }
        for (size_t m = 0; m < N_METRIC; m++) {
            sql_value(out, ptc_row_get(rows[i], metric_cols[m]), X_REAL);
            fputs(m + 1 < N_METRIC ? ", " : ");\n", out);
        }
        const json_t *reps = ptc_row_get(rows[i], "time_s.reps");
        for (size_t r = 0; json_is_array(reps) && r < json_array_size(reps); r++) {
            fputs("INSERT INTO ptc_reps (run, config_id, rep, time_s) VALUES (", out);
            sql_value(out, ptc_row_get(rows[i], "run"), X_TEXT);
            fputs(", ", out);
            sql_value(out, ptc_row_get(rows[i], "config_id"), X_TEXT);
            fprintf(out, ", %zu, ", r);
            sql_value(out, json_array_get(reps, r), X_REAL);
            fputs(");\n", out);
        }
    }
    fputs("COMMIT;\n", out);
}

int ptc_export_rows(const json_t *const *rows, size_t n, ptc_fmt f, const char *out_path,
                    const char *prog)
{
    FILE *out = stdout;
    if (out_path && !(out = fopen(out_path, "w"))) {
        fprintf(stderr, "%s: cannot write %s\n", prog, out_path);
        return 1;
    }
    if (f == PTC_FMT_SQL)
        export_sql(rows, n, out);
    else
        export_tidy(rows, n, out);
    if (out != stdout ? fclose(out) != 0 : fflush(out) != 0) {
        fprintf(stderr, "%s: error writing %s\n", prog, out_path ? out_path : "stdout");
        return 1;
    }
    return 0;
}
