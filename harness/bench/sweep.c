/*
 * harness/bench/sweep.c — sweep options, ranges, spec files and their expansion into
 * configurations (contract: harness/bench/sweep.h). No ops calls except the table
 * lookup that validates --isa; no OpenMP.
 */
#include "bench/sweep.h"

#include "common/options.h"
#include "ptc/ops.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIGS 20000

/* The text of harness/bench/default.sweep, turned into C string lines by the Makefile. */
const char ptc_default_sweep_text[] =
#include "default_sweep.inc"
    ;

static int fail(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return PTC_EINVAL;
}

/* ---- names ---------------------------------------------------------------------- */

static const char *const level_names[] = {"kernel", "layer", "encoder"};
static const char *const variant_names[] = {"baseline", "prune", "combine", "combined"};

const char *ptc_level_name(ptc_level l) { return level_names[l]; }
const char *ptc_sweep_variant_name(ptc_variant v) { return variant_names[v]; }

/* A preset of model/config.c as a sweep shape. */
static ptc_model_shape preset_shape(const ptc_model_preset *p)
{
    ptc_model_shape m = {.hidden = (int)p->hidden, .layers = (int)p->layers, .heads = (int)p->heads,
                         .ffn = (int)p->ffn};
    snprintf(m.name, sizeof m.name, "%s", p->name);
    return m;
}

/* ---- lists and ranges ------------------------------------------------------------- */

int ptc_sweep_parse_ints(const char *s, int *out, int max, int min_value, const char *what,
                         char *err, size_t err_len)
{
    double v[PTC_SWEEP_MAX_LIST];
    const int n = ptc_parse_list(s, v, max < PTC_SWEEP_MAX_LIST ? max : PTC_SWEEP_MAX_LIST, true,
                                what, err, err_len);
    for (int i = 0; i < n; i++) {
        if (v[i] < min_value)
            return fail(err, err_len, "%s: %.0f is below %d", what, v[i], min_value), -1;
        if (v[i] > 1e8)
            return fail(err, err_len, "%s: %.0f is too large", what, v[i]), -1;
        out[i] = (int)v[i];
    }
    return n;
}

int ptc_sweep_parse_doubles(const char *s, double *out, int max, const char *what, char *err,
                            size_t err_len)
{
    return ptc_parse_list(s, out, max, false, what, err, err_len);
}

static bool all_digits_commas(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != ',')
            return false;
    return true;
}

int ptc_sweep_parse_models(const char *s, ptc_model_shape *out, int max, char *err, size_t err_len)
{
    char pieces[PTC_SWEEP_MAX_MODELS][64];
    const int n_pieces = ptc_split_list(s, ';', pieces, PTC_SWEEP_MAX_MODELS);
    if (n_pieces < 0)
        return fail(err, err_len, "--model: malformed list '%s'", s), -1;
    int n = 0;
    for (int i = 0; i < n_pieces; i++) {
        if (all_digits_commas(pieces[i])) {
            int v[8];
            const int k = ptc_sweep_parse_ints(pieces[i], v, 8, 1, "--model", err, err_len);
            if (k != 4)
                return k < 0 ? -1
                             : (fail(err, err_len, "--model: '%s' needs hidden,layers,heads,ffn",
                                     pieces[i]), -1);
            if (v[0] % v[2] != 0)
                return fail(err, err_len, "--model: %d heads do not divide hidden %d", v[2], v[0]), -1;
            if (v[1] > PTC_MAX_LAYERS)
                return fail(err, err_len, "--model: %d layers, at most %d", v[1], PTC_MAX_LAYERS), -1;
            if (n >= max)
                return fail(err, err_len, "--model: more than %d models", max), -1;
            out[n] = (ptc_model_shape){"custom", v[0], v[1], v[2], v[3]};
            n++;
            continue;
        }
        char names[PTC_SWEEP_MAX_MODELS][64];
        const int k = ptc_split_list(pieces[i], ',', names, PTC_SWEEP_MAX_MODELS);
        if (k < 0)
            return fail(err, err_len, "--model: malformed list '%s'", pieces[i]), -1;
        for (int j = 0; j < k; j++) {
            char sub[200];
            const ptc_model_preset *p = ptc_parse_model_preset(names[j], sub, sizeof sub);
            if (!p)
                return fail(err, err_len, "--model: %s, or hidden,layers,heads,ffn", sub), -1;
            if (n >= max)
                return fail(err, err_len, "--model: more than %d models", max), -1;
            out[n++] = preset_shape(p);
        }
    }
    return n;
}

/* A list of names from `table` (n_names entries): indexes into out. */
static int parse_names(const char *s, const char *const *table, int n_names, int *out, int max,
                       const char *what, char *err, size_t len)
{
    char items[PTC_SWEEP_MAX_LIST][64];
    const int n = ptc_split_list(s, ',', items, max);
    if (n < 0)
        return fail(err, len, "%s: malformed list '%s'", what, s), -1;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < n_names && strcmp(table[k], items[i]) != 0)
            k++;
        if (k == n_names) {
            char known[128] = "";
            for (int j = 0; j < n_names; j++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", j ? ", " : "",
                         table[j]);
            return fail(err, len, "%s: unknown value '%s' (one of %s)", what, items[i], known), -1;
        }
        out[i] = k;
    }
    return n;
}

/* ---- options ---------------------------------------------------------------------- */

void ptc_sweep_opts_init(ptc_sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_sections = 1;
    o->reps = 5;
    o->min_time_s = 0.05;
    o->warmup_s = 0;
    o->seed = 1;
    snprintf(o->out, sizeof o->out, "results");
    o->bind = true;
}

static bool is_flag(const char *key)
{
    static const char *const flags[] = {"dry-run", "no-calibrate", "no-bind", "gbench-console"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(key, flags[i]) == 0)
            return true;
    return false;
}

/* Applies one option (key without the leading "--"). from_spec: a spec file line
 * (run-control options are refused there). */
static int apply(ptc_sweep_opts *o, const char *key, const char *val, bool from_spec, char *err,
                 size_t len)
{
    ptc_sweep_section *s = &o->sections[o->n_sections - 1];
    char what[48];
    snprintf(what, sizeof what, "--%s", key);
    int idx[PTC_SWEEP_MAX_LIST];
    int n;
#define DIM(cond) (o->sweep_given = true, (cond))
    if (strcmp(key, "level") == 0) {
        if ((n = parse_names(val, level_names, 3, idx, 3, what, err, len)) < 0)
            return PTC_EINVAL;
        for (int i = 0; i < n; i++)
            s->level[i] = (ptc_level)idx[i];
        s->n_level = DIM(n);
    } else if (strcmp(key, "variant") == 0) {
        char items[8][64];
        if ((n = ptc_split_list(val, ',', items, 8)) < 0)
            return fail(err, len, "--variant: malformed list '%s' (at most 8 names)", val);
        for (int i = 0; i < n; i++) {
            char sub[160];
            if (ptc_parse_variant(items[i], &s->variant[i], &s->variant_rule[i], sub, sizeof sub) != 0)
                return fail(err, len, "--variant: %s", sub);
        }
        s->n_variant = DIM(n);
    } else if (strcmp(key, "rule") == 0) {
        if ((n = parse_names(val, ptc_rule_names, 3, idx, 3, what, err, len)) < 0)
            return PTC_EINVAL;
        for (int i = 0; i < n; i++)
            s->rule[i] = (ptc_prune_rule)idx[i];
        s->n_rule = DIM(n);
    } else if (strcmp(key, "pad") == 0) {
        if ((n = parse_names(val, ptc_pad_names, 2, idx, 2, what, err, len)) < 0)
            return PTC_EINVAL;
        for (int i = 0; i < n; i++)
            s->pad[i] = (ptc_pad_mode)idx[i];
        s->n_pad = DIM(n);
    } else if (strcmp(key, "project-kept") == 0) {
        static const char *const onoff[] = {"off", "on"};
        if ((n = parse_names(val, onoff, 2, idx, 2, what, err, len)) < 0)
            return PTC_EINVAL;
        for (int i = 0; i < n; i++)
            s->project_kept[i] = idx[i] == 1;
        s->n_project = DIM(n);
    } else if (strcmp(key, "p") == 0) {
        if ((n = ptc_sweep_parse_doubles(val, s->p, PTC_SWEEP_MAX_LIST, what, err, len)) < 0)
            return PTC_EINVAL;
        for (int i = 0; i < n; i++)
            if (!(s->p[i] > 0 && s->p[i] <= 1))
                return fail(err, len, "--p: %g is outside (0, 1]", s->p[i]);
        s->n_p = DIM(n);
    } else if (strcmp(key, "lc") == 0) {
        if ((n = ptc_sweep_parse_ints(val, s->lc, PTC_SWEEP_MAX_LIST, 1, what, err, len)) < 0)
            return PTC_EINVAL;
        s->n_lc = DIM(n);
    } else if (strcmp(key, "m") == 0) {
        if ((n = ptc_sweep_parse_ints(val, s->m, PTC_SWEEP_MAX_LIST, 1, what, err, len)) < 0)
            return PTC_EINVAL;
        s->n_m = DIM(n);
    } else if (strcmp(key, "threads") == 0) {
        if ((n = ptc_sweep_parse_ints(val, s->threads, PTC_SWEEP_MAX_LIST, 1, what, err, len)) < 0)
            return PTC_EINVAL;
        s->n_threads = DIM(n);
    } else if (strcmp(key, "seq") == 0) {
        if ((n = ptc_sweep_parse_ints(val, s->seq, PTC_SWEEP_MAX_LIST, 1, what, err, len)) < 0)
            return PTC_EINVAL;
        s->n_seq = DIM(n);
    } else if (strcmp(key, "batch") == 0) {
        if ((n = ptc_sweep_parse_ints(val, s->batch, PTC_SWEEP_MAX_LIST, 1, what, err, len)) < 0)
            return PTC_EINVAL;
        s->n_batch = DIM(n);
    } else if (strcmp(key, "model") == 0) {
        if ((n = ptc_sweep_parse_models(val, s->model, PTC_SWEEP_MAX_MODELS, err, len)) < 0)
            return PTC_EINVAL;
        s->n_model = DIM(n);
    } else if (strcmp(key, "isa") == 0) {
        char items[PTC_SWEEP_MAX_ISAS][64];
        if ((n = ptc_split_list(val, ',', items, PTC_SWEEP_MAX_ISAS)) < 0)
            return fail(err, len, "--isa: malformed list '%s'", val);
        for (int i = 0; i < n; i++) {
            if (strlen(items[i]) >= sizeof s->isa[i])
                return fail(err, len, "--isa: unknown table '%s'", items[i]);
            snprintf(s->isa[i], sizeof s->isa[i], "%s", items[i]);
        }
        s->n_isa = DIM(n);
    } else if (strcmp(key, "reps") == 0) {
        int v;
        if (ptc_sweep_parse_ints(val, &v, 1, 1, what, err, len) != 1)
            return fail(err, len, "--reps wants one integer >= 1, not '%s'", val);
        o->reps = v;
        o->measurement_given = true;
    } else if (strcmp(key, "min-time") == 0 || strcmp(key, "warmup") == 0) {
        char *end;
        const double v = strtod(val, &end);
        if (end == val || *end || !(v >= 0 && v <= 60))
            return fail(err, len, "%s wants seconds in [0, 60], not '%s'", what, val);
        if (key[0] == 'm')
            o->min_time_s = v;
        else
            o->warmup_s = v;
        o->measurement_given = true;
    } else if (strcmp(key, "seed") == 0) {
        char *end;
        errno = 0;
        const unsigned long long v = strtoull(val, &end, 10);
        if (end == val || *end || errno)
            return fail(err, len, "--seed wants an integer, not '%s'", val);
        o->seed = v;
        o->measurement_given = true;
    } else if (strcmp(key, "name") == 0) {
        for (const char *c = val; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
                return fail(err, len, "--name: '%s' may hold letters, digits, '-', '_', '.'", val);
        if (!val[0] || strlen(val) >= sizeof o->name)
            return fail(err, len, "--name: needs 1..%zu characters", sizeof o->name - 1);
        snprintf(o->name, sizeof o->name, "%s", val);
    } else if (from_spec) {
        return fail(err, len, "--%s cannot be given in a spec file", key);
    } else if (strcmp(key, "out") == 0) {
        if (!val[0] || strlen(val) >= sizeof o->out)
            return fail(err, len, "--out needs a folder");
        snprintf(o->out, sizeof o->out, "%s", val);
    } else if (strcmp(key, "spec") == 0) {
        snprintf(o->spec_path, sizeof o->spec_path, "%s", val);
        return ptc_sweep_parse_spec_file(o, val, err, len);
    } else if (strcmp(key, "resume") == 0) {
        if (!val[0] || strlen(val) >= sizeof o->resume)
            return fail(err, len, "--resume needs a run folder");
        snprintf(o->resume, sizeof o->resume, "%s", val);
    } else if (strcmp(key, "dry-run") == 0) {
        o->dry_run = true;
    } else if (strcmp(key, "no-calibrate") == 0) {
        o->no_calibrate = true;
    } else if (strcmp(key, "no-bind") == 0) {
        o->bind = false;
    } else if (strcmp(key, "gbench-console") == 0) {
        o->gbench_console = true;
    } else {
        return fail(err, len, "unknown option --%s (try `ptc bench --help`)", key);
    }
#undef DIM
    return PTC_OK;
}

static int new_section(ptc_sweep_opts *o, char *err, size_t len)
{
    if (o->n_sections == PTC_SWEEP_MAX_SECTIONS)
        return fail(err, len, "more than %d sweep sections", PTC_SWEEP_MAX_SECTIONS);
    memset(&o->sections[o->n_sections], 0, sizeof o->sections[0]);
    o->n_sections++;
    return PTC_OK;
}

static bool section_empty(const ptc_sweep_section *s)
{
    static const ptc_sweep_section zero;
    return memcmp(s, &zero, sizeof zero) == 0;
}

int ptc_sweep_parse_args(ptc_sweep_opts *o, int argc, char **argv, int first, char *err,
                         size_t err_len)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "---") == 0) {
            if (new_section(o, err, err_len) != PTC_OK)
                return PTC_EINVAL;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || !a[2])
            return fail(err, err_len, "unexpected argument '%s' (options start with --)", a);
        char key[64];
        const char *eq = strchr(a + 2, '=');
        const size_t klen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (klen >= sizeof key)
            return fail(err, err_len, "unknown option '%s'", a);
        memcpy(key, a + 2, klen);
        key[klen] = '\0';
        const char *val = eq ? eq + 1 : NULL;
        if (strcmp(key, "resume") == 0 && !val) {
            /* optional value: a following non-option word */
            if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                val = argv[++i];
            else {
                o->resume_latest = true;
                continue;
            }
        } else if (is_flag(key)) {
            if (val)
                return fail(err, err_len, "--%s takes no value", key);
            val = "";
        } else if (!val) {
            if (i + 1 >= argc)
                return fail(err, err_len, "--%s needs a value", key);
            val = argv[++i];
        }
        if (apply(o, key, val, false, err, err_len) != PTC_OK)
            return PTC_EINVAL;
    }
    if (o->resume_latest && !o->name[0])
        return fail(err, err_len, "--resume without a run folder needs --name");
    return PTC_OK;
}

int ptc_sweep_parse_spec_text(ptc_sweep_opts *o, const char *text, const char *source, char *err,
                              size_t err_len)
{
    /* a spec file starts its own sections after what the command line gave */
    if (!section_empty(&o->sections[o->n_sections - 1]) && new_section(o, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    int line_no = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        const size_t n = nl ? (size_t)(nl - p) : strlen(p);
        line_no++;
        char line[1024];
        if (n >= sizeof line)
            return fail(err, err_len, "%s:%d: line too long", source, line_no);
        memcpy(line, p, n);
        line[n] = '\0';
        p = nl ? nl + 1 : p + n;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        size_t e = strlen(s);
        while (e > 0 && isspace((unsigned char)s[e - 1]))
            s[--e] = '\0';
        if (!*s)
            continue;
        if (strcmp(s, "---") == 0) {
            if (new_section(o, err, err_len) != PTC_OK)
                return PTC_EINVAL;
            continue;
        }
        if (s[0] == '-' && s[1] == '-')
            s += 2;
        char *v = s;
        while (*v && !isspace((unsigned char)*v) && *v != '=')
            v++;
        if (*v) {
            *v++ = '\0';
            while (isspace((unsigned char)*v) || *v == '=')
                v++;
        }
        char msg[300];
        if (!is_flag(s) && !*v) {
            snprintf(msg, sizeof msg, "--%s needs a value", s);
        } else if (apply(o, s, v, true, msg, sizeof msg) == PTC_OK) {
            continue;
        }
        return fail(err, err_len, "%s:%d: %s", source, line_no, msg);
    }
    return PTC_OK;
}

int ptc_sweep_parse_spec_file(ptc_sweep_opts *o, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(err, err_len, "--spec: cannot read %s: %s", path, strerror(errno));
    char *text = NULL;
    size_t cap = 0, used = 0;
    for (;;) {
        if (used + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                return fail(err, err_len, "--spec: out of memory");
            }
            text = t;
        }
        const size_t got = fread(text + used, 1, 4096, f);
        used += got;
        if (got < 4096)
            break;
    }
    fclose(f);
    text[used] = '\0';
    const int rc = ptc_sweep_parse_spec_text(o, text, path, err, err_len);
    free(text);
    o->sweep_given = true;
    return rc;
}

/* ---- configurations ----------------------------------------------------------------- */

void ptc_sweep_config_finish(ptc_sweep_config *c)
{
    char *id = c->id;
    const size_t len = sizeof c->id;
    int n = snprintf(id, len, "level=%s;model=%s;hidden=%d;layers=%d;heads=%d;ffn=%d;seq=%d;batch=%d",
                     ptc_level_name(c->level), c->model.name, c->model.hidden, c->model.layers,
                     c->model.heads, c->model.ffn, c->seq, c->batch);
    if (c->level != PTC_LEVEL_KERNEL)
        n += snprintf(id + n, len - (size_t)n, ";pad=%s", ptc_pad_name(c->pad));
    n += snprintf(id + n, len - (size_t)n, ";isa=%s;threads=%d", c->isa, c->threads);
    memcpy(c->group, id, (size_t)n + 1);
    n += snprintf(id + n, len - (size_t)n, ";variant=%s", ptc_sweep_variant_name(c->variant));
    if (c->has_rule)
        n += snprintf(id + n, len - (size_t)n, ";rule=%s", ptc_rule_name(c->rule));
    if (c->has_p)
        n += snprintf(id + n, len - (size_t)n, ";p=%.10g", c->p);
    if (c->has_lc)
        n += snprintf(id + n, len - (size_t)n, ";lc=%d", c->lc);
    if (c->has_m)
        n += snprintf(id + n, len - (size_t)n, ";m=%d", c->m);
    if (c->has_project)
        snprintf(id + n, len - (size_t)n, ";project_kept=%s", c->project_kept ? "on" : "off");

    static const char *const prune_label[] = {"PF", "P", "PF-within"};
    switch (c->variant) {
    case PTC_VARIANT_BASELINE:
        snprintf(c->label, sizeof c->label, "BERT");
        break;
    case PTC_VARIANT_PRUNE:
        snprintf(c->label, sizeof c->label, "%s", prune_label[c->rule]);
        break;
    case PTC_VARIANT_COMBINE:
        if (c->has_lc)
            snprintf(c->label, sizeof c->label, "C L%d", c->lc);
        else
            snprintf(c->label, sizeof c->label, "C");
        break;
    case PTC_VARIANT_PRUNE_COMBINE:
        if (c->rule == PTC_PRUNE_CLAMP)
            snprintf(c->label, sizeof c->label, "PFC L%d", c->lc);
        else
            snprintf(c->label, sizeof c->label, "%s+C L%d", prune_label[c->rule], c->lc);
        break;
    }
}

/* Keys kept per head after one selection at ratio p (the topk count; clamp keeps
 * at least that many and usually exactly that many at p >= 0.75). */
static double kept_after(double t, double p)
{
    return (double)ptc_prune_keep_count(p, (size_t)t);
}

/* One encoder layer: n_q query rows, n_kv keys per head, kv_rows projected K/V rows. */
static double layer_flops(double n_q, double n_kv, double kv_rows, double h, double ffn)
{
    return 2 * n_q * h * 2 * h + 2 * kv_rows * h * 2 * h + 4 * n_q * h * ffn + 4 * n_q * n_kv * h +
           5 * n_q * n_kv * (h / 64) + 20 * n_q * h + 8 * n_q * ffn;
}

double ptc_sweep_estimate_flops(const ptc_sweep_config *c)
{
    const double n = c->seq, h = c->model.hidden, ffn = c->model.ffn, d = h / c->model.heads;
    const double p = c->has_p ? c->p : 1.0;
    double f = 0;
    switch (c->level) {
    case PTC_LEVEL_KERNEL: {
        const double kv = c->variant == PTC_VARIANT_PRUNE ? kept_after(n, p) : n;
        f = 4 * n * kv * d + 5 * n * kv + n * d;
        break;
    }
    case PTC_LEVEL_LAYER:
        if (c->variant == PTC_VARIANT_COMBINE) {
            const double m = c->m;
            f = 4 * 2 * m * h * h + 2 * m * n * h + 2 * n * h + 16 * n * h;
        } else {
            const double kv = c->variant == PTC_VARIANT_PRUNE ? kept_after(n, p) : n;
            const double rows = c->has_project && !c->project_kept ? n : kv;
            f = layer_flops(n, kv, rows, h, ffn);
        }
        break;
    case PTC_LEVEL_ENCODER: {
        const int L = c->model.layers;
        ptc_variant_config vc; /* the plan's layer rules */
        ptc_variant_config_default(&vc, c->variant);
        vc.n_layers = (size_t)L;
        vc.combine_layer = (size_t)c->lc;
        const bool comb = ptc_variant_combines(c->variant);
        const double m = comb ? c->m : 0;
        const int last_text = (int)ptc_plan_last_text_layer(&vc);
        double kv = n + m;
        for (int l = 1; l <= last_text; l++) {
            const double rows = c->has_project && !c->project_kept ? n + m : kv;
            f += layer_flops(n + m, kv, rows, h, ffn);
            if (ptc_plan_layer_selects(&vc, (size_t)l))
                kv = kept_after(kv - m, p) + m;
        }
        if (comb) {
            f += 4 * 2 * m * h * h + 2 * m * n * h + 18 * n * h;
            for (int l = c->lc + 1; l <= L; l++)
                f += layer_flops(m, m, m, h, ffn);
        }
        break;
    }
    }
    return f * c->batch;
}

static bool variant_exists(ptc_level level, ptc_variant v)
{
    if (level == PTC_LEVEL_KERNEL)
        return v == PTC_VARIANT_BASELINE || v == PTC_VARIANT_PRUNE;
    if (level == PTC_LEVEL_LAYER)
        return v != PTC_VARIANT_PRUNE_COMBINE;
    return true;
}

typedef struct config_list {
    ptc_sweep_config *items;
    size_t n, cap;
} config_list;

static int push_unique(config_list *l, const ptc_sweep_config *c, char *err, size_t len)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].id, c->id) == 0)
            return PTC_OK;
    if (l->n == MAX_CONFIGS)
        return fail(err, len, "the sweep has more than %d configurations", MAX_CONFIGS);
    if (l->n == l->cap) {
        const size_t cap = l->cap ? 2 * l->cap : 64;
        ptc_sweep_config *t = realloc(l->items, cap * sizeof *t);
        if (!t)
            return fail(err, len, "out of memory");
        l->items = t;
        l->cap = cap;
    }
    l->items[l->n++] = *c;
    return PTC_OK;
}

/* Resolves an --isa name to a runnable table name. */
static int resolve_isa(const char *name, char *out, size_t out_len, char *err, size_t len)
{
    size_t n;
    const ptc_ops *const *all = ptc_ops_all(&n);
    if (strcmp(name, "best") == 0) {
        for (size_t i = 0; i < n; i++)
            if (ptc_ops_supported(all[i])) {
                snprintf(out, out_len, "%s", all[i]->name);
                return PTC_OK;
            }
        return fail(err, len, "--isa best: no table of this build runs on this CPU");
    }
    const ptc_ops *ops = ptc_ops_find(name);
    if (!ops) {
        char known[96] = "";
        for (size_t i = 0; i < n; i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                     all[i]->name);
        return fail(err, len, "--isa: this build has no table '%s' (it has %s, or best)", name, known);
    }
    if (!ptc_ops_supported(ops))
        return fail(err, len, "--isa: this CPU cannot run the %s table", name);
    snprintf(out, out_len, "%s", ops->name);
    return PTC_OK;
}

static int expand_section(const ptc_sweep_section *s0, int max_threads, config_list *l,
                          size_t *skipped, char *err, size_t len)
{
    /* defaults for the dimensions not given */
    ptc_sweep_section s = *s0;
    if (!s.n_level) s.level[s.n_level++] = PTC_LEVEL_ENCODER;
    if (!s.n_variant)
        for (int v = 0; v < 4; v++) {
            s.variant_rule[s.n_variant] = -1;
            s.variant[s.n_variant++] = (ptc_variant)v;
        }
    if (!s.n_rule) s.rule[s.n_rule++] = PTC_PRUNE_CLAMP;
    if (!s.n_p) s.p[s.n_p++] = 0.9;
    if (!s.n_m) s.m[s.n_m++] = 8;
    if (!s.n_isa) snprintf(s.isa[s.n_isa++], sizeof s.isa[0], "best");
    if (!s.n_threads) s.threads[s.n_threads++] = 1;
    if (!s.n_model)
        s.model[s.n_model++] = preset_shape(ptc_parse_model_preset(PTC_MODEL_PRESET_DEFAULT, err, len));
    if (!s.n_seq) s.seq[s.n_seq++] = 512;
    if (!s.n_batch) s.batch[s.n_batch++] = 1;
    if (!s.n_pad) s.pad[s.n_pad++] = PTC_PAD_LENGTH_AWARE;
    if (!s.n_project) s.project_kept[s.n_project++] = true;

    char isa[PTC_SWEEP_MAX_ISAS][16];
    for (int i = 0; i < s.n_isa; i++)
        if (resolve_isa(s.isa[i], isa[i], sizeof isa[i], err, len) != PTC_OK)
            return PTC_EINVAL;
    for (int i = 0; i < s.n_threads; i++)
        if (max_threads > 0 && s.threads[i] > max_threads)
            return fail(err, len, "--threads: %d exceeds the %d hardware threads of this machine "
                        "(threads are bound one per hardware thread)", s.threads[i], max_threads);
    bool combines = false;
    for (int v = 0; v < s.n_variant; v++)
        combines |= s.variant[v] == PTC_VARIANT_COMBINE || s.variant[v] == PTC_VARIANT_PRUNE_COMBINE;
    bool at_encoder = false;
    for (int i = 0; i < s.n_level; i++)
        at_encoder |= s.level[i] == PTC_LEVEL_ENCODER;
    for (int mi = 0; mi < s.n_model; mi++) {
        const ptc_model_shape *m = &s.model[mi];
        if (m->heads < 1 || m->hidden % m->heads != 0)
            return fail(err, len, "--model: %d heads do not divide hidden %d", m->heads, m->hidden);
        if (combines && at_encoder && s0->n_lc)
            for (int i = 0; i < s.n_lc; i++)
                if (s.lc[i] < 1 || s.lc[i] > m->layers)
                    return fail(err, len, "--lc: L_c = %d is outside 1..%d (the layers of %s)",
                                s.lc[i], m->layers, m->name);
    }

    for (int li = 0; li < s.n_level; li++)
    for (int mi = 0; mi < s.n_model; mi++)
    for (int ii = 0; ii < s.n_isa; ii++)
    for (int ti = 0; ti < s.n_threads; ti++)
    for (int si = 0; si < s.n_seq; si++)
    for (int bi = 0; bi < s.n_batch; bi++)
    for (int pi = 0; pi < s.n_pad; pi++)
    for (int vi = 0; vi < s.n_variant; vi++) {
        const ptc_level level = s.level[li];
        const ptc_variant v = s.variant[vi];
        const ptc_model_shape *model = &s.model[mi];
        const bool prune = v == PTC_VARIANT_PRUNE || v == PTC_VARIANT_PRUNE_COMBINE;
        const bool comb = v == PTC_VARIANT_COMBINE || v == PTC_VARIANT_PRUNE_COMBINE;
        if (level == PTC_LEVEL_KERNEL && pi > 0)
            continue; /* kernel level has no pads: one pad value */
        if (!variant_exists(level, v)) {
            (*skipped)++;
            continue;
        }
        const bool has_lc = comb && level == PTC_LEVEL_ENCODER;
        const bool has_project = prune && level != PTC_LEVEL_KERNEL;
        int lc_default[1] = {model->layers < 7 ? model->layers : 7};
        const int *lcs = s0->n_lc ? s.lc : lc_default;
        const int n_lc = has_lc ? (s0->n_lc ? s.n_lc : 1) : 1;
        /* a name that implies a rule (P, PF) fixes it unless --rule was given */
        const bool implied = s.variant_rule[vi] >= 0 && !s0->n_rule;
        const ptc_prune_rule implied_rule[1] = {(ptc_prune_rule)s.variant_rule[vi]};
        const ptc_prune_rule *rules = implied ? implied_rule : s.rule;
        for (int ri = 0; ri < (prune ? (implied ? 1 : s.n_rule) : 1); ri++)
        for (int qi = 0; qi < (prune ? s.n_p : 1); qi++)
        for (int ci = 0; ci < n_lc; ci++)
        for (int ki = 0; ki < (comb ? s.n_m : 1); ki++)
        for (int ji = 0; ji < (has_project ? s.n_project : 1); ji++) {
            ptc_sweep_config c;
            memset(&c, 0, sizeof c);
            c.level = level;
            c.variant = v;
            c.model = *model;
            c.seq = s.seq[si];
            c.batch = s.batch[bi];
            c.pad = level == PTC_LEVEL_KERNEL ? PTC_PAD_LENGTH_AWARE : s.pad[pi];
            snprintf(c.isa, sizeof c.isa, "%.15s", isa[ii]);
            c.threads = s.threads[ti];
            c.has_rule = c.has_p = prune;
            c.rule = prune ? rules[ri] : PTC_PRUNE_CLAMP;
            c.p = prune ? s.p[qi] : 1.0;
            c.has_lc = has_lc;
            c.lc = has_lc ? lcs[ci] : 0;
            c.has_m = comb;
            c.m = comb ? s.m[ki] : 0;
            c.has_project = has_project;
            c.project_kept = has_project ? s.project_kept[ji] : true;
            ptc_sweep_config_finish(&c);
            c.est_flops = ptc_sweep_estimate_flops(&c);
            if (push_unique(l, &c, err, len) != PTC_OK)
                return PTC_EINVAL;
        }
    }
    return PTC_OK;
}

int ptc_sweep_expand(const ptc_sweep_opts *o, int max_threads, ptc_sweep_config **out,
                     size_t *n_out, size_t *skipped, char *err, size_t err_len)
{
    config_list l = {0};
    *out = NULL;
    *n_out = 0;
    *skipped = 0;
    for (int i = 0; i < o->n_sections; i++) {
        if (i > 0 && section_empty(&o->sections[i]))
            continue; /* a trailing "---" */
        if (expand_section(&o->sections[i], max_threads, &l, skipped, err, err_len) != PTC_OK) {
            free(l.items);
            return PTC_EINVAL;
        }
    }
    if (l.n == 0) {
        free(l.items);
        return fail(err, err_len, "the sweep has no configuration (%zu combinations do not exist "
                    "at their level: kernel has baseline and prune, layer adds combine)", *skipped);
    }
    /* groups contiguous, in order of first appearance; the baseline first in its group */
    ptc_sweep_config *sorted = malloc(l.n * sizeof *sorted);
    bool *taken = calloc(l.n, sizeof *taken);
    if (!sorted || !taken) {
        free(sorted);
        free(taken);
        free(l.items);
        return fail(err, err_len, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (taken[i])
            continue;
        for (int pass = 0; pass < 2; pass++)
            for (size_t j = i; j < l.n; j++) {
                if (taken[j] || strcmp(l.items[j].group, l.items[i].group) != 0)
                    continue;
                if ((pass == 0) != (l.items[j].variant == PTC_VARIANT_BASELINE))
                    continue;
                sorted[k++] = l.items[j];
                taken[j] = true;
            }
    }
    free(taken);
    free(l.items);
    *out = sorted;
    *n_out = k;
    return PTC_OK;
}

/* ---- normalized spec ------------------------------------------------------------------ */

static size_t put(char *buf, size_t len, size_t used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(used < len ? buf + used : NULL, used < len ? len - used : 0, fmt, ap);
    va_end(ap);
    return used + (n > 0 ? (size_t)n : 0);
}

size_t ptc_sweep_spec_format(const ptc_sweep_opts *o, char *buf, size_t len)
{
    size_t u = 0;
    if (len)
        buf[0] = '\0';
    u = put(buf, len, u, "reps %d\nmin-time %.10g\nwarmup %.10g\nseed %llu\n", o->reps,
            o->min_time_s, o->warmup_s, (unsigned long long)o->seed);
    if (o->name[0])
        u = put(buf, len, u, "name %s\n", o->name);
    bool first = true;
    for (int i = 0; i < o->n_sections; i++) {
        const ptc_sweep_section *s = &o->sections[i];
        if (i > 0 && section_empty(s))
            continue;
        if (!first)
            u = put(buf, len, u, "---\n");
        first = false;
#define LIST(key, n, fmtexpr)                                                   \
    if (n) {                                                                    \
        u = put(buf, len, u, "%s ", key);                                       \
        for (int j = 0; j < n; j++) {                                           \
            u = put(buf, len, u, "%s", j ? "," : "");                           \
            fmtexpr;                                                            \
        }                                                                       \
        u = put(buf, len, u, "\n");                                             \
    }
        LIST("level", s->n_level, u = put(buf, len, u, "%s", level_names[s->level[j]]))
        if (s->n_model) {
            u = put(buf, len, u, "model ");
            for (int j = 0; j < s->n_model; j++) {
                const ptc_model_shape *m = &s->model[j];
                if (strcmp(m->name, "custom") == 0)
                    u = put(buf, len, u, "%s%d,%d,%d,%d", j ? ";" : "", m->hidden, m->layers,
                            m->heads, m->ffn);
                else
                    u = put(buf, len, u, "%s%s", j ? ";" : "", m->name);
            }
            u = put(buf, len, u, "\n");
        }
        LIST("isa", s->n_isa, u = put(buf, len, u, "%s", s->isa[j]))
        LIST("threads", s->n_threads, u = put(buf, len, u, "%d", s->threads[j]))
        LIST("seq", s->n_seq, u = put(buf, len, u, "%d", s->seq[j]))
        LIST("batch", s->n_batch, u = put(buf, len, u, "%d", s->batch[j]))
        LIST("pad", s->n_pad, u = put(buf, len, u, "%s", ptc_pad_names[s->pad[j]]))
        LIST("variant", s->n_variant,
             u = put(buf, len, u, "%s", s->variant_rule[j] >= 0
                                            ? ptc_variant_paper_name(s->variant[j], (ptc_prune_rule)s->variant_rule[j])
                                            : variant_names[s->variant[j]]))
        LIST("rule", s->n_rule, u = put(buf, len, u, "%s", ptc_rule_names[s->rule[j]]))
        LIST("p", s->n_p, u = put(buf, len, u, "%.10g", s->p[j]))
        LIST("lc", s->n_lc, u = put(buf, len, u, "%d", s->lc[j]))
        LIST("m", s->n_m, u = put(buf, len, u, "%d", s->m[j]))
        LIST("project-kept", s->n_project, u = put(buf, len, u, "%s", s->project_kept[j] ? "on" : "off"))
#undef LIST
    }
    return u;
}
