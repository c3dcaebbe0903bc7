/*
 * harness/cluster/merge.c — `ptc merge RUN... --out DIR`: shard folders (or any run
 * folders) into one run that ptc table, plot and compare read.
 *
 * Inputs: run folders, or folders searched for them (ptc_cluster_find_runs). Every
 * row of every input is read; rows are the same measurement when they have the same
 * KEY:
 *   accuracy rows (ptc experiment: a row with "accuracy")  config_id
 *   timing rows (ptc bench)                                 config_id, host, cpu
 * so timing rows of different hosts are never pooled (each keeps its cpu, and
 * tables show the CPUs side by side), while a training that two shards both ran
 * (a requeued task on another node) counts once. Of rows with one key the first ok
 * row (in input order) is kept, an error row only when no ok row exists.
 *
 * Output: DIR/rows.jsonl (rows in input order; each row gets "run" = basename of
 * DIR, "source_run" = its run before, and "host" from its shard.json where the row
 * has none; an experiment row without ratios, whose baseline ran in another shard,
 * gets them against the merged baseline row, the speedup only on the same CPU model),
 * DIR/predictions/ (the per-document predictions of the experiment rows kept, as in
 * an unsharded experiment's folder) and DIR/merge.json (schema ptc.merge/1: inputs,
 * rows, duplicates, hosts, missing shards). Each is written to a temporary file and
 * renamed, under DIR's lock; a DIR holding rows that ptc merge did not write is refused (nothing
 * already written is lost). A shard missing from a set (shard.json count N, some
 * index absent) is reported on stderr and in merge.json.
 */
#define _GNU_SOURCE
#include "cluster/cluster.h"
#include "common/sys.h"
#include "cluster/lock.h"
#include "cluster/shard.h"

#include "common/rows.h"
#include "common/rows_read.h"
#include "learn/train.h" /* ptc_accuracy_row_ratios */

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool file_exists(const char *dir, const char *name)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* The measurement a row is: see the header. malloc'ed. */
static char *row_key(const json_t *row, const char *host)
{
    const char *id = ptc_row_str(row, "config_id"), *cpu = ptc_row_str(row, "cpu");
    char *key = NULL;
    int r;
    if (json_object_get(row, "accuracy"))
        r = asprintf(&key, "accuracy\x1f%s", id ? id : "");
    else
        r = asprintf(&key, "timing\x1f%s\x1f%s\x1f%s", id ? id : "", host, cpu ? cpu : "");
    return r < 0 ? NULL : key;
}

/* Shard sets of the inputs and the indices missing from them, as JSON; each missing
 * shard also on stderr. */
static json_t *missing_shards(json_t *inputs)
{
    json_t *missing = json_array();
    for (size_t i = 0; i < json_array_size(inputs); i++) {
        json_t *a = json_array_get(inputs, i);
        const json_int_t count = json_integer_value(json_object_get(a, "count"));
        const char *name = json_string_value(json_object_get(a, "name"));
        if (count <= 0 || !name)
            continue;
        bool first = true; /* handle each (name, count) set once */
        for (size_t j = 0; j < i && first; j++) {
            json_t *b = json_array_get(inputs, j);
            first = !(json_integer_value(json_object_get(b, "count")) == count &&
                      json_equal(json_object_get(b, "name"), json_object_get(a, "name")));
        }
        for (json_int_t k = 1; first && k <= count; k++) {
            bool found = false;
            for (size_t j = 0; j < json_array_size(inputs) && !found; j++) {
                json_t *b = json_array_get(inputs, j);
                found = json_integer_value(json_object_get(b, "count")) == count &&
                        json_integer_value(json_object_get(b, "shard")) == k &&
                        json_equal(json_object_get(b, "name"), json_object_get(a, "name"));
            }
            if (!found) {
                char text[300];
                snprintf(text, sizeof text, "%s shard %lld/%lld", name, (long long)k, (long long)count);
                fprintf(stderr, "ptc merge: warning: %s is missing from the inputs\n", text);
                json_array_append_new(missing, json_string(text));
            }
        }
    }
    return missing;
}

/* Writes text atomically (temporary file, rename). */
static int write_atomic(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX + 64], tmp[PATH_MAX + 96];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld", dir, name, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    const bool ok = fputs(text, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ptc merge RUN... --out DIR\n"
               "  RUN: a run folder (rows.jsonl), e.g. a shard's, or a folder searched for them\n"
               "  (4 levels deep). Rows are de-duplicated by config id (accuracy rows) or by\n"
               "  config id, host and CPU (timing rows: hosts are never pooled). DIR gets\n"
               "  rows.jsonl and merge.json; `ptc table DIR`, `ptc plot DIR`, `ptc compare`.\n");
}

/* Reads every input run into set and inputs (JSON per input: path, rows, shard
 * fields); hosts[i] is the host of set->rows[i] (borrowed from inputs). */
static int read_inputs(char **dirs, size_t n_dirs, ptc_rowset *set, json_t *inputs,
                       const char ***hosts)
{
    const ptc_load_opts lo = {.prog = "ptc merge"};
    for (size_t d = 0; d < n_dirs; d++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/shard.json", dirs[d]);
        json_t *shard = json_load_file(path, 0, NULL);
        json_t *in = json_object();
        json_object_set_new(in, "path", json_string(dirs[d]));
        static const char *const keep[] = {"name", "shard", "count", "host", "cpu", "state", NULL};
        for (int k = 0; shard && keep[k]; k++)
            if (json_object_get(shard, keep[k]))
                json_object_set(in, keep[k], json_object_get(shard, keep[k]));
        json_decref(shard);
        const size_t before = set->n;
        snprintf(path, sizeof path, "%s/rows.jsonl", dirs[d]);
        if (file_exists(dirs[d], "rows.jsonl") && ptc_rows_load(set, path, &lo) != 0)
            return -1;
        json_object_set_new(in, "rows", json_integer((json_int_t)(set->n - before)));
        json_array_append_new(inputs, in);
        const char **grown = realloc(*hosts, (set->n ? set->n : 1) * sizeof *grown);
        if (!grown)
            return -1;
        *hosts = grown;
        const char *host = json_string_value(json_object_get(in, "host"));
        for (size_t i = before; i < set->n; i++) {
            const char *own = ptc_row_str(set->rows[i].obj, "host");
            grown[i] = own ? own : host ? host : "";
        }
    }
    return 0;
}

/* keep[i]: row i is the one kept of its key. Returns the duplicates dropped, or -1. */
static long choose_rows(const ptc_rowset *set, const char *const *hosts, bool *keep)
{
    char **keys = calloc(set->n ? set->n : 1, sizeof *keys);
    ptc_id_ref *sorted = calloc(set->n ? set->n : 1, sizeof *sorted);
    long dropped = keys && sorted ? 0 : -1;
    for (size_t i = 0; dropped == 0 && i < set->n; i++) {
        keys[i] = row_key(set->rows[i].obj, hosts[i]);
        sorted[i] = (ptc_id_ref){keys[i], i};
        if (!keys[i])
            dropped = -1;
    }
    if (dropped == 0)
        qsort(sorted, set->n, sizeof *sorted, ptc_id_ref_cmp);
    for (size_t i = 0; i < set->n && dropped >= 0;) {
        size_t j = i, pick = i;
        while (j < set->n && strcmp(sorted[j].id, sorted[i].id) == 0)
            j++;
        for (size_t k = j; k-- > i;) { /* the first ok row, else the first row */
            const char *status = ptc_row_str(set->rows[sorted[k].index].obj, "status");
            if (status && strcmp(status, "ok") == 0)
                pick = k;
        }
        keep[sorted[pick].index] = true;
        dropped += (long)(j - i - 1);
        i = j;
    }
    for (size_t i = 0; keys && i < set->n; i++)
        free(keys[i]);
    free(keys);
    free(sorted);
    return dropped;
}

/* The command line: RUN... into paths, --out. -1 to go on, or the exit code (0 after
 * --help, 2 after a message). */
static int parse_args(int argc, char **argv, const char **out, char **paths, size_t *n_paths)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            *out = argv[++i];
        else if (strncmp(argv[i], "--out=", 6) == 0)
            *out = argv[i] + 6;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "ptc merge: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        } else
            paths[(*n_paths)++] = argv[i];
    }
    if (!*out || *n_paths == 0) {
        fprintf(stderr, "ptc merge: give RUN... and --out DIR (try --help)\n");
        return 2;
    }
    return -1;
}

/* The baseline key of an experiment row: its config_id
 * "dataset=D;model=M;seq=S;<configuration>;seed=N;phase=P" without the configuration,
 * and its sweep ("train" for `ptc experiment`). false when the row has no such id. */
static bool baseline_key(const json_t *row, char *out, size_t len)
{
    const char *id = ptc_row_str(row, "config_id"), *sweep = ptc_row_str(row, "sweep");
    const char *seed = id ? strstr(id, ";seed=") : NULL, *cfg = id;
    for (int k = 0; k < 3 && cfg; k++)
        cfg = strchr(cfg, ';') ? strchr(cfg, ';') + 1 : NULL;
    if (!seed || !cfg || cfg > seed || !json_object_get(row, "accuracy"))
        return false;
    const int n = snprintf(out, len, "%.*s%s\x1f%s", (int)(cfg - 1 - id), id, seed, sweep ? sweep : "");
    return n > 0 && (size_t)n < len;
}

/* Rows of `ptc experiment` without ratios (a shard's rows whose baseline run was another
 * shard's) get them against the ok baseline row of the same dataset, model, length, seed,
 * phase and sweep among rows (harness/learn/accuracy_row.c); the speedup only when both
 * ran on the same CPU model (timings of different CPUs are never compared). 0, or -1 out
 * of memory. */
static int add_missing_ratios(json_t *rows)
{
    const size_t n = json_array_size(rows);
    ptc_id_ref *bases = calloc(n ? n : 1, sizeof *bases);
    size_t nb = 0;
    char key[1024];
    int rc = bases ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *row = json_array_get(rows, i);
        const char *variant = ptc_row_str(row, "variant"), *status = ptc_row_str(row, "status");
        if (!variant || strcmp(variant, "baseline") != 0 || !status || strcmp(status, "ok") != 0 ||
            !baseline_key(row, key, sizeof key))
            continue;
        char *copy = strdup(key);
        if (copy)
            bases[nb++] = (ptc_id_ref){copy, i};
        else
            rc = -1;
    }
    if (rc == 0)
        qsort(bases, nb, sizeof *bases, ptc_id_ref_cmp);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *row = json_array_get(rows, i);
        if (json_object_get(row, "speedup") || !baseline_key(row, key, sizeof key))
            continue;
        const ptc_id_ref want = {key, 0}; /* index 0: the first baseline of the key */
        size_t lo = 0, hi = nb;
        while (lo < hi) {
            const size_t mid = lo + (hi - lo) / 2;
            if (ptc_id_ref_cmp(&bases[mid], &want) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == nb || strcmp(bases[lo].id, key) != 0)
            continue;
        json_t *base = json_array_get(rows, bases[lo].index);
        ptc_accuracy_row_ratios(row, base);
        const char *cpu = ptc_row_str(row, "cpu"), *base_cpu = ptc_row_str(base, "cpu");
        if (!cpu || !base_cpu || strcmp(cpu, base_cpu) != 0)
            json_object_del(row, "speedup");
    }
    for (size_t i = 0; i < nb; i++)
        free((char *)bases[i].id);
    free(bases);
    return rc;
}

/* The merged rows (keep[i]), in input order, as JSON lines in *text: each with "run" = run,
 * "source_run" = its run before, and "host" where it has none, and the ratios an experiment
 * row lacks (add_missing_ratios); the hosts seen go to host_list. 0, or -1 out of memory. */
static int merged_rows(const ptc_rowset *set, const bool *keep, const char **hosts, const char *run,
                       char **text, size_t *kept, size_t *n_err, json_t *host_list)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < set->n; i++) {
        if (!keep[i])
            continue;
        json_t *row = json_deep_copy(set->rows[i].obj);
        if (json_object_get(row, "run"))
            json_object_set(row, "source_run", json_object_get(row, "run"));
        json_object_set_new(row, "run", json_string(run));
        if (hosts[i][0] && !json_object_get(row, "host"))
            json_object_set_new(row, "host", json_string(hosts[i]));
        bool seen = false;
        for (size_t h = 0; h < json_array_size(host_list) && !seen; h++)
            seen = strcmp(json_string_value(json_array_get(host_list, h)), hosts[i]) == 0;
        if (!seen)
            json_array_append_new(host_list, json_string(hosts[i]));
        json_array_append_new(rows, row);
        const char *status = ptc_row_str(set->rows[i].obj, "status");
        *n_err += !(status && strcmp(status, "ok") == 0);
    }
    size_t size = 0;
    FILE *f = add_missing_ratios(rows) == 0 ? open_memstream(text, &size) : NULL;
    bool ok = f != NULL;
    for (size_t i = 0; ok && i < json_array_size(rows); i++) {
        char *line = ptc_row_line(json_array_get(rows, i));
        ok = line && fputs(line, f) >= 0;
        free(line);
    }
    *kept = json_array_size(rows);
    json_decref(rows);
    if (f && fclose(f) != 0)
        ok = false;
    return ok ? 0 : -1;
}

/* Copies src to dst (a temporary file renamed over it). 0, or -1 with errno. */
static int copy_file(const char *src, const char *dst)
{
    char tmp[2 * PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", dst, (long)getpid());
    FILE *in = fopen(src, "rb"), *out = in ? fopen(tmp, "wb") : NULL;
    char buf[1 << 15];
    size_t n;
    bool ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    if (in)
        fclose(in);
    if (out && (fflush(out) != 0 || fsync(fileno(out)) != 0))
        ok = false;
    if (out && fclose(out) != 0)
        ok = false;
    if (!ok || rename(tmp, dst) != 0) {
        const int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* The per-document predictions of the kept rows of `ptc experiment` ("predictions":
 * "predictions/NAME.tsv", relative to the row's run folder) are copied into
 * DIR/predictions/, so the merged run is read like an unsharded one (McNemar and the
 * paired bootstrap of `ptc table --kind tests` read them). Other paths are left alone.
 * 0, or -1 after a message. */
static int copy_predictions(const ptc_rowset *set, const bool *keep, const char *out)
{
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/predictions", out);
    bool made = false;
    for (size_t i = 0; i < set->n; i++) {
        const char *p = keep[i] ? ptc_row_str(set->rows[i].obj, "predictions") : NULL;
        if (!p || strncmp(p, "predictions/", 12) != 0 || strchr(p + 12, '/') || p[12] == '.' ||
            !set->rows[i].file)
            continue;
        char from_dir[PATH_MAX], src[2 * PATH_MAX], dst[2 * PATH_MAX];
        snprintf(from_dir, sizeof from_dir, "%s", set->rows[i].file);
        snprintf(src, sizeof src, "%s/%s", dirname(from_dir), p);
        snprintf(dst, sizeof dst, "%s/%s", out, p);
        if (access(src, R_OK) != 0 || strcmp(src, dst) == 0)
            continue;
        if ((!made && ptc_mkdir_p(dir) != 0) || copy_file(src, dst) != 0) {
            fprintf(stderr, "ptc merge: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
            return -1;
        }
        made = true;
    }
    return 0;
}

/* DIR/rows.jsonl (text) and DIR/merge.json (the summary: inputs, counts, hosts, missing
 * shards; host_list is taken). 0, or -1 with errno. */
static int write_merge(const char *out, const char *run, json_t *inputs, size_t kept, size_t n_err,
                       long dropped, json_t *host_list, const char *text)
{
    json_t *summary = json_object();
    json_object_set_new(summary, "schema", json_string("ptc.merge/1"));
    json_object_set_new(summary, "run", json_string(run));
    json_object_set(summary, "inputs", inputs);
    json_object_set_new(summary, "rows", json_integer((json_int_t)kept));
    json_object_set_new(summary, "error_rows", json_integer((json_int_t)n_err));
    json_object_set_new(summary, "duplicates_dropped", json_integer(dropped));
    json_object_set_new(summary, "hosts", host_list);
    json_object_set_new(summary, "missing_shards", missing_shards(inputs));
    char *summary_text = json_dumps(summary, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(summary);
    const int rc = write_atomic(out, "rows.jsonl", text ? text : "") != 0 ||
                           write_atomic(out, "merge.json", summary_text ? summary_text : "{}") != 0
                       ? -1
                       : 0;
    free(summary_text);
    return rc;
}

/* The output folder, created, not holding rows of another kind, and locked. The lock's fd,
 * or -1 after a message. */
static int open_output(const char *out)
{
    if (ptc_mkdir_p(out) != 0) {
        fprintf(stderr, "ptc merge: cannot create %s: %s\n", out, strerror(errno));
        return -1;
    }
    if (file_exists(out, "rows.jsonl") && !file_exists(out, "merge.json")) {
        fprintf(stderr, "ptc merge: %s holds rows that ptc merge did not write; give another --out\n", out);
        return -1;
    }
    char err[600];
    const int lock_fd = ptc_run_lock(out, err, sizeof err);
    if (lock_fd < 0)
        fprintf(stderr, "ptc merge: %s\n", err);
    return lock_fd;
}

int ptc_merge_main(int argc, char **argv)
{
    const char *out = NULL;
    char **paths = calloc((size_t)argc, sizeof *paths);
    size_t n_paths = 0;
    const int arg_rc = parse_args(argc, argv, &out, paths, &n_paths);
    if (arg_rc >= 0) {
        free(paths);
        return arg_rc;
    }
    const int lock_fd = open_output(out);
    if (lock_fd < 0) {
        free(paths);
        return 1;
    }
    int rc = 1;
    char **dirs = NULL;
    size_t n_dirs = 0;
    ptc_rowset set;
    ptc_rows_init(&set);
    json_t *inputs = json_array();
    const char **hosts = NULL;
    bool *keep = NULL;
    char *text = NULL;
    for (size_t i = 0; i < n_paths; i++)
        if (ptc_cluster_find_runs(paths[i], out, &dirs, &n_dirs) != 0) {
            fprintf(stderr, "ptc merge: cannot read %s: %s\n", paths[i], strerror(errno));
            goto done;
        }
    if (n_dirs == 0) {
        fprintf(stderr, "ptc merge: no run folder (rows.jsonl) under the inputs\n");
        goto done;
    }
    if (read_inputs(dirs, n_dirs, &set, inputs, &hosts) != 0)
        goto done;
    keep = calloc(set.n ? set.n : 1, sizeof *keep);
    const long dropped = keep ? choose_rows(&set, hosts, keep) : -1;
    if (dropped < 0) {
        fprintf(stderr, "ptc merge: out of memory\n");
        goto done;
    }
    char outcopy[PATH_MAX];
    snprintf(outcopy, sizeof outcopy, "%s", out);
    const char *run = basename(outcopy);
    size_t kept = 0, n_err = 0;
    json_t *host_list = json_array();
    if (merged_rows(&set, keep, hosts, run, &text, &kept, &n_err, host_list) != 0) {
        json_decref(host_list);
        fprintf(stderr, "ptc merge: out of memory\n");
        goto done;
    }
    if (copy_predictions(&set, keep, out) != 0) {
        json_decref(host_list);
        goto done;
    }
    if (write_merge(out, run, inputs, kept, n_err, dropped, host_list, text) != 0) {
        fprintf(stderr, "ptc merge: cannot write into %s: %s\n", out, strerror(errno));
        goto done;
    }
    printf("merged %zu rows (%zu error) from %zu runs into %s/rows.jsonl; %ld duplicates dropped\n", kept,
           n_err, n_dirs, out, dropped);
    rc = 0;
done:
    free(text);
    free(keep);
    free(hosts);
    json_decref(inputs);
    ptc_rows_free(&set);
    ptc_cluster_free_runs(dirs, n_dirs);
    ptc_run_unlock(lock_fd);
    free(paths);
    return rc;
}
