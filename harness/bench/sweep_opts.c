/*
 * harness/bench/sweep_opts.c — the options of `ptc bench`: its option rows (names,
 * kinds, help, defaults) and their parsing from the command line and from spec files
 * (the normalized spec written back: sweep_spec.c; names and value lists:
 * sweep_names.c). Contract: harness/bench/sweep.h. No ops calls, no OpenMP.
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
#include <sys/stat.h>

/* The text of harness/bench/default.sweep, turned into C string lines by the Makefile. */
const char ptc_default_sweep_text[] =
#include "default_sweep.inc"
    ;

/* A list of names from `table` (n_names entries): indexes into out. */
static int parse_names(const char *s, const char *const *table, int n_names, int *out, int max,
                       const char *what, char *err, size_t len)
{
    char items[PTC_SWEEP_MAX_LIST][64];
    const int n = ptc_split_list(s, ',', items, max);
    if (n < 0)
        return ptc_opt_fail(err, len, "%s: malformed list '%s'", what, s), -1;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < n_names && strcmp(table[k], items[i]) != 0)
            k++;
        if (k == n_names) {
            char known[128] = "";
            for (int j = 0; j < n_names; j++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", j ? ", " : "",
                         table[j]);
            return ptc_opt_fail(err, len, "%s: unknown value '%s' (one of %s)", what, items[i], known), -1;
        }
        out[i] = k;
    }
    return n;
}

/* ---- options ---------------------------------------------------------------------- */


/* The options of `ptc bench`: names, whether they take a value, help and
 * defaults (for --help); ptc_sweep_apply() below sets them. Sweep and measurement options
 * may stand in a spec file, run options may not. */
static const ptc_option sweep_dim_rows[] = {
    {"level", PTC_OPT_STR, 0, "LIST", "kernel layer encoder", "encoder"},
    {"model", PTC_OPT_STR, 0, "LIST", "presets (bert-base bert-medium bert-small bert-mini bert-tiny) or H,L,A,FFN; "
     "several: ';'", PTC_MODEL_PRESET_DEFAULT},
    {"seq", PTC_OPT_STR, 0, "LIST", "tokens per sample, e.g. 128-4096*2", "512"},
    {"batch", PTC_OPT_STR, 0, "LIST", "samples per forward", "1"},
    {"variant", PTC_OPT_STR, 0, "LIST", "BERT|baseline P PF|prune C|combine PFC|combined (P: topk, PF: clamp); "
     "token reduction (encoder level): TopK LTP ToMe", "baseline,prune,combine,combined"},
    {"rule", PTC_OPT_STR, 0, "LIST", "pruning rule clamp topk within (overrides P/PF's)", "clamp"},
    {"p", PTC_OPT_STR, 0, "LIST", "preservation ratio in (0, 1] (TopK: tokens kept per removing layer)", "0.9"},
    {"keep-ratios", PTC_OPT_STR, 0, "LISTS", "TopK: keep ratios by removing layer (2..L-1, the last repeats), "
     "';' between lists: 0.9,0.8;0.7 (replaces p)"},
    {"tome-r", PTC_OPT_STR, 0, "LIST", "ToMe: tokens merged away per merging layer (2..L-1)", "8"},
    {"ltp-thresholds", PTC_OPT_STR, 0, "LIST", "LTP: fixed threshold of every removing layer (token "
     "importance averages 1)", "1"},
    {"lc", PTC_OPT_STR, 0, "LIST", "combining layer L_c (7, at most the layers)"},
    {"m", PTC_OPT_STR, 0, "LIST", "combination tokens", "8"},
    {"isa", PTC_OPT_STR, 0, "LIST", "ops tables: best ref avx2 avx512 neon", "best"},
    {"threads", PTC_OPT_STR, 0, "LIST", "OpenMP threads, bound one per hardware thread", "1"},
    {"pad", PTC_OPT_STR, 0, "LIST", "length-aware padded (inputs have no pads)", "length-aware"},
    {"project-kept", PTC_OPT_STR, 0, "LIST", "on off: K/V projected for kept rows only", "on"},
    {"phase", PTC_OPT_STR, 0, "LIST", "infer train: a forward, or a training step of the classifier "
     "(forward, backward, AdamW; encoder level)", "infer"},
    {NULL},
};
static const ptc_option sweep_measure_rows[] = {
    {"reps", PTC_OPT_STR, 0, "N", "repetitions per configuration", "5"},
    {"min-time", PTC_OPT_STR, 0, "S", "seconds per repetition at least", "0.05"},
    {"warmup", PTC_OPT_STR, 0, "S", "warm-up seconds (0: one untimed call only)", "0"},
    {"seed", PTC_OPT_STR, 0, "N", "inputs, weights, bootstrap", "1"},
    {"name", PTC_OPT_STR, 0, "NAME", "run folder <date>-<time>-NAME (sweep; default for the default sweep)"},
    {NULL},
};
static const ptc_option sweep_run_rows[] = {
    {"spec", PTC_OPT_STR, 0, "FILE", "sweep options from a file, one per line, '#' comments, '---'"},
    {"out", PTC_OPT_STR, 0, "DIR", "results folder: DIR/<cpu-slug>/<run>/", "results"},
    {"resume", PTC_OPT_STR, 0, "[RUN]", "continue run folder RUN; without RUN: the latest run named --name"},
    {"dry-run", PTC_OPT_FLAG, 0, NULL, "print the configurations, their count and an estimated time"},
    {"no-calibrate", PTC_OPT_FLAG, 0, NULL, "do not measure a calibration when none exists"},
    {"no-bind", PTC_OPT_FLAG, 0, NULL, "do not bind threads"},
    {"gbench-console", PTC_OPT_FLAG, 0, NULL, "Google Benchmark's console table on stdout"},
    {"progress", PTC_OPT_FLAG, 0, NULL, "progress lines on stderr even when it is no terminal "
     "(a terminal always has one)"},
    {NULL},
};

static const ptc_option *find_row(const ptc_option *rows, const char *key)
{
    for (; rows->name; rows++)
        if (strcmp(rows->name, key) == 0)
            return rows;
    return NULL;
}

bool ptc_sweep_is_flag(const char *key)
{
    const ptc_option *r = find_row(sweep_run_rows, key);
    return r && r->kind == PTC_OPT_FLAG;
}

void ptc_sweep_usage(FILE *out)
{
    const ptc_opt_group g[] = {
        {"sweep options (lists a,b,c; ranges A-B*F geometric, A-B+S arithmetic; --- starts "
         "another section)", sweep_dim_rows, NULL},
        {"measurement", sweep_measure_rows, NULL},
        {"run options (not in a spec file)", sweep_run_rows, NULL},
    };
    const ptc_command_spec spec = {
        .prog = "ptc bench",
        .usage = "ptc bench [sweep options] [--spec FILE] [run options]\n"
                 "  With no sweep option: the default sweep (harness/bench/default.sweep).",
        .groups = g,
        .n_groups = 3,
    };
    ptc_opts_usage(&spec, out);
}


/* Every row's default through ptc_sweep_apply(): the defaults are written once, in the rows. */
static void apply_defaults(ptc_sweep_opts *o, const ptc_option *rows)
{
    char err[256];
    for (; rows->name; rows++)
        if (rows->def && ptc_sweep_apply(o, rows->name, rows->def, false, err, sizeof err) != PTC_OK) {
            fprintf(stderr, "ptc bench: bad default of --%s: %s\n", rows->name, err);
            abort(); /* a table bug, never user input */
        }
}

void ptc_sweep_opts_init(ptc_sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_sections = 1;
    o->bind = true;
    apply_defaults(o, sweep_measure_rows);
    apply_defaults(o, sweep_run_rows);
    o->measurement_given = false;
}

/* The defaults of the sweep dimensions, as one section. */
const ptc_sweep_section *ptc_sweep_default_section(void)
{
    static ptc_sweep_section d;
    static bool done;
    if (!done) {
        static ptc_sweep_opts o;
        memset(&o, 0, sizeof o);
        o.n_sections = 1;
        apply_defaults(&o, sweep_dim_rows);
        d = o.sections[0];
        done = true;
    }
    return &d;
}

#define DIM(cond) (o->sweep_given = true, (cond))

/* A sweep dimension given by names (level, variant, rule, pad, project-kept, phase) into
 * section s. PTC_OK, PTC_EINVAL after a message, or 1 when key is none of them. */
static int apply_named_dim(ptc_sweep_opts *o, ptc_sweep_section *s, const char *key, const char *val,
                           char *err, size_t len)
{
    if (strcmp(key, "variant") == 0) {
        char items[8][64];
        int n;
        if ((n = ptc_split_list(val, ',', items, 8)) < 0)
            return ptc_opt_fail(err, len, "--variant: malformed list '%s' (at most 8 names)", val);
        for (int i = 0; i < n; i++) {
            char sub[160];
            if (ptc_parse_variant(items[i], &s->variant[i], &s->variant_rule[i], sub, sizeof sub) != 0)
                return ptc_opt_fail(err, len, "--variant: %s", sub);
        }
        s->n_variant = DIM(n);
        return PTC_OK;
    }
    /* the others: names to an enum (stored as int) or to a bool (true for the second name) */
    static const char *const onoff[] = {"off", "on"}, *const phases[] = {"infer", "train"};
    static const struct {
        const char *key;
        const char *const *names;
        int n_names;
        bool is_bool;
        size_t list, count;
    } dims[] = {
        {"level", ptc_level_names, 3, false, offsetof(ptc_sweep_section, level), offsetof(ptc_sweep_section, n_level)},
        {"rule", ptc_rule_names, 3, false, offsetof(ptc_sweep_section, rule), offsetof(ptc_sweep_section, n_rule)},
        {"pad", ptc_pad_names, 2, false, offsetof(ptc_sweep_section, pad), offsetof(ptc_sweep_section, n_pad)},
        {"project-kept", onoff, 2, true, offsetof(ptc_sweep_section, project_kept), offsetof(ptc_sweep_section, n_project)},
        {"phase", phases, 2, true, offsetof(ptc_sweep_section, train), offsetof(ptc_sweep_section, n_phase)},
    };
    _Static_assert(sizeof(ptc_level) == sizeof(int) && sizeof(ptc_prune_rule) == sizeof(int) &&
                   sizeof(ptc_pad_mode) == sizeof(int), "enum dimensions are stored as int");
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        if (strcmp(key, dims[k].key) != 0)
            continue;
        char what[48];
        snprintf(what, sizeof what, "--%s", key);
        int idx[PTC_SWEEP_MAX_LIST];
        const int n = parse_names(val, dims[k].names, dims[k].n_names, idx, dims[k].n_names, what, err, len);
        if (n < 0)
            return PTC_EINVAL;
        char *list = (char *)s + dims[k].list;
        for (int i = 0; i < n; i++) {
            if (dims[k].is_bool)
                ((bool *)list)[i] = idx[i] == 1;
            else
                ((int *)list)[i] = idx[i];
        }
        *(int *)((char *)s + dims[k].count) = DIM(n);
        return PTC_OK;
    }
    return 1;
}

static bool in_unit_interval(double x) { return x > 0 && x <= 1; }
static bool finite_non_negative(double x) { return x >= 0 && isfinite(x); }

/* A list of numbers into out (*n_out: their count) when `ok` accepts each; else
 * "WHAT: X <refused>". PTC_OK, or an error after a message. */
static int number_dim(ptc_sweep_opts *o, const char *val, double *out, int *n_out, bool (*ok)(double),
                      const char *what, const char *refused, char *err, size_t len)
{
    const int n = ptc_sweep_parse_doubles(val, out, PTC_SWEEP_MAX_LIST, what, err, len);
    if (n < 0)
        return PTC_EINVAL;
    for (int i = 0; i < n; i++)
        if (!ok(out[i]))
            return ptc_opt_fail(err, len, "%s: %g %s", what, out[i], refused);
    *n_out = DIM(n);
    return PTC_OK;
}

/* A sweep dimension given by numbers (p, lc, m, threads, seq, batch, the token
 * variants' keep-ratios, tome-r, ltp-thresholds), models or ISAs
 * into section s. PTC_OK, PTC_EINVAL after a message, or 1 when key is none of them. */
static int apply_number_dim(ptc_sweep_opts *o, ptc_sweep_section *s, const char *key,
                            const char *val, char *err, size_t len)
{
    char what[48];
    snprintf(what, sizeof what, "--%s", key);
    /* lists of integers >= 1 */
    static const struct {
        const char *key;
        size_t list, count;
    } int_dims[] = {
        {"lc", offsetof(ptc_sweep_section, lc), offsetof(ptc_sweep_section, n_lc)},
        {"m", offsetof(ptc_sweep_section, m), offsetof(ptc_sweep_section, n_m)},
        {"threads", offsetof(ptc_sweep_section, threads), offsetof(ptc_sweep_section, n_threads)},
        {"seq", offsetof(ptc_sweep_section, seq), offsetof(ptc_sweep_section, n_seq)},
        {"batch", offsetof(ptc_sweep_section, batch), offsetof(ptc_sweep_section, n_batch)},
        {"tome-r", offsetof(ptc_sweep_section, tome_r), offsetof(ptc_sweep_section, n_tome_r)},
    };
    int n;
    for (size_t k = 0; k < sizeof int_dims / sizeof int_dims[0]; k++) {
        if (strcmp(key, int_dims[k].key) != 0)
            continue;
        int *list = (int *)((char *)s + int_dims[k].list);
        if ((n = ptc_sweep_parse_ints(val, list, PTC_SWEEP_MAX_LIST, 1, what, err, len)) < 0)
            return PTC_EINVAL;
        *(int *)((char *)s + int_dims[k].count) = DIM(n);
        return PTC_OK;
    }
    if (strcmp(key, "p") == 0) {
        return number_dim(o, val, s->p, &s->n_p, in_unit_interval, what, "is outside (0, 1]", err, len);
    } else if (strcmp(key, "keep-ratios") == 0) {
        if ((n = ptc_infer_parse_keep_ratios(val, s->keep, PTC_SWEEP_MAX_KEEP, err, len)) < 0)
            return PTC_EINVAL;
        s->n_keep = DIM(n);
    } else if (strcmp(key, "ltp-thresholds") == 0) {
        return number_dim(o, val, s->ltp_threshold, &s->n_ltp, finite_non_negative, what,
                          "is not a finite number >= 0", err, len);
    } else if (strcmp(key, "model") == 0) {
        if ((n = ptc_sweep_parse_models(val, s->model, PTC_SWEEP_MAX_MODELS, err, len)) < 0)
            return PTC_EINVAL;
        s->n_model = DIM(n);
    } else if (strcmp(key, "isa") == 0) {
        char items[PTC_SWEEP_MAX_ISAS][64];
        if ((n = ptc_split_list(val, ',', items, PTC_SWEEP_MAX_ISAS)) < 0)
            return ptc_opt_fail(err, len, "--isa: malformed list '%s'", val);
        for (int i = 0; i < n; i++) {
            if (strlen(items[i]) >= sizeof s->isa[i])
                return ptc_opt_fail(err, len, "--isa: unknown table '%s'", items[i]);
            snprintf(s->isa[i], sizeof s->isa[i], "%s", items[i]);
        }
        s->n_isa = DIM(n);
    } else {
        return 1;
    }
    return PTC_OK;
}
#undef DIM

/* A measurement option (reps, min-time, warmup, seed) or --name. PTC_OK, PTC_EINVAL
 * after a message, or 1 when key is none of them. */
static int apply_measurement(ptc_sweep_opts *o, const char *key, const char *val, char *err,
                             size_t len)
{
    if (strcmp(key, "reps") == 0) {
        int v;
        if (ptc_sweep_parse_ints(val, &v, 1, 1, "--reps", err, len) != 1)
            return ptc_opt_fail(err, len, "--reps wants one integer >= 1, not '%s'", val);
        o->reps = v;
        o->measurement_given = true;
    } else if (strcmp(key, "min-time") == 0 || strcmp(key, "warmup") == 0) {
        char *end;
        const double v = strtod(val, &end);
        if (end == val || *end || !(v >= 0 && v <= 60))
            return ptc_opt_fail(err, len, "--%s wants seconds in [0, 60], not '%s'", key, val);
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
            return ptc_opt_fail(err, len, "--seed wants an integer, not '%s'", val);
        o->seed = v;
        o->measurement_given = true;
    } else if (strcmp(key, "name") == 0) {
        for (const char *c = val; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
                return ptc_opt_fail(err, len, "--name: '%s' may hold letters, digits, '-', '_', '.'", val);
        if (!val[0] || strlen(val) >= sizeof o->name)
            return ptc_opt_fail(err, len, "--name: needs 1..%zu characters", sizeof o->name - 1);
        snprintf(o->name, sizeof o->name, "%s", val);
    } else {
        return 1;
    }
    return PTC_OK;
}

/* A run option (out, spec, resume, dry-run, no-calibrate, no-bind, gbench-console, progress).
 * PTC_OK, PTC_EINVAL after a message, or 1 when key is none of them. */
static int apply_run_option(ptc_sweep_opts *o, const char *key, const char *val, char *err,
                            size_t len)
{
    if (strcmp(key, "out") == 0) {
        if (!val[0] || strlen(val) >= sizeof o->out)
            return ptc_opt_fail(err, len, "--out needs a folder");
        snprintf(o->out, sizeof o->out, "%s", val);
    } else if (strcmp(key, "spec") == 0) {
        snprintf(o->spec_path, sizeof o->spec_path, "%s", val);
        return ptc_sweep_parse_spec_file(o, val, err, len);
    } else if (strcmp(key, "resume") == 0) {
        if (!val[0] || strlen(val) >= sizeof o->resume)
            return ptc_opt_fail(err, len, "--resume needs a run folder");
        snprintf(o->resume, sizeof o->resume, "%s", val);
    } else if (strcmp(key, "dry-run") == 0) {
        o->dry_run = true;
    } else if (strcmp(key, "no-calibrate") == 0) {
        o->no_calibrate = true;
    } else if (strcmp(key, "no-bind") == 0) {
        o->bind = false;
    } else if (strcmp(key, "gbench-console") == 0) {
        o->gbench_console = true;
    } else if (strcmp(key, "progress") == 0) {
        o->progress = true;
    } else {
        return 1;
    }
    return PTC_OK;
}

int ptc_sweep_apply(ptc_sweep_opts *o, const char *key, const char *val, bool from_spec, char *err,
                    size_t len)
{
    ptc_sweep_section *s = &o->sections[o->n_sections - 1];
    int rc = apply_named_dim(o, s, key, val, err, len);
    if (rc == 1)
        rc = apply_number_dim(o, s, key, val, err, len);
    if (rc == 1)
        rc = apply_measurement(o, key, val, err, len);
    if (rc == 1 && from_spec && find_row(sweep_run_rows, key))
        return ptc_opt_fail(err, len, "--%s cannot be given in a spec file", key);
    if (rc == 1)
        rc = apply_run_option(o, key, val, err, len);
    if (rc == 1)
        return ptc_opt_fail(err, len, "unknown option --%s (try `ptc bench --help`)", key);
    return rc;
}

int ptc_sweep_new_section(ptc_sweep_opts *o, char *err, size_t len)
{
    if (o->n_sections == PTC_SWEEP_MAX_SECTIONS)
        return ptc_opt_fail(err, len, "more than %d sweep sections", PTC_SWEEP_MAX_SECTIONS);
    memset(&o->sections[o->n_sections], 0, sizeof o->sections[0]);
    o->n_sections++;
    return PTC_OK;
}

int ptc_sweep_parse_args(ptc_sweep_opts *o, int argc, char **argv, int first, char *err,
                         size_t err_len)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "---") == 0) {
            if (ptc_sweep_new_section(o, err, err_len) != PTC_OK)
                return PTC_EINVAL;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || !a[2])
            return ptc_opt_fail(err, err_len, "unexpected argument '%s' (options start with --)", a);
        char key[64];
        const char *eq = strchr(a + 2, '=');
        const size_t klen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (klen >= sizeof key)
            return ptc_opt_fail(err, err_len, "unknown option '%s'", a);
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
        } else if (ptc_sweep_is_flag(key)) {
            if (val)
                return ptc_opt_fail(err, err_len, "--%s takes no value", key);
            val = "";
        } else if (!val) {
            if (i + 1 >= argc)
                return ptc_opt_fail(err, err_len, "--%s needs a value", key);
            val = argv[++i];
        }
        if (ptc_sweep_apply(o, key, val, false, err, err_len) != PTC_OK)
            return PTC_EINVAL;
    }
    if (o->resume_latest && !o->name[0])
        return ptc_opt_fail(err, err_len, "--resume without a run folder needs --name");
    return PTC_OK;
}

/* ---- spec files: lines of options, '#' comments, '---' between sections; run options refused */

int ptc_sweep_parse_spec_text(ptc_sweep_opts *o, const char *text, const char *source, char *err,
                              size_t err_len)
{
    /* a spec file starts its own sections after what the command line gave */
    if (!ptc_sweep_section_empty(&o->sections[o->n_sections - 1]) && ptc_sweep_new_section(o, err, err_len) != PTC_OK)
        return PTC_EINVAL;
    int line_no = 0, n_options = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        const size_t n = nl ? (size_t)(nl - p) : strlen(p);
        line_no++;
        char line[1024];
        if (n >= sizeof line)
            return ptc_opt_fail(err, err_len, "%s:%d: line too long", source, line_no);
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
            if (ptc_sweep_new_section(o, err, err_len) != PTC_OK)
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
        if (!ptc_sweep_is_flag(s) && !*v) {
            snprintf(msg, sizeof msg, "--%s needs a value", s);
        } else if (ptc_sweep_apply(o, s, v, true, msg, sizeof msg) == PTC_OK) {
            n_options++;
            continue;
        }
        return ptc_opt_fail(err, err_len, "%s:%d: %s", source, line_no, msg);
    }
    if (n_options == 0)
        return ptc_opt_fail(err, err_len, "%s: no options (an empty spec)", source);
    return PTC_OK;
}

int ptc_sweep_parse_spec_file(ptc_sweep_opts *o, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ptc_opt_fail(err, err_len, "--spec: cannot read %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
        fclose(f);
        return ptc_opt_fail(err, err_len, "--spec: %s is a directory, not a spec file", path);
    }
    char *text = NULL;
    size_t cap = 0, used = 0;
    for (;;) {
        if (used + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                return ptc_opt_fail(err, err_len, "--spec: out of memory");
            }
            text = t;
        }
        const size_t got = fread(text + used, 1, 4096, f);
        used += got;
        if (got < 4096)
            break;
    }
    const bool read_error = ferror(f);
    fclose(f);
    if (read_error) {
        free(text);
        return ptc_opt_fail(err, err_len, "--spec: cannot read %s", path);
    }
    text[used] = '\0';
    const int rc = ptc_sweep_parse_spec_text(o, text, path, err, err_len);
    free(text);
    o->sweep_given = true;
    return rc;
}
