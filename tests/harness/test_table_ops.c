/*
 * tests/harness/test_table_ops.c — `ptc table --kind ops` (harness/report/table_ops.c)
 * on rows written here: the share of each category in % of op_time_s.total, the
 * pruning overhead (scoring + selection) and the time in no op; rows without
 * op_time_s left out with a note; none at all: exit 1 with a message. Training
 * steps (phase train) add the optimizer's column (0 for an inference row of
 * before the field) and call the time the step's.
 */
#include "../ptc_test.h"
#include "harness_util.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One ok row of label `label` (variant, p as given); op_time_s from `ops` (JSON text
 * of the object, or NULL for none). */
static void put_row_phase(FILE *f, const char *label, const char *variant, const char *phase,
                          const char *ops)
{
    fprintf(f, "{\"schema\":\"ptc.row/1\",\"run\":\"r1\",\"status\":\"ok\",\"level\":\"layer\","
               "\"variant\":\"%s\",\"label\":\"%s\",\"model\":\"bert-base\",\"seq\":512,"
               "\"batch\":1,\"isa\":\"avx512\",\"threads\":1,\"phase\":\"%s\","
               "\"time_s\":{\"median\":0.010,\"stddev\":0.0001,\"n\":3}",
            variant, label, phase);
    if (ops)
        fprintf(f, ",\"op_time_s\":%s", ops);
    fputs("}\n", f);
}

static void put_row(FILE *f, const char *label, const char *variant, const char *ops)
{
    put_row_phase(f, label, variant, "infer", ops);
}

static char *write_rows(const char *dir, bool with_ops)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/rows.jsonl", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    put_row(f, "BERT", "baseline",
            with_ops ? "{\"linear\":0.006,\"attention\":0.002,\"scoring\":0,\"selection\":0,"
                       "\"combining\":0,\"norm\":0.0005,\"activation\":0.001,\"other\":0.0003,"
                       "\"total\":0.01,\"n\":3}"
                     : NULL);
    /* pruned layer: scoring 2.5% + selection 0.5% = 3.0%; 0.2% in no op */
    put_row(f, "PF p=0.9", "prune",
            with_ops ? "{\"linear\":0.006,\"attention\":0,\"scoring\":0.00025,\"selection\":0.00005,"
                       "\"combining\":0,\"norm\":0.0005,\"activation\":0.001,\"other\":0.00218,"
                       "\"total\":0.01,\"n\":3}"
                     : NULL);
    put_row(f, "C", "combine", NULL); /* a row without op_time_s */
    fclose(f);
    return path;
}

PTC_TEST(table_ops_shares)
{
    char dir[400];
    ptc_test_tmp_dir(dir, sizeof dir, "table-ops");
    ptc_test_rm_rf(dir);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    ptc_check(ctx, system(cmd) == 0, "mkdir %s", dir);
    const char *rows = write_rows(dir, true);
    if (!ptc_check(ctx, rows != NULL, "cannot write rows into %s", dir))
        return;
    char *argv[] = {"table", "--kind", "ops", (char *)rows, NULL};
    static char out[16384], err[4096];
    int rc = ptc_test_run_io(ptc_table_main, argv, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 0, "--kind ops: exit %d: %s", rc, err);
    ptc_check(ctx, strstr(out, "| linear | attention | scoring | selection | combining | norm | "
                               "activation | other | scoring + selection | not in an op |") != NULL,
              "--kind ops: category columns missing:\n%s", out);
    /* BERT: 60% linear, 20% attention; PF: scoring 2.5, selection 0.5, overhead 3.0 */
    ptc_check(ctx, strstr(out, "| BERT | 10.000 | 60.0 | 20.0 | 0.0 | 0.0 | 0.0 | 5.0 | 10.0 | 3.0 | "
                               "0.0 | 2.0 |") != NULL,
              "--kind ops: BERT line wrong:\n%s", out);
    ptc_check(ctx, strstr(out, "| PF p=0.9 | 10.000 | 60.0 | 0.0 | 2.5 | 0.5 | 0.0 | 5.0 | 10.0 | "
                               "21.8 | 3.0 | 0.2 |") != NULL,
              "--kind ops: PF line wrong:\n%s", out);
    ptc_check(ctx, strstr(out, "1 row without op_time_s left out") != NULL && !strstr(out, "| C |"),
              "--kind ops: the row without op_time_s is not left out with a note:\n%s", out);

    char *csv_argv[] = {"table", "--kind", "ops", "--format", "csv", (char *)rows, NULL};
    rc = ptc_test_run_io(ptc_table_main, csv_argv, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 0 && strstr(out, "share_scoring,share_selection") != NULL &&
                   strstr(out, ",0.025,0.005,") != NULL,
              "--kind ops csv: exact shares missing (exit %d):\n%s", rc, out);

    /* no row with op_time_s: a message and exit 1 */
    rows = write_rows(dir, false);
    char *none_argv[] = {"table", "--kind", "ops", (char *)rows, NULL};
    rc = ptc_test_run_io(ptc_table_main, none_argv, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 1 && strstr(err, "no selected row has op_time_s") != NULL,
              "--kind ops without op_time_s: exit %d, stderr: %s", rc, err);
    ptc_test_rm_rf(dir);
}

/* A training step (optimizer 4%) beside an inference row without the optimizer field:
 * the optimizer's column appears, 0.0 for the inference row; the time is "time". */
PTC_TEST(table_ops_training)
{
    char dir[400];
    ptc_test_tmp_dir(dir, sizeof dir, "table-ops-train");
    ptc_test_rm_rf(dir);
    char cmd[512], path[512];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    ptc_check(ctx, system(cmd) == 0, "mkdir %s", dir);
    snprintf(path, sizeof path, "%s/rows.jsonl", dir);
    FILE *f = fopen(path, "w");
    if (!ptc_check(ctx, f != NULL, "cannot write %s", path))
        return;
    put_row_phase(f, "BERT", "baseline", "train",
                  "{\"linear\":0.0075,\"attention\":0.0012,\"scoring\":0,\"selection\":0,"
                  "\"combining\":0,\"norm\":0.0001,\"activation\":0.0002,\"optimizer\":0.0004,"
                  "\"other\":0.0005,\"total\":0.01,\"n\":3}");
    put_row_phase(f, "BERT", "baseline", "infer",
                  "{\"linear\":0.006,\"attention\":0.002,\"scoring\":0,\"selection\":0,"
                  "\"combining\":0,\"norm\":0.0005,\"activation\":0.001,\"other\":0.0003,"
                  "\"total\":0.01,\"n\":3}");
    fclose(f);
    char *argv[] = {"table", "--kind", "ops", path, NULL};
    static char out[16384], err[4096];
    const int rc = ptc_test_run_io(ptc_table_main, argv, out, sizeof out, err, sizeof err);
    ptc_check(ctx, rc == 0, "--kind ops: exit %d: %s", rc, err);
    ptc_check(ctx, strstr(out, "training step's time") != NULL &&
                   strstr(out, "| time ms | linear | attention | scoring | selection | combining | "
                               "norm | activation | optimizer | other |") != NULL,
              "--kind ops with a training step: columns wrong:\n%s", out);
    ptc_check(ctx, strstr(out, "| 10.000 | 75.0 | 12.0 | 0.0 | 0.0 | 0.0 | 1.0 | 2.0 | 4.0 | 5.0 | "
                               "0.0 | 1.0 |") != NULL,
              "--kind ops: the training step's line wrong:\n%s", out);
    ptc_check(ctx, strstr(out, "| 10.000 | 60.0 | 20.0 | 0.0 | 0.0 | 0.0 | 5.0 | 10.0 | 0.0 | 3.0 | "
                               "0.0 | 2.0 |") != NULL,
              "--kind ops: the inference line (no optimizer field) wrong:\n%s", out);
    ptc_test_rm_rf(dir);
}
