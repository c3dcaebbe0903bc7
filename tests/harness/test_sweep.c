/*
 * tests/harness/test_sweep.c — `ptc bench`: spec and range parsing, refusal of
 * impossible values, expansion and collapse, config_id stability, the bootstrap
 * interval, resume bookkeeping, the default sweep, and an end-to-end sweep that
 * is interrupted (SIGINT, and a torn rows file) and resumed.
 */
#define _GNU_SOURCE
#include "../ptc_test.h"
#include "bench/bench.h"
#include "bench/sweep.h"
#include "bench/sweep_rows.h"

#include "ptc/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Parses argv (NULL-terminated, without the program name) into o. */
static int parse(ptc_sweep_opts *o, const char *const *args, char *err, size_t len)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"bench";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    ptc_sweep_opts_init(o);
    return ptc_sweep_parse_args(o, argc, argv, 1, err, len);
}

/* Parses and expands; returns the config count or -1 (err set). */
static long expand(const char *const *args, ptc_sweep_config **out, size_t *skipped, char *err,
                   size_t len)
{
    static ptc_sweep_opts o;
    if (parse(&o, args, err, len) != 0)
        return -1;
    size_t n;
    if (ptc_sweep_expand(&o, 2, out, &n, skipped, err, len) != 0)
        return -1;
    return (long)n;
}

PTC_TEST(sweep_ranges_and_lists)
{
    char err[300];
    int v[64];
    double d[64];
    int n = ptc_sweep_parse_ints("128-4096*2", v, 64, 1, "--seq", err, sizeof err);
    ptc_check(ctx, n == 6 && v[0] == 128 && v[5] == 4096, "geometric: n=%d", n);
    n = ptc_sweep_parse_ints("128-512+128", v, 64, 1, "--seq", err, sizeof err);
    ptc_check(ctx, n == 4 && v[0] == 128 && v[1] == 256 && v[3] == 512, "arithmetic: n=%d", n);
    n = ptc_sweep_parse_ints("128,256,512", v, 64, 1, "--seq", err, sizeof err);
    ptc_check(ctx, n == 3 && v[2] == 512, "list: n=%d", n);
    n = ptc_sweep_parse_ints("16,32-128*2,7", v, 64, 1, "--seq", err, sizeof err);
    ptc_check(ctx, n == 5 && v[0] == 16 && v[1] == 32 && v[3] == 128 && v[4] == 7, "mixed: n=%d", n);
    n = ptc_sweep_parse_ints("100-120+7", v, 64, 1, "--seq", err, sizeof err);
    ptc_check(ctx, n == 3 && v[2] == 114, "arithmetic stops at or below B: n=%d", n);
    n = ptc_sweep_parse_doubles("0.7-1+0.1", d, 64, "--p", err, sizeof err);
    ptc_check(ctx, n == 4 && d[0] == 0.7 && d[1] == 0.8 && d[2] == 0.9 && d[3] == 1.0,
              "decimal range: n=%d %.17g %.17g", n, n > 1 ? d[1] : 0, n > 3 ? d[3] : 0);
    static const char *const bad[] = {"128-", "abc", "512-128*2", "1-8*1", "1-8+0", "1,,2", "",
                                      "1.5", "3-9+1.5", "0", "-4", "1-100000000*1.0001", "8-1+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        n = ptc_sweep_parse_ints(bad[i], v, 64, 1, "--seq", err, sizeof err);
        ptc_check(ctx, n < 0 && strstr(err, "--seq"), "'%s' accepted (n=%d) or no message: %s", bad[i],
                  n, err);
    }
    ptc_model_shape models[8];
    n = ptc_sweep_parse_models("bert-tiny;256,4,4,1024;bert-base,bert-mini", models, 8, err, sizeof err);
    ptc_check(ctx, n == 4 && models[1].hidden == 256 && strcmp(models[1].name, "custom") == 0 &&
                       strcmp(models[3].name, "bert-mini") == 0, "models: n=%d %s", n, err);
    n = ptc_sweep_parse_models("768,12,12,3072", models, 8, err, sizeof err);
    ptc_check(ctx, n == 1 && models[0].layers == 12 && models[0].ffn == 3072, "one custom model: n=%d", n);
}

/* Each impossible value is refused before anything runs, with its message. */
PTC_TEST(sweep_refuses_impossible_values)
{
    static const struct {
        const char *args[8];
        const char *msg; /* a substring of the message */
    } cases[] = {
        {{"--p", "1.5"}, "--p: 1.5 is outside (0, 1]"},
        {{"--p", "0"}, "outside (0, 1]"},
        {{"--p", "0.9,-0.1"}, "outside (0, 1]"},
        {{"--seq", "0"}, "--seq: 0 is below 1"},
        {{"--seq", "128-"}, "--seq"},
        {{"--seq", "64-32*2"}, "A <= B"},
        {{"--isa", "nosuch"}, "no table 'nosuch'"},
        {{"--lc", "13"}, "--lc: L_c = 13 is outside 1..12"},
        {{"--lc", "0"}, "--lc: 0 is below 1"},
        {{"--model", "bert-tiny", "--lc", "7"}, "outside 1..2"},
        {{"--model", "768,12,7,3072"}, "7 heads do not divide hidden 768"},
        {{"--model", "bert-huge"}, "unknown model 'bert-huge'"},
        {{"--variant", "baseline,foo"}, "--variant: unknown variant 'foo'"},
        {{"--rule", "fuzzy"}, "--rule: unknown value"},
        {{"--m", "0"}, "--m: 0 is below 1"},
        {{"--threads", "0"}, "--threads: 0 is below 1"},
        {{"--threads", "3"}, "exceeds the 2 hardware threads"},
        {{"--level", "kernel", "--variant", "combine"}, "no configuration"},
        {{"--reps", "0"}, "--reps"},
        {{"--bogus", "1"}, "unknown option --bogus"},
        {{"--seq"}, "--seq needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[400] = "";
        ptc_sweep_config *cfg = NULL;
        size_t skipped;
        const long n = expand(cases[i].args, &cfg, &skipped, err, sizeof err);
        ptc_check(ctx, n < 0 && strstr(err, cases[i].msg) != NULL,
                  "case %zu (%s %s): n=%ld, message '%s', want '%s'", i, cases[i].args[0],
                  cases[i].args[1] ? cases[i].args[1] : "", n, err, cases[i].msg);
        free(cfg);
    }
    /* an ISA this CPU cannot run */
    size_t nt;
    const ptc_ops *const *all = ptc_ops_all(&nt);
    for (size_t i = 0; i < nt; i++) {
        if (ptc_ops_supported(all[i]))
            continue;
        const char *args[] = {"--isa", all[i]->name, NULL};
        char err[300] = "";
        ptc_sweep_config *cfg = NULL;
        size_t skipped;
        ptc_check(ctx, expand(args, &cfg, &skipped, err, sizeof err) < 0 && strstr(err, "cannot run"),
                  "--isa %s accepted on a CPU that cannot run it: %s", all[i]->name, err);
        free(cfg);
    }
}

static size_t count_variant(const ptc_sweep_config *c, size_t n, ptc_variant v)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += c[i].variant == v;
    return k;
}

PTC_TEST(sweep_expansion_and_collapse)
{
    char err[300];
    ptc_sweep_config *c = NULL;
    size_t skipped;
    /* per seq: baseline 1, prune 2 rules x 2 p = 4, combine 2 lc, combined 2x2x2 = 8 */
    const char *a1[] = {"--level", "encoder", "--variant", "baseline,prune,combine,combined", "--rule",
                        "clamp,topk", "--p", "1,0.9", "--lc", "7,11", "--m", "8", "--seq", "128,256",
                        NULL};
    long n = expand(a1, &c, &skipped, err, sizeof err);
    ptc_check(ctx, n == 30, "encoder expansion: %ld configurations (want 30): %s", n, err);
    if (n == 30) {
        ptc_check(ctx, count_variant(c, 30, PTC_VARIANT_BASELINE) == 2, "one baseline per seq");
        ptc_check(ctx, count_variant(c, 30, PTC_VARIANT_COMBINE) == 4, "combine: p and rule collapse");
        for (size_t i = 0; i < 30; i++) {
            if (c[i].variant == PTC_VARIANT_BASELINE)
                ptc_check(ctx, !strstr(c[i].id, "p=") && !strstr(c[i].id, "lc=") && !c[i].has_p,
                          "baseline id carries an inapplicable field: %s", c[i].id);
            if (c[i].variant == PTC_VARIANT_PRUNE)
                ptc_check(ctx, !strstr(c[i].id, "lc=") && !strstr(c[i].id, ";m="), "prune id: %s", c[i].id);
            for (size_t j = 0; j < i; j++)
                ptc_check(ctx, strcmp(c[i].id, c[j].id) != 0, "duplicate id %s", c[i].id);
        }
        /* groups contiguous, baseline first */
        ptc_check(ctx, c[0].variant == PTC_VARIANT_BASELINE && c[15].variant == PTC_VARIANT_BASELINE &&
                       strcmp(c[0].group, c[14].group) == 0 && strcmp(c[14].group, c[15].group) != 0,
                  "group order");
    }
    free(c);
    /* kernel level: combine/combined skipped and counted; pad and project collapse */
    const char *a2[] = {"--level", "kernel", "--variant", "baseline,prune,combine,combined", "--p",
                        "0.9,0.7", "--pad", "length-aware,padded", "--project-kept", "on,off", NULL};
    n = expand(a2, &c, &skipped, err, sizeof err);
    ptc_check(ctx, n == 3 && skipped == 2, "kernel: %ld configurations, %zu skipped (want 3, 2)", n, skipped);
    free(c);
    /* layer level: combine without lc; combined skipped */
    const char *a3[] = {"--level", "layer", "--variant", "baseline,prune,combine,combined", "--lc", "3,7",
                        "--project-kept", "on,off", NULL};
    n = expand(a3, &c, &skipped, err, sizeof err);
    ptc_check(ctx, n == 4 && skipped == 1, "layer: %ld configurations, %zu skipped (want 4, 1)", n, skipped);
    for (long i = 0; i < n; i++)
        if (c[i].variant == PTC_VARIANT_COMBINE)
            ptc_check(ctx, !c[i].has_lc && strcmp(c[i].label, "C") == 0, "layer combine: %s", c[i].id);
    free(c);
    /* sections pool and de-duplicate: the baseline of both sections runs once */
    const char *a4[] = {"--variant", "baseline,prune", "---", "--variant", "baseline,combine", NULL};
    n = expand(a4, &c, &skipped, err, sizeof err);
    ptc_check(ctx, n == 3, "two sections: %ld configurations (want 3)", n);
    free(c);
}

/* A sweep near the configuration cap with thousands of small groups (the grouping
 * was quadratic in the configurations): it completes, every group is contiguous with
 * its baseline first, and the groups follow the expansion order (threads, seq, batch). */
PTC_TEST(sweep_many_groups_near_the_cap)
{
    char err[300];
    ptc_sweep_config *c = NULL;
    size_t skipped;
    const char *args[] = {"--level", "kernel", "--seq", "1-64+1", "--batch", "1-64+1", "--threads", "1,2",
                          "--variant", "baseline,prune", "--p", "0.9", NULL};
    const long n = expand(args, &c, &skipped, err, sizeof err);
    if (!ptc_check(ctx, n == 16384, "16384 configurations expected, got %ld: %s", n, err)) {
        free(c);
        return;
    }
    size_t groups = 0;
    long last_key = -1;
    for (long i = 0; i < n; i += 2) {
        const long key = ((long)c[i].threads * 100 + c[i].seq) * 100 + c[i].batch;
        ptc_check(ctx, c[i].variant == PTC_VARIANT_BASELINE && c[i + 1].variant == PTC_VARIANT_PRUNE &&
                           strcmp(c[i].group, c[i + 1].group) == 0,
                  "configurations %ld, %ld: a group of a baseline then its prune", i, i + 1);
        ptc_check(ctx, key > last_key, "group at %ld out of expansion order: %s", i, c[i].group);
        last_key = key;
        groups++;
    }
    ptc_check(ctx, groups == 8192, "8192 groups, got %zu", groups);
    free(c);
}

/* --phase: training steps at encoder level only, in their own group (their
 * baseline is the training baseline), "phase=train" in the id; inference ids
 * do not change; the estimate of a step is three forwards. */
PTC_TEST(sweep_phase_train)
{
    char err[300];
    ptc_sweep_config *c = NULL;
    size_t skipped;
    const char *a1[] = {"--level", "kernel,encoder", "--variant", "BERT,PFC", "--lc", "7",
                        "--phase", "infer,train", NULL};
    long n = expand(a1, &c, &skipped, err, sizeof err);
    /* kernel: BERT infer (PFC does not exist there, train skipped twice: BERT, PFC);
     * encoder: BERT, PFC x infer, train */
    ptc_check(ctx, n == 5 && skipped == 3, "phase expansion: %ld configurations, %zu skipped (want 5, 3): %s",
              n, skipped, err);
    const ptc_sweep_config *infer = NULL, *train = NULL;
    for (long i = 0; i < n; i++) {
        ptc_check(ctx, c[i].train == (strstr(c[i].id, ";phase=train") != NULL) &&
                  c[i].train == (strstr(c[i].group, "phase=train") != NULL), "id/group: %s", c[i].id);
        ptc_check(ctx, !c[i].train || c[i].level == PTC_LEVEL_ENCODER, "train at %s", c[i].id);
        if (c[i].level == PTC_LEVEL_ENCODER && c[i].variant == PTC_VARIANT_BASELINE)
            *(c[i].train ? &train : &infer) = &c[i];
    }
    if (ptc_check(ctx, infer && train, "both phases of the encoder baseline"))
        ptc_check(ctx, train->est_flops == 3 * infer->est_flops && strcmp(train->group, infer->group) != 0,
                  "train estimate %g vs infer %g; groups %s / %s", train->est_flops, infer->est_flops,
                  train->group, infer->group);
    free(c);
    /* the default phase is infer, and its ids carry no phase */
    const char *a2[] = {"--variant", "BERT", NULL};
    n = expand(a2, &c, &skipped, err, sizeof err);
    ptc_check(ctx, n == 1 && !c[0].train && !strstr(c[0].id, "phase"), "default phase: %s", n ? c[0].id : err);
    free(c);
    const char *a3[] = {"--phase", "learn", NULL};
    ptc_sweep_opts o;
    ptc_check(ctx, parse(&o, a3, err, sizeof err) != 0 && strstr(err, "--phase"), "bad phase: %s", err);
}

PTC_TEST(sweep_config_id_stable)
{
    char err[300];
    ptc_sweep_config *a = NULL, *b = NULL;
    size_t skipped;
    const char *args1[] = {"--variant", "combined", "--rule", "clamp", "--p", "0.9", "--lc", "7",
                           "--isa", "ref", "--seq", "512", NULL};
    /* the same configuration from a different sweep, with other measurement settings */
    const char *args2[] = {"--reps", "9", "--min-time", "1", "--seq", "256,512", "--p", "0.8,0.90",
                           "--lc", "11,7", "--variant", "prune,combined", "--isa", "ref", "--rule",
                           "topk,clamp", NULL};
    long n1 = expand(args1, &a, &skipped, err, sizeof err);
    long n2 = expand(args2, &b, &skipped, err, sizeof err);
    const char *golden = "level=encoder;model=bert-base;hidden=768;layers=12;heads=12;ffn=3072;"
                         "seq=512;batch=1;pad=length-aware;isa=ref;threads=1;variant=combined;"
                         "rule=clamp;p=0.9;lc=7;m=8;project_kept=on";
    if (ptc_check(ctx, n1 == 1, "one configuration, got %ld: %s", n1, err)) {
        ptc_check(ctx, strcmp(a[0].id, golden) == 0, "config_id changed:\n  %s\n  want %s", a[0].id, golden);
        ptc_check(ctx, strcmp(a[0].label, "PFC L7") == 0, "label %s", a[0].label);
    }
    bool found = false;
    for (long i = 0; i < n2; i++)
        found |= strcmp(b[i].id, golden) == 0;
    ptc_check(ctx, n2 == 2 * (4 + 8) && found, "the id from another sweep: n=%ld found=%d", n2, found);
    free(a);
    free(b);
}

PTC_TEST(sweep_spec_text_roundtrip)
{
    char err[300];
    static ptc_sweep_opts o, back;
    ptc_sweep_opts_init(&o);
    const char *text = "# comment\n--seq 128-512*2  # trailing\nvariant baseline,prune\n"
                       "model bert-tiny;64,2,2,128\nreps 3\n---\nlevel kernel\np 0.9,0.7\n";
    if (!ptc_check(ctx, ptc_sweep_parse_spec_text(&o, text, "t.sweep", err, sizeof err) == 0, "%s", err))
        return;
    ptc_check(ctx, o.n_sections == 2 && o.reps == 3, "sections %d reps %d", o.n_sections, o.reps);
    char buf[4096];
    ptc_sweep_spec_format(&o, buf, sizeof buf);
    ptc_sweep_opts_init(&back);
    ptc_check(ctx, ptc_sweep_parse_spec_text(&back, buf, "formatted", err, sizeof err) == 0, "%s\n%s", err, buf);
    ptc_sweep_config *c1, *c2;
    size_t n1 = 0, n2 = 0, s;
    ptc_sweep_expand(&o, 2, &c1, &n1, &s, err, sizeof err);
    ptc_sweep_expand(&back, 2, &c2, &n2, &s, err, sizeof err);
    bool same = n1 == n2 && n1 > 0;
    for (size_t i = 0; same && i < n1; i++)
        same = strcmp(c1[i].id, c2[i].id) == 0;
    ptc_check(ctx, same && back.reps == 3, "round trip: %zu vs %zu configurations\n%s", n1, n2, buf);
    free(c1);
    free(c2);
    ptc_sweep_opts_init(&o);
    ptc_check(ctx, ptc_sweep_parse_spec_text(&o, "seq 128\nbogus 1\n", "x.sweep", err, sizeof err) != 0 &&
                       strstr(err, "x.sweep:2:"), "error names file and line: %s", err);
    ptc_sweep_opts_init(&o);
    ptc_check(ctx, ptc_sweep_parse_spec_text(&o, "out /tmp\n", "x.sweep", err, sizeof err) != 0,
              "run options are refused in spec files");
}

PTC_TEST(sweep_default_spec)
{
    /* the embedded copy equals harness/bench/default.sweep (run from the repository root,
     * or from build/) */
    const char *paths[] = {"harness/bench/default.sweep", "../harness/bench/default.sweep"};
    FILE *f = NULL;
    for (size_t i = 0; i < 2 && !f; i++)
        f = fopen(paths[i], "r");
    if (f) {
        static char text[16384];
        const size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
        ptc_check(ctx, strcmp(text, ptc_default_sweep_text) == 0,
                  "harness/bench/default.sweep and ptc_default_sweep_text differ: update the copy in harness/bench/sweep.c");
    } else {
        fprintf(stderr, "  (harness/bench/default.sweep not found from here: copy not compared)\n");
    }
    static ptc_sweep_opts o;
    ptc_sweep_opts_init(&o);
    char err[300];
    ptc_sweep_config *c = NULL;
    size_t n = 0, skipped = 0;
    ptc_check(ctx, ptc_sweep_parse_spec_text(&o, ptc_default_sweep_text, "default", err, sizeof err) == 0 &&
                       ptc_sweep_expand(&o, 2, &c, &n, &skipped, err, sizeof err) == 0,
              "default sweep: %s", err);
    /* 7 encoder variants x 3 lengths, kernel 5 x 6 lengths, layer 4 */
    ptc_check(ctx, n == 21 + 30 + 4, "default sweep has %zu configurations", n);
    free(c);
}

PTC_TEST(sweep_bootstrap_ci)
{
    const double same[] = {1.00, 1.02, 0.98, 1.05, 0.99, 1.01, 1.03};
    double lo, hi, lo2, hi2;
    double s = ptc_bootstrap_speedup(same, 7, same, 7, 42, 2000, &lo, &hi);
    ptc_check(ctx, s == 1.0 && lo <= 1.0 && hi >= 1.0 && lo < hi, "identical: %g [%g, %g]", s, lo, hi);
    ptc_bootstrap_speedup(same, 7, same, 7, 42, 2000, &lo2, &hi2);
    ptc_check(ctx, lo == lo2 && hi == hi2, "not deterministic for a seed");
    double half[7];
    for (int i = 0; i < 7; i++)
        half[i] = same[i] / 2;
    s = ptc_bootstrap_speedup(same, 7, half, 7, 7, 2000, &lo, &hi);
    ptc_check(ctx, fabs(s - 2) < 1e-12 && lo > 1.8 && hi < 2.2 && lo <= s && s <= hi,
              "twice as fast: %g [%g, %g]", s, lo, hi);
    ptc_check(ctx, ptc_median(same, 7) == 1.01 && ptc_median(same, 6) == 1.005, "median");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

PTC_TEST(sweep_resume_pending_is_complement)
{
    char dir[] = "/tmp/ptc_sweep_resume_XXXXXX";
    if (!ptc_check(ctx, mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno)))
        return;
    char err[300];
    ptc_sweep_config *c = NULL;
    size_t skipped;
    const char *args[] = {"--variant", "baseline,prune,combine", "--seq", "16,32,64", "--model",
                          "bert-tiny", "--lc", "2", NULL};
    const long n = expand(args, &c, &skipped, err, sizeof err);
    if (!ptc_check(ctx, n == 9, "9 configurations, got %ld: %s", n, err))
        return;
    /* rows (read by the one reader, common/rows_read.h: ptc.row/1 rows only): 0 and 4
     * ok, 2 error, a garbage line, 5 ok but torn (no newline) */
    char path[256], text[8192];
    snprintf(path, sizeof path, "%s/rows.jsonl", dir);
    snprintf(text, sizeof text,
             "{\"schema\":\"ptc.row/1\",\"config_id\":\"%s\",\"status\":\"ok\"}\n"
             "{\"schema\":\"ptc.row/1\",\"config_id\":\"%s\",\"status\":\"error\",\"error\":\"x\"}\n"
             "not json\n"
             "{\"schema\":\"ptc.row/1\",\"config_id\":\"%s\",\"status\":\"ok\"}\n"
             "{\"schema\":\"ptc.row/1\",\"config_id\":\"%s\",\"status\":\"o",
             c[0].id, c[2].id, c[4].id, c[5].id);
    write_file(path, text);
    const long dropped = ptc_rows_repair_tail(path);
    ptc_check(ctx, dropped > 0, "torn line not dropped (%ld)", dropped);
    char **ids;
    size_t n_ids;
    ptc_check(ctx, ptc_rows_ok_ids(path, &ids, &n_ids) == 0 && n_ids == 2, "ok ids: %zu", n_ids);
    bool pending[9];
    const size_t np = ptc_rows_pending(c, 9, ids, n_ids, pending);
    ptc_check(ctx, np == 7 && !pending[0] && !pending[4] && pending[2] && pending[5],
              "pending %zu: the complement of the ok rows", np);
    ptc_rows_free_ids(ids, n_ids);
    ptc_check(ctx, ptc_rows_repair_tail(path) == 0, "repair of a clean file drops nothing");
    free(c);
    remove_tree(dir);
}

/* ---- end to end ----------------------------------------------------------------------- */

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

/* Runs ptc_bench_main(args) in a child (stdout to /dev/null). When sigint_after_rows > 0,
 * sends SIGINT once rows_path has that many lines. Returns the exit status, or -1. */
static int run_bench(const char *const *args, const char *rows_glob_dir, int sigint_after_rows,
                     bool *interrupted)
{
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        char *argv[64];
        int argc = 0;
        argv[argc++] = (char *)"bench";
        for (; *args; args++)
            argv[argc++] = (char *)*args;
        argv[argc] = NULL;
        _exit(ptc_bench_main(argc, argv));
    }
    *interrupted = false;
    int status;
    const double t0 = (double)time(NULL);
    for (;;) {
        const pid_t w = waitpid(pid, &status, sigint_after_rows > 0 && !*interrupted ? WNOHANG : 0);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -1;
        if (sigint_after_rows > 0 && !*interrupted) {
            char path[512];
            snprintf(path, sizeof path, "%s/rows.jsonl", rows_glob_dir);
            if (count_lines(path) >= sigint_after_rows) {
                kill(pid, SIGINT);
                *interrupted = true;
            } else if ((double)time(NULL) - t0 > 60) {
                kill(pid, SIGKILL);
            } else {
                usleep(2000);
            }
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Every configuration of the sweep exactly once, status ok. */
static void check_rows_complete(ptc_test_ctx *ctx, const char *rows, const ptc_sweep_config *c, size_t n,
                                const char *what)
{
    FILE *f = fopen(rows, "r");
    if (!ptc_check(ctx, f != NULL, "%s: no rows file %s", what, rows))
        return;
    int *seen = calloc(n, sizeof *seen);
    char *line = NULL;
    size_t cap = 0;
    int other = 0, not_ok = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t e;
        json_t *r = json_loads(line, 0, &e);
        const char *id = json_string_value(json_object_get(r, "config_id"));
        const char *st = json_string_value(json_object_get(r, "status"));
        size_t i = 0;
        while (id && i < n && strcmp(c[i].id, id) != 0)
            i++;
        if (!id || i == n)
            other++;
        else
            seen[i]++;
        if (!st || strcmp(st, "ok") != 0)
            not_ok++;
        json_decref(r);
    }
    free(line);
    fclose(f);
    int missing = 0, twice = 0;
    for (size_t i = 0; i < n; i++) {
        missing += seen[i] == 0;
        twice += seen[i] > 1;
    }
    ptc_check(ctx, missing == 0 && twice == 0 && other == 0 && not_ok == 0,
              "%s: %d missing, %d twice, %d unknown, %d not ok (of %zu)", what, missing, twice, other,
              not_ok, n);
    free(seen);
}

PTC_TEST(sweep_end_to_end_interrupt_resume)
{
    char dir[] = "/tmp/ptc_sweep_e2e_XXXXXX";
    if (!ptc_check(ctx, mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno)))
        return;
    const char *sweep[] = {"--model", "bert-tiny", "--seq", "8-48+8", "--variant", "baseline,prune,combine",
                           "--lc", "2", "--reps", "2", "--min-time", "0.002", "--no-calibrate",
                           "--no-bind", "--out", dir, "--name", "e2e", NULL};
    char err[300];
    ptc_sweep_config *c = NULL;
    size_t skipped;
    const long n = expand(sweep, &c, &skipped, err, sizeof err);
    if (!ptc_check(ctx, n == 18, "18 configurations, got %ld: %s", n, err))
        return;
    /* the run folder: <dir>/<slug>/<stamp>-e2e; find it after the run starts */
    bool interrupted;
    char run_dir[512] = "";
    fflush(NULL);
    /* 1. interrupted by SIGINT once some rows are written */
    {
        const pid_t pid = fork();
        if (pid == 0) {
            const int null = open("/dev/null", O_WRONLY);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            char *argv[64];
            int argc = 0;
            argv[argc++] = (char *)"bench";
            for (const char *const *a = sweep; *a; a++)
                argv[argc++] = (char *)*a;
            _exit(ptc_bench_main(argc, argv));
        }
        int status = 0, lines = 0;
        interrupted = false;
        const time_t t0 = time(NULL);
        for (;;) {
            const pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid)
                break;
            if (!run_dir[0]) {
                char cmd[600];
                snprintf(cmd, sizeof cmd, "ls -d %s/*/*-e2e 2>/dev/null", dir);
                FILE *p = popen(cmd, "r");
                if (p) {
                    if (fgets(run_dir, sizeof run_dir, p))
                        run_dir[strcspn(run_dir, "\n")] = '\0';
                    pclose(p);
                }
            }
            if (run_dir[0] && !interrupted) {
                char rows[600];
                snprintf(rows, sizeof rows, "%s/rows.jsonl", run_dir);
                lines = count_lines(rows);
                if (lines >= 3) {
                    kill(pid, SIGINT);
                    interrupted = true;
                }
            }
            if (time(NULL) - t0 > 60) {
                kill(pid, SIGKILL);
                break;
            }
            usleep(1000);
        }
        const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        fprintf(stderr, "  (SIGINT after %d rows: exit %d)\n", lines, rc);
        ptc_check(ctx, rc == 130 || (rc == 0 && !interrupted) || (rc == 0 && interrupted),
                  "interrupted run exited %d", rc);
        if (rc == 0)
            fprintf(stderr, "  (the sweep finished before SIGINT landed: resume checked on a torn file only)\n");
    }
    if (!ptc_check(ctx, run_dir[0] != '\0', "no run folder under %s", dir))
        return;
    char rows[600];
    snprintf(rows, sizeof rows, "%s/rows.jsonl", run_dir);
    const int after_sigint = count_lines(rows);
    char marker[700];
    snprintf(marker, sizeof marker, "%s/unfinished", run_dir);
    if (after_sigint < 18)
        ptc_check(ctx, access(marker, F_OK) == 0, "an interrupted run keeps its unfinished marker");
    ptc_check(ctx, after_sigint >= 3 && after_sigint <= 18, "%d rows after SIGINT", after_sigint);
    const char *slash = strrchr(run_dir, '/');
    const char *resume[] = {"--resume", slash + 1, "--out", dir, "--no-calibrate", "--no-bind", NULL};
    int rc = run_bench(resume, run_dir, 0, &interrupted);
    ptc_check(ctx, rc == 0, "resume exited %d", rc);
    check_rows_complete(ctx, rows, c, (size_t)n, "after SIGINT and --resume");

    /* 2. a crash mid-write: keep 5 rows and half of the 6th, resume again */
    {
        FILE *f = fopen(rows, "r");
        static char text[1 << 20];
        const size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f)
            fclose(f);
        text[len] = '\0';
        size_t cut = 0;
        for (int k = 0; k < 5 && cut < len; k++)
            cut = (size_t)(strchr(text + cut, '\n') - text) + 1;
        const size_t torn = cut + (strchr(text + cut, '\n') - (text + cut)) / 2;
        f = fopen(rows, "w");
        if (f) {
            fwrite(text, 1, torn, f);
            fclose(f);
        }
        ptc_check(ctx, count_lines(rows) == 5, "truncation");
    }
    rc = run_bench(resume, run_dir, 0, &interrupted);
    ptc_check(ctx, rc == 0, "second resume exited %d", rc);
    check_rows_complete(ctx, rows, c, (size_t)n, "after a torn file and --resume");
    /* 3. resuming a complete run runs nothing */
    rc = run_bench(resume, run_dir, 0, &interrupted);
    ptc_check(ctx, rc == 0 && count_lines(rows) == 18, "third resume: rc %d, %d rows", rc, count_lines(rows));
    /* every file of the run is there */
    const char *files[] = {"context.json", "sweep.txt", "gbench.json"};
    for (size_t i = 0; i < 3; i++) {
        char p[700];
        snprintf(p, sizeof p, "%s/%s", run_dir, files[i]);
        ptc_check(ctx, access(p, R_OK) == 0, "missing %s", p);
    }
    char part[700];
    snprintf(part, sizeof part, "%s/gbench.part-1.json", run_dir);
    ptc_check(ctx, access(part, F_OK) != 0, "a group's GB JSON merged into gbench.json and removed");
    ptc_check(ctx, access(marker, F_OK) != 0, "a finished run has no unfinished marker");
    /* 4. a bad value writes nothing */
    const char *bad[] = {"--p", "2", "--out", dir, "--name", "bad", NULL};
    rc = run_bench(bad, run_dir, 0, &interrupted);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -d %s/*/*-bad 2>/dev/null | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int made = -1;
    if (p) {
        if (fscanf(p, "%d", &made) != 1)
            made = -1;
        pclose(p);
    }
    ptc_check(ctx, rc == 2 && made == 0, "--p 2: exit %d, %d run folders made", rc, made);
    free(c);
    remove_tree(dir);
}
