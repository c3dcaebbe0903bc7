/*
 * harness/cluster/shard.c — shards of a sweep or experiment: parsing, defaults from
 * the environment, the partition by sorted config id, shard.json (contract in shard.h).
 */
#define _GNU_SOURCE
#include "cluster/shard.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A whole decimal number in [lo, hi]; false otherwise. */
static bool parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int ptc_shard_parse(const char *text, ptc_shard *out, char *err, size_t err_len)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    char first[32];
    long i, n;
    if (!slash || (size_t)(slash - text) >= sizeof first) {
        snprintf(err, err_len, "--shard '%s': expected I/N (e.g. 2/4)", text ? text : "");
        return -1;
    }
    memcpy(first, text, (size_t)(slash - text));
    first[slash - text] = '\0';
    if (!parse_int(slash + 1, 1, 100000, &n) || !parse_int(first, 1, n, &i)) {
        snprintf(err, err_len, "--shard '%s': expected I/N with 1 <= I <= N", text);
        return -1;
    }
    out->index = (int)i;
    out->count = (int)n;
    snprintf(out->source, sizeof out->source, "--shard");
    return 0;
}

/* The shard of a Slurm array task or Kubernetes indexed job; 1 when found, 0 when the
 * environment names none, -1 with a reason when it is inconsistent. */
static int shard_from_env(long shards_given, ptc_shard *out, char *err, size_t err_len)
{
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *count = getenv("SLURM_ARRAY_TASK_COUNT");
    if (id && count) {
        const char *min_s = getenv("SLURM_ARRAY_TASK_MIN");
        long v, n, min = 0;
        if (!parse_int(count, 1, 100000, &n) || !parse_int(id, 0, 10000000, &v) ||
            (min_s && !parse_int(min_s, 0, 10000000, &min)) || v - min < 0 || v - min >= n) {
            snprintf(err, err_len, "SLURM_ARRAY_TASK_ID=%s (min %s) of SLURM_ARRAY_TASK_COUNT=%s is not "
                     "a shard: give --shard I/N", id, min_s ? min_s : "0", count);
            return -1;
        }
        out->index = (int)(v - min + 1);
        out->count = (int)n;
        snprintf(out->source, sizeof out->source, "SLURM_ARRAY_TASK_ID");
        return 1;
    }
    const char *k8s = getenv("JOB_COMPLETION_INDEX");
    if (k8s && shards_given > 0) {
        long v;
        if (!parse_int(k8s, 0, shards_given - 1, &v)) {
            snprintf(err, err_len, "JOB_COMPLETION_INDEX=%s is not below --shards %ld", k8s, shards_given);
            return -1;
        }
        out->index = (int)v + 1;
        out->count = (int)shards_given;
        snprintf(out->source, sizeof out->source, "JOB_COMPLETION_INDEX");
        return 1;
    }
    return 0;
}

int ptc_shard_take_args(int *argc, char **argv, ptc_shard *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    const char *shard = NULL, *shards = NULL;
    int w = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        const char *inline_value = NULL;
        if (strcmp(a, "--shard") == 0 || strcmp(a, "--shards") == 0) {
            dst = a[7] ? &shards : &shard;
            if (i + 1 >= *argc) {
                snprintf(err, err_len, "%s needs a value", a);
                return -1;
            }
        } else if (strncmp(a, "--shard=", 8) == 0) {
            dst = &shard;
            inline_value = a + 8;
        } else if (strncmp(a, "--shards=", 9) == 0) {
            dst = &shards;
            inline_value = a + 9;
        }
        if (!dst) {
            argv[w++] = argv[i];
            continue;
        }
        *dst = inline_value ? inline_value : argv[++i];
    }
    if (w < *argc)
        argv[w] = NULL;
    *argc = w;
    long n_shards = 0;
    if (shards && !parse_int(shards, 1, 100000, &n_shards)) {
        snprintf(err, err_len, "--shards '%s': expected a count >= 1", shards);
        return -1;
    }
    return ptc_shard_resolve(shard, n_shards, out, err, err_len);
}

int ptc_shard_resolve(const char *given, long shards, ptc_shard *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (given)
        return ptc_shard_parse(given, out, err, err_len);
    return shard_from_env(shards, out, err, err_len) < 0 ? -1 : 0;
}

int ptc_id_ref_cmp(const void *a, const void *b)
{
    const ptc_id_ref *x = a, *y = b;
    const int c = strcmp(x->id, y->id);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

size_t ptc_shard_select(const char *const *ids, size_t n, const ptc_shard *s, bool *mine)
{
    if (s->count <= 0) {
        for (size_t i = 0; i < n; i++)
            mine[i] = true;
        return n;
    }
    ptc_id_ref *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return (size_t)-1;
    for (size_t i = 0; i < n; i++)
        sorted[i] = (ptc_id_ref){ids[i], i};
    qsort(sorted, n, sizeof *sorted, ptc_id_ref_cmp);
    size_t rank = 0, count = 0;
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && strcmp(sorted[k].id, sorted[k - 1].id) != 0)
            rank++;
        const bool m = (int)(rank % (size_t)s->count) == s->index - 1;
        mine[sorted[k].index] = m;
        count += m;
    }
    free(sorted);
    return count;
}

void ptc_shard_suffix(const ptc_shard *s, char *out, size_t len)
{
    if (s->count > 0)
        snprintf(out, len, "-shard-%d-of-%d", s->index, s->count);
    else if (len)
        out[0] = '\0';
}

static void utc_now(char *out, size_t len)
{
    const time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ptc_shard_record(const char *dir, const ptc_shard *s, const char *command, const char *name,
                     const char *cpu, size_t n_configs, const char *state)
{
    char path[4200], tmp[4300], now[32], host[256] = "";
    snprintf(path, sizeof path, "%s/shard.json", dir);
    snprintf(tmp, sizeof tmp, "%s/.shard.json.%ld", dir, (long)getpid());
    utc_now(now, sizeof now);
    gethostname(host, sizeof host - 1);

    json_t *old = json_load_file(path, 0, NULL);
    json_t *started = old ? json_object_get(old, "started") : NULL;
    const bool same = old && json_integer_value(json_object_get(old, "shard")) == s->index &&
                      json_integer_value(json_object_get(old, "count")) == s->count;
    json_t *o = json_object();
    json_object_set_new(o, "schema", json_string("ptc.shard/1"));
    json_object_set_new(o, "command", json_string(command));
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "shard", json_integer(s->index));
    json_object_set_new(o, "count", json_integer(s->count));
    json_object_set_new(o, "source", json_string(s->source));
    json_object_set_new(o, "host", json_string(host));
    json_object_set_new(o, "cpu", json_string(cpu ? cpu : ""));
    json_object_set_new(o, "configurations", json_integer((json_int_t)n_configs));
    json_object_set_new(o, "state", json_string(state));
    const char *job = getenv("SLURM_ARRAY_JOB_ID"), *task = getenv("SLURM_ARRAY_TASK_ID"),
               *restarts = getenv("SLURM_RESTART_COUNT");
    char jobtext[96];
    snprintf(jobtext, sizeof jobtext, "%s_%s", job ? job : "", task ? task : "");
    json_object_set_new(o, "slurm_job", job ? json_string(jobtext) : json_null());
    json_object_set_new(o, "slurm_restarts", json_integer(restarts ? atoll(restarts) : 0));
    json_object_set_new(o, "started", same && json_is_string(started) ? json_copy(started)
                                                                        : json_string(now));
    json_object_set_new(o, "updated", json_string(now));
    int rc = json_dump_file(o, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0)
        unlink(tmp);
    json_decref(o);
    json_decref(old);
    return rc == 0 ? 0 : -1;
}
