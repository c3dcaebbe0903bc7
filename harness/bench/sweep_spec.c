/*
 * harness/bench/sweep_spec.c — sweep spec files of `ptc bench`: reading one (lines of
 * options, '#' comments, '---' between sections; run options refused) and writing the
 * normalized spec that reads back to the same sweep (sweep.txt of a run folder).
 * Contract: harness/bench/sweep.h.
 */
#include "bench/sweep.h"

#include "common/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
        if (i > 0 && ptc_sweep_section_empty(s))
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
        LIST("level", s->n_level, u = put(buf, len, u, "%s", ptc_level_name(s->level[j])))
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
                                            : ptc_sweep_variant_name(s->variant[j])))
        LIST("rule", s->n_rule, u = put(buf, len, u, "%s", ptc_rule_names[s->rule[j]]))
        LIST("p", s->n_p, u = put(buf, len, u, "%.10g", s->p[j]))
        LIST("lc", s->n_lc, u = put(buf, len, u, "%d", s->lc[j]))
        LIST("m", s->n_m, u = put(buf, len, u, "%d", s->m[j]))
        LIST("project-kept", s->n_project, u = put(buf, len, u, "%s", s->project_kept[j] ? "on" : "off"))
        LIST("phase", s->n_phase, u = put(buf, len, u, "%s", s->train[j] ? "train" : "infer"))
#undef LIST
    }
    return u;
}
