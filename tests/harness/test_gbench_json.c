/*
 * tests/harness/test_gbench_json.c — the run's one gbench.json (harness/bench/gbench_json.h):
 * benchmark names from a configuration's own values, and the merge of each group's
 * Google Benchmark JSON (GB's suffixes dropped, aggregates NAME_<agg>, only the kept
 * configurations, a configuration timed again replacing its old entries, the first
 * context kept). compare.py itself reads two real runs in scripts/run-tests.sh.
 */
#include "../ptc_test.h"
#include "bench/gbench_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ptc_sweep_config encoder_config(ptc_variant v, double p, int lc)
{
    ptc_sweep_config c;
    memset(&c, 0, sizeof c);
    c.level = PTC_LEVEL_ENCODER;
    c.variant = v;
    c.model = (ptc_model_shape){"bert-base", 768, 12, 12, 3072};
    c.seq = 512;
    c.batch = 1;
    c.pad = PTC_PAD_LENGTH_AWARE;
    snprintf(c.isa, sizeof c.isa, "avx2");
    c.threads = 1;
    if (v == PTC_VARIANT_PRUNE || v == PTC_VARIANT_PRUNE_COMBINE) {
        c.has_rule = c.has_p = c.has_project = c.project_kept = true;
        c.rule = PTC_PRUNE_CLAMP;
        c.p = p;
    }
    if (v == PTC_VARIANT_COMBINE || v == PTC_VARIANT_PRUNE_COMBINE) {
        c.has_lc = c.has_m = true;
        c.lc = lc;
        c.m = 16;
    }
    ptc_sweep_config_finish(&c);
    return c;
}

PTC_TEST(gbench_json_names)
{
    char name[256];
    ptc_sweep_config c = encoder_config(PTC_VARIANT_PRUNE_COMBINE, 0.9, 7);
    ptc_gbench_config_name(&c, name, sizeof name);
    ptc_check(ctx, strcmp(name, "encoder/PFC/p:0.9/lc:7/m:16/bert-base/seq:512/batch:1/avx2/threads:1") == 0,
              "PFC L7: %s", name);
    c = encoder_config(PTC_VARIANT_BASELINE, 0, 0);
    ptc_gbench_config_name(&c, name, sizeof name);
    ptc_check(ctx, strcmp(name, "encoder/BERT/bert-base/seq:512/batch:1/avx2/threads:1") == 0,
              "BERT: %s", name);
    /* what the id distinguishes, the name does: rule, phase, pad, custom shape */
    char other[256];
    c = encoder_config(PTC_VARIANT_PRUNE, 0.7, 0);
    ptc_gbench_config_name(&c, name, sizeof name);
    c.rule = PTC_PRUNE_TOPK;
    ptc_sweep_config_finish(&c);
    ptc_gbench_config_name(&c, other, sizeof other);
    ptc_check(ctx, strcmp(name, "encoder/PF/p:0.7/bert-base/seq:512/batch:1/avx2/threads:1") == 0 &&
                       strcmp(other, "encoder/P/p:0.7/bert-base/seq:512/batch:1/avx2/threads:1") == 0,
              "PF and P: %s, %s", name, other);
    c.train = true;
    c.pad = PTC_PAD_PADDED;
    c.project_kept = false;
    c.model = (ptc_model_shape){"custom", 256, 4, 4, 1024};
    ptc_gbench_config_name(&c, name, sizeof name);
    ptc_check(ctx, strcmp(name, "encoder/P/p:0.7/256x4x4x1024/seq:512/batch:1/avx2/threads:1"
                                "/pad:padded/project_kept:off/train") == 0,
              "train, padded, custom: %s", name);
    ptc_check(ctx, strstr(name, "g1") == NULL && strstr(name, "c0") == NULL, "no sweep index");
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* one GB entry: a repetition or an aggregate of the GB name `gb` */
#define ENTRY(gb, type, idx, agg, t)                                                        \
    "{\"name\": \"" gb "\", \"run_name\": \"" gb "\", \"run_type\": \"" type "\", "      \
    "\"repetitions\": 2, \"repetition_index\": " #idx ", " agg "\"threads\": 1, "          \
    "\"iterations\": 1, \"real_time\": " #t ", \"cpu_time\": " #t ", \"time_unit\": \"us\"}"
#define A_GB "encoder/BERT/threads:1/min_time:0.050/repeats:2/real_time"
#define AT_GB "encoder/BERT/threads:1/train/min_time:0.050/repeats:2/real_time"
#define B_GB "encoder/PF/p:0.9/threads:1/min_time:0.050/repeats:2/real_time"

static size_t count_named(const json_t *doc, const char *name)
{
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(json_object_get(doc, "benchmarks"), i, e) {
        n += strcmp(json_string_value(json_object_get(e, "name")), name) == 0;
    }
    return n;
}

PTC_TEST(gbench_json_merge)
{
    char dir[] = "/tmp/ptc-gbench-json-XXXXXX";
    if (!ptc_check(ctx, mkdtemp(dir) != NULL, "mkdtemp"))
        return;
    char part[300], dest[300], err[512];
    snprintf(part, sizeof part, "%s/part.json", dir);
    snprintf(dest, sizeof dest, "%s/gbench.json", dir);
    const char *names[] = {"encoder/BERT/threads:1", "encoder/BERT/threads:1/train",
                           "encoder/PF/p:0.9/threads:1"};
    write_text(part, "{\"context\": {\"host_name\": \"first\"}, \"benchmarks\": ["
               ENTRY(A_GB, "iteration", 0, "", 10) "," ENTRY(A_GB, "iteration", 1, "", 12) ","
               ENTRY(A_GB "_median", "aggregate", 0, "\"aggregate_name\": \"median\", ", 11) ","
               ENTRY(AT_GB, "iteration", 0, "", 30) "," ENTRY(AT_GB, "iteration", 1, "", 31) "]}");
    /* BERT kept, BERT train timed as a reference only */
    const bool keep1[] = {true, false, false};
    int rc = ptc_gbench_json_merge(dest, part, names, keep1, 2, err, sizeof err);
    json_t *d = json_load_file(dest, 0, NULL);
    ptc_check(ctx, rc == 0 && d, "first merge: %s", rc ? err : "");
    ptc_check(ctx, d && json_array_size(json_object_get(d, "benchmarks")) == 3 &&
                       count_named(d, "encoder/BERT/threads:1") == 2 &&
                       count_named(d, "encoder/BERT/threads:1_median") == 1,
              "BERT's 2 repetitions and its median, GB's suffixes gone; its train twin "
              "(longer name) not taken for it");
    json_decref(d);

    /* a --resume times BERT again beside PF: BERT's entries replaced, PF's added */
    write_text(part, "{\"context\": {\"host_name\": \"second\"}, \"benchmarks\": ["
               ENTRY(A_GB, "iteration", 0, "", 20) "," ENTRY(A_GB, "iteration", 1, "", 21) ","
               ENTRY(B_GB, "iteration", 0, "", 5) "," ENTRY(B_GB, "iteration", 1, "", 6) "]}");
    const bool keep2[] = {true, false, true};
    rc = ptc_gbench_json_merge(dest, part, names, keep2, 3, err, sizeof err);
    d = json_load_file(dest, 0, NULL);
    ptc_check(ctx, rc == 0 && d, "second merge: %s", rc ? err : "");
    if (d) {
        ptc_check(ctx, count_named(d, "encoder/BERT/threads:1") == 2 &&
                           count_named(d, "encoder/BERT/threads:1_median") == 0 &&
                           count_named(d, "encoder/PF/p:0.9/threads:1") == 2 &&
                           json_array_size(json_object_get(d, "benchmarks")) == 4,
                  "BERT replaced (its 2 new repetitions, not 4, its old median gone), PF added");
        json_t *first = json_array_get(json_object_get(d, "benchmarks"), 0);
        ptc_check(ctx, json_real_value(json_object_get(first, "real_time")) == 20 ||
                           json_integer_value(json_object_get(first, "real_time")) == 20,
                  "BERT's new times");
        ptc_check(ctx, strcmp(json_string_value(json_object_get(json_object_get(d, "context"),
                                                                "host_name")), "first") == 0,
                  "the first context stays");
    }
    json_decref(d);

    /* an unreadable part leaves gbench.json as it is */
    write_text(part, "{\"benchmarks\": [");
    rc = ptc_gbench_json_merge(dest, part, names, keep2, 3, err, sizeof err);
    d = json_load_file(dest, 0, NULL);
    ptc_check(ctx, rc == -1 && strstr(err, "part.json") && d &&
                       json_array_size(json_object_get(d, "benchmarks")) == 4,
              "a torn part: -1, one line (%s), gbench.json kept", err);
    json_decref(d);
    unlink(part);
    unlink(dest);
    rmdir(dir);
}
