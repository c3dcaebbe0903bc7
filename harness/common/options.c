/*
 * harness/common/options.c — the table-driven option parser, --help from the
 * same table, lists and ranges (contract: harness/common/options.h). The
 * vocabularies it checks names against are the library's (model/names.c).
 */
#include "common/options.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int ptc_opt_fail(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- lists and ranges -------------------------------------------------------------- */

int ptc_split_list(const char *s, char sep, char items[][64], int max)
{
    int n = 0;
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, sep);
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        if (n == max || len == 0 || len >= 64)
            return -1;
        memcpy(items[n], p, len);
        items[n][len] = '\0';
        n++;
        if (!end)
            return n;
        p = end + 1;
    }
}

/* One item: "A", "A-B*F" or "A-B+S" as doubles. Returns 0 ok, -1 malformed. */
static int parse_item(const char *item, double *a, double *b, char *op, double *step)
{
    char *end;
    errno = 0;
    *a = strtod(item, &end);
    if (end == item || errno)
        return -1;
    if (*end == '\0') {
        *op = 0;
        return 0;
    }
    if (*end != '-')
        return -1;
    const char *q = end + 1;
    *b = strtod(q, &end);
    if (end == q || errno || (*end != '*' && *end != '+'))
        return -1;
    *op = *end;
    q = end + 1;
    *step = strtod(q, &end);
    if (end == q || errno || *end != '\0')
        return -1;
    return 0;
}

static int expand_item(const char *what, const char *item, double *out, int n, int max,
                       bool integer, char *err, size_t len)
{
    double a, b = 0, step = 0;
    char op;
    if (parse_item(item, &a, &b, &op, &step) != 0 || !isfinite(a))
        return ptc_opt_fail(err, len, "%s: '%s' is not a number or a range A-B*F / A-B+S", what, item);
    if (integer && a != floor(a))
        return ptc_opt_fail(err, len, "%s: '%s' is not an integer", what, item);
    if (!op) {
        if (n >= max)
            return ptc_opt_fail(err, len, "%s: more than %d values", what, max);
        out[n++] = a;
        return n;
    }
    if (!isfinite(b) || !isfinite(step) || b < a)
        return ptc_opt_fail(err, len, "%s: range '%s' needs A <= B", what, item);
    if (integer && b != floor(b))
        return ptc_opt_fail(err, len, "%s: '%s' is not an integer range", what, item);
    if (op == '*') {
        if (!(step > 1))
            return ptc_opt_fail(err, len, "%s: range '%s' needs a factor > 1", what, item);
        if (!(a > 0))
            return ptc_opt_fail(err, len, "%s: geometric range '%s' needs A > 0", what, item);
        for (double v = a; v <= b * (1 + 1e-12); v *= step) {
            if (n >= max)
                return ptc_opt_fail(err, len, "%s: range '%s' gives more than %d values", what, item, max);
            out[n++] = integer ? floor(v + 0.5) : round(v * 1e9) / 1e9;
        }
    } else {
        if (!(step > 0))
            return ptc_opt_fail(err, len, "%s: range '%s' needs a step > 0", what, item);
        if (integer && step != floor(step))
            return ptc_opt_fail(err, len, "%s: range '%s' needs an integer step", what, item);
        const double count = floor((b - a) / step + 1e-9) + 1;
        if (count > max - n)
            return ptc_opt_fail(err, len, "%s: range '%s' gives more than %d values", what, item, max);
        for (int i = 0; i < (int)count; i++)
            out[n++] = integer ? a + i * step : round((a + i * step) * 1e9) / 1e9;
    }
    return n;
}

int ptc_parse_list(const char *s, double *out, int max, bool integer, const char *what, char *err,
                   size_t len)
{
    char items[PTC_OPT_LIST_MAX][64];
    const int n_items = ptc_split_list(s, ',', items, PTC_OPT_LIST_MAX);
    if (n_items < 0)
        return ptc_opt_fail(err, len, "%s: malformed list '%s'", what, s);
    int n = 0;
    for (int i = 0; i < n_items; i++) {
        n = expand_item(what, items[i], out, n, max, integer, err, len);
        if (n < 0)
            return -1;
    }
    return n;
}


/* ---- one value into its field ------------------------------------------------------ */

static bool bounded(const ptc_option *o)
{
    return o->min != 0 || o->max != 0 || o->min_open;
}

/* "in [1, 64]", "in (0, 1]", ">= 1" */
static void bounds_text(const ptc_option *o, char *buf, size_t len)
{
    if (o->max > o->min)
        snprintf(buf, len, "in %c%g, %g]", o->min_open ? '(' : '[', o->min, o->max);
    else
        snprintf(buf, len, "%s %g", o->min_open ? ">" : ">=", o->min);
}

static int check_number(const ptc_option *o, double x, char *err, size_t len)
{
    if (!bounded(o))
        return 0;
    const bool low = o->min_open ? !(x > o->min) : !(x >= o->min);
    const bool high = o->max > o->min && x > o->max;
    if (low || high) {
        char b[64];
        bounds_text(o, b, sizeof b);
        return ptc_opt_fail(err, len, "--%s %g: must be %s", o->name, x, b);
    }
    return 0;
}

static int parse_integer(const ptc_option *o, const char *v, double *out, char *err, size_t len)
{
    char *e;
    errno = 0;
    const long double x = strtold(v, &e);
    if (!*v || *e || errno || x != floorl(x) || x < 0 || x > 1.8e19L)
        return ptc_opt_fail(err, len, "--%s '%s': not a non-negative integer", o->name, v);
    *out = (double)x;
    return check_number(o, *out, err, len);
}

static int set_list(const ptc_option *o, const char *v, ptc_opt_list *l, char *err, size_t len)
{
    char what[64];
    snprintf(what, sizeof what, "--%s", o->name);
    const int n = ptc_parse_list(v, l->v, PTC_OPT_LIST_MAX, o->kind == PTC_OPT_SIZES, what, err, len);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (check_number(o, l->v[i], err, len) != 0)
            return -1;
    l->n = (size_t)n;
    return 0;
}

static int set_variants(const ptc_option *o, const char *v, ptc_opt_names *l, char *err, size_t len)
{
    char items[PTC_OPT_LIST_MAX][64];
    const int n = ptc_split_list(v, ',', items, PTC_OPT_LIST_MAX);
    if (n < 0)
        return ptc_opt_fail(err, len, "--%s: malformed list '%s'", o->name, v);
    for (int i = 0; i < n; i++) {
        ptc_variant var;
        int rule;
        char sub[160];
        if (ptc_parse_variant(items[i], &var, &rule, sub, sizeof sub) != 0)
            return ptc_opt_fail(err, len, "--%s: %s", o->name, sub);
        l->v[i] = ptc_variant_learn_name(var, rule);
    }
    l->n = (size_t)n;
    return 0;
}

/* Parses v into the field of o in base. 0, or -1 with a one-line reason. */
static int set_value(const ptc_option *o, void *base, const char *v, char *err, size_t len)
{
    void *f = (char *)base + o->offset;
    char sub[200];
    double x = 0;
    switch (o->kind) {
    case PTC_OPT_FLAG:
        *(bool *)f = true;
        return 0;
    case PTC_OPT_STR:
        if (!*v)
            return ptc_opt_fail(err, len, "--%s: empty value", o->name);
        *(const char **)f = v;
        return 0;
    case PTC_OPT_SIZE:
    case PTC_OPT_INT:
    case PTC_OPT_U64:
        if (parse_integer(o, v, &x, err, len) != 0)
            return -1;
        if (o->kind == PTC_OPT_SIZE)
            *(size_t *)f = (size_t)x;
        else if (o->kind == PTC_OPT_INT)
            *(int *)f = (int)x;
        else
            *(uint64_t *)f = strtoull(v, NULL, 10);
        return 0;
    case PTC_OPT_DOUBLE: {
        char *e;
        x = strtod(v, &e);
        if (!*v || *e || !isfinite(x))
            return ptc_opt_fail(err, len, "--%s '%s': not a number", o->name, v);
        if (check_number(o, x, err, len) != 0)
            return -1;
        *(double *)f = x;
        return 0;
    }
    case PTC_OPT_DOUBLES:
    case PTC_OPT_SIZES:
        return set_list(o, v, (ptc_opt_list *)f, err, len);
    case PTC_OPT_VARIANTS:
        return set_variants(o, v, (ptc_opt_names *)f, err, len);
    case PTC_OPT_VARIANT: {
        ptc_variant var;
        int rule;
        if (ptc_parse_variant(v, &var, &rule, sub, sizeof sub) != 0)
            return ptc_opt_fail(err, len, "--%s: %s", o->name, sub);
        *(const char **)f = ptc_variant_learn_name(var, rule);
        return 0;
    }
    case PTC_OPT_RULE: {
        ptc_prune_rule r;
        if (ptc_parse_rule(v, &r, sub, sizeof sub) != 0)
            return ptc_opt_fail(err, len, "--%s: %s", o->name, sub);
        break;
    }
    case PTC_OPT_PAD: {
        ptc_pad_mode p;
        if (ptc_parse_pad(v, &p, sub, sizeof sub) != 0)
            return ptc_opt_fail(err, len, "--%s: %s", o->name, sub);
        break;
    }
    case PTC_OPT_CUSTOM:
        return o->set(f, v, err, len);
    case PTC_OPT_CHOICE: {
        char known[200] = "";
        for (int i = 0; o->choices[i]; i++) {
            if (strcmp(v, o->choices[i]) == 0) {
                *(int *)f = i;
                return 0;
            }
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                     o->choices[i]);
        }
        return ptc_opt_fail(err, len, "unknown --%s '%s' (%s)", o->name, v, known);
    }
    case PTC_OPT_MODEL:
        if (!ptc_parse_model_preset(v, sub, sizeof sub))
            return ptc_opt_fail(err, len, "--%s: %s", o->name, sub);
        break;
    case PTC_OPT_ISA:
        if (strcmp(v, "best") != 0 && !ptc_ops_find(v)) {
            size_t n;
            const ptc_ops *const *t = ptc_ops_all(&n);
            char known[128] = "best";
            for (size_t i = 0; i < n; i++)
                snprintf(known + strlen(known), sizeof known - strlen(known), ", %s", t[i]->name);
            return ptc_opt_fail(err, len, "--%s: this build has no table '%s' (%s)", o->name, v, known);
        }
        break;
    }
    *(const char **)f = v; /* a checked name */
    return 0;
}

/* ---- the parser -------------------------------------------------------------------- */

static const ptc_option *find_in(const ptc_opt_group *g, size_t n, const char *name, size_t name_len,
                                 void **base)
{
    for (size_t i = 0; i < n; i++)
        for (const ptc_option *o = g[i].opts; o->name; o++)
            if (strlen(o->name) == name_len && strncmp(o->name, name, name_len) == 0) {
                if (base)
                    *base = g[i].base;
                return o;
            }
    return NULL;
}

void ptc_opts_defaults(const ptc_command_spec *c)
{
    for (size_t i = 0; i < c->n_groups; i++)
        for (const ptc_option *o = c->groups[i].opts; o->name; o++)
            if (o->def && o->kind != PTC_OPT_FLAG) {
                char err[256];
                if (set_value(o, c->groups[i].base, o->def, err, sizeof err) != 0) {
                    fprintf(stderr, "%s: bad default of %s\n", c->prog, err);
                    abort(); /* a table bug, never user input */
                }
            }
}

bool ptc_opts_given(const ptc_opt_seen *seen, const char *name)
{
    for (size_t i = 0; i < seen->n; i++)
        if (strcmp(seen->at[i].opt->name, name) == 0)
            return true;
    return false;
}

static void record(ptc_opt_seen *seen, const ptc_option *o, int first, int last)
{
    if (seen->n < PTC_OPT_SEEN_MAX) {
        seen->at[seen->n].opt = o;
        seen->at[seen->n].first = first;
        seen->at[seen->n].last = last;
        seen->n++;
    }
}

/* argv[*i] is an option: applies it (and its value). 0 or 2 after a message. */
static int parse_one(const ptc_command_spec *c, int argc, char **argv, int *i, ptc_opt_seen *seen)
{
    const char *a = argv[*i] + 2;
    const char *eq = strchr(a, '=');
    const size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
    void *base = NULL;
    const ptc_option *o = find_in(c->groups, c->n_groups, a, name_len, &base);
    if (!o) {
        const char *cmd = strchr(c->prog, ' ') ? strchr(c->prog, ' ') + 1 : c->prog;
        if (find_in(c->others, c->n_others, a, name_len, NULL))
            fprintf(stderr, "%s: --%.*s does not apply to `ptc %s` (see ptc %s --help)\n", c->prog,
                    (int)name_len, a, cmd, cmd);
        else
            fprintf(stderr, "%s: unknown option --%.*s (try ptc %s --help)\n", c->prog,
                    (int)name_len, a, cmd);
        return 2;
    }
    const int first = *i;
    const char *v = NULL;
    if (o->kind == PTC_OPT_FLAG) {
        if (eq) {
            fprintf(stderr, "%s: --%s takes no value\n", c->prog, o->name);
            return 2;
        }
    } else if (eq) {
        v = eq + 1;
    } else if (*i + 1 < argc) {
        v = argv[++*i];
    } else {
        fprintf(stderr, "%s: --%s needs a value (%s)\n", c->prog, o->name, o->value);
        return 2;
    }
    char err[320];
    if (set_value(o, base, v, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", c->prog, err);
        return 2;
    }
    record(seen, o, first, *i);
    return 0;
}

int ptc_opts_parse_group(const char *prog, const char *usage, const char *title,
                         const ptc_option *rows, void *base, size_t max_args, int argc, char **argv,
                         int first, ptc_opt_seen *seen)
{
    const ptc_opt_group group = {title, rows, base};
    const ptc_command_spec spec = {
        .prog = prog, .usage = usage, .groups = &group, .n_groups = 1, .max_args = max_args};
    ptc_opts_defaults(&spec);
    return ptc_opts_parse(&spec, argc, argv, first, seen);
}

int ptc_opts_parse(const ptc_command_spec *c, int argc, char **argv, int first, ptc_opt_seen *seen)
{
    ptc_opt_seen local;
    if (!seen)
        seen = &local;
    memset(seen, 0, sizeof *seen);
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            ptc_opts_usage(c, stdout);
            return 1;
        }
        if (strncmp(a, "--", 2) == 0 && a[2]) {
            if (parse_one(c, argc, argv, &i, seen) != 0)
                return 2;
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "%s: unknown option %s (options start with --)\n", c->prog, a);
            return 2;
        }
        if (seen->n_args >= c->max_args || seen->n_args >= PTC_OPT_ARGS_MAX) {
            fprintf(stderr, "%s: unexpected argument '%s'\n", c->prog, a);
            return 2;
        }
        seen->args[seen->n_args++] = a;
    }
    return 0;
}

/* The values an option of this kind takes, space-separated ("" when free-form). */
static void kind_choices(ptc_opt_kind kind, char *buf, size_t len)
{
    size_t n = 0, used = 0;
    buf[0] = '\0';
#define ADD(s) (used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? " " : "", (s)))
    switch (kind) {
    case PTC_OPT_VARIANT:
    case PTC_OPT_VARIANTS:
        ADD("BERT baseline P PF prune C combine PFC combined");
        break;
    case PTC_OPT_RULE:
        for (size_t i = 0; i < sizeof ptc_rule_names / sizeof *ptc_rule_names; i++)
            ADD(ptc_rule_names[i]);
        break;
    case PTC_OPT_PAD:
        for (size_t i = 0; i < sizeof ptc_pad_names / sizeof *ptc_pad_names; i++)
            ADD(ptc_pad_names[i]);
        break;
    case PTC_OPT_MODEL: {
        const ptc_model_preset *p = ptc_model_presets(&n);
        for (size_t i = 0; i < n; i++)
            ADD(p[i].name);
        break;
    }
    case PTC_OPT_ISA: {
        const ptc_ops *const *t = ptc_ops_all(&n);
        ADD("best");
        for (size_t i = 0; i < n; i++)
            ADD(t[i]->name);
        break;
    }
    default:
        break;
    }
#undef ADD
}

/* PTC_OPTIONS_TSV=1 `ptc CMD --help`: the rows for scripts/gen-docs.sh (bash
 * completion), one "--name<TAB>VALUE<TAB>choices" line each after a marker line. */
static void opts_tsv(const ptc_command_spec *c, FILE *out)
{
    fprintf(out, "#ptc-options\t%s\n", c->prog);
    for (size_t g = 0; g < c->n_groups; g++)
        for (const ptc_option *o = c->groups[g].opts; o->name; o++) {
            char choices[512];
            kind_choices(o->kind, choices, sizeof choices);
            fprintf(out, "--%s\t%s\t%s\n", o->name, o->value ? o->value : "", choices);
        }
}

void ptc_opts_usage(const ptc_command_spec *c, FILE *out)
{
    const char *tsv = getenv("PTC_OPTIONS_TSV");
    if (tsv && *tsv) {
        opts_tsv(c, out);
        return;
    }
    fprintf(out, "usage: %s\n", c->usage);
    for (size_t g = 0; g < c->n_groups; g++) {
        fprintf(out, "%s:\n", c->groups[g].title);
        for (const ptc_option *o = c->groups[g].opts; o->name; o++) {
            char left[64];
            snprintf(left, sizeof left, "--%s%s%s", o->name, o->value ? " " : "",
                     o->value ? o->value : "");
            fprintf(out, "  %-24s %s", left, o->help);
            if (o->def)
                fprintf(out, " (default %s)", o->def);
            fputc('\n', out);
        }
    }
}

/* ---- --isa and --threads ------------------------------------------------------------- */

const ptc_ops *ptc_opts_compute(const char *prog, const char *isa, int threads)
{
    char err[256];
    const ptc_ops *ops = ptc_ops_select(isa, err, sizeof err);
    if (!ops) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return NULL;
    }
    if (threads > 0)
        omp_set_num_threads(threads);
    return ops;
}
