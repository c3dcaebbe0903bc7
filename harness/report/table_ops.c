/*
 * harness/report/table_ops.c — `ptc table --kind ops`: where each variant's forward
 * (or training step) spends its time, from the rows' `op_time_s`
 * (harness/SCHEMA.md): one line per configuration, the forward's or step's time
 * (op_time_s.total) and the share of it, in %, of each category (linear, attention,
 * scoring, selection, combining, norm, activation, optimizer (only when a row is a
 * training step), other), then the pruning overhead (scoring + selection) and what
 * no category took (the benchmark loop's own time). Rows without op_time_s (rows
 * written before the field existed) are left out and counted in a note. Pure
 * function of the rows; keys, sorting and caption as the other kinds (ptc_table_head).
 */
#include "report/report.h"

#include "ptc/variants.h" /* the category names */

#include <stdio.h>
#include <string.h>

/* op_time_s.<category> of a row as a share of op_time_s.total; false when absent */
static bool share_of(const json_t *row, const char *category, double *share)
{
    char path[64];
    double v, total;
    snprintf(path, sizeof path, "op_time_s.%s", category);
    if (!ptc_row_num(row, path, &v) || !ptc_row_num(row, "op_time_s.total", &total) || total <= 0)
        return false;
    *share = v / total;
    return true;
}

/* a share shown in % with one decimal, CSV the exact fraction */
static void cell_share(ptc_rtable *t, size_t r, size_t c, bool have, double share)
{
    if (!have) {
        ptc_rtable_set(t, r, c, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    char text[32], csv[40];
    snprintf(text, sizeof text, "%.1f", 100.0 * share);
    ptc_rtable_set(t, r, c, text, ptc_fmt_double_exact(share, csv, sizeof csv), NULL, NULL, NULL);
}

int ptc_table_build_ops(ptc_rtable *t, const json_t **rows, size_t *pn)
{
    size_t n = 0, left_out = 0;
    double v;
    for (size_t i = 0; i < *pn; i++) {
        if (ptc_row_num(rows[i], "op_time_s.total", &v))
            rows[n++] = rows[i];
        else
            left_out++;
    }
    *pn = n;
    if (n == 0) {
        fprintf(stderr, "ptc table: --kind ops: no selected row has op_time_s (per-op time: "
                        "ptc bench rows written since it exists)\n");
        return -1;
    }
    /* training steps: the optimizer's column, and "step" for the time */
    bool train = false;
    for (size_t i = 0; i < n; i++) {
        const char *phase = json_string_value(json_object_get(rows[i], "phase"));
        train = train || (phase && strcmp(phase, "train") == 0);
    }
    const char *keys[32];
    const size_t nk = ptc_table_head(t, rows, n, "label",
                                     train ? "Time per op: share of the forward's or training "
                                             "step's time (%)"
                                           : "Time per op: share of the forward's time (%)",
                                     keys);
    const char *unit_name;
    const double unit = ptc_time_unit(rows, n, &unit_name);
    char title[64];
    snprintf(title, sizeof title, "%s %s", train ? "time" : "forward", unit_name);
    ptc_rtable_col(t, title, true, "op_total_s", NULL, NULL, NULL);
    for (int k = 0; k < PTC_OPCAT_COUNT; k++) {
        if (k == PTC_OPCAT_OPTIMIZER && !train)
            continue;
        char csv[48];
        snprintf(csv, sizeof csv, "share_%s", ptc_op_category_name(k));
        ptc_rtable_col(t, ptc_op_category_name(k), true, csv, NULL, NULL, NULL);
    }
    ptc_rtable_col(t, "scoring + selection", true, "share_pruning", NULL, NULL, NULL);
    ptc_rtable_col(t, "not in an op", true, "share_loop", NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        const size_t r = ptc_rtable_row(t);
        size_t c = 0;
        for (; c < nk; c++)
            ptc_cell_dim(t, r, c, rows[i], keys[c]);
        double total = 0, sum = 0, pruning = 0;
        ptc_row_num(rows[i], "op_time_s.total", &total);
        char text[32], csv[40];
        snprintf(text, sizeof text, "%.3f", total / unit);
        ptc_rtable_set(t, r, c++, text, ptc_fmt_double_exact(total, csv, sizeof csv), NULL, NULL,
                       NULL);
        bool all = true;
        for (int k = 0; k < PTC_OPCAT_COUNT; k++) {
            double share = 0;
            bool have = share_of(rows[i], ptc_op_category_name(k), &share);
            if (k == PTC_OPCAT_OPTIMIZER && !train)
                continue;
            if (k == PTC_OPCAT_OPTIMIZER && !have) /* an inference row of before the field */
                have = true, share = 0;
            cell_share(t, r, c++, have, share);
            all = all && have;
            sum += share;
            if (k == PTC_OPCAT_SCORING || k == PTC_OPCAT_SELECTION)
                pruning += share;
        }
        cell_share(t, r, c++, all, pruning);
        cell_share(t, r, c++, all, 1.0 - sum);
    }
    ptc_rtable_note(t, "shares of op_time_s.total, the wall time per forward%s of the median "
                       "repetition (harness/SCHEMA.md)", train ? " or training step" : "");
    if (train)
        ptc_rtable_note(t, "training steps: forward, backward and AdamW (optimizer), each op's "
                           "backward in its category");
    ptc_rtable_note(t, "scoring is the attention of a layer that scores, fused with its "
                       "importance sums (one kernel): its attention is included");
    if (left_out)
        ptc_rtable_note(t, "%zu row%s without op_time_s left out (older rows)", left_out,
                        left_out == 1 ? "" : "s");
    return 0;
}
