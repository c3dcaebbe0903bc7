/*
 * harness/bench/sweep_rows.c — building, appending and reading result rows, and the
 * statistics rows carry. Contract: harness/bench/sweep_rows.h; fields: harness/SCHEMA.md.
 */
#define _GNU_SOURCE
#include "bench/sweep_rows.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void iso_utc_now(char *buf, size_t len)
{
    const time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *ptc_row_new(const ptc_sweep_config *c, const ptc_row_identity *id)
{
    json_t *r = json_object();
    if (!r)
        return NULL;
    char ts[32];
    iso_utc_now(ts, sizeof ts);
    json_object_set_new(r, "schema", json_string("ptc.row/1"));
    json_object_set_new(r, "run", json_string(id->run));
    json_object_set_new(r, "config_id", json_string(c->id));
    json_object_set_new(r, "status", json_string("ok"));
    json_object_set_new(r, "level", json_string(ptc_level_name(c->level)));
    json_object_set_new(r, "variant", json_string(ptc_sweep_variant_name(c->variant)));
    json_object_set_new(r, "label", json_string(c->label));
    json_object_set_new(r, "rule", c->has_rule ? json_string(ptc_rule_name(c->rule)) : json_null());
    json_object_set_new(r, "p", c->has_p ? json_real(c->p) : json_null());
    json_object_set_new(r, "lc", c->has_lc ? json_integer(c->lc) : json_null());
    json_object_set_new(r, "m", c->has_m ? json_integer(c->m) : json_null());
    if (ptc_variant_prunes_tokens(c->variant)) { /* TopK, LTP, ToMe only (other rows unchanged) */
        json_t *keep = c->has_keep ? json_array() : json_null();
        for (size_t i = 0; c->has_keep && i < c->keep.n; i++)
            json_array_append_new(keep, json_real(c->keep.v[i]));
        json_object_set_new(r, "keep_ratios", keep);
        json_object_set_new(r, "tome_r", c->has_tome_r ? json_integer(c->tome_r) : json_null());
        json_object_set_new(r, "ltp_threshold", c->has_ltp ? json_real(c->ltp_threshold) : json_null());
    }
    json_object_set_new(r, "pad_mode", json_string(ptc_pad_name(c->pad)));
    json_object_set_new(r, "project_kept", json_boolean(c->project_kept));
    json_object_set_new(r, "phase", json_string(c->train ? "train" : "infer"));
    json_object_set_new(r, "model", json_string(c->model.name));
    json_object_set_new(r, "hidden", json_integer(c->model.hidden));
    json_object_set_new(r, "layers", json_integer(c->model.layers));
    json_object_set_new(r, "heads", json_integer(c->model.heads));
    json_object_set_new(r, "ffn", json_integer(c->model.ffn));
    json_object_set_new(r, "seq", json_integer(c->seq));
    json_object_set_new(r, "batch", json_integer(c->batch));
    json_object_set_new(r, "isa", json_string(c->isa));
    json_object_set_new(r, "threads", json_integer(c->threads));
    json_object_set_new(r, "cpu", json_string(id->cpu));
    json_object_set_new(r, "cpu_slug", json_string(id->cpu_slug));
    json_object_set_new(r, "commit", json_string(id->commit));
    json_object_set_new(r, "dirty", json_boolean(id->dirty));
    json_object_set_new(r, "timestamp", json_string(ts));
    /* added to ptc.row/1 (readers ignore unknown fields): how it was measured */
    json_t *m = json_object();
    json_object_set_new(m, "reps_requested", json_integer(id->reps));
    json_object_set_new(m, "min_time_s", json_real(id->min_time_s));
    json_object_set_new(m, "warmup_s", json_real(id->warmup_s));
    json_object_set_new(m, "seed", json_integer((json_int_t)id->seed));
    json_object_set_new(m, "est_flops", json_real(c->est_flops));
    json_object_set_new(r, "measure", m);
    return r;
}

void ptc_row_set_error(json_t *row, const char *message)
{
    char line[512];
    snprintf(line, sizeof line, "%s", message && *message ? message : "failed");
    line[strcspn(line, "\r\n")] = '\0';
    json_object_set_new(row, "status", json_string("error"));
    json_object_set_new(row, "error", json_string(line));
    static const char *const measured[] = {
        "binding", "binding_verified", "time_s", "speedup", "flops", "flops_ratio", "gflops",
        "pct_peak", "memory", "memory_ratio", "rss_ratio", "kept", "calibration"};
    for (size_t i = 0; i < sizeof measured / sizeof measured[0]; i++)
        if (!json_object_get(row, measured[i]))
            json_object_set_new(row, measured[i], json_null());
}

size_t ptc_rows_pending(const ptc_sweep_config *configs, size_t n_configs, char *const *ids,
                        size_t n_ids, bool *pending)
{
    size_t count = 0;
    for (size_t i = 0; i < n_configs; i++) {
        pending[i] = !ptc_rows_contains(ids, n_ids, configs[i].id);
        count += pending[i];
    }
    return count;
}
