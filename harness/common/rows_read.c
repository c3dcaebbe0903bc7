/*
 * harness/common/rows_read.c — reading ptc.row/1 rows; see rows_read.h for the contract.
 */
#define _GNU_SOURCE
#include "common/rows_read.h"
#include "cluster/lock.h"   /* ptc_run_lock_held */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void ptc_rows_init(ptc_rowset *set)
{
    memset(set, 0, sizeof *set);
}

void ptc_rows_free(ptc_rowset *set)
{
    for (size_t i = 0; i < set->n; i++)
        json_decref(set->rows[i].obj);
    for (size_t i = 0; i < set->n_files; i++)
        free(set->files[i]);
    free(set->rows);
    free(set->files);
    memset(set, 0, sizeof *set);
}

static const char *prog_of(const ptc_load_opts *o)
{
    return o && o->prog ? o->prog : "ptc";
}

static FILE *diag_of(const ptc_load_opts *o)
{
    return o && o->diag ? o->diag : stderr;
}

static void push_row(ptc_rowset *set, json_t *obj, const char *file, int line)
{
    if (set->n == set->cap) {
        set->cap = set->cap ? 2 * set->cap : 64;
        set->rows = realloc(set->rows, set->cap * sizeof *set->rows);
        if (!set->rows)
            abort();
    }
    set->rows[set->n++] = (ptc_row){obj, file, line};
}

static const char *remember_file(ptc_rowset *set, const char *path)
{
    set->files = realloc(set->files, (set->n_files + 1) * sizeof *set->files);
    if (!set->files)
        abort();
    set->files[set->n_files] = strdup(path);
    return set->files[set->n_files++];
}

/* whether the n bytes at s are all white space (a NUL byte is not) */
static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

static int load_file(ptc_rowset *set, const char *path, const ptc_load_opts *o)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot read %s: %s\n", prog_of(o), path, strerror(errno));
        return -1;
    }
    const char *name = remember_file(set, path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rc = 0, rows_here = 0;
    /* A file whose first lines are all no rows (a calibration.json or a log named by
     * a glob) gets one message, not one per line: the first lines' reasons wait
     * until a row shows the file is a rows file (or the file ends). */
    enum { NOT_ROWS_AFTER = 3 };
    struct { int line; char reason[300]; } held[NOT_ROWS_AFTER];
    int n_held = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (blank(line, (size_t)len))
            continue;
        json_error_t jerr;
        json_t *obj = json_loadb(line, (size_t)len, 0, &jerr);
        char reason[300] = "";
        if (!obj) {
            snprintf(reason, sizeof reason, "malformed JSON: %s (column %d)", jerr.text,
                     jerr.column);
        } else if (!json_is_object(obj)) {
            snprintf(reason, sizeof reason, "not a JSON object");
        } else {
            const char *schema = json_string_value(json_object_get(obj, "schema"));
            if (!schema || strcmp(schema, PTC_ROW_SCHEMA) != 0)
                snprintf(reason, sizeof reason, "schema '%s', expected '%s'",
                         schema ? schema : "(none)", PTC_ROW_SCHEMA);
        }
        if (reason[0]) {
            json_decref(obj);
            set->malformed++;
            if (o && o->strict) {
                fprintf(diag_of(o), "%s:%d: %s\n", path, lineno, reason);
                fprintf(stderr, "%s: refusing %s: malformed line %d (--strict)\n", prog_of(o),
                        path, lineno);
                rc = -1;
                break;
            }
            if (rows_here > 0) {
                fprintf(diag_of(o), "%s:%d: %s (line skipped)\n", path, lineno, reason);
                continue;
            }
            held[n_held].line = lineno;
            snprintf(held[n_held].reason, sizeof held[n_held].reason, "%s", reason);
            if (++n_held == NOT_ROWS_AFTER) {
                fprintf(diag_of(o), "%s: not a rows file (JSON Lines of %s): its first %d lines "
                        "are none (line %d: %s); file skipped\n", path, PTC_ROW_SCHEMA,
                        NOT_ROWS_AFTER, held[0].line, held[0].reason);
                n_held = 0;
                break;
            }
            continue;
        }
        for (int h = 0; h < n_held; h++) /* a rows file after all: its bad first lines */
            fprintf(diag_of(o), "%s:%d: %s (line skipped)\n", path, held[h].line,
                    held[h].reason);
        n_held = 0;
        rows_here++;
        push_row(set, obj, name, lineno);
    }
    for (int h = 0; h < n_held; h++) /* a short file without rows */
        fprintf(diag_of(o), "%s:%d: %s (line skipped)\n", path, held[h].line, held[h].reason);
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "%s: error reading %s: %s\n", prog_of(o), path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Why run folder DIR is still being written or stopped early (its unfinished marker,
 * or a writer holding its lock now), or NULL when it finished. */
static const char *unfinished_why(const char *dir, char *why, size_t len)
{
    char marker[4300], who[200];
    if (ptc_run_lock_held(dir, who, sizeof who)) {
        snprintf(why, len, "being written by %s", who);
        return why;
    }
    snprintf(marker, sizeof marker, "%s/" PTC_RUN_UNFINISHED, dir);
    if (is_file(marker)) {
        snprintf(why, len, "unfinished: interrupted or killed");
        return why;
    }
    return NULL;
}

/* Index of the latest finished run of the sorted run names of CPU folder `path`
 * (the latest of all when none has finished), said on the diagnostics stream. */
static size_t latest_finished(const char *path, char *const *runs, size_t n,
                              const ptc_load_opts *o)
{
    char dir[4200], why[300];
    size_t i = n;
    while (i-- > 0) {
        snprintf(dir, sizeof dir, "%s/%s", path, runs[i]);
        if (!unfinished_why(dir, why, sizeof why))
            break;
        fprintf(diag_of(o), "%s: %s: skipping run %s (%s)\n", prog_of(o), path, runs[i], why);
    }
    if (i == (size_t)-1) {
        i = n - 1;
        fprintf(diag_of(o), "%s: %s: no run has finished: using the latest, %s, as it is\n",
                prog_of(o), path, runs[i]);
    } else if (n > 1) {
        fprintf(diag_of(o), "%s: %s: using the latest finished run %s (of %zu; --all-runs for "
                "all)\n", prog_of(o), path, runs[i], n);
    }
    return i;
}

int ptc_rows_load(ptc_rowset *set, const char *path, const ptc_load_opts *o)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: cannot read %s: %s\n", prog_of(o), path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return load_file(set, path, o);

    char buf[4096];
    snprintf(buf, sizeof buf, "%s/rows.jsonl", path);
    if (is_file(buf))
        return load_file(set, buf, o);

    /* a CPU folder: its runs are the subfolders with a rows.jsonl */
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "%s: cannot read %s: %s\n", prog_of(o), path, strerror(errno));
        return -1;
    }
    char **runs = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(buf, sizeof buf, "%s/%s/rows.jsonl", path, e->d_name);
        if (!is_file(buf))
            continue;
        runs = realloc(runs, (n + 1) * sizeof *runs);
        runs[n++] = strdup(e->d_name);
    }
    closedir(d);
    int rc = 0;
    if (n == 0) {
        fprintf(stderr, "%s: %s has no rows.jsonl, nor run folders holding one\n", prog_of(o),
                path);
        rc = -1;
    } else {
        qsort(runs, n, sizeof *runs, cmp_str);
        const bool all = o && o->all_runs;
        size_t first = all ? 0 : latest_finished(path, runs, n, o);
        const size_t last = all ? n - 1 : first;
        for (size_t i = first; i <= last && rc == 0; i++) {
            snprintf(buf, sizeof buf, "%s/%s/rows.jsonl", path, runs[i]);
            rc = load_file(set, buf, o);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(runs[i]);
    free(runs);
    return rc;
}

size_t ptc_rows_drop_errors(ptc_rowset *set)
{
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < set->n; i++) {
        const char *status = ptc_row_str(set->rows[i].obj, "status");
        if (status && strcmp(status, "error") == 0) {
            if (set->errors + dropped == 0) {
                const char *why = ptc_row_str(set->rows[i].obj, "error");
                snprintf(set->first_error, sizeof set->first_error, "%s", why ? why : "");
            }
            json_decref(set->rows[i].obj);
            dropped++;
        } else {
            set->rows[kept++] = set->rows[i];
        }
    }
    set->n = kept;
    set->errors += dropped;
    return dropped;
}

/* ---- field access --------------------------------------------------------------- */

json_t *ptc_row_get(const json_t *row, const char *path)
{
    json_t *v = (json_t *)row;
    const char *p = path;
    char seg[96];
    while (v && *p) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        p += n + (p[n] == '.');
        if (json_is_object(v)) {
            v = json_object_get(v, seg);
        } else if (json_is_array(v)) {
            char *end;
            long idx = strtol(seg, &end, 10);
            if (*seg == '\0' || *end || idx < 0)
                return NULL;
            v = json_array_get(v, (size_t)idx);
        } else {
            return NULL;
        }
    }
    return v;
}

bool ptc_row_num(const json_t *row, const char *path, double *out)
{
    json_t *v = ptc_row_get(row, path);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

const char *ptc_row_str(const json_t *row, const char *path)
{
    return json_string_value(ptc_row_get(row, path));
}

char *ptc_fmt_double_exact(double x, char *out, size_t len)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, len, "%.*g", prec, x);
        if (strtod(out, NULL) == x || isnan(x))
            break;
    }
    return out;
}

char *ptc_json_text(const json_t *v, char *out, size_t len)
{
    if (len == 0)
        return out;
    out[0] = '\0';
    if (v == NULL)
        return out;
    switch (json_typeof(v)) {
    case JSON_STRING:
        snprintf(out, len, "%s", json_string_value(v));
        break;
    case JSON_INTEGER:
        snprintf(out, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        ptc_fmt_double_exact(json_real_value(v), out, len);
        break;
    case JSON_TRUE:
        snprintf(out, len, "true");
        break;
    case JSON_FALSE:
        snprintf(out, len, "false");
        break;
    case JSON_OBJECT:
    case JSON_ARRAY: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(out, len, "%s", s ? s : "");
        free(s);
        break;
    }
    default: /* null */
        break;
    }
    return out;
}

/* ---- filters ---------------------------------------------------------------------- */

int ptc_filters_parse(ptc_filters *f, const char *spec, char *err, size_t errlen)
{
    const char *p = spec;
    while (*p) {
        size_t n = strcspn(p, ",");
        char item[200];
        if (n >= sizeof item) {
            snprintf(err, errlen, "filter too long: '%.40s...'", p);
            return -1;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        p += n + (p[n] == ',');
        if (n == 0)
            continue;
        char *eq = strchr(item, '=');
        if (!eq || eq == item || (eq == item + 1 && item[0] == '!')) {
            snprintf(err, errlen, "bad filter '%s': expected field=value or field!=value", item);
            return -1;
        }
        ptc_filter flt = {0};
        flt.negate = eq[-1] == '!';
        size_t klen = (size_t)(eq - item) - flt.negate;
        if (klen >= sizeof flt.path || strlen(eq + 1) >= sizeof flt.value) {
            snprintf(err, errlen, "filter too long: '%s'", item);
            return -1;
        }
        memcpy(flt.path, item, klen);
        flt.path[klen] = '\0';
        snprintf(flt.value, sizeof flt.value, "%s", eq + 1);
        if (f->n == f->cap) {
            f->cap = f->cap ? 2 * f->cap : 8;
            f->items = realloc(f->items, f->cap * sizeof *f->items);
        }
        f->items[f->n++] = flt;
    }
    return 0;
}

static bool value_equals(const json_t *v, const char *want)
{
    if (v == NULL || json_is_null(v))
        return want[0] == '\0' || strcmp(want, "null") == 0;
    if (json_is_number(v)) {
        char *end;
        double w = strtod(want, &end);
        return end != want && *end == '\0' && w == json_number_value(v);
    }
    char text[256];
    ptc_json_text(v, text, sizeof text);
    return strcmp(text, want) == 0;
}

bool ptc_filters_match(const ptc_filters *f, const json_t *row)
{
    for (size_t i = 0; f && i < f->n; i++) {
        bool eq = value_equals(ptc_row_get(row, f->items[i].path), f->items[i].value);
        if (eq == f->items[i].negate)
            return false;
    }
    return true;
}

size_t ptc_rows_filter(ptc_rowset *set, const ptc_filters *f)
{
    size_t kept = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (ptc_filters_match(f, set->rows[i].obj))
            set->rows[kept++] = set->rows[i];
        else
            json_decref(set->rows[i].obj);
    }
    set->n = kept;
    return kept;
}

void ptc_filters_free(ptc_filters *f)
{
    free(f->items);
    memset(f, 0, sizeof *f);
}
