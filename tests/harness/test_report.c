/*
 * tests/harness/test_report.c — `ptc table`, `ptc plot`, `ptc compare` on the fixture
 * rows in tests/harness/data/ (made by make_fixture_rows.py; see its header).
 *
 * The commands run in-process with stdout and stderr captured into temporary files.
 * Numbers are checked against the fixture rows themselves: a CSV cell must read back
 * to exactly the row's double; Markdown cells are the row's values formatted as the
 * table promises. Runs from the repository root (as scripts/run-tests.sh does).
 */
#define _GNU_SOURCE
#include "../ptc_test.h"
#include "report/report.h"
#include "harness_util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA "tests/harness/data/"
#define ROWS_MAIN DATA "rows_main.jsonl"
#define ROWS_SWEEP DATA "rows_sweep.jsonl"
#define ROWS_B DATA "rows_b.jsonl"
#define ROWS_BAD DATA "rows_malformed.jsonl"

typedef int (*main_fn)(int, char **);

typedef struct run_result {
    int rc;
    char *out;
    char *err;
} run_result;

static char *slurp(const char *path) /* "" when it cannot be opened */
{
    char *s = ptc_test_read_file(path);
    return s ? s : strdup("");
}

/* Runs fn(argc, argv) with argv = {name, args..., NULL}, capturing stdout and stderr. */
static run_result run_cmd(main_fn fn, const char *name, ...)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)name;
    va_list ap;
    va_start(ap, name);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    char out_path[] = "/tmp/ptc-report-out-XXXXXX", err_path[] = "/tmp/ptc-report-err-XXXXXX";
    int fo = mkstemp(out_path), fe = mkstemp(err_path);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(fo, 1);
    dup2(fe, 2);
    run_result r;
    r.rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(fo);
    close(fe);
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    unlink(out_path);
    unlink(err_path);
    return r;
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static size_t count_str(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The fixture row with these label/seq/isa (first match in file order), or NULL. */
static json_t *fixture_row(const char *file, const char *label, int seq, const char *isa)
{
    ptc_rowset set;
    ptc_rows_init(&set);
    FILE *devnull = fopen("/dev/null", "w");
    ptc_load_opts lo = {.diag = devnull, .prog = "test"};
    json_t *found = NULL;
    if (ptc_rows_load(&set, file, &lo) == 0)
        for (size_t i = 0; i < set.n && !found; i++) {
            const json_t *r = set.rows[i].obj;
            double s;
            if (strcmp(ptc_row_str(r, "label") ? ptc_row_str(r, "label") : "", label) == 0 &&
                ptc_row_num(r, "seq", &s) && (int)s == seq &&
                strcmp(ptc_row_str(r, "isa") ? ptc_row_str(r, "isa") : "", isa) == 0 &&
                strcmp(ptc_row_str(r, "status"), "ok") == 0)
                found = json_incref(set.rows[i].obj);
        }
    ptc_rows_free(&set);
    fclose(devnull);
    return found;
}

/* CSV: the header's column index of `name`, or -1 */
static int csv_col(const char *header_line, const char *name)
{
    int col = 0;
    const char *p = header_line;
    size_t n = strlen(name);
    while (*p && *p != '\n') {
        size_t len = strcspn(p, ",\n");
        if (len == n && strncmp(p, name, n) == 0)
            return col;
        p += len;
        if (*p == ',')
            p++;
        col++;
    }
    return -1;
}

/* CSV: cell `col` of `line` (no quoting in these fixtures' cells) into out */
static void csv_cell(const char *line, int col, char *out, size_t len)
{
    const char *p = line;
    for (int c = 0; c < col && *p && *p != '\n'; c++) {
        p += strcspn(p, ",\n");
        if (*p == ',')
            p++;
    }
    size_t n = strcspn(p, ",\n");
    snprintf(out, len, "%.*s", (int)n, p);
}

/* CSV: the line whose first cells are `k1` (and `k2` if not NULL), or NULL */
static const char *csv_find(const char *text, const char *k1, const char *k2)
{
    char want[256];
    if (k2)
        snprintf(want, sizeof want, "%s,%s,", k1, k2);
    else
        snprintf(want, sizeof want, "%s,", k1);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, want, strlen(want)) == 0)
            return line;
    return NULL;
}

/* ---- table ------------------------------------------------------------------------------ */

PTC_TEST(report_table3_markdown)
{
    run_result r = run_cmd(ptc_table_main, "table", ROWS_MAIN, "--where", "seq=512,isa=avx2", NULL);
    ptc_check(ctx, r.rc == 0, "rc %d, stderr: %s", r.rc, r.err);
    /* constant dimensions folded into the caption, not repeated as columns */
    const char *must[] = {"bert-base", "seq 512", "batch 1", "avx2", "1 thread",
                          "AMD EPYC 9R14 96-Core Processor", "commit 1111111aaaaa",
                          "run 20260301-020000-fixture-a"};
    char *caption_end = strstr(r.out, "\n\n");
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        char *at = strstr(r.out, must[i]);
        ptc_check(ctx, at && caption_end && at < caption_end, "caption lacks '%s':\n%s", must[i],
                  r.out);
    }
    ptc_check(ctx, !strstr(r.out, "| seq |") && !strstr(r.out, "| ISA |") &&
                       !strstr(r.out, "| CPU |"),
              "constant dimension repeated as a column:\n%s", r.out);
    ptc_check(ctx, strstr(r.out, "| BERT | 1.000 | 1.000 | 1.00 [1.00, 1.00] |") != NULL,
              "BERT line:\n%s", r.out);
    /* each variant's cells are its row's values, formatted */
    const char *labels[] = {"BERT", "P", "PF", "C L7", "PFC L11", "PFC L7"};
    const char *prev = r.out;
    for (size_t i = 0; i < 6; i++) {
        json_t *row = fixture_row(ROWS_MAIN, labels[i], 512, "avx2");
        if (!ptc_check(ctx, row != NULL, "fixture lacks %s", labels[i]))
            continue;
        double fr, mr, s, lo, hi, t, sd;
        ptc_row_num(row, "flops_ratio", &fr);
        ptc_row_num(row, "memory_ratio", &mr);
        ptc_row_num(row, "speedup.median", &s);
        ptc_row_num(row, "speedup.ci_low", &lo);
        ptc_row_num(row, "speedup.ci_high", &hi);
        ptc_row_num(row, "time_s.median", &t);
        ptc_row_num(row, "time_s.stddev", &sd);
        char want[256];
        snprintf(want, sizeof want, "| %s | %.3f | %.3f | %.2f [%.2f, %.2f] | %.1f ± %.1f |",
                 labels[i], fr, mr, s, lo, hi, t * 1e3, sd * 1e3);
        const char *at = strstr(r.out, want);
        ptc_check(ctx, at != NULL, "missing line '%s' in:\n%s", want, r.out);
        ptc_check(ctx, !at || at >= prev, "%s out of the paper's order", labels[i]);
        if (at)
            prev = at;
        json_decref(row);
    }
    ptc_check(ctx, strstr(r.out, "1 row with status \"error\" excluded") != NULL,
              "no note on the error row:\n%s", r.out);
    ptc_check(ctx, count_str(r.out, "\n| ") == 1 + 6, "header + 6 rows expected:\n%s", r.out);
    run_free(&r);
}

PTC_TEST(report_table3_csv_exact)
{
    run_result r = run_cmd(ptc_table_main, "table", ROWS_MAIN, "--where", "seq=512",
                           "--where", "isa=avx2", "--format", "csv", NULL);
    ptc_check(ctx, r.rc == 0, "rc %d: %s", r.rc, r.err);
    ptc_check(ctx, strncmp(r.out, "label,", 6) == 0, "CSV must start with its header:\n%s", r.out);
    ptc_check(ctx, count_lines(r.out) == 7, "header + 6 rows, got %zu lines", count_lines(r.out));
    ptc_check(ctx, strstr(r.err, "note: 1 row with status \"error\" excluded") != NULL,
              "CSV notes go to stderr: %s", r.err);
    static const char *const cols[][2] = {
        {"flops_ratio", "flops_ratio"},          {"memory_ratio", "memory_ratio"},
        {"speedup_median", "speedup.median"},    {"speedup_ci_low", "speedup.ci_low"},
        {"speedup_ci_high", "speedup.ci_high"},  {"time_median_s", "time_s.median"},
        {"time_stddev_s", "time_s.stddev"},      {"gflops", "gflops"},
        {"pct_peak", "pct_peak"},
    };
    const char *labels[] = {"BERT", "P", "PF", "C L7", "PFC L11", "PFC L7"};
    for (size_t i = 0; i < 6; i++) {
        const char *line = csv_find(r.out, labels[i], NULL);
        json_t *row = fixture_row(ROWS_MAIN, labels[i], 512, "avx2");
        if (!ptc_check(ctx, line && row, "CSV line or fixture row of %s missing", labels[i]))
            continue;
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
            int k = csv_col(r.out, cols[c][0]);
            char cell[64];
            double want;
            if (!ptc_check(ctx, k >= 0 && ptc_row_num(row, cols[c][1], &want), "column %s",
                           cols[c][0]))
                continue;
            csv_cell(line, k, cell, sizeof cell);
            ptc_check(ctx, strtod(cell, NULL) == want, "%s %s: CSV '%s' != row %.17g",
                      labels[i], cols[c][0], cell, want);
        }
        json_decref(row);
    }
    run_free(&r);
}

PTC_TEST(report_table_latex)
{
    run_result r = run_cmd(ptc_table_main, "table", ROWS_MAIN, ROWS_SWEEP, "--kind", "lc",
                           "--where", "isa=avx2,seq=512", "--format", "latex", NULL);
    ptc_check(ctx, r.rc == 0, "rc %d: %s", r.rc, r.err);
    const char *must[] = {"\\begin{tabular}", "\\toprule", "\\midrule", "\\bottomrule",
                          "\\caption{", "L\\_c", "95\\% CI", "$\\pm$", "\\end{table}"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        ptc_check(ctx, strstr(r.out, must[i]) != NULL, "LaTeX lacks '%s':\n%s", must[i], r.out);
    /* no unescaped _ or % outside comment lines */
    for (const char *line = r.out; *line;) {
        size_t n = strcspn(line, "\n");
        if (line[0] != '%')
            for (size_t i = 0; i < n; i++)
                if ((line[i] == '_' || line[i] == '%') && (i == 0 || line[i - 1] != '\\')) {
                    ptc_check(ctx, false, "unescaped '%c' in: %.*s", line[i], (int)n, line);
                    break;
                }
        line += n + (line[n] == '\n');
    }
    /* L_c rows ascending, two runs -> a run column */
    ptc_check(ctx, strstr(r.out, "run &") != NULL || strstr(r.out, "run") != NULL, "run column");
    const char *l5 = strstr(r.out, "& 5 &"), *l12 = strstr(r.out, "& 12 &");
    ptc_check(ctx, l5 && l12 && l5 < l12, "L_c 5 before 12:\n%s", r.out);
    run_free(&r);
}

PTC_TEST(report_table_folding_and_filters)
{
    /* isa and seq vary: both become columns; threads still stated (caption) */
    run_result r = run_cmd(ptc_table_main, "table", ROWS_MAIN, "--where", "variant=prune", NULL);
    ptc_check(ctx, r.rc == 0, "rc %d: %s", r.rc, r.err);
    ptc_check(ctx, strstr(r.out, "| seq | ISA | Variant |") != NULL, "varying columns:\n%s",
              r.out);
    ptc_check(ctx, strstr(r.out, "1 thread") != NULL, "threads not stated:\n%s", r.out);
    ptc_check(ctx, count_str(r.out, "| P |") == 6 && count_str(r.out, "| PF |") == 6 &&
                       !strstr(r.out, "| BERT |"),
              "variant=prune must keep P and PF only:\n%s", r.out);
    run_free(&r);

    /* != and numeric equality (p=0.90 is 0.9) */
    r = run_cmd(ptc_table_main, "table", ROWS_SWEEP, "--kind", "p", "--where", "label=PF",
                "--where", "p!=0.90", "--format", "csv", NULL);
    ptc_check(ctx, r.rc == 0 && count_lines(r.out) == 1 + 7, "7 PF rows besides p 0.9, got:\n%s",
              r.out);
    const char *a = csv_find(r.out, "0.95", NULL), *b = csv_find(r.out, "0.6", NULL);
    ptc_check(ctx, a && b && a < b, "p must be descending:\n%s", r.out);
    run_free(&r);

    /* seq pivot: rows by seq, one column per variant */
    r = run_cmd(ptc_table_main, "table", ROWS_MAIN, "--kind", "seq", "--where", "isa=avx2", NULL);
    ptc_check(ctx, strstr(r.out, "| seq | BERT | P | PF | C L7 | PFC L11 | PFC L7 |") != NULL,
              "seq pivot header:\n%s", r.out);
    ptc_check(ctx, strstr(r.out, "| 128 |") && strstr(r.out, "| 256 |") && strstr(r.out, "| 512 |"),
              "seq rows:\n%s", r.out);
    run_free(&r);

    /* raw with dotted paths */
    r = run_cmd(ptc_table_main, "table", ROWS_MAIN, "--kind", "raw", "--columns",
                "label,kept.keys_mean.1,time_s.reps.0", "--where", "label=PF,seq=128,isa=avx2",
                "--format", "csv", NULL);
    json_t *row = fixture_row(ROWS_MAIN, "PF", 128, "avx2");
    double k1 = 0, rep0 = 0;
    ptc_row_num(row, "kept.keys_mean.1", &k1);
    ptc_row_num(row, "time_s.reps.0", &rep0);
    char want[128], e1[40], e2[40];
    snprintf(want, sizeof want, "label,kept.keys_mean.1,time_s.reps.0\nPF,%s,%s\n",
             ptc_fmt_double_exact(k1, e1, sizeof e1), ptc_fmt_double_exact(rep0, e2, sizeof e2));
    ptc_check(ctx, strcmp(r.out, want) == 0, "raw CSV:\n%s\nwant:\n%s", r.out, want);
    json_decref(row);
    run_free(&r);
}

/* A file that is no rows (a calibration.json named by a glob beside the rows) is one
 * message and skipped; a file whose first line is bad but which then has rows keeps
 * them, that line reported as file:line. */
PTC_TEST(report_table_not_rows_file)
{
    char dir[400], calib[512], late[512];
    ptc_test_tmp_dir(dir, sizeof dir, "not-rows");
    ptc_test_rm_rf(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    ptc_check(ctx, system(cmd) == 0, "mkdir %s", dir);
    snprintf(calib, sizeof calib, "%s/calibration.json", dir);
    snprintf(late, sizeof late, "%s/late.jsonl", dir);
    FILE *f = fopen(calib, "w");
    if (!ptc_check(ctx, f != NULL, "cannot write %s", calib))
        return;
    fputs("{\n  \"schema\": \"ptc.calibration/1\",\n  \"cpu\": \"x\",\n  \"a\": 1,\n"
          "  \"b\": 2\n}\n", f);
    fclose(f);
    /* line 1 bad, then the fixture's first good row */
    snprintf(cmd, sizeof cmd, "(echo 'not json'; head -1 '" ROWS_BAD "') > '%s'", late);
    ptc_check(ctx, system(cmd) == 0, "cannot write %s", late);
    run_result r = run_cmd(ptc_table_main, "table", ROWS_MAIN, calib, late, "--kind", "raw", NULL);
    ptc_check(ctx, r.rc == 0, "rc %d: %s", r.rc, r.err);
    ptc_check(ctx, strstr(r.err, "calibration.json: not a rows file") != NULL &&
                   count_str(r.err, "calibration.json") == 1,
              "the calibration file in one message:\n%s", r.err);
    ptc_check(ctx, strstr(r.err, "late.jsonl:1: malformed JSON") != NULL &&
                   !strstr(r.err, "late.jsonl: not a rows file"),
              "the late file's bad line 1:\n%s", r.err);
    run_free(&r);
    ptc_test_rm_rf(dir);
}

PTC_TEST(report_table_malformed_and_errors)
{
    run_result r = run_cmd(ptc_table_main, "table", ROWS_BAD, "--kind", "raw", NULL);
    ptc_check(ctx, r.rc == 0, "malformed lines are skipped, rc %d", r.rc);
    ptc_check(ctx, strstr(r.err, "rows_malformed.jsonl:3: malformed JSON") != NULL,
              "file:line for line 3: %s", r.err);
    ptc_check(ctx, strstr(r.err, "rows_malformed.jsonl:5: schema 'ptc.row/9'") != NULL,
              "file:line for line 5: %s", r.err);
    ptc_check(ctx, strstr(r.out, "2 malformed lines skipped") != NULL, "note:\n%s", r.out);
    ptc_check(ctx, count_str(r.out, "| BERT |") + count_str(r.out, "| P |") +
                           count_str(r.out, "| PF |") == 3,
              "3 good rows:\n%s", r.out);
    run_free(&r);

    r = run_cmd(ptc_table_main, "table", ROWS_BAD, "--strict", NULL);
    ptc_check(ctx, r.rc == 1 && strstr(r.err, "--strict") && r.out[0] == '\0', "--strict: rc %d",
              r.rc);
    run_free(&r);

    struct {
        const char *a1, *a2, *a3;
        int rc;
        const char *msg;
    } cases[] = {
        {"--kind", "table9", ROWS_MAIN, 2, "unknown --kind 'table9'"},
        {"--format", "html", ROWS_MAIN, 2, "unknown --format 'html'"},
        {"--where", "seq", ROWS_MAIN, 2, "bad filter 'seq'"},
        {"--where", "seq=7", ROWS_MAIN, 1, "no rows selected"},
        {"--kind", "p", DATA "no-such-file.jsonl", 1, "cannot read"},
        {"--kind", "p", ROWS_B, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r = run_cmd(ptc_table_main, "table", cases[i].a1, cases[i].a2, cases[i].a3, NULL);
        ptc_check(ctx, r.rc == cases[i].rc, "case %zu: rc %d, want %d (%s)", i, r.rc,
                  cases[i].rc, r.err);
        if (cases[i].rc != 0)
            ptc_check(ctx, strstr(r.err, cases[i].msg) && count_lines(r.err) == 1,
                      "case %zu: want one line with '%s', got: %s", i, cases[i].msg, r.err);
        run_free(&r);
    }
    /* a kind whose data is absent: lc on pruning-only rows */
    r = run_cmd(ptc_table_main, "table", ROWS_MAIN, "--kind", "lc", "--where", "variant=prune", NULL);
    ptc_check(ctx, r.rc == 1 && count_lines(r.err) == 1, "lc without lc rows: rc %d %s", r.rc,
              r.err);
    run_free(&r);
}

static void copy_file(const char *from, const char *to, const char *old, const char *new_)
{
    char *s = slurp(from);
    FILE *f = fopen(to, "w");
    for (const char *p = s; *p;) {
        const char *hit = old ? strstr(p, old) : NULL;
        if (!hit) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(hit - p), f);
        fputs(new_, f);
        p = hit + strlen(old);
    }
    fclose(f);
    free(s);
}

PTC_TEST(report_table_run_folders)
{
    char root[] = "/tmp/ptc-report-results-XXXXXX";
    if (!ptc_check(ctx, mkdtemp(root) != NULL, "mkdtemp"))
        return;
    char cpu[512], a[600], b[600], path[700];
    snprintf(cpu, sizeof cpu, "%s/amd-epyc", root);
    snprintf(a, sizeof a, "%s/20260301-020000-fixture-a", cpu);
    snprintf(b, sizeof b, "%s/20260305-020000-fixture-b", cpu);
    mkdir(cpu, 0777);
    mkdir(a, 0777);
    mkdir(b, 0777);
    snprintf(path, sizeof path, "%s/rows.jsonl", a);
    copy_file(ROWS_MAIN, path, NULL, NULL);
    snprintf(path, sizeof path, "%s/rows.jsonl", b);
    copy_file(ROWS_B, path, NULL, NULL);

    run_result r = run_cmd(ptc_table_main, "table", cpu, "--where", "seq=512", NULL);
    ptc_check(ctx, r.rc == 0 && strstr(r.out, "commit 2222222bbbbb"), "CPU folder = latest run:\n%s",
              r.out);
    ptc_check(ctx, strstr(r.err, "using the latest finished run 20260305-020000-fixture-b"), "%s", r.err);
    run_free(&r);
    r = run_cmd(ptc_table_main, "table", a, b, "--where", "seq=512,label=BERT", NULL);
    ptc_check(ctx, r.rc == 0 && strstr(r.out, "| commit | run |") != NULL,
              "two run folders: commit and run vary:\n%s", r.out);
    run_free(&r);
    r = run_cmd(ptc_table_main, "table", cpu, "--all-runs", "--kind", "table3", "--where",
                "seq=512,label=BERT,isa=avx2", NULL);
    ptc_check(ctx, r.rc == 0 && count_str(r.out, "| BERT |") == 2, "--all-runs:\n%s", r.out);
    run_free(&r);

    snprintf(path, sizeof path, "rm -rf '%s'", root);
    ptc_check(ctx, system(path) == 0, "cleanup");
}

/* ---- compare ---------------------------------------------------------------------------- */

PTC_TEST(report_compare_ratios_and_one_sided)
{
    run_result r = run_cmd(ptc_compare_main, "compare", ROWS_MAIN, ROWS_B, "--where", "isa=avx2",
                           "--format", "csv", NULL);
    ptc_check(ctx, r.rc == 0, "rc %d: %s", r.rc, r.err);
    ptc_check(ctx, count_lines(r.out) == 1 + 17, "17 matched pairs, got:\n%s", r.out);
    ptc_check(ctx, strstr(r.err, "only in A: C L7 seq=128") != NULL, "one-sided A: %s", r.err);
    ptc_check(ctx, strstr(r.err, "only in B: BERT seq=1024") != NULL, "one-sided B: %s", r.err);
    const char *line = csv_find(r.out, "512", "PFC L7");
    json_t *ra = fixture_row(ROWS_MAIN, "PFC L7", 512, "avx2"),
           *rb = fixture_row(ROWS_B, "PFC L7", 512, "avx2");
    if (ptc_check(ctx, line && ra && rb, "PFC L7 512 pair")) {
        double ta, tb, sa, sb, ma, mb;
        ptc_row_num(ra, "time_s.median", &ta);
        ptc_row_num(rb, "time_s.median", &tb);
        ptc_row_num(ra, "speedup.median", &sa);
        ptc_row_num(rb, "speedup.median", &sb);
        ptc_row_num(ra, "memory.activations", &ma);
        ptc_row_num(rb, "memory.activations", &mb);
        char cell[64];
        csv_cell(line, csv_col(r.out, "time_ratio"), cell, sizeof cell);
        ptc_check(ctx, strtod(cell, NULL) == tb / ta, "time_ratio %s != %.17g", cell, tb / ta);
        csv_cell(line, csv_col(r.out, "speedup_ratio"), cell, sizeof cell);
        ptc_check(ctx, strtod(cell, NULL) == sb / sa, "speedup_ratio %s", cell);
        csv_cell(line, csv_col(r.out, "memory_ratio"), cell, sizeof cell);
        ptc_check(ctx, strtod(cell, NULL) == mb / ma, "memory_ratio %s", cell);
        csv_cell(line, csv_col(r.out, "minmax_overlap"), cell, sizeof cell);
        ptc_check(ctx, strcmp(cell, "no") == 0, "10%% slower, ranges must not overlap: %s", cell);
    }
    json_decref(ra);
    json_decref(rb);
    run_free(&r);

    /* two CPUs: the default key ignores machine and commit fields */
    char other[] = "/tmp/ptc-report-cpu-XXXXXX";
    int fd = mkstemp(other);
    close(fd);
    copy_file(ROWS_B, other, "AMD EPYC 9R14 96-Core Processor", "Intel(R) Xeon(R) Gold 6338");
    r = run_cmd(ptc_compare_main, "compare", ROWS_MAIN, other, "--where", "isa=avx2", NULL);
    ptc_check(ctx, r.rc == 0 && count_str(r.out, "\n| ") == 1 + 17, "two CPUs: 17 pairs:\n%s",
              r.out);
    ptc_check(ctx, strstr(r.out, "A = 20260301-020000-fixture-a (AMD EPYC") &&
                       strstr(r.out, "B = 20260305-020000-fixture-b (Intel(R) Xeon(R)"),
              "caption names both sides:\n%s", r.out);
    run_free(&r);
    /* ... while a key with cpu matches nothing */
    r = run_cmd(ptc_compare_main, "compare", ROWS_MAIN, other, "--key", "cpu,label,seq,isa", NULL);
    ptc_check(ctx, r.rc == 1 && strstr(r.err, "no row of") && count_lines(r.err) == 1,
              "no match: rc %d %s", r.rc, r.err);
    run_free(&r);
    unlink(other);

    r = run_cmd(ptc_compare_main, "compare", ROWS_MAIN, ROWS_B, "--key", "config_id", NULL);
    ptc_check(ctx, r.rc == 0 && count_str(r.out, "\n| ") == 1 + 17, "config_id key:\n%s", r.out);
    run_free(&r);
}

PTC_TEST(report_compare_fail_if)
{
    struct {
        const char *expr;
        int rc;
        const char *msg;
    } cases[] = {
        {"time_ratio>1.05", 1, "FAIL time_ratio>1.05: PFC L7 seq=512"},
        {"time_ratio > 1.2", 0, NULL},
        {"speedup_ratio<0.95", 1, "FAIL speedup_ratio<0.95: PFC L7 seq=128"},
        {"speedup_ratio<0.5,memory_ratio!=1", 0, NULL},
        {"memory_ratio>=1", 1, "FAIL memory_ratio>=1"},
        {"tim>1", 2, "unknown metric 'tim'"},
        {"time_ratio>>1", 2, "expected a number"},
        {"time_ratio=1", 2, "expected a comparison"},
        {"time_ratio>", 2, "expected a number"},
        {"time_ratio>1x", 2, "expected a number"},
        {"", 2, "empty expression"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_result r = run_cmd(ptc_compare_main, "compare", ROWS_MAIN, ROWS_B, "--where",
                               "isa=avx2", "--fail-if", cases[i].expr, NULL);
        ptc_check(ctx, r.rc == cases[i].rc, "'%s': rc %d, want %d (%s)", cases[i].expr, r.rc,
                  cases[i].rc, r.err);
        if (cases[i].msg)
            ptc_check(ctx, strstr(r.err, cases[i].msg) != NULL, "'%s': stderr lacks '%s': %s",
                      cases[i].expr, cases[i].msg, r.err);
        if (cases[i].rc == 2)
            ptc_check(ctx, count_lines(r.err) == 1 && r.out[0] == '\0',
                      "'%s': a bad expression is one line and no table: %s", cases[i].expr, r.err);
        run_free(&r);
    }
}

/* Two rows per side that differ in every dimension a comparison can show: each becomes a
 * column (the caption's skip list holds them all besides the side fields). */
PTC_TEST(report_compare_every_dimension_varies)
{
    char paths[2][32] = {"/tmp/ptc-report-dims-a-XXXXXX", "/tmp/ptc-report-dims-b-XXXXXX"};
    for (int side = 0; side < 2; side++) {
        const int fd = mkstemp(paths[side]);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!ptc_check(ctx, f != NULL, "mkstemp"))
            return;
        for (int i = 0; i < 2; i++)
            fprintf(f,
                    "{\"schema\":\"ptc.row/1\",\"status\":\"ok\",\"config_id\":\"cfg%d\",\"run\":\"run-%c\","
                    "\"cpu\":\"X\",\"commit\":\"c%c\",\"label\":\"%s\",\"variant\":\"%s\",\"phase\":\"%s\","
                    "\"model\":\"%s\",\"level\":\"%s\",\"seq\":%d,\"batch\":%d,\"pad_mode\":\"%s\","
                    "\"project_kept\":%s,\"p\":%s,\"m\":%d,\"isa\":\"%s\",\"threads\":%d,"
                    "\"time_s\":{\"median\":%g,\"min\":%g,\"max\":%g,\"n\":5}}\n",
                    i, 'a' + side, 'a' + side, i ? "PF" : "BERT", i ? "prune" : "baseline",
                    i ? "train" : "infer", i ? "bert-mini" : "bert-tiny", i ? "layer" : "kernel", 64 << i,
                    1 + i, i ? "padded" : "length-aware", i ? "false" : "true", i ? "0.9" : "1", 4 << i,
                    i ? "avx512" : "avx2", 1 + i, 0.01 * (i + 1) * (1 + 0.1 * side),
                    0.009 * (i + 1) * (1 + 0.1 * side), 0.011 * (i + 1) * (1 + 0.1 * side));
        fclose(f);
    }
    run_result r = run_cmd(ptc_compare_main, "compare", paths[0], paths[1], "--key", "config_id", NULL);
    ptc_check(ctx, r.rc == 0 && count_str(r.out, "\n| ") == 1 + 2, "2 pairs: rc %d\n%s%s", r.rc, r.out, r.err);
    const char *columns = "| phase | model | level | seq | batch | padding | K/V kept only | Variant | p | m | "
                          "ISA | threads | time A";
    ptc_check(ctx, strstr(r.out, columns) != NULL, "a column per varying dimension:\n%s", r.out);
    ptc_check(ctx, strstr(r.out, "| train | bert-mini | layer | 128 | 2 | padded | false | PF | 0.9 | 8 | avx512 | 2 |"),
              "the second pair's dimensions:\n%s", r.out);
    run_free(&r);
    unlink(paths[0]);
    unlink(paths[1]);
}

/* ---- plot ------------------------------------------------------------------------------- */

static bool file_size_at_least(const char *dir, const char *name, long min)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0 && st.st_size >= min;
}

PTC_TEST(report_plot_scripts_and_images)
{
    char dir[] = "/tmp/ptc-report-plots-XXXXXX";
    if (!ptc_check(ctx, mkdtemp(dir) != NULL, "mkdtemp"))
        return;
    bool have_gnuplot = system("command -v gnuplot >/dev/null 2>&1") == 0;
    /* images only where gnuplot is installed (it is among the project's deps) */
    run_result r = run_cmd(ptc_plot_main, "plot", ROWS_MAIN, ROWS_SWEEP, "--where", "isa=avx2",
                           "--out", dir, have_gnuplot ? "--format=png" : "--no-render", NULL);
    ptc_check(ctx, r.rc == 0, "rc %d: %s\n%s", r.rc, r.err, r.out);
    /* one plot per level: these rows are all of the encoder level */
    const char *plots[] = {"speedup_vs_seq-encoder", "memory_vs_seq-encoder", "speedup_memory_kept_vs_p-encoder",
                           "speedup_memory_vs_lc-encoder", "roofline-encoder", "table3_bars-encoder"};
    for (size_t i = 0; i < sizeof plots / sizeof plots[0]; i++) {
        char gp[128], dat[128], png[128];
        snprintf(gp, sizeof gp, "%s.gp", plots[i]);
        snprintf(dat, sizeof dat, "%s.dat", plots[i]);
        snprintf(png, sizeof png, "%s.png", plots[i]);
        ptc_check(ctx, file_size_at_least(dir, gp, 100) && file_size_at_least(dir, dat, 50),
                  "%s: script or data missing", plots[i]);
        if (have_gnuplot)
            ptc_check(ctx, file_size_at_least(dir, png, 2000), "%s: no image", png);
    }
    /* one ISA selected: the per-ISA bars are skipped with a note, not an error */
    ptc_check(ctx, strstr(r.out, "skipped gflops_by_isa-encoder: one ISA only") != NULL, "%s", r.out);

    /* data: one block per series; the PFC L7 block of speedup vs seq (run A: 3 seq) holds
     * the row's numbers */
    char path[1024];
    snprintf(path, sizeof path, "%s/speedup_vs_seq-encoder.dat", dir);
    char *dat = slurp(path);
    ptc_check(ctx, strstr(dat, "# series: PFC L7 p=0.9 run=20260301-020000-fixture-a\n") != NULL,
              "series header:\n%s", dat);
    json_t *row = fixture_row(ROWS_MAIN, "PFC L7", 512, "avx2");
    double s = 0, lo = 0, hi = 0;
    ptc_row_num(row, "speedup.median", &s);
    ptc_row_num(row, "speedup.ci_low", &lo);
    ptc_row_num(row, "speedup.ci_high", &hi);
    char want[160], a[40], b[40], c[40];
    snprintf(want, sizeof want, " 512 %s %s %s\n", ptc_fmt_double_exact(s, a, sizeof a),
             ptc_fmt_double_exact(lo, b, sizeof b), ptc_fmt_double_exact(hi, c, sizeof c));
    ptc_check(ctx, strstr(dat, want) != NULL, "data line '%s' missing", want);
    json_decref(row);
    free(dat);
    snprintf(path, sizeof path, "%s/speedup_vs_seq-encoder.gp", dir);
    char *gp = slurp(path);
    ptc_check(ctx, strstr(gp, "set logscale x 2") && strstr(gp, "noenhanced") && strstr(gp, "yerrorlines") &&
                       !strstr(gp, "AMD EPYC"),
              "script: log x, error bars, no metadata in the title:\n%s", gp);
    free(gp);
    /* the metadata: in the caption file */
    snprintf(path, sizeof path, "%s/speedup_vs_seq-encoder.caption.txt", dir);
    char *cap = slurp(path);
    ptc_check(ctx, strstr(cap, "\nCPU: AMD EPYC 9R14 96-Core Processor\n") && strstr(cap, "\nISA: avx2\n") &&
                       strstr(cap, "\nthreads: 1\n") && strstr(cap, "\nmodel: bert-base\n"),
              "caption with CPU/ISA/threads/model:\n%s", cap);
    free(cap);
    snprintf(path, sizeof path, "%s/roofline-encoder.gp", dir);
    gp = slurp(path);
    ptc_check(ctx, strstr(gp, "roof avx2 1t: 88.5 GFLOP/s, 21.3 GB/s") != NULL,
              "roofline cites the calibration:\n%s", gp);
    free(gp);
    run_free(&r);

    /* nothing to plot -> exit 1; empty selection -> exit 1 */
    char bare[1024];
    snprintf(bare, sizeof bare, "%s/bare.jsonl", dir);
    FILE *f = fopen(bare, "w");
    fputs("{\"schema\":\"ptc.row/1\",\"run\":\"x\",\"status\":\"ok\",\"label\":\"BERT\","
          "\"seq\":128}\n", f);
    fclose(f);
    r = run_cmd(ptc_plot_main, "plot", bare, "--out", dir, "--no-render", NULL);
    ptc_check(ctx, r.rc == 1 && strstr(r.err, "none of the plots"), "rc %d %s", r.rc, r.err);
    run_free(&r);
    r = run_cmd(ptc_plot_main, "plot", ROWS_MAIN, "--format", "gif", NULL);
    ptc_check(ctx, r.rc == 2 && count_lines(r.err) == 1, "bad format: rc %d %s", r.rc, r.err);
    run_free(&r);

    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    ptc_check(ctx, system(path) == 0, "cleanup");
}
