/*
 * tests/harness/test_table_marks.c — the warnings `ptc table` puts in its tables
 * (harness/report/report.h, PTC_MARK_*): † on the time and speedup of a row whose
 * repetitions vary by more than 10%, ‡ on the ratios of layer-level C (the combining
 * module alone against a whole BERT layer), each explained once in a note; the caution
 * note on experiment training-step speedups; and the LaTeX preamble comment naming the
 * packages the table needs. Rows are written to a temporary rows.jsonl.
 */
#include "../ptc_test.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROW(level, variant, label, cv, speedup, extra)                                          \
    "{\"schema\":\"ptc.row/1\",\"run\":\"r1\",\"status\":\"ok\",\"config_id\":\"" level variant \
    label "\",\"level\":\"" level "\",\"variant\":\"" variant "\",\"label\":\"" label "\","      \
    "\"model\":\"bert-base\",\"seq\":512,\"batch\":1,\"isa\":\"avx2\",\"threads\":1,"            \
    "\"time_s\":{\"median\":0.01,\"stddev\":0.001,\"cv\":" #cv "},"                               \
    "\"speedup\":{\"median\":" #speedup "},\"flops_ratio\":0.5" extra "}\n"

static char *table_of(ptc_test_ctx *ctx, const char *rows_text, const char *format)
{
    char dir[] = "/tmp/ptc-table-marks-XXXXXX";
    if (!mkdtemp(dir))
        return strdup("");
    char rows[200], out[200];
    snprintf(rows, sizeof rows, "%s/rows.jsonl", dir);
    snprintf(out, sizeof out, "%s/table.txt", dir);
    FILE *f = fopen(rows, "w");
    fputs(rows_text, f);
    fclose(f);
    char *argv[] = {"table", rows, "--format", (char *)format, "--out", out, NULL};
    const int rc = ptc_table_main(6, argv);
    ptc_check(ctx, rc == 0, "ptc table --format %s: exit %d", format, rc);
    f = fopen(out, "r");
    char *text = calloc(1, 65536);
    if (f) {
        size_t n = fread(text, 1, 65535, f);
        text[n] = '\0';
        fclose(f);
    }
    unlink(out);
    unlink(rows);
    rmdir(dir);
    return text;
}

/* the table line of a variant (its Markdown row) */
static const char *line_of(const char *text, const char *label, char *buf, size_t len)
{
    char key[64];
    snprintf(key, sizeof key, "| %s |", label);
    const char *p = strstr(text, key);
    if (!p)
        return "";
    size_t n = strcspn(p, "\n");
    snprintf(buf, len, "%.*s", (int)n, p);
    return buf;
}

PTC_TEST(table_marks_noisy_and_unlike)
{
    const char *rows = ROW("layer", "baseline", "BERT", 0.4, 1, "")
                       ROW("layer", "combine", "C L7", 0.02, 35.8, "")
                       ROW("layer", "prune", "PF", 0.05, 1.1, "")
                       ROW("layer", "prune", "P", 0.25, 1.2, ",\"rule\":\"topk\"");
    char *md = table_of(ctx, rows, "md");
    char b1[512], b2[512], b3[512];
    const char *bert = line_of(md, "BERT", b1, sizeof b1), *c = line_of(md, "C L7", b2, sizeof b2),
               *pf = line_of(md, "PF", b3, sizeof b3);
    ptc_check(ctx, strstr(bert, "± 1.00 †") && strstr(bert, "| 1.00 |") && !strstr(bert, "‡"),
              "BERT (CV 40%%): its time marked noisy, not its speedup (1 by definition): %s", bert);
    ptc_check(ctx, strstr(c, "35.80 ‡") && strstr(c, "0.500 ‡") && !strstr(c, "†"),
              "layer-level C: speedup and ratio marked unlike, not noisy: %s", c);
    ptc_check(ctx, !strstr(pf, "†") && !strstr(pf, "‡"), "PF (CV 5%%) unmarked: %s", pf);
    char b4[512];
    const char *p = line_of(md, "P", b4, sizeof b4);
    ptc_check(ctx, strstr(p, "1.20 †") && strstr(p, "± 1.00 †"), "P (CV 25%%): speedup and time marked: %s", p);
    ptc_check(ctx, strstr(md, "- † noisy") && strstr(md, "- ‡ not like for like"), "both marks explained");
    const char *second = strstr(md, "- † noisy");
    ptc_check(ctx, second && !strstr(second + 1, "- † noisy"), "each note once");
    ptc_check(ctx, !strstr(md, "training-step speedups"), "no train caution without train rows");
    free(md);

    /* the same variants at encoder level: C is a whole encoder, nothing unlike */
    md = table_of(ctx, ROW("encoder", "baseline", "BERT", 0.01, 1, "")
                       ROW("encoder", "combine", "C L7", 0.02, 1.8, ""), "md");
    ptc_check(ctx, !strstr(md, "‡") && !strstr(md, "†"), "encoder level, quiet rows: no mark");
    free(md);

    char *tex = table_of(ctx, rows, "latex");
    ptc_check(ctx, strncmp(tex, "% needs \\usepackage{booktabs}", 29) == 0 &&
                       strstr(tex, "\\usepackage{adjustbox}"),
              "LaTeX: first line names booktabs and adjustbox: %.80s", tex);
    const char *box = strstr(tex, "\\begin{adjustbox}{max width=\\columnwidth}");
    const char *tab = strstr(tex, "\\begin{tabular}"), *endtab = strstr(tex, "\\end{tabular}");
    const char *endbox = strstr(tex, "\\end{adjustbox}");
    ptc_check(ctx, box && tab && endtab && endbox && box < tab && endtab < endbox,
              "LaTeX: the tabular inside a max-width adjustbox");
    ptc_check(ctx, strstr(tex, "\\setlength{\\tabcolsep}{3pt}") && strstr(tex, "\\small"),
              "LaTeX: \\small and narrow column separation");
    ptc_check(ctx, strstr(tex, "\\textsuperscript{\\ddag}") && strstr(tex, "\\textsuperscript{\\dag}") &&
                       !strstr(tex, "35.80 ‡"),
              "LaTeX: marks as \\dag and \\ddag");
    free(tex);
}

PTC_TEST(table_marks_train_speedup_caution)
{
    const char *rows = ROW("encoder", "baseline", "BERT", 0.01, 1, ",\"phase\":\"train\",\"dataset\":\"bbc\",\"seed\":1")
                       ROW("encoder", "combine", "C L3", 0.01, 1.7, ",\"phase\":\"train\",\"dataset\":\"bbc\",\"seed\":1");
    char *md = table_of(ctx, rows, "md");
    ptc_check(ctx, strstr(md, "caution: training-step speedups of `ptc experiment`") != NULL,
              "experiment training-step speedups carry the caution");
    free(md);
    /* `ptc bench --phase train` rows are timed interleaved: no caution */
    md = table_of(ctx, ROW("encoder", "baseline", "BERT", 0.01, 1, ",\"phase\":\"train\"")
                       ROW("encoder", "combine", "C L3", 0.01, 1.7, ",\"phase\":\"train\""), "md");
    ptc_check(ctx, strstr(md, "caution: training-step") == NULL, "bench train rows: no caution");
    free(md);
}
