/*
 * harness/report/compare.c — `ptc compare A B`: rows of two runs (two commits, two CPUs)
 * matched by configuration, with ratios B/A and regression gates.
 *
 *   ptc compare [options] A B
 *     A, B              rows.jsonl, a run folder, or results/<cpu>/ (its latest run)
 *     --key F,F,...     fields whose values must be equal for two rows to match
 *                       (default: level,variant,rule,p,lc,m,model,seq,batch,isa,threads,
 *                       pad_mode,project_kept: no machine or commit field, so two CPUs
 *                       compare; `--key config_id` matches by the run's config id)
 *     --fail-if EXPR    regression gate "METRIC OP NUMBER" (OP: < <= > >= == !=);
 *                       repeatable or comma-separated; exit 1 when a matched pair
 *                       violates one. Metrics (all B/A): time_ratio (time_s.median),
 *                       speedup_ratio (speedup.median), memory_ratio
 *                       (memory.activations), rss_ratio (memory.peak_rss),
 *                       gflops_ratio. A metric missing for a pair is not checked.
 *     --where, --format, --out, --strict, --all-runs   as for `ptc table`
 *
 * Output: a table of matched pairs (time A and B as median ± sd, time B/A, whether
 * their min..max ranges overlap, the p-value of a two-sided Mann-Whitney U test on the
 * raw repetitions time_s.reps of the two rows, as Google Benchmark's compare.py does
 * (ptc_cell_utest, ptc/stats.h; a warning note below 9 repetitions a side), speedups and their
 * ratio, memory B/A), notes listing
 * the rows present on one side only, and the gate violations. Exit 0; 1 when a gate
 * fails, nothing matches, or input is unreadable; 2 for bad usage (a bad --fail-if).
 * When a side has several rows with one key, the last one read is used (noted).
 */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

static const char *const default_key[] = {"level", "variant", "rule",  "p",        "lc",
                                          "m",     "model",   "seq",   "batch",    "isa",
                                          "threads", "pad_mode", "project_kept", NULL};

/* dims that say which machine/build a row came from: never display keys */
static const char *const side_fields[] = {"cpu", "commit", "dirty", "run", "binding", NULL};
static const char *const implied_by_label[] = {"variant", "rule", "lc", NULL};

/* ---- metrics and gates ---------------------------------------------------------------------- */
typedef enum { M_TIME, M_SPEEDUP, M_MEMORY, M_RSS, M_GFLOPS, M_COUNT } metric_t;
static const char *const metric_names[M_COUNT] = {"time_ratio", "speedup_ratio", "memory_ratio",
                                                  "rss_ratio", "gflops_ratio"};
static const char *const metric_paths[M_COUNT] = {"time_s.median", "speedup.median",
                                                  "memory.activations", "memory.peak_rss",
                                                  "gflops"};

/* B/A of one metric; false when either side lacks it or A is 0 */
static bool metric_value(const json_t *a, const json_t *b, metric_t m, double *out)
{
    double x, y;
    if (!ptc_row_num(a, metric_paths[m], &x) || !ptc_row_num(b, metric_paths[m], &y) || x == 0)
        return false;
    *out = y / x;
    return true;
}

typedef enum { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE } op_t;
static const char *const op_text[] = {"<", "<=", ">", ">=", "==", "!="};

typedef struct gate {
    metric_t metric;
    op_t op;
    double bound;
    char text[96];
} gate;

static bool gate_holds(const gate *g, double v)
{
    switch (g->op) {
    case OP_LT: return v < g->bound;
    case OP_LE: return v <= g->bound;
    case OP_GT: return v > g->bound;
    case OP_GE: return v >= g->bound;
    case OP_EQ: return v == g->bound;
    case OP_NE: return v != g->bound;
    }
    return false;
}

/* Parses one "metric op number"; -1 with a reason on failure. */
static int parse_gate(const char *s, gate *g, char *err, size_t errlen)
{
    const char *p = s;
    while (*p == ' ')
        p++;
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
    int m = 0;
    while (m < M_COUNT && !(strlen(metric_names[m]) == n && strncmp(p, metric_names[m], n) == 0))
        m++;
    if (m == M_COUNT) {
        snprintf(err, errlen, "bad --fail-if '%s': unknown metric '%.*s' (time_ratio, "
                 "speedup_ratio, memory_ratio, rss_ratio, gflops_ratio)", s, (int)n, p);
        return -1;
    }
    p += n;
    while (*p == ' ')
        p++;
    int op = -1;
    for (int o = 0; o < 6; o++) {
        size_t l = strlen(op_text[o]);
        if (strncmp(p, op_text[o], l) == 0 && (op < 0 || l > strlen(op_text[op])))
            op = o;
    }
    if (op < 0) {
        snprintf(err, errlen, "bad --fail-if '%s': expected a comparison (< <= > >= == !=) "
                 "after '%s'", s, metric_names[m]);
        return -1;
    }
    p += strlen(op_text[op]);
    char *end;
    double bound = strtod(p, &end);
    while (end && *end == ' ')
        end++;
    if (end == p || *end != '\0' || !isfinite(bound)) {
        snprintf(err, errlen, "bad --fail-if '%s': expected a number after '%s'", s,
                 op_text[op]);
        return -1;
    }
    g->metric = (metric_t)m;
    g->op = (op_t)op;
    g->bound = bound;
    snprintf(g->text, sizeof g->text, "%s%s%g", metric_names[m], op_text[op], bound);
    return 0;
}

/* ---- keys --------------------------------------------------------------------------------- */
static void row_key(const json_t *row, const char *const *fields, size_t nf, char *out,
                    size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t f = 0; f < nf && used < len; f++) {
        char v[256];
        json_t *x = ptc_row_get(row, fields[f]);
        if (x && !json_is_null(x))
            ptc_json_text(x, v, sizeof v);
        else
            snprintf(v, sizeof v, "null");
        int k = snprintf(out + used, len - used, "%s%s=%s", f ? ";" : "", fields[f], v);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

typedef struct side {
    const char *name;    /* "A" or "B" */
    const char *path;
    ptc_rowset set;
    const json_t **rows; /* unique by key (last wins) */
    char **keys;
    size_t n;
    size_t duplicates;
    bool *matched;
} side;

static void side_keys(side *s, const char *const *fields, size_t nf)
{
    const json_t **all = ptc_rows_objs(&s->set);
    s->rows = malloc((s->set.n + 1) * sizeof *s->rows);
    s->keys = malloc((s->set.n + 1) * sizeof *s->keys);
    s->matched = calloc(s->set.n + 1, sizeof *s->matched);
    s->n = 0;
    for (size_t i = 0; i < s->set.n; i++) {
        char key[2048];
        row_key(all[i], fields, nf, key, sizeof key);
        size_t j = 0;
        while (j < s->n && strcmp(s->keys[j], key) != 0)
            j++;
        if (j < s->n) {
            s->rows[j] = all[i]; /* the later row wins */
            s->duplicates++;
            continue;
        }
        s->keys[s->n] = strdup(key);
        s->rows[s->n++] = all[i];
    }
    free(all);
}

static void side_free(side *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->rows);
    free(s->matched);
    ptc_rows_free(&s->set);
}

/* "run X on CPU, commit c" for one side */
static void side_words(const side *s, char *out, size_t len)
{
    const json_t *const *r = s->rows;
    char run[160] = "?", cpu[160] = "?", commit[64] = "?";
    if (s->n) {
        ptc_dim_value_text(r[0], "run", run, sizeof run);
        ptc_dim_value_text(r[0], "cpu", cpu, sizeof cpu);
        ptc_dim_value_text(r[0], "commit", commit, sizeof commit);
    }
    if (ptc_dim_varies(r, s->n, "run"))
        snprintf(run, sizeof run, "several runs");
    if (ptc_dim_varies(r, s->n, "cpu"))
        snprintf(cpu, sizeof cpu, "several CPUs");
    if (ptc_dim_varies(r, s->n, "commit"))
        snprintf(commit, sizeof commit, "several");
    snprintf(out, len, "%s = %s (%s, commit %s)", s->name, run, cpu, commit);
}

/* a row in words for the one-sided lists and gate failures: its label and the key
 * fields that vary over `all` (with --key config_id: the configuration dims that vary) */
static void describe(const json_t *row, const char *const *fields, size_t nf,
                     const json_t *const *all, size_t nall, char *out, size_t len)
{
    char v[256];
    if (nf == 1 && strcmp(fields[0], "config_id") == 0) {
        fields = ptc_report_dims;
        for (nf = 0; ptc_report_dims[nf]; nf++)
            ;
    }
    size_t used = (size_t)snprintf(out, len, "%s", ptc_dim_value_text(row, "label", v, sizeof v));
    for (size_t f = 0; f < nf && used < len; f++) {
        if (ptc_field_in(fields[f], implied_by_label) || ptc_field_in(fields[f], side_fields) ||
            strcmp(fields[f], "label") == 0 || !ptc_dim_varies(all, nall, fields[f]))
            continue;
        json_t *x = ptc_row_get(row, fields[f]);
        if (!x || json_is_null(x))
            continue;
        used += (size_t)snprintf(out + used, len - used, " %s=%s", fields[f],
                                 ptc_json_text(x, v, sizeof v));
    }
}

typedef struct {
    gate items[32];
    size_t n;
} gate_list;

/* --fail-if EXPR[,EXPR...]: appended to a gate_list */
static int add_gates(void *field, const char *value, char *err, size_t len)
{
    gate_list *g = field;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", value);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (g->n == sizeof g->items / sizeof g->items[0]) {
            snprintf(err, len, "too many --fail-if expressions");
            return -1;
        }
        if (parse_gate(tok, &g->items[g->n], err, len) != 0)
            return -1;
        g->n++;
    }
    if (strspn(value, " ,") == strlen(value)) {
        snprintf(err, len, "bad --fail-if '%s': empty expression", value);
        return -1;
    }
    return 0;
}

typedef struct {
    gate_list gates;
    const char *key_spec, *out_path;
    ptc_fmt fmt;
} compare_opts;

#define C(field) offsetof(compare_opts, field)
static const ptc_option compare_rows[] = {
    {"key", PTC_OPT_STR, C(key_spec), "F,...", "the fields that match rows (config_id: the ids)"},
    {"fail-if", PTC_OPT_CUSTOM, C(gates), "'METRIC OP N'", "exit 1 when a pair meets it (repeatable); metrics B/A: "
     "time_ratio speedup_ratio memory_ratio rss_ratio gflops_ratio", .set = add_gates},
    {"format", PTC_OPT_CUSTOM, C(fmt), "FMT", "md csv latex", "md", .set = ptc_report_set_format},
    {"out", PTC_OPT_STR, C(out_path), "FILE", "write the table there (stdout)"},
    {NULL},
};
#undef C

/* ---- the steps of ptc compare ---------------------------------------------------------- */

/* Pairs of rows with the same key, in A's order; returns their count. */
static size_t match_pairs(side sides[2], const json_t **pa, const json_t **pb)
{
    size_t npairs = 0;
    for (size_t i = 0; i < sides[0].n; i++)
        for (size_t j = 0; j < sides[1].n; j++)
            if (!sides[1].matched[j] && strcmp(sides[0].keys[i], sides[1].keys[j]) == 0) {
                sides[0].matched[i] = sides[1].matched[j] = true;
                pa[npairs] = sides[0].rows[i];
                pb[npairs++] = sides[1].rows[j];
                break;
            }
    return npairs;
}

/* The dims that vary over the matched rows of A (configuration only) into keys,
 * the dims never shown into skip (NULL-terminated); pairs sorted by keys.
 * Returns the count of keys. */
static size_t display_keys(const json_t **pa, const json_t **pb, size_t npairs, const char **keys,
                           const char **skip)
{
    size_t ns = 0;
    for (const char *const *d = side_fields; *d; d++)
        skip[ns++] = *d;
    for (const char *const *d = implied_by_label; *d; d++)
        skip[ns++] = *d;
    skip[ns] = NULL;
    size_t nk = 0;
    for (const char *const *d = ptc_report_dims; *d && nk < 32; d++)
        if (!ptc_field_in(*d, skip) && ptc_dim_varies(pa, npairs, *d))
            keys[nk++] = *d;
    /* sort pairs by the display keys (insertion sort: a few hundred pairs at most) */
    for (size_t i = 1; i < npairs; i++)
        for (size_t j = i; j > 0; j--) {
            int d = 0;
            for (size_t k = 0; k < nk && d == 0; k++)
                d = ptc_dim_cmp(pa[j - 1], pa[j], keys[k]);
            if (d <= 0)
                break;
            const json_t *x = pa[j]; pa[j] = pa[j - 1]; pa[j - 1] = x;
            x = pb[j]; pb[j] = pb[j - 1]; pb[j - 1] = x;
        }

    return nk;
}

/* Title, caption and columns; returns the first column after the keys and sets
 * the time unit. */
static size_t table_setup(ptc_rtable *t, side sides[2], const json_t **pa, const json_t **pb,
                          size_t npairs, const char **keys, size_t nk, const char **skip,
                          double *unit_out)
{
    char wa[400], wb[400], rest[800];
    side_words(&sides[0], wa, sizeof wa);
    side_words(&sides[1], wb, sizeof wb);
    size_t n_skip = 0;
    while (skip[n_skip])
        n_skip++;
    const char *skip2[nk + n_skip + 1]; /* the keys and skip: what the caption leaves out */
    size_t ns2 = 0;
    for (size_t k = 0; k < nk; k++)
        skip2[ns2++] = keys[k];
    for (size_t k = 0; skip[k]; k++)
        skip2[ns2++] = skip[k];
    skip2[ns2] = NULL;
    ptc_caption(pa, npairs, skip2, rest, sizeof rest);
    snprintf(t->title, sizeof t->title, "Comparison B against A");
    snprintf(t->caption, sizeof t->caption, "%.250s; %.250s; %.500s", wa, wb, rest);

    for (size_t k = 0; k < nk; k++)
        ptc_rtable_col(t, ptc_dim_title(keys[k]), json_is_number(ptc_row_get(pa[0], keys[k])),
                       keys[k], NULL, NULL, NULL);
    const json_t **both = malloc(2 * npairs * sizeof *both);
    for (size_t i = 0; i < npairs; i++) {
        both[i] = pa[i];
        both[npairs + i] = pb[i];
    }
    const char *uname;
    const double unit = ptc_time_unit(both, 2 * npairs, &uname);
    free(both);
    char ta[64], tb[64];
    snprintf(ta, sizeof ta, "time A %s", uname);
    snprintf(tb, sizeof tb, "time B %s", uname);
    size_t c0 = nk;
    ptc_rtable_col(t, ta, true, "a_time_median_s", "a_time_stddev_s", NULL, NULL);
    ptc_rtable_col(t, tb, true, "b_time_median_s", "b_time_stddev_s", NULL, NULL);
    ptc_rtable_col(t, "time B/A", true, "time_ratio", NULL, NULL, NULL);
    ptc_rtable_col(t, "ranges overlap", false, "minmax_overlap", NULL, NULL, NULL);
    ptc_rtable_col(t, "U test p", true, "utest_p", NULL, NULL, NULL);
    ptc_rtable_col(t, "speedup A", true, "a_speedup_median", "a_speedup_ci_low",
                   "a_speedup_ci_high", NULL);
    ptc_rtable_col(t, "speedup B", true, "b_speedup_median", "b_speedup_ci_low",
                   "b_speedup_ci_high", NULL);
    ptc_rtable_col(t, "speedup B/A", true, "speedup_ratio", NULL, NULL, NULL);
    ptc_rtable_col(t, "memory B/A", true, "memory_ratio", NULL, NULL, NULL);

    *unit_out = unit;
    return c0;
}

/* One table row per pair, and a FAIL note per --fail-if gate a pair meets;
 * returns the count of those. */
static size_t fill_pairs(ptc_rtable *t, const json_t **pa, const json_t **pb, size_t npairs,
                         const char **keys, size_t nk, size_t c0, double unit, const gate *gates,
                         size_t ngates, const char **fields, size_t nf)
{
    size_t violations = 0, few_min = 0, few_optimal = 0;
    for (size_t i = 0; i < npairs; i++) {
        size_t r = ptc_rtable_row(t), c = c0;
        for (size_t k = 0; k < nk; k++)
            ptc_cell_dim(t, r, k, pa[i], keys[k]);
        ptc_cell_time(t, r, c++, pa[i], unit);
        ptc_cell_time(t, r, c++, pb[i], unit);
        double v;
        char text[64], csv[40];
        if (metric_value(pa[i], pb[i], M_TIME, &v)) {
            snprintf(text, sizeof text, "%.3f", v);
            ptc_rtable_set(t, r, c, text, ptc_fmt_double_exact(v, csv, sizeof csv), NULL, NULL,
                           NULL);
        }
        c++;
        double amin, amax, bmin, bmax;
        if (ptc_row_num(pa[i], "time_s.min", &amin) && ptc_row_num(pa[i], "time_s.max", &amax) &&
            ptc_row_num(pb[i], "time_s.min", &bmin) && ptc_row_num(pb[i], "time_s.max", &bmax)) {
            const char *o = (bmin <= amax && amin <= bmax) ? "yes" : "no";
            ptc_rtable_set(t, r, c, o, o, NULL, NULL, NULL);
        }
        c++;
        ptc_cell_utest(t, r, c++, pa[i], pb[i], &few_min, &few_optimal);
        ptc_cell_speedup(t, r, c++, pa[i]);
        ptc_cell_speedup(t, r, c++, pb[i]);
        for (metric_t m = M_SPEEDUP; m <= M_MEMORY; m++, c++)
            if (metric_value(pa[i], pb[i], m, &v)) {
                snprintf(text, sizeof text, "%.3f", v);
                ptc_rtable_set(t, r, c, text, ptc_fmt_double_exact(v, csv, sizeof csv), NULL,
                               NULL, NULL);
            }
        for (size_t g = 0; g < ngates; g++) {
            if (!metric_value(pa[i], pb[i], gates[g].metric, &v) || !gate_holds(&gates[g], v))
                continue;
            char what[512];
            describe(pa[i], fields, nf, pa, npairs, what, sizeof what);
            ptc_rtable_note(t, "FAIL %s: %s: %s = %.4g", gates[g].text, what,
                            metric_names[gates[g].metric], v);
            violations++;
        }
    }
    if (few_optimal)
        ptc_rtable_note(t, "warning: U test on fewer than %d repetitions a side in %zu pair%s: "
                        "its p-value is unreliable (compare.py asks for %d or more; --reps)",
                        PTC_UTEST_OPTIMAL_REPS, few_optimal, few_optimal == 1 ? "" : "s",
                        PTC_UTEST_OPTIMAL_REPS);
    if (few_min)
        ptc_rtable_note(t, "%zu pair%s without a U test (fewer than %d repetitions a side)",
                        few_min, few_min == 1 ? "" : "s", PTC_UTEST_MIN_REPS);
    return violations;
}

/* Notes on the rows of each side that matched nothing, repeated keys, errors. */
static void note_sides(ptc_rtable *t, side sides[2], const char *const *paths, const size_t only[2],
                       const char **fields, size_t nf)
{
    const json_t **all[2] = {ptc_rows_objs(&sides[0].set), ptc_rows_objs(&sides[1].set)};
    for (int s = 0; s < 2; s++) {
        if (only[s])
            ptc_rtable_note(t, "%zu row%s only in %s (%s):", only[s], only[s] == 1 ? "" : "s",
                            sides[s].name, paths[s]);
        for (size_t i = 0; i < sides[s].n; i++)
            if (!sides[s].matched[i]) {
                char what[512];
                describe(sides[s].rows[i], fields, nf, all[s], sides[s].set.n, what, sizeof what);
                ptc_rtable_note(t, "only in %s: %s", sides[s].name, what);
            }
        if (sides[s].duplicates)
            ptc_rtable_note(t, "%s has %zu row%s repeating a key; the last row read is used",
                            sides[s].name, sides[s].duplicates,
                            sides[s].duplicates == 1 ? "" : "s");
        if (sides[s].set.errors)
            ptc_rtable_note(t, "%s: %zu row%s with status \"error\" excluded", sides[s].name,
                            sides[s].set.errors, sides[s].set.errors == 1 ? "" : "s");
        if (sides[s].set.malformed)
            ptc_rtable_note(t, "%s: %zu malformed line%s skipped", sides[s].name,
                            sides[s].set.malformed, sides[s].set.malformed == 1 ? "" : "s");
    }
    free(all[0]);
    free(all[1]);
}

int ptc_compare_main(int argc, char **argv)
{
    static compare_opts co;
    memset(&co, 0, sizeof co);
    static ptc_report_cli cli;
    int rc = ptc_report_parse(&cli, "ptc compare", "ptc compare [options] A B   (rows.jsonl files or run folders)",
                              "compare", compare_rows, &co, 2, argc, argv);
    const gate *gates = co.gates.items;
    const size_t ngates = co.gates.n;
    const char *out_path = co.out_path, *key_spec = co.key_spec;
    const ptc_fmt fmt = co.fmt;
    const char *const *paths = cli.seen.args;
    const size_t npaths = cli.seen.n_args;
    side sides[2] = {{.name = "A"}, {.name = "B"}};
    ptc_rows_init(&sides[0].set);
    ptc_rows_init(&sides[1].set);
    ptc_rtable t;
    ptc_rtable_init(&t);
    char keybuf[1024] = "";
    const char *fields[64];
    size_t nf = 0;
    const json_t **pa = NULL, **pb = NULL;
    size_t npairs = 0;
    if (rc != 0) {
        rc = rc == 1 ? 0 : rc;
        goto done;
    }
    if (PTC_FMT_IS_EXPORT(fmt)) {
        fprintf(stderr, "ptc compare: --format tidy and sql export rows: use `ptc table --format %s` "
                "on each run (md, csv, latex here)\n", fmt == PTC_FMT_SQL ? "sql" : "tidy");
        rc = 2;
        goto done;
    }
    if (npaths != 2) {
        fprintf(stderr, "ptc compare: give two inputs, A and B (rows.jsonl or run folders)\n");
        rc = 2;
        goto done;
    }
    if (key_spec) {
        snprintf(keybuf, sizeof keybuf, "%s", key_spec);
        for (char *save = NULL, *tok = strtok_r(keybuf, ",", &save); tok && nf < 63;
             tok = strtok_r(NULL, ",", &save))
            fields[nf++] = tok;
        if (nf == 0) {
            fprintf(stderr, "ptc compare: --key: no field named\n");
            rc = 2;
            goto done;
        }
    } else {
        for (; default_key[nf]; nf++)
            fields[nf] = default_key[nf];
    }

    for (int s = 0; s < 2; s++) {
        sides[s].path = paths[s];
        if ((rc = ptc_report_load(&sides[s].set, &paths[s], 1, &cli.lo, &cli.filters)) != 0)
            goto done;
        side_keys(&sides[s], fields, nf);
    }

    /* pairs, in A's order sorted by configuration */
    pa = malloc((sides[0].n + 1) * sizeof *pa);
    pb = malloc((sides[0].n + 1) * sizeof *pb);
    npairs = match_pairs(sides, pa, pb);
    size_t only[2] = {sides[0].n - npairs, sides[1].n - npairs};
    if (npairs == 0) {
        fprintf(stderr, "ptc compare: no row of %s matches a row of %s by key %s "
                "(%zu rows in A, %zu in B)\n", paths[0], paths[1],
                key_spec ? key_spec : "(default)", sides[0].n, sides[1].n);
        rc = 1;
        goto done;
    }

    const char *skip[16], *keys[32];
    const size_t nk = display_keys(pa, pb, npairs, keys, skip);
    double unit;
    const size_t c0 = table_setup(&t, sides, pa, pb, npairs, keys, nk, skip, &unit);
    const size_t violations =
        fill_pairs(&t, pa, pb, npairs, keys, nk, c0, unit, gates, ngates, fields, nf);
    note_sides(&t, sides, paths, only, fields, nf);
    if (ngates)
        ptc_rtable_note(&t, "--fail-if: %zu violation%s in %zu matched pair%s", violations,
                        violations == 1 ? "" : "s", npairs, npairs == 1 ? "" : "s");

    if (ptc_rtable_write(&t, fmt, out_path, "ptc compare") != 0) {
        rc = 1;
        goto done;
    }
    if (violations) {
        fflush(stdout);
        for (size_t i = 0; i < t.nnotes; i++)
            if (strncmp(t.notes[i], "FAIL ", 5) == 0 && fmt != PTC_FMT_CSV)
                fprintf(stderr, "ptc compare: %s\n", t.notes[i]);
        fprintf(stderr, "ptc compare: %zu --fail-if violation%s\n", violations,
                violations == 1 ? "" : "s");
        rc = 1;
    }
done:
    fflush(stdout);
    free(pa);
    free(pb);
    side_free(&sides[0]);
    side_free(&sides[1]);
    ptc_rtable_free(&t);
    ptc_filters_free(&cli.filters);
    return rc;
}
