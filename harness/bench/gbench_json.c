/*
 * harness/bench/gbench_json.c — the run's one `gbench.json` (Google Benchmark's JSON
 * schema, readable by GB's tools/compare.py), grown group by group; and the benchmark
 * name of a configuration. Contract: harness/bench/gbench_json.h.
 *
 * Names are built from the configuration's own values, never from its place in a
 * sweep, so two runs (two sweeps, two CPUs, two commits) name one configuration
 * alike and compare.py matches it:
 *   LEVEL/VARIANT[/p:P][/lc:LC][/m:M][/keep:K,K..][/r:R][/theta:T]/MODEL/seq:N/batch:B/ISA/threads:T
 *   [/pad:padded][/project_kept:off][/train]
 * VARIANT is the paper's name without its L_c (BERT, P, PF, PF-within, C, PFC, P+C,
 * PF-within+C) or TopK, LTP, ToMe (keep: TopK's keep-ratio list, r: ToMe's, theta:
 * LTP's threshold); MODEL is the preset's name, or HxLxAxFFN for a custom shape.
 *
 * A group's suite writes GB's own JSON (names with GB's suffixes such as
 * "/min_time:0.050/repeats:9/real_time", which differ between runs). The merge
 * renames each entry to its case's name (aggregates NAME_median, NAME_cv, ...: GB's
 * convention), keeps only the configurations the run writes rows for, replaces any
 * earlier entries of those configurations (a --resume that times them again), and
 * rewrites the file through a temporary file and rename.
 */
#include "bench/gbench_json.h"

#include "common/rows.h" /* ptc_json_write_file */
#include "common/sys.h"  /* ptc_path_exists */

#include <errno.h>
#include <stdio.h>
#include <string.h>

void ptc_gbench_config_name(const ptc_sweep_config *c, char *out, size_t len)
{
    char variant[40];
    snprintf(variant, sizeof variant, "%s", c->label);
    char *l = strchr(variant, ' ');
    if (l)
        *l = '\0'; /* "PFC L7" -> "PFC", "ToMe r8" -> "ToMe": L_c and r are their own parts */
    size_t n = (size_t)snprintf(out, len, "%s/%s", ptc_level_name(c->level), variant);
#define ADD(...) (n += n < len ? (size_t)snprintf(out + n, len - n, __VA_ARGS__) : 0)
    if (c->has_p)
        ADD("/p:%.10g", c->p);
    if (c->has_lc)
        ADD("/lc:%d", c->lc);
    if (c->has_m)
        ADD("/m:%d", c->m);
    for (size_t i = 0; c->has_keep && i < c->keep.n; i++)
        ADD("%s%.10g", i ? "," : "/keep:", c->keep.v[i]);
    if (c->has_tome_r)
        ADD("/r:%d", c->tome_r);
    if (c->has_ltp)
        ADD("/theta:%.10g", c->ltp_threshold);
    if (strcmp(c->model.name, "custom") == 0)
        ADD("/%dx%dx%dx%d", c->model.hidden, c->model.layers, c->model.heads, c->model.ffn);
    else
        ADD("/%s", c->model.name);
    ADD("/seq:%d/batch:%d/%s/threads:%d", c->seq, c->batch, c->isa, c->threads);
    if (c->level != PTC_LEVEL_KERNEL && c->pad != PTC_PAD_LENGTH_AWARE)
        ADD("/pad:%s", ptc_pad_name(c->pad));
    if (c->has_project && !c->project_kept)
        ADD("/project_kept:off");
    if (c->train)
        ADD("/train");
#undef ADD
}

/* Index of the case whose name is the longest one that run_name starts with (then
 * "/" or its end): GB names a case NAME or NAME/<its suffixes>. -1 when none. */
static long case_of(const char *run_name, const char *const *names, size_t n)
{
    long best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t l = strlen(names[i]);
        if (l > best_len && strncmp(run_name, names[i], l) == 0 &&
            (run_name[l] == '\0' || run_name[l] == '/')) {
            best = (long)i;
            best_len = l;
        }
    }
    return best;
}

/* Entries of the part, renamed, of the kept cases, into out; their names into
 * replaced (an object used as a set). */
static void take_entries(const json_t *part_benchmarks, const char *const *names,
                         const bool *keep, size_t n, json_t *out, json_t *replaced)
{
    size_t i;
    json_t *e;
    json_array_foreach(part_benchmarks, i, e) {
        const char *run_name = json_string_value(json_object_get(e, "run_name"));
        if (!run_name)
            run_name = json_string_value(json_object_get(e, "name"));
        const long k = run_name ? case_of(run_name, names, n) : -1;
        if (k < 0 || !keep[k])
            continue;
        json_t *copy = json_deep_copy(e);
        const char *agg = json_string_value(json_object_get(e, "aggregate_name"));
        const char *type = json_string_value(json_object_get(e, "run_type"));
        char name[1024];
        if (type && strcmp(type, "aggregate") == 0 && agg)
            snprintf(name, sizeof name, "%s_%s", names[k], agg);
        else
            snprintf(name, sizeof name, "%s", names[k]);
        json_object_set_new(copy, "name", json_string(name));
        json_object_set_new(copy, "run_name", json_string(names[k]));
        json_array_append_new(out, copy);
        json_object_set_new(replaced, names[k], json_true());
    }
}

int ptc_gbench_json_merge(const char *dest, const char *part, const char *const *names,
                          const bool *keep, size_t n, char *err, size_t errlen)
{
    json_error_t je;
    json_t *p = json_load_file(part, 0, &je);
    if (!p || !json_is_array(json_object_get(p, "benchmarks"))) {
        snprintf(err, errlen, "cannot read %s: %s", part, p ? "no \"benchmarks\"" : je.text);
        json_decref(p);
        return -1;
    }
    json_t *d = NULL;
    if (ptc_path_exists(dest)) {
        d = json_load_file(dest, 0, &je);
        if (!d || !json_is_array(json_object_get(d, "benchmarks"))) {
            snprintf(err, errlen, "cannot read %s (left as it is): %s", dest,
                     d ? "no \"benchmarks\"" : je.text);
            json_decref(d);
            json_decref(p);
            return -1;
        }
    }
    json_t *fresh = json_array(), *replaced = json_object();
    take_entries(json_object_get(p, "benchmarks"), names, keep, n, fresh, replaced);

    json_t *doc = json_object();
    json_t *context = d ? json_object_get(d, "context") : NULL;
    if (!context)
        context = json_object_get(p, "context");
    json_object_set(doc, "context", context ? context : json_object());
    json_t *all = json_array();
    if (d) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(d, "benchmarks"), i, e) {
            const char *rn = json_string_value(json_object_get(e, "run_name"));
            if (!rn || !json_object_get(replaced, rn))
                json_array_append(all, e);
        }
    }
    json_array_extend(all, fresh);
    json_object_set_new(doc, "benchmarks", all);
    const int rc = ptc_json_write_file(dest, doc, 0);
    if (rc != 0)
        snprintf(err, errlen, "cannot write %s: %s", dest, strerror(errno));
    json_decref(doc);
    json_decref(fresh);
    json_decref(replaced);
    json_decref(d);
    json_decref(p);
    return rc;
}
