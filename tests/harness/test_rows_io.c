/*
 * tests/harness/test_rows_io.c — the one row writer (harness/common/rows.h).
 *
 *   rows_csv_quotes     a field with a comma, a quote or a line break is quoted
 *                       and its quotes doubled (RFC 4180); numbers, booleans and
 *                       nulls as the header's columns say (the kernel benchmark's
 *                       hand-written CSV wrote '"AMD "X""' for a name with quotes)
 *   rows_append_reread  rows appended one by one read back as the same objects;
 *                       documents replace their file whole
 */
#include "../ptc_test.h"
#include "common/rows.h"
#include "harness_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PTC_TEST(rows_csv_quotes)
{
    char path[512], text[1024] = "";
    ptc_test_tmp_dir(path, sizeof path, "rows.csv");
    FILE *f = fopen(path, "w");
    static const char *const cols[] = {"cpu", "threads", "gflops", "ok", "error", "absent"};
    ptc_csv_header(f, cols, 6);
    json_t *row = json_pack("{s:s, s:i, s:f, s:b, s:s}", "cpu", "AMD \"EPYC\", 2 cores", "threads", 2,
                            "gflops", 101.5, "ok", 1, "error", "line one\nline two");
    ptc_csv_row(f, row, cols, 6);
    json_decref(row);
    fclose(f);
    f = fopen(path, "r");
    const size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    remove(path);
    ptc_check(ctx, strcmp(text, "cpu,threads,gflops,ok,error,absent\n"
                                "\"AMD \"\"EPYC\"\", 2 cores\",2,101.5,true,\"line one\nline two\",\n") == 0,
              "csv:\n%s", text);
}

PTC_TEST(rows_append_reread)
{
    char path[512];
    ptc_test_tmp_dir(path, sizeof path, "rows.jsonl");
    remove(path);
    json_t *a = json_pack("{s:s, s:f, s:n}", "config_id", "x;p=0.9", "p", 0.9, "lc");
    json_t *b = json_pack("{s:s, s:[i,i]}", "config_id", "y", "reps", 1, 2);
    ptc_check(ctx, ptc_rows_append(path, a) == 0 && ptc_rows_append(path, b) == 0, "append");
    FILE *f = fopen(path, "r");
    char line[512];
    int k = 0;
    while (f && fgets(line, sizeof line, f)) {
        json_t *r = json_loads(line, 0, NULL);
        ptc_check(ctx, r && json_equal(r, k == 0 ? a : b), "line %d: %s", k, line);
        json_decref(r);
        k++;
    }
    if (f)
        fclose(f);
    ptc_check(ctx, k == 2, "%d lines", k);
    /* a document replaces its file whole (no .tmp left) */
    ptc_check(ctx, ptc_json_write_file(path, b, 0) == 0, "write doc");
    json_t *d = json_load_file(path, 0, NULL);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *t = fopen(tmp, "r");
    ptc_check(ctx, d && json_equal(d, b) && !t, "document read back, no temporary left");
    if (t)
        fclose(t);
    json_decref(d);
    json_decref(a);
    json_decref(b);
    remove(path);
}
