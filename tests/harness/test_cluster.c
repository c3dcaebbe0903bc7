/*
 * tests/harness/test_cluster.c — running on a cluster (harness/cluster/): the shard
 * partition (disjoint, complete, balanced, independent of the order of a sweep's
 * values), shard defaults from Slurm and Kubernetes environment variables, and the
 * run-folder lock between two processes.
 */
#define _GNU_SOURCE
#include "../ptc_test.h"
#include "bench/sweep.h"
#include "cluster/cluster.h"
#include "cluster/experiment_shard.h"
#include "cluster/lock.h"
#include "cluster/shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The configurations of a sweep given as options (NULL-terminated); -1 on error. */
static long expand_args(const char *const *args, ptc_sweep_config **out)
{
    static ptc_sweep_opts o;
    char *argv[64], err[300];
    int argc = 0;
    argv[argc++] = (char *)"bench";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    ptc_sweep_opts_init(&o);
    size_t n, skipped;
    if (ptc_sweep_parse_args(&o, argc, argv, 1, err, sizeof err) != 0 ||
        ptc_sweep_expand(&o, 0, out, &n, &skipped, err, sizeof err) != 0)
        return -1;
    return (long)n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of shard `index` of `count` of the configurations, sorted; returns how many. */
static size_t shard_ids(const ptc_sweep_config *c, size_t n, int index, int count, const char **out)
{
    const char **ids = calloc(n, sizeof *ids);
    bool *mine = calloc(n, sizeof *mine);
    for (size_t i = 0; i < n; i++)
        ids[i] = c[i].id;
    ptc_shard s = {.index = index, .count = count};
    ptc_shard_select(ids, n, &s, mine);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (mine[i])
            out[k++] = c[i].id;
    qsort(out, k, sizeof *out, cmp_str);
    free(ids);
    free(mine);
    return k;
}

PTC_TEST(shard_partition_is_disjoint_complete_and_order_free)
{
    const char *forward[] = {"--level", "kernel,encoder", "--model", "bert-tiny", "--seq", "32,64,128",
                             "--variant", "baseline,prune,combine,combined", "--p", "0.9,0.7",
                             "--lc", "1,2", "--isa", "ref", NULL};
    const char *permuted[] = {"--isa", "ref", "--lc", "2,1", "--p", "0.7,0.9", "--variant",
                              "combined,baseline,combine,prune", "--seq", "128,32,64", "--model",
                              "bert-tiny", "--level", "encoder,kernel", NULL};
    ptc_sweep_config *a = NULL, *b = NULL;
    const long na = expand_args(forward, &a), nb = expand_args(permuted, &b);
    if (!ptc_check(ctx, na > 10 && na == nb, "the two orders expand alike: %ld vs %ld", na, nb))
        goto out;
    const char **all = malloc((size_t)na * sizeof *all);
    const char **got = malloc((size_t)na * sizeof *got);
    for (int count = 1; count <= 5; count++) {
        size_t total = 0;
        for (int i = 1; i <= count; i++) {
            const char **sa = malloc((size_t)na * sizeof *sa), **sb = malloc((size_t)na * sizeof *sb);
            const size_t ka = shard_ids(a, (size_t)na, i, count, sa);
            const size_t kb = shard_ids(b, (size_t)nb, i, count, sb);
            bool same = ka == kb;
            for (size_t k = 0; same && k < ka; k++)
                same = strcmp(sa[k], sb[k]) == 0;
            ptc_check(ctx, same, "shard %d/%d differs between value orders (%zu vs %zu ids)", i, count,
                      ka, kb);
            ptc_check(ctx, ka + 1 >= (size_t)na / (size_t)count && ka <= (size_t)na / (size_t)count + 1,
                      "shard %d/%d holds %zu of %ld: unbalanced", i, count, ka, na);
            memcpy(got + total, sa, ka * sizeof *sa);
            total += ka;
            free(sa);
            free(sb);
        }
        /* disjoint and complete: the shards' ids together are the sweep's, each once */
        for (long i = 0; i < na; i++)
            all[i] = a[i].id;
        qsort(all, (size_t)na, sizeof *all, cmp_str);
        qsort(got, total, sizeof *got, cmp_str);
        bool equal = total == (size_t)na;
        for (size_t k = 0; equal && k < total; k++)
            equal = strcmp(all[k], got[k]) == 0;
        ptc_check(ctx, equal, "%d shards hold %zu ids, the sweep %ld (or different ones)", count, total, na);
    }
    free(all);
    free(got);
out:
    free(a);
    free(b);
}

PTC_TEST(shard_from_arguments_and_environment)
{
    char err[300];
    ptc_shard s = {0};
    int rc;
    char *argv1[] = {"bench", "--seq", "32", "--shard", "2/4", "--dry-run", NULL};
    int argc = 6;
    rc = ptc_shard_take_args(&argc, argv1, &s, err, sizeof err);
    ptc_check(ctx, rc == 0 && s.index == 2 &&
                       s.count == 4 && argc == 4 && strcmp(argv1[3], "--dry-run") == 0 && !argv1[4],
              "--shard 2/4 taken out of argv: %d/%d argc %d (%s)", s.index, s.count, argc, err);
    const char *bad[] = {"0/3", "4/3", "3", "a/b", "1/0", "-1/2", "2/3x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ptc_check(ctx, ptc_shard_parse(bad[i], &s, err, sizeof err) != 0, "--shard %s accepted", bad[i]);

    setenv("SLURM_ARRAY_TASK_ID", "7", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "5", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
    char *argv2[] = {"bench", NULL};
    argc = 1;
    rc = ptc_shard_take_args(&argc, argv2, &s, err, sizeof err);
    ptc_check(ctx, rc == 0 && s.index == 3 &&
                       s.count == 4 && strcmp(s.source, "SLURM_ARRAY_TASK_ID") == 0,
              "array task 7 of 5..8 is shard 3/4, got %d/%d", s.index, s.count);
    char *argv3[] = {"bench", "--shard", "1/1", NULL};
    argc = 3;
    rc = ptc_shard_take_args(&argc, argv3, &s, err, sizeof err);
    ptc_check(ctx, rc == 0 && s.count == 1,
              "--shard 1/1 wins over the environment");
    setenv("SLURM_ARRAY_TASK_ID", "9", 1);
    argc = 1;
    rc = ptc_shard_take_args(&argc, argv2, &s, err, sizeof err);
    ptc_check(ctx, rc != 0,
              "task 9 of 5..8 refused");
    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_ARRAY_TASK_MIN");
    unsetenv("SLURM_ARRAY_TASK_COUNT");

    setenv("JOB_COMPLETION_INDEX", "0", 1);
    char *argv4[] = {"bench", "--shards", "3", NULL};
    argc = 3;
    rc = ptc_shard_take_args(&argc, argv4, &s, err, sizeof err);
    ptc_check(ctx, rc == 0 && s.index == 1 &&
                       s.count == 3 && argc == 1,
              "JOB_COMPLETION_INDEX=0 with --shards 3 is 1/3, got %d/%d", s.index, s.count);
    argc = 1;
    rc = ptc_shard_take_args(&argc, argv2, &s, err, sizeof err);
    ptc_check(ctx, rc == 0 && s.count == 0,
              "JOB_COMPLETION_INDEX without --shards: not sharded");
    unsetenv("JOB_COMPLETION_INDEX");
}

PTC_TEST(run_lock_refuses_a_second_process)
{
    char dir[] = "/tmp/ptc-test-lock-XXXXXX";
    if (!ptc_check(ctx, mkdtemp(dir) != NULL, "mkdtemp"))
        return;
    int go[2], ready[2];
    if (pipe(go) != 0 || pipe(ready) != 0)
        return;
    const pid_t child = fork();
    if (child == 0) { /* the first writer: holds the lock until told to exit */
        char err[512];
        const int fd = ptc_run_lock(dir, err, sizeof err);
        char c = fd >= 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
            _exit(3);
        _exit(fd >= 0 ? 0 : 1);
    }
    char c = 0, err[512] = "", who[256] = "";
    ptc_check(ctx, read(ready[0], &c, 1) == 1 && c == 'y', "the first process takes the lock");
    const int second = ptc_run_lock(dir, err, sizeof err);
    ptc_check(ctx, second < 0, "a second process takes a held lock");
    char want[64];
    snprintf(want, sizeof want, "in use by pid %ld", (long)child);
    ptc_check(ctx, strstr(err, want) && !strchr(err, '\n'), "one-line reason naming the holder: %s", err);
    ptc_check(ctx, ptc_run_lock_held(dir, who, sizeof who) == 1 && strstr(who, want + 10),
              "status sees the lock held (%s)", who);
    ptc_run_unlock(second);
    if (write(go[1], "x", 1) != 1)
        return;
    int st = 0;
    waitpid(child, &st, 0);
    ptc_check(ctx, WIFEXITED(st) && WEXITSTATUS(st) == 0, "the first process exits cleanly");
    ptc_check(ctx, ptc_run_lock_held(dir, NULL, 0) == 0, "the lock is free once its holder exits");
    const int again = ptc_run_lock(dir, err, sizeof err);
    ptc_check(ctx, again >= 0, "the lock is taken again after the holder exited: %s", err);
    ptc_run_unlock(again);
    close(go[0]);
    close(go[1]);
    close(ready[0]);
    close(ready[1]);
    char lock[64];
    snprintf(lock, sizeof lock, "%s/.lock", dir);
    unlink(lock);
    rmdir(dir);
}

/* Every training is run by exactly one shard: a shard never trains another shard's
 * baseline (two shards once trained it into one folder at once); a resumed shard
 * skips only a training with both rows. */
PTC_TEST(experiment_shard_resumes_and_trains_only_its_own)
{
    /* 3 configurations (the first is the baseline) x 2 seeds; key i = c * 2 + s */
    const char *configs[] = {"baseline-p0", "PF-p0.9", "C-lc1"}, *seeds[] = {"1", "2"};
    ptc_experiment_plan plan;
    if (!ptc_check(ctx, ptc_experiment_plan_init(&plan, 3, 2) == 0, "plan"))
        return;
    for (size_t c = 0; c < 3; c++)
        for (size_t s = 0; s < 2; s++)
            ptc_experiment_plan_set(&plan, c, s, configs[c], seeds[s]);
    ptc_check(ctx, strcmp(plan.key[3], "PF-p0.9;seed=2") == 0, "key of PF seed 2: %s", plan.key[3]);
    bool seen[6] = {false};
    char path[] = "/tmp/ptc-test-exp-shard-XXXXXX";
    const int fd = mkstemp(path);
    if (!ptc_check(ctx, fd >= 0, "mkstemp"))
        return;
    /* shard 1..3 of 3, nothing written yet: every key written exactly once */
    for (int i = 1; i <= 3; i++) {
        ptc_shard s = {.index = i, .count = 3};
        const long n = ptc_experiment_plan_decide(&plan, path, &s);
        ptc_check(ctx, n == 2, "shard %d/3 writes 2 of 6 trainings, got %ld", i, n);
        for (int k = 0; k < 6; k++) {
            ptc_check(ctx, !(plan.write[k] && seen[k]), "key %s written by two shards", plan.key[k]);
            seen[k] |= plan.write[k];
        }
    }
    for (int k = 0; k < 6; k++)
        ptc_check(ctx, seen[k], "key %s written by no shard", plan.key[k]);
    /* both rows of PF seed 1 and the train row of C seed 2 are already there, plus a torn line */
    const char *rows = "{\"schema\":\"ptc.row/1\",\"config_id\":\"dataset=x;PF-p0.9;seed=1;phase=train\",\"status\":\"ok\"}\n"
                       "{\"schema\":\"ptc.row/1\",\"config_id\":\"dataset=x;PF-p0.9;seed=1;phase=infer\",\"status\":\"ok\"}\n"
                       "{\"schema\":\"ptc.row/1\",\"config_id\":\"dataset=x;C-lc1;seed=2;phase=train\",\"status\":\"ok\"}\n"
                       "{\"schema\":\"ptc.row/1\",\"config_id\":\"dataset=x;C-lc1;seed=2;phase=in";
    if (write(fd, rows, strlen(rows)) != (ssize_t)strlen(rows))
        ptc_check(ctx, false, "write rows");
    close(fd);
    ptc_shard all = {.index = 1, .count = 1};
    const long n = ptc_experiment_plan_decide(&plan, path, &all);
    ptc_check(ctx, n == 5 && !plan.write[2] && plan.write[5] && plan.write[0],
              "resume skips only a training with both rows: %ld to write", n);
    unlink(path);
    ptc_experiment_plan_free(&plan);
}

/* Writes text to dir/name (dir created). */
static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    mkdir(dir, 0777);
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The rows of dir/rows.jsonl whose config_id is id (and host, when given). */
static int count_rows_with(const char *dir, const char *id, const char *host)
{
    char p[512];
    snprintf(p, sizeof p, "%s/rows.jsonl", dir);
    FILE *f = fopen(p, "r");
    int n = 0;
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        json_t *row = json_loads(line, 0, NULL);
        const char *rid = json_string_value(json_object_get(row, "config_id"));
        const char *rhost = json_string_value(json_object_get(row, "host"));
        n += rid && strcmp(rid, id) == 0 && (!host || (rhost && strcmp(rhost, host) == 0));
        json_decref(row);
    }
    if (f)
        fclose(f);
    return n;
}

/* The row of dir/rows.jsonl whose config_id is id (a new reference), or NULL. */
static json_t *row_with(const char *dir, const char *id)
{
    char p[512], line[4096];
    snprintf(p, sizeof p, "%s/rows.jsonl", dir);
    FILE *f = fopen(p, "r");
    json_t *found = NULL;
    while (f && !found && fgets(line, sizeof line, f)) {
        json_t *row = json_loads(line, 0, NULL);
        const char *rid = json_string_value(json_object_get(row, "config_id"));
        if (rid && strcmp(rid, id) == 0)
            found = json_incref(row);
        json_decref(row);
    }
    if (f)
        fclose(f);
    return found;
}

static double num_at(const json_t *row, const char *key, const char *sub)
{
    const json_t *v = json_object_get(row, key);
    v = sub ? json_object_get(v, sub) : v;
    return json_is_number(v) ? json_number_value(v) : -1;
}

/* A shard's experiment rows whose BERT ran in another shard have no ratios; the merge
 * gives them the ratios against the merged BERT row of the same dataset, length, seed,
 * phase and sweep (the speedup only on the same CPU model) and leaves rows that have
 * ratios, and rows without a BERT row, as they are. */
PTC_TEST(merge_adds_experiment_ratios_against_the_merged_baseline)
{
    char root[] = "/tmp/ptc-test-merge-ratios-XXXXXX";
    if (!ptc_check(ctx, mkdtemp(root) != NULL, "mkdtemp"))
        return;
    char a[600], b[600], out[600];
    snprintf(a, sizeof a, "%s/shard-1-of-2", root);
    snprintf(b, sizeof b, "%s/shard-2-of-2", root);
    snprintf(out, sizeof out, "%s/merged", root);
#define ID(cfg, seed) "dataset=d;model=m;seq=32;" cfg ";seed=" seed ";phase=infer"
#define ROW(cfg, seed, variant, sweep, cpu, time, flops, act, rss, extra)                                  \
    "{\"schema\":\"ptc.row/1\",\"config_id\":\"" ID(cfg, seed) "\",\"status\":\"ok\",\"variant\":\""     \
    variant "\",\"sweep\":\"" sweep "\",\"cpu\":\"" cpu "\",\"accuracy\":0.5,\"time_s\":{\"median\":" time \
    "},\"flops\":{\"total\":" flops "},\"memory\":{\"activations\":" act ",\"peak_rss\":" rss "}" extra "}\n"
    put(a, "rows.jsonl",
        ROW("baseline-p0-lc0-m8", "1", "baseline", "train", "cpuA", "0.4", "1000", "800", "5000",
            ",\"speedup\":{\"median\":1},\"flops_ratio\":1,\"memory_ratio\":1,\"rss_ratio\":1"));
    put(b, "rows.jsonl",
        ROW("PF-p0.9-lc0-m8", "1", "prune", "train", "cpuA", "0.2", "500", "200", "4000", "")
        ROW("C-p0-lc1-m8", "1", "combine", "train", "cpuB", "0.1", "250", "100", "2500", "")
        ROW("PF-p0.9-lc0-m8", "2", "prune", "train", "cpuA", "0.2", "500", "200", "4000", "")
        ROW("PFC-p0.9-lc1-m8", "1", "combined", "train", "cpuA", "0.2", "500", "200", "4000",
            ",\"speedup\":{\"median\":7}")
        ROW("prune-clamp-p0.5-lc0-m0", "1", "prune", "inference", "cpuA", "0.2", "500", "200", "4000", ""));
#undef ROW
    char *argv[] = {"merge", a, b, "--out", out, NULL};
    ptc_check(ctx, ptc_merge_main(5, argv) == 0, "merge runs");
    json_t *pf = row_with(out, ID("PF-p0.9-lc0-m8", "1")), *c = row_with(out, ID("C-p0-lc1-m8", "1")),
           *pf2 = row_with(out, ID("PF-p0.9-lc0-m8", "2")), *pfc = row_with(out, ID("PFC-p0.9-lc1-m8", "1")),
           *sweep = row_with(out, ID("prune-clamp-p0.5-lc0-m0", "1"));
    if (ptc_check(ctx, pf && c && pf2 && pfc && sweep, "every row merged")) {
        ptc_check(ctx, num_at(pf, "speedup", "median") == 0.4 / 0.2 && num_at(pf, "flops_ratio", NULL) == 0.5 &&
                           num_at(pf, "memory_ratio", NULL) == 0.25 && num_at(pf, "rss_ratio", NULL) == 0.8,
                  "PF seed 1 against BERT seed 1: speedup %g, FLOPs %g, memory %g, RSS %g",
                  num_at(pf, "speedup", "median"), num_at(pf, "flops_ratio", NULL),
                  num_at(pf, "memory_ratio", NULL), num_at(pf, "rss_ratio", NULL));
        ptc_check(ctx, !json_object_get(c, "speedup") && num_at(c, "flops_ratio", NULL) == 0.25,
                  "C on another CPU: FLOPs ratio, no speedup");
        ptc_check(ctx, !json_object_get(pf2, "speedup") && !json_object_get(pf2, "flops_ratio"),
                  "seed 2 has no BERT row: no ratios");
        ptc_check(ctx, num_at(pfc, "speedup", "median") == 7 && !json_object_get(pfc, "flops_ratio"),
                  "a row with ratios is left as it is");
        ptc_check(ctx, !json_object_get(sweep, "speedup"), "an inference-sweep row is not an experiment run's");
    }
    json_decref(pf);
    json_decref(c);
    json_decref(pf2);
    json_decref(pfc);
    json_decref(sweep);
#undef ID
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ptc_check(ctx, system(cmd) == 0, "cleanup");
}

PTC_TEST(merge_deduplicates_and_never_pools_hosts)
{
    char root[] = "/tmp/ptc-test-merge-XXXXXX";
    if (!ptc_check(ctx, mkdtemp(root) != NULL, "mkdtemp"))
        return;
    char a[600], b[600], c[600], out[600];
    snprintf(a, sizeof a, "%s/a", root);
    snprintf(b, sizeof b, "%s/b", root);
    snprintf(c, sizeof c, "%s/c", root);
    snprintf(out, sizeof out, "%s/merged", root);
#define ROW(id, status, cpu, extra)                                                                  \
    "{\"schema\":\"ptc.row/1\",\"run\":\"r\",\"config_id\":\"" id "\",\"status\":\"" status          \
    "\",\"cpu\":\"" cpu "\"" extra "}\n"
    /* host A: k1 ok, k2 error then (resumed) ok, a training of seed 1 */
    put(a, "shard.json", "{\"schema\":\"ptc.shard/1\",\"command\":\"bench\",\"name\":\"t\",\"shard\":1,"
                         "\"count\":2,\"host\":\"hostA\",\"state\":\"done\"}");
    put(a, "rows.jsonl", ROW("k1", "ok", "cpuA", "") ROW("k2", "error", "cpuA", "")
                             ROW("k2", "ok", "cpuA", "") ROW("acc1", "ok", "cpuA", ",\"accuracy\":0.9"));
    /* host B: the same timing configuration k1 on another CPU, and the same training */
    put(b, "shard.json", "{\"schema\":\"ptc.shard/1\",\"command\":\"bench\",\"name\":\"t\",\"shard\":2,"
                         "\"count\":2,\"host\":\"hostB\",\"state\":\"done\"}");
    put(b, "rows.jsonl", ROW("k1", "ok", "cpuB", "") ROW("acc1", "ok", "cpuB", ",\"accuracy\":0.8")
                             ROW("k3", "error", "cpuB", ""));
    /* the same folder as A again (a shard merged twice) */
    put(c, "rows.jsonl", ROW("k1", "ok", "cpuA", ",\"host\":\"hostA\""));
#undef ROW
    char *argv[] = {"merge", a, b, c, "--out", out, NULL};
    ptc_check(ctx, ptc_merge_main(6, argv) == 0, "merge runs");
    ptc_check(ctx, count_rows_with(out, "k1", "hostA") == 1, "k1 of host A once");
    ptc_check(ctx, count_rows_with(out, "k1", "hostB") == 1, "k1 of host B kept apart from host A");
    ptc_check(ctx, count_rows_with(out, "k2", NULL) == 1, "k2 once");
    ptc_check(ctx, count_rows_with(out, "acc1", NULL) == 1, "a training counted once across hosts");
    ptc_check(ctx, count_rows_with(out, "k3", NULL) == 1, "an error row without an ok row is kept");
    char p[700];
    snprintf(p, sizeof p, "%s/rows.jsonl", out);
    FILE *f = fopen(p, "r");
    char line[4096];
    bool k2_ok = false;
    while (f && fgets(line, sizeof line, f))
        k2_ok |= strstr(line, "\"k2\"") && strstr(line, "\"ok\"");
    if (f)
        fclose(f);
    ptc_check(ctx, k2_ok, "the ok row of k2 wins over its error row");
    /* a folder of rows that merge did not write is never overwritten */
    char *argv2[] = {"merge", b, "--out", a, NULL};
    ptc_check(ctx, ptc_merge_main(4, argv2) == 1 && count_rows_with(a, "k2", NULL) == 2,
              "merging into a run folder is refused and leaves it alone");
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ptc_check(ctx, system(cmd) == 0, "cleanup");
}
