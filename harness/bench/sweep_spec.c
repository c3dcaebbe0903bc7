/*
 * harness/bench/sweep_spec.c — the normalized spec of a `ptc bench` sweep: the spec
 * file that reads back to the same sweep (sweep.txt of a run folder; reading spec
 * files: sweep_opts.c). Contract: harness/bench/sweep.h.
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
        if (s->n_keep) {
            u = put(buf, len, u, "keep-ratios ");
            for (int j = 0; j < s->n_keep; j++)
                for (size_t k = 0; k < s->keep[j].n; k++)
                    u = put(buf, len, u, "%s%.10g", k ? "," : j ? ";" : "", s->keep[j].v[k]);
            u = put(buf, len, u, "\n");
        }
        LIST("tome-r", s->n_tome_r, u = put(buf, len, u, "%d", s->tome_r[j]))
        LIST("ltp-thresholds", s->n_ltp, u = put(buf, len, u, "%.10g", s->ltp_threshold[j]))
#undef LIST
    }
    return u;
}

bool ptc_sweep_section_empty(const ptc_sweep_section *s)
{
    static const ptc_sweep_section zero;
    return memcmp(s, &zero, sizeof zero) == 0;
}
